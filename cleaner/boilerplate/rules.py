"""The rule table of the boilerplate stage: tag sets, class/id cues and line cues, as data.

Every cue names the Reason it drops text for. Cues are multilingual (English, German, French,
Spanish, Russian) and describe *kinds* of boilerplate (share bars, cookie notices, "related
articles" headers), never a single site. To re-check a change, run
``python benchmarks/bench_extraction.py`` and compare both halves of the held-out split.

>>> reason_for_class(class_key("post-share-buttons"))
<Reason.SOCIAL: 'boilerplate.social'>
>>> reason_for_class(class_key("article-body")) is None
True
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from cleaner import cache
from cleaner.boilerplate import _aot
from cleaner.cache import compiled, derived
from cleaner.jit import import_numba
from cleaner.record import Reason

# Elements whose content is never visible text.
INVISIBLE_TAGS: frozenset[str] = frozenset(
    {
        "script", "style", "noscript", "template", "svg", "iframe", "head", "title", "meta", "link",
        "object", "embed", "canvas", "video", "audio", "map", "select", "option", "button",
        "input", "textarea", "annotation", "annotation-xml", "-comment", "datalist", "dialog",
    }
)  # fmt: skip

# Elements that start a new line of text (block-level in the HTML rendering model).
BLOCK_TAGS: frozenset[str] = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
        "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
        "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li",
        "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip

HEADING_TAGS: frozenset[str] = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# Structural elements that hold page chrome rather than article text. They are cues, not
# verdicts: a cue on an element that holds most of the page's good text is ignored (some sites
# wrap the whole page in <form> or <header>), see html.py.
TAG_CUES: Mapping[str, Reason] = MappingProxyType(
    {
        "nav": Reason.NAV,
        "header": Reason.NAV,
        "footer": Reason.NAV,
        "menu": Reason.NAV,
        "aside": Reason.RELATED,
        "form": Reason.MARKUP,
        # Captions: the extraction benchmark's annotators left them out of article bodies
        # (keeping figcaptions and caption classes costs 0.011 F1 on the tune half); the Drop
        # keeps them visible, and BoilerplateConfig.captions keeps them in the text.
        "figcaption": Reason.CAPTION,
    }
)

# Class/id/role cues, in priority order: the first that matches names the reason. The string
# is lower-cased, "_" and "-" become spaces, and each word and each pair of neighbouring words
# is matched with a space at both ends, so " nav" means a word starting with "nav" and
# "read ?more" matches "read-more" and "readmore". Keep them generic.
_CLASS_CUES: tuple[tuple[Reason, str], ...] = (
    # Not " cmp ": Adobe's component classes are "cmp-text", "cmp-container".
    (Reason.CONSENT, r"cookie|consent|gdpr|onetrust|privacy ?banner"),
    (Reason.COMMENTS, r"comment|comentari|disqus| respond |reply|discussion|kommentar"),
    (Reason.SOCIAL, r"share|sharing|social|sociable|follow ?us|addthis| teilen|partage|compartir"),
    (Reason.NEWSLETTER, r"newsletter|subscri|signup|sign up|mailing|abonn|suscrip|podpis"),
    (
        Reason.RELATED,
        r"related|recommend|more ?stories|more ?articles|read ?more|also ?read|popular|trending"
        r"|most ?read|outbrain|taboola|you ?may|sidebar|widget|further|next ?post|prev ?post"
        r"|post ?nav|pagination|tags? ?list|tag ?cloud|article ?tags|entry ?tags|post ?tags|byline"
        r"|author ?bio|about ?author|the ?author|meta ?data|post ?meta|entry ?meta|article ?meta"
        r"|verwandt|similaire|relacionad|pohozh",
    ),
    (
        Reason.AD,
        r" ads? | ad |advert|sponsor|promo|banner| dfp|adslot|ad ?unit|google ?ad|werbung| anzeige"
        r"|publicit|publicidad|reklam",
    ),
    (
        Reason.NAV,
        r" nav|menu|breadcrumb|masthead|site ?header|site ?footer| footer| header|toolbar|skip ?link"
        r"|topbar|navbar|jump ?to",
    ),
    # Not the word "hidden" alone: "field--label-hidden" (Drupal) and "overflow-hidden"
    # (Tailwind) hide nothing, and "hidden-md" hides on one screen size only; whole class
    # names that hide (HIDING_CLASSES) are checked apart.
    (Reason.MARKUP, r"visually ?hidden| sr only|screen ?reader|modal|popup|overlay"),
    (Reason.CAPTION, r"caption|credit"),
)
CLASS_CUES: tuple[tuple[Reason, re.Pattern[str]], ...] = tuple(
    (reason, compiled(pattern)) for reason, pattern in _CLASS_CUES
)


def _literal_strings(alternative: str) -> list[str] | None:
    """The strings an alternative of plain characters, each optional (``?`` after it) or not, matches;
    None for an alternative with any other syntax."""
    strings = [""]
    for k, char in enumerate(alternative):
        if char == "?":
            continue
        if char in _REGEX_SYNTAX:
            return None
        if alternative[k + 1 : k + 2] == "?":
            strings += [string + char for string in strings]
        else:
            strings = [string + char for string in strings]
    return strings


_REGEX_SYNTAX = frozenset("\\.^$*+()[]{}|")


def _prefix_tree(strings: list[str]) -> str:
    """A pattern that ``search`` finds in a text exactly when one of ``strings`` (none empty) occurs in it:
    their alternation factored by first characters, level by level (a string that another one starts
    with stands for both)."""
    kept: list[str] = []
    for string in sorted(set(strings)):
        if not kept or not string.startswith(kept[-1]):  # sorted: a string's prefixes come just before it
            kept.append(string)
    return _factored(kept)


def _factored(strings: list[str]) -> str:
    """_prefix_tree of sorted strings, none empty, none a prefix of another."""
    parts = []
    start = 0
    while start < len(strings):
        stop = start + 1
        while stop < len(strings) and strings[stop][0] == strings[start][0]:
            stop += 1
        if stop == start + 1:
            parts.append(re.escape(strings[start]))
        else:
            first, last = strings[start], strings[stop - 1]  # sorted: theirs is every string's common prefix
            size = 1
            while size < len(first) and first[size] == last[size]:
                size += 1
            common = first[:size]
            rests = [string[len(common) :] for string in strings[start:stop]]
            parts.append(f"{re.escape(common)}(?:{_factored(rests)})")
        start = stop
    return "|".join(parts)


def _any_class_cue() -> str:
    """The pattern of ANY_CLASS_CUE: any of CLASS_CUES matches. Their alternatives are strings with
    optional characters ("read ?more"), so it is a prefix tree of those strings (the regex engine
    tries an alternation's branches one by one at every position: a class word took 5.1 us against
    1.3 with the tree, 26,246 words and word pairs of the 181 Scrapinghub pages); the plain
    alternation of the patterns where one is more than that."""
    strings: list[str] = []
    for _, pattern in _CLASS_CUES:
        for alternative in pattern.split("|"):
            found = _literal_strings(alternative)
            if not found or "" in found:
                return "|".join(f"(?:{pattern})" for _, pattern in _CLASS_CUES)
            strings += found
    return _prefix_tree(strings)


ANY_CLASS_CUE = compiled(_any_class_cue())
_CLASS_SEPARATORS = str.maketrans("_-", "  ")


def class_key(attrs: str) -> str:
    """The form a class/id/role string is matched in.

    >>> class_key("Post_Share-Bar")
    ' post share bar '
    """
    return f" {attrs.lower().translate(_CLASS_SEPARATORS)} "


def reason_for_class(attrs: str) -> Reason | None:
    """The boilerplate reason a class/id/role string (see class_key) points at, or None.

    The slow, whole-string form of ClassCues.judge, for people and tests.

    >>> reason_for_class(class_key("cookie-banner"))
    <Reason.CONSENT: 'boilerplate.consent'>
    """
    if not attrs or ANY_CLASS_CUE.search(attrs) is None:
        return None
    for reason, pattern in CLASS_CUES:
        if pattern.search(attrs):
            return reason
    return None


# First words of the two-word cues ("read more", "sr only"): only pairs starting with one of
# these are matched. Keep in step with the " ?" and two-word patterns above.
_PAIR_STARTS: frozenset[str] = frozenset(
    {"privacy", "follow", "sign", "more", "read", "also", "most", "you", "next", "prev", "post", "tag",
     "tags", "article", "entry", "author", "about", "the", "meta", "ad", "google", "site", "skip",
     "jump", "visually", "sr", "screen", "blog"}
)  # fmt: skip


# Whole class names that hide an element on every screen (Bootstrap, Foundation, Bulma, ...).
HIDING_CLASSES: frozenset[str] = frozenset({"hidden", "is-hidden", "d-none", "hide", "display-none", "invisible"})
# Page-builder prefixes: "elementor-widget" wraps every block of an Elementor page, so a cue
# word right after one of these names the builder's component, not a widget in a sidebar.
BUILDER_PREFIXES: frozenset[str] = frozenset({"elementor", "et", "fl", "vc", "wpb", "wp", "jet", "uagb", "kb"})


def _may_hide(lowered: str) -> bool:
    """Whether a lower-cased class string holds one of HIDING_CLASSES as a whole name. Each of them
    holds "hid", "none" or "invisible", looked for first: most strings hold none of the three, and
    a second split of every string cost more than its judging by words did (9.3 -> 3.6 ms over
    the 6,761 class strings of the 181 Scrapinghub pages, in process).

    >>> _may_hide("nav d-none"), _may_hide("d-none-ish hidden-xs")
    (True, False)
    """
    return ("hid" in lowered or "none" in lowered or "invisible" in lowered) and not HIDING_CLASSES.isdisjoint(
        lowered.split()
    )


_SHOWN = compiled(
    r"(?:^|\s)(?:[a-z0-9]+:(?:block|flex|grid|inline|inline-block|inline-flex|table|contents)"
    r"|d-(?:sm|md|lg|xl|xxl)-(?:block|flex|grid|inline|inline-block|inline-flex|table))(?=\s|$)"
)


def _shown_on_wide_screens(lowered: str) -> bool:
    """A hiding class undone at some screen width ("hidden lg:flex", "d-none d-md-block"): visible
    on a desktop, where the page's main content is judged.

    >>> _shown_on_wide_screens("hidden lg:flex"), _shown_on_wide_screens("hidden")
    (True, False)
    """
    return _SHOWN.search(lowered) is not None


class ClassCues:
    """Judge class/id/role strings word by word, remembering each word's verdict.

    Regex alternations over a whole class string cost microseconds each, and a page has
    hundreds of distinct strings; words ("col", "md", "menu", "item") repeat across strings
    and pages, so each is matched once. The memory is a pure memo (bounded), so results never
    depend on what was judged before. One instance per worker.

    >>> cues = ClassCues()
    >>> cues.judge("post-share-buttons"), cues.judge("entry-content clearfix")
    (<Reason.SOCIAL: 'boilerplate.social'>, None)
    """

    MAX_WORDS = 200_000  # memo bound, for words and for whole strings: tens of MB at worst

    def __init__(self) -> None:
        self._masks: dict[str, int] = {}
        self._strings: dict[str, Reason | None] = {}  # whole class strings ("menu-item ...")

    def _mask(self, piece: str) -> int:
        mask = self._masks.get(piece)
        if mask is None:
            key = f" {piece} "
            mask = 0
            if ANY_CLASS_CUE.search(key) is not None:  # most words hold no cue: one search, not eleven
                for bit, (_, pattern) in enumerate(CLASS_CUES):
                    if pattern.search(key) is not None:
                        mask |= 1 << bit
            if len(self._masks) < self.MAX_WORDS:
                self._masks[piece] = mask
        return mask

    def judge(self, names: str) -> Reason | None:
        """The cue of a class/id/role string: the first reason, in priority order, that matches."""
        if names in self._strings:
            return self._strings[names]
        cue = self._judge(names)
        if len(self._strings) < self.MAX_WORDS:
            self._strings[names] = cue
        return cue

    def _judge(self, names: str) -> Reason | None:
        lowered = names.lower()
        # Two replaces: what translate(_CLASS_SEPARATORS) gives, in a seventh of its time on these strings.
        words = lowered.replace("-", " ").replace("_", " ").split()
        mask = 0
        previous = ""
        masks = self._masks  # _mask's memo read here: most words are known (no call per word)
        for word in words:
            # "post-5760818": ids never carry a cue; "elementor-widget": a builder's component.
            if not word.isdigit() and previous not in BUILDER_PREFIXES:
                known = masks.get(word)
                mask |= self._mask(word) if known is None else known
            previous = word
        if not mask and _may_hide(lowered) and not _shown_on_wide_screens(lowered):
            return Reason.MARKUP
        if not _PAIR_STARTS.isdisjoint(words):  # most strings hold none
            for left, right in itertools.pairwise(words):
                if left in _PAIR_STARTS:
                    mask |= self._mask(f"{left} {right}")
        if mask:
            for bit, (reason, _) in enumerate(CLASS_CUES):
                if mask >> bit & 1:
                    return reason
        return None


# ---------------------------------------------------------------------------------------------
# Line cues for plain text. Each is a regex matched against a whole, stripped, case-folded line
# (``fullmatch``) unless it is in the PREFIX table. Keep them short and generic.
_W = r"[\s\W]*"  # optional trailing punctuation/space

# Share-bar words, alone or in a row ("Facebook | Twitter | Email").
_NETWORKS = (
    r"(?:share|tweet|pin|email|e-mail|print|whatsapp|facebook|twitter|linkedin|telegram|reddit|instagram"
    r"|pinterest|youtube|tiktok|vk|xing|flipboard|mastodon|threads|messenger|copy link)"
)

_LINE_CUES: tuple[tuple[Reason, str], ...] = (
    (
        Reason.SOCIAL,
        r"(?:please\s+)?(?:follow|like|find|join|connect with|share with)\s+(?:us|me)\b.{0,80}"
        # "Follow RT on", "Follow Jane on Instagram"; not "Follow the money on this one".
        r"|follow \w+(?: \w+)? on(?: (?:twitter|facebook|instagram|telegram|youtube|tiktok|linkedin"
        r"|mastodon|threads|bluesky|vk|x)\b.{0,60})?"
        r"|(?:like|enjoy|enjoyed) this (?:story|article|post)\?.{0,80}"
        r"|share (?:it|this) with .{0,60}"
        r"|share(?: this)?(?: article| story| post| page)?(?: on \w+)?"
        + _W
        + rf"|{_NETWORKS}(?:\s*[|·•,/]\s*{_NETWORKS})*"
        + _W
        + r"|teilen|(?:auf )?facebook teilen|partager(?: sur \w+)?|compartir(?: en \w+)?"
        r"|поделиться.{0,40}|подписывайтесь на нас.{0,80}|folgen sie uns.{0,80}|suivez-nous.{0,80}"
        r"|síguenos.{0,80}|share this:?|click to (?:share|email|print|tweet).{0,80}"
        r"|join (?:us|our (?:community|forums?|discord|group|channel|\w+ forums?))\b.{0,200}",
    ),
    (
        Reason.NEWSLETTER,
        r"(?:subscribe|sign up|signup|register)\b.{0,40}(?:newsletter|updates|inbox|email).{0,120}"
        r"|(?:get|receive|join) (?:our|the) (?:\w+ )?(?:newsletter|mailing list).{0,120}|newsletters?"
        + _W
        + r"|subscribe(?: now| today| here)?"
        + _W
        + r"|sign up(?: now| today| here)?"
        + _W
        + r"|.{0,60}\bsubscribe to our\b.{0,200}"
        + r"|enter your e-?mail.{0,80}|your e-?mail address"
        + _W
        + r"|newsletter abonnieren.{0,80}|jetzt abonnieren.{0,40}|inscrivez-vous.{0,80}"
        r"|abonnez-vous.{0,80}|suscr[ií]bete.{0,80}|подпишитесь.{0,80}|подписаться.{0,40}",
    ),
    (
        Reason.RELATED,
        r"(?:related|similar|recommended|popular|trending|latest|more|recent|top)"
        r"(?: \w+)?(?: articles?| stories| posts| news| reads| videos?| content| from \w+(?: \w+)?)"
        + _W
        + r"|(?:read|see) (?:more|also|next)"
        + _W
        + r"|don['’]t miss"
        + _W
        + r"|you (?:may|might) (?:also )?(?:like|enjoy|be interested in)"
        + _W
        + r"|also (?:read|on \w+)"
        + _W
        + r"|more on this(?: story| topic)?"
        + _W
        + r"|(?:auch|mehr) (?:interessant|zum thema)"
        + _W
        + r"|das könnte sie (?:auch )?interessieren"
        + _W
        + r"|lesen sie (?:auch|mehr)"
        + _W
        + r"|weitere artikel"
        + _W
        + r"|(?:à|a) lire (?:aussi|également)"
        + _W
        + r"|articles? (?:similaires|liés|connexes)"
        + _W
        + r"|sur le même sujet"
        + _W
        + r"|(?:noticias|artículos) relacionad[oa]s"
        + _W
        + r"|te puede interesar"
        + _W
        + r"|lee (?:también|más)"
        + _W
        + r"|(?:читайте|смотрите) (?:также|еще|ещё)"
        + _W
        + r"|похожие (?:статьи|новости|материалы)"
        + _W
        + r"|по теме"
        + _W
        + r"|tags?:.{0,200}|filed under:?.{0,200}|categories:.{0,200}",
    ),
    (
        Reason.COMMENTS,
        r"(?:leave|post|write|add) a (?:comment|reply|response)"
        + _W
        + r"|be the first to comment.{0,40}|\d+\s+comments?"
        + _W
        + r"|\d+ (?:responses?|replies|comments?|thoughts?) (?:to|on) .{0,200}"
        # "thelastchargersfan says:" heads a reader comment; "He says:" introduces a quote.
        + r"|(?!(?:he|she|they|it|we|i|you|the|this|that|er|sie|es|wir|il|elle|ils|on|él|ella|он|она|они)\b)"
        r"[\w.\-]{1,30}(?: [\w.\-]{1,20})? (?:says|schreibt|écrit|dice|пишет):"
        + r"|(?:reply|antworten|répondre|responder|ответить)"
        + _W
        + r"|comments?(?: \(\d+\))?"
        + _W
        + r"|no comments(?: yet)?"
        + _W
        + r"|this site uses akismet.{0,120}|your email address will not be published.{0,120}"
        r"|required fields are marked.{0,40}|(?:view|show|load|hide) (?:all )?(?:\d+ )?comments?.{0,20}"
        r"|kommentare?(?: \(\d+\))?"
        + _W
        + r"|kommentar schreiben"
        + _W
        + r"|commentaires?(?: \(\d+\))?"
        + _W
        + r"|laisser un commentaire"
        + _W
        + r"|comentarios?(?: \(\d+\))?"
        + _W
        + r"|deja un comentario"
        + _W
        + r"|комментарии(?: \(\d+\))?"
        + _W
        + r"|оставить комментарий"
        + _W
        + r"|добавить комментарий"
        + _W,
    ),
    (
        Reason.CONSENT,
        r".{0,80}\b(?:we|this (?:site|website)) uses? cookies.{0,300}"
        r"|.{0,40}\bwe use your sign-?up.{0,300}|accept(?: all)?(?: cookies)?"
        + _W
        + r"|.{0,80}\bby (?:using|continuing to use) (?:this|our) (?:site|website).{0,300}"
        r"|.{0,80}\bwir verwenden cookies.{0,300}|.{0,80}\bnous utilisons (?:des )?cookies.{0,300}"
        r"|.{0,80}\butilizamos cookies.{0,300}|.{0,80}\bмы используем (?:файлы )?cookie.{0,300}"
        r"|.{0,80}\bиспользует (?:файлы )?cookie.{0,300}",
    ),
    (
        Reason.LEGAL,
        # "Copyright law changed in 2019" is a sentence: the word alone must come with a
        # symbol, a year or "by".
        # "(C)" alone is a footnote mark in tables: it counts only before a year.
        r"(?:©|&copy;).{0,400}|\(c\)\s*\d{4}.{0,300}|copyright\s*(?:©|\(c\))?\s*(?:\d{4}|by\b).{0,300}"
        r"|.{0,200}all rights reserved.{0,200}"
        # "... protect companies from the unauthorized use of U.S. designs" is a sentence; the
        # notice forbids unauthorized use *of this* material.
        r"|.{0,200}unauthori[sz]ed (?:use|reproduction|copying|duplication)\b.{0,40}"
        r"\b(?:of this|this material|is (?:strictly )?prohibited).{0,300}"
        r"|alle rechte vorbehalten.{0,100}"
        r"|.{0,100}tous droits réservés.{0,100}|.{0,100}todos los derechos reservados.{0,100}"
        r"|.{0,100}все права защищены.{0,100}|privacy policy|terms (?:of (?:use|service)|and conditions)"
        r"|.{0,200}\bregistered trademarks? of\b.{0,300}"
        r"|.{0,60}\binformation (?:provided|contained|published) on this (?:web ?)?site\b.{0,500}"
        r"|impressum|datenschutz(?:erklärung)?|mentions légales|aviso legal|политика конфиденциальности",
    ),
    (
        # Photo credits and gallery counters; a caption that describes the picture stays.
        Reason.CAPTION,
        r"\(?(?:image|photo|picture|foto|bild|imagen|фото) ?(?:credits?|source|quelle|fuente)\s*:.{0,100}"
        r"|(?:image|photo|slide|picture|bild|foto|imagen|фото) \d+ (?:of|von|de|sur|из) \d+"
        r"|(?:foto|photo|bild|imagen|фото)\s*:\s*"
        r"(?:dpa|afp|reuters|ap|getty images|imago|epa|picture alliance)\b.{0,60}"
        r"|(?:getty images|reuters|ap photo|afp|epa|dpa|shutterstock)(?: via .{0,40}|/.{0,40})?" + _W,
    ),
    (
        Reason.SOURCE,
        r"(?:source|quelle|fuente|источник)\s*:\s*read (?:the )?full (?:article|story)"
        r"|read (?:the )?full (?:article|story)(?: (?:here|at|on) .{0,60})?" + _W,
    ),
    (
        Reason.AD,
        r"advertisements?"
        + _W
        # Ad-slot markers: "Continue Reading Below", "Story continues below advertisement".
        + r"|(?:advertisement\W{0,5})?(?:continue reading|story continues|article continues|text continues)"
        r"(?: below| after (?:the |this )?(?:ad|advertisement))?(?: advertisement)?"
        + _W
        + r"|weiterlesen nach der anzeige|(?:la )?suite après (?:cette |la )?(?:publicité|pub)"
        r"|(?:el )?artículo continúa (?:debajo|abajo)(?: de la publicidad)?|продолжение (?:ниже|после рекламы)"
        + _W
        + r"|sponsored(?: content| by .{0,60})?"
        + _W
        + r"|anzeige|werbung|publicité|publicidad|реклама|ad"
        + _W
        + r"|.{0,60}\b(?:launch|start) your (?:unlimited |free )?.{0,40}trial.{0,80}"
        r"|.{0,80}['‘’\"]?no ad['‘’\"]? subscription.{0,200}"
        r"|.{0,80}\bsign up here and support.{0,200}|.{0,40}support (?:independent|real) journalism.{0,120}"
        r"|.{0,120}\bad[ -]?blocker.{0,200}|.{0,120}\bwerbeblocker.{0,200}|.{0,120}\bbloqueur de pub.{0,200}",
    ),
    (
        Reason.NAV,
        r"(?:home|menu|search|skip to (?:main )?content|back to top|main menu|log ?in|sign in|log ?out"
        r"|startseite|accueil|inicio|главная|suche|rechercher|buscar|поиск|next|previous|prev"
        r"|weiter|zurück|suivant|précédent|siguiente|anterior|далее|назад)" + _W,
    ),
)
LINE_CUES: tuple[tuple[Reason, re.Pattern[str]], ...] = tuple(
    (reason, compiled(pattern, re.IGNORECASE | re.DOTALL)) for reason, pattern in _LINE_CUES
)


# The longest text each line cue above can match (in _LINE_CUES order), reading "*" and "+" as
# at most 20 repeats. Lines longer than that are skipped without running the regex (its leading
# ".{0,80}" would otherwise be retried at every position of a long paragraph). Python has no
# public API for a pattern's width, so the figures are written here and
# tests/boilerplate/test_boilerplate_rules_width.py recomputes them: update them when a cue changes.
LINE_CUE_MAX_LENGTH: tuple[int, ...] = (1029, 276, 212, 234, 413, 598, 137, 107, 335, 40)

# A line longer than SHORT_LINE can only match these reasons' cues if it contains one of these
# words (lower-cased). Checking the words first skips three regexes that would otherwise
# scan every paragraph, a fifth of the HTML extraction time. Keep in step with the patterns
# above; tests/boilerplate/test_boilerplate_reasons.py has long examples of each.
SHORT_LINE = 60
_LONG_LINE_TRIGGERS: Mapping[Reason, tuple[str, ...]] = MappingProxyType({
    Reason.CONSENT: ("cookie", "sign-up", "signup", "by using", "by continuing"),
    Reason.LEGAL: (
        "©", "(c)", "&copy;", "copyright", "rights reserved", "unauthori", "vorbehalten", "réservés",
        "reservados", "защищены", "trademark", "information",
    ),
    Reason.AD: ("trial", "no ad", "sign up here", "journalism", "blocker", "bloqueur", "sponsored by"),
    Reason.CAPTION: ("credit", "source", "quelle", "fuente", "via", "/", "foto", "photo", "bild", "imagen", "фото"),
})  # fmt: skip
_TRIGGERS: tuple[tuple[str, ...] | None, ...] = tuple(_LONG_LINE_TRIGGERS.get(reason) for reason, _ in _LINE_CUES)
# The same words as case-insensitive patterns, for the lines where lower() cannot find them (CASE_TRAPS).
_TRIGGER_PATTERNS: tuple[re.Pattern[str] | None, ...] = tuple(
    None if words is None else compiled("|".join(map(re.escape, words)), re.IGNORECASE) for words in _TRIGGERS
)

# Characters that the cue patterns, being case-insensitive, take for a letter of the words that
# line_reason and _Cue look for with ``in`` on the lower-cased line (the trigger words above and
# the floating alternatives' literals), though lower() does not give that letter: the long s
# for "s", the dotted capital and the dotless i for "i", old Cyrillic letter forms for "в", "о",
# "с", "т". A line holding one is searched with the words' own case-insensitive patterns instead.
# (The Kelvin sign lower-cases to "k": no trap.) tests/boilerplate/test_boilerplate_reasons.py
# recomputes the set over every code point: update it when a word brings a new letter.
CASE_TRAPS: frozenset[str] = frozenset(
    "\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}\N{LATIN SMALL LETTER DOTLESS I}\N{LATIN SMALL LETTER LONG S}"
    "\N{CYRILLIC SMALL LETTER ROUNDED VE}\N{CYRILLIC SMALL LETTER NARROW O}\N{CYRILLIC SMALL LETTER WIDE ES}"
    "\N{CYRILLIC SMALL LETTER TALL TE}\N{CYRILLIC SMALL LETTER THREE-LEGGED TE}"
)
_CASE_TRAP = re.compile("[" + "".join(sorted(CASE_TRAPS)) + "]")


def words_lowered(text: str) -> str | None:
    """``text.lower()`` where a cue word is in it exactly when the word's case-insensitive pattern
    finds it in ``text``; None where the text holds one of the CASE_TRAPS.

    >>> words_lowered("All Rights Reserved"), words_lowered("All right\N{LATIN SMALL LETTER LONG S} reserved")
    ('all rights reserved', None)
    """
    if text.isascii() or _CASE_TRAP.search(text) is None:
        return text.lower()
    return None


def split_alternatives(pattern: str) -> list[str]:
    r"""The top-level alternatives of a pattern: ``"|".join`` of them gives it back.

    >>> split_alternatives(r"a(?:b|c)|[|]d|e\|f")
    ['a(?:b|c)', '[|]d', 'e\\|f']
    """
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 2 if pattern[i + 1 : i + 2] == "]" else 3 if pattern[i + 1 : i + 3] == "^]" else 1
            continue
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*parts, pattern[start:]]


_META = frozenset(".^$*+?{}[]|()\\")


def required_literal(alternative: str) -> str:
    r"""The longest run of plain characters outside groups and classes of a pattern with no
    top-level "|": every text it matches holds that run (under the pattern's flags).

    >>> required_literal(r".{0,80}\b(?:we|this site) uses? cookies.{0,300}")
    ' cookies'
    """
    runs, run, depth, i = [""], "", 0, 0
    while i < len(alternative):
        char = alternative[i]
        quantified = alternative[i + 1 : i + 2] in ("?", "*", "+", "{")
        if depth == 0 and char not in _META and not quantified:
            run += char
            i += 1
            continue
        runs.append(run)
        run = ""
        if char == "\\":
            i += 2
        elif char == "[":  # skip the class (a "]" first in it is a member)
            i = alternative.index("]", i + (3 if alternative[i + 1 : i + 2] in ("]", "^") else 2)) + 1
        elif char == "{":  # skip a repeat count
            i = alternative.index("}", i) + 1
        else:
            depth += 1 if char == "(" else -1 if char == ")" else 0
            i += 1
    return max([*runs, run], key=len)


def first_characters(pattern: str) -> frozenset[str] | None:
    r"""Characters (as the pattern writes them) one of which starts every text that ``pattern``
    matches under IGNORECASE and DOTALL, or None where that is not known (a class like ``\w``, a
    pattern that may match the empty text). Zero-width assertions are passed over (they only
    narrow what matches), so the set may hold more than needed, never less.

    >>> sorted(first_characters(r"(?:\(c\)|copyright)\s*\d{4}|(?:by|von) \w+"))
    ['(', 'b', 'c', 'v']
    >>> first_characters(r"[\w.]{1,30} says:") is None
    True
    """
    found, nullable = _first(sre_parse.parse(pattern, re.IGNORECASE | re.DOTALL))
    return None if found is None or nullable else frozenset(found)


def _first(items: Any) -> tuple[set[str] | None, bool]:
    """The characters that can start a match of a parsed sequence (None: unknown), and whether
    it can match the empty text."""
    out: set[str] = set()
    for op, av in items:
        if op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue
        if op is sre_constants.LITERAL:
            return out | {chr(av)}, False
        if op is sre_constants.IN:
            for member, value in av:
                if member is sre_constants.LITERAL:
                    out.add(chr(value))
                elif member is sre_constants.RANGE and value[1] - value[0] < 256:
                    out.update(map(chr, range(value[0], value[1] + 1)))
                else:  # a category (\w, \d, \s) or a negated class
                    return None, False
            return out, False
        found: set[str] | None
        if op is sre_constants.SUBPATTERN:
            _, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                return None, False
            found, nullable = _first(sub)
        elif op is sre_constants.BRANCH:
            found, nullable = set(), False
            for branch in av[1]:
                more, empty = _first(branch)
                if more is None:
                    return None, False
                found |= more
                nullable |= empty
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            least, _, sub = av
            found, nullable = _first(sub)
            nullable = nullable or least == 0
        else:
            return None, False
        if found is None:
            return None, False
        out |= found
        if not nullable:
            return out, False
    return out, True


# How far lead_strings looks into a text, and the widest class it spells out letter by letter (a
# wider one, such as \w or [\s\W], stands for any character: the strings stop before it). Three
# characters and twelve: on the 30 MB text dump 6% of the long lines then start as some cue's
# first part may (two characters: 51%), for tables of a few thousand strings.
LEAD_SPAN = 3
_WIDE_CLASS = 12
_LEAD_FLAGS = re.IGNORECASE | re.DOTALL


def lead_strings(pattern: str) -> list[str]:
    r"""Lower-case ASCII strings, one of which starts the lower-cased form of every ASCII text
    that ``pattern`` matches from the text's first character (under IGNORECASE and DOTALL), sorted.
    Each is LEAD_SPAN characters long, or shorter where what may follow is not narrowed down (a
    class of more than _WIDE_CLASS characters, the pattern's end): then any text starting with
    it may match. Zero-width assertions are passed over, so the strings may admit more than
    needed, never less; what the parser cannot read admits every text ("").

    >>> lead_strings(r"(?:by|von) \w+|[ab][0-2]?|\(c\)\s*\d{4}")
    ['(c)', 'a', 'a0', 'a1', 'a2', 'b', 'b0', 'b1', 'b2', 'by ', 'von']
    """
    parsed = sre_parse.parse(pattern, _LEAD_FLAGS)
    done: set[str] = set()
    done |= _leads(list(parsed), {""}, done, parsed.state, {})
    return sorted(done)


def trail_strings(pattern: str) -> list[str]:
    r"""lead_strings read from the other end: lower-case ASCII strings, one of which ends the
    lower-cased form of every ASCII text that ``pattern`` matches whole, sorted. For an
    alternative that any text may start ("name says:"), its end narrows it down.

    >>> trail_strings(r"[\w.]{1,30} (?:says|dice):|x")
    ['ce:', 'x', 'ys:']
    """
    parsed = sre_parse.parse(pattern, _LEAD_FLAGS)
    done: set[str] = set()
    done |= _leads(_reversed(list(parsed)), {""}, done, parsed.state, {})
    return sorted(trail[::-1] for trail in done)


def _reversed(items: Any) -> list[Any]:
    """A parsed sequence read backwards (groups, branches and repeats reversed inside), for
    _leads; assertions stay as they are, _leads passes over them."""
    out: list[Any] = []
    for op, av in reversed(list(items)):
        if op is sre_constants.SUBPATTERN:
            av = (av[0], av[1], av[2], _reversed(av[3]))
        elif op is sre_constants.BRANCH:
            av = (av[0], [_reversed(branch) for branch in av[1]])
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            av = (av[0], av[1], _reversed(av[2]))
        out.append((op, av))
    return out


def _leads(items: Any, heads: set[str], done: set[str], state: Any, letters: dict[str, frozenset[str]]) -> set[str]:
    """The strings ``heads`` (each shorter than LEAD_SPAN) become after the parsed sequence
    ``items``, those that reach LEAD_SPAN or stop at a wide class added to ``done`` instead.
    ``letters``: a memo of each character item's ASCII letters (_item_letters)."""
    for op, av in items:
        if not heads:
            break
        if op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue
        if op in (sre_constants.LITERAL, sre_constants.NOT_LITERAL, sre_constants.IN, sre_constants.ANY):
            chars = _item_letters((op, av), state, letters)
            if len(chars) > _WIDE_CLASS:
                done |= heads
                return set()
            grown = {head + char for head in heads for char in chars}
            done |= {head for head in grown if len(head) >= LEAD_SPAN}
            heads = {head for head in grown if len(head) < LEAD_SPAN}
        elif op is sre_constants.SUBPATTERN and not av[1] and not av[2]:  # a group without flags of its own
            heads = _leads(av[3], heads, done, state, letters)
        elif op is sre_constants.BRANCH:
            heads = set().union(*(_leads(branch, set(heads), done, state, letters) for branch in av[1]))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            least, most, sub = av
            after: set[str] = set()  # the heads after each allowed count of repeats
            count = 0
            while heads:
                if count >= least:
                    if heads <= after:  # more repeats give nothing new
                        break
                    after |= heads
                if count >= most:
                    break
                heads = _leads(sub, set(heads), done, state, letters)
                count += 1
            heads = after
        else:  # a group with flags, a back reference...: anything may follow
            done |= heads
            return set()
    return heads


def _item_letters(item: tuple[Any, Any], state: Any, letters: dict[str, frozenset[str]]) -> frozenset[str]:
    """The lower-cased ASCII characters whose upper- or lower-case form a parsed one-character
    item (a literal, a class, ".") matches, found by matching each with the item compiled alone."""
    key = repr(item)
    if key not in letters:
        alone = re._compiler.compile(sre_parse.SubPattern(state, [item]), _LEAD_FLAGS)  # type: ignore[attr-defined]
        letters[key] = frozenset(chr(code).lower() for code in range(128) if alone.fullmatch(chr(code)))
    return letters[key]


class _Cue:
    """One line cue, matched in two parts: its alternatives that start at the line's first
    character, then, only where the line holds one of their required literals, those that
    start with ``.{0,N}`` (tried at each of N+1 places, they were most of the cost of a line).
    A line fully matches the cue exactly when it fully matches one of the two parts.

    The literals are looked for with ``in`` on the lower-cased line (words_lowered), where that
    is exactly case-insensitive matching: on every line but those holding one of the CASE_TRAPS,
    where the literals' own case-insensitive pattern decides (a pattern of several literals
    searched through a line costs tens of microseconds).

    The first part is tried only on lines whose first character can start it (``starts``, a
    case-insensitive class of first_characters; see cues_starting_with): with some forty
    alternatives of labels in a cue, trying them costs more than the class does, and most
    lines start with a letter that few of them start with.
    """

    __slots__ = (
        "_alternatives", "_cuts", "_floating_alternatives", "_narrowed", "_present", "anchored", "floating", "gate",
        "starts", "words",
    )  # fmt: skip

    def __init__(self, pattern: str, shape: list[Any] | None = None) -> None:
        """``shape``: the cue's :func:`cue_shape`, as read back from the cache (default: derived here)."""
        first_sorted, widths, anchored, floating, literals = shape if shape is not None else cue_shape(pattern)
        flags = re.IGNORECASE | re.DOTALL
        self.anchored = compiled("|".join(anchored), flags) if anchored else None
        self.floating = compiled("|".join(floating), flags) if floating else None
        self.gate = compiled("|".join(map(re.escape, literals)), flags)
        self.words = tuple(literal.lower() for literal in literals)
        # The class compiled with the pattern's flags: a character starts it exactly when the
        # pattern's own case-insensitive comparison takes it for one of the characters.
        starts = "[" + "".join(map(re.escape, first_sorted)) + "]" if first_sorted is not None else None
        self.starts = None if starts is None else compiled(starts, flags)
        # The first part's alternatives with the longest text each can match, for long_part.
        self._alternatives = list(zip(widths, anchored, strict=True))
        self._cuts = sorted({width for width, _ in self._alternatives})
        self._narrowed: dict[int, re.Pattern[str] | None] = {}  # long_part's patterns, compiled on first use
        self._floating_alternatives = floating
        self._present: dict[int, re.Pattern[str]] = {}  # floating_part's patterns, compiled on first use

    def long_part(self, size: int) -> re.Pattern[str] | None:
        """The first part without its alternatives too narrow for a text of ``size`` characters
        (None: all are). On a paragraph-long line only a few alternatives are wide enough (most
        end in an open repeat such as ``[\\s\\W]*``); the labels go, and "name says:" (up to 61
        characters, and the costliest to try: its two runs of word characters backtrack into
        each other)."""
        cut = bisect.bisect_left(self._cuts, size)  # the widths from _cuts[cut] on are at least size
        if cut == 0:
            return self.anchored
        if cut not in self._narrowed:  # a pure memo: one pattern per width, at most len(_cuts)
            wide = [alternative for width, alternative in self._alternatives if width >= size]
            self._narrowed[cut] = compiled("|".join(wide), re.IGNORECASE | re.DOTALL) if wide else None
        return self._narrowed[cut]

    def can_start(self, first: str) -> bool:
        """Whether the first part can match a text starting with the character ``first``."""
        return self.anchored is not None and (self.starts is None or self.starts.match(first) is not None)

    def fullmatch(self, text: str, lowered: str | None, anchored: re.Pattern[str] | None, second: bool = True) -> bool:
        """Whether the cue's pattern fully matches ``text``; ``lowered`` is ``words_lowered(text)``;
        ``anchored``: the first part, or a form of it that matches ``text`` exactly when the first
        part does (long_part), or None where it cannot match (cues_starting_with); ``second``:
        False where the second part cannot (the line holds none of its ``words``)."""
        if anchored is not None and anchored.fullmatch(text) is not None:
            return True
        if self.floating is None or not second:
            return False
        if lowered is not None:
            if not any(map(lowered.__contains__, self.words)):  # (most lines: no call of floating_part)
                return False
            floating = self.floating_part(lowered)
            return floating is not None and floating.fullmatch(text) is not None
        if self.gate.search(text) is None:
            return False
        return self.floating.fullmatch(text) is not None

    def floating_part(self, lowered: str) -> re.Pattern[str] | None:
        """The second part's alternatives whose required literal (``words``) the lower-cased line
        holds, as one pattern (None: none): a line fully matches the second part exactly when it
        fully matches one of these. Each ``.{0,N}`` alternative is tried at N+1 places, and most
        lines that hold a literal hold one: on the 30 MB text dump, the long lines holding
        "information " tried the legal cue's seven alternatives at about 30 us a line."""
        present = 0
        for bit, word in enumerate(self.words):
            if word in lowered:
                present |= 1 << bit
        if not present:
            return None
        pattern = self._present.get(present)
        if pattern is None:  # a pure memo: one pattern per set of literals, at most 2 ** len(words)
            chosen = [alternative for bit, alternative in enumerate(self._floating_alternatives) if present >> bit & 1]
            pattern = self._present[present] = compiled("|".join(chosen), re.IGNORECASE | re.DOTALL)
        return pattern


def _parts(pattern: str) -> tuple[list[str], list[str]]:
    """A cue's alternatives that start at the line's first character, and those that start with ``.{0,N}``."""
    alternatives = split_alternatives(pattern)
    return [a for a in alternatives if not a.startswith(".{")], [a for a in alternatives if a.startswith(".{")]


def cue_shape(pattern: str) -> list[Any]:
    r"""What a _Cue derives from parsing its pattern: the first part's first_characters (sorted; None
    where not known), the longest text each of its alternatives can match (sre's own count: an
    unbounded repeat counts as MAXREPEAT), the two parts' alternatives (_parts) and the second
    part's required literals.

    >>> cue_shape(r"(?:by|von) \w{1,5}|(?:©|\(c\)) 20\d\d|.{0,9}says:")
    [['(', 'b', 'v', '©'], [9, 8], ['(?:by|von) \\w{1,5}', '(?:©|\\(c\\)) 20\\d\\d'], ['.{0,9}says:'], ['says:']]
    """
    anchored, floating = _parts(pattern)
    first = first_characters("|".join(anchored)) if anchored else None
    widths = [sre_parse.parse(a, re.IGNORECASE | re.DOTALL).getwidth()[1] for a in anchored]
    return [None if first is None else sorted(first), widths, anchored, floating, list(map(required_literal, floating))]


def _cue_shapes() -> list[list[Any]]:
    """cue_shape of each of _LINE_CUES, through cleaner's cache: parsing the cues took about 15 ms at
    every start, and splitting them into parts and literals another 1.5 ms (seeds and page runs, in
    process). Keyed by the shape's version, the patterns and Python's version (the parser's);
    tests/test_cache.py checks that the cached shapes equal fresh ones."""
    entry = cache.key("cues-2", *(pattern for _, pattern in _LINE_CUES))
    shapes: list[list[Any]] = derived("rules-cues", entry, lambda: [cue_shape(pattern) for _, pattern in _LINE_CUES])
    return shapes


_CUES: tuple[tuple[Reason, _Cue], ...] = tuple(
    (reason, _Cue(pattern, shape)) for (reason, pattern), shape in zip(_LINE_CUES, _cue_shapes(), strict=True)
)
_SHORT_CUES = tuple((reason, cue, 1 << bit) for bit, (reason, cue) in enumerate(_CUES))


@functools.lru_cache(maxsize=4096)
def cues_starting_with(first: str) -> int:
    """Bit k: the first part of the k-th of _LINE_CUES can match a text that starts with the
    character ``first`` (_Cue.can_start; a pure function of the character, remembered).

    >>> [reason.value for bit, (reason, _) in enumerate(_CUES) if cues_starting_with("\N{COPYRIGHT SIGN}") >> bit & 1]
    ['boilerplate.comments', 'boilerplate.legal']
    """
    return sum(1 << bit for bit, (_, cue) in enumerate(_CUES) if cue.can_start(first))


_LONG_CUES = tuple(
    (reason, cue, longest, triggers, pattern, 1 << bit)
    for bit, ((reason, cue), longest, triggers, pattern) in enumerate(
        zip(_CUES, LINE_CUE_MAX_LENGTH, _TRIGGERS, _TRIGGER_PATTERNS, strict=True)
    )
)

# The cues with trigger words, as _line_reason looks for them: (words, LINE_CUE_MAX_LENGTH, bit).
_TRIGGERED_CUES = tuple(
    (triggers, longest, bit) for _, _, longest, triggers, _, bit in _LONG_CUES if triggers is not None
)

# The sizes where what long_cues_to_try gives changes: a cue's LINE_CUE_MAX_LENGTH, and the
# widths where its long_part drops alternatives. Two sizes with the same bisect_left here
# are above the same of them, so they get the same cues and the same first parts.
_LONG_SIZES = sorted({*LINE_CUE_MAX_LENGTH, *(width for _, cue in _CUES for width in cue._cuts)})


_CueToTry = tuple[Reason, _Cue, re.Pattern[str] | None, bool]


@functools.lru_cache(maxsize=8192)
def long_cues_to_try(size_class: int, starting: int, held: int, floats: int = -1) -> tuple[_CueToTry, ...]:
    """The cues _line_reason tries on a long line (over SHORT_LINE) whose size has ``size_class``
    (its bisect_left in _LONG_SIZES), whose first character starts the cues of ``starting``
    (cues_starting_with) and that holds the trigger words of ``held`` (trigger_masks), in
    order, each with the first part to try (its long_part for that size, None where the
    first character cannot start it) and whether to try its second part (the line holds one of
    its words, bit k of ``floats``: trigger_masks' bits from FLOATING_BIT on; -1: not known),
    leaving out those with nothing to try. A pure function
    of its arguments, remembered: a few thousand combinations occur on the 30 MB text dump,
    and a line of prose then loops over the two or three cues it may match instead of all
    ten (the loop and its checks were half the time of a long line's cues).
    """
    size = _LONG_SIZES[size_class] if size_class < len(_LONG_SIZES) else _LONG_SIZES[-1] + 1
    plan = []
    for reason, cue, longest, triggers, _, bit in _LONG_CUES:
        if size > longest or (triggers is not None and not held & bit):
            continue
        anchored = cue.long_part(size) if starting & bit else None
        second = cue.floating is not None and floats & bit != 0
        if anchored is not None or second:
            plan.append((reason, cue, anchored, second))
    return tuple(plan)


@functools.lru_cache(maxsize=4096)
def short_cues_to_try(starting: int, floats: int) -> tuple[_CueToTry, ...]:
    """The cues _line_reason tries on a line of at most SHORT_LINE characters whose first
    character (and first bytes, line_leads) start the cues of ``starting`` and that holds the
    second-part words of the cues of ``floats`` (-1: not known), as long_cues_to_try gives them:
    in order, each with its first part (None where it cannot match) and whether to try its
    second part, leaving out those with nothing to try (a call of _Cue.fullmatch each, ten a
    line before). A pure function of its arguments, remembered."""
    plan = []
    for reason, cue, bit in _SHORT_CUES:
        anchored = cue.anchored if starting & bit else None
        second = cue.floating is not None and floats & bit != 0
        if anchored is not None or second:
            plan.append((reason, cue, anchored, second))
    return tuple(plan)


# Lines that *start* with these announce a teaser to another article ("READ MORE: headline").
PREFIX_CUES: tuple[tuple[Reason, re.Pattern[str]], ...] = (
    (
        Reason.RELATED,
        compiled(
            r"(?:read more|see also|related|also read|don['’]t miss|more|breaking(?: news)?"
            r"|lesen sie auch|lesen sie mehr|à lire aussi|lire aussi|lee también|lea también"
            r"|читайте также|смотрите также)\s*[:|»>]\s*\S",
            re.IGNORECASE,
        ),
    ),
)


# The longest line a PREFIX_CUES is tried on (_line_reason).
PREFIX_CUE_LONGEST = 199


def line_reason(line: str) -> Reason | None:
    """The boilerplate reason a single line's text matches, or None.

    >>> line_reason("Leave a Comment")
    <Reason.COMMENTS: 'boilerplate.comments'>
    >>> line_reason("Похожие статьи")
    <Reason.RELATED: 'boilerplate.related'>
    >>> line_reason("The committee will leave a comment period open until May.") is None
    True
    """
    return _line_reason(line, None)


def _line_reason(line: str, held: int | None, leads: int = -1, floats: int = -1) -> Reason | None:
    """line_reason; ``held``: which cues' trigger words the lower-cased line holds (bit k for
    the k-th of _LINE_CUES, trigger_masks), or None to look for them here; ``leads``: the cues
    whose first part may match the line (line_leads; bit _PREFIX_COLUMN: the PREFIX_CUES), the
    others' first parts are not tried; ``floats``: the cues whose second part's words the
    lower-cased line holds (trigger_masks' bits from FLOATING_BIT on; -1: not known), the
    others' second parts are not tried (nor their words looked for again)."""
    text = line.strip()
    if not text or len(text) > 600:
        return None
    if text[0].islower() and text[-1] == "." and len(text.split()) <= 3:
        return None  # "share.", "comment.": the end of a wrapped sentence, not a label
    if leads >> _PREFIX_COLUMN & 1:
        for reason, pattern in PREFIX_CUES:
            if pattern.match(text) and len(text) <= PREFIX_CUE_LONGEST:
                return reason
    size = len(text)
    lowered = words_lowered(text)
    starting = cues_starting_with(text[0]) & leads
    if size <= SHORT_LINE:
        for reason, cue, anchored, second in short_cues_to_try(starting, floats):
            if cue.fullmatch(text, lowered, anchored, second):
                return reason
        return None
    if held is None and lowered is not None:
        # The trigger words looked for here, the cues to try then looked up as for held words
        # (the loop below checked each of the ten cues' size, words and first character per line:
        # 50.7 -> 48.0 ms for the 181 Scrapinghub pages' long lines, in process).
        held = 0
        for triggers, longest, bit in _TRIGGERED_CUES:
            if size <= longest and any(map(lowered.__contains__, triggers)):
                held |= bit
    if held is not None:  # the cues the loop below would try, and their first parts, looked up
        for reason, cue, anchored, second in long_cues_to_try(
            bisect.bisect_left(_LONG_SIZES, size), starting, held, floats
        ):
            if cue.fullmatch(text, lowered, anchored, second):
                return reason
        return None
    # A line holding one of the CASE_TRAPS (no ``lowered``): each cue's words found by their own pattern.
    for reason, cue, longest, _, trigger_pattern, bit in _LONG_CUES:
        if size > longest:
            continue
        if trigger_pattern is not None and trigger_pattern.search(text) is None:
            continue  # none of the words this cue needs on a long line: skip it
        if cue.fullmatch(text, lowered, cue.long_part(size) if starting & bit else None):
            return reason
    return None


class LineCues:
    """line_reason with a memo of short lines' verdicts.

    A short line runs the whole cue alternation (microseconds), and short lines are what
    repeats: the menus, share bars and headers of every page of a site. The memo is pure and
    bounded, so results never depend on what was judged before. One instance per worker.

    >>> cues = LineCues()
    >>> cues.judge("Leave a Comment"), cues.judge("Leave a Comment"), cues.judge("It rained.")
    (<Reason.COMMENTS: 'boilerplate.comments'>, <Reason.COMMENTS: 'boilerplate.comments'>, None)
    """

    MAX_LINES = 100_000  # memo bound: a few MB of short strings at worst

    def __init__(self) -> None:
        self._short: dict[str, Reason | None] = {}

    def judge(self, line: str, leads: int = -1, floats: int = -1) -> Reason | None:
        """line_reason(line); ``leads`` and ``floats``: the cues whose first and second parts may
        match it (_line_reason's)."""
        if len(line) > SHORT_LINE:
            return _line_reason(line, None, leads, floats)  # long lines rarely repeat: not worth the memory
        try:
            return self._short[line]
        except KeyError:
            pass
        reason = _line_reason(line, None, leads, floats)
        if len(self._short) < self.MAX_LINES:
            self._short[line] = reason
        return reason

    def judge_page(self, lines: Sequence[str]) -> list[Reason | None]:
        """``judge`` of each line of a page (None for a blank one); once numba runs in the process,
        the long ASCII lines' trigger words are found by one compiled pass over all of them
        (trigger_masks) instead of a search per word and line (35 words, about 4 us a line).

        >>> LineCues().judge_page(["Leave a Comment", "", "All of the text of this page is " * 3 + "ours."])
        [<Reason.COMMENTS: 'boilerplate.comments'>, None, None]
        """
        return self.judge_pages([lines])[0]

    def judge_pages(
        self, pages: Sequence[Sequence[str]], joined: JoinedLines | None = None
    ) -> list[list[Reason | None]]:
        """judge_page of each page, with one compiled pass over the ASCII lines of all of them (a
        call of the compiled pass costs about 10 us whatever its size: a page's worth of lines
        each time doubled its cost). ``joined``: the pages' non-empty lines as JoinedLines, where
        the caller has them (the compiled pass then reads their bytes, without joining the
        lines again).

        >>> LineCues().judge_pages([["Leave a Comment"], [], ["Share this"]])
        [[<Reason.COMMENTS: 'boilerplate.comments'>], [], [<Reason.SOCIAL: 'boilerplate.social'>]]
        """
        flat = list(itertools.chain.from_iterable(pages))
        found: list[Reason | None] = [None] * len(flat)
        rest: Sequence[int] = range(len(flat))  # the lines judged one by one
        if _aot.compiled_ready():  # never started for this alone: small runs stay without it
            rest = self._judge_ascii(flat, found, joined)
        judge = self.judge
        for k in rest:
            line = flat[k]
            if line.strip():
                found[k] = judge(line)
        ends = itertools.accumulate(map(len, pages))
        return [found[end - len(lines) : end] for lines, end in zip(pages, ends, strict=True)]

    def _judge_ascii(self, flat: list[str], found: list[Reason | None], joined: JoinedLines | None) -> Sequence[int]:
        """Judge the ASCII lines of ``flat`` into ``found``, and give the others' places: one
        compiled pass finds their cue words (trigger_masks), and only those that some cue may
        match (long_line_candidates, short_line_candidates: on the 30 MB text dump one long line
        in sixteen, one short line of ten distinct ones) are judged, long lines by _line_reason,
        short ones through the memo; the others match none. Their stripping and lower-casing are
        done on all their bytes at once (the bytes of ``joined`` where given)."""
        if joined is None:
            lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
            is_ascii = np.fromiter(map(str.isascii, flat), dtype=bool, count=len(flat)) & (lengths > 0)
            places = np.flatnonzero(is_ascii)
            if not places.size:
                return range(len(flat))
            data = np.frombuffer("\n".join([flat[k] for k in places.tolist()]).encode("ascii"), dtype=np.uint8)
            sizes = lengths[places]
            starts = np.cumsum(sizes + 1) - sizes - 1
            ends = starts + sizes
            others = ~is_ascii
        else:
            rows = joined.starts.shape[0]
            # The places of the non-empty lines (all of them on a page without blank units).
            filled = (
                np.arange(rows)
                if rows == len(flat)
                else np.fromiter(itertools.compress(itertools.count(), flat), dtype=np.int64, count=rows)
            )
            places = filled[joined.ascii]
            if not places.size:
                return range(len(flat))
            data, starts, ends = joined.data, joined.starts[joined.ascii], joined.ends[joined.ascii]
            others = np.zeros(len(flat), dtype=bool)
            others[filled[~joined.ascii]] = True
        starts, ends = _stripped_bounds(data, starts, ends, flat, places)
        held = _masks_of(data, starts, ends)
        if held is None:
            return range(len(flat))
        sizes = ends - starts
        short = sizes <= SHORT_LINE
        maybe, leads = line_leads(data, starts, sizes, held)
        judge, seen = self.judge, self._short
        # The candidates' places, cue bits and sizes as lists (the few, not every line's); a short
        # line already judged is read from the memo here (most of them: a call of judge per line
        # was a tenth of this pass).
        rows = np.flatnonzero(maybe)
        for place, lead, mask, stripped_short in zip(
            places[rows].tolist(), leads[rows].tolist(), held[rows].tolist(), short[rows].tolist(), strict=True
        ):
            line = flat[place]
            if len(line) <= SHORT_LINE:
                found[place] = seen[line] if line in seen else judge(line, lead, mask >> FLOATING_BIT)
            elif not stripped_short:
                found[place] = _line_reason(line, mask & _TRIGGER_BITS, lead, mask >> FLOATING_BIT)
            else:  # a long line of mostly space: as before, without the memo
                found[place] = _line_reason(line, None)
        rest: list[int] = np.flatnonzero(others).tolist()
        return rest


class JoinedLines(NamedTuple):
    """Non-empty lines as one buffer: their UTF-8 bytes joined by "\\n" (as they are, not
    lower-cased), where each starts and ends there, and which of them are ASCII."""

    data: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    ascii: np.ndarray


# str.strip's characters among the ASCII bytes (str.isspace: also the separators 0x1c-0x1f).
_SPACE_BYTES = np.array([chr(code).isspace() for code in range(256)], dtype=bool)
# Each byte lower-cased as str.lower does in ASCII text ("A" to "Z"; the others as they are): the
# bytes of a line are read through it, not lower-cased all before.
_LOWER_BYTES = np.frombuffer(bytes(range(256)).lower(), dtype=np.uint8)


def _stripped_bounds(
    data: np.ndarray, starts: np.ndarray, ends: np.ndarray, lines: list[str], places: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    r"""Where each line ``lines[places[k]]`` (ASCII, not empty), at ``data[starts[k]:ends[k]]``,
    starts and ends there once stripped (``line.strip()``). Only lines with space at an end are
    stripped one by one (into copies: ``starts`` and ``ends`` stay as they are).

    >>> lines = [" ab ", "c", "  "]
    >>> data = np.frombuffer("|".join(lines).encode(), np.uint8)
    >>> bounds = _stripped_bounds(data, np.array([0, 5, 7]), np.array([4, 6, 9]), lines, np.arange(3))
    >>> [column.tolist() for column in bounds]
    [[1, 5, 9], [3, 6, 9]]
    """
    starts, ends = starts.copy(), ends.copy()
    spaced = np.flatnonzero(_SPACE_BYTES[data[starts]] | _SPACE_BYTES[data[ends - 1]])
    for k, place in zip(spaced.tolist(), places[spaced].tolist(), strict=True):
        line = lines[place]
        kept = line.lstrip()
        starts[k] += len(line) - len(kept)
        ends[k] = starts[k] + len(kept.rstrip())
    return starts, ends


def _masks_of(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """trigger_masks of the lines ``data[starts[k]:ends[k]]`` (ASCII, read lower-cased), as an array."""
    kernel = _trigger_kernel()
    if kernel is None:
        return None
    masks: np.ndarray = kernel(data, starts, ends, *_TRIGGER_TABLE)
    return masks


# The first characters that each cue's first part may start a line with (lead_strings of its
# alternatives), and for the alternatives that any text may start the last ones (trail_strings),
# as tables: for each length of string (1 to LEAD_SPAN), the strings' codes (their bytes read as
# a big-endian number), sorted, and for each the widest alternative of each cue that it leads or
# ends (-1: none). The last column is PREFIX_CUES, whose width is the longest line it is tried on.
_PREFIX_COLUMN = len(_LINE_CUES)


def lead_rows() -> list[list[Any]]:
    """[column, width, lead_strings, trail_strings] of each first-part alternative of each cue
    (column: its place in _LINE_CUES; trail_strings only where "" is a lead string, else []),
    and of the PREFIX_CUES (column _PREFIX_COLUMN, width PREFIX_CUE_LONGEST; matched at the
    start only: no trail strings)."""
    rows = []
    for column, (_, cue) in enumerate(_CUES):
        for width, alternative in cue._alternatives:
            leads = lead_strings(alternative)
            rows.append([column, min(width, 1 << 40), leads, trail_strings(alternative) if "" in leads else []])
    return rows + [
        [_PREFIX_COLUMN, PREFIX_CUE_LONGEST, lead_strings(pattern.pattern), []] for _, pattern in PREFIX_CUES
    ]


def _lead_rows() -> list[list[Any]]:
    """lead_rows through cleaner's cache (deriving them took about 30 ms, reading the entry a
    millisecond); tests/boilerplate checks that the cached rows equal fresh ones."""
    rows: list[list[Any]] = derived("rules-leads", _leads_key(), lead_rows)
    return rows


def _leads_key() -> str:
    """The cache key of what lead_rows derives from: the cues, and the constants its strings depend on."""
    return cache.key(
        "leads-2", str(LEAD_SPAN), str(_WIDE_CLASS), str(PREFIX_CUE_LONGEST),
        *(pattern for _, pattern in _LINE_CUES), *(pattern.pattern for _, pattern in PREFIX_CUES),
    )  # fmt: skip


class _StringTable(NamedTuple):
    """Lead or trail strings of lengths 1 to LEAD_SPAN: per length, their codes (sorted) and per
    code its row of widths per column; and the row of the string "" (any text), -1 where none."""

    codes: tuple[np.ndarray, ...]
    widths: tuple[np.ndarray, ...]
    anywhere: np.ndarray


def _string_table(rows: list[tuple[int, int, list[str]]]) -> _StringTable:
    """The _StringTable of (column, width, strings) rows, built with numpy: each string's code
    from its bytes, each code's widest width per column with ``np.maximum.at`` (a dict of rows
    filled string by string took 21 ms of every process for the ~9,000 strings of the three
    tables)."""
    columns = _PREFIX_COLUMN + 1
    strings = [string for _, _, row_strings in rows for string in row_strings]
    counts = [len(row_strings) for _, _, row_strings in rows]
    column = np.repeat(np.array([row[0] for row in rows], dtype=np.int64), counts)
    width = np.repeat(np.array([row[1] for row in rows], dtype=np.int64), counts)
    sizes = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    codes, widths = [], []
    for length in range(LEAD_SPAN + 1):
        chosen = np.flatnonzero(sizes == length)
        data = np.frombuffer("".join([strings[k] for k in chosen.tolist()]).encode("ascii"), dtype=np.uint8)
        code = np.zeros(chosen.size, dtype=np.int64)
        for place in range(length):  # big-endian, as int.from_bytes(string, "big")
            code = code << 8 | data[place::length]
        known, inverse = np.unique(code, return_inverse=True)
        table = np.full((known.size, columns), -1, dtype=np.int64)
        np.maximum.at(table, (inverse.ravel(), column[chosen]), width[chosen])
        codes.append(known)
        widths.append(table)
    anywhere = widths[0][0] if len(codes[0]) else np.full(columns, -1, dtype=np.int64)  # the string "" (code 0)
    return _StringTable(tuple(codes[1:]), tuple(widths[1:]), anywhere)


@functools.cache
def _lead_tables() -> tuple[_StringTable, _StringTable, _StringTable]:
    """The tables of long_line_candidates (the lead strings of the alternatives wider than
    SHORT_LINE) and of short_line_candidates (the lead strings of all alternatives, those that
    any text may start by their trail strings instead), from _lead_rows, built once per process."""
    rows = _lead_rows()
    long = _string_table([(column, width, leads) for column, width, leads, _ in rows if width > SHORT_LINE])
    short_leads = _string_table([(column, width, leads) for column, width, leads, trails in rows if not trails])
    short_trails = _string_table([(column, width, trails) for column, width, _, trails in rows if trails])
    return long, short_leads, short_trails


# Per size, the cues a stripped line of that size may match (LINE_CUE_MAX_LENGTH), as bits; the
# cues without trigger words, as bits.
def _cues_up_to() -> np.ndarray:
    """_CUES_UP_TO: each cue's bit set on the sizes up to its LINE_CUE_MAX_LENGTH, one slice per cue
    (the sum over the cues for each size, in Python, took ~1.5 ms of every start)."""
    bits = np.zeros(max(LINE_CUE_MAX_LENGTH) + 2, dtype=np.int64)
    for bit, longest in enumerate(LINE_CUE_MAX_LENGTH):
        bits[: longest + 1] |= 1 << bit
    return bits


_CUES_UP_TO = _cues_up_to()
_UNTRIGGERED_BITS = sum(1 << bit for bit, words in enumerate(_TRIGGERS) if words is None)
_CUE_BITS = np.arange(len(_LINE_CUES), dtype=np.int64)


def long_line_candidates(data: np.ndarray, starts: np.ndarray, sizes: np.ndarray, held: np.ndarray) -> np.ndarray:
    r"""For ASCII lines ``data[starts[k]:starts[k] + sizes[k]]`` (stripped, read lower-cased, their
    trigger_masks ``held``), whether _line_reason may find a cue in them: False only where it
    cannot, a line over SHORT_LINE characters that neither starts as the first part of a cue
    allowed on it (its size, its trigger words) may, wide enough for it, nor holds a word of its
    second part, nor starts as a PREFIX_CUES may.

    >>> lines = [b"share this page with a friend" + b"!" * 40, b"x" * 70, b"by using this site, " * 4, b"ab"]
    >>> data = np.frombuffer(b"\n".join(lines), np.uint8)
    >>> sizes = np.array([len(line) for line in lines]); starts = np.cumsum(sizes + 1) - sizes - 1
    >>> held = np.array(trigger_masks([line.decode() for line in lines], compiled=False))
    >>> long_line_candidates(data, starts, sizes, held)
    array([ True, False,  True,  True])
    """
    codes, widths, anywhere = _lead_tables()[0]
    # The cues each line's size and trigger words allow, as bits.
    allowed = _CUES_UP_TO[np.minimum(sizes, _CUES_UP_TO.size - 1)] & (held & _TRIGGER_BITS | _UNTRIGGERED_BITS)
    # Lines as short as an alternative that any text may start (the widest is "name says:", 61)
    # go to _line_reason whole, as do lines that hold a word of a cue's second part.
    maybe = (sizes <= max(SHORT_LINE, int(anywhere.max()))) | (held >> FLOATING_BIT & allowed != 0)
    code = np.zeros(sizes.shape[0], dtype=np.int64)
    for length, (known, width) in enumerate(zip(codes, widths, strict=True), start=1):
        code = code << 8 | _LOWER_BYTES[data[np.minimum(starts + length - 1, data.shape[0] - 1)]]
        if not known.size:
            continue
        place = np.minimum(np.searchsorted(known, code), known.size - 1)
        led = np.flatnonzero((known[place] == code) & (sizes >= length))  # the few lines that start a lead string
        wide = width[place[led]] >= sizes[led, None]  # per line and column: an alternative it leads is wide enough
        cues = (wide[:, :_PREFIX_COLUMN] << _CUE_BITS).sum(axis=1)
        maybe[led] |= (cues & allowed[led] != 0) | wide[:, _PREFIX_COLUMN]
    return maybe


def short_line_candidates(data: np.ndarray, starts: np.ndarray, sizes: np.ndarray, held: np.ndarray) -> np.ndarray:
    r"""long_line_candidates for lines of at most SHORT_LINE characters (stripped; blank ones are
    no candidates): such a line is tried on every cue (no trigger words or longest line), so it
    is a candidate where it starts as an alternative of some cue may, wide enough for it, or ends
    as one that any text may start may, or holds a word of a cue's second part, or starts as a
    PREFIX_CUES may.

    >>> lines = [b"share", b"weather", b"jane says:", b"", b"we use cookies"]
    >>> data = np.frombuffer(b"\n".join(lines), np.uint8)
    >>> sizes = np.array([len(line) for line in lines]); starts = np.cumsum(sizes + 1) - sizes - 1
    >>> held = np.array(trigger_masks([line.decode() for line in lines], compiled=False))
    >>> short_line_candidates(data, starts, sizes, held)
    array([ True, False,  True, False,  True])
    """
    _, leads, trails = _lead_tables()
    maybe = (sizes > 0) & ((sizes <= max(leads.anywhere.max(), trails.anywhere.max())) | (held >> FLOATING_BIT != 0))
    lead = np.zeros(sizes.shape[0], dtype=np.int64)
    for length, (known, width) in enumerate(zip(leads.codes, leads.widths, strict=True), start=1):
        lead = lead << 8 | _LOWER_BYTES[data[np.minimum(starts + length - 1, data.shape[0] - 1)]]
        maybe |= _wide_enough(known, width, lead, sizes, length)
    ends = starts + sizes
    for length, (known, width) in enumerate(zip(trails.codes, trails.widths, strict=True), start=1):
        if not known.size:  # (no trail string of this length: none of its bytes gathered)
            continue
        trail = np.zeros(sizes.shape[0], dtype=np.int64)
        for place in range(length):  # the last ``length`` bytes, first to last
            at = np.minimum(np.maximum(ends - (length - place), 0), data.shape[0] - 1)
            trail = trail << 8 | _LOWER_BYTES[data[at]]
        maybe |= _wide_enough(known, width, trail, sizes, length)
    return maybe


def _wide_enough(known: np.ndarray, width: np.ndarray, code: np.ndarray, sizes: np.ndarray, length: int) -> np.ndarray:
    """Which lines' ``code`` (of their first or last ``length`` bytes) is one of the sorted codes
    ``known`` whose row of ``width`` holds a width of at least the line's size."""
    found = np.zeros(sizes.shape[0], dtype=bool)
    if known.size:
        place = np.minimum(np.searchsorted(known, code), known.size - 1)
        led = np.flatnonzero((known[place] == code) & (sizes >= length))
        found[led] = (width[place[led]] >= sizes[led, None]).any(axis=1)
    return found


def line_candidates(data: np.ndarray, starts: np.ndarray, sizes: np.ndarray, held: np.ndarray) -> np.ndarray:
    """short_line_candidates of the lines of at most SHORT_LINE characters and long_line_candidates
    of the others, in one compiled pass over all lines once numba runs (_candidates_kernel: the
    same tests line by line: 0.095 -> 0.029 CPU-s over the text dump's 103 batches, where the two
    functions made dozens of numpy passes over each batch's lines; tests/boilerplate checks that
    both forms agree).

    >>> lines = [b"share", b"x" * 70, b"weather", b"by using this site, " * 4]
    >>> data = np.frombuffer(b"\\n".join(lines), np.uint8)
    >>> sizes = np.array([len(line) for line in lines]); starts = np.cumsum(sizes + 1) - sizes - 1
    >>> held = np.array(trigger_masks([line.decode() for line in lines], compiled=False))
    >>> line_candidates(data, starts, sizes, held)
    array([ True, False, False,  True])
    """
    kernel = _candidates_kernel() if _aot.compiled_ready() else None
    if kernel is not None:
        found: np.ndarray = kernel(
            data, starts, sizes, held, *_candidate_tables(), FLOATING_BIT, _PREFIX_COLUMN, SHORT_LINE
        )[0]
        return found
    short = sizes <= SHORT_LINE
    # Each kind of line through its own test only (both tests over all lines: a third more time).
    maybe = np.empty(sizes.shape[0], dtype=bool)
    for rows, candidates in (
        (np.flatnonzero(short), short_line_candidates),
        (np.flatnonzero(~short), long_line_candidates),
    ):
        maybe[rows] = candidates(data, starts[rows], sizes[rows], held[rows])
    return maybe


def line_leads(
    data: np.ndarray, starts: np.ndarray, sizes: np.ndarray, held: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """line_candidates, and for each line the cues whose first part may match it, as bits (bit k:
    the k-th of _LINE_CUES; bit _PREFIX_COLUMN: the PREFIX_CUES): those with an alternative wide
    enough for the line that its first bytes may start or, for an alternative any text may start,
    its last bytes may end (the lead and trail strings of long_line_candidates and
    short_line_candidates, each cue's column on its own); -1 (every cue) for a line no wider than
    such an alternative of a long line's table, and without the compiled pass (numba).
    _line_reason tries no other first part: on the 30 MB text dump a long candidate line (one in
    sixteen, most of them for a trigger word or a second part's word) was tried on the first parts
    of three or four cues that its first bytes rule out, and a short line not seen before on all
    ten cues.

    >>> lines = [b"share", b"x" * 70, b"by using this site, " * 4, b"read more: " + b"x" * 60]
    >>> data = np.frombuffer(b"\\n".join(lines), np.uint8)
    >>> sizes = np.array([len(line) for line in lines]); starts = np.cumsum(sizes + 1) - sizes - 1
    >>> held = np.array(trigger_masks([line.decode() for line in lines], compiled=False))
    >>> maybe, leads = line_leads(data, starts, sizes, held)
    >>> maybe.tolist(), bool(leads[3] >> _PREFIX_COLUMN & 1)  # "read more:" may start a PREFIX_CUES
    ([True, False, True, True], True)
    """
    kernel = _candidates_kernel() if _aot.compiled_ready() else None
    if kernel is None:
        return line_candidates(data, starts, sizes, held), np.full(sizes.shape[0], -1, dtype=np.int64)
    found, leads = kernel(data, starts, sizes, held, *_candidate_tables(), FLOATING_BIT, _PREFIX_COLUMN, SHORT_LINE)
    return found, leads


@functools.cache
def _candidate_tables() -> tuple[Any, ...]:
    """_lead_tables for the compiled pass: each table's codes of all lengths one after another,
    their rows of widths likewise, and where each length's codes start (and the last end); then
    the widest line each kind of line's "any text" strings allow, _CUES_UP_TO, the trigger and
    untriggered bits, and _LOWER_BYTES.

    The tables and the two widths come through cleaner's cache (_joined_tables): building them
    from the cached lead rows took 4 ms of every process that classifies lines (reading the rows
    0.5, _lead_tables 2.7, joining 0.8; in process), reading them back 0.2 with the key."""
    entry = cache.key("candidates-1", _leads_key(), str(SHORT_LINE), str(_PREFIX_COLUMN))
    tables, (long_any, short_any) = cache.derived_arrays("rules-candidates", entry, _joined_tables)
    return (*tables, long_any, short_any, _CUES_UP_TO, _TRIGGER_BITS, _UNTRIGGERED_BITS, _LOWER_BYTES)


def _joined_tables() -> tuple[list[np.ndarray], list[int]]:
    """_candidate_tables' tables (codes, widths, bounds of each of _lead_tables) and its two widths."""
    tables = []
    for table in _lead_tables():
        bounds = np.cumsum([0, *(codes.size for codes in table.codes)]).astype(np.int64)
        codes = np.concatenate(table.codes).astype(np.int64)
        widths = np.concatenate(table.widths).astype(np.int64).reshape(-1, _PREFIX_COLUMN + 1)
        tables += [codes, widths, bounds]
    long, leads, trails = _lead_tables()
    long_any = max(SHORT_LINE, int(long.anywhere.max()))
    short_any = max(int(leads.anywhere.max()), int(trails.anywhere.max()))
    return tables, [long_any, short_any]


@functools.cache
def _candidates_kernel() -> Any:
    """The compiled pass of line_candidates and line_leads, or None without numba (built once per process)."""
    ahead = _aot.kernel("rules", "_candidates_kernel")  # compiled when cleaner was installed
    if ahead is not None:
        return ahead
    try:
        numba = import_numba()
    except ImportError:
        return None

    # Per line, long_line_candidates' or short_line_candidates' tests, each byte read through
    # ``lower`` (codes of up to three bytes, big-endian, as the tables'). Tables of three kinds
    # ("long", leads, trails) in one set of arrays: a code's row is looked up among its kind's
    # codes of its length, and the columns where that row holds a width of at least the line's
    # size are the line's cues (line_leads; every string of the line looked up, for all
    # columns); a line is a candidate where they hold any column (``allowed`` < 0) or one of
    # ``allowed``'s bits or the PREFIX_CUES' (``prefix``). (No jitted helper: a kernel that
    # calls one from its closure is compiled again in every process, its cache never found.)
    @numba.njit(cache=True)
    def candidates(data, starts, sizes, held, long_codes, long_widths, long_bounds, lead_codes, lead_widths,
                   lead_bounds, trail_codes, trail_widths, trail_bounds, long_any, short_any, up_to, trigger_bits,
                   untriggered, lower, floating, prefix, short_line):  # fmt: skip
        n = starts.shape[0]
        last = data.shape[0] - 1
        out = np.zeros(n, dtype=np.bool_)
        leads = np.full(n, -1, dtype=np.int64)
        for k in range(n):
            start, size, mask = starts[k], sizes[k], held[k]
            long = size > short_line
            if long:
                if size <= long_any:
                    out[k] = True
                    continue
                allowed = up_to[min(size, up_to.shape[0] - 1)] & ((mask & trigger_bits) | untriggered)
                out[k] = (mask >> floating) & allowed != 0
                allowed |= np.int64(1) << prefix
            elif size <= 0:
                continue
            elif size <= short_any:
                out[k] = True
                continue
            else:
                out[k] = mask >> floating != 0
                allowed = -1
            # kind 0: the lead strings (long_codes for a long line, lead_codes for a short one); kind 1: the trail
            # strings (short lines only). ``cues``: the columns where a string of the line leads or ends an
            # alternative wide enough for it.
            cues = np.int64(0)
            for kind in range(2 if not long else 1):
                if kind == 0:
                    codes, widths, bounds = (long_codes, long_widths, long_bounds) if long else (
                        lead_codes, lead_widths, lead_bounds)  # fmt: skip
                else:
                    codes, widths, bounds = trail_codes, trail_widths, trail_bounds
                code = np.int64(0)
                for length in range(1, bounds.shape[0]):
                    if kind == 0:
                        code = code << 8 | np.int64(lower[data[min(start + length - 1, last)]])
                    else:
                        code = np.int64(0)
                        for place in range(length):  # the last ``length`` bytes, first to last
                            code = code << 8 | np.int64(lower[data[min(max(start + size - length + place, 0), last)]])
                    lo, hi = bounds[length - 1], bounds[length]
                    if lo == hi or size < length:
                        continue
                    row = lo + np.searchsorted(codes[lo:hi], code)
                    if row == hi or codes[row] != code:
                        continue
                    for column in range(widths.shape[1]):
                        if widths[row, column] >= size:
                            cues |= np.int64(1) << column
            if cues & allowed != 0:
                out[k] = True
            leads[k] = cues
        return out, leads

    return candidates


# The words trigger_masks looks for: bit k, the k-th cue's trigger words (_TRIGGERS); bit
# FLOATING_BIT + k, the required literals of its second part (_Cue.words), which
# long_line_candidates reads.
FLOATING_BIT = len(_LINE_CUES)
_MASKED_WORDS: tuple[tuple[str, ...] | None, ...] = (*_TRIGGERS, *(cue.words or None for _, cue in _CUES))
_TRIGGER_BITS = (1 << FLOATING_BIT) - 1


# The ASCII words of _MASKED_WORDS as tables for the compiled pass: the bits of the one-byte words
# per byte value; the longer words' bytes one after another, each word's start (and the end
# after the last), its bit, and where the words starting with each pair of bytes begin
# (sorted by their first two bytes: at a place in a line, one lookup finds the few to compare);
# and which _triple_key of three bytes starts one of them (none is shorter); and _LOWER_BYTES,
# which the pass reads the lines' bytes through (the one-byte words' table takes both cases). A
# non-ASCII word is in no ASCII line.
def _trigger_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ascii_words = [
        (word.encode("ascii"), 1 << bit)
        for bit, words in enumerate(_MASKED_WORDS)
        for word in (words or ())
        if word.isascii()
    ]
    single = np.zeros(256, dtype=np.int64)
    for word, bit in ascii_words:
        if len(word) == 1:
            single[word[0]] |= bit
    words = sorted((word, bit) for word, bit in ascii_words if len(word) > 1)
    data = np.frombuffer(b"".join(word for word, _ in words), dtype=np.uint8)
    bounds = np.cumsum([0, *(len(word) for word, _ in words)]).astype(np.int64)
    bits = np.array([bit for _, bit in words], dtype=np.int64)
    pairs = np.array([word[0] << 8 | word[1] for word, _ in words])
    first = np.searchsorted(pairs, np.arange(65537)).astype(np.int64)
    if any(len(word) < 3 for word, _ in words):
        raise ValueError("a cue word of two bytes: the compiled pass looks for words of three or more")
    triples = np.zeros(1 << 15, dtype=np.uint8)
    triples[[_triple_key(*word[:3]) for word, _ in words]] = 1
    return single[_LOWER_BYTES], data, bounds, bits, first, triples, _LOWER_BYTES


def _triple_key(a: int, b: int, c: int) -> int:
    """Three bytes as the compiled pass of trigger_masks keys them: the low five bits of each, fifteen
    bits in all (the letters keep apart, and each letter's two cases share its bits; a space and
    "@" share 0). Unlike bytes may share a key: it only tells where no word can start."""
    return (a & 31) << 10 | (b & 31) << 5 | (c & 31)


def trigger_masks(lowered: Sequence[str], compiled: bool = True) -> list[int] | None:
    """For each lower-cased ASCII line, which cues' trigger words it holds: bit k for the k-th
    of _LINE_CUES (``any(word in line for word in triggers)``, the same answer), and bit
    FLOATING_BIT + k for the words of the k-th cue's second part. With the compiled pass (None
    without numba), or ``compiled=False``: the searches word by word.

    >>> [bin(mask) for mask in trigger_masks(["all rights reserved 2024", "it rained"], compiled=False)]
    ['0b1000000000100000', '0b0']
    """
    if not compiled:
        return [
            sum(1 << bit for bit, words in enumerate(_MASKED_WORDS) if words and any(map(line.__contains__, words)))
            for line in lowered
        ]
    kernel = _trigger_kernel()
    if kernel is None:
        return None
    if not lowered:
        return []
    lengths = np.fromiter(map(len, lowered), dtype=np.int64, count=len(lowered))
    starts = np.cumsum(lengths + 1) - lengths - 1  # the lines joined by "\n", which no word holds
    text = np.frombuffer("\n".join(lowered).encode("ascii"), dtype=np.uint8)
    masks: list[int] = kernel(text, starts, starts + lengths, *_TRIGGER_TABLE).tolist()
    return masks


_TRIGGER_TABLE = _trigger_table()


@functools.cache
def _trigger_kernel() -> Any:
    """The compiled pass of trigger_masks, or None without numba (built once per process)."""
    ahead = _aot.kernel("rules", "_trigger_kernel")  # compiled when cleaner was installed
    if ahead is not None:
        return ahead
    try:
        numba = import_numba()
    except ImportError:
        return None

    # At each place in a line, the words are compared only where its three bytes have the key
    # (_triple_key, kept rolling) of some word's first three (2% of the places of the text
    # dump's lines), then only those starting with its two bytes. The bytes are read through
    # ``lower`` only there: the key is the same for either case. Two places a step, with one
    # branch for both keys (0.136 -> 0.093 CPU-s for the dump's 28 million bytes, in process;
    # four places a step: 0.098; two a step with a separate branch for the last place: 0.103).
    # (Before, each place looked up the words of its pair: a tenth of the places, " c", " s",
    # " y" among them, with a branch the processor could not foresee: 0.198 -> 0.110 CPU-s.
    # Tried before that: a bit table of the 34 pairs that start a word, read before ``first``,
    # and the last byte outside the loop: no faster. Tried since: the key of each place from
    # its three bytes instead of rolling, 0.149; unsigned indices, no faster.)
    @numba.njit(cache=True)
    def masks(text, starts, ends, single, data, bounds, bits, first, triples, lower):
        out = np.zeros(starts.shape[0], dtype=np.int64)
        for k in range(starts.shape[0]):
            begin, end = starts[k], ends[k]
            mask = 0
            if end - begin < 3:  # no room for a word of three bytes: the one-byte words alone
                for i in range(begin, end):
                    mask |= single[text[i]]
                out[k] = mask
                continue
            mask = single[text[begin]] | single[text[begin + 1]]
            key = (np.int64(text[begin]) & 31) << 5 | (np.int64(text[begin + 1]) & 31)
            stop = end - 2  # the words start before it
            i = begin
            while i < stop:  # the words that start at i and i + 1
                third = text[i + 2]
                first_key = (key << 5 | (np.int64(third) & 31)) & 32767
                if i + 1 < stop:
                    fourth = text[i + 3]
                    key = (first_key << 5 | (np.int64(fourth) & 31)) & 32767
                    mask |= single[third] | single[fourth]
                    hit = triples[first_key] | triples[key]
                else:  # the last place alone
                    key = first_key
                    mask |= single[third]
                    hit = triples[first_key]
                if hit:
                    for j in range(2):
                        place = i + j
                        if place >= stop or not triples[first_key if j == 0 else key]:
                            continue
                        pair = np.int64(lower[text[place]]) * 256 + lower[text[place + 1]]
                        for w in range(first[pair], first[pair + 1]):
                            size = bounds[w + 1] - bounds[w]
                            if place + size > end or mask & bits[w]:
                                continue
                            same = True
                            for q in range(2, size):
                                if lower[text[place + q]] != data[bounds[w] + q]:
                                    same = False
                                    break
                            if same:
                                mask |= bits[w]
                i += 2
            out[k] = mask
        return out

    return masks
