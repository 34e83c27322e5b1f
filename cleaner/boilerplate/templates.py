"""Site templates: lines that recur in many documents of one site are boilerplate there.

A CorpusStage in three pure steps. ``summarize`` reduces a document to its site and the
64-bit hashes of its distinct lines (compact: no text crosses the barrier). ``decide`` counts,
per site, in how many documents each hash occurs and marks a hash as template when it occurs
in at least ``template_min_docs`` documents and in at least ``template_share`` of the site's
documents. ``apply`` drops those lines. Counts do not depend on order, so the result is the
same for any ``--jobs``.

>>> from cleaner.config import BoilerplateConfig
>>> from cleaner.record import Document, Source
>>> stage = Templates(BoilerplateConfig(template_min_docs=2, template_share=0.5))
>>> docs = [Document(id=str(i), text=f"Story number {i} is here.\\nShare this story\\n",
...                  source=Source(f"site/{i}.txt")) for i in range(3)]
>>> decisions = stage.decide([(str(d.source), stage.summarize(d)) for d in docs])
>>> out = stage.apply(docs[0], decisions.get("site/0.txt"))
>>> out.text, out.drops[0].reason.value
('Story number 0 is here.\\n', 'boilerplate.template')
"""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cleaner.boilerplate.text import STAGE, remove_spans, split_lines
from cleaner.config import BoilerplateConfig
from cleaner.record import Document, Drop, Reason, Unit


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    """What one document contributes to the template decision: its site and line hashes."""

    site: str
    hashes: frozenset[int]


def site_of(doc: Document) -> str:
    """The site a document belongs to: metadata host, else the URL's host, else its folder.

    >>> from cleaner.record import Source
    >>> site_of(Document(id="a", text="", metadata={"url": "https://www.example.org/a/b"}))
    'www.example.org'
    >>> site_of(Document(id="a", text="", source=Source("dump/site/page.txt")))
    'dump/site'
    """
    host = doc.metadata.get("host")
    if isinstance(host, str) and host:
        return host.lower()
    url = doc.metadata.get("url")
    if isinstance(url, str) and url:
        netloc = urlsplit(url).hostname
        if netloc:
            return netloc.lower()
    return posixpath.dirname(doc.source.path.replace("\\", "/"))


def line_key(line: str) -> int | None:
    """A 64-bit hash of a line's case-folded words, or None for a blank line.

    >>> line_key("Share  this story!") == line_key("share this story")
    True
    """
    words = " ".join(line.casefold().split())
    core = "".join(ch for ch in words if ch.isalnum() or ch == " ").strip()
    if not core:
        return None
    return int.from_bytes(hashlib.blake2b(core.encode("utf-8"), digest_size=8).digest(), "big")


class Templates:
    """Drop lines repeated across many documents of one site (``boilerplate.template``)."""

    name = "boilerplate"

    def __init__(self, cfg: BoilerplateConfig) -> None:
        self.cfg = cfg

    def setup(self) -> None:
        """Nothing to load: hashes and counts need no tables."""

    def summarize(self, doc: Document) -> TemplateSummary:
        keys = {line_key(line.text) for line in split_lines(doc.text)}
        keys.discard(None)
        return TemplateSummary(site_of(doc), frozenset(k for k in keys if k is not None))

    def decide(self, summaries: Iterable[tuple[str, TemplateSummary]]) -> Mapping[str, frozenset[int]]:
        per_site: dict[str, list[tuple[str, frozenset[int]]]] = defaultdict(list)
        for key, summary in summaries:
            per_site[summary.site].append((key, summary.hashes))
        decisions: dict[str, frozenset[int]] = {}
        for members in per_site.values():
            if len(members) < self.cfg.template_min_docs:
                continue
            counts: Counter[int] = Counter()
            for _, hashes in members:
                counts.update(hashes)
            floor = max(self.cfg.template_min_docs, self.cfg.template_share * len(members))
            template = frozenset(h for h, n in counts.items() if n >= floor)
            if not template:
                continue
            for key, hashes in members:
                mine = hashes & template
                if mine:
                    decisions[key] = mine
        return decisions

    def apply(self, doc: Document, decision: frozenset[int] | None) -> Document:
        if not decision or not self.cfg.templates:
            return doc
        drops = [
            Drop(STAGE, Reason.TEMPLATE, Unit.LINE, doc.text[line.start : line.end], line.start, line.end)
            for line in split_lines(doc.text)
            if line_key(line.text) in decision
        ]
        if not drops:
            return doc
        return dataclasses.replace(doc, text=remove_spans(doc.text, drops), drops=doc.drops + tuple(drops))
