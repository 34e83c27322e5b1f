"""Word-level, script-aware repair of lookalike letters (Unicode TR39 confusables).

Spammers write ``Bel\N{CYRILLIC SMALL LETTER A}rus`` with a Cyrillic letter so that filters, search and
deduplication miss it. Folding every confusable character (what homoglyph packages do) would wreck
genuine Russian or Greek, so the repair here works on words and looks at their scripts:

- a word mixing Latin letters with Cyrillic or Greek lookalikes becomes Latin when it has at least one
  letter that is Latin only (``cre\N{CYRILLIC SMALL LETTER A}ted`` -> ``created``);
- the mirror case, a Cyrillic or Greek word carrying Latin lookalikes, becomes Cyrillic or Greek
  (Russian "choose" typed with a Latin ``a`` becomes all Cyrillic);
- a word mixing Cyrillic and Greek lookalikes becomes Latin when every letter has a Latin twin and the
  reading is a known word (``is_known_word``) or keeps a Latin letter neither script has;
- letters outside TR39 that pass for Latin ones by shape (``SHAPE_TO_LATIN``: Cyrillic pe, ka, te ...)
  are read as Latin only inside a word that already mixes scripts, in a sentence that is not Cyrillic or
  Greek, when the reading is a known word or the word is a long Latin word with that one letter;
- Greek letters used as symbols stay (``A\N{GREEK SMALL LETTER BETA}42``, ``TNF\N{GREEK SMALL LETTER ALPHA}``,
  ``\N{GREEK SMALL LETTER MU}m``): a symbol letter at a word edge is repaired only when the reading is a known
  word in a plausible case (``prize``, not ``TNFa`` or ``ERa``), a two-letter function word of a Latin
  sentence, or a known word in a document with other spoofed words;
- a word made only of Cyrillic lookalikes is repaired in a sentence of Latin words on a line with no
  genuine Cyrillic or Greek word: with other spoofed words in the document, or when it reads as a known
  word, mixes Ukrainian/Macedonian letters into Russian ones, is the article "a" or the pronoun "I", is
  "e.g."/"i.e.", or is a j, i or e right after a digit; a Greek one only with other spoofed words;
- a word whose every letter has a twin in the other script takes the script of its sentence;
- tokens run together are not disguised words and stay: two scripts meeting at a lowercase-to-capital
  boundary (an option letter glued to a Cyrillic placeholder), a word glued to a printf directive or a
  backslash escape, a word with letters of a third script (a run-together language menu), a Cyrillic
  placeholder in brackets.

The rules were checked on the seeds and on the translation catalogs Debian ships (Russian, Ukrainian,
Belarusian, Bulgarian, Serbian, Macedonian, Kazakh, Greek ...), where nearly every repair fixes a real
typo (a Latin ``e`` typed into a Bulgarian word): re-run that check before changing a rule
(``python benchmarks/bench_normalize.py --catalogs /usr/share/locale`` lists every repair).

>>> repair_lookalikes("The Bel\N{CYRILLIC SMALL LETTER A}rusi\N{CYRILLIC SMALL LETTER A}n army")
('The Belarusian army', 1)
>>> water = "\N{CYRILLIC CAPITAL LETTER VE}\N{CYRILLIC SMALL LETTER O}\N{CYRILLIC SMALL LETTER DE}a"
>>> repair_lookalikes(water) == (water.replace("a", "\N{CYRILLIC SMALL LETTER A}"), 1)
True
"""

from __future__ import annotations

import collections
import functools
import gzip
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from cleaner import cache
from cleaner.cache import compiled, derived

# Cyrillic and Greek letters that Unicode's confusables.txt (UTS #39, as shipped in the PyPI package
# confusable-homoglyphs 3.3.1, file confusables.json) maps to one ASCII letter, kept only when the case
# matches (TR39 maps capital I to the prototype "l", so capital I-lookalikes map to "I"). Letters only:
# symbols and modifier letters are left out. tests/test_homoglyphs.py re-derives this table from an extract
# of that data (tests/cases/normalize/tr39_extract.json) and fails when they disagree: after a Unicode
# update, refresh the extract (recipe in that test) and then this table.
LOOKALIKE_TO_LATIN: Mapping[str, str] = MappingProxyType(
    {
        "\N{GREEK CAPITAL LETTER YOT}": "J",
        "\N{GREEK CAPITAL LETTER ALPHA}": "A",
        "\N{GREEK CAPITAL LETTER BETA}": "B",
        "\N{GREEK CAPITAL LETTER EPSILON}": "E",
        "\N{GREEK CAPITAL LETTER ZETA}": "Z",
        "\N{GREEK CAPITAL LETTER ETA}": "H",
        "\N{GREEK CAPITAL LETTER IOTA}": "I",
        "\N{GREEK CAPITAL LETTER KAPPA}": "K",
        "\N{GREEK CAPITAL LETTER MU}": "M",
        "\N{GREEK CAPITAL LETTER NU}": "N",
        "\N{GREEK CAPITAL LETTER OMICRON}": "O",
        "\N{GREEK CAPITAL LETTER RHO}": "P",
        "\N{GREEK CAPITAL LETTER TAU}": "T",
        "\N{GREEK CAPITAL LETTER UPSILON}": "Y",
        "\N{GREEK CAPITAL LETTER CHI}": "X",
        "\N{GREEK SMALL LETTER ALPHA}": "a",
        "\N{GREEK SMALL LETTER GAMMA}": "y",
        "\N{GREEK SMALL LETTER IOTA}": "i",
        "\N{GREEK SMALL LETTER NU}": "v",
        "\N{GREEK SMALL LETTER OMICRON}": "o",
        "\N{GREEK SMALL LETTER RHO}": "p",
        "\N{GREEK SMALL LETTER SIGMA}": "o",
        "\N{GREEK SMALL LETTER UPSILON}": "u",
        "\N{GREEK UPSILON WITH HOOK SYMBOL}": "Y",
        "\N{GREEK LETTER DIGAMMA}": "F",
        "\N{GREEK RHO SYMBOL}": "p",
        "\N{GREEK LUNATE SIGMA SYMBOL}": "c",
        "\N{GREEK LETTER YOT}": "j",
        "\N{GREEK CAPITAL LUNATE SIGMA SYMBOL}": "C",
        "\N{GREEK CAPITAL LETTER SAN}": "M",
        "\N{CYRILLIC CAPITAL LETTER DZE}": "S",
        "\N{CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I}": "I",
        "\N{CYRILLIC CAPITAL LETTER JE}": "J",
        "\N{CYRILLIC CAPITAL LETTER A}": "A",
        "\N{CYRILLIC CAPITAL LETTER VE}": "B",
        "\N{CYRILLIC CAPITAL LETTER IE}": "E",
        "\N{CYRILLIC CAPITAL LETTER KA}": "K",
        "\N{CYRILLIC CAPITAL LETTER EM}": "M",
        "\N{CYRILLIC CAPITAL LETTER EN}": "H",
        "\N{CYRILLIC CAPITAL LETTER O}": "O",
        "\N{CYRILLIC CAPITAL LETTER ER}": "P",
        "\N{CYRILLIC CAPITAL LETTER ES}": "C",
        "\N{CYRILLIC CAPITAL LETTER TE}": "T",
        "\N{CYRILLIC CAPITAL LETTER U}": "Y",
        "\N{CYRILLIC CAPITAL LETTER HA}": "X",
        "\N{CYRILLIC SMALL LETTER A}": "a",
        "\N{CYRILLIC SMALL LETTER GHE}": "r",
        "\N{CYRILLIC SMALL LETTER IE}": "e",
        "\N{CYRILLIC SMALL LETTER O}": "o",
        "\N{CYRILLIC SMALL LETTER ER}": "p",
        "\N{CYRILLIC SMALL LETTER ES}": "c",
        "\N{CYRILLIC SMALL LETTER U}": "y",
        "\N{CYRILLIC SMALL LETTER HA}": "x",
        "\N{CYRILLIC SMALL LETTER DZE}": "s",
        "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}": "i",
        "\N{CYRILLIC SMALL LETTER JE}": "j",
        "\N{CYRILLIC SMALL LETTER OMEGA}": "w",
        "\N{CYRILLIC CAPITAL LETTER IZHITSA}": "V",
        "\N{CYRILLIC SMALL LETTER IZHITSA}": "v",
        "\N{CYRILLIC CAPITAL LETTER STRAIGHT U}": "Y",
        "\N{CYRILLIC SMALL LETTER STRAIGHT U}": "y",
        "\N{CYRILLIC SMALL LETTER SHHA}": "h",
        "\N{CYRILLIC SMALL LETTER ABKHASIAN CHE}": "e",
        "\N{CYRILLIC LETTER PALOCHKA}": "I",
        "\N{CYRILLIC SMALL LETTER PALOCHKA}": "i",
        "\N{CYRILLIC SMALL LETTER KOMI DE}": "d",
        "\N{CYRILLIC CAPITAL LETTER KOMI SJE}": "G",
        "\N{CYRILLIC SMALL LETTER QA}": "q",
        "\N{CYRILLIC CAPITAL LETTER WE}": "W",
        "\N{CYRILLIC SMALL LETTER WE}": "w",
        "\N{GREEK LETTER SMALL CAPITAL GAMMA}": "r",
        "\N{GREEK PROSGEGRAMMENI}": "i",
        "\N{CYRILLIC SMALL LETTER IOTA}": "i",
    }
)


# Letters outside TR39's table that still pass for a Latin letter in a Latin word, by their shape in common
# fonts: Cyrillic pe (n), ka (k), te (t; m in italics), i (u in italics), em (small-capital M), sha (w in
# italics), soft sign (b); Greek kappa (k), tau (t), eta (n), epsilon (e), chi (x), omega (w), pi (n).
# Used only on words that already mix scripts and only when the Latin reading is a known word
# (``is_known_word``): never on a word written in its own script, where these are ordinary letters.
SHAPE_TO_LATIN: Mapping[str, str] = MappingProxyType(
    {
        "\N{CYRILLIC SMALL LETTER PE}": "n",
        "\N{CYRILLIC SMALL LETTER KA}": "k",
        "\N{CYRILLIC SMALL LETTER TE}": "t",
        "\N{CYRILLIC SMALL LETTER I}": "u",
        "\N{CYRILLIC SMALL LETTER EM}": "m",
        "\N{CYRILLIC SMALL LETTER SHA}": "w",
        "\N{CYRILLIC SMALL LETTER SOFT SIGN}": "b",
        "\N{GREEK SMALL LETTER KAPPA}": "k",
        "\N{GREEK SMALL LETTER TAU}": "t",
        "\N{GREEK SMALL LETTER ETA}": "n",
        "\N{GREEK SMALL LETTER EPSILON}": "e",
        "\N{GREEK SMALL LETTER CHI}": "x",
        "\N{GREEK SMALL LETTER OMEGA}": "w",
        "\N{GREEK SMALL LETTER PI}": "n",
    }
)


# Letters TR39 lists as confusable that are not mirror targets: GHE looks like r only in italics, DZE is
# Macedonian only (a Latin s in a Russian word is not a disguised DZE), GAMMA looks like y only in some
# fonts, and a Latin capital I in a Cyrillic word is often the Chechen/Ingush palochka (or a Roman
# numeral), not the Ukrainian I. Found on the translation catalogs that ship with Debian (ru, uk, bg, sr,
# el, ce): re-check there before changing.
MIRROR_EXCLUDED = frozenset(
    "\N{CYRILLIC SMALL LETTER GHE}\N{CYRILLIC SMALL LETTER DZE}\N{CYRILLIC CAPITAL LETTER DZE}"
    "\N{CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I}\N{GREEK SMALL LETTER GAMMA}"
)


def _preferred_mirror(script_block: range) -> dict[str, str]:
    """Latin letter -> the one letter of a script's basic block that looks like it (lowest code point)."""
    mirror: dict[str, str] = {}
    for foreign, latin in sorted(LOOKALIKE_TO_LATIN.items()):
        if ord(foreign) in script_block and latin not in mirror and foreign not in MIRROR_EXCLUDED:
            mirror[latin] = foreign
    return mirror


# The mirror direction only targets the basic letters of each script (Russian/Ukrainian/Serbian/
# Macedonian Cyrillic U+0400-U+045F, modern Greek U+0391-U+03C9), never rare historic letters.
LATIN_TO_CYRILLIC: Mapping[str, str] = MappingProxyType(_preferred_mirror(range(0x0400, 0x0460)))
LATIN_TO_GREEK: Mapping[str, str] = MappingProxyType(_preferred_mirror(range(0x0391, 0x03CA)))

# Greek small letters that English text uses as symbols (TNF-alpha, gamma rays, nu for frequency, rho for
# density, sigma). They are repaired only inside a Latin word and only with more evidence (see
# _decide_mixed); omicron is never a symbol, so it is not listed.
GREEK_SYMBOL_LETTERS = frozenset(
    "\N{GREEK SMALL LETTER ALPHA}\N{GREEK SMALL LETTER GAMMA}\N{GREEK SMALL LETTER IOTA}"
    "\N{GREEK SMALL LETTER NU}\N{GREEK SMALL LETTER RHO}\N{GREEK SMALL LETTER SIGMA}"
    "\N{GREEK SMALL LETTER UPSILON}\N{GREEK RHO SYMBOL}\N{GREEK LUNATE SIGMA SYMBOL}"
    "\N{GREEK PROSGEGRAMMENI}"
)

_CYRILLIC = "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f"
_GREEK = "\u0370-\u03ff\u1f00-\u1fff"
# Any Cyrillic or Greek character: text without one needs no repair at all (the fast path).
_FOREIGN_RE = compiled(f"[{_CYRILLIC}{_GREEK}]")
# A word: letters, with combining marks (stress marks, diacritics) kept inside it; or an abbreviation of
# single letters with dots ("e.g.", "i.e."), judged as one word.
_WORD_RE = compiled(r"(?:[^\W\d_]\.){1,3}[^\W\d_]\.?(?![^\W\d_])|[^\W\d_](?:[^\W\d_]|[\u0300-\u036f\u0483-\u0489])*")
# A Latin letter next to a Cyrillic or Greek letter (combining marks between them allowed): every word
# that mixes the two scripts, and has no letter of a third, has such a pair. Every repair needs one such
# word (repairs of lookalike-only words need a repaired mixed word as evidence), so text without one is
# returned after this single scan: genuine Russian or Greek costs one regex pass, not a pass per word.
_LATIN_LETTERS = (
    "A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u1d00-\u1dbf\u1e00-\u1eff\u2071\u207f"
    "\u2090-\u209c\u212a\u212b\u2c60-\u2c7f\ua720-\ua7ff\uab30-\uab6f\ufb00-\ufb06\uff21-\uff3a\uff41-\uff5a"
    "\u2184\U0001df00-\U0001dfff"
)
_MARKS = r"[\u0300-\u036f\u0483-\u0489]*"
LATIN_DOMINANT, CYRILLIC_DOMINANT, GREEK_DOMINANT = range(3)
_MIXED_WORD_RE = compiled(
    f"[{_LATIN_LETTERS}]{_MARKS}[{_CYRILLIC}{_GREEK}]|[{_CYRILLIC}{_GREEK}]{_MARKS}[{_LATIN_LETTERS}]"
    f"|[{_CYRILLIC}]{_MARKS}[{_GREEK}]|[{_GREEK}]{_MARKS}[{_CYRILLIC}]"
)


def _script_boundary_re(anchored: tuple[str, ...]) -> re.Pattern[str]:
    """A regex for the places ``_MIXED_WORD_RE`` finds (two scripts meeting, with up to two combining
    marks between them), that starts at a letter of one of the ``anchored`` scripts: the regex engine skips
    in C to those letters, so anchoring on the scripts that are rare in a text makes the scan fast (in
    Russian text, on Latin and Greek letters rather than on every Cyrillic one)."""
    letters = {"L": _LATIN_LETTERS, "C": _CYRILLIC, "G": _GREEK}
    mark = _MARKS[:-1]
    branches = []
    for script in anchored:
        for other in "LCG":
            if other == script:
                continue
            here, there = letters[script], letters[other]
            branches.append(f"(?<=[{here}]){_MARKS}[{there}]")
            branches.append(f"(?<=[{there}][{here}])|(?<=[{there}]{mark}[{here}])|(?<=[{there}]{mark}{mark}[{here}])")
    first = "".join(letters[script] for script in anchored)
    return compiled(f"[{first}](?:{'|'.join(branches)})")


@functools.cache
def _mixed_re(dominant: int) -> re.Pattern[str]:
    """``_script_boundary_re`` for a text dominated by Latin, Cyrillic or Greek letters (anchored on the
    other two scripts). Built on first use: only texts with a Cyrillic or Greek letter need one, and each
    compiles three large classes (about 4 ms)."""
    anchored = {LATIN_DOMINANT: ("C", "G"), CYRILLIC_DOMINANT: ("L", "G"), GREEK_DOMINANT: ("L", "C")}
    return _script_boundary_re(anchored[dominant])


# A word of Cyrillic lookalikes only (the article "a" typed in Cyrillic, "e.g.", "5j") on a line with an
# ASCII letter: the other kind of text the word-level rules look at.
_CYRILLIC_LOOKALIKES = "".join(sorted(ch for ch in LOOKALIKE_TO_LATIN if "\u0400" <= ch <= "\u04ff"))
_LOOKALIKE_WORD_RE = compiled(
    f"[{_CYRILLIC_LOOKALIKES}](?<![^\\W\\d_][{_CYRILLIC_LOOKALIKES}])(?:[.]?[{_CYRILLIC_LOOKALIKES}])*[.]?(?![^\\W\\d_])"
)


def _dominant_script(text: str, first_foreign: int) -> int:
    """Which script most letters of ``text`` are in, judged from a sample (``text_sample``) from its first
    Cyrillic or Greek character on: it only chooses how to scan, never what is found."""
    sample = text_sample(text, first_foreign)
    cyrillic, greek = script_counts(sample)
    if cyrillic * 3 > len(sample):
        return CYRILLIC_DOMINANT
    if greek * 3 > len(sample):
        return GREEK_DOMINANT
    return LATIN_DOMINANT


def text_sample(text: str, start: int = 0) -> str:
    """500 characters of ``text`` from ``start``: the first 500, or 100 from each of five places spread over
    a longer text, enough to tell the script of a text that starts with a header in another (a catalog's
    English metadata).

    >>> text_sample("ab" * 1000)[:4], len(text_sample("ab" * 1000))
    ('abab', 500)
    """
    if len(text) - start <= 500:
        return text[start : start + 500]
    step = (len(text) - start - 100) // 4
    return "".join(text[start + k * step : start + k * step + 100] for k in range(5))


def script_counts(sample: str) -> tuple[int, int]:
    """Roughly how many characters of ``sample`` are Cyrillic, and how many Greek: those its code page
    (cp1251, cp1253) has beyond ASCII, punctuation such as guillemets and dashes included. For choosing
    a scan only; three encoders run at memory speed, where a regex that lists the letters does not.

    >>> script_counts("\N{CYRILLIC CAPITAL LETTER EM}\N{CYRILLIC SMALL LETTER I}\N{CYRILLIC SMALL LETTER ER}, ok")
    (3, 0)
    """
    ascii_count = len(sample.encode("ascii", "ignore"))
    return (
        len(sample.encode("cp1251", "ignore")) - ascii_count,
        len(sample.encode("cp1253", "ignore")) - ascii_count,
    )


_ASCII_LETTER_RE = re.compile("[A-Za-z]")
# A word of Cyrillic or Greek letters with at least one that is no lookalike: a genuine word.
_GENUINE_LETTERS = "".join(
    chr(c)
    for c in (*range(0x0370, 0x0400), *range(0x0400, 0x0530))
    if chr(c).isalpha() and chr(c) not in LOOKALIKE_TO_LATIN
)
_FOREIGN_OR_MARK = f"[{_CYRILLIC}{_GREEK}\u0300-\u036f]"
_GENUINE_WORD_RE = compiled(f"(?<![^\\W\\d_]){_FOREIGN_OR_MARK}*[{_GENUINE_LETTERS}]{_FOREIGN_OR_MARK}*(?![^\\W\\d_])")


_GENUINE_LETTER_RE = compiled(f"[{_GENUINE_LETTERS}]")


def _has_genuine_word(text: str, start: int, end: int) -> bool:
    """``_GENUINE_WORD_RE.search(text, start, end)``, found from the letters that are no lookalike: the
    regex starts with a lookbehind, which the regex engine tries at every position, while in Russian text
    the first such letter is nearly always in a genuine word."""
    pos = start
    while (letter := _GENUINE_LETTER_RE.search(text, pos, end)) is not None:
        word_start = letter.start()
        while word_start > start and text[word_start - 1].isalpha():
            word_start -= 1
        if _GENUINE_WORD_RE.match(text, word_start, end):
            return True
        pos = letter.end()
    return False


def _ranges_class(codes: set[int]) -> str:
    """A regex character class for a set of code points, runs written as ranges."""
    parts: list[str] = []
    ordered = sorted(codes)
    start = prev = ordered[0]
    for code in [*ordered[1:], -1]:
        if code == prev + 1:
            prev = code
            continue
        parts.append(re.escape(chr(start)) + ("" if start == prev else "-" + re.escape(chr(prev))))
        start = prev = code
    return "[" + "".join(parts) + "]"


def _letters_outside_foreign() -> str:
    """Every Basic Multilingual Plane character that ``[^\\W\\d_]`` (a letter to the word regexes) or
    ``_LATIN_LETTERS`` takes, and that is no Cyrillic or Greek character or combining mark: what a
    Cyrillic or Greek word touching a letter of another script touches."""
    bmp = "".join(map(chr, range(0x10000)))
    letter = re.compile(f"[^\\W\\d_]|[{_LATIN_LETTERS}]")
    foreign = re.compile(_FOREIGN_OR_MARK)
    return _ranges_class({ord(m.group()) for m in letter.finditer(bmp) if not foreign.match(m.group())})


def _letters_outside_foreign_cached() -> str:
    """``_letters_outside_foreign()`` through cleaner's cache (about 0.1 CPU-s to read from the plane), keyed
    by what it reads (the two classes) and Python's version (its Unicode database and regex engine);
    tests/test_homoglyphs.py checks that the cached class equals a fresh one."""
    letters: str = derived("homoglyphs-letters", cache.key(_LATIN_LETTERS, _FOREIGN_OR_MARK), _letters_outside_foreign)
    return letters


@functools.cache
def _boundary_re(dominant: int) -> re.Pattern[str]:
    """Cyrillic and Greek text: the places where a letter of another script (a Latin one, nearly always)
    touches a Cyrillic or Greek character or a combining mark, anchored on that rarer letter (and on the
    other of Cyrillic and Greek). Every word mixing scripts has one (``_MIXED_WORD_RE``), and so has every
    line whose Cyrillic or Greek letters are not all in genuine words (a genuine word is bounded by
    non-letters). Built on first use: the class of every other letter is read from the whole Basic
    Multilingual Plane (about 0.1 CPU-s, which a run without Cyrillic or Greek text never pays).
    """
    letters = _letters_outside_foreign_cached()[1:-1]
    other = _GREEK if dominant == CYRILLIC_DOMINANT else _CYRILLIC
    return compiled(f"[{letters}{other}](?:{_FOREIGN_OR_MARK}|(?<={_FOREIGN_OR_MARK}[{letters}{other}]))")


# A line with a Cyrillic lookalike and no genuine Cyrillic or Greek letter, found from its line break: the
# regex engine skips from one line break to the next, and a Russian line fails at its first genuine letter.
_NO_GENUINE_LINE = (
    f"[^\\n{_GENUINE_LETTERS}{_CYRILLIC_LOOKALIKES}]*+[{_CYRILLIC_LOOKALIKES}][^\\n{_GENUINE_LETTERS}]*+" + r"(?=\n|\Z)"
)
_NO_GENUINE_LINE_RE = compiled("\n" + _NO_GENUINE_LINE)
_NO_GENUINE_FIRST_LINE_RE = compiled(_NO_GENUINE_LINE)
# Characters outside the Basic Multilingual Plane (Latin Extended-G, mathematical letters, emoji) touching
# a Cyrillic or Greek character: the boundary scan leaves them out to stay a one-step class test, and this
# scan runs on the texts that have one.
_ASTRAL_BOUNDARY_RE = compiled(
    f"[\U00010000-\U0010ffff](?:{_FOREIGN_OR_MARK}|(?<={_FOREIGN_OR_MARK}[\U00010000-\U0010ffff]))"
)


def has_astral(text: str) -> bool:
    """True when ``text`` has a character outside the Basic Multilingual Plane: one that takes two UTF-16
    code units (the encoder runs at memory speed, a regex scan of Cyrillic text ten times slower)."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


def _lookalike_line(text: str, start: int, end: int) -> bool:
    """A line with an ASCII letter, a word of Cyrillic lookalikes only and no genuine Cyrillic or Greek word."""
    return bool(
        _ASCII_LETTER_RE.search(text, start, end)
        and _LOOKALIKE_WORD_RE.search(text, start, end)
        and not _has_genuine_word(text, start, end)
    )


def _candidate_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line of ``text`` holding a word the word-level rules may repair: one mixing
    scripts, or one of Cyrillic lookalikes only on a line with ASCII letters and no genuine Cyrillic or
    Greek word."""
    foreign = _FOREIGN_RE.search(text)
    if foreign is None:
        return []
    dominant = _dominant_script(text, foreign.start())
    if dominant != LATIN_DOMINANT:
        return _candidate_lines_foreign(text, dominant)
    mixed_re = _mixed_re(dominant)
    mixed = mixed_re.search(text)
    # Lines with a lookalike-only word and an ASCII letter: found from the rarer of the two.
    lookalike_re = _ASCII_LETTER_RE if dominant == CYRILLIC_DOMINANT else _LOOKALIKE_WORD_RE
    lookalike = _ASCII_LETTER_RE.search(text) and _LOOKALIKE_WORD_RE.search(text) and lookalike_re.search(text)
    if mixed is None and not lookalike:
        return []
    found: dict[int, int] = {}
    for pattern, needs_clean_line in ((mixed_re, False), (lookalike_re, True)):
        match = mixed if pattern is mixed_re else lookalike
        while match:
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            end = len(text) if end == -1 else end
            if start not in found and (not needs_clean_line or _lookalike_line(text, start, end)):
                found[start] = end
            match = pattern.search(text, end)
    return sorted(found.items())


def _candidate_lines_foreign(text: str, dominant: int) -> list[tuple[int, int]]:
    """``_candidate_lines`` for Cyrillic or Greek text without astral characters, from two fast scans.

    A candidate line either has a script boundary (``_boundary_re``: a mixed word, or a Cyrillic or
    Greek letter outside a genuine word), or has no genuine letter at all (``_NO_GENUINE_LINE_RE``): a line
    with a genuine letter and no boundary has a genuine word, so no lookalike-only word of it is repaired.
    Each line either scan finds is then checked exactly as ``_candidate_lines`` checks it.
    """
    starts: set[int] = set()
    boundaries = [_boundary_re(dominant)]
    if has_astral(text):
        boundaries.append(_ASTRAL_BOUNDARY_RE)
    for boundary in boundaries:
        pos = 0
        while (match := boundary.search(text, pos)) is not None:
            starts.add(text.rfind("\n", 0, match.start()) + 1)
            pos = text.find("\n", match.end())
            if pos == -1:
                break
    if _ASCII_LETTER_RE.search(text):  # no lookalike-only word is repaired without one
        if _NO_GENUINE_FIRST_LINE_RE.match(text):
            starts.add(0)
        starts.update(m.start() + 1 for m in _NO_GENUINE_LINE_RE.finditer(text))
    mixed_re = _mixed_re(dominant)
    found: list[tuple[int, int]] = []
    for start in sorted(starts):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        if mixed_re.search(text, start, end) or _lookalike_line(text, start, end):
            found.append((start, end))
    return found


# Code right before a word: a printf directive ("%", flags, width, precision) or a backslash escape.
_CODE_BEFORE_RE = re.compile(r"(?:%[-+ #0-9.*]*|\\)\Z")
# Sentence ends: words on both sides of one of these are not each other's context (a dot inside "e.g."
# or "3.5" is not one).
_SENTENCE_END_RE = re.compile(r"[.!?](?!\S)|\n")

LATIN, CYRILLIC, GREEK, OTHER = "L", "C", "G", "O"


def letter_script(ch: str) -> str:
    """The script of one letter: "L" (Latin), "C" (Cyrillic), "G" (Greek) or "O" (other or a mark).

    >>> [letter_script(ch) for ch in "a\N{CYRILLIC SMALL LETTER A}\N{GREEK SMALL LETTER BETA}-"]
    ['L', 'C', 'G', 'O']
    """
    code = ord(ch)
    if code < 0x80:
        return LATIN if ch.isalpha() else OTHER
    if 0x0400 <= code <= 0x052F or 0x1C80 <= code <= 0x1C8F or 0x2DE0 <= code <= 0x2DFF or (0xA640 <= code <= 0xA69F):
        return CYRILLIC
    if 0x0370 <= code <= 0x03FF or 0x1F00 <= code <= 0x1FFF:
        return GREEK
    if ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"):
        return LATIN
    return OTHER


@dataclass(frozen=True, slots=True)
class Repair:
    """One repaired word: where it was and what it became."""

    start: int
    end: int
    before: str
    after: str


# Word kinds found by the first pass.
_LATIN_WORD, _GENUINE_FOREIGN, _LOOKALIKE_ONLY, _MIXED, _NEUTRAL = range(5)


def _glued_tokens(word: str) -> bool:
    """True for two tokens of different scripts run together at a case boundary: an option letter and
    its placeholder (``-c`` + Cyrillic TAG), a Cyrillic word and a Latin acronym (``...HTTP``).

    A disguised word switches script at letters of the same case (``Bel`` + Cyrillic a + ``rus``) or
    more than once; these switch once, from a lowercase letter to a capital.
    """
    letters = [ch for ch in word if ch.isalpha()]
    switches = [i for i in range(1, len(letters)) if letter_script(letters[i]) != letter_script(letters[i - 1])]
    return len(switches) == 1 and letters[switches[0] - 1].islower() and letters[switches[0]].isupper()


def _classify(word: str) -> int:
    scripts = {letter_script(ch) for ch in word if ch.isalpha()}
    if OTHER in scripts:
        # Letters of a third script (Arabic, CJK ...) glued to Latin and Cyrillic: a run-together menu of
        # language names ("Arabic" + "esp" + "rus" with no spaces), not a disguised word.
        return _NEUTRAL
    if LATIN in scripts and len(scripts) > 1 and _glued_tokens(word):
        return _NEUTRAL
    if not scripts or scripts == {LATIN}:
        return _LATIN_WORD if scripts else _NEUTRAL
    if LATIN in scripts or len(scripts) > 1:
        return _MIXED  # Latin with Cyrillic or Greek, or Cyrillic with Greek
    if all(ch in LOOKALIKE_TO_LATIN for ch in word if letter_script(ch) != OTHER):
        return _LOOKALIKE_ONLY
    return _GENUINE_FOREIGN


def _to_latin(word: str) -> str:
    return unicodedata.normalize("NFC", "".join(LOOKALIKE_TO_LATIN.get(ch, ch) for ch in word))


def _to_foreign(word: str, mirror: Mapping[str, str]) -> str:
    return unicodedata.normalize("NFC", "".join(mirror.get(ch, ch) for ch in word))


def _latin_reading(word: str, by_shape: bool) -> str | None:
    """The word with every Cyrillic and Greek letter replaced by its Latin twin (TR39, and with
    ``by_shape`` the shape table too; a letter with a diacritic by its base letter's twin), or None when
    one of them has no twin."""
    out: list[str] = []
    for ch in word:
        if letter_script(ch) not in (CYRILLIC, GREEK):
            out.append(ch)
            continue
        twin = LOOKALIKE_TO_LATIN.get(ch) or (SHAPE_TO_LATIN.get(ch) if by_shape else None)
        if twin is None:
            decomposed = unicodedata.normalize("NFD", ch)
            base = LOOKALIKE_TO_LATIN.get(decomposed[0])
            if base is None or len(decomposed) == 1:
                return None
            twin = base + decomposed[1:]
        out.append(twin)
    return unicodedata.normalize("NFC", "".join(out))


@functools.cache
def latin_words() -> frozenset[str]:
    """Lower-cased Latin words of real web text (cleaner/data/latin_words.txt.gz; its source and licence
    are in cleaner/data/LATIN_WORDS.md). Loaded on first use: only words that mix scripts need it."""
    data = resources.files("cleaner").joinpath("data", "latin_words.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def _plausible_case(reading: str) -> bool:
    """A word in lower case, Title case or UPPER case: not ``TNFa``, ``ERa`` or ``NFkB``."""
    letters = "".join(ch for ch in reading if ch.isalpha())
    return bool(letters) and (
        letters.islower() or letters.isupper() or (letters[0].isupper() and letters[1:].islower())
    )


def is_known_word(reading: str | None, shortest: int = 3) -> bool:
    """True when ``reading`` is a known Latin word written in a plausible case (lower, Title or UPPER),
    with at least ``shortest`` letters: ``TNFa`` and ``ERa`` are not, ``claim`` and ``Prize`` are.

    >>> [is_known_word(w) for w in ("Claim", "prize", "TNFa", "ERa", "xqzv")]
    [True, True, False, False, False]
    """
    if reading is None or not _plausible_case(reading):
        return False
    letters = "".join(ch for ch in reading if ch.isalpha())
    return len(letters) >= shortest and letters.lower() in latin_words()


# Context of a word's sentence, as counts of the words around it.
_NO_CONTEXT, _LATIN_CONTEXT, _FOREIGN_CONTEXT = range(3)


def _decide_mixed(word: str, evidence: int, context: int) -> tuple[str | None, bool]:
    """Repair a word mixing scripts: (new word or None, needs context).

    ``needs context`` is True when every letter is a lookalike of the other script (Cyrillic ``es``, Latin
    ``o``, Cyrillic ``er``): only the sentence around it can tell which script it is.
    """
    foreign = [ch for ch in word if letter_script(ch) in (CYRILLIC, GREEK)]
    latin = [ch for ch in word if letter_script(ch) == LATIN]
    foreign_scripts = {letter_script(ch) for ch in foreign}
    if len(foreign_scripts) != 1:
        # Cyrillic and Greek in one word: never genuine, and safe to read as Latin when every letter has a
        # Latin twin and the reading is a known word ("today" with Greek o and Cyrillic a) or keeps a Latin
        # letter that neither script has ("Saratoga" keeps its t and g).
        reading = _latin_reading(word, by_shape=True)
        if reading is None or not _plausible_case(reading):
            return None, False
        anchored = any(ch not in LATIN_TO_CYRILLIC and ch not in LATIN_TO_GREEK for ch in latin)
        return (reading if anchored or is_known_word(reading, shortest=2) else None), False
    mirror = LATIN_TO_CYRILLIC if CYRILLIC in foreign_scripts else LATIN_TO_GREEK
    foreign_anchors = [ch for ch in foreign if ch not in LOOKALIKE_TO_LATIN]
    latin_anchors = [ch for ch in latin if ch not in mirror]
    reading = _latin_reading(word, by_shape=False)
    letters = [ch for ch in word if letter_script(ch) != OTHER]
    if any(ch in GREEK_SYMBOL_LETTERS for ch in foreign) and not is_known_word(reading):
        # TNF-alpha, gamma-H2AX, IFN-gamma-R: a Greek symbol letter at a word edge is a symbol unless the
        # Latin reading is a known word ("prize" with a Greek rho; a two-letter one such as "up" only in
        # lower case in a document with other spoofed words). Inside a word it needs a reading in a
        # plausible case ("Lakers", not "TNFaR"), or a second lookalike, or other repaired words.
        if letters[0] in GREEK_SYMBOL_LETTERS or letters[-1] in GREEK_SYMBOL_LETTERS:
            lower = reading is not None and reading.islower()
            short_word = evidence and lower and is_known_word(reading, shortest=2)
            # A long lower-case word of a Latin sentence ("adultery"): symbols are short or capitalized.
            long_word = lower and len(letters) >= 6 and len(foreign) == 1 and context == _LATIN_CONTEXT
            # A two-letter function word ("is", "in") of a Latin sentence; not with alpha, whose "as"
            # reading collides with the strong coupling constant.
            function_word = (
                lower
                and len(letters) == 2
                and context == _LATIN_CONTEXT
                and "\N{GREEK SMALL LETTER ALPHA}" not in foreign
                and is_known_word(reading, shortest=2)
            )
            if not (short_word or long_word or function_word):
                return None, False
        elif (
            not (reading is not None and len(letters) >= 3 and _plausible_case(reading))
            and len(foreign) < 2
            and evidence == 0
        ):
            return None, False
    if not foreign_anchors and latin_anchors:
        return reading, False
    by_shape = _latin_reading(word, by_shape=True)
    if context != _FOREIGN_CONTEXT and is_known_word(by_shape):
        # A Latin word of the sentence's language with a lookalike outside TR39 ("contact" with a
        # Cyrillic pe, "ticket" with a Cyrillic te): the shape table, never for a word in its own script.
        return by_shape, False
    if (
        context == _LATIN_CONTEXT
        and by_shape is not None
        and len(foreign) == 1
        and len(latin) >= 3
        and _plausible_case(by_shape)
    ):
        # One such letter in a longer Latin word of a Latin sentence ("rebase" with a Greek epsilon).
        return by_shape, False
    if not latin_anchors and foreign_anchors:
        # The mirror case needs more foreign than Latin letters: "A" + "beta" (amyloid beta) has as many
        # of each, and stays as written.
        if len(latin) < len(foreign):
            return _to_foreign(word, mirror), False
        return None, False
    if not latin_anchors and not foreign_anchors:
        return None, True
    return None, False


def _decide_deferred(
    text: str, start: int, word: str, kind: int, context: int, latin_count: int, line_clean: bool, evidence: int
) -> str | None:
    """Decide a word that depends on its sentence or on the document's evidence of spoofing."""
    latin_context = context == _LATIN_CONTEXT
    if kind == _LOOKALIKE_ONLY:
        reading = _to_latin(word)
        letters = [ch for ch in word if ch.isalpha()]
        symbol = len(letters) == 1 and word in GREEK_SYMBOL_LETTERS
        if evidence and latin_context and not symbol:
            return reading
        if letter_script(letters[0]) != CYRILLIC or not line_clean:
            # A Greek word alone in English prose may be Greek ("the article o"); and no repair without
            # evidence where the line has a genuine Cyrillic or Greek word.
            return None
        if len(letters) == 1 and start > 0 and text[start - 1].isdigit() and letters[0] in _DIGIT_SUFFIXES:
            return reading  # "5j" with a Cyrillic je: an imaginary unit or an exponent, not a Cyrillic letter
        if not latin_context:
            return None
        if len(letters) >= 2 and any(ch in _NON_RUSSIAN_LOOKALIKES for ch in letters):
            # "Boise" or "pears" with a Ukrainian i or a Macedonian dze among Russian lookalikes, in a
            # line of Latin words: a Cyrillic word made only of lookalikes is rare, one mixing alphabets
            # rarer still.
            return reading
        if len(letters) == 1 or "." in word:
            # The English article "a" and pronoun "I" between Latin words, "e.g." and "i.e."
            return reading if latin_count >= 2 and (reading in ("a", "A", "I") or "." in word) else None
        # A known Latin word ("copy" in Cyrillic), unless it is a placeholder of a translated help text
        # ("[" + Cyrillic "arg" + " ...]", "<" + Cyrillic "file" + ">").
        placeholder = text[start - 1 : start] in ("[", "<", "{") or text[start + len(word) : start + len(word) + 1] in (
            "]",
            ">",
            "}",
        )
        return reading if not placeholder and is_known_word(reading, shortest=2) else None
    fixed, needs_context = _decide_mixed(word, evidence, context)
    if not needs_context:
        return fixed
    if latin_context:
        return _to_latin(word)
    if context == _FOREIGN_CONTEXT and not word.isupper():
        # Capitals-only words stay: Latin acronyms (PNG, GNU) are common inside Cyrillic and Greek text.
        script = {letter_script(ch) for ch in word} - {LATIN, OTHER}
        return _to_foreign(word, LATIN_TO_CYRILLIC if CYRILLIC in script else LATIN_TO_GREEK)
    return None


# Cyrillic lookalikes that only Ukrainian, Belarusian, Macedonian or Serbian use.
_NON_RUSSIAN_LOOKALIKES = frozenset(
    "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}\N{CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I}"
    "\N{CYRILLIC SMALL LETTER DZE}\N{CYRILLIC CAPITAL LETTER DZE}\N{CYRILLIC SMALL LETTER JE}"
    "\N{CYRILLIC CAPITAL LETTER JE}"
)

# Lone lookalikes right after a digit that stand for a Latin letter there: the imaginary unit j (and i),
# the exponent e, the multiplication x. Cyrillic GHE after a year ("1999" + GHE, "year") is not one.
_DIGIT_SUFFIXES = frozenset(
    "\N{CYRILLIC SMALL LETTER JE}\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}\N{CYRILLIC SMALL LETTER IE}"
)


def may_hold_lookalikes(text: str) -> bool:
    """Whether ``text`` holds a Cyrillic or Greek letter, the only lookalikes repaired: without
    one, :func:`find_lookalike_repairs` finds nothing (its first test).

    >>> may_hold_lookalikes("caf\N{LATIN SMALL LETTER E WITH ACUTE}"), may_hold_lookalikes("x\N{GREEK SMALL LETTER MU}")
    (False, True)
    """
    return not text.isascii() and _FOREIGN_RE.search(text) is not None


def find_lookalike_repairs(text: str) -> list[Repair]:
    """The words of ``text`` that carry lookalike letters, with their repaired spelling, in text order.

    >>> a = "\N{CYRILLIC SMALL LETTER A}"
    >>> [(r.start, r.after) for r in find_lookalike_repairs(f"cre{a}ted {a} plan")]
    [(0, 'created'), (8, 'a')]
    """
    if text.isascii() or not _FOREIGN_RE.search(text):
        return []
    lines = _candidate_lines(text)
    if not lines:
        return []
    # Only the lines that can hold a repair are read word by word: genuine Russian or Greek costs a few
    # regex scans, not a pass per word. Sentences end at line ends, so no context crosses a line.
    words: list[tuple[int, int, str]] = []
    line_of: list[int] = []
    for n, (line_start, line_end) in enumerate(lines):
        for m in _WORD_RE.finditer(text, line_start, line_end):
            words.append((m.start(), m.end(), m.group()))
            line_of.append(n)
    kinds = [_classify(w) for _, _, w in words]
    if "%" in text or "\\" in text:
        # A word glued to a printf directive ("%sThis", "%li" + a unit) or an escape ("\\xHH" with
        # Cyrillic placeholders) is code, not a disguised word.
        for i, (start, _, _) in enumerate(words):
            if _CODE_BEFORE_RE.search(text, max(0, start - 8), start):
                kinds[i] = _NEUTRAL
    # Sentence index of every word, for the context rules; the dot that ends "e.g." or "i.e." does not
    # end a sentence.
    dots = {end - 1 for _, end, w in words if w.endswith(".")}
    ends = [
        m.start()
        for line_start, line_end in lines
        for m in _SENTENCE_END_RE.finditer(text, line_start, line_end + 1)
        if m.start() not in dots
    ]
    sentence_of = _spans_of(words, ends)
    original_kinds = list(kinds)
    foreign_lines = {ln for ln, k in zip(line_of, original_kinds, strict=True) if k == _GENUINE_FOREIGN}

    def contexts() -> tuple[dict[int, int], collections.Counter[int]]:
        latin = collections.Counter(s for s, k in zip(sentence_of, kinds, strict=True) if k == _LATIN_WORD)
        foreign = {s for s, k in zip(sentence_of, kinds, strict=True) if k == _GENUINE_FOREIGN}
        ctx = {s: _FOREIGN_CONTEXT if s in foreign and s not in latin else _NO_CONTEXT for s in foreign}
        for s in latin:
            ctx[s] = _LATIN_CONTEXT if s not in foreign else _NO_CONTEXT
        return ctx, latin

    repairs: dict[int, Repair] = {}
    deferred: list[int] = []  # word indexes decided by their sentence or the document
    # Evidence that the document is spoofed: mixed words repaired to Latin, or from the start two
    # different mixed words that read as known Latin words ("up" and "as" with Greek rho and alpha).
    known_readings = {
        w
        for (_, _, w), k in zip(words, kinds, strict=True)
        if k == _MIXED and is_known_word(_latin_reading(w, True), 2)
    }
    evidence = int(len(known_readings) >= 2)
    ctx, _ = contexts()
    for i, ((start, end, word), kind) in enumerate(zip(words, kinds, strict=True)):
        if kind != _MIXED:
            if kind == _LOOKALIKE_ONLY:
                deferred.append(i)
            continue
        if any(ch in GREEK_SYMBOL_LETTERS for ch in word):
            deferred.append(i)  # depends on the document's evidence
            continue
        fixed, needs_context = _decide_mixed(word, 0, ctx.get(sentence_of[i], _NO_CONTEXT))
        if needs_context:
            deferred.append(i)
        elif fixed is not None and fixed != word:
            repairs[i] = Repair(start, end, word, fixed)
            kinds[i] = _classify(fixed)
            evidence += fixed.isascii()
    # A repaired word counts with its new script as context for the others, and a repair can give context
    # to another word, so decide until nothing changes: then normalizing the output again changes nothing.
    while deferred:
        ctx, latin_counts = contexts()
        undecided: list[int] = []
        for i in deferred:
            start, end, word = words[i]
            s = sentence_of[i]
            fixed = _decide_deferred(
                text,
                start,
                word,
                kinds[i],
                ctx.get(s, _NO_CONTEXT),
                latin_counts[s],
                line_of[i] not in foreign_lines,
                evidence,
            )
            if fixed is not None and fixed != word:
                repairs[i] = Repair(start, end, word, fixed)
                evidence += kinds[i] == _MIXED and fixed.isascii()
                kinds[i] = _classify(fixed)
            else:
                undecided.append(i)
        if len(undecided) == len(deferred):
            break
        deferred = undecided
    return [repairs[i] for i in sorted(repairs)]


def _spans_of(words: list[tuple[int, int, str]], ends: list[int]) -> list[int]:
    """The index of the span (sentence, line) of every word, given the positions where spans end."""
    out: list[int] = []
    span = 0
    for start, _, _ in words:
        while span < len(ends) and ends[span] < start:
            span += 1
        out.append(span)
    return out


def apply_repairs(text: str, repairs: list[Repair]) -> str:
    """Rebuild ``text`` with the repaired words (repairs in text order, not overlapping)."""
    if not repairs:
        return text
    parts: list[str] = []
    pos = 0
    for r in repairs:
        parts.append(text[pos : r.start])
        parts.append(r.after)
        pos = r.end
    parts.append(text[pos:])
    return "".join(parts)


def repair_lookalikes(text: str) -> tuple[str, int]:
    """Repair words written with lookalike letters of another script; return (text, words repaired).

    Text with no Cyrillic or Greek character returns at once, so the common case costs one scan.

    >>> science = "\N{GREEK CAPITAL LETTER DELTA}G A\N{GREEK SMALL LETTER BETA}42 \N{GREEK SMALL LETTER MU}m"
    >>> repair_lookalikes(science) == (science, 0)
    True
    """
    repairs = find_lookalike_repairs(text)
    return apply_repairs(text, repairs), len(repairs)


__all__ = [
    "GREEK_SYMBOL_LETTERS",
    "LATIN_TO_CYRILLIC",
    "LATIN_TO_GREEK",
    "LOOKALIKE_TO_LATIN",
    "Repair",
    "apply_repairs",
    "find_lookalike_repairs",
    "letter_script",
    "may_hold_lookalikes",
    "repair_lookalikes",
]
