"""Sentence windows inside paragraphs: a copied run of sentences in a paragraph of the writer's
own sentences is checked on its own, not diluted by the rest of the paragraph."""

from __future__ import annotations

import itertools
import random
import re

import numpy as np
import pytest
from dedup_textgen import docs_from, random_words, run_stage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.config import DedupConfig
from cleaner.dedup import _kernels, passages
from cleaner.dedup._kernels import numba_available
from cleaner.dedup.passages import MIN_WORDS, WINDOW_WORDS, split_passages, split_passages_batch


def _sentence(seed: int, n: int) -> str:
    """A sentence of ``n`` random words (seeds < 1000 are sources, >= 1000 own text)."""
    return " ".join(random_words(seed, n)) + "."


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _pieces(text: str) -> list[str]:
    return [text[s:e] for s, e in split_passages(text)]


def test_short_paragraph_of_several_sentences_is_one_passage() -> None:
    para = " ".join(_sentence(s, 12) for s in range(3))  # 36 words <= WINDOW_WORDS
    assert _pieces(para) == [para]


def test_long_paragraph_becomes_windows_of_whole_sentences() -> None:
    sentences = [_sentence(s, n) for s, n in enumerate([25, 10, 30, 12, 9, 22, 18, 11])]
    para = " ".join(sentences)
    pieces = _pieces(para)
    # 25+10+30 -> 65 (closed: >= 40), 12+9+22 -> 43 (closed), 18+11 -> 29 (the last one).
    assert pieces == [" ".join(sentences[0:3]), " ".join(sentences[3:6]), " ".join(sentences[6:8])]
    for piece in pieces[:-1]:
        words = [_words(s) for s in re.split(r"(?<=\.) ", piece)]
        assert sum(words) >= WINDOW_WORDS > sum(words[:-1])  # closed at the first chance


def test_tail_under_min_words_joins_the_window_before_it() -> None:
    para = " ".join([_sentence(1, 20), _sentence(2, 20), _sentence(3, 5)])
    assert _pieces(para) == [para]  # 40 words closes a window; the 5-word tail is not dropped
    para = " ".join([_sentence(1, 20), _sentence(2, 20), _sentence(3, MIN_WORDS)])
    assert _pieces(para) == [" ".join([_sentence(1, 20), _sentence(2, 20)]), _sentence(3, MIN_WORDS)]


def test_windows_stay_inside_their_paragraph() -> None:
    first, second = _sentence(1, 30), _sentence(2, 30)
    # Were windows to run on across the break, the two would make one window of 60 words.
    assert _pieces(first + "\n\n" + second) == [first, second]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(1, 60), min_size=1, max_size=8),  # sentence lengths of one paragraph
        min_size=1,
        max_size=5,
    ),
    st.integers(0, 10_000),
)
def test_passages_are_ordered_disjoint_sentence_runs(paragraphs: list[list[int]], seed: int) -> None:
    rng = random.Random(seed)
    text = "\n\n".join(" ".join(_sentence(rng.randrange(10**6), n) for n in lengths) for lengths in paragraphs)
    spans = split_passages(text)
    assert all(0 <= s < e <= len(text) for s, e in spans)
    assert all(e1 < s2 for (_, e1), (s2, _) in itertools.pairwise(spans))
    for s, e in spans:
        piece = text[s:e]
        assert piece == piece.strip() and piece.endswith(".") and "\n\n" not in piece
        assert _words(piece) >= MIN_WORDS
        assert s == 0 or text[s - 1] in " \n"  # starts at a sentence start
    # Every paragraph of at least MIN_WORDS words is covered whole by its passages.
    covered = "".join(text[s:e] for s, e in spans).replace(" ", "")
    expected = "".join(p for p in text.split("\n\n") if _words(p) >= MIN_WORDS).replace(" ", "")
    assert covered == expected


# Pieces that make paragraphs, sentences and words, and every kind of whitespace the break
# and sentence patterns and str.split treat alike (or not: NUL and emoji are words).
_PIECES = ["a", "bb", "c.", "d!", "e?", "f.g", ".", " ", "  ", "\n", "\n\n", "\n  ", "\t", "\r\n", "\x0b",
           "\x1c", "\x85", "\u00a0", "\u2003", "\x00", "\U0001f600", "é", "Straße"]  # fmt: skip


# The batch split's paths: numpy's array passes (False) and the compiled walk (True), which
# _split_chunk takes where it is built ahead of time or numba already runs in the process (numba's
# own walk is compared with the one built ahead of time in test_aot_kernels.py); both must give
# split_passages' spans.
_PATHS = [False, pytest.param(True, marks=pytest.mark.skipif(not numba_available(), reason="numba not installed"))]


def _use_path(monkeypatch: pytest.MonkeyPatch, compiled: bool) -> None:
    kernels = _kernels.compiled(True) if compiled else None
    monkeypatch.setattr(passages, "compiled", lambda: kernels)


@pytest.mark.parametrize("compiled", _PATHS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=200).map("".join), max_size=6))
def test_the_batch_split_gives_each_text_s_passages(
    monkeypatch: pytest.MonkeyPatch, compiled: bool, texts: list[str]
) -> None:
    _use_path(monkeypatch, compiled)
    text_of, spans = split_passages_batch(texts)
    got: list[list[tuple[int, int]]] = [[] for _ in texts]
    for t, (s, e) in zip(text_of.tolist(), spans.tolist(), strict=True):
        got[t].append((s, e))
    assert got == [split_passages(t) for t in texts]


@pytest.mark.parametrize("compiled", _PATHS)
@pytest.mark.parametrize("chunk", [1 << 20, 1])  # 1: each text in a chunk of its own
def test_the_batch_split_on_long_paragraphs_and_tails(
    monkeypatch: pytest.MonkeyPatch, chunk: int, compiled: bool
) -> None:
    _use_path(monkeypatch, compiled)
    monkeypatch.setattr(passages, "CHUNK_CHARS", chunk)
    rng = random.Random(3)
    texts = [
        "\n\n".join(" ".join(_sentence(rng.randrange(10**6), n) for n in lengths) for lengths in paragraphs)
        for paragraphs in ([[25, 10, 30, 12, 9, 22, 18, 11]], [[20, 20, 5], [20, 20, MIN_WORDS]], [[50], [3, 60, 2]])
    ]
    text_of, spans = split_passages_batch(["", *texts, "   "])
    got: list[list[tuple[int, int]]] = [[] for _ in range(len(texts) + 2)]
    for t, (s, e) in zip(text_of.tolist(), spans.tolist(), strict=True):
        got[t].append((s, e))
    assert got == [[], *(split_passages(t) for t in texts), []]
    assert [len(p) for p in got] == [0, 3, 3, 2, 0]  # windows; a tail joined, a tail of its own; tails joined


@pytest.mark.parametrize("compiled", _PATHS)
@pytest.mark.parametrize("ascii_only", [False, True])  # True: an ASCII chunk, whose whitespace is found by bytes
def test_the_batch_split_on_many_random_texts(
    monkeypatch: pytest.MonkeyPatch, compiled: bool, ascii_only: bool
) -> None:
    """Long texts of words, sentence ends and every kind of break, many in one chunk."""
    _use_path(monkeypatch, compiled)
    rng = random.Random(5)
    words = ["w ", "word. ", "q? ", "x!\n", "a", "b."]
    pieces = [piece for piece in _PIECES if piece.isascii() or not ascii_only]
    texts = ["".join(rng.choice(pieces + words * 3) for _ in range(rng.randrange(400))) for _ in range(300)]
    text_of, spans = split_passages_batch(texts)
    got: list[list[tuple[int, int]]] = [[] for _ in texts]
    for t, (s, e) in zip(text_of.tolist(), spans.tolist(), strict=True):
        got[t].append((s, e))
    assert got == [split_passages(t) for t in texts]
    assert sum(map(len, got)) > 300  # windows and tails, not only empty texts


@pytest.mark.skipif(not numba_available(), reason="numba not installed")
def test_the_compiled_walk_uses_the_passage_word_limits() -> None:
    from cleaner.dedup import _passage_kernels

    assert (_passage_kernels.MIN_WORDS, _passage_kernels.WINDOW_WORDS) == (MIN_WORDS, WINDOW_WORDS)


def _source() -> tuple[str, list[str]]:
    copied = [_sentence(seed, n) for seed, n in [(1, 15), (2, 14), (3, 16)]]  # 45 words
    source = "\n\n".join(
        [" ".join(_sentence(s, 20) for s in (10, 11)), " ".join([*copied, _sentence(12, 20)]), _sentence(13, 30)]
    )
    return source, copied


def test_copied_run_inside_an_own_paragraph_is_flagged_end_to_end() -> None:
    source, copied = _source()
    own_before = [_sentence(1001, 20), _sentence(1002, 20)]
    own_after = [_sentence(1003, 22), _sentence(1004, 21)]
    # One paragraph, 128 words, 45 of them copied: containment about 0.3 as a whole, so it was
    # not flagged while paragraphs up to 120 words were one passage.
    mixed = " ".join([*own_before, *copied, *own_after])
    fresh = " ".join(_sentence(s, 20) for s in range(2001, 2007))
    out = run_stage(DedupConfig(), docs_from([("src", source), ("mixed", mixed), ("fresh", fresh)]))
    assert [d.status for d in out] == ["kept"] * 3
    src, mix, fre = out
    assert src.passages == () and fre.passages == ()
    assert [(p.text, p.duplicate_of, p.similarity) for p in mix.passages] == [(" ".join(copied), "src", 1.0)]
    match = mix.passages[0]
    assert mixed[match.start : match.end] == match.text


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(8, 25), min_size=0, max_size=6), st.integers(0, 10_000))
def test_a_long_enough_copied_run_is_flagged_wherever_it_starts(own_lengths: list[int], seed: int) -> None:
    # A window closes within WINDOW_WORDS + (longest sentence) words, so a verbatim run of at
    # least twice that holds one whole window, whatever own text comes before it.
    rng = random.Random(seed)
    longest = 25
    run: list[str] = []
    while sum(_words(s) for s in run) < 2 * (WINDOW_WORDS + longest):
        run.append(_sentence(len(run) + 1, rng.randint(8, longest)))
    source = " ".join(_sentence(s, 20) for s in (100, 101)) + "\n\n" + " ".join(run)
    own = [_sentence(1000 + i, n) for i, n in enumerate(own_lengths)]
    after = [_sentence(1100 + i, rng.randint(8, longest)) for i in range(rng.randint(0, 3))]
    copier = " ".join([*own, *run, *after])
    # The source's 40 other words keep even a copier made of the run alone under Jaccard 0.8.
    copied = run_stage(DedupConfig(), docs_from([("src", source), ("copier", copier)]))[1]
    assert copied.duplicate is None
    assert copied.passages
    assert {p.duplicate_of for p in copied.passages} == {"src"}


def test_a_copied_long_paragraph_is_adjacent_flags_that_drop_cleanly() -> None:
    # Windows split a long copied paragraph into several flags; they never overlap, so
    # --drop-duplicate-passages removes each once and leaves the own paragraphs intact.
    copied = " ".join(_sentence(seed, 18) for seed in range(20, 26))  # 108 words, 6 sentences
    source = _sentence(30, 25) + "\n\n" + copied + "\n\n" + _sentence(31, 25)
    own_first, own_last = _sentence(1030, 25), _sentence(1031, 25)
    copier = own_first + "\n\n" + copied + "\n\n" + own_last
    cfg = DedupConfig(drop_duplicate_passages=True)
    out = run_stage(cfg, docs_from([("src", source), ("copier", copier)]))[1]
    assert len(out.passages) > 1
    assert {(p.duplicate_of, p.similarity) for p in out.passages} == {("src", 1.0)}
    assert " ".join(p.text for p in out.passages) == copied
    assert [d.text for d in out.drops] == [p.text for p in out.passages]
    assert out.text.split() == (own_first + " " + own_last).split()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=300).map("".join))
def test_break_spans_are_the_pattern_s_matches(text: str) -> None:
    """The batch split reads paragraph breaks from a split's piece lengths: the same spans as
    the pattern's matches, one by one."""
    expected = [m.span() for m in passages._PARAGRAPH_BREAK.finditer(text)]
    assert [tuple(span) for span in passages._break_spans(text).tolist()] == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join), min_size=1, max_size=5))
def test_break_spans_of_joined_texts_stop_at_the_separators(texts: list[str]) -> None:
    """In a batch the texts are joined by "\\0", which the word runs count as whitespace and the
    pattern does not: a break's whitespace still ends at a separator."""
    joined = "\0".join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    stops = np.cumsum([len(t) + 1 for t in texts[:-1]], dtype=np.int64) - 1
    space = np.ones(cps.size + 2, dtype=np.bool_)
    space[1:-1] = passages._space_table()[cps]
    space[stops + 1] = True
    starts = np.flatnonzero(space[1:] != space[:-1])[0::2]
    expected = [m.span() for m in passages._PARAGRAPH_BREAK.finditer(joined)]
    assert [tuple(span) for span in passages._break_spans_at(cps, starts, stops).tolist()] == expected
