"""Word-level, script-aware repair of lookalike letters (Unicode TR39 confusables).

Spammers write ``Bel\N{CYRILLIC SMALL LETTER A}rus`` with a Cyrillic letter so that filters, search and
deduplication miss it. Folding every confusable character (what homoglyph packages do) would wreck
genuine Russian or Greek, so the repair here works on words and looks at their scripts:

- a word mixing Latin letters with Cyrillic or Greek lookalikes becomes Latin when it has at least one
  letter that is Latin only (``cre\N{CYRILLIC SMALL LETTER A}ted`` -> ``created``);
- the mirror case, a Cyrillic or Greek word carrying Latin lookalikes, becomes Cyrillic or Greek
  (Russian "choose" typed with a Latin ``a`` becomes all Cyrillic);
- a word written only in Cyrillic or Greek never changes, except a word made only of lookalike letters
  (``\N{CYRILLIC SMALL LETTER ES}\N{CYRILLIC SMALL LETTER O}\N{CYRILLIC SMALL LETTER ER}``) in a sentence of
  Latin words with no genuine Cyrillic or Greek word, in a document where other words were repaired;
- a word whose every letter has a twin in the other script takes the script of its sentence;
- Greek letters used as symbols stay (``A\N{GREEK SMALL LETTER BETA}42``, ``TNF\N{GREEK SMALL LETTER ALPHA}``,
  ``\N{GREEK SMALL LETTER MU}m``);
- tokens run together are not disguised words and stay: two scripts meeting at a lowercase-to-capital
  boundary (an option letter glued to a Cyrillic placeholder), a word glued to a printf directive or a
  backslash escape, a word with letters of a third script (a run-together language menu).

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

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

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
_FOREIGN_RE = re.compile(f"[{_CYRILLIC}{_GREEK}]")
# A word: letters, with combining marks (stress marks, diacritics) kept inside it.
_WORD_RE = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u0300-\u036f\u0483-\u0489])*")
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
_MIXED_WORD_RE = re.compile(
    f"[{_LATIN_LETTERS}]{_MARKS}[{_CYRILLIC}{_GREEK}]|[{_CYRILLIC}{_GREEK}]{_MARKS}[{_LATIN_LETTERS}]"
)
# Code right before a word: a printf directive ("%", flags, width, precision) or a backslash escape.
_CODE_BEFORE_RE = re.compile(r"(?:%[-+ #0-9.*]*|\\)\Z")
# Sentence ends: words on both sides of one of these are not each other's context.
_SENTENCE_END_RE = re.compile(r"[.!?\n]")

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
    if LATIN in scripts:
        return _MIXED
    if all(ch in LOOKALIKE_TO_LATIN for ch in word if letter_script(ch) != OTHER):
        return _LOOKALIKE_ONLY
    return _GENUINE_FOREIGN


def _to_latin(word: str) -> str:
    return unicodedata.normalize("NFC", "".join(LOOKALIKE_TO_LATIN.get(ch, ch) for ch in word))


def _to_foreign(word: str, mirror: Mapping[str, str]) -> str:
    return unicodedata.normalize("NFC", "".join(mirror.get(ch, ch) for ch in word))


def _decide_mixed(word: str, evidence: int) -> tuple[str | None, bool]:
    """Repair a word mixing Latin with Cyrillic or Greek letters: (new word or None, needs context).

    ``needs context`` is True when every letter is a lookalike of the other script (Cyrillic ``es``, Latin
    ``o``, Cyrillic ``er``): only the sentence around it can tell which script it is.
    """
    foreign = [ch for ch in word if letter_script(ch) in (CYRILLIC, GREEK)]
    latin = [ch for ch in word if letter_script(ch) == LATIN]
    foreign_scripts = {letter_script(ch) for ch in foreign}
    if len(foreign_scripts) != 1:
        return None, False  # Latin + Cyrillic + Greek in one word: no safe reading
    mirror = LATIN_TO_CYRILLIC if CYRILLIC in foreign_scripts else LATIN_TO_GREEK
    foreign_anchors = [ch for ch in foreign if ch not in LOOKALIKE_TO_LATIN]
    latin_anchors = [ch for ch in latin if ch not in mirror]
    if any(ch in GREEK_SYMBOL_LETTERS for ch in foreign):
        # TNF-alpha, gamma-H2AX, IFN-gamma-R: a Greek symbol letter at a word edge is a symbol; inside a
        # word it is repaired only with a second lookalike in the word or other repaired words in the
        # document (re-check on tests/cases/normalize/lookalikes.json before changing).
        letters = [ch for ch in word if letter_script(ch) != OTHER]
        if letters[0] in GREEK_SYMBOL_LETTERS or letters[-1] in GREEK_SYMBOL_LETTERS:
            return None, False
        if len(foreign) < 2 and evidence == 0:
            return None, False
    if not foreign_anchors and latin_anchors:
        return _to_latin(word), False
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
    word: str, kind: int, sentence: int, latin_sentences: set[int], foreign_sentences: set[int], evidence: int
) -> str | None:
    """Decide a word that depends on its sentence or on the document's evidence of spoofing."""
    latin_context = sentence in latin_sentences and sentence not in foreign_sentences
    if kind == _LOOKALIKE_ONLY:
        # Only with evidence of spoofing elsewhere, inside a sentence of Latin words; never a single
        # Greek symbol letter standing alone ("the alpha subunit").
        symbol = len(word) == 1 and word in GREEK_SYMBOL_LETTERS
        return _to_latin(word) if evidence and latin_context and not symbol else None
    fixed, needs_context = _decide_mixed(word, evidence)
    if not needs_context:
        return fixed
    if latin_context:
        return _to_latin(word)
    if sentence in foreign_sentences and sentence not in latin_sentences and not word.isupper():
        # Capitals-only words stay: Latin acronyms (PNG, GNU) are common inside Cyrillic and Greek text.
        script = {letter_script(ch) for ch in word} - {LATIN, OTHER}
        return _to_foreign(word, LATIN_TO_CYRILLIC if CYRILLIC in script else LATIN_TO_GREEK)
    return None


def find_lookalike_repairs(text: str) -> list[Repair]:
    """The words of ``text`` that carry lookalike letters, with their repaired spelling, in text order.

    >>> a = "\N{CYRILLIC SMALL LETTER A}"
    >>> [(r.start, r.after) for r in find_lookalike_repairs(f"cre{a}ted {a} plan")]
    [(0, 'created'), (8, 'a')]
    """
    if text.isascii() or not _FOREIGN_RE.search(text) or not _MIXED_WORD_RE.search(text):
        return []
    words = [(m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(text)]
    kinds = [_classify(w) for _, _, w in words]
    if "%" in text or "\\" in text:
        # A word glued to a printf directive ("%sThis", "%li" + a unit) or an escape ("\\xHH" with
        # Cyrillic placeholders) is code, not a disguised word.
        for i, (start, _, _) in enumerate(words):
            if _CODE_BEFORE_RE.search(text, max(0, start - 8), start):
                kinds[i] = _NEUTRAL
    # Sentence index of every word, for the context rules.
    ends = [m.start() for m in _SENTENCE_END_RE.finditer(text)]
    sentence_of: list[int] = []
    sentence = 0
    for start, _, _ in words:
        while sentence < len(ends) and ends[sentence] < start:
            sentence += 1
        sentence_of.append(sentence)
    repairs: dict[int, Repair] = {}
    deferred: list[int] = []  # word indexes decided by their sentence or the document
    evidence = 0  # mixed words repaired to Latin: the document is spoofed
    for i, ((start, end, word), kind) in enumerate(zip(words, kinds, strict=True)):
        if kind != _MIXED:
            if kind == _LOOKALIKE_ONLY:
                deferred.append(i)
            continue
        if any(ch in GREEK_SYMBOL_LETTERS for ch in word):
            deferred.append(i)  # depends on the document's evidence
            continue
        fixed, needs_context = _decide_mixed(word, evidence=0)
        if needs_context:
            deferred.append(i)
        elif fixed is not None and fixed != word:
            repairs[i] = Repair(start, end, word, fixed)
            kinds[i] = _classify(fixed)
            evidence += fixed.isascii()
    # A repaired word counts with its new script as context for the others, and a repair can give context
    # to another word, so decide until nothing changes: then normalizing the output again changes nothing.
    while deferred:
        latin_sentences = {s for s, k in zip(sentence_of, kinds, strict=True) if k == _LATIN_WORD}
        foreign_sentences = {s for s, k in zip(sentence_of, kinds, strict=True) if k == _GENUINE_FOREIGN}
        undecided: list[int] = []
        for i in deferred:
            start, end, word = words[i]
            fixed = _decide_deferred(word, kinds[i], sentence_of[i], latin_sentences, foreign_sentences, evidence)
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
    "repair_lookalikes",
]
