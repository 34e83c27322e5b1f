"""The records' constructors: built through their slots' setters (record._store_through_slots), they
take the same arguments as the dataclasses' own, fill the same defaults and stay frozen."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from cleaner.record import (
    Document,
    Drop,
    DuplicateOf,
    Edit,
    PassageMatch,
    Reason,
    Rejection,
    Source,
    Unit,
    assemble_document,
    assemble_drop,
)

RECORDS = [Source, Drop, Edit, Rejection, DuplicateOf, PassageMatch, Document]


@pytest.mark.parametrize("cls", RECORDS)
def test_init_takes_the_fields_in_order_with_their_defaults(cls: type) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for param, f in zip(params, fields, strict=True):
        if f.default is not dataclasses.MISSING:
            assert param.default is f.default
        elif f.default_factory is not dataclasses.MISSING:
            assert repr(param.default) == "<factory>"
        else:
            assert param.default is inspect.Parameter.empty


def test_every_field_is_stored_and_factories_make_fresh_values() -> None:
    values = dict(
        id="a",
        text="b",
        kind="html",
        html="<p>b</p>",
        source=Source("f.jsonl", 3),
        metadata={"k": 1},
        drops=(Drop("s", Reason.NAV, Unit.LINE, "x", 0, 1, "d"),),
        edits=(Edit("fix", 2, ("a -> b",)),),
        rejected=Rejection(Reason.EMPTY, "why"),
        duplicate=DuplicateOf("c", "c", 0.9),
        passages=(PassageMatch(0, 1, "b", "c", 1.0),),
        chars_in=7,
        fields=("id", "text"),
        signals={"lang": "en"},
    )
    doc = Document(**values)
    assert {name: getattr(doc, name) for name in values} == values
    assert Document(*values.values()) == doc
    plain = Document("a", "b")
    assert (plain.kind, plain.html, plain.source, plain.metadata, plain.signals) == ("text", None, Source(""), {}, {})
    assert plain.metadata is not Document("a", "b").metadata
    assert plain.signals is not Document("a", "b").signals
    assert dataclasses.replace(doc, text="c").text == "c"
    assert pickle.loads(pickle.dumps(doc)) == doc


def test_records_stay_frozen_and_checked() -> None:
    doc = Document("a", "b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.text = "c"  # type: ignore[misc]
    with pytest.raises(TypeError, match=r"Document\.id must be a str"):
        Document(None, "b")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Source()  # type: ignore[call-arg]


def _full_document() -> Document:
    return Document(
        "a", "b", "html", "<p>b</p>", Source("f.jsonl", 3), {"k": 1}, (Drop("s", Reason.NAV, Unit.LINE, "x"),),
        (Edit("fix", 2),), Rejection(Reason.EMPTY), DuplicateOf("c"), (PassageMatch(0, 1, "b", "c", 1.0),), 7,
        ("id",), {"lang": "en"},
    )  # fmt: skip


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Document)])
def test_replace_is_dataclasses_replace(name: str) -> None:
    doc = _full_document()
    other = Document("z", "y", "html", "<q>y</q>", source=Source("g.txt"), chars_in=3, fields=("x",))
    new = getattr(other, name)
    mine, theirs = doc.replace(**{name: new}), dataclasses.replace(doc, **{name: new})
    assert type(mine) is Document
    assert all(getattr(mine, f.name) is getattr(theirs, f.name) for f in dataclasses.fields(Document))
    assert doc.replace() == doc
    assert doc.replace(text="t", drops=()) == dataclasses.replace(doc, text="t", drops=())


def test_replace_checks_like_the_constructor() -> None:
    doc = Document("a", "b")
    with pytest.raises(TypeError):
        doc.replace(txt="c")
    with pytest.raises(TypeError, match=r"Document\.id must be a str"):
        doc.replace(id=None)
    # A text document's replace takes the unchecked way only when the first test passes.
    for bad in ({"source": "f.txt"}, {"metadata": [1]}, {"chars_in": 1.0}, {"text": None}):
        with pytest.raises(TypeError, match=f"Document\\.{next(iter(bad))} must be"):
            doc.replace(**bad)
    with pytest.raises(ValueError, match="kind"):
        doc.replace(kind="pdf")
    with pytest.raises(ValueError, match="html"):
        doc.replace(kind="html")
    with pytest.raises(ValueError, match="html"):
        Document("a", "", "html", "<p>b</p>").replace(html=None)


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Document)])
def test_replace_of_a_text_document_is_dataclasses_replace(name: str) -> None:
    doc = _full_document().replace(kind="text", html=None)
    assert doc.kind == "text"
    other = Document("z", "y", source=Source("g.txt"), chars_in=3, fields=("x",), signals={"lang": "fr"})
    new = getattr(other, name)
    mine, theirs = doc.replace(**{name: new}), dataclasses.replace(doc, **{name: new})
    assert type(mine) is Document
    assert all(getattr(mine, f.name) is getattr(theirs, f.name) for f in dataclasses.fields(Document))


def test_assemble_document_makes_what_the_constructor_makes() -> None:
    doc = _full_document()
    values = [getattr(doc, f.name) for f in dataclasses.fields(Document)]
    made = assemble_document(*values)
    assert type(made) is Document
    assert all(getattr(made, f.name) is v for f, v in zip(dataclasses.fields(Document), values, strict=True))
    assert made == doc and hash(made.source) == hash(doc.source)
    assert pickle.loads(pickle.dumps(made)) == doc
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.text = "c"  # type: ignore[misc]
    with pytest.raises(TypeError):
        assemble_document(*values[:-1])  # every field is given


def test_assemble_drop_makes_what_the_constructor_makes() -> None:
    values = ["boilerplate", Reason.NAV, Unit.LINE, "Home | World", 3, 15, "score 0.12"]
    made = assemble_drop(*values)
    assert type(made) is Drop
    assert all(getattr(made, f.name) is v for f, v in zip(dataclasses.fields(Drop), values, strict=True))
    assert made == Drop(*values) and hash(made) == hash(Drop(*values))
    assert pickle.loads(pickle.dumps(made)) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.text = "c"  # type: ignore[misc]
    with pytest.raises(TypeError):
        assemble_drop(*values[:-1])  # every field is given
