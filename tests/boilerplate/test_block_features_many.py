"""features.block_features_many and context_features_many (the rows of a batch of pages in one set of
array passes) give each page the rows the one-page forms gave it (tests/boilerplate/oracle_block_features.py), value for
value, whatever the batch: pages of one block, pages without elements around their blocks,
repeated items, deep nesting, scripts without spaces."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from oracle_block_features import one_page_block_features, one_page_context_features

from cleaner.boilerplate.features import block_features, block_features_many, context_features, context_features_many
from cleaner.boilerplate.html import analyse
from cleaner.boilerplate.model import HTML_MODEL, packaged

DATA = Path(__file__).parent.parent / "data" / "scrapinghub"
ODD = [
    "<p>One line</p>",
    "Bare text, no element around it.<p>Then a paragraph.</p>",
    "<div>" * 40 + "<p class='deep'>Deep down, a sentence of text.</p>" + "</div>" * 40,
    "<ul>"
    + "".join(f"<li class='item-{i}'><a href='/{i}'>Item number {i}</a> blurb {i}.</li>" for i in range(6))
    + "</ul><p>これは日本語の文章です。とても長い文章が続きます。</p>",
    "<html><body><script>x()</script></body></html>",  # no text: no rows
    "<table><tr><td>1</td><td>2</td></tr></table><footer>© 2024</footer><nav><a href='/'>Home</a></nav>",
]


def _pages() -> list:
    files = sorted(DATA.rglob("*.html.gz"))
    assert files, "the Scrapinghub test pages travel with the tests"
    htmls = [gzip.decompress(f.read_bytes()).decode("utf-8", "replace") for f in files]
    pages = [analyse(html) for html in ODD[:3] + htmls[:2] + ODD[3:] + htmls[2:]]
    return [page for page in pages if page is not None]


def test_a_batch_gives_each_page_the_rows_of_the_one_page_form() -> None:
    model = packaged(HTML_MODEL)
    assert model is not None
    pages = _pages()
    expected = [one_page_block_features(page, model.tokens, {}) for page in pages]
    assert sum(len(rows) == 0 for rows in expected) >= 1 and sum(len(rows) == 1 for rows in expected) >= 1
    batch = block_features_many(pages, model.tokens, {})
    assert batch.dtype == np.float32
    assert np.array_equal(batch, np.concatenate(expected))
    for page, rows in zip(pages, expected, strict=True):
        assert np.array_equal(block_features(page, model.tokens), rows)
    assert np.array_equal(block_features_many(pages[3:6], model.tokens), np.concatenate(expected[3:6]))
    assert block_features_many([], model.tokens).shape == (0, batch.shape[1])


def test_a_batch_gives_each_page_the_context_rows_of_the_one_page_form() -> None:
    pages = [page for page in _pages() if len(page.blocks)]
    rng = np.random.default_rng(5)
    scores = [rng.random(len(page.blocks)) for page in pages]
    scores[1][:] = 0.0  # nothing expected on a page
    expected = [one_page_context_features(page, page_scores) for page, page_scores in zip(pages, scores, strict=True)]
    batch = context_features_many(pages, np.concatenate(scores))
    assert batch.dtype == np.float32
    assert np.array_equal(batch, np.concatenate(expected))
    for page, page_scores, rows in zip(pages, scores, expected, strict=True):
        assert np.array_equal(context_features(page, page_scores), rows)
