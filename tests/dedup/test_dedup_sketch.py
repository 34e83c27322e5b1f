"""Odd sketches: the estimate that verifies candidates from an index kept without shingle sets,
its error near the threshold, and how the index stores and uses them and its ids (format 3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from cleaner.config import DedupConfig
from cleaner.dedup.cluster import jaccard_distinct
from cleaner.dedup.index import DedupIndex, compact, forget, id_hash, verify
from cleaner.dedup.passages import sampled
from cleaner.dedup.sketch import MIN_BITS, estimate_jaccard, odd_sketch, sketch_bits
from cleaner.errors import IndexMismatchError

U64 = np.uint64


def pair(rng: np.random.Generator, common: int, only_a: int, only_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Two sets of random 64-bit hashes (sorted, distinct) sharing ``common`` elements."""
    values = np.unique(rng.integers(0, 2**64 - 1, size=2 * (common + only_a + only_b) + 10, dtype=U64))
    values = rng.permutation(values)[: common + only_a + only_b]
    shared, a_only, b_only = np.split(values, [common, common + only_a])
    return np.sort(np.concatenate([shared, a_only])), np.sort(np.concatenate([shared, b_only]))


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    bits = sketch_bits(len(b))  # as the index does: the stored document's size decides
    return estimate_jaccard(len(a), odd_sketch(a, bits), len(b), odd_sketch(b, bits))


def slots(values: np.ndarray, bits: int) -> np.ndarray:
    return ((values >> U64(32)) * U64(bits)) >> U64(32)


def test_a_pair_at_exactly_the_threshold_is_estimated_exactly_when_no_bit_is_shared() -> None:
    # 40 shared of 50: J = 0.8 exactly, a value short documents often reach. Without the parity
    # snap the moment estimate of 10 differing elements is 10.02 and J comes out 0.7996.
    rng = np.random.default_rng(3)
    for _ in range(20):
        a, b = pair(rng, 40, 5, 5)
        differ = np.setxor1d(a, b)
        if len(np.unique(slots(differ, MIN_BITS))) == len(differ):  # no two share a bit
            break
    assert jaccard_distinct(a, b) == 0.8
    assert estimate(a, b) == 0.8
    assert estimate(a, a) == 1.0


@pytest.mark.parametrize("size", [30, 200, 1000, 3000])
def test_pairs_0_05_from_the_threshold_are_decided_like_the_exact_jaccard(size: int) -> None:
    # Standard error about 0.006 at J = 0.8 (module docstring): 0.05 away is 8 of them.
    rng = np.random.default_rng(size)
    for target in (0.75, 0.85):
        common = round(2 * size * target / (1 + target))
        errors = []
        for _ in range(30):
            a, b = pair(rng, common, size - common, size - common)
            exact, est = jaccard_distinct(a, b), estimate(a, b)
            assert (est >= 0.8) == (exact >= 0.8), (size, exact, est)
            errors.append(est - exact)
        assert abs(float(np.mean(errors))) < 0.01  # no bias to speak of
        assert float(np.std(errors)) < 0.012


def test_large_documents_get_a_bit_per_shingle_and_keep_the_error_small() -> None:
    # 20,000 shingles at J = 0.8 differ on 4,400: 2,048 bits would be saturated.
    assert sketch_bits(20_000) == 20_000 and sketch_bits(20_001) == 20_008 and sketch_bits(1) == MIN_BITS
    rng = np.random.default_rng(5)
    a, b = pair(rng, 17_778, 2_222, 2_222)
    assert abs(estimate(a, b) - jaccard_distinct(a, b)) < 0.01


def test_sketches_of_other_lengths_never_match() -> None:
    one = odd_sketch(np.array([1], dtype=U64), 2048)
    assert estimate_jaccard(1, one, 1, odd_sketch(np.array([1], dtype=U64), 4096)) == 0.0


def _add(index: DedupIndex, doc_id: str, shingles: np.ndarray, keys: np.ndarray) -> int:
    return index.add([(doc_id, doc_id, keys, shingles)])[0]


def test_the_index_verifies_a_large_document_with_the_query_sketched_at_the_stored_size(tmp_path: Path) -> None:
    # 5,000 stored shingles: a 5,000-bit sketch; the query (4,990 shingles, its own size would
    # give 4,992 bits) is sketched at 5,000 bits to compare.
    rng = np.random.default_rng(7)
    stored, query = pair(rng, 4_600, 400, 390)
    keys = np.array([2**63 + 12345, 2**50 + 7], dtype=U64)  # band keys past 47 bits are stored masked
    with DedupIndex.open(str(tmp_path / "i.sqlite"), DedupConfig(passages=False)) as index:
        rowid = _add(index, "big", stored, keys)
        found = index.matches(keys, query, 0.8, {})
        assert [r for r, _ in found] == [rowid]
        assert abs(found[0][1] - jaccard_distinct(stored, query)) < 0.01
        assert index.sketch(rowid)[0] == 5_000 and len(index.sketch(rowid)[1]) == 625
        stored_key = index.conn.execute("SELECT MAX(key) FROM bands").fetchone()[0]
        assert 0 <= stored_key < 2**47


def test_verify_reports_a_sketch_of_the_wrong_length(tmp_path: Path) -> None:
    path = str(tmp_path / "i.sqlite")
    with DedupIndex.open(path, DedupConfig(passages=False)) as index:
        number = index.begin_run("r", "run")
        rowids = [
            _add(index, f"d{i}", np.arange(1, 50, dtype=U64) * U64(i + 1), np.array([i], dtype=U64)) for i in range(3)
        ]
        index.finish_add(number, rowids)
        index.commit_run("r")
    assert verify(path)["ok"]
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE docs SET size = 3000 WHERE id = 'd1'")  # 2,048 bits no longer fit it
    conn.close()
    assert verify(path)["problems"] == ["1 sketches whose length does not match their document's size"]


def test_compact_hands_a_forgotten_documents_passage_owners_to_the_next_holder(tmp_path: Path) -> None:
    path = str(tmp_path / "i.sqlite")
    shingles = np.arange(1, 401, dtype=U64) * U64(0x9E3779B97F4A7C15)
    mine = np.unique(shingles[sampled(shingles)])
    assert mine.size > 50
    with DedupIndex.open(path, DedupConfig(passages=True)) as index:
        for run, doc_id in (("r1", "first"), ("r2", "second")):
            number = index.begin_run(run, "run")
            index.finish_add(number, [_add(index, doc_id, np.sort(shingles), np.array([1], dtype=U64))])
            index.commit_run(run)
        second = index.known("second")
        assert second is not None and index.owners(mine)[1].tolist() == [second.rowid - 1] * mine.size
    forget(path, 1)
    with DedupIndex.open(path, DedupConfig(passages=True)) as index:
        assert index.owners(mine)[0].size == 0  # the first holder's owners left with it
    assert compact(path)["passage_owners_reassigned"] == mine.size
    with DedupIndex.open(path, DedupConfig(passages=True)) as index:
        owned, owners = index.owners(mine)
        assert owned.size == mine.size and set(owners.tolist()) == {second.rowid}
    assert verify(path)["ok"]


def test_a_format_2_index_is_refused_with_why_and_what_to_do(tmp_path: Path) -> None:
    path = str(tmp_path / "old.sqlite")
    with DedupIndex.open(path, DedupConfig(passages=False)):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'format_version'")
    conn.close()
    with pytest.raises(IndexMismatchError, match=r"format 2 kept 16-bit MinHash values.*new --index path"):
        DedupIndex.open(path, DedupConfig(passages=False))


def _colliding_ids() -> tuple[str, str]:
    seen: dict[int, str] = {}
    for i in range(1_000_000):
        doc_id = f"https://example.com/page/{i}"
        other = seen.setdefault(id_hash(doc_id), doc_id)
        if other != doc_id:
            return other, doc_id
    raise AssertionError("no 32-bit collision in a million ids")


def test_ids_are_looked_up_by_a_32_bit_hash_and_told_apart_when_two_share_it(tmp_path: Path) -> None:
    first, second = _colliding_ids()
    assert id_hash(first) == id_hash(second)
    path = str(tmp_path / "i.sqlite")
    with DedupIndex.open(path, DedupConfig(passages=False)) as index:
        number = index.begin_run("r", "run")
        rows = [
            (doc_id, doc_id, np.array([k], dtype=U64), np.arange(1, 30, dtype=U64) * U64(k), k)
            for k, doc_id in ((11, first), (22, second))
        ]
        rowids = index.add(rows)
        index.finish_add(number, rowids)
        index.commit_run("r")
        found = [index.known(doc_id) for doc_id in (first, second, "https://example.com/other")]
        assert [(k.rowid, k.content) for k in found[:2] if k] == [(rowids[0], 11), (rowids[1], 22)]
        assert found[2] is None
        stored = index.conn.execute("SELECT MIN(id_hash), MAX(id_hash) FROM docs").fetchone()
        assert -(2**31) <= stored[0] <= stored[1] < 2**31  # 4 bytes each in the id B-tree
    assert verify(path)["ok"]
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE docs SET id_hash = id_hash + 1 WHERE rowid = ?", (rowids[0],))
    conn.close()
    assert verify(path)["problems"] == ["1 documents whose id hash is not their id's (their ids cannot be found)"]
