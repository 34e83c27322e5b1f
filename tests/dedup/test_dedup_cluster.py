"""Clustering: production's batch steps agree with the test oracles (online buckets, union-find),
verification rejects LSH false positives, the keep rule holds."""

from __future__ import annotations

import dataclasses
import itertools
import random

import numpy as np
import pytest
from dedup_textgen import docs_from, edit_words, random_words, run_stage
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_cluster import Assignment, OnlineBuckets, candidate_pairs, cluster_batch, cluster_online, resolve

from cleaner.config import DedupConfig
from cleaner.dedup import Dedup, cluster
from cleaner.dedup.cluster import (
    argsort_hashes,
    bucket_pairs,
    distinct_pairs,
    jaccard,
    resolve_arrays,
    smallest_member,
    sorted_hashes,
)
from cleaner.dedup.shingles import Shingler
from cleaner.dedup.signatures import Signer, band_keys
from cleaner.record import DuplicateOf, Reason


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 4),
    st.integers(1, 6),
    st.integers(0, 2**32),
    st.integers(1, 5),
)
def test_batch_and_online_give_the_same_clusters(n: int, bands: int, key_range: int, seed: int, cap: int) -> None:
    rng = random.Random(seed)
    keys = np.array([[rng.randrange(key_range) for _ in range(bands)] for _ in range(n)], dtype=np.uint64)
    sims = {(i, j): rng.choice([0.3, 0.8, 0.85, 0.95, 1.0]) for i in range(n) for j in range(i + 1, n)}

    def similarity(i: int, j: int) -> float:
        return sims[(min(i, j), max(i, j))]

    batch = cluster_batch(keys, similarity, 0.8, bucket_cap=cap)
    online = cluster_online(keys, similarity, 0.8, bucket_cap=cap)
    assert batch == online
    # The same candidate pairs, too.
    buckets = OnlineBuckets(cap)
    online_pairs = sorted((i, doc) for doc, row in enumerate(keys.tolist()) for i in buckets.query_insert(doc, row))
    assert online_pairs == [tuple(p) for p in candidate_pairs(keys, cap).tolist()]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 30), st.sampled_from([0.8, 0.85, 0.9, 1.0])),
        max_size=40,
    )
)
def test_resolve_arrays_equals_resolve(raw: list[tuple[int, int, float]]) -> None:
    # Distinct unordered pairs without loops, as verification produces them; similarities repeat
    # on purpose so that the tie-breaks are exercised.
    seen: dict[tuple[int, int], float] = {}
    for i, j, s in raw:
        if i != j:
            seen.setdefault((min(i, j), max(i, j)), s)
    edges = [(j, i, s) if (i + j) % 2 else (i, j, s) for (i, j), s in seen.items()]  # either order
    expected = resolve(31, edges)
    lo = np.array([e[0] for e in edges], dtype=np.int64)
    hi = np.array([e[1] for e in edges], dtype=np.int64)
    sim = np.array([e[2] for e in edges], dtype=np.float64)
    nodes, roots, dup, sims = resolve_arrays(lo, hi, sim)
    got = {
        int(n): Assignment(int(r)) if d < 0 else Assignment(int(r), int(d), float(x))
        for n, r, d, x in zip(nodes, roots, dup, sims, strict=True)
    }
    assert got == expected


def _smallest_by_search(count: int, edges: list[tuple[int, int]]) -> list[int]:
    """The oracle: each node's component found by a plain graph walk, then its minimum."""
    neighbours: dict[int, set[int]] = {i: set() for i in range(count)}
    for u, v in edges:
        neighbours[u].add(v)
        neighbours[v].add(u)
    out = [-1] * count
    for start in range(count):
        if out[start] >= 0:
            continue
        seen, todo = {start}, [start]
        while todo:
            for nxt in neighbours[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        for node in seen:
            out[node] = min(seen)
    return out


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)), max_size=80), st.randoms())
def test_smallest_member_equals_a_graph_walk(count: int, raw: list[tuple[int, int]], rnd: random.Random) -> None:
    edges = [(u % count, v % count) for u, v in raw]
    # and a long chain in shuffled order, the slow case of label propagation
    chain = list(range(count))
    rnd.shuffle(chain)
    edges += list(itertools.pairwise(chain))[: rnd.randint(0, count)]
    u = np.array([e[0] for e in edges], dtype=np.int64)
    v = np.array([e[1] for e in edges], dtype=np.int64)
    assert smallest_member(u, v, count).tolist() == _smallest_by_search(count, edges)


def test_same_result_on_real_signatures() -> None:
    base = [random_words(s, 120) for s in range(30)]
    texts = [" ".join(w) for w in base]
    texts += [" ".join(edit_words(base[s % 30], s, s % 5)) for s in range(30)]
    hashes, offsets = Shingler(5).hash_batch(texts)
    keys = band_keys(Signer(128, 1).sign(hashes, offsets), 16, 8)

    def similarity(i: int, j: int) -> float:
        return jaccard(hashes[offsets[i] : offsets[i + 1]], hashes[offsets[j] : offsets[j + 1]])

    batch = cluster_batch(keys, similarity, 0.8)
    assert batch == cluster_online(keys, similarity, 0.8)
    assert {a.root for d, a in batch.items() if d >= 30} <= set(range(30))


def test_crafted_lsh_false_positive_is_rejected() -> None:
    # Two texts sharing 40% of their words: Jaccard of 5-grams about 0.2, far below 0.8.
    # With 64 bands of 2 rows, their signatures collide in some band (asserted below), so LSH
    # makes them a candidate pair; verification must refuse to cluster them.
    shared = random_words(1, 80)
    a = shared + random_words(2, 120)
    b = shared + random_words(3, 120)
    cfg = DedupConfig(bands=64, rows=2, passages=False)
    docs = docs_from([("a", " ".join(a)), ("b", " ".join(b))])
    stage = Dedup(cfg)
    summaries = [stage.summarize(d) for d in docs]
    keys = np.vstack([s.band_keys for s in summaries])
    assert candidate_pairs(keys).tolist() == [[0, 1]], "the crafted pair must be an LSH candidate"
    assert jaccard(summaries[0].shingles, summaries[1].shingles) < 0.5
    out = run_stage(cfg, docs)
    assert [d.status for d in out] == ["kept", "kept"]
    assert [d.duplicate for d in out] == [None, None]


def test_unverified_neighbours_do_not_chain() -> None:
    # a~b and b~c verified, a and c not similar: one cluster through b, but never a cluster for
    # pairs whose only link is an LSH collision.
    edges = [(0, 1, 0.85), (1, 2, 0.85)]
    out = resolve(4, edges)
    assert out[2] == Assignment(root=0, duplicate_of=1, similarity=0.85)
    assert 3 not in out


def test_keep_rule_earliest_input_wins() -> None:
    base = random_words(5, 200)
    texts = [
        ("z-late", " ".join(random_words(6, 200))),
        ("m-first-copy", " ".join(edit_words(base, 1, 2))),
        ("a-second-copy", " ".join(base)),
        ("b-third-copy", " ".join(edit_words(base, 3, 1))),
    ]
    out = run_stage(DedupConfig(passages=False), docs_from(texts))
    assert [d.status for d in out] == ["kept", "kept", "dropped", "dropped"]
    assert out[0].duplicate is None
    assert out[1].duplicate == DuplicateOf(cluster="m-first-copy")
    for dropped in out[2:]:
        assert dropped.duplicate is not None and dropped.duplicate.cluster == "m-first-copy"
        assert dropped.rejected is not None and dropped.rejected.reason is Reason.NEAR_DUPLICATE_DOC
        assert dropped.duplicate.similarity is not None and dropped.duplicate.similarity >= 0.8
        assert "cluster=m-first-copy" in dropped.rejected.detail
    # Reversing the input reverses who is kept: input order, not id order, decides.
    rev = run_stage(DedupConfig(passages=False), docs_from(list(reversed(texts))))
    assert [d.id for d in rev if d.status == "kept"] == ["b-third-copy", "z-late"]


def test_keep_duplicates_flags_without_dropping() -> None:
    text = " ".join(random_words(8, 100))
    cfg = DedupConfig(passages=False, drop_duplicates=False)
    out = run_stage(cfg, docs_from([("one", text), ("two", text.upper())]))
    assert [d.status for d in out] == ["kept", "kept"]
    assert out[1].duplicate == DuplicateOf(cluster="one", duplicate_of="one", similarity=1.0)


def test_documents_without_words_never_cluster() -> None:
    out = run_stage(DedupConfig(passages=False), docs_from([("x", "..."), ("y", "!!!"), ("z", "")]))
    assert [d.status for d in out] == ["kept"] * 3
    assert all(d.duplicate is None for d in out)


@pytest.mark.parametrize(("bands", "rows"), [(32, 4), (9, 13)])  # 9 x 13 leaves 11 permutations unused
def test_a_summary_holds_the_band_keys_of_its_signature(bands: int, rows: int) -> None:
    # The summaries hold band keys only (what the barrier and the index read), the signature's
    # as the stage's bands and rows cut it; words or none, passages or none.
    cfg = DedupConfig(bands=bands, rows=rows, seed=7)
    texts = [" ".join(random_words(i, 20 + 9 * i)) for i in range(5)] + ["", "..."]
    docs = docs_from([(str(i), text) for i, text in enumerate(texts)])
    for passages in (True, False):
        summaries = Dedup(dataclasses.replace(cfg, passages=passages)).summarize_many(docs)
        for doc, summary in zip(docs, summaries, strict=True):
            shingles = Shingler(cfg.ngram).hash_batch([doc.text])[0]
            signature = Signer(cfg.num_perm, 7).sign(shingles, np.array([0, shingles.size]))
            assert summary.band_keys.tolist() == band_keys(signature, bands, rows)[0].tolist()


def test_summarize_many_equals_summarize() -> None:
    stage = Dedup(DedupConfig())
    docs = docs_from([(str(i), " ".join(random_words(i, 30 + i)) + "\n\n" + "tail " * i) for i in range(6)])
    for one, many in zip([stage.summarize(d) for d in docs], stage.summarize_many(docs), strict=True):
        for f in dataclasses.fields(one):
            a, b = getattr(one, f.name), getattr(many, f.name)
            assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b


def test_stage_pickles_for_worker_processes() -> None:
    import pickle

    stage = Dedup(DedupConfig())
    stage.setup()
    docs = docs_from([("a", " ".join(random_words(1, 50)))])
    clone = pickle.loads(pickle.dumps(stage))
    a, b = stage.summarize(docs[0]), clone.summarize(docs[0])
    assert np.array_equal(a.band_keys, b.band_keys) and np.array_equal(a.shingles, b.shingles)


def test_shuffled_partitions_give_the_same_pairs() -> None:
    # What a distributed engine does: per band, rows shuffled into partitions by key (in any
    # row order), bucket_pairs per partition, union of the results.
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 6, size=(200, 4)).astype(np.uint64)
    expected = candidate_pairs(keys, bucket_cap=3).tolist()
    found: set[tuple[int, int]] = set()
    for band in range(keys.shape[1]):
        rows = rng.permutation(keys.shape[0])
        for part in range(3):
            mine = rows[keys[rows, band] % 3 == part]
            found.update(map(tuple, bucket_pairs(mine, keys[mine, band], bucket_cap=3).tolist()))
    assert sorted(found) == [tuple(p) for p in expected]


def test_rows_in_rank_order_are_sorted_by_key_alone_with_the_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A pairs task's rows come in rank order (repeats too): bucket_pairs sorts them by key alone
    # (argsort_hashes, stable), and gives the pairs the two-key sort gives rows in any order.
    rng = np.random.default_rng(7)
    ranks = np.sort(rng.integers(0, 900, size=3000)).astype(np.int64)
    keys = rng.integers(0, 40, size=3000).astype(np.uint64) << np.uint64(58)  # top bits: radix ties
    sorts: list[int] = []
    monkeypatch.setattr(cluster, "argsort_hashes", lambda values: sorts.append(1) or argsort_hashes(values))
    shuffled = rng.permutation(3000)
    expected = bucket_pairs(ranks[shuffled], keys[shuffled], bucket_cap=5)
    assert not sorts  # out of rank order: the two-key sort
    assert bucket_pairs(ranks, keys, bucket_cap=5).tolist() == expected.tolist()
    assert sorts == [1]


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(12))), st.booleans())
def test_clusters_do_not_depend_on_input_order(order: list[int], passages: bool) -> None:
    # 4 originals, each with 2 light edits (J about 0.9 with it), in any input order: always
    # the same 4 clusters, each kept copy the earliest of its cluster in that order.
    texts = []
    for group in range(4):
        base = random_words(100 + group, 120)
        texts.append((f"g{group}-orig", " ".join(base)))
        texts += [(f"g{group}-edit{e}", " ".join(edit_words(base, 10 * group + e, 1))) for e in range(2)]
    shuffled = [texts[i] for i in order]
    out = run_stage(DedupConfig(passages=passages), docs_from(shuffled))
    clusters: dict[str, set[str]] = {}
    for doc in out:
        assert doc.duplicate is not None
        clusters.setdefault(doc.duplicate.cluster, set()).add(doc.id)
    assert sorted(map(sorted, clusters.values())) == sorted(
        sorted(t for t, _ in texts if t.startswith(f"g{g}-")) for g in range(4)
    )
    for kept_id, members in clusters.items():
        first = min(members, key=lambda m: [t for t, _ in shuffled].index(m))
        assert kept_id == first
        assert [d.status for d in out if d.id in members].count("kept") == 1


def test_argsort_hashes_is_numpy_s_stable_argsort() -> None:
    rng = np.random.default_rng(11)
    for size in (0, 5, 2_000, 70_000, 300_000):  # below and above the radix pass's threshold
        # Many repeats (each in several places, the way shards hold shared shingles), and hashes
        # that share their top 16 bits but differ below.
        base = rng.integers(0, 2**64, max(size // 3, 1), dtype=np.uint64, endpoint=False)
        values = rng.choice(base, size) ^ (rng.integers(0, 4, size, dtype=np.uint64) << np.uint64(20))
        assert np.array_equal(argsort_hashes(values), np.argsort(values, kind="stable"))
        # A slice of the hash space (the owner pieces sort one at a time): the top bits shared.
        for shared_bits in (4, 16, 50):
            in_slice = values >> np.uint64(shared_bits) | np.uint64(5 << (64 - 3))
            expected = np.argsort(in_slice, kind="stable")
            assert np.array_equal(argsort_hashes(in_slice, shared_bits), expected)


@pytest.mark.parametrize("shared_bits", [0, 4])
def test_argsort_hashes_orders_hashes_that_differ_only_in_their_lowest_bits(shared_bits: int) -> None:
    # The packed sort puts each value's index in its lowest bits (13 of them for 5,000 values):
    # distinct values that differ only there come out in index order, not value order, and the
    # sort must notice and give the stable order all the same (and the values in it).
    rng = np.random.default_rng(5)
    base = rng.integers(0, 2**60, 50, dtype=np.uint64) | np.uint64(5 << 60)  # the top 4 bits shared
    values = rng.choice(base, 5_000) ^ rng.integers(0, 1 << 12, 5_000, dtype=np.uint64)
    expected = np.argsort(values, kind="stable")
    order, ordered = sorted_hashes(values, shared_bits)
    assert np.array_equal(order, expected) and np.array_equal(ordered, values[expected])
    assert np.array_equal(argsort_hashes(values, shared_bits), expected)


@pytest.mark.parametrize("high", [1_000, 1 << 40, -1])  # packed keys; past 32 bits, negative: lexsort
def test_distinct_pairs_equals_numpy_unique_rows(high: int) -> None:
    rng = np.random.default_rng(abs(high))
    low, high = (-1000, 1000) if high < 0 else (0, high)
    runs = [rng.integers(low, high, size=(int(rng.integers(0, 300)), 2)) for _ in range(12)]
    pairs = np.concatenate([np.sort(run, axis=0) for run in runs] + runs[:3])  # sorted runs, repeats
    got = distinct_pairs(pairs)
    assert got.dtype == np.int64
    assert np.array_equal(got, np.unique(pairs, axis=0))
