"""Test oracle (never called by cleaner itself): passage owner counts one hash range at a time,
the one-piece decide's way (tests/dedup/oracle_dedup.py), kept to check the sharded owner tasks.

Passage matching needs, for each passage shingle, its *owner* (the earliest document of the run
holding that hash, see :func:`first_holders`). Building that map for the
whole run at once costs about 40 bytes per shingle (over 5 GB for a 1 GB dump). The owner of a
hash depends only on the positions holding that same hash, so the 64-bit hash space is cut into
``HASH_RANGES`` ranges and each range is done alone: gather the run's shingles whose hash falls
in it (streamed from the spill file), group them, and count for every passage the shingles an
earlier document owns. The per-passage counts add up over ranges to exactly the one-piece counts;
peak memory is about 1/``HASH_RANGES`` of it.

The exact check then needs the owners of the few candidate passages' shingles only:
:func:`first_positions` finds them in one more streaming pass.

>>> hashes = np.array([5, 6, 6, 7, 5], dtype=np.uint64)
>>> chunks = lambda: iter([(0, hashes[:2]), (2, hashes[2:])])
>>> counts = owner_counts(chunks, np.array([0, 2, 4, 5]), np.array([2, 4]), np.array([2, 1]), n_ranges=4)
>>> counts.owned.tolist(), counts.sampled.tolist()
([1, 1], [0, 0])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cleaner.dedup.passages import sampled
from cleaner.dedup.sharded import range_bounds

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

# 16 ranges: the owner step of a 1 GB dump (~250M shingles, ~40 B each in one piece) drops
# from over 5 GB to ~0.4 GB, for 16 cheap streaming passes over the spill file. Re-measure with
# the dedup-stage command in docs/scaling.md ("Memory per stage") before changing it.
HASH_RANGES = 16
_FILTER_BITS = 1 << 24  # 16 MB of flags: few false hits for a few million wanted hashes

Chunks = Callable[[], Iterable[tuple[int, U64]]]
"""Called once per pass: yields (global position of the first value, values) in order."""
IndexOwners = Callable[[U64], tuple[U64, I64]]
"""An index's owners lookup (``DedupIndex.owners``): sorted distinct hashes found, their rowids."""


@dataclass(frozen=True, slots=True)
class OwnerCounts:
    """Per passage: shingles owned by an earlier document of the run, sampled shingles, and
    sampled shingles an indexed document owns; plus the largest indexed owner rowid seen
    (-1 when the index owns none of them)."""

    owned: I64
    sampled: I64
    owned_by_index: I64
    max_rowid: int


def first_holders(shingles: U64, doc_of: I64) -> I64:
    """For every position of the documents' shingles laid end to end (``doc_of`` gives each
    position's document rank, non-decreasing), the rank of the first document holding that hash.

    One sort groups equal hashes; the smallest position in a group is the earliest document.
    A passage's shingles are slices of its document's, so their owners are read off this array.

    >>> first_holders(np.array([5, 6, 6, 7, 5], dtype=np.uint64), np.array([0, 0, 1, 1, 2])).tolist()
    [0, 0, 0, 1, 0]
    """
    if shingles.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(shingles)
    ordered = shingles[order]
    new_group = np.empty(ordered.size, dtype=np.bool_)
    new_group[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_group[1:])
    starts = np.flatnonzero(new_group)
    owner = np.asarray(doc_of, dtype=np.int64)[np.minimum.reduceat(order, starts)]
    holders = np.empty(shingles.size, dtype=np.int64)
    holders[order] = np.repeat(owner, np.diff(np.append(starts, shingles.size)))
    return holders


def _in_range(values: U64, lo: int, hi: int | None) -> npt.NDArray[np.bool_]:
    mask = values >= np.uint64(lo)
    if hi is not None:
        mask &= values < np.uint64(hi)
    return mask


def owner_counts(
    chunks: Chunks,
    doc_offsets: I64,
    passage_start: I64,
    passage_size: I64,
    n_ranges: int = HASH_RANGES,
    index_owners: IndexOwners | None = None,
) -> OwnerCounts:
    """Per-passage owner counts, one hash range at a time (see the module docstring).

    ``doc_offsets`` (n + 1 values) gives where each document's shingles start among all the
    run's shingles laid end to end; a passage is the run of positions ``passage_start`` ..
    ``passage_start + passage_size`` (inside one document; passages never overlap).
    """
    doc_offsets = np.asarray(doc_offsets, dtype=np.int64)
    n_passages = passage_size.size
    owned = np.zeros(n_passages, dtype=np.int64)
    total = np.zeros(n_passages, dtype=np.int64)
    owned_by_index = np.zeros(n_passages, dtype=np.int64)
    max_rowid = -1
    nonempty = np.flatnonzero(passage_size > 0)
    if nonempty.size == 0:
        return OwnerCounts(owned, total, owned_by_index, max_rowid)
    starts = passage_start[nonempty]  # increasing: passages are in document order, disjoint
    ends = starts + passage_size[nonempty]
    for lo, hi in range_bounds(n_ranges):
        hash_parts: list[U64] = []
        pos_parts: list[I64] = []
        for first_pos, values in chunks():
            picked = np.flatnonzero(_in_range(values, lo, hi))
            if picked.size:
                hash_parts.append(values[picked])
                pos_parts.append(picked + first_pos)
        if not hash_parts:
            continue
        hashes = np.concatenate(hash_parts)
        positions = np.concatenate(pos_parts)
        del hash_parts, pos_parts
        # Stable sort: within a group of equal hashes positions stay increasing, so the group's
        # first element is its earliest position, whose document is the owner.
        order = np.argsort(hashes, kind="stable")
        hashes, positions = hashes[order], positions[order]
        del order
        new_group = np.empty(hashes.size, dtype=np.bool_)
        new_group[0] = True
        np.not_equal(hashes[1:], hashes[:-1], out=new_group[1:])
        group_starts = np.flatnonzero(new_group)
        del new_group
        sizes = np.diff(np.append(group_starts, hashes.size))
        owner_pos = np.repeat(positions[group_starts], sizes)
        del group_starts, sizes
        slot = np.searchsorted(starts, positions, side="right") - 1
        inside = slot >= 0
        inside[inside] = positions[inside] < ends[slot[inside]]
        doc_of = np.searchsorted(doc_offsets, positions[inside], side="right") - 1
        owner_doc = np.searchsorted(doc_offsets, owner_pos[inside], side="right") - 1
        del owner_pos
        slot, hashes = slot[inside], hashes[inside]
        del positions, inside
        m = nonempty.size
        owned[nonempty] += np.bincount(slot[owner_doc < doc_of], minlength=m)
        del owner_doc, doc_of
        if index_owners is None:
            continue
        is_sampled = sampled(hashes)
        wanted, sampled_slot = hashes[is_sampled], slot[is_sampled]
        total[nonempty] += np.bincount(sampled_slot, minlength=m)
        found_hashes, found_rowids = index_owners(wanted)
        if found_hashes.size:
            max_rowid = max(max_rowid, int(found_rowids.max()))
            at = np.minimum(np.searchsorted(found_hashes, wanted), found_hashes.size - 1)
            owned_by_index[nonempty] += np.bincount(sampled_slot[found_hashes[at] == wanted], minlength=m)
    return OwnerCounts(owned, total, owned_by_index, max_rowid)


def first_positions(chunks: Chunks, wanted: U64) -> I64:
    """For each of ``wanted`` (sorted, distinct), the first position holding it (-1: none).

    One streaming pass; memory follows ``wanted``, not the run.

    >>> chunks = lambda: iter([(0, np.array([5, 6], dtype=np.uint64)), (2, np.array([7, 5], dtype=np.uint64))])
    >>> first_positions(chunks, np.array([5, 7, 9], dtype=np.uint64)).tolist()
    [0, 2, -1]
    """
    found = np.full(wanted.size, -1, dtype=np.int64)
    if wanted.size == 0:
        return found
    # A bitmap of the wanted hashes' low bits skips the binary search for nearly every value.
    low_bits = np.uint64(_FILTER_BITS - 1)
    maybe = np.zeros(_FILTER_BITS, dtype=np.bool_)
    maybe[(wanted & low_bits).astype(np.intp)] = True
    for first_pos, values in chunks():
        near = np.flatnonzero(maybe[(values & low_bits).astype(np.intp)])
        if not near.size:
            continue
        at = np.minimum(np.searchsorted(wanted, values[near]), wanted.size - 1)
        matched = wanted[at] == values[near]
        hit, at = near[matched], at[matched]
        if not hit.size:
            continue
        slots, first_hit = np.unique(at, return_index=True)  # earliest hit of each hash
        new = found[slots] < 0
        found[slots[new]] = hit[first_hit[new]] + first_pos
    return found
