"""html.extract_many (the stage's batches: each model walks all the pages' blocks at once) gives each
page what html.extract gives it alone, whatever the batch: pages without text, pages the
rules alone judge, Markdown, captions kept."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from cleaner.boilerplate.html import extract, extract_many
from cleaner.boilerplate.model import HTML_MODEL, packaged

DATA = Path(__file__).parent.parent / "data" / "scrapinghub"
ODD = [
    "",  # no body at all
    "<html><body><script>x()</script></body></html>",  # no text
    "<p>One line</p>",  # one block
    "<div><figure><img src='a.png'><figcaption>A caption of the photo.</figcaption></figure>"
    "<p>A paragraph of the story, long enough to be kept as the article text here.</p></div>",
]


def _pages() -> list[str]:
    files = sorted(DATA.rglob("*.html.gz"))
    assert files, "the Scrapinghub test pages travel with the tests"
    pages = [gzip.decompress(f.read_bytes()).decode("utf-8", "replace") for f in files]
    return ODD[:2] + pages[:3] + ODD[2:] + pages[3:8]


@pytest.mark.parametrize(
    "options",
    [{}, {"as_markdown": True}, {"captions": True}, {"learned": False}, {"model": packaged(HTML_MODEL)}],
    ids=["default", "markdown", "captions", "rules", "one-stage"],
)
def test_a_batch_gives_each_page_its_own_extraction(options: dict) -> None:
    pages = _pages()
    alone = [extract(html, **options) for html in pages]
    batch = extract_many([(html, html.encode("utf-8", "surrogatepass")) for html in pages], **options)
    assert batch == alone
    assert extract_many(list(zip(pages[3:5], [None, None], strict=True)), **options) == alone[3:5]
    assert extract_many([], **options) == []
