"""The dedup barrier reads summaries as columns (sharded.summary_batches): from the runner's spilled
summaries without a Summary per document, or from plain ``(key, Summary)`` pairs; both give the same
columns. Each document's distinct shingle set comes from one pass over a batch (cluster.distinct_runs)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dedup_textgen import random_words
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.config import DedupConfig
from cleaner.dedup import Dedup, Summary
from cleaner.dedup.cluster import distinct_runs, distinct_sorted
from cleaner.dedup.sharded import summary_batches
from cleaner.record import Document, Source
from cleaner.runners.core import SpilledSummaries, dump_summaries, pack_summaries


def _summaries(passages: bool) -> list[tuple[str, Summary]]:
    stage = Dedup(DedupConfig(passages=passages))
    texts = [" ".join(random_words(seed, 40 + 13 * seed)) for seed in range(30)]
    texts[4] = ""  # no words: no shingles, no passages
    texts[7] = texts[3] + "\n\n" + texts[5]  # passages of two earlier texts
    docs = [Document(id=f"d{i}", text=t, source=Source("f.jsonl", i + 1)) for i, t in enumerate(texts)]
    return [(str(d.source), s) for d, s in zip(docs, stage.summarize_many(docs), strict=True)]


@pytest.mark.parametrize("passages", [True, False])
@pytest.mark.parametrize("dump", [dump_summaries, pickle.dump])  # as run_task spills them; an older writer's
def test_spilled_and_plain_summaries_give_the_same_batches(tmp_path: Path, passages: bool, dump: Any) -> None:
    items = _summaries(passages)
    path = tmp_path / "s.pkl"
    with open(path, "wb") as fh:  # packed batches of any size
        for start in range(0, len(items), 7):
            dump(pack_summaries(items[start : start + 7]), fh)
    spilled = list(summary_batches(SpilledSummaries(path, len(items)), 16))  # type: ignore[arg-type]
    plain = list(summary_batches(items, 16))
    assert [len(b.keys) for b in spilled] == [7, 7, 7, 7, 2] and [len(b.keys) for b in plain] == [30]
    if passages:  # two paragraphs, two passages; no words, none
        assert np.diff(plain[0].passage_offsets)[[7, 4]].tolist() == [2, 0]
    # Without the shingles, a batch spilled by dump_summaries says where they lie instead.
    unread = list(summary_batches(SpilledSummaries(path, len(items)), 16, shingles=False))  # type: ignore[arg-type]
    for batch, whole in zip(unread, spilled, strict=True):
        assert batch.offsets.tolist() == whole.offsets.tolist()
        if dump is pickle.dump:
            assert batch.spilled is None and batch.shingles.tolist() == whole.shingles.tolist()
        else:
            assert batch.spilled is not None and batch.shingles.size == 0
            file, at = batch.spilled
            later = np.fromfile(file, dtype=np.uint64, count=int(batch.offsets[-1]), offset=at)
            assert later.tolist() == whole.shingles.tolist()
    for batches in (spilled, plain):  # each document's columns are its summary's arrays
        rows = [(b, i) for b in batches for i in range(len(b.keys))]
        assert len(rows) == len(items)
        for (batch, i), (key, summary) in zip(rows, items, strict=True):
            assert (batch.keys[i], batch.ids[i]) == (key, summary.id)
            assert np.array_equal(batch.band_keys[i], summary.band_keys)
            shingles = batch.shingles[batch.offsets[i] : batch.offsets[i + 1]]
            assert np.array_equal(shingles, summary.shingles)
            table = batch.passages[batch.passage_offsets[i] : batch.passage_offsets[i + 1]]
            assert np.array_equal(table, summary.passages)
            assert batch.band_keys.dtype == np.uint64 and batch.shingles.dtype == np.uint64


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6), max_size=8), max_size=6))
def test_distinct_runs_is_distinct_sorted_of_each_run(runs: list[list[int]]) -> None:
    values = np.array([v for run in runs for v in run], dtype=np.uint64)
    offsets = np.zeros(len(runs) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in runs], out=offsets[1:])
    out, at = distinct_runs(values, offsets)
    assert [out[at[i] : at[i + 1]].tolist() for i in range(len(runs))] == [
        distinct_sorted(np.array(r, dtype=np.uint64)).tolist() for r in runs
    ]
    assert values.tolist() == [v for run in runs for v in run]  # the input is left as it was
