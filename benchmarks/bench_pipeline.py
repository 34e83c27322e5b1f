"""The whole pipeline side by side, end to end as a user runs it, one core each (issue 14).

    python benchmarks/bench_pipeline.py                          # 30 MB gen_dump text dump + the HTML pages
    python benchmarks/bench_pipeline.py --size 10MB --repeat 3   # smaller dump, medians of 3
    python benchmarks/bench_pipeline.py --only text --tools cleaner,glue

Tools, each a fresh process tree pinned to one core, run in turns (tool A, B, C, then A, B, C
again) so a load change on the machine hits all of them alike:

- ``cleaner``: ``python -m cleaner clean INPUT -o OUT --report R -q --jobs 1`` (default stages);
  ``cleaner-no-passages`` adds ``--no-passages``. On the HTML pages the same command reads the
  ``.html`` files (decompressed once from the benchmark's ``.html.gz`` into a temp folder).
- ``datatrove``: ``JsonlReader -> [Trafilatura for HTML] -> FTFYFormatter -> C4QualityFilter ->
  JsonlWriter`` then its four MinHash stages (signatures, buckets, clusters, filter) with the
  default ``MinhashConfig``, one task and one worker each. Its word tokenizer needs NLTK data
  this machine cannot download, so MinHash words come from a ``\\w+`` regex (as in
  ``bench_dedup.py``). The HTML pages are handed to it as one JSONL file of pages (made
  beforehand, not timed).
- ``glue``: a script of ``ftfy.fix_text`` plus datasketch (``MinHash(128).update_batch`` over
  word 5-grams, ``MinHashLSH(threshold=0.8)``, first copy kept); on HTML ``trafilatura.extract``
  first. It strips no boilerplate from text.

Figures: CPU seconds (user + system) of the whole process tree (``RUSAGE_CHILDREN`` around
each run), MB of input per CPU-second, peak resident memory of the largest process, documents
kept, and on the text dump the near-duplicate recall against the dump's ``dup_of`` truth (share
of the planted copies that the tool dropped) with the originals it dropped. Medians over
``--repeat`` runs. Results go to ``benchmarks/results/bench_pipeline.json``.

The dump is Reuters-derived (research-only): it is generated under the temp folder, never in
the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, REPO, compile_repo, installed_env, pin_one_core, table, write_results

TOOLS = ("cleaner", "cleaner-no-passages", "datatrove", "glue")
WORD = re.compile(r"\w+")


# -- the tools, each run in its own process (``--run-tool``) ------------------------------------
def tool_glue(kind: str, inp: Path, out: Path) -> None:
    import ftfy
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "kept.jsonl", "w", encoding="utf-8") as sink:
        for n, (doc_id, text) in enumerate(_records(kind, inp)):
            if kind == "html":
                import trafilatura

                text = trafilatura.extract(text, include_comments=False) or ""
            text = ftfy.fix_text(text)
            words = WORD.findall(text.lower())
            grams = {" ".join(words[i : i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))}
            sig = MinHash(num_perm=128)
            sig.update_batch(list(grams))
            if lsh.query(sig):
                continue
            lsh.insert(str(n), sig)
            sink.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")


def _records(kind: str, inp: Path) -> Any:
    if kind == "html":
        for path in sorted(inp.glob("*.html")):
            yield path.name, path.read_text(encoding="utf-8", errors="replace")
    else:
        with open(inp, encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                yield record["id"], record["text"]


def tool_datatrove(kind: str, inp: Path, out: Path) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import minhash as dt_minhash
    from datatrove.pipeline.filters import C4QualityFilter
    from datatrove.pipeline.formatters import FTFYFormatter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.word_tokenizers import WordTokenizer

    class RegexTokenizer(WordTokenizer):  # NLTK's punkt data cannot be downloaded here
        def word_tokenize(self, text: str) -> list[str]:
            return WORD.findall(text)

        def sent_tokenize(self, text: str) -> list[str]:
            return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [m.span() for m in re.finditer(r"[^.!?]+[.!?]*", text)]

    dt_minhash.load_word_tokenizer = lambda language: RegexTokenizer()  # type: ignore[attr-defined]
    import datatrove.utils.hashes.xxhash as dt_xxhash
    import xxhash

    # datatrove passes str to xxhash, which xxhash >= 4 refuses: encode first (same hash values).
    dt_xxhash.xxhash64 = lambda data: xxhash.xxh64_intdigest(data.encode("utf-8") if isinstance(data, str) else data)
    work = out.parent / (out.name + ".work")
    config = dt_minhash.MinhashConfig()
    first: list[Any] = [JsonlReader(str(inp.parent), glob_pattern=inp.name)]
    if kind == "html":
        from datatrove.pipeline.extractors import Trafilatura

        # datatrove's default 1 s per page timeout drops pages on a loaded machine: 60 s.
        first.append(Trafilatura(favour_precision=True, timeout=60))
    first += [
        FTFYFormatter(),
        C4QualityFilter(),
        JsonlWriter(str(work / "clean"), output_filename="${rank}.jsonl", compression=None),
        dt_minhash.MinhashDedupSignature(output_folder=str(work / "sigs"), config=config),
    ]
    steps: list[tuple[list[Any], int]] = [
        (first, 1),
        ([dt_minhash.MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"),
                                         config=config)], config.num_buckets),
        ([dt_minhash.MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "clusters"),
                                         config=config)], 1),
        ([JsonlReader(str(work / "clean")), dt_minhash.MinhashDedupFilter(input_folder=str(work / "clusters")),
          JsonlWriter(str(out), output_filename="${rank}.jsonl", compression=None)], 1),
    ]
    for number, (pipeline, tasks) in enumerate(steps):
        LocalPipelineExecutor(pipeline, tasks=tasks, workers=1, logging_dir=str(work / f"logs{number}")).run()


def tool_cleaner(kind: str, inp: Path, out: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "cleaner", "clean", str(inp), "-o", str(out),
            "--report", str(out) + ".report.jsonl", "-q", "--jobs", "1", *extra]


# -- measuring ----------------------------------------------------------------------------------
def measure(tool: str, kind: str, inp: Path, out: Path) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(out.parent / (out.name + ".work"), ignore_errors=True)
    if tool.startswith("cleaner"):
        cmd = tool_cleaner(kind, inp, out, ["--no-passages"] if tool == "cleaner-no-passages" else [])
    else:
        cmd = [sys.executable, __file__, "--run-tool", tool, kind, str(inp), str(out)]
    env = installed_env(PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if status != 0:
        print(f"{tool} failed on {inp}:\n{stderr[-2000:]}", file=sys.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu_s": cpu, "sys_s": after.ru_stime - before.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "kept": kept_ids(out)}


def kept_ids(out: Path) -> list[str]:
    ids: list[str] = []
    for path in sorted(out.rglob("*")):
        if ".cleaner-work" in path.parts or not path.is_file():
            continue
        if path.suffix == ".txt":
            ids.append(path.relative_to(out).with_suffix(".html").as_posix())
        elif path.name.endswith((".jsonl", ".jsonl.gz")):
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as fh:
                ids.extend(str(json.loads(line)["id"]) for line in fh if line.strip())
    return ids


def dump_truth(path: Path) -> tuple[set[str], set[str]]:
    """The planted near-duplicates and the originals of the dump."""
    dups, originals = set(), set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            (dups if record.get("dup_of") else originals).add(str(record["id"]))
    return dups, originals


def prepare(args: argparse.Namespace, tmp: Path) -> dict[str, tuple[Path, Path, float]]:
    """Inputs by kind: (what cleaner and glue read, what datatrove reads, MB)."""
    inputs: dict[str, tuple[Path, Path, float]] = {}
    if args.only in (None, "text"):
        dump = args.dump or tmp / f"dump-{args.size}.jsonl"
        if not dump.exists():
            subprocess.run([sys.executable, str(REPO / "benchmarks" / "gen_dump.py"), "--size", args.size,
                            "--out", str(dump), "--data", str(args.data)], check=True)
        inputs["text"] = (dump, dump, dump.stat().st_size / 1e6)
    if args.only in (None, "html"):
        pages = tmp / "pages"
        pages.mkdir(exist_ok=True)
        source = args.data / "extraction" / "scrapinghub-article-extraction-benchmark" / "html"
        size = 0
        jsonl = tmp / "pages-jsonl" / "pages.jsonl"
        jsonl.parent.mkdir(exist_ok=True)
        with open(jsonl, "w", encoding="utf-8") as sink:
            for path in sorted(source.glob("*.html.gz")):
                raw = gzip.decompress(path.read_bytes())
                (pages / path.name[:-3]).write_bytes(raw)
                size += len(raw)
                html = raw.decode("utf-8", "replace")
                sink.write(json.dumps({"id": path.name[:-3], "text": html}, ensure_ascii=False) + "\n")
        if not size:
            raise SystemExit(f"no .html.gz pages in {source}; pass --data (the shared data folder)")
        inputs["html"] = (pages, jsonl, size / 1e6)
    return inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--size", default="30MB", help="gen_dump size of the text dump")
    parser.add_argument("--dump", type=Path, help="an existing gen_dump JSONL instead of generating one")
    parser.add_argument("--only", choices=("text", "html"), help="one input kind only")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, of {', '.join(TOOLS)}")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool (medians reported)")
    parser.add_argument("--run-tool", nargs=4, metavar=("TOOL", "KIND", "INPUT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_tool:
        tool, kind, inp, out = args.run_tool
        {"glue": tool_glue, "datatrove": tool_datatrove}[tool](kind, Path(inp), Path(out))
        return
    pin_one_core()
    compile_repo()
    tools = [t for t in args.tools.split(",") if t]
    tmp = Path(tempfile.mkdtemp(prefix="cleaner-bench-pipeline-"))
    try:
        inputs = prepare(args, tmp)
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for _ in range(args.repeat):
            for kind, (plain, for_datatrove, _mb) in inputs.items():
                for tool in tools:  # alternated: every tool once per round
                    inp = for_datatrove if tool == "datatrove" else plain
                    runs.setdefault((kind, tool), []).append(measure(tool, kind, inp, tmp / f"out-{kind}-{tool}"))
        results, rows = [], []
        truth = dump_truth(inputs["text"][0]) if "text" in inputs else None
        for kind, (_, _, mb) in inputs.items():
            base = statistics.median(r["cpu_s"] for r in runs.get((kind, "cleaner"), [{"cpu_s": float("nan")}]))
            for tool in tools:
                got = runs[(kind, tool)]
                cpu = statistics.median(r["cpu_s"] for r in got)
                kept = set(got[-1]["kept"])
                recall = dropped_originals = None
                if kind == "text" and truth is not None:
                    dups, originals = truth
                    recall = len(dups - kept) / max(1, len(dups))
                    dropped_originals = len(originals - kept)
                row = {"input": kind, "tool": tool, "mb": mb, "cpu_s": cpu, "cpu_s_runs": [r["cpu_s"] for r in got],
                       "sys_s": statistics.median(r["sys_s"] for r in got), "mb_per_cpu_s": mb / cpu,
                       "peak_mb": max(r["peak_mb"] for r in got), "kept": len(kept), "recall": recall,
                       "originals_dropped": dropped_originals, "x_cleaner_speed": base / cpu}
                results.append(row)
                rows.append([kind, tool, mb, cpu, row["sys_s"], row["mb_per_cpu_s"], base / cpu, row["peak_mb"],
                             len(kept), "-" if recall is None else f"{recall:.3f}",
                             "-" if dropped_originals is None else dropped_originals])
        print(f"one core each, medians of {args.repeat}, CPU s of the whole process tree")
        print(table(rows, ["input", "tool", "MB", "CPU s", "sys s", "MB/CPU-s", "speed / cleaner", "peak MB",
                           "kept", "dup recall", "originals dropped"]))
        if args.only:  # the other input's rows of the last full results stay, marked with their date
            previous = REPO / "benchmarks" / "results" / "bench_pipeline.json"
            if previous.exists():
                old = json.loads(previous.read_text(encoding="utf-8"))
                kept = [r for r in old.get("runs", []) if r.get("input") != args.only]
                results = [*({**r, "measured": r.get("measured", old.get("date"))} for r in kept), *results]
        path = write_results("bench_pipeline", {"size": args.size, "repeat": args.repeat, "runs": results},
                             ["ftfy", "datasketch", "datatrove", "trafilatura", "selectolax", "numba", "numpy"])
        print(f"results: {path}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
