"""Dedup's compiled kernels, built ahead of time when cleaner is installed: no numba in the process.

``setup.py`` compiles the functions named in ``EXPORTS`` (numba kernels of ``_numba_kernels`` and
``_passage_kernels``, the same source numba compiles just in time) with ``numba.pycc`` into the
extension ``cleaner.dedup._aot_<digest>``, the digest of ``SOURCES`` (``cleaner.jit``). ``load``
returns them behind the names and calls of ``_numba_kernels`` (``_kernels.pick`` and
``_kernels.compiled`` hand them out), or None where the extension is not there (then numba's
kernels or the numpy ones run, with the same results).

An exported function takes only the types of its signature and checks none of them (a wrong
dtype is read as the right one, a strided array as a contiguous one), so every call goes through
a wrapper that checks the dtypes and makes strided arrays contiguous. Over the Reuters bench
(17.6 MB, ``--stages dedup``) the numpy kernels ran where loading numba would cost more than it
saves; these run there with no start to pay.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from cleaner.dedup import _owners
from cleaner.dedup._hashing import _np_fmix64
from cleaner.jit import compiled_ahead

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
    **{f"gather_slices_{p}": ("_numba_kernels", "_gather_slices", _GATHER.format(p=p)) for p in ("i4", "i8")},
    **{
        f"claim_owners_{p}_{o}": ("_numba_kernels", "_claim_owners", _CLAIM.format(p=p, o=o))
        for p in ("i4", "i8")
        for o in ("i4", "i8")
    },
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


def _arg(x: Any, dtype: Any, ndim: int = 1) -> Any:
    """``x`` as an exported function must get it: of ``dtype`` (else TypeError: a caller's bug,
    which numba would have compiled a kernel for) and C-contiguous (a copy where it is not)."""
    if x.dtype != dtype or x.ndim != ndim:
        raise TypeError(f"compiled kernel wants a {ndim}-d {np.dtype(dtype).name} array, got {x.ndim}-d {x.dtype}")
    return x if x.flags.c_contiguous else np.ascontiguousarray(x)


def _out(x: Any, dtype: Any) -> Any:
    """An array the kernel writes in place: as ``_arg`` asks, and contiguous already (a copy would
    take the writes)."""
    if not x.flags.c_contiguous:
        raise TypeError("a compiled kernel writes this array in place: pass a C-contiguous one")
    return _arg(x, dtype)


def _namespace(ext: ModuleType) -> SimpleNamespace:
    u4, u8, i8, b1 = np.uint32, np.uint64, np.int64, np.bool_

    def shingle_hashes(cps: Any, table: Any, text_starts: Any, ngram: int) -> Any:
        # 32-bit code points only, as numba's (Shingler._wide widens an ASCII chunk's bytes): the
        # kernel's arithmetic on 8-bit ones types some indices as float64 and does not compile.
        return ext.shingle_hashes(_arg(cps, u4), _arg(table, b1), _arg(text_starts, i8), int(ngram))

    def minhash(hashes: Any, offsets: Any, a: Any, b: Any) -> Any:
        return ext.minhash(_arg(hashes, u8), _arg(offsets, i8), _arg(a, u4), _arg(b, u4))

    def _width(x: Any) -> str:
        if x.dtype not in (np.int32, np.int64):
            raise TypeError(f"compiled kernel wants int32 or int64 places and owners, got {x.dtype}")
        return "i4" if x.dtype == np.int32 else "i8"

    def gather(part: Any, bits: int, lo: int, hi: int, base: int, fill: Any, values: Any, places: Any) -> None:
        kernel = getattr(ext, f"gather_slices_{_width(places)}")
        outs = (_out(fill, i8), _out(values, u8), _out(places, places.dtype))
        kernel(_arg(part, u8), int(bits), int(lo), int(hi), int(base), *outs)

    def claim(values: Any, places: Any, bounds: Any, owned: Any, keys: Any, slots: Any) -> int:
        kernel = getattr(ext, f"claim_owners_{_width(places)}_{_width(owned)}")
        args = (_arg(values, u8), _arg(places, places.dtype), _arg(bounds, i8), _out(owned, owned.dtype))
        return int(kernel(*args, _out(keys, u8), _out(slots, i8)))

    def owner_positions(parts: Any, owned: Any) -> int:
        return _owners.owner_positions(parts, owned, gather, claim)

    def split_spans(cps: Any, space: Any, text_starts: Any, lengths: Any) -> Any:
        ascii_chunk = cps.dtype == np.uint8
        kernel = ext.split_spans_u1 if ascii_chunk else ext.split_spans_u4
        cps = _arg(cps, np.uint8 if ascii_chunk else u4)
        return kernel(cps, _arg(space, b1), _arg(text_starts, i8), _arg(lengths, i8))

    return SimpleNamespace(
        name="aot",
        shingle_hashes=shingle_hashes,
        minhash=minhash,
        fmix64=_np_fmix64,
        owner_positions=owner_positions,
        split_spans=split_spans,
    )


@functools.cache
def load() -> SimpleNamespace | None:
    """The kernels compiled ahead of time, or None where there is no extension for these sources."""
    ext = compiled_ahead(PACKAGE, [Path(__file__).parent / name for name in SOURCES])
    return None if ext is None else _namespace(ext)
