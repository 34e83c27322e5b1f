"""Reused passages: split documents into passages, then find each passage inside earlier documents.

A passage is a paragraph (blank lines, or a line break followed by an indent, separate
paragraphs); a paragraph longer than ``MAX_WORDS`` is cut into windows of whole sentences of
about ``WINDOW_WORDS`` words. Passages shorter than ``MIN_WORDS`` are not checked: a handful of
words ("Reuters reported on Monday") recurs everywhere and says nothing about reuse.

A passage is flagged when at least ``passage_threshold`` of its shingles also occur in one
earlier document (containment, not Jaccard: the earlier document is usually much longer, the
copied passage only part of it). Candidates come from an *owner* map, the earliest document
holding each shingle; the few owners that hold most of a passage's shingles are then checked
exactly against their full shingle sets.

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
# Paragraphs up to 120 words are one passage; longer ones become windows of about 60 words,
# so a copied paragraph of a long article is found even when the rest of the article differs.
MAX_WORDS = 120
WINDOW_WORDS = 60
# Owners checked exactly per passage; the true source is nearly always the top owner, the
# others cover shingles an even earlier document happened to share.
MAX_CANDIDATES = 3
NO_OWNER = int(np.iinfo(np.int64).max)

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
    start, end = _strip(text, start, end)
    words = len(_WORD.findall(text, start, end))
    if words < MIN_WORDS:
        return []
    if words <= MAX_WORDS:
        return [(start, end)]
    out: list[tuple[int, int]] = []
    win_start, win_words, pos = start, 0, start
    for brk in [*_SENTENCE_END.finditer(text, start, end), None]:
        sent_end = brk.start() if brk else end
        win_words += len(_WORD.findall(text, pos, sent_end))
        pos = brk.end() if brk else end
        if win_words >= WINDOW_WORDS or brk is None:
            if win_words >= MIN_WORDS:
                out.append(_strip(text, win_start, sent_end))
            win_start, win_words = pos, 0
    return out


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def owners(doc_shingles: list[U64]) -> tuple[U64, I64]:
    """The owner map: every distinct shingle (sorted) and the first document (by rank) holding it.

    >>> h, o = owners([np.array([5, 6], dtype=np.uint64), np.array([6, 7], dtype=np.uint64)])
    >>> h.tolist(), o.tolist()
    ([5, 6, 7], [0, 0, 1])
    """
    if not doc_shingles:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    all_hashes = np.concatenate(doc_shingles)
    doc_of = np.repeat(np.arange(len(doc_shingles)), [len(s) for s in doc_shingles])
    hashes, first = np.unique(all_hashes, return_index=True)
    return hashes, doc_of[first].astype(np.int64)


def lookup_owners(passage: U64, owner_hashes: U64, owner_docs: I64) -> I64:
    """Owner of each distinct shingle of ``passage``, or NO_OWNER where the map has none.

    >>> lookup_owners(np.array([7, 5], dtype=np.uint64), np.array([5, 6], dtype=np.uint64), np.array([0, 3]))
    array([                  0, 9223372036854775807])
    """
    uniq = np.unique(passage)
    if owner_hashes.size == 0:
        return np.full(uniq.size, NO_OWNER, dtype=np.int64)
    at = np.minimum(np.searchsorted(owner_hashes, uniq), owner_hashes.size - 1)
    return np.where(owner_hashes[at] == uniq, owner_docs[at], NO_OWNER).astype(np.int64)


def best_source(
    passage: U64,
    own_rank: int,
    passage_owners: I64,
    shingles_of: Callable[[int], U64],
    threshold: float,
) -> tuple[int, float] | None:
    """The earliest document (rank < own_rank) containing at least ``threshold`` of the passage.

    Earliest, not most similar: when several copies of a source contain the passage, the report
    points at the original, as the keep rule does for whole documents.

    ``passage_owners`` are the ranks of the owners of the passage's distinct shingles (from
    :func:`lookup_owners`; NO_OWNER where none). Ties go to the better rank.

    >>> docs = {0: np.array([1, 2, 3, 4, 5], dtype=np.uint64)}
    >>> p = np.array([2, 3, 4, 9], dtype=np.uint64)
    >>> best_source(p, 1, np.array([0, 0, 0, NO_OWNER]), docs.__getitem__, 0.7)
    (0, 0.75)
    """
    earlier = passage_owners[passage_owners < own_rank]
    # Every shingle that some earlier document holds has an earlier owner, so too few owned
    # shingles rule out every candidate without reading any of them.
    if earlier.size < threshold * passage_owners.size:
        return None
    counts = Counter(earlier.tolist())
    best: tuple[int, float] | None = None
    for rank, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CANDIDATES]:
        score = containment(passage, shingles_of(rank))
        if score >= threshold and (best is None or rank < best[0]):
            best = (rank, score)
    return best
