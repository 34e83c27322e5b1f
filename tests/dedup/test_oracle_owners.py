"""The test oracle's owners (tests/dedup/oracle_owners.py), one hash range at a time, give exactly
the one-piece owner map's counts and decisions: the oracle that production's sharded decisions
are compared with (test_dedup_sharded.py) must itself be right. Production's own range cut
(``cleaner.dedup.sharded.range_bounds``) is checked here too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import oracle_dedup
import pytest
from dedup_textgen import docs_from, random_words
from oracle_owners import HASH_RANGES, OwnerCounts, first_holders, first_positions, owner_counts
from oracle_store import ShingleStore

from cleaner.config import DedupConfig
from cleaner.dedup import Decision, Dedup
from cleaner.dedup.passages import sampled
from cleaner.dedup.sharded import range_bounds

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

TOP = 2**64 - 1
# Hashes on and next to the edges of the 16 (and 3) ranges, and the ends of the hash space.
EDGES = sorted(
    {h for n in (HASH_RANGES, 3) for lo, _ in range_bounds(n) for h in (lo - 1, lo, lo + 1) if 0 <= h <= TOP}
    | {TOP, TOP - 1}
)


def _chunks(values: U64, size: int) -> Callable[[], Iterator[tuple[int, U64]]]:
    def chunks() -> Iterator[tuple[int, U64]]:
        for start in range(0, values.size, size):
            yield start, values[start : start + size]

    return chunks


def _one_piece(values: U64, doc_offsets: I64, starts: I64, sizes: I64, index: dict[int, int] | None) -> OwnerCounts:
    """The computation as it was before ranges: one owner map of every shingle."""
    n = doc_offsets.size - 1
    holders = first_holders(values, np.repeat(np.arange(n), np.diff(doc_offsets)))
    doc_of = np.repeat(np.arange(n), np.diff(doc_offsets))
    owned = np.zeros(sizes.size, dtype=np.int64)
    total = np.zeros(sizes.size, dtype=np.int64)
    by_index = np.zeros(sizes.size, dtype=np.int64)
    max_rowid = -1
    for p, (start, size) in enumerate(zip(starts.tolist(), sizes.tolist(), strict=True)):
        for pos in range(start, start + size):
            owned[p] += holders[pos] < doc_of[pos]
            if index is not None and sampled(values[pos : pos + 1])[0]:
                total[p] += 1
                rowid = index.get(int(values[pos]))
                if rowid is not None:
                    by_index[p] += 1
                    max_rowid = max(max_rowid, rowid)
    return OwnerCounts(owned, total, by_index, max_rowid)


def _fake_index(table: dict[int, int]) -> Callable[[U64], tuple[U64, I64]]:
    def owners(hashes: U64) -> tuple[U64, I64]:
        found = sorted({int(h) for h in hashes.tolist()} & table.keys())
        return np.array(found, dtype=np.uint64), np.array([table[h] for h in found], dtype=np.int64)

    return owners


def _random_run(seed: int) -> tuple[U64, I64, I64, I64]:
    """Documents (some empty) drawing hashes from a small pool with range-edge values, so
    hashes repeat within and across documents and across ranges; disjoint passages (some
    empty) inside each document."""
    rng = np.random.default_rng(seed)
    pool = np.array(EDGES + rng.integers(0, TOP, size=20, dtype=np.uint64, endpoint=True).tolist(), dtype=np.uint64)
    n_docs = int(rng.integers(1, 12))
    sizes = rng.integers(0, 30, size=n_docs)
    sizes[rng.random(n_docs) < 0.2] = 0
    values = pool[rng.integers(0, pool.size, size=int(sizes.sum()))]
    doc_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(sizes, out=doc_offsets[1:])
    starts: list[int] = []
    counts: list[int] = []
    for d in range(n_docs):
        pos, end = int(doc_offsets[d]), int(doc_offsets[d + 1])
        while pos < end and rng.random() < 0.8:
            gap, size = int(rng.integers(0, 4)), int(rng.integers(0, 10))
            start = min(pos + gap, end)
            size = min(size, end - start)
            starts.append(start)
            counts.append(size)
            pos = start + size
    return values, doc_offsets, np.array(starts, dtype=np.int64), np.array(counts, dtype=np.int64)


def _assert_same(a: OwnerCounts, b: OwnerCounts) -> None:
    assert a.owned.tolist() == b.owned.tolist()
    assert a.sampled.tolist() == b.sampled.tolist()
    assert a.owned_by_index.tolist() == b.owned_by_index.tolist()
    assert a.max_rowid == b.max_rowid


@pytest.mark.parametrize("seed", range(40))
def test_ranges_equal_the_one_piece_owner_map(seed: int) -> None:
    values, doc_offsets, starts, sizes = _random_run(seed)
    rng = np.random.default_rng(1000 + seed)
    # The index owns some sampled hashes of the pool (including edge values), rowids 1..
    index = {int(h): int(rng.integers(1, 50)) for h in set(values.tolist()) if h % 4 == 0 and rng.random() < 0.5}
    for table in (None, index):
        expected = _one_piece(values, doc_offsets, starts, sizes, table)
        for n_ranges in (1, 2, 3, HASH_RANGES):
            for chunk in (1, 7, 1000):
                got = owner_counts(
                    _chunks(values, chunk),
                    doc_offsets,
                    starts,
                    sizes,
                    n_ranges,
                    None if table is None else _fake_index(table),
                )
                _assert_same(got, expected)


def test_edge_cases_no_passages_one_document_and_nothing_at_all() -> None:
    empty = np.zeros(0, dtype=np.int64)
    none = owner_counts(_chunks(np.zeros(0, dtype=np.uint64), 4), np.zeros(1, dtype=np.int64), empty, empty)
    assert none.owned.size == 0 and none.max_rowid == -1
    values = np.array(EDGES, dtype=np.uint64)
    offsets = np.array([0, values.size])
    no_passages = owner_counts(_chunks(values, 4), offsets, empty, empty)
    assert no_passages.owned.size == 0
    # One document owns all its own shingles, repeats included: nothing is owned earlier.
    twice = np.concatenate([values, values])
    one_doc = owner_counts(_chunks(twice, 5), np.array([0, twice.size]), np.array([0]), np.array([twice.size]))
    assert one_doc.owned.tolist() == [0]
    # The same edge hashes in a second document: every one is owned by the first.
    two_docs = owner_counts(
        _chunks(twice, 5), np.array([0, values.size, twice.size]), np.array([values.size]), np.array([values.size])
    )
    assert two_docs.owned.tolist() == [values.size]


def test_first_positions_match_a_scan() -> None:
    rng = np.random.default_rng(7)
    pool = np.array(EDGES, dtype=np.uint64)
    values = pool[rng.integers(0, pool.size, size=300)]
    wanted = np.unique(np.concatenate([pool[::2], np.array([12345], dtype=np.uint64)]))
    listed = values.tolist()
    expected = [listed.index(h) if h in listed else -1 for h in wanted.tolist()]
    for chunk in (1, 13, 1000):
        assert first_positions(_chunks(values, chunk), wanted).tolist() == expected
    assert first_positions(_chunks(values, 4), np.zeros(0, dtype=np.uint64)).size == 0


def test_store_chunks_rebuild_the_flat_arrays() -> None:
    store = ShingleStore()
    try:
        for n in (3, 0, 5, 1):
            store.append(np.arange(n, dtype=np.uint64) + 10 * n)
        flat, offsets = store.flat()
        parts = list(store.chunks(2))
        assert [start for start, _ in parts] == [0, 2, 4, 6, 8]
        assert np.concatenate([v for _, v in parts]).tolist() == flat.tolist()
        assert store.offsets() == offsets == [0, 3, 3, 8, 9]
    finally:
        store.close()


def _para(seed: int, n: int = 40) -> str:
    return " ".join(random_words(seed, n)) + "."


def _corpus(seed: int) -> list[tuple[str, str]]:
    """Documents made of shared and fresh paragraphs, some copied whole, some repeated."""
    rng = np.random.default_rng(seed)
    shared = [_para(seed * 100 + k) for k in range(6)]
    texts: list[tuple[str, str]] = []
    for d in range(14):
        paras = [
            shared[int(k)] if rng.random() < 0.5 else _para(seed * 1000 + d * 10 + int(k))
            for k in rng.integers(0, 6, size=3)
        ]
        texts.append((f"d{d}", "\n\n".join(paras)))
    texts.append(("copy", texts[0][1]))
    texts.append(("blank", ""))
    return texts


def _decide(cfg: DedupConfig, texts: list[tuple[str, str]], hash_ranges: int = HASH_RANGES) -> dict[str, Decision]:
    docs = docs_from(texts)
    stage = Dedup(cfg)
    return oracle_dedup.one_piece_decide(stage, [(str(d.source), stage.summarize(d)) for d in docs], hash_ranges)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_decisions_do_not_depend_on_hash_ranges(seed: int, tmp_path: Path) -> None:
    texts = _corpus(seed)
    one_piece = _decide(DedupConfig(), texts, 1)
    assert any(d.passages for d in one_piece.values())
    for n_ranges in (2, 5, HASH_RANGES):
        assert _decide(DedupConfig(), texts, n_ranges) == one_piece
    # Across runs through an index: the second run's owners come partly from the index.
    later = [(f"later{i}", t) for i, (_, t) in enumerate(_corpus(seed + 10))] + [("again", texts[3][1])]
    results = []
    for n_ranges in (1, HASH_RANGES):
        cfg = DedupConfig(index=str(tmp_path / f"idx{n_ranges}.sqlite"))
        _decide(cfg, texts, n_ranges)
        results.append(_decide(cfg, later + texts[:4], n_ranges))
    assert results[0] == results[1]
    assert any(d.passages for d in results[0].values())


def test_decisions_do_not_depend_on_the_candidate_batch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    texts = _corpus(4)
    later = [(f"later{i}", t) for i, (_, t) in enumerate(_corpus(14))] + texts[:4]
    results = []
    for budget in (oracle_dedup.CANDIDATE_BATCH, 50, 1):
        monkeypatch.setattr(oracle_dedup, "CANDIDATE_BATCH", budget)
        cfg = DedupConfig(index=str(tmp_path / f"idx{budget}.sqlite"))
        results.append((_decide(DedupConfig(), texts), _decide(cfg, texts), _decide(cfg, later)))
    assert results[0] == results[1] == results[2]
    assert any(d.passages for d in results[0][2].values())
