"""Starting numba for the stages' compiled kernels, without the part of its start they never use.

Every module that compiles kernels (``boilerplate.model``, ``signals._numba_kernels``,
``dedup._numba_kernels``) imports numba through :func:`import_numba`. Where scipy is installed and
not yet imported, numba imports it twice on its way: to check its version (``numba/__init__``) and,
when its CPU target loads the NumPy registries (``numba.np.arraymath``, at the first kernel a
process compiles or loads from the cache), to find scipy's BLAS. That is about 0.18 CPU-seconds
of every process that starts numba (``python -X importtime``), for nothing our kernels use: none
calls ``np.dot``, ``np.linalg`` or ``np.convolve``. So both imports run with scipy hidden; numba
then takes the plain-loop inner product for ``np.convolve``/``np.correlate`` in this process (same
values), and ``np.linalg`` in jitted code still finds BLAS when called (numba imports scipy then).
A process that imported scipy before is left as it is. Results never depend on this: it only
decides what numba imports.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec
from types import ModuleType


class _HideScipy:
    """A meta path finder that makes ``import scipy`` fail while it is installed."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name == "scipy" or name.startswith("scipy."):
            raise ImportError(f"{name} is hidden while numba starts (cleaner.jit)")
        return None


def import_numba() -> ModuleType:
    """``import numba`` with its CPU target's NumPy registries loaded, scipy hidden meanwhile
    unless it is imported already. Raises ImportError when numba is not installed."""
    if "numba.np.arraymath" in sys.modules or "scipy" in sys.modules:
        import numba

        return numba
    hide = _HideScipy()
    sys.meta_path.insert(0, hide)
    try:
        import numba
        import numba.np.arraymath  # the registries the first kernel would load
    finally:
        sys.meta_path.remove(hide)
    return numba
