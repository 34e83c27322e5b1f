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


def limit_nesting(html: str, max_depth: int) -> tuple[str, int]:
    """Remove tags nested deeper than ``max_depth``; return the markup and how many tags went."""
    if html.count("<") <= max_depth:  # cannot be deeper than the number of tags
        return html, 0
    data = html.encode("utf-8", "surrogatepass")
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
