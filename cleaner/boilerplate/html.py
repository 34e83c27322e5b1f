"""Article extraction from HTML with selectolax (lexbor): blocks, a content container, and drops.

1. Parse; strip what is never text (script, style, forms' controls, svg, ...); cut hidden
   elements and page chrome (``<nav>``, site header and footer) as whole elements, each a Drop.
2. Walk the rest once into *blocks*: the text of one block-level element (or one ``<br>``
   line of it) with its link characters and its innermost element.
3. Mark cues: tags (aside, form, figcaption), class/id/role/itemprop words (rules.py), and
   groups of three or more same-class siblings that each carry a headline link (teaser cards).
   A cue on an element that holds most of the page's good text, or a run of article
   paragraphs, is a wrapper, not a widget, and is ignored.
4. Score every element: the good text under it (long, few links, ends like a sentence, not a
   truncated teaser) minus half of the rest; the best element is the article container
   (with a disjoint second one when it scores at least half as well: a split article).
5. Keep the container's blocks unless a cue below it, a link-heavy line, a truncated teaser
   or a line cue (rules.line_reason) says otherwise; drop everything outside it with the
   reason of its nearest cue, or ``boilerplate.low_score``.

>>> html = '''<html><body><nav><a href="/">Home</a> <a href="/w">World</a></nav>
... <div class="story"><h2>Rain</h2><p>It rained all day in the city, and the river rose by a metre before
... the evening, the council said.</p><p>More rain is expected tomorrow, forecasters warned on Monday.</p>
... <div class="share">Share on Facebook</div></div><footer>© 2024 Example News</footer></body></html>'''
>>> print(extract(html).text)
Rain
<BLANKLINE>
It rained all day in the city, and the river rose by a metre before the evening, the council said.
<BLANKLINE>
More rain is expected tomorrow, forecasters warned on Monday.
>>> sorted({d.reason.value for d in extract(html).drops})
['boilerplate.nav', 'boilerplate.social']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import unescape

import numpy as np
from selectolax.lexbor import LexborHTMLParser, LexborNode

from cleaner.boilerplate.features import block_features, context_features, menu_share
from cleaner.boilerplate.model import HTML_MODEL, TreeModel, bars_for, keep_mask, packaged, rescue_for
from cleaner.boilerplate.rules import (
    BLOCK_TAGS,
    HEADING_TAGS,
    INVISIBLE_TAGS,
    TAG_CUES,
    ClassCues,
    LineCues,
    line_reason,
)
from cleaner.record import Drop, Reason, Unit

STAGE = "boilerplate"
# Sentence ends, including the full-width, Devanagari and Arabic ones.
_SENTENCE_END = re.compile(r"[.!?…。！？।۔؟:;»”\"')]\s*$")


@dataclass(slots=True)
class Block:
    """The text of one block-level element (or one line of it, split at <br>)."""

    text: str
    link_chars: int
    element: int  # id of the innermost enclosing (tracked) element, -1 for none
    tag: str  # the innermost block-level tag
    joined: bool  # True: continues the previous block's paragraph (<br>, list items)


@dataclass(slots=True)
class _Element:
    tag: str
    cue: Reason | None
    names: str  # class/id/role as written
    parent: int  # element id of the nearest tracked ancestor, -1 at the root


@dataclass(frozen=True, slots=True)
class Extraction:
    """The article text and a Drop for every block left out."""

    text: str
    drops: tuple[Drop, ...]


_HIDDEN_SELECTOR = ", ".join(
    [
        "[hidden]",
        '[style*="display:none" i]',
        '[style*="display: none" i]',
        '[style*="visibility:hidden" i]',
        '[style*="visibility: hidden" i]',
    ]
)
_PLAIN_INLINE = frozenset(
    {"a", "b", "i", "em", "strong", "u", "s", "small", "sup", "sub", "abbr", "cite", "code", "q", "mark",
     "time", "font", "img", "picture", "source", "wbr", "label", "bdi", "bdo", "var", "kbd", "samp", "tt"}
)  # fmt: skip
_STRIP_TAGS = sorted(INVISIBLE_TAGS - {"-comment"})


# Page chrome removed before the walk, as whole elements: <nav> anywhere, and <header> or
# <footer> outside the article. A quarter to a third of a page's nodes sit in them, so this
# is the cheapest speed-up there is. An element holding more than CHROME_MAX_SHARE of the
# page's text is left to the walk, where the wrapper rule can overrule its cue.
_CHROME_SELECTOR = "nav, [role=navigation], body > header, body > footer, body > div > header, body > div > footer"
CHROME_MAX_SHARE = 0.3


def _outermost(nodes: list[LexborNode]) -> list[LexborNode]:
    """The nodes not inside another of them (removing those removes the rest)."""
    ids = {node.mem_id for node in nodes}
    out = []
    for node in nodes:
        parent = node.parent
        while parent is not None and parent.mem_id not in ids:
            parent = parent.parent
        if parent is None:
            out.append(node)
    return out


def _cut(nodes: list[LexborNode], reason: Reason, detail: str, drops: list[Drop], limit: int | None = None) -> None:
    for node in _outermost(nodes):
        text = " ".join((node.text(separator=" ") or "").split())  # str.split splits where \s+ matches
        if limit is not None and len(text) > limit:
            continue
        if text:
            drops.append(Drop(STAGE, reason, Unit.BLOCK, text, detail=detail))
        node.decompose()


def _parse(html: str | bytes, chrome: bool = True) -> tuple[LexborNode | None, list[Drop]]:
    """Parse a page (or its UTF-8 bytes: the parser reads a str as those, encoding it first), remove
    what is never visible (and, with ``chrome``, the page chrome).

    Script, style and friends go without a Drop (they are code, not text); hidden elements
    hold text a reader never sees, so each leaves a ``boilerplate.markup`` Drop, and each
    removed navigation bar, site header or site footer a ``boilerplate.nav`` Drop.
    """
    tree = LexborHTMLParser(html)
    tree.strip_tags(_STRIP_TAGS)
    drops: list[Drop] = []
    root = tree.body or tree.root
    if root is None:
        return None, drops
    if not chrome:
        _cut(root.css(_HIDDEN_SELECTOR), Reason.MARKUP, "hidden element", drops)
        return root, drops
    # Some pages hide the article until a script runs (we never run scripts), and a nav bar
    # can wrap a whole page: an element holding much of the page's text is left to the walk.
    limit = int(CHROME_MAX_SHARE * len(root.text(separator=" ") or ""))
    _cut(root.css(_HIDDEN_SELECTOR), Reason.MARKUP, "hidden element", drops, limit)
    _cut(root.css(_CHROME_SELECTOR), Reason.NAV, "page chrome", drops, limit)
    return root, drops


def _judge_classes(elements: list[_Element], totals: _Totals, cues: ClassCues) -> None:
    """Give class cues to the elements that have text under them (the others cannot matter)."""
    verdicts: dict[str, Reason | None] = {}  # class strings repeat within a page
    for eid, el in enumerate(elements):
        if el.cue is None and el.names and totals.chars[eid]:
            names = el.names
            if names not in verdicts:
                verdicts[names] = _judge_class(cues, names)
            el.cue = verdicts[names]


def _judge_class(cues: ClassCues, names: str) -> Reason | None:
    """The cue of one class/id/role/itemprop string."""
    if not names:
        return None
    cue = cues.judge(names)
    if cue is Reason.SOCIAL and "embed" in names.lower():
        cue = None  # "social-media-embed": a quoted post is part of the story, not a share bar
    return cue


def _walk(root: LexborNode) -> tuple[list[Block], list[_Element]]:
    """Flatten the tree under ``root`` into blocks, in document order.

    One C-level pre-order traversal; the open elements are tracked by comparing each node's
    parent with the top of a stack, which keeps the per-node Python work small (speed is an
    acceptance point: re-check with the benchmark after touching this loop).
    """
    blocks: list[Block] = []
    elements: list[_Element] = []
    path: list[int] = []  # element ids of the open tracked elements
    # The open elements, innermost last: their lexbor node ids (to detect when we leave
    # them) and their tags; "-a" and "-" mark plain inline elements (a link, or formatting),
    # which are not in path (no element tag starts with "-").
    open_mem: list[int] = []
    open_tags: list[str] = []
    block_tags: list[str] = [""]
    pieces: list[str] = []  # text of the block being built; only real text makes it non-empty
    links = 0  # characters of link text in it
    link_depth = 0
    joined = False  # whether the next block continues the previous paragraph
    block_tag_set = BLOCK_TAGS
    tag_cues = TAG_CUES
    plain_inline = _PLAIN_INLINE
    add_piece = pieces.append

    def flush(join_next: bool) -> None:
        nonlocal links, joined
        text = " ".join("".join(pieces).split())
        blocks.append(Block(text, min(links, len(text)), path[-1] if path else -1, block_tags[-1], joined))
        joined = join_next
        pieces.clear()
        links = 0

    for node in root.traverse(include_text=True):
        tag = node.tag
        if tag == "-text":
            value = node.text_content or ""
            if value.isspace():
                # Indentation between tags: a space is all it adds, and which element it
                # belongs to cannot change the text, so skip the (costly) parent lookup.
                if pieces:
                    add_piece(" ")
                continue
        elif tag is None or tag[0] == "-":
            continue
        if open_mem:
            parent = node.parent
            parent_mem = parent.mem_id if parent is not None else -1
            while open_mem[-1] != parent_mem:
                open_mem.pop()
                closing = open_tags.pop()
                if closing[0] == "-":  # a plain inline element: "-a" a link, "-" formatting
                    if closing == "-a":
                        link_depth -= 1
                    continue
                if closing in block_tag_set:
                    if pieces:
                        flush(closing == "li")  # before the pop: the block belongs to this element
                    block_tags.pop()
                path.pop()
                if not open_mem:
                    break
        if tag == "-text":
            add_piece(value)
            if link_depth:
                links += len(value.strip())
            continue
        if tag == "br":
            if pieces:
                flush(True)
            continue
        if tag in plain_inline:
            # Formatting and links: never a container and rarely a widget, so no class check
            # and no element record (about half of all elements; speed).
            if tag == "a":
                link_depth += 1
                open_tags.append("-a")
            else:
                open_tags.append("-")
            open_mem.append(node.mem_id)
            continue
        attrs = node.attributes
        if attrs:
            names = " ".join(
                filter(None, (attrs.get("class"), attrs.get("id"), attrs.get("role"), attrs.get("itemprop")))
            )
        else:
            names = ""
        # Class cues are judged later, and only for elements with text under them.
        elements.append(_Element(tag, tag_cues.get(tag), names, path[-1] if path else -1))
        if tag in block_tag_set:
            if pieces:
                flush(False)
            block_tags.append(tag)
        path.append(len(elements) - 1)
        open_mem.append(node.mem_id)
        open_tags.append(tag)
    while open_tags:
        closing = open_tags.pop()
        if closing[0] == "-":
            continue
        if closing in block_tag_set:
            if pieces:
                flush(closing == "li")
            block_tags.pop()
        path.pop()
    if pieces:
        flush(False)
    return blocks, elements


def visible_text(html: str, utf8: bytes | None = None) -> str:
    """All visible text of a page, one block element per line.

    A page whose body shows no text until a script runs gets what a browser would show where
    the page ships it as data (a Discourse thread's posts, see _text_without_body), as
    ``extract`` does.

    >>> visible_text("<p>One <b>two</b></p><script>x()</script><div>three<br>four</div>")
    'One two\\nthree\\nfour'
    """
    root, _ = _parse(html if utf8 is None else utf8, chrome=False)
    if root is None:
        return ""
    blocks, _ = _walk(root)
    if not blocks:
        return _text_without_body(html)
    return "\n".join(b.text for b in blocks)


_TRUNCATED = re.compile(r"(?:\.\.\.|…|\[(?:\.\.\.|…)\])\s*$")


def _is_teaser(block: Block) -> bool:
    """A linked headline with a blurb cut short ("... may soon..."): a pointer to another page."""
    return block.link_chars >= 0.1 * len(block.text) and _TRUNCATED.search(block.text[-8:]) is not None


def _link_heavy(block: Block) -> bool:
    """Mostly link text: a menu or a list of headlines. A sentence inside the article that
    links half its words ("The suspect, Michael Webb, was convicted ...") stays, unless
    nearly all of it is a link.

    # 0.5 / 0.8 link density: re-check with the benchmark (tune half) before changing.
    """
    n = len(block.text)
    if block.link_chars <= 0.5 * n:
        return False
    return block.link_chars > 0.8 * n or n < 60 or _SENTENCE_END.search(block.text) is None


def _good_chars(block: Block) -> int:
    """Characters of article-like text in a block: long, few links, sentence punctuation.

    # 0.5 link density and 80/30 chars: readability-style cut-offs; re-check with
    # benchmarks/bench_extraction.py on both split halves before changing them.
    """
    n = len(block.text)
    own = n - block.link_chars
    if n == 0 or block.link_chars / n > 0.5 or _is_teaser(block):
        return 0
    if n >= 80 or (n >= 30 and _SENTENCE_END.search(block.text)):
        return own
    return 0


@dataclass(slots=True)
class _Totals:
    """Per-element sums over the blocks beneath it."""

    good: list[int]
    chars: list[int]
    links: list[int]
    headlines: list[int]  # blocks that are mostly one link: a headline pointing elsewhere


def _subtree_sums(values: list[float], elements: list[_Element]) -> None:
    """Turn per-element values into sums over each element's subtree, in place.

    Elements come in document order, so every child has a larger id than its parent:
    one pass from the last element up adds each into its parent.
    """
    for eid in range(len(elements) - 1, 0, -1):
        parent = elements[eid].parent
        if parent >= 0:
            values[parent] += values[eid]


def _totals(blocks: list[Block], goods: list[int], elements: list[_Element]) -> _Totals:
    n_elements = len(elements)
    good = [0] * n_elements
    chars = [0] * n_elements
    links = [0] * n_elements
    headlines = [0] * n_elements
    for block, block_good in zip(blocks, goods, strict=True):
        own = block.element
        if own < 0:
            continue
        size = len(block.text)
        good[own] += block_good
        chars[own] += size
        links[own] += block.link_chars
        if size >= 10 and block.link_chars >= 0.6 * size:
            headlines[own] += 1
    # Subtree sums of all four in one pass (see _subtree_sums).
    for eid in range(n_elements - 1, 0, -1):
        parent = elements[eid].parent
        if parent >= 0:
            good[parent] += good[eid]
            chars[parent] += chars[eid]
            links[parent] += links[eid]
            headlines[parent] += headlines[eid]
    return _Totals(good, chars, links, headlines)


# Teaser cards: at least this many siblings with the same tag and class, each short and
# each carrying a headline (a block that is mostly one link) -- "more stories" grids.
# Article paragraphs and embedded posts repeat too, but they are not headlines pointing
# elsewhere, and they are longer. Re-check with the benchmark.
CARD_MIN_SIBLINGS = 3
CARD_MAX_CHARS = 600
CARD_MIN_LINK_SHARE = 0.08


def _mark_cards(elements: list[_Element], totals: _Totals, total_good: int) -> list[bool]:
    """Elements that are members of a repeated group of teaser cards.

    A group holding half of the page's good text is the article itself (a listicle whose
    items each link somewhere), never cards.
    """
    groups: dict[tuple[int, str, str], list[int]] = {}
    for eid, el in enumerate(elements):
        if el.parent >= 0 and el.tag != "p" and totals.chars[eid]:
            groups.setdefault((el.parent, el.tag, el.names), []).append(eid)
    cards = [False] * len(elements)
    for members in groups.values():
        if len(members) < CARD_MIN_SIBLINGS:
            continue
        if sum(totals.good[e] for e in members) >= 0.5 * total_good:
            continue
        if all(
            totals.chars[e] <= CARD_MAX_CHARS
            and totals.links[e] >= CARD_MIN_LINK_SHARE * totals.chars[e]
            and totals.headlines[e] > 0
            for e in members
        ):
            for e in members:
                cards[e] = True
    return cards


# An element holding a run of at least this many good <p> siblings holds an article body
# (or a large part of one), whatever its class says: "has-sidebar" on a wrapper, "promo" on a
# sponsored post. Reader comments are the exception, their paragraphs are prose too.
ARTICLE_RUN = 4


def _holds_article_run(blocks: list[Block], goods: list[int], elements: list[_Element]) -> list[bool]:
    runs = [0] * len(elements)
    for block, good in zip(blocks, goods, strict=True):
        if good and block.tag == "p" and block.element >= 0 and elements[block.element].parent >= 0:
            runs[elements[block.element].parent] += 1
    holds = [False] * len(elements)
    for eid in range(len(elements) - 1, -1, -1):
        if runs[eid] >= ARTICLE_RUN or holds[eid]:
            holds[eid] = True
            parent = elements[eid].parent
            if parent >= 0:
                holds[parent] = True
    return holds


# See _choose_container. Tune half: 0.5 changes no page (0.3 costs 0.002 F1); the held-out
# half was 0.003 better with it, which is the point: it guards recall where scoring is unsure.
SECOND_CONTAINER_SHARE = 0.5


def _is_below(eid: int, ancestor: int, elements: list[_Element]) -> bool:
    parent = elements[eid].parent
    while parent > ancestor:
        parent = elements[parent].parent
    return parent == ancestor


def _choose_container(blocks: list[Block], goods: list[int], elements: list[_Element], cued: list[bool]) -> list[int]:
    """The element ids of the article: the best score (good text minus half of the rest),
    and a disjoint second one when it scores close.

    # 0.5: the share of non-article text a container pays for; tune-half grid 0.3 -> F1 0.974,
    # 0.5 -> 0.978, 1.0 -> 0.968, 2.0 -> 0.943. Re-check with the benchmark before changing.
    """
    score = [0.0] * len(elements)
    for block, good in zip(blocks, goods, strict=True):
        own = block.element
        if own < 0:
            continue
        if good and cued[own]:
            good = 0
        score[own] += good - 0.5 * (len(block.text) if good == 0 else block.link_chars)
    _subtree_sums(score, elements)
    if not score:
        return []
    best = max(range(len(score)), key=score.__getitem__)  # max keeps the first of equals: the lowest id
    chosen = [best]
    # A second container outside the first (neither inside it nor around it) that scores
    # close to it: an article split in two by a big widget. Losing half of the article
    # costs more than keeping a block of something else.
    around = set()
    parent = elements[best].parent
    while parent >= 0:
        around.add(parent)
        parent = elements[parent].parent
    inside_end = best + 1
    while inside_end < len(elements) and _is_below(inside_end, best, elements):
        inside_end += 1
    others = [e for e in range(len(score)) if e not in around and not best <= e < inside_end and score[e] > 0]
    if others:
        second = max(others, key=score.__getitem__)
        if score[second] >= SECOND_CONTAINER_SHARE * score[best]:
            chosen.append(second)
    return chosen


# Line cues are checked on blocks up to this long: longer blocks inside the article
# container are paragraphs (a cookie notice or a copyright line that long sits in a banner or
# footer, which class and tag cues catch). Saves a tenth of the extraction time.
LINE_CUE_MAX_CHARS = 400


# Share of the container's good text a marked-up article element must hold to replace it.
# Tune half: 0.8 -> F1 0.981, 0.9 -> 0.9805, 0.95 -> 0.980, off -> 0.980.
DESCEND_SHARE = 0.8


def _descend_to_marked(container: int, elements: list[_Element], totals: _Totals) -> int:
    """An <article> or itemprop=articleBody element inside the container that holds nearly
    all of its good text is the tighter, marked-up article: use it instead."""
    floor = DESCEND_SHARE * totals.good[container]
    best = container
    for eid in range(container + 1, len(elements)):
        if not _is_below(eid, container, elements):
            break
        el = elements[eid]
        marked = el.tag == "article" or "articlebody" in el.names.lower()
        if marked and totals.good[eid] >= floor and totals.good[eid] > 0:
            best = eid  # the deepest such element wins: elements come in document order
    return best


@dataclass(slots=True)
class Analysis:
    """What the rules see on a page: its blocks and elements, and the rules' verdict per block.

    The learned scorer (model.py) reads these as its features; ``rule_reasons[i]`` is the
    reason the rules alone would drop block ``i`` for (None: the rules keep it).
    """

    blocks: list[Block]
    elements: list[_Element]
    goods: list[int]
    totals: _Totals
    cards: list[bool]
    holds_body: list[bool]
    active: list[Reason | None]
    owner: list[int]
    nearest: list[Reason | None]
    containers: list[int]
    rule_reasons: list[Reason | None]
    hidden_drops: list[Drop]
    items_share: float = 0.0  # share of the page's text in its largest run of repeated items
    in_items: list[bool] = field(default_factory=list)  # per element: inside one of those items
    in_repeated: list[bool] = field(default_factory=list)  # per element: inside an item of any run (not <p>)
    kind: str = "other"  # page_kind's verdict


def analyse(
    html: str,
    cues: ClassCues | None = None,
    captions: bool = False,
    utf8: bytes | None = None,
    lines: LineCues | None = None,
) -> Analysis | None:
    """Parse a page and judge its blocks by the rules; None when the page has no text.

    ``utf8``: ``html.encode()``, when the caller has it (Document.html_utf8): the parser reads it.
    ``lines``: a memo of short lines' cue verdicts to reuse across pages (same verdicts, faster).
    """
    root, hidden_drops = _parse(html if utf8 is None else utf8)
    if root is None:
        return None
    blocks, elements = _walk(root)
    if not blocks or not elements:
        return Analysis([], [], [], _Totals([], [], [], []), [], [], [], [], [], [], [], hidden_drops)
    goods = [_good_chars(b) for b in blocks]
    totals = _totals(blocks, goods, elements)
    _judge_classes(elements, totals, cues if cues is not None else ClassCues())
    total_good = sum(goods)
    cards = _mark_cards(elements, totals, total_good)
    # A cue is ignored on an element that is a page wrapper rather than a widget: one holding
    # more than 0.6 of the page's good text (tune half: any share from 0.4 to 0.8 scores the
    # same), or a class cue on one holding a run of article paragraphs.
    holds_body = _holds_article_run(blocks, goods, elements)
    active: list[Reason | None] = [
        (Reason.RELATED if cards[eid] and el.cue is None else el.cue)
        if totals.good[eid] <= 0.6 * total_good
        and (not holds_body[eid] or el.cue is Reason.COMMENTS or el.tag in TAG_CUES)
        and not (captions and el.cue is Reason.CAPTION)
        else None
        for eid, el in enumerate(elements)
    ]
    # cued[e]: e or an ancestor carries an active cue (elements come in document order, so a
    # parent is always judged before its children).
    cued = [False] * len(elements)
    for eid, el in enumerate(elements):
        cued[eid] = active[eid] is not None or (el.parent >= 0 and cued[el.parent])
    containers = _choose_container(blocks, goods, elements, cued)
    containers[0] = _descend_to_marked(containers[0], elements, totals)

    # Per element: the container it lies in (or -1), and the nearest active cue between it
    # and that container (or the root, outside every container). Parents come first.
    chosen = set(containers)
    owner = [-1] * len(elements)
    nearest: list[Reason | None] = [None] * len(elements)
    for eid, el in enumerate(elements):
        if eid in chosen:
            owner[eid] = eid  # the container's own cue does not count inside it
            continue
        parent = el.parent
        owner[eid] = owner[parent] if parent >= 0 else -1
        own = active[eid]
        nearest[eid] = own if own is not None else (nearest[parent] if parent >= 0 else None)

    rule_reasons: list[Reason | None] = []
    for block in blocks:
        innermost = block.element
        reason = nearest[innermost] if innermost >= 0 else None
        if innermost >= 0 and owner[innermost] >= 0:
            if reason is None and _link_heavy(block):
                reason = Reason.NAV if len(block.text) < 40 else Reason.RELATED
            if reason is None and _is_teaser(block):
                reason = Reason.RELATED
            if reason is None and len(block.text) <= LINE_CUE_MAX_CHARS:
                reason = line_reason(block.text) if lines is None else lines.judge(block.text)
        elif reason is None:
            reason = Reason.LOW_SCORE
        rule_reasons.append(reason)
    items_share, in_items, in_repeated = _repeated_items(elements, totals)
    page = Analysis(
        blocks, elements, goods, totals, cards, holds_body, active, owner, nearest, containers, rule_reasons,
        hidden_drops, items_share, in_items, in_repeated,
    )  # fmt: skip
    page.kind = page_kind(page)
    return page


# Digits dropped from class/id strings before comparing siblings: "post-1041" and "post-1042"
# are two items of one kind (forum posts, product tiles, search results carry their ids).
_NO_DIGITS = str.maketrans("", "", "0123456789")
ITEMS_MIN_SIBLINGS = 3


def _repeated_items(elements: list[_Element], totals: _Totals) -> tuple[float, list[bool], list[bool]]:
    """The largest run of repeated items: siblings with one tag and one class (digits aside), at
    least ITEMS_MIN_SIBLINGS of them with text; its share of the page's text, and per element
    whether it lies inside one of its items; and per element whether it lies inside an item of
    any such run but a run of <p> (an article's paragraphs): menus, cards, rows.

    >>> page = analyse("<div>" + "".join(f"<div class='post-{i}'><p>Post number {i} says hello.</p></div>"
    ...                                  for i in range(4)) + "</div><p>Footer line</p>")
    >>> round(page.items_share, 2), sum(page.in_items), sum(page.in_repeated)
    (0.9, 8, 8)
    """
    groups: dict[tuple[int, str, str], list[int]] = {}
    kinds: dict[str, str] = {}  # class strings repeat within a page
    chars = totals.chars
    for eid, el in enumerate(elements):
        if chars[eid] and el.parent >= 0:
            names = el.names
            kind = kinds.get(names)
            if kind is None:
                kind = kinds[names] = names.translate(_NO_DIGITS)
            groups.setdefault((el.parent, el.tag, kind), []).append(eid)
    best: list[int] = []
    best_chars = 0
    in_repeated = [False] * len(elements)
    for (_, tag, _), members in groups.items():  # dicts keep insertion order: ties go to the first group
        if len(members) >= ITEMS_MIN_SIBLINGS:
            size = sum(totals.chars[e] for e in members)
            if size > best_chars:
                best, best_chars = members, size
            if tag != "p":
                for eid in members:
                    in_repeated[eid] = True
    in_items = [False] * len(elements)
    if best:
        chosen = set(best)
        for eid in range(best[0], len(elements)):  # nothing before the first item lies in one
            parent = elements[eid].parent
            in_items[eid] = eid in chosen or (parent >= 0 and in_items[parent])
    for eid, el in enumerate(elements):  # parents come first
        if not in_repeated[eid] and el.parent >= 0 and in_repeated[el.parent]:
            in_repeated[eid] = True
    total = totals.chars[0] if totals.chars else 0
    return (best_chars / total if total else 0.0), in_items, in_repeated


# The second stage of the block scorer (see model_scores), shipped beside HTML_MODEL.
CONTEXT_MODEL = "html-context.npz"


def model_scores(page: Analysis, model: TreeModel, context: TreeModel | None = None) -> np.ndarray:
    """The learned scorer's probability that each block is main content.

    ``model`` scores each block from its own features; ``context``, the second stage, rescores it
    from the same features plus the first stage's scores around it (features.context_features):
    a section or a run of items is mostly content or mostly not, as a whole.
    """
    rows = block_features(page, model.tokens, model.class_scores)
    scores = model.predict(rows)
    if context is not None:
        scores = context.predict(np.concatenate([rows, context_features(page, scores)], axis=1))
    return scores


def model_keeps(
    page: Analysis, model: TreeModel, scores: np.ndarray | None = None, context: TreeModel | None = None
) -> list[bool]:
    """Which blocks the learned scorer keeps: the rules' verdicts set each block's bar, and the
    page's kind sets the bars and whether a page the scorer is sure of little of is rescued by
    expected F1, weighing blocks by their characters (see page_kind and model.keep_mask); the
    last stage's model holds them. The rescue may reach blocks outside the rules' container
    (keep_mask's ``wide``) only on a page whose share of text in menu entries
    (features.menu_share) is under the kind's "rescue_wide" bar: on a listing the container may
    miss the items, while a short article under a big menu has its sidebars scored like items."""
    if scores is None:
        scores = model_scores(page, model, context)
    meta = (context if context is not None else model).meta
    rescue, wide_below = rescue_for(meta, page.kind)
    weights = np.fromiter((len(block.text) for block in page.blocks), np.float64, len(page.blocks)) if rescue else None
    wide = bool(rescue and wide_below and menu_share(page) < wide_below)
    return keep_mask(scores, page.rule_reasons, bars_for(meta, page.kind), weights, rescue, wide).tolist()


# A page is an article when the rules' container holds a run of article paragraphs and at least
# this share of the page's article-like text. There the rules (tuned on news pages) keep more
# say; on other pages (listings, products, forums, service pages) the learned scorer does.
ARTICLE_CONTAINER_SHARE = 0.7


# A page that is not an article is a page of items when its largest run of repeated items holds
# at least this share of its text: forum threads, listings, collections, search results. On the
# WCXB development pages 0.4 marks 62 of 90 such listings, 68 of 92 collections and 57 of 78
# forums, against a third of the service and a fifth of the product pages (html.page_kind sets
# the bars, and the trainer chooses the bars per kind; see benchmarks/train_boilerplate.py).
ITEMS_SHARE = 0.4


def page_kind(page: Analysis) -> str:
    """"article" (one main container of prose), "items" (a run of repeated items: posts, results,
    tiles) or "other" (sections: service, product and landing pages).

    >>> page_kind(analyse("<ul><li><a href='/a'>One</a></li><li><a href='/b'>Two</a></li></ul>"))
    'other'
    """
    container = page.containers[0] if page.containers else -1
    if container < 0:
        return "items" if page.items_share >= ITEMS_SHARE else "other"
    good = sum(page.goods)
    holds = page.holds_body[container] and page.totals.good[container] >= ARTICLE_CONTAINER_SHARE * good
    if holds and good > 0:
        return "article"
    return "items" if page.items_share >= ITEMS_SHARE else "other"


def join_kept(page: Analysis, keep: list[bool]) -> str:
    return _join([block for block, kept in zip(page.blocks, keep, strict=True) if kept])


def extract(
    html: str,
    cues: ClassCues | None = None,
    captions: bool = False,
    model: TreeModel | None = None,
    learned: bool = True,
    as_markdown: bool = False,
    context: TreeModel | None = None,
    utf8: bytes | None = None,
    lines: LineCues | None = None,
) -> Extraction:
    """Extract the main content of a page as plain text, with a Drop for every removed block.

    ``cues`` is a class-name judge and ``lines`` a short-line judge to reuse across pages (a stage
    keeps one of each per worker); ``utf8`` is ``html.encode()`` where the caller has it (a page
    read as valid UTF-8: Document.html_utf8), which the parser reads instead of encoding the page
    again. The result is the same with or without them, only faster. ``captions`` keeps figure
    captions (by default they go, as ``boilerplate.caption``: see BoilerplateConfig.captions).
    ``model`` is the block scorer and ``context`` its second stage (default: both as shipped
    with the package; a ``model`` given alone scores in one stage); with ``learned=False``, or
    when no model is shipped, the rules alone decide.
    A block the scorer drops keeps the rules' reason where they have one, else the reason
    of the nearest cue above it, else ``boilerplate.low_score``; its detail gives the score.
    ``as_markdown`` writes the kept blocks as Markdown (see ``markdown``) instead of plain text.
    """
    page = analyse(html, cues, captions, utf8, lines)
    if page is None or not page.blocks:
        fallback = _text_without_body(html)
        return Extraction(fallback, tuple(page.hidden_drops) if page is not None else ())
    if model is None and learned:
        model = packaged(HTML_MODEL)
        context = packaged(CONTEXT_MODEL)
    if model is None or not learned or not page.blocks:
        keep = [reason is None for reason in page.rule_reasons]
        scores = None
    else:
        scores = model_scores(page, model, context)
        keep = model_keeps(page, model, scores, context)
    kept: list[Block] = []
    drops: list[Drop] = page.hidden_drops
    # Python floats (the same two decimals as the numpy scalars, without one per block).
    score_of = scores.tolist() if scores is not None else []
    for i, (block, reason) in enumerate(zip(page.blocks, page.rule_reasons, strict=True)):
        if captions and block.tag == "figcaption":
            keep[i] = True
        if keep[i]:
            kept.append(block)
            continue
        if scores is None:
            drops.append(Drop(STAGE, reason or Reason.LOW_SCORE, Unit.BLOCK, block.text))
            continue
        if reason is None:
            reason = _cue_above(page.elements, block.element) or Reason.LOW_SCORE
        drops.append(Drop(STAGE, reason, Unit.BLOCK, block.text, detail=f"score {score_of[i]:.2f}"))
    text = markdown(kept, page.elements) if as_markdown else _join(kept)
    return Extraction(text, tuple(drops))


_PRELOADED = re.compile(r'data-preloaded="([^"]*)"')


def _text_without_body(html: str) -> str:
    """The text of a page whose body shows none until a script runs (we never run scripts).

    Discourse forums (thousands of sites) ship a thread's posts as JSON in a ``data-preloaded``
    attribute ("cooked" HTML per post): used when the walk found no text at all. (A meta
    description is not used: it is not what the page shows, and pages without text are
    mostly error or empty pages, whose right output is empty.)

    >>> from html import escape
    >>> topic = json.dumps({"post_stream": {"posts": [{"cooked": "<p>Hi all</p>"}]}})
    >>> _text_without_body(f'<div data-preloaded="{escape(json.dumps({"topic_1": topic}))}"></div>')
    'Hi all'
    """
    match = _PRELOADED.search(html)
    if match is not None:
        try:
            data = json.loads(unescape(match.group(1)))
        except ValueError:
            data = {}
        posts: list[str] = []
        for key, value in sorted(data.items()) if isinstance(data, dict) else ():
            if not key.startswith("topic_") or not isinstance(value, str):
                continue
            try:
                topic = json.loads(value)
            except ValueError:
                continue
            stream = topic.get("post_stream", {}) if isinstance(topic, dict) else {}
            for post in stream.get("posts", []) if isinstance(stream, dict) else []:
                cooked = post.get("cooked") if isinstance(post, dict) else None
                if isinstance(cooked, str):
                    posts.append(visible_text(cooked))
        text = "\n\n".join(post for post in posts if post)
        if text:
            return text
    return ""


def _cue_above(elements: list[_Element], eid: int) -> Reason | None:
    """The cue of the nearest element at or above ``eid`` that has one (tag or class)."""
    while eid >= 0:
        cue = elements[eid].cue
        if cue is not None:
            return cue
        eid = elements[eid].parent
    return None


def _ancestor(elements: list[_Element], eid: int, tags: frozenset[str]) -> int:
    """The nearest element at or above ``eid`` whose tag is in ``tags``, or -1."""
    while eid >= 0 and elements[eid].tag not in tags:
        eid = elements[eid].parent
    return eid


_LIST_TAGS = frozenset({"ul", "ol"})
_ROW_TAGS = frozenset({"tr"})
_TABLE_TAGS = frozenset({"table"})


def markdown(blocks: list[Block], elements: list[_Element]) -> str:
    """The kept blocks as Markdown: headings, list items, table rows, quotes and code blocks.

    The text of each block is what the plain-text output holds (whitespace collapsed, code
    included); the structure around it is added. Links are not written.

    >>> page = analyse("<h2>Steps</h2><ol><li>Mix</li><li>Bake</li></ol><table><tr><th>A</th><th>B</th></tr>"
    ...                "<tr><td>1</td><td>2</td></tr></table>")
    >>> print(markdown(page.blocks, page.elements))
    ## Steps
    <BLANKLINE>
    1. Mix
    1. Bake
    <BLANKLINE>
    | A | B |
    | --- | --- |
    | 1 | 2 |
    """
    pieces: list[tuple[str, str]] = []  # (kind, text): consecutive pieces of one kind share a paragraph
    row_of = -1
    table_of = -1
    for block in blocks:
        tag = block.tag
        if tag in ("td", "th"):
            row = _ancestor(elements, block.element, _ROW_TAGS)
            table = _ancestor(elements, block.element, _TABLE_TAGS)
            if row >= 0 and row == row_of and pieces:
                kind, text = pieces[-1]
                pieces[-1] = (kind, f"{text[:-2]} | {block.text} |")
                continue
            if table != table_of and table >= 0:
                pieces.append(("table-start", f"| {block.text} |"))
            else:
                pieces.append(("table", f"| {block.text} |"))
            row_of, table_of = row, table
            continue
        row_of = -1
        if tag in HEADING_TAGS:
            pieces.append(("heading", f"{'#' * int(tag[1])} {block.text}"))
        elif tag == "li":
            listed = _ancestor(elements, block.element, _LIST_TAGS)
            bullet = "1." if listed >= 0 and elements[listed].tag == "ol" else "-"
            pieces.append(("list", f"{bullet} {block.text}"))
        elif tag == "pre":
            pieces.append(("code", f"```\n{block.text}\n```"))
        elif tag == "blockquote":
            pieces.append(("quote", f"> {block.text}"))
        else:
            pieces.append(("text" if not block.joined else "line", block.text))
    out: list[str] = []
    for i, (kind, text) in enumerate(pieces):
        if i:
            previous = pieces[i - 1][0]
            if kind == "table-start" and previous.startswith("table"):
                out.append("\n\n")
            elif kind == "table" and previous == "table-start":
                cells = pieces[i - 1][1].count(" | ") + 1
                out.append("\n| " + " | ".join(["---"] * cells) + " |\n")
            elif (kind == previous and kind in ("list", "table", "quote")) or (
                kind == "line" and previous != "heading"
            ):
                out.append("\n")
            else:
                out.append("\n\n")
        out.append(text)
    if pieces and pieces[-1][0] == "table-start":
        cells = pieces[-1][1].count(" | ") + 1
        out.append("\n| " + " | ".join(["---"] * cells) + " |")
    return "".join(out)


def _join(blocks: list[Block]) -> str:
    """One block per line; a blank line between paragraphs (not inside lists or <br> runs)."""
    out: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            same = block.joined and blocks[i - 1].tag not in HEADING_TAGS
            out.append("\n" if same else "\n\n")
        out.append(block.text)
    return "".join(out)
