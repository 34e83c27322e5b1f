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

import functools
import re
from typing import Any

# Compiled at the first page nested deeper than the limit (re's cache), not with this module, which
# every run imports (formats.base) and few need (0.13 ms of a start).
_TAG = rb"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^<>]*?(/?)>"
_NOT_NESTING = frozenset(
    b"area base br col embed hr img input link meta param source track wbr "  # void
    b"p li dt dd tr td th option optgroup tbody thead tfoot colgroup rt rp html head body".split()
)


# depth_bound reads the tag names of the page's UTF-8 bytes with numpy: the 8 bytes from each name's
# start as one little-endian uint64, and a name that is not nesting is one of these codes (the names
# are at most 8 letters: "optgroup", "colgroup"), lowered by setting each byte's 0x20 bit (which
# leaves digits, ":" and "-" as they are) and cut at its length.
_WINDOW = 8
_ONES = 0x0101010101010101
_ONE = 1


@functools.cache  # built at the first call: numpy is not imported with this module
def _tables() -> tuple[Any, ...]:
    import numpy as np

    name_chars = np.zeros(256, dtype=bool)
    name_chars[list(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-")] = True
    letters = name_chars.copy()
    letters[list(b"0123456789:-")] = False
    # A length's mask of the code; 9 ("more than 8": nesting) keeps nothing, and no code is 0.
    masks = np.array([(1 << (8 * k)) - 1 for k in range(_WINDOW)] + [(1 << 64) - 1, 0], dtype=np.uint64)
    codes = np.array(sorted(int.from_bytes(name.ljust(_WINDOW, b"\0"), "little") for name in _NOT_NESTING), np.uint64)
    return name_chars, letters, masks, codes


def depth_bound(markup: str | bytes) -> int:
    """An upper bound of the depth limit_nesting measures, in array passes; ``markup`` is the page
    or its UTF-8 bytes (the same bound).

    The same tags count, except that ``<div/>`` counts as opening (which only raises the depth),
    so a page within the bound is left as it is without the exact walk (a fifth of its cost; it
    ran for every HTML page). Depth is the running sum of +1 (open) and -1 (close) steps floored
    at 0, which is the running sum minus its running minimum (where that is below 0).

    A tag start is "<" or "</" and an ASCII letter, its name the run of letters, digits, ":" and
    "-" from there (_TAG), each "<" classified at once from the bytes after it. On the 181
    Scrapinghub pages this took 125 -> 72 ms (in process) against the regular expression that
    found every tag start (and a memo of each distinct one's step).

    >>> depth_bound("<div><p>a<div>b</div></div></div></div><div>c</div>")
    2
    >>> depth_bound("<div><p>é<div>b</div></div></div></div><div>c</div>".encode())
    2
    """
    import numpy as np  # not at import: the command line loads this module before it sets up numpy

    name_chars, letters, masks, codes = _tables()
    raw = markup.encode("utf-8", "surrogatepass") if isinstance(markup, str) else markup
    size = len(raw)
    data = np.frombuffer(raw, dtype=np.uint8)
    opens = np.flatnonzero(data == ord("<"))
    if not opens.size:
        return 0
    closing = data.take(opens + 1, mode="clip") == ord("/")  # clipped: the "<" itself, at the end
    start = opens + 1 + closing
    # Each name's first 8 bytes as one little-endian uint64, read through a view of the page that
    # starts a uint64 at every byte; the bytes past the end are zeros (which end a name there), so
    # the names starting within 8 bytes of it are read from a padded copy of the page's last bytes
    # (not of the whole page: 34 -> 26 ms over the 181 Scrapinghub pages, in process, with the
    # gather of 8 bytes a row this replaces).
    inside = int(np.searchsorted(start, size - _WINDOW))  # the rows whose 9 bytes are all in the page
    words = np.empty(start.size, dtype="<u8")
    following = np.zeros(start.size, dtype=np.uint8)  # the byte after the 8
    if inside:
        words[:inside] = np.ndarray((size - _WINDOW + 1,), dtype="<u8", buffer=raw, strides=(1,))[start[:inside]]
        following[:inside] = data.take(start[:inside] + _WINDOW)
    if inside < start.size:
        offset = max(size - 2 * _WINDOW, 0)
        tail = raw[offset:] + b"\0" * (2 * _WINDOW)
        grid = np.ndarray((len(tail) - _WINDOW + 1,), dtype="<u8", buffer=tail, strides=(1,))
        words[inside:] = grid[start[inside:] - offset]
    chars = words.view(np.uint8).reshape(-1, _WINDOW)  # the same bytes, a row each
    # A name's length: its leading run of name characters, 8 for "8 or more". Each row's flags
    # as one little-endian uint64 (a byte 1 where a name character is), flipped, so the length is
    # its trailing zero bytes: the bits below its lowest set bit, over 8 (no bit set: 64, so 8).
    # One pass less than packing the flags into a byte and looking its run up (16 -> 7 ms over
    # the 181 Scrapinghub pages, in process; same lengths).
    flipped = name_chars.take(chars).view("<u8").ravel() ^ _ONES
    length = np.bitwise_count((flipped & (~flipped + _ONE)) - _ONE) >> 3
    length[(length == _WINDOW) & name_chars.take(following)] = _WINDOW + 1
    code = (words | np.uint64(0x2020202020202020)) & masks.take(length)
    not_nesting = codes.take(np.searchsorted(codes, code), mode="clip") == code
    nests = letters.take(chars[:, 0]) & ~not_nesting
    running = np.cumsum(np.where(closing, -1, 1)[nests])
    if not running.size:
        return 0
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
    for match in re.finditer(_TAG, data):
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
