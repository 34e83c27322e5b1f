"""JSONL lines read and written through orjson where it gives what the json module gives.

The reader parses a line with orjson unless json.loads would give another value, and the writer
puts a record together from orjson's bytes where they are json.dumps's: both are compared here
with the json module on generated values (floats orjson writes otherwise, integers beyond 64 bits,
escapes, line breakers, lone surrogates, nesting).
"""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.config import LimitsConfig
from cleaner.formats import jsonl
from cleaner.formats.base import Format, InputFile, Shard
from cleaner.formats.jsonl import _loads, jsonl_line, parse_record
from cleaner.record import Document, json_line
from cleaner.report import plain_float

# Field values of every kind a JSONL record carries: floats orjson writes otherwise (tiny, huge,
# NaN), integers beyond 64 bits, strings with escapes, line breakers and lone surrogates, nesting.
_texts = st.text(alphabet=st.one_of(st.characters(), st.sampled_from('"\\\x00\x1f\x7f\x85\u2028\u2029\ud800')))
_scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-4, 9.99e-5, 1e16, 9999999999999998.0, 0.1]),
    st.integers(),
    st.integers(min_value=2**63),
    st.booleans(),
    st.none(),
    _texts,
)
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner), max_leaves=6
)


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(st.text(min_size=1).filter(lambda k: k not in ("text", "html")), _values, max_size=4),
    text=_texts,
    with_text=st.booleans(),
)
def test_jsonl_line_writes_json_line_bytes(fields: dict[str, object], text: str, with_text: bool) -> None:
    """The orjson path writes exactly what record.json_line writes for the same record (or fails alike)."""
    names = (*fields, "text") if with_text else tuple(fields)
    doc = Document(id="x", text=text, fields=names, metadata=fields)
    record = {name: text if name == "text" else fields[name] for name in names}
    record.setdefault("text", text)
    try:
        expected = json_line(record).encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            jsonl_line(doc)
        return
    assert jsonl_line(doc) == expected


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(st.text(min_size=1).filter(lambda k: k not in ("text", "html")), _values, max_size=4),
    text=_texts,
    at=st.integers(0, 4),
    lacking=st.booleans(),
)
def test_layout_writes_jsonl_line_bytes(fields: dict[str, object], text: str, at: int, lacking: bool) -> None:
    """A writer's layout of a field order writes jsonl_line's bytes, or leaves the record to it
    (None); a record of strings, small integers, booleans, nulls and plain floats it writes."""
    names = list(fields)
    names.insert(min(at, len(names)), "text")
    metadata = dict(list(fields.items())[1:]) if lacking and fields else fields  # one field missing
    doc = Document(id="x", text=text, fields=tuple(names), metadata=metadata)
    layout = jsonl._layout(tuple(names), {})
    assert layout is not None
    line = layout(metadata, text)
    if line is not None:
        assert line == jsonl_line(doc)
    small = (str, bool, type(None))
    plain = all(
        type(v) in small or (type(v) is int and abs(v) < 2**63) or (type(v) is float and plain_float(v))
        for v in metadata.values()
    )
    # A lone surrogate anywhere (orjson refuses every one, not only the "\ud800" _texts favours).
    surrogate = any(
        "\ud800" <= char <= "\udfff" for v in (text, *metadata.values(), *names) if isinstance(v, str) for char in v
    )
    if plain and not surrogate and metadata is fields:
        assert line is not None


def test_lines_written_by_layouts_and_by_jsonl_line_are_one_file() -> None:
    """The sink writes each record by its layout or by jsonl_line: the lines of a file whose
    records change field order, miss a field or hold what a layout leaves, are jsonl_line's."""
    docs = [
        Document(id="a", text="one", fields=("id", "text", "n"), metadata={"id": "a", "n": 1}),
        Document(id="b", text="two", fields=("id", "text", "n"), metadata={"id": "b"}),
        Document(id="c", text="3", fields=("text", "id"), metadata={"id": "c", "n": [1, 2]}),
        Document(id="d", text="4", fields=("id", "text", "n"), metadata={"id": "d", "n": 1e-05}),
        Document(id="e", text="5", fields=("id", "html"), metadata={"id": "e"}, kind="html", html="<p>5</p>"),
        Document(id="f", text="6\u2028", fields=("id", "text", "n"), metadata={"id": "f", "n": 2**64}),
    ]
    out: list[bytes] = []
    jsonl._write_lines(docs, out.append)
    assert b"".join(out) == b"".join(jsonl_line(doc) for doc in docs)


@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=3), _values, max_size=4), ascii_only=st.booleans(), cut=st.integers(0, 40)
)
def test_reader_parses_as_json_loads(value: dict[str, object], ascii_only: bool, cut: int) -> None:
    """Whole lines and damaged ones (cut short, NaN, a byte-order mark) give json.loads's value or error."""
    line = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    for raw in (line, line[:cut], b"\xef\xbb\xbf" + line, line.replace(b"0", b"NaN", 1), line + b"\r\n"):
        try:
            expected = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            with pytest.raises(type(exc)) as got:
                _loads(raw)
            assert str(got.value) == str(exc)
            continue
        assert repr(_loads(raw)) == repr(expected)  # repr: NaN, -0.0 and int against float count


@settings(max_examples=100, deadline=None)
@given(
    records=st.lists(
        st.dictionaries(st.sampled_from(["id", "a", "b\u2028", "é", "text"]), _values, min_size=1, max_size=4),
        min_size=1,
        max_size=4,
    )
)
def test_jsonl_line_names_shared_across_records(records: list[dict[str, object]]) -> None:
    """A writer shares one ``names`` table across its lines: each line is still json_line's bytes,
    whatever names and order the records before it had."""
    names: dict[str, bytes] = {}
    for fields in records:
        record = {k: v for k, v in fields.items() if k != "text"}
        doc = Document(id="x", text="t", fields=tuple(fields), metadata=record)
        try:
            expected = json_line(
                {**record, "text": "t"}
                if "text" not in fields
                else {k: "t" if k == "text" else v for k, v in fields.items()}
            ).encode("utf-8")
        except UnicodeEncodeError:
            continue
        assert jsonl_line(doc, names) == expected


@settings(max_examples=300, deadline=None)
@given(
    value=st.fixed_dictionaries(
        {"text": st.one_of(_texts, _values)},
        optional={
            "id": st.one_of(_texts, st.integers(), st.booleans(), _values),
            "html": st.one_of(_texts, _values),
            "n": st.one_of(st.integers(min_value=2**63, max_value=2**70), _values),
        },
    ),
    ascii_only=st.booleans(),
)
def test_plain_records_read_as_the_checked_path_reads_them(value: dict[str, object], ascii_only: bool) -> None:
    """parse_record's shortcut for records of scalars (no depth, huge-float or surrogate checks)
    makes the document the checked path makes, field by field, or no shortcut is taken."""
    line = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    limits = LimitsConfig()
    fast = parse_record(line, "a.jsonl", 3, limits)
    with mock.patch.object(jsonl, "_plain_document", return_value=None):
        checked = parse_record(line, "a.jsonl", 3, limits)
    assert repr(fast) == repr(checked)  # every field (repr: NaN in the metadata counts as equal)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.fixed_dictionaries({"text": st.one_of(_texts, _values)}, optional={"id": _values, "n": _values}), max_size=4
    ),
    damage=st.lists(st.sampled_from(["", "cut", "long", "blank", "space", "null"]), min_size=4, max_size=4),
)
def test_a_files_records_read_as_the_checked_path_reads_them(
    tmp_path_factory: pytest.TempPathFactory, values: list[dict[str, object]], damage: list[str]
) -> None:
    """The reader's shortcut for records of scalars (taken before parse_record) makes the
    documents the checked path makes, for whole lines and damaged, blank or over-long ones."""
    lines = []
    for value, how in zip(values, damage, strict=False):
        line = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
        line = {"cut": line[: len(line) // 2], "long": line + b" " * 100, "space": b" " + line}.get(how, line)
        lines += [b"", line] if how == "blank" else [b"null", line] if how == "null" else [line]
    path = tmp_path_factory.mktemp("jsonl") / "a.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    shard, limits = Shard(0, InputFile(path, "a.jsonl", Format("jsonl"))), LimitsConfig(max_document_bytes=100)
    fast = list(jsonl.read_jsonl(shard, limits))
    with mock.patch.object(jsonl, "_plain_document", return_value=None):
        checked = list(jsonl.read_jsonl(shard, limits))
    assert repr(fast) == repr(checked)  # every field (repr: NaN in the metadata counts as equal)


def test_a_files_records_of_one_field_order_share_it(tmp_path: Path) -> None:
    """The reader gives the records of one field order one tuple of it (a spilled batch of them
    pickles it once, and the writer finds its layout by identity); another order keeps its own."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n{"text": "z", "id": "c"}\n')
    first, second, third = jsonl.read_jsonl(Shard(0, InputFile(path, "a.jsonl", Format("jsonl"))), LimitsConfig())
    assert first.fields == second.fields == ("id", "text") and first.fields is second.fields
    assert third.fields == ("text", "id")
