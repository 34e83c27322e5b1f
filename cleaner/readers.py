"""Turn folders and files into Documents with stable ids, in a deterministic order.

Inputs are walked recursively in sorted order; each file's format comes from its name, through
the table in :mod:`cleaner.formats.table`, whose format modules read it:

=====================  ==========================================================
``.txt``, ``.html``    one document per file (also ``.gz``/``.zst`` compressed); id = path
                       relative to its input root (:mod:`cleaner.formats.pages`)
``.jsonl(.gz, .zst)``  one document per line: ``text`` or ``html`` field; id = the ``id``
                       field, else ``<relative path>:<line>`` (:mod:`cleaner.formats.jsonl`)
``.parquet``           one document per row (:mod:`cleaner.formats.parquet`)
``.warc(.gz)``         one HTML document per 2xx HTML response (:mod:`cleaner.formats.warc`)
=====================  ==========================================================

Large files are cut into shards by their format (line-aligned byte ranges of plain JSONL, row
groups of Parquet), so several processes can share one file; line numbers stay those of the
whole file. The cut depends only on the file, never on the number of workers.

A file or record that cannot be read becomes a document rejected with an ``error.*`` reason and a
message that says what to do, so the run goes on and the report still lists it. What is not a
regular file (a named pipe would block the run) is skipped; a name that is not UTF-8 is an error.

>>> fmt = detect_format(Path("crawl/a.jsonl.gz"))
>>> fmt.name, fmt.compression
('jsonl', 'gzip')
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cleaner.config import LimitsConfig
from cleaner.errors import UsageError
from cleaner.formats.base import Format, InputFile, Shard, display_path, error_document
from cleaner.formats.table import detect_format, handler, readable_suffixes
from cleaner.record import Document, Reason, Source

__all__ = [
    "SHARD_BYTES",
    "Discovery",
    "Format",
    "InputFile",
    "Shard",
    "check_inputs",
    "detect_format",
    "discover",
    "plan_shards",
    "read_shard",
]

# Splitting a file only pays off when each part still has plenty of work: 32 MiB is about
# 30,000 news articles, well above the per-task overhead of a process pool.
SHARD_BYTES = 32 * 1024 * 1024


NOT_REGULAR = "not a regular file (a named pipe, socket or device)"


@dataclass(frozen=True, slots=True)
class Discovery:
    """What walking the inputs found: the files to read, the files skipped, and the inputs that
    could not be listed."""

    files: tuple[InputFile, ...]
    skipped: tuple[str, ...]  # files found in folders that cleaner does not read (see skipped_why)
    errors: tuple[tuple[str, str], ...]  # (path, message) for inputs that cannot be listed
    not_regular: tuple[str, ...] = ()  # those of ``skipped`` that are pipes, sockets or devices

    def skipped_why(self, path: str) -> str:
        """Why one of ``skipped`` was skipped."""
        return NOT_REGULAR if path in self.not_regular else "not a file type cleaner reads"

    def skipped_summary(self) -> str:
        """The skipped files counted by suffix, for one line: ``3 files: 2 .pdf, 1 .gz (...)``.

        >>> found = Discovery((), ("a/x.pdf", "a/y.pdf", "a/p.html.bz2", "a/fifo.jsonl"), (), ("a/fifo.jsonl",))
        >>> found.skipped_summary()
        '4 files: 2 .pdf, 1 .bz2 (not a file type cleaner reads); 1 not a regular file (a named pipe, socket or device)'
        """
        counts: dict[str, int] = {}
        for path in self.skipped:
            if path not in self.not_regular:
                suffix = Path(path).suffix.lower() or "without a suffix"
                counts[suffix] = counts.get(suffix, 0) + 1
        parts = []
        if counts:
            by_suffix = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            parts.append(", ".join(f"{n:,} {suffix}" for suffix, n in by_suffix) + " (not a file type cleaner reads)")
        if self.not_regular:
            parts.append(f"{len(self.not_regular):,} {NOT_REGULAR}")
        total = len(self.skipped)
        return f"{total:,} file{'s' if total != 1 else ''}: " + "; ".join(parts)


def discover(inputs: Sequence[str | Path]) -> Discovery:
    """List the input files in a stable order: inputs as given, each folder walked sorted.

    A folder's files are named relative to the folder; a file given directly by its name.
    Symbolic links to folders are not followed (no loops); links to files are read.
    """
    files: list[InputFile] = []
    skipped: list[str] = []
    not_regular: list[str] = []
    errors: list[tuple[str, str]] = []
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            for path in _walk_sorted(root, errors):
                fmt = detect_format(path)
                rel = path.relative_to(root).as_posix()
                if _bad_name(rel):
                    errors.append((display_path(path), BAD_NAME))
                elif fmt is None:
                    skipped.append(str(path))
                elif not _regular_or_link(path):  # reading a named pipe would wait for ever
                    skipped.append(str(path))
                    not_regular.append(str(path))
                else:
                    files.append(InputFile(path, rel, fmt))
        elif root.exists():
            fmt = detect_format(root)
            if _bad_name(root.name):
                errors.append((display_path(root), BAD_NAME))
            elif fmt is None:
                errors.append(
                    (
                        display_path(root),
                        f"unknown file type; cleaner reads {readable_suffixes()} (rename the file or convert it)",
                    )
                )
            elif not _regular_or_link(root):
                errors.append((display_path(root), f"{NOT_REGULAR}; copy it to a file first"))
            else:
                files.append(InputFile(root, root.name, fmt))
        else:
            errors.append((display_path(root), "no such file or folder; check the path"))
    seen: dict[str, Path] = {}
    for f in files:
        if f.rel in seen:
            raise UsageError(
                f"two inputs map to the same output name {f.rel!r}: {seen[f.rel]} and {f.path}; "
                "clean them in separate runs or pass their common parent folder"
            )
        seen[f.rel] = f.path
    return Discovery(tuple(files), tuple(skipped), tuple(errors), tuple(not_regular))


BAD_NAME = "file name is not valid UTF-8; rename it (convmv -f latin1 -t utf-8 converts names)"


def _bad_name(name: str) -> bool:
    """A name with bytes that are not UTF-8 (Python keeps them as lone surrogates): its output
    name, report id and error line could not be written as UTF-8."""
    return any("\udc80" <= ch <= "\udcff" for ch in name)


def _regular_or_link(path: Path) -> bool:
    """A regular file, or a link (a broken one is reported when read); not a pipe, socket or device."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return True


def check_inputs(inputs: Sequence[str | Path], *, more_inputs: bool = False) -> Discovery:
    """Check local inputs before anything is written: every one exists, and there is something to
    read (unless ``more_inputs``: URLs, checked when they are fetched). Raises UsageError (the CLI
    exits 2 and writes nothing) naming what is wrong."""
    found = discover(inputs)
    missing = [path for path, message in found.errors if message.startswith("no such file")]
    if missing:
        more = f" (and {len(missing) - 1:,} more)" if len(missing) > 1 else ""
        raise UsageError(f"no such file or folder: {missing[0]}{more}; check the path (nothing was written)")
    given = {display_path(Path(p)) for p in inputs}
    for path, message in found.errors:  # a file named on the command line that cleaner cannot read
        if path in given:
            raise UsageError(f"{path}: {message} (nothing was written)")
    if not found.files and not found.errors and not more_inputs:
        if found.skipped:
            raise UsageError(
                f"nothing to clean: skipped {found.skipped_summary()}; cleaner reads {readable_suffixes()} "
                "(nothing was written)"
            )
        raise UsageError(f"nothing to clean: no files in {', '.join(map(str, inputs))} (nothing was written)")
    return found


def _walk_sorted(root: Path, errors: list[tuple[str, str]]) -> Iterator[Path]:
    def onerror(exc: OSError) -> None:
        errors.append((str(exc.filename or root), f"cannot list folder ({exc.strerror}); check permissions"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def plan_shards(files: Sequence[InputFile], shard_bytes: int = SHARD_BYTES) -> list[Shard]:
    """Cut the inputs into shards: whole files, and the parts each format cuts a large file into."""
    shards: list[Shard] = []
    for f in files:
        cut = handler(f.format).cut
        if cut is None:
            shards.append(Shard(len(shards), f))
            continue
        parts = cut(f, shard_bytes)
        for part, (start, end, first_line) in enumerate(parts):
            shards.append(Shard(len(shards), f, start, end, first_line, part, len(parts)))
    return shards


def read_shard(shard: Shard, limits: LimitsConfig | None = None) -> Iterator[Document]:
    """Yield the documents of one shard, in file order; unreadable parts become error documents.

    A file that changes while its shard is read (its size or modification time differ at the end
    from the start: a crawler still appending, a copy still running) ends with an error document,
    so the run fails that file instead of writing old and new records mixed with exit code 0.
    """
    f = shard.file
    fmt = handler(f.format)
    before = _state(f.path)
    docs = fmt.read(shard, limits or LimitsConfig())
    if fmt.one_document:  # held back: a changed page is replaced by its error, not followed by it
        docs = iter(list(docs))
    else:
        yield from docs
    if before is not None and _state(f.path) != before:
        yield error_document(
            f.rel,
            Source(f.rel),
            Reason.ERROR_READ,
            "file changed while it was read (size or modification time); its output may mix old and new "
            "records: run again once nothing writes to it",
        )
    else:
        yield from docs


def _state(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns
