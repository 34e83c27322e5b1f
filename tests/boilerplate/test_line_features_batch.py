"""text.page_features (many pages in one pass) against the per-page computation it replaced."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_line_features import line_features as oracle_line_features

from cleaner.boilerplate.rules import LineCues
from cleaner.boilerplate.text import (
    _BYTE_CLASSES,
    _NO_DATE_SHAPE,
    DATE_LINE_MAX_WORDS,
    DATE_LINE_MIN_DIGITS,
    _byte_facts_kernel,
    _byte_facts_numpy,
    _char_counts,
    _flag_rows,
    _joined,
    _judge,
    _line_char_counts,
    _line_flags,
    _page_sums_kernel,
    page_features,
    word_count,
)
from tests.helpers import SEEDS

# Lines of the kinds the features tell apart: prose, short labels, cues, dates, blanks, repeats.
_LINES = [
    "It rained all day in the city, and the river rose by a metre before dark on Sunday.",
    "Officials said the bridge would stay closed until engineers had checked every pier of it.",
    "Home", "News | World | Europe", "Share this article", "Leave a Reply", "Related articles",
    "November 20, 2019", "By Jane Doe", "Read more...", "", "  ", "Net profit 12.5 mln vs 9.8 mln",
    "Rain all week", "Контакты", "これが非常に困ったもの。", "© 2024 Example Media. All rights reserved.",
    "Итоги: 12,5 млн. руб.; рост 3%!", "٢٠١٩ 12 مارس، 2019؟", "Ünïcödé 1.2, wörds: 3!", "x\udcff 1.",
    # what _flag_rows rules out over bytes, at its edges: a byline after punctuation, lower case,
    # endings of a blurb cut short, one-byte lines, separators, a menu of four words
    "-- by the editors of the paper", "posted by admin", "read on [...]", "and more \u2026", "x", ".",
    "Page 1 / 2", "Home > News", "Contact us and more", "12.11.2019",
    # separators after white space or not: after a tab, in a date or a URL, at the start
    "Home\t/ News", "Home\t>\tNews", "Rose 1-1/8 to 20", "see example.com/news | more", "/ News",
]  # fmt: skip


def _pages(texts: list[str]) -> list[tuple[list, object]]:
    cues = LineCues()
    return [(verdicts, facts) for _, verdicts, _, facts in (_judge(text, cues) for text in texts)]


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_LINES), max_size=25).map("\n".join), min_size=1, max_size=6), st.booleans())
def test_page_features_equal_the_per_page_features_bit_for_bit(texts: list[str], chrome: bool) -> None:
    pages = _pages(texts)
    expected = [oracle_line_features([], verdicts, chrome, facts) for verdicts, facts in pages]
    assert _same_bits(page_features(pages, chrome), np.concatenate(expected))


def test_page_features_on_the_seeds() -> None:
    pages = _pages([path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))])
    expected = np.concatenate([oracle_line_features([], verdicts, True, facts) for verdicts, facts in pages])
    assert _same_bits(page_features(pages, True), expected)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(st.sampled_from([*"ab 09.,;:!?\n", "。", "，", "日", "١", "é", "\udcff"]), min_size=1), min_size=1)
)
def test_character_counts_of_all_lines_are_each_lines_counts(texts: list[str]) -> None:
    # Over the UTF-8 bytes of all lines at once, or line by line where a line holds a break.
    each = np.array([_line_char_counts(text) for text in texts], dtype=np.float64).reshape(-1, 3)
    assert all(_same_bits(counts, each[:, k]) for k, counts in enumerate(_char_counts(texts)))


_DATE_SHAPE = re.compile(rb"(?:[0-9]{4}|[0-9][./][0-9]+[./][0-9])\Z")  # a date shape that ends where the bytes do


def _date_tail_of_line(raw: bytes, runs: int) -> int:
    """text._byte_facts' _DATE_TAIL of one line's bytes with ``runs`` runs of word bytes: the
    bytes after the last digit that ends four in a row or follows digit, separator, digits,
    separator, on a line of four digits or more and at most DATE_LINE_MAX_WORDS runs."""
    digits = re.sub(rb"[^0-9]", b"", raw)
    if len(digits) < DATE_LINE_MIN_DIGITS or runs > DATE_LINE_MAX_WORDS:
        return _NO_DATE_SHAPE
    shapes = [i for i in range(len(raw)) if _DATE_SHAPE.search(raw[: i + 1])]
    return len(raw) - 1 - max(shapes) if shapes else _NO_DATE_SHAPE


def _byte_facts_of_line(text: str) -> list[int]:
    """text._byte_facts of one line, from its bytes one by one (the columns _RUNS to _BYTES)."""
    raw = text.encode("utf-8", "surrogatepass")
    word = [chr(b).isalnum() or b == 0x5F if b < 0x80 else False for b in raw]
    runs = sum(1 for i, w in enumerate(word) if w and (i == 0 or not word[i - 1]))
    return [
        runs, sum(b in b"0123456789" for b in raw), sum(b in b".,;:!?" for b in raw), sum(b in b"|>/\\" for b in raw),
        sum(b >= 0x80 for b in raw), raw[0], raw[-1], int(raw.endswith(b"...")),
        sum(b in b"|>/\\" and a < 0x80 and chr(a).isspace() for a, b in itertools.pairwise(raw)),
        sum(not (b < 0x80 and chr(b).isalpha()) and b not in b" -'&" for b in raw), sum(b in b" -'&" for b in raw),
        sum(a in b" -'&" and b in b" -'&" for a, b in itertools.pairwise(raw)), _date_tail_of_line(raw, runs), len(raw),
    ]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(st.sampled_from([*"aZ_ 09.,;:!?|>/\\\t-'&", "。", "日", "é", "’", "\udcff"]), min_size=1), min_size=1
    )
)
def test_byte_facts_compiled_and_numpy_are_each_lines_counts(texts: list[str]) -> None:
    joined = _joined(texts)
    assert joined.starts is not None
    expected = np.array([_byte_facts_of_line(text) for text in texts], dtype=np.int64)
    assert np.array_equal(_byte_facts_numpy(joined.data, joined.starts), expected)
    kernel = _byte_facts_kernel()
    if kernel is not None:  # numba installed
        assert np.array_equal(kernel(joined.data, joined.starts, _BYTE_CLASSES), expected)


def test_unit_facts_hold_the_byte_facts_of_their_units() -> None:
    # page_features reads them there instead of counting the bytes again.
    pages = _pages(["\n".join(_LINES), "", "Home\n\n\nNews | World\n"])
    for _, facts in pages:
        texts = [text for text in facts.texts if text]
        assert facts.byte_rows is not None
        assert np.array_equal(facts.byte_rows, np.array([_byte_facts_of_line(t) for t in texts]).reshape(-1, 14))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.floats(0.0, 20.0), max_size=30), min_size=1, max_size=8))
def test_compiled_page_sums_are_each_pages_cumsum_bit_for_bit(pages: list[list[float]]) -> None:
    # window_words_log's running sums restart on each page, fractions added in np.cumsum's order.
    kernel = _page_sums_kernel()
    if kernel is None:
        pytest.skip("numba is not installed")
    values = np.log1p(np.array([value for page in pages for value in page], dtype=np.float64))
    lengths = np.array([len(page) for page in pages], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    expected = [np.cumsum(values[a : a + k]) for a, k in zip(starts.tolist(), lengths.tolist(), strict=True)]
    assert _same_bits(kernel(values, starts, lengths), np.concatenate(expected))


# Letters, _MENU_ITEM's joins (the ASCII ones and "’"), and what no menu item holds.
_MENU_PIECES = st.sampled_from(["Home", "a", "Z", " ", "-", "'", "&", "’", "é", "1", ".", "_", "\t", "/"])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(_MENU_PIECES, min_size=1, max_size=12).map("".join).map(str.strip).filter(bool), min_size=1))
def test_flag_rows_over_bytes_are_each_lines_flags(texts: list[str]) -> None:
    # The menu items of ASCII lines read off their bytes, the other flags where they may hold.
    words = [word_count(text) for text in texts]
    digits = np.array([sum(map(text.count, "0123456789")) for text in texts], dtype=np.float64)
    expected = np.array([_line_flags(text, n, d) for text, n, d in zip(texts, words, digits, strict=True)])
    assert _same_bits(_flag_rows(texts, words, digits), expected.astype(np.float64).reshape(-1, 6))
