"""Article extraction from HTML with selectolax (lexbor): blocks, a content container, and drops.

The page is walked once into *blocks* (the text of one block-level element, with its link
characters and the chain of elements above it). Each element gets a score: the good text
under it (long, low-link-density blocks) minus a share of the other text. The best element is
the article container; blocks inside it are kept unless a cue (class/id, tag or line text)
says they are boilerplate, and blocks outside it are dropped with the reason of the nearest
cue, or ``boilerplate.low_score``.

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

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from cleaner.boilerplate.rules import (
    BLOCK_TAGS,
    HEADING_TAGS,
    INVISIBLE_TAGS,
    POSITIVE_CLASS,
    TAG_CUES,
    line_reason,
    reason_for_class,
)
from cleaner.record import Drop, Reason, Unit

STAGE = "boilerplate"
_SPACES = re.compile(r"\s+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
_SENTENCE_END = re.compile(r"[.!?…。:;»”\"')]\s*$")


@dataclass(slots=True)
class Block:
    """The text of one block-level element (or one line of it, split at <br>)."""

    text: str
    link_chars: int
    path: tuple[int, ...]  # element ids from the root down to the enclosing element
    tag: str  # the innermost block-level tag
    joined: bool  # True: continues the previous block's paragraph (<br>, list items)


@dataclass(slots=True)
class _Element:
    tag: str
    cue: Reason | None
    positive: bool


@dataclass(frozen=True, slots=True)
class Extraction:
    """The article text and a Drop for every block left out."""

    text: str
    drops: tuple[Drop, ...]


def _parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html)


def _is_hidden(attrs: dict[str, str | None]) -> bool:
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    return bool(style) and _HIDDEN_STYLE.search(style.lower()) is not None  # type: ignore[union-attr]


def _walk(root: LexborNode) -> tuple[list[Block], list[_Element]]:
    """Flatten the tree under ``root`` into blocks, in document order, without recursion
    (pages can nest thousands of elements deep)."""
    blocks: list[Block] = []
    elements: list[_Element] = []
    path: list[int] = []
    block_tags: list[str] = []
    pieces: list[str] = []
    link_chars = 0
    link_depth = 0
    joined_next = False

    def flush(joined: bool) -> None:
        nonlocal link_chars, joined_next
        if pieces:
            text = _SPACES.sub(" ", "".join(pieces)).strip()
            if text:
                blocks.append(
                    Block(text, min(link_chars, len(text)), tuple(path), block_tags[-1] if block_tags else "",
                          joined_next)
                )
                joined_next = joined
            pieces.clear()
        link_chars = 0

    # The stack holds nodes to enter, or ints: an element id to leave.
    stack: list[LexborNode | tuple[int, str]] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            _eid, tag = item
            if tag == "a":
                link_depth -= 1
            if tag in BLOCK_TAGS:
                flush(joined=tag == "li")
                block_tags.pop()
            path.pop()
            continue
        node = item
        tag = node.tag or ""
        if tag == "-text":
            value = node.text_content or ""
            pieces.append(value)
            if link_depth:
                link_chars += len(value.strip())
            continue
        if tag in INVISIBLE_TAGS or tag.startswith("-"):
            continue
        attrs = node.attributes
        if _is_hidden(attrs):
            continue
        if tag == "br":
            flush(joined=True)
            continue
        names = " ".join(filter(None, (attrs.get("class"), attrs.get("id"), attrs.get("role")))).lower()
        cue = TAG_CUES.get(tag) or reason_for_class(names)
        positive = bool(names) and POSITIVE_CLASS.search(names) is not None
        if positive and cue is not None and tag not in TAG_CUES and cue is not Reason.COMMENTS:
            cue = None  # "article-body related-wrapper": trust the article word
        elements.append(_Element(tag, cue, positive))
        eid = len(elements) - 1
        if tag in BLOCK_TAGS:
            flush(joined=False)
            block_tags.append(tag)
        if tag == "a":
            link_depth += 1
        path.append(eid)
        stack.append((eid, tag))
        children = list(node.iter(include_text=True))
        children.reverse()
        stack.extend(children)
    flush(joined=False)
    return blocks, elements


def visible_text(html: str) -> str:
    """All visible text of a page, one block element per line.

    >>> visible_text("<p>One <b>two</b></p><script>x()</script><div>three</div>")
    'One two\\nthree'
    """
    tree = _parse(html)
    root = tree.body or tree.root
    if root is None:
        return ""
    blocks, _ = _walk(root)
    return "\n".join(b.text for b in blocks)


def _good_chars(block: Block) -> int:
    """Characters of article-like text in a block: long, few links, sentence punctuation.

    # 0.5 link density and 80/30 chars: readability-style cut-offs; re-check with
    # benchmarks/bench_extraction.py on both split halves before changing them.
    """
    n = len(block.text)
    own = n - block.link_chars
    if n == 0 or block.link_chars / n > 0.5:
        return 0
    if n >= 80 or (n >= 30 and _SENTENCE_END.search(block.text)):
        return own
    return 0


def _choose_container(blocks: list[Block], elements: list[_Element], use_cues: list[bool]) -> int:
    """The element id with the best score: good text minus a share of the rest."""
    score = [0.0] * len(elements)
    for block in blocks:
        good = _good_chars(block)
        if good and any(use_cues[e] for e in block.path):
            good = 0
        value = good - 0.5 * (len(block.text) - good if good == 0 else block.link_chars)
        for eid in block.path:
            score[eid] += value
    best = max(range(len(elements)), key=lambda e: (score[e], -e)) if elements else -1
    return best


def _cue_reason(block: Block, elements: list[_Element], use_cues: list[bool], below: int) -> Reason | None:
    """The reason of the innermost active cue on the block's path, below position ``below``."""
    for eid in reversed(block.path[below:]):
        if use_cues[eid]:
            return elements[eid].cue
    return None


def extract(html: str) -> Extraction:
    """Extract the article of a page as plain text, with a Drop for every removed block."""
    tree = _parse(html)
    root = tree.body or tree.root
    if root is None:
        return Extraction("", ())
    blocks, elements = _walk(root)
    if not blocks:
        return Extraction("", ())
    good_under = [0] * len(elements)
    total_good = 0
    for block in blocks:
        good = _good_chars(block)
        total_good += good
        for eid in block.path:
            good_under[eid] += good
    # A cue on an element holding most of the page's good text is a page wrapper, not a widget.
    # 0.6: re-check with the benchmark.
    use_cues = [el.cue is not None and good_under[eid] <= 0.6 * total_good for eid, el in enumerate(elements)]
    container = _choose_container(blocks, elements, use_cues)

    kept: list[Block] = []
    drops: list[Drop] = []
    for block in blocks:
        if container in block.path:
            below = block.path.index(container) + 1
            reason = _cue_reason(block, elements, use_cues, below)
            if reason is None and len(block.text) and block.link_chars / len(block.text) > 0.5:
                reason = Reason.NAV if len(block.text) < 40 else Reason.RELATED
            if reason is None:
                reason = line_reason(block.text)
        else:
            reason = _cue_reason(block, elements, use_cues, 0) or Reason.LOW_SCORE
        if reason is None:
            kept.append(block)
        else:
            drops.append(Drop(STAGE, reason, Unit.BLOCK, block.text))
    return Extraction(_join(kept), tuple(drops))


def _join(blocks: list[Block]) -> str:
    """One block per line; a blank line between paragraphs (not inside lists or <br> runs)."""
    out: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            same = block.joined and blocks[i - 1].tag not in HEADING_TAGS
            out.append("\n" if same else "\n\n")
        out.append(block.text)
    return "".join(out)
