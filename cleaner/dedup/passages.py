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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from cleaner.cache import code_point_runs
from cleaner.dedup._kernels import compiled
from cleaner.dedup.cluster import containment_distinct, distinct_sorted
from cleaner.dedup.shingles import code_points

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

U64: TypeAlias = "npt.NDArray[np.uint64]"
I64: TypeAlias = "npt.NDArray[np.int64]"
F64: TypeAlias = "npt.NDArray[np.float64]"

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
    for brk in _PARAGRAPH_BREAK.finditer(text):
        _windows(text, pos, brk.start(), spans)
        pos = brk.end()
    _windows(text, pos, len(text), spans)
    return spans


def split_passages_batch(texts: Sequence[str]) -> tuple[I64, I64]:
    """The passages of many texts at once: ``(text, spans)`` where ``spans`` (one row per
    passage: start, end) are what :func:`split_passages` gives for text ``text[k]`` (row k), in
    text order, from array passes over the whole batch (no Python work per paragraph).

    >>> text, spans = split_passages_batch(["", "one two three four five six seven eight", "x"])
    >>> text.tolist(), spans.tolist()
    ([1], [[0, 39]])
    """
    # Texts of about CHUNK_CHARS at a time: the arrays below take about 14 bytes per character.
    text_parts, span_parts = [np.zeros(0, dtype=np.int64)], [np.zeros((0, 2), dtype=np.int64)]
    whole = sum(map(len, texts)) + len(texts) <= CHUNK_CHARS  # one chunk (a runner's batch): no walk
    start = 0
    while start < len(texts):
        end, size = start + 1, len(texts[start])
        if whole:  # over its texts, a Python step each (0.02 CPU-s of the Reuters bench)
            end = len(texts)
        while end < len(texts) and size + len(texts[end]) <= CHUNK_CHARS:
            size += len(texts[end]) + 1
            end += 1
        text_of, spans = _split_chunk(texts[start:end])
        text_parts.append(text_of + start)
        span_parts.append(spans)
        start = end
    return np.concatenate(text_parts), np.concatenate(span_parts)


CHUNK_CHARS = 1 << 20


def _split_chunk(texts: Sequence[str]) -> tuple[I64, I64]:
    # "\0" keeps the texts apart: no paragraph break runs across it (one can end at it where a
    # text ends with a line break and spaces, which only cuts off an empty paragraph).
    joined = "\0".join(texts)
    cps = code_points(joined)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    text_starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=text_starts[1:])
    kernels = compiled()  # built ahead of time, or numba running in this process anyway: the same spans
    if kernels is not None:
        text_of, spans = kernels.split_spans(cps, _space_table(), text_starts, lengths)
        return text_of, spans
    text_ends = text_starts + lengths
    # Words as str.split() sees them: runs of non-whitespace; word k starts at starts[k] and
    # ends at ends[k]. Whitespace padded at both ends, so the runs' edges alternate start, end:
    # one pass finds both.
    # An ASCII chunk's mask by bytes.translate: 74 against 169 us for np.take (which widens the
    # code points to 64-bit indices first) a batch of the Reuters bench; with the closers below,
    # the bench's split took 118 -> 102 ms (alternated, in process).
    space = np.ones(cps.size + 2, dtype=np.bool_)
    if cps.dtype == np.uint8:
        space[1:-1] = np.frombuffer(cps.tobytes().translate(_ASCII_SPACE), dtype=np.bool_)
    else:
        np.take(_space_table(), cps, out=space[1:-1])  # faster than indexing with the array
    space[text_ends[:-1] + 1] = True  # the separators
    edges = np.flatnonzero(space[1:] != space[:-1])
    starts, ends = edges[0::2], edges[1::2]
    breaks = _break_spans_at(cps, starts, text_ends[:-1])
    # Paragraphs: from a text's start or a break's end to the next break's start or the text's
    # end. Every paragraph starts after whitespace and ends at whitespace or its text's end, so
    # the words starting inside it are the words of its text (str.split of it).
    para_starts = np.sort(np.concatenate([text_starts, breaks[:, 1]]))
    para_ends = np.sort(np.concatenate([breaks[:, 0], text_ends]))
    first, last = np.searchsorted(starts, para_starts), np.searchsorted(starts, para_ends)  # words before each
    checked = np.flatnonzero(last - first >= MIN_WORDS)
    if not checked.size:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.int64)
    word_first, word_last = first[checked], last[checked] - 1  # of each checked paragraph
    # Sentence windows, all paragraphs at once: a window closes at the first sentence end
    # (a word ending in . ! or ?) at least WINDOW_WORDS - 1 words past its first word, or at the
    # paragraph's last word; a paragraph of up to WINDOW_WORDS words is one window.
    last_chars = cps[ends - 1]
    # Three comparisons: a lookup in a table of the ASCII code points took 2.7x as long (numpy
    # widens the indices to 64 bits first): 121 against 44 us a batch of the Reuters bench.
    is_closer = (last_chars == ord(".")) | (last_chars == ord("!")) | (last_chars == ord("?"))
    is_closer[word_last] = True
    closers = np.flatnonzero(is_closer)
    para, win_first, win_last = [], [], []
    at = word_first.copy()
    active = np.arange(checked.size)
    while active.size:
        close = closers[np.minimum(np.searchsorted(closers, at[active] + (WINDOW_WORDS - 1)), closers.size - 1)]
        close = np.minimum(close, word_last[active])
        para.append(active)
        win_first.append(at[active])
        win_last.append(close)
        at[active] = close + 1
        active = active[at[active] <= word_last[active]]
    w_para, w_first, w_last = np.concatenate(para), np.concatenate(win_first), np.concatenate(win_last)
    order = np.argsort(w_first)  # word numbers are distinct: text order
    w_para, w_first, w_last = w_para[order], w_first[order], w_last[order]
    # A paragraph's last window under MIN_WORDS joins the window before it.
    tail = (w_last - w_first + 1 < MIN_WORDS) & (w_first > word_first[w_para])
    joins = np.flatnonzero(tail)
    w_last[joins - 1] = w_last[joins]
    keep = ~tail
    span_starts, span_ends = starts[w_first[keep]], ends[w_last[keep]]
    text_of = np.searchsorted(text_starts, span_starts, side="right") - 1
    base = text_starts[text_of]
    return text_of.astype(np.int64), np.stack([span_starts - base, span_ends - base], axis=1)


def _break_spans(text: str) -> I64:
    """The (start, end) of each paragraph break in ``text``, as ``_PARAGRAPH_BREAK.finditer``
    finds them (:func:`_break_spans_at` on the text's code points).

    >>> _break_spans("a\\n\\nb\\n  c").tolist()
    [[1, 3], [4, 5]]
    """
    cps = code_points(text)
    space = np.ones(cps.size + 2, dtype=np.bool_)
    np.take(_space_table(), cps, out=space[1:-1])
    return _break_spans_at(cps, np.flatnonzero(space[1:] != space[:-1])[0::2], np.zeros(0, dtype=np.int64))


def _break_spans_at(cps: npt.NDArray[np.uint8] | npt.NDArray[np.uint32], starts: I64, stops: I64) -> I64:
    """The (start, end) of each paragraph break in the code points ``cps``, as
    ``_PARAGRAPH_BREAK.finditer`` finds them in their text, from array passes over its line
    breaks rather than the pattern's search (a third of the batch split's time on news text).
    ``starts``: where the runs of characters that are not whitespace start (sorted);
    ``stops``: characters the runs count as whitespace though they are not (the texts'
    separators), so a break's whitespace ends there too.

    A break is a line break followed by spaces or tabs and another line break, with all the
    whitespace after that (``\\n[ \\t]*\\n\\s*``), or a lone line break followed by an indent and
    then something not whitespace (``\\n(?=[ \\t]+\\S)``); a line break inside the whitespace a
    break took is not another one.
    """
    n = cps.size
    lines = np.flatnonzero(cps == 10)
    after = lines + 1  # then the first character after each line break that is no space or tab
    todo = np.arange(lines.size)
    while todo.size:
        todo = todo[after[todo] < n]
        c = cps[after[todo]]
        todo = todo[(c == 32) | (c == 9)]
        after[todo] += 1
    within = after < n
    following = np.full(lines.size, -1, dtype=np.int64)
    following[within] = cps[after[within]]
    double = following == 10
    indent = ~double & within & (after > lines + 1)
    indent[indent] = ~_space_table()[following[indent]]
    ends = lines + 1  # an indent's break is the line break alone
    if double.any():  # the whitespace after the second line break runs to a word or a stop
        first = after[double] + 1
        ends[double] = np.minimum(_next_at(starts, first, n), _next_at(stops, first, n))
    matched = double | indent
    reach = np.where(matched, ends, 0)
    taken = np.zeros(lines.size, dtype=np.int64)  # how far the breaks before each line break reach
    if lines.size > 1:
        taken[1:] = np.maximum.accumulate(reach[:-1])
    keep = matched & (lines >= taken)
    return np.stack([lines[keep], ends[keep]], axis=1)


def _next_at(positions: I64, first: I64, default: int) -> I64:
    """For each of ``first``, the first of the sorted ``positions`` at or after it (``default``
    where there is none).

    >>> _next_at(np.array([2, 5]), np.array([0, 3, 6]), 9).tolist()
    [2, 5, 9]
    """
    at = np.searchsorted(positions, first)
    out = np.full(first.size, default, dtype=np.int64)
    found = at < positions.size
    out[found] = positions[at[found]]
    return out


_SPACE: npt.NDArray[np.bool_] | None = None
# str.isspace of each ASCII character, as a bytes.translate table (1 for whitespace).
_ASCII_SPACE = bytes(chr(c).isspace() for c in range(256))


def _space_table() -> npt.NDArray[np.bool_]:
    """True for the code points str.isspace() calls whitespace (str.split, str.strip and the
    regular expressions' \\s agree), built on first use from their runs, kept in cleaner's cache;
    all of them are in the Basic Multilingual Plane."""
    global _SPACE
    if _SPACE is None:
        _SPACE = np.zeros(0x110000, dtype=np.bool_)
        for start, stop in code_point_runs("space", _is_space):
            _SPACE[start:stop] = True
    return _SPACE


def _is_space(char: str) -> bool:
    """Whitespace as str.split sees it (_space_table reads it over the plane once per machine)."""
    return char.isspace()


def _windows(text: str, start: int, end: int, out: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Add to ``out`` (and return it) the passages of the paragraph ``text[start:end]``: runs of
    whole sentences, each closed once it holds WINDOW_WORDS words; a last run under MIN_WORDS
    joins the run before it (it could not be checked on its own).

    >>> text = "Seven words in this one sentence here. " * 7 + "Short tail."
    >>> [len(text[s:e].split()) for s, e in _windows(text, 0, len(text), [])]
    [42, 9]
    >>> text = "Seven words in this one sentence here. " * 6 + "Short tail."
    >>> [len(text[s:e].split()) for s, e in _windows(text, 0, len(text), [])]
    [44]
    """
    piece = text[start:end]
    words = piece.split()  # whitespace-separated words: a cheap stand-in for a word count
    if len(words) < MIN_WORDS:
        return out
    # The paragraph without its surrounding whitespace (str.strip and str.split agree on what
    # whitespace is).
    start += len(piece) - len(piece.lstrip())
    end -= len(piece) - len(piece.rstrip())
    if len(words) <= WINDOW_WORDS:  # what the loop below would give, without its sentence search
        out.append((start, end))
        return out
    # A sentence ends at the whitespace after a word ending in . ! or ?: the breaks below are
    # those words in order, so a sentence's words are counted from the word list.
    ends = [i for i, word in enumerate(words) if word[-1] in ".!?"]
    first = len(out)
    win_start, win_words, at = start, 0, 0
    for n, brk in enumerate([*_SENTENCE_END.finditer(text, start, end), None]):
        sent_end = brk.start() if brk else end
        upto = ends[n] + 1 if brk else len(words)
        win_words += upto - at
        at = upto
        if win_words >= WINDOW_WORDS or brk is None:
            if win_words >= MIN_WORDS or len(out) == first:
                out.append((win_start, sent_end))
            else:
                out[-1] = (out[-1][0], sent_end)
            win_start, win_words = brk.end() if brk else end, 0
    return out


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
    distinct = distinct_sorted(passage)  # once for all candidates
    for rank in candidates:
        score = containment_distinct(distinct, shingles_of(rank))
        if score >= threshold and (best is None or rank < best[0]):
            best = (rank, score)
    return best


def best_sources(
    hashes: U64,
    starts: I64,
    passages: I64,
    own_ranks: I64,
    owners: I64,
    shingles_of: Callable[[int], U64],
    threshold: float,
) -> list[tuple[int, int, float]]:
    """:func:`best_source` of many passages at once: passage ``passages[k]`` holds the shingles
    ``hashes[starts[p]:starts[p + 1]]`` (p = passages[k]), whose owner ranks are the same slice
    of ``owners``, and belongs to the document at rank ``own_ranks[k]``. Returns ``(k, rank,
    containment)`` for each passage found in an earlier document, in passage order.

    The owners each passage's shingles name are counted for all passages together, in array
    passes (a Counter and a sort per passage were half of the passage step's time); the
    candidates are then checked exactly in rank order, and the first that contains the passage
    is its source, as in best_source (the earliest passing candidate), so later ones are not read.
    The checks go in rounds, each passage's next candidate in each, every round's lookups in
    array passes (:func:`_containments`), not a Python loop with a search per candidate.

    >>> docs = {0: np.array([1, 2, 3, 4, 5], dtype=np.uint64), 1: np.array([2, 3], dtype=np.uint64)}
    >>> hashes = np.array([2, 3, 4, 9, 2, 3, 7, 8], dtype=np.uint64)
    >>> owners = np.array([0, 0, 0, NO_OWNER, 0, 0, 2, 2])
    >>> best_sources(hashes, np.array([0, 4, 8]), np.array([0, 1]), np.array([1, 2]), owners, docs.__getitem__, 0.7)
    [(0, 0, 0.75)]
    """
    lengths = starts[passages + 1] - starts[passages]
    total = int(lengths.sum())
    if total == 0:
        return []
    # Every shingle position of the passages, tagged with its passage's number k.
    first = np.zeros(passages.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=first[1:])
    tag = np.repeat(np.arange(passages.size), lengths)
    positions = np.repeat(starts[passages], lengths) + (np.arange(total) - first[tag])
    named = owners[positions]
    earlier = named < own_ranks[tag]
    tag, named = tag[earlier], named[earlier]
    if not tag.size:
        return []
    # (passage, owner) pairs with the positions naming each.
    order = np.lexsort((named, tag))
    tag, named = tag[order], named[order]
    new = np.ones(tag.size, dtype=np.bool_)
    new[1:] = (tag[1:] != tag[:-1]) | (named[1:] != named[:-1])
    at = np.flatnonzero(new)
    counts = np.diff(np.append(at, tag.size))
    tag, named = tag[at], named[at]
    # Positions naming an owner at or before each one (its passage's, in rank order): a bound on
    # how much of the passage a document of the run can contain, since every shingle a document
    # holds is owned by it or by an earlier one. Candidates below the threshold by it are not read.
    running = np.cumsum(counts)
    passage_start = np.flatnonzero(np.concatenate(([True], tag[1:] != tag[:-1])))
    before = running[passage_start] - counts[passage_start]  # positions of earlier passages
    bound = running - np.repeat(before, np.diff(np.append(passage_start, tag.size)))
    # Per passage, the indexed owners (negative ranks) and the run's apart, each by count
    # (most first), ties by rank: the first MAX_CANDIDATES of each are the candidates.
    from_run = named >= 0
    order = np.lexsort((named, -counts, from_run, tag))
    tag, named, bound = tag[order], named[order], bound[order]
    group = tag * 2 + from_run[order]
    group_starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    within = np.arange(group.size) - np.repeat(group_starts, np.diff(np.append(group_starts, group.size)))
    chosen = within < MAX_CANDIDATES
    tag, named, bound = tag[chosen], named[chosen], bound[chosen]
    order = np.lexsort((named, tag))  # each passage's candidates in rank order
    tag, named, bound = tag[order], named[order], bound[order]
    # The distinct shingles of the passages that have candidates, all at once: passage j of
    # ``involved`` holds ``values[at[j]:at[j + 1]]``, sorted.
    involved = tag[np.concatenate(([True], tag[1:] != tag[:-1]))]
    values, at = _distinct_by_passage(hashes, starts, passages[involved])
    sizes = np.diff(at)
    slot = np.searchsorted(involved, tag)  # each candidate's passage in ``involved``
    # An indexed document's shingles are not all owned, so only the run's are ruled out by the bound.
    eligible = np.flatnonzero((named < 0) | (bound / sizes[slot] >= threshold))
    # Rounds: each passage's first candidate not checked yet, all passages together; a passage
    # leaves once a candidate contains it (the earliest passing one, as in best_source), so the
    # sets of later candidates are not read.
    found: list[tuple[int, int, float]] = []
    pending = eligible
    while pending.size:
        first = np.concatenate(([True], tag[pending][1:] != tag[pending][:-1]))
        checked = pending[first]
        scores = _containments(values, at, slot[checked], named[checked], shingles_of)
        hit = scores >= threshold
        found.extend(zip(tag[checked][hit].tolist(), named[checked][hit].tolist(), scores[hit].tolist(), strict=True))
        pending = pending[~first]
        pending = pending[~np.isin(tag[pending], tag[checked][hit])]
    found.sort()
    return found


def _distinct_by_passage(hashes: U64, starts: I64, passages: I64) -> tuple[U64, I64]:
    """The distinct shingles of each of ``passages`` (passage p holds
    ``hashes[starts[p]:starts[p + 1]]``), sorted, joined, with where each passage's start.

    >>> values, at = _distinct_by_passage(np.array([5, 3, 5, 9, 1], dtype=np.uint64), np.array([0, 3, 5]),
    ...                                   np.array([1, 0]))
    >>> values.tolist(), at.tolist()
    ([1, 9, 3, 5], [0, 2, 4])
    """
    lengths = starts[passages + 1] - starts[passages]
    first = np.zeros(passages.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=first[1:])
    of = np.repeat(np.arange(passages.size), lengths)
    values = hashes[np.repeat(starts[passages] - first[:-1], lengths) + np.arange(first[-1])]
    if passages.size <= 1 << 16:
        # By value, then by passage in a stable sort of 16-bit keys (numpy's radix sort): the
        # order np.lexsort((values, of)) gives but for equal values of a passage (kept once
        # below), in a third of its time (15 K values of 300 passages: 2.3 -> 1.0 ms).
        order = np.argsort(values)
        order = order[np.argsort(of[order].astype(np.uint16), kind="stable")]
    else:
        order = np.lexsort((values, of))
    of, values = of[order], values[order]
    new = np.ones(values.size, dtype=np.bool_)
    new[1:] = (of[1:] != of[:-1]) | (values[1:] != values[:-1])
    at = np.zeros(passages.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(of[new], minlength=passages.size), out=at[1:])
    return values[new], at


def _containments(values: U64, at: I64, slots: I64, ranks: I64, shingles_of: Callable[[int], U64]) -> F64:
    """:func:`~cleaner.dedup.cluster.containment_distinct` of passage ``slots[j]`` (its distinct
    shingles ``values[at[s]:at[s + 1]]``) in the document of rank ``ranks[j]``, for every j in
    array passes: each document's set read once, the sets joined in rank order, and every
    shingle looked up in its document's set by one search over keys that put the document
    first and a hash's top bits after it (the sets are sorted, so the keys are too); the few
    lookups that land on an equal key with a smaller hash step on to the exact one."""
    documents, which = np.unique(ranks, return_inverse=True)
    sets = [shingles_of(rank) for rank in documents.tolist()]
    joined = np.concatenate([*sets, np.zeros(0, dtype=np.uint64)])
    doc_bits = max(1, int(documents.size).bit_length())
    shift = np.uint64(doc_bits)
    owner = np.repeat(np.arange(documents.size, dtype=np.uint64), [len(one) for one in sets])
    keys = (owner << np.uint64(64 - doc_bits)) | (joined >> shift)
    lengths = at[slots + 1] - at[slots]
    first = np.zeros(slots.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=first[1:])
    pair = np.repeat(np.arange(slots.size), lengths)
    wanted = values[np.repeat(at[slots] - first[:-1], lengths) + np.arange(first[-1])]
    wanted_keys = (which.astype(np.uint64)[pair] << np.uint64(64 - doc_bits)) | (wanted >> shift)
    found = np.searchsorted(keys, wanted_keys)
    last = keys.size - 1
    while True:  # an equal key whose hash is smaller: the set holds another hash with the same top bits
        near = np.minimum(found, last)
        behind = (found <= last) & (keys[near] == wanted_keys) & (joined[near] < wanted) if keys.size else found < 0
        if not behind.any():
            break
        found[behind] += 1
    near = np.minimum(found, last)
    member = (found <= last) & (joined[near] == wanted) & (keys[near] == wanted_keys) if keys.size else found < 0
    counts = np.bincount(pair[member], minlength=slots.size)
    scores: F64 = counts / lengths
    return scores


# Shingle hashes of the run's documents a SourceDocs keeps once read (8 MB).
RUN_VALUES_KEPT = 1 << 20


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
        # The run's sets read so far (consecutive passages of a document often check the same
        # sources), up to RUN_VALUES_KEPT hashes in all, then started afresh.
        self.run_sets: dict[int, U64] = {}
        self.run_values = 0

    def _indexed(self, rank: int) -> tuple[str, str, U64]:
        rowid = rank + self.offset
        if rowid not in self.cache:
            if self.index_doc is None:
                raise ValueError(f"rank {rank} is an indexed document, but there is no index")
            self.cache[rowid] = self.index_doc(rowid)
        return self.cache[rowid]

    def shingles(self, rank: int) -> U64:
        if rank < 0:
            return self._indexed(rank)[2]
        found = self.run_sets.get(rank)
        if found is None:
            found = self.run_shingles(rank)
            if self.run_values + found.size > RUN_VALUES_KEPT:
                self.run_sets, self.run_values = {}, 0
            self.run_sets[rank] = found
            self.run_values += found.size
        return found

    def id(self, rank: int) -> str:
        return self._indexed(rank)[0] if rank < 0 else self.run_id(rank)
