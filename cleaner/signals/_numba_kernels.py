"""The compiled twins of the loops of :mod:`cleaner.signals._kernels`, loaded from numba's disk cache.

Imported only when a process has enough text to measure (see ``quality.NUMPY_CHARS``), so a small
run never pays numba's start (its import, then its type registries: about 0.5 CPU-s per process
even from a warm cache). The loops are written once, as plain functions in ``_kernels``; here each
gets a copy whose globals name the compiled copies of the others, and numba compiles those. Their
code and file are the originals', so numba's on-disk cache finds them in every process
(tests/dedup/test_numba_cache.py runs ``cleaner clean`` twice and checks that the second run
compiles nothing and adds no cache file).
"""

from __future__ import annotations

import types
from typing import Any

from cleaner.jit import import_numba
from cleaner.signals import _kernels

numba = import_numba()

name = "numba"

_globals: dict[str, Any] = dict(vars(_kernels))
for _name in _kernels.KERNELS:
    _plain = getattr(_kernels, _name)
    _copy = types.FunctionType(_plain.__code__, _globals, _name, _plain.__defaults__)
    _copy.__qualname__ = _plain.__qualname__
    _globals[_name] = numba.njit(cache=True, nogil=True)(_copy)

tokenize = _globals["tokenize"]
doc_signals = _globals["doc_signals"]
docs_signals = _globals["docs_signals"]
top_ngram_chars = _globals["top_ngram_chars"]
dup_ngram_chars = _globals["dup_ngram_chars"]
count_members = _globals["count_members"]
line_stats = _globals["line_stats"]
