"""The two hot loops (text -> shingle hashes, shingle hashes -> MinHash signatures), twice.

``NUMPY`` is the reference: whole-batch array passes, no Python work per word or shingle.
The module ``_numba_kernels`` (imported on first use) computes bit-identical results in compiled
loops when numba is installed, and ``_aot`` holds the same kernels compiled when cleaner was
installed (no numba to load); tests/dedup/test_dedup_kernels.py and test_aot_kernels.py check that
they agree. ``pick`` chooses per call: the kernels built ahead of time where they are, else numpy
for small batches, so a small run never pays for loading numba.
Every product and sum wraps modulo 2**64 (2**32 for signatures), which both backends share.

>>> import numpy as np
>>> NUMPY.fmix64(np.array([1], dtype=np.uint64)).tolist()
[12994781566227106604]
"""

from __future__ import annotations

import importlib.util
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from cleaner.dedup import _aot
from cleaner.dedup._hashing import K_CHAR, K_LENGTH, K_SHINGLE, U64, _np_fmix64

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

U8: TypeAlias = "npt.NDArray[np.uint8]"
U32: TypeAlias = "npt.NDArray[np.uint32]"
I64: TypeAlias = "npt.NDArray[np.int64]"

# datasketch's MurmurHash3 32-bit finalizer (datasketch.minhash._FMIX_CONSTANTS[32]).
_F1 = np.uint32(0x85EBCA6B)
_F2 = np.uint32(0xC2B2AE35)
# The numpy MinHash works on blocks of (permutations x shingles): each permutation's row is
# contiguous and the per-document minimum is a reduceat along rows (reducing along the other axis
# of a (shingles x permutations) block was 16x slower, most of the kernel's time). A block holds
# whole documents, about _BLOCK_SHINGLES shingles, and is taken _BLOCK_PERMS permutations at a
# time: 16 x 16384 x 4 bytes = 1 MB, where all 128 permutations of 8192 shingles (4 MB, past
# this machine's 512 KB L2) took 0.35 against 0.29 CPU-s for the Reuters bench's 2.9 million
# shingles (1-32 rows of 4K-128K shingles measured: flat from 0.5 to 2 MB). Re-check with
# benchmarks/bench_dedup.py, cleaner_numpy_only row.
_BLOCK_SHINGLES = 16384
_BLOCK_PERMS = 16
# Powers of K_CHAR and of its inverse by position in a chunk of code points (_char_powers), kept
# for chunks up to this many code points (16 bytes each: 16 MB at most; shingles.py cuts 1 MB
# chunks); a longer chunk computes its own.
_POWERS_KEPT = 1 << 20
_K_CHAR_INVERSE = np.uint64(pow(int(K_CHAR), -1, 1 << 64))  # K_CHAR is odd: it has one mod 2**64
_powers: tuple[U64, U64] = (np.ones(0, dtype=np.uint64), np.ones(0, dtype=np.uint64))


def _np_fmix32(x: U32) -> U32:
    x = x ^ (x >> np.uint32(16))
    x = x * _F1
    x = x ^ (x >> np.uint32(13))
    x = x * _F2
    return x ^ (x >> np.uint32(16))


def _char_powers(n: int) -> tuple[U64, U64]:
    """``K_CHAR ** i`` and ``K_CHAR ** -i`` (mod 2**64) for i < n, kept between calls up to
    _POWERS_KEPT (grown by doubling)."""
    global _powers
    if _powers[0].size >= n:
        return _powers
    size = max(n, min(max(2 * _powers[0].size, 1024), _POWERS_KEPT))
    up, down = _powers_of(int(K_CHAR), size), _powers_of(int(_K_CHAR_INVERSE), size)
    if size <= _POWERS_KEPT:
        _powers = (up, down)
    return up, down


def _powers_of(base: int, size: int) -> U64:
    """``base ** i`` (mod 2**64) for i < size, by doubling: the second half of the first 2m powers
    is the first half times ``base ** m`` (one vectorised product per doubling; the same values as
    a cumulative product, which took 30 ms for a million powers against under 1 ms, twice per run).

    >>> _powers_of(3, 5).tolist()
    [1, 3, 9, 27, 81]
    """
    out = np.empty(size, dtype=np.uint64)
    out[:1] = 1
    done, step = 1, base
    while done < size:
        count = min(done, size - done)
        np.multiply(out[:count], np.uint64(step), out=out[done : done + count])
        step = step * step % (1 << 64)
        done += count
    return out


def _np_shingle_hashes(
    cps: U8 | U32, table: npt.NDArray[np.bool_], text_starts: I64, ngram: int, words: bool = True
) -> tuple[U64, I64, I64, I64]:
    """The numba twin's results; without ``words`` (a caller that reads no word bounds), the
    bounds come as an empty array (their rows were 8% of this kernel)."""
    n_texts = len(text_starts) - 1
    # Words are the runs of word characters: where the mask steps up a word starts, where it
    # steps down one ends. One byte a character (an ASCII chunk, most of them): the mask is the
    # bytes translated through the table's first 256 entries, a C pass with no index array
    # (np.take widens each byte to an 8-byte index first: 0.08 of the 0.15 CPU-s of the Reuters
    # bench's hashing, in process); else np.take and a comparison of booleans (the fancy index
    # and an int8 np.diff took 4 ms of a 1 MB chunk's 11, these 1.2).
    if cps.dtype == np.uint8:
        lut = table[:256].view(np.uint8).tobytes()
        mask = np.frombuffer((b"\0" + cps.tobytes() + b"\0").translate(lut), dtype=np.bool_)
    else:
        mask = np.zeros(cps.size + 2, dtype=np.bool_)
        np.take(table, cps, out=mask[1:-1])
    steps = np.flatnonzero(mask[1:] != mask[:-1])
    del mask
    if steps.size == 0:
        zeros = np.zeros(n_texts + 1, dtype=np.int64)
        return np.zeros(0, dtype=np.uint64), zeros, np.zeros((0, 2), dtype=np.int64), zeros.copy()
    starts, ends = steps[0::2], steps[1::2]
    # Horner's rule over a word's code points c_s .. c_(e-1) is sum c_j K^(e-1-j)
    # = K^(e-1) * sum c_j K^-j (K is odd, so invertible mod 2**64): one running sum of
    # c_j K^-j over the whole chunk (the code points widened inside the product: no copy), then
    # two lookups and a product per word.
    up, down = _char_powers(cps.size)
    running = np.multiply(cps, down[: cps.size], dtype=np.uint64)
    np.cumsum(running, out=running)
    sums = running[ends - 1]
    sums[1:] -= running[starts[1:] - 1]
    if starts[0] > 0:  # a slice, not a scalar: numpy scalars warn on the intended wrap-around
        sums[:1] -= running[starts[0] - 1 : starts[0]]
    del running
    sums *= up[ends - 1]
    lengths = (ends - starts).view(np.uint64)
    lengths *= K_LENGTH
    sums += lengths
    tokens = _np_fmix64(sums)
    # No word runs across a text's end, so text i's words are those starting in its span.
    tok_start = np.searchsorted(starts, text_starts).astype(np.int64)
    ntok = np.diff(tok_start)
    counts = np.where(ntok >= ngram, ntok - ngram + 1, np.minimum(ntok, 1))
    offsets = np.zeros(n_texts + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    n_windows = tokens.size - ngram + 1
    kept = np.zeros(0, dtype=np.uint64)
    if n_windows > 0:
        h = tokens[:n_windows].copy()
        for j in range(1, ngram):
            h *= K_SHINGLE
            h += tokens[j : j + n_windows]
        h = _np_fmix64(h)
        # A window is its text's when no text's words start among its last ngram - 1 words: the
        # few windows around each text's start are struck out (a handful per text, not a text
        # number per word compared), and the rest, in order, are the texts' shingles.
        valid = np.ones(n_windows, dtype=np.bool_)
        firsts = tok_start[1:-1]
        for back in range(1, ngram):
            at = firsts - back
            valid[at[(at >= 0) & (at < n_windows)]] = False
        kept = h[valid]
    short = np.flatnonzero((ntok > 0) & (ntok < ngram))
    if not short.size:
        out = kept
    else:  # a text with fewer words than ngram: one shingle of all of them, in its slot
        out = np.empty(int(offsets[-1]), dtype=np.uint64)
        windowed = np.ones(out.size, dtype=np.bool_)
        windowed[offsets[short]] = False
        out[windowed] = kept
        for t in short.tolist():
            # Python ints masked to 64 bits: numpy scalars would warn on the intended wrap-around.
            acc = 0
            for value in tokens[tok_start[t] : tok_start[t + 1]].tolist():
                acc = (acc * int(K_SHINGLE) + value) & 0xFFFFFFFFFFFFFFFF
            out[offsets[t]] = _np_fmix64(np.array([acc], dtype=np.uint64))[0]
    bounds = np.stack([starts, ends], axis=1).astype(np.int64) if words else np.zeros((0, 2), dtype=np.int64)
    return out, offsets, bounds, tok_start


def _np_minhash(hashes: U64, offsets: I64, a: U32, b: U32) -> U32:
    n_docs, n_perm = len(offsets) - 1, len(a)
    sig = np.full((n_docs, n_perm), 0xFFFFFFFF, dtype=np.uint32)
    x = _np_fmix32(hashes.astype(np.uint32))  # the low 32 bits
    nonempty = np.flatnonzero(offsets[1:] > offsets[:-1])
    ends = offsets[nonempty + 1]
    rows = min(_BLOCK_PERMS, n_perm)
    buffer = np.empty(rows * _BLOCK_SHINGLES, dtype=np.uint32)  # reused: no allocation per block
    a_col, b_col = a[:, None], b[:, None]
    i = 0
    while i < nonempty.size:
        # Take whole documents until the block holds about _BLOCK_SHINGLES shingles.
        lo = offsets[nonempty[i]]
        j = max(int(np.searchsorted(ends, lo + _BLOCK_SHINGLES, side="right")), i + 1)
        docs = nonempty[i:j]
        hi = offsets[docs[-1] + 1]
        width = int(hi - lo)
        if width <= _BLOCK_SHINGLES:
            block = buffer[: rows * width].reshape(rows, width)
        else:  # one document longer than a block
            block = np.empty((rows, width), dtype=np.uint32)
        x_row, starts = x[None, lo:hi], offsets[docs] - lo
        mins = np.empty((n_perm, docs.size), dtype=np.uint32)
        for r in range(0, n_perm, rows):
            part = block[: min(rows, n_perm - r)]
            np.multiply(a_col[r : r + rows], x_row, out=part)
            np.add(part, b_col[r : r + rows], out=part)
            np.minimum.reduceat(part, starts, axis=1, out=mins[r : r + rows])
        sig[docs] = mins.T
        i = j
    return sig


NUMPY = SimpleNamespace(name="numpy", shingle_hashes=_np_shingle_hashes, minhash=_np_minhash, fmix64=_np_fmix64)


def numba_available() -> bool:
    """True when numba is installed (the fast path); False selects the numpy reference.

    Looks the package up without importing it: importing numba costs about half a CPU-second.
    """
    return importlib.util.find_spec("numba") is not None


# With ``use_numba=None`` (the default) the numpy kernels run until this process has given them
# this much work of one kind, or numba is already loaded in the process. Loading numba costs
# about 1 CPU-second in every process, even from a warm cache (its import, then its type
# registries, which import scipy.linalg); it saves about 0.008 CPU-seconds per MB of text over
# these numpy kernels (both kernels on the Reuters bench, 256 documents a call: 0.32 vs 0.18
# CPU-s for 17 MB). So only a process that hashes more than about 128 MB of text loads it for
# dedup's sake (before the numpy kernels' rewrite, at 19 MB/s, it paid off after 1 MB and every
# 1 MB call loaded it). Results are bit-identical either way (tests/dedup/test_dedup_kernels.py).
# Re-check the costs with ``python -X importtime -c "import cleaner.dedup._numba_kernels"`` and
# benchmarks/bench_dedup.py. Once numba runs in the process anyway (the signals stage's kernels
# on a large input), loading these twins costs about 0.02 CPU-s, so every call then takes them.
NUMBA_MIN_CHARS = 128 << 20
NUMBA_MIN_SHINGLES = NUMBA_MIN_CHARS // 8  # about 6 to 8 characters per word of news text
# Work the numpy kernels did in this process, by kind (its NUMBA_MIN_* threshold): per process,
# not per Shingler or Signer, since an engine may unpickle the stage for every task.
_numpy_work: dict[int, int] = {}
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
    """The kernels for one call: numpy when ``use_numba`` is False; else the ones compiled ahead
    of time when cleaner was installed with them (``_aot``: nothing to load); else numba's, when
    ``use_numba`` is True, or None and numba is installed and either loaded already or the numpy
    kernels have done ``min_work`` of this kind in this process, counting this call (see
    NUMBA_MIN_CHARS).

    >>> pick(False, 10**9, 1).name, pick(None, 0, 1 << 40).name in ("numpy", "numba", "aot")
    ('numpy', True)
    """
    if use_numba is False:
        return NUMPY
    ahead = _aot.load()
    if ahead is not None:
        return ahead
    if use_numba is None:
        done = _numpy_work.get(min_work, 0) + work
        if (done < min_work and not numba_started()) or not numba_available():
            _numpy_work[min_work] = done
            return NUMPY
    try:
        from cleaner.dedup import _numba_kernels
    except ImportError:  # installed but broken (e.g. built for another numpy): the numpy twin
        if use_numba:
            raise
        return NUMPY
    return _numba_kernels


def compiled(use_numba: bool | None = None) -> Any:
    """Compiled kernels for a step whose numpy path has no per-call threshold (the passage split,
    the owner positions), or None for its numpy path: None when ``use_numba`` is False; the ones
    compiled ahead of time where they are built; else numba's where ``use_numba`` is True or
    numba runs in this process already (its start is paid).

    >>> compiled(False) is None
    True
    """
    if use_numba is False:
        return None
    ahead = _aot.load()
    if ahead is not None:
        return ahead
    if use_numba or numba_started():
        from cleaner.dedup import _numba_kernels

        return _numba_kernels
    return None
