"""Turn folders and files into Documents with stable ids, in a deterministic order.

Inputs are walked recursively in sorted order; each file's format comes from its name:

=====================  ==========================================================
``.txt``, ``.text``    one plain-text document; id = path relative to its input root
``.html``, ``.htm``    one HTML document; id = relative path
``.jsonl(.gz)``        one document per line: ``text`` (plain text) or ``html`` field;
                       id = the ``id`` field, else ``<relative path>:<line>``
=====================  ==========================================================

Large uncompressed JSONL files are split into byte ranges aligned on line breaks (shards), so
several processes can share one file; line numbers stay those of the whole file.

A file or record that cannot be read becomes a document rejected with an ``error.*`` reason and a
message that says what to do, so the run goes on and the report still lists it.

>>> fmt = detect_format(Path("crawl/a.jsonl.gz"))
>>> fmt.name, fmt.compression
('jsonl', 'gzip')
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cleaner.config import LimitsConfig
from cleaner.errors import UsageError
from cleaner.htmlguard import limit_nesting
from cleaner.record import Document, Edit, Kind, Reason, Source

# Splitting a JSONL file only pays off when each part still has plenty of work: 32 MiB is about
# 30,000 news articles, well above the per-task overhead of a process pool.
SHARD_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # "text" | "html" | "jsonl" | "parquet" | "warc"
    compression: str | None = None  # None | "gzip" | "zstd"


_SUFFIXES: tuple[tuple[str, Format], ...] = (
    (".jsonl.gz", Format("jsonl", "gzip")),
    (".ndjson.gz", Format("jsonl", "gzip")),
    (".jsonl.zst", Format("jsonl", "zstd")),
    (".ndjson.zst", Format("jsonl", "zstd")),
    (".parquet", Format("parquet")),
    (".warc.gz", Format("warc", "gzip")),
    (".warc", Format("warc")),
    (".jsonl", Format("jsonl")),
    (".ndjson", Format("jsonl")),
    (".txt", Format("text")),
    (".text", Format("text")),
    (".html", Format("html")),
    (".htm", Format("html")),
    (".xhtml", Format("html")),
)


def detect_format(path: Path) -> Format | None:
    """The format of a file from its name, or None when cleaner does not read it."""
    name = path.name.lower()
    for suffix, fmt in _SUFFIXES:
        if name.endswith(suffix):
            return fmt
    return None


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input file: where it is, and its path relative to the input root (posix form)."""

    path: Path
    rel: str
    format: Format


@dataclass(frozen=True, slots=True)
class Shard:
    """A unit of work: a whole file, or a byte range of a large JSONL file.

    ``first_line`` is the 1-based line number of the range's first line in the whole file.
    """

    index: int
    file: InputFile
    start: int = 0
    end: int | None = None
    first_line: int = 1
    part: int = 0  # which part of a split file (0 for whole files)
    parts: int = 1


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
                        "unknown file type; cleaner reads .txt, .html, .htm, .jsonl(.gz, .zst), .parquet "
                        "and .warc(.gz) (rename the file or convert it)",
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
    """Cut the inputs into shards: whole files, and line-aligned byte ranges of large plain JSONL.

    The cut points depend only on the file's bytes, never on the number of workers.
    """
    shards: list[Shard] = []
    for f in files:
        if f.format.name == "parquet":  # row-group ranges: start/end are row groups, first_line a row
            from cleaner.formats.parquet import parquet_shards

            groups = parquet_shards(f.path, shard_bytes)
            for part, (start, end, first_row) in enumerate(groups):
                shards.append(Shard(len(shards), f, start, end, first_row, part, len(groups)))
            continue
        size = _size(f.path)
        if f.format.name != "jsonl" or f.format.compression or size <= shard_bytes:
            shards.append(Shard(len(shards), f))
            continue
        ranges = _line_aligned_ranges(f.path, size, shard_bytes)
        for part, (start, end, first_line) in enumerate(ranges):
            shards.append(Shard(len(shards), f, start, end, first_line, part, len(ranges)))
    return shards


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _line_aligned_ranges(path: Path, size: int, shard_bytes: int) -> list[tuple[int, int, int]]:
    ranges: list[tuple[int, int, int]] = []
    start, line = 0, 1
    with open(path, "rb") as fh:
        while start < size:
            target = min(start + shard_bytes, size)
            fh.seek(target)
            fh.readline()  # move to the end of the line that straddles the target
            end = min(fh.tell(), size) if target < size else size
            fh.seek(start)
            newlines = _count_newlines(fh, end - start)
            ranges.append((start, end, line))
            start, line = end, line + newlines
    return ranges


def _count_newlines(fh: BinaryIO, length: int) -> int:
    count = 0
    while length > 0:
        chunk = fh.read(min(length, 1 << 20))
        if not chunk:
            break
        count += chunk.count(b"\n")
        length -= len(chunk)
    return count


# --- decoding ------------------------------------------------------------------------------


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes: UTF-8 (BOM removed) when valid, else the best guess of a detector.

    Returns the text and the encoding used. Raises ValueError for data that is not text.

    >>> decode_bytes("café".encode("cp1252"))[0]
    'café'
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace").lstrip("\ufeff"), enc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    else:
        if "\x00" in text:
            raise ValueError("contains NUL bytes: looks binary, not text")
        return text, "utf-8"
    if b"\x00" in data[:4096]:
        raise ValueError("contains NUL bytes: looks binary, not text")
    guess = _guess_encoding(data)
    if guess is None:
        raise ValueError("not text in any known encoding (binary file?)")
    return data.decode(guess, errors="replace"), guess


# Without a BOM, UTF-16/32 guesses on short 8-bit text are nearly always wrong.
_NEVER_GUESS = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le", "utf_7"]
# Among encodings the detector finds equally plausible, prefer the ones most common on the web
# (the detector alone reads short cp1252 text as cp1250 or cp1006). Re-check with
# tests/test_readers.py::test_text_files_decode_utf8_bom_utf16_and_cp1252 before reordering.
_WEB_PRIOR = (
    "cp1252", "latin_1", "cp1251", "cp932", "shift_jis", "gb18030", "gbk", "gb2312", "euc_kr", "cp949",
    "cp1250", "iso8859_2", "big5", "cp1253", "cp1254", "cp1255", "cp1256", "koi8_r", "euc_jp",
    "iso8859_15", "cp1257", "tis_620", "cp874",
)  # fmt: skip


# On short Western European text the detector often prefers another Latin code page (cp1257 for
# French). When cp1252 decodes the bytes to ordinary Western letters and punctuation only, it is
# by far the likelier one on the web. Letters that collide with Turkish, Icelandic and Baltic
# code pages (ð þ ý and their capitals) are not "ordinary", so those texts keep the detector's guess.
_LATIN_FAMILY = ("cp125", "iso8859", "mac_", "latin", "cp85", "cp775")
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜßàáâãäåæçèéêëìíîïñòóôõöøùúûüÿŒœŠšŽžŸ"
    "\u201c\u201d\u2018\u2019\u2013\u2014\u2026\u20ac\u00ab\u00bb\u00b0\u00a9\u00ae\u00b7\u2022\u00a0\u00a3\u00a7"
)


def _reads_as_western(data: bytes) -> bool:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return all(ch in _WESTERN for ch in text if ord(ch) > 127)


def _guess_encoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    results = list(from_bytes(data, cp_exclusion=_NEVER_GUESS))
    if not results:
        return None
    least = min(r.chaos for r in results)
    plausible = [r for r in results if r.chaos <= least + 0.02]

    def prior(r: Any) -> int:
        ranks = [_WEB_PRIOR.index(n) for n in (r.encoding, *r.could_be_from_charset) if n in _WEB_PRIOR]
        return min(ranks, default=len(_WEB_PRIOR))

    best = min(plausible, key=lambda r: (prior(r), -r.coherence))
    name = best.encoding
    if name != "cp1252" and name.startswith(_LATIN_FAMILY) and _reads_as_western(data):
        return "cp1252"
    if name not in _WEB_PRIOR and prior(best) < len(_WEB_PRIOR):
        name = next(n for n in best.could_be_from_charset if n in _WEB_PRIOR)
    return str(name)


# --- reading ---------------------------------------------------------------------------------


def read_shard(shard: Shard, limits: LimitsConfig | None = None) -> Iterator[Document]:
    """Yield the documents of one shard, in file order; unreadable parts become error documents."""
    limits = limits or LimitsConfig()
    f = shard.file
    if f.format.name == "jsonl":
        yield from _read_jsonl(shard, limits)
        return
    if f.format.name == "parquet":
        from cleaner.formats.parquet import read_parquet

        groups = None if shard.end is None else (shard.start, shard.end)
        yield from read_parquet(f.path, f.rel, limits, groups, shard.first_line)
        return
    if f.format.name == "warc":
        from cleaner.formats.warc import read_warc

        yield from read_warc(f.path, f.rel, limits, f.format.compression == "gzip")
        return
    source = Source(f.rel)
    try:
        size = f.path.stat().st_size
        if size > limits.max_document_bytes:
            yield _error(
                f.rel,
                source,
                Reason.ERROR_TOO_LARGE,
                f"file is {size:,} bytes, above limits.max_document_bytes={limits.max_document_bytes:,}; "
                "raise the limit or split the file",
            )
            return
        data = f.path.read_bytes()
    except OSError as exc:
        yield _error(f.rel, source, Reason.ERROR_READ, _os_error_message(f.path, exc))
        return
    try:
        text, _encoding = decode_bytes(data)
    except ValueError as exc:
        yield _error(f.rel, source, Reason.ERROR_DECODE, f"{exc}; remove it from the input or fix its encoding")
        return
    kind: Kind = "html" if f.format.name == "html" else "text"
    yield _document(f.rel, text, kind, source, {}, (), limits)


def _os_error_message(path: Path, exc: OSError) -> str:
    if path.is_symlink() and not path.exists():
        return "broken symbolic link (its target does not exist); fix the link or remove it"
    if isinstance(exc, PermissionError):
        return "permission denied; make the file readable or leave it out"
    if isinstance(exc, IsADirectoryError):
        return "is a folder; pass the folder itself, or rename it"
    return f"cannot read file ({exc.strerror or exc}); check that it exists and is readable"


def _document(
    doc_id: str,
    content: str,
    kind: Kind,
    source: Source,
    metadata: dict[str, Any],
    fields: tuple[str, ...],
    limits: LimitsConfig,
) -> Document:
    if kind == "html":
        markup, flattened = limit_nesting(content, limits.max_html_depth)
        edits = (Edit("html.limit_nesting", flattened),) if flattened else ()
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
        )
    return Document(id=doc_id, text=content, source=source, metadata=metadata, chars_in=len(content), fields=fields)


def _error(doc_id: str, source: Source, reason: Reason, message: str) -> Document:
    return Document(id=doc_id, text="", source=source).reject(reason, message)


def _read_jsonl(shard: Shard, limits: LimitsConfig) -> Iterator[Document]:
    f = shard.file
    try:
        stream = _open_binary(shard, limits)
    except OSError as exc:
        yield _error(f.rel, Source(f.rel), Reason.ERROR_READ, _os_error_message(f.path, exc))
        return
    line_no = shard.first_line - 1
    try:
        with stream:
            for raw in stream:
                line_no += 1
                if not raw.strip():
                    continue
                yield _parse_record(raw, f.rel, line_no, limits)
    except (OSError, EOFError, zlib.error, _TooLarge) as exc:
        source = Source(f.rel, line_no + 1)
        detail = str(exc) if isinstance(exc, _TooLarge) else f"file is damaged or truncated ({exc})"
        yield _error(f"{f.rel}:{line_no + 1}", source, Reason.ERROR_READ, f"{detail}; the records before it were read")


class _TooLarge(Exception):
    pass


class _LimitedReader:
    """Line iterator over a (possibly decompressed) stream that stops at the decompressed cap."""

    def __init__(self, raw: BinaryIO, remaining: int | None, cap: int) -> None:
        self.raw, self.remaining, self.cap, self.total = raw, remaining, cap, 0

    def __enter__(self) -> _LimitedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()

    def __iter__(self) -> Iterator[bytes]:
        while self.remaining is None or self.remaining > 0:
            line = self.raw.readline() if self.remaining is None else self.raw.readline(self.remaining)
            if not line:
                return
            if self.remaining is not None:
                self.remaining -= len(line)
            self.total += len(line)
            if self.total > self.cap:
                raise _TooLarge(
                    f"decompressed data exceeds limits.max_decompressed_bytes={self.cap:,} "
                    "(a decompression bomb?); raise the limit if the file is genuine"
                )
            yield line


def _open_binary(shard: Shard, limits: LimitsConfig) -> _LimitedReader:
    f = shard.file
    if f.format.compression == "gzip":
        return _LimitedReader(gzip.GzipFile(f.path, "rb"), None, limits.max_decompressed_bytes)  # type: ignore[arg-type]
    if f.format.compression == "zstd":
        from cleaner.formats.compression import zstd_reader

        return _LimitedReader(zstd_reader(open(f.path, "rb")), None, limits.max_decompressed_bytes)
    fh = open(f.path, "rb")  # noqa: SIM115 - closed by _LimitedReader
    fh.seek(shard.start)
    remaining = None if shard.end is None else shard.end - shard.start
    return _LimitedReader(fh, remaining, limits.max_decompressed_bytes)


def _parse_record(raw: bytes, rel: str, line_no: int, limits: LimitsConfig) -> Document:
    source = Source(rel, line_no)
    fallback_id = f"{rel}:{line_no}"
    if len(raw) > limits.max_document_bytes:
        return _error(
            fallback_id,
            source,
            Reason.ERROR_TOO_LARGE,
            f"line is {len(raw):,} bytes, above limits.max_document_bytes={limits.max_document_bytes:,}; "
            "raise the limit or drop the record",
        )
    try:
        obj = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        return _error(fallback_id, source, Reason.ERROR_FORMAT, f"line is not valid JSON ({exc}); fix or remove it")
    if not isinstance(obj, dict):
        return _error(
            fallback_id,
            source,
            Reason.ERROR_FORMAT,
            f"line is a JSON {type(obj).__name__}, not an object; each line must be an object with a text field",
        )
    raw_id = obj.get("id")
    doc_id = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else fallback_id
    text, html = obj.get("text"), obj.get("html")
    metadata = {k: v for k, v in obj.items() if k not in ("text", "html")}
    fields = tuple(obj)
    if isinstance(text, str):
        return _document(doc_id, text, "text", source, metadata, fields, limits)
    if isinstance(html, str):
        return _document(doc_id, html, "html", source, metadata, fields, limits)
    if "text" not in obj and "html" in obj:
        field, value = "html", html
    else:
        field, value = "text", text
    what = "missing" if field not in obj else "null" if value is None else f"a JSON {type(value).__name__}"
    return _error(
        doc_id,
        source,
        Reason.ERROR_FORMAT,
        f"the {field} field is {what}; each record needs a string 'text' (plain text) or 'html' field",
    )
