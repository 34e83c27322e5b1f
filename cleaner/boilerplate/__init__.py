"""The boilerplate stage: HTML article extraction, plain-text line classification, site templates.

Three pieces the pipeline composes:

- ``HtmlExtract`` (runs first): HTML documents -> the article as plain text, a Drop per block;
- ``TextLines`` (after normalize): plain-text documents -> boilerplate lines dropped, with spans;
- ``Templates`` (a CorpusStage): lines repeated across many documents of one site.

Every removal is a Drop with a ``boilerplate.*`` reason and the removed text.

>>> from cleaner.config import BoilerplateConfig
>>> from cleaner.record import Document, Drop
>>> text = "A long enough line of article text, written as a sentence.\\nLeave a Reply\\n"
>>> doc = Document(id="a", text=text)
>>> out = next(TextLines(BoilerplateConfig())([doc]))
>>> out.text, [d.reason.value for d in out.drops]
('A long enough line of article text, written as a sentence.\\n', ['boilerplate.comments'])
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from cleaner.boilerplate.rules import ClassCues, LineCues
from cleaner.boilerplate.templates import Templates, site_of
from cleaner.boilerplate.text import classify_lines, classify_many, remove_spans
from cleaner.config import BoilerplateConfig
from cleaner.record import Document, Drop
from cleaner.stage import RECORDS_UNREAD

if TYPE_CHECKING:
    from cleaner.boilerplate.html import extract, visible_text

# Documents TextLines classifies together (text.classify_many): ~20 scored lines each.
LINES_BATCH = 128
# HTML pages HtmlExtract extracts together (html.extract_many): ~100 blocks each.
HTML_BATCH = 16

__all__ = ["HtmlExtract", "Templates", "TextLines", "classify_lines", "extract", "site_of", "visible_text"]


def __getattr__(name: str) -> Any:
    # The HTML extractor (selectolax, the block features: ~15 ms) is imported when first used,
    # so a run of plain text never loads it.
    if name in ("extract", "visible_text"):
        from cleaner.boilerplate import html

        return getattr(html, name)
    raise AttributeError(f"module 'cleaner.boilerplate' has no attribute {name!r}")


class HtmlExtract:
    """Stage: extract the article of HTML documents into ``text`` (one block per line).

    With ``cfg.html`` off, the text is all visible text instead, and nothing is dropped.
    Text documents pass through unchanged.
    """

    name = "html"  # the step that turns HTML into text: HtmlToText when extraction is off
    unread = RECORDS_UNREAD  # the earlier stages' drops, edits and signals (see cleaner.stage)

    def __init__(self, cfg: BoilerplateConfig) -> None:
        self.cfg = cfg
        self._cues = ClassCues()  # a pure memo of class-name verdicts, one per worker
        self._lines = LineCues()  # and one of short lines' verdicts

    def setup(self) -> None:
        """Nothing to load ahead: the block scorer is read from package data on first use (milliseconds)."""

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        stream = iter(docs)
        # HTML_BATCH documents at a time: the block scorer walks all their pages' blocks at once.
        while chunk := list(itertools.islice(stream, HTML_BATCH)):
            pages = [(doc.html, doc.html_utf8) for doc in chunk if doc.kind == "html" and doc.html is not None]
            if not pages:
                yield from chunk
                continue
            from cleaner.boilerplate.html import extract_many, visible_text  # at the first page: see __getattr__

            found: Iterator[tuple[str, tuple[Drop, ...]]]
            if not self.cfg.html:
                found = iter([(visible_text(html, utf8), ()) for html, utf8 in pages])
            else:
                results = extract_many(
                    pages, self._cues, captions=self.cfg.captions, as_markdown=self.cfg.markdown, lines=self._lines
                )
                found = iter([(result.text, result.drops) for result in results])
            for doc in chunk:
                if doc.kind != "html" or doc.html is None:
                    yield doc
                    continue
                text, drops = next(found)
                # The markup's bytes were for the parser: they go, so spills and later stages never carry them.
                yield doc.replace(text=text, drops=doc.drops + drops, html_utf8=None)


class TextLines:
    """Stage: drop boilerplate lines of plain-text documents, each a Drop with its span.

    HTML documents are left alone: their blocks were already judged, with more evidence
    (markup, links), by HtmlExtract.
    """

    name = "lines"
    unread = RECORDS_UNREAD  # the earlier stages' drops, edits and signals (see cleaner.stage)

    def __init__(self, cfg: BoilerplateConfig) -> None:
        self.cfg = cfg
        self._cues = LineCues()  # a pure memo of short lines' cue verdicts, one per worker

    def setup(self) -> None:
        """Nothing to load: the rule table is compiled at import."""

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        stream = iter(docs)
        # LINES_BATCH documents at a time: the line scorer reads all their pages in one pass.
        while chunk := list(itertools.islice(stream, LINES_BATCH)):
            todo = [doc.text for doc in chunk if doc.kind == "text" and self.cfg.text]
            found = iter(classify_many(todo, cues=self._cues))
            for doc in chunk:
                if doc.kind != "text" or not self.cfg.text:
                    yield doc
                    continue
                drops = next(found)
                if not drops:
                    yield doc
                    continue
                yield doc.replace(text=remove_spans(doc.text, drops), drops=doc.drops + tuple(drops))
