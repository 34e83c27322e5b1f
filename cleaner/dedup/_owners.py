"""The driver of the owner-positions kernels (``_gather_slices``, ``_claim_owners``), numba's or the
ones compiled ahead of time (``_aot``): Python around two compiled loops, kept out of the kernels'
module so the extension's callers need not import numba."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

# owner_positions' sizes: a slice of the hash space holds about OWNER_SLICE_HASHES hashes, so its
# table (2-4 slots a hash, 16 B a slot) stays in this machine's 512 KB L2; a pass gathers the
# values and positions of the slices that hold up to OWNER_PASS_POSITIONS positions (12 B each:
# 24 MB), so the task holds less than the 4 B order a position and 16 MB table it held before.
OWNER_SLICE_HASHES = 1 << 14
OWNER_PASS_POSITIONS = 1 << 21


def owner_positions(parts: Any, owned: Any, gather: Any, claim: Any) -> int:
    """write_owner_piece's owner of every position, without a sort: every position of ``parts``
    (the shard's shingles as they came, joined in this order) whose hash an earlier position
    holds takes that position's owner in ``owned`` (each its own document's rank until then).
    Returns the hashes held twice or more (the table's rows). The hashes are taken a slice of
    the hash space (its top bits) at a time, in position order within one, so a hash's first
    position is its owner, as the first row of the numpy path's stable sort is. A pass copies
    the values and places of a run of slices out of the parts (a counting sort), so the tables
    read them in order. Over the 30 MB text dump's 4.2 million shingles in process, 0.21 ->
    0.16 CPU-s against slices of 256 K hashes (a 16 MB table each) whose values were gathered
    from the parts by a 4 B order a position; one pass for all of them (48 MB there) took 0.13.
    ``gather`` and ``claim``: the two kernels (``_numba_kernels._gather_slices``, ``_claim_owners``)."""
    total = sum(part.size for part in parts)
    bits = max(0, -(-total // OWNER_SLICE_HASHES) - 1).bit_length()
    slices = 1 << bits
    place_type = np.int32 if total < 2**31 else np.int64
    counts = np.zeros(slices, dtype=np.int64)
    for part in parts:  # the arrays' types as below: one compiled signature
        gather(part, bits, 0, 0, 0, counts, np.empty(0, dtype=np.uint64), np.empty(0, dtype=place_type))
    ends = np.cumsum(counts)
    # Passes: runs of slices, each as many as fit OWNER_PASS_POSITIONS (at least one).
    cuts = [0]
    while cuts[-1] < slices:
        start = int(ends[cuts[-1] - 1]) if cuts[-1] else 0
        stop = int(np.searchsorted(ends, start + OWNER_PASS_POSITIONS, side="right"))
        cuts.append(min(slices, max(stop, cuts[-1] + 1)))
    largest = max((int(counts[a:b].sum()) for a, b in itertools.pairwise(cuts)), default=0)
    values = np.empty(largest, dtype=np.uint64)
    places = np.empty(largest, dtype=place_type)
    size = 1 << max(1, int(2 * counts.max(initial=0) - 1).bit_length())
    keys, slots = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.int64)
    rows = 0
    for lo, hi in itertools.pairwise(cuts):
        bounds = np.zeros(hi - lo + 1, dtype=np.int64)
        np.cumsum(counts[lo:hi], out=bounds[1:])
        fill = np.zeros(slices, dtype=np.int64)
        fill[lo:hi] = bounds[:-1]
        base = 0
        for part in parts:
            gather(part, bits, lo, hi, base, fill, values, places)
            base += part.size
        rows += claim(values, places, bounds, owned, keys, slots)
    return rows
