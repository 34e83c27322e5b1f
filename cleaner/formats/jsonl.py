"""JSONL in, JSONL out (``.jsonl``, ``.ndjson``, gzip or zstd compressed): one document per line.

A record's content is its ``text`` field (plain text), else its ``html`` field; its id is the
``id`` field, else ``<relative path>:<line>``. Every other field is kept as metadata and written
back in the order it came, with ``text`` cleaned. Large uncompressed files are split into byte
ranges aligned on line breaks (shards), so several processes can share one file; line numbers
stay those of the whole file.

>>> import tempfile
>>> from cleaner.formats.base import Format
>>> tmp = tempfile.TemporaryDirectory()
>>> path = Path(tmp.name) / "a.jsonl"
>>> _ = path.write_bytes(b'{"text": "one"}\\n{"text": "two"}\\n{"text": "three"}\\n')
>>> cut_jsonl(InputFile(path, "a.jsonl", Format("jsonl")), shard_bytes=20)
[(0, 32, 1), (32, 50, 3)]
>>> tmp.cleanup()
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any, BinaryIO

import orjson
from isal import igzip, igzip_lib

from cleaner.atomic import atomic_file
from cleaner.config import LimitsConfig
from cleaner.formats.base import (
    Cut,
    DataTooLarge,
    FormatHandler,
    InputFile,
    LimitedReader,
    Output,
    Shard,
    error_document,
    kept,
    make_document,
    os_error_message,
)
from cleaner.record import Document, Edit, Reason, Source, assemble_document
from cleaner.report import escape_line_breakers, plain_float

# --- shards ----------------------------------------------------------------------------------


def cut_jsonl(f: InputFile, shard_bytes: int) -> list[Cut]:
    """Line-aligned byte ranges of a large plain JSONL file; one whole-file shard otherwise.

    The cut points depend only on the file's bytes, never on the number of workers.
    """
    size = _size(f.path)
    if f.format.compression or size <= shard_bytes:
        return [(0, None, 1)]
    ranges: list[Cut] = []
    start, line = 0, 1
    with open(f.path, "rb") as fh:
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


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _count_newlines(fh: BinaryIO, length: int) -> int:
    count = 0
    while length > 0:
        chunk = fh.read(min(length, 1 << 20))
        if not chunk:
            break
        count += chunk.count(b"\n")
        length -= len(chunk)
    return count


# --- reading ---------------------------------------------------------------------------------

# What parse_record and _loads are given when the line was not read yet, or orjson refused it.
_NOT_READ, _REFUSED = object(), object()


def read_jsonl(shard: Shard, limits: LimitsConfig) -> Iterator[Document]:
    """Yield one document per non-blank line of the shard; a damaged file ends with an error.

    gzip is read by ISA-L's igzip (2.5x faster than zlib); when it fails, Python's gzip reads the
    file again from the start, skips the lines already read and goes on to its own end or error,
    so the records and the error line are those it gives (ISA-L words some errors differently
    and raises its own type for a damaged block; tests/test_readers.py checks the two agree).
    """
    f = shard.file
    try:
        stream = _open_lines(shard, limits)
    except OSError as exc:
        yield error_document(f.rel, Source(f.rel), Reason.ERROR_READ, os_error_message(f.path, exc))
        return
    line_no = shard.first_line - 1

    def records(stream: LimitedReader, skip: int) -> Iterator[Document]:
        nonlocal line_no
        rel, max_bytes = f.rel, limits.max_document_bytes
        orders: dict[tuple[str, ...], tuple[str, ...]] = {}  # the field orders of the records read
        with stream:
            for raw in stream:
                line_no += 1
                if skip:
                    skip -= 1
                elif raw[0] == 0x7B and stream.last_length <= max_bytes:  # a record's "{" first: not blank
                    # parse_record's shortcut taken here, its call left to the records the shortcut
                    # does not read (handed what orjson made of the line): read_jsonl of the Reuters
                    # bench's 20k lines 92.7 -> 85.2 ms (in process, medians of 4 alternated runs' best).
                    doc, obj = _shortcut(raw, rel, line_no, orders)
                    yield doc if doc is not None else parse_record(raw, rel, line_no, limits, stream.last_length, obj)
                elif raw[0] == 0x7B or raw.strip():  # an over-long record, or not a record's line
                    yield parse_record(raw, rel, line_no, limits, stream.last_length)

    try:
        try:
            yield from records(stream, 0)
        except (OSError, EOFError, _ISAL_ERROR):
            if f.format.compression != "gzip":
                raise
            read, line_no = line_no - (shard.first_line - 1), shard.first_line - 1
            yield from records(_open_lines(shard, limits, isal=False), read)
    except (OSError, EOFError, zlib.error, DataTooLarge) as exc:
        source = Source(f.rel, line_no + 1)
        detail = str(exc) if isinstance(exc, DataTooLarge) else f"file is damaged or truncated ({exc})"
        yield error_document(
            f"{f.rel}:{line_no + 1}", source, Reason.ERROR_READ, f"{detail}; the records before it were read"
        )


# ISA-L's error for damaged data (its type stubs declare it an instance, not a class).
_ISAL_ERROR: type[Exception] = igzip_lib.IsalError  # type: ignore[assignment]


def _open_lines(shard: Shard, limits: LimitsConfig, *, isal: bool = True) -> LimitedReader:
    f = shard.file
    if f.format.compression == "gzip":
        return LimitedReader(
            (igzip if isal else gzip).GzipFile(f.path, "rb"),
            None,
            limits.max_decompressed_bytes,
            limits.max_document_bytes,
        )
    if f.format.compression == "zstd":
        from cleaner.formats.compression import zstd_reader

        return LimitedReader(
            zstd_reader(open(f.path, "rb")), None, limits.max_decompressed_bytes, limits.max_document_bytes
        )
    fh = open(f.path, "rb")  # noqa: SIM115 - closed by LimitedReader
    fh.seek(shard.start)
    remaining = None if shard.end is None else shard.end - shard.start
    return LimitedReader(fh, remaining, limits.max_decompressed_bytes, limits.max_document_bytes)


def parse_record(
    raw: bytes, rel: str, line_no: int, limits: LimitsConfig, length: int | None = None, parsed: Any = _NOT_READ
) -> Document:
    """The document of one JSONL line (an error document when the line is not a usable record).

    ``length`` is the whole line's length when ``raw`` is only its start (a reader that does not
    hold over-long lines); ``parsed`` what ``orjson.loads(raw)`` gave (``_REFUSED`` where it
    refused the line) when the caller read it already. A lone surrogate escape (``"\\ud83d"``,
    half an emoji cut by a truncating writer) cannot be written as UTF-8: it becomes U+FFFD, in
    the text, the id and the metadata alike, recorded as a ``decode.lone_surrogate`` edit; the
    record is kept.
    """
    source = Source(rel, line_no)
    length = len(raw) if length is None else length
    if length > limits.max_document_bytes:
        return error_document(
            f"{rel}:{line_no}",
            source,
            Reason.ERROR_TOO_LARGE,
            f"line is {length:,} bytes, above limits.max_document_bytes={limits.max_document_bytes:,}; "
            "raise the limit or drop the record",
        )
    if parsed is _NOT_READ:
        plain, parsed = _shortcut(raw, rel, line_no)
        if plain is not None:
            return plain
    try:
        obj = _loads(raw, parsed)
    except (UnicodeDecodeError, ValueError) as exc:
        return error_document(
            f"{rel}:{line_no}", source, Reason.ERROR_FORMAT, f"line is not valid JSON ({exc}); fix or remove it"
        )
    except RecursionError:
        obj = _TOO_DEEP
    # A flat record (most: no list or object among its values) is one level deep; that look at
    # its values' types costs a seventh of the two scans of the line for brackets.
    if obj is _TOO_DEEP or (not _flat(obj) and raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _too_deep(obj)):
        return error_document(
            f"{rel}:{line_no}",
            source,
            Reason.ERROR_FORMAT,
            f"line nests JSON arrays or objects more than {MAX_JSON_DEPTH} levels deep; flatten or remove it",
        )
    edits: tuple[Edit, ...] = ()
    if _ESCAPED_SURROGATE.search(raw):
        obj, repaired = _replace_lone_surrogates(obj)
        if repaired:
            edits = (Edit("decode.lone_surrogate", repaired),)
    if not isinstance(obj, dict):
        return error_document(
            f"{rel}:{line_no}",
            source,
            Reason.ERROR_FORMAT,
            f"line is a JSON {type(obj).__name__}, not an object; each line must be an object with a text field",
        )
    raw_id = obj.get("id")
    doc_id = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else f"{rel}:{line_no}"
    text, html = obj.get("text"), obj.get("html")
    metadata = {k: v for k, v in obj.items() if k not in ("text", "html")}
    fields = tuple(obj)
    if isinstance(text, str):
        return make_document(doc_id, text, "text", source, metadata, fields, limits, edits)
    if isinstance(html, str):
        return make_document(doc_id, html, "html", source, metadata, fields, limits, edits)
    if "text" not in obj and "html" in obj:
        field, value = "html", html
    else:
        field, value = "text", text
    what = "missing" if field not in obj else "null" if value is None else f"a JSON {type(value).__name__}"
    return error_document(
        doc_id,
        source,
        Reason.ERROR_FORMAT,
        f"the {field} field is {what}; each record needs a string 'text' (plain text) or 'html' field",
    )


def _shortcut(
    raw: bytes, rel: str, line_no: int, orders: dict[tuple[str, ...], tuple[str, ...]] | None = None
) -> tuple[Document | None, Any]:
    """The common record's document (:func:`_plain_document`), or None, and what orjson made of
    the line (``_REFUSED`` where it refused it) for parse_record."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, _REFUSED
    return (_plain_document(obj, rel, line_no, orders) if type(obj) is dict else None), obj


def _plain_document(
    obj: dict[str, Any], rel: str, line_no: int, orders: dict[tuple[str, ...], tuple[str, ...]] | None = None
) -> Document | None:
    """The document of the common record, as orjson read it (``obj``, taken over as the
    metadata): an object of strings, numbers, booleans and nulls with a string text. It needs
    none of parse_record's checks (they were two fifths of reading a record on the Reuters
    bench): no nesting, no float standing for an integer orjson could not hold (:func:`_plain`),
    and no lone surrogate to repair, since orjson refuses those (a pair it reads as the
    character, as the repair does). None for any other record. ``orders``, when given, keeps
    each field order's tuple between calls: the records of one order share it, so a spilled
    batch of them pickles it once (loading the Reuters bench's spill: 34 -> 32 ms, in process)
    and the writer finds its layout by identity."""
    text = obj.get("text")
    if type(text) is not str or not _plain(obj):
        return None
    source = Source(rel, line_no)
    raw_id = obj.get("id")
    doc_id = raw_id if type(raw_id) is str else str(raw_id) if type(raw_id) is int else str(source)
    fields = tuple(obj)
    if orders is not None:  # records whose fields never repeat do not grow it
        fields = orders.setdefault(fields, fields) if len(orders) < MAX_NAMES else orders.get(fields, fields)
    del obj["text"]
    obj.pop("html", None)
    # make_document's text document, made here with its fields by position: a keyword call
    # through make_document cost about 1 us more a record, and the constructor's checks 1 us
    # more than assemble_document (the values are of the types they check; tests/test_jsonl_json.py
    # checks the document equals the checked path's).
    return assemble_document(
        doc_id, text, "text", None, source, obj, (), (), None, None, (), len(text), fields, {}, None
    )


def _plain(obj: dict[str, Any]) -> bool:
    """Whether orjson's reading of a record needs none of parse_record's checks: only strings,
    numbers, booleans and nulls, and no float of 2**63 or more in size.

    >>> _plain({"id": 1, "text": "a", "rate": 0.5}), _plain({"n": 1e19}), _plain({"tags": []})
    (True, False, False)
    """
    # One look at each value's type (the types of _SCALARS in turn), not a set of the types
    # and then a loop for the floats: 2.6 -> 0.5 us a Reuters record (four values, one a float).
    for value in obj.values():
        kind = type(value)
        if (kind is not str and kind is not _NONE and kind is not int and kind is not bool) and (
            kind is not float or not -_HUGE < value < _HUGE
        ):
            return False
    return True


def _loads(raw: bytes, value: Any = _NOT_READ) -> Any:
    """``json.loads(raw)``, by orjson (3x faster: reading was 5% of a dedup-only run) where it
    gives the same value. orjson reads an integer beyond 64 bits as a float (at least 2**63 in
    size), so a value holding a float that large is read again by json.loads; json.loads also
    decides whatever orjson refuses (NaN, 1e400, lone surrogate escapes, a byte-order mark,
    UTF-16, invalid JSON: its error message is the one reported).
    tests/test_jsonl_json.py compares the two on generated lines.
    """
    if value is _NOT_READ:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return json.loads(raw)
    elif value is _REFUSED:
        return json.loads(raw)
    return json.loads(raw) if _holds_huge_float(value) else value


def _holds_huge_float(value: Any) -> bool:
    """Whether a float of size 2**63 or more is anywhere in ``value`` (iterative: depth is no problem)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif type(item) is float and not -_HUGE < item < _HUGE:  # NaN cannot come from orjson
            return True
    return False


_HUGE = float(2**63)


# The types of a flat record's values (nothing nested).
_SCALARS = frozenset((str, int, float, bool, type(None)))
_NONE = type(None)


def _flat(value: Any) -> bool:
    """Whether ``value`` is a dict of strings, numbers, booleans and nulls only (one C-level pass).

    >>> _flat({"id": 1, "text": "a", "rate": 0.5}), _flat({"tags": []}), _flat([1])
    (True, False, False)
    """
    return type(value) is dict and _SCALARS.issuperset(map(type, value.values()))


# Records are pickled, copied and written back; Python does each recursively, so a record nested
# near the interpreter's limit (1,000) would fail later, outside the reader. Real records nest a few levels.
MAX_JSON_DEPTH = 200
_TOO_DEEP = object()


def _too_deep(obj: Any) -> bool:
    """Whether ``obj`` nests lists and dicts more than MAX_JSON_DEPTH levels (iterative)."""
    stack = [(obj, 1)] if isinstance(obj, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


# A surrogate can only come from a \\uD800-\\uDFFF escape; lines without one skip the repair.
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
# Compiled at the first line that has one (re's cache), not with the module (0.28 ms of a start).
_LONE_SURROGATE = "(?<![\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])"


def _replace_lone_surrogates(obj: Any) -> tuple[Any, int]:
    """``obj`` with every lone surrogate in its strings (keys too) replaced by U+FFFD, and how
    many were replaced; pairs are joined into the character they encode. Iterative: depth is no
    problem here."""
    count = 0

    def fix(value: str) -> str:
        nonlocal count
        if not any("\ud800" <= ch <= "\udfff" for ch in value):
            return value
        fixed, n = re.subn(_LONE_SURROGATE, "\ufffd", value)
        count += n
        return fixed.encode("utf-16", "surrogatepass").decode("utf-16")

    def copy(value: Any) -> Any:
        if isinstance(value, str):
            return fix(value)
        if isinstance(value, dict):
            return {}
        if isinstance(value, list):
            return [None] * len(value)
        return value

    root = copy(obj)
    stack = [(obj, root)]
    while stack:
        src, dst = stack.pop()
        if isinstance(src, dict):
            for key, value in src.items():
                dst[fix(key)] = child = copy(value)
                if isinstance(value, dict | list):
                    stack.append((value, child))
        elif isinstance(src, list):
            for i, value in enumerate(src):
                dst[i] = child = copy(value)
                if isinstance(value, dict | list):
                    stack.append((value, child))
    return root, count


# --- writing ---------------------------------------------------------------------------------

# Measured and left (issue 14, dedup15; Reuters bench, in process): a kept record whose text did not
# change could be written as its input line, but only where that line is already in this form, and
# telling so costs the same encoding (orjson of every value, ~1.5 us of the ~2.5 us a line), while
# carrying the line's bytes through the spill between phases doubles what is pickled; one orjson
# call per record with OPT_INDENT_2 and its separators rewritten: the same 2.5-3.5 us a line.
# (dedup20: OPT_INDENT_2 on the record's dict was 1.4x slower than jsonl_line here; the sink writes
# the common record by its field order's layout instead, see _layout.)


def jsonl_line(doc: Document, names: dict[str, bytes] | None = None) -> bytes:
    r"""The output record of a kept JSONL document: its fields as they came, ``text`` cleaned.

    The bytes of ``record.json_line(record)`` in UTF-8 (``json.dumps`` with its default
    separators, no ASCII escaping, line breakers escaped), put together field by field: orjson
    writes a name and a string, integer or plain float as json.dumps does, 2-3x faster with the
    encoding to UTF-8 (the output lines were 6% of a dedup-only run), and json.dumps writes what
    orjson would write otherwise (nested values, floats, what orjson refuses).
    tests/test_writers.py checks that it writes json_line's bytes. ``names``, when given, keeps
    each field name's ``"name": `` bytes between calls (a writer's records repeat their names:
    half the encoder calls of a line).

    >>> jsonl_line(Document(id="a", text="b\u2028", fields=("id", "n", "text"), metadata={"id": "a", "n": [1e-05]}))
    b'{"id": "a", "n": [1e-05], "text": "b\\u2028"}\n'
    """
    if names is None:
        names = {}
    # One flat list of pieces joined once (a name's bytes, its value's, a separator): joining
    # each field's pair first, then the fields, then the braces copied a line's text three times
    # more (the lines took 0.12 -> 0.107 CPU-s on the Reuters bench's 20k records, in process).
    parts: list[bytes] = []
    metadata = doc.metadata
    for name in doc.fields or (*metadata.keys(), "text"):
        if name == "text":
            value: Any = doc.text
        elif name == "html":
            value = doc.html
        else:
            value = metadata.get(name)
        prefix = names.get(name)
        if prefix is None:
            prefix = _json_bytes(name) + b": "
            if len(names) < MAX_NAMES:  # records whose names never repeat do not grow it
                names[name] = prefix
        parts += (prefix, _json_bytes(value), b", ")
    if "text" not in doc.fields and doc.fields:  # records that came with html only get their text added
        parts += (b'"text": ', _json_bytes(doc.text), b", ")
    if not parts:
        return b"{}\n"
    parts[-1] = b"}\n"  # the last separator
    return escape_line_breakers(b"{" + b"".join(parts))


# Field names a writer keeps the bytes of (see jsonl_line).
MAX_NAMES = 1024


def _json_bytes(value: Any) -> bytes:
    """``json.dumps(value, ensure_ascii=False)`` in UTF-8; by orjson for the types where its bytes are those."""
    if value is None:  # the commonest value after strings in records (a third of this call's cost)
        return b"null"
    kind = type(value)
    if kind is str or kind is int or kind is bool or (kind is float and plain_float(value)):
        try:
            return orjson.dumps(value)
        except TypeError:  # orjson.JSONEncodeError: an int beyond 64 bits, a lone surrogate
            pass
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


# A layout writes the line of a record of one field order from its metadata and text, or gives
# None when it cannot (see _layout); jsonl_line then writes it.
_Layout = Callable[[Mapping[str, Any], str], "bytes | None"]
_NO_LAYOUT: Any = object()


def _layout(fields: tuple[str, ...], codes: dict[tuple[int, int], CodeType]) -> _Layout | None:
    """The writer of ``jsonl_line``'s bytes for the common record whose fields are ``fields``
    (a text, none named ``html``, no name twice; else None): a function of the metadata and the
    text that fills a template of the names with orjson's bytes of each value, a function made
    for the field order, where jsonl_line puts a line together name by name (the lines took 121
    -> 99 ms for the Reuters bench's 20k records, in process). It gives None for a record it
    does not write as jsonl_line does: a value of its fields other than a str, int, bool,
    None or plain float, a field the metadata lacks, what orjson refuses (an int beyond 64
    bits, a lone surrogate). tests/test_jsonl_json.py checks its lines are jsonl_line's. Its code depends only
    on how many fields there are and where the text is: ``codes`` keeps it compiled by that
    shape between a writer's calls (compiling took 0.9 ms, making the function from it a few us).

    >>> _layout(("id", "text", "n%"), {})({"id": "a", "n%": 1.5}, "t")
    b'{"id": "a", "text": "t", "n%": 1.5}\\n'
    >>> _layout(("id", "text"), {})({"id": ["a"]}, "t") is None, _layout(("id", "html"), {}) is None
    (True, True)
    """
    if "text" not in fields or "html" in fields or len(set(fields)) != len(fields):
        return None
    at = fields.index("text")
    code = codes.get((len(fields), at))
    if code is None:
        named = [i for i in range(len(fields)) if i != at]
        reads = "".join(f"\n        _v{i} = metadata[_name{i}]" for i in named) or "\n        pass"
        plain = " and ".join(f"(type(_v{i}) in _simple or type(_v{i}) is float and _plain_float(_v{i}))" for i in named)
        values = ", ".join("_dumps(text)" if i == at else f"_dumps(_v{i})" for i in range(len(fields)))
        source = _LAYOUT_CODE.format(reads=reads, plain=plain or "True", values=values)
        module = compile(source, "<jsonl layout>", "exec")
        code = codes[len(fields), at] = next(c for c in module.co_consts if isinstance(c, CodeType))
    template = b", ".join(_json_bytes(name).replace(b"%", b"%%") + b": %b" for name in fields)
    env: dict[str, Any] = {"_dumps": orjson.dumps, "_escape": escape_line_breakers, "_plain_float": plain_float}
    env |= {"_simple": _SIMPLE, "_template": b"{" + template + b"}\n"}
    env |= {f"_name{i}": name for i, name in enumerate(fields)}  # names as values, never as code
    layout: _Layout = FunctionType(code, env)
    return layout


# The layout's code for a field order's shape: each value the line writes taken once and its
# type looked at in a test of its own, not a loop over the metadata's values. With the ASCII test
# below and _write_lines's look-up by identity: _write_lines of the Reuters bench's 20k records
# 49.5 -> 45.2 ms (in process, medians of 4 alternated runs' best of 21).
_LAYOUT_CODE = """def layout(metadata, text):
    try:{reads}
    except KeyError:  # a field the metadata lacks
        return None
    if not ({plain}):  # nothing but a str, None, int or bool, or a float where plain_float
        return None
    try:
        line = _template % ({values},)
    except TypeError:  # orjson.JSONEncodeError
        return None
    return line if line.isascii() else _escape(line)  # escape_line_breakers's first test, not its call
"""
# The types whose values orjson writes as json.dumps does (but for what it refuses).
_SIMPLE = frozenset((str, int, bool, _NONE))


def write_jsonl(shard: Shard, docs: Iterable[Document], out: Output) -> None:
    """Write the kept records: to the output file (compressed as the input was), or, for one
    part of a split file (always uncompressed), to its byte part for the runner to join."""
    if out.parts:  # whole or not at all, as every output: a task run again never truncates it
        with atomic_file(_part(out, shard)) as fh:
            _write_lines(docs, fh.write)
        return
    compression = shard.file.format.compression
    with atomic_file(out.path, compress=compression == "gzip") as fh:
        if compression == "zstd":
            from cleaner.formats.compression import zstd_writer

            with zstd_writer(fh) as zfh:
                _write_lines(docs, zfh.write)
        else:
            _write_lines(docs, fh.write)


def _part(out: Output, shard: Shard) -> Path:
    path = out.parts[shard.part]
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# Lines are handed to the file (and its compressor) about this many bytes at a time: a write per
# line cost more than ISA-L's compression of it (0.08 against 0.06 s for 18 MB of Reuters lines).
WRITE_CHUNK = 1 << 20


def _write_lines(docs: Iterable[Document], write: Callable[[bytes], object]) -> None:
    lines: list[bytes] = []
    size = 0
    names: dict[str, bytes] = {}  # field names' bytes, shared by the lines of this file
    layouts: dict[tuple[str, ...], _Layout | None] = {}  # and the layouts of its records' fields
    codes: dict[tuple[int, int], CodeType] = {}  # and their code
    last: tuple[str, ...] | None = None  # the fields of the record before, and their layout
    layout: _Layout | None = None
    for doc in kept(docs):
        fields = doc.fields
        if fields is not last:  # a reader's records of one field order share their fields
            layout = layouts.get(fields, _NO_LAYOUT)
            if layout is _NO_LAYOUT:
                layout = None
                if len(layouts) < MAX_NAMES:  # records whose fields never repeat do not grow it
                    layout = layouts[fields] = _layout(fields, codes)
            last = fields
        line = None if layout is None else layout(doc.metadata, doc.text)
        if line is None:
            line = jsonl_line(doc, names)
        lines.append(line)
        size += len(line)
        if size >= WRITE_CHUNK:
            write(b"".join(lines))
            lines, size = [], 0
    if lines:
        write(b"".join(lines))


HANDLER = FormatHandler(read=read_jsonl, write=write_jsonl, cut=cut_jsonl)
