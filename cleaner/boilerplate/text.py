"""Line-level boilerplate classification for plain text (the visible text of a page, line by line).

Each line (or, in hard-wrapped text, each paragraph: see paragraph_units) gets a verdict:

1. a *cue*: the line's whole text matches a known kind of boilerplate (rules.LINE_CUES), or it
   starts a teaser ("READ MORE: ..."); a related-articles header also takes the run of short
   headline/byline lines that follows it;
2. the *article span*, only where the text shows page chrome (cue lines or a menu): the best
   run of prose lines (article_spans), the headline just above it, and a second run that
   scores close to the best; the other lines are navigation, teasers or page furniture
   (``boilerplate.short``, ``boilerplate.low_score``, or ``boilerplate.comments`` below a
   comments header);
3. everything else is kept: recall matters more than catching the last menu item.

>>> text = "Home | World\\n\\nIt rained all day in the city, and the river rose.\\nLeave a Comment\\n"
>>> [(d.reason.value, d.text) for d in classify_lines(text)]
[('boilerplate.nav', 'Home | World\\n'), ('boilerplate.comments', 'Leave a Comment\\n')]
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

import numpy as np

from cleaner.boilerplate import _aot
from cleaner.boilerplate.model import TEXT_MODEL, TreeModel, bar_levels, bars_for, level_masks, packaged
from cleaner.boilerplate.rules import JoinedLines, LineCues
from cleaner.cache import compiled
from cleaner.jit import import_numba
from cleaner.record import Drop, Reason, Unit, assemble_drop

STAGE = "boilerplate"
_WORD = re.compile(r"\w+")
_PUNCT = re.compile(r"[.,;:!?。，、！？।۔؟،]")
# Date lines ("Wednesday November 20, 2019", "19.11.2019, 08:57") repeat under teasers and
# reader comments, so they cost DATE_LINE_COST instead of SHORT_LINE_COST (tune half: 8 ->
# F1 0.930, 2 or 4 -> 0.926).
_MONTHS = (
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|januar|februar|märz|mai|juni|juli|okt|dez"
    r"|janv|févr|mars|avr|juin|juil|août|sept|déc|ene|abr|ago|dic|янв|фев|мар|апр|мая|июн|июл|авг|сен|окт|ноя|дек"
)
_DATE_LINE = compiled(
    rf"(?i)^\W*(?:\w+,?\s+)?(?:\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}|(?:{_MONTHS})\w*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\.?\s+(?:{_MONTHS})\w*\.?,?\s+\d{{4}})\b.{{0,30}}$"
)
DATE_LINE_COST = 8.0
# A date line holds at most this many words (runs of \w): one before the date, the date's three
# numbers or names, and at most 15 in the 30 characters after it (the date ends a word, so
# they start with a non-word character). A longer line is no date line, without running the
# pattern (1.2 us a line, most of it on the long lines of prose that hold a figure);
# tests/boilerplate/test_boilerplate_text_speed.py matches a line at the bound.
DATE_LINE_MAX_WORDS = 19
# A date line holds at least this many digits: each of the pattern's dates does (1.2.87 four,
# "May 1, 2019" and "1 May 2019" five), so an ASCII line with fewer (\d is 0-9 there) is no
# date line, without running the pattern (tests/boilerplate/test_boilerplate_text_speed.py
# checks it on lines built from dates).
DATE_LINE_MIN_DIGITS = 4
# Sentence ends; ")" and "]" are left out: "Week 12 power rankings (133)" is a headline. A
# colon counts: "You will need:" opens what follows (tune half: recall 0.962 -> 0.971).
_SENTENCE_END = re.compile(r"[.!?…。！？।۔؟:»”\"']\s*$")
# The characters of _SENTENCE_END: a stripped line ends like a sentence when its last one is one.
_SENTENCE_END_CHARS = frozenset(".!?…。！？।۔؟:»”\"'")
# "Home | World", "News › Europe", "Tsarizm / Eastern Europe": short items joined by separators.
# Each item starts with a letter and holds only words, so "P(A | B) = P(B | A)" is no breadcrumb.
_CRUMB = r"[^\W\d_][\w .,'’&-]{0,29}"
_BREADCRUMB = compiled(rf"^\s*{_CRUMB}(?:\s+[|›»>/\\·•]\s+{_CRUMB}){{1,8}}\s*$")


# "By Jane Doe", "Von Max Muster", "Par ...", "Por ...", "Автор: ...": who wrote it, not what.
_BYLINE = re.compile(r"(?i)^\W*(?:by|von|par|por|автор:?|posted by|written by)\s+\S.{0,60}$")
# Chinese and Japanese run words together: two of their characters count as one word.
_CJK = compiled(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A blurb cut short ("... may soon...") points to another page.
_TRUNCATED = re.compile(r"(?:\.\.\.|…|\[(?:\.\.\.|…)\])\s*$")
# What _TRUNCATED finds at the end of a line that does not end in white space.
_TRUNCATED_ENDINGS = ("...", "…", "[...]", "[…]")


def is_truncated(line: str) -> bool:
    """``_TRUNCATED.search(line[-6:])``: a line that ends in an ellipsis. Without white space at
    its end (every stripped unit), the line's last characters say it, without the pattern.

    >>> is_truncated("Read more..."), is_truncated("more […] "), is_truncated("Done.")
    (True, True, False)
    """
    if line[-1:].isspace():
        return _TRUNCATED.search(line[-6:]) is not None
    return line.endswith(_TRUNCATED_ENDINGS)


_ASCII_DIGIT = re.compile("[0-9]")  # \d on an ASCII line (see is_date_line)
# What any _DATE_LINE match starts with, with its flags: its first or second word, then one of
# its dates' first steps (one or two digits, then "." or "/" and a digit, or a space and a
# month's first letter; or a month and a space and a digit). Every month's name in _MONTHS is
# word characters after its first letter, so a line this does not match is no date line. On the
# text dump 7,261 of the 30,333 lines the scorer's columns ask about get past it, 8 dates among them.
_MONTH_FIRSTS = "".join(sorted({month[0] for month in _MONTHS.split("|")}))
_DATE_START = compiled(
    rf"(?i)^\W*(?:\w+,?\s+)?(?:\d{{1,2}}(?:[./]\d|\.?\s+[{_MONTH_FIRSTS}])|[{_MONTH_FIRSTS}]\w*\.?\s+\d)"
)
# On an ASCII line ``\w`` is [A-Za-z0-9_]: those bytes become "a", every other byte a space, and
# bytes.split counts the runs, all in C (tests/boilerplate/test_boilerplate_text_speed.py checks
# the table against the regex over every ASCII code point).
_ASCII_WORD_RUNS = bytes(0x61 if chr(b).isalnum() or b == 0x5F else 0x20 for b in range(256))


def is_date_line(text: str, words: int, digits: float | None = None) -> bool:
    """A date line (_DATE_LINE), given the line's word_count (at least its runs of \\w) and,
    where the caller counted them already, its ASCII digits.

    >>> is_date_line("Wednesday November 20, 2019", 4), is_date_line("Page 12", 2)
    (True, False)
    """
    if words > DATE_LINE_MAX_WORDS:
        return False
    # Every date holds a digit (DATE_LINE_MIN_DIGITS, where they are counted), and in ASCII text
    # \d is 0-9: most short lines have none, and one search for it costs a fraction of the
    # pattern's backtracking over the month names.
    if text.isascii() and (_ASCII_DIGIT.search(text) is None if digits is None else digits < DATE_LINE_MIN_DIGITS):
        return False
    # The date starts at the line's first or second word (_DATE_START): most lines with digits
    # ("Copyright 2019 ...", prices) fail that in a fraction of the month alternation's time.
    return _DATE_START.match(text) is not None and _DATE_LINE.match(text) is not None


def word_count(line: str) -> int:
    """Words in a line, counting two Chinese or Japanese characters as one.

    >>> word_count("Kindle for PC"), word_count("これが非常に困ったもの。")
    (3, 5)
    """
    if line.isascii():  # most lines: no CJK search (isascii is a flag check in CPython)
        # The runs of "a" among spaces: one after each space, and one at the start (no list of words).
        runs = line.encode("ascii").translate(_ASCII_WORD_RUNS)
        return runs.count(b" a") + runs.startswith(b"a")
    words = len(_WORD.findall(line))
    cjk = len(_CJK.findall(line))
    return max(words, cjk // 2) if cjk else words


class Line(NamedTuple):
    """One line of the input: its text without the terminator and its span with it (a named
    tuple: a page makes one per line, and a tuple is built in two thirds of a frozen dataclass's time)."""

    text: str
    start: int
    end: int


def split_lines(text: str) -> list[Line]:
    """Split text into lines that cover it exactly (terminators stay in the span).

    >>> [(x.text, x.start, x.end) for x in split_lines("a\\nbc")]
    [('a', 0, 2), ('bc', 2, 4)]
    """
    raws = text.splitlines(keepends=True)
    ends = list(itertools.accumulate(map(len, raws)))
    # Each Line made by tuple.__new__ from C (the named tuple's own __new__ is a Python function):
    # a fifth less time on the text dump's 236,019 lines.
    texts = map(str.rstrip, raws, itertools.repeat(_LINE_ENDS))
    starts = itertools.chain((0,), ends)  # one more than the lines: the last end starts nothing
    return list(map(tuple.__new__, itertools.repeat(Line), zip(texts, starts, ends, strict=False)))


_LINE_ENDS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines ends a line at


def _split_columns(text: str) -> tuple[list[str], list[int]]:
    """split_lines of ``text`` as columns: each line's text and its end (a line starts where the
    one before ends). Without a Line per line (a tuple each, a third of split_lines' time on the
    text dump): where every line ends with a one-character break (all but the texts with
    "\\r\\n"), its text is str.splitlines' and its end one more than the sum of the lengths so far.

    >>> _split_columns("a\\nbc"), _split_columns("a\\r\\nb\\n")
    ((['a', 'bc'], [2, 4]), (['a', 'b'], [3, 5]))
    """
    texts = text.splitlines()
    lengths = list(map(len, texts))
    # The lines that end with a break: all but the last where the text does not end with one.
    ended = len(texts) - (text[-1:] not in _LINE_ENDS) if texts else 0
    if len(text) - sum(lengths) != ended:  # some break of two characters ("\r\n")
        lines = split_lines(text)
        return list(map(_LINE_TEXT, lines)), list(map(_LINE_END, lines))
    ends = list(map(operator.add, itertools.accumulate(lengths), itertools.count(1)))
    if ended < len(texts):
        ends[-1] -= 1
    return texts, ends


def _lines_of(texts: list[str], ends: list[int]) -> list[Line]:
    """The Lines of columns (_split_columns, _unit_columns): each starts where the one before ends."""
    return list(map(Line, texts, itertools.chain((0,), ends), ends))


def is_paragraph(line: str) -> bool:
    """A line that reads like article prose: ten words ending like a sentence, or 25 words
    with some punctuation; a blurb cut short with "..." is not prose. (Sentence-length
    thresholds: re-check with the benchmark's text mode, tune half, before changing.)

    >>> is_paragraph("It rained all day in the city, and the river rose by a metre before dark.")
    True
    >>> is_paragraph("Related articles")
    False
    """
    return _paragraph(line, word_count(line), _SENTENCE_END.search(line) is not None)


def _paragraph(line: str, words: int, sentence_end: bool) -> bool:
    """is_paragraph, given the line's word count and whether it ends like a sentence."""
    if words < 10 or is_truncated(line):
        return False
    if sentence_end:
        return True
    # A long line without sentence punctuation is a tag cloud or a menu flattened into one
    # line; prose has a comma or stop every few dozen words.
    return words >= 25 and len(_PUNCT.findall(line)) >= words / 40


# Span scoring: a paragraph line adds its word count, any other non-blank line costs
# SHORT_LINE_COST, so a few headings or a caption between paragraphs stay inside the span
# while a menu of fifty one-word lines does not. Re-check with the benchmark's text mode
# (tune half only) before changing.
SHORT_LINE_COST = 2.0
# Teaser blurbs under related headlines read like prose too, but are short: each paragraph
# line counts this many words less, so a run of long paragraphs beats a run of blurbs.
PARAGRAPH_DISCOUNT = 10.0
# A paragraph "alone" between lines that are not sentences (headline, blurb, byline, date)
# weighs this much, once the page has ISOLATION_MIN_CONNECTED paragraphs with prose beside
# them. Tune-half grid: 1.0 -> F1 0.909, 0.6 -> 0.911, 0.4 -> 0.916, 0.25 -> 0.917 (recall
# starts to fall), 0.15 -> 0.905.
ALONE_WEIGHT = 0.4
# A comments header costs this much (not a hard wall: a stray "Comments" label inside an
# article must not cut it in two). Tune half: a hard wall and 100 score the same.
COMMENTS_WALL_COST: float | None = 100.0
# See article_spans; on the tune half no page has a second run above 0.4 of the best, so this
# costs nothing there and guards recall on pages where the scoring is unsure.
SECOND_RUN_SHARE = 0.5
# The k-th short line in a row costs (1 + k * GAP_GROWTH) times SHORT_LINE_COST: a heading
# between paragraphs is cheap, a fifty-line menu between an article and a teaser list is a
# wall. Tune-half grid (growth, cost): (0, 4) 0.923, (0.1, 3) 0.926, (0.2, 2) 0.926 with the
# best recall, (0.2, 4) 0.922.
GAP_GROWTH = 0.2
ISOLATION_MIN_CONNECTED = 3
# The article span only drops lines of texts that show page chrome: at least CHROME_MIN_CUES
# cue lines or CHROME_MIN_MENU_ITEMS menu-like lines (one to four words, letters only). 176
# of the 181 benchmark pages show it; none of 5,500 Reuters newswire stories do (their
# short lines are tables and headings, which must stay).
CHROME_MIN_CUES = 2
CHROME_MIN_MENU_ITEMS = 5
_FIGURES = re.compile(r"^(?=(?:\D*\d){4})[^\n]{0,200}$")  # a row with four digits or more
# (Not indented: an indented short line is a list item in a plain-text document.)
_MENU_ITEM = re.compile(r"^[^\W\d_]+(?:[ \-'’&][^\W\d_]+){0,3}\s*$")
# Hard-wrapped text (see paragraph_units): at least this many lines, wrapped at most this wide.
# (A menu of one-word lines is not wrapped text: wrapping happens at 40 characters or more.)
WRAP_MIN_LINES = 3
WRAP_MIN_WIDTH = 40
WRAP_MAX_WIDTH = 100
# A colon-introduced list (see _list_items) takes at most this many lines.
LIST_MAX_ITEMS = 30
# A sentence-like line: this many words and a sentence end (see is_sentence).
SENTENCE_MIN_WORDS = 2
# A bare related-articles header takes at most this many following short lines (headlines
# and their bylines); a longer run is more likely a list that belongs to the article.
RELATED_RUN = 10
# Heading-like lines (a title, a video headline) kept just above the span: at most this many
# non-blank lines up, and this many words. Headlines are content, though the extraction
# benchmark's annotations leave them out (tune half: lookback 0 -> F1 0.950, 1 -> 0.946,
# 2 -> 0.940, 3 -> 0.934); 2 keeps the seeds' headline above a video title.
TITLE_LOOKBACK = 2
TITLE_MAX_WORDS = 25


@dataclass(slots=True)
class UnitFacts:
    """What the rules read of each unit, computed once per unit (the steps below would otherwise
    count the same words again and again): the text without surrounding space, its word count,
    whether it ends like a sentence, reads as a paragraph (is_paragraph) or as a sentence
    (is_sentence). Blank units: "", 0 and False. ``dates`` remembers is_date_line of the units
    the rules asked about (None: not asked yet; see date_line): the span scoring, the headline
    check and the scorer's features each ask about many of the same lines (unit_facts_many sets
    it False up front where the line's counts rule a date out). ``crumbs``: whether is_breadcrumb
    may hold, False where the unit's counted bytes rule it out (an ASCII line without one of the
    pattern's separators right after white space: _SPACED_CRUMBS, as _flag_rows reads it), so
    the cue verdicts and the headline check ask only about the others (89,252 calls on the text
    dump before, 6,546 breadcrumbs). ``byte_rows``: the
    _byte_facts of its non-blank units, in order (None where a unit holds a line break of its
    own), which page_features reads instead of counting the bytes again. ``colons``: whether a
    unit may end with a colon (False where the counted bytes rule it out), so _list_items looks
    for a list only on those pages. ``repeated``: whether a non-blank text may be on the page
    twice (False where no two of its units have the same counted bytes), so the span scoring and
    the scorer's columns count its texts only on those pages. (Not frozen: a batch
    makes one per page, a frozen one's __init__ took three times as long, 2.3 against 0.8 us,
    and ``dates`` changes anyway.)

    >>> facts = unit_facts(split_lines("Home\\n\\nThe report was quickly removed.\\n"))
    >>> facts.words, facts.sentence, facts.date_line(0)
    ([1, 0, 5], [False, False, True], False)
    """

    texts: list[str]
    words: list[int]
    sentence_end: list[bool]
    paragraph: list[bool]
    sentence: list[bool]
    dates: list[bool | None]
    crumbs: list[bool]
    byte_rows: np.ndarray | None = field(default=None, compare=False)
    colons: bool = True
    repeated: bool = True

    def date_line(self, i: int) -> bool:
        """is_date_line of unit ``i`` (non-blank), remembered."""
        known = self.dates[i]
        if known is None:
            known = self.dates[i] = is_date_line(self.texts[i], self.words[i])
        return known


def unit_facts(lines: list[Line]) -> UnitFacts:
    """The UnitFacts of ``lines``."""
    return unit_facts_many([lines])[0]


def unit_facts_many(pages: Sequence[list[Line]]) -> list[UnitFacts]:
    """unit_facts of each page (see _unit_facts_batch)."""
    return _unit_facts_batch([list(map(_LINE_TEXT, lines)) for lines in pages])[0]


def _unit_facts_batch(
    pages: Sequence[list[str]], stripped: Sequence[list[str]] | None = None
) -> tuple[list[UnitFacts], _FlatFacts | None]:
    """unit_facts of each page (the texts of its units; ``stripped``: those stripped, where the
    caller has them), and the _FlatFacts of their non-blank
    units (None where a unit holds a line break of its own), the words of all their ASCII lines
    counted in one pass over their bytes (a word_count call per line was half the cost of the
    facts; the bytes go on to LineCues.judge_pages in the _FlatFacts), and each column of facts
    worked out for the non-blank units of all pages at once (_flat_facts): a page without blank
    units (all but a few of the text dump's) takes its stretch of each, the others are filled
    in unit by unit."""
    page_texts = [list(map(str.strip, texts)) for texts in pages] if stripped is None else stripped
    flat = list(filter(None, itertools.chain.from_iterable(page_texts)))
    word_counts, byte_rows, joined = _word_counts(flat)
    word_column, end_column, paragraph_column, sentence_column, date_column, arrays = _flat_facts(
        flat, word_counts, byte_rows
    )
    crumb_column: list[bool] = (
        [True] * len(flat)
        if byte_rows is None
        else ((byte_rows[:, _SPACED_CRUMBS] > 0) | (byte_rows[:, _WIDE] > 0)).tolist()
    )
    out = []
    units_per_page = [len(texts) - texts.count("") for texts in page_texts]
    # The pages with a unit that ends with a colon (its last byte, in UTF-8): on the text dump 152
    # of 13,148, the only ones where _list_items looks for a list.
    colon_pages = [True] * len(page_texts)
    if byte_rows is not None:
        colon_rows = np.flatnonzero(byte_rows[:, _LAST] == 0x3A)
        colon_pages = [False] * len(page_texts)
        for page in np.searchsorted(np.cumsum(units_per_page), colon_rows, side="right").tolist():
            colon_pages[page] = True
    repeat_pages = [True] * len(page_texts) if byte_rows is None else _repeat_pages(byte_rows, units_per_page)
    at = 0  # the first row of the page's non-blank units in the flat columns and byte_rows
    for texts, units, colons, repeated in zip(page_texts, units_per_page, colon_pages, repeat_pages, strict=True):
        stop = at + units
        words, ends = word_column[at:stop], end_column[at:stop]
        paragraph, sentence, dates = paragraph_column[at:stop], sentence_column[at:stop], date_column[at:stop]
        crumbs = crumb_column[at:stop]
        if units < len(texts):  # blank units: "", 0, False, False, False, None (never asked) and False
            words, ends = _with_blanks(texts, words, 0), _with_blanks(texts, ends, False)
            paragraph, sentence = _with_blanks(texts, paragraph, False), _with_blanks(texts, sentence, False)
            dates, crumbs = _with_blanks(texts, dates, None), _with_blanks(texts, crumbs, False)
        rows = None if byte_rows is None else byte_rows[at:stop]
        at = stop
        out.append(UnitFacts(texts, words, ends, paragraph, sentence, dates, crumbs, rows, colons, repeated))
    if arrays is None:
        return out, None
    counts, paragraphs, sentences, ruled_out = arrays
    assert joined is not None  # (byte rows come from joined lines)
    return out, _FlatFacts(counts, paragraphs, sentences, ruled_out, np.array(units_per_page, dtype=np.int64), joined)


def _repeat_pages(rows: np.ndarray, units_per_page: list[int]) -> list[bool]:
    """Whether each page (``units_per_page`` of the lines counted in ``rows``, their _byte_facts,
    one page after another) may hold a text twice: two of its lines with the same byte counts
    (their length among them), as any two copies of a text have. A key mixed from those per
    line, its page in the low bits, and the keys sorted: a key twice is a page's (a text twice
    or, rarely, two texts alike in all counts: 432 pages of the text dump's 13,148, 55 with a
    text twice). A set of each page's texts, in the span scoring and again in the scorer's
    columns, hashed every line's text."""
    key = np.zeros(len(rows), dtype=np.uint64)
    for column in range(_BYTE_FACTS):  # (the products wrap around: any mix will do)
        key = key * np.uint64(1_000_003) ^ rows[:, column].astype(np.uint64)
    pages = len(units_per_page)
    key = (key << np.uint64(32)) | np.repeat(np.arange(pages, dtype=np.uint64), units_per_page)
    key.sort()
    repeated = [False] * pages
    for page in (key[1:][key[1:] == key[:-1]] & np.uint64(0xFFFFFFFF)).tolist():
        repeated[page] = True
    return repeated


_LINE_TEXT = operator.itemgetter(0)  # Line.text, from C
_LINE_END = operator.itemgetter(2)  # Line.end
_LAST_CHARACTER = operator.itemgetter(-1)
# A unit's dates as _flat_facts starts them, by whether its counted bytes rule a date out.
_DATES_FROM_RULED_OUT = np.array([None, False], dtype=object)

_Fact = TypeVar("_Fact", int, bool, bool | None)


def _with_blanks(texts: list[str], values: list[_Fact], blank: _Fact) -> list[_Fact]:
    """``values`` (one per non-blank text of ``texts``) with ``blank`` at each blank text's place."""
    found = iter(values)
    return [next(found) if text else blank for text in texts]


class _FlatFacts(NamedTuple):
    """Columns of UnitFacts for the non-blank units of a batch of pages, one after another, as
    arrays (_flat_facts makes them when it has the units' byte rows): words, paragraph, sentence,
    whether the counted bytes rule a date line out; each page's number of non-blank units; and
    the units' texts as the JoinedLines they were counted on."""

    words: np.ndarray
    paragraph: np.ndarray
    sentence: np.ndarray
    ruled_out: np.ndarray
    units: np.ndarray
    lines: JoinedLines


def _flat_facts(
    texts: list[str], words: list[int], byte_rows: np.ndarray | None
) -> tuple[
    list[int], list[bool], list[bool], list[bool], list[bool | None],
    tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
]:  # fmt: skip
    """The facts of each of ``texts`` (non-blank, stripped; ``words`` their word_count,
    ``byte_rows`` their _byte_facts or None): words, sentence end, paragraph, sentence, and
    their dates as UnitFacts starts them; and where it has the byte rows, the columns of a
    _FlatFacts (words, paragraph, sentence, ruled out) as arrays.

    The sentence ends and words give the sentences in one array pass; an ASCII line's counted
    bytes give _paragraph's answer (a stripped line is truncated exactly when it ends with
    "...", _DOTS, unless its last byte is "]"; its marks of _PUNCT are _PUNCT_COUNT), so
    _paragraph runs only on the lines of ten words or more beyond ASCII or ending in "]".
    Dates start False where is_date_line's own first tests rule a date out over the counted
    bytes: more than DATE_LINE_MAX_WORDS words, or an ASCII line of fewer than
    DATE_LINE_MIN_DIGITS digits (on the text dump 58,329 calls in article_spans, 8 dates) or
    with no date shape near its end (_DATE_TAIL); the others None (not asked yet), so the span
    scoring, the headline check and the scorer's columns never call it on the first ones.
    """
    # _SENTENCE_END on stripped text: its last character, no search.
    ends = list(map(_SENTENCE_END_CHARS.__contains__, map(_LAST_CHARACTER, texts)))
    if byte_rows is None:  # a line with a break of its own: line by line
        paragraph = [n >= 10 and _paragraph(text, n, end) for text, n, end in zip(texts, words, ends, strict=True)]
        sentence = [n >= SENTENCE_MIN_WORDS and end for n, end in zip(words, ends, strict=True)]
        return words, ends, paragraph, sentence, [None] * len(texts), None
    count = np.array(words, dtype=np.int64)
    end = np.array(ends, dtype=bool)
    long = count >= 10
    marks = byte_rows[:, _PUNCT_COUNT]
    paragraphs = long & (byte_rows[:, _DOTS] == 0) & (end | ((count >= 25) & (marks * 40 >= count)))
    paragraph = paragraphs.tolist()
    for k in np.flatnonzero(long & ((byte_rows[:, _WIDE] > 0) | (byte_rows[:, _LAST] == 0x5D))).tolist():
        paragraphs[k] = paragraph[k] = _paragraph(texts[k], words[k], ends[k])
    sentences = (count >= SENTENCE_MIN_WORDS) & end
    sentence = sentences.tolist()
    no_date_shape = (byte_rows[:, _DIGIT_COUNT] < DATE_LINE_MIN_DIGITS) | (byte_rows[:, _DATE_TAIL] > DATE_SHAPE_TAIL)
    ruled_out = (count > DATE_LINE_MAX_WORDS) | ((byte_rows[:, _WIDE] == 0) & no_date_shape)
    dates: list[bool | None] = _DATES_FROM_RULED_OUT[ruled_out.astype(np.intp)].tolist()
    return words, ends, paragraph, sentence, dates, (count, paragraphs, sentences, ruled_out)


def _word_counts(texts: list[str]) -> tuple[list[int], np.ndarray | None, JoinedLines | None]:
    """word_count of each of ``texts`` (none empty), their _byte_facts and the JoinedLines they
    were counted on (None where a text holds a line break): on ASCII lines the runs of \\w are
    counted over the bytes of all of them joined by "\\n" (no word holds it), on the others line
    by line."""
    if not texts:
        empty = np.zeros(0, dtype=np.int64)
        lines = JoinedLines(np.zeros(0, dtype=np.uint8), empty, empty, np.zeros(0, dtype=bool))
        return [], np.zeros((0, _BYTE_FACTS), dtype=np.int64), lines
    data, starts = _joined(texts)
    if starts is None:  # a line with a break of its own
        return list(map(word_count, texts)), None, None
    rows = _byte_facts(data, starts)
    counts: list[int] = rows[:, _RUNS].tolist()
    for k in np.flatnonzero(rows[:, _WIDE]).tolist():  # (the lines beyond ASCII)
        counts[k] = word_count(texts[k])
    ends = np.append(starts[1:] - 1, data.shape[0])  # each line's end, before the "\n" after it
    return counts, rows, JoinedLines(data, starts, ends, rows[:, _WIDE] == 0)


def _cue_verdicts(lines: Sequence[object], facts: UnitFacts, cue_reasons: list[Reason | None]) -> list[Reason | None]:
    """Verdicts from cues alone: line texts (``cue_reasons``: LineCues.judge_page of them, None for
    a blank one), breadcrumbs, and teaser runs after a header (of the units ``lines``: only their
    number is read).

    Worked from the few lines that may change: the breadcrumbs among the units the facts mark
    (facts.crumbs), then the run below each bare related-articles header, found by list.index
    in C (a loop over every line, to carry the run's state, was a twentieth of the text stage).
    tests/boilerplate/test_text.py checks against the per-line form."""
    verdicts = list(cue_reasons)
    paragraph, texts, nav = facts.paragraph, facts.texts, Reason.NAV
    for i in itertools.compress(range(len(verdicts)), facts.crumbs):  # (prose is no breadcrumb)
        if verdicts[i] is None and not paragraph[i] and is_breadcrumb(texts[i]):
            verdicts[i] = nav
    related = Reason.RELATED
    headers = cue_reasons.count(related)
    if not headers:
        return verdicts
    words, n, i = facts.words, len(verdicts), -1
    for _ in range(headers):
        i = cue_reasons.index(related, i + 1)
        if words[i] > 6:
            continue
        # A bare header ("Related articles", "DON'T MISS:") takes the teaser lines below it, up
        # to RELATED_RUN of them: blank lines pass, prose and any line with a verdict end the run.
        left, j = RELATED_RUN, i + 1
        while left and j < n:
            if texts[j]:
                if verdicts[j] is not None or paragraph[j]:
                    break
                verdicts[j] = related
                left -= 1
            j += 1
    return verdicts


def article_spans(
    lines: list[Line], verdicts: list[Reason | None], facts: UnitFacts | None = None
) -> list[tuple[int, int]]:
    """First and last line index of the article body (best first), empty when nothing reads as prose.

    The best-scoring run of lines (maximum subarray): paragraphs add their words, other
    lines cost a little, longer gaps cost more, and a comments header costs a lot, so the
    discussion below an article is not taken for more article. A second run scoring at
    least SECOND_RUN_SHARE of the best is kept too: when two regions compete that closely,
    losing the article costs more than keeping a block of something else.
    """
    # Values of the candidate lines (blank and already-dropped lines are neutral).
    values: list[tuple[int, float | None]] = []  # (index, value); None marks a wall
    prose: list[bool] = []  # a paragraph
    sentence: list[bool] = []  # a paragraph or a short line that ends like a sentence
    if facts is None:
        facts = unit_facts(lines)
    texts, paragraphs, sentences, words = facts.texts, facts.paragraph, facts.sentence, facts.words
    date_line = facts.date_line
    # How often each paragraph's text is on the page (a unit's facts follow from its text: a
    # paragraph's copies are paragraphs too, so counting the paragraphs alone is enough).
    seen = Counter(itertools.compress(texts, paragraphs))
    for i, text in enumerate(texts):
        if not text:
            continue
        verdict = verdicts[i]
        if verdict is not None:
            if verdict is Reason.COMMENTS:
                values.append((i, None))
                prose.append(False)
                sentence.append(False)
            continue
        # A paragraph printed twice on one page is a teaser (slider and list), not the article.
        if paragraphs[i] and seen[text] == 1:
            values.append((i, float(words[i])))
            prose.append(True)
            sentence.append(True)
            continue
        short_sentence = sentences[i]
        values.append((i, 0.0 if short_sentence else -(DATE_LINE_COST if date_line(i) else SHORT_LINE_COST)))
        prose.append(False)
        sentence.append(short_sentence)
    # A paragraph between two lines that are not sentences is how teaser blurbs sit (headline,
    # blurb, byline); article paragraphs usually have prose next to them. The discount only
    # applies when the page has such an article body elsewhere, so a short piece whose
    # paragraphs all sit between headings keeps its full weight.
    before = [False, *sentence][:-1]  # the candidate line before is sentence-like
    after = [*sentence, False][1:]
    alone = [paragraph and not up and not down for paragraph, up, down in zip(prose, before, after, strict=True)]
    connected = prose.count(True) - alone.count(True)  # every alone line is prose
    discount_alone = connected >= ISOLATION_MIN_CONNECTED
    runs: list[tuple[float, int, int]] = []  # every run at its best end: (score, start, end)
    run_score, run_start = 0.0, -1
    gap = 0  # short lines in a row so far
    for k, (i, raw) in enumerate(values):
        if raw is not None and raw < 0:
            gap += 1
            raw *= 1.0 + gap * GAP_GROWTH
        elif raw is not None and raw > 0:
            gap = 0
        if raw is None:
            if COMMENTS_WALL_COST is None:
                run_score, run_start = 0.0, -1
                continue
            raw = -COMMENTS_WALL_COST
        value = raw
        if prose[k]:
            value = max(1.0, value - PARAGRAPH_DISCOUNT)
            if alone[k] and discount_alone:
                value *= ALONE_WEIGHT
        if run_start < 0:
            if value <= 0:
                continue
            run_score, run_start = 0.0, i
        run_score += value
        if run_score <= 0:
            run_score, run_start = 0.0, -1
        elif runs and runs[-1][1] == run_start:
            if run_score > runs[-1][0]:
                runs[-1] = (run_score, run_start, i)
        else:
            runs.append((run_score, run_start, i))
    if not runs:
        return []
    best = max(runs, key=lambda run: (run[0], -run[1]))
    others = [run for run in runs if run is not best and run[0] >= SECOND_RUN_SHARE * best[0]]
    return [(best[1], best[2])] + [(start, end) for _, start, end in others]


# The kinds of unit article_spans scores (_span_kinds), as the compiled scan reads them: not a
# candidate (blank, or dropped by a cue other than the comments header), a comments wall, a
# paragraph (its text once on the page), a short sentence, another short line, a date line.
_SKIP, _WALL, _PROSE, _SHORT_SENTENCE, _SHORT, _DATE = range(6)


def article_spans_many(pages: Sequence[tuple[list[Reason | None], UnitFacts]]) -> list[list[tuple[int, int]]]:
    """article_spans of each page (its verdicts and facts). Once numba runs in the process, each
    unit's kind is worked out for all pages' units at once (_span_kinds) and one compiled scan
    (_spans_kernel) scores the runs of every page: the per-line loops of article_spans were a
    tenth of the text stage. The same spans, the same additions in the same order
    (tests/boilerplate/test_article_spans.py)."""
    kernel = _spans_kernel() if _aot.compiled_ready() and COMMENTS_WALL_COST is not None else None
    if kernel is None or not pages:
        return [article_spans([], verdicts, facts) for verdicts, facts in pages]
    kinds, words, lengths = _span_kinds(pages)
    local = np.arange(len(kinds)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return _scan_spans(kernel, kinds, words, lengths, local)


def _scored_spans(
    verdicts: list[list[Reason | None]], facts: list[UnitFacts], flat: _FlatFacts | None, scored: list[int]
) -> list[list[tuple[int, int]]]:
    """article_spans_many of the pages ``scored`` of a batch (``verdicts`` and ``facts`` of all its
    pages), the kinds worked out on the batch's _FlatFacts where _judge_many has them: turning
    the facts' lists into arrays again cost half as much as the scan saved."""
    kernel = _spans_kernel() if _aot.compiled_ready() and COMMENTS_WALL_COST is not None else None
    if kernel is None or flat is None or not scored:
        return article_spans_many([(verdicts[k], facts[k]) for k in scored])
    units = flat.units
    firsts = np.cumsum(units) - units  # each page's first row among the non-blank units
    local = np.arange(len(flat.words)) - np.repeat(firsts, units)  # a row's unit on its page
    chosen = np.zeros(len(facts), dtype=bool)
    chosen[scored] = True
    counts = units.tolist()  # (Python ints: no numpy scalar per page)
    blanks = [k for k, page_facts in enumerate(facts) if counts[k] < len(page_facts.texts)]
    codes = [
        verdicts[k] if counts[k] == len(page_facts.texts) else list(itertools.compress(verdicts[k], page_facts.texts))
        for k, page_facts in enumerate(facts)
    ]
    for k in blanks:
        local[firsts[k] : firsts[k] + units[k]] = list(itertools.compress(range(len(facts[k].texts)), facts[k].texts))
    verdict = _bytes_column(map(_SPAN_VERDICT.__getitem__, itertools.chain.from_iterable(codes)))
    rows = np.repeat(chosen, units)
    paragraph = flat.paragraph.copy()
    for k in scored:  # A paragraph printed twice on one page is a teaser (see article_spans): not prose.
        page_facts = facts[k]
        if not page_facts.repeated:
            continue
        printed = list(itertools.compress(page_facts.texts, page_facts.paragraph))
        if len(set(printed)) < len(printed):
            seen = Counter(printed)
            first = int(firsts[k])
            for j, text in enumerate(filter(None, page_facts.texts)):
                if seen[text] > 1:
                    paragraph[first + j] = False
    free = (verdict == 0) & rows
    prose = free & paragraph
    short_sentence = free & ~prose & flat.sentence
    short = free & ~prose & ~flat.sentence
    date = np.zeros(len(verdict), dtype=bool)
    asked = np.flatnonzero(short & ~flat.ruled_out)
    if asked.size:
        pages_of = np.searchsorted(firsts, asked, side="right") - 1
        for k, page, i in zip(asked.tolist(), pages_of.tolist(), local[asked].tolist(), strict=True):
            date[k] = facts[page].date_line(i)
    kinds = np.zeros(len(verdict), dtype=np.int8)
    kinds[(verdict == 1) & rows] = _WALL
    kinds[prose] = _PROSE
    kinds[short_sentence] = _SHORT_SENTENCE
    kinds[short] = np.where(date[short], _DATE, _SHORT)
    spans = _scan_spans(kernel, kinds, flat.words.astype(np.float64), units, local)
    return [spans[k] for k in scored]


def _scan_spans(
    kernel: Any, kinds: np.ndarray, words: np.ndarray, lengths: np.ndarray, local: np.ndarray
) -> list[list[tuple[int, int]]]:
    """The compiled scan (_spans_kernel) of units of the ``kinds`` and ``words``, ``lengths`` of them
    a page, each the unit ``local`` of its page."""
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    found, counts = kernel(
        kinds, words, starts, local, SHORT_LINE_COST, DATE_LINE_COST, float(COMMENTS_WALL_COST or 0.0), GAP_GROWTH,
        PARAGRAPH_DISCOUNT, ALONE_WEIGHT, ISOLATION_MIN_CONNECTED, SECOND_RUN_SHARE,
    )  # fmt: skip
    pairs = list(zip(found[:, 0].tolist(), found[:, 1].tolist(), strict=True))
    ends = np.cumsum(counts).tolist()
    return [pairs[end - count : end] for end, count in zip(ends, counts.tolist(), strict=True)]


def _span_kinds(pages: Sequence[tuple[list[Reason | None], UnitFacts]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kind of each unit of all ``pages`` (_SKIP to _DATE) as article_spans scores it, their
    word counts, and the pages' numbers of units. The date lines are asked (UnitFacts.date_line)
    of the same units article_spans asks, so the facts remember the same answers."""
    facts = [page_facts for _, page_facts in pages]
    lengths = np.fromiter(map(len, (page_facts.texts for page_facts in facts)), dtype=np.int64, count=len(facts))
    chain = itertools.chain.from_iterable
    # Each column through bytes (a Python bool is 0 or 1): half the time of np.fromiter's.
    verdicts = _bytes_column(map(_SPAN_VERDICT.__getitem__, chain(page_verdicts for page_verdicts, _ in pages)))
    filled = _bytes_column(map(bool, chain(page_facts.texts for page_facts in facts))).view(bool)
    free = (verdicts == 0) & filled
    wall = verdicts == 1
    paragraph = _bytes_column(chain(page_facts.paragraph for page_facts in facts)).view(bool).copy()
    sentence = _bytes_column(chain(page_facts.sentence for page_facts in facts)).view(bool)
    # A paragraph printed twice on one page is a teaser (see article_spans): not prose.
    at = 0
    for page_facts, length in zip(facts, lengths.tolist(), strict=True):
        texts = page_facts.texts
        printed = list(itertools.compress(texts, page_facts.paragraph))
        if len(set(printed)) < len(printed):
            seen = Counter(printed)
            for i in itertools.compress(range(length), page_facts.paragraph):
                if seen[texts[i]] > 1:
                    paragraph[at + i] = False
        at += length
    prose = free & paragraph
    short_sentence = free & ~prose & sentence
    short = free & ~prose & ~sentence
    dates = _bytes_column(map(_DATE_CODE.__getitem__, chain(page_facts.dates for page_facts in facts)))
    unknown = dates == 2
    date = dates == 1
    asked = np.flatnonzero(short & unknown)
    if asked.size:
        page_starts = np.cumsum(lengths) - lengths
        pages_of = np.searchsorted(page_starts, asked, side="right") - 1
        for k, page, i in zip(asked.tolist(), pages_of.tolist(), (asked - page_starts[pages_of]).tolist(), strict=True):
            date[k] = facts[page].date_line(i)
    kinds = np.zeros(len(verdicts), dtype=np.int8)
    kinds[wall & filled] = _WALL
    kinds[prose] = _PROSE
    kinds[short_sentence] = _SHORT_SENTENCE
    kinds[short] = np.where(date[short], _DATE, _SHORT)
    words = np.fromiter(chain(page_facts.words for page_facts in facts), dtype=np.float64, count=len(kinds))
    return kinds, words, lengths


# _span_kinds' codes of a verdict (0: none, 1: the comments header, 2: another cue's) and of a
# remembered date line (UnitFacts.dates: 0 no, 1 yes, 2 not asked yet).
_SPAN_VERDICT = MappingProxyType({None: 0, **{reason: 1 if reason is Reason.COMMENTS else 2 for reason in Reason}})
_DATE_CODE = MappingProxyType({False: 0, True: 1, None: 2})


def _bytes_column(values: Any) -> np.ndarray:
    """Small whole numbers (0 to 255, bools among them) as an array of uint8, through bytes."""
    return np.frombuffer(bytes(values), dtype=np.uint8)


@functools.cache
def _spans_kernel() -> Any:
    """The compiled scan of article_spans_many, or None without numba (loaded once per process)."""
    ahead = _aot.kernel("text", "_spans_kernel")  # compiled when cleaner was installed
    if ahead is not None:
        return ahead
    try:
        numba = import_numba()
    except ImportError:
        return None

    # Per page: the candidates (every unit but _SKIP) in order, whether each is alone (prose
    # between two candidates that are not sentence-like), then article_spans' run scan over
    # them, with the same operations on the same doubles in the same order. Out: each page's
    # spans (best first, then the runs within SECOND_RUN_SHARE of it, in order) one page
    # after another, and their number per page.
    @numba.njit(cache=True)
    def spans(kinds, words, starts, local, short_cost, date_cost, wall_cost, growth, discount, alone_weight,
              min_connected, share):  # fmt: skip
        pages = starts.shape[0] - 1
        n = kinds.shape[0]
        found = np.empty((n, 2), dtype=np.int64)
        counts = np.zeros(pages, dtype=np.int64)
        places = np.empty(n, dtype=np.int64)  # a page's candidates
        run_scores = np.empty(n)
        run_starts = np.empty(n, dtype=np.int64)
        run_ends = np.empty(n, dtype=np.int64)
        out = 0
        for page in range(pages):
            m = 0
            for i in range(starts[page], starts[page + 1]):
                if kinds[i] != 0:
                    places[m] = i
                    m += 1
            connected = 0
            for k in range(m):
                if kinds[places[k]] == 2:
                    up = k > 0 and (kinds[places[k - 1]] == 2 or kinds[places[k - 1]] == 3)
                    down = k + 1 < m and (kinds[places[k + 1]] == 2 or kinds[places[k + 1]] == 3)
                    if up or down:
                        connected += 1
            discount_alone = connected >= min_connected
            runs = 0
            run_score, run_start = 0.0, -1
            gap = 0
            for k in range(m):
                i = places[k]
                kind = kinds[i]
                if kind == 1:
                    value = -wall_cost
                elif kind == 2:
                    gap = 0
                    value = max(1.0, words[i] - discount)
                    up = k > 0 and (kinds[places[k - 1]] == 2 or kinds[places[k - 1]] == 3)
                    down = k + 1 < m and (kinds[places[k + 1]] == 2 or kinds[places[k + 1]] == 3)
                    if discount_alone and not up and not down:
                        value *= alone_weight
                elif kind == 3:
                    value = 0.0
                else:
                    gap += 1
                    value = -(date_cost if kind == 5 else short_cost) * (1.0 + gap * growth)
                unit = local[i]
                if run_start < 0:
                    if value <= 0:
                        continue
                    run_score, run_start = 0.0, unit
                run_score += value
                if run_score <= 0:
                    run_score, run_start = 0.0, -1
                elif runs > 0 and run_starts[runs - 1] == run_start:
                    if run_score > run_scores[runs - 1]:
                        run_scores[runs - 1] = run_score
                        run_ends[runs - 1] = unit
                else:
                    run_scores[runs] = run_score
                    run_starts[runs] = run_start
                    run_ends[runs] = unit
                    runs += 1
            if runs == 0:
                continue
            first = out
            best = 0
            for r in range(1, runs):
                if run_scores[r] > run_scores[best]:
                    best = r
            found[out, 0], found[out, 1] = run_starts[best], run_ends[best]
            out += 1
            for r in range(runs):
                if r != best and run_scores[r] >= share * run_scores[best]:
                    found[out, 0], found[out, 1] = run_starts[r], run_ends[r]
                    out += 1
            counts[page] = out - first
        return found[:out], counts

    return spans


def is_sentence(line: str) -> bool:
    """A short line that still reads as a sentence: a few words and a sentence end.

    >>> is_sentence("The report was quickly removed."), is_sentence("Tsarizm Staff")
    (True, False)
    """
    return word_count(line) >= SENTENCE_MIN_WORDS and _SENTENCE_END.search(line) is not None


def _grow(facts: UnitFacts, verdicts: list[Reason | None], edge: int, step: int) -> int:
    i = edge + step
    while 0 <= i < len(verdicts):
        if facts.texts[i]:
            if verdicts[i] is not None or not facts.sentence[i]:
                break
            edge = i
        i += step
    return edge


def _looks_like_title(facts: UnitFacts, i: int) -> bool:
    """A headline or standfirst (unit ``i``): a few words, not a breadcrumb, a date or a byline."""
    text = facts.texts[i]
    return (
        3 <= facts.words[i] <= TITLE_MAX_WORDS
        and not (facts.crumbs[i] and is_breadcrumb(text))  # (the pattern backtracks for microseconds on prose)
        and not facts.date_line(i)
        and not _BYLINE.match(text)
    )


def _list_items(lines: Sequence[object], verdicts: list[Reason | None], facts: UnitFacts) -> dict[int, int]:
    """Short lines that follow a line ending with a colon, mapped to that line's index (of the
    units ``lines``: only their number is read).

    "Dynamic programming makes use of:" then "Memoization", "Optimal substructure": a list
    the text introduces, not a menu. The list ends at a blank line, a cue, a paragraph, or
    after LIST_MAX_ITEMS lines.
    """
    items: dict[int, int] = {}
    if not facts.colons:
        return items
    texts, paragraph = facts.texts, facts.paragraph
    # A unit's text ends with a colon where its stripped text does, which then ends like a
    # sentence (facts.sentence_end: the colon is one of _SENTENCE_END_CHARS): only those are looked at.
    for i in itertools.compress(range(len(lines)), facts.sentence_end):
        if verdicts[i] is not None or not texts[i].endswith(":"):
            continue
        for j in range(i + 1, min(len(lines), i + 1 + LIST_MAX_ITEMS)):
            text = texts[j]
            if not text or verdicts[j] is not None or paragraph[j] or text.endswith(":"):
                break
            items[j] = i
    return items


def _cued_verdicts(
    lines: list[str], facts: UnitFacts, cue_reasons: list[Reason | None]
) -> tuple[list[Reason | None], dict[int, int] | None, bool]:
    """A page's verdicts (of its units' texts ``lines``) as far as the cues go: the cues'
    verdicts, the list items (None where the text shows no page chrome: then only cues may drop
    anything), and whether the page's article spans are to be scored (then _span_verdicts
    finishes its verdicts)."""
    verdicts = _cue_verdicts(lines, facts, cue_reasons)
    cued = len(verdicts) - verdicts.count(None)
    listed = _list_items(lines, verdicts, facts)
    if cued < CHROME_MIN_CUES:  # the menu and its figures are counted only where the cues do not decide
        words = facts.words
        menu_items = sum(
            1
            for i, (line, verdict) in enumerate(zip(lines, verdicts, strict=True))
            if verdict is None and i not in listed and is_menu_item(line, words[i])
        )
        # Section titles of a table ("CORN", "Fob Paranagua") look like menu items; a table has
        # more rows of figures than titles.
        if menu_items < CHROME_MIN_MENU_ITEMS or menu_items <= sum(1 for line in lines if is_figures_row(line)):
            # No sign of page chrome (a newswire story, a book, a clean article): short lines
            # here are tables, lists and headings, so only cues may drop anything.
            return verdicts, None, False
    return verdicts, listed, True


def _span_verdicts(
    facts: UnitFacts, verdicts: list[Reason | None], listed: dict[int, int], spans: list[tuple[int, int]]
) -> list[Reason | None]:
    """The verdicts of a page that shows chrome, from its _cued_verdicts (``verdicts``, changed in
    place, and ``listed``) and its article_spans."""
    if not spans:
        return verdicts  # no prose at all: only cues can tell; keep the rest
    n = len(verdicts)
    first, last = spans[0]
    # A second run below a comments header after the article is the discussion, not more article.
    # (list.index compares in C, identity first; a Reason equals only itself, None no Reason. Only
    # on a page with a comments header: the ValueError of one without, its message the Reason's
    # repr in Python, cost more than the search.)
    try:
        comments_at = verdicts.index(Reason.COMMENTS, last + 1) if Reason.COMMENTS in verdicts else n
    except ValueError:
        comments_at = n
    # (Most pages have one span: no list comprehension, a function of its own in this Python.)
    others = [(start, end) for start, end in spans[1:] if start < comments_at] if len(spans) > 1 else []
    # Short closing sentences ("For a response, Newsweek contacted the ministry.") and short
    # opening ones belong to the article: grow the span over sentence-like lines, stopping
    # at the first line that is not one.
    first, last = _grow(facts, verdicts, first, -1), _grow(facts, verdicts, last, 1)
    # Keep the title-like lines just above the span (headline, standfirst).
    keep_above: set[int] = set()
    seen = 0
    for i in range(first - 1, -1, -1):
        text = facts.texts[i]
        if not text or verdicts[i] is not None:
            continue
        seen += 1
        if seen > TITLE_LOOKBACK:
            break
        if _looks_like_title(facts, i):
            keep_above.add(i)
    texts, paragraph, introducer = facts.texts, facts.paragraph, listed.get
    comments, low_score, short = Reason.COMMENTS, Reason.LOW_SCORE, Reason.SHORT  # (a line's lookups, once)
    after_comments = False  # only below the span: the lines above it are never under the comments
    # The lines outside the span, above it then below it (the span's own lines are kept).
    for i in itertools.chain(range(first), range(last + 1, n)):
        verdict = verdicts[i]
        if verdict is not None:
            if verdict is comments and i > last:
                after_comments = True
            continue
        if not texts[i] or i in keep_above:
            continue
        if others and any(start <= i <= end for start, end in others):
            continue
        introduced_by = introducer(i)
        if introduced_by is not None and (
            first <= introduced_by <= last or any(start <= introduced_by <= end for start, end in others)
        ):
            continue  # an item of a list the article introduces ("It takes two approaches:")
        verdicts[i] = comments if after_comments else low_score if paragraph[i] else short
    return verdicts


def paragraph_units(lines: list[Line]) -> list[Line]:
    """The lines, with the lines of a hard-wrapped paragraph joined into one unit.

    Web dumps have one block per line; e-mail, newswire and book text is wrapped at a fixed
    width, and a wrapped line ("share.", "Recent announcements from Moscow of") means
    nothing alone. A text is hard-wrapped when most lines sit near a common width of at
    most WRAP_MAX_WIDTH characters and most of those lines stop mid-sentence; a paragraph
    then ends at a blank line, before an indented line, or after a line that ends a
    sentence well short of the width.

    >>> text = "Shares of the company rose sharply in early\\ntrading on Monday after the results, dealers said.\\n\\n"
    >>> [u.text for u in paragraph_units(split_lines(text * 3))][:1]
    ['Shares of the company rose sharply in early trading on Monday after the results, dealers said.']
    """
    width = _wrap_width(list(map(_LINE_TEXT, lines)))
    return lines if width is None else _joined_units(lines, width)


def _unit_columns(text: str) -> tuple[list[str], list[int]]:
    """paragraph_units of split_lines(text) as columns (see _split_columns): each unit's text and end."""
    texts, ends = _split_columns(text)
    width = _wrap_width(texts)
    if width is None:
        return texts, ends
    units = _joined_units(_lines_of(texts, ends), width)
    return list(map(_LINE_TEXT, units)), list(map(_LINE_END, units))


class _UnitColumns(NamedTuple):
    """A text's units as columns (_unit_columns: each unit's text and end) and each unit's text
    stripped (the texts UnitFacts reads)."""

    texts: list[str]
    ends: list[int]
    stripped: list[str]


_LAST_SLICE = operator.itemgetter(slice(-1, None))  # a text's last character, "" for an empty one


def _unit_columns_many(texts: Sequence[str]) -> list[_UnitColumns]:
    """_unit_columns of each of ``texts``, with the units stripped, the lines of all of them
    split, stripped and measured in one pass each (a call of _split_columns and of _wrap_width per
    text, and a strip per page, were nearly a tenth of the text stage on the text dump). A text
    whose line lengths rule a wrap width out (below) and whose breaks are all one character
    (_split_columns) takes its stretch of the batch's columns; the others (345 of the text
    dump's 13,148) go through _wrap_width or _unit_columns, as one text alone.

    _wrap_width's width is the 90th percentile (its place ``k`` among the ``m`` non-blank lines)
    of the lines' lengths without trailing white space, which lie between their stripped and
    their raw lengths: more than ``m - k - 1`` stripped lengths over WRAP_MAX_WIDTH put it above,
    more than ``k`` raw ones under WRAP_MIN_WIDTH below (each of those lines is as long or as
    short without its trailing space). tests/boilerplate/test_boilerplate_text_speed.py checks
    against _unit_columns.
    """
    split = list(map(str.splitlines, texts))
    lines = list(itertools.chain.from_iterable(split))
    stripped = list(map(str.strip, lines))
    n, pages = len(lines), len(texts)
    counts = np.fromiter(map(len, split), dtype=np.int64, count=pages)
    raw = np.fromiter(map(len, lines), dtype=np.int64, count=n)
    bare = np.fromiter(map(len, stripped), dtype=np.int64, count=n)
    bounds = np.zeros(pages + 1, dtype=np.int64)  # each text's first line, and the end of the last
    np.cumsum(counts, out=bounds[1:])

    def per_text(sums: np.ndarray) -> np.ndarray:  # each text's sum of a column (its running sums)
        return sums[bounds[1:]] - sums[bounds[:-1]]

    def running(column: np.ndarray) -> np.ndarray:  # the sums before each line, and of all
        sums = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(column, out=sums[1:])
        return sums

    filled = bare > 0
    nonblank = per_text(running(filled))
    place = (nonblank - 1) * 9 // 10
    over = per_text(running(bare > WRAP_MAX_WIDTH))
    under = per_text(running(filled & (raw < WRAP_MIN_WIDTH)))
    maybe_wrapped = (nonblank >= WRAP_MIN_LINES) & (over < nonblank - place) & (under <= place)
    # _split_columns' ends: one more than the lengths so far, less one for the last line of a text
    # that does not end with a break; its test for a break of two characters.
    before = running(raw + 1)
    unended = (counts > 0) & ~np.fromiter(
        map(_LINE_ENDS.__contains__, map(_LAST_SLICE, texts)), dtype=bool, count=pages
    )
    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=pages)
    plain = sizes - (per_text(before) - counts) == counts - unended
    ends = (before[1:] - np.repeat(before[bounds[:-1]], counts)).tolist()
    out = []
    starts = bounds.tolist()
    lone = (~plain).tolist()
    for page, (text, page_lines, maybe, cut) in enumerate(
        zip(texts, split, maybe_wrapped.tolist(), unended.tolist(), strict=True)
    ):
        if lone[page] or (maybe and _wrap_width(page_lines) is not None):
            units, unit_ends = _unit_columns(text)
            out.append(_UnitColumns(units, unit_ends, list(map(str.strip, units))))
            continue
        first, stop = starts[page], starts[page + 1]
        page_ends = ends[first:stop]
        if cut:
            page_ends[-1] -= 1
        out.append(_UnitColumns(page_lines, page_ends, stripped[first:stop]))
    return out


def _wrap_width(texts: list[str]) -> int | None:
    """The width the lines of ``texts`` are hard-wrapped at (see paragraph_units), or None."""
    lengths = sorted(map(len, map(str.rstrip, filter(str.strip, texts))))
    if len(lengths) < WRAP_MIN_LINES:
        return None
    width = lengths[(len(lengths) - 1) * 9 // 10]
    if not WRAP_MIN_WIDTH <= width <= WRAP_MAX_WIDTH:
        return None
    # Wrapped text breaks lines mid-sentence; one-block-per-line text ends them with a stop.
    full = [text.rstrip() for text in texts if len(text.rstrip()) >= 0.5 * width]
    broken = sum(1 for body in full if _SENTENCE_END.search(body) is None)
    if len(full) < 0.5 * len(lengths) or broken < 0.5 * len(full):
        return None
    return width


def _joined_units(lines: list[Line], width: int) -> list[Line]:
    """The units of hard-wrapped ``lines`` (wrapped at ``width``: see paragraph_units)."""
    units: list[Line] = []
    group: list[Line] = []

    def close() -> None:
        if group:
            joined = " ".join(part.text.strip() for part in group)
            units.append(Line(joined, group[0].start, group[-1].end))
            group.clear()

    for line in lines:
        body = line.text.rstrip()
        if not body.strip():
            close()
            units.append(line)
            continue
        if group:
            previous = group[-1].text.rstrip()
            ended = len(previous) < 0.8 * width and _SENTENCE_END.search(previous) is not None
            if ended or body[:1] in (" ", "\t"):
                close()
        group.append(line)
    close()
    return units


# Features of the learned line scorer (model.TEXT_MODEL), one row per line; the order is part of
# the model: append only. The rules' verdict is a feature, as in the HTML scorer.
LINE_FEATURES: tuple[str, ...] = (
    "chars_log", "words_log", "sentence_end", "punct_per_word", "digit_share", "unspaced_share",
    "starts_lower", "paragraph", "sentence", "menu_item", "breadcrumb", "date_line", "byline", "truncated",
    "rule_reason", "position", "char_position", "repeats", "prev_chars_log", "prev_paragraph",
    "prev_rule_reason", "next_chars_log", "next_paragraph", "next_rule_reason", "window_words_log",
    "window_paragraphs", "wide_window_paragraphs", "paragraph_distance_log", "short_run_log",
    "page_lines_log", "page_chars_log", "page_paragraph_share", "page_kept_share", "page_cues",
    "page_menu_items", "chrome",
)  # fmt: skip
_REASON_CODE = {reason: code for code, reason in enumerate((None, *Reason))}
_COLUMN = MappingProxyType({name: j for j, name in enumerate(LINE_FEATURES)})
# The columns _line_flags fills, in the order of its values.
_FLAG_COLUMNS = [
    _COLUMN[name] for name in ("starts_lower", "menu_item", "breadcrumb", "date_line", "byline", "truncated")
]
_DIGITS = "0123456789"
# Bytes that are ASCII digits / the ASCII punctuation of _PUNCT (per byte value): counted over a
# batch's lines in one pass (in UTF-8 the bytes of other characters are all 0x80 or more).
_DIGIT_BYTES = np.zeros(256, dtype=np.int64)
_DIGIT_BYTES[list(b"0123456789")] = 1
_PUNCT_BYTES = np.zeros(256, dtype=np.int64)
_PUNCT_BYTES[list(b".,;:!?")] = 1


def _line_flags(text: str, words: int, digits: float) -> tuple[bool, bool, bool, bool, bool, bool]:
    """A non-blank line's pattern columns for line_features, in the order of _FLAG_COLUMNS, given
    its word_count and its count of ASCII digits (an ASCII line of fewer than
    DATE_LINE_MIN_DIGITS is no date line)."""
    return (
        text[0].islower(), is_menu_item(text, words), is_breadcrumb(text), is_date_line(text, words, digits),
        _BYLINE.match(text) is not None, is_truncated(text),
    )  # fmt: skip


# Per byte value, for _flag_rows: an ASCII letter, digit or "_" (\w on ASCII); a lower-case ASCII
# letter; a breadcrumb separator (is_breadcrumb's); white space (str.isspace, what \s and strip()
# take) or any byte of a character beyond ASCII (all 0x80 or more in UTF-8).
_WORD_BYTES = np.array([chr(b).isalnum() or b == 0x5F if b < 0x80 else False for b in range(256)])
_LOWER_BYTES = np.array([ord("a") <= b <= ord("z") for b in range(256)])
_CRUMB_BYTES = np.array([b in b"|>/\\" for b in range(256)])
_SPACE_OR_WIDE_BYTES = np.array([b >= 0x80 or chr(b).isspace() for b in range(256)])
_BYLINE_FIRST = np.array([chr(b) in "bBpPvVwW" for b in range(256)])  # by, von, par, por, posted, written
_ASCII_LETTER_BYTES = np.array([b < 0x80 and chr(b).isalpha() for b in range(256)])  # [^\W\d_] on ASCII


def _flag_rows(
    texts: list[str],
    words: list[int],
    digits: np.ndarray,
    byte_rows: np.ndarray | None = None,
    dates: list[bool | None] | None = None,
) -> np.ndarray:
    """``_line_flags`` of each of ``texts`` (non-blank and stripped; ``words`` their word_count, ``digits``
    their ASCII digits, ``byte_rows`` their _byte_facts where the caller has them, ``dates``
    their is_date_line where the rules asked already: UnitFacts.dates), as rows of floats:
    what no line can match is ruled out over the bytes of all lines at once, and each flag is
    computed line by line only where it may hold (on a page of prose that is a few lines in
    ten, where the six checks of every line were a tenth of the text stage).

    Each test only rules out what the flag's own pattern cannot match on an ASCII line: its
    first byte no lower-case letter (starts_lower), no separator right after white space (is_breadcrumb:
    _BREADCRUMB has ``\\s+`` before each; on the text dump it ran on the 23,394 lines with a
    separator, and now on the 6,546 with one after a space, all breadcrumbs), more than
    DATE_LINE_MAX_WORDS words, fewer than DATE_LINE_MIN_DIGITS digits or no date shape near the end
    (_DATE_TAIL: is_date_line), a
    first byte that is a word character and
    starts none of the byline words (_BYLINE: ``\\W*`` matches nothing then), and a line that
    ends neither with "...", "]" nor white space nor a character beyond ASCII (_TRUNCATED:
    "...", "…" or "]", then white space).
    An ASCII line's menu_item is read off its bytes alone (_MENU_ITEM on a stripped ASCII line:
    letters only, but for at most three joins " ", "-", "'" or "&", none beside another, and a
    letter at each end): on the text dump the pattern ran on 30,543 lines, 22,736 menu items.
    tests/boilerplate/test_line_features_batch.py checks the rows against the per-line form.
    """
    n = len(texts)
    counted = _byte_facts_of(texts) if byte_rows is None else byte_rows
    if counted is None:  # a line with a break of its own: line by line
        return np.array(list(map(_line_flags, texts, words, digits.tolist())), dtype=np.float64).reshape(-1, 6)
    wide = counted[:, _WIDE] > 0  # lines beyond ASCII
    first_byte, last_byte = counted[:, _FIRST], counted[:, _LAST]
    count = np.array(words)
    maybe = (
        wide | _LOWER_BYTES[first_byte],
        wide,  # (an ASCII line's menu_item is known from its bytes: below)
        wide | (counted[:, _SPACED_CRUMBS] > 0),
        (count <= DATE_LINE_MAX_WORDS)
        & (wide | ((digits >= DATE_LINE_MIN_DIGITS) & (counted[:, _DATE_TAIL] <= DATE_SHAPE_TAIL))),
        wide | ~_WORD_BYTES[first_byte] | _BYLINE_FIRST[first_byte],
        (last_byte == 0x5D) | _SPACE_OR_WIDE_BYTES[last_byte] | (counted[:, _DOTS] > 0),
    )
    known = dates if dates is not None else [None] * n
    checks = (
        lambda k: texts[k][0].islower(),
        lambda k: is_menu_item(texts[k], words[k]),
        lambda k: is_breadcrumb(texts[k]),
        # (An ASCII line gets here with DATE_LINE_MIN_DIGITS digits or more: no search for one.)
        lambda k: is_date_line(texts[k], words[k], DATE_LINE_MIN_DIGITS) if known[k] is None else known[k],
        lambda k: _BYLINE.match(texts[k]) is not None,
        lambda k: is_truncated(texts[k]),
    )
    out = np.zeros((n, 6), dtype=np.float64)
    out[:, 1] = (
        ~wide
        & (counted[:, _NOT_MENU] == 0)
        & (counted[:, _JOINS] <= 3)
        & (counted[:, _JOIN_PAIRS] == 0)
        & _ASCII_LETTER_BYTES[first_byte]
        & _ASCII_LETTER_BYTES[last_byte]
    )
    for column, (check, may_hold) in enumerate(zip(checks, maybe, strict=True)):
        rows = np.flatnonzero(may_hold).tolist()
        out[rows, column] = list(map(check, rows))
    return out


def _line_char_counts(text: str) -> tuple[int, int, int]:
    """_char_counts of one line."""
    return sum(map(text.count, _DIGITS)), len(_PUNCT.findall(text)), len(_CJK.findall(text))


class _Joined(NamedTuple):
    """Lines (non-blank) joined by "\n" in UTF-8, as bytes; where each line starts (None where a
    line holds a "\n" of its own: the callers then go line by line)."""

    data: np.ndarray
    starts: np.ndarray | None


def _joined(texts: list[str]) -> _Joined:
    joined = "\n".join(texts).encode("utf-8", "surrogatepass")
    data = np.frombuffer(joined, dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(data == 0x0A) + 1))
    return _Joined(data, starts if len(starts) == len(texts) else None)


def _byte_facts_of(texts: list[str]) -> np.ndarray | None:
    """_byte_facts of ``texts`` (none empty), or None where one holds a line break of its own."""
    data, starts = _joined(texts)
    return None if starts is None else _byte_facts(data, starts)


# The columns of _byte_facts: per line, its runs of ASCII word bytes (\w), its ASCII digits, its
# ASCII marks of _PUNCT, its breadcrumb separators (_CRUMB_BYTES), its bytes beyond ASCII (of
# characters beyond it), its first and last byte, whether it ends with "...", its breadcrumb
# separators right after an ASCII white space (\s) of the line; its bytes that are neither an
# ASCII letter nor one of _MENU_ITEM's ASCII joins (" ", "-", "'", "&"), its joins, and its
# joins right after a join.
_RUNS, _DIGIT_COUNT, _PUNCT_COUNT, _CRUMBS, _WIDE, _FIRST, _LAST, _DOTS, _SPACED_CRUMBS = range(9)
_NOT_MENU, _JOINS, _JOIN_PAIRS = 9, 10, 11
# And, on a line of DATE_LINE_MIN_DIGITS digits or more and at most DATE_LINE_MAX_WORDS runs of
# word bytes, the bytes after its last date shape: a digit that ends four in a row, or one after
# digit, "." or "/", digits, "." or "/" (_NO_DATE_SHAPE where it has none, or is not asked). An
# ASCII line with more than DATE_SHAPE_TAIL bytes after it is no date line: _DATE_LINE's date
# ends with a year of four digits (a shape's end) or a d.m.y date's last number, of at most
# three digits then (two follow its first, the shape's end), and at most 30 characters follow
# the date. On the text dump 1,572 of the 30,333 lines is_date_line ran on have one nearer the
# end, the 8 dates among them.
_DATE_TAIL = 12
_BYTES = 13  # and its length in bytes (in characters on an ASCII line: page_features' sizes)
_BYTE_FACTS = 14
DATE_SHAPE_TAIL = 32
_NO_DATE_SHAPE = 1 << 40
# The byte classes _byte_facts counts, one bit each, per byte value.
_WORD_BIT, _DIGIT_BIT, _PUNCT_BIT, _CRUMB_BIT, _WIDE_BIT, _SPACE_BIT, _MENU_BIT, _JOIN_BIT = 1, 2, 4, 8, 16, 32, 64, 128
_JOIN_BYTES = np.array([b in b" -'&" for b in range(256)])
_BYTE_CLASSES = (
    _WORD_BYTES * _WORD_BIT + (_DIGIT_BYTES > 0) * _DIGIT_BIT + (_PUNCT_BYTES > 0) * _PUNCT_BIT
    + _CRUMB_BYTES * _CRUMB_BIT + (np.arange(256) >= 0x80) * _WIDE_BIT
    + np.array([b < 0x80 and chr(b).isspace() for b in range(256)]) * _SPACE_BIT
    + (_ASCII_LETTER_BYTES | _JOIN_BYTES) * _MENU_BIT + _JOIN_BYTES * _JOIN_BIT
).astype(np.uint8)  # fmt: skip


def _byte_facts(data: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The byte counts of each line of ``data`` (lines joined by "\\n", each starting at
    ``starts``: a _Joined's, where it knows them) that the line scorer's
    features and the word counts read, as rows of int64 (columns _RUNS to _BYTES).

    Once numba runs in the process (the line scorer and the signals stage start it on a large
    input), one compiled pass over the bytes (_byte_facts_kernel: the batch's bytes were a
    dozen numpy passes, a tenth of the text stage); before, the numpy passes. The same counts.
    """
    kernel = _byte_facts_kernel() if _aot.compiled_ready() else None
    if kernel is not None:
        rows: np.ndarray = kernel(data, starts, _BYTE_CLASSES)
        return rows
    return _byte_facts_numpy(data, starts)


def _byte_facts_numpy(data: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """_byte_facts with numpy passes over the bytes."""
    rows = np.empty((len(starts), _BYTE_FACTS), dtype=np.int64)
    classes = _BYTE_CLASSES.take(data)
    word = (classes & _WORD_BIT) > 0
    begins = word.copy()
    begins[1:] &= ~word[:-1]  # a word byte after one that is not
    rows[:, _RUNS] = np.add.reduceat(begins, starts, dtype=np.int64)
    counted = ((_DIGIT_COUNT, _DIGIT_BIT), (_PUNCT_COUNT, _PUNCT_BIT), (_CRUMBS, _CRUMB_BIT), (_WIDE, _WIDE_BIT))
    for column, bit in counted:
        rows[:, column] = np.add.reduceat((classes & bit) > 0, starts, dtype=np.int64)
    last = np.append(starts[1:] - 2, len(data) - 1)  # each line's last byte
    rows[:, _FIRST] = data[starts]
    rows[:, _LAST] = data[last]
    dots = data[np.maximum(last - 2, 0)] == 0x2E
    dots &= data[np.maximum(last - 1, 0)] == 0x2E
    rows[:, _DOTS] = dots & (data[last] == 0x2E) & (last - starts >= 2)
    spaced = np.zeros(len(data), dtype=bool)  # a separator after white space (not the "\n" before the line)
    spaced[1:] = ((classes[1:] & _CRUMB_BIT) > 0) & ((classes[:-1] & _SPACE_BIT) > 0)
    spaced[starts] = False
    rows[:, _SPACED_CRUMBS] = np.add.reduceat(spaced, starts, dtype=np.int64)
    rows[:, _NOT_MENU] = np.add.reduceat((classes & _MENU_BIT) == 0, starts, dtype=np.int64)
    rows[:-1, _NOT_MENU] -= 1  # (the "\n" after each line but the last is no byte of it)
    joins = (classes & _JOIN_BIT) > 0
    rows[:, _JOINS] = np.add.reduceat(joins, starts, dtype=np.int64)
    pairs = np.zeros(len(data), dtype=bool)  # a join after a join (not the "\n" before the line: no join)
    pairs[1:] = joins[1:] & joins[:-1]
    rows[:, _JOIN_PAIRS] = np.add.reduceat(pairs, starts, dtype=np.int64)
    asked = (rows[:, _DIGIT_COUNT] >= DATE_LINE_MIN_DIGITS) & (rows[:, _RUNS] <= DATE_LINE_MAX_WORDS)
    rows[:, _DATE_TAIL] = np.where(asked, _date_tails(data, starts, last), _NO_DATE_SHAPE)
    rows[:, _BYTES] = last + 1 - starts
    return rows


def _date_tails(data: np.ndarray, starts: np.ndarray, last: np.ndarray) -> np.ndarray:
    """The _DATE_TAIL column of _byte_facts_numpy (``last``: each line's last byte)."""
    n = len(data)
    digit = (data >= 0x30) & (data <= 0x39)
    sep = (data == 0x2E) | (data == 0x2F)
    after_digit = np.zeros(n, dtype=bool)  # a separator right after a digit
    after_digit[1:] = sep[1:] & digit[:-1]
    index = np.arange(n)
    # The last byte at or before each that is no digit (-1: none): the one before its run of digits.
    before_run = np.maximum.accumulate(np.where(digit, -1, index))
    shape = np.zeros(n, dtype=bool)
    shape[3:] = digit[3:] & digit[2:-1] & digit[1:-2] & digit[:-3]  # four digits in a row
    run_start = before_run[:-2]  # for the digit two bytes back: the byte before its run
    opened = (run_start >= 0) & after_digit[np.maximum(run_start, 0)]
    shape[2:] |= digit[2:] & sep[1:-1] & digit[:-2] & opened
    found = np.maximum.reduceat(np.where(shape, index, -1), starts)
    return np.where(found >= starts, last - found, _NO_DATE_SHAPE)


@functools.cache
def _byte_facts_kernel() -> Any:
    """The compiled pass of _byte_facts, or None without numba (loaded once per process)."""
    ahead = _aot.kernel("text", "_byte_facts_kernel")  # compiled when cleaner was installed
    if ahead is not None:
        return ahead
    try:
        numba = import_numba()
    except ImportError:
        return None

    @numba.njit(cache=True)
    def byte_facts(data, starts, classes):
        lines = starts.shape[0]
        rows = np.zeros((lines, 14), dtype=np.int64)
        for k in range(lines):
            begin = starts[k]
            end = starts[k + 1] - 1 if k + 1 < lines else data.shape[0]  # before the "\n" that ends it
            runs, digits, punct, crumbs, wide, spaced = 0, 0, 0, 0, 0, 0
            not_menu, joins, pairs = 0, 0, 0
            previous = 0  # the classes of the byte before (none before the line's first)
            for i in range(begin, end):
                c = int(classes[data[i]])
                runs += c & ~previous & 1
                spaced += (c >> 3) & (previous >> 5) & 1
                pairs += (c >> 7) & (previous >> 7) & 1
                not_menu += ~(c >> 6) & 1
                joins += (c >> 7) & 1
                previous = c
                digits += (c >> 1) & 1
                punct += (c >> 2) & 1
                crumbs += (c >> 3) & 1
                wide += (c >> 4) & 1
            rows[k, 0], rows[k, 1], rows[k, 2], rows[k, 3], rows[k, 4] = runs, digits, punct, crumbs, wide
            last = end - 1
            rows[k, 5] = data[begin]
            rows[k, 6] = data[last]
            rows[k, 7] = last - begin >= 2 and data[last] == 46 and data[last - 1] == 46 and data[last - 2] == 46
            rows[k, 8] = spaced
            rows[k, 9], rows[k, 10], rows[k, 11] = not_menu, joins, pairs
            rows[k, 12] = _NO_DATE_SHAPE
            rows[k, 13] = end - begin
            # (A loop of its own over the few lines asked: in the one above it tripled its time.)
            if digits >= DATE_LINE_MIN_DIGITS and runs <= DATE_LINE_MAX_WORDS:
                # The date shapes: digits in a row, whether they follow digit and separator,
                # whether the byte before was a separator after digits (1) or after such digits (2).
                run, opened, after, shape = 0, False, 0, -1
                for i in range(begin, end):
                    b = data[i]
                    if 48 <= b <= 57:
                        if after == 2:
                            shape = i
                        if after:
                            opened = True
                        after = 0
                        run += 1
                        if run >= 4:
                            shape = i
                    elif b == 46 or b == 47:
                        after = (2 if opened else 1) if run else 0
                        run, opened = 0, False
                    else:
                        run, opened, after = 0, False, 0
                if shape >= begin:
                    rows[k, 12] = last - shape
        return rows

    return byte_facts


@functools.cache
def _page_sums_kernel() -> Any:
    """The compiled running sums of _window_means, or None without numba (loaded once per process)."""
    ahead = _aot.kernel("text", "_page_sums_kernel")  # compiled when cleaner was installed
    if ahead is not None:
        return ahead
    try:
        numba = import_numba()
    except ImportError:
        return None

    @numba.njit(cache=True)
    def page_sums(values, starts, lengths):
        sums = np.empty(values.shape[0])
        for page in range(starts.shape[0]):
            total = 0.0
            for j in range(starts[page], starts[page] + lengths[page]):
                total += values[j]
                sums[j] = total
        return sums

    return page_sums


def _char_counts(texts: list[str], byte_rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Digits (0-9), punctuation marks (_PUNCT) and CJK characters of each of ``texts`` (none
    empty), as floats: the ASCII counts over the UTF-8 bytes of all of them at once
    (``byte_rows``: _byte_facts of them, where the caller has them), the other characters line
    by line where a line has any."""
    rows = _byte_facts_of(texts) if byte_rows is None else byte_rows
    if rows is None:  # a line with a break of its own (not from split_lines): one by one
        each = np.array([_line_char_counts(text) for text in texts], dtype=np.float64).reshape(-1, 3)
        return each[:, 0], each[:, 1], each[:, 2]
    digits = rows[:, _DIGIT_COUNT].astype(np.float64)
    punct = rows[:, _PUNCT_COUNT].astype(np.float64)
    unspaced = np.zeros(len(texts), dtype=np.float64)
    for k in np.flatnonzero(rows[:, _WIDE]).tolist():
        punct[k] = len(_PUNCT.findall(texts[k]))
        unspaced[k] = len(_CJK.findall(texts[k]))
    return digits, punct, unspaced


def is_menu_item(text: str, words: int) -> bool:
    """A menu-like line (_MENU_ITEM: one to four words, letters only), given its word_count.

    An ASCII line of more than four words cannot match, and the count is already known;
    elsewhere word_count may count CJK characters, so the pattern decides.

    >>> is_menu_item("Contact us", 2), is_menu_item("Page 2", 2)
    (True, False)
    """
    if words > 4 and text.isascii():
        return False
    return _MENU_ITEM.match(text) is not None


def is_figures_row(text: str) -> bool:
    """A row of a table of figures (_FIGURES: four digits or more); an ASCII line with fewer
    digits is none, counted by one translate instead of the pattern's backtracking.

    >>> is_figures_row("Net profit 12.5 mln vs 9.8 mln"), is_figures_row("Page 12")
    (True, False)
    """
    if text.isascii():
        raw = text.encode("ascii")
        if len(raw) - len(raw.translate(None, b"0123456789")) < 4:
            return False
    return _FIGURES.match(text) is not None


def is_breadcrumb(text: str) -> bool:
    """A breadcrumb line (_BREADCRUMB); an ASCII line without one of its separators right after
    white space is none. (On a printable ASCII line the only white space is " ", so the
    pattern's ``\\s+`` before a separator is a space just before it: prices and dates,
    "1-1/8", no longer run the pattern; on the text dump 6,673 of the 23,596 ASCII lines with a
    separator have one after a space, and all of them are breadcrumbs.)

    >>> is_breadcrumb("Home | World"), is_breadcrumb("Home and World"), is_breadcrumb("Rose 1-1/8 to 20")
    (True, False, False)
    """
    if text.isascii() and (
        ("|" not in text and ">" not in text and "/" not in text and "\\" not in text)
        or (text.isprintable() and " |" not in text and " >" not in text and " /" not in text and " \\" not in text)
    ):
        return False
    return _BREADCRUMB.match(text) is not None


def line_features(
    lines: list[Line], verdicts: list[Reason | None], chrome: bool, facts: UnitFacts | None = None
) -> np.ndarray:
    """One row of LINE_FEATURES per non-blank line (blank lines are skipped: see classify_lines)."""
    return page_features([(verdicts, unit_facts(lines) if facts is None else facts)], chrome)


def page_features(pages: Sequence[tuple[list[Reason | None], UnitFacts]], chrome: bool) -> np.ndarray:
    """line_features of many pages (each its verdicts and facts), their rows one after another.

    Computed for all pages at once: the per-page form spent most of its time in the overhead
    of some forty small numpy calls per page. Each value is the per-page form's, bit for bit:
    the page sums are of whole numbers (exact in any order), the one running sum of fractions
    (the word-count window) restarts on each page, and the rest are element-wise
    (tests/boilerplate/test_line_features_batch.py checks against the per-page oracle).
    """
    texts: list[str] = []  # the non-blank lines of all pages, one after another
    counts: list[int] = []  # non-blank lines per page
    repeated: list[tuple[int, list[int]]] = []  # a page with a text twice: its first row, each text's count
    word_counts: list[int] = []
    ends: list[bool] = []  # sentence_end
    paragraphs: list[bool] = []
    sentences: list[bool] = []
    rules: list[int] = []
    dates: list[bool | None] = []  # is_date_line of each line, where the rules asked already
    byte_rows: list[np.ndarray] | None = []  # their _byte_facts, where every page's facts hold them
    for verdicts, facts in pages:
        if "" not in facts.texts:  # no blank unit (most pages): each column whole
            page_texts = facts.texts
            if not page_texts:
                continue
            word_counts += facts.words
            ends += facts.sentence_end
            paragraphs += facts.paragraph
            sentences += facts.sentence
            rules += map(_REASON_CODE.__getitem__, verdicts)
            dates += facts.dates
        else:
            rows = facts.texts  # the non-blank units: a text is true when it is not empty
            page_texts = list(itertools.compress(facts.texts, rows))
            if not page_texts:
                continue
            word_counts += itertools.compress(facts.words, rows)
            ends += itertools.compress(facts.sentence_end, rows)
            paragraphs += itertools.compress(facts.paragraph, rows)
            sentences += itertools.compress(facts.sentence, rows)
            rules += map(_REASON_CODE.__getitem__, itertools.compress(verdicts, rows))
            dates += itertools.compress(facts.dates, rows)
        # A text twice (a set costs a third of a Counter), only where the facts do not rule it out.
        if facts.repeated and len(set(page_texts)) != len(page_texts):
            repeated.append((len(texts), list(map(Counter(page_texts).__getitem__, page_texts))))
        counts.append(len(page_texts))
        texts += page_texts
        if byte_rows is not None and facts.byte_rows is not None:
            byte_rows.append(facts.byte_rows)
        else:
            byte_rows = None
    n = len(texts)
    out = np.zeros((n, len(LINE_FEATURES)), dtype=np.float64)
    if not n:
        return out
    col = _COLUMN
    # The columns read off each line's text: the patterns line by line, into one array (a list
    # per column costs more in conversions), the characters counted over all lines at once
    # (unit_facts_many counted their bytes already).
    counted = _byte_facts_of(texts) if byte_rows is None else np.concatenate(byte_rows)
    digits, punct, unspaced = _char_counts(texts, counted)
    out[:, _FLAG_COLUMNS] = _flag_rows(texts, word_counts, digits, counted, dates)
    # The lists of Python bools and small whole numbers become arrays through bytes (bytes() reads
    # them in C, a quarter of np.array's time; a rule code is under 256: _REASON_CODE), the
    # others through int64 arrays (half of np.array's time to float64): the same values.
    if counted is None:
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=n).astype(np.float64)
    else:  # an ASCII line's bytes are its characters: only the others are measured
        sizes = counted[:, _BYTES].astype(np.float64)
        wide = np.flatnonzero(counted[:, _WIDE]).tolist()
        sizes[wide] = list(map(len, map(texts.__getitem__, wide)))
    words = np.array(word_counts, dtype=np.int64).astype(np.float64)
    paragraph = np.frombuffer(bytes(paragraphs), dtype=np.uint8).astype(np.float64)
    rule = np.frombuffer(bytes(rules), dtype=np.uint8).astype(np.float64)
    out[:, col["sentence_end"]] = np.frombuffer(bytes(ends), dtype=np.uint8)
    out[:, col["paragraph"]] = paragraph
    out[:, col["sentence"]] = np.frombuffer(bytes(sentences), dtype=np.uint8)
    out[:, col["rule_reason"]] = rule
    for at, repeats in repeated:  # how often each line's text is on its page, but for itself
        out[at : at + len(repeats), col["repeats"]] = np.array(repeats, dtype=np.float64) - 1.0
    # Each row's page: its first row, its number of rows, and the row's place in it.
    lengths = np.array(counts)
    starts = np.cumsum(lengths) - lengths
    page_rows = np.repeat(lengths, lengths)
    local = np.arange(n) - np.repeat(starts, lengths)
    first, last = local == 0, local == page_rows - 1
    out[:, col["chars_log"]] = np.log1p(sizes)
    out[:, col["words_log"]] = np.log1p(words)
    out[:, col["punct_per_word"]] = punct / np.maximum(1.0, words)
    out[:, col["digit_share"]] = digits / np.maximum(1.0, sizes)
    out[:, col["unspaced_share"]] = unspaced / np.maximum(1.0, sizes)
    out[:, col["position"]] = local / page_rows
    total = np.maximum(1.0, np.add.reduceat(sizes, starts))
    # Characters before each line on its page (sums of whole numbers: exact across pages too).
    before = np.cumsum(sizes) - sizes
    out[:, col["char_position"]] = (before - np.repeat(before[starts], lengths)) / np.repeat(total, lengths)
    logs = out[:, col["chars_log"]]
    for name, source in (("chars_log", logs), ("paragraph", paragraph), ("rule_reason", rule)):
        out[1:, col[f"prev_{name}"]] = source[:-1]
        out[:-1, col[f"next_{name}"]] = source[1:]
    for name in ("chars_log", "paragraph", "rule_reason"):  # nothing before a page's first line or after its last
        out[first, col[f"prev_{name}"]] = 0.0
        out[last, col[f"next_{name}"]] = 0.0
    out[:, col["window_words_log"]] = _window_means(np.log1p(words), starts, lengths, local, 3, whole=False)
    out[:, col["window_paragraphs"]] = _window_means(paragraph, starts, lengths, local, 3, whole=True)
    out[:, col["wide_window_paragraphs"]] = _window_means(paragraph, starts, lengths, local, 10, whole=True)
    # Lines to the nearest paragraph line of the page, either way (its lines when it has none).
    index = np.arange(n)
    is_paragraph = paragraph > 0
    previous = np.maximum.accumulate(np.where(is_paragraph, index, -1))  # at or before the row
    previous = np.where(previous >= index - local, previous, -1)  # on the row's page
    following = np.minimum.accumulate(np.where(is_paragraph, index, n)[::-1])[::-1]  # at or after it
    following = np.where(following < index - local + page_rows, following, -1)
    huge = np.iinfo(np.int64).max
    distance = np.minimum(
        np.where(previous >= 0, index - previous, huge), np.where(following >= 0, following - index, huge)
    )
    has_paragraph = np.repeat(np.add.reduceat(paragraph, starts) > 0, lengths)
    out[:, col["paragraph_distance_log"]] = np.where(has_paragraph, np.log1p(np.where(has_paragraph, distance, 0)),
                                                     np.log1p(page_rows))  # fmt: skip
    # The run of consecutive short (non-paragraph) lines a line sits in: menus are long runs.
    run_of = np.cumsum(is_paragraph | first)
    short = (~is_paragraph).astype(np.float64)
    run = np.bincount(run_of, weights=short)[run_of]
    out[:, col["short_run_log"]] = np.log1p(np.where(is_paragraph, 0.0, run))
    out[:, col["page_lines_log"]] = np.log1p(page_rows)
    out[:, col["page_chars_log"]] = np.repeat(np.log1p(total), lengths)
    out[:, col["page_paragraph_share"]] = np.repeat(np.add.reduceat(paragraph, starts) / lengths, lengths)
    kept = np.add.reduceat(np.where(rule == 0, sizes, 0.0), starts)
    out[:, col["page_kept_share"]] = np.repeat(kept / total, lengths)
    out[:, col["page_cues"]] = np.repeat(np.add.reduceat((rule != 0).astype(np.float64), starts), lengths)
    out[:, col["page_menu_items"]] = np.repeat(np.add.reduceat(out[:, col["menu_item"]], starts), lengths)
    out[:, col["chrome"]] = chrome
    return out


def _window_means(
    values: np.ndarray, starts: np.ndarray, lengths: np.ndarray, local: np.ndarray, radius: int, whole: bool
) -> np.ndarray:
    """features.window_mean of each page's stretch of ``values``, for all pages at once. The running
    sums restart on each page: one cumsum over all when the values are whole numbers (exact),
    one per page otherwise (a running sum of fractions rounds by where it starts): in one compiled
    loop once numba runs (_page_sums_kernel: the same additions in the same order as np.cumsum's),
    else a cumsum per page."""
    kernel = None if whole or not _aot.compiled_ready() else _page_sums_kernel()
    if whole:
        sums = np.cumsum(values)
        sums -= np.repeat(sums[starts] - values[starts], lengths)
    elif kernel is not None:
        sums = kernel(values, starts, lengths)
    else:
        pieces = zip(starts.tolist(), lengths.tolist(), strict=True)
        sums = np.concatenate([np.cumsum(values[a : a + k]) for a, k in pieces])
    page_rows = np.repeat(lengths, lengths)
    base = np.repeat(starts, lengths)
    lo = np.maximum(local - radius, 0)
    hi = np.minimum(local + radius + 1, page_rows)
    # window_mean's padded[j]: 0 before the page's first value, else the running sum through value j - 1.
    upper = sums[base + hi - 1]
    lower = np.where(lo > 0, sums[base + np.maximum(lo, 1) - 1], 0.0)
    return (upper - lower) / (hi - lo)


def judge_lines(text: str) -> tuple[list[Line], list[Reason | None], bool]:
    """The units of ``text`` (see paragraph_units), the rules' verdict per unit, and whether the
    text shows page chrome (only then may anything but a cue drop a line)."""
    lines, verdicts, chrome, _ = _judge(text, LineCues())
    return lines, verdicts, chrome


def _judge(text: str, cues: LineCues) -> tuple[list[Line], list[Reason | None], bool, UnitFacts]:
    units, ends, verdicts, chrome, facts = _judge_many([text], cues)[0]
    return _lines_of(units, ends), verdicts, chrome, facts


class _Judged(NamedTuple):
    """A text as _judge_many leaves it: its units (paragraph_units) as columns (_unit_columns: each
    unit's text and end), their verdicts, whether the text shows page chrome, and their facts."""

    texts: list[str]
    ends: list[int]
    verdicts: list[Reason | None]
    chrome: bool
    facts: UnitFacts


def _judge_many(texts: Sequence[str], cues: LineCues) -> list[_Judged]:
    """_judge of each text (its units as columns), the cues of all their lines judged together
    (LineCues.judge_pages) and the article spans of all the pages that show chrome scored
    together (article_spans_many)."""
    pages = _unit_columns_many(texts)
    facts, flat = _unit_facts_batch([page.texts for page in pages], [page.stripped for page in pages])
    cued = cues.judge_pages([page_facts.texts for page_facts in facts], None if flat is None else flat.lines)
    first = [
        _cued_verdicts(units, page_facts, page_cued)
        for (units, _, _), page_facts, page_cued in zip(pages, facts, cued, strict=True)
    ]
    scored = [k for k, (_, _, scores) in enumerate(first) if scores]
    spans = iter(_scored_spans([verdicts for verdicts, _, _ in first], facts, flat, scored))
    judged = []
    for (units, ends, _), page_facts, (verdicts, listed, scores) in zip(pages, facts, first, strict=True):
        if scores:
            assert listed is not None
            verdicts = _span_verdicts(page_facts, verdicts, listed, next(spans))
        judged.append(_Judged(units, ends, verdicts, listed is not None, page_facts))
    return judged


def classify_lines(
    text: str, model: TreeModel | None = None, learned: bool = True, cues: LineCues | None = None
) -> list[Drop]:
    """The Drops for the boilerplate lines of ``text``, with spans into it, in order.

    A hard-wrapped paragraph is judged, and dropped, as one unit (see paragraph_units). Where
    the text shows page chrome (menus, cue lines: a page's visible text), the learned line
    scorer (default: the one shipped, model.TEXT_MODEL) decides, with the rules' verdicts
    among its features; elsewhere (newswire, books, clean articles) only cues drop lines.
    A line the scorer drops keeps the rules' reason where they have one, else
    ``boilerplate.low_score`` for a paragraph and ``boilerplate.short`` for any other line.
    ``cues`` is a line-cue judge to reuse across texts (a stage keeps one per worker): the
    result is the same with or without it, only faster.
    """
    return classify_many([text], model, learned, cues)[0]


def classify_many(
    texts: Sequence[str], model: TreeModel | None = None, learned: bool = True, cues: LineCues | None = None
) -> list[list[Drop]]:
    """classify_lines of each text, with the scorer's features computed and scored for all the
    texts' pages at once (page_features): the same Drops, at a fraction of the per-page cost."""
    cues = LineCues() if cues is None else cues
    judged = _judge_many(texts, cues)
    verdicts = [page.verdicts for page in judged]
    chrome = [k for k, page in enumerate(judged) if page.chrome]
    if chrome and learned:
        if model is None:
            model = packaged(TEXT_MODEL)
        if model is not None:
            for k, page_verdicts in zip(chrome, _model_verdicts([judged[k] for k in chrome], model), strict=True):
                verdicts[k] = page_verdicts
    return [
        _drops(text, page.ends, page_verdicts)
        for text, page, page_verdicts in zip(texts, judged, verdicts, strict=True)
    ]


def _drops(text: str, ends: list[int], verdicts: list[Reason | None]) -> list[Drop]:
    """The Drops of the units (that end at ``ends``) of ``text`` with a verdict, in order."""
    drops = []
    for i in itertools.compress(range(len(verdicts)), verdicts):  # (a Reason is a non-empty string: true)
        start, end = ends[i - 1] if i else 0, ends[i]
        drops.append(assemble_drop(STAGE, verdicts[i], Unit.LINE, text[start:end], start, end, ""))
    return drops


# The verdict of each rule_reason code (_REASON_CODE's keys, in order).
_VERDICT_OF_CODE: tuple[Reason | None, ...] = tuple(_REASON_CODE)


def _model_verdicts(pages: list[_Judged], model: TreeModel) -> list[list[Reason | None]]:
    """The verdicts of pages that show chrome, once the scorer has read all their lines
    (model.level_masks: each line's score only as far as its bar needs). A page without blank
    units (all but a few) starts with no verdict and gets one at each line the scorer drops,
    found for the whole batch at once (on the text dump the scorer keeps 162,555 of 232,692
    lines, whose verdicts a loop over every line used to set to None one by one)."""
    features = page_features([(page.verdicts, page.facts) for page in pages], True)
    # Each page's non-blank units: all of them where it has no blank one (a range, no list).
    units: list[Sequence[int]] = [
        range(len(facts.texts))
        if "" not in facts.texts
        else list(itertools.compress(range(len(facts.texts)), facts.texts))
        for facts in (page.facts for page in pages)
    ]
    # Each line's bar (keep_masks' bar_levels of its verdict) by its verdict's code, the
    # rule_reason column: one gather, no list of the verdicts of all lines.
    levels = bar_levels(_VERDICT_OF_CODE, bars_for(model.meta, "other"))  # as for HTML blocks
    lengths = [len(rows) for rows in units]
    masks = level_masks(model, features, levels[features[:, _COLUMN["rule_reason"]].astype(np.intp)], lengths)
    dropped: list[int] = np.flatnonzero(~np.concatenate(masks)).tolist() if masks else []  # rows of all pages
    out: list[list[Reason | None]] = []
    at = lo = 0  # the page's first row, and its first dropped one's place in ``dropped``
    for (lines, _, verdicts, _, facts), rows, keep, length in zip(pages, units, masks, lengths, strict=True):
        stop = at + length
        hi = bisect.bisect_left(dropped, stop, lo)
        if not rows:
            out.append(verdicts)
            continue
        if type(rows) is range:
            page: list[Reason | None] = [None] * len(verdicts)  # kept lines have none, dropped ones get theirs
        else:
            page = list(verdicts)
            for i, value in zip(rows, keep.tolist(), strict=True):  # Python bools: no numpy scalar per line
                if value:
                    page[i] = None
        for row in dropped[lo:hi]:
            i = rows[row - at]
            verdict = verdicts[i]
            if verdict is None:
                # is_paragraph of the line: its facts say it, unless trailing space moves the end
                # that _TRUNCATED reads.
                text = lines[i]
                paragraph = is_paragraph(text) if text[-1:].isspace() else facts.paragraph[i]
                verdict = Reason.LOW_SCORE if paragraph else Reason.SHORT
            page[i] = verdict
        at, lo = stop, hi
        out.append(page)
    return out


def remove_spans(text: str, drops: list[Drop]) -> str:
    """The text with the spans of ``drops`` (sorted, non-overlapping) cut out.

    >>> remove_spans("abcdef", [Drop("x", Reason.NAV, Unit.LINE, "bc", 1, 3)])
    'adef'
    """
    out: list[str] = []
    pos = 0
    for drop in drops:
        assert drop.start is not None and drop.end is not None  # spans are set by classify_lines
        out.append(text[pos : drop.start])
        pos = drop.end
    out.append(text[pos:])
    return "".join(out)
