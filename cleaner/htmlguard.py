"""Defuse pathological HTML before it reaches the parser.

Lexbor (selectolax) takes time that grows with the square of the nesting depth: 100,000 nested
``<div>`` take about 10 s to parse and 300,000 do not finish in two minutes. Browsers cap the depth
instead (Blink attaches elements beyond depth 512 as siblings). We do the same on the markup: tags
that would open deeper than ``max_depth`` are removed, their text is kept, and the document records
an Edit, so nothing disappears silently.

Elements whose end tag is optional (``p``, ``li``, ``td``...) and void elements (``br``, ``img``...)
do not count towards the depth: pages rarely close them, and counting them would flatten healthy
pages.

>>> html = "<div>" * 600 + "deep" + "</div>" * 600
>>> flat, removed = limit_nesting(html, 512)
>>> removed, flat.count("<div>"), "deep" in flat
(176, 512, True)
>>> limit_nesting("<p>fine</p>", 512)
('<p>fine</p>', 0)
"""

from __future__ import annotations

import re

_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^<>]*?(/?)>")
_NOT_NESTING = frozenset(
    b"area base br col embed hr img input link meta param source track wbr "  # void
    b"p li dt dd tr td th option optgroup tbody thead tfoot colgroup rt rp html head body".split()
)


# A tag's start as one string ("<div", "</DIV"): one string per match, not a tuple of groups (the
# scan of a page was two thirds of depth_bound's time with two groups, about half with one). The
# same pattern over the UTF-8 bytes finds the same tags (their names are ASCII) a fifth faster.
_TAG_START = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*")
_TAG_START_BYTES = re.compile(_TAG_START.pattern.encode())
_NOT_NESTING_STR = frozenset(name.decode() for name in _NOT_NESTING)


def _step(tag_start: str | bytes) -> int:
    """+1 for a tag that opens a level, -1 for one that closes it, 0 for a tag that does not nest."""
    if isinstance(tag_start, bytes):
        tag_start = tag_start.decode("ascii")
    closing = tag_start[1] == "/"
    return 0 if tag_start[1 + closing :].lower() in _NOT_NESTING_STR else (-1 if closing else 1)


class _Steps(dict[str | bytes, int]):
    """_step of each tag start, remembered: a run's pages share a few hundred distinct ones (483 on
    the 181 Scrapinghub pages) among their thousands of tags each, and a lookup that remembers
    needs no pass to collect each page's distinct ones first. A pure memo, bounded."""

    KEPT = 10_000

    def __missing__(self, tag: str | bytes) -> int:
        step = _step(tag)
        if len(self) < self.KEPT:
            self[tag] = step
        return step


_STEPS = _Steps()


def depth_bound(markup: str | bytes) -> int:
    """An upper bound of the depth limit_nesting measures, in one regex pass and numpy; ``markup``
    is the page or its UTF-8 bytes (the same bound).

    The same tags count, except that ``<div/>`` counts as opening (which only raises the depth),
    so a page within the bound is left as it is without the exact walk (a fifth of its cost; it
    ran for every HTML page). Depth is the running sum of +1 (open) and -1 (close) steps floored
    at 0, which is the running sum minus its running minimum (where that is below 0). Each
    distinct tag start is judged once (_STEPS).

    >>> depth_bound("<div><p>a<div>b</div></div></div></div><div>c</div>")
    2
    >>> depth_bound("<div><p>é<div>b</div></div></div></div><div>c</div>".encode())
    2
    """
    import numpy as np  # not at import: the command line loads this module before it sets up numpy

    tags: list[str | bytes] = (
        _TAG_START_BYTES.findall(markup) if isinstance(markup, bytes) else _TAG_START.findall(markup)
    )
    if not tags:
        return 0
    running = np.cumsum(np.fromiter(map(_STEPS.__getitem__, tags), dtype=np.int64, count=len(tags)))
    return int((running - np.minimum.accumulate(np.minimum(running, 0))).max())


def limit_nesting(html: str, max_depth: int, utf8: bytes | None = None) -> tuple[str, int]:
    """Remove tags nested deeper than ``max_depth``; return the markup and how many tags went.
    ``utf8``: ``html.encode()``, when the caller has it (the first pass reads it instead)."""
    # No count of "<" first: that pass over the page cost as much as depth_bound's own scan on the
    # Scrapinghub pages (which all have more tags than max_depth), and depth_bound is as quick on few.
    # depth_bound's scan (0.25 ms a page there) in numpy instead, a window of bytes after each "<"
    # classified at once, gave the same bounds in 0.22 ms; a pattern that skips non-nesting tags by
    # look-ahead took 0.45: not worth the code.
    if depth_bound(html if utf8 is None else utf8) <= max_depth:  # no tag opens deeper than max_depth
        return html, 0
    data = html.encode("utf-8", "surrogatepass") if utf8 is None else utf8
    depth = skipped_open = removed = 0
    pieces: list[bytes] = []
    last = 0
    for match in _TAG.finditer(data):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if self_closing or name in _NOT_NESTING:
            continue
        drop = False
        if not closing:
            if depth >= max_depth:
                skipped_open += 1
                drop = True
            else:
                depth += 1
        elif skipped_open:
            skipped_open -= 1
            drop = True
        else:
            depth = max(0, depth - 1)
        if drop:
            pieces.append(data[last : match.start()])
            last = match.end()
            removed += 1
    if not removed:
        return html, 0
    pieces.append(data[last:])
    return b"".join(pieces).decode("utf-8", "surrogatepass"), removed
