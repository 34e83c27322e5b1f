"""What every format module shares: the records of a file and a shard, what a format offers
(:class:`FormatHandler`: a reader and a sink), and the document and error constructors.

Format modules and readers.py both import this module, never each other, so a format's reader
and sink live in one module without an import circle.

>>> doc = error_document("a.txt", Source("a.txt"), Reason.ERROR_READ, "cannot read file; check it")
>>> doc.status, str(doc.rejected.reason)
('error', 'error.read')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cleaner.config import LimitsConfig
from cleaner.record import Document, Edit, Kind, Reason, Source


@dataclass(frozen=True, slots=True)
class Format:
    """A file format as its name tells it: the format, and the compression around it."""

    name: str  # "text" | "html" | "jsonl" | "parquet" | "warc": a row of cleaner.formats.table
    compression: str | None = None  # None | "gzip" | "zstd"


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input file: where it is, and its path relative to the input root (posix form)."""

    path: Path
    rel: str
    format: Format


@dataclass(frozen=True, slots=True)
class Shard:
    """A unit of work: a whole file, or a part of a large one (a format's :attr:`FormatHandler.cut`).

    ``start``/``end`` are byte offsets for JSONL, row groups for Parquet; ``first_line`` is the
    1-based line (or row) number of the part's first record in the whole file.
    """

    index: int
    file: InputFile
    start: int = 0
    end: int | None = None
    first_line: int = 1
    part: int = 0  # which part of a split file (0 for whole files)
    parts: int = 1


@dataclass(frozen=True, slots=True)
class Output:
    """Where one shard's kept documents go.

    ``path`` is the input file's output file. A file split into several shards is written as
    byte ``parts`` (one per shard, in order) that the runner joins into ``path``; ``scratch`` is a
    folder private to that file, for a format that cannot be joined as bytes (Parquet).
    """

    path: Path
    parts: tuple[Path, ...] = ()
    scratch: Path | None = None


# One shard cut of a file: (start, end, first line); end None is "to the end of the file".
Cut = tuple[int, int | None, int]


@dataclass(frozen=True, slots=True)
class FormatHandler:
    """What a format module offers the table (cleaner.formats.table) and through it the runners.

    ``read`` yields a shard's documents in file order, unreadable parts as error documents.
    ``write`` takes every document of a shard (kept or not, in order) and writes the kept ones
    to ``Output``; it must consume them all, since the runner records each in the report as it
    passes. ``cut`` splits a large file into shards (None: never split); ``byte_ranges`` says
    whether a shard's start/end count bytes (progress uses it to size shards). ``one_document``
    says a file is one document; otherwise a document is addressed as ``FILE:N``, N its
    ``Source.line`` (the line, row or record number; ``cleaner explain`` uses it).
    ``writes_html`` says whether ``write`` may write a document's markup (JSONL and Parquet keep
    an ``html`` field); where it never does, the runner leaves the markup out of the documents it
    spills between phases once the first phase has extracted their text (no later stage reads it).
    """

    read: Callable[[Shard, LimitsConfig], Iterator[Document]]
    write: Callable[[Shard, Iterable[Document], Output], None]
    cut: Callable[[InputFile, int], list[Cut]] | None = None
    byte_ranges: bool = True
    one_document: bool = False
    writes_html: bool = True


def make_document(
    doc_id: str,
    content: str,
    kind: Kind,
    source: Source,
    metadata: dict[str, Any],
    fields: tuple[str, ...],
    limits: LimitsConfig,
    edits: tuple[Edit, ...] = (),
    utf8: bytes | None = None,
) -> Document:
    """A document as read: HTML keeps its markup (nesting capped at ``limits.max_html_depth``);
    ``edits`` are what reading repaired (decoding, see :mod:`cleaner.formats.decode`). ``utf8``:
    the bytes ``content`` is the exact UTF-8 decoding of (decode.Decoded.utf8), which an HTML
    document keeps for the parser while its markup stays as read (Document.html_utf8)."""
    if kind == "html":
        from cleaner.htmlguard import limit_nesting  # here: a run of text or JSONL never needs it (0.2 ms)

        markup, flattened = limit_nesting(content, limits.max_html_depth, utf8)
        if flattened:
            edits = (*edits, Edit("html.limit_nesting", flattened))
            utf8 = None
        return Document(
            id=doc_id,
            text="",
            kind="html",
            html=markup,
            source=source,
            metadata=metadata,
            edits=edits,
            chars_in=len(content),
            fields=fields,
            html_utf8=utf8,
        )
    return Document(
        id=doc_id, text=content, source=source, metadata=metadata, edits=edits, chars_in=len(content), fields=fields
    )


def error_document(doc_id: str, source: Source, reason: Reason, message: str) -> Document:
    """A document that could not be read, rejected with an ``error.*`` reason and what to do."""
    return Document(id=doc_id, text="", source=source).reject(reason, message)


# Compiled at the first path that is not printable (re's cache), not with the module: every run
# displays its inputs' paths, and compiling this class of characters took 0.34 ms of its start.
_ODD_CHARS = r"[\x00-\x1f\x7f\x85\u2028\u2029\udc80-\udcff]"


def display_path(path: str | Path) -> str:
    r"""A path as one printable line: control characters (a newline in a file name) escaped, and
    bytes that are not UTF-8 (kept by Python as lone surrogates) shown as ``\xNN``.

    >>> display_path("in/a\nb.txt"), display_path("in/caf\udce9.txt"), display_path("plain.txt")
    ('in/a\\nb.txt', 'in/caf\\xe9.txt', 'plain.txt')
    """
    text = str(path)
    if text.isprintable() or not re.search(_ODD_CHARS, text):  # none of _ODD_CHARS is printable
        return text

    def escape(match: re.Match[str]) -> str:
        ch = match.group()
        if "\udc80" <= ch <= "\udcff":
            return f"\\x{ord(ch) - 0xDC00:02x}"
        return ch.encode("unicode_escape").decode("ascii")

    return re.sub(_ODD_CHARS, escape, text)


def os_error_message(path: Path, exc: OSError) -> str:
    """What to tell the user about a file that cannot be opened or read."""
    if path.is_symlink() and not path.exists():
        return "broken symbolic link (its target does not exist); fix the link or remove it"
    if isinstance(exc, PermissionError):
        return "permission denied; make the file readable or leave it out"
    if isinstance(exc, IsADirectoryError):
        return "is a folder; pass the folder itself, or rename it"
    return f"cannot read file ({exc.strerror or exc}); check that it exists and is readable"


def kept(docs: Iterable[Document]) -> Iterator[Document]:
    """The kept documents of ``docs``, consuming every one (sinks use it): those not rejected
    (``status == "kept"``, without the property's call for each)."""
    return (doc for doc in docs if doc.rejected is None)


class DataTooLarge(Exception):
    """Decompressed data went past ``limits.max_decompressed_bytes``."""


class LimitedReader:
    """Line iterator over a (possibly decompressed) stream that stops at the decompressed cap.

    ``remaining`` bounds the bytes read (a shard's byte range); None reads to the end. A line
    longer than ``max_line`` is not held whole: its first ``max_line + 1`` bytes are yielded (so
    the caller sees it is too long) and the rest is skipped, so memory stays bounded by
    ``max_line`` however long a line (a decompression bomb of zeros) runs; ``last_length`` is the
    whole length of the line last yielded.
    """

    def __init__(self, raw: BinaryIO, remaining: int | None, cap: int, max_line: int | None = None) -> None:
        self.raw, self.remaining, self.cap, self.total = raw, remaining, cap, 0
        self.max_line = max_line
        self.last_length = 0

    def __enter__(self) -> LimitedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()

    def _readline(self, limit: int | None) -> bytes:
        if self.remaining is not None:
            limit = self.remaining if limit is None else min(limit, self.remaining)
        line = self.raw.readline() if limit is None else self.raw.readline(limit)
        if self.remaining is not None:
            self.remaining -= len(line)
        self.total += len(line)
        if self.total > self.cap:
            raise DataTooLarge(
                f"decompressed data exceeds limits.max_decompressed_bytes={self.cap:,} "
                "(a decompression bomb?); raise the limit if the file is genuine"
            )
        return line

    def __iter__(self) -> Iterator[bytes]:
        chunk = None if self.max_line is None else self.max_line + 1
        while self.remaining is None or self.remaining > 0:
            line = self._readline(chunk)
            if not line:
                return
            self.last_length = len(line)
            if chunk is not None and len(line) == chunk and not line.endswith(b"\n"):
                while True:  # skip the rest of an over-long line, a chunk at a time
                    rest = self._readline(1 << 20)
                    self.last_length += len(rest)
                    if not rest or rest.endswith(b"\n") or (self.remaining is not None and self.remaining <= 0):
                        break
            yield line
