"""Pages: a ``.txt`` or ``.html`` file is one document, written back as one ``.txt`` file.

Gzip and zstd pages (``.html.gz``, ``.txt.zst``, ...) are read as their inner type, decompressed
as they stream, and written as the same ``.txt``. id = the file's path relative to its input root.
The bytes are decoded by :func:`cleaner.formats.decode.decode_text` (what it repairs becomes the
document's edits); a page above ``limits.max_document_bytes`` (decompressed) or one that is not
text becomes an error document. A page that is not kept leaves no output file (a
stale copy from an earlier run is removed).
"""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from cleaner.atomic import atomic_file
from cleaner.config import LimitsConfig
from cleaner.formats.base import FormatHandler, Output, Shard, error_document, make_document, os_error_message
from cleaner.formats.decode import decode_text
from cleaner.record import Document, Kind, Reason, Source


def read_page(shard: Shard, limits: LimitsConfig) -> Iterator[Document]:
    """Yield the one document of a page file (or the error that stopped it)."""
    f = shard.file
    source = Source(f.rel)
    too_large = f"above limits.max_document_bytes={limits.max_document_bytes:,}; raise the limit or split the file"
    try:
        if f.format.compression is None:
            size = f.path.stat().st_size
            if size > limits.max_document_bytes:
                yield error_document(f.rel, source, Reason.ERROR_TOO_LARGE, f"file is {size:,} bytes, {too_large}")
                return
            data = f.path.read_bytes()
        else:
            data = _decompress(f.path, f.format.compression, limits.max_document_bytes + 1)
            if len(data) > limits.max_document_bytes:
                yield error_document(f.rel, source, Reason.ERROR_TOO_LARGE, f"page decompresses to more, {too_large}")
                return
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, OSError) and (exc.errno is not None or f.path.is_symlink()):
            message = os_error_message(f.path, exc)
        else:
            message = f"file is damaged or truncated ({exc}); re-fetch or re-compress it"
        yield error_document(f.rel, source, Reason.ERROR_READ, message)
        return
    try:
        decoded = decode_text(data)
    except ValueError as exc:
        yield error_document(f.rel, source, Reason.ERROR_DECODE, f"{exc}; remove it from the input or fix its encoding")
        return
    kind: Kind = "html" if f.format.name == "html" else "text"
    yield make_document(f.rel, decoded.text, kind, source, {}, (), limits, decoded.edits, decoded.utf8)


def _decompress(path: Path, compression: str, most: int) -> bytes:
    """At most ``most`` decompressed bytes of a page, read as they stream (a bomb stops there).

    gzip is read by ISA-L's igzip (2.5x faster than zlib: 3% of a run on the Scrapinghub pages);
    a file it fails on is read again by Python's gzip, whose error the report gives (the two word
    some errors differently, and ISA-L raises its own error type for a damaged block).
    """
    if compression == "gzip":
        from isal import igzip, igzip_lib  # here: most pages are not compressed (isal's import: 1 ms)

        # ISA-L's error for damaged data (its type stubs declare it an instance, not a class).
        isal_error: type[Exception] = igzip_lib.IsalError  # type: ignore[assignment]
        try:
            return _read_most(igzip.GzipFile(path, "rb"), most)  # type: ignore[arg-type]
        except (OSError, EOFError, isal_error):
            return _read_most(gzip.GzipFile(path, "rb"), most)  # type: ignore[arg-type]
    from cleaner.formats.compression import zstd_reader

    return _read_most(zstd_reader(open(path, "rb")), most)


def _read_most(raw: BinaryIO, most: int) -> bytes:
    with raw:
        chunks, size = [], 0
        while size < most:
            chunk = raw.read(min(1 << 20, most - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


def text_bytes(doc: Document) -> bytes:
    """A kept page's output: its text, ending with a newline."""
    text = doc.text if doc.text.endswith("\n") else doc.text + "\n"
    return text.encode("utf-8")


def write_pages(shard: Shard, docs: Iterable[Document], out: Output) -> None:
    """Write (or, for a document that is not kept, remove any stale copy of) a page's output file."""
    for doc in docs:
        if doc.status == "kept":
            with atomic_file(out.path) as fh:
                fh.write(text_bytes(doc))
        else:
            with contextlib.suppress(OSError):
                out.path.unlink()


HANDLER = FormatHandler(read=read_page, write=write_pages, one_document=True, writes_html=False)
