"""Builds the compiled kernels ahead of time (each ``_aot.py`` of ``SPECS``):
the project's metadata is in pyproject.toml; this file only adds the extension modules.

numba.pycc compiles the kernels' own source (the functions numba compiles just in time at run
time) into ``cleaner.<package>._aot_<digest>``, which a process loads without importing numba. The
build needs numba (pyproject's build requirements) and a C compiler; where either is missing, or
the machine is not one ``cleaner.jit.AOT_TARGET_CPU`` names, cleaner installs without the
extension and runs numba's or numpy's kernels instead, with the same results.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import types
from pathlib import Path
from typing import Any

from setuptools import setup

ROOT = Path(__file__).resolve().parent
# The packages' specifications of what to compile (PACKAGE, SOURCES, EXPORTS).
SPECS = ("cleaner.dedup._aot", "cleaner.boilerplate._aot", "cleaner.signals._aot")


def _module(name: str) -> Any:
    """A module of cleaner, imported without running the packages' ``__init__`` (which import the
    runtime dependencies the build environment does not have)."""
    for package in ("cleaner", "cleaner.dedup", "cleaner.boilerplate", "cleaner.signals"):
        if package not in sys.modules:
            stub = types.ModuleType(package)
            stub.__path__ = [str(ROOT.joinpath(*package.split(".")))]
            sys.modules[package] = stub
    return importlib.import_module(name)


def _extensions() -> list[Any]:
    try:
        from numba.pycc import CC
    except ImportError:
        print("cleaner: numba is not in the build environment: no kernels compiled ahead of time", file=sys.stderr)
        return []
    os.environ["CLEANER_AOT"] = "0"  # the kernels' makers give numba's kernels, never an extension built before
    jit = _module("cleaner.jit")
    target = jit.AOT_TARGET_CPU.get(platform.machine())
    if target is None:
        print(f"cleaner: no kernels compiled ahead of time for {platform.machine()}", file=sys.stderr)
        return []
    extensions = []
    for spec_name in SPECS:
        spec = _module(spec_name)
        package_dir = ROOT.joinpath(*spec.PACKAGE.split("."))
        name = jit.aot_module_name(spec.PACKAGE, [package_dir / source for source in spec.SOURCES])
        try:
            cc = CC(name.rpartition(".")[2], source_module=spec)
        except RuntimeError as exc:  # numba's toolchain finds no C compiler (it says so when it starts)
            print(f"cleaner: no kernels compiled ahead of time ({exc})", file=sys.stderr)
            return []
        cc.target_cpu = target
        for export, (module, attribute, signature) in spec.EXPORTS.items():
            kernel = getattr(_module(f"{spec.PACKAGE}.{module}"), attribute)
            if not hasattr(kernel, "py_func"):  # the function that makes it
                kernel = kernel()
            cc.export(export, signature)(kernel.py_func)
        extension = cc.distutils_extension()
        extension.optional = True  # no C compiler: install without it
        extensions.append(extension)
    return extensions


setup(ext_modules=_extensions())
