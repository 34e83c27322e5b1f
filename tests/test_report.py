"""Report counters add associatively, so merging worker reports in any grouping gives one total."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cleaner.record import Document, Drop, Edit, Reason, Source, Unit
from cleaner.report import Report, document_record

reasons = st.sampled_from([Reason.NAV, Reason.AD, Reason.TEMPLATE])


@st.composite
def documents(draw) -> Document:
    text = draw(st.text(max_size=20))
    drops = tuple(
        Drop("boilerplate", r, Unit.LINE, draw(st.text(max_size=5))) for r in draw(st.lists(reasons, max_size=3))
    )
    edits = tuple(Edit(f, n) for f, n in draw(st.dictionaries(st.sampled_from(["a", "b"]), st.integers(1, 9))).items())
    doc = Document(id="x", text=text, source=Source("x"), drops=drops, edits=edits, chars_in=len(text) + 3)
    if draw(st.booleans()):
        doc = doc.reject(draw(st.sampled_from([Reason.EMPTY, Reason.ERROR_FORMAT])))
    return doc


def report_of(docs: list[Document]) -> Report:
    r = Report()
    for d in docs:
        r.add_document(d)
    return r


@given(st.lists(documents(), max_size=6), st.lists(documents(), max_size=6), st.lists(documents(), max_size=6))
def test_addition_is_associative_and_matches_one_pass(a, b, c) -> None:
    ra, rb, rc = report_of(a), report_of(b), report_of(c)
    assert (ra + rb) + rc == ra + (rb + rc) == report_of(a + b + c)
    assert ra + Report() == ra


def test_record_of_an_error() -> None:
    doc = Document(id="d:2", text="", source=Source("d", 2)).reject(Reason.ERROR_FORMAT, "bad line; fix it")
    rec = document_record(doc)
    assert (rec["status"], rec["reason"], rec["detail"], rec["source"]) == (
        "error",
        "error.format",
        "bad line; fix it",
        {"path": "d", "line": 2},
    )
