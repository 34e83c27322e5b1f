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

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape
from types import MappingProxyType

import numpy as np
from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser, LexborNode

from cleaner.boilerplate.features import (
    block_features,
    block_features_many,
    context_features,
    context_features_many,
    menu_share,
)
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
from cleaner.record import Drop, Reason, Unit, assemble_drop

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


@dataclass(slots=True)
class Blocks:
    """A page's blocks as columns, in document order: block ``i`` is ``texts[i]``, ``links[i]``, ...
    (Block is one of them as a record). The walk fills lists, not one record per block (speed)."""

    texts: list[str]
    links: list[int]  # characters of link text
    owners: list[int]  # id of the innermost enclosing (tracked) element, -1 for none
    tags: list[str]  # the innermost block-level tag
    joined: list[bool]  # True: continues the previous block's paragraph (<br>, list items)

    def __len__(self) -> int:
        return len(self.texts)

    def records(self) -> list[Block]:
        return list(map(Block, self.texts, self.links, self.owners, self.tags, self.joined))

    def __iter__(self) -> Iterator[Block]:
        return iter(self.records())

    def __getitem__(self, i: int) -> Block:
        return Block(self.texts[i], self.links[i], self.owners[i], self.tags[i], self.joined[i])


@dataclass(slots=True)
class Elements:
    """A page's tracked elements as columns, in document order (a parent before its children), so
    the subtree of element ``e`` is the run of ids ``e`` to ``ends[e] - 1``."""

    tags: list[str]
    names: list[str]  # class/id/role/itemprop as written; "" without text under it (_read_names)
    parents: list[int]  # element id of the nearest tracked ancestor, -1 at the root
    ends: list[int]  # one past the last element of its subtree
    cues: list[Reason | None]  # the tag's cue; html._judge_classes adds the class cues

    def __len__(self) -> int:
        return len(self.tags)

    def records(self) -> list[_Element]:
        return list(map(_Element, self.tags, self.cues, self.names, self.parents))

    def __iter__(self) -> Iterator[_Element]:
        return iter(self.records())

    def __getitem__(self, eid: int) -> _Element:
        return _Element(self.tags[eid], self.cues[eid], self.names[eid], self.parents[eid])


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
# What _walk does with a node, by its tag, in one dict lookup (any other element: _ELEMENT). The
# kinds of open elements are kept on its stack: _FORMAT and _LINK (plain inline: 0 and 1, the
# link depth they add) are no element of their own; _ELEMENT, _BLOCK and _LI are; _LI is the
# block whose next block continues its paragraph.
_FORMAT, _LINK, _ELEMENT, _BLOCK, _LI, _TEXT, _BR, _SKIP = range(8)
_NODE_KINDS: Mapping[str | None, int] = MappingProxyType(
    {
        **dict.fromkeys(BLOCK_TAGS, _BLOCK),
        **dict.fromkeys(_PLAIN_INLINE, _FORMAT),
        "a": _LINK,
        "li": _LI,
        "br": _BR,
        "-text": _TEXT,
        # Comments, doctypes and nodes without a tag: nothing of theirs is text (no element tag
        # starts with "-").
        **dict.fromkeys(("-comment", "-doctype", "-document", None), _SKIP),
    }
)
_NO_NAMES = (None, None, None)


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
            drops.append(assemble_drop(STAGE, reason, Unit.BLOCK, text, None, None, detail))
        node.decompose()


@functools.cache
def _strip_ids() -> tuple[frozenset[int], frozenset[str]]:
    """The lexbor tag ids of _STRIP_TAGS (fixed numbers for the tags lexbor knows), and the names of
    those it does not know ("annotation"), whose ids differ from document to document."""
    tree = LexborHTMLParser("")
    ids = {name: tree.create_node(name).tag_id for name in _STRIP_TAGS}
    known = frozenset(tag_id for tag_id in ids.values() if tag_id < _DYNAMIC_TAG_IDS)
    return known, frozenset(name for name, tag_id in ids.items() if tag_id >= _DYNAMIC_TAG_IDS)


# Lexbor numbers the tags it knows from 0 to a few hundred; a tag it does not know gets the address
# of its entry in the document's tag table as its id.
_DYNAMIC_TAG_IDS = 1 << 16


def _strip(tree: LexborHTMLParser) -> None:
    """``tree.strip_tags(_STRIP_TAGS)``, the same tree: each element of those tags unlinked from it.

    One walk of the elements, comparing tag ids, instead of one lexbor search per tag (25 searches,
    0.3 ms a page; one CSS selector list for all of them, or "head" searched first, took as long;
    ``tree.tags`` per tag, 25 searches of lexbor's own, twice as long):
    50 -> 25 ms for the 181 Scrapinghub pages, in process. The last found goes first, so every
    element is unlinked before any element around it (as strip_tags unlinks them, without freeing
    the subtree: a later element of a list may lie inside an earlier one).
    """
    root = tree.root
    if root is None:
        return
    # <head> (a tenth of a page's elements, none of them shown) goes first, whole, so the walk
    # below does not visit what it holds (43 -> 37 ms for the 181 Scrapinghub pages, in process;
    # the same tree under the root: unlinked with it, its elements need no unlinking of their own).
    head = tree.head
    if head is not None:
        head.decompose(recursive=False)
    ids, unknown = _strip_ids()
    dynamic = _DYNAMIC_TAG_IDS
    found = [
        node
        for node in root.traverse()
        if (tag_id := node.tag_id) in ids or (tag_id >= dynamic and node.tag in unknown)
    ]
    for node in reversed(found):
        node.decompose(recursive=False)


# Lexbor's DOM mutation callbacks are off while it builds the tree and while _strip and _cut take
# elements out of it. The one thing they do for an HTML page is copy the selected <option> into a
# <selectedcontent> (the customizable <select>), and _strip removes every <select> with what it
# holds. Same trees on the 181 Scrapinghub pages; _parse took 318 -> 306 ms there (in process).
_WITHOUT_EVENTS = LexborDocumentOptions.WO_EVENTS


def _parse(html: str | bytes, chrome: bool = True) -> tuple[LexborNode | None, list[Drop]]:
    """Parse a page (or its UTF-8 bytes: the parser reads a str as those, encoding it first), remove
    what is never visible (and, with ``chrome``, the page chrome).

    Script, style and friends go without a Drop (they are code, not text); hidden elements
    hold text a reader never sees, so each leaves a ``boilerplate.markup`` Drop, and each
    removed navigation bar, site header or site footer a ``boilerplate.nav`` Drop.
    """
    tree = LexborHTMLParser(html, options=_WITHOUT_EVENTS)
    _strip(tree)
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


def _judge_classes(elements: Elements, totals: _Totals, cues: ClassCues) -> None:
    """Give class cues to the elements that have text under them (the others cannot matter)."""
    verdicts: dict[str, Reason | None] = {}  # class strings repeat within a page
    el_cues = elements.cues
    chars = totals.chars
    for eid, names in enumerate(elements.names):
        if names and el_cues[eid] is None and chars[eid]:  # most elements have no class or id
            if names not in verdicts:
                verdicts[names] = _judge_class(cues, names)
            el_cues[eid] = verdicts[names]


def _judge_class(cues: ClassCues, names: str) -> Reason | None:
    """The cue of one class/id/role/itemprop string."""
    if not names:
        return None
    cue = cues.judge(names)
    if cue is Reason.SOCIAL and "embed" in names.lower():
        cue = None  # "social-media-embed": a quoted post is part of the story, not a share bar
    return cue


def _walk(root: LexborNode) -> tuple[Blocks, Elements, list[LexborNode]]:
    """Flatten the tree under ``root`` into blocks and elements, as columns, in document order,
    and the elements' nodes. The elements' names are left "" (_read_names reads them).

    The children of each open element are read by an iterator of lexbor's (whitespace-only text
    skipped in C), one iterator a level on a stack: an element closes when its iterator runs out,
    so no node's parent is looked up, and the per-node Python work stays small (speed is an
    acceptance point: re-check with the benchmark after touching this loop). Against one
    pre-order traversal that compared each node's parent with the top of a stack of open
    elements: 303 -> 280 ms over the 181 Scrapinghub pages, in process; the same blocks.
    """
    texts: list[str] = []
    el_nodes: list[LexborNode] = []
    link_col: list[int] = []
    owner_col: list[int] = []
    block_tag_col: list[str] = []
    joined_col: list[bool] = []
    el_tags: list[str] = []
    el_parents: list[int] = []
    el_ends: list[int] = []
    path: list[int] = []  # element ids of the open tracked elements
    # The open elements' kinds (_NODE_KINDS), innermost last, and the iterators of their parents'
    # children, where the walk goes on when they close (one fewer: the root's is ``it`` at the
    # start); plain inline elements (_FORMAT, _LINK) are not in path.
    open_kinds: list[int] = []
    iterators: list[Iterator[LexborNode]] = []
    block_tags: list[str] = [""]
    pieces: list[str] = []  # text of the block being built; only real text makes it non-empty
    links = 0  # characters of link text in it
    link_depth = 0
    joined = False  # whether the next block continues the previous paragraph
    add_piece = pieces.append
    add_path, add_parent, add_tag, add_node, add_end = (
        path.append, el_parents.append, el_tags.append, el_nodes.append, el_ends.append,
    )  # fmt: skip
    add_kind, add_iterator = open_kinds.append, iterators.append

    add_text, add_links, add_owner, add_block_tag, add_joined = (
        texts.append, link_col.append, owner_col.append, block_tag_col.append, joined_col.append,
    )  # fmt: skip

    def flush(join_next: bool) -> None:
        nonlocal links, joined
        text = "".join(pieces)
        # Whitespace collapsed (str.split splits where \s+ matches), unless it already is: four
        # fifths of the blocks, whose words need not be split out and joined again. A printable
        # string holds no whitespace but " " (every other whitespace character is a control or a
        # separator character, which str.isprintable refuses).
        if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
            text = " ".join(text.split())
        add_text(text)
        size = len(text)
        add_links(links if links < size else size)
        add_owner(path[-1] if path else -1)
        add_block_tag(block_tags[-1])
        add_joined(joined)
        joined = join_next
        pieces.clear()
        links = 0

    # Text nodes of ASCII whitespace alone (indentation between tags: two fifths of a page's nodes)
    # are skipped by the iterators; the space one adds matters only between two pieces of text
    # that do not already meet at a space, where _blank_between looks for one (walk 377 -> 347 ms
    # over the 181 Scrapinghub pages, in process; same blocks).
    last_text = root  # the node of pieces[-1] when that is text
    kind_of_tag = dict(_NODE_KINDS).get  # a dict of our own: a mappingproxy's get is slower
    # Kinds and tags by lexbor tag id, learned as the walk meets them (a node's ``tag`` decodes its
    # name every time): only elements of tags lexbor does not know, whose ids are their entries'
    # addresses in the document's tag table, go by name every time.
    kinds: dict[int, int] = {}
    tag_names: dict[int, str] = {}
    kind_of = kinds.get
    it: Iterator[LexborNode] = iter((root,))  # the root is the first node, as in a pre-order walk
    while True:
        for node in it:
            tag_id = node.tag_id
            kind = kind_of(tag_id)
            if kind is None:
                tag = node.tag
                kind = kind_of_tag(tag, _ELEMENT)
                if tag is not None and tag_id < _DYNAMIC_TAG_IDS:
                    kinds[tag_id] = kind
                    tag_names[tag_id] = tag
            if kind == _TEXT:
                value = node.text_content or ""
                if value.isspace():
                    # Other whitespace (no-break spaces): a space is all it adds.
                    if pieces:
                        add_piece(" ")
                    continue
                if (
                    pieces
                    and not pieces[-1][-1:].isspace()
                    and not value[:1].isspace()
                    and _blank_between(last_text, node)
                ):
                    add_piece(" ")
                add_piece(value)
                last_text = node
                if link_depth:
                    links += len(value.strip())
                continue
            if kind == _SKIP:
                continue
            if kind <= _LINK:
                # Formatting and links: never a container and rarely a widget, so no class check
                # and no element of their own (about half of all elements; speed).
                link_depth += kind
                add_kind(kind)
                add_iterator(it)
                it = node.iter(True, True)  # its children, text included, whitespace-only text skipped
                break
            if kind == _BR:
                if pieces:
                    flush(True)
                continue
            tag = tag_names.get(tag_id) or node.tag  # by name: a tag lexbor does not know
            if kind != _ELEMENT:  # a block-level element
                if pieces:
                    flush(False)
                block_tags.append(tag)  # type: ignore[arg-type]  # an element's tag: _NODE_KINDS skips None
            eid = len(el_tags)
            add_parent(path[-1] if path else -1)
            add_path(eid)
            add_tag(tag)  # type: ignore[arg-type]
            add_node(node)
            add_end(0)
            add_kind(kind)
            add_iterator(it)
            it = node.iter(True, True)
            break
        else:
            # ``it`` ran out: the innermost open element closes (none: the walk is done).
            if not iterators:
                break
            it = iterators.pop()
            closing = open_kinds.pop()
            if closing <= _LINK:  # a plain inline element: a link, or formatting
                link_depth -= closing
                continue
            if closing != _ELEMENT:  # a block (_BLOCK or _LI)
                if pieces:
                    flush(closing == _LI)  # before the pop: the block belongs to this element
                block_tags.pop()
            el_ends[path.pop()] = len(el_tags)
    if pieces:
        flush(False)
    # Tag cues now; class cues are judged later, and only for elements with text under them.
    cues = list(map(TAG_CUES.get, el_tags))
    return (
        Blocks(texts, link_col, owner_col, block_tag_col, joined_col),
        Elements(el_tags, [""] * len(el_tags), el_parents, el_ends, cues),
        el_nodes,
    )


def _read_names(elements: Elements, nodes: list[LexborNode], chars: list[int]) -> None:
    """Fill ``elements.names`` (_walk's nodes) for the elements with characters under them
    (``chars``, _Totals.chars); the others keep "". Nothing reads an element's names without
    text under it (class cues, sibling groups, cards, the marked article and the block features
    all look at elements with text), and a third of a page's elements hold none: their
    attributes, which the walk read for every element, went unread (the dict of all of an
    element's attributes is the cheapest way selectolax gives to its class, id, role and
    itemprop): analyse took 660 -> 642 ms for the 181 Scrapinghub pages, in process (medians of
    3 alternated runs; 17,706 of their 48,140 elements hold no text).
    """
    names = elements.names
    for eid, (node, under) in enumerate(zip(nodes, chars, strict=True)):
        if under:
            attrs = node.attributes
            if attrs:
                cls = attrs.get("class")
                if len(attrs) != (cls is not None):  # attributes besides a class (most elements: none)
                    get = attrs.get
                    others = (get("id"), get("role"), get("itemprop"))
                    if others != _NO_NAMES:
                        names[eid] = " ".join(filter(None, (cls, *others)))
                        continue
                if cls:
                    names[eid] = cls


_ASCII_SPACE = " \t\n\x0c\r"  # what iter(skip_empty=True) counts as whitespace


def _blank_between(first: LexborNode, last: LexborNode) -> bool:
    """Whether a text node of ASCII whitespace alone lies between the nodes ``first`` (a text node)
    and ``last`` (after it), in document order: one the walk skipped, whose space would stand there."""
    target = last.mem_id
    node = first
    while True:
        child = node.first_child
        if child is None:
            following = node.next
            while following is None:  # no parent runs out: ``last`` comes later in the tree
                node = node.parent  # type: ignore[assignment]
                following = node.next
            node = following
        else:
            node = child
        if node.mem_id == target:
            return False
        if node.tag == "-text" and not (node.text_content or "").strip(_ASCII_SPACE):
            return True


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
    blocks, _, _ = _walk(root)
    if not blocks:
        return _text_without_body(html)
    return "\n".join(blocks.texts)


_TRUNCATED = re.compile(r"(?:\.\.\.|…|\[(?:\.\.\.|…)\])\s*$")


def _is_teaser(text: str, link_chars: int) -> bool:
    """A linked headline with a blurb cut short ("... may soon..."): a pointer to another page."""
    return link_chars >= 0.1 * len(text) and _TRUNCATED.search(text[-8:]) is not None


def _link_heavy(text: str, link_chars: int) -> bool:
    """Mostly link text: a menu or a list of headlines. A sentence inside the article that
    links half its words ("The suspect, Michael Webb, was convicted ...") stays, unless
    nearly all of it is a link.

    # 0.5 / 0.8 link density: re-check with the benchmark (tune half) before changing.
    """
    n = len(text)
    if link_chars <= 0.5 * n:
        return False
    return link_chars > 0.8 * n or n < 60 or _SENTENCE_END.search(text) is None


def _good_chars(text: str, link_chars: int) -> int:
    """Characters of article-like text in a block: long, few links, sentence punctuation.

    # 0.5 link density and 80/30 chars: readability-style cut-offs; re-check with
    # benchmarks/bench_extraction.py on both split halves before changing them.
    """
    n = len(text)
    if n == 0 or link_chars / n > 0.5 or _is_teaser(text, link_chars):
        return 0
    if n >= 80 or (n >= 30 and _SENTENCE_END.search(text)):
        return n - link_chars
    return 0


# Sibling groups (_sibling_groups): (parent, tag, class string without digits) -> element ids.
_Groups = dict[tuple[int, str, str], list[int]]


@dataclass(slots=True)
class _Totals:
    """Per-element sums over the blocks beneath it."""

    good: list[int]
    chars: list[int]
    links: list[int]
    headlines: list[int]  # blocks that are mostly one link: a headline pointing elsewhere


def _totals(blocks: Blocks, goods: list[int], elements: Elements) -> _Totals:
    # The same sums by bincount and features.subtree_sums took 15.3 ms for the 181 Scrapinghub
    # pages against these loops' 14.0 (in process): too few elements a page for numpy's cost per call.
    n_el = len(elements)
    good = [0] * n_el
    chars = [0] * n_el
    links = [0] * n_el
    headlines = [0] * n_el
    for own, text, link_chars, block_good in zip(blocks.owners, blocks.texts, blocks.links, goods, strict=True):
        if own < 0:
            continue
        size = len(text)
        good[own] += block_good
        chars[own] += size
        links[own] += link_chars
        if size >= 10 and link_chars >= 0.6 * size:
            headlines[own] += 1
    # Subtree sums of all four in one pass: elements come in document order, so every child has a
    # larger id than its parent, and one pass from the last element up adds each into its parent.
    parents = elements.parents
    # An element without characters under it has none of the four (a block has text), and a third of
    # a page's elements hold no text: they add nothing.
    for eid in range(n_el - 1, 0, -1):
        if chars[eid]:
            parent = parents[eid]
            if parent >= 0:
                good[parent] += good[eid]
                chars[parent] += chars[eid]
                links[parent] += links[eid]
                headlines[parent] += headlines[eid]
    return _Totals(good, chars, links, headlines)


def _covered(roots: list[int], ends: list[int], n: int) -> list[bool]:
    """Per element, whether it lies in the subtree of one of ``roots`` (ids in increasing order)."""
    covered = [False] * n
    for root in roots:
        if not covered[root]:  # a root inside an earlier one's subtree adds nothing
            end = ends[root]
            covered[root:end] = [True] * (end - root)
    return covered


# Teaser cards: at least this many siblings with the same tag and class, each short and
# each carrying a headline (a block that is mostly one link) -- "more stories" grids.
# Article paragraphs and embedded posts repeat too, but they are not headlines pointing
# elsewhere, and they are longer. Re-check with the benchmark.
CARD_MIN_SIBLINGS = 3
CARD_MAX_CHARS = 600
CARD_MIN_LINK_SHARE = 0.08


def _mark_cards(elements: Elements, totals: _Totals, total_good: int, groups: _Groups) -> list[bool]:
    """Elements that are members of a repeated group of teaser cards.

    A group holding half of the page's good text is the article itself (a listicle whose
    items each link somewhere), never cards. ``groups``: _sibling_groups, whose groups a group of
    cards lies in (one class string has one form without digits): only those of three or more
    members are split by class string, not every element looked at again.
    """
    cards = [False] * len(elements)
    names = elements.names
    for (_, tag, _), siblings in groups.items():
        if len(siblings) < CARD_MIN_SIBLINGS or tag == "p":
            continue
        same: dict[str, list[int]] = {}
        for eid in siblings:
            same.setdefault(names[eid], []).append(eid)
        for members in same.values():
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


def _holds_article_run(blocks: Blocks, goods: list[int], elements: Elements) -> list[bool]:
    parents = elements.parents
    runs = [0] * len(elements)
    for owner, tag, good in zip(blocks.owners, blocks.tags, goods, strict=True):
        if good and tag == "p" and owner >= 0 and parents[owner] >= 0:
            runs[parents[owner]] += 1
    holds = [False] * len(elements)
    for eid, run in enumerate(runs):
        if run >= ARTICLE_RUN:
            up = eid
            while up >= 0 and not holds[up]:  # it and its ancestors (one marked already: theirs too)
                holds[up] = True
                up = parents[up]
    return holds


# See _choose_container. Tune half: 0.5 changes no page (0.3 costs 0.002 F1); the held-out
# half was 0.003 better with it, which is the point: it guards recall where scoring is unsure.
SECOND_CONTAINER_SHARE = 0.5


def _choose_container(blocks: Blocks, goods: list[int], elements: Elements, cued: list[bool]) -> list[int]:
    """The element ids of the article: the best score (good text minus half of the rest),
    and a disjoint second one when it scores close.

    # 0.5: the share of non-article text a container pays for; tune-half grid 0.3 -> F1 0.974,
    # 0.5 -> 0.978, 1.0 -> 0.968, 2.0 -> 0.943. Re-check with the benchmark before changing.
    """
    n_el = len(elements)
    if not n_el:
        return []
    score = [0.0] * n_el
    for own, text, links, good in zip(blocks.owners, blocks.texts, blocks.links, goods, strict=True):
        if own < 0:
            continue
        if good and cued[own]:
            good = 0
        score[own] += good - 0.5 * (len(text) if good == 0 else links)
    # Subtree sums, each element added into its parent from the last one up (children come after
    # their parent), as in _totals: halves of whole numbers of characters, so every sum is exact,
    # in any order. Plain lists: a page's few hundred elements are too few for numpy's cost per
    # call (the running sums, argmax and masks of features.subtree_sums took 35 -> 20 ms for the
    # 181 Scrapinghub pages, in process).
    parents = elements.parents
    for eid in range(n_el - 1, 0, -1):
        parent = parents[eid]
        if parent >= 0:
            score[parent] += score[eid]
    top = max(score)
    best = score.index(top)  # the first of equals: the lowest id
    chosen = [best]
    # A second container outside the first (neither inside it nor around it) that scores
    # close to it: an article split in two by a big widget. Losing half of the article
    # costs more than keeping a block of something else. Its ancestors come before it.
    around = set()
    parent = parents[best]
    while parent >= 0:
        around.add(parent)
        parent = parents[parent]
    second, second_score = -1, 0.0  # the first of equals again, among those scoring above 0
    for eid in range(best):
        if score[eid] > second_score and eid not in around:
            second, second_score = eid, score[eid]
    for eid in range(elements.ends[best], n_el):
        if score[eid] > second_score:
            second, second_score = eid, score[eid]
    if second >= 0 and second_score >= SECOND_CONTAINER_SHARE * top:
        chosen.append(second)
    return chosen


# Line cues are checked on blocks up to this long: longer blocks inside the article
# container are paragraphs (a cookie notice or a copyright line that long sits in a banner or
# footer, which class and tag cues catch). Saves a tenth of the extraction time.
LINE_CUE_MAX_CHARS = 400


# Share of the container's good text a marked-up article element must hold to replace it.
# Tune half: 0.8 -> F1 0.981, 0.9 -> 0.9805, 0.95 -> 0.980, off -> 0.980.
DESCEND_SHARE = 0.8


def _descend_to_marked(container: int, elements: Elements, totals: _Totals) -> int:
    """An <article> or itemprop=articleBody element inside the container that holds nearly
    all of its good text is the tighter, marked-up article: use it instead."""
    good = totals.good
    floor = DESCEND_SHARE * good[container]
    best = container
    tags, names = elements.tags, elements.names
    for eid in range(container + 1, elements.ends[container]):
        marked = tags[eid] == "article" or "articlebody" in names[eid].lower()
        if marked and good[eid] >= floor and good[eid] > 0:
            best = eid  # the deepest such element wins: elements come in document order
    return best


@dataclass(slots=True)
class Analysis:
    """What the rules see on a page: its blocks and elements, and the rules' verdict per block.

    The learned scorer (model.py) reads these as its features; ``rule_reasons[i]`` is the
    reason the rules alone would drop block ``i`` for (None: the rules keep it).
    """

    blocks: Blocks
    elements: Elements
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
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0))  # float64 characters per block


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
    blocks, elements, nodes = _walk(root)
    if not blocks or not elements:
        return Analysis(Blocks([], [], [], [], []), Elements([], [], [], [], []), [], _Totals([], [], [], []),
                        [], [], [], [], [], [], [], hidden_drops)  # fmt: skip
    texts, links = blocks.texts, blocks.links
    goods = list(map(_good_chars, texts, links))
    sizes = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
    totals = _totals(blocks, goods, elements)
    _read_names(elements, nodes, totals.chars)
    _judge_classes(elements, totals, cues if cues is not None else ClassCues())
    total_good = sum(goods)
    groups = _sibling_groups(elements, totals)
    cards = _mark_cards(elements, totals, total_good, groups)
    # A cue is ignored on an element that is a page wrapper rather than a widget: one holding
    # more than 0.6 of the page's good text (tune half: any share from 0.4 to 0.8 scores the
    # same), or a class cue on one holding a run of article paragraphs.
    holds_body = _holds_article_run(blocks, goods, elements)
    wrapper = 0.6 * total_good
    active: list[Reason | None] = [
        (Reason.RELATED if card and cue is None else cue)
        if good <= wrapper
        and (not holds or cue is Reason.COMMENTS or tag in TAG_CUES)
        and not (captions and cue is Reason.CAPTION)
        else None
        for cue, card, good, holds, tag in zip(
            elements.cues, cards, totals.good, holds_body, elements.tags, strict=True
        )
    ]
    # cued[e]: e or an ancestor carries an active cue.
    ends = elements.ends
    cued = _covered([eid for eid, cue in enumerate(active) if cue is not None], ends, len(elements))
    containers = _choose_container(blocks, goods, elements, cued)
    containers[0] = _descend_to_marked(containers[0], elements, totals)

    # Per element: the container it lies in (or -1), and the nearest active cue between it
    # and that container (or the root, outside every container). Parents come first.
    owner = [-1] * len(elements)
    for container in containers:  # disjoint subtrees
        owner[container : ends[container]] = [container] * (ends[container] - container)
    nearest: list[Reason | None] = [None] * len(elements)
    chosen = set(containers)
    for eid, (parent, own) in enumerate(zip(elements.parents, active, strict=True)):
        if eid in chosen:
            continue  # the container's own cue does not count inside it
        if own is not None:
            nearest[eid] = own
        elif parent >= 0:
            nearest[eid] = nearest[parent]

    rule_reasons: list[Reason | None] = []
    for innermost, text, link_chars in zip(blocks.owners, texts, links, strict=True):
        reason = nearest[innermost] if innermost >= 0 else None
        if innermost >= 0 and owner[innermost] >= 0:
            if reason is None and _link_heavy(text, link_chars):
                reason = Reason.NAV if len(text) < 40 else Reason.RELATED
            if reason is None and _is_teaser(text, link_chars):
                reason = Reason.RELATED
            if reason is None and len(text) <= LINE_CUE_MAX_CHARS:
                reason = line_reason(text) if lines is None else lines.judge(text)
        elif reason is None:
            reason = Reason.LOW_SCORE
        rule_reasons.append(reason)
    items_share, in_items, in_repeated = _repeated_items(elements, totals, groups)
    page = Analysis(
        blocks, elements, goods, totals, cards, holds_body, active, owner, nearest, containers, rule_reasons,
        hidden_drops, items_share, in_items, in_repeated, sizes=sizes,
    )  # fmt: skip
    page.kind = page_kind(page)
    return page


# Digits dropped from class/id strings before comparing siblings: "post-1041" and "post-1042"
# are two items of one kind (forum posts, product tiles, search results carry their ids).
_NO_DIGITS = str.maketrans("", "", "0123456789")
_DIGIT_BYTES = b"0123456789"
ITEMS_MIN_SIBLINGS = 3


def _sibling_groups(elements: Elements, totals: _Totals) -> _Groups:
    """The elements with text under them (and a parent), grouped by parent, tag and class string
    without digits, in document order: _repeated_items' runs and, split by class string,
    _mark_cards' groups.

    Measured slower on the 181 Scrapinghub pages (23 ms for all in process, same results on
    1,678 pages): the keys numbered by dict.setdefault from C with the runs counted and covered
    in numpy (44 ms), and every key made from C then counted by a Counter, grouping only the runs
    (34 ms). A page's few hundred elements are too few for numpy's cost per call.
    """
    groups: _Groups = {}
    kinds: dict[str, str] = {}  # class strings repeat within a page
    columns = zip(elements.parents, elements.tags, elements.names, totals.chars, strict=True)
    for eid, (parent, tag, names, chars_under) in enumerate(columns):
        if chars_under and parent >= 0:
            kind = kinds.get(names)
            if kind is None:
                # bytes.translate deletes in C: a quarter of str.translate's time on ASCII strings
                kind = kinds[names] = (
                    names.encode().translate(None, _DIGIT_BYTES).decode()
                    if names.isascii()
                    else names.translate(_NO_DIGITS)
                )
            groups.setdefault((parent, tag, kind), []).append(eid)
    return groups


def _repeated_items(elements: Elements, totals: _Totals, groups: _Groups) -> tuple[float, list[bool], list[bool]]:
    """The largest run of repeated items: siblings with one tag and one class (digits aside), at
    least ITEMS_MIN_SIBLINGS of them with text (``groups``: _sibling_groups); its share of the
    page's text, and per element whether it lies inside one of its items; and per element whether
    it lies inside an item of any such run but a run of <p> (an article's paragraphs): menus,
    cards, rows.

    >>> page = analyse("<div>" + "".join(f"<div class='post-{i}'><p>Post number {i} says hello.</p></div>"
    ...                                  for i in range(4)) + "</div><p>Footer line</p>")
    >>> round(page.items_share, 2), sum(page.in_items), sum(page.in_repeated)
    (0.9, 8, 8)
    """
    chars = totals.chars
    n_el = len(elements)
    total = chars[0] if chars else 0
    best: list[int] = []
    best_chars = 0
    repeated: list[int] = []
    for (_, tag, _), group in groups.items():  # dicts keep insertion order: ties go to the first group
        if len(group) >= ITEMS_MIN_SIBLINGS:
            size = sum(chars[e] for e in group)
            if size > best_chars:
                best, best_chars = group, size
            if tag != "p":
                repeated += group
    in_items = _covered(best, elements.ends, n_el) if best else [False] * n_el
    in_repeated = _covered(sorted(repeated), elements.ends, n_el) if repeated else [False] * n_el
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


def model_scores_many(
    pages: Sequence[Analysis], model: TreeModel, context: TreeModel | None = None
) -> list[np.ndarray]:
    """model_scores of each page (each with blocks), the same values: their features in one set of
    array passes (features.block_features_many) and one walk of each model over all their
    blocks (a walk costs about 30 us a call besides its rows, and pages have a hundred blocks
    each; a row's sum never depends on the other rows)."""
    stacked = block_features_many(pages, model.tokens, model.class_scores)
    cuts = np.cumsum([len(page.blocks) for page in pages])[:-1]
    scores = model.predict(stacked)
    if context is None:
        return np.split(scores, cuts)
    around = context_features_many(pages, scores)
    return np.split(context.predict(np.concatenate([stacked, around], axis=1)), cuts)


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
    weights = page.sizes if rescue else None
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
    """ "article" (one main container of prose), "items" (a run of repeated items: posts, results,
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
    return _join(page.blocks, [i for i, kept in enumerate(keep) if kept])


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
    (result,) = extract_many([(html, utf8)], cues, captions, model, learned, as_markdown, context, lines)
    return result


def extract_many(
    pages: Sequence[tuple[str, bytes | None]],
    cues: ClassCues | None = None,
    captions: bool = False,
    model: TreeModel | None = None,
    learned: bool = True,
    as_markdown: bool = False,
    context: TreeModel | None = None,
    lines: LineCues | None = None,
) -> list[Extraction]:
    """``extract`` of each page (its markup and, where the caller has them, its UTF-8 bytes), the
    same results; the scorer's models walk the blocks of all the pages at once
    (model_scores_many), so a stage hands its pages over in batches."""
    analysed = [analyse(html, cues, captions, utf8, lines) for html, utf8 in pages]
    with_blocks = [page for page in analysed if page is not None and page.blocks]
    if model is None and learned:
        model = packaged(HTML_MODEL)
        context = packaged(CONTEXT_MODEL)
    scored: list[np.ndarray | None]
    if model is None or not learned or not with_blocks:
        scored = []
    else:
        scored = list(model_scores_many(with_blocks, model, context))
    found = iter(scored)
    out = []
    for (html, _), page in zip(pages, analysed, strict=True):
        if page is None or not page.blocks:
            fallback = _text_without_body(html)
            out.append(Extraction(fallback, tuple(page.hidden_drops) if page is not None else ()))
            continue
        scores = next(found, None)
        out.append(_extraction(page, model if scores is not None else None, scores, context, captions, as_markdown))
    return out


def _extraction(
    page: Analysis, model: TreeModel | None, scores: np.ndarray | None, context: TreeModel | None, captions: bool,
    as_markdown: bool,
) -> Extraction:  # fmt: skip
    """A page's text and drops: the rules' verdicts, or with ``model`` and its ``scores`` the scorer's."""
    if model is None or scores is None:
        keep = [reason is None for reason in page.rule_reasons]
        scores = None
    else:
        keep = model_keeps(page, model, scores, context)
    blocks = page.blocks
    drops: list[Drop] = page.hidden_drops
    # Python floats (the same two decimals as the numpy scalars, without one per block).
    score_of = scores.tolist() if scores is not None else []
    if captions:
        keep = [kept or tag == "figcaption" for kept, tag in zip(keep, blocks.tags, strict=True)]
    for i, (kept, text, reason) in enumerate(zip(keep, blocks.texts, page.rule_reasons, strict=True)):
        if kept:
            continue
        if scores is None:
            drops.append(assemble_drop(STAGE, reason or Reason.LOW_SCORE, Unit.BLOCK, text, None, None, ""))
            continue
        if reason is None:
            reason = _cue_above(page.elements, blocks.owners[i]) or Reason.LOW_SCORE
        # assemble_drop: a Drop per block dropped, without the constructor's call overhead.
        drops.append(assemble_drop(STAGE, reason, Unit.BLOCK, text, None, None, f"score {score_of[i]:.2f}"))
    kept_ids = [i for i, kept in enumerate(keep) if kept]
    if as_markdown:
        text = markdown([blocks[i] for i in kept_ids], page.elements)
    else:
        text = _join(blocks, kept_ids)
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


def _cue_above(elements: Elements, eid: int) -> Reason | None:
    """The cue of the nearest element at or above ``eid`` that has one (tag or class)."""
    cues, parents = elements.cues, elements.parents
    while eid >= 0:
        cue = cues[eid]
        if cue is not None:
            return cue
        eid = parents[eid]
    return None


def _ancestor(elements: Elements, eid: int, tags: frozenset[str]) -> int:
    """The nearest element at or above ``eid`` whose tag is in ``tags``, or -1."""
    el_tags, parents = elements.tags, elements.parents
    while eid >= 0 and el_tags[eid] not in tags:
        eid = parents[eid]
    return eid


_LIST_TAGS = frozenset({"ul", "ol"})
_ROW_TAGS = frozenset({"tr"})
_TABLE_TAGS = frozenset({"table"})


def markdown(blocks: list[Block], elements: Elements) -> str:
    """The kept blocks as Markdown: headings, list items, table rows, quotes and code blocks.

    The text of each block is what the plain-text output holds (whitespace collapsed, code
    included); the structure around it is added. Links are not written.

    >>> page = analyse("<h2>Steps</h2><ol><li>Mix</li><li>Bake</li></ol><table><tr><th>A</th><th>B</th></tr>"
    ...                "<tr><td>1</td><td>2</td></tr></table>")
    >>> print(markdown(page.blocks.records(), page.elements))
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
            bullet = "1." if listed >= 0 and elements.tags[listed] == "ol" else "-"
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


def _join(blocks: Blocks, kept: list[int]) -> str:
    """The blocks ``kept`` (ids in increasing order), one per line; a blank line between paragraphs
    (not inside lists or <br> runs)."""
    texts, joined, tags = blocks.texts, blocks.joined, blocks.tags
    out: list[str] = []
    previous = -1
    for i in kept:
        if previous >= 0:
            same = joined[i] and tags[previous] not in HEADING_TAGS
            out.append("\n" if same else "\n\n")
        out.append(texts[i])
        previous = i
    return "".join(out)
