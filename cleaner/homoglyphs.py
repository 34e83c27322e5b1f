"""Word-level, script-aware repair of Latin words that carry Cyrillic or Greek lookalike letters.

First version: a short table; the full TR39-derived table follows.

>>> repair_lookalikes("Bel\N{CYRILLIC SMALL LETTER A}rus")
('Belarus', 1)
"""

from __future__ import annotations

import re

_CYRILLIC_TO_LATIN: dict[str, str] = {
    "\N{CYRILLIC SMALL LETTER A}": "a",
    "\N{CYRILLIC SMALL LETTER IE}": "e",
    "\N{CYRILLIC SMALL LETTER O}": "o",
    "\N{CYRILLIC SMALL LETTER ER}": "p",
    "\N{CYRILLIC SMALL LETTER ES}": "c",
    "\N{CYRILLIC SMALL LETTER U}": "y",
    "\N{CYRILLIC SMALL LETTER HA}": "x",
    "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}": "i",
    "\N{CYRILLIC CAPITAL LETTER A}": "A",
    "\N{CYRILLIC CAPITAL LETTER IE}": "E",
    "\N{CYRILLIC CAPITAL LETTER O}": "O",
    "\N{CYRILLIC CAPITAL LETTER ER}": "P",
    "\N{CYRILLIC CAPITAL LETTER ES}": "C",
    "\N{CYRILLIC CAPITAL LETTER HA}": "X",
    "\N{CYRILLIC CAPITAL LETTER TE}": "T",
    "\N{CYRILLIC CAPITAL LETTER EM}": "M",
    "\N{CYRILLIC CAPITAL LETTER EN}": "H",
    "\N{CYRILLIC CAPITAL LETTER KA}": "K",
    "\N{CYRILLIC CAPITAL LETTER VE}": "B",
}
_TABLE = str.maketrans(_CYRILLIC_TO_LATIN)
_WORD = re.compile(r"\w+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def repair_lookalikes(text: str) -> tuple[str, int]:
    """Repair words that mix Latin letters with Cyrillic lookalikes; return (text, words repaired)."""
    if text.isascii():
        return text, 0
    repaired = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal repaired
        word = match.group()
        if word.isascii() or not _ASCII_LETTER.search(word):
            return word
        fixed = word.translate(_TABLE)
        if fixed != word and fixed.isascii():
            repaired += 1
            return fixed
        return word

    return _WORD.sub(fix, text), repaired
