"""Reused passages: split documents into passages, then find each passage inside earlier documents.

A passage is a paragraph (blank lines, or a line break followed by an indent, separate
paragraphs); a paragraph longer than ``WINDOW_WORDS`` is cut into windows of whole sentences of
about ``WINDOW_WORDS`` words, so a copied run of sentences inside a long paragraph of the
writer's own text is not diluted below the threshold. Passages shorter than ``MIN_WORDS`` are
not checked: a handful of words ("Reuters reported on Monday") recurs everywhere and says
nothing about reuse.

A passage is flagged when at least ``passage_threshold`` of its shingles also occur in one
earlier document (containment, not Jaccard: the earlier document is usually much longer, the
copied passage only part of it). Candidates come from an *owner* map, the earliest document
holding each shingle; the few owners that hold most of a passage's
shingles are then checked exactly against their full shingle sets. A passage's shingles are
those of its document whose words all lie inside it (no second hashing pass).

Re-check the word limits below with ``python benchmarks/bench_dedup.py`` (Clough-Stevenson
rows: cut-and-paste answers flagged, independent answers not; ``--clough-only`` prints just
those in seconds) before changing them.

>>> text = "One two three four five six seven eight.\\n\\n    Too short.\\n\\nA B C D E F G H I J"
>>> [text[s:e] for s, e in split_passages(text)]
['One two three four five six seven eight.', 'A B C D E F G H I J']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from cleaner.dedup.cluster import containment

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

# 8 words = 4 word 5-grams: the least that can show reuse rather than a stock phrase.
MIN_WORDS = 8
# Paragraphs up to 40 words are one passage; longer ones become windows of whole sentences,
# each closed once it holds 40 words. Why short: one sentence of the writer's own in a window
# of copied ones dilutes the window by its share of the words, so a copied run inside a long
# paragraph is found only when windows are a few sentences long; and how an author breaks lines
# must not set the passage size. Why 40: the size passages already have on news text (Reuters
# bench paragraphs: 90th percentile 43 words), about two sentences (median 16 words). With
# paragraphs up to 120 words whole (windows of 60), short answers written as one paragraph,
# half copied, contained 0.5-0.8 in their source and were missed. Check a change with
# ``python benchmarks/bench_dedup.py``: Clough-Stevenson rows (cut answers flagged with their
# source, independent ones not) and the passages time on Reuters. The Clough rows turn on where
# windows happen to start (windows of 20-40 words flag 17 of 19 cut answers, 50 or 60 words 15):
# read them as a check of the mechanism, not a score to tune to.
WINDOW_WORDS = 40
# Owners checked exactly per passage; the true source is nearly always the top owner, the
# others cover shingles an even earlier document happened to share.
MAX_CANDIDATES = 3
NO_OWNER = int(np.iinfo(np.int64).max)
# The owner prefilter counts shingles with repeats, the exact check distinct ones: the slack
# keeps a passage with a few repeated shingles from being skipped before the exact check.
PREFILTER_SLACK = 0.9
# A persistent index keeps the owners of one shingle in 4 (by hash): a quarter of the rows and
# lookups. A passage of 20 shingles then has about 5 sampled ones, so the prefilter against the
# index asks only half the threshold of them (binomial noise), and the exact check decides.
OWNER_SAMPLE = 4
INDEX_PREFILTER_SLACK = 0.5

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*|\n(?=[ \t]+\S)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+")


def split_passages(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the passages of ``text``, in order, never overlapping.

    >>> text = "Short.\\n\\n" + " ".join(["word"] * 10) + "."
    >>> [text[s:e][:9] for s, e in split_passages(text)]
    ['word word']
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for brk in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        spans.extend(_windows(text, pos, end))
        pos = brk.end() if brk else len(text)
    return spans


def _windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The passages of the paragraph ``text[start:end]``: runs of whole sentences, each closed
    once it holds WINDOW_WORDS words; a last run under MIN_WORDS joins the run before it (it
    could not be checked on its own).

    >>> text = "Seven words in this one sentence here. " * 7 + "Short tail."
    >>> [len(text[s:e].split()) for s, e in _windows(text, 0, len(text))]
    [42, 9]
    >>> text = "Seven words in this one sentence here. " * 6 + "Short tail."
    >>> [len(text[s:e].split()) for s, e in _windows(text, 0, len(text))]
    [44]
    """
    start, end = _strip(text, start, end)
    words = _count_words(text, start, end)
    if words < MIN_WORDS:
        return []
    if words <= WINDOW_WORDS:  # what the loop below would return, without its sentence search
        return [(start, end)]
    out: list[tuple[int, int]] = []
    win_start, win_words, pos = start, 0, start
    for brk in [*_SENTENCE_END.finditer(text, start, end), None]:
        sent_end = brk.start() if brk else end
        win_words += _count_words(text, pos, sent_end)
        pos = brk.end() if brk else end
        if win_words >= WINDOW_WORDS or brk is None:
            if win_words >= MIN_WORDS or not out:
                out.append(_strip(text, win_start, sent_end))
            else:
                out[-1] = (out[-1][0], _strip(text, win_start, sent_end)[1])
            win_start, win_words = pos, 0
    return out


def _count_words(text: str, start: int, end: int) -> int:
    """Whitespace-separated words: a cheap stand-in for word count, good enough for sizing."""
    return len(text[start:end].split())


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    stripped = piece.lstrip()
    start += len(piece) - len(stripped)
    return start, start + len(stripped.rstrip())


def sampled(hashes: U64) -> npt.NDArray[np.bool_]:
    """The shingles whose owners a persistent index keeps: one in OWNER_SAMPLE, chosen by hash,
    so every document keeps the same ones.

    >>> sampled(np.array([8, 9, 12], dtype=np.uint64)).tolist()
    [True, False, True]
    """
    return (hashes % np.uint64(OWNER_SAMPLE)) == 0


def best_source(
    passage: U64,
    own_rank: int,
    passage_owners: I64,
    shingles_of: Callable[[int], U64],
    threshold: float,
) -> tuple[int, float] | None:
    """The earliest document (rank < own_rank) containing at least ``threshold`` of the passage.

    Earliest, not most similar: when several copies of a source contain the passage, the report
    points at the original, as the keep rule does for whole documents. ``passage_owners`` are
    the owner ranks of the passage's shingles (repeats included; negative ranks are indexed
    documents, known for sampled shingles only); ``shingles_of(rank)`` gives a document's
    sorted distinct shingles. The owners holding most shingles, up to MAX_CANDIDATES from the
    run and as many from the index, are checked exactly.

    >>> docs = {0: np.array([1, 2, 3, 4, 5], dtype=np.uint64)}
    >>> p = np.array([2, 3, 4, 9], dtype=np.uint64)
    >>> best_source(p, 1, np.array([0, 0, 0, NO_OWNER]), docs.__getitem__, 0.7)
    (0, 0.75)
    """
    earlier = passage_owners[passage_owners < own_rank]
    counts = sorted(Counter(earlier.tolist()).items(), key=lambda kv: (-kv[1], kv[0]))
    candidates = [r for r, _ in counts if r < 0][:MAX_CANDIDATES] + [r for r, _ in counts if r >= 0][:MAX_CANDIDATES]
    best: tuple[int, float] | None = None
    for rank in candidates:
        score = containment(passage, shingles_of(rank))
        if score >= threshold and (best is None or rank < best[0]):
            best = (rank, score)
    return best


class SourceDocs:
    """Where a passage may come from, by rank: the run's documents (rank >= 0) and, at negative
    ranks (rowid - ``offset``), a persistent index's, each read from the index once.

    >>> docs = SourceDocs(lambda r: np.array([r], dtype=np.uint64), lambda r: f"d{r}",
    ...                   lambda rowid: (f"old{rowid}", "c", np.array([9], dtype=np.uint64)), offset=5)
    >>> docs.shingles(2).tolist(), docs.id(2), docs.shingles(-2).tolist(), docs.id(-2)
    ([2], 'd2', [9], 'old3')
    """

    def __init__(
        self,
        run_shingles: Callable[[int], U64],
        run_id: Callable[[int], str],
        index_doc: Callable[[int], tuple[str, str, U64]] | None,
        offset: int,
    ) -> None:
        self.run_shingles, self.run_id, self.index_doc, self.offset = run_shingles, run_id, index_doc, offset
        self.cache: dict[int, tuple[str, str, U64]] = {}

    def _indexed(self, rank: int) -> tuple[str, str, U64]:
        rowid = rank + self.offset
        if rowid not in self.cache:
            if self.index_doc is None:
                raise ValueError(f"rank {rank} is an indexed document, but there is no index")
            self.cache[rowid] = self.index_doc(rowid)
        return self.cache[rowid]

    def shingles(self, rank: int) -> U64:
        return self._indexed(rank)[2] if rank < 0 else self.run_shingles(rank)

    def id(self, rank: int) -> str:
        return self._indexed(rank)[0] if rank < 0 else self.run_id(rank)
