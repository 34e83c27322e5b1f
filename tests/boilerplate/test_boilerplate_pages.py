"""Quality floors on four real pages (tests/data/scrapinghub/extraction, MIT), with the
extraction benchmark's metric: 4-token shingles of ``\\w+`` tokens, F1 of overlap.

The floors sit a little under what the stage scores today. They are a gate, not a target:
lowering one needs a reason in the commit message, and the full picture is
``python benchmarks/bench_extraction.py``.

FLOORS gate the rules alone (``learned=False``), as they were before the learned scorers.
LEARNED_FLOORS gate the default path (the scorers trained on WCXB). The plain-text ones are lower
on three of these news pages: WCXB's main content includes what these annotations leave out
(headlines, link lists of a listing page), so the line scorer keeps more here -- the price of
+0.05 F1 on WCXB's seven page types (5-fold cross-validation grouped by site). f6ac15a4d985 (a
500-line municipal menu around a one-paragraph article) was the HTML scorer's worst case (0.48:
the menu read as a listing) until the page kinds and the retrained scorer (0.895, as the rules);
0.866 with the expected-F1 rescue (model.keep_mask: its share line and a date now kept).
e4c6a3b48240 went from 0.95+ to 0.94 with the two-stage scorer: its "More Washington Examiner"
teaser grid makes it a page of items, where the grid's heading and one blurb now just pass their
bars (the Scrapinghub figures rose with it: all 0.967 -> 0.969, held-out half 0.955 -> 0.961).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from cleaner.boilerplate.html import extract, visible_text
from cleaner.boilerplate.text import classify_lines, remove_spans

PAGES = Path(__file__).resolve().parents[1] / "data" / "scrapinghub" / "extraction"
TRUTH = json.loads((PAGES / "ground-truth.json").read_text("utf-8"))

# page id prefix -> (HTML floor, plain-text floor)
FLOORS = {
    "8e3efab59f48": (0.95, 0.90),  # reader comments below the article
    "e4c6a3b48240": (0.95, 0.93),  # "more stories" teaser grid with blurbs
    "f6ac15a4d985": (0.85, 0.70),  # 500-line municipal menu, one-paragraph article
    "0dd135704572": (0.95, 0.90),  # embedded tweets inside the article
}
LEARNED_FLOORS = {
    "8e3efab59f48": (0.95, 0.70),
    "e4c6a3b48240": (0.93, 0.60),  # 0.95 before the two-stage scorer: see above
    "f6ac15a4d985": (0.85, 0.85),
    "0dd135704572": (0.95, 0.95),
}


def _f1(truth: str, predicted: str) -> float:
    def shingles(text: str) -> Counter[tuple[str, ...]]:
        tokens = re.findall(r"\w+", text)
        return Counter(tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3)))

    t, p = shingles(truth), shingles(predicted)
    tp = sum((t & p).values())
    return 2 * tp / (sum(t.values()) + sum(p.values()))


def _page(prefix: str) -> tuple[str, str]:
    (page_id,) = [key for key in TRUTH if key.startswith(prefix)]
    html = gzip.decompress((PAGES / f"{page_id}.html.gz").read_bytes()).decode("utf-8")
    return html, TRUTH[page_id]["articleBody"]


@pytest.mark.parametrize("learned", [False, True])
@pytest.mark.parametrize("prefix", sorted(FLOORS))
def test_html_extraction_floor(prefix: str, learned: bool) -> None:
    html, truth = _page(prefix)
    floor = (LEARNED_FLOORS if learned else FLOORS)[prefix][0]
    assert _f1(truth, extract(html, learned=learned).text) >= floor


@pytest.mark.parametrize("learned", [False, True])
@pytest.mark.parametrize("prefix", sorted(FLOORS))
def test_plain_text_floor(prefix: str, learned: bool) -> None:
    html, truth = _page(prefix)
    text = visible_text(html)
    floor = (LEARNED_FLOORS if learned else FLOORS)[prefix][1]
    assert _f1(truth, remove_spans(text, classify_lines(text, learned=learned))) >= floor


@pytest.mark.parametrize("prefix", sorted(FLOORS))
def test_every_removed_block_is_reported(prefix: str) -> None:
    html, _ = _page(prefix)
    result = extract(html)
    assert result.drops
    assert all(d.reason.value.startswith("boilerplate.") and d.text for d in result.drops)
