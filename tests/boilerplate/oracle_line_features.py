"""The line scorer's features as they were computed one page at a time (before text.page_features
took many pages in one pass): the oracle the batched form must equal bit for bit."""

from __future__ import annotations

from collections import Counter

import numpy as np

from cleaner.boilerplate.features import window_mean
from cleaner.boilerplate.text import (
    _BREADCRUMB,
    _BYLINE,
    _CJK,
    _COLUMN,
    _MENU_ITEM,
    _PUNCT,
    _REASON_CODE,
    _TRUNCATED,
    LINE_FEATURES,
    Line,
    UnitFacts,
    is_breadcrumb,
    is_date_line,
    is_menu_item,
    unit_facts,
)
from cleaner.record import Reason

# The columns _line_row fills directly, in the order of its values after the first seven.
_ROW_COLUMNS = [
    _COLUMN[name]
    for name in (
        "sentence_end", "starts_lower", "paragraph", "sentence", "menu_item", "breadcrumb", "date_line",
        "byline", "truncated", "rule_reason", "repeats",
    )
]  # fmt: skip


def _line_row(
    text: str, count: int, words: int, sentence_end: bool, paragraph: bool, sentence: bool, rule: int
) -> tuple[float, ...]:
    """One non-blank line's values for line_features: size, punctuation marks, digits, CJK
    characters, words, paragraph, rule code, then the _ROW_COLUMNS in order (as text.py computed
    them line by line before page_features counted characters over all lines at once)."""
    if text.isascii():
        raw = text.encode("ascii")
        size = len(raw)
        digits = size - len(raw.translate(None, b"0123456789"))
        punct = size - len(raw.translate(None, b".,;:!?"))
        menu = is_menu_item(text, words)
        crumb = is_breadcrumb(text)
        date = digits > 0 and is_date_line(text, words)
        unspaced = 0
    else:
        digits = sum(map(text.count, "0123456789"))
        punct = len(_PUNCT.findall(text))
        menu = _MENU_ITEM.match(text) is not None
        crumb = _BREADCRUMB.match(text) is not None
        date = is_date_line(text, words)
        unspaced = len(_CJK.findall(text))
    return (
        len(text), punct, digits, unspaced, words, paragraph, rule,
        sentence_end, text[0].islower(), paragraph, sentence, menu, crumb, date, _BYLINE.match(text) is not None,
        _TRUNCATED.search(text[-6:]) is not None, rule, count - 1,
    )  # fmt: skip


def line_features(
    lines: list[Line], verdicts: list[Reason | None], chrome: bool, facts: UnitFacts | None = None
) -> np.ndarray:
    """One row of LINE_FEATURES per non-blank line (blank lines are skipped: see classify_lines)."""
    if facts is None:
        facts = unit_facts(lines)
    texts = facts.texts
    rows = [i for i, text in enumerate(texts) if text]
    n = len(rows)
    out = np.zeros((n, len(LINE_FEATURES)), dtype=np.float64)
    if not n:
        return out
    col = _COLUMN
    kept_texts = [texts[i] for i in rows]
    counts = Counter(kept_texts)
    # The columns read off each line's text, built in one pass and one array (a list per
    # column costs more in conversions than the regexes themselves), then the facts.
    per_line = np.array(
        [_line_row(t, counts[t], facts.words[i], facts.sentence_end[i], facts.paragraph[i], facts.sentence[i],
                   _REASON_CODE[verdicts[i]]) for t, i in zip(kept_texts, rows, strict=True)],
        dtype=np.float64,
    )  # fmt: skip
    sizes, punct, digits, unspaced = per_line[:, 0], per_line[:, 1], per_line[:, 2], per_line[:, 3]
    words, paragraph, rule = per_line[:, 4], per_line[:, 5], per_line[:, 6]
    out[:, _ROW_COLUMNS] = per_line[:, 7:]
    out[:, col["chars_log"]] = np.log1p(sizes)
    out[:, col["words_log"]] = np.log1p(words)
    out[:, col["punct_per_word"]] = punct / np.maximum(1.0, words)
    out[:, col["digit_share"]] = digits / np.maximum(1.0, sizes)
    out[:, col["unspaced_share"]] = unspaced / np.maximum(1.0, sizes)
    page_columns(out, col, sizes, words, paragraph, rule, chrome)
    return out


def page_columns(
    out: np.ndarray,
    col: dict[str, int],
    sizes: np.ndarray,
    words: np.ndarray,
    paragraph: np.ndarray,
    rule: np.ndarray,
    chrome: bool,
) -> None:
    """The columns that read a line's neighbours and its page (shared with the per-line oracle of
    test_boilerplate_text_speed.py), filled into ``out`` from the per-line columns already there."""
    n = out.shape[0]
    out[:, col["position"]] = np.arange(n) / n
    total = max(1.0, float(sizes.sum()))
    out[:, col["char_position"]] = (np.cumsum(sizes) - sizes) / total
    logs = out[:, col["chars_log"]]
    out[1:, col["prev_chars_log"]] = logs[:-1]
    out[1:, col["prev_paragraph"]] = paragraph[:-1]
    out[1:, col["prev_rule_reason"]] = rule[:-1]
    out[:-1, col["next_chars_log"]] = logs[1:]
    out[:-1, col["next_paragraph"]] = paragraph[1:]
    out[:-1, col["next_rule_reason"]] = rule[1:]
    out[:, col["window_words_log"]] = window_mean(np.log1p(words), 3)
    out[:, col["window_paragraphs"]] = window_mean(paragraph, 3)
    out[:, col["wide_window_paragraphs"]] = window_mean(paragraph, 10)
    # Lines to the nearest paragraph line, either way (n when there is none).
    where = np.flatnonzero(paragraph)
    if len(where):
        positions = np.arange(n)
        after = np.searchsorted(where, positions)
        before = np.abs(positions - where[np.maximum(after - 1, 0)])
        nxt = np.abs(where[np.minimum(after, len(where) - 1)] - positions)
        out[:, col["paragraph_distance_log"]] = np.log1p(np.minimum(before, nxt))
    else:
        out[:, col["paragraph_distance_log"]] = np.log1p(n)
    # The run of consecutive short (non-paragraph) lines a line sits in: menus are long runs.
    run = np.zeros(n)
    start = 0
    for k in range(n + 1):
        if k == n or paragraph[k]:
            run[start:k] = k - start
            start = k + 1
    out[:, col["short_run_log"]] = np.log1p(run)
    out[:, col["page_lines_log"]] = np.log1p(n)
    out[:, col["page_chars_log"]] = np.log1p(total)
    out[:, col["page_paragraph_share"]] = float(paragraph.mean())
    out[:, col["page_kept_share"]] = float(sizes[rule == 0].sum()) / total
    out[:, col["page_cues"]] = float((rule != 0).sum())
    out[:, col["page_menu_items"]] = float(out[:, col["menu_item"]].sum())
    out[:, col["chrome"]] = chrome
