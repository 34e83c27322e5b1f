"""Content that looks like boilerplate must survive: one-line paragraphs, short quotes,
headings, captions, sentences that start with cue words, listicles (tests/boilerplate/must_keep.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cleaner.boilerplate.html import extract
from cleaner.boilerplate.text import classify_lines, remove_spans

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "must_keep.json").read_text("utf-8"))


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "text"], ids=lambda c: c["name"])
def test_text_keeps_every_line(case: dict[str, Any]) -> None:
    text = case["text"]
    drops = classify_lines(text)
    assert [d.text for d in drops] == []
    assert remove_spans(text, drops) == text


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "html"], ids=lambda c: c["name"])
def test_html_keeps_listed_blocks(case: dict[str, Any]) -> None:
    lines = extract(case["html"]).text.splitlines()
    missing = [line for line in case["keep"] if line not in lines]
    assert missing == []
