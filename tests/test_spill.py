"""The runner's spill codec: documents handed between phases come back equal, field by field."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest

from cleaner.config import Config, DedupConfig
from cleaner.dedup import Dedup, Summary
from cleaner.pipeline import Pipeline, summarize
from cleaner.record import Document, Drop, DuplicateOf, Edit, PassageMatch, Reason, Rejection, Source, Unit
from cleaner.report import Report
from cleaner.runners.core import (
    _DOC_FIELDS,
    _SET_ASIDE_AT,
    SpilledSummaries,
    _earlier_drops,
    _for_report,
    _Layers,
    _spill_rows,
    _unspill_rows,
    aside_columns,
    dump_summaries,
    pack_summaries,
    unpack_summaries,
)
from cleaner.stage import KeyedSummaries


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


@pytest.mark.parametrize("shape", ["full plain", "plain full", "full full", "plain plain", "full", "plain"])
def test_spilled_documents_come_back_equal(shape: str) -> None:
    """Batches of documents with and without each record: a column of no records at all, or of
    one in every document, is spilled as it is or by a C-level map."""
    made = {"full": _full_document, "plain": lambda: Document(id="plain", text="t")}
    docs = [made[name]() for name in shape.split()]
    back, aside = _unspill_rows(pickle.loads(pickle.dumps(_spill_rows(docs), protocol=pickle.HIGHEST_PROTOCOL)))
    assert back == docs and aside is None
    for before, after in zip(docs, back, strict=True):
        for f in dataclasses.fields(Document):  # same types too, not only equal values
            assert type(getattr(after, f.name)) is type(getattr(before, f.name)), f.name
        assert all(type(d) is Drop for d in after.drops)
        assert all(type(p) is PassageMatch for p in after.passages)


def test_a_batch_of_drops_is_spilled_flat() -> None:
    """A column of tuples of records goes as one layer: each document's count and each field's
    values for every record, not as a list per document (and comes back as each document's tuple)."""
    docs = [_full_document(), Document(id="plain", text="t"), _full_document()]
    columns = _spill_rows(docs)
    drops = columns[[f.name for f in dataclasses.fields(Document)].index("drops")]
    assert type(drops) is _Layers and len(drops.layers) == 1
    counts, fields = pickle.loads(drops.layers[0])
    assert counts == [2, 0, 2] and len(fields) == len(dataclasses.fields(Drop)) and len(fields[0]) == 4
    assert _unspill_rows(pickle.loads(pickle.dumps(columns)))[0] == docs


def test_set_aside_records_come_back_before_the_later_ones() -> None:
    """A phase that sets the drops and edits aside sees documents without them, and its spill
    gives each document its earlier records, then those the phase added: what the same phase
    run on the whole documents spills."""
    docs = [_full_document(), Document(id="plain", text="t"), _full_document(), Document(id="p2", text="u")]
    spilled = pickle.loads(pickle.dumps(_spill_rows(docs)))

    def phase(batch: list[Document]) -> list[Document]:  # adds to some documents' drops and edits
        late = Drop("templates", Reason.TEMPLATE, Unit.LINE, "x\n", 3, 5)
        out = [batch[0].with_drops([late]), batch[1].with_edits([Edit("layout.blank_lines", 1)]), *batch[2:]]
        return [out[0], out[1].with_drops([late, late]), out[2], out[3]]

    whole, none = _unspill_rows(pickle.loads(pickle.dumps(spilled)))
    assert none is None
    bare, aside = _unspill_rows(pickle.loads(pickle.dumps(spilled)), _SET_ASIDE_AT)
    assert aside is not None and all(d.drops == () and d.edits == () for d in bare)
    assert [d.passages for d in bare] == [d.passages for d in docs]  # replaced by dedup: never set aside
    expected = phase(whole)
    back, _ = _unspill_rows(pickle.loads(pickle.dumps(_spill_rows(phase(bare), aside=aside))))
    assert back == expected
    assert all(type(d) is Drop for doc in back for d in doc.drops)
    # A phase that adds nothing still hands the earlier records on.
    back, _ = _unspill_rows(pickle.loads(pickle.dumps(_spill_rows(bare, aside=aside))))
    assert back == docs


class _NamedLike:
    """A pass-through stage with a built-in stage's name and no ``unread``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def setup(self) -> None:
        pass

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        return iter(docs)


def test_only_phases_of_steps_that_leave_records_unread_set_them_aside() -> None:
    drops, edits = _DOC_FIELDS.index("drops"), _DOC_FIELDS.index("edits")
    signals = _DOC_FIELDS.index("signals")
    pipeline = Pipeline(Config())  # default stages: lines | templates | tidy, signals | dedup | write
    assert [aside_columns(pipeline, n) for n in range(3)] == [set(), {drops, edits}, {drops, signals}]
    pipeline.segments[1].stages[0].unread = frozenset({"signals"})  # type: ignore[attr-defined]
    assert aside_columns(pipeline, 1) == set() and aside_columns(pipeline, 2) == {drops, signals}
    # A step that does not say what it leaves unread reads every field, whatever its name.
    reads_all = Pipeline(Config(stages=("dedup",)))
    reads_all.segments[1].stages.append(_NamedLike("signals"))  # type: ignore[arg-type]
    assert aside_columns(reads_all, 1) == set()
    assert [aside_columns(Pipeline(Config(stages=("dedup",))), n) for n in range(2)] == [set(), {drops, signals}]
    # A last phase with the signals stage in it reads them (boilerplate and signals: templates | ...).
    two = Pipeline(Config(stages=("boilerplate", "signals")))
    assert [aside_columns(two, n) for n in range(2)] == [set(), {drops}]


def test_the_last_phase_gets_the_drops_values() -> None:
    """What the last phase sets aside: each document's drops, the values of their fields in order."""
    docs = [_full_document(), Document(id="plain", text="t"), _full_document()]
    back, aside = _unspill_rows(pickle.loads(pickle.dumps(_spill_rows(docs))), {_DOC_FIELDS.index("drops")})
    assert [d.drops for d in back] == [(), (), ()] and [d.edits for d in back] == [d.edits for d in docs]
    assert aside is not None
    assert len(aside[_DOC_FIELDS.index("drops")]) == 1  # one layer
    assert _earlier_drops(aside) == [[dataclasses.astuple(d) for d in doc.drops] for doc in docs]


def test_signals_written_for_a_last_phase_that_sets_them_aside() -> None:
    """Spilled for a last phase that sets the signals aside, they go as the report writes them:
    that phase's documents hold none (a dict each), and its report gets them written; a
    document whose signals the report writes otherwise keeps them."""
    odd = Document(id="odd", text="t", signals={"lang": "en", "ratio": 1e-05})
    docs = [_full_document(), Document(id="plain", text="t"), odd]
    signals_at = _DOC_FIELDS.index("signals")
    spilled = pickle.loads(pickle.dumps(_spill_rows(docs, render=True)))
    back, aside = _unspill_rows(spilled, {_DOC_FIELDS.index("drops"), signals_at})
    assert [d.signals for d in back] == [{}, {}, odd.signals]
    assert back[0].signals is not back[1].signals  # not one dict shared
    earlier, written = _for_report(aside)
    assert written == [b'"lang":"en","lang_score":0.98,"signals":{"words":2}', None, None]
    assert earlier == [[dataclasses.astuple(d) for d in doc.drops] for doc in docs]
    with pytest.raises(RuntimeError, match="reads them"):
        _unspill_rows(pickle.loads(pickle.dumps(_spill_rows(docs, render=True))), {_DOC_FIELDS.index("drops")})
    # Nothing to write: the column goes as it is.
    plain = [Document(id="plain", text="t")]
    assert _unspill_rows(_spill_rows(plain, render=True), {signals_at}) == (plain, None)


def test_markup_a_sink_never_writes_is_left_out_of_the_spill() -> None:
    doc = _full_document()
    (back,), _ = _unspill_rows(_spill_rows([doc], keep_html=False))
    assert back.html == "" and back.kind == "html"
    assert back == dataclasses.replace(doc, html="")


def _summary_fields(summary: object) -> list[tuple[str, object]]:
    """Every field as (dtype and shape, values) for arrays, else the value: equal means the same arrays."""
    out: list[tuple[str, object]] = []
    for f in dataclasses.fields(summary):  # type: ignore[arg-type]
        value = getattr(summary, f.name)
        if isinstance(value, np.ndarray):
            out.append((f"{value.dtype}{value.shape}", value.tolist()))
        else:
            out.append((f.name, value))
    return out


def test_spilled_dedup_summaries_come_back_equal_as_columns() -> None:
    texts = [
        "one two three four five six seven",
        "",
        "one two three four five six seven eight\n\nA second paragraph with more words than five.",
        "short",
    ]
    stage = Dedup(DedupConfig())
    stage.setup()
    docs = [Document(id=f"d{i}", text=t) for i, t in enumerate(texts)]
    items = [(f"k{i}", s) for i, s in enumerate(stage.summarize_many(docs))]
    packed = pack_summaries(items)
    assert packed[0] == 1  # as columns: one array per field for the batch
    back = unpack_summaries(pickle.loads(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)))
    assert [k for k, _ in back] == [k for k, _ in items]
    assert all(type(s) is Summary for _, s in back)
    assert [_summary_fields(s) for _, s in back] == [_summary_fields(s) for _, s in items]


def test_a_batch_summarized_as_columns_spills_them_and_equals_one_by_one() -> None:
    # Dedup.summarize_many gives SummaryColumns; the pipeline keys them (KeyedSummaries) and the
    # runner spills the columns as they are: what comes back equals summarizing one at a time.
    texts = [
        "one two three four five six seven",
        "",
        "one two three four five six seven eight\n\nA second paragraph with more words than five.",
        "Caf\N{LATIN SMALL LETTER E WITH ACUTE} \N{LATIN CAPITAL LETTER SHARP S}TRASSE und mehr Worte hier, "
        "genug f\N{LATIN SMALL LETTER U WITH DIAERESIS}r eine Passage von acht Worten oder mehr.",
        "short",
    ]
    docs = [Document(id=f"d{i}", text=t, source=Source("a.jsonl", i + 1)) for i, t in enumerate(texts)]
    for passages in (True, False):
        stage = Dedup(DedupConfig(passages=passages))
        stage.setup()
        one_by_one = [(f"k{i}", stage.summarize(d)) for i, d in enumerate(docs)]
        _, keyed = summarize(docs, stage, Report())
        assert isinstance(keyed, KeyedSummaries)
        packed = pack_summaries(keyed)
        assert packed[0] == 1 and packed[2] == [str(d.source) for d in docs]
        back = unpack_summaries(pickle.loads(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)))
        assert [_summary_fields(s) for _, s in back] == [_summary_fields(s) for _, s in one_by_one]
        assert [_summary_fields(s) for _, s in keyed] == [_summary_fields(s) for _, s in one_by_one]


def test_summaries_of_mixed_or_plain_types_spill_as_rows() -> None:
    mixed = [("a", Edit("x", 1)), ("b", {"n": 2})]
    assert pack_summaries(mixed)[0] == 0 and unpack_summaries(pack_summaries(mixed)) == mixed
    edits = [("a", Edit("x", 1, ("one",))), ("b", Edit("y", 2))]
    assert unpack_summaries(pickle.loads(pickle.dumps(pack_summaries(edits)))) == edits
    assert unpack_summaries(pack_summaries([])) == []


def test_spilled_summaries_say_where_their_arrays_lie_and_may_leave_them_unread(tmp_path: Path) -> None:
    # run_task spills a batch of columns with its joined arrays' bytes after its pickle
    # (dump_summaries): read back whole they are the summaries; a reader may leave a field's
    # arrays unread and read them later where summary_columns_at says they lie. Batches pickled
    # whole (rows of mixed kinds, or by an older writer) read as they did, with no offsets.
    stage = Dedup(DedupConfig())
    stage.setup()
    texts = ["one two three four five six seven", "", "eight nine ten eleven twelve thirteen\n\nand a second one here"]
    docs = [Document(id=f"d{i}", text=t, source=Source("a.jsonl", i + 1)) for i, t in enumerate(texts)]
    _, keyed = summarize(docs, stage, Report())
    items = list(keyed)
    path = tmp_path / "s.pkl"
    with open(path, "wb") as fh:
        dump_summaries(pack_summaries(keyed), fh)
        pickle.dump(pack_summaries(items[:2]), fh, protocol=pickle.HIGHEST_PROTOCOL)  # an older writer's
    spilled = SpilledSummaries(path, 5)
    assert [(k, _summary_fields(s)) for k, s in spilled] == [(k, _summary_fields(s)) for k, s in items + items[:2]]
    (keys, fields, at), (_, plain, none) = spilled.summary_columns_at(skip=("shingles",))
    assert keys == [k for k, _ in items] and none == {} and plain["shingles"][0] is not None
    assert sorted(at) == ["band_keys", "passages", "shingles"]
    unread, lengths = fields["shingles"]
    assert unread is None and lengths.tolist() == [s.shingles.size for _, s in items]
    later = np.fromfile(path, dtype=np.uint64, count=int(lengths.sum()), offset=at["shingles"])
    assert later.tolist() == np.concatenate([s.shingles for _, s in items]).tolist()
    band_keys, _ = fields["band_keys"]
    assert band_keys.tolist() == np.concatenate([s.band_keys for _, s in items]).tolist()
    assert next(list(f) for _, f in spilled.summary_columns()) == list(fields)
    rows = [("a", Edit("x", 1)), ("b", {"n": 2})]
    with open(path, "wb") as fh:
        dump_summaries(pack_summaries(rows), fh)
    assert list(SpilledSummaries(path, 2)) == rows
