"""The signals stage: its speed, and its presets checked against datatrove's filters on the same texts.

    nice python benchmarks/bench_quality.py                       # 10 MB page dump + WCXB dev pages
    nice python benchmarks/bench_quality.py --dump /tmp/d.jsonl --wcxb 0 --no-e2e

**Texts.** What the signals stage sees in a run: each document after HTML extraction, normalize,
boilerplate lines, site templates and tidy (``cleaner.api.Cleaner`` with the stages before signals).

- the page dump of ``benchmarks/gen_dump.py`` (Reuters articles wrapped in site boilerplate, 10 MB;
  Reuters is research-only, so the dump is written outside the repository);
- the 1,497 real pages of the WCXB dev split (CC-BY-4.0, Murrough Foley, *WCXB: Web Content
  Extraction Benchmark*, 2026): articles, products, listings, forums, documentation, in several
  languages, which is where quality filters have work to do.

**Speed.** CPU seconds of the stage alone over the dump's documents (setup apart, median of three
passes), as MB of the dump's input per CPU-second, with the filters off (signals only) and with
all three presets on; then end to end as a user runs it: ``cleaner clean`` with and without the
stage on one worker, CPU seconds of the whole process tree, runs alternated. datatrove's four
filters run over the same texts for a side-by-side figure.

**Agreement.** For each preset, cleaner's verdict (keep or drop) against datatrove's filters with
their default (published) thresholds: ``gopher`` = GopherQualityFilter + GopherRepetitionFilter,
``c4`` = C4QualityFilter, ``fineweb`` = FineWebQualityFilter. Disagreements are tallied by the pair
of reasons, with examples written to the JSON result.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import DEFAULT_DATA, REPO, machine, pin_one_core, table, write_results

from cleaner.api import Cleaner
from cleaner.config import Config, QualityConfig
from cleaner.record import Document, Source
from cleaner.signals import Signals

BEFORE_SIGNALS = Config(stages=("normalize", "boilerplate"))


def dump_documents(path: Path) -> tuple[list[Document], int]:
    """The dump's records as Documents, and the dump's size in bytes."""
    docs = []
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            rec = json.loads(line)
            docs.append(
                Document(
                    id=rec["id"],
                    text=rec["text"],
                    source=Source(path.name, line_no),
                    metadata={"url": rec["url"]},
                    chars_in=len(rec["text"]),
                )
            )
    return docs, path.stat().st_size


def wcxb_documents(limit: int) -> list[Document]:
    folder = DEFAULT_DATA / "extraction" / "wcxb-dev"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    docs = []
    for page_id in sorted(truth)[:limit]:
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
        docs.append(
            Document(
                id=page_id,
                text="",
                kind="html",
                html=html,
                source=Source(f"wcxb/{page_id}.html"),
                metadata={"url": truth[page_id].get("url"), "page_type": truth[page_id].get("page_type")},
            )
        )
    return docs


def stage_input(docs: list[Document]) -> list[Document]:
    """The documents as the signals stage receives them (kept ones only)."""
    return list(Cleaner(BEFORE_SIGNALS).clean(docs))


def time_stage(docs: list[Document], cfg: QualityConfig, repeats: int = 3) -> tuple[float, float]:
    """(setup CPU seconds, median CPU seconds of a pass over ``docs``)."""
    started = time.process_time()
    stage = Signals(cfg)
    stage.setup()
    stage.measure("Load the language models before timing. " * 5)
    stage.measure("Kurz.")
    setup = time.process_time() - started
    passes = []
    for _ in range(repeats):
        started = time.process_time()
        for _doc in stage(docs):
            pass
        passes.append(time.process_time() - started)
    return setup, statistics.median(passes)


def datatrove_filters() -> dict[str, list[Any]]:
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    return {
        "gopher": [GopherQualityFilter(), GopherRepetitionFilter()],
        "c4": [C4QualityFilter()],
        "fineweb": [FineWebQualityFilter()],
    }


def datatrove_verdict(filters: list[Any], text: str) -> str | None:
    from datatrove.data import Document as DtDocument

    for f in filters:
        doc = DtDocument(text=text, id="x")
        result = f.filter(doc)
        if result is not True and result is not None:
            return result[1] if isinstance(result, tuple) else "dropped"
    return None


def agreement(docs: list[Document], label: str) -> tuple[dict[str, Any], dict[str, float]]:
    filters = datatrove_filters()
    out: dict[str, Any] = {}
    dt_seconds: dict[str, float] = {}
    for preset, dt in filters.items():
        stage = Signals(QualityConfig(presets=(preset,)))
        ours = []
        for doc in docs:
            v = stage.verdict(stage.measure(doc.text), doc.text)
            ours.append(None if v is None else (str(v[0]), v[1]))
        started = time.process_time()
        theirs = [datatrove_verdict(dt, doc.text) for doc in docs]
        dt_seconds[preset] = time.process_time() - started
        pairs: Counter[str] = Counter()
        examples: dict[str, list[dict[str, Any]]] = {}
        both_drop = both_keep = 0
        for doc, a, b in zip(docs, ours, theirs, strict=True):
            if (a is None) == (b is None):
                both_keep += a is None
                both_drop += a is not None
                continue
            key = f"cleaner {a[0] if a else 'keep'} / datatrove {b or 'keep'}"
            pairs[key] += 1
            if len(examples.setdefault(key, [])) < 3:
                examples[key].append({"id": doc.id, "cleaner": a[1] if a else None, "text": doc.text[:300]})
        n = len(docs)
        out[preset] = {
            "documents": n,
            "agreement": round((both_keep + both_drop) / n, 4) if n else None,
            "both_drop": both_drop,
            "both_keep": both_keep,
            "cleaner_drops": sum(a is not None for a in ours),
            "datatrove_drops": sum(b is not None for b in theirs),
            "disagreements": dict(pairs.most_common()),
            "examples": examples,
        }
        r = out[preset]
        print(
            f"{label} {preset:8} agreement {r['agreement']:.4f}  drops cleaner {r['cleaner_drops']:,} "
            f"datatrove {r['datatrove_drops']:,} of {n:,}",
            file=sys.stderr,
        )
        for key, count in pairs.most_common(6):
            print(f"    {count:5,}  {key}", file=sys.stderr)
    return out, dt_seconds


def end_to_end(dump: Path, rounds: int) -> dict[str, Any]:
    """CPU seconds of ``cleaner clean`` (one worker) with and without the signals stage, alternated."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    variants = {
        "without_signals": "normalize,boilerplate,dedup",
        "with_signals": "normalize,boilerplate,signals,dedup",
    }
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for name, stages in variants.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run(
                    [sys.executable, "-m", "cleaner", "clean", str(dump), "-o", f"{tmp}/{name}", "--jobs", "1",
                     "--stages", stages, "-q", "--report", f"{tmp}/{name}.report.jsonl"],
                    check=True, env=env,
                )  # fmt: skip
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    mb = dump.stat().st_size / 1e6
    without, with_ = min(cpu["without_signals"]), min(cpu["with_signals"])
    return {
        "cpu_s": {k: [round(x, 2) for x in v] for k, v in cpu.items()},
        "added_cpu_s": round(with_ - without, 2),
        "added_share": round((with_ - without) / without, 3),
        "mb_per_added_cpu_s": round(mb / (with_ - without), 1) if with_ > without else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dump", type=Path, default=None, help="page dump from gen_dump.py (default: make 10 MB)")
    parser.add_argument("--wcxb", type=int, default=1497, help="WCXB dev pages to compare on (0: none)")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end runs")
    parser.add_argument("--rounds", type=int, default=2, help="end-to-end rounds per variant")
    args = parser.parse_args()
    pin_one_core()
    dump = args.dump
    if dump is None:
        dump = Path(tempfile.gettempdir()) / "cleaner-dumps" / "dump-10MB.jsonl"
        if not dump.exists():
            subprocess.run(
                [sys.executable, str(REPO / "benchmarks" / "gen_dump.py"), "--size", "10MB", "--out", str(dump)],
                check=True,
            )
    raw, dump_bytes = dump_documents(dump)
    docs = stage_input(raw)
    mb = dump_bytes / 1e6
    text_mb = sum(len(d.text.encode("utf-8")) for d in docs) / 1e6
    print(f"dump {mb:.1f} MB, {len(docs):,} documents reach the stage ({text_mb:.1f} MB of text)", file=sys.stderr)
    speed: dict[str, Any] = {}
    for name, cfg in {
        "signals_only": QualityConfig(),
        "all_presets": QualityConfig(presets=("gopher", "c4", "fineweb")),
    }.items():
        setup, cpu = time_stage(docs, cfg)
        speed[name] = {
            "setup_cpu_s": round(setup, 2),
            "cpu_s": round(cpu, 3),
            "dump_mb_per_cpu_s": round(mb / cpu, 1),
            "text_mb_per_cpu_s": round(text_mb / cpu, 1),
        }
    results: dict[str, Any] = {"dump": {"path": str(dump), "mb": round(mb, 2), "documents": len(raw)}}
    results["speed"] = speed
    results["agreement_dump"], dt_seconds = agreement(docs, "dump")
    speed["datatrove_filters"] = {
        preset: {"cpu_s": round(s, 2), "dump_mb_per_cpu_s": round(mb / s, 2)} for preset, s in dt_seconds.items()
    }
    if args.wcxb:
        pages = stage_input(wcxb_documents(args.wcxb))
        results["agreement_wcxb"], _ = agreement(pages, "wcxb")
        results["wcxb_languages"] = dict(Counter(Signals().measure(p.text)["lang"] for p in pages).most_common())
    if not args.no_e2e:
        results["end_to_end"] = end_to_end(dump, args.rounds)
    rows = [[name, s["cpu_s"], s["dump_mb_per_cpu_s"], s["text_mb_per_cpu_s"]] for name, s in speed.items()
            if "text_mb_per_cpu_s" in s]  # fmt: skip
    rows += [[f"datatrove {p}", s["cpu_s"], s["dump_mb_per_cpu_s"], "-"] for p, s in speed["datatrove_filters"].items()]
    print(table(rows, ["stage (one core)", "CPU s", "dump MB/CPU-s", "text MB/CPU-s"]))
    for key in ("agreement_dump", "agreement_wcxb"):
        if key in results:
            print()
            agree_rows = [
                [p, r["documents"], r["agreement"], r["cleaner_drops"], r["datatrove_drops"]]
                for p, r in results[key].items()
            ]
            header = [key.replace("agreement_", "preset on "), "documents", "agreement", "cleaner drops"]
            print(table(agree_rows, [*header, "datatrove drops"]))
    if "end_to_end" in results:
        e = results["end_to_end"]
        print(f"\nend to end, one worker: {e['cpu_s']}; the stage adds {e['added_cpu_s']} CPU-s "
              f"({100 * e['added_share']:.1f}%), {e['mb_per_added_cpu_s']} MB of dump per added CPU-s")  # fmt: skip
    write_results(
        "bench_quality",
        {**results, "machine": machine()},
        ["datatrove", "spacy", "numba", "numpy", "pycld2", "py3langid"],
    )


if __name__ == "__main__":
    main()
