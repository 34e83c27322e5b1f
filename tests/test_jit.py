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


def test_a_kernel_compiled_ahead_of_time_takes_the_export_its_arguments_fit() -> None:
    # AheadOfTime stands where numba's dispatcher would: it picks the export by each array's dtype
    # and dimensions and each scalar's kind, gives every export C-contiguous arrays (a copy), and
    # refuses what no export takes, or a strided array the kernel writes in place.
    import numpy as np

    from cleaner.jit import AheadOfTime

    seen: list[tuple[str, tuple[object, ...]]] = []

    def export(name: str) -> object:
        return lambda *args: seen.append((name, args)) or name

    kernel = AheadOfTime([(export("ints"), "i8(i8[::1], i8)"), (export("floats"), "f8(f8[:, ::1], f8)")], writes=[0])
    ints, matrix = np.arange(6, dtype=np.int64), np.zeros((2, 3))
    assert kernel(ints, 3) == "ints" and kernel(matrix, 2) == "floats" and kernel(matrix, np.float32(0.5)) == "floats"
    assert seen[1][1][1] == 2.0 and type(seen[1][1][1]) is float  # a float export gets a float
    with pytest.raises(TypeError, match="no compiled kernel"):
        kernel(ints, 2.5)  # a float where an integer is declared: numba would compile another
    with pytest.raises(TypeError, match="no compiled kernel"):
        kernel(ints.astype(np.int32), 3)
    with pytest.raises(TypeError, match="in place"):
        kernel(ints[::2], 3)
    read_only = AheadOfTime([(export("strided"), "i8(i8[::1])")])
    assert read_only(ints[::2]) == "strided"
    given = seen[-1][1][0]
    assert isinstance(given, np.ndarray) and given.flags.c_contiguous and given.tolist() == [0, 2, 4]
