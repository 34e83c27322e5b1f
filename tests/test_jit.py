"""cleaner.jit starts numba without importing scipy, and leaves a process that imported scipy alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("numba")
pytest.importorskip("scipy")

_SCRIPT = """
import sys
{before}
from cleaner.jit import import_numba
numba = import_numba()

@numba.njit
def add(a, b):
    return a + b

print(add(2, 3), "scipy" in sys.modules, "numba.np.arraymath" in sys.modules)
"""


def _run(before: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(before=before)], capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_numba_starts_without_scipy() -> None:
    assert _run("") == ["5", "False", "True"]


def test_scipy_imported_before_stays() -> None:
    assert _run("import scipy.linalg") == ["5", "True", "True"]


def test_scipy_importable_after() -> None:
    assert _run("")[1] == "False"
    out = subprocess.run(
        [sys.executable, "-c", "from cleaner.jit import import_numba; import_numba(); import scipy.linalg; print(1)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "1"
