"""The lookalike table (checked against Unicode's confusables data) and the word-level repair."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cleaner.homoglyphs
from cleaner.dedup import shingles
from cleaner.homoglyphs import (
    LATIN_TO_CYRILLIC,
    LATIN_TO_GREEK,
    LOOKALIKE_TO_LATIN,
    find_lookalike_repairs,
    letter_script,
    may_hold_lookalikes,
    repair_lookalikes,
)

A = "\N{CYRILLIC SMALL LETTER A}"
IE = "\N{CYRILLIC SMALL LETTER IE}"
ES = "\N{CYRILLIC SMALL LETTER ES}"
SMALL_O = "\N{CYRILLIC SMALL LETTER O}"
ER = "\N{CYRILLIC SMALL LETTER ER}"


TR39_EXTRACT = Path(__file__).parent / "cases" / "normalize" / "tr39_extract.json"


def tr39_letters_to_ascii() -> dict[str, str]:
    """Re-derive the table from the TR39 extract: Lu/Ll letters with a one-letter ASCII target, case-matched.

    The extract was made from confusables.txt as shipped (JSON) by confusable-homoglyphs; to refresh it::

        data = json.load(open(Path(confusable_homoglyphs.__file__).parent / "confusables.json"))
        entries = [{"source": k, "name": unicodedata.name(k), "ascii_targets": [t["c"] for t in v if t["c"].isascii()]}
                   for k, v in sorted(data.items()) if len(k) == 1
                   and unicodedata.name(k, "").startswith(("CYRILLIC", "GREEK"))
                   and unicodedata.category(k).startswith("L") and any(t["c"].isascii() for t in v)]
    """
    extract = json.loads(TR39_EXTRACT.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for entry in extract["entries"]:
        source = entry["source"]
        if unicodedata.category(source) not in ("Lu", "Ll"):
            continue
        letters = [t for t in entry["ascii_targets"] if len(t) == 1 and t.isalpha()]
        if not letters:
            continue
        target = letters[0]
        if source.isupper() and target == "l":
            target = "I"  # TR39's prototype for I-like letters is lowercase l
        if source.isupper() != target.isupper():
            continue
        table[source] = target
    return table


def test_tr39_extract_is_what_it_says() -> None:
    extract = json.loads(TR39_EXTRACT.read_text(encoding="utf-8"))
    assert "Unicode License" in extract["license"]
    for entry in extract["entries"]:
        assert unicodedata.name(entry["source"]) == entry["name"]
        assert entry["name"].startswith(("CYRILLIC", "GREEK"))
    names = {e["name"] for e in extract["entries"]}
    assert {"CYRILLIC SMALL LETTER A", "GREEK SMALL LETTER OMICRON", "CYRILLIC CAPITAL LETTER ES"} <= names


def test_table_is_tr39_confusables_case_matched() -> None:
    assert dict(LOOKALIKE_TO_LATIN) == tr39_letters_to_ascii()


def test_table_covers_the_common_lookalikes() -> None:
    for cyrillic, latin in [
        (A, "a"),
        (IE, "e"),
        (SMALL_O, "o"),
        (ER, "p"),
        (ES, "c"),
        ("\N{CYRILLIC CAPITAL LETTER EN}", "H"),
    ]:
        assert LOOKALIKE_TO_LATIN[cyrillic] == latin
    assert LOOKALIKE_TO_LATIN["\N{GREEK SMALL LETTER OMICRON}"] == "o"


def test_module_source_writes_confusables_by_name() -> None:
    source = Path(cleaner.homoglyphs.__file__).read_text(encoding="utf-8")
    literal = sorted({ch for ch in source if letter_script(ch) in ("C", "G")})
    assert literal == [], f"write these by \\N{{...}} name: {literal}"


def test_mirror_tables_invert_the_table_into_basic_letters() -> None:
    for mirror, block in ((LATIN_TO_CYRILLIC, range(0x0400, 0x0460)), (LATIN_TO_GREEK, range(0x0391, 0x03CA))):
        assert mirror
        for latin, foreign in mirror.items():
            assert ord(foreign) in block
            assert LOOKALIKE_TO_LATIN[foreign] == latin
    assert LATIN_TO_CYRILLIC["a"] == A
    assert LATIN_TO_GREEK["o"] == "\N{GREEK SMALL LETTER OMICRON}"


def test_letter_script() -> None:
    assert [letter_script(ch) for ch in f"z{A}\N{GREEK SMALL LETTER OMEGA}\N{LATIN SMALL LETTER E WITH ACUTE}1 "] == [
        "L",
        "C",
        "G",
        "L",
        "O",
        "O",
    ]


def test_mixed_word_prefilter_knows_every_latin_and_foreign_letter() -> None:
    """The one-scan prefilter must see every word the word-level rules would look at."""
    latin = re.compile(f"[{cleaner.homoglyphs._LATIN_LETTERS}]")
    foreign = cleaner.homoglyphs._FOREIGN_RE
    for code in range(0x110000):
        ch = chr(code)
        script = letter_script(ch)
        if script == "L":
            assert latin.match(ch), hex(code)
        elif script in ("C", "G"):
            assert foreign.match(ch), hex(code)


def test_count_and_positions() -> None:
    text = f"Bel{A}rus and Bel{A}rus, not {ES}{SMALL_O}{ER}."
    repairs = find_lookalike_repairs(text)
    assert [(r.start, r.before, r.after) for r in repairs] == [
        (0, f"Bel{A}rus", "Belarus"),
        (12, f"Bel{A}rus", "Belarus"),
        (25, f"{ES}{SMALL_O}{ER}", "cop"),
    ]
    assert repair_lookalikes(text) == ("Belarus and Belarus, not cop.", 3)


def test_ascii_and_latin_only_text_is_returned_as_is() -> None:
    text = "Na\N{LATIN SMALL LETTER I WITH DIAERESIS}ve caf\N{LATIN SMALL LETTER E WITH ACUTE} text"
    assert repair_lookalikes(text) == (text, 0)
    assert repair_lookalikes("plain") == ("plain", 0)


def test_no_character_below_the_dedup_key_s_bound_holds_a_lookalike() -> None:
    # The dedup key leaves a text wholly below shingles._FIRST_LOOKALIKE as it is, without
    # importing this module: none of those characters may be one it repairs, and the bound is
    # the first that may be.
    below = "".join(map(chr, range(0x80, ord(shingles._FIRST_LOOKALIKE))))
    assert not may_hold_lookalikes(below)
    assert may_hold_lookalikes(shingles._FIRST_LOOKALIKE)
    assert shingles.repair(below) == below and shingles.repairs_nothing(below)


def test_accented_latin_word_with_a_cyrillic_letter() -> None:
    assert repair_lookalikes(f"r\N{LATIN SMALL LETTER E WITH ACUTE}sum{IE}") == (
        "r\N{LATIN SMALL LETTER E WITH ACUTE}sume",
        1,
    )


def test_word_with_three_scripts_reads_as_latin_only_when_every_letter_has_a_twin() -> None:
    omicron = "\N{GREEK SMALL LETTER OMICRON}"
    # Issue 17: Cyrillic and Greek lookalikes in one Latin word, with a Latin letter neither script has.
    assert repair_lookalikes(f"B{A}{omicron}k") == ("Baok", 1)
    assert repair_lookalikes(f"Winn{IE}r {A}nn{omicron}unc{IE}d t{omicron}d{A}y") == ("Winner announced today", 3)
    # A letter with no Latin twin (ZHE), or a reading in no plausible case, and the word stays.
    for word in (f"B{A}{omicron}\N{CYRILLIC SMALL LETTER ZHE}", f"bA{A}{omicron}Kx"):
        assert repair_lookalikes(word) == (word, 0)


def test_mixed_word_with_letters_only_foreign_and_only_latin_is_left_alone() -> None:
    word = "Belarus\N{CYRILLIC SMALL LETTER ZHE}"  # ZHE has no Latin twin, l/r/u have no Cyrillic twin
    assert repair_lookalikes(word) == (word, 0)


def test_lookalike_only_word_needs_evidence_and_latin_context() -> None:
    cop = f"{ES}{SMALL_O}{ER}"
    assert repair_lookalikes(f"the {cop} came")[1] == 0  # no evidence in the document
    assert repair_lookalikes(f"Th{IE} {cop} came") == ("The cop came", 2)
    # Evidence elsewhere, but the word's own sentence is Russian.
    russian = f"\N{CYRILLIC CAPITAL LETTER O}\N{CYRILLIC SMALL LETTER EN} {cop} \N{CYRILLIC SMALL LETTER ZHE}{IE}"
    assert repair_lookalikes(f"Th{IE} end. {russian}") == (f"The end. {russian}", 1)


def test_russian_paragraph_is_byte_identical() -> None:
    paragraph = (
        "\u0412 \u0441\u0430\u0434\u0443 \u0441\u043e\u0440, \u0430 \u0443 \u0440\u0435\u043a\u0438 "
        "\u0445\u043e\u0440. \u0412\u0410\u0421 \u0436\u0434\u0443\u0442 "
        "\u0432 \u0441\u0435\u043c\u044c \u0447\u0430\u0441\u043e\u0432."
    )
    assert repair_lookalikes(paragraph) == (paragraph, 0)
    assert repair_lookalikes(f"Cre{A}ted.\n{paragraph}") == (f"Created.\n{paragraph}", 1)


def test_greek_mirror_and_symbols() -> None:
    athens = "\u0391\u03b8\u03b7\u03bda"  # Greek word ending in a Latin a
    assert repair_lookalikes(athens) == ("\u0391\u03b8\u03b7\u03bd\u03b1", 1)
    for science in (
        "A\N{GREEK SMALL LETTER BETA}",
        "k\N{GREEK CAPITAL LETTER OMEGA}",
        "M\N{GREEK CAPITAL LETTER OMEGA}",
    ):
        assert repair_lookalikes(science) == (science, 0)


def test_combining_marks_stay_inside_the_word() -> None:
    stressed = "\u0437\u0430\u043c\u0435\u0301\u0447\u0430\u043d\u0438\u0435"  # Russian with a stress mark
    assert repair_lookalikes(stressed) == (stressed, 0)
    assert repair_lookalikes(stressed.replace("\u0430", "a", 1)) == (stressed, 1)


# ---------------------------------------------------------------- properties

_PIECES = st.sampled_from(
    [
        *"aeopcxyiAEOPCXBHKMTlrud .,\n",
        A,
        IE,
        SMALL_O,
        ER,
        ES,
        "\N{CYRILLIC SMALL LETTER ZHE}",
        "\N{CYRILLIC SMALL LETTER YERU}",
        "\N{CYRILLIC CAPITAL LETTER VE}",
        "\N{GREEK SMALL LETTER OMICRON}",
        "\N{GREEK SMALL LETTER ALPHA}",
        "\N{GREEK SMALL LETTER BETA}",
        "\N{GREEK CAPITAL LETTER ALPHA}",
        "\u0301",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=50).map("".join))
def test_repair_is_idempotent(text: str) -> None:
    once, _ = repair_lookalikes(unicodedata.normalize("NFC", text))
    assert repair_lookalikes(once) == (once, 0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([chr(c) for c in range(0x0410, 0x0450)] + [" ", ". ", ", "])).map("".join))
def test_cyrillic_only_text_unchanged(text: str) -> None:
    assert repair_lookalikes(text) == (text, 0)


@pytest.mark.parametrize("latin", [*LATIN_TO_CYRILLIC])
def test_every_mirror_letter_is_repaired_inside_a_russian_word(latin: str) -> None:
    word = f"\N{CYRILLIC SMALL LETTER ZHE}\N{CYRILLIC SMALL LETTER YERU}{latin}\N{CYRILLIC SMALL LETTER SHA}"
    fixed, count = repair_lookalikes(word)
    assert count == 1
    assert fixed == word.replace(latin, LATIN_TO_CYRILLIC[latin])


# ---------------------------------------------------------------- issue 17

ALPHA = "\N{GREEK SMALL LETTER ALPHA}"
OMICRON = "\N{GREEK SMALL LETTER OMICRON}"
RHO = "\N{GREEK SMALL LETTER RHO}"
IOTA = "\N{GREEK SMALL LETTER IOTA}"
UPSILON_CAP = "\N{GREEK CAPITAL LETTER UPSILON}"
PE = "\N{CYRILLIC SMALL LETTER PE}"
KA = "\N{CYRILLIC SMALL LETTER KA}"
TE = "\N{CYRILLIC SMALL LETTER TE}"
JE = "\N{CYRILLIC SMALL LETTER JE}"
UKR_I = "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}"


@pytest.mark.parametrize(
    ("spoofed", "clean"),
    [
        (f"Cl{ALPHA}im y{OMICRON}ur {RHO}rize n{OMICRON}w", "Claim your prize now"),
        (f"{UPSILON_CAP}our {OMICRON}rder h{ALPHA}s shi{RHO}{RHO}ed", "Your order has shipped"),
        (f"The results are {IOTA}n the report.", "The results are in the report."),
        (f"Please co{PE}tact our mar{KA}et team for a {TE}icket.", "Please contact our market team for a ticket."),
        (f"this is {A} test", "this is a test"),
        (f"{IE}.g. the first one", "e.g. the first one"),
        (f"{UKR_I}.{IE}. the first one", "i.e. the first one"),
        (f"The impedance is (2+5{JE}) ohms.", "The impedance is (2+5j) ohms."),
        (f"Please {ES}{SMALL_O}{ER}\N{CYRILLIC SMALL LETTER U} the file.", "Please copy the file."),
    ],
)
def test_issue_17_spoofing_is_repaired(spoofed: str, clean: str) -> None:
    assert repair_lookalikes(spoofed)[0] == clean


@pytest.mark.parametrize(
    "genuine",
    [
        f"TNF{ALPHA} and A\N{GREEK SMALL LETTER BETA}42 levels rose; \N{GREEK CAPITAL LETTER DELTA}G was negative.",
        "Cells were 5 \N{GREEK SMALL LETTER MU}m wide; the resistor is 10 k\N{GREEK CAPITAL LETTER OMEGA}.",
        f"the angle {ALPHA} between the two lines",
        f"ER{ALPHA} and NF-\N{GREEK SMALL LETTER KAPPA}B bind; IFN\N{GREEK SMALL LETTER GAMMA} was added.",
        f"the strong coupling {ALPHA}s at the Z pole",
        # Russian with single-letter words made of lookalikes, a year with GHE, a Latin brand name.
        f"\N{CYRILLIC CAPITAL LETTER O}\N{CYRILLIC SMALL LETTER EN} {A} Windows 1999 \N{CYRILLIC SMALL LETTER GHE}.",
        # A Cyrillic word with the shape letters, in its own script: never read as Latin.
        f"{KA}{SMALL_O}{PE}{ER}{TE} {TE}{SMALL_O}{TE}",
        # A Cyrillic placeholder in an English help text.
        f"command [-pVv] command [{A}{ER}\N{CYRILLIC SMALL LETTER GHE} ...]",
    ],
)
def test_issue_17_genuine_text_is_unchanged(genuine: str) -> None:
    assert repair_lookalikes(genuine) == (genuine, 0)


def test_known_words_come_from_the_shipped_list() -> None:
    words = cleaner.homoglyphs.latin_words()
    assert len(words) > 10_000
    assert {"claim", "prize", "contact", "ticket"} <= words
    assert all(w == w.lower() for w in words)


def test_shape_table_is_never_tr39_and_maps_to_ascii_lowercase() -> None:
    shapes = cleaner.homoglyphs.SHAPE_TO_LATIN
    assert not set(shapes) & set(LOOKALIKE_TO_LATIN)
    assert all(latin.isascii() and latin.islower() for latin in shapes.values())
    assert {letter_script(ch) for ch in shapes} == {"C", "G"}


def test_shape_table_is_not_used_in_a_cyrillic_sentence() -> None:
    # Russian "sweat" typed with a Latin o: the mirror repair, not the English "not" the shapes would read.
    russian = f"\N{CYRILLIC CAPITAL LETTER U} \N{CYRILLIC SMALL LETTER EN}{IE}\N{CYRILLIC SMALL LETTER GHE}{SMALL_O}"
    assert repair_lookalikes(f"{russian} {PE}o{TE} {A}") == (f"{russian} {PE}{SMALL_O}{TE} {A}", 1)


def test_lone_cyrillic_letter_stays_on_a_line_with_genuine_cyrillic() -> None:
    # The unrepaired symbol word TNF-alpha lets the line be read; its genuine Russian words keep the lone
    # Cyrillic a of the next sentence as written (it may be the Russian conjunction).
    level = "\N{CYRILLIC CAPITAL LETTER U}\N{CYRILLIC SMALL LETTER ER}" + SMALL_O + "\N{CYRILLIC SMALL LETTER VE}"
    text = f"{level} TNF{ALPHA}. It is {A} marker."
    assert repair_lookalikes(text) == (text, 0)
    assert repair_lookalikes(f"TNF{ALPHA}. It is {A} marker.")[0] == f"TNF{ALPHA}. It is a marker."


def test_script_boundary_regexes_agree_with_the_mixed_word_regex() -> None:
    """The scans anchored on the rare scripts of a text find a script boundary exactly where the plain
    regex does (with up to two combining marks between the scripts)."""
    import random

    rng = random.Random(17)
    pool = [*"abcX\N{LATIN SMALL LETTER E WITH ACUTE} .1", A, "\N{CYRILLIC SMALL LETTER ZHE}", "\u03b1", "\u03a9"]
    pool += ["\N{COMBINING ACUTE ACCENT}", "\N{COMBINING CYRILLIC TITLO}"]
    for _ in range(20000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 7)))
        if re.search("[\u0301\u0483]{3}", text):
            continue
        expected = bool(cleaner.homoglyphs._MIXED_WORD_RE.search(text))
        scans = [cleaner.homoglyphs._mixed_re(dominant) for dominant in range(3)]  # Latin, Cyrillic, Greek
        for scan in scans:
            assert bool(scan.search(text)) == expected, ascii(text)


def test_genuine_word_check_agrees_with_its_regex() -> None:
    import random

    rng = random.Random(17)
    pool = [*"ab .", A, ES, "\N{CYRILLIC SMALL LETTER ZHE}", "\u03b1", "\u03bb", "\N{COMBINING ACUTE ACCENT}", "1"]
    for _ in range(20000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        expected = bool(cleaner.homoglyphs._GENUINE_WORD_RE.search(text))
        assert cleaner.homoglyphs._has_genuine_word(text, 0, len(text)) == expected, ascii(text)
