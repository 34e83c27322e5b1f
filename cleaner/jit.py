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

Kernels compiled ahead of time. A package may also ship its kernels as an extension module that
``setup.py`` builds with ``numba.pycc`` when cleaner is installed: ``compiled_ahead`` imports it,
without numba (numba's import and the registries its first kernel loads are 0.3-0.4 CPU-seconds
of every process that starts it). The module's name carries a digest of the kernels' source
files (``source_digest``), so an extension built from other sources than the ones installed
(an editable install whose kernels were edited since) is never found, and the package falls
back to numba's just-in-time kernels until ``pip install`` builds it again. The extension is
compiled for ``AOT_TARGET_CPU`` (x86-64-v3 on x86-64: AVX2, as numba's own kernels vectorize
for a recent machine), so a machine without it is told apart by ``aot_cpu_ok``. Results do not
depend on which kernels run: the same source, integer arithmetic, no fast-math.
"""

from __future__ import annotations

import functools
import importlib
import os
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

try:  # hashlib's own blake2b, without importing hashlib (it loads OpenSSL: ~3.5 ms a run; cache.py)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b

# The CPU an ahead-of-time extension is compiled for, by machine (platform.machine()); a machine
# not named here gets no extension (setup.py skips it) and runs numba's kernels.
AOT_TARGET_CPU = {"x86_64": "x86-64-v3", "AMD64": "x86-64-v3", "aarch64": "generic", "arm64": "generic"}
# x86-64-v3's features as /proc/cpuinfo names them (with v2's); without all of them the
# extension's instructions may not exist on this CPU.
_X86_64_V3_FLAGS = frozenset(
    {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma"}
    | {"abm", "movbe", "xsave"}
)
# Set to 0 to run numba's just-in-time kernels even where the extension is built (tests compare them).
AOT_ENV = "CLEANER_AOT"


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


def source_digest(files: Sequence[Path]) -> str:
    """A digest of the kernels' source files, in the extension module's name (12 hex digits).

    >>> len(source_digest([Path(__file__)]))
    12
    """
    digest = blake2b(digest_size=6)
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def aot_module_name(package: str, files: Sequence[Path]) -> str:
    """The extension's dotted name for kernels in ``files`` of ``package``: ``package._aot_<digest>``."""
    return f"{package}._aot_{source_digest(files)}"


@functools.cache
def aot_cpu_ok() -> bool:
    """Whether this CPU runs code compiled for ``AOT_TARGET_CPU`` (on x86-64: /proc/cpuinfo names
    every x86-64-v3 feature; elsewhere than Linux the extension is not used there)."""
    target = AOT_TARGET_CPU.get(platform.machine())
    if target is None:
        return False
    if target == "generic":
        return True
    try:
        # Read as bytes: a text file would load the ascii codec's module for it (0.3 -> 0.05 ms).
        with open("/proc/cpuinfo", "rb") as info:
            for line in info:
                if line.startswith(b"flags"):
                    return set(line.partition(b":")[2].decode("ascii", "replace").split()) >= _X86_64_V3_FLAGS
    except OSError:
        pass
    return False


def compiled_ahead(package: str, files: Sequence[Path]) -> ModuleType | None:
    """The extension of ``package``'s kernels compiled ahead of time from ``files`` as they are
    now, or None: not built (no compiler or no numba when cleaner was installed), built from
    other sources, a CPU without its instructions, or ``CLEANER_AOT=0``."""
    if os.environ.get(AOT_ENV, "1") == "0" or not aot_cpu_ok():
        return None
    try:
        return importlib.import_module(aot_module_name(package, files))
    except ImportError:
        return None


# numba's type codes in an export's signature, as numpy dtypes (scalars and array elements).
_DTYPES = {
    "b1": "bool",
    "i1": "int8",
    "i2": "int16",
    "i4": "int32",
    "i8": "int64",
    "u1": "uint8",
    "u2": "uint16",
    "u4": "uint32",
    "u8": "uint64",
    "f4": "float32",
    "f8": "float64",
}
_ARGUMENT = re.compile(r"(\w+)(\[[^\]]*\])?")


@functools.cache
def _scalars() -> dict[str, tuple[type, ...]]:
    """The Python and numpy scalars a scalar argument of each dtype kind takes (numba would compile
    another kernel for a float where an integer is declared: that is no fit). numpy is imported
    here, not with this module: importing the CLI loads no numpy."""
    import numpy as np

    integers = (int, np.integer)
    return {"b": (bool, np.bool_), "i": integers, "u": integers, "f": (*integers, float, np.floating)}


def signature_arguments(signature: str) -> list[tuple[Any, int]]:
    """An export's arguments as ``(dtype, ndim)``, ndim 0 for a scalar: the signature's last
    parenthesized list (its arguments; arrays are written with brackets).

    >>> signature_arguments("Tuple((i8[::1], f8[:, ::1]))(u1[::1], i8, f8[:, ::1])")
    [(dtype('uint8'), 1), (dtype('int64'), 0), (dtype('float64'), 2)]
    """
    import numpy as np

    listed = signature[signature.rindex("(") + 1 : signature.rindex(")")]
    arguments = []
    for code, dims in _ARGUMENT.findall(listed):
        arguments.append((np.dtype(_DTYPES[code]), dims.count(",") + 1 if dims else 0))
    return arguments


class AheadOfTime:
    """A kernel compiled ahead of time, called as numba's dispatcher is: the export whose
    signature the arguments fit (dtype and dimensions of each array; a scalar as an int, float or
    bool), else TypeError. An exported function checks nothing itself (a wrong dtype is read as
    the right one, a strided array as a contiguous one), so this does: arrays are C-contiguous
    (a copy where one is not, except the arguments the kernel writes, ``writes``: TypeError)."""

    def __init__(self, overloads: Sequence[tuple[Any, str]], writes: Sequence[int] = ()) -> None:
        self.overloads = [(function, signature_arguments(signature)) for function, signature in overloads]
        self.writes = frozenset(writes)

    def __call__(self, *args: Any) -> Any:
        for function, arguments in self.overloads:
            ready = self._fit(args, arguments)
            if ready is not None:
                return function(*ready)
        kinds = ", ".join(f"{a.ndim}-d {a.dtype}" if hasattr(a, "dtype") else type(a).__name__ for a in args)
        taken = "; ".join(
            "(" + ", ".join(f"{ndim}-d {dtype}" if ndim else str(dtype) for dtype, ndim in arguments) + ")"
            for _, arguments in self.overloads
        )
        raise TypeError(f"no compiled kernel for ({kinds}): it takes {taken}")

    def _fit(self, args: Sequence[Any], arguments: Sequence[tuple[Any, int]]) -> list[Any] | None:
        if len(args) != len(arguments):
            return None
        ready = []
        for place, (value, (dtype, ndim)) in enumerate(zip(args, arguments, strict=True)):
            if ndim == 0:
                if not isinstance(value, _scalars()[dtype.kind]):
                    return None
                ready.append(dtype.type(value).item())
                continue
            if getattr(value, "dtype", None) != dtype or value.ndim != ndim:
                return None
            if not value.flags.c_contiguous:
                if place in self.writes:
                    raise TypeError(f"a compiled kernel writes argument {place} in place: pass a C-contiguous array")
                value = value.copy()
            ready.append(value)
        return ready


def ahead_of_time_kernels(
    package: str,
    files: Sequence[Path],
    exports: Mapping[str, tuple[str, str, str]],
    writes: Mapping[str, Sequence[int]],
) -> dict[str, AheadOfTime] | None:
    """``package``'s extension's kernels (``compiled_ahead``) by ``"module.attribute"``, or None.
    ``exports``: export name -> (module, attribute, signature), the attribute a kernel of the
    module or the function that makes it; the exports of one attribute make one dispatcher.
    ``writes``: the arguments each kernel writes in place, by the same key."""
    ext = compiled_ahead(package, files)
    if ext is None:
        return None
    grouped: dict[str, list[tuple[Any, str]]] = {}
    for export, (module, attribute, signature) in exports.items():
        grouped.setdefault(f"{module}.{attribute}", []).append((getattr(ext, export), signature))
    return {key: AheadOfTime(overloads, writes.get(key, ())) for key, overloads in grouped.items()}
