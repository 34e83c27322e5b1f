"""The normalize stage: data-driven cases (tests/cases/normalize/*.json, in ftfy's test-case style),
hypothesis properties, and the stage contract."""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import ftfy
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import cleaner.normalize
from cleaner.config import NormalizeConfig
from cleaner.normalize import FTFY_CONFIG, MOJIBAKE_GATE, Normalize, _ftfy_could_change, gate_search, normalize_text
from cleaner.record import Document, Edit
from cleaner.stage import Stage

CASES_DIR = Path(__file__).parent / "cases" / "normalize"


CATEGORIES = ("mojibake", "entities", "lookalikes", "invisibles", "spaces", "must_not_change")


def load_cases() -> list[Any]:
    params = []
    for path in (CASES_DIR / f"{name}.json" for name in CATEGORIES):
        for case in json.loads(path.read_text(encoding="utf-8")):
            marks = [pytest.mark.xfail(strict=True, reason=case.get("comment", ""))] if case["expect"] == "fail" else []
            params.append(pytest.param(case, id=f"{path.stem}: {case['label']}", marks=marks))
    return params


CASES = load_cases()


def cfg_of(case: dict[str, Any]) -> NormalizeConfig:
    return dataclasses.replace(NormalizeConfig(), **case.get("config", {}))


def test_every_case_file_is_loaded() -> None:
    names = {p.stem for p in CASES_DIR.glob("*.json")} - {"tr39_extract"}
    assert names == set(CATEGORIES)


def test_must_not_change_covers_eight_scripts() -> None:
    cases = json.loads((CASES_DIR / "must_not_change.json").read_text(encoding="utf-8"))
    scripts = set()
    for case in cases:
        for ch in case["original"]:
            if ch.isalpha():
                scripts.add(unicodedata.name(ch).split()[0])
    assert len(cases) >= 8
    assert len(scripts) >= 8, scripts
    assert all(case["fixed"] == case["original"] for case in cases)


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]) -> None:
    cfg = cfg_of(case)
    text, edits = normalize_text(case["original"], cfg)
    assert text == case["fixed"]
    if "fixers" in case:
        assert [e.fixer for e in edits] == case["fixers"]
    # Every case is also a fixed point.
    assert normalize_text(text, cfg) == (text, [])


@pytest.mark.parametrize("case", CASES)
def test_case_edits_are_well_formed(case: dict[str, Any]) -> None:
    _, edits = normalize_text(case["original"], cfg_of(case))
    for edit in edits:
        assert edit.count >= 1
        assert 1 <= len(edit.examples) <= 3
    assert len({e.fixer for e in edits}) == len(edits)


def test_seed_002_has_no_cyrillic_letter_left() -> None:
    seed = Path(__file__).resolve().parents[1] / "seeds" / "002_420ac862ca752e05.txt"
    original = seed.read_text(encoding="utf-8")
    assert any("CYRILLIC" in unicodedata.name(ch, "") for ch in original)
    text, edits = normalize_text(original)
    assert not any("CYRILLIC" in unicodedata.name(ch, "") for ch in text)
    assert [e.fixer for e in edits] == ["lookalikes"]
    # Only the lookalike letters changed: same length, same text once they are folded.
    assert len(text) == len(original)
    assert text == original.replace("\N{CYRILLIC SMALL LETTER A}", "a")


def test_ftfy_gets_an_explicit_encoding_only_config() -> None:
    assert FTFY_CONFIG.uncurl_quotes is False
    assert FTFY_CONFIG.unescape_html is False
    assert FTFY_CONFIG.fix_character_width is False
    assert FTFY_CONFIG.fix_latin_ligatures is False
    assert FTFY_CONFIG.normalization is None


def test_gate_lets_clean_lines_skip_ftfy() -> None:
    quoted = "\N{LEFT DOUBLE QUOTATION MARK}text\N{RIGHT DOUBLE QUOTATION MARK}"
    assert MOJIBAKE_GATE.search(f"plain English {quoted}") is None
    assert MOJIBAKE_GATE.search("caf\N{LATIN SMALL LETTER E WITH ACUTE} au lait") is None
    assert MOJIBAKE_GATE.search("caf\N{LATIN CAPITAL LETTER A WITH TILDE}\N{COPYRIGHT SIGN}") is not None


def test_gate_finds_every_line_ftfy_would_fix() -> None:
    """Mojibake of genuine text in every encoding ftfy knows: where ftfy changes a line, the gate matches."""
    import ftfy

    lines = [
        line
        for name in CATEGORIES
        for case in json.loads((CASES_DIR / f"{name}.json").read_text(encoding="utf-8"))
        for line in case["fixed"].split("\n")
        if not line.isascii()
    ]
    checked = 0
    for encoding in ftfy.chardata.CHARMAP_ENCODINGS:
        for line in lines:
            try:
                mojibake = line.encode("utf-8").decode(encoding)
            except UnicodeDecodeError:
                continue
            if ftfy.fix_and_explain(mojibake, FTFY_CONFIG).text != mojibake:
                checked += 1
                assert gate_search(mojibake) >= 0, (encoding, mojibake)
                assert _ftfy_could_change(mojibake), (encoding, mojibake)
    assert checked > 100


def test_gate_finds_every_line_of_ftfys_own_cases_that_ftfy_changes() -> None:
    import ftfy

    checked = 0
    for case in FTFY_CASES:
        for line in case["original"].split("\n"):
            if ftfy.fix_and_explain(line, FTFY_CONFIG).text != line:
                checked += 1
                assert gate_search(line) >= 0, (case["label"], line)
    assert checked > 100


def test_gate_skips_pairs_no_single_encoding_explains() -> None:
    # Portuguese "-cao" (a Latin-1 lead before a MacRoman continuation), an en dash before a space (MacRoman,
    # where ftfy restores no 0xA0 byte), a Cyrillic "v" before a space and a letter (cp1251).
    for clean in (
        "informa\N{LATIN SMALL LETTER C WITH CEDILLA}\N{LATIN SMALL LETTER A WITH TILDE}o",
        "2019 \N{EN DASH} 2020",
        "\N{CYRILLIC SMALL LETTER VE} \N{CYRILLIC SMALL LETTER EM}\N{CYRILLIC SMALL LETTER IE}",
    ):
        assert gate_search(clean) == -1


def test_genuine_cyrillic_lines_with_gate_pairs_skip_ftfy(monkeypatch: pytest.MonkeyPatch) -> None:
    import ftfy

    calls: list[str] = []
    monkeypatch.setattr(ftfy, "fix_and_explain", lambda text, config=None: calls.append(text))
    # A Cyrillic capital VE before a space is byte 0xC2 before a lost 0xA0 in cp1251, and a Cyrillic a
    # before a guillemet and a dash a lead with two continuations.
    quote = (
        "\u0412 \N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK}\u0414\u0430"
        "\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}\N{EM DASH} \u0434\u0430"
    )
    assert MOJIBAKE_GATE.search(quote)
    assert normalize_text(quote) == (quote, [])
    assert calls == []


def test_a_huge_line_goes_to_ftfy_in_bounded_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    import ftfy

    import cleaner.normalize

    seen: list[int] = []
    real = ftfy.fix_and_explain

    def spy(text: str, config: Any = None) -> Any:
        seen.append(len(text))
        return real(text, config)

    monkeypatch.setattr(ftfy, "fix_and_explain", spy)
    monkeypatch.setattr(cleaner.normalize, "FTFY_CONFIG", FTFY_CONFIG._replace(max_decode_length=100))
    bad = "caf\N{LATIN CAPITAL LETTER A WITH TILDE}\N{COPYRIGHT SIGN}"
    text = ("x" * 95 + bad) * 3  # one line of 300 characters, mojibake in each 100-character segment
    fixed, _ = normalize_text(text)
    assert fixed == ("x" * 95 + "caf\N{LATIN SMALL LETTER E WITH ACUTE}") * 3
    assert seen and max(seen) <= 100


def test_only_the_bad_line_goes_through_ftfy(monkeypatch: pytest.MonkeyPatch) -> None:
    import ftfy

    seen: list[str] = []
    real = ftfy.fix_and_explain

    def spy(text: str, config: Any = None) -> Any:
        seen.append(text)
        return real(text, config)

    monkeypatch.setattr(ftfy, "fix_and_explain", spy)
    good = "caf\N{LATIN SMALL LETTER E WITH ACUTE} \N{LEFT DOUBLE QUOTATION MARK}ok\N{RIGHT DOUBLE QUOTATION MARK}"
    bad = "caf\N{LATIN CAPITAL LETTER A WITH TILDE}\N{COPYRIGHT SIGN}"
    text, _ = normalize_text(f"{good}\n{bad}\n{good}")
    assert text == f"{good}\ncaf\N{LATIN SMALL LETTER E WITH ACUTE}\n{good}"
    assert seen == [bad]


def test_disabled_fixers_do_nothing() -> None:
    off = NormalizeConfig(
        fix_encoding=False,
        unescape_html=False,
        repair_lookalikes=False,
        remove_invisibles=False,
        normalize_spaces=False,
        normalize_line_breaks=False,
        nfc=False,
    )
    mojibake = "caf\N{LATIN CAPITAL LETTER A WITH TILDE}\N{COPYRIGHT SIGN}"
    messy = mojibake + " &amp; a\u200bb\u00a0c\r\ne\u0301 Bel\N{CYRILLIC SMALL LETTER A}rus"
    assert normalize_text(messy, off) == (messy, [])


# ---------------------------------------------------------------- properties


# Text from any code point hypothesis draws (surrogates excluded: a str from a decoder cannot hold them).
@settings(max_examples=300, deadline=None)
@given(st.text())
def test_idempotent(text: str) -> None:
    once, _ = normalize_text(text)
    assert normalize_text(once) == (once, [])


# Text built from the characters this module touches, so the property meets mojibake, entities and
# lookalikes far more often than with uniform code points.
_TRICKY = st.sampled_from(
    [
        *"aeopcxAEOPCXBHKMT &#;x\n\r\t <>?",
        *["&amp;", "&#233;", "&#x414;", "&nbsp;", "&shy;", "\u00a0", "\u200b", "\u200d", "\u00ad", "\ufeff"],
        *["\N{CYRILLIC SMALL LETTER A}", "\N{CYRILLIC SMALL LETTER O}", "\N{CYRILLIC CAPITAL LETTER ES}"],
        *["\N{CYRILLIC SMALL LETTER ZHE}", "\N{GREEK SMALL LETTER OMICRON}", "\N{GREEK SMALL LETTER ALPHA}"],
        *["\N{LATIN CAPITAL LETTER A WITH TILDE}", "\N{COPYRIGHT SIGN}", "\N{LATIN CAPITAL LETTER A WITH CIRCUMFLEX}"],
        *["\N{EURO SIGN}", "\x9d", "\x93", "\u0301", "\N{MAN}", "\u0645", "\u200c"],
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TRICKY, max_size=40).map("".join))
def test_idempotent_on_tricky_text(text: str) -> None:
    once, _ = normalize_text(text)
    assert normalize_text(once) == (once, [])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(_TRICKY, max_size=40).map("".join)))
def test_output_has_no_removed_characters(text: str) -> None:
    out, _ = normalize_text(text)
    assert not cleaner.normalize._INVISIBLE_RE.search(out)
    assert not cleaner.normalize._SPACE_RE.search(out)
    assert not cleaner.normalize._LINE_BREAK_CHAR_RE.search(out)
    assert unicodedata.is_normalized("NFC", out)


_PLAIN_ASCII = st.text(alphabet=st.sampled_from([chr(c) for c in range(0x20, 0x7F) if chr(c) != "&"] + ["\n", "\t"]))


@settings(max_examples=300, deadline=None)
@given(_PLAIN_ASCII)
def test_ascii_text_unchanged(text: str) -> None:
    assert normalize_text(text) == (text, [])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["AT&T", "R&D", "a & b", "&", "&&", "&x", "&#", "&;"]), max_size=10).map(" ".join))
def test_ascii_ampersands_that_are_not_entities_unchanged(text: str) -> None:
    assert normalize_text(text) == (text, [])


def _letters(*ranges: tuple[int, int]) -> list[str]:
    out = []
    for lo, hi in ranges:
        for code in range(lo, hi + 1):
            ch = chr(code)
            if unicodedata.category(ch) in ("Lu", "Ll", "Lo") and unicodedata.is_normalized("NFC", ch):
                out.append(ch)
    return out


SCRIPTS = {
    "Cyrillic": _letters((0x0400, 0x04FF)),
    "Greek": _letters((0x0370, 0x03FF)),
    "Arabic": _letters((0x0620, 0x064A)),
    "Devanagari": _letters((0x0904, 0x0939)),
    "Hebrew": _letters((0x05D0, 0x05EA)),
    "Han": _letters((0x4E00, 0x4FFF)),
    "Hangul": _letters((0xAC00, 0xAFFF)),
    "Georgian": _letters((0x10D0, 0x10FA)),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_text_in_one_non_latin_script_unchanged(script: str) -> None:
    words = st.lists(st.sampled_from(SCRIPTS[script]), min_size=1, max_size=12).map("".join)
    separators = st.sampled_from([" ", ", ", ". ", "\n", "! ", "? ", " \N{EM DASH} ", "\N{HORIZONTAL ELLIPSIS} "])
    texts = st.lists(st.tuples(words, separators).map("".join), max_size=30).map("".join)

    @settings(max_examples=150, deadline=None)
    @given(texts)
    @example("\N{CYRILLIC SMALL LETTER VE}\N{CYRILLIC CAPITAL LETTER GHE WITH UPTURN} \N{CYRILLIC SMALL LETTER A}")
    def check(text: str) -> None:
        # A few Cyrillic letter pairs before a space are cp1251 mojibake that ftfy itself repairs
        # ("\N{CYRILLIC SMALL LETTER VE}\N{CYRILLIC CAPITAL LETTER GHE WITH UPTURN} " is U+2960's UTF-8
        # read as cp1251, its no-break space lost to a space): genuine text is what ftfy leaves alone.
        assume(ftfy.fix_text(text, FTFY_CONFIG) == text)
        assert normalize_text(text) == (text, [])

    check()


# ---------------------------------------------------------------- the stage


def test_stage_contract() -> None:
    stage = Normalize(NormalizeConfig())
    assert isinstance(stage, Stage)
    assert stage.name == "normalize"
    stage.setup()
    clean = Document(id="clean", text="Nothing to do here.")
    messy = Document(id="messy", text="a\u200bb", edits=(Edit("earlier", 1),))
    out = list(stage([clean, messy]))
    assert out[0] is clean
    assert out[1].text == "ab"
    assert out[1].edits == (Edit("earlier", 1), Edit("invisibles", 1, ("U+200B ZERO WIDTH SPACE",)))
    assert out[1].id == "messy"


def test_stage_pickles_and_is_lazy() -> None:
    stage = pickle.loads(pickle.dumps(Normalize(NormalizeConfig(repair_lookalikes=False))))
    assert stage.cfg.repair_lookalikes is False

    def endless() -> Any:
        n = 0
        while True:
            n += 1
            yield Document(id=str(n), text="x")

    first = next(iter(stage(endless())))
    assert first.id == "1"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=30), st.lists(_TRICKY, max_size=20).map("".join)), max_size=20))
def test_stage_yields_every_document_once_in_order(texts: list[str]) -> None:
    docs = [Document(id=f"d{i}", text=t) for i, t in enumerate(texts)]
    out = list(Normalize(NormalizeConfig())(docs))
    assert [d.id for d in out] == [d.id for d in docs]
    assert [d.text for d in out] == [normalize_text(t)[0] for t in texts]
    for before, after in zip(docs, out, strict=True):
        assert (after is before) == (after.text == before.text and not after.edits)


FTFY_CASES = json.loads((CASES_DIR / "ftfy" / "test_cases.json").read_text(encoding="utf-8"))


def _without_kept_typography(text: str) -> str:
    """Undo the choices where cleaner keeps what ftfy's defaults change: ligatures, fullwidth characters
    (kept as datatrove's ftfy settings keep them) and curly quotes."""
    from ftfy.fixes import fix_character_width, fix_latin_ligatures, uncurl_quotes

    return uncurl_quotes(fix_character_width(fix_latin_ligatures(text)))


def _with_cleaners_own_fixes(text: str) -> str:
    """What cleaner does beyond ftfy: Unicode spaces to ASCII, every control character removed (ftfy
    keeps a lone C1 control), lookalike letters repaired (ftfy leaves a Cyrillic E in a Latin word)."""
    log = cleaner.normalize.EditLog()
    text = cleaner.normalize.remove_invisibles(text, log)
    text = cleaner.normalize.normalize_spaces(text, log)
    return cleaner.normalize.fix_lookalikes(text, log)


@pytest.mark.parametrize("case", [pytest.param(c, id=c["label"]) for c in FTFY_CASES if c["expect"] == "pass"])
def test_ftfy_case(case: dict[str, Any]) -> None:
    """Every case of ftfy's own suite that ftfy passes, cleaner passes too, allowing only for the
    documented choices above (tests/cases/normalize/ftfy/README.md says where the data comes from)."""
    ours, _ = normalize_text(case["original"])
    expected = _with_cleaners_own_fixes(case["fixed"])
    assert _without_kept_typography(ours) == _without_kept_typography(expected)


def test_ftfy_cases_are_all_there() -> None:
    assert len(FTFY_CASES) == 161
    assert sum(c["expect"] == "pass" for c in FTFY_CASES) == 151


def test_both_gate_regexes_find_every_sequence_ftfy_could_decode() -> None:
    """The gate read from the lead (Latin text) and from the continuation (Cyrillic and Greek text) both
    find every place ``_could_decode`` accepts, on random strings of leads, continuations and letters."""
    import random

    rng = random.Random(17)
    pool = [
        *(chr(c) for c in range(0x20, 0x7F)),
        *(chr(c) for c in range(0xA0, 0x180)),
        *(chr(c) for c in range(0x391, 0x3CA)),
        *(chr(c) for c in range(0x400, 0x460)),
        *"\N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK}\N{EM DASH}\N{EN DASH}\N{HORIZONTAL ELLIPSIS}\N{EURO SIGN}",
        *"\N{LEFT DOUBLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}\N{REPLACEMENT CHARACTER}?\x1a",
    ]
    found = 0
    for _ in range(5000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(2, 8)))
        exact = {k for k in range(len(text)) if cleaner.normalize._could_decode(text, k)}
        found += bool(exact)
        for gate, leads_at in ((MOJIBAKE_GATE, (0,)), (cleaner.normalize._MOJIBAKE_GATE_BY_CONTINUATION, (0, 1, 2))):
            hits = {m.start() - back for m in _overlapping(gate, text) for back in leads_at}
            assert exact <= hits, (text, gate is MOJIBAKE_GATE)
    assert found > 100


def _overlapping(pattern: Any, text: str) -> list[Any]:
    out, pos = [], 0
    while (m := pattern.search(text, pos)) is not None:
        out.append(m)
        pos = m.start() + 1
    return out


def test_badness_prefilter_matches_wherever_ftfy_finds_badness() -> None:
    """The prefilter derived from ftfy's BADNESS_RE may only skip lines ``is_bad`` would not flag."""
    import random
    import re

    import ftfy.badness

    prefilter = cleaner.normalize._BADNESS_PREFILTER
    assert prefilter is not None, "ftfy's BADNESS_RE has a shape _badness_prefilter does not read"
    named = sorted(set(re.sub(r"\s", "", ftfy.badness.BADNESS_RE.pattern)))
    pool = [c for c in named if c.isprintable()] + list(" abcXYZ.,?!\n") + [chr(c) for c in range(0x410, 0x450)]
    rng = random.Random(17)
    bad = 0
    for _ in range(20000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 6)))
        if ftfy.badness.is_bad(text):
            bad += 1
            assert prefilter.search(text), text
    assert bad > 1000


def test_fixer_character_sets_are_complete() -> None:
    """The sets that let normalize_text skip a fixer hold every character the fixer's regex matches, and
    a text with none of the NFC set is NFC whatever follows what."""
    n = cleaner.normalize
    for pattern, body, chars in (
        (n._INVISIBLE_RE, n._INVISIBLE_CLASS, n._INVISIBLE_CHARS),
        (n._SPACE_RE, n._SPACE_CLASS, n._SPACE_CHARS),
        (n._LINE_BREAK_CHAR_RE, n._LINE_BREAK_CLASS, n._LINE_BREAK_CHARS),
    ):
        everywhere = {chr(c) for c in range(0x110000) if pattern.fullmatch(chr(c))}
        assert everywhere == n._class_chars(body)
        assert everywhere <= chars
    for code in range(0x110000):
        ch = chr(code)
        if ch not in n._NFC_MAYBE and not 0xD800 <= code < 0xE000:
            assert unicodedata.is_normalized("NFC", ch), hex(code)
            assert unicodedata.combining(ch) == 0, hex(code)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [
                *"ae \n&;",
                "\u0301",
                "\u00e9",
                "\u200b",
                "\u00a0",
                "\r",
                "\x0b",
                "\u0627",
                "\u1161",
                "\u1100",
                "\u0430",
                "\u1f71",
                "\u0483",
                "\u03b1",
            ]
        )
    )
)
def test_skipping_fixers_changes_nothing(text: str) -> None:
    """The first round skips fixers by the characters present; running every fixer gives the same text."""
    fixers = cleaner.normalize._fixers(NormalizeConfig())
    full = text
    for _ in range(cleaner.normalize.MAX_ROUNDS):
        before = full
        for fixer in fixers:
            full = fixer(full, cleaner.normalize.EditLog())
        if full == before:
            break
    assert normalize_text(text)[0] == full


def test_cyrillic_mojibake_of_cyrillic_text_is_found_by_the_prefilter_path() -> None:
    """Russian read as cp1251 after UTF-8 is itself mostly Cyrillic: its lines take the badness-prefilter
    path of fix_mojibake, which must repair what ftfy repairs."""
    import ftfy

    cases = json.loads((CASES_DIR / "must_not_change.json").read_text(encoding="utf-8"))
    checked = 0
    for case in cases:
        line = case["original"]
        if sum("\u0400" <= ch <= "\u04ff" for ch in line) < len(line) / 2:
            continue
        try:
            mojibake = line.encode("utf-8").decode("windows-1251")
        except UnicodeDecodeError:
            continue
        expected = ftfy.fix_and_explain(mojibake, FTFY_CONFIG).text
        if expected == mojibake:
            continue
        checked += 1
        assert cleaner.normalize.fix_mojibake(mojibake, cleaner.normalize.EditLog()) == expected
    assert checked >= 3


def test_ftfy_is_imported_only_for_a_text_a_gate_sends_to_it(tmp_path: Path) -> None:
    """ftfy's import is a third of this module's: a process whose texts pass the gates (accents, entities,
    spaces, Cyrillic, but no mojibake) never imports it once the tables are cached; mojibake still reaches it."""
    clean = "Caf\u00e9 &amp; cr\u00e8me\u00a0br\u00fbl\u00e9e, \u043f\u0440\u0438\u0432\u0435\u0442 \u00ab x \u00bb"
    code = (
        "import json, sys; from cleaner.normalize import normalize_text; texts = json.loads(sys.argv[1]);"
        "clean = normalize_text(texts[0])[0]; before = 'ftfy' in sys.modules; fixed = normalize_text(texts[1])[0];"
        "print(json.dumps([clean, before, 'ftfy' in sys.modules, fixed]))"
    )
    command = [sys.executable, "-c", code, json.dumps([clean, "caf\u00c3\u00a9"])]
    env = {"CLEANER_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    subprocess.run(command, env=env, check=True, capture_output=True)  # derives the tables (importing ftfy)
    run = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    assert json.loads(run.stdout) == [clean.replace("&amp;", "&").replace("\u00a0", " "), False, True, "caf\u00e9"]
