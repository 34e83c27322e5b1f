"""Site templates: lines that recur in many documents of one site are boilerplate there.

A CorpusStage in three pure steps. ``summarize`` reduces a document to its site and a 64-bit
hash of each of its lines (compact: no text crosses the barrier). ``file_decisions`` counts, per
site, in how many documents each hash occurs and marks a hash as template when it occurs in at
least ``template_min_docs`` documents and in at least ``template_share`` of the site's
documents; a document's decision is where its template lines are (their indices among its
lines). ``apply`` drops those lines, without hashing the text again: the decision is applied to
the text that was summarized (the stage's summary and apply meet nothing between them). Counts
do not depend on order, so the result is the same for any ``--jobs``.

``file_decisions`` counts in tasks (on the runners' workers, or in this process for the library
and ``explain``), so the driver never holds every document's hashes, nor their decisions. Per
shard, the hash counts of each site (pre-aggregated: boilerplate lines repeat) are written by
site partition; per partition, the sites' counts are added up and their template lines chosen;
per shard again, each document's template lines are found and filed for that shard's next
task (``decide_sharded`` reads them back into one mapping, for the library).
tests/boilerplate/test_boilerplate_templates_and_invariants.py checks the decisions against a
one-piece count kept there as a test oracle.

>>> from cleaner.config import BoilerplateConfig
>>> from cleaner.record import Document, Source
>>> from cleaner.stage import decide_in_process
>>> stage = Templates(BoilerplateConfig(template_min_docs=2, template_share=0.5))
>>> docs = [Document(id=str(i), text=f"Story number {i} is here.\\nShare this story\\n",
...                  source=Source(f"site/{i}.txt")) for i in range(3)]
>>> decisions = decide_in_process(stage, [[(str(d.source), stage.summarize(d)) for d in docs]])
>>> out = stage.apply(docs[0], decisions.get("site/0.txt"))
>>> out.text, out.drops[0].reason.value
('Story number 0 is here.\\n', 'boilerplate.template')
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import pickle
import posixpath
import re
import shutil
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from cleaner.atomic import atomic_file
from cleaner.boilerplate.text import STAGE, remove_spans
from cleaner.config import BoilerplateConfig
from cleaner.record import Document, Drop, Reason, Unit
from cleaner.stage import TaskMap, gather_decisions, write_decisions


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    """What one document contributes to the template decision: its site and its lines' hashes
    (line_keys of its text: one per line, in order, None for a blank line).

    >>> TemplateSummary("example.org", (7, None, 5, 7)).hashes == {5, 7}
    True
    """

    site: str
    keys: tuple[int | None, ...]

    @property
    def hashes(self) -> frozenset[int]:
        """The hashes of its distinct non-blank lines (what the site's counts add up)."""
        return cast(frozenset[int], frozenset(self.keys) - _BLANK)


_BLANK = frozenset([None])  # a blank line's key


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


# What a line key keeps of a line's case-folded words: letters, digits and the single spaces
# between words. Everything else goes: ASCII lines (most of them) through one bytes.translate,
# others through a regex. ``[^\w ]|_`` matches exactly the characters that are neither
# ``str.isalnum`` nor a space (checked over every code point in the templates tests), so the keys
# are those of the per-character filter this replaced.
_ASCII_NOT_KEPT = bytes(b for b in range(128) if not (chr(b).isalnum() or b == 0x20))
_NOT_KEPT = re.compile(r"[^\w ]|_")


def line_key(line: str) -> int | None:
    """A 64-bit hash of a line's case-folded words, or None for a blank line.

    >>> line_key("Share  this story!") == line_key("share this story")
    True
    """
    words = " ".join(line.casefold().split())
    if words.isascii():
        core = words.encode("ascii").translate(None, _ASCII_NOT_KEPT).strip(b" ")
    else:
        core = _NOT_KEPT.sub("", words).strip().encode("utf-8")
    if not core:
        return None
    return int.from_bytes(hashlib.blake2b(core, digest_size=8).digest(), "big")


# line_keys on a whole ASCII text: what it keeps of the text (the line breaks too), and the
# characters that make it fall back to a key per line: the line breaks other than "\n", and
# the white space that str.split() splits at but bytes.split() does not.
_ASCII_NOT_KEPT_IN_TEXT = _ASCII_NOT_KEPT.replace(b"\n", b"")
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x1f"


def line_keys(text: str) -> list[int | None]:
    """``[line_key(line) for line in text.splitlines()]``, for a whole text at once.

    An ASCII text (most of them) is lower-cased, its runs of spaces and tabs made one space and
    the characters a key leaves out deleted, each with C string methods over the whole text;
    then each line is stripped and hashed. A space run made one space before the deletions is
    what line_key's split and join do, and the spaces left at either end go in its last strip,
    so the keys are the same (tests/boilerplate/test_template_line_keys.py checks them against
    line_key). Regexes over the whole text cost more than the per-line form: they step through
    every character in Python's regex engine.

    >>> keys = line_keys("Share  this story!\\n\\n -- \\nshare this story")
    >>> keys == [line_key("share this story"), None, None, line_key("share this story")]
    True
    """
    if not text.isascii() or any(map(text.__contains__, _OTHER_BREAKS)):
        return [line_key(line) for line in text.splitlines()]
    spaced = text.lower().encode("ascii")
    if b"\t" in spaced:
        spaced = spaced.replace(b"\t", b" ")
    while b"  " in spaced:  # each pass halves the runs of spaces
        spaced = spaced.replace(b"  ", b" ")
    cores = spaced.translate(None, _ASCII_NOT_KEPT_IN_TEXT).split(b"\n")
    if not text or text.endswith("\n"):
        cores.pop()  # splitlines gives no line after the last line break
    hashes: dict[bytes, int | None] = {b"": None}
    keys: list[int | None] = []
    for core in cores:
        core = core.strip(b" ")
        key = hashes.get(core, 0)
        if key == 0:
            key = hashes[core] = int.from_bytes(hashlib.blake2b(core, digest_size=8).digest(), "big")
        keys.append(key)
    return keys


# Documents whose sites one counting task merges: the merged counters hold one entry per
# (site, distinct line), ~100 bytes each as Python objects.
DOCS_PER_PARTITION = 100_000


def site_partition(site: str, partitions: int) -> int:
    """The partition a site's counts go to (crc32: the same in every process, unlike hash()).

    >>> [site_partition(site, 7) for site in ("www.example.org", "news.example.com")]
    [3, 4]
    """
    return zlib.crc32(site.encode("utf-8")) % partitions


def shard_site_counts(
    summaries: Iterable[tuple[str, TemplateSummary]], shard: int, folder: Path, partitions: int
) -> None:
    """Per site of the shard: its number of documents and how many of them hold each line hash,
    written in one file per site partition."""
    counts: dict[str, tuple[int, Counter[int]]] = {}
    for _, summary in summaries:
        n, counter = counts.get(summary.site, (0, Counter()))
        counter.update(summary.hashes)
        counts[summary.site] = (n + 1, counter)
    parts: list[dict[str, tuple[int, Counter[int]]]] = [{} for _ in range(partitions)]
    for site, value in counts.items():
        parts[site_partition(site, partitions)][site] = value
    for part, content in enumerate(parts):
        with atomic_file(folder / f"counts.s{shard}.p{part}.pkl") as fh:
            pickle.dump(content, fh, protocol=pickle.HIGHEST_PROTOCOL)


def partition_templates(folder: Path, shards: Sequence[int], part: int, min_docs: int, share: float) -> None:
    """The template lines of every site of one partition, from all shards' counts."""
    totals: dict[str, tuple[int, Counter[int]]] = {}
    for shard in shards:
        with open(folder / f"counts.s{shard}.p{part}.pkl", "rb") as fh:
            content: dict[str, tuple[int, Counter[int]]] = pickle.load(fh)
        for site, (n, counter) in content.items():
            if site in totals:
                total_n, total = totals[site]
                total.update(counter)
                totals[site] = (total_n + n, total)
            else:
                totals[site] = (n, counter)
    templates: dict[str, frozenset[int]] = {}
    for site, (n, counter) in totals.items():
        if n < min_docs:
            continue
        floor = max(min_docs, share * n)
        template = frozenset(h for h, c in counter.items() if c >= floor)
        if template:
            templates[site] = template
    with atomic_file(folder / f"templates.p{part}.pkl") as fh:
        pickle.dump(templates, fh, protocol=pickle.HIGHEST_PROTOCOL)


def shard_template_lines(
    summaries: Iterable[tuple[str, TemplateSummary]], folder: Path, partitions: int, filed: Path
) -> bool:
    """Each document's template lines (documents with none are left out), filed for the shard
    at ``filed`` (:func:`~cleaner.stage.write_decisions`); returns whether it had any."""
    tables: dict[int, dict[str, frozenset[int]]] = {}
    decisions: dict[str, tuple[int, ...]] = {}
    for key, summary in summaries:
        part = site_partition(summary.site, partitions)
        if part not in tables:
            with open(folder / f"templates.p{part}.pkl", "rb") as fh:
                tables[part] = pickle.load(fh)
        template = tables[part].get(summary.site)
        if template:
            mine = template_lines(summary.keys, template)
            if mine:
                decisions[key] = mine
    return write_decisions(filed, decisions)


def template_lines(keys: Sequence[int | None], template: frozenset[int]) -> tuple[int, ...]:
    """The indices of the lines whose hash (``keys``, line_keys of a text) is one of ``template``.

    >>> template_lines((7, None, 5, 7), frozenset({7}))
    (0, 3)
    """
    return tuple(i for i, key in enumerate(keys) if key in template)


class Templates:
    """Drop lines repeated across many documents of one site (``boilerplate.template``)."""

    name = "templates"

    def __init__(self, cfg: BoilerplateConfig) -> None:
        self.cfg = cfg

    def setup(self) -> None:
        """Nothing to load: hashes and counts need no tables."""

    def summarize(self, doc: Document) -> TemplateSummary:
        return TemplateSummary(site_of(doc), tuple(line_keys(doc.text)))

    def file_decisions(
        self,
        shards: Sequence[Sequence[tuple[str, TemplateSummary]]],
        run: TaskMap,
        folder: Path,
        filed: Sequence[Path],
    ) -> list[bool]:
        """Each document's template lines, counted in tasks that ``run`` places on the workers
        (see the module docstring) and filed per shard by the last of them at ``filed[i]``;
        returns which shards got a file. ``folder`` must be visible to every worker and is
        removed at the end."""
        folder = Path(os.path.abspath(folder))
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            present = [s for s, summaries in enumerate(shards) if len(summaries)]
            partitions = max(1, math.ceil(sum(len(s) for s in shards) / DOCS_PER_PARTITION))
            list(run(shard_site_counts, [(shards[s], s, folder, partitions) for s in present]))
            min_docs, share = self.cfg.template_min_docs, self.cfg.template_share
            list(run(partition_templates, [(folder, present, p, min_docs, share) for p in range(partitions)]))
            wrote = [False] * len(shards)
            lines = run(shard_template_lines, [(shards[s], folder, partitions, filed[s]) for s in present])
            for s, filed_one in zip(present, lines, strict=True):
                wrote[s] = filed_one
            return wrote
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def decide_sharded(
        self,
        shards: Sequence[Sequence[tuple[str, TemplateSummary]]],
        run: TaskMap,
        folder: Path,
    ) -> Mapping[str, tuple[int, ...]]:
        """Each document's template lines (their indices among its lines), by key:
        :meth:`file_decisions` read back into one mapping (:func:`~cleaner.stage.gather_decisions`)."""
        return gather_decisions(self, shards, run, folder)

    def apply(self, doc: Document, decision: Sequence[int] | None) -> Document:
        """Drop the lines at the indices ``decision`` names (increasing; template_lines of the
        summary of this document's text)."""
        if not decision or not self.cfg.templates:
            return doc
        text = doc.text
        # The lines with their terminators (as split_lines gives them), and their spans from their lengths.
        lines = text.splitlines(keepends=True)
        if decision[-1] >= len(lines):
            raise ValueError(
                f"a template decision names line {decision[-1]} of a text of {len(lines)} lines: it was "
                "taken for another text; apply a decision to the text that was summarized"
            )
        starts = [0, *itertools.accumulate(map(len, lines))]
        drops = tuple(Drop(STAGE, Reason.TEMPLATE, Unit.LINE, lines[i], starts[i], starts[i + 1]) for i in decision)
        return doc.replace(text=remove_spans(text, list(drops)), drops=doc.drops + drops)
