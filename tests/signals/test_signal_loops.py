"""The signals' loops give the same values, bit for bit, run as Python and compiled by numba.

A process measures its first texts with the Python loops and the rest compiled
(``quality.PYTHON_CHARS``): which one measured a document must never show in the report.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.signals import _kernels as python_loops
from cleaner.signals.quality import PYTHON_CHARS, QualityMeasurer

compiled = pytest.importorskip("cleaner.signals._numba_kernels")

MEASURER = QualityMeasurer()
# Letters, digits, every kind of character the tokenizer and the line rules treat apart, a few
# letters whose lowercase differs in length or lies outside the BMP, and pictographs.
CHARS = st.sampled_from(
    [
        *"abcXYZ019 \n\n\t.-',/:#_=*~!?",
        "\N{RIGHT SINGLE QUOTATION MARK}",
        "\N{HORIZONTAL ELLIPSIS}",
        "\N{BULLET}",
        "\N{LATIN SMALL LETTER LONG S}",
        "\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}",
        "\N{LATIN SMALL LETTER SHARP S}",
        "\N{CYRILLIC SMALL LETTER YA}",
        "\N{CYRILLIC CAPITAL LETTER ZHE}",
        "\N{GRINNING FACE}",
        "\N{DESERET CAPITAL LETTER LONG I}",
        "\N{NO-BREAK SPACE}",
    ]
)


def _both(text: str, lang: str) -> tuple[np.ndarray, np.ndarray]:
    flags, lower = MEASURER.tables
    stop_table, stop_used = MEASURER.stop_hashes(lang)
    MEASURER.measure("warm", "en")  # fills the Gopher table
    gopher_table, gopher_used = MEASURER._stop_hashes["gopher"]
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    args = (cps, flags, lower, stop_table, stop_used, gopher_table, gopher_used, 30)
    with np.errstate(over="ignore"):
        as_python = python_loops.doc_signals(*args)
    return as_python, compiled.doc_signals(*args)


@settings(max_examples=300, deadline=None)
@given(st.lists(CHARS, max_size=300).map("".join), st.sampled_from(["en", "de", "ru"]))
def test_python_and_compiled_loops_give_the_same_bits(text: str, lang: str) -> None:
    as_python, as_compiled = _both(text, lang)
    assert as_python.tobytes() == as_compiled.tobytes(), (as_python.tolist(), as_compiled.tolist())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["the", "bank", "bank's", "don't", "U.S.", "1,000", "-v", "x"]), max_size=80))
def test_the_same_bits_on_repeated_words(words: list[str]) -> None:
    # Repeated n-grams and stop words: the hash tables' paths.
    as_python, as_compiled = _both(" ".join(words) + "\n" + " ".join(reversed(words)), "en")
    assert as_python.tobytes() == as_compiled.tobytes()


def test_a_measurer_switches_to_the_compiled_loops_after_its_budget() -> None:
    measurer = QualityMeasurer()
    first = measurer.kernels(10)
    # In this process numba may have started already (other tests): then it is compiled at once.
    assert first is python_loops or first is compiled
    assert measurer.kernels(PYTHON_CHARS) is compiled
    assert measurer.kernels(1) is compiled  # for good


def test_the_python_budget_is_the_processes_not_each_measurers() -> None:
    """Dask unpickles the stage for every task, so each task gets a new measurer: the budget is
    counted for the process, or a run of small tasks would never leave the Python loops."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = """
import sys
from cleaner.signals.quality import PYTHON_CHARS, QualityMeasurer
text = "word " * (PYTHON_CHARS // 10)  # half the budget
print(QualityMeasurer().kernels(len(text)).__name__, QualityMeasurer().kernels(len(text)).__name__,
      QualityMeasurer().kernels(len(text)).__name__)
"""
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    python, compiled_name = "cleaner.signals._kernels", "cleaner.signals._numba_kernels"
    assert done.stdout.split() == [python, python, compiled_name]
