"""Small inline cases: one or more per reason code, in English, German, French, Spanish, Russian."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate.html import extract
from cleaner.boilerplate.rules import SHORT_LINE, line_reason
from cleaner.boilerplate.text import classify_lines
from cleaner.record import Reason, Unit

LINE_CASES: list[tuple[Reason, str]] = [
    # navigation and breadcrumbs
    (Reason.NAV, "Home"),
    (Reason.NAV, "Skip to main content"),
    (Reason.NAV, "Startseite"),
    (Reason.NAV, "Accueil"),
    (Reason.NAV, "Inicio"),
    (Reason.NAV, "Главная"),
    # social prompts
    (Reason.SOCIAL, "Please Follow us on Gab, Minds, Telegram"),
    (Reason.SOCIAL, "Share this article"),
    (Reason.SOCIAL, "Folgen Sie uns auf Twitter"),
    (Reason.SOCIAL, "Partager sur Facebook"),
    (Reason.SOCIAL, "Síguenos en Instagram"),
    (Reason.SOCIAL, "Подписывайтесь на нас в Telegram"),
    # newsletters and sign-ups
    (Reason.NEWSLETTER, "Subscribe to our newsletter for daily updates"),
    (Reason.NEWSLETTER, "Newsletter abonnieren und nichts verpassen"),
    (Reason.NEWSLETTER, "Abonnez-vous à notre lettre"),
    (Reason.NEWSLETTER, "Suscríbete a nuestro boletín"),
    (Reason.NEWSLETTER, "Подпишитесь на рассылку"),
    # related-article headers and teasers
    (Reason.RELATED, "Related articles"),
    (Reason.RELATED, "Similar Articles"),
    (Reason.RELATED, "READ MORE: PM urged to act"),
    (Reason.RELATED, "DON'T MISS:"),
    (Reason.RELATED, "Lesen Sie auch"),
    (Reason.RELATED, "À lire aussi"),
    (Reason.RELATED, "Noticias relacionadas"),
    (Reason.RELATED, "Читайте также"),
    # comment widgets
    (Reason.COMMENTS, "Leave a Comment"),
    (Reason.COMMENTS, "Be the first to comment"),
    (Reason.COMMENTS, "This site uses Akismet to reduce spam. Learn how your comment data is processed."),
    (Reason.COMMENTS, "Kommentar schreiben"),
    (Reason.COMMENTS, "Laisser un commentaire"),
    (Reason.COMMENTS, "Deja un comentario"),
    (Reason.COMMENTS, "Оставить комментарий"),
    # consent and data-use notices
    (Reason.CONSENT, "We use cookies to improve your experience on our site."),
    (Reason.CONSENT, "Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten."),
    (Reason.CONSENT, "Nous utilisons des cookies pour améliorer votre expérience."),
    (Reason.CONSENT, "Utilizamos cookies propias y de terceros."),
    (Reason.CONSENT, "Мы используем файлы cookie для улучшения работы сайта."),
    # copyright and legal lines
    (Reason.LEGAL, "© 2022 Example Media. All rights reserved."),
    (Reason.LEGAL, "Alle Rechte vorbehalten."),
    (Reason.LEGAL, "© Le Monde, tous droits réservés."),
    (Reason.LEGAL, "Todos los derechos reservados."),
    (Reason.LEGAL, "© 2024 РИА Новости. Все права защищены."),
    # source lines and ads
    # long forms (over 60 characters: checked through the trigger words first)
    (Reason.CONSENT, "Мы используем файлы cookie, чтобы сайт работал лучше и показывал вам полезное."),
    (Reason.CONSENT, "By continuing to use this site you agree to the storage of data in your browser."),
    (Reason.LEGAL, "Alle Rechte vorbehalten. Vervielfältigung nur mit Genehmigung der Redaktion erlaubt."),
    (Reason.LEGAL, "Apple, iPhone and iPad are registered trademarks of Apple Inc. in the U.S. and elsewhere."),
    (Reason.AD, "Sponsored by the Valley Tourism Board and the Chamber of Trade"),
    (Reason.AD, "We noticed you are using an ad blocker. Please consider supporting our newsroom today."),
    (Reason.SOURCE, "Source: Read Full Article"),
    (Reason.CAPTION, "(Image credit: Blue Origin)"),
    (Reason.CAPTION, "Image 2 of 5"),
    (Reason.CAPTION, "Foto: dpa"),
    (Reason.CAPTION, "Getty Images"),
    (Reason.AD, "Advertisement"),
    (Reason.AD, "Launch your unlimited Newsweek trial now."),
    (Reason.AD, "Anzeige"),
    (Reason.AD, "Publicité"),
    (Reason.AD, "Реклама"),
    (Reason.AD, "Continue Reading Below"),
    (Reason.AD, "Story continues below advertisement"),
    (Reason.AD, "Weiterlesen nach der Anzeige"),
    (Reason.AD, "La suite après cette publicité"),
    (Reason.AD, "El artículo continúa debajo de la publicidad"),
    (Reason.AD, "Продолжение после рекламы"),
]


@pytest.mark.parametrize(("reason", "line"), LINE_CASES)
def test_line_cue(reason: Reason, line: str) -> None:
    assert line_reason(line) is reason


ARTICLE = (
    "The river rose by a metre overnight, and the council closed the lower bridge, officials said.\n"
    "Residents were told to stay away from the banks until the water falls again next week.\n"
    "Engineers will inspect the bridge on Friday before deciding whether it can reopen, the council added.\n"
)


def test_text_nav_lines_before_the_article_are_dropped_as_short() -> None:
    text = "Tsarizm\nEastern Europe\n\n" + ARTICLE + "Share this article\nLeave a Comment\n"
    drops = classify_lines(text)
    assert [(d.reason, d.text) for d in drops] == [
        (Reason.SHORT, "Tsarizm\n"),
        (Reason.SHORT, "Eastern Europe\n"),
        (Reason.SOCIAL, "Share this article\n"),
        (Reason.COMMENTS, "Leave a Comment\n"),
    ]
    assert all(d.unit is Unit.LINE for d in drops)


def test_text_without_page_chrome_keeps_its_short_lines() -> None:
    # A newswire story or a clean article: no cue lines, no menu, so short lines (a table,
    # a heading, a dateline) are content.
    table = "Wheat 2.55 2.40 4.65\nCorn 1.38 1.92 2.15\nOats 1.10 1.20 1.31\n"
    text = "Tsarizm\nEastern Europe\n\n" + ARTICLE + table
    assert classify_lines(text) == []


def test_text_breadcrumb_is_nav() -> None:
    drops = classify_lines("Home | World | Europe\n" + ARTICLE)
    assert [(d.reason, d.text) for d in drops] == [(Reason.NAV, "Home | World | Europe\n")]


def test_text_related_header_takes_its_teasers_but_not_the_next_paragraph() -> None:
    text = ARTICLE + "Related articles\nFloods close schools\nStaff Writer\n" + ARTICLE
    reasons = [(d.reason, d.text.strip()) for d in classify_lines(text)]
    assert reasons == [
        (Reason.RELATED, "Related articles"),
        (Reason.RELATED, "Floods close schools"),
        (Reason.RELATED, "Staff Writer"),
    ]


def test_text_comments_below_the_article_are_dropped() -> None:
    text = ARTICLE + "3 Comments\njoe99 says:\nThis is the worst decision the council has made in years, honestly.\n"
    reasons = [d.reason for d in classify_lines(text)]
    assert reasons == [Reason.COMMENTS, Reason.COMMENTS, Reason.COMMENTS]


def _html(body: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in ARTICLE.splitlines())
    return f"<html><body><article class='story'>{paragraphs}{body}</article></body></html>"


HTML_CASES: list[tuple[Reason, str, str]] = [
    (Reason.NAV, "<nav><a href='/'>Home</a> <a href='/w'>World</a></nav>", "Home World"),
    (Reason.NAV, "<div class='breadcrumb'><a href='/'>News</a> › <a href='/e'>Europe</a></div>", "News › Europe"),
    (Reason.AD, "<div class='advert-slot'>Buy the new phone today</div>", "Buy the new phone today"),
    (Reason.SOCIAL, "<div class='share-bar'>Share on Facebook</div>", "Share on Facebook"),
    (Reason.RELATED, "<aside><h3>More from the valley</h3></aside>", "More from the valley"),
    (Reason.COMMENTS, "<section id='comments'><p>Great article, thanks!</p></section>", "Great article, thanks!"),
    (Reason.CONSENT, "<div class='cookie-notice'>This site stores data</div>", "This site stores data"),
    (Reason.NEWSLETTER, "<div class='newsletter-box'>Get the morning brief</div>", "Get the morning brief"),
    (Reason.MARKUP, "<div style='display:none'>Hidden promo text</div>", "Hidden promo text"),
    (Reason.MARKUP, "<form><label>Your name</label></form>", "Your name"),
    (
        Reason.CAPTION,
        "<figure><img src='a.jpg'><figcaption>The bridge at dawn</figcaption></figure>",
        "The bridge at dawn",
    ),
    (Reason.LEGAL, "<p>© 2024 Valley News. All rights reserved.</p>", "© 2024 Valley News. All rights reserved."),
    (Reason.SOURCE, "<p>Source: Read Full Article</p>", "Source: Read Full Article"),
]


@pytest.mark.parametrize(("reason", "snippet", "dropped"), HTML_CASES)
def test_html_block_reason(reason: Reason, snippet: str, dropped: str) -> None:
    result = extract(_html(snippet))
    assert [(d.reason, d.text) for d in result.drops] == [(reason, dropped)]
    assert all(d.unit is Unit.BLOCK for d in result.drops)
    for line in ARTICLE.splitlines():
        assert line in result.text.splitlines()


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        ("kommentare-liste", Reason.COMMENTS),
        ("lista-comentarios", Reason.COMMENTS),
        ("artikel-teilen", Reason.SOCIAL),
        ("boutons-partage", Reason.SOCIAL),
        ("bloque-suscripcion", Reason.NEWSLETTER),
        ("verwandte-artikel", Reason.RELATED),
        ("noticias-relacionadas", Reason.RELATED),
        ("werbung-rechts", Reason.AD),
        ("bloc-publicite", Reason.AD),
        ("reklama-block", Reason.AD),
        ("article-teaser", None),  # a German lead paragraph, as often as a card
        ("entry-content", None),
    ],
)
def test_class_cues_in_five_languages(names: str, reason: Reason | None) -> None:
    from cleaner.boilerplate.rules import ClassCues

    assert ClassCues().judge(names) is reason


def test_may_hide_finds_every_hiding_class_and_only_whole_names() -> None:
    from cleaner.boilerplate.rules import HIDING_CLASSES, ClassCues, _may_hide

    for name in HIDING_CLASSES:  # the substrings _may_hide looks for first must cover every one
        assert _may_hide(f"card {name} x"), name
        assert ClassCues().judge(f"card {name.upper()}") is Reason.MARKUP, name
    assert not _may_hide("hidden-xs nonexistent invisible-on-print")


def test_html_low_score_outside_the_article() -> None:
    page = _html("") + "<div>Weather: 12°C</div>"
    page = page.replace(
        "</article></body></html><div>Weather: 12°C</div>", "</article><div>Weather: 12°C</div></body></html>"
    )
    result = extract(page)
    assert [(d.reason, d.text) for d in result.drops] == [(Reason.LOW_SCORE, "Weather: 12°C")]


def test_text_article_split_by_a_long_widget_keeps_both_halves() -> None:
    # a long menu dropped into the middle
    widget = "".join(f"Topic {chr(65 + i % 26)}{chr(97 + i // 26)}\n" for i in range(40))
    second = (
        "Shops on the quay opened again at noon, though most owners were still pumping out water.\n"
        "The fire brigade said it had answered more than two hundred calls since the weekend.\n"
        "Forecasters expect a dry week, which should let the river fall back within its banks.\n"
    )
    drops = classify_lines(ARTICLE + widget + second)
    assert [d.text for d in drops] == widget.splitlines(keepends=True)
    assert {d.reason for d in drops} == {Reason.SHORT}


def test_text_discussion_below_a_comments_header_is_not_a_second_article() -> None:
    comment = "I have lived by the river for forty years and never seen the water this high, honestly.\n"
    text = ARTICLE + "Leave a Reply\n" + "Name\n" * 5 + comment * 3
    reasons = [d.reason for d in classify_lines(text)]
    assert reasons == [Reason.COMMENTS] * 9


def test_html_captions_kept_on_request() -> None:
    page = _html("<figure><img src='a.jpg'><figcaption>The bridge at dawn</figcaption></figure>")
    assert "The bridge at dawn" not in extract(page).text.splitlines()
    assert "The bridge at dawn" in extract(page, captions=True).text.splitlines()
    assert extract(page, captions=True).drops == ()


def _reference_line_reason(line: str) -> Reason | None:
    """line_reason without its shortcuts (length limits, trigger words): the regexes alone."""
    from cleaner.boilerplate.rules import LINE_CUES, PREFIX_CUES

    text = line.strip()
    if not text or len(text) > 600:
        return None
    for reason, pattern in PREFIX_CUES:
        if pattern.match(text) and len(text) < 200:
            return reason
    for reason, pattern in LINE_CUES:
        if pattern.fullmatch(text):
            return reason
    return None


FILLERS = ["", " for readers of the valley edition and our partners", " " + "more words " * 12]


@pytest.mark.parametrize("filler", FILLERS)
@pytest.mark.parametrize(("reason", "line"), LINE_CASES)
def test_line_reason_shortcuts_never_change_a_verdict(reason: Reason, line: str, filler: str) -> None:
    for text in (line + filler, filler.strip() + " " + line):
        assert line_reason(text) is _reference_line_reason(text)


WRAPPED = """The valley water board said its shareholders
approved the merger with the river authority on Tuesday, and
that each holder will receive .33 shares of the new body for each
share.
    Under the terms of the merger, the board will keep its
offices in the lower town, it said. Officials pointed to
recent reports from Brussels of
neighbouring towns that may want to join the scheme later on.
    Levels at the main gauges were as follows -
         Gauge     Level    Prev
 Mill      2.55      2.40
 Bridge    3.10      2.95
 Quay      1.20      1.15
"""


def test_hard_wrapped_text_is_judged_by_paragraph_and_kept() -> None:
    # "share." and "recent reports from Brussels of" are pieces of wrapped sentences, not a
    # share button or a related-articles header; the table stays.
    assert classify_lines(WRAPPED) == []


def test_formulas_and_indented_lists_are_not_navigation() -> None:
    text = (
        "Bayes' rule relates the two conditional probabilities, and it is easy to state:\n"
        "P(A | B) = P(B | A) P(A) / P(B)\n"
        "Dynamic programming makes use of:\n"
        "    Overlapping subproblems\n"
        "    Optimal substructure\n"
        "    Memoization\n"
        "It usually takes one of two approaches:\n"
        "    Top-down approach\n"
        "    Bottom-up approach\n"
    )
    assert classify_lines(text) == []


def test_a_list_the_article_introduces_is_kept_even_on_a_page_with_chrome() -> None:
    text = (
        "Home\nRecipes\nShare this article\n"
        "This soup takes twenty minutes, and most of the work is chopping the vegetables. You will need:\n"
        "Salt\nPepper\nOlive oil\nGarlic\nOnion\nLeeks\n"
        "Soften the onion and garlic in the oil, add the leeks, then simmer them for fifteen minutes.\n"
        "Season with salt and pepper before serving, and keep any leftovers for two days at most.\n"
        "Leave a Comment\n"
    )
    dropped = [(d.reason, d.text.strip()) for d in classify_lines(text)]
    assert dropped == [
        (Reason.NAV, "Home"),
        (Reason.SHORT, "Recipes"),
        (Reason.SOCIAL, "Share this article"),
        (Reason.COMMENTS, "Leave a Comment"),
    ]


# --- the cues' two-part matching (rules._Cue) against the whole patterns ----------------------


def test_cue_alternatives_join_back_into_the_patterns() -> None:
    from cleaner.boilerplate.rules import _LINE_CUES, required_literal, split_alternatives

    for _, pattern in _LINE_CUES:
        alternatives = split_alternatives(pattern)
        assert "|".join(alternatives) == pattern
        for alternative in alternatives:
            if alternative.startswith(".{"):  # a floating one: its literal is real text of it
                assert len(required_literal(alternative)) >= 3
                assert required_literal(alternative) in alternative


def _cue_pieces() -> list[str]:
    """Words and phrases of the cues (their floating parts' literals, trigger words, case examples)
    and characters that case-fold onto ASCII letters: the ingredients of near-miss lines."""
    from cleaner.boilerplate.rules import _CUES, _LONG_LINE_TRIGGERS

    pieces = [word for _, cue in _CUES for word in cue.words]
    pieces += [word for words in _LONG_LINE_TRIGGERS.values() for word in words]
    pieces += [line for _, line in LINE_CASES]
    return [*pieces, "We", "SITE", "uses", "ſ", "\u212a", "İ", "ß", " ", ", ", ".", "2024", "x" * 30]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_cue_pieces()), min_size=1, max_size=12), st.booleans(), st.booleans())
def test_line_reason_is_the_cue_patterns_verdict(pieces: list[str], upper: bool, fold: bool) -> None:
    text = "".join(pieces)
    text = text.upper() if upper else text
    # Characters the patterns match case-insensitively though lower() does not map them to ASCII,
    # on short and long lines (a long line's trigger words are looked for in lower case).
    if fold:
        text = text.replace("s", "ſ").replace("k", "\u212a").replace("i", "\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}")
    stripped = text.strip()
    if stripped and stripped[0].islower() and stripped[-1] == "." and len(stripped.split()) <= 3:
        return  # the end of a wrapped sentence ("share."): no cue is read
    assert line_reason(text) is _reference_line_reason(text)


# Long lines (over SHORT_LINE) whose cue words hold a character that the case-insensitive
# patterns equate with a letter though lower() does not give that letter: the long s for "s",
# the dotted capital I for "i", the dotless i, old Cyrillic letter forms; the Kelvin sign
# lower-cases to "k" and needs nothing.
LONG_S, DOTTED_I = "\N{LATIN SMALL LETTER LONG S}", "\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}"
FOLDED_LONG_LINES = [
    (Reason.LEGAL, f"Example Media Group and its partners in the valley, 2024. All right{LONG_S} reserved."),
    (Reason.LEGAL, "Example is a registered trademar\N{KELVIN SIGN} of Example Media Group in the valley and beyond."),
    (Reason.LEGAL, f"{DOTTED_I}nformation provided on this website is for general guidance only."),
    (Reason.CONSENT, f"By u{LONG_S}ing this site you agree to the terms of the group and its partners."),
    # "Фото: Reuters" with the old forms of "о" and "т"
    (
        Reason.CAPTION,
        "\N{CYRILLIC CAPITAL LETTER EF}\N{CYRILLIC SMALL LETTER NARROW O}\N{CYRILLIC SMALL LETTER TALL TE}"
        "\N{CYRILLIC SMALL LETTER NARROW O}: Reuters, at the meeting in the main square of the town in May",
    ),
]


@pytest.mark.parametrize(("reason", "line"), FOLDED_LONG_LINES)
def test_long_lines_with_case_folded_letters_keep_their_cue(reason: Reason, line: str) -> None:
    assert len(line) > SHORT_LINE
    assert _reference_line_reason(line) is reason
    assert line_reason(line) is reason


def test_case_traps_are_every_character_lower_case_misses() -> None:
    # Every character that some letter of the looked-for words matches case-insensitively,
    # though lower() does not give that letter, over every code point.
    from cleaner.boilerplate.rules import _CUES, _LONG_LINE_TRIGGERS, CASE_TRAPS

    words = [word for _, cue in _CUES for word in cue.words]
    words += [word.lower() for triggers in _LONG_LINE_TRIGGERS.values() for word in triggers]
    letters = sorted(set("".join(words)))
    any_letter = re.compile("[" + re.escape("".join(letters)) + "]", re.IGNORECASE)
    traps = set()
    for code in range(0x110000):
        char = chr(code)
        if any_letter.fullmatch(char) is None:
            continue
        same = [letter for letter in letters if re.fullmatch(re.escape(letter), char, re.IGNORECASE)]
        if any(char.lower() != letter for letter in same):
            traps.add(char)
    assert traps == set(CASE_TRAPS), "a cue word changed: copy these characters into CASE_TRAPS"


# --- the compiled pass over a page's long lines (rules.trigger_masks, LineCues.judge_page) ------


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_cue_pieces()), max_size=14).map("".join), max_size=8), st.booleans())
def test_trigger_masks_are_the_word_searches(pieces: list[str], upper: bool) -> None:
    pytest.importorskip("numba")
    from cleaner.boilerplate.rules import trigger_masks

    lines = [line.upper() if upper else line for line in pieces]
    lowered = [line.lower() for line in lines if line.isascii()]
    lowered += ["/", "", "co", "via", "x/y", "(c)"]  # words at a line's very end, a one-byte word
    assert trigger_masks(lowered) == trigger_masks(lowered, compiled=False)


def test_trigger_masks_on_near_misses() -> None:
    # Each ASCII trigger word with one byte changed, and cut short: in the line, not the word.
    pytest.importorskip("numba")
    from cleaner.boilerplate.rules import _LONG_LINE_TRIGGERS, trigger_masks

    words = [word for triggers in _LONG_LINE_TRIGGERS.values() for word in triggers if word.isascii()]
    lines = [f"x {word[:k]}#{word[k + 1 :]} y" for word in words for k in range(len(word))]
    lines += [word[:-1] for word in words] + words + [f"..{word}" for word in words]
    # Each word at each offset from a line's start and end (the compiled pass takes two places a step).
    lines += [f"{'x' * before}{word}{'y' * after}" for word in words for before in range(4) for after in range(4)]
    assert trigger_masks(lines) == trigger_masks(lines, compiled=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_cue_pieces()), max_size=14).map("".join), max_size=8))
def test_judging_a_page_is_judging_each_line(lines: list[str]) -> None:
    pytest.importorskip("numba")
    import numba  # noqa: F401  (judge_page takes the compiled pass once numba runs)

    from cleaner.boilerplate.rules import LineCues

    cues = LineCues()
    lines = [*lines, *(line + filler for _, line in LINE_CASES[::7] for filler in FILLERS)]
    assert cues.judge_page(lines) == [line_reason(line) if line.strip() else None for line in lines]
    # Pages judged together (one compiled pass over all their long lines): each as if alone.
    pages = [lines[:3], [], lines[3:], lines[::2]]
    assert LineCues().judge_pages(pages) == [[line_reason(line) if line.strip() else None for line in page]
                                             for page in pages]  # fmt: skip


# --- the shortcuts of a cue's first part (rules._Cue.can_start, _Cue.long_part) ----------------


def _first_part_lines() -> list[str]:
    """Lines that some cue's first part matches, as written, in upper case and with the letters
    that match case-insensitively though they differ (the long s, the Kelvin sign, the dotted I),
    and "name says:" lines around the widest (61 characters) that alternative matches."""
    from cleaner.boilerplate.rules import _CUES

    lines = [line.strip() for _, line in LINE_CASES]
    lines += [line.upper() for line in lines] + [line.title() for line in lines]
    lines += [line.replace("s", LONG_S).replace("k", "\N{KELVIN SIGN}").replace("i", DOTTED_I) for line in list(lines)]
    lines += [f"{'x' * first} {'y' * second} says:" for first in (1, 29, 30, 31) for second in (1, 19, 20, 21)]
    lines += ["Subscribe now" + "!" * n for n in (1, 47, 48, 60, 200)]
    return [line for line in lines if any(cue.anchored and cue.anchored.fullmatch(line) for _, cue in _CUES)]


def test_a_first_part_is_tried_on_every_line_it_matches() -> None:
    from cleaner.boilerplate.rules import _CUES, cues_starting_with

    lines = _first_part_lines()
    assert len(lines) > 100
    for line in lines:
        for bit, (_, cue) in enumerate(_CUES):
            if cue.anchored is not None and cue.anchored.fullmatch(line):
                assert cue.can_start(line[0]), (cue.starts, line)
                assert cues_starting_with(line[0]) >> bit & 1
                narrowed = cue.long_part(len(line))
                assert narrowed is not None and narrowed.fullmatch(line), line


def test_a_narrowed_first_part_matches_as_the_whole_one() -> None:
    from cleaner.boilerplate.rules import _CUES

    lines = _first_part_lines() + [line.strip() + filler for _, line in LINE_CASES for filler in FILLERS]
    for line in lines:
        for _, cue in _CUES:
            if cue.anchored is None:
                continue
            narrowed = cue.long_part(len(line))
            assert (narrowed is not None and narrowed.fullmatch(line) is not None) == (
                cue.anchored.fullmatch(line) is not None
            ), line


def test_long_lines_try_the_cues_the_loop_would_try() -> None:
    # rules.long_cues_to_try (a long ASCII line's cues, looked up by its size class, first
    # character and trigger words) against the loop over every cue: lines that some first part
    # or second part matches, made long at sizes on each side of every width where the cues
    # tried change, and near misses of them.
    pytest.importorskip("numba")
    from cleaner.boilerplate.rules import _line_reason, trigger_masks

    lines = _long_lines()
    masks = trigger_masks([line.strip().lower() for line in lines])
    assert masks is not None
    found = [_line_reason(line, mask) for line, mask in zip(lines, masks, strict=True)]
    assert found == [_line_reason(line, None) for line in lines]
    assert sum(reason is not None for reason in found) > 100  # cues found by both, not only misses


# --- the prefilter of long ASCII lines (rules.lead_strings, long_line_candidates) ---------------


def _lead_patterns() -> list[tuple[str, bool]]:
    """Each first-part alternative of each cue (matched whole), and the PREFIX_CUES (matched at
    the start): the patterns whose lead_strings (and trail_strings) the prefilter reads."""
    from cleaner.boilerplate.rules import _CUES, PREFIX_CUES

    patterns = [(alternative, True) for _, cue in _CUES for _, alternative in cue._alternatives]
    return patterns + [(pattern.pattern, False) for _, pattern in PREFIX_CUES]


@pytest.mark.parametrize(("pattern", "whole"), _lead_patterns())
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_lead_strings_start_every_text_a_pattern_matches(pattern: str, whole: bool, data: st.DataObject) -> None:
    # Texts that the alternative matches (whole, or at the start for a prefix cue), made by
    # hypothesis from the pattern itself, each also in lower and upper case: where a text starts
    # with LEAD_SPAN ASCII characters (the prefilter reads ASCII lines), one of the pattern's lead
    # strings starts the lower-cased text; where it ends with them, one of its trail strings
    # ends it (a pattern matched whole).
    from cleaner.boilerplate.rules import LEAD_SPAN, lead_strings, trail_strings

    source = pattern if whole else f"(?:{pattern}).*"
    compiled = re.compile(source, re.IGNORECASE | re.DOTALL)
    text = data.draw(st.from_regex(compiled, fullmatch=True))
    leads = lead_strings(pattern)
    trails = trail_strings(pattern) if whole else [""]
    for form in (text, text.upper(), text.lower()):
        if compiled.fullmatch(form) is None:
            continue
        if form[:LEAD_SPAN].isascii():
            assert any(form.lower().startswith(lead) for lead in leads), (pattern, form)
        if form[-LEAD_SPAN:].isascii():
            assert any(form.lower().endswith(trail) for trail in trails), (pattern, form)


def test_lead_strings_of_patterns() -> None:
    from cleaner.boilerplate.rules import lead_strings, trail_strings

    assert trail_strings(r"(?:please\s+)?(?:follow|like)\s+us") == sorted(
        {space + "us" for space in " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"}
    )
    assert trail_strings(r"\w+ (?:says|\u043f\u0438\u0448\u0435\u0442):") == ["ys:"]  # no ASCII text ends "\u0442:"

    assert lead_strings(r"(?:please\s+)?(?:follow|like)\s+us") == ["fol", "lik", "ple"]
    assert lead_strings(r"(?!the\b)[a-c]{1,2} says:") == sorted(
        {a + b + " " for a in "abc" for b in "abc"} | {a + " s" for a in "abc"}
    )
    assert lead_strings(r"\w+ says:") == [""]  # a wide class: any text may start it
    assert lead_strings(r"\(c\)|\u00e9t\u00e9|ab") == ["(c)", "ab"]  # no ASCII text starts "\u00e9"


def test_cached_lead_rows_equal_fresh_ones() -> None:
    from cleaner.boilerplate.rules import _lead_rows, lead_rows

    assert _lead_rows() == lead_rows()


def test_string_tables_hold_each_strings_widest_width_per_column() -> None:
    # rules._string_table (numpy) against the tables built string by string in a dict.
    import numpy as np

    from cleaner.boilerplate.rules import _PREFIX_COLUMN, LEAD_SPAN, _lead_rows, _string_table

    rows = _lead_rows()
    for chosen in (
        [(column, width, leads) for column, width, leads, _ in rows],
        [(column, width, trails) for column, width, _, trails in rows if trails],
        [(0, 5, ["ab", "", "abc"]), (3, 9, ["ab", "x"]), (0, 7, ["ab"])],
        [],
    ):
        widest: list[dict[int, list[int]]] = [{} for _ in range(LEAD_SPAN + 1)]
        for column, width, strings in chosen:
            for string in strings:
                row = widest[len(string)].setdefault(
                    int.from_bytes(string.encode(), "big"), [-1] * (_PREFIX_COLUMN + 1)
                )
                row[column] = max(row[column], width)
        table = _string_table(chosen)
        assert [codes.tolist() for codes in table.codes] == [sorted(by_code) for by_code in widest[1:]]
        assert [widths.tolist() for widths in table.widths] == [
            [by_code[code] for code in sorted(by_code)] for by_code in widest[1:]
        ]
        assert table.anywhere.tolist() == widest[0].get(0, [-1] * (_PREFIX_COLUMN + 1))
        assert all(
            widths.shape == (codes.size, _PREFIX_COLUMN + 1)
            for codes, widths in zip(table.codes, table.widths, strict=True)
        )
        assert all(array.dtype == np.int64 for array in (*table.codes, *table.widths, table.anywhere))


def _long_lines() -> list[str]:
    """Long ASCII lines: those that some cue matches (made long at sizes around every width where
    the cues tried change), near misses of them, and prose."""
    from cleaner.boilerplate.rules import _LONG_SIZES

    bases = _first_part_lines() + [line.strip() for _, line in LINE_CASES]
    sizes = sorted({size + step for size in _LONG_SIZES if size <= 600 for step in (-1, 0, 1)})
    lines = []
    for base in bases:
        for size in sizes:
            if size > len(base) and size > SHORT_LINE:
                lines += [base + "!" * (size - len(base)), base + " x" * ((size - len(base)) // 2)]
    lines += [f"  {line}\t" for line in lines[::5]] + [" " * 70, "\t" * 61 + "Share"]
    lines += [filler.strip() * 3 for filler in FILLERS]
    return [line for line in lines if line.isascii()]


def test_short_lines_ruled_out_match_no_cue() -> None:
    # The same for lines of at most SHORT_LINE characters (short_line_candidates): the cue cases,
    # in upper case, cut short, with space around, "name says:" lines, pieces of cue words.
    pytest.importorskip("numba")
    import numba  # noqa: F401  (judge_pages takes the compiled pass once numba runs)
    import numpy as np

    from cleaner.boilerplate.rules import LineCues, short_line_candidates, trigger_masks

    lines = [line for _, line in LINE_CASES] + _first_part_lines() + _cue_pieces()
    lines += [line.upper() for line in lines] + [line[:k] for line in lines for k in (1, 2, 3, 5, 8)]
    lines += [f" {line}\t" for line in lines[::3]] + ["", " ", "Weather", "x says:", "Jane Doe says:"]
    lines = [line for line in lines if line.isascii() and len(line) <= SHORT_LINE]
    found = LineCues().judge_pages([lines[::2], lines[1::2]])
    expected = [line_reason(line) if line.strip() else None for line in lines]
    assert found == [expected[::2], expected[1::2]]
    assert sum(reason is not None for reason in expected) > 100
    stripped = [line.strip().lower() for line in lines]
    sizes = np.array([len(line) for line in stripped])
    starts = np.cumsum(sizes + 1) - sizes - 1
    data = np.frombuffer("\n".join(stripped).encode("ascii"), dtype=np.uint8)
    maybe = short_line_candidates(data, starts, sizes, np.array(trigger_masks(stripped, compiled=False)))
    assert all(maybe[k] for k, reason in enumerate(expected) if reason is not None)
    assert not maybe.all()


def test_long_lines_ruled_out_match_no_cue() -> None:
    # LineCues.judge_pages sends a long ASCII line to _line_reason only where long_line_candidates
    # says a cue may match it: the verdicts are line_reason's, and some lines are ruled out.
    pytest.importorskip("numba")
    import numba  # noqa: F401  (judge_pages takes the compiled pass once numba runs)
    import numpy as np

    from cleaner.boilerplate.rules import LineCues, long_line_candidates, trigger_masks

    lines = _long_lines()
    found = LineCues().judge_pages([lines[:500], lines[500:]])
    assert found[0] + found[1] == [line_reason(line) if line.strip() else None for line in lines]
    assert sum(reason is not None for reason in found[0] + found[1]) > 100
    stripped = [line.strip().lower() for line in lines]
    sizes = np.array([len(line) for line in stripped])
    starts = np.cumsum(sizes + 1) - sizes - 1
    data = np.frombuffer("\n".join(stripped).encode("ascii"), dtype=np.uint8)
    maybe = long_line_candidates(data, starts, sizes, np.array(trigger_masks(stripped, compiled=False)))
    assert all(maybe[k] for k, line in enumerate(lines) if line_reason(line) is not None)
    assert not maybe.all()


def test_the_compiled_candidates_are_the_numpy_tests() -> None:
    # line_candidates' compiled pass (what judge_pages runs) against short_line_candidates and
    # long_line_candidates: the lines of the two tests above, mixed, upper-cased or not (the
    # bytes are read lower-cased), as the stripped bytes of a batch, and in a few orders.
    pytest.importorskip("numba")
    import numba  # noqa: F401  (line_candidates takes the compiled pass once numba runs)
    import numpy as np

    from cleaner.boilerplate.rules import (
        _candidates_kernel,
        line_candidates,
        long_line_candidates,
        short_line_candidates,
        trigger_masks,
    )

    assert _candidates_kernel() is not None
    lines = [line for _, line in LINE_CASES] + _first_part_lines() + _cue_pieces() + _long_lines()
    lines += [line[:k] for line in lines[::4] for k in (1, 2, 3, 5, 8, 61, 62)] + ["x says:", "Jane Doe says:"]
    headline = " the council voted on Tuesday to repair the old bridge before the winter"
    lines += [f"{prefix}{headline * times}" for prefix in ("Read more:", "Lesen Sie auch:") for times in (1, 3)]
    lines = [line.strip() for line in lines if line.isascii() and line.strip()]
    for order in (lines, lines[::-1], [line.upper() for line in lines[::3]]):
        sizes = np.array([len(line) for line in order])
        starts = np.cumsum(sizes + 1) - sizes - 1
        data = np.frombuffer("\n".join(order).encode("ascii"), dtype=np.uint8)
        held = np.array(trigger_masks([line.lower() for line in order], compiled=False))
        short = sizes <= SHORT_LINE
        expected = np.empty(len(order), dtype=bool)
        for rows, candidates in ((short, short_line_candidates), (~short, long_line_candidates)):
            expected[rows] = candidates(data, starts[rows], sizes[rows], held[rows])
        found = line_candidates(data, starts, sizes, held)
        assert found.tolist() == expected.tolist()
        assert 0 < found.sum() < len(order)


def test_the_cues_a_line_may_start_are_all_those_that_match_it() -> None:
    # line_leads' cue bits (the first parts _line_reason tries) hold every cue whose first part
    # matches a line, and the PREFIX_CUES' bit every line one of them starts; trigger_masks'
    # bits from FLOATING_BIT on (the second parts it tries) every cue whose second part matches.
    # So _line_reason given both finds line_reason's verdict, on the lines of the test above;
    # and the bits rule out first parts that the first character alone would let it try.
    pytest.importorskip("numba")
    import numba  # noqa: F401  (line_leads takes the compiled pass once numba runs)
    import numpy as np

    from cleaner.boilerplate.rules import (
        _CUES,
        _PREFIX_COLUMN,
        _TRIGGER_BITS,
        FLOATING_BIT,
        PREFIX_CUES,
        _line_reason,
        cues_starting_with,
        line_leads,
        trigger_masks,
    )

    lines = [line for _, line in LINE_CASES] + _first_part_lines() + _cue_pieces() + _long_lines()
    lines += [line[:k] for line in lines[::4] for k in (1, 2, 3, 5, 8, 61, 62)] + ["x says:", "Jane Doe says:"]
    headline = " the council voted on Tuesday to repair the old bridge before the winter"
    lines += [f"{prefix}{headline * times}" for prefix in ("Read more:", "Lesen Sie auch:") for times in (1, 3)]
    lines = [line.strip() for line in lines if line.isascii() and line.strip()]
    lines += [line.upper() for line in lines[::3]]
    sizes = np.array([len(line) for line in lines])
    starts = np.cumsum(sizes + 1) - sizes - 1
    data = np.frombuffer("\n".join(lines).encode("ascii"), dtype=np.uint8)
    held = trigger_masks([line.lower() for line in lines])
    assert held is not None
    _, lead_bits = line_leads(data, starts, sizes, np.array(held))
    leads = lead_bits.tolist()
    pruned = 0
    for line, lead, mask in zip(lines, leads, held, strict=True):
        for bit, (_, cue) in enumerate(_CUES):
            if cue.anchored is not None and cue.anchored.fullmatch(line):
                assert lead >> bit & 1, (line, bit)
            if cue.floating is not None and cue.floating.fullmatch(line):
                assert mask >> (FLOATING_BIT + bit) & 1, (line, bit)
        if any(pattern.match(line) for _, pattern in PREFIX_CUES) and len(line) <= 199:
            assert lead >> _PREFIX_COLUMN & 1, line
        floats = mask >> FLOATING_BIT
        held_words = None if len(line) <= SHORT_LINE else mask & _TRIGGER_BITS
        assert _line_reason(line, held_words, lead, floats) is line_reason(line), line
        pruned += lead >= 0 and cues_starting_with(line[0]) & ~lead != 0
    assert pruned > 100


def test_first_characters_of_patterns() -> None:
    from cleaner.boilerplate.rules import first_characters

    assert first_characters(r"(?:please\s+)?(?:follow|like)\s+us") == frozenset("pfl")
    assert first_characters(r"\(?(?:image|фото) \d+") == frozenset("(iф")
    assert first_characters(r"(?!(?:he|she)\b)[a-c.]{1,30} says:") == frozenset("abc.")
    for unknown in (r"\d+ comments", r"[^a] b", r".{0,3}x", r"(?:a)?", r"(?i:a)b", r"[\w.] says"):
        assert first_characters(unknown) is None, unknown
