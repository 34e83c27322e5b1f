"""WARC in (``.warc``, ``.warc.gz``), JSONL out: one HTML document per successful response record.

Read with FastWARC (Resiliparse): a maintained C++ reader, several times faster than pure-Python
readers on multi-GB crawl files, that also undoes HTTP transfer and content encodings.

- Only ``response`` records with an HTML payload (``text/html``, ``application/xhtml+xml``) and
  an HTTP status of 2xx are documents; requests, metadata, images, redirects and error pages are
  not pages anyone wants cleaned, so they are skipped (they are not documents, so not reported).
- id = ``WARC-Record-ID`` without its angle brackets (``urn:uuid:...``); ``url`` (the
  ``WARC-Target-URI``, so site templates group pages by host) and ``date`` (``WARC-Date``) are
  kept as metadata and written to the output records: ``x.warc.gz`` becomes ``x.jsonl.gz`` with
  ``{"id", "url", "date", "text"}`` per kept page.
- ``Source.line`` is the 1-based position of the record among all records of the file.
- The charset comes from the HTTP ``Content-Type`` header, else from a ``<meta>`` tag in the
  page's first bytes, else UTF-8 when the bytes are valid UTF-8, else a detector's best guess.

>>> charset_from_meta(b'<html><head><meta charset="windows-1251"><title>')
'cp1251'
>>> charset_from_meta(b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">')
'cp1252'
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from collections.abc import Iterator
from typing import Any

from cleaner.config import LimitsConfig
from cleaner.errors import MissingExtraError
from cleaner.formats.base import FormatHandler, Shard, error_document, make_document
from cleaner.formats.decode import Decoded, decode_labelled, decode_text
from cleaner.formats.jsonl import write_jsonl
from cleaner.record import Document, Reason, Source

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# The HTML spec's prescan looks at the first 1,024 bytes for a charset declaration; real pages
# put long <script> blocks before it often enough that 4 KiB catches clearly more of them.
META_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _fastwarc() -> Any:
    try:
        import fastwarc.warc
    except ImportError as exc:
        raise MissingExtraError("fastwarc", "warc", "reading WARC files") from exc
    return fastwarc.warc


def charset_from_meta(head: bytes) -> str | None:
    """The Python codec named by a ``<meta charset>`` (or http-equiv) in the page's first bytes."""
    match = _META_CHARSET.search(head[:META_PRESCAN_BYTES])
    return _codec_name(match.group(1).decode("ascii", "replace")) if match else None


def _codec_name(label: str | None) -> str | None:
    """Python's codec for a charset label; labels browsers read as windows-1252 become cp1252."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    # WHATWG Encoding: browsers decode pages labelled ISO-8859-1 or US-ASCII as windows-1252, and
    # such pages often hold cp1252 quotes (0x80-0x9F, invisible C1 controls in latin-1).
    if name in ("iso8859-1", "latin-1", "ascii"):
        return "cp1252"
    return name.replace("-", "_")


def decode_page(payload: bytes, http_charset: str | None) -> Decoded:
    """Decode a page's bytes: HTTP charset, else ``<meta>`` charset, else UTF-8 or a guess.

    What decoding repaired (invalid bytes, NUL characters) comes back as edits, as for pages read
    from files.
    """
    for label in (http_charset, charset_from_meta(payload)):
        name = _codec_name(label)
        if name:
            return decode_labelled(payload, name)
    return decode_text(payload)


def read_warc(shard: Shard, limits: LimitsConfig) -> Iterator[Document]:
    """Yield one HTML document per 2xx HTML response record, in file order.

    ``.warc.gz`` is decompressed by Python's gzip, which raises on a truncated member, so a cut
    file ends with an error document instead of a silently shortened page.
    """
    path, rel, compressed = shard.file.path, shard.file.rel, shard.file.format.compression == "gzip"
    warc = _fastwarc()
    position = 0
    try:
        with gzip.GzipFile(path, "rb") if compressed else open(path, "rb") as stream:
            records = warc.ArchiveIterator(
                stream,
                record_types=warc.WarcRecordType.any_type,
                parse_http=True,
                auto_decode="all",  # undo chunked transfer and gzip/deflate/br content encodings
                stream_detect=False,
                fsspec_args=False,
            )
            for record in records:
                position += 1
                if record.record_type != warc.WarcRecordType.response:
                    continue
                http = record.http_headers
                if http is None or (record.http_content_type or "").lower() not in HTML_TYPES:
                    continue
                status = http.status_code
                if status is not None and not 200 <= status < 300:
                    continue
                doc_id = (record.record_id or f"{rel}:{position}").strip("<>")
                source = Source(rel, position)
                headers = record.headers
                metadata = {"id": doc_id, "url": headers.get("WARC-Target-URI"), "date": headers.get("WARC-Date")}
                length = record.content_length
                if length > limits.max_document_bytes:
                    yield error_document(
                        doc_id,
                        source,
                        Reason.ERROR_TOO_LARGE,
                        f"record payload is {length:,} bytes, above limits.max_document_bytes="
                        f"{limits.max_document_bytes:,}; raise the limit or drop the record",
                    )
                    continue
                payload = record.reader.read()
                encoded = http.get("Transfer-Encoding") or http.get("Content-Encoding")
                if not encoded and len(payload) < length:  # identity payload cut short: the file ends here
                    raise EOFError(f"record {position} has {len(payload):,} of its {length:,} payload bytes")
                try:
                    decoded = decode_page(payload, record.http_charset)
                except ValueError as exc:
                    yield error_document(doc_id, source, Reason.ERROR_DECODE, f"{exc}; the page cannot be decoded")
                    continue
                fields = ("id", "url", "date", "text")
                yield make_document(
                    doc_id, decoded.text, "html", source, metadata, fields, limits, decoded.edits, decoded.utf8
                )
    except (OSError, EOFError, zlib.error) as exc:
        where = Source(rel, position + 1)
        message = f"file is damaged or truncated ({exc}); the records before it were read"
        yield error_document(str(where), where, Reason.ERROR_READ, message)


# WARC in, JSONL out (compressed as the input was): the JSONL sink writes the kept pages.
HANDLER = FormatHandler(read=read_warc, write=write_jsonl)
