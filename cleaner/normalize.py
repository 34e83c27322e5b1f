"""The normalize stage: repair mojibake, entities, lookalike letters, invisible characters and spaces.

Scraped text arrives with UTF-8 read as cp1252 (``\N{LATIN CAPITAL LETTER A WITH CIRCUMFLEX}\N{EURO SIGN}``),
HTML entities in plain text, Latin words written with Cyrillic lookalike letters, zero-width and bidi
characters, and a zoo of Unicode spaces. Each fixer below changes only what it must, and reports what it
changed as an :class:`~cleaner.record.Edit` (fixer name, count, up to three examples):

==========================  =====================================================================
fixer                       what it does
==========================  =====================================================================
``html_entities``           ``&amp;`` ``&#233;`` ``&#x414;`` -> characters (only complete entities)
``ftfy.fix_encoding``       mojibake, through ftfy with an explicit encoding-only TextFixerConfig
``ftfy.<fixer>``            ftfy's other encoding-level fixers (surrogates, terminal escapes)
``invisibles``              zero-width, bidi controls, soft hyphens, BOMs, C0/C1 controls, VT in a word
``spaces``                  no-break, thin, em, ideographic ... spaces -> ASCII space
``line_breaks``             CR LF, CR, U+2028, U+2029, vertical tab, form feed -> ``\\n``
``nfc``                     Unicode NFC
``lookalikes``              Latin words carrying Cyrillic or Greek lookalikes (cleaner.homoglyphs)
==========================  =====================================================================

Typography stays: curly quotes, guillemets, dashes, ellipses and apostrophes are never straightened.
Speed comes from gates: ASCII text with nothing suspicious returns at once; other text goes through one
regex (``_ANYTHING_RE``) for everything but entities, and clean text stops there; otherwise one scan tells
which fixers have characters to act on, and ftfy only sees the lines where a UTF-8 sequence decodes in one
of ftfy's encodings (``gate_search``) and its badness test (behind a prefilter read from the text of its
pattern, ``_badness_prefilter``) agrees. Every scan is one class of Basic Multilingual Plane characters
(a one-step test per character in the regex engine); astral characters are collected apart, in the texts
that have any. In Cyrillic and Greek text the prefilter's rare places are the starting points, since
nearly every letter there is a UTF-8 lead byte in cp1251 or cp1253.

>>> mojibake = "caf\N{LATIN CAPITAL LETTER A WITH TILDE}\N{COPYRIGHT SIGN}"
>>> text, edits = normalize_text(mojibake + " &amp; cr\N{CYRILLIC SMALL LETTER IE}me")
>>> text
'café & creme'
>>> [(e.fixer, e.count) for e in edits]
[('html_entities', 1), ('ftfy.fix_encoding', 1), ('lookalikes', 1)]
"""

from __future__ import annotations

import html
import importlib.util
import itertools
import re
import sys
import unicodedata
from collections.abc import Callable, Generator, Iterable, Iterator
from html.entities import html5 as html5_entities
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cleaner.cache import blake2b, compiled, derived
from cleaner.config import NormalizeConfig
from cleaner.homoglyphs import (
    CYRILLIC,
    GREEK,
    apply_repairs,
    find_lookalike_repairs,
    has_astral,
    letter_script,
    script_counts,
    text_sample,
)
from cleaner.record import Document, Edit
from cleaner.stage import RECORDS_UNREAD

# ftfy is imported where it is used, not with this module: a process whose texts no gate sends to ftfy never
# pays its import (15-30 ms, a third of this module's), and the tables derived from it come from the cache.
# ftfy's import registers the sloppy-windows-* codecs (``ftfy.bad_codecs``) that its fixers and the gate use.
if TYPE_CHECKING:
    import ftfy


FTFY_CONFIG: ftfy.TextFixerConfig  # the module's attribute, set on first use (``_ftfy_config``)


def __getattr__(name: str) -> Any:
    if name == "FTFY_CONFIG":
        return _ftfy_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _ftfy_config() -> ftfy.TextFixerConfig:
    """``FTFY_CONFIG``, built with ftfy's first import (a test may set the module's attribute)."""
    config = globals().get("FTFY_CONFIG")
    if config is None:
        config = globals()["FTFY_CONFIG"] = _new_ftfy_config()
    return config


def _new_ftfy_config() -> ftfy.TextFixerConfig:
    # ftfy with datatrove's reasoning (fix encodings, enforce no formatting) minus what this module does
    # itself: entities (ftfy's "auto" stops unescaping after the first line with "<"), control characters and
    # line breaks. Passed as a config object, never as keyword arguments, so that every option is honoured.
    import ftfy

    return ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=True,
        fix_encoding=True,
        restore_byte_a0=True,
        replace_lossy_sequences=True,
        decode_inconsistent_utf8=True,
        fix_c1_controls=True,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,  # ftfy's default straightens curly quotes: keep typography
        fix_line_breaks=False,
        fix_surrogates=True,
        remove_control_chars=False,
        normalization=None,
        explain=True,
    )


MAX_EXAMPLES = 3
# Rounds of the whole fixer chain: a repair can expose another (``&amp;eacute;`` -> ``&eacute;`` -> e-acute;
# removing a zero-width space can complete an entity). Rounds stop at the first one that changes nothing;
# the cap only guards against a cycle. The idempotence property tests check that the result is a fixed point.
MAX_ROUNDS = 4


def _derived_key() -> str | None:
    """The key of the tables this module derives at import (the gates' patterns, the characters that
    can make a text not NFC): this file's text and what the tables are read from (ftfy's patterns and
    code pages, Python's Unicode database and codecs). None where a file cannot be read: no cache.
    ftfy's side is the text of its files that hold them (found, not imported: the version is in
    ``__init__.py``), so that a process with the tables cached need not import ftfy."""
    spec = importlib.util.find_spec("ftfy")
    if spec is None or spec.origin is None:
        return None
    package = Path(spec.origin).parent
    ftfy_files = ("__init__.py", "chardata.py", "badness.py", "bad_codecs/sloppy.py")
    try:
        texts = [Path(__file__).read_bytes(), *((package / name).read_bytes() for name in ftfy_files)]
    except (OSError, TypeError):
        return None
    versions = "\0".join((unicodedata.unidata_version, sys.version)).encode()
    return blake2b(b"\0".join([*texts, versions]), digest_size=12).hexdigest()


_DERIVED_KEY = _derived_key()


def _derived(name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` through cleaner's cache (``cleaner.cache.derived``): deriving this module's
    tables took about 30 ms of CPU at every start (the NFC characters 18, the gates' patterns
    and the badness prefilters' class weights the rest); read back, well under a millisecond.
    tests/test_normalize_gates.py checks that the cached tables equal the derived ones."""
    return compute() if _DERIVED_KEY is None else derived(f"normalize-{name}", _DERIVED_KEY, compute)


def _mojibake_gate() -> tuple[re.Pattern[str], re.Pattern[str], str, str]:
    """One regex that finds every place ftfy could repair: a UTF-8 lead byte followed by as many
    continuation bytes as its sequence needs, as decoded by the single-byte encodings ftfy tries, plus the
    altered and lossy variants ftfy restores (a no-break space turned into a space, a byte lost to U+FFFD
    or ``?``), C1 controls, surrogates and terminal escapes. The classes mix encodings (a superset);
    ``gate_search`` then checks each match in one encoding. A line without a match skips ftfy."""
    leads: dict[int, set[str]] = {2: set(), 3: set(), 4: set()}
    continuations: set[str] = set()
    # Lead bytes of ftfy.chardata.ALTERED_UTF8_RE (byte 0xA0 replaced by a space), outside MacRoman.
    a0_after_2: set[str] = set()  # C2 C3 C5 CE D0 D9, then a space
    a0_after_3_space_first: set[str] = set()  # E2 E3, then a space and a continuation
    a0_after_3_space_second: set[str] = set()  # E0-E3, then a continuation and a space
    import ftfy

    for encoding in ftfy.chardata.CHARMAP_ENCODINGS:
        for byte in range(0x80, 0xF5):
            ch = bytes([byte]).decode(encoding, errors="ignore")
            if not ch:
                continue
            if byte <= 0xBF:
                continuations.add(ch)
            elif byte >= 0xC2:
                leads[2 if byte <= 0xDF else 3 if byte <= 0xEF else 4].add(ch)
            if encoding == "macroman":
                continue
            if byte in (0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9):
                a0_after_2.add(ch)
            if byte in (0xE2, 0xE3):
                a0_after_3_space_first.add(ch)
            if 0xE0 <= byte <= 0xE3:
                a0_after_3_space_second.add(ch)

    def cls(chars: set[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    singles = "[\x80-\x9f\ud800-\udfff\x1b]"
    cont = cls(continuations)
    cont_or_lost = "[" + cont[1:-1] + "\ufffd\x1a?]"
    cont_lost_or_space = "[" + cont[1:-1] + "\ufffd\x1a? ]"
    all_leads = leads[2] | leads[3] | leads[4]
    # One class first, the branch-specific checks after it: a pattern that starts with a class lets the
    # regex engine skip to candidate characters in C (an alternation of classes is tried at every position,
    # four times slower on clean non-ASCII text).
    first = "[" + cls(all_leads)[1:-1] + singles[1:-1] + "]"
    branches = (
        f"(?<={cls(leads[2])}){cont_or_lost}"
        f"|(?<={cls(leads[3])}){cont_or_lost}{cont_or_lost}"
        f"|(?<={cls(leads[4])}){cont_lost_or_space}{{3}}"
        f"|(?<={cls(a0_after_2)}) "
        f"|(?<={cls(a0_after_3_space_first)}) {cont}"
        f"|(?<={cls(a0_after_3_space_second)}){cont} "
        f"|(?<={singles})"
    )
    by_lead = re.compile(f"{first}(?:{branches})")
    # The same places found from the character after the lead: in Cyrillic or Greek text nearly every
    # letter is a lead in cp1251 or cp1253, and continuations (guillemets, dashes, yo) are rarer. A match
    # starts at the lead, one or two characters before it (``gate_search`` tries each).
    lost = "[\ufffd\x1a?]"
    first_cont = "[" + cont[1:-1] + lost[1:-1] + cls(a0_after_2)[1:-1] + singles[1:-1] + "]"
    by_continuation = re.compile(
        f"{first_cont}(?:"
        f"(?<={cls(leads[2])}{first_cont})(?<={cont_or_lost})"
        f"|(?<={cls(leads[3])}{first_cont})(?<={cont_or_lost}){cont_or_lost}"
        f"|(?<={cls(leads[4])}{first_cont})(?<={cont_or_lost}){cont_lost_or_space}{{2}}"
        f"|(?<={cls(leads[4])} {first_cont})(?<={cont}){cont_lost_or_space}"
        f"|(?<={cls(a0_after_2)}) "
        f"|(?<={cls(a0_after_3_space_first)} {first_cont})(?<={cont})"
        f"|(?<={cls(a0_after_3_space_second)}{first_cont})(?<={cont}) "
        f"|(?<={singles}))"
    )
    return by_lead, by_continuation, first, branches


def _mojibake_gate_sources() -> list[str]:
    """The gate's two patterns' texts and its first class and branches (what the cache keeps)."""
    by_lead, by_continuation, first, branches = _mojibake_gate()
    return [by_lead.pattern, by_continuation.pattern, first, branches]


_GATE_SOURCES = _derived("gate", _mojibake_gate_sources)
MOJIBAKE_GATE, _MOJIBAKE_GATE_BY_CONTINUATION = compiled(_GATE_SOURCES[0]), compiled(_GATE_SOURCES[1])
_GATE_FIRST, _GATE_BRANCHES = _GATE_SOURCES[2], _GATE_SOURCES[3]


class _Lead(NamedTuple):
    """A character that is a UTF-8 lead byte in one of ftfy's encodings, and what must follow it there
    (a named tuple: hundreds are built at import, where frozen dataclasses cost a millisecond or two)."""

    byte: int  # the lead byte it stands for
    length: int  # bytes of the UTF-8 sequence it starts: 2, 3 or 4
    continuations: frozenset[str]  # the encoding's characters for bytes 0x80-0xBF
    restores_a0: bool  # ftfy restores a lost 0xA0 byte (a space) in this encoding: all but MacRoman
    lossy: bool  # ftfy replaces lost bytes (U+FFFD, "?") in this encoding: the sloppy codecs


def _gate_encodings() -> list[list[Any]]:
    """Per encoding of ftfy's, in its order: its characters for bytes 0x80-0xBF (continuations), its
    characters for the lead bytes 0xC2-0xF4 with each one's byte, and whether it restores a lost 0xA0
    byte and is lossy (see ``_Lead``): what the cache keeps of ``_gate_leads``."""
    import ftfy

    encodings: list[list[Any]] = []
    for encoding in ftfy.chardata.CHARMAP_ENCODINGS:
        chars = {byte: bytes([byte]).decode(encoding, errors="ignore") for byte in range(0x80, 0xF5)}
        continuations = "".join(sorted({ch for byte, ch in chars.items() if ch and byte <= 0xBF}))
        leads = [[ch, byte] for byte, ch in chars.items() if ch and byte >= 0xC2]
        encodings.append([continuations, leads, encoding != "macroman", encoding.startswith("sloppy")])
    return encodings


def _gate_leads(encodings: list[list[Any]]) -> dict[str, tuple[_Lead, ...]]:
    leads: dict[str, list[_Lead]] = {}
    for continuation_chars, lead_chars, restores_a0, lossy in encodings:
        continuations = frozenset(continuation_chars)
        for ch, byte in lead_chars:
            length = 2 if byte <= 0xDF else 3 if byte <= 0xEF else 4
            leads.setdefault(ch, []).append(_Lead(byte, length, continuations, restores_a0, lossy))
    return {ch: tuple(found) for ch, found in leads.items()}


_GATE_LEADS_SOURCE = _derived("leads", _gate_encodings)
_GATE_LEADS = _gate_leads(_GATE_LEADS_SOURCE)
_LOST = "\N{REPLACEMENT CHARACTER}\x1a?"
_GATE_SINGLES = compiled("[\x80-\x9f\ud800-\udfff\x1b]")


def _could_decode(text: str, start: int) -> bool:
    """True when the characters from ``start`` could be one UTF-8 sequence read in one of ftfy's encodings:
    a lead and as many continuations as its length needs, in the same encoding, where ftfy may also take a
    space for a lost 0xA0 byte (outside MacRoman, in the shapes of ``ftfy.chardata.ALTERED_UTF8_RE``) and
    U+FFFD or "?" for a lost byte (sloppy codecs, ``LOSSY_UTF8_RE``).

    The gate's classes mix encodings (a Latin-1 lead before a MacRoman continuation: Portuguese "cao" with
    its cedilla and tilde), take any lead before a space (an en dash in MacRoman) and a three-byte lead
    before one continuation (Russian "l" + "yo" + "n" in cp1251); ftfy repairs none of these.
    """
    following = text[start + 1 : start + 4]
    for lead in _GATE_LEADS.get(text[start], ()):
        needed = following[: lead.length - 1]
        if len(needed) < lead.length - 1:
            continue
        ok = [c in lead.continuations for c in needed]
        if all(ok):
            return True
        if lead.lossy and all(o or c in _LOST for o, c in zip(ok, needed, strict=True)):
            return True
        if lead.restores_a0 and needed.count(" ") == 1 and all(o or c == " " for o, c in zip(ok, needed, strict=True)):
            space = needed.index(" ")
            if lead.length == 2 and lead.byte in (0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9):
                return True
            if lead.length == 3 and (
                (space == 0 and lead.byte in (0xE2, 0xE3)) or (space == 1 and 0xE0 <= lead.byte <= 0xE3)
            ):
                return True
            if lead.length == 4 and lead.byte == 0xF0:
                return True
    return False


def gate_search(text: str, pos: int = 0) -> int:
    """The position of the first place at or after ``pos`` where ftfy could repair ``text``, or -1.

    >>> gate_search("caf\N{LATIN CAPITAL LETTER A WITH TILDE}\N{COPYRIGHT SIGN}")
    3
    >>> gate_search("na\N{LATIN SMALL LETTER C WITH CEDILLA}\N{LATIN SMALL LETTER A WITH TILDE}o \N{EN DASH} x")
    -1
    """
    gate = MOJIBAKE_GATE
    sample = text[pos : pos + 400]
    if sum(script_counts(sample)) * 4 > len(sample):
        gate = _MOJIBAKE_GATE_BY_CONTINUATION
    while (match := gate.search(text, pos)) is not None:
        start = match.start()
        if _GATE_SINGLES.match(text, start):
            return start
        if gate is MOJIBAKE_GATE:
            if _could_decode(text, start):
                return start
        else:
            for lead in (start, start - 1, start - 2):
                if lead >= 0 and _could_decode(text, lead):
                    return lead
        pos = start + 1
    return -1


# ASCII text needs work only for controls (including CR and escapes) and entities.
_ENTITY_START_RE = re.compile(r"&(?:#[0-9xX]|[A-Za-z][A-Za-z0-9]{1,31};)")


# The ASCII characters that need nothing: the printable ones, tab and newline.
_ASCII_PLAIN = bytes(range(0x20, 0x7F)) + b"\t\n"


def _ascii_needs_nothing(text: str) -> bool:
    """True for ASCII text without controls (tab and newline aside) or entities: the fast path.

    ``in`` and ``bytes.translate`` run at memory speed, several times faster than one regex
    scan: the text's bytes with the plain ones deleted leave its controls (0.13 -> 0.03 CPU-s
    over the 30 MB text dump, against replacing tab and newline by spaces for
    ``str.isprintable``, which made two copies).

    >>> _ascii_needs_nothing("a\\tb\\n"), _ascii_needs_nothing("a\\rb"), _ascii_needs_nothing("a\\x7fb")
    (True, False, False)
    """
    if not text.isascii():
        return False
    if "&" in text and _ENTITY_START_RE.search(text):
        return False
    return not text.encode("ascii").translate(None, _ASCII_PLAIN)


# Complete entities only: "AT&T" and "&para" without a semicolon stay as written.
_ENTITY_RE = compiled(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# Always removed. C0 controls except tab and line breaks, DEL, C1 controls except NEL (a line break),
# soft hyphen, Arabic letter mark, LRM/RLM, bidi embeddings/overrides/isolates, invisible
# math operators and word joiner, deprecated format characters, BOM/zero-width no-break space, interlinear
# annotation characters, the object replacement character (a placeholder ftfy removes too).
_INVISIBLE_CLASS = (
    "\x00-\x08\x0e-\x1f\x7f\x80-\x84\x86-\x9f"
    "\N{SOFT HYPHEN}"
    "\N{ARABIC LETTER MARK}"
    "\N{LEFT-TO-RIGHT MARK}\N{RIGHT-TO-LEFT MARK}"
    "\N{LEFT-TO-RIGHT EMBEDDING}-\N{RIGHT-TO-LEFT OVERRIDE}"
    "\N{WORD JOINER}-\N{INVISIBLE PLUS}"
    "\N{LEFT-TO-RIGHT ISOLATE}-\N{POP DIRECTIONAL ISOLATE}"
    "\N{INHIBIT SYMMETRIC SWAPPING}-\N{NOMINAL DIGIT SHAPES}"
    "\N{ZERO WIDTH NO-BREAK SPACE}"
    "\N{INTERLINEAR ANNOTATION ANCHOR}-\N{OBJECT REPLACEMENT CHARACTER}"
)
_INVISIBLE_RE = compiled(f"[{_INVISIBLE_CLASS}]")
# A vertical tab inside a word ("Dow" VT "nload", a form field's line break pasted into text) is removed,
# as ftfy removes every vertical tab; between lines or words it stays a line break (see line_breaks).
_VT_IN_WORD_RE = re.compile(r"(?<=\w)\x0b+(?=\w)")
# Removed unless their neighbours need them (see _keep_contextual).
_CONTEXTUAL_CHARS = "\N{ZERO WIDTH SPACE}\N{ZERO WIDTH NON-JOINER}\N{ZERO WIDTH JOINER}"
_CONTEXTUAL_RE = re.compile(f"[{_CONTEXTUAL_CHARS}]")
# Scripts written without spaces between words, where a zero-width space marks the word boundary.
_NO_SPACE_SCRIPT_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer Symbols
)

# Scripts whose spelling needs ZWNJ/ZWJ (Persian, Urdu, Syriac, N'Ko, the Indic scripts, Tibetan,
# Myanmar, Khmer, Mongolian): a joiner next to one of their characters is kept.
_JOINING_SCRIPT_RANGES = (
    (0x0600, 0x08FF),  # Arabic, Syriac, Arabic Supplement, Thaana, N'Ko, Samaritan, Mandaic, Arabic Ext
    (0x0900, 0x0DFF),  # Devanagari .. Sinhala
    (0x0F00, 0x0FFF),  # Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x18AF),  # Khmer, Mongolian
    (0xA8E0, 0xA8FF),  # Devanagari Extended
    (0xFB50, 0xFDFF),  # Arabic Presentation Forms-A
    (0xFE70, 0xFEFE),  # Arabic Presentation Forms-B
)

_SPACE_CLASS = (
    "\N{NO-BREAK SPACE}\N{OGHAM SPACE MARK}\N{EN QUAD}-\N{HAIR SPACE}"
    "\N{NARROW NO-BREAK SPACE}\N{MEDIUM MATHEMATICAL SPACE}\N{IDEOGRAPHIC SPACE}"
)
_SPACE_RE = compiled(f"[{_SPACE_CLASS}]")
_LINE_BREAK_RE = compiled("\r\n?|[\x0b\x0c\x85\N{LINE SEPARATOR}\N{PARAGRAPH SEPARATOR}]")
# A character class alone scans several times faster than the alternation above: search with it first.
_LINE_BREAK_CLASS = "\r\x0b\x0c\x85\N{LINE SEPARATOR}\N{PARAGRAPH SEPARATOR}"
_LINE_BREAK_CHAR_RE = compiled(f"[{_LINE_BREAK_CLASS}]")


def _char_label(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class EditLog:
    """Collects counts and a few examples per fixer, in the order fixers first fire."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.examples: dict[str, list[str]] = {}

    def add(self, fixer: str, count: int, examples: Iterable[str] = ()) -> None:
        if count <= 0:
            return
        self.counts[fixer] = self.counts.get(fixer, 0) + count
        kept = self.examples.setdefault(fixer, [])
        for example in examples:
            if len(kept) >= MAX_EXAMPLES:
                break
            if example not in kept:
                kept.append(example)

    def to_list(self) -> list[Edit]:
        return [Edit(f, c, tuple(self.examples[f])) for f, c in self.counts.items()]


def unescape_entities(text: str, edits: EditLog) -> str:
    """Replace complete HTML entities (``&amp;``, ``&#233;``, ``&#x414;``) by their characters.

    >>> unescape_entities("AT&T &amp; &#x414;&#1072; &para &notin; &notanentity;", EditLog())
    'AT&T & Да &para ∉ &notanentity;'
    """
    if "&" not in text:
        return text
    examples: list[str] = []
    count = 0

    def one(match: re.Match[str]) -> str:
        nonlocal count
        entity = match.group()
        # Named entities by exact name: html.unescape would read "&notanentity;" as "&not" + "anentity;".
        char = html.unescape(entity) if entity[1] == "#" else html5_entities.get(entity[1:], entity)
        if char != entity:
            count += 1
            if len(examples) < MAX_EXAMPLES:
                examples.append(f"{entity} -> {char}")
        return char

    out = _ENTITY_RE.sub(one, text)
    edits.add("html_entities", count, examples)
    return out


def _ftfy_fixer_name(steps: list[ftfy.ExplanationStep] | None) -> str:
    for kind, detail in steps or ():
        if kind in ("encode", "decode", "transcode") or detail == "decode_inconsistent_utf8":
            return "ftfy.fix_encoding"
    for kind, detail in steps or ():
        if kind == "apply":
            return f"ftfy.{detail}"
    return "ftfy.fix_encoding"


_ASCII_LETTER_RE = re.compile("[A-Za-z]")


# With FTFY_CONFIG, ftfy changes a line only through these characters or when its badness heuristic
# fires: its encoding repair starts with ``is_bad`` and every other enabled fixer needs one of them.
_FTFY_DIRECT_RE = _GATE_SINGLES  # the gate's single characters are these: one pattern, compiled once


def _char_weight(ch: str) -> int:
    """How common a character is in clean text, roughly: ASCII, then Cyrillic letters and everyday
    punctuation, then accented Latin and Greek letters, then the rest."""
    code = ord(ch)
    if code < 0x80:
        return 1_000_000
    if 0x0410 <= code <= 0x044F or ch in "\N{CYRILLIC CAPITAL LETTER IO}\N{CYRILLIC SMALL LETTER IO}":
        return 10_000
    if ch in "\xa0\xab\xbb\u2013\u2014\u2018\u2019\u201c\u201d\u201e\u2022\u2026\u20ac\u2116":
        return 10_000
    if 0xC0 <= code <= 0x24F or 0x0391 <= code <= 0x03C9:
        return 100
    return 1


def _verbose_alternatives(pattern: str) -> list[list[tuple[str, bool]]] | None:
    """The top-level alternatives of a verbose regex made of character classes, single characters, class
    escapes, ``.``, ``^`` and ``?``, each as a list of (character class, optional): ftfy's ``BADNESS_RE``
    has that shape. None when the pattern uses anything else (a group, a repeat), which the prefilter
    below cannot cut."""
    alternatives: list[list[tuple[str, bool]]] = [[]]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            end = pattern.find("\n", i)
            i = len(pattern) if end == -1 else end
        elif ch == "|":
            alternatives.append([])
            i += 1
        elif ch == "[":
            end = i + 1
            if pattern[end : end + 1] == "^":
                end += 1
            end += 1  # a "]" first in the class is a literal
            while end < len(pattern) and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            if end >= len(pattern):
                return None
            alternatives[-1].append((pattern[i : end + 1], False))
            i = end + 1
        elif ch == "\\":
            escape = pattern[i : i + 2]
            if escape[1:] in ("x", "u"):
                width = 4 if escape[1] == "x" else 6
                escape = pattern[i : i + width]
            elif not (escape[1:] in ("s", "w", "d") or (escape[1:] and not escape[1:].isalnum())):
                return None
            alternatives[-1].append(("[" + escape + "]", False))
            i += len(escape)
        elif ch == ".":
            alternatives[-1].append(("[^\\n]", False))
            i += 1
        elif ch == "^":
            alternatives[-1].append(("", True))  # an anchor: no character, and nothing adjacent across it
            i += 1
        elif ch == "?":
            if not alternatives[-1] or alternatives[-1][-1][1]:
                return None
            alternatives[-1][-1] = (alternatives[-1][-1][0], True)
            i += 1
        elif ch in "()*+{}$":
            return None
        else:
            alternatives[-1].append(("[" + re.escape(ch) + "]", False))
            i += 1
    return alternatives


def _badness_prefilter(
    badness: re.Pattern[str], also: str = "", weights: dict[str, int] | None = None
) -> re.Pattern[str] | None:
    """A cheap regex that matches wherever ``badness`` (ftfy's ``BADNESS_RE``) does, and rarely elsewhere.

    ``BADNESS_RE`` is an alternation of short sequences of character classes, tried at every position:
    slow on long clean lines. Each alternative is cut to two of its adjacent characters, anchored on the
    rarer one in clean text (a box-drawing or currency sign, an accented capital, then a Cyrillic capital
    or guillemet) and checked against the other, or to one character where it has no two. The cut
    alternatives go into one regex that starts with a single class of the anchors, which the regex engine
    scans in C. A line it does not match cannot be bad. Read from the public pattern text at import (no
    private ``re`` module), with the shape ``_verbose_alternatives`` knows; None (no prefilter) for any
    other shape. tests/test_normalize.py checks it against ``is_bad`` on random strings of the characters
    ``BADNESS_RE`` names. ``also``: the body of a class of characters that match by themselves.
    ``weights``: the classes' weights found by an earlier call on the same pattern, filled in as
    they are found (each is a regex compiled and run over the probe: 10 ms of the module's import).
    """
    alternatives = _verbose_alternatives(badness.pattern)
    if alternatives is None or not badness.flags & re.VERBOSE:
        return None
    codes = (*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x370, 0x460), *range(0x2010, 0x2130))
    probe = "".join(map(chr, codes))
    probe_weights = {ch: _char_weight(ch) for ch in probe}
    if weights is None:
        weights = {}

    def weight(cls: str) -> int:
        if cls not in weights:  # a class matches one character: findall lists the probe characters it matches
            pattern = re.compile(cls, badness.flags & ~re.VERBOSE)
            weights[cls] = sum(probe_weights[ch] for ch in pattern.findall(probe))
        return weights[cls]

    anchors: list[str] = []
    # After the anchor is read, by kind: the other character comes next (a class the regex engine tests
    # before entering the branch), or came before it (a lookbehind), or there is none (the anchor alone).
    after: list[str] = []
    before: list[tuple[str, str]] = []
    alone: list[str] = [f"[{also}]"] if also else []
    try:
        for elements in alternatives:
            singles = [(weight(cls), cls) for cls, optional in elements if not optional]
            pairs = [
                (sorted((weight(a), weight(b))), a, b)
                for (a, a_optional), (b, b_optional) in itertools.pairwise(elements)
                if not a_optional and not b_optional
            ]
            if pairs:
                _, first, second = min(pairs)
                if weight(first) <= weight(second):
                    anchors.append(first)
                    after.append(f"{second}(?<={first}{second})")
                else:
                    anchors.append(second)
                    before.append((first, second))
            elif singles:
                _, cls = min(singles)
                anchors.append(cls)
                alone.append(cls)
            else:
                return None
        anchors += alone[:1] if also else []
        if any(cls.startswith("[^") for cls in anchors + alone):
            return None  # a negated class cannot join a union
        # Each anchor found in clean text fails every branch: the branches that start with a class are
        # skipped at the cost of one test, and the lookbehinds are tried behind one test of their union.
        checks = list(after)
        if alone:
            checks.append("(?<=[" + "".join(cls[1:-1] for cls in alone) + "])")
        if before:
            behind = "|".join(f"(?<={first}{second})" for first, second in before)
            firsts = [first for first, _ in before]
            if any(first.startswith("[^") for first in firsts):
                checks.append(behind)
            else:
                checks.append("(?<=[" + "".join(first[1:-1] for first in firsts) + "][\\s\\S])(?:" + behind + ")")
        union = "[" + "".join(cls[1:-1] for cls in anchors) + "]"
        return re.compile(f"{union}(?:{'|'.join(checks)})")
    except re.error:
        return None


def _prefilter_sources() -> list[str | int | None]:
    """The two prefilters' pattern texts (None: no prefilter), what the cache keeps: the first for
    ``BADNESS_RE`` alone, the second with the characters ftfy acts on directly (``_FTFY_DIRECT_RE``); then
    the most characters one match of ``BADNESS_RE`` spans (an anchor counted as one; None: unknown)."""
    import ftfy

    weights: dict[str, int] = {}  # shared by the two
    plain = _badness_prefilter(ftfy.badness.BADNESS_RE, weights=weights)
    direct = _badness_prefilter(ftfy.badness.BADNESS_RE, _FTFY_DIRECT_RE.pattern[1:-1], weights)
    alternatives = _verbose_alternatives(ftfy.badness.BADNESS_RE.pattern)
    longest = None if alternatives is None else max(map(len, alternatives))
    return [*(None if found is None else found.pattern for found in (plain, direct)), longest]


_PREFILTER_SOURCES = _derived("prefilters", _prefilter_sources)
_BADNESS_PREFILTER = None if _PREFILTER_SOURCES[0] is None else compiled(_PREFILTER_SOURCES[0])
_BADNESS_LONGEST: int | None = _PREFILTER_SOURCES[2]
# The prefilter and the characters ftfy acts on directly, in one scan: where ``_mojibake_hits`` starts from
# in Cyrillic and Greek text.
_FTFY_HIT_RE = None if _PREFILTER_SOURCES[1] is None else compiled(_PREFILTER_SOURCES[1])


def _ftfy_could_change(line: str) -> bool:
    """The exact gate of one line: a C1 control, surrogate or escape, or a UTF-8 sequence that decodes in
    one of ftfy's encodings (``gate_search``) where ftfy's own ``is_bad`` fires (it costs a quarter of a
    full ``fix_and_explain``; the badness prefilter skips it on lines where it cannot fire)."""
    if _FTFY_DIRECT_RE.search(line):
        return True
    return _is_bad(line) and gate_search(line) >= 0


def _is_bad(line: str) -> bool:
    """``ftfy.badness.is_bad(line)``, with ``BADNESS_RE`` tried only around the places the prefilter finds:
    every match of it holds one, and is at most ``_BADNESS_LONGEST`` characters long (the regex has no
    lookaround, and ``^`` matches only at the line's start). ``BADNESS_RE`` is slow on long lines."""
    import ftfy

    if _BADNESS_PREFILTER is None or _BADNESS_LONGEST is None:
        return ftfy.badness.is_bad(line)
    pos = 0
    while (match := _BADNESS_PREFILTER.search(line, pos)) is not None:
        start = match.start()
        if ftfy.badness.BADNESS_RE.search(line, max(0, start - _BADNESS_LONGEST), start + _BADNESS_LONGEST + 1):
            return True
        pos = start + 1
    return False


def _letter_scripts(text: str) -> set[str]:
    # Modifier letters (the Ukrainian apostrophe U+02BC) belong to no script of their own.
    return {letter_script(ch) for ch in text if ch.isalpha() and unicodedata.category(ch) != "Lm"}


def _changes_a_script(line: str, fixed: str) -> bool:
    """True when a line written in Cyrillic or Greek alone would come out with letters of another script.

    ftfy reads some genuine Cyrillic pairs as cp1251 mojibake (Cyrillic a followed by Ukrainian capital
    GHE WITH UPTURN decodes to a Devanagari letter). Real cp1251 or cp1253 mojibake of Russian or Greek
    decodes back to the same script, so that repair still passes; found by the single-script property test.
    """
    if _ASCII_LETTER_RE.search(line):
        return False  # not a Cyrillic- or Greek-only line
    before = _letter_scripts(line)
    return len(before) == 1 and before <= {CYRILLIC, GREEK} and _letter_scripts(fixed) - before != set()


def fix_mojibake(text: str, edits: EditLog) -> str:
    """Run ftfy on the lines where the mojibake gate matches, and only there.

    >>> fix_mojibake("ok\\nâ€œquotedâ€\\x9d", EditLog())
    'ok\\n“quoted”'
    """
    hits = _mojibake_hits(text)
    hit = next(hits, -1)
    if hit < 0:
        return text
    import ftfy

    config = _ftfy_config()
    parts: list[str] = []
    pos = 0
    longest = config.max_decode_length
    while hit >= 0:
        start = text.rfind("\n", 0, hit) + 1
        end = text.find("\n", hit + 1)
        if end == -1:
            end = len(text)
        if end - start > longest:
            # A line longer than ftfy's own segment bound (one million characters) is cut the way
            # ftfy.fix_text cuts it, so that one enormous line cannot stall a worker.
            start += (hit - start) // longest * longest
            end = min(end, start + longest)
        line = text[start:end]
        fixed, steps = ftfy.fix_and_explain(line, config) if _ftfy_could_change(line) else (line, None)
        if fixed != line and not _changes_a_script(line, fixed):
            parts.append(text[pos:start])
            parts.append(fixed)
            pos = end
            edits.add(_ftfy_fixer_name(steps), 1, [f"{_short(line)} -> {_short(fixed)}"])
        try:
            hit = hits.send(end)
        except StopIteration:
            break
    if pos == 0:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _mojibake_hits(text: str) -> Generator[int, int, None]:
    """Positions of the lines ftfy may change, in order; ``send(end)`` asks for the next one at or after
    ``end``. ftfy changes a line only through a C1 control, surrogate or escape, or where ``is_bad`` fires,
    and then (for its encoding repair) only at a UTF-8 sequence: so where the badness prefilter is known,
    the rare places it or such a character matches are the candidates, and the gate and ``is_bad`` are
    checked on their lines (``_ftfy_could_change``). That is the fast way for Cyrillic and Greek text, where
    the gate's places are common; for Latin-script text (or without the prefilter) the gate's places are
    the candidates."""
    sample = text_sample(text)
    if _FTFY_HIT_RE is None or sum(script_counts(sample)) * 4 <= len(sample):
        # Latin-script text: the gate's places are rarer than the prefilter's (accented letters).
        pos = 0
        while (hit := gate_search(text, pos)) >= 0:
            pos = yield hit
        return
    pos = 0
    while (match := _FTFY_HIT_RE.search(text, pos)) is not None:
        pos = yield match.start()


def _is_emoji_part(ch: str) -> bool:
    # Pictographs, dingbats and other symbols, skin-tone modifiers, VS16 and the keycap mark.
    return (
        ord(ch) >= 0x1F000
        or unicodedata.category(ch) == "So"
        or ch in "\N{VARIATION SELECTOR-16}\N{COMBINING ENCLOSING KEYCAP}"
    )


def _neighbours(text: str, index: int) -> tuple[str, str]:
    """The nearest characters before and after ``index`` that are not themselves contextual invisibles,
    so that a run of joiners is judged by the letters around the run."""
    before = index - 1
    while before >= 0 and text[before] in _CONTEXTUAL_CHARS:
        before -= 1
    after = index + 1
    while after < len(text) and text[after] in _CONTEXTUAL_CHARS:
        after += 1
    return (text[before] if before >= 0 else ""), (text[after] if after < len(text) else "")


def _in_ranges(ch: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    code = ord(ch) if ch else -1
    return any(lo <= code <= hi for lo, hi in ranges)


def _keep_contextual(text: str, index: int) -> bool:
    before, after = _neighbours(text, index)
    ch = text[index]
    if ch == "\N{ZERO WIDTH SPACE}":
        return _in_ranges(before, _NO_SPACE_SCRIPT_RANGES) or _in_ranges(after, _NO_SPACE_SCRIPT_RANGES)
    if _in_ranges(before, _JOINING_SCRIPT_RANGES) or _in_ranges(after, _JOINING_SCRIPT_RANGES):
        return True
    # ZWJ glues emoji sequences (family, profession, flag sequences).
    return ch == "\N{ZERO WIDTH JOINER}" and bool(before and after) and _is_emoji_part(before) and _is_emoji_part(after)


def remove_invisibles(text: str, edits: EditLog) -> str:
    """Remove invisible and control characters; keep the ones a script or an emoji needs.

    ZWNJ and ZWJ stay next to Arabic-script and Indic letters and inside emoji sequences; a zero-width
    space stays next to Thai, Lao, Myanmar or Khmer letters, where it marks word boundaries.

    >>> remove_invisibles("pass\\u200bword\\u00ad \\u202eabc\\u202c Dow\\x0bnload", EditLog())
    'password abc Download'
    >>> persian = "\\u0645\\u06cc\\u200c\\u062e\\u0648\\u0627\\u0647\\u0645"
    >>> remove_invisibles("\\N{MAN}\\u200d\\N{WOMAN} " + persian, EditLog())
    '👨\\u200d👩 می\\u200cخواهم'
    """
    labels: dict[str, None] = {}
    count = 0
    if "\x0b" in text and _VT_IN_WORD_RE.search(text):
        labels[_char_label("\x0b")] = None
        text, count = _VT_IN_WORD_RE.subn("", text)
    if _INVISIBLE_RE.search(text):
        for ch in dict.fromkeys(_INVISIBLE_RE.findall(text)):
            labels.setdefault(_char_label(ch), None)
        text, removed = _INVISIBLE_RE.subn("", text)
        count += removed
    if _CONTEXTUAL_RE.search(text):
        parts: list[str] = []
        pos = 0
        removed = 0
        for m in _CONTEXTUAL_RE.finditer(text):
            if not _keep_contextual(text, m.start()):
                parts.append(text[pos : m.start()])
                pos = m.end()
                removed += 1
                labels.setdefault(_char_label(m.group()), None)
        if removed:
            parts.append(text[pos:])
            text = "".join(parts)
            count += removed
    edits.add("invisibles", count, list(labels)[:MAX_EXAMPLES])
    return text


def _replace_counted(pattern: re.Pattern[str], text: str, replacement: str, fixer: str, edits: EditLog) -> str:
    found = pattern.findall(text)
    if not found:
        return text
    # Labels in the order of their first match, from the distinct matches (a French page has hundreds of
    # no-break spaces, and one label).
    labels = dict.fromkeys(_char_label(m[-1]) if m != "\r\n" else "CR LF" for m in dict.fromkeys(found))
    edits.add(fixer, len(found), list(labels)[:MAX_EXAMPLES])
    return pattern.sub(replacement, text)


def normalize_spaces(text: str, edits: EditLog) -> str:
    """Turn no-break, thin, em, ideographic and other Unicode spaces into ASCII spaces.

    >>> normalize_spaces("10\\u00a0km\\u2009/\\u3000h", EditLog())
    '10 km / h'
    """
    return _replace_counted(_SPACE_RE, text, " ", "spaces", edits)


def normalize_line_breaks(text: str, edits: EditLog) -> str:
    """Turn CR LF, CR, NEL, vertical tab, form feed, U+2028 and U+2029 into ``\\n``.

    >>> normalize_line_breaks("a\\r\\nb\\rc\\u2028d", EditLog())
    'a\\nb\\nc\\nd'
    """
    if not _LINE_BREAK_CHAR_RE.search(text):
        return text
    return _replace_counted(_LINE_BREAK_RE, text, "\n", "line_breaks", edits)


def to_nfc(text: str, edits: EditLog) -> str:
    """Compose text to NFC; the count is the number of lines that changed.

    >>> to_nfc("cafe\\u0301", EditLog())
    'café'
    """
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    out = unicodedata.normalize("NFC", text)
    changed = [(a, b) for a, b in zip(text.split("\n"), out.split("\n"), strict=True) if a != b]
    edits.add("nfc", len(changed), [f"{a!a} -> {b}" for a, b in changed[:MAX_EXAMPLES]])
    return out


def fix_lookalikes(text: str, edits: EditLog) -> str:
    """Repair words written with lookalike letters of another script (see cleaner.homoglyphs).

    >>> fix_lookalikes("Bel\\N{CYRILLIC SMALL LETTER A}rus", EditLog())
    'Belarus'
    """
    repairs = find_lookalike_repairs(text)
    if not repairs:
        return text
    edits.add("lookalikes", len(repairs), [f"{r.before!a} -> {r.after}" for r in repairs])
    return apply_repairs(text, repairs)


def _fixers(cfg: NormalizeConfig) -> list[Callable[[str, EditLog], str]]:
    # Order matters: entities can hide mojibake (&#195;&#169;), ftfy must see C1 controls before they are
    # removed as invisibles, and lookalike words are judged on composed (NFC) text.
    chosen: list[tuple[bool, Callable[[str, EditLog], str]]] = [
        (cfg.unescape_html, unescape_entities),
        (cfg.fix_encoding, fix_mojibake),
        (cfg.remove_invisibles, remove_invisibles),
        (cfg.normalize_spaces, normalize_spaces),
        (cfg.normalize_line_breaks, normalize_line_breaks),
        (cfg.nfc, to_nfc),
        (cfg.repair_lookalikes, fix_lookalikes),
    ]
    return [fixer for enabled, fixer in chosen if enabled]


_DEFAULT_CONFIG = NormalizeConfig()


def normalize_text(text: str, cfg: NormalizeConfig = _DEFAULT_CONFIG) -> tuple[str, list[Edit]]:
    """Normalize one text; return the new text and one Edit per fixer that changed something.

    Normalizing the result again changes nothing.

    >>> quoted = "\N{LEFT DOUBLE QUOTATION MARK}x\N{RIGHT DOUBLE QUOTATION MARK}"
    >>> normalize_text("Caf\N{LATIN SMALL LETTER E WITH ACUTE}\N{NO-BREAK SPACE}" + quoted)
    ('Café “x”', [Edit(fixer='spaces', count=1, examples=('U+00A0 NO-BREAK SPACE',))])
    >>> normalize_text("plain ASCII stays as it is.\\n")
    ('plain ASCII stays as it is.\\n', [])
    """
    if _ascii_needs_nothing(text):
        return text, []
    first = _ANYTHING_RE.search(text)
    if first is None and not ("&" in text and cfg.unescape_html and _ENTITY_RE.search(text)) and not has_astral(text):
        return text, []
    # Cyrillic or Greek text: its letters are left out of the scan for the fixers' characters below.
    foreign_text = first is not None and _FOREIGN_LETTER_RE.match(first.group()) is not None
    fixers = _fixers(cfg)
    edits = EditLog()
    original = text
    # The first round runs entities and mojibake, then only the fixers that have something to act on,
    # found in one scan: clean non-ASCII text costs that scan, the mojibake gate and the lookalike gate.
    for fixer in fixers:
        if fixer in _FIRST_FIXERS:
            text = fixer(text, edits)
    if foreign_text:
        found = set(_FLAGGED_NOT_FOREIGN_RE.findall(text))
        if has_astral(text):
            found.update(_ASTRAL_RE.findall(text))
        present = found & _FLAGGED
        others = True
    else:
        found = set(_FLAGGED_RE.findall(text))
        if has_astral(text):
            found.update(_ASTRAL_RE.findall(text))
        present = found & _FLAGGED
        # Whatever else was found is a run of Cyrillic or Greek letters, or an astral character (emoji).
        others = len(present) != len(found)
    for fixer in fixers:
        if fixer in _FIRST_FIXERS:
            continue
        acts_on = _ACTS_ON.get(fixer)
        if acts_on is not None and present.isdisjoint(acts_on) and not (fixer is to_nfc and others):
            # None of the characters this fixer changes: it would return the text as it is. (A run of
            # Cyrillic or Greek letters may hold one that NFC changes: Greek alpha with oxia.)
            continue
        if fixer is fix_lookalikes and not others:
            continue  # no Cyrillic or Greek letter
        text = fixer(text, edits)
    if text == original:
        return text, []
    if _settled(original, text, fixers):
        return text, edits.to_list()
    for _ in range(MAX_ROUNDS - 1):
        before = text
        for fixer in fixers:
            text = fixer(text, edits)
        if text == before or _settled(before, text, fixers):
            break
    return text, edits.to_list()


def _nfc_maybe() -> frozenset[str]:
    """Every character that can make a text not NFC: combining marks (reordering, composition), the
    second characters of canonical decompositions and Hangul vowel and final jamo (composition with the
    character before), and characters NFC replaces (singletons, composition exclusions). Text without
    any of them is NFC. Below U+0300 there are none."""
    chars: set[str] = set()
    combining, decomposition_of = unicodedata.combining, unicodedata.decomposition  # 194k calls each
    for ch in map(chr, range(0x300, 0x2FA20)):
        if combining(ch):
            chars.add(ch)
            continue
        decomposition = decomposition_of(ch)
        if decomposition and decomposition[0] != "<":
            parts = decomposition.split()
            if len(parts) > 1:  # a singleton's target (K for the Kelvin sign) composes with nothing
                chars.add(chr(int(parts[-1], 16)))
            if not unicodedata.is_normalized("NFC", ch):
                chars.add(ch)
    chars.update(chr(code) for code in range(0x1161, 0x1176))  # Hangul vowel jamo (L + V)
    chars.update(chr(code) for code in range(0x11A8, 0x11C3))  # Hangul final jamo (LV + T)
    return frozenset(chars)


def _char_class(chars: Iterable[str]) -> str:
    """A regex character class for ``chars``, with runs of code points written as ranges."""
    codes = sorted({ord(ch) for ch in chars})
    parts: list[str] = []
    start = prev = codes[0]
    for code in [*codes[1:], -1]:
        if code == prev + 1:
            prev = code
            continue
        parts.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = code
    return "[" + "".join(parts) + "]"


def _class_chars(body: str) -> frozenset[str]:
    """The characters of a character class written as characters and ``first-last`` ranges (no escapes):
    the ``*_CLASS`` strings above, from which their regexes are compiled too.

    >>> sorted(_class_chars("a-cx"))
    ['a', 'b', 'c', 'x']
    """
    chars: set[str] = set()
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.update(map(chr, range(ord(body[i]), ord(body[i + 2]) + 1)))
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return frozenset(chars)


_FIRST_FIXERS = (unescape_entities, fix_mojibake)
_NFC_MAYBE = frozenset(_derived("nfc", lambda: "".join(sorted(_nfc_maybe()))))
_INVISIBLE_CHARS = _class_chars(_INVISIBLE_CLASS) | frozenset(_CONTEXTUAL_CHARS + "\x0b")
_SPACE_CHARS = _class_chars(_SPACE_CLASS)
_LINE_BREAK_CHARS = _class_chars(_LINE_BREAK_CLASS)
# What each later fixer can change; a fixer whose characters a text lacks is skipped. The lookalike
# repair has its own one-scan gate (no Cyrillic or Greek letter: nothing to do).
_ACTS_ON: dict[Callable[[str, EditLog], str], frozenset[str]] = {
    remove_invisibles: _INVISIBLE_CHARS,
    normalize_spaces: _SPACE_CHARS,
    normalize_line_breaks: _LINE_BREAK_CHARS,
    to_nfc: _NFC_MAYBE,
}
_FLAGGED = _INVISIBLE_CHARS | _SPACE_CHARS | _LINE_BREAK_CHARS | _NFC_MAYBE
# A class of Basic Multilingual Plane characters compiles to a bitmap the regex engine tests in one step
# per character, while astral ranges in a class become a list tried one by one (a hundred times slower
# for many ranges, a third slower for one): the scans leave astral characters out, and the texts that
# have any (``has_astral``, at memory speed) collect them apart; the set test below sorts them out.
# Runs of Cyrillic and Greek letters come out of the same scan whole (one item per word, not per letter):
# without any, the lookalike repair has nothing to look at.
_FOREIGN_LETTERS = "\u0370-\u03ff\u0400-\u052f\u1c80-\u1c8f\u1f00-\u1fff\u2de0-\u2dff\ua640-\ua69f"
_FOREIGN_LETTER_RE = compiled(f"[{_FOREIGN_LETTERS}]")


def _flagged_classes() -> list[str]:
    """The class of the flagged characters of the Basic Multilingual Plane with the Cyrillic and Greek
    letters, and the same for Cyrillic or Greek text: without its letters (and without astral characters,
    found apart in the texts that have any: a class of the Basic Multilingual Plane alone is a one-step test).
    """
    plane = [ch for ch in _FLAGGED if ord(ch) < 0x10000]
    not_foreign = [ch for ch in plane if not _FOREIGN_LETTER_RE.match(ch)]
    return [_char_class(plane)[:-1] + _FOREIGN_LETTERS + "]", _char_class(not_foreign)]


# Through the cache: writing the two classes out (about 1,500 characters) was 2.4 ms of every start.
_FLAGGED_CLASS, _FLAGGED_NOT_FOREIGN_CLASS = _derived("flagged", _flagged_classes)
_FLAGGED_RE = compiled(_FLAGGED_CLASS + f"(?:(?<=[{_FOREIGN_LETTERS}])[{_FOREIGN_LETTERS}]*)?")
_FLAGGED_NOT_FOREIGN_RE = compiled(_FLAGGED_NOT_FOREIGN_CLASS)
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
# Everything any fixer but the entities could act on, in one regex that starts with one class: the
# mojibake gate's places, the flagged characters, Cyrillic and Greek letters (astral characters apart). Clean
# non-ASCII text (accented European text, English with typographic quotes) is one scan of it.
_ANYTHING_RE = compiled(
    "[" + _GATE_FIRST[1:-1] + _FLAGGED_CLASS[1:-1] + "]" + f"(?:{_GATE_BRANCHES}|(?<={_FLAGGED_CLASS}))"
)


def _settled(before: str, after: str, fixers: list[Callable[[str, EditLog], str]]) -> bool:
    """True when another round cannot change ``after``, checked on the changed lines only.

    Every fixer but the lookalike pass works line by line, and a line no fixer changed is already their
    fixed point, so only changed lines can change again. The lookalike pass would see exactly the text it
    returned, and it is idempotent (tests/test_homoglyphs.py). A round that changed the line structure
    (CR, U+2028 ...) is not checked here: the caller runs the whole chain again.
    """
    old_lines, new_lines = before.split("\n"), after.split("\n")
    if len(old_lines) != len(new_lines):
        return False
    changed = "\n".join(new for old, new in zip(old_lines, new_lines, strict=True) if old != new)
    probe = changed
    for fixer in fixers:
        if fixer is not fix_lookalikes:
            probe = fixer(probe, EditLog())
    return probe == changed


class Normalize:
    """The normalize stage: ``normalize_text`` over every document, its Edits added to the document.

    >>> stage = Normalize(NormalizeConfig())
    >>> [d.text for d in stage([Document(id="a", text="a\\u200bb")])]
    ['ab']
    """

    name = "normalize"
    unread = RECORDS_UNREAD  # the earlier stages' drops, edits and signals (see cleaner.stage)

    def __init__(self, cfg: NormalizeConfig = _DEFAULT_CONFIG) -> None:
        self.cfg = cfg

    def setup(self) -> None:
        """Nothing to load: the tables and regexes are built at import time."""

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            new_text, edits = normalize_text(doc.text, self.cfg)
            if not edits:
                yield doc
                continue
            yield doc.with_edits(edits).replace(text=new_text)


__all__ = ["FTFY_CONFIG", "MOJIBAKE_GATE", "Normalize", "normalize_text"]
