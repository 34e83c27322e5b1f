"""text.article_spans against the form it had before its loops were tightened (kept here as the oracle)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate import text as T
from cleaner.boilerplate.rules import LineCues
from cleaner.record import Reason


def oracle_article_spans(verdicts: list[Reason | None], facts: T.UnitFacts) -> list[tuple[int, int]]:
    values: list[tuple[int, float | None]] = []
    prose: list[bool] = []
    sentence: list[bool] = []
    seen = Counter(facts.texts)
    for i, text in enumerate(facts.texts):
        if not text or (verdicts[i] is not None and verdicts[i] is not Reason.COMMENTS):
            continue
        if verdicts[i] is Reason.COMMENTS:
            values.append((i, None))
            prose.append(False)
            sentence.append(False)
            continue
        paragraph = facts.paragraph[i] and seen[text] == 1
        short_sentence = not paragraph and facts.sentence[i]
        if paragraph:
            value = float(facts.words[i])
        elif short_sentence:
            value = 0.0
        else:
            value = -(T.DATE_LINE_COST if facts.date_line(i) else T.SHORT_LINE_COST)
        values.append((i, value))
        prose.append(paragraph)
        sentence.append(paragraph or short_sentence)
    alone = [
        prose[k] and not (k > 0 and sentence[k - 1]) and not (k + 1 < len(sentence) and sentence[k + 1])
        for k in range(len(prose))
    ]
    connected = sum(1 for k in range(len(prose)) if prose[k] and not alone[k])
    discount_alone = connected >= T.ISOLATION_MIN_CONNECTED
    runs: list[tuple[float, int, int]] = []
    run_score, run_start = 0.0, -1
    gap = 0
    for k, (i, raw) in enumerate(values):
        if raw is not None and raw < 0:
            gap += 1
            raw *= 1.0 + gap * T.GAP_GROWTH
        elif raw is not None and raw > 0:
            gap = 0
        if raw is None:
            raw = -(T.COMMENTS_WALL_COST or 0.0)
        value = raw
        if prose[k]:
            value = max(1.0, value - T.PARAGRAPH_DISCOUNT)
            if alone[k] and discount_alone:
                value *= T.ALONE_WEIGHT
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
    others = [run for run in runs if run is not best and run[0] >= T.SECOND_RUN_SHARE * best[0]]
    return [(best[1], best[2])] + [(start, end) for _, start, end in others]


# Prose of several lengths (alone or beside other prose), short sentences, labels, dates, a
# comments header, a repeated paragraph, blanks.
_LINES = [
    "It rained all day in the city, and the river rose by a metre before dark on Sunday.",
    "Officials said the bridge would stay closed until engineers had checked every pier of it.",
    "Shares of the company rose sharply in early trading on Monday after the results, dealers said.",
    "The council met again on Tuesday evening and voted to repair the old bridge over the river before the "
    "winter, after engineers warned that two of its piers had cracked in the floods of the spring.",
    "The report was quickly removed.", "Home", "Rain all week", "November 20, 2019", "By Jane Doe",
    "Leave a Reply", "Comments", "Share this article", "", "",
]  # fmt: skip


def _page(lines: list[str]) -> tuple[list[T.Line], T.UnitFacts, list[Reason | None]]:
    """A page of ``lines``: its units, their facts and the line cues' verdicts."""
    units = T.split_lines("\n".join(lines))
    facts = T.unit_facts(units)
    return units, facts, LineCues().judge_page(facts.texts)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_LINES), max_size=40))
def test_spans_are_the_oracles(lines: list[str]) -> None:
    units, facts, cued = _page(lines)
    verdicts = T._cue_verdicts(units, facts, cued)
    assert T.article_spans(units, verdicts, facts) == oracle_article_spans(verdicts, facts)


def test_a_paragraph_alone_at_the_end_of_a_page_is_discounted() -> None:
    # Three connected paragraphs, a menu, then one paragraph between a menu line and the page's
    # end: it is alone, so it weighs ALONE_WEIGHT of its value and stays below SECOND_RUN_SHARE
    # of the article's run (at full weight it would be kept as a second run).
    last = (
        "The council met on Tuesday and voted to repair the old bridge before the winter, "
        "after engineers warned that two piers had cracked."
    )
    lines = [_LINES[0], _LINES[1], _LINES[0].replace("Sunday", "Monday"), *["Rain all week"] * 8, last]
    units = T.split_lines("\n".join(lines))
    facts = T.unit_facts(units)
    verdicts = T._cue_verdicts(units, facts, LineCues().judge_page(facts.texts))
    spans = T.article_spans(units, verdicts, facts)
    assert spans == oracle_article_spans(verdicts, facts)
    assert spans == [(0, 2)]


def _cued_page(lines: list[str]) -> tuple[list[Reason | None], T.UnitFacts]:
    units = T.split_lines("\n".join(lines))
    facts = T.unit_facts(units)
    return T._cue_verdicts(units, facts, LineCues().judge_page(facts.texts)), facts


# A short sentence that holds a date: article_spans never asks whether it is a date line.
_DATED_SENTENCE = "Filed on 12.11.2019, the report was removed."


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from([*_LINES, _DATED_SENTENCE]), max_size=30), max_size=6))
def test_the_spans_of_many_pages_are_each_pages_oracle_spans(pages: list[list[str]]) -> None:
    # The compiled scan over all pages at once (once numba runs), page by page otherwise.
    T._spans_kernel()
    cued = [_cued_page(lines) for lines in pages]
    expected = [oracle_article_spans(*_cued_page(lines)) for lines in pages]
    assert T.article_spans_many(cued) == expected
    # The date lines asked are those article_spans asks: the facts remember the same answers.
    for (_, facts), lines in zip(cued, pages, strict=True):
        fresh_verdicts, fresh = _cued_page(lines)
        T.article_spans([], fresh_verdicts, fresh)
        assert facts.dates == fresh.dates


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.lists(st.sampled_from([*_LINES, _DATED_SENTENCE]), max_size=30), st.booleans()), max_size=6)
)
def test_the_spans_of_a_batchs_scored_pages_are_their_oracle_spans(pages: list[tuple[list[str], bool]]) -> None:
    # _judge_many's form: the kinds from the batch's flat facts, some pages left out.
    T._spans_kernel()
    units = [T.split_lines("\n".join(lines)) for lines, _ in pages]
    facts, flat = T._unit_facts_batch([[line.text for line in page] for page in units])
    verdicts = [
        T._cue_verdicts(page, page_facts, LineCues().judge_page(page_facts.texts))
        for page, page_facts in zip(units, facts, strict=True)
    ]
    scored = [k for k, (_, chosen) in enumerate(pages) if chosen]
    expected = [oracle_article_spans(*_cued_page(pages[k][0])) for k in scored]
    assert T._scored_spans(verdicts, facts, flat, scored) == expected
    for k in scored:
        fresh_verdicts, fresh = _cued_page(pages[k][0])
        T.article_spans([], fresh_verdicts, fresh)
        assert facts[k].dates == fresh.dates


_CRUMB_PIECES = st.sampled_from(["Home", "World", "1", ""])
_CRUMB_SEPARATORS = st.sampled_from(
    [" | ", " › ", " » ", " / ", " \\ ", " > ", " · ", "|", "/", " - ", " ", "\t| ", " \t/", "\u00a0> "]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(_CRUMB_PIECES, _CRUMB_SEPARATORS), max_size=4), max_size=12))
def test_a_unit_ruled_out_as_a_breadcrumb_is_none(lines: list[list[tuple[str, str]]]) -> None:
    # UnitFacts.crumbs is False only where is_breadcrumb cannot hold (the cue verdicts and the
    # headline check ask it only elsewhere).
    texts = ["".join(piece + separator for piece, separator in line) + "News" for line in lines]
    facts = T.unit_facts(T.split_lines("\n".join(texts)))
    for text, may_be in zip(facts.texts, facts.crumbs, strict=True):
        assert may_be or not T.is_breadcrumb(text)


def oracle_cue_verdicts(lines: list[str], facts: T.UnitFacts, cue_reasons: list[Reason | None]) -> list[Reason | None]:
    """_cue_verdicts as it was, line by line: a teaser run's state carried over every line."""
    verdicts: list[Reason | None] = [None] * len(lines)
    paragraph, words, crumbs, related = facts.paragraph, facts.words, facts.crumbs, Reason.RELATED
    in_related = 0  # how many more lines a related-articles header may still take
    for i, (text, reason) in enumerate(zip(facts.texts, cue_reasons, strict=True)):
        if not text:
            continue
        if reason is None:
            if paragraph[i]:  # prose ends a teaser run, and is no breadcrumb
                in_related = 0
                continue
            if not (crumbs[i] and T.is_breadcrumb(text)):
                if in_related:
                    verdicts[i] = related
                    in_related -= 1
                continue
            reason = Reason.NAV
        verdicts[i] = reason
        # A bare header ("Related articles", "DON'T MISS:") takes the teaser lines below it.
        bare_header = reason is related and words[i] <= 6
        in_related = T.RELATED_RUN if bare_header else 0
    return verdicts


# Related-articles headers (bare, and one too long to take a run), teasers, prose, breadcrumbs
# (one that is prose-like too), cue lines and blanks: runs that end at each kind of line.
_CUE_LINES = [
    "Related articles", "DON'T MISS:", "Related articles from our partners across the whole wide network",
    "Rain all week", "Bridge closed", "Home | World", "Home | World | News", "Share this article",
    "Leave a Reply", _LINES[0], _LINES[3], "November 20, 2019", "", "",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_CUE_LINES), max_size=40))
def test_cue_verdicts_are_the_per_line_oracles(lines: list[str]) -> None:
    units, facts, cued = _page(lines)
    assert T._cue_verdicts(units, facts, cued) == oracle_cue_verdicts([line.text for line in units], facts, cued)


def test_a_related_header_takes_the_teasers_below_it_up_to_prose_or_a_cue() -> None:
    lines = ["Related articles", "Rain all week", "", "Bridge closed", "Home | World", "Rain all week"]
    units = T.split_lines("\n".join([*lines, "DON'T MISS:", "Bridge closed", _LINES[0], "Rain all week"]))
    facts = T.unit_facts(units)
    verdicts = T._cue_verdicts(units, facts, LineCues().judge_page(facts.texts))
    related, nav = Reason.RELATED, Reason.NAV
    assert verdicts == [related, related, None, related, nav, None, related, related, None, None]
