"""The fast paths of the normalize stage find exactly what their plain definitions find.

Each gate here replaces a slow, obvious check by a faster one (a scan anchored on rare characters, a
regex read from ftfy's pattern text); these tests hold each against the obvious check on random text.
"""

from __future__ import annotations

import random
import re

import ftfy.badness

import cleaner.homoglyphs as h
import cleaner.normalize as n


def _reference_candidate_lines(text: str) -> list[tuple[int, int]]:
    """The definition ``_candidate_lines`` implements: every line with a word mixing scripts, or with an
    ASCII letter, a word of Cyrillic lookalikes only and no genuine Cyrillic or Greek word."""
    out = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        if h._MIXED_WORD_RE.search(text, start, end) or (
            h._ASCII_LETTER_RE.search(text, start, end)
            and h._LOOKALIKE_WORD_RE.search(text, start, end)
            and not h._GENUINE_WORD_RE.search(text, start, end)
        ):
            out.append((start, end))
        start = end + 1
    return out


# Letters and marks by kind: Latin, Cyrillic lookalikes, genuine Cyrillic, Greek (a lookalike, a genuine
# letter), combining marks, characters the word regexes take for letters without being alphabetic (a
# superscript two), letters of other scripts, astral letters and an emoji, an unassigned code point in a
# Latin block, and separators.
_LATIN = list("abcXé")
_CYRILLIC_LOOKALIKE = ["\N{CYRILLIC SMALL LETTER A}", "\N{CYRILLIC SMALL LETTER ES}", "\N{CYRILLIC CAPITAL LETTER O}"]
_CYRILLIC_GENUINE = ["\N{CYRILLIC SMALL LETTER ZHE}", "\N{CYRILLIC SMALL LETTER EL}"]
_GREEK = ["\N{GREEK SMALL LETTER ALPHA}", "\N{GREEK SMALL LETTER LAMDA}", "\N{GREEK CAPITAL LETTER OMEGA}"]
_ODD = [
    "\N{COMBINING ACUTE ACCENT}",
    "\N{COMBINING CYRILLIC TITLO}",
    "\N{SUPERSCRIPT TWO}",
    "\N{ARABIC LETTER BEH}",
    "\N{MATHEMATICAL BOLD CAPITAL A}",
    "\U0001df00",  # LATIN SMALL LETTER TURNED K WITH BELT (Latin Extended-G)
    "\N{GRINNING FACE}",
    "\ua7cb",  # unassigned, inside a Latin block
    "\N{OGHAM SPACE MARK}",
]
_SEPARATORS = [" ", " ", ".", "1", "\n", "%", "["]


def _random_text(rng: random.Random) -> str:
    """Mostly one script (Latin, Cyrillic or Greek, so that every scan path runs), with the others mixed in."""
    main = rng.choice([_LATIN, _CYRILLIC_LOOKALIKE + _CYRILLIC_GENUINE, _GREEK])
    pools = [main] * 6 + [_LATIN, _CYRILLIC_LOOKALIKE, _CYRILLIC_GENUINE, _GREEK, _ODD] + [_SEPARATORS] * 4
    return "".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 60)))


def test_candidate_lines_are_the_lines_the_definition_names() -> None:
    rng = random.Random(17)
    paths = {h.LATIN_DOMINANT: 0, h.CYRILLIC_DOMINANT: 0, h.GREEK_DOMINANT: 0}
    found = 0
    for _ in range(30000):
        text = _random_text(rng)
        if re.search("[\u0301\u0483]{3}", text):
            continue  # the mixed-word scans allow two combining marks between scripts (see test_homoglyphs)
        if (first := h._FOREIGN_RE.search(text)) is not None:
            paths[h._dominant_script(text, first.start())] += 1
        expected = _reference_candidate_lines(text)
        assert h._candidate_lines(text) == expected, ascii(text)
        found += bool(expected)
    assert min(paths.values()) > 2000 and found > 5000, (paths, found)


def test_candidate_lines_of_a_russian_text_with_an_english_header() -> None:
    """A Russian catalog that starts with English metadata is scanned as Russian (the choice is a matter
    of speed only), and a lookalike-only line or a mixed word in it is still found."""
    a = "\N{CYRILLIC SMALL LETTER A}"
    russian = "\N{CYRILLIC CAPITAL LETTER EF}\N{CYRILLIC SMALL LETTER A}\N{CYRILLIC SMALL LETTER ZHE}\n" * 300
    translator = "\N{CYRILLIC CAPITAL LETTER ZHE}\N{CYRILLIC SMALL LETTER ZHE}"  # the first Cyrillic letters
    header = f"Last-Translator: {translator} <t@example.org>\n" + "Content-Type: text/plain; charset=UTF-8\n" * 12
    text = header + russian + f"this is {a} test\nBel{a}rus\n" + russian
    first = h._FOREIGN_RE.search(text)
    assert first is not None and h._dominant_script(text, first.start()) == h.CYRILLIC_DOMINANT
    assert h._candidate_lines(text) == _reference_candidate_lines(text)
    assert [text[s:e] for s, e in h._candidate_lines(text)] == [f"this is {a} test", f"Bel{a}rus"]


def test_badness_prefilter_is_read_from_the_pattern_text() -> None:
    """Every alternative of ftfy's BADNESS_RE is read (no private re module), and the prefilter matches
    strings made from each alternative, its optional parts taken or left out."""
    alternatives = n._verbose_alternatives(ftfy.badness.BADNESS_RE.pattern)
    assert alternatives is not None and len(alternatives) > 20
    rng = random.Random(17)
    probe = "".join(chr(c) for c in (*range(0x20, 0x250), *range(0x370, 0x460), *range(0x2010, 0x2600), 0xFFFD))
    prefilter = n._BADNESS_PREFILTER
    assert prefilter is not None
    made = 0
    for elements in alternatives:
        classes = [(re.findall(cls, probe) if cls else [""], optional) for cls, optional in elements]
        for _ in range(200):
            parts = [rng.choice(chars) for chars, optional in classes if not (optional and rng.random() < 0.5)]
            text = "".join(parts)
            if ftfy.badness.is_bad(text):
                made += 1
                assert prefilter.search(text), ascii(text)
    assert made > 20 * 150


def test_badness_prefilter_reader_refuses_shapes_it_does_not_know() -> None:
    for pattern in ("(ab)|c", "a+b", "a*", "[ab"):
        assert n._verbose_alternatives(pattern) is None or n._badness_prefilter(re.compile(pattern, re.VERBOSE)) is None
    assert n._badness_prefilter(re.compile("ab|c")) is None  # not a verbose pattern: whitespace would count
    assert n._verbose_alternatives("a\\s?[bc] # comment\n | ^d") == [
        [("[a]", False), ("[\\s]", True), ("[bc]", False)],
        [("", True), ("[d]", False)],
    ]


def test_badness_looked_for_near_the_prefilter_is_ftfys_badness() -> None:
    """``_is_bad`` tries BADNESS_RE only in windows around the prefilter's places: the same answer as
    ``is_bad`` on the whole line."""
    named = sorted(set(re.sub(r"\s", "", ftfy.badness.BADNESS_RE.pattern)))
    pool = [c for c in named if c.isprintable()] + list("  abcXYZ.,?!") + [chr(c) for c in range(0x410, 0x450)]
    rng = random.Random(17)
    bad = 0
    for _ in range(20000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 40)))
        expected = ftfy.badness.is_bad(text)
        bad += expected
        assert n._is_bad(text) == expected, ascii(text)
    assert 2000 < bad < 18000


def test_astral_characters_reach_the_fixers_without_being_in_the_scans() -> None:
    """The one-class scans leave astral characters out; a text whose only work is an astral character
    that NFC changes (a musical symbol it decomposes) is still normalized, in Latin and Cyrillic text."""
    half_note = "\N{MUSICAL SYMBOL HALF NOTE}"
    composed = "\N{MUSICAL SYMBOL VOID NOTEHEAD}\N{MUSICAL SYMBOL COMBINING STEM}"
    assert n._ANYTHING_RE.search(half_note) is None
    for text in (f"plain {half_note} text", f"\N{CYRILLIC SMALL LETTER ZHE} {half_note}"):
        out, edits = n.normalize_text(text)
        assert out == text.replace(half_note, composed)
        assert [e.fixer for e in edits] == ["nfc"]
