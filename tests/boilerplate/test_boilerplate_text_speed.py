"""The fast paths of plain-text line classification give exactly what the plain regexes give.

text.py counts words with a byte table on ASCII lines, computes each unit's facts once, builds
the scorer's per-line columns in one pass and skips patterns that cannot match; rules.LineCues
remembers short lines' verdicts. Each shortcut is checked here against the straightforward form
it replaced (kept below as the oracle), on hand-picked lines and on generated ones.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_line_features import page_columns

from cleaner.boilerplate import text as T
from cleaner.boilerplate.rules import SHORT_LINE, LineCues, line_reason
from cleaner.record import Reason

_WORD = re.compile(r"\w+")

LINES = [
    "Home | World | Business", "News › Europe", "Skip to main content", "Contact us", "Page 2",
    "Wednesday November 20, 2019", "19.11.2019, 08:57", "By Jane Doe", "Read more...", "snake_case_name here",
    "It rained all day in the city, and the river rose by a metre before dark.", "これが非常に困ったもの。",
    "日本語日本語日本語日本語", "Похожие статьи", "Don't miss", "P(A | B) = P(B | A)", "a/b/c/d", "1-1/8 to 20-1/8",
    "Ahmanson's stock fell 1-1/8 odd to 20-1/8 in active trading.", "Topic Aa", "  indented item", "tab\tseparated",
    "Ünïcödé wörds hère", "x_1 y_2", "Share on Facebook  Share on Twitter  Email", "© 2024 Example",
    "Tsarizm / Eastern Europe", "Home > News > Business", "Back \\ Forth", "Sport and Leisure Time",
    "Net profit 12.5 mln vs 9.8 mln", "1987", "Shr 1.20 dlrs", "a1b2c3d4",
    "Posted Jan 9th, 1999 at 9:09", "Monday, March the ninth", "9 März 1999", "September 99, 99",
    # Breadcrumbs whose separator follows white space other than " " (is_breadcrumb's printable test).
    "Home\t| World", "News\x1c> Local", "Home\x0b/ Sport / Results", "Home |World",
]  # fmt: skip

# Lines drawn from characters that matter to the patterns: separators, digits, punctuation,
# underscores, CJK, accented letters, every sentence end, spaces that strip() removes.
ALPHABET = st.sampled_from([*"abcXYZ 019_.,;:!?|>/\\-'’&…»·•()[]\t", "日", "本", "é", "ß", "。",
                            *"！？।۔؟”\"", "\u00a0", "\u2003", "\x1c"])  # fmt: skip
LINE = st.text(ALPHABET, min_size=1, max_size=40)


def reference_word_count(line: str) -> int:
    words = len(_WORD.findall(line))
    cjk = len(T._CJK.findall(line))
    return max(words, cjk // 2) if cjk else words


def test_ascii_word_table_is_the_regex_word_class() -> None:
    for code in range(128):
        assert (T._ASCII_WORD_RUNS[code] == ord("a")) == (re.fullmatch(r"\w", chr(code)) is not None), code


@settings(max_examples=300, deadline=None)
@given(LINE)
def test_word_count_is_the_regex_count(line: str) -> None:
    assert T.word_count(line) == reference_word_count(line)


def _check_patterns(line: str) -> None:
    text = line.strip() or "x"
    assert T.is_menu_item(text, T.word_count(text)) is (T._MENU_ITEM.match(text) is not None)
    assert T.is_breadcrumb(text) is (T._BREADCRUMB.match(text) is not None)
    assert T.is_figures_row(line) is (T._FIGURES.match(line) is not None)
    assert T.is_date_line(text, T.word_count(text)) is (T._DATE_LINE.match(text) is not None)
    endings = ("", " ", "...", "[...]", "[...]  ", "\N{HORIZONTAL ELLIPSIS}\t", "[\N{HORIZONTAL ELLIPSIS}]", "..]")
    for each in [text, *(line + ending for ending in endings)]:
        assert T.is_truncated(each) is (T._TRUNCATED.search(each[-6:]) is not None)


def test_pattern_shortcuts_on_known_lines() -> None:
    for line in LINES:
        _check_patterns(line)


@settings(max_examples=300, deadline=None)
@given(LINE)
def test_pattern_shortcuts_never_change_a_match(line: str) -> None:
    _check_patterns(line)


@given(st.lists(LINE, min_size=1, max_size=12))
@settings(max_examples=150, deadline=None)
def test_unit_facts_are_the_public_functions(parts: list[str]) -> None:
    lines = T.split_lines("\n".join(parts))
    facts = T.unit_facts(lines)
    for line, text, words, paragraph, sentence, end in zip(
        lines, facts.texts, facts.words, facts.paragraph, facts.sentence, facts.sentence_end, strict=True
    ):
        assert text == line.text.strip()
        assert end is (bool(text) and T._SENTENCE_END.search(text) is not None)
        assert words == (T.word_count(text) if text else 0)
        assert paragraph is (bool(text) and T.is_paragraph(text))
        assert sentence is (bool(text) and T.is_sentence(text))


@given(st.lists(st.lists(LINE, max_size=8), max_size=5))
@settings(max_examples=150, deadline=None)
def test_facts_of_many_pages_are_each_pages_facts(pages: list[list[str]]) -> None:
    # unit_facts_many counts the words of all pages' ASCII lines in one pass over their bytes.
    units = [T.split_lines("\n".join(parts)) for parts in pages]
    for lines, facts in zip(units, T.unit_facts_many(units), strict=True):
        texts = [line.text.strip() for line in lines]
        assert facts.texts == texts
        assert facts.words == [T.word_count(text) if text else 0 for text in texts]
        assert facts.paragraph == [bool(text) and T.is_paragraph(text) for text in texts]


# Lines of many words (LINE is too short for most paragraphs): words ASCII or not, gaps with
# or without a mark of _PUNCT, and the endings that decide a paragraph (a sentence end, an
# ellipsis of dots or "…", bracketed or not, a bare "]").
ASCII_WORDS = ["word", "a1", "x_y", "12", "co-op", "1987"]
PROSE_GAP = st.sampled_from([" ", " ", " ", ", ", "; ", " | "])
PROSE_END = st.sampled_from(["", ".", "!", ":", "\"", "...", "..", "[...]", "[\N{HORIZONTAL ELLIPSIS}]",
                             "\N{HORIZONTAL ELLIPSIS}", "]", "..]", " ...", "。", "»"])  # fmt: skip


@st.composite
def prose_lines(draw: st.DrawFn) -> str:
    # Mostly ASCII lines (the counted bytes decide them), some with a word or gap beyond ASCII.
    beyond = draw(st.booleans()) and draw(st.booleans())
    word = st.sampled_from([*ASCII_WORDS, "Wörd", "日本語"] if beyond else ASCII_WORDS)
    gap = st.one_of(PROSE_GAP, st.just("\u00a0")) if beyond else PROSE_GAP
    words = draw(st.lists(word, min_size=1, max_size=90))
    gaps = draw(st.lists(gap, min_size=len(words), max_size=len(words)))
    return "".join(word + gap for word, gap in zip(words, gaps, strict=True)).rstrip() + draw(PROSE_END)


@given(st.lists(st.lists(st.sampled_from(["", " ", *LINES[:12]]), max_size=8), max_size=5))
@settings(max_examples=200, deadline=None)
def test_a_page_with_a_text_twice_is_marked_repeated(pages: list[list[str]]) -> None:
    # The counted bytes rule a text twice out only where no two lines are alike in them.
    units = [T.split_lines("\n".join(parts)) for parts in pages]
    for facts in T.unit_facts_many(units):
        texts = list(filter(None, facts.texts))
        assert facts.repeated or len(set(texts)) == len(texts), texts
    distinct = T.unit_facts_many([T.split_lines("Home\nContact us\nHome | World\n")])[0]
    assert not distinct.repeated


def test_facts_of_long_lines_at_the_bounds() -> None:
    # Ten words; 25 words; one mark per 40 words exactly, and one word more.
    lines = [" ".join(["word"] * n) + end for n in (9, 10, 24, 25, 40, 41, 80, 81) for end in ("", ".", "...", "[...]")]
    lines += [" ".join(["word"] * n) + ", " + " ".join(["word"] * m) for n, m in ((20, 20), (20, 21), (39, 40))]
    lines += ["word " * 39 + "end [...]", "word " * 39 + "end [...]]", "word " * 12 + "ends…", "word " * 12 + "x]"]
    units = [T.split_lines("\n".join(lines))]
    facts = T.unit_facts_many(units)[0]
    assert facts.paragraph == [T.is_paragraph(text) for text in facts.texts]
    assert facts.paragraph.count(True) not in (0, len(lines))


@given(st.lists(st.lists(st.one_of(prose_lines(), LINE, st.just("")), max_size=6), min_size=1, max_size=4))
@settings(max_examples=200, deadline=None)
def test_facts_of_long_lines_are_the_public_functions(pages: list[list[str]]) -> None:
    # unit_facts_many reads paragraphs, sentences and the dates it rules out off the counted bytes.
    units = [T.split_lines("\n".join(parts)) for parts in pages]
    for facts in T.unit_facts_many(units):
        # (Only a page with a line that ends with a colon may introduce a list: _list_items.)
        assert facts.colons is any(text.endswith(":") for text in facts.texts)
        for i, text in enumerate(facts.texts):
            assert facts.sentence_end[i] is (bool(text) and T._SENTENCE_END.search(text) is not None)
            assert facts.paragraph[i] is (bool(text) and T.is_paragraph(text)), text
            assert facts.sentence[i] is (bool(text) and T.is_sentence(text))
            assert facts.dates[i] in (None, False)
            if text:
                assert facts.date_line(i) is (T._DATE_LINE.match(text) is not None), text


def reference_line_features(lines: list[T.Line], verdicts: list[Reason | None], chrome: bool) -> np.ndarray:
    """The scorer's first 36 columns as first written: a list per column, every pattern run."""
    names = T.LINE_FEATURES[:36]
    texts = [line.text.strip() for line in lines]
    rows = [i for i, text in enumerate(texts) if text]
    n = len(rows)
    out = np.zeros((n, len(names)), dtype=np.float64)
    if not n:
        return out
    col = {name: j for j, name in enumerate(names)}
    kept = [texts[i] for i in rows]
    sizes = np.fromiter(map(len, kept), dtype=np.float64, count=n)
    words = np.fromiter(map(reference_word_count, kept), dtype=np.float64, count=n)
    paragraph = np.fromiter(map(T.is_paragraph, kept), dtype=np.float64, count=n)
    rule = np.fromiter((T._REASON_CODE[verdicts[i]] for i in rows), dtype=np.float64, count=n)
    counts = Counter(kept)
    out[:, col["chars_log"]] = np.log1p(sizes)
    out[:, col["words_log"]] = np.log1p(words)
    out[:, col["sentence_end"]] = [T._SENTENCE_END.search(t) is not None for t in kept]
    out[:, col["punct_per_word"]] = [len(T._PUNCT.findall(t)) for t in kept] / np.maximum(1.0, words)
    out[:, col["digit_share"]] = [sum(map(t.count, "0123456789")) for t in kept] / np.maximum(1.0, sizes)
    out[:, col["unspaced_share"]] = [0 if t.isascii() else len(T._CJK.findall(t)) for t in kept] / np.maximum(
        1.0, sizes
    )
    out[:, col["starts_lower"]] = [t[0].islower() for t in kept]
    out[:, col["paragraph"]] = paragraph
    out[:, col["sentence"]] = [T.is_sentence(t) for t in kept]
    out[:, col["menu_item"]] = [T._MENU_ITEM.match(t) is not None for t in kept]
    out[:, col["breadcrumb"]] = [T._BREADCRUMB.match(t) is not None for t in kept]
    out[:, col["date_line"]] = [T._DATE_LINE.match(t) is not None for t in kept]
    out[:, col["byline"]] = [T._BYLINE.match(t) is not None for t in kept]
    out[:, col["truncated"]] = [T._TRUNCATED.search(t[-6:]) is not None for t in kept]
    out[:, col["rule_reason"]] = rule
    out[:, col["repeats"]] = [counts[t] - 1 for t in kept]
    page_columns(out, col, sizes, words, paragraph, rule, chrome)
    return out


def _check_features(text: str) -> None:
    lines, verdicts, chrome = T.judge_lines(text)
    fast = T.line_features(lines, verdicts, chrome)
    slow = reference_line_features(lines, verdicts, chrome)
    assert fast.shape[0] == slow.shape[0]
    assert np.array_equal(fast[:, : slow.shape[1]], slow)  # bit for bit: the model sees the same rows


def test_line_features_match_the_column_by_column_form() -> None:
    article = "It rained all day in the city, and the river rose by a metre before dark.\n" * 3
    _check_features("\n".join(LINES) + "\n" + article + "Leave a Reply\n" + "\n".join(LINES[::-1]))


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(LINE, st.sampled_from(LINES)), min_size=1, max_size=25))
def test_line_features_match_on_generated_pages(parts: list[str]) -> None:
    _check_features("\n".join(parts))


def test_line_cues_memo_gives_line_reason_whatever_came_before() -> None:
    long_line = "Copyright 2024 Example Media Group and its partners. All rights reserved worldwide."
    assert len(long_line) > SHORT_LINE
    cues = LineCues()
    for line in [*LINES, long_line, *LINES, long_line]:
        assert cues.judge(line) is line_reason(line), line
    # A full memo stops remembering but keeps answering.
    small = LineCues()
    small.MAX_LINES = 2
    for line in LINES:
        assert small.judge(line) is line_reason(line)
    assert len(small._short) == 2


def test_a_shared_memo_does_not_change_the_drops() -> None:
    cues = LineCues()
    page = "Home | World\nLeave a Comment\n" + "It rained all day in the city, and the river rose.\n" * 2
    alone = T.classify_lines(page)
    assert T.classify_lines(page, cues=cues) == alone
    assert T.classify_lines(page, cues=cues) == alone  # second time from the memo


def test_a_date_line_at_the_word_bound_still_matches() -> None:
    # One word before the date, its three numbers, and fifteen one-letter words in the 30
    # characters after it: DATE_LINE_MAX_WORDS words, and the pattern still matches.
    for date in ("12/05/2019", "May 12, 2019", "12 May 2019"):
        line = "Mon, " + date + " a" * 15
        assert T.word_count(line) == T.DATE_LINE_MAX_WORDS
        assert T._DATE_LINE.match(line) is not None
        assert T.is_date_line(line, T.word_count(line))
        assert T._DATE_LINE.match(line + "a") is None  # one character more after the date: none


# Lines built from dates and short words, many of them near the pattern's limits.
_DATE_PIECES = st.sampled_from(["Mon,", " ", "  ", "12/05/2019", "May", "12th", "2019", "1.2.87", "a", "ab", ",", ".",
                                "-", "Wednesday", "\N{CYRILLIC SMALL LETTER ZHE}", "19", "\t"])  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_DATE_PIECES, min_size=1, max_size=40).map("".join))
def test_date_lines_never_exceed_the_word_bound(line: str) -> None:
    assert T.is_date_line(line, T.word_count(line)) is (T._DATE_LINE.match(line) is not None)


@settings(max_examples=500, deadline=None)
@given(st.lists(_DATE_PIECES | st.sampled_from(["1", "5/", "05.", "3 ", "Dec", "1st"]), max_size=30).map("".join))
def test_an_ascii_date_line_holds_the_fewest_digits(line: str) -> None:
    # is_date_line, given the digits, rules out an ASCII line with fewer than DATE_LINE_MIN_DIGITS.
    digits = sum(map(line.count, "0123456789"))
    matches = T._DATE_LINE.match(line) is not None
    if line.isascii() and matches:
        assert digits >= T.DATE_LINE_MIN_DIGITS
    assert T.is_date_line(line, T.word_count(line), digits) is matches


def _split_lines_oracle(text: str) -> list[tuple[str, int, int]]:
    lines = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        lines.append((raw.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), pos, pos + len(raw)))
        pos += len(raw)
    return lines


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab \t\r\né", "\r\n", *"\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"])).map("".join))
def test_split_lines_is_the_loop_over_splitlines(text: str) -> None:
    # Lines made by tuple.__new__ from C: the same Lines as the loop that built them one by one.
    lines = T.split_lines(text)
    assert [tuple(line) for line in lines] == _split_lines_oracle(text)
    assert all(type(line) is T.Line for line in lines)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab \t\r\né", "\r\n", *"\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"])).map("".join))
def test_split_columns_are_the_lines_texts_and_ends(text: str) -> None:
    # _judge_many's columns, made without a Line per line: split_lines' texts and ends.
    lines = _split_lines_oracle(text)
    assert T._split_columns(text) == ([line for line, _, _ in lines], [end for _, _, end in lines])


_WRAPPED = (
    "Shares of the company rose sharply in early\ntrading on Monday after the results, dealers said.\n\n"
    "The board said it would\n  consider a buyback of its shares\nlater in the year, without a date.\n"
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([_WRAPPED, _WRAPPED.replace("\n", "\r\n"), "Home\n", "\n", "Short line"]), max_size=6))
def test_unit_columns_are_the_paragraph_units(parts: list[str]) -> None:
    # Hard-wrapped or not, the units' texts and ends are paragraph_units', and each starts where
    # the one before ends (the columns keep no starts).
    text = "".join(parts)
    units = T.paragraph_units(T.split_lines(text))
    assert T._unit_columns(text) == ([unit.text for unit in units], [unit.end for unit in units])
    assert [unit.start for unit in units] == [0, *(unit.end for unit in units)][: len(units)]
    assert T._lines_of(*T._unit_columns(text)) == units


# A line of a text for _unit_columns_many: white space or none before it, words up to a length
# on either side of the wrap widths, a sentence end or none, white space or none after it, a break.
_WRAP_LINES = st.tuples(
    st.sampled_from(["", " ", "\t "]),
    st.sampled_from([0, 5, 38, 39, 40, 41, 60, 99, 100, 101, 120]),
    st.sampled_from(["", ".", "x"]),
    st.sampled_from(["", " ", "  \t"]),
    st.sampled_from(["\n", "\n", "\n\n", "\r\n", "\u2028", ""]),
).map(lambda parts: parts[0] + ("word " * 30)[: parts[1]] + "".join(parts[2:]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_WRAP_LINES, max_size=14).map("".join), max_size=6))
def test_unit_columns_many_are_each_texts_unit_columns(texts: list[str]) -> None:
    # The batch's columns (its texts' wrap widths ruled out over their line lengths) are each
    # text's _unit_columns, with the units stripped.
    for text, (units, ends, stripped) in zip(texts, T._unit_columns_many(texts), strict=True):
        assert (units, ends) == T._unit_columns(text)
        assert stripped == [unit.strip() for unit in units]
    wrapped = "".join(("word " * 30)[:60] + "\n" for _ in range(6))
    assert T._unit_columns_many(["Home\n", wrapped])[1].texts == T._unit_columns(wrapped)[0]


# Every month name of the pattern (in either case), numbers, words and marks around them.
_MONTH_NAMES = T._MONTHS.split("|")
_MONTH_PIECES = st.sampled_from([*_MONTH_NAMES, *(name.upper() for name in _MONTH_NAMES)])
_AROUND_PIECES = st.sampled_from(
    [" ", ", ", ".", "/", "12", "5", "2019", "1st", "Posted", "on", "(", "- ", "x", "\N{NO-BREAK SPACE}"]
)


def test_the_date_shape_near_the_end_rules_out_no_date_line() -> None:
    # The counted bytes rule a date line out where no date shape (a year, or a d.m.y date's last
    # number) is near the end: at the bound (30 characters after the date) they must not.
    dates = ["19.11.2019", "1.2.87", "1.2.198", "1/2/1987", "01/31/87", "12.5.1"]
    dates += ["May 1, 2019", "1 May 2019", "Nov. 12th, 2019"]
    tails = ["", ",", " " + "x" * 28, " " + "x" * 29, " " + "x" * 30, " 12:00 GMT", " 1.2.3", " 2019"]
    lines = [f"{head}{date}{tail}" for head in ("", "Posted ", "On ") for date in dates for tail in tails]
    lines += ["Copyright 2019 News071 Media. All rights reserved.", "Net 35.9 mln vs 30.6 mln", "Year 1986"]
    facts = T.unit_facts_many([T.split_lines("\n".join(lines))])[0]
    expected = [T._DATE_LINE.match(line) is not None for line in lines]
    assert [facts.date_line(i) for i in range(len(lines))] == expected
    assert facts.byte_rows is not None
    digits = facts.byte_rows[:, T._DIGIT_COUNT].astype(np.float64)
    assert T._flag_rows(facts.texts, facts.words, digits, facts.byte_rows)[:, 3].astype(bool).tolist() == expected
    assert 0 < expected.count(True) < len(lines)


@settings(max_examples=800, deadline=None)
@given(st.lists(_MONTH_PIECES | _AROUND_PIECES, min_size=1, max_size=12).map("".join))
def test_a_date_line_of_any_month_gets_past_the_first_test(line: str) -> None:
    # _DATE_START rules out only lines the pattern cannot match, whatever the month's language.
    assert T.is_date_line(line, T.word_count(line)) is (T._DATE_LINE.match(line) is not None)
    for name in _MONTH_NAMES:
        for date in (f"{name} 12, 2019", f"12 {name}. 2019", f"Mon, 1 {name} 2019 - news"):
            assert T.is_date_line(date, T.word_count(date)), date
