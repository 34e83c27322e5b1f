"""Pure clustering steps: band keys -> candidate pairs -> verify -> connected components -> keep rule.

Engines shuffle by band: :func:`bucket_pairs` per (band, key) partition, then :func:`jaccard_distinct` verifies each
pair and :func:`resolve_arrays` applies the keep rule over compact arrays (connected components
with scipy). tests/dedup/oracle_cluster.py keeps a union-find and an online (query-then-insert)
form as test oracles; tests/dedup/test_dedup_cluster.py checks these steps against them.

A candidate pair is an LSH collision: the two signatures agree on every row of at least one
band. Collisions are only suspects. :func:`verify_pairs` keeps a pair only when the exact
Jaccard of the two shingle sets reaches the threshold, so templated pages that share a band by
chance never join a cluster, and union-find then only ever links verified near-duplicates.

A bucket remembers at most ``bucket_cap`` members (the earliest by rank). A later document is
compared with those only; that bounds the work for thousands of copies of one page (any early
copy is as good as another).

>>> bucket_pairs(np.array([0, 1, 2]), np.array([7, 8, 8], dtype=np.uint64)).tolist()  # one band
[[1, 2]]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

U64: TypeAlias = "npt.NDArray[np.uint64]"
I64: TypeAlias = "npt.NDArray[np.int64]"
F64: TypeAlias = "npt.NDArray[np.float64]"

# 64 earliest members per bucket: enough that a near-duplicate meets an earlier copy it verifies
# against (every copy of a page verifies against every other), small enough that 10,000 copies
# cost 640,000 checks, not 50 million.
BUCKET_CAP = 64


def bucket_pairs(ranks: I64, keys: U64, bucket_cap: int = BUCKET_CAP) -> I64:
    """Candidate pairs ``(earlier rank, later rank)`` among rows of ONE band that share a key.

    This is the reduce step of the batch form: a distributed engine shuffles (rank, key) rows
    of a band so that equal keys meet in one partition and calls this per partition; any split
    that keeps each key's rows together gives the same pairs. Within a bucket, member m (in
    rank order) pairs with the first ``min(m, bucket_cap)`` members.

    >>> bucket_pairs(np.array([7, 3, 5]), np.array([1, 1, 1], dtype=np.uint64), bucket_cap=1).tolist()
    [[3, 5], [3, 7]]
    """
    n = ranks.size
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    # By key, rank order inside each bucket. Rows in rank order already (a pairs task's: each
    # shard's rows of a cell are, and the shards come in rank order) need only a stable sort by
    # key, the radix-first argsort_hashes (0.43 against lexsort's 1.45 ms for 20k rows; the
    # Reuters bench sorts 16 such bands); ties keep their order, the one lexsort gives.
    if keys.dtype == np.uint64 and bool((ranks[1:] >= ranks[:-1]).all()):
        order = argsort_hashes(keys)
    else:
        order = np.lexsort((ranks, keys))
    sorted_keys = keys[order]
    # Only rows sharing their key pair up: the rest (most rows: a key a document and band) go
    # before the steps below, which then see only buckets of two or more, in the same order.
    # A 20k-row band of the Reuters bench: 0.74 -> 0.41 ms (16 bands a run).
    same = sorted_keys[1:] == sorted_keys[:-1]  # row i + 1 is in row i's bucket
    shared = np.zeros(n, dtype=np.bool_)
    shared[1:] = same
    shared[:-1] |= same
    order, sorted_keys = order[shared], sorted_keys[shared]
    n = order.size
    if n == 0:
        return np.zeros((0, 2), dtype=np.int64)
    new_bucket = np.empty(n, dtype=np.bool_)
    new_bucket[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new_bucket[1:])
    bucket_of = np.cumsum(new_bucket) - 1
    starts = np.flatnonzero(new_bucket)
    within = np.arange(n) - starts[bucket_of]  # position of each member in its bucket
    counts = np.minimum(within, bucket_cap)  # earlier members each one is paired with
    total = int(counts.sum())
    if total == 0:
        return np.zeros((0, 2), dtype=np.int64)
    later = np.repeat(np.arange(n), counts)
    first_slot = np.repeat(np.cumsum(counts) - counts, counts)
    earlier = starts[bucket_of[later]] + (np.arange(total) - first_slot)
    sorted_ranks = np.asarray(ranks, dtype=np.int64)[order]
    return np.stack([sorted_ranks[earlier], sorted_ranks[later]], axis=1)


# Below this many values numpy's own stable sort is as fast (the radix pass has a fixed cost of
# about 10 us). Measured (numpy 2, this repo's dev machine): 1 K values 36 -> 24 us, 8 K 0.55 ->
# 0.11 ms, 50 K 5.0 -> 1.4 ms (the owner lookups of the passage check sort tens of thousands).
_RADIX_MIN = 1 << 10
# The packed sort (sorted_hashes) is tried while two distinct hashes alike in all the bits it
# keeps are unlikely: n hashes keep 64 - log2(n) bits, and about 2**(3 * log2(n) - 65) such pairs
# are expected, at most 1 in 32 up to 2**20 hashes (a slice of the owner pieces, 182 K: 1 in 256).
_PACKED_INDEX_BITS = 20


def argsort_hashes(values: U64, shared_bits: int = 0) -> I64:
    """``np.argsort(values, kind="stable")`` for hashes (about uniform 64-bit values), 1.5-2x
    as fast on thousands and more (see :func:`sorted_hashes`). Equal values keep their order.
    ``shared_bits``: top bits every value has in common (a slice of the hash space), which the
    sort need not look at.

    >>> argsort_hashes(np.array([3, 1, 3, 2], dtype=np.uint64)).tolist()
    [1, 3, 0, 2]
    """
    return sorted_hashes(values, shared_bits)[0]


def sorted_hashes(values: U64, shared_bits: int = 0) -> tuple[I64, U64]:
    """:func:`argsort_hashes`' order and the values in it.

    Each value's index replaces its lowest bits (below the shared ones, shifted out), and those
    keys are sorted by numpy's unstable sort of plain uint64 (vectorised: 5x faster than its
    argsort, 3x than its stable sort of them), so equal values come in index order. That is the
    stable order unless two distinct values differ only in the bits the index took: then they
    come out of order, which is checked, and the radix-first sort below is taken instead. The
    same order either way. Measured on uniform hashes (numpy 2.4, AVX-512): 67 K 0.65 -> 0.47 ms,
    180 K 2.8 -> 1.8 ms, against the radix-first sort alone.

    >>> order, ordered = sorted_hashes(np.array([3, 1, 3, 2], dtype=np.uint64))
    >>> order.tolist(), ordered.tolist()
    ([1, 3, 0, 2], [1, 2, 3, 3])
    """
    order: I64
    if values.size < _RADIX_MIN:
        order = np.argsort(values, kind="stable")
        return order, values[order]
    index_bits = (values.size - 1).bit_length()
    if index_bits <= max(shared_bits, _PACKED_INDEX_BITS):  # the index takes only shifted-out bits, or few
        mask = np.uint64((1 << index_bits) - 1)
        keys = values << np.uint64(shared_bits)
        keys &= ~mask
        keys |= np.arange(values.size, dtype=np.uint64)
        keys.sort()
        keys &= mask
        order = keys.astype(np.int64)
        ordered = values[order]
        if bool((ordered[1:] >= ordered[:-1]).all()):
            return order, ordered
    # A stable radix sort on the 16 bits below the shared ones first (numpy sorts 16-bit keys
    # by radix), which leaves runs of a few dozen values out of order, then numpy's stable sort
    # (a merge sort that finds the runs) of the result: twice as fast as the stable argsort
    # alone on millions, 3-4x on thousands.
    shift = np.uint64(max(0, 48 - shared_bits))
    by_top = np.argsort((values >> shift).astype(np.uint16), kind="stable")  # astype keeps the low 16 bits
    order = by_top[np.argsort(values[by_top], kind="stable")]
    return order, values[order]


def distinct_sorted(values: U64) -> U64:
    """Sorted distinct values; for the short arrays of one document several times faster than
    ``np.unique`` (no hashing pass, no inverse).

    >>> distinct_sorted(np.array([3, 1, 3, 2], dtype=np.uint64)).tolist()
    [1, 2, 3]
    """
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def distinct_runs(values: U64, offsets: I64) -> tuple[U64, I64]:
    """:func:`distinct_sorted` of each run ``values[offsets[i]:offsets[i + 1]]``, joined, with
    the runs' new offsets: each run sorted in place in a copy, then one pass over them all for
    what repeats (a document at a time, the three passes after the sort cost more than it).

    >>> out, at = distinct_runs(np.array([3, 1, 3, 5, 5, 2], dtype=np.uint64), np.array([0, 3, 3, 6]))
    >>> out.tolist(), at.tolist()
    ([1, 3, 2, 5], [0, 2, 2, 4])
    """
    ordered = values.copy()
    bounds = offsets.tolist()
    # A sort per run: the runs padded into a matrix per size class (powers of two) and each sorted
    # along its rows in one call took twice as long on the Reuters bench's batches (measured).
    for lo, hi in itertools.pairwise(bounds):
        if hi - lo > 1:
            ordered[lo:hi].sort()
    keep = np.ones(ordered.size, dtype=np.bool_)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    keep[offsets[:-1][np.diff(offsets) > 0]] = True  # a run's first value is new to it
    running = np.zeros(ordered.size + 1, dtype=np.int64)
    np.cumsum(keep, out=running[1:])
    return ordered[keep], running[offsets]


# Ranks below this fit 32 bits: a pair then packs into one uint64 key.
_PACKED_RANKS = 1 << 32


def distinct_pairs(pairs: I64) -> I64:
    """The distinct rows of ``pairs`` (n x 2 int64), sorted by the first column and then
    the second: ``np.unique(pairs, axis=0)``, whose sort compares structured rows one by one
    (16x slower on the millions of rows a verify block or a pairs task gathers at 100 M
    documents). Each pair packs into one uint64 key, sorted by a stable sort, which merges the
    files' sorted runs; values past 32 bits (or negative) fall back to a lexsort.

    >>> distinct_pairs(np.array([[2, 5], [1, 9], [2, 5], [1, 3]])).tolist()
    [[1, 3], [1, 9], [2, 5]]
    """
    if len(pairs) == 0:
        return pairs.reshape(0, 2)
    if int(pairs.min()) >= 0 and int(pairs.max()) < _PACKED_RANKS:
        keys = np.sort((pairs[:, 0].astype(np.uint64) << np.uint64(32)) | pairs[:, 1].astype(np.uint64), kind="stable")
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
        out = np.empty((len(keys), 2), dtype=np.int64)
        out[:, 0] = keys >> np.uint64(32)
        out[:, 1] = keys & np.uint64(_PACKED_RANKS - 1)
        return out
    rows = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    return rows[np.concatenate(([True], (rows[1:] != rows[:-1]).any(axis=1)))]


def jaccard(a: U64, b: U64) -> float:
    """Exact Jaccard of two sets of shingle hashes (repeats inside one array are ignored).

    >>> jaccard(np.array([1, 2, 3], dtype=np.uint64), np.array([2, 3, 4, 4], dtype=np.uint64))
    0.5
    """
    ua, ub = distinct_sorted(a), distinct_sorted(b)
    if ua.size == 0 and ub.size == 0:
        return 0.0
    return jaccard_distinct(ua, ub)


def jaccard_distinct(a: U64, b: U64) -> float:
    """Exact Jaccard of two sorted arrays of distinct hashes, not both empty (verification's
    inner step: the sets are kept distinct and sorted, so no sort happens here).

    >>> jaccard_distinct(np.array([1, 2, 3], dtype=np.uint64), np.array([2, 3, 4], dtype=np.uint64))
    0.5
    """
    # Both are sorted, so their concatenation is two runs that a stable sort (timsort) merges in
    # one pass, and each shared hash is one equal neighbour: intersect1d's unstable sort of the
    # concatenation and its wrapper's calls took twice as long on the Reuters bench's 1,250 pairs.
    both = np.concatenate((a, b))
    both.sort(kind="stable")
    inter = int(np.count_nonzero(both[1:] == both[:-1]))
    return inter / (a.size + b.size - inter)


def pair_jaccards(values: U64, bounds: I64, pairs: I64, distinct: bool) -> F64:
    """The exact Jaccard of each pair of sets ``(x, y)`` in ``pairs`` (n x 2), set s being
    ``values[bounds[s]:bounds[s + 1]]`` (``distinct``: each already sorted and distinct), each
    made distinct once however many pairs name it; 0.0 for two empty sets. Verification's step
    (``sharded.verify_block``); this is the reference, ``_numba_kernels.pair_jaccards`` its
    compiled twin (the same values: tests/dedup/test_dedup_kernels.py).

    >>> pair_jaccards(np.array([3, 2, 1, 2, 3, 4, 4], dtype=np.uint64), np.array([0, 3, 7]), np.array([[0, 1]]), False)
    array([0.5])
    """
    if not distinct:
        values, bounds = distinct_runs(values, bounds)
    at = bounds.tolist()
    out = np.empty(len(pairs), dtype=np.float64)
    for row, (x, y) in enumerate(pairs.tolist()):
        a, b = values[at[x] : at[x + 1]], values[at[y] : at[y + 1]]
        out[row] = jaccard_distinct(a, b) if a.size or b.size else 0.0
    return out


def containment(part: U64, whole: U64) -> float:
    """Share of the distinct shingles of ``part`` that ``whole`` (sorted, distinct) also has.

    >>> containment(np.array([4, 1, 2, 3, 3], dtype=np.uint64), np.array([2, 3, 4, 9], dtype=np.uint64))
    0.75
    """
    return containment_distinct(distinct_sorted(part), whole)


def containment_distinct(part: U64, whole: U64) -> float:
    """:func:`containment` of a ``part`` already sorted and distinct (a caller that checks one
    part against several wholes sorts it once).

    >>> containment_distinct(np.array([1, 2, 3, 4], dtype=np.uint64), np.array([2, 3, 4, 9], dtype=np.uint64))
    0.75
    """
    if part.size == 0 or whole.size == 0:
        return 0.0
    at = np.minimum(np.searchsorted(whole, part), whole.size - 1)
    return float(np.count_nonzero(whole[at] == part)) / part.size


def smallest_member(u: I64, v: I64, count: int) -> I64:
    """For each of ``count`` nodes, the smallest node of its connected component over the edges
    ``(u[e], v[e])``.

    Union-find in whole-array steps: every root hooks under the smallest root it has an edge to,
    then paths are halved until every node points at its root; a root only ever points lower, so
    the one left in a component is its smallest node. A few rounds even for long chains (hooking
    halves the roots, and halving doubles the reach), with memory and time linear in the edges:
    as fast as scipy's connected_components here, without its 0.2 CPU-s import.

    >>> smallest_member(np.array([3, 1, 4]), np.array([2, 4, 1]), 6).tolist()
    [0, 1, 2, 2, 1, 5]
    """
    parent = np.arange(count, dtype=np.int64)
    while True:
        pu, pv = parent[u], parent[v]
        differ = pu != pv
        if not differ.any():
            return parent
        lo, hi = np.minimum(pu[differ], pv[differ]), np.maximum(pu[differ], pv[differ])
        np.minimum.at(parent, hi, lo)  # hi is a root: every node points at its root here
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def resolve_arrays(lo: I64, hi: I64, similarity: F64) -> tuple[I64, I64, I64, F64]:
    """The keep rule over verified edges, as four arrays sorted by node.

    Rank encodes the rule: documents already in the index first, then input order; the root of
    each connected component is its best-ranked member and is kept. Every other member points
    at its best verified neighbour: the most similar one that ranks before it (ties: the better
    rank), or, when all its verified neighbours rank after it, the most similar of those.

    Edges are ``(lo[e], hi[e], similarity[e])`` between node ranks (0 is best; an edge's two ends
    may come in either order). Returns ``(nodes, roots, duplicate_of, similarity)`` for every
    node with an edge; a root has ``duplicate_of`` -1 and similarity NaN. Memory and time grow
    with the number of edges only, never with the rank range (ranks may run to billions):
    connected components run over the nodes that have an edge, renumbered in rank order, so the
    smallest member of a component is its best-ranked one.

    >>> nodes, roots, dup, sim = resolve_arrays(np.array([0, 1]), np.array([2, 2]), np.array([0.9, 0.95]))
    >>> nodes.tolist(), roots.tolist(), dup.tolist(), sim.tolist()[1:]
    ([0, 1, 2], [0, 0, 0], [-1, 2, 1], [0.95, 0.95])
    """
    a = np.minimum(lo, hi).astype(np.int64)
    b = np.maximum(lo, hi).astype(np.int64)
    s = np.asarray(similarity, dtype=np.float64)
    if a.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0, dtype=np.float64)
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    m, count = a.size, nodes.size
    roots = nodes[smallest_member(inverse[:m], inverse[m:], count)]
    # Each later member points at its most similar better-ranked neighbour (ties: the better
    # rank); one whose neighbours all rank after it, at the most similar of those: "after"
    # first, then "before" over it.
    duplicate_of, sims = point_at_neighbours(nodes, roots, [(a, b, s), (b, a, s)])
    return nodes, roots, duplicate_of, sims


def point_at_neighbours(
    nodes: npt.NDArray[np.int64],
    roots: npt.NDArray[np.int64],
    sides: Sequence[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The keep rule's pointers: each of ``nodes`` (sorted) at its most similar neighbour (ties:
    the better rank) among directed edges ``(node, other, similarity)``. ``sides`` come in
    rising order of preference: a later side's pick overwrites an earlier one's. Roots point at
    nothing (-1, similarity NaN)."""
    duplicate_of = np.full(nodes.size, -1, dtype=np.int64)
    sims = np.full(nodes.size, np.nan, dtype=np.float64)
    for node, other, s in sides:
        order = np.lexsort((other, -s, node))  # by node, most similar first, then best rank
        by = node[order]
        first = np.ones(order.size, dtype=np.bool_)
        np.not_equal(by[1:], by[:-1], out=first[1:])
        picked = order[first]
        at = np.searchsorted(nodes, node[picked])
        duplicate_of[at] = other[picked]
        sims[at] = s[picked]
    is_root = nodes == roots
    duplicate_of[is_root] = -1
    sims[is_root] = np.nan
    return duplicate_of, sims
