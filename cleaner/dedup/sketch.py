"""Odd sketches: how an indexed document is verified without keeping its shingle set.

An odd sketch (Mitzenmacher, Pagh and Pham, "Efficient estimation for high similarities using
odd sketches", WWW 2014) of a set is ``m`` bits: each element flips the bit its hash picks, so a
bit is 1 when an odd number of elements landed on it. The sketch of the symmetric difference
``A ^ B`` is ``sketch(A) XOR sketch(B)``; its ``z`` one bits estimate ``d = |A ^ B|`` (two elements
on one bit cancel, which the estimate corrects), and with both sizes known
``J = (|A| + |B| - d) / (|A| + |B| + d)``.

Why this and not the MinHash signature: near the threshold ``d`` is small (a fifth of the union at
J = 0.8), and the sketch counts it almost exactly while ``d`` is well under ``m``. Its standard
error at J = 0.8 is about ``0.18 * sqrt(2 / m)`` whatever the document's size: 0.006 at the
2,048 bits (256 bytes) used here, against 0.035 for 128 MinHash values (256 bytes at 16 bits each,
or 512 at 32). Documents with more than 2,048 distinct shingles get one bit per shingle, so ``d``
stays under a quarter of ``m`` at the threshold and the error stays as small.

Two details make the estimate exact when no two elements of ``A ^ B`` share a bit (the usual case
for short documents): ``d`` has the parity of ``z`` (a shared bit removes two), so the moment
estimate is snapped to the nearest value of that parity; and the Jaccard is rounded to 4
decimals, as exact verification rounds it. Without the snap a pair at exactly J = 0.8 (short
documents make such round values common) came out at 0.7985 and was missed.

Re-check the error with ``python benchmarks/bench_dedup.py --sketch-error`` (a simulation by
size and similarity) and ``--two-batches-only`` (the Reuters bench against its exact oracle).

>>> a = np.arange(1, 101, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
>>> b = np.concatenate([a[:90], np.arange(500, 510, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)])
>>> bits = sketch_bits(100)
>>> estimate_jaccard(100, odd_sketch(a, bits), 100, odd_sketch(b, bits))  # exact: 90 / 110
0.8182
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

U64: TypeAlias = "npt.NDArray[np.uint64]"

# 2,048 bits: a standard error of at most 0.0065 at J = 0.8 (bench_dedup.py --sketch-error) and
# the recall and precision of exact verification on the two-batch bench at 578 bytes per document;
# 4,096 bits take the index to 849 (past the 0.8 KB target) for no gain there, 1,024 bits lose a
# point of precision (bench_dedup.py --index-tradeoff). Changing it changes the index format
# (FORMAT_VERSION).
MIN_BITS = 2048


def sketch_bits(size: int) -> int:
    """Bits of the odd sketch kept for a document of ``size`` distinct shingles: ``MIN_BITS``,
    or one per shingle (rounded up to whole bytes) for larger documents.

    >>> sketch_bits(10), sketch_bits(5000)
    (2048, 5000)
    """
    return max(MIN_BITS, -(-size // 8) * 8)


def odd_sketch(distinct: U64, bits: int) -> bytes:
    """The ``bits``-bit odd sketch of a set of 64-bit hashes (distinct), packed in bytes.

    A hash picks its bit from its high 32 bits (multiply-shift, any ``bits``): the low bits
    feed the MinHash permutations and the passage sample, so the sketch stays independent of
    them.

    >>> len(odd_sketch(np.array([1, 2, 3], dtype=np.uint64), 2048))
    256
    """
    high = np.asarray(distinct, dtype=np.uint64) >> np.uint64(32)
    slots = ((high * np.uint64(bits)) >> np.uint64(32)).astype(np.int64)
    odd = (np.bincount(slots, minlength=bits) & 1).astype(np.uint8)
    return np.packbits(odd).tobytes()


def estimate_jaccard(size_a: int, sketch_a: bytes, size_b: int, sketch_b: bytes) -> float:
    """Estimated Jaccard of two sets from their sizes and odd sketches of equal length,
    rounded to 4 decimals (see the module docstring for the error).

    >>> s = odd_sketch(np.array([5, 6], dtype=np.uint64) << np.uint64(40), 2048)
    >>> estimate_jaccard(2, s, 2, s), estimate_jaccard(0, b"", 0, b"")
    (1.0, 0.0)
    """
    total = size_a + size_b
    if total == 0 or len(sketch_a) != len(sketch_b):
        return 0.0
    bits = 8 * len(sketch_a)
    xor = np.bitwise_xor(np.frombuffer(sketch_a, dtype=np.uint8), np.frombuffer(sketch_b, dtype=np.uint8))
    odd = int(np.unpackbits(xor).sum())
    if 2 * odd >= bits:
        return 0.0  # saturated: far more differ than a near-duplicate allows
    # E[odd] = bits/2 * (1 - (1 - 2/bits)**d): invert it, then snap to d's parity (that of odd).
    moment = math.log1p(-2 * odd / bits) / math.log1p(-2 / bits)
    differ = odd + 2 * round((moment - odd) / 2)
    return round(min(max((total - differ) / (total + differ), 0.0), 1.0), 4)
