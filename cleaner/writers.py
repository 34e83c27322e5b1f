"""Write cleaned documents back out as a mirror of the input tree, and the report, atomically.

Every file is written under a temporary name in its final folder and renamed when complete, so
a crash never leaves a half-written file under a final name. Compressed output is written with
a zero timestamp and no file name in the gzip header, so the same input gives the same bytes.

>>> output_rel("a/b.html"), output_rel("a/b.txt"), output_rel("x.jsonl.gz")
('a/b.txt', 'a/b.txt', 'x.jsonl.gz')
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from cleaner.readers import InputFile, detect_format
from cleaner.record import Document, json_line


def output_rel(rel: str) -> str:
    """Where a cleaned input goes, relative to OUTDIR: records keep their file name, pages become .txt.

    Parquet stays Parquet; WARC becomes JSONL, keeping its compression.

    >>> output_rel("crawl/x.warc.gz"), output_rel("t.parquet")
    ('crawl/x.jsonl.gz', 't.parquet')
    """
    fmt = detect_format(Path(rel))
    if fmt is not None and fmt.name in ("jsonl", "parquet"):
        return rel
    if fmt is not None and fmt.name == "warc":  # WARC in, JSONL out: x.warc.gz -> x.jsonl.gz
        cut = len(".warc.gz") if fmt.compression == "gzip" else len(".warc")
        return rel[:-cut] + (".jsonl.gz" if fmt.compression == "gzip" else ".jsonl")
    stem = rel
    lower = rel.lower()
    for suffix in (".xhtml", ".html", ".htm", ".text", ".txt"):
        if lower.endswith(suffix):
            stem = rel[: -len(suffix)]
            break
    return stem + ".txt"


def output_collisions(files: Iterable[InputFile]) -> list[tuple[str, str, str]]:
    """Pairs of inputs that would be written to the same output file: (output, first, second)."""
    seen: dict[str, str] = {}
    clashes = []
    for f in files:
        out = output_rel(f.rel)
        if out in seen:
            clashes.append((out, seen[out], f.rel))
        else:
            seen[out] = f.rel
    return clashes


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Temporary files carry this prefix, so a later run can sweep the ones a killed run left behind.
TEMP_PREFIX = ".cleaner-tmp-"


def sweep_temp_files(folder: Path, name: str = "") -> int:
    """Remove temporary files that a killed run left in ``folder`` (and below it, for a whole tree).

    With ``name``, only that file's temporaries in ``folder`` itself; returns how many went.
    """
    if not folder.is_dir():
        return 0
    pattern = f"{TEMP_PREFIX}{name}.*.tmp" if name else f"{TEMP_PREFIX}*.tmp"
    found = list(folder.glob(pattern) if name else folder.rglob(pattern))
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)


@contextmanager
def atomic_file(path: Path, *, compress: bool = False) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path``; on success it replaces ``path``, on error it vanishes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        with os.fdopen(fd, "wb") as raw:
            if compress:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                    yield gz  # type: ignore[misc]
            else:
                yield raw
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def jsonl_line(doc: Document) -> bytes:
    """The output record of a kept JSONL document: its fields as they came, ``text`` cleaned."""
    record: dict[str, Any] = {}
    for name in doc.fields or (*doc.metadata.keys(), "text"):
        if name == "text":
            record["text"] = doc.text
        elif name == "html":
            record["html"] = doc.html
        else:
            record[name] = doc.metadata.get(name)
    if "text" not in record:  # records that came with html only get their text added
        record["text"] = doc.text
    return json_line(record).encode("utf-8")


def text_bytes(doc: Document) -> bytes:
    text = doc.text if doc.text.endswith("\n") else doc.text + "\n"
    return text.encode("utf-8")


def write_document_file(outdir: Path, f: InputFile, doc: Document) -> None:
    """Write (or, for a document that is not kept, remove any stale copy of) a page's output file."""
    target = outdir / output_rel(f.rel)
    if doc.status == "kept":
        with atomic_file(target) as fh:
            fh.write(text_bytes(doc))
    else:
        with contextlib.suppress(OSError):
            target.unlink()


def concatenate(parts: Iterable[Path], target: Path, *, compress: bool = False) -> None:
    """Join part files, in order, into ``target`` atomically."""
    with atomic_file(target, compress=compress) as out:
        for part in parts:
            with open(part, "rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)


class PartWriter:
    """Buffered writer for one part file (a shard's records or report lines)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh: io.BufferedWriter = open(path, "wb")  # noqa: SIM115 - closed in close()

    def write(self, data: bytes) -> None:
        self._fh.write(data)

    def close(self) -> None:
        self._fh.close()
