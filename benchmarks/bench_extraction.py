"""Article extraction quality and speed: cleaner's boilerplate stage beside trafilatura, one run.

    python benchmarks/bench_extraction.py [--data PATH] [--no-peer] [--bootstrap N] [--no-wcxb]

Two data sets:

1. **WCXB development split** (1,497 pages of seven page types; Murrough Foley, CC-BY-4.0), scored
   with WCXB's own metric per page type (benchmarks/_wcxb.py), beside trafilatura, resiliparse (when
   installed) and the figures the benchmark publishes. cleaner's learned scorer was trained on these
   pages, so its figure here is the **out-of-fold** one from ``benchmarks/train_boilerplate.py``
   (5-fold cross-validation grouped by site, each fold's decision bars chosen by an inner
   cross-validation over its training pages), read from ``results/train_boilerplate.json``; the
   rules-only extractor and the peers run here on every page.
2. **Scrapinghub** article-extraction benchmark (below), which no model or rule was trained on.

Data: the Scrapinghub article-extraction benchmark (181 pages, MIT), see its DATA.md. The metric
is that benchmark's own: ``\\w+`` tokens, multisets of 4-token shingles, per-page tp/fp/fn
normalised to sum to 1, precision averaged over pages with tp+fp > 0, recall over pages with
tp+fn > 0, F1 of the two averages.

Modes measured:
- HTML: ``cleaner.boilerplate.html.extract`` (from each page's bytes, decoded in the timed pass, as the
  HTML stage gets a page) vs ``trafilatura.extract(html, include_comments=False)``, each timed on one
  core (the process is pinned to one CPU where the OS allows it);
- plain text: ``cleaner.boilerplate.text.classify_lines`` on ``text/visible-lines.jsonl.gz``, beside
  the keep-everything baseline;
- end to end (unless ``--no-peer``): ``cleaner clean`` on the pages as files, with the default stages
  and with extraction alone (``--stages normalize,boilerplate``), beside the ``trafilatura`` CLI, CPU
  seconds of the process tree, the three alternated.

Every figure is reported on all pages and on both halves of the split fixed in
``benchmarks/splits/extraction.json`` before tuning ("tune" was inspected, "heldout" never).
Results go to ``benchmarks/results/bench_extraction.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
BENCH = "extraction/scrapinghub-article-extraction-benchmark"
_TOKEN = re.compile(r"\w+")

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
from _common import compile_repo, console_script, installed_env  # noqa: E402


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles; a text with fewer than n tokens is one short shingle."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_counts(truth: str, pred: str) -> tuple[float, float, float]:
    """tp, fp, fn of one page as multiset overlaps, normalised so they sum to 1."""
    t, p = shingles(truth), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def score(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    """Precision/recall averaged over pages, F1 of the averages."""
    precisions = [tp / (tp + fp) for tp, fp, _ in counts if tp + fp > 0]
    recalls = [tp / (tp + fn) for tp, _, fn in counts if tp + fn > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall, "pages": len(counts)}


def bootstrap_f1_std(counts: list[tuple[float, float, float]], samples: int, seed: int = 1) -> float:
    if samples <= 0 or not counts:
        return 0.0
    rng = random.Random(seed)
    values = []
    for _ in range(samples):
        values.append(score([rng.choice(counts) for _ in counts])["f1"])
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5


def max_rss_mb() -> float | None:
    """Peak resident memory of this process (both tools together), where the OS reports it."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def pin_one_core() -> str:
    """Pin this process to one CPU so each tool is measured on one core."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to cpu {cpu}"
    return "not pinned (no sched_setaffinity on this OS)"


def run(
    tools: dict[str, tuple[Callable[[], Callable[[Any], str]], dict[str, Any]]], repeat: int
) -> dict[str, tuple[dict[str, str], float, float]]:
    """Per tool: outputs per page, and the best-of-``repeat`` CPU seconds and wall seconds.

    Passes are interleaved (tool A, tool B, tool A, ...) so a burst of other work on the
    machine hits every tool alike. CPU time (this process only) is what the speed ratio
    uses: other work slows the wall time of whichever tool happens to run then, not its
    CPU time. Each pass gets a fresh extractor from its factory (no memo carried over from
    the previous pass over the same pages).
    """
    outputs: dict[str, dict[str, str]] = {name: {} for name in tools}
    best: dict[str, list[float]] = {name: [float("inf"), float("inf")] for name in tools}
    for _ in range(repeat):
        for name, (factory, pages) in tools.items():
            extract = factory()
            cpu, wall = time.process_time(), time.perf_counter()
            out = outputs[name]
            for page_id, html in pages.items():
                out[page_id] = extract(html)
            best[name][0] = min(best[name][0], time.process_time() - cpu)
            best[name][1] = min(best[name][1], time.perf_counter() - wall)
    return {name: (outputs[name], best[name][0], best[name][1]) for name in tools}


def evaluate(outputs: dict[str, str], truth: dict[str, str], split: dict[str, list[str]], boot: int) -> dict:
    result = {}
    for name, ids in (("all", sorted(truth)), ("tune", split["tune"]), ("heldout", split["heldout"])):
        counts = [page_counts(truth[i], outputs.get(i, "")) for i in ids]
        entry = score(counts)
        entry["f1_std"] = bootstrap_f1_std(counts, boot)
        result[name] = entry
    return result


def best_length_cut(lines: dict[str, str], truth: dict[str, str], tune: list[str]) -> tuple[int, dict[str, str]]:
    """The words-per-line floor that scores best on the tune half, and its outputs on all pages."""

    def cut_at(floor: int) -> dict[str, str]:
        return {
            page_id: "\n".join(line for line in text.splitlines() if len(_TOKEN.findall(line)) >= floor)
            for page_id, text in lines.items()
        }

    tune_lines = {i: lines[i] for i in tune}

    def tune_f1(floor: int) -> float:
        kept = {
            page_id: "\n".join(line for line in text.splitlines() if len(_TOKEN.findall(line)) >= floor)
            for page_id, text in tune_lines.items()
        }
        return score([page_counts(truth[i], kept[i]) for i in tune])["f1"]

    best = max(range(1, 31), key=tune_f1)
    return best, cut_at(best)


def version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def tree_cpu_seconds(cmd: list[str], cwd: Path) -> float:
    """CPU seconds (user + system) of a command and every process it waited for, end to end."""
    import subprocess

    proc = subprocess.Popen(cmd, cwd=cwd, env=installed_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    return usage.ru_utime + usage.ru_stime


def end_to_end_speed(pages: dict[str, str], repeat: int) -> dict:
    """CPU seconds per page of ``cleaner clean DIR -o OUT --jobs 1`` twice, the user's default stages
    and extraction alone (``--stages normalize,boilerplate``: the job trafilatura does, without the
    quality signals and deduplication), and of ``trafilatura --input-dir DIR -o OUT --parallel 1``;
    runs alternated, best of ``repeat``; trafilatura's figure over each of cleaner's."""
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="bench-extraction-"))
    outs = (tmp / "c", tmp / "e", tmp / "t")
    try:
        src = tmp / "pages"
        src.mkdir()
        for page_id, html in pages.items():
            (src / f"{page_id}.html").write_text(html, "utf-8")
        env_python = sys.executable
        commands = {
            "cleaner clean": [env_python, "-m", "cleaner", "clean", str(src), "-o", str(outs[0]), "--jobs", "1",
                              "--quiet"],
            "cleaner clean extraction only": [env_python, "-m", "cleaner", "clean", str(src), "-o", str(outs[1]),
                                              "--jobs", "1", "--quiet", "--stages", "normalize,boilerplate"],
            "trafilatura cli": [console_script("trafilatura"), "--input-dir", str(src), "-o", str(outs[2]),
                                "--parallel", "1"],
        }  # fmt: skip
        compile_repo()
        best = {name: float("inf") for name in commands}
        for _ in range(repeat):
            for name, cmd in commands.items():
                for out in outs:
                    shutil.rmtree(out, ignore_errors=True)
                best[name] = min(best[name], tree_cpu_seconds(cmd, REPO))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    per_page = {name: seconds / len(pages) * 1000 for name, seconds in best.items()}
    theirs = per_page["trafilatura cli"]
    ratio = theirs / per_page["cleaner clean"]
    extraction_ratio = theirs / per_page["cleaner clean extraction only"]
    print(
        f"end to end, CPU of the process tree, {len(pages)} pages: trafilatura {theirs:.1f} ms/page;"
        f" cleaner clean {per_page['cleaner clean']:.1f} ms/page (default stages), {ratio:.1f}x faster;"
        f" extraction only (--stages normalize,boilerplate) {per_page['cleaner clean extraction only']:.1f}"
        f" ms/page, {extraction_ratio:.1f}x faster"
    )
    return {
        "ms_per_page": per_page,
        "ratio": ratio,
        "extraction_only_ratio": extraction_ratio,
        "commands": {k: " ".join(v) for k, v in commands.items()},
    }


def wcxb_section(data: Path, peers: bool) -> dict:
    """WCXB per page type: cleaner (rules only; the learned scorer's cross-validated figure from the
    trainer's results), trafilatura and resiliparse run here, and the published figures."""
    import _wcxb

    from cleaner.boilerplate.html import extract, visible_text
    from cleaner.boilerplate.rules import ClassCues
    from cleaner.boilerplate.text import classify_lines, remove_spans

    pages = _wcxb.load_pages(data)
    cues = ClassCues()
    tables: dict[str, dict] = {}
    trained = HERE / "results" / "train_boilerplate.json"
    if trained.exists():
        saved = json.loads(trained.read_text("utf-8"))
        for key, label in (("cv", "cleaner html (cv)"), ("text_cv", "cleaner text (cv)")):
            if key in saved:
                tables[label] = saved[key]
    tables["cleaner rules only"] = _wcxb.table(pages, {p.id: extract(p.html, cues, learned=False).text for p in pages})
    visible = {p.id: visible_text(p.html) for p in pages}
    # learned=False: the shipped line scorer was trained on these pages (its figure is the cv one).
    tables["cleaner text rules"] = _wcxb.table(
        pages, {i: remove_spans(t, classify_lines(t, learned=False)) for i, t in visible.items()}
    )
    if peers:
        import trafilatura

        tables["trafilatura"] = _wcxb.table(
            pages, {p.id: trafilatura.extract(p.html, include_comments=False) or "" for p in pages}
        )
        try:
            from resiliparse.extract.html2text import extract_plain_text
        except ImportError:
            print("resiliparse not installed: pip install resiliparse", file=sys.stderr)
        else:
            tables["resiliparse"] = _wcxb.table(
                pages, {p.id: extract_plain_text(p.html, main_content=True) for p in pages}
            )
    for tool, figures in _wcxb.PUBLISHED.items():
        tables[f"{tool} (published)"] = {k: {"f1": v} for k, v in figures.items()}
    names = ["all", *_wcxb.PAGE_TYPES]
    print(f"WCXB dev, {len(pages)} pages, WCXB's metric (mean per-page F1); empty = empty outputs, truth not empty")
    print(f"{'tool':26}" + "".join(f"{n[:11]:>12}" for n in names) + f"{'empty':>7}")
    for tool, tab in tables.items():
        cells = "".join(f"{tab[n]['f1']:12.3f}" if n in tab else f"{'-':>12}" for n in names)
        empty = tab["all"].get("empty")
        print(f"{tool:26}{cells}{'' if empty is None else empty:>7}")
    return {"pages": len(pages), "tables": tables}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (default: %(default)s)")
    parser.add_argument("--no-peer", action="store_true", help="skip trafilatura (quick runs while developing)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per tool; the best counts")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the F1 std")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "bench_extraction.json")
    parser.add_argument("--dump", type=Path, help="write per-page outputs and scores here (for review)")
    parser.add_argument("--no-wcxb", action="store_true", help="skip the WCXB development pages")
    args = parser.parse_args(argv)

    root = args.data / BENCH
    if not (root / "ground-truth.json").exists():
        print(f"no benchmark data under {root}: pass --data PATH (the folder holding extraction/)", file=sys.stderr)
        return 2
    from cleaner.boilerplate.html import extract
    from cleaner.boilerplate.rules import ClassCues, LineCues
    from cleaner.boilerplate.text import classify_lines, remove_spans

    truth = {k: v["articleBody"] for k, v in json.loads((root / "ground-truth.json").read_text("utf-8")).items()}
    page_bytes = {
        path.name.split(".")[0]: gzip.decompress(path.read_bytes()) for path in sorted(root.glob("html/*.gz"))
    }
    pages = {page_id: data.decode("utf-8") for page_id, data in page_bytes.items()}
    with gzip.open(root / "text" / "visible-lines.jsonl.gz", "rt", encoding="utf-8") as handle:
        lines = {row["id"]: row["text"] for row in map(json.loads, handle)}
    split = json.loads((HERE / "splits" / "extraction.json").read_text("utf-8"))
    mb = sum(len(h.encode("utf-8")) for h in pages.values()) / 1e6
    pinned = pin_one_core()
    wcxb = None
    if not args.no_wcxb and (args.data / "extraction" / "wcxb-dev" / "ground-truth.json").exists():
        sys.path.insert(0, str(HERE))
        wcxb = wcxb_section(args.data, not args.no_peer)

    def cleaner_html() -> Callable[[bytes], str]:
        # Each pass as in a fresh ``cleaner clean`` process on these pages: the class-string memo
        # of the block models empty, and their trees walked with numpy (such a run never starts
        # numba: model.NUMPY_STEPS). The text mode, which starts numba, is timed after every HTML pass.
        # Like the stage, it starts from each page's bytes (decoded here, and handed to the parser
        # as read: Document.html_utf8), with the stage's memos of class-name and short-line verdicts.
        from cleaner.boilerplate.html import CONTEXT_MODEL
        from cleaner.boilerplate.model import HTML_MODEL, NUMPY_BUDGET, packaged

        for name in (HTML_MODEL, CONTEXT_MODEL):
            model = packaged(name)
            if model is not None:
                model.class_scores.clear()
        NUMPY_BUDGET.spent = 0
        cues, line_cues = ClassCues(), LineCues()  # what the stage keeps per worker
        return lambda data: extract(data.decode("utf-8"), cues, utf8=data, lines=line_cues).text

    def cleaner_text() -> Callable[[str], str]:
        return lambda text: remove_spans(text, classify_lines(text))

    tools: dict[str, tuple[Callable[[], Callable[[Any], str]], dict[str, Any]]] = {
        "cleaner html": (cleaner_html, page_bytes)
    }
    if not args.no_peer:
        import trafilatura

        def peer() -> Callable[[str], str]:
            return lambda html: trafilatura.extract(html, include_comments=False) or ""

        tools["trafilatura html"] = (peer, pages)
    runs = run(tools, args.repeat)
    html_walk = "compiled (numba was started before the HTML passes)" if "numba" in sys.modules else "numpy"
    runs.update(run({"cleaner text": (cleaner_text, lines)}, args.repeat))
    if wcxb is None and args.output.exists():
        # --no-wcxb: the WCXB tables of the previous run stay (the peers' take minutes), with
        # cleaner's cross-validated rows read again from the trainer's latest results.
        wcxb = json.loads(args.output.read_text("utf-8")).get("wcxb")
        trained = HERE / "results" / "train_boilerplate.json"
        if wcxb is not None and trained.exists():
            saved = json.loads(trained.read_text("utf-8"))
            for key, label in (("cv", "cleaner html (cv)"), ("text_cv", "cleaner text (cv)")):
                if key in saved:
                    wcxb["tables"][label] = saved[key]
    results: dict = {"pages": len(pages), "html_mb": round(mb, 2), "modes": {}, "wcxb": wcxb, "html_walk": html_walk}
    dumps = {}
    for name, (outputs, cpu, wall) in runs.items():
        results["modes"][name] = {
            "seconds": cpu,
            "wall_seconds": wall,
            **evaluate(outputs, truth, split, args.bootstrap),
        }
        dumps[name] = outputs
    results["modes"]["keep-all text"] = {
        "seconds": 0.0,
        "wall_seconds": 0.0,
        **evaluate(lines, truth, split, args.bootstrap),
    }
    # The plainest line filter: keep lines of at least N words, N chosen on the tune half.
    cut, cut_outputs = best_length_cut(lines, truth, split["tune"])
    results["length_cut_words"] = cut
    results["modes"]["length-cut text"] = {
        "seconds": 0.0,
        "wall_seconds": 0.0,
        **evaluate(cut_outputs, truth, split, args.bootstrap),
    }

    print(f"{len(pages)} pages, {mb:.1f} MB of HTML, one core each ({pinned})")
    header = ("mode", "F1 all", "±", "P", "R", "F1 tune", "F1 held", "cpu s", "wall s", "pages/s")
    widths = (18, 7, 5, 6, 6, 8, 8, 7, 7, 8)
    print(" ".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(header, widths, strict=True))))
    for name, r in results["modes"].items():
        rate = f"{len(pages) / r['seconds']:.0f}" if r["seconds"] else "-"
        print(
            f"{name:<18} {r['all']['f1']:7.3f} {r['all']['f1_std']:5.3f} {r['all']['precision']:6.3f}"
            f" {r['all']['recall']:6.3f} {r['tune']['f1']:8.3f} {r['heldout']['f1']:8.3f}"
            f" {r['seconds']:7.2f} {r['wall_seconds']:7.2f} {rate:>8}"
        )
    print(f"length-cut text keeps lines of at least {cut} words (the best floor on the tune half)")
    if "trafilatura html" in results["modes"]:
        ours, theirs = results["modes"]["cleaner html"], results["modes"]["trafilatura html"]
        speedup = theirs["seconds"] / ours["seconds"]
        wall_speedup = theirs["wall_seconds"] / ours["wall_seconds"]
        results["html_speedup_vs_trafilatura"] = speedup
        results["html_wall_speedup_vs_trafilatura"] = wall_speedup
        print(
            f"HTML: cleaner F1 {ours['all']['f1']:.3f} vs trafilatura {theirs['all']['f1']:.3f};"
            f" cleaner is {speedup:.1f}x faster in CPU time ({wall_speedup:.1f}x in wall time),"
            f" {mb / ours['seconds']:.0f} vs {mb / theirs['seconds']:.0f} MB/s, in process (tree walk: {html_walk})"
        )
    if not args.no_peer:
        results["end_to_end"] = end_to_end_speed(pages, args.repeat)
    results["machine"] = {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "processor": platform.processor(),
        "pinning": pinned,
        "max_rss_mb": max_rss_mb(),
    }
    results["versions"] = {p: version(p) for p in ("cleaner", "selectolax", "trafilatura", "lxml")}
    results["command"] = "python benchmarks/bench_extraction.py " + " ".join(argv if argv is not None else sys.argv[1:])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    if args.dump:
        per_page = {
            name: {i: {"counts": page_counts(truth[i], out.get(i, "")), "text": out.get(i, "")} for i in truth}
            for name, out in dumps.items()
        }
        args.dump.write_text(json.dumps(per_page, ensure_ascii=False), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
