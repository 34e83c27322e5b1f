"""The two hot loops (text -> shingle hashes, shingle hashes -> MinHash signatures), twice.

``NUMPY`` is the reference: whole-batch array passes, no Python work per word or shingle.
``NUMBA`` (the module ``_numba_kernels``, imported on first use) computes bit-identical results
in compiled loops when numba is installed (about 2.5x faster end to end on the Reuters bench,
benchmarks/bench_dedup.py); tests/dedup/test_dedup_kernels.py checks that they agree. ``pick``
chooses per call: numpy for small batches, so a small run never pays for loading numba.
Every product and sum wraps modulo 2**64 (2**32 for signatures), which both backends share.

>>> import numpy as np
>>> NUMPY.fmix64(np.array([1], dtype=np.uint64)).tolist()
[12994781566227106604]
"""

from __future__ import annotations

import importlib.util
import sys
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt

from cleaner.dedup._hashing import _MASK32, K_CHAR, K_LENGTH, K_SHINGLE, U64, _np_fmix64

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]

# datasketch's MurmurHash3 32-bit finalizer (datasketch.minhash._FMIX_CONSTANTS[32]).
_F1 = np.uint32(0x85EBCA6B)
_F2 = np.uint32(0xC2B2AE35)
# Rows of the (shingles x permutations) block the numpy path materializes at once:
# 2048 x 128 x 4 bytes = 1 MB stays in cache (measured 25% faster than 8192 rows on the
# Reuters bench; re-check with benchmarks/bench_dedup.py, cleaner_numpy_only row).
_BLOCK_ROWS = 2048


def _np_fmix32(x: U32) -> U32:
    x = x ^ (x >> np.uint32(16))
    x = x * _F1
    x = x ^ (x >> np.uint32(13))
    x = x * _F2
    return x ^ (x >> np.uint32(16))


def _np_shingle_hashes(
    cps: U32, table: npt.NDArray[np.bool_], text_starts: I64, ngram: int
) -> tuple[U64, I64, I64, I64]:
    n_texts = len(text_starts) - 1
    pos = np.flatnonzero(table[cps])
    if pos.size == 0:
        zeros = np.zeros(n_texts + 1, dtype=np.int64)
        return np.zeros(0, dtype=np.uint64), zeros, np.zeros((0, 2), dtype=np.int64), zeros.copy()
    first = np.empty(pos.size, dtype=np.bool_)
    first[0] = True
    np.not_equal(pos[1:], pos[:-1] + 1, out=first[1:])
    tok_first = np.flatnonzero(first)  # index into pos where each token starts
    tok_len = np.diff(np.append(tok_first, pos.size))
    # Horner's rule, c0*K^(m-1) + ... + c(m-1), as one product per character and a segmented sum.
    from_end = np.repeat(tok_first + tok_len - 1, tok_len) - np.arange(pos.size)
    powers = np.ones(int(tok_len.max()), dtype=np.uint64)
    powers[1:] = np.cumprod(np.full(powers.size - 1, K_CHAR, dtype=np.uint64))
    v = cps[pos].astype(np.uint64) * powers[from_end]
    sums = np.add.reduceat(v, tok_first)
    tokens = _np_fmix64(sums + tok_len.astype(np.uint64) * K_LENGTH)
    tok_text = np.searchsorted(text_starts, pos[tok_first], side="right") - 1
    ntok = np.bincount(tok_text, minlength=n_texts)
    tok_start = np.zeros(n_texts + 1, dtype=np.int64)
    np.cumsum(ntok, out=tok_start[1:])
    counts = np.where(ntok >= ngram, ntok - ngram + 1, np.minimum(ntok, 1))
    offsets = np.zeros(n_texts + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    out = np.empty(int(offsets[-1]), dtype=np.uint64)
    n_windows = tokens.size - ngram + 1
    if n_windows > 0:
        h = tokens[:n_windows].copy()
        for j in range(1, ngram):
            h = h * K_SHINGLE + tokens[j : j + n_windows]
        h = _np_fmix64(h)
        win_text = tok_text[:n_windows]
        valid = win_text == tok_text[ngram - 1 :]
        idx = np.flatnonzero(valid)
        wt = win_text[idx]
        out[offsets[wt] + (idx - tok_start[wt])] = h[idx]
    for t in np.flatnonzero((ntok > 0) & (ntok < ngram)).tolist():
        # Python ints masked to 64 bits: numpy scalars would warn on the intended wrap-around.
        acc = 0
        for value in tokens[tok_start[t] : tok_start[t + 1]].tolist():
            acc = (acc * int(K_SHINGLE) + value) & 0xFFFFFFFFFFFFFFFF
        out[offsets[t]] = _np_fmix64(np.array([acc], dtype=np.uint64))[0]
    bounds = np.stack([pos[tok_first], pos[tok_first] + tok_len], axis=1).astype(np.int64)
    return out, offsets, bounds, tok_start


def _np_minhash(hashes: U64, offsets: I64, a: U32, b: U32) -> U32:
    n_docs = len(offsets) - 1
    sig = np.full((n_docs, len(a)), 0xFFFFFFFF, dtype=np.uint32)
    x = _np_fmix32((hashes & _MASK32).astype(np.uint32))
    nonempty = np.flatnonzero(offsets[1:] > offsets[:-1])
    ends = offsets[nonempty + 1]
    buffer = np.empty((_BLOCK_ROWS, len(a)), dtype=np.uint32)  # reused: no allocation per block
    i = 0
    while i < nonempty.size:
        # Take whole documents until the block holds about _BLOCK_ROWS shingles.
        lo = offsets[nonempty[i]]
        j = max(int(np.searchsorted(ends, lo + _BLOCK_ROWS, side="right")), i + 1)
        docs = nonempty[i:j]
        hi = offsets[docs[-1] + 1]
        rows = int(hi - lo)
        block = buffer[:rows] if rows <= _BLOCK_ROWS else np.empty((rows, len(a)), dtype=np.uint32)
        np.multiply(x[lo:hi, None], a[None, :], out=block)
        np.add(block, b[None, :], out=block)
        sig[docs] = np.minimum.reduceat(block, offsets[docs] - lo, axis=0)
        i = j
    return sig


NUMPY = SimpleNamespace(name="numpy", shingle_hashes=_np_shingle_hashes, minhash=_np_minhash, fmix64=_np_fmix64)


def numba_available() -> bool:
    """True when numba is installed (the fast path); False selects the numpy reference.

    Looks the package up without importing it: importing numba costs about half a CPU-second.
    """
    return importlib.util.find_spec("numba") is not None


# With ``use_numba=None`` (the default) a call runs the numpy kernels until one call brings at
# least this much work, or numba is already loaded in the process. Loading numba costs about
# 1 CPU-second in every process, even from a warm cache (its import, then its type registries,
# which import scipy.linalg); it saves about 0.045 CPU-seconds per MB of text over numpy (both
# kernels: about 19 vs 160 MB/s). So a small run (the five seeds, one page per shard) never
# loads it, and a large one loads it at its first full chunk (shingles.py chunks 1 MB). Results
# are bit-identical either way (tests/dedup/test_dedup_kernels.py). Re-check the cost with
# ``python -X importtime -c "import cleaner.dedup._numba_kernels"`` and benchmarks/bench_dedup.py.
# Once numba runs in the process anyway (the signals stage's kernels on a large input), loading
# these twins costs about 0.02 CPU-s, so every call then takes them.
NUMBA_MIN_CHARS = 1 << 20
NUMBA_MIN_SHINGLES = NUMBA_MIN_CHARS // 8  # about 6 to 8 characters per word of news text
_NUMBA_MODULE = "cleaner.dedup._numba_kernels"
# Imported by numba's CPU target the first time any kernel is compiled or loaded from the cache:
# from then on numba's start is paid in this process.
_NUMBA_STARTED = "numba.np.arraymath"


def numba_started() -> bool:
    """Whether numba already compiled or loaded a kernel in this process (its start is paid).

    >>> isinstance(numba_started(), bool)
    True
    """
    return _NUMBA_MODULE in sys.modules or _NUMBA_STARTED in sys.modules


def pick(use_numba: bool | None, work: int, min_work: int) -> Any:
    """The kernels for one call: numba or numpy as ``use_numba`` says, or, when it is None,
    numba if it is installed and loaded already or ``work >= min_work`` (see NUMBA_MIN_CHARS).

    >>> pick(False, 10**9, 1).name, pick(None, 0, 1 << 20).name in ("numpy", "numba")
    ('numpy', True)
    """
    if use_numba is False:
        return NUMPY
    if use_numba is None and ((work < min_work and not numba_started()) or not numba_available()):
        return NUMPY
    try:
        from cleaner.dedup import _numba_kernels
    except ImportError:  # installed but broken (e.g. built for another numpy): the numpy twin
        if use_numba:
            raise
        return NUMPY
    return _numba_kernels


class _LazyNumba:
    """The numba kernels (``cleaner.dedup._numba_kernels``), imported on first use.

    Importing cleaner never imports numba (about 0.3 CPU-seconds). The kernels live at module
    level in their own module so numba's on-disk cache hits in every process; this object holds
    no state of its own (the import system keeps the loaded module).
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        from cleaner.dedup import _numba_kernels

        return getattr(_numba_kernels, name)


NUMBA = _LazyNumba()
