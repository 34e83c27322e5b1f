"""Constants and the 64-bit finalizer shared by the numpy and numba kernels (no numba here).

>>> import numpy as np
>>> _np_fmix64(np.array([1], dtype=np.uint64)).tolist()
[12994781566227106604]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import numpy as np

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

U64: TypeAlias = "npt.NDArray[np.uint64]"

# Odd 64-bit constants (golden ratio, xxhash and MurmurHash primes): any odd multipliers would do;
# changing one changes every hash, so bump index.FORMAT_VERSION with it.
K_CHAR = np.uint64(0x9E3779B97F4A7C15)
K_LENGTH = np.uint64(0x165667B19E3779F9)
K_SHINGLE = np.uint64(0xD6E8FEB86659FD93)
BAND_MIX = np.uint64(0x9FB21C651E98DF25)  # a band key starts at its band's number times this
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_MASK32 = np.uint64(0xFFFFFFFF)


def _np_fmix64(x: U64) -> U64:
    x = x ^ (x >> _S33)
    x = x * _M1
    x = x ^ (x >> _S33)
    x = x * _M2
    return x ^ (x >> _S33)
