"""MinHash signatures in datasketch's ``affine32`` scheme, computed a batch at a time.

datasketch (>= 2.0) permutes a 32-bit hash ``h`` of each set element as
``fmix32(h) * a + b mod 2**32`` with ``a`` (odd) and ``b`` drawn from
``numpy.random.RandomState(seed)``. We draw the same ``a`` and ``b`` and feed the low 32 bits of
our shingle hashes, so a signature row is exactly what ``datasketch.MinHash(num_perm, seed)``
holds after ``update_batch`` of those 32-bit values (with ``hashfunc`` the identity): wrap one
with :func:`to_lean_minhash` and use datasketch's LSH, storage backends or ``jaccard``.

A signature is ``num_perm`` uint32 values (512 bytes at 128 permutations), kept as rows of one
numpy array, never as Python objects.

>>> signer = Signer(num_perm=16, seed=1)
>>> sig = signer.sign(np.array([1, 2, 3], dtype=np.uint64), np.array([0, 3]))
>>> sig.shape, sig.dtype.name
((1, 16), 'uint32')
>>> float(to_lean_minhash(sig[0], seed=1).jaccard(to_lean_minhash(sig[0], seed=1)))
1.0
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from cleaner.dedup import _kernels
from cleaner.dedup._hashing import BAND_MIX

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

U32: TypeAlias = "npt.NDArray[np.uint32]"
U64: TypeAlias = "npt.NDArray[np.uint64]"
I64: TypeAlias = "npt.NDArray[np.int64]"

SCHEME = "affine32"  # datasketch's name for the permutation family used here


def permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    """The ``(a, b)`` of datasketch's affine32 scheme for ``num_perm`` and ``seed``.

    >>> a, b = permutations(4, seed=1)
    >>> bool((a % 2 == 1).all())  # odd multipliers make each permutation a bijection
    True
    """
    if 0 <= seed < 1 << 32:
        draw = _mt19937(seed)
        a = np.array([(draw(32) & 0x7FFF_FFFF) * 2 + 1 for _ in range(num_perm)], dtype=np.uint32)
        b = np.array([draw(32) for _ in range(num_perm)], dtype=np.uint32)
        return a, b
    gen = np.random.RandomState(seed)  # refuses the seed, with numpy's message
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a.astype(np.uint32), b.astype(np.uint32)


def _mt19937(seed: int) -> Callable[[int], int]:
    """``numpy.random.RandomState(seed)``'s 32-bit draws, from Python's own Mersenne Twister.

    Importing ``numpy.random`` cost every run 13 ms of CPU for 256 numbers. RandomState seeds
    the generator from an integer with MT19937's ``init_genrand``, which Python's ``random``
    does not offer (it seeds by array), so the state is built here and handed over; then
    ``getrandbits(32)`` is the generator's next 32-bit output, and ``randint(0, 2**31)`` and
    ``randint(0, 2**32)`` of uint32 are one output each (masked by 2**31 - 1, or whole).
    tests/dedup/test_signatures.py compares the draws with numpy's.
    """
    state = [seed]
    for i in range(1, 624):
        prev = state[-1]
        state.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFF_FFFF)
    gen = random.Random()
    gen.setstate((3, (*state, 624), None))
    return gen.getrandbits


class Signer:
    """Turn concatenated shingle hashes into a (documents x num_perm) uint32 signature array.

    >>> s = Signer(num_perm=8, seed=3)
    >>> empty = s.sign(np.zeros(0, dtype=np.uint64), np.array([0, 0]))
    >>> int(empty.min()) == 2**32 - 1  # no shingles: the all-max signature, as in datasketch
    True
    """

    def __init__(self, num_perm: int = 128, seed: int = 1, use_numba: bool | None = None) -> None:
        self.num_perm, self.seed = num_perm, seed
        self.a, self.b = permutations(num_perm, seed)
        self.use_numba = use_numba  # None: numba for large batches when installed (_kernels.pick)

    def sign(self, hashes: U64, offsets: I64) -> U32:
        kernels: Any = _kernels.pick(self.use_numba, len(hashes), _kernels.NUMBA_MIN_SHINGLES)
        sig: U32 = kernels.minhash(hashes, offsets, self.a, self.b)
        return sig


def band_keys(signatures: U32, bands: int, rows: int) -> U64:
    """One 64-bit key per (document, band): equal keys mean equal rows in that band.

    Keys of different bands never compare (the band index is mixed in), so one key column can
    hold every band. Two different bands' values colliding on one 64-bit key is a false
    candidate that verification rejects.

    >>> sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint32)
    >>> k = band_keys(sig, bands=2, rows=2)
    >>> bool(k[0, 0] == k[1, 0]), bool(k[0, 1] == k[1, 1])
    (True, False)
    """
    # The compiled twin where there is one (built ahead of time, or numba running anyway): over
    # the Reuters bench's 19k signatures of 128 values, 16 bands, 2.4 CPU-ms against 9.3.
    kernels = _kernels.compiled()
    keys: U64 = (_np_band_keys if kernels is None else kernels.band_keys)(signatures, bands, rows)
    return keys


def _np_band_keys(signatures: U32, bands: int, rows: int) -> U64:
    """:func:`band_keys` in array passes, a pass over every document's keys per row of a band."""
    h = np.empty((signatures.shape[0], bands), dtype=np.uint64)
    h[:] = np.arange(bands, dtype=np.uint64) * BAND_MIX
    used = signatures[:, : bands * rows]
    for r in range(rows):  # in place, each band's r-th value widened as it is added (no 64-bit copy)
        h *= _kernels.K_SHINGLE
        h += used[:, r::rows]
    result: U64 = _kernels.NUMPY.fmix64(h)
    return result


def to_lean_minhash(signature: U32, seed: int) -> Any:
    """Wrap one signature row as a ``datasketch.LeanMinHash`` (for datasketch's LSH and storage).

    >>> to_lean_minhash(np.full(4, 7, dtype=np.uint32), seed=1).hashvalues.tolist()
    [7, 7, 7, 7]
    """
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=np.asarray(signature, dtype=np.uint32), scheme=SCHEME)
