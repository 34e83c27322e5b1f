"""The numba twins of ``_kernels.NUMPY``, compiled once per machine and loaded from numba's disk cache.

Imported only on first use (``_kernels.pick`` and ``compiled``), so importing cleaner never imports numba;
the functions ``_aot.EXPORTS`` names are also compiled ahead of time by setup.py.
``owner_positions``' numpy twin is the sort in ``sharded.write_owner_piece`` itself.
Every kernel is a module-level function whose globals are plain constants or other module-level
dispatchers, never closure cells: numba keys its on-disk cache on the bytecode *and the pickled
closure cells*, and a dispatcher in a cell pickles differently in every process, so a kernel
defined inside a function was compiled again in every worker (1 to 4 CPU seconds each) and the
cache folder gained a file per process. tests/dedup/test_numba_cache.py checks that a second
process compiles nothing and adds no cache file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleaner.dedup import _owners, _passage_kernels
from cleaner.dedup._hashing import _M1, _M2, _MASK32, _S33, BAND_MIX, K_CHAR, K_LENGTH, K_SHINGLE, U64, _np_fmix64
from cleaner.jit import import_numba

numba = import_numba()

name = "numba"


@numba.njit(cache=True, inline="always")
def fmix64_scalar(x: Any) -> Any:
    x ^= x >> _S33
    x *= _M1
    x ^= x >> _S33
    x *= _M2
    x ^= x >> _S33
    return x


@numba.njit(cache=True)
def shingle_hashes(cps: Any, table: Any, text_starts: Any, ngram: int) -> Any:
    # Texts one after another (text i's characters end at ``text_starts[i + 1]``, no search for
    # the text of each word), each word's characters in a loop of their own, and every index
    # unsigned: numba wraps a signed index (adds the length where it is negative: a shift, an
    # and and an add before each load or store). The words' text numbers (an array written and
    # never read) are gone, and the bounds come back as a view of the array they were found in
    # (the Shingler joins the chunks' bounds with np.concatenate, a copy, or drops them: a copy
    # here as well was 6 ms of the dump). Over the 30 MB text dump's 28 million characters, in
    # process (best of 5, alternated): 0.136 -> 0.107 CPU-s, 0.104 without the copy; the
    # same arrays. Hashing two characters a step (acc * K_CHAR**2 + (c * K_CHAR + d), the same
    # value, a shorter chain of multiplies) took 0.107 -> 0.105 more: left out for the loop it
    # adds. A uint8 specialization for ASCII chunks (no astype to 32 bits in _hash_keys) took
    # 0.122 -> 0.110 over the dump: left out for the second compile it costs per machine.
    n_texts = len(text_starts) - 1
    total = np.uint64(len(cps))
    cap = len(cps) // 2 + 1
    tokens = np.empty(cap, dtype=np.uint64)
    bounds = np.empty((cap, 2), dtype=np.int64)
    tok_start = np.zeros(n_texts + 1, dtype=np.int64)
    one = np.uint64(1)
    n = np.uint64(0)
    for t in range(n_texts):
        i = np.uint64(text_starts[t])
        end = min(np.uint64(text_starts[t + 1]), total)
        while i < end:
            c = cps[i]
            if not table[c]:
                i += one
                continue
            start = i
            acc = np.uint64(0)
            while True:
                acc = acc * K_CHAR + np.uint64(c)
                i += one
                if i >= end:
                    break
                c = cps[i]
                if not table[c]:
                    break
            tokens[n] = fmix64_scalar(acc + (i - start) * K_LENGTH)
            bounds[n, 0] = start
            bounds[n, 1] = i
            n += one
            i += one  # cps[i] ended the word (or i is past the end)
        tok_start[t + 1] = n
    offsets = np.zeros(n_texts + 1, dtype=np.int64)
    for t in range(n_texts):
        m = tok_start[t + 1] - tok_start[t]
        c = m - ngram + 1 if m >= ngram else min(m, 1)
        offsets[t + 1] = offsets[t] + c
    out = np.empty(offsets[n_texts], dtype=np.uint64)
    for t in range(n_texts):
        first = np.uint64(tok_start[t])
        m = np.uint64(tok_start[t + 1]) - first
        o = np.uint64(offsets[t])
        if m >= ngram:
            for w in range(m - np.uint64(ngram) + one):
                at = first + np.uint64(w)
                h = tokens[at]
                for j in range(1, ngram):
                    h = h * K_SHINGLE + tokens[at + np.uint64(j)]
                out[o + np.uint64(w)] = fmix64_scalar(h)
        elif m > 0:
            h = tokens[first]
            for j in range(one, m):
                h = h * K_SHINGLE + tokens[first + np.uint64(j)]
            out[o] = fmix64_scalar(h)
    return out, offsets, bounds[:n], tok_start  # a view: every caller copies or drops it


@numba.njit(cache=True)
def minhash(hashes: Any, offsets: Any, a: Any, b: Any) -> Any:
    # The permutations in 32-bit arithmetic (x * a + b wraps mod 2**32, as the mask did in 64
    # bits) and each row's minimum taken with min, not a branch: the loop over the permutations
    # is then vectorized (8 lanes in AVX2). 0.57 -> 0.11 CPU-s over the 30 MB gen_dump dump's
    # 4.2 million shingles, the same signatures.
    n_docs = len(offsets) - 1
    n_perm = len(a)
    sig = np.full((n_docs, n_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    for d in range(n_docs):
        cur = sig[d]
        for s in range(offsets[d], offsets[d + 1]):
            x = hashes[s] & _MASK32
            x ^= x >> np.uint64(16)
            x = (x * np.uint64(0x85EBCA6B)) & _MASK32
            x ^= x >> np.uint64(13)
            x = (x * np.uint64(0xC2B2AE35)) & _MASK32
            x ^= x >> np.uint64(16)
            x32 = np.uint32(x)
            for p in range(n_perm):
                cur[p] = min(cur[p], np.uint32(x32 * a[p] + b[p]))
    return sig


@numba.njit(cache=True)
def _enter(values: Any, lo: int, hi: int, side: int, row: int, keys: Any, stamp: Any, sides: Any) -> Any:
    # Enters ``values[lo:hi]`` as members of ``side`` (1 or 2) into pair ``row``'s table (see
    # pair_jaccards); returns how many hashes were new to the table and how many it held for
    # the other side only before (so both sides' now).
    mask = np.uint64(keys.size - 1)
    one = np.uint64(1)
    new = 0
    shared = 0
    for j in range(lo, hi):
        v = values[j]
        i = v & mask
        while True:
            if stamp[i] != row:
                stamp[i] = row
                keys[i] = v
                sides[i] = side
                new += 1
                break
            if keys[i] == v:
                if sides[i] != side and sides[i] != 3:
                    sides[i] = 3
                    shared += 1
                break
            i = (i + one) & mask
    return new, shared


@numba.njit(cache=True)
def pair_jaccards(values: Any, bounds: Any, pairs: Any, distinct: bool) -> Any:
    # ``cluster.pair_jaccards``' twin, sorting nothing (``distinct`` is of no use here): both
    # sets of a pair go into one open-addressed table of at least twice their sizes (hashes are
    # uniform: their low bits index it), each slot marked with the sides holding its hash, so
    # the new hashes count the union and the ones met from both sides the intersection. A slot
    # counts as empty unless stamped with the pair's row: no table is cleared between pairs.
    # On the Reuters bench's verify block (1,250 pairs of 2,275 sets, 381k hashes), in process:
    # 1.2 ms, where sorting each set once (numba's sort) and merging took 12.8 and the numpy
    # twin 14.8.
    most = 0
    for r in range(pairs.shape[0]):
        x, y = pairs[r, 0], pairs[r, 1]
        most = max(most, bounds[x + 1] - bounds[x] + bounds[y + 1] - bounds[y])
    cap = 16
    while cap < 2 * most:
        cap *= 2
    keys = np.empty(cap, dtype=np.uint64)
    stamp = np.full(cap, -1, dtype=np.int64)
    sides = np.empty(cap, dtype=np.uint8)
    out = np.empty(pairs.shape[0], dtype=np.float64)
    for r in range(pairs.shape[0]):
        x, y = pairs[r, 0], pairs[r, 1]
        size = 16  # the pair's own table: the front of the arrays, small sets stay in cache
        while size < 2 * (bounds[x + 1] - bounds[x] + bounds[y + 1] - bounds[y]):
            size *= 2
        union, _ = _enter(values, bounds[x], bounds[x + 1], 1, r, keys[:size], stamp[:size], sides[:size])
        more, inter = _enter(values, bounds[y], bounds[y + 1], 2, r, keys[:size], stamp[:size], sides[:size])
        union += more
        out[r] = inter / union if union else 0.0
    return out


@numba.njit(cache=True)
def band_keys(signatures: Any, bands: int, rows: int) -> Any:
    # ``signatures.band_keys``' twin, a document at a time: its bands' keys side by side, each
    # taking the band's next row in turn (independent products in flight, where a band's rows
    # one after another wait on each product: 3.1 CPU-ms over 19k signatures). Not through the
    # inlined fmix64_scalar: numba.pycc compiling this kernel too then mistyped a variable of
    # shingle_hashes, which inlines it (an index as float64; numba 0.68), and the build failed.
    out = np.empty((signatures.shape[0], bands), dtype=np.uint64)
    for d in range(signatures.shape[0]):
        keys, sig = out[d], signatures[d]
        for band in range(bands):
            keys[band] = np.uint64(band) * BAND_MIX
        for r in range(rows):
            for band in range(bands):
                keys[band] = keys[band] * K_SHINGLE + np.uint64(sig[band * rows + r])
        for band in range(bands):  # fmix64_scalar written out: see above
            x = keys[band]
            x ^= x >> _S33
            x *= _M1
            x ^= x >> _S33
            x *= _M2
            keys[band] = x ^ (x >> _S33)
    return out


def fmix64(x: U64) -> U64:
    """Array version for callers outside the kernels (numpy does this as fast as numba)."""
    return _np_fmix64(x)


@numba.njit(cache=True)
def _gather_slices(part: Any, bits: int, lo: int, hi: int, base: int, fill: Any, values: Any, places: Any) -> None:
    # The values of ``part`` in slices ``lo`` to ``hi - 1`` (the hashes' top ``bits`` bits) and
    # their places in the shard (``base`` + their place in the part), each at ``fill`` of its
    # slice, which moves on: a counting sort, stable, over the parts one after another. With
    # ``hi`` 0, only counts each slice's values in ``fill``.
    # Indices unsigned: numba wraps every signed index (adds the length where it is negative: a
    # shift, an and and an add before each load or store).
    shift = np.uint64(63 - bits)  # (v >> shift) >> 1: the top ``bits`` bits, 0 when bits is 0
    one = np.uint64(1)
    if hi == 0:
        for j in range(part.size):
            fill[(part[j] >> shift) >> one] += 1
        return
    first, last = np.uint64(lo), np.uint64(hi)
    for j in range(part.size):
        v = part[j]
        t = (v >> shift) >> one
        if first <= t and t < last:
            at = np.uint64(fill[t])
            values[at] = v
            places[at] = base + j
            fill[t] += 1


@numba.njit(cache=True)
def _claim_owners(values: Any, places: Any, bounds: Any, owned: Any, keys: Any, slots: Any) -> int:
    # Slice by slice (slice t's values are ``values[bounds[t]:bounds[t + 1]]``, in place order,
    # ``places`` their places in the shard), every value entered in the slice's open-addressed
    # table (hashes are uniform: their low bits index it). ``slots[i]``: -1 while slot i is
    # empty, else the owner of hash ``keys[i]`` (its first place's rank) times 2, plus 1 once
    # the hash is met again. A place whose hash was met before takes that owner. Returns the
    # hashes met a second time. The values are read in order, not gathered from the parts by
    # place (a slice's places lie 1-16 K values apart, and the table's misses came on top).
    mask = np.uint64(keys.size - 1)
    one = np.uint64(1)
    rows = 0
    for t in range(bounds.size - 1):
        slots[:] = -1
        for j in range(bounds[t], bounds[t + 1]):
            v = values[j]
            p = np.uint64(places[j])
            i = v & mask
            while True:
                slot = slots[i]
                if slot < 0:
                    keys[i] = v
                    slots[i] = np.int64(owned[p]) << 1
                    break
                if keys[i] == v:
                    owned[p] = slot >> 1
                    if not slot & 1:
                        slots[i] = slot | 1
                        rows += 1
                    break
                i = (i + one) & mask
    return rows


def owner_positions(parts: Any, owned: Any) -> int:
    """``_owners.owner_positions`` with this module's two kernels."""
    return _owners.owner_positions(parts, owned, _gather_slices, _claim_owners)


split_spans = _passage_kernels.split_spans  # the passage split's kernel, with the others (``_kernels.compiled``)
