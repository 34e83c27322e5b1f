"""Build the lookalike measurement sets for bench_normalize.py, and the Latin word list the repair uses.

    python benchmarks/gen_normalize_cases.py [--data PATH] [--locale /usr/share/locale] [--out DIR]
    python benchmarks/gen_normalize_cases.py --wordlist   # rebuild cleaner/data/latin_words.txt.gz

Three sets come out, one case per line (``{"kind", "source", "original", "expected"}``):
``tune.jsonl`` (seed 1) and ``heldout.jsonl`` (seed 2, the development set: its failures were looked at
once) split the sources below by a hash of each source's name (an article, a translation catalog, a CLDR
locale ...), so they share no source text and no random draw; ``test.jsonl`` (seed 3) is made from other
sources altogether (see ``test_sources``) and is the one reported as held out. Genuine text must come out byte-identical
(``expected == original``); spoofed text must come out as the text it was made from.

Sources, all read at run time (nothing is copied into the repository):

- English sentences: the Scrapinghub article-extraction benchmark's article bodies (MIT, shared data) and the
  English source strings (msgids) of the gettext catalogs installed under ``--locale`` (Debian's packages);
- genuine Cyrillic and Greek text: the translations (msgstrs) of those catalogs in Russian, Ukrainian,
  Belarusian, Bulgarian, Macedonian, Serbian (Cyrillic and Latin), Kazakh and Greek, which also give
  real mixed English-Russian strings; the Russian Scrapinghub articles; CLDR names (territories, languages,
  months) of the same locales from babel (Unicode License); the WCXB lines that use Greek letters in
  English prose (CC-BY-4.0, Murrough Foley, WCXB: Web Content Extraction Benchmark, 2026).

Spoofing kinds made from the English sentences (seeded ``random.Random``): Cyrillic TR39 lookalikes in
words, Greek TR39 lookalikes in words, one word mixing Cyrillic and Greek lookalikes, one letter outside
TR39 by shape (Cyrillic pe, ka, te ...), a word written only in lookalikes, a lone Cyrillic article "a" or
"I", "e.g." / "i.e." with lookalikes, a complex number ``2+5j`` with a Cyrillic je, a vertical tab inside
a word; and Cyrillic sentences with one Latin lookalike typed into a word (the mirror repair).

The word list (``--wordlist``): lower-cased Latin words found on at least three pages of the WCXB
development split's ground truth (shared data, CC-BY-4.0, attribution in cleaner/data/LATIN_WORDS.md).
The measurement sentences come from other sources, so the list did not see them.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import gettext
import gzip
import hashlib
import json
import random
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import DEFAULT_DATA, REPO

from cleaner.config import NormalizeConfig
from cleaner.homoglyphs import LOOKALIKE_TO_LATIN, SHAPE_TO_LATIN
from cleaner.normalize import normalize_text

OUT = REPO / "benchmarks" / "normalize_cases"
WORDLIST = REPO / "cleaner" / "data" / "latin_words.txt.gz"
LOCALES = ("ru", "uk", "be", "bg", "mk", "sr", "sr@latin", "kk", "el")
BABEL_LOCALES = ("ru", "uk", "be", "bg", "mk", "sr", "sr_Latn", "kk", "el")
SEEDS = {"tune": 1, "heldout": 2}
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\u0400-\u042f\u0391-\u03a9])")
LATIN_WORD_RE = re.compile(r"[^\W\d_]+")

# Lookalike letters by script: Latin letter -> its twins (TR39 table), and the shape table.
CYR_TWINS: dict[str, list[str]] = collections.defaultdict(list)
GREEK_TWINS: dict[str, list[str]] = collections.defaultdict(list)
# The letters a spammer would use (basic blocks only, no historic letters).
for _foreign, _latin in LOOKALIKE_TO_LATIN.items():
    if 0x0400 <= ord(_foreign) < 0x0460:
        CYR_TWINS[_latin].append(_foreign)
    elif 0x0391 <= ord(_foreign) < 0x03CA and _foreign != "\N{GREEK SMALL LETTER SIGMA}":
        GREEK_TWINS[_latin].append(_foreign)
SHAPE_TWINS: dict[str, list[str]] = collections.defaultdict(list)
for _foreign, _latin in SHAPE_TO_LATIN.items():
    SHAPE_TWINS[_latin].append(_foreign)


def half_of(name: str) -> str:
    """The set a source goes to, by a stable hash of its name."""
    return "tune" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "heldout"


_NO_LOOKALIKES = dataclasses.replace(NormalizeConfig(), repair_lookalikes=False)


def unchanged(text: str) -> bool:
    """True when no fixer but the lookalike repair would change ``text`` (no mojibake, entity, control,
    Unicode space ...): the sources are chosen without asking the rule being measured."""
    return normalize_text(text, _NO_LOOKALIKES)[0] == text


# ----------------------------------------------------------------------------------------- sources


def catalogs(locale_dir: Path, lang: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    for mo in sorted((locale_dir / lang / "LC_MESSAGES").glob("*.mo")):
        try:
            with mo.open("rb") as fh:
                cat = gettext.GNUTranslations(fh)
        except (OSError, ValueError, IndexError, UnicodeDecodeError):
            continue
        pairs = [
            (k, v)
            for k, v in cat._catalog.items()  # type: ignore[attr-defined]
            if isinstance(k, str) and isinstance(v, str) and k and v
        ]
        yield mo.stem, pairs


def good_english(s: str) -> bool:
    words = s.split()
    return (
        6 <= len(words) <= 40
        and s.isascii()
        and s.isprintable()
        and sum(w.isalpha() for w in words) >= 4
        and "%" not in s
        and "\\" not in s
    )


def english_sources(data: Path, locale_dir: Path) -> dict[str, list[str]]:
    """source name -> English sentences."""
    out: dict[str, list[str]] = {}
    gt = json.loads(
        (data / "extraction" / "scrapinghub-article-extraction-benchmark" / "ground-truth.json").read_text()
    )
    for key, rec in sorted(gt.items()):
        body = rec["articleBody"]
        if not re.search(r"\.(com|org|co\.uk|uk|net)/", rec.get("url", "") + "/"):
            continue
        sents = [s.strip() for para in body.split("\n") for s in SENTENCE_RE.split(para)]
        sents = [s for s in sents if good_english(s)]
        if sents:
            out[f"scrapinghub:{key[:12]}"] = sents
    seen: set[str] = set()
    for _lang_unused, (domain, pairs) in ((None, c) for c in catalogs(locale_dir, "ru")):
        sents = []
        for msgid, _ in pairs:
            s = msgid.split("\x04")[-1].split("\x00")[0].strip()
            if good_english(s) and s not in seen:
                seen.add(s)
                sents.append(s)
        if sents:
            out[f"msgid:{domain}"] = sents
    return out


def cyrillic_or_greek(s: str) -> bool:
    return any(0x0370 <= ord(c) <= 0x04FF for c in s)


def genuine_sources(data: Path, locale_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """source name -> [(kind, text)] of genuine text that must not change."""
    out: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for lang in LOCALES:
        for domain, pairs in catalogs(locale_dir, lang):
            for _, msgstr in pairs:
                for s in msgstr.split("\x00"):
                    s = s.strip()
                    if len(s) < 12 or not s.isprintable() or not unchanged(s):
                        continue
                    mixed = bool(re.search(r"[A-Za-z]{3}", s)) and cyrillic_or_greek(s)
                    kind = f"genuine:{lang}" + ("+latin" if mixed else "")
                    out[f"catalog:{lang}:{domain}"].append((kind, s))
    gt = json.loads(
        (data / "extraction" / "scrapinghub-article-extraction-benchmark" / "ground-truth.json").read_text()
    )
    for key, rec in sorted(gt.items()):
        for para in rec["articleBody"].split("\n"):
            if cyrillic_or_greek(para) and len(para) > 20 and unchanged(para):
                out[f"scrapinghub:{key[:12]}"].append(("genuine:article-ru", para))
    wcxb = json.loads((data / "extraction" / "wcxb-dev" / "ground-truth.json").read_text())
    for key, rec in sorted(wcxb.items()):
        for line in rec["articleBody"].split("\n"):
            greek = re.search("[\u0370-\u03ff]", line)
            if greek and re.search("[a-z]{3}", line) and unchanged(line):
                out[f"wcxb:{key[:12]}"].append(("genuine:greek-in-english", line))
            elif cyrillic_or_greek(line) and len(line) > 20 and unchanged(line):
                out[f"wcxb:{key[:12]}"].append(("genuine:wcxb-cyrillic", line))
    try:
        from babel import Locale
    except ImportError:
        return out
    for name in BABEL_LOCALES:
        loc = Locale.parse(name)
        for what, mapping in (("territories", loc.territories), ("languages", loc.languages)):
            names = [v for k, v in sorted(mapping.items()) if len(k) <= 3]
            for i in range(0, len(names), 12):
                s = ", ".join(names[i : i + 12])
                if unchanged(s):
                    out[f"cldr:{name}:{what}:{i // 120}"].append((f"genuine:cldr-{name}", s))
    return out


# ----------------------------------------------------------------------------------------- spoofing


def spoof_letters(word: str, rng: random.Random, twins: dict[str, list[str]], share: float) -> str:
    positions = [i for i, ch in enumerate(word) if ch in twins]
    if not positions:
        return word
    k = max(1, round(len(positions) * share * rng.random()))
    chosen = set(rng.sample(positions, min(k, len(positions))))
    return "".join(rng.choice(twins[ch]) if i in chosen else ch for i, ch in enumerate(word))


def words_of(sentence: str) -> list[re.Match[str]]:
    return [m for m in LATIN_WORD_RE.finditer(sentence) if len(m.group()) >= 2]


def replace_words(sentence: str, new: dict[int, str]) -> str:
    out, pos = [], 0
    for m in LATIN_WORD_RE.finditer(sentence):
        if m.start() in new:
            out += [sentence[pos : m.start()], new[m.start()]]
            pos = m.end()
    out.append(sentence[pos:])
    return "".join(out)


def spoof(sentence: str, kind: str, rng: random.Random) -> str | None:
    """The spoofed form of an English sentence, or None when the sentence has no place for this kind."""
    ws = words_of(sentence)
    if kind in ("cyrillic", "greek", "cyrillic+greek"):
        twins = {"cyrillic": CYR_TWINS, "greek": GREEK_TWINS}.get(kind)
        candidates = [m for m in ws if any(ch in CYR_TWINS for ch in m.group())]
        if not candidates:
            return None
        n = min(len(candidates), rng.choice([1, 1, 2, 3, 4]))
        new = {}
        for m in rng.sample(candidates, n):
            if twins is None:  # one word mixing both scripts, others with either
                both = {k: CYR_TWINS.get(k, []) + GREEK_TWINS.get(k, []) for k in set(CYR_TWINS) | set(GREEK_TWINS)}
                word = spoof_letters(m.group(), rng, both, 1.0)
            else:
                word = spoof_letters(m.group(), rng, twins, 0.6)
            new[m.start()] = word
        out = replace_words(sentence, new)
        return out if out != sentence else None
    if kind == "shape":
        candidates = [m for m in ws if len(m.group()) >= 4 and any(ch in SHAPE_TWINS for ch in m.group())]
        if not candidates:
            return None
        m = rng.choice(candidates)
        return replace_words(sentence, {m.start(): spoof_letters(m.group(), rng, SHAPE_TWINS, 0.0)})
    if kind == "lookalike-only-word":
        candidates = [m for m in ws if len(m.group()) >= 3 and all(ch in CYR_TWINS for ch in m.group())]
        if not candidates:
            return None
        m = rng.choice(candidates)
        return replace_words(sentence, {m.start(): "".join(rng.choice(CYR_TWINS[ch]) for ch in m.group())})
    if kind == "lone-letter":
        spots = [m for m in re.finditer(r"(?<![^\s(\"])(a|A|I)(?=\s)", sentence)]
        if not spots:
            return None
        m = rng.choice(spots)
        return sentence[: m.start()] + CYR_TWINS[m.group()][0] + sentence[m.end() :]
    if kind == "abbreviation":
        return None  # made by abbreviation_case, which changes the clean sentence too
    if kind == "complex-number":
        return None
    if kind == "control-in-word":
        candidates = [m for m in ws if len(m.group()) >= 4]
        if not candidates:
            return None
        m = rng.choice(candidates)
        i = m.start() + rng.randrange(1, len(m.group()))
        return sentence[:i] + "\x0b" + sentence[i:]
    raise ValueError(kind)


SPOOF_KINDS = (
    "cyrillic",
    "greek",
    "cyrillic+greek",
    "shape",
    "lookalike-only-word",
    "lone-letter",
    "abbreviation",
    "control-in-word",
)


def abbreviation_case(sentence: str, rng: random.Random) -> tuple[str, str]:
    """An "e.g." or "i.e." with Cyrillic lookalikes, at the start of a sentence (as after a sentence split)
    or inside it: (spoofed, clean)."""
    abbrev = rng.choice(["e.g.", "i.e."])
    spoofed = "".join(rng.choice(CYR_TWINS[ch]) if ch in CYR_TWINS else ch for ch in abbrev)
    cut = sentence.rstrip(".!?")
    template = "{} " + cut + "." if rng.random() < 0.5 else cut + ", {} this one."
    return template.format(spoofed), template.format(abbrev)


def complex_number_case(rng: random.Random) -> tuple[str, str]:
    a, b = rng.randrange(1, 20), rng.randrange(1, 20)
    clean = f"The impedance is Z = ({a}+{b}j) ohms."
    return clean.replace(f"{b}j", f"{b}\N{CYRILLIC SMALL LETTER JE}"), clean


def mirror_typo(text: str, rng: random.Random) -> str | None:
    """A Cyrillic text with one Cyrillic letter of one long word typed as its Latin twin."""
    twins = {
        "\N{CYRILLIC SMALL LETTER A}": "a",
        "\N{CYRILLIC SMALL LETTER IE}": "e",
        "\N{CYRILLIC SMALL LETTER O}": "o",
        "\N{CYRILLIC SMALL LETTER ER}": "p",
        "\N{CYRILLIC SMALL LETTER ES}": "c",
        "\N{CYRILLIC SMALL LETTER HA}": "x",
    }
    words = [
        m
        for m in LATIN_WORD_RE.finditer(text)
        if len(m.group()) >= 5
        and all(0x0430 <= ord(c) < 0x0450 for c in m.group())
        and any(c in twins for c in m.group())
        and any(c not in LOOKALIKE_TO_LATIN for c in m.group())
    ]
    if not words:
        return None
    m = rng.choice(words)
    positions = [i for i, c in enumerate(m.group()) if c in twins]
    i = rng.choice(positions)
    w = m.group()
    return text[: m.start()] + w[:i] + twins[w[i]] + w[i + 1 :] + text[m.end() :]


# ----------------------------------------------------------------------------------------- build


def build(data: Path, locale_dir: Path, per_kind: int) -> dict[str, list[dict[str, str]]]:
    english = english_sources(data, locale_dir)
    genuine = genuine_sources(data, locale_dir)
    sets: dict[str, list[dict[str, str]]] = {}
    for name, seed in SEEDS.items():
        rng = random.Random(seed)
        cases: list[dict[str, str]] = []
        pool = [(src, s) for src, sents in sorted(english.items()) if half_of(src) == name for s in sents]
        pool = [(src, s) for src, s in pool if unchanged(s)]
        rng.shuffle(pool)
        cases.extend(english_cases(pool, rng, per_kind))
        # Genuine foreign text: up to per_kind cases of each kind, drawn from this half's sources.
        by_kind: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        for src, items in sorted(genuine.items()):
            if half_of(src) == name:
                for kind, text in items:
                    by_kind[kind.split("+")[0] if kind.startswith("genuine:") else kind].append((src, text))
                    if kind.endswith("+latin"):
                        by_kind["genuine:mixed-latin"].append((src, text))
        for kind, items in sorted(by_kind.items()):
            items = sorted(set(items))
            rng.shuffle(items)
            limit = per_kind if kind.startswith(("genuine:mixed", "genuine:greek-in")) else per_kind // 2
            for src, text in items[:limit]:
                cases.append({"kind": kind, "source": src, "original": text, "expected": text})
        # Mirror typos in Russian and other Cyrillic catalog strings.
        cyr = [
            (src, t)
            for kind, items in sorted(by_kind.items())
            if kind in ("genuine:ru", "genuine:uk", "genuine:bg", "genuine:be")
            for src, t in items
        ]
        rng.shuffle(cyr)
        made = 0
        for src, text in cyr:
            typo = mirror_typo(text, rng)
            if typo is None or re.search(r"[A-Za-z]", text):
                continue
            cases.append({"kind": "spoof:mirror-typo", "source": src, "original": typo, "expected": text})
            made += 1
            if made >= per_kind // 2:
                break
        sets[name] = cases
    return sets


def test_sources(data: Path) -> tuple[dict[str, list[str]], dict[str, list[tuple[str, str]]]]:
    """Sources of the final test set, none of them used by the tune and dev sets or the word list:
    English sentences of Reuters-21578 (research use; read from the shared data at run time, never
    stored) and of vim's English messages; genuine text from vim's Russian, Ukrainian and Serbian
    translations (/usr/share/vim), humanize's Russian, Ukrainian and Greek translations (MIT), dateparser's
    language data for the nine locales (BSD-3-Clause), and CLDR months, weekdays and currency names from
    babel (Unicode License)."""
    english: dict[str, list[str]] = {}
    with gzip.open(data / "corpus" / "reuters21578" / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            body = " ".join((json.loads(line).get("text") or "").split())
            sents = [s for s in SENTENCE_RE.split(body) if good_english(s)]
            if sents:
                english[f"reuters:{n // 50}"] = english.get(f"reuters:{n // 50}", []) + sents
    genuine: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    vim = Path("/usr/share/vim")
    for mo in sorted(vim.glob("vim*/lang/*/LC_MESSAGES/vim.mo")):
        lang = mo.parts[-3]
        if lang not in ("ru", "uk", "sr"):
            continue
        with mo.open("rb") as fh:
            cat = gettext.GNUTranslations(fh)
        for msgid, msgstr in cat._catalog.items():  # type: ignore[attr-defined]
            if not (isinstance(msgid, str) and isinstance(msgstr, str)):
                continue
            if lang == "ru" and good_english(msgid):
                english.setdefault("vim:msgid", []).append(msgid)
            s = msgstr.strip()
            if len(s) >= 12 and s.isprintable() and unchanged(s):
                mixed = bool(re.search(r"[A-Za-z]{3}", s))
                genuine[f"vim:{lang}"].append((f"genuine:vim-{lang}" + ("+latin" if mixed else ""), s))
    import humanize

    for mo in sorted(Path(humanize.__file__).parent.glob("locale/*/LC_MESSAGES/humanize.mo")):
        lang = mo.parts[-3]
        if lang not in ("ru_RU", "uk_UA", "el_GR"):
            continue
        with mo.open("rb") as fh:
            cat = gettext.GNUTranslations(fh)
        for msgstr in cat._catalog.values():  # type: ignore[attr-defined]
            if isinstance(msgstr, str) and len(msgstr) >= 4 and unchanged(msgstr):
                genuine[f"humanize:{lang}"].append((f"genuine:humanize-{lang}", msgstr))
    import importlib

    for lang in ("ru", "uk", "be", "bg", "mk", "sr-Cyrl", "sr-Latn", "kk", "el"):
        info = importlib.import_module(f"dateparser.data.date_translation_data.{lang}").info
        words = [w for key, vals in info.items() if isinstance(vals, list) for w in vals if isinstance(w, str)]
        words = [w for w in words if any(ch.isalpha() for ch in w)]
        for i in range(0, len(words), 10):
            s = ", ".join(words[i : i + 10])
            if unchanged(s):
                genuine[f"dateparser:{lang}"].append((f"genuine:dateparser-{lang}", s))
    from babel import Locale

    for name in BABEL_LOCALES:
        loc = Locale.parse(name)
        for what in ("months", "days"):
            table = getattr(loc, what)["format"]["wide"]
            s = ", ".join(table[k] for k in sorted(table))
            if unchanged(s):
                genuine[f"cldr:{name}:{what}"].append((f"genuine:cldr-{name}", s))
        names = [v for _, v in sorted(loc.currencies.items())]
        for i in range(0, min(len(names), 120), 12):
            s = ", ".join(names[i : i + 12])
            if unchanged(s):
                genuine[f"cldr:{name}:currencies"].append((f"genuine:cldr-{name}", s))
    return english, genuine


def english_cases(pool: list[tuple[str, str]], rng: random.Random, per_kind: int) -> list[dict[str, str]]:
    """From shuffled English ``(source, sentence)`` pairs: up to ``per_kind`` spoofed cases of each
    kind, then ``per_kind`` genuine sentences, then synthetic complex numbers (``5j`` spoofed)."""
    cases: list[dict[str, str]] = []
    it = iter(pool)
    for kind in SPOOF_KINDS:
        made = 0
        for src, sentence in it:
            if kind == "abbreviation":
                spoofed, sentence = abbreviation_case(sentence, rng)
            else:
                spoofed = spoof(sentence, kind, rng)
            if spoofed is None:
                continue
            cases.append({"kind": f"spoof:{kind}", "source": src, "original": spoofed, "expected": sentence})
            made += 1
            if made >= per_kind:
                break
    for src, sentence in list(it)[:per_kind]:
        cases.append({"kind": "genuine:english", "source": src, "original": sentence, "expected": sentence})
    for _ in range(per_kind // 4):
        original, clean = complex_number_case(rng)
        cases.append({"kind": "spoof:complex-number", "source": "synthetic", "original": original, "expected": clean})
    return cases


def build_test(data: Path, per_kind: int, seed: int = 3) -> list[dict[str, str]]:
    english, genuine = test_sources(data)
    rng = random.Random(seed)
    cases: list[dict[str, str]] = []
    pool = [(src, s) for src, sents in sorted(english.items()) for s in sents if unchanged(s)]
    rng.shuffle(pool)
    cases.extend(english_cases(pool, rng, per_kind))
    by_kind: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for src, items in sorted(genuine.items()):
        for kind, text in items:
            by_kind[kind.split("+")[0]].append((src, text))
            if kind.endswith("+latin"):
                by_kind["genuine:mixed-latin"].append((src, text))
    for kind, items in sorted(by_kind.items()):
        items = sorted(set(items))
        rng.shuffle(items)
        for src, text in items[:per_kind]:
            cases.append({"kind": kind, "source": src, "original": text, "expected": text})
    cyr = [(src, t) for src, t in by_kind.get("genuine:vim-ru", []) + by_kind.get("genuine:vim-uk", [])]
    rng.shuffle(cyr)
    made = 0
    for src, text in cyr:
        typo = mirror_typo(text, rng)
        if typo is None or re.search(r"[A-Za-z]", text):
            continue
        cases.append({"kind": "spoof:mirror-typo", "source": src, "original": typo, "expected": text})
        made += 1
        if made >= per_kind // 2:
            break
    return cases


def build_wordlist(data: Path) -> None:
    wcxb = json.loads((data / "extraction" / "wcxb-dev" / "ground-truth.json").read_text())
    pages: collections.Counter[str] = collections.Counter()
    for rec in wcxb.values():
        words = LATIN_WORD_RE.findall(rec["articleBody"] + " " + (rec.get("title") or ""))
        pages.update(
            {w.lower() for w in words if all(unicodedata.name(c, "").startswith("LATIN") for c in w) and len(w) <= 30}
        )
    kept = sorted(w for w, n in pages.items() if n >= 3)
    WORDLIST.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(WORDLIST, "wb", mtime=0) as fh:
        fh.write(("\n".join(kept) + "\n").encode("utf-8"))
    print(f"{len(kept)} words -> {WORDLIST}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--locale", type=Path, default=Path("/usr/share/locale"), help="gettext catalogs")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--per-kind", type=int, default=120, help="cases per kind and set")
    parser.add_argument("--wordlist", action="store_true", help="rebuild cleaner/data/latin_words.txt.gz instead")
    args = parser.parse_args(argv)
    if args.wordlist:
        build_wordlist(args.data)
        return 0
    sets = build(args.data, args.locale, args.per_kind)
    sets["test"] = build_test(args.data, args.per_kind)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, cases in sets.items():
        path = args.out / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for case in cases:
                fh.write(json.dumps(case, ensure_ascii=False) + "\n")
        kinds = collections.Counter(c["kind"] for c in cases)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{name}: {len(cases)} cases -> {path} (sha256 {digest})")
        for kind, n in sorted(kinds.items()):
            print(f"  {kind:32s} {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
