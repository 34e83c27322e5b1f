"""Report counters add associatively, so merging worker reports in any grouping gives one total.

The generated documents carry every field a Report counts (drops, edits, rejections, clusters,
reused passages) and the reports carry stage seconds, so a counter that ``__add__`` forgot to
sum fails the property.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.record import Document, Drop, DuplicateOf, Edit, PassageMatch, Reason, Source, Unit
from cleaner.report import (
    Report,
    document_record,
    dumps_record,
    plain_float,
    plain_floats,
    report_line,
    report_lines,
    signals_fragment,
)

reasons = st.sampled_from([Reason.NAV, Reason.AD, Reason.TEMPLATE])


@st.composite
def documents(draw) -> Document:
    text = draw(st.text(max_size=20))
    drops = tuple(
        Drop(draw(st.sampled_from(["boilerplate", "dedup"])), r, draw(st.sampled_from([Unit.LINE, Unit.BLOCK])),
             draw(st.text(max_size=5)))
        for r in draw(st.lists(reasons, max_size=3))
    )  # fmt: skip
    edits = tuple(Edit(f, n) for f, n in draw(st.dictionaries(st.sampled_from(["a", "b"]), st.integers(1, 9))).items())
    passages = tuple(
        PassageMatch(0, 5, "words", draw(st.sampled_from(["p", "q"])), 0.9) for _ in range(draw(st.integers(0, 2)))
    )
    duplicate = draw(st.one_of(st.none(), st.builds(DuplicateOf, st.sampled_from(["c1", "c2"]))))
    doc = Document(
        id="x",
        text=text,
        source=Source("x"),
        drops=drops,
        edits=edits,
        chars_in=len(text) + 3,
        duplicate=duplicate,
        passages=passages,
    )
    if draw(st.booleans()):
        doc = doc.reject(draw(st.sampled_from([Reason.EMPTY, Reason.ERROR_FORMAT])))
    return doc


# Seconds in quarters: sums of them are exact in floating point, so any grouping adds up equal.
timings = st.lists(st.tuples(st.sampled_from(["html", "lines", "dedup"]), st.integers(0, 40).map(lambda n: n / 4)))
parts = st.tuples(st.lists(documents(), max_size=6), timings, st.integers(0, 3))


def report_of(*pieces: tuple[list[Document], list[tuple[str, float]], int]) -> Report:
    r = Report()
    for docs, seconds, skipped in pieces:
        for d in docs:
            r.add_document(d)
        for stage, secs in seconds:
            r.add_seconds(stage, secs)
        r.files_skipped += skipped
    return r


@settings(deadline=None)
@given(parts, parts, parts)
def test_addition_is_associative_and_matches_one_pass(a, b, c) -> None:
    ra, rb, rc = report_of(a), report_of(b), report_of(c)
    assert (ra + rb) + rc == ra + (rb + rc) == report_of(a, b, c)
    assert ra + Report() == ra == Report() + ra


@settings(deadline=None)
@given(st.lists(documents(), max_size=8))
def test_a_batch_counts_as_its_documents_one_by_one(docs: list[Document]) -> None:
    one_by_one, batched = Report(), Report()
    for d in docs:
        one_by_one.add_document(d)
    batched.add_documents(docs)
    assert batched == one_by_one
    for name in ("drops", "drop_chars", "rejections", "edits", "clusters"):  # keys in the same order too
        assert list(getattr(batched, name).items()) == list(getattr(one_by_one, name).items()), name


def test_record_of_an_error() -> None:
    doc = Document(id="d:2", text="", source=Source("d", 2)).reject(Reason.ERROR_FORMAT, "bad line; fix it")
    rec = document_record(doc)
    assert (rec["status"], rec["reason"], rec["detail"], rec["source"]) == (
        "error",
        "error.format",
        "bad line; fix it",
        {"path": "d", "line": 2},
    )


# --- report_line: orjson where it writes json.dumps's bytes ------------------------------------

_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e-4, max_value=1.0),
    st.sampled_from([0.0, -0.0, 1e-4, 9.99e-5, 1e16, 9999999999999998.0, 0.30000000000000004]),
)
# Text with the characters JSON escapes, the line breakers json_line escapes, and lone surrogates.
_texts = st.text(alphabet=st.one_of(st.characters(), st.sampled_from('"\\\x00\x1f\x7f\x85\u2028\u2029\ud800')))
_values = st.one_of(_floats, st.integers(), st.integers(min_value=2**63), st.text(max_size=4), st.none())


_offsets = st.one_of(st.tuples(st.integers(0, 2**70), st.integers(0, 9)), st.just((None, None)), st.just((2, None)))


@st.composite
def report_documents(draw) -> Document:
    drops = tuple(
        Drop("boilerplate", Reason.NAV, Unit.LINE, draw(_texts), *draw(_offsets), draw(st.sampled_from(["", "d"])))
        for _ in range(draw(st.integers(0, 2)))
    )
    edits = tuple(
        Edit(draw(_texts), draw(st.integers(0, 2**70)), (draw(_texts),)) for _ in range(draw(st.integers(0, 1)))
    )
    passages = tuple(PassageMatch(0, 5, draw(_texts), "p", draw(_floats)) for _ in range(draw(st.integers(0, 2))))
    duplicate = draw(st.one_of(st.none(), st.builds(DuplicateOf, st.just("c"), st.just("d"), _floats)))
    signals = draw(st.dictionaries(st.sampled_from(["lang", "lang_score", "words", "ratio"]), _values))
    doc = Document(
        id=draw(_texts), text=draw(_texts), source=Source(draw(_texts), draw(st.none() | st.integers(1, 9))),
        drops=drops, edits=edits, passages=passages, duplicate=duplicate, signals=signals,
    )  # fmt: skip
    return doc.reject(Reason.QUALITY_TOO_SHORT, draw(_texts)) if draw(st.booleans()) else doc


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_values, st.booleans(), st.integers(-(2**70), 2**70)), max_size=6))
def test_plain_floats_is_plain_float_of_each(values: list[object]) -> None:
    assert plain_floats(values) == all(map(plain_float, values))


@settings(max_examples=300, deadline=None)
@given(report_documents())
def test_a_records_drops_are_the_drops_to_json(doc: Document) -> None:
    # The record's drops are made from the drops' field values (as a last phase's earlier drops
    # are), not by Drop.to_json: the same dicts, keys in the same order.
    assert [list(r.items()) for r in document_record(doc)["drops"]] == [list(d.to_json().items()) for d in doc.drops]


@settings(max_examples=500, deadline=None)
@given(report_documents())
def test_report_line_is_the_json_dumps_line(doc: Document) -> None:
    try:
        expected = dumps_record(document_record(doc)).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the report cannot hold it either way
        with pytest.raises(UnicodeEncodeError):
            report_line(doc)
        return
    assert report_line(doc) == expected


@settings(max_examples=300, deadline=None)
@given(
    doc_id=_texts,
    text=_texts,
    path=_texts,
    line=st.none() | st.integers(1, 2**70),
    chars_in=st.integers(0, 2**70),
)
def test_report_line_of_a_document_nothing_happened_to(
    doc_id: str, text: str, path: str, line: int | None, chars_in: int
) -> None:
    # The common record (report_line's template), with what orjson refuses: lone surrogates, big ints.
    doc = Document(id=doc_id, text=text, source=Source(path, line), chars_in=chars_in)
    try:
        expected = dumps_record(document_record(doc)).encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            report_line(doc)
        return
    assert report_line(doc) == expected


@st.composite
def kept_documents(draw) -> Document:
    """Documents nothing happened to, whose paths repeat from one to the next (report_lines keeps
    the bytes of the last), with what orjson refuses: lone surrogates, big ints."""
    path = draw(st.sampled_from(["a.jsonl", "b.jsonl", "c\u2028.jsonl", "\ud800"]))
    line = draw(st.none() | st.integers(1, 9) | st.integers(2**63, 2**70))
    return Document(id=draw(_texts), text=draw(_texts), source=Source(path, line), chars_in=draw(st.integers(0, 2**70)))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(kept_documents(), report_documents()), max_size=6))
def test_report_lines_are_each_documents_report_line(docs: list[Document]) -> None:
    try:
        expected = b"".join(map(report_line, docs))
    except UnicodeEncodeError:  # a lone surrogate: the report cannot hold it either way
        with pytest.raises(UnicodeEncodeError):
            report_lines(docs)
        return
    assert report_lines(docs) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(report_documents(), max_size=4), st.data())
def test_earlier_drops_are_recorded_and_counted_as_drops(docs: list[Document], data) -> None:
    """A document's earlier drops (the values of their fields, as a runner's last phase gets
    them) give the report line and the counts of the document holding them before its own."""
    cuts = [data.draw(st.integers(0, len(d.drops))) for d in docs]
    earlier = [[dataclasses.astuple(x) for x in d.drops[:cut]] for d, cut in zip(docs, cuts, strict=True)]
    rest = [d.replace(drops=d.drops[cut:]) for d, cut in zip(docs, cuts, strict=True)]
    for whole, doc, rows in zip(docs, rest, earlier, strict=True):
        assert document_record(doc, rows) == document_record(whole)
        try:
            expected = report_line(whole)
        except UnicodeEncodeError:
            continue
        assert report_line(doc, rows) == expected
    one, batched = Report(), Report()
    one.add_documents(docs)
    batched.add_documents(rest, earlier)
    assert batched == one
    assert list(batched.drops) == list(one.drops) and list(batched.drop_chars) == list(one.drop_chars)


@settings(max_examples=500, deadline=None)
@given(report_documents(), st.sampled_from([None, "r1@t"]))
def test_written_signals_give_the_line_of_the_document_holding_them(doc: Document, version_of: str | None) -> None:
    """A document's signals written for the report (a runner's last phase gets them so, not
    the dict) give the line the document holding them gets: the record's three values
    replaced, or (a new version, a value orjson writes otherwise) its own path."""
    if version_of is not None and doc.duplicate is not None:
        doc = doc.replace(duplicate=dataclasses.replace(doc.duplicate, version_of=version_of))
    written = signals_fragment(doc.signals)
    if written is None:  # no signals, or ones the report writes otherwise: the document keeps them
        return
    try:
        expected = report_line(doc)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            report_line(doc.replace(signals={}), (), written)
        return
    assert report_line(doc.replace(signals={}), (), written) == expected
    rows = [dataclasses.astuple(d) for d in doc.drops]
    assert report_line(doc.replace(signals={}, drops=()), rows, written) == expected


def test_signals_written_only_where_orjson_writes_them_as_json_dumps() -> None:
    assert signals_fragment({"lang": "en", "lang_score": 0.99, "words": 3, "ratio": 0.25}) == (
        b'"lang":"en","lang_score":0.99,"signals":{"words":3,"ratio":0.25}'
    )
    assert signals_fragment({"words": 3}) == b'"lang":null,"lang_score":null,"signals":{"words":3}'
    assert signals_fragment({"lang": "en", "lang_score": 0.5}) == b'"lang":"en","lang_score":0.5,"signals":null'
    for odd in (1e-05, 1e16, float("nan"), 2**70, "\ud800"):
        assert signals_fragment({"lang": "en", "words": odd}) is None
    assert signals_fragment({"lang": "en", "lang_score": 1e-05}) is None
    assert signals_fragment({}) is None


def test_earlier_drops_are_counted_first() -> None:
    nav = Drop("boilerplate", Reason.NAV, Unit.LINE, "Home\n", 0, 5)
    ad = Drop("boilerplate", Reason.AD, Unit.LINE, "Buy\n", 5, 9)
    one, batched = Report(), Report()
    one.add_documents([Document(id="a", text="t", drops=(nav, ad)), Document(id="b", text="t", drops=(ad,))])
    earlier = [[dataclasses.astuple(nav)], [dataclasses.astuple(ad)]]
    batched.add_documents([Document(id="a", text="t", drops=(ad,)), Document(id="b", text="t")], earlier)
    assert (
        list(batched.drops.items())
        == list(one.drops.items())
        == [
            (("boilerplate", "boilerplate.nav", "line"), 1),
            (("boilerplate", "boilerplate.ad", "line"), 2),
        ]
    )
    assert batched == one
