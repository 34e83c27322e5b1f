"""The barrier reads shingle sets into arrays of their own, never views of a memory map: pages
of a map that a task touches stay in its RSS, and a verify task touches sets all over the run.
Without an index they are read where the runner spilled them, where it can."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from dedup_textgen import random_words

from cleaner.config import DedupConfig
from cleaner.dedup import Dedup, sharded
from cleaner.dedup.cluster import distinct_runs
from cleaner.dedup.npyparts import load_after, save_parts
from cleaner.record import Document, Source
from cleaner.runners.core import SpilledSummaries, dump_summaries, pack_summaries


def _read_distinct(reader: sharded._Sets, spans: np.ndarray) -> list[list[int]]:
    """The sets at ``spans`` read together (_Sets.many), then made distinct as verification does."""
    values, bounds, distinct = reader.many(spans)
    if not distinct:
        values, bounds = distinct_runs(values, bounds)
    return [values[bounds[i] : bounds[i + 1]].tolist() for i in range(len(spans))]


def test_sets_are_read_whole_and_right_not_mapped(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    sets = {s: [np.sort(rng.choice(1000, size=k, replace=False)).astype(np.uint64) for k in (5, 0, 9)] for s in (0, 1)}
    for shard, docs in sets.items():
        files = sharded._files(tmp_path, shard)
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum([d.size for d in docs], out=offsets[1:])
        save_parts(files["shingles.npy"], [np.concatenate(docs)], np.uint64, after=[offsets, np.array([True])])
    reader = sharded._Sets(tmp_path, [0, 1], [0, 3])
    for rank in range(6):
        got = reader.get(rank)
        assert got.tolist() == sets[rank // 3][rank % 3].tolist()
        assert not isinstance(got.base, np.memmap) and not isinstance(got, np.memmap)


def test_sets_filed_as_they_came_are_read_distinct_and_sorted(tmp_path: Path) -> None:
    # Without passages or an index, a bands task files the summaries' shingles unsorted, with
    # repeats (and says so after the offsets): verification must still see distinct sorted sets.
    docs = [np.array([9, 3, 9, 1], dtype=np.uint64), np.zeros(0, dtype=np.uint64), np.array([5, 5], dtype=np.uint64)]
    files = sharded._files(tmp_path, 0)
    offsets = np.array([0, 4, 4, 6], dtype=np.int64)
    save_parts(files["shingles.npy"], [np.concatenate(docs)], np.uint64, after=[offsets, np.array([False])])
    reader = sharded._Sets(tmp_path, [0], [0])
    assert [reader.get(rank).tolist() for rank in range(3)] == [[1, 3, 9], [], [5]]


@pytest.mark.parametrize("preadv", [True, False])  # False: a platform without os.preadv (Windows)
def test_sets_read_together_are_those_read_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preadv: bool
) -> None:
    # verify_block reads a run of pairs' sets in one array (_Sets.many): each as get gives it,
    # from shards filed distinct and not, with a shard's files closed between the two passes.
    if not preadv:
        monkeypatch.setattr(sharded, "_PREADV", None)
    rng = np.random.default_rng(5)
    firsts, expected = [0], []
    for shard, distinct in ((0, True), (1, False), (2, False)):
        docs = [rng.integers(0, 50, size=k).astype(np.uint64) for k in (7, 0, 1, 12)]
        if distinct:
            docs = [np.unique(d) for d in docs]
        expected += [np.unique(d).tolist() for d in docs]
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum([d.size for d in docs], out=offsets[1:])
        after = [offsets, np.array([distinct])]
        save_parts(sharded._files(tmp_path, shard)["shingles.npy"], [np.concatenate(docs)], np.uint64, after=after)
        firsts.append(firsts[-1] + len(docs))
    monkeypatch.setattr(sharded._Sets, "MAX_OPEN", 1)
    reader = sharded._Sets(tmp_path, [0, 1, 2], firsts[:-1])
    for ranks in ([0, 1, 2, 3], [1, 5, 6, 11], list(range(12)), [4]):
        spans = reader.spans(np.array(ranks))
        assert spans[:, 0].tolist() == ranks
        assert reader.many(spans)[2] == (max(ranks) < 4)  # only shard 0's are filed distinct
        got = _read_distinct(reader, spans)
        assert got == [expected[rank] for rank in ranks] == [reader.get(rank).tolist() for rank in ranks]


@pytest.mark.parametrize(
    ("passages", "index", "older", "layout"),
    [
        (False, None, False, sharded.IN_SPILL),
        (True, None, False, sharded.IN_SPILL),
        (False, None, True, sharded.AS_THEY_CAME),  # a batch pickled whole: the sets are filed
        (False, "absent.db", False, sharded.DISTINCT),  # an index's queries need them distinct now
    ],
)
def test_a_bands_task_files_where_spilled_sets_lie_and_they_read_the_same(
    tmp_path: Path, passages: bool, index: str | None, older: bool, layout: int
) -> None:
    # Without an index, a bands task files no shingle values where every batch of the shard's
    # summaries was spilled by dump_summaries: each document's set is read where it lies in the
    # spill (with passages off, the bands task does not even read them). A set read so is the
    # distinct sorted set of the document's shingles, as from a file of values. The barrier's
    # files name the spill from their own folder: they read it after the work folder moved.
    cfg = DedupConfig(passages=passages, index=str(tmp_path / index) if index else None)
    stage = Dedup(cfg)
    texts = [" ".join(random_words(seed, 20 + 7 * seed)) for seed in range(12)]
    texts[3] = ""
    texts[5] = texts[2] + " " + texts[2]  # repeated shingles
    docs = [Document(id=f"d{i}", text=t, source=Source("f.jsonl", i + 1)) for i, t in enumerate(texts)]
    items = [(str(d.source), s) for d, s in zip(docs, stage.summarize_many(docs), strict=True)]
    work = tmp_path / "work"
    work.mkdir()
    path = work / "s.pkl"
    with open(path, "wb") as fh:
        for start in range(0, len(items), 5):
            batch = pack_summaries(items[start : start + 5])
            if older and start == 5:
                pickle.dump(batch, fh)
            else:
                dump_summaries(batch, fh)
    folder = work / "barrier"
    folder.mkdir()
    sharded.shard_bands(SpilledSummaries(path, len(items)), 0, 0, cfg, folder, 1, None, True)  # type: ignore[arg-type]
    folder = work.rename(tmp_path / "moved") / "barrier"
    with open(sharded._files(folder, 0)["shingles.npy"], "rb") as fh:
        rows = np.lib.format.read_array(fh)
        fh.seek(0)
        offsets, filed = load_after(fh, 2)
    assert filed.tolist() == [layout] and offsets[-1] == sum(s.shingles.size if index is None else
                                                             np.unique(s.shingles).size for _, s in items)  # fmt: skip
    assert rows.size == (0 if layout == sharded.IN_SPILL else offsets[-1])
    reader = sharded._Sets(folder, [0], [0])
    expected = [np.unique(s.shingles).tolist() for _, s in items]
    assert [reader.get(rank).tolist() for rank in range(len(items))] == expected
    assert _read_distinct(reader, reader.spans(np.arange(len(items)))) == expected
