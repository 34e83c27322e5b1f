"""Turn folders and files into Documents with stable ids, in a deterministic order.

Inputs are walked recursively in sorted order; each file's format comes from its name, through
the table in :mod:`cleaner.formats.table`, whose format modules read it:

=====================  ==========================================================
``.txt``, ``.html``    one document per file; id = path relative to its input root
                       (:mod:`cleaner.formats.pages`)
``.jsonl(.gz, .zst)``  one document per line: ``text`` or ``html`` field; id = the ``id``
                       field, else ``<relative path>:<line>`` (:mod:`cleaner.formats.jsonl`)
``.parquet``           one document per row (:mod:`cleaner.formats.parquet`)
``.warc(.gz)``         one HTML document per 2xx HTML response (:mod:`cleaner.formats.warc`)
=====================  ==========================================================

Large files are cut into shards by their format (line-aligned byte ranges of plain JSONL, row
groups of Parquet), so several processes can share one file; line numbers stay those of the
whole file. The cut depends only on the file, never on the number of workers.

A file or record that cannot be read becomes a document rejected with an ``error.*`` reason and a
message that says what to do, so the run goes on and the report still lists it.

>>> fmt = detect_format(Path("crawl/a.jsonl.gz"))
>>> fmt.name, fmt.compression
('jsonl', 'gzip')
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cleaner.config import LimitsConfig
from cleaner.errors import UsageError
from cleaner.formats.base import Format, InputFile, Shard
from cleaner.formats.table import detect_format, handler, readable_suffixes
from cleaner.record import Document

__all__ = [
    "SHARD_BYTES",
    "Discovery",
    "Format",
    "InputFile",
    "Shard",
    "detect_format",
    "discover",
    "plan_shards",
    "read_shard",
]

# Splitting a file only pays off when each part still has plenty of work: 32 MiB is about
# 30,000 news articles, well above the per-task overhead of a process pool.
SHARD_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Discovery:
    files: tuple[InputFile, ...]
    skipped: tuple[str, ...]  # files found in folders whose format cleaner does not read
    errors: tuple[tuple[str, str], ...]  # (path, message) for inputs that cannot be listed


def discover(inputs: Sequence[str | Path]) -> Discovery:
    """List the input files in a stable order: inputs as given, each folder walked sorted.

    A folder's files are named relative to the folder; a file given directly by its name.
    Symbolic links to folders are not followed (no loops); links to files are read.
    """
    files: list[InputFile] = []
    skipped: list[str] = []
    errors: list[tuple[str, str]] = []
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            for path in _walk_sorted(root, errors):
                fmt = detect_format(path)
                rel = path.relative_to(root).as_posix()
                if fmt is None:
                    skipped.append(str(path))
                else:
                    files.append(InputFile(path, rel, fmt))
        elif root.exists():
            fmt = detect_format(root)
            if fmt is None:
                errors.append(
                    (
                        str(root),
                        f"unknown file type; cleaner reads {readable_suffixes()} (rename the file or convert it)",
                    )
                )
            else:
                files.append(InputFile(root, root.name, fmt))
        else:
            errors.append((str(root), "no such file or folder; check the path"))
    seen: dict[str, Path] = {}
    for f in files:
        if f.rel in seen:
            raise UsageError(
                f"two inputs map to the same output name {f.rel!r}: {seen[f.rel]} and {f.path}; "
                "clean them in separate runs or pass their common parent folder"
            )
        seen[f.rel] = f.path
    return Discovery(tuple(files), tuple(skipped), tuple(errors))


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
    """Yield the documents of one shard, in file order; unreadable parts become error documents."""
    return handler(shard.file.format).read(shard, limits or LimitsConfig())
