"""The signals stage's compiled loops, built ahead of time when cleaner is installed.

``setup.py`` compiles the loops ``EXPORTS`` names (``_numba_kernels``' compiled copies of
``_kernels``' loops, the ones the measurer calls; the others are compiled into them) with
``numba.pycc`` into ``cleaner.signals._aot_<digest of SOURCES>`` (``cleaner.jit``).
``quality.QualityMeasurer.kernels`` takes them from the first text when they are there, with no
numba to start and no numpy budget to spend first; without them, as before, with the same values.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace

from cleaner.jit import ahead_of_time_kernels

PACKAGE = "cleaner.signals"
# The files the loops' code and constants come from: their modules and every module of cleaner
# those import (tests/test_aot.py checks the list against the imports).
SOURCES = ("_numba_kernels.py", "_kernels.py", "../jit.py", "_aot.py")  # _aot.py: this one, the exports
_A = "[::1]"  # a contiguous array
_TABLES = f"u1{_A}, u4{_A}"  # the character flags and lower-case tables
_STOPS = f"u8{_A}, b1{_A}"  # a stop-word hash table and its used slots
# Export name: (module, loop, numba signature). A batch's text goes in as bytes when it is ASCII,
# else as 32-bit code points: an export each.
EXPORTS = {
    "tokenize": ("_numba_kernels", "tokenize", f"Tuple((u8[::1], u8[::1], i8[::1], u1[::1]))(u4{_A}, {_TABLES})"),
    "doc_signals": ("_numba_kernels", "doc_signals", f"f8[::1](u4{_A}, {_TABLES}, {_STOPS}, {_STOPS}, i8)"),
    **{
        f"docs_signals_{code}": (
            "_numba_kernels",
            "docs_signals",
            f"f8[:, ::1]({code}{_A}, i8{_A}, {_TABLES}, {_STOPS}, i8[:, ::1], {_STOPS}, i8)",
        )
        for code in ("u1", "u4")
    },
}


@functools.cache
def kernels() -> SimpleNamespace | None:
    """The loops compiled ahead of time, by the names ``_numba_kernels`` gives them, or None."""
    here = Path(__file__).parent
    found = ahead_of_time_kernels(PACKAGE, [here / source for source in SOURCES], EXPORTS, {})
    if found is None:
        return None
    return SimpleNamespace(name="aot", **{key.partition(".")[2]: loop for key, loop in found.items()})
