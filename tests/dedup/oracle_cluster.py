"""Test oracles for the clustering steps (never called by cleaner itself).

A union-find :func:`resolve`, the keep rule written the plain way, and an online form
(:class:`OnlineBuckets`, query then insert, one document at a time) that must find the same
clusters as the batch form cleaner runs (:func:`cleaner.dedup.cluster.candidate_pairs`, then
:func:`cleaner.dedup.cluster.resolve_arrays`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cleaner.dedup.cluster import BUCKET_CAP, bucket_pairs

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def candidate_pairs(band_keys: U64, bucket_cap: int = BUCKET_CAP) -> I64:
    """All (i, j), i < j, whose rows share a key in some band; rows are in rank order.

    The batch form on one machine: :func:`bucket_pairs` for each band, then the union.

    >>> candidate_pairs(np.array([[5], [5], [5]], dtype=np.uint64), bucket_cap=1).tolist()
    [[0, 1], [0, 2]]
    """
    n, bands = band_keys.shape
    ranks = np.arange(n, dtype=np.int64)
    found = [bucket_pairs(ranks, band_keys[:, band], bucket_cap) for band in range(bands)]
    found = [f for f in found if f.size]
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found), axis=0)


def verify_pairs(
    pairs: Iterable[tuple[int, int]], similarity: Callable[[int, int], float], threshold: float
) -> list[tuple[int, int, float]]:
    """Keep the pairs whose exact similarity reaches ``threshold``: ``(i, j, similarity)``.

    >>> sets = {0: {1, 2, 3}, 1: {1, 2, 3}, 2: {7, 8}}
    >>> sim = lambda i, j: len(sets[i] & sets[j]) / len(sets[i] | sets[j])
    >>> verify_pairs([(0, 1), (0, 2)], sim, 0.8)
    [(0, 1, 1.0)]
    """
    kept = []
    for i, j in pairs:
        s = similarity(i, j)
        if s >= threshold:
            kept.append((i, j, s))
    return kept


class OnlineBuckets:
    """Band buckets for query-then-insert, one document at a time, in rank order.

    >>> b = OnlineBuckets(bucket_cap=1)
    >>> b.query_insert(0, [9]), b.query_insert(1, [9]), b.query_insert(2, [9])
    (set(), {0}, {0})
    """

    def __init__(self, bucket_cap: int = BUCKET_CAP) -> None:
        self.bucket_cap = bucket_cap
        self.buckets: list[dict[int, list[int]]] = []

    def query(self, keys: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for band, key in enumerate(keys):
            if band < len(self.buckets):
                found.update(self.buckets[band].get(key, ()))
        return found

    def insert(self, doc: int, keys: Sequence[int]) -> None:
        while len(self.buckets) < len(keys):
            self.buckets.append({})
        for band, key in enumerate(keys):
            members = self.buckets[band].setdefault(key, [])
            if len(members) < self.bucket_cap:
                members.append(doc)

    def query_insert(self, doc: int, keys: Sequence[int]) -> set[int]:
        found = self.query(keys)
        self.insert(doc, keys)
        return found


class UnionFind:
    """Disjoint sets over 0..n-1 whose root is always the smallest member (the best rank).

    >>> uf = UnionFind(4); uf.union(3, 1); uf.union(1, 2); uf.find(2), uf.find(0)
    (1, 0)
    """

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            lo, hi = (rx, ry) if rx < ry else (ry, rx)
            self.parent[hi] = lo


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one member of a cluster stands: its root (the kept copy), and for the others the
    member it was verified against and that similarity."""

    root: int
    duplicate_of: int | None = None
    similarity: float | None = None


def resolve(n: int, edges: Iterable[tuple[int, int, float]]) -> dict[int, Assignment]:
    """Apply the keep rule to verified edges over documents ranked 0..n-1 (0 is best).

    Rank encodes the rule: documents already in the index first, then input order, ties by id;
    the root of each connected component is its best-ranked member and is kept. Every other
    member points at its best verified neighbour: the most similar one that ranks before it
    (ties: the better rank), or, when all its verified neighbours rank after it, the most
    similar of those. Documents without a verified edge get no assignment.

    >>> resolve(4, [(0, 2, 0.9), (1, 2, 0.95)])[1]
    Assignment(root=0, duplicate_of=2, similarity=0.95)
    >>> sorted(resolve(4, [(0, 2, 0.9), (1, 2, 0.95)]))
    [0, 1, 2]
    """
    uf = UnionFind(n)
    best_before: dict[int, tuple[float, int]] = {}
    best_after: dict[int, tuple[float, int]] = {}
    for i, j, s in edges:
        lo, hi = (i, j) if i < j else (j, i)
        uf.union(lo, hi)
        # The later member prefers higher similarity, then the better-ranked (smaller) partner.
        cur = best_before.get(hi)
        if cur is None or (s, -lo) > (cur[0], -cur[1]):
            best_before[hi] = (s, lo)
        cur = best_after.get(lo)
        if cur is None or (s, -hi) > (cur[0], -cur[1]):
            best_after[lo] = (s, hi)
    out: dict[int, Assignment] = {}
    for doc in sorted(set(best_before) | set(best_after)):
        root = uf.find(doc)
        if doc == root:
            out[doc] = Assignment(root)
            continue
        s, other = best_before[doc] if doc in best_before else best_after[doc]
        out[doc] = Assignment(root, other, s)
    return out


def cluster_batch(
    band_keys: U64,
    similarity: Callable[[int, int], float],
    threshold: float,
    bucket_cap: int = BUCKET_CAP,
) -> dict[int, Assignment]:
    """The batch form: all candidate pairs at once, verify, union-find, keep rule.

    >>> keys = np.array([[1], [1], [2]], dtype=np.uint64)
    >>> cluster_batch(keys, lambda i, j: 0.9, 0.8)
    {0: Assignment(root=0, duplicate_of=None, similarity=None), 1: Assignment(root=0, duplicate_of=0, similarity=0.9)}
    """
    pairs = candidate_pairs(band_keys, bucket_cap)
    edges = verify_pairs(((int(i), int(j)) for i, j in pairs), similarity, threshold)
    return resolve(band_keys.shape[0], edges)


def cluster_online(
    band_keys: U64,
    similarity: Callable[[int, int], float],
    threshold: float,
    bucket_cap: int = BUCKET_CAP,
) -> dict[int, Assignment]:
    """The online form: each document queries the buckets, verifies, then is inserted.

    >>> keys = np.array([[1], [1], [2]], dtype=np.uint64)
    >>> cluster_online(keys, lambda i, j: 0.9, 0.8) == cluster_batch(keys, lambda i, j: 0.9, 0.8)
    True
    """
    buckets = OnlineBuckets(bucket_cap)
    edges: list[tuple[int, int, float]] = []
    for doc, row in enumerate(band_keys.tolist()):
        found = sorted(buckets.query_insert(doc, row))
        edges.extend(verify_pairs(((i, doc) for i in found), similarity, threshold))
    return resolve(band_keys.shape[0], edges)
