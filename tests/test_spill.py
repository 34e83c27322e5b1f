"""The runner's spill codec: documents handed between phases come back equal, field by field."""

from __future__ import annotations

import dataclasses
import pickle

from cleaner.record import Document, Drop, DuplicateOf, Edit, PassageMatch, Reason, Rejection, Source, Unit
from cleaner.runners.core import _spill_rows, _unspill_rows


def _full_document() -> Document:
    return Document(
        id="a:1",
        text="kept text\n",
        kind="html",
        html="<p>kept text</p>",
        source=Source("a.jsonl", 1),
        metadata={"url": "https://example.org/a", "n": [1, 2]},
        drops=(
            Drop("boilerplate", Reason.NAV, Unit.LINE, "Home | World\n", 0, 13),
            Drop("dedup", Reason.NEAR_DUPLICATE_PASSAGE, Unit.PASSAGE, "x", detail="cluster=b"),
        ),
        edits=(Edit("ftfy.mojibake", 2, ("Ã© -> é",)),),
        rejected=Rejection(Reason.NEAR_DUPLICATE_DOC, "cluster=b"),
        duplicate=DuplicateOf("b", "b", 0.91),
        passages=(PassageMatch(0, 4, "kept", "b", 0.875),),
        chars_in=42,
        fields=("id", "text", "url"),
        signals={"lang": "en", "lang_score": 0.98, "words": 2},
    )


def test_spilled_documents_come_back_equal() -> None:
    docs = [_full_document(), Document(id="plain", text="t")]
    back = _unspill_rows(pickle.loads(pickle.dumps(_spill_rows(docs), protocol=pickle.HIGHEST_PROTOCOL)))
    assert back == docs
    for before, after in zip(docs, back, strict=True):
        for f in dataclasses.fields(Document):  # same types too, not only equal values
            assert type(getattr(after, f.name)) is type(getattr(before, f.name)), f.name
        assert all(type(d) is Drop for d in after.drops)
        assert all(type(p) is PassageMatch for p in after.passages)
