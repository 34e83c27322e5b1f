"""Normalize-only throughput: cleaner's normalize stage beside ftfy with datatrove's settings, one run.

    python benchmarks/bench_normalize.py [--data PATH] [--repeats N] [--limit N]

Input: ``corpus/reuters21578/reuters21578.jsonl.gz`` (Reuters-21578, Distribution 1.0, research use only;
read from the shared data folder, never copied), each document as ``title + "\\n" + text``.

Peer: ``ftfy.fix_text(text, config=...)`` with the TextFixerConfig that datatrove's ``FTFYFormatter``
builds from its defaults (``src/datatrove/pipeline/formatters/ftfy.py``: fix encodings, restore bytes,
surrogates, controls, terminal escapes, "auto" entities; no ligatures, width, quote, line-break or
Unicode-form changes). That is what a datatrove pipeline runs per document.

Two inputs are measured:
- ``reuters``: the corpus as it is (English newswire, nearly all ASCII);
- ``reuters+noise``: the same documents where every 10th line is damaged the way scraped text is
  (cp1252 mojibake of curly quotes and accents, a no-break space, a zero-width space, an entity), so the
  slow paths run too. The damage is made here at run time; nothing is stored.

Both tools run in this one process, pinned to one core, alternating chunk by chunk (500 documents); each
chunk counts with its best of ``--repeats`` runs per tool.
Throughput is MB/s of UTF-8 input. The script also counts documents each tool changed and checks that
cleaner repaired the mojibake ftfy repaired (lines whose ftfy output differs from cleaner's).
Clean non-ASCII text, where both tools change (nearly) nothing and cleaner should stay on its fast paths:
- ``articles-non-ascii``: the Scrapinghub article bodies (shared data, MIT) that are not pure ASCII (curly
  quotes, accented Portuguese/Italian, four Russian articles);
- ``pages-latin-non-ascii`` and ``pages-cyrillic``: the Scrapinghub and WCXB (CC-BY-4.0) bodies that are
  not ASCII, split by script (more than 30% Cyrillic characters or not);
- ``tutors-cyrillic-greek``: the Russian, Ukrainian, Bulgarian and Greek translations of Vim's tutor
  (``/usr/share/vim/vim*/tutor/tutor.{ru,uk,bg,el}.utf-8``, Vim license), running prose with Vim commands
  in Latin letters, when Vim is installed;
- ``catalogs-ru``: the Russian translations of the gettext catalogs under /usr/share/locale (Debian's
  packages), one document per catalog, when that folder exists: short interface strings full of Latin
  placeholders, option names and program names (the hardest case for the lookalike gate).

``--lookalikes`` scores the lookalike measurement sets made by ``gen_normalize_cases.py`` (run it first):
the share of cases whose output is exactly the expected text, per kind, with genuine text counted apart
(it must all come out byte-identical). The ``test`` set is the held-out one.
Results: ``benchmarks/results/bench_normalize.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ftfy
from _common import DEFAULT_DATA, peak_rss_mb, pin_one_core, table, write_results

from cleaner.config import NormalizeConfig
from cleaner.normalize import normalize_text

# datatrove FTFYFormatter() defaults, field by field.
DATATROVE_FTFY = ftfy.TextFixerConfig(
    unescape_html="auto",
    remove_terminal_escapes=True,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=True,
    remove_control_chars=True,
    normalization=None,
)


def load_reuters(data: Path, limit: int | None) -> list[str]:
    path = data / "corpus" / "reuters21578" / "reuters21578.jsonl.gz"
    if not path.exists():
        raise SystemExit(f"{path} not found: pass --data pointing at the shared data folder")
    docs: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            text = (record.get("title") or "") + "\n" + (record.get("text") or "")
            if text.strip():
                docs.append(text)
            if limit and len(docs) >= limit:
                break
    return docs


def damage(docs: list[str]) -> list[str]:
    """Every 10th line gets one kind of damage scraped text shows, in turn."""
    kinds: list[Callable[[str], str]] = [
        lambda s: (
            ("\N{LEFT DOUBLE QUOTATION MARK}" + s + "\N{RIGHT DOUBLE QUOTATION MARK}")
            .encode("utf-8")
            .decode("windows-1252", errors="replace")
        ),
        lambda s: (s + " caf\N{LATIN SMALL LETTER E WITH ACUTE}").encode("utf-8").decode("latin-1"),
        lambda s: s.replace(" ", "\N{NO-BREAK SPACE}", 2),
        lambda s: s.replace(" ", " \N{ZERO WIDTH SPACE}", 1),
        lambda s: s.replace(" and ", " &amp; ", 1) + " &#233;",
    ]
    out: list[str] = []
    n = 0
    for doc in docs:
        lines = doc.split("\n")
        for i in range(0, len(lines), 10):
            lines[i] = kinds[n % len(kinds)](lines[i])
            n += 1
        out.append("\n".join(lines))
    return out


def run(fn: Callable[[str], str], docs: list[str]) -> tuple[float, list[str]]:
    start = time.process_time()  # CPU seconds of this process: both tools run in it, one after the other
    out = [fn(d) for d in docs]
    return time.process_time() - start, out


# Chunks of this many documents are timed tool after tool, and each chunk keeps its best time per tool:
# on a shared machine, load that comes and goes then hits both tools alike instead of one whole run.
CHUNK_DOCS = 500


def measure(name: str, docs: list[str], repeats: int) -> dict[str, object]:
    cfg = NormalizeConfig()

    def cleaner_fn(text: str) -> str:
        return normalize_text(text, cfg)[0]

    def ftfy_fn(text: str) -> str:
        return ftfy.fix_text(text, config=DATATROVE_FTFY)

    tools: list[tuple[str, Callable[[str], str]]] = [("cleaner", cleaner_fn), ("ftfy", ftfy_fn)]
    size = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    best = {"cleaner": 0.0, "ftfy": 0.0}
    outputs: dict[str, list[str]] = {"cleaner": [], "ftfy": []}
    for offset in range(0, len(docs), CHUNK_DOCS):
        chunk = docs[offset : offset + CHUNK_DOCS]
        chunk_best = {"cleaner": float("inf"), "ftfy": float("inf")}
        for repeat in range(repeats):
            for tool, fn in tools if repeat % 2 == 0 else tools[::-1]:
                seconds, out = run(fn, chunk)
                chunk_best[tool] = min(chunk_best[tool], seconds)
                if repeat == 0:
                    outputs[tool].extend(out)
        for tool in best:
            best[tool] += chunk_best[tool]
    changed = {tool: sum(a != b for a, b in zip(docs, out, strict=True)) for tool, out in outputs.items()}
    # Mojibake ftfy repaired that cleaner did not: lines where ftfy changed the text and cleaner's line
    # differs from ftfy's after ignoring what only cleaner does (spaces, invisibles, entities).
    missed = 0
    for original, ours, theirs in zip(docs, outputs["cleaner"], outputs["ftfy"], strict=True):
        if theirs != original:
            theirs_cleaned = normalize_text(theirs, cfg)[0]
            missed += sum(a != b for a, b in zip(ours.split("\n"), theirs_cleaned.split("\n"), strict=False))
    return {
        "input": name,
        "docs": len(docs),
        "mb": round(size, 3),
        "cleaner_seconds": round(best["cleaner"], 4),
        "ftfy_seconds": round(best["ftfy"], 4),
        "cleaner_mb_s": round(size / best["cleaner"], 2),
        "ftfy_mb_s": round(size / best["ftfy"], 2),
        "speedup": round(best["ftfy"] / best["cleaner"], 2),
        "docs_changed_cleaner": changed["cleaner"],
        "docs_changed_ftfy": changed["ftfy"],
        "lines_ftfy_fixed_differently": missed,
    }


def _bodies(data: Path, name: str) -> list[str]:
    path = data / "extraction" / name / "ground-truth.json"
    if not path.exists():
        raise SystemExit(f"{path} not found: pass --data pointing at the shared data folder")
    return [rec["articleBody"] for _, rec in sorted(json.loads(path.read_text(encoding="utf-8")).items())]


def _cyrillic_share(text: str) -> float:
    return sum(1 for ch in text if "\u0400" <= ch <= "\u04ff") / max(1, len(text))


def load_articles_non_ascii(data: Path) -> list[str]:
    return [b for b in _bodies(data, "scrapinghub-article-extraction-benchmark") if not b.isascii()]


def load_pages(data: Path, cyrillic: bool) -> list[str]:
    """Scrapinghub and WCXB bodies that are not ASCII: mostly Latin-script ones, or mostly Cyrillic ones."""
    bodies = _bodies(data, "scrapinghub-article-extraction-benchmark") + _bodies(data, "wcxb-dev")
    return [b for b in bodies if not b.isascii() and (_cyrillic_share(b) > 0.3) == cyrillic]


def load_tutors(vim_dir: Path = Path("/usr/share/vim")) -> list[str]:
    """Vim's tutor in Russian, Ukrainian, Bulgarian and Greek (UTF-8 files), one document each."""
    return [
        path.read_text(encoding="utf-8")
        for lang in ("ru", "uk", "bg", "el")
        for path in sorted(vim_dir.glob(f"vim*/tutor/tutor.{lang}.utf-8"))[-1:]
    ]


def load_catalogs(locale_dir: Path, lang: str) -> list[str]:
    """The translations of every gettext catalog of one language, one document per catalog."""
    import gettext

    docs = []
    for mo in sorted((locale_dir / lang / "LC_MESSAGES").glob("*.mo")):
        try:
            with mo.open("rb") as fh:
                catalog = gettext.GNUTranslations(fh)
        except (OSError, ValueError, IndexError, UnicodeDecodeError):
            continue
        messages = [m for m in catalog._catalog.values() if isinstance(m, str)]  # type: ignore[attr-defined]
        if messages:
            docs.append("\n".join(messages))
    return docs


def score_lookalikes(cases_dir: Path) -> dict[str, object]:
    """Exactly-right share of each measurement set, by kind; genuine text apart."""
    out: dict[str, object] = {}
    for path in sorted(cases_dir.glob("*.jsonl")):
        cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        right: dict[str, int] = {}
        total: dict[str, int] = {}
        failures: list[dict[str, str]] = []
        for case in cases:
            got = normalize_text(case["original"])[0]
            kind = case["kind"]
            total[kind] = total.get(kind, 0) + 1
            if got == case["expected"]:
                right[kind] = right.get(kind, 0) + 1
            else:
                failures.append({"kind": kind, "original": case["original"], "got": got})
        genuine = [k for k in total if k.startswith("genuine:")]
        out[path.stem] = {
            "cases": len(cases),
            "exactly_right": round(sum(right.values()) / len(cases), 4),
            "genuine_cases": sum(total[k] for k in genuine),
            "genuine_unchanged": sum(right.get(k, 0) for k in genuine),
            "by_kind": {k: f"{right.get(k, 0)}/{n}" for k, n in sorted(total.items())},
            "failures": failures[:40],
        }
    return out


def catalog_repairs(locale_dir: Path) -> dict[str, list[list[str]]]:
    """Lookalike repairs in the translated messages of gettext catalogs (``/usr/share/locale`` on Debian).

    A review aid for the lookalike rules: genuine Cyrillic and Greek text, where every repair should be a
    real typo (a Latin letter typed into a Cyrillic word) and never a change to a genuine word.
    """
    import gettext

    from cleaner.homoglyphs import find_lookalike_repairs

    found: dict[str, set[tuple[str, str]]] = {}
    for mo in sorted(locale_dir.glob("*/LC_MESSAGES/*.mo")):
        lang = mo.parts[-3]
        try:
            with mo.open("rb") as fh:
                catalog = gettext.GNUTranslations(fh)
        except (OSError, ValueError, IndexError) as exc:  # catalogs gettext cannot parse
            print(f"skipped {mo}: {exc}", file=sys.stderr)
            continue
        for message in catalog._catalog.values():  # type: ignore[attr-defined]
            if isinstance(message, str):
                for r in find_lookalike_repairs(message):
                    found.setdefault(lang, set()).add((r.before, r.after))
    return {lang: sorted([a, b] for a, b in pairs) for lang, pairs in sorted(found.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--repeats", type=int, default=5, help="runs per chunk and tool; the best one counts")
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument(
        "--lookalikes",
        type=Path,
        nargs="?",
        const=Path(__file__).resolve().parent / "normalize_cases",
        default=None,
        help="score the lookalike sets made by gen_normalize_cases.py (default folder: benchmarks/normalize_cases)",
    )
    parser.add_argument("--skip-speed", action="store_true", help="only the lookalike scores")
    parser.add_argument(
        "--inputs", default=None, help="speed rows to run, comma-separated (default: all), e.g. pages-cyrillic"
    )
    parser.add_argument(
        "--catalogs", type=Path, default=None, help="also list lookalike repairs in gettext catalogs under this folder"
    )
    args = parser.parse_args(argv)

    pin_one_core()
    results = []
    if not args.skip_speed:
        loaders: dict[str, Callable[[], list[str]]] = {
            "reuters": lambda: load_reuters(args.data, args.limit),
            "reuters+noise": lambda: damage(load_reuters(args.data, args.limit)),
            "articles-non-ascii": lambda: load_articles_non_ascii(args.data),
            "pages-latin-non-ascii": lambda: load_pages(args.data, cyrillic=False),
            "pages-cyrillic": lambda: load_pages(args.data, cyrillic=True),
            "tutors-cyrillic-greek": load_tutors,
            "catalogs-ru": lambda: load_catalogs(Path("/usr/share/locale"), "ru"),
        }
        chosen = args.inputs.split(",") if args.inputs else list(loaders)
        unknown = sorted(set(chosen) - set(loaders))
        if unknown:
            parser.error(f"unknown --inputs {', '.join(unknown)}; choose from {', '.join(loaders)}")
        for name in chosen:
            docs = loaders[name]()
            if docs:  # the tutors and catalogs exist only where Vim and the catalogs are installed
                results.append(measure(name, docs, args.repeats))

    rows = [
        [
            r["input"],
            r["docs"],
            r["mb"],
            r["cleaner_mb_s"],
            r["ftfy_mb_s"],
            f"{r['speedup']}x",
            r["docs_changed_cleaner"],
            r["docs_changed_ftfy"],
            r["lines_ftfy_fixed_differently"],
        ]
        for r in results
    ]
    header = ["input", "docs", "MB", "cleaner MB/s", "ftfy MB/s", "ratio", "changed (cl)", "changed (ftfy)", "differ"]
    print(f"normalize-only, one core, best of {args.repeats} runs per chunk; ftfy = datatrove FTFYFormatter defaults")
    print(table(rows, header))
    print(f"peak RSS {peak_rss_mb():.0f} MB")
    payload: dict[str, object] = {
        "command": "python " + " ".join(sys.argv),
        "repeats": args.repeats,
        "results": results,
    }
    if args.lookalikes:
        scores = score_lookalikes(args.lookalikes)
        print("\nlookalike measurement sets (exactly right; genuine text must be unchanged)")
        for name, r in scores.items():
            assert isinstance(r, dict)
            print(
                f"  {name:8s} {r['cases']:5d} cases  exactly right {r['exactly_right']:.4f}  "
                f"genuine unchanged {r['genuine_unchanged']}/{r['genuine_cases']}"
            )
            for kind, frac in r["by_kind"].items():
                print(f"      {kind:32s} {frac}")
        payload["lookalikes"] = scores
    if args.catalogs:
        repairs = catalog_repairs(args.catalogs)
        print(f"\nlookalike repairs in {args.catalogs} (review: each should fix a typo, not a genuine word)")
        for lang, pairs in repairs.items():
            shown = ", ".join(f"{before!a} -> {after}" for before, after in pairs[:6])
            print(f"  {lang:8s} {len(pairs):3d}  {shown}")
        payload["catalog_repairs"] = repairs
    path = write_results("bench_normalize", payload, ["ftfy"])
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
