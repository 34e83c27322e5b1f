"""The boilerplate stage's compiled kernels, built ahead of time when cleaner is installed.

``setup.py`` compiles the kernels named in ``EXPORTS`` (each made by a function of its module
that numba compiles just in time otherwise: ``model._numba_kernel`` and so on) with
``numba.pycc`` into ``cleaner.boilerplate._aot_<digest of SOURCES>`` (``cleaner.jit``). Each of
those functions asks ``kernel`` first, and each step that took its compiled kernel only once
numba ran in the process asks ``ready`` too: with the extension, a process runs them from its
first page without starting numba; without it, as before (numba's kernels once numba runs, else
the numpy twins), with the same results.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

from cleaner.jit import AheadOfTime, ahead_of_time_kernels

PACKAGE = "cleaner.boilerplate"
# The files the extension is made from: the kernels' modules and every module of cleaner those
# import, and this one (tests/test_aot.py checks the list against the imports).
SOURCES = (
    "model.py",
    "rules.py",
    "text.py",
    "templates.py",
    "../atomic.py",
    "../cache.py",
    "../config.py",
    "../errors.py",
    "../jit.py",
    "../record.py",
    "../stage.py",
    "_aot.py",  # this one: the exports
)
_A = "[::1]"  # a contiguous array
_M = "[:, ::1]"  # a C-contiguous matrix
# Export name: (module, the function that makes the kernel, numba signature): the one signature
# each kernel is called with.
EXPORTS = {
    "model_walk": ("model", "_numba_kernel", f"f8[::1](f8{_M}, i8{_A}, f8{_A}, i8{_A}, f8{_A}, i4{_A}, i8)"),
    "model_walk_deciding": (
        "model",
        "_deciding_kernel",
        f"Tuple((i1[::1], f8[::1]))(f8{_M}, u8{_A}, f8{_A}, f8{_A}, i8, i8,"
        f" f8{_A}, f8{_A}, f8{_A}, f8{_A}, i8{_A}, i8)",
    ),
    "rules_candidates": (
        "rules",
        "_candidates_kernel",
        f"Tuple((b1[::1], i8[::1]))(u1{_A}, i8{_A}, i8{_A}, i8{_A}, i8{_A}, i8{_M}, i8{_A}, i8{_A}, i8{_M}, i8{_A},"
        f" i8{_A}, i8{_M}, i8{_A}, i8, i8, i8{_A}, i8, i8, u1{_A}, i8, i8, i8)",
    ),
    "rules_trigger_masks": (
        "rules",
        "_trigger_kernel",
        f"i8[::1](u1{_A}, i8{_A}, i8{_A}, i8{_A}, u1{_A}, i8{_A}, i8{_A}, i8{_A}, u1{_A}, u1{_A})",
    ),
    "text_spans": (
        "text",
        "_spans_kernel",
        f"Tuple((i8[:, ::1], i8[::1]))(i1{_A}, f8{_A}, i8{_A}, i8{_A}, f8, f8, f8, f8, f8, f8, i8, f8)",
    ),
    "text_byte_facts": ("text", "_byte_facts_kernel", f"i8[:, ::1](u1{_A}, i8{_A}, u1{_A})"),
    "text_page_sums": ("text", "_page_sums_kernel", f"f8[::1](f8{_A}, i8{_A}, i8{_A})"),
    "templates_line_key_hashes": (
        "templates",
        "_keys_kernel",
        f"Tuple((u8[::1], b1[::1], i8[::1]))(u1{_A}, i8{_A}, u1{_A}, u8{_A})",
    ),
}
# The arguments a kernel writes in place (never copied to make them contiguous).
WRITES = {"model._deciding_kernel": (10,)}  # ``active``: compacted as rows are decided


@functools.cache
def _kernels() -> dict[str, AheadOfTime] | None:
    here = Path(__file__).parent
    return ahead_of_time_kernels(PACKAGE, [here / source for source in SOURCES], EXPORTS, WRITES)


def ready() -> bool:
    """Whether the kernels compiled ahead of time are here (then a step takes them at once)."""
    return _kernels() is not None


def kernel(module: str, maker: str) -> Any:
    """The kernel ``module.maker()`` makes, compiled ahead of time, or None."""
    kernels = _kernels()
    return None if kernels is None else kernels[f"{module}.{maker}"]


def compiled_ready() -> bool:
    """Whether a step takes its compiled kernel now: built ahead of time, or numba runs in this
    process anyway (its start is paid; a step never starts it for itself)."""
    return ready() or "numba" in sys.modules
