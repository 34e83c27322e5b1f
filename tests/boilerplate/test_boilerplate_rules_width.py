"""The line cues' maximum widths, written as data in rules.py, still match the patterns."""

from __future__ import annotations

import re

import pytest

from cleaner.boilerplate import rules


def _longest_match(pattern: str) -> int:
    """The width CPython's own regex parser gives, reading "*" and "+" as at most 20 repeats."""
    parser = pytest.importorskip("re._parser")  # private, so only the test leans on it
    bounded = pattern.replace("*", "{0,20}").replace("+", "{1,20}")
    return int(parser.parse(bounded, re.IGNORECASE | re.DOTALL).getwidth()[1])


def test_written_widths_match_the_cues() -> None:
    want = tuple(_longest_match(pattern) for _, pattern in rules._LINE_CUES)
    assert want == rules.LINE_CUE_MAX_LENGTH, "a line cue changed: copy these widths into LINE_CUE_MAX_LENGTH"
