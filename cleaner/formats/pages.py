"""Pages: a ``.txt`` or ``.html`` file is one document, written back as one ``.txt`` file.

id = the file's path relative to its input root. The bytes are decoded by
:func:`cleaner.formats.decode.decode_bytes`; a file above ``limits.max_document_bytes`` or one
that is not text becomes an error document. A page that is not kept leaves no output file (a
stale copy from an earlier run is removed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from cleaner.atomic import atomic_file
from cleaner.config import LimitsConfig
from cleaner.formats.base import FormatHandler, Output, Shard, error_document, make_document, os_error_message
from cleaner.formats.decode import decode_bytes
from cleaner.record import Document, Kind, Reason, Source


def read_page(shard: Shard, limits: LimitsConfig) -> Iterator[Document]:
    """Yield the one document of a page file (or the error that stopped it)."""
    f = shard.file
    source = Source(f.rel)
    try:
        size = f.path.stat().st_size
        if size > limits.max_document_bytes:
            yield error_document(
                f.rel,
                source,
                Reason.ERROR_TOO_LARGE,
                f"file is {size:,} bytes, above limits.max_document_bytes={limits.max_document_bytes:,}; "
                "raise the limit or split the file",
            )
            return
        data = f.path.read_bytes()
    except OSError as exc:
        yield error_document(f.rel, source, Reason.ERROR_READ, os_error_message(f.path, exc))
        return
    try:
        text, _encoding = decode_bytes(data)
    except ValueError as exc:
        yield error_document(f.rel, source, Reason.ERROR_DECODE, f"{exc}; remove it from the input or fix its encoding")
        return
    kind: Kind = "html" if f.format.name == "html" else "text"
    yield make_document(f.rel, text, kind, source, {}, (), limits)


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


HANDLER = FormatHandler(read=read_page, write=write_pages, one_document=True)
