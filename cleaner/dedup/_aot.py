"""Dedup's compiled kernels, built ahead of time when cleaner is installed: no numba in the process.

``setup.py`` compiles the functions named in ``EXPORTS`` (numba kernels of ``_numba_kernels`` and
``_passage_kernels``, the same source numba compiles just in time) with ``numba.pycc`` into the
extension ``cleaner.dedup._aot_<digest>``, the digest of ``SOURCES`` (``cleaner.jit``). ``load``
returns them behind the names and calls of ``_numba_kernels`` (``_kernels.pick`` and
``_kernels.compiled`` hand them out), or None where the extension is not there (then numba's
kernels or the numpy ones run, with the same results).

An exported function takes only the types of its signature and checks none of them (a wrong
dtype is read as the right one, a strided array as a contiguous one), so every call goes through
``jit.AheadOfTime``, which picks the export the arguments fit and makes strided arrays
contiguous. Over the Reuters bench (17.6 MB, ``--stages dedup``) the numpy kernels ran where
loading numba would cost more than it saves; these run there with no start to pay.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace

from cleaner.dedup import _owners
from cleaner.dedup._hashing import _np_fmix64
from cleaner.jit import ahead_of_time_kernels

PACKAGE = "cleaner.dedup"
# The files the extension is made from: the kernels' modules and every module of cleaner those
# import (tests/test_aot.py checks the list against the imports), and this one (its exports).
SOURCES = ("_numba_kernels.py", "_passage_kernels.py", "_hashing.py", "_owners.py", "../jit.py", "_aot.py")
# Exported name: (module, function, numba signature). Each dtype the callers pass gets its own
# export (owner ranks and places are 32-bit below 2**31 of them, else 64-bit; passage code points
# 8-bit for an ASCII chunk, else 32-bit), as numba's dispatcher compiles one per type it meets.
_GATHER = "void(u8[::1], i8, i8, i8, i8, i8[::1], u8[::1], {p}[::1])"  # places
_CLAIM = "i8(u8[::1], {p}[::1], i8[::1], {o}[::1], u8[::1], i8[::1])"  # places, owners
EXPORTS = {
    "shingle_hashes": (
        "_numba_kernels",
        "shingle_hashes",
        "Tuple((u8[::1], i8[::1], i8[:, ::1], i8[::1]))(u4[::1], b1[::1], i8[::1], i8)",
    ),
    "minhash": ("_numba_kernels", "minhash", "u4[:, ::1](u8[::1], i8[::1], u4[::1], u4[::1])"),
    "band_keys": ("_numba_kernels", "band_keys", "u8[:, ::1](u4[:, ::1], i8, i8)"),
    **{f"gather_slices_{p}": ("_numba_kernels", "_gather_slices", _GATHER.format(p=p)) for p in ("i4", "i8")},
    **{
        f"claim_owners_{p}_{o}": ("_numba_kernels", "_claim_owners", _CLAIM.format(p=p, o=o))
        for p in ("i4", "i8")
        for o in ("i4", "i8")
    },
    "pair_jaccards": ("_numba_kernels", "pair_jaccards", "f8[::1](u8[::1], i8[::1], i8[:, ::1], b1)"),
    "split_spans_u1": (
        "_passage_kernels",
        "split_spans",
        "Tuple((i8[::1], i8[:, ::1]))(u1[::1], b1[::1], i8[::1], i8[::1])",
    ),
    "split_spans_u4": (
        "_passage_kernels",
        "split_spans",
        "Tuple((i8[::1], i8[:, ::1]))(u4[::1], b1[::1], i8[::1], i8[::1])",
    ),
}


# The arguments each kernel writes in place (jit.AheadOfTime never copies them to make them contiguous).
WRITES = {
    "_numba_kernels._gather_slices": (5, 6, 7),  # fill, values, places
    "_numba_kernels._claim_owners": (3, 4, 5),  # owned, keys, slots
}


@functools.cache
def load() -> SimpleNamespace | None:
    """The kernels compiled ahead of time, by the names of ``_numba_kernels`` (``jit.AheadOfTime``
    each: the export whose types the arguments have), or None where there is no extension for
    these sources."""
    found = ahead_of_time_kernels(PACKAGE, [Path(__file__).parent / name for name in SOURCES], EXPORTS, WRITES)
    if found is None:
        return None
    gather, claim = found["_numba_kernels._gather_slices"], found["_numba_kernels._claim_owners"]
    return SimpleNamespace(
        name="aot",
        shingle_hashes=found["_numba_kernels.shingle_hashes"],
        minhash=found["_numba_kernels.minhash"],
        band_keys=found["_numba_kernels.band_keys"],
        fmix64=_np_fmix64,
        owner_positions=functools.partial(_owners.owner_positions, gather=gather, claim=claim),
        split_spans=found["_passage_kernels.split_spans"],
        pair_jaccards=found["_numba_kernels.pair_jaccards"],
    )
