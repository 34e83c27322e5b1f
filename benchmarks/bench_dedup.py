"""Near-duplicate quality and dedup-only speed, side by side with datasketch (and datatrove).

    python benchmarks/bench_dedup.py [--data PATH] [--repeat 3] [--no-datatrove]
    python benchmarks/bench_dedup.py --cli [--repeat 3]     # dedup-only speed from the command line alone

What it measures, in one run, on one core:

1. Reuters bench (19,993 docs, exact oracle of every pair with word-5-gram Jaccard >= 0.5):
   recall of pairs with J >= 0.8 (both in one cluster), precision of reported
   (id, duplicate_of) pairs (oracle J >= 0.8), and chaining (share of all pairs inside one
   cluster with J >= 0.5), for cleaner and for unverified LSH + union-find over datasketch's
   MinHashLSH(threshold=0.8) candidates (and datatrove's defaults, when installed).
2. The bench split into two batches through one persistent index: share of cross-batch pairs
   (J >= 0.8) caught in the second batch (dropped, filed under the first batch's cluster).
3. Clough-Stevenson short answers (source articles first): answers with a passage flagged
   with their task's source as duplicate_of, by category.
4. Speed, end to end over the same JSONL (read + parse + dedup): cleaner's dedup stage
   (summarize_many, decide, apply) vs datasketch MinHash.update_batch + MinHashLSH(0.8)
   query-then-insert; best of --repeat runs each, interleaved.

Separately: ``--two-batches-only`` (item 2 alone), ``--index-tradeoff`` (item 2 with odd
sketches of 1,024, 2,048 and 4,096 bits and with shingle sets, beside format 2's figures, and the
sketch's simulated error; writes results/bench_dedup_index.json) and ``--sketch-error`` (the
simulation alone: share of pairs accepted by union size and Jaccard).

``--cli`` measures what a user runs instead: ``cleaner clean BENCH --stages dedup --jobs 1`` (JSONL
in, the kept records and the report out), with and without ``--no-passages``, against a script
that reads the same file, runs datasketch's ``MinHash.update_batch`` + ``MinHashLSH(0.8)``
query-then-insert and writes the kept records (gzip level 6, as cleaner writes them): CPU
seconds of each whole process (start, imports, reading, writing), tools alternated, best of
--repeat. Each cleaner tree's bytecode cache is written first and PYTHONDONTWRITEBYTECODE is
dropped, as for an installed package (``_common.installed_env``: without it a checkout compiles
every module again in every run, about 0.07-0.1 CPU-s).

Reuters-21578 and Clough-Stevenson are research-only: this script reads them from --data and
never copies them.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import gzip
import itertools
import json
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DATA, compile_repo, installed_env, peak_rss_mb, pin_one_core, table, write_results

from cleaner.config import DedupConfig
from cleaner.dedup import Dedup, _kernels
from cleaner.record import Document, Source
from cleaner.stage import decide_in_process

BATCH = 1000  # documents per summarize_many call, as a runner's shard would pass them
WORD = re.compile(r"\w+")


# -- data ------------------------------------------------------------------------------------
def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load_oracle(path: Path) -> dict[tuple[int, int], float]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    return {(int(i), int(j)): float(s) for i, j, s in data["pairs"]}


# -- the two tools, end to end from the JSONL file -------------------------------------------
def clock() -> tuple[float, float]:
    """Wall-clock and CPU seconds of this process: CPU time shrugs off other load on the machine."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clock()
    return wall - start[0], cpu - start[1]


def run_cleaner(
    path: Path, cfg: DedupConfig, use_numba: bool | None = None
) -> tuple[list[Document], tuple[float, float]]:
    started = clock()
    records = read_jsonl(path)
    docs = [Document(id=r["id"], text=r["text"], source=Source(path.name, n + 1)) for n, r in enumerate(records)]
    stage = Dedup(cfg)
    stage.setup()
    if use_numba is not None:
        shingler, signer = stage._tools()
        shingler.use_numba = signer.use_numba = use_numba
    summaries = []
    for i in range(0, len(docs), BATCH):
        summaries.extend(stage.summarize_many(docs[i : i + BATCH]))
    decisions = decide_in_process(stage, [list(zip([str(d.source) for d in docs], summaries, strict=True))])
    out = [stage.apply(d, decisions.get(str(d.source))) for d in docs]
    return out, since(started)


def run_datasketch(path: Path) -> tuple[list[str], dict[str, list[str]], tuple[float, float]]:
    from datasketch import MinHash, MinHashLSH

    started = clock()
    records = read_jsonl(path)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    candidates: dict[str, list[str]] = {}
    for r in records:
        words = WORD.findall(r["text"].lower())
        shingles = {" ".join(words[i : i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=128)
        m.update_batch(shingles)
        candidates[r["id"]] = lsh.query(m)
        lsh.insert(r["id"], m)
    return [r["id"] for r in records], candidates, since(started)


# -- end to end from the command line (--cli) -------------------------------------------------
REPO = Path(__file__).resolve().parents[1]


def glue_dedup(src: Path, dst: Path) -> None:
    """The peer, end to end: read the JSONL, datasketch MinHash + LSH query-then-insert, write the
    records that match no earlier one."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    with gzip.open(src, "rt", encoding="utf-8") as f, gzip.open(dst, "wt", encoding="utf-8", compresslevel=6) as out:
        for line in f:
            r = json.loads(line)
            words = WORD.findall(r["text"].lower())
            shingles = {" ".join(words[i : i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))}
            m = MinHash(num_perm=128)
            m.update_batch(shingles)
            if not lsh.query(m):
                out.write(line)
            lsh.insert(r["id"], m)


def cpu_of(cmd: list[str], tree: Path = REPO) -> float:
    """CPU seconds (user + system) of one command's whole process tree, with ``cleaner`` imported
    from the source tree ``tree`` (run from there: ``python -m`` looks in the current folder first),
    its bytecode cache loaded as an installed package's is (``_common.installed_env``)."""
    env = installed_env(PYTHONPATH=str(tree) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, cwd=tree)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_speed(bench: Path, repeat: int, work: Path, before: Path | None = None) -> dict[str, Any]:
    """Dedup only, end to end from the command line: cleaner (passages on and off; and from the
    source tree ``before``, e.g. an earlier commit's ``git archive``, when given) and the glue
    script, alternated, best of ``repeat`` CPU seconds each."""
    out = work / "out"
    clean = [sys.executable, "-m", "cleaner", "clean", str(bench.resolve()), "-o", str(out)]
    clean += ["--report", str(work / "r.jsonl"), "--stages", "dedup", "--jobs", "1", "-q"]
    tools: dict[str, tuple[list[str], Path]] = {
        "cleaner (passages)": (clean, REPO),
        "cleaner --no-passages": ([*clean, "--no-passages"], REPO),
    }
    compile_repo()  # what pip install does: no timed run compiles cleaner's modules
    if before is not None:
        compileall.compile_dir(str(before.resolve() / "cleaner"), quiet=1)
        tools["before (passages)"] = (clean, before.resolve())
        tools["before --no-passages"] = ([*clean, "--no-passages"], before.resolve())
    glue = [sys.executable, str(Path(__file__).resolve()), "--glue", str(bench.resolve()), str(work / "glue.jsonl.gz")]
    tools["datasketch glue"] = (glue, REPO)
    times: dict[str, list[float]] = defaultdict(list)
    loads: list[float] = []
    for _ in range(repeat):
        for name, (cmd, tree) in tools.items():
            shutil.rmtree(out, ignore_errors=True)
            times[name].append(cpu_of(cmd, tree))
        loads.append(os.getloadavg()[0])
    best = {name: min(t) for name, t in times.items()}
    return {"cpu_seconds_best": best, "runs": dict(times), "repeat": repeat, "load_1min_after_each_round": loads}


def cli_table(res: dict[str, Any], mb: float) -> str:
    best = res["cpu_seconds_best"]
    peer = best["datasketch glue"]
    rows = [[name, cpu, mb / cpu, peer / cpu] for name, cpu in best.items()]
    return table(rows, ["dedup-only from the CLI", "CPU s", "MB/CPU-s", "x datasketch (CPU)"])


# -- quality ---------------------------------------------------------------------------------
def cluster_quality(
    labels: Sequence[int],
    reported: Sequence[tuple[int, int]],
    oracle: dict[tuple[int, int], float],
    threshold: float = 0.8,
) -> dict[str, Any]:
    high = [p for p, s in oracle.items() if s >= threshold]
    recall = sum(labels[i] == labels[j] for i, j in high) / len(high)
    precise = [oracle.get((min(i, j), max(i, j)), 0.0) >= threshold - 1e-6 for i, j in reported]
    members: dict[int, list[int]] = defaultdict(list)
    for doc, label in enumerate(labels):
        members[label].append(doc)
    clusters = [m for m in members.values() if len(m) > 1]
    inside = [(a, b) for m in clusters for a, b in itertools.combinations(m, 2)]
    similar = sum(oracle.get(p, 0.0) >= 0.5 for p in inside)
    return {
        "pairs_j_ge_0.8": len(high),
        "recall": recall,
        "reported_pairs": len(reported),
        "precision": (sum(precise) / len(precise)) if precise else None,
        "clusters": len(clusters),
        "largest_cluster": max((len(m) for m in clusters), default=0),
        "pairs_in_clusters": len(inside),
        "in_cluster_share_j_ge_0.5": (similar / len(inside)) if inside else None,
    }


def union_find_labels(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(n)]


def cleaner_labels(docs: Sequence[Document]) -> tuple[list[int], list[tuple[int, int]]]:
    row = {d.id: i for i, d in enumerate(docs)}
    labels = [row[d.duplicate.cluster] if d.duplicate else i for i, d in enumerate(docs)]
    reported = [
        (i, row[d.duplicate.duplicate_of]) for i, d in enumerate(docs) if d.duplicate and d.duplicate.duplicate_of
    ]
    return labels, reported


# -- datatrove (optional) --------------------------------------------------------------------
def run_datatrove(path: Path, workdir: Path) -> tuple[list[int], float] | None:
    """datatrove's MinHash defaults (14 buckets x 8 hashes, 5-grams, no verification).

    Its default English word tokenizer needs NLTK's punkt data, which this machine cannot
    download, so words come from the same \\w+ regex the other tools use, and its xxhash call
    gets its str encoded; everything else (normalization, hashing, bucketing, union-find
    clustering) is datatrove's own code.
    """
    try:
        from datatrove.data import Document as DTDocument
        from datatrove.executor import LocalPipelineExecutor
        from datatrove.pipeline.dedup import minhash as dt_minhash
    except ImportError:
        return None

    class RegexTokenizer:
        def word_tokenize(self, text: str) -> list[str]:
            return WORD.findall(text)

    dt_minhash.load_word_tokenizer = lambda language: RegexTokenizer()  # type: ignore[attr-defined]
    # datatrove passes str to xxhash, which xxhash >= 4 refuses: encode first (same hash values).
    import datatrove.utils.hashes.xxhash as dt_xxhash
    import xxhash

    dt_xxhash.xxhash64 = lambda data: xxhash.xxh64_intdigest(data.encode("utf-8") if isinstance(data, str) else data)
    started = time.perf_counter()
    records = read_jsonl(path)

    def reader(data: Any = None, rank: int = 0, world_size: int = 1) -> Any:
        for r in records:
            yield DTDocument(text=r["text"], id=r["id"])

    config = dt_minhash.MinhashConfig()
    sigs, buckets, clusters = workdir / "sigs", workdir / "buckets", workdir / "clusters"
    LocalPipelineExecutor(
        [reader, dt_minhash.MinhashDedupSignature(output_folder=str(sigs), config=config)],
        tasks=1,
        workers=1,
        logging_dir=str(workdir / "logs1"),
    ).run()
    LocalPipelineExecutor(
        [dt_minhash.MinhashDedupBuckets(input_folder=str(sigs), output_folder=str(buckets), config=config)],
        tasks=config.num_buckets,
        workers=1,
        logging_dir=str(workdir / "logs2"),
    ).run()
    LocalPipelineExecutor(
        [
            dt_minhash.MinhashDedupCluster(
                input_folder=str(buckets), output_folder=str(clusters), config=config, save_cluster_id=True
            )
        ],
        tasks=1,
        workers=1,
        logging_dir=str(workdir / "logs3"),
    ).run()
    elapsed = time.perf_counter() - started
    # The cluster step writes, per input file, (doc index, cluster number) for every clustered
    # document (save_cluster_id=True); other documents are their own cluster.
    labels = list(range(len(records)))
    for f in sorted(clusters.glob("*.clusters")):
        for doc_idx, cluster_no in struct.iter_unpack("<II", f.read_bytes()):
            labels[doc_idx] = len(records) + cluster_no
    return labels, elapsed


# -- the benchmark ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool (best is reported)")
    parser.add_argument("--no-datatrove", action="store_true", help="skip datatrove even when installed")
    parser.add_argument(
        "--clough-only",
        action="store_true",
        help="only the Clough-Stevenson passage table (seconds; writes no results)",
    )
    parser.add_argument(
        "--two-batches-only",
        action="store_true",
        help="only the two-batch index measurement (recall, precision, index bytes per document; writes no results)",
    )
    parser.add_argument(
        "--index-tradeoff",
        action="store_true",
        help="only the index's size against its verification: the two-batch measurement at several sketch "
        "sizes and with shingle sets, and the sketch's simulated error (writes results/bench_dedup_index.json)",
    )
    parser.add_argument(
        "--sketch-error",
        action="store_true",
        help="only the simulated error of the odd-sketch estimate, by set size and Jaccard (writes no results)",
    )
    parser.add_argument("--cli", action="store_true", help="only dedup-only speed end to end from the command line")
    parser.add_argument(
        "--before",
        type=Path,
        help="with --cli: also time cleaner from this source tree (e.g. an earlier commit's git archive), alternated",
    )
    parser.add_argument("--glue", nargs=2, type=Path, help=argparse.SUPPRESS)  # the peer's process (--cli)
    args = parser.parse_args(argv)
    if args.glue:
        glue_dedup(*args.glue)
        return 0
    if args.cli:
        bench = args.data / "corpus" / "reuters21578" / "bench" / "bench.jsonl.gz"
        if not bench.exists():
            parser.error(f"{bench} not found: pass --data pointing at the shared data folder")
        pin_one_core()
        mb = sum(len(r["text"]) for r in read_jsonl(bench)) / 1e6
        with tempfile.TemporaryDirectory() as tmp:
            res = cli_speed(bench, args.repeat, Path(tmp), args.before)
        print(f"bench_dedup --cli: Reuters bench ({mb:.1f} MB text), one core, best of {args.repeat}\n")
        print(cli_table(res, mb))
        loads = ", ".join(f"{x:.1f}" for x in res["load_1min_after_each_round"])
        print(f"load average (1 min) after each round: {loads}")
        path = write_results("bench_dedup_cli", {"text_mb": mb, **res}, ["numpy", "datasketch"])
        print(f"\nresults: {path}")
        return 0
    if args.two_batches_only or args.index_tradeoff:
        base = args.data / "corpus" / "reuters21578" / "bench"
        records = read_jsonl(base / "bench.jsonl.gz")
        oracle = load_oracle(base / "oracle_pairs_jaccard_ge_0.5.json.gz")
        if args.two_batches_only:
            print(two_batches_line(two_batches(records, oracle)))
        else:
            index_tradeoff(records, oracle, args.data / "extraction" / "wcxb-dev" / "ground-truth.json")
        return 0
    if args.sketch_error:
        print(sketch_error_table(sketch_error()))
        return 0
    clough = args.data / "neardup" / "clough-stevenson-short-answers" / "corpus.jsonl.gz"
    if args.clough_only:
        if not clough.exists():
            parser.error(f"{clough} not found: pass --data pointing at the shared data folder")
        print(clough_table(clough_passages(clough)))
        return 0
    pin_one_core()
    bench = args.data / "corpus" / "reuters21578" / "bench" / "bench.jsonl.gz"
    oracle_path = args.data / "corpus" / "reuters21578" / "bench" / "oracle_pairs_jaccard_ge_0.5.json.gz"
    for p in (bench, oracle_path, clough):
        if not p.exists():
            parser.error(f"{p} not found: pass --data pointing at the shared data folder")
    oracle = load_oracle(oracle_path)
    records = read_jsonl(bench)
    n = len(records)
    results: dict[str, Any] = {"data": {"reuters_bench_docs": n, "oracle_pairs": len(oracle)}}
    doc_cfg = DedupConfig(passages=False)

    # Warm-up: numba compiles (and caches to disk) its two kernels once per install, and loads
    # them in this process, so the default rows below run them (a CLI run of this size would not:
    # see NUMBA_MIN_CHARS in cleaner/dedup/_kernels.py; the numpy-only row is that path).
    warm = time.perf_counter()
    if _kernels.numba_available():
        _kernels.pick(True, 0, 0)
    run_cleaner_on(records[:50], doc_cfg)
    results["numba_warmup_seconds"] = time.perf_counter() - warm
    results["backend"] = "numba" if _kernels.numba_available() else "numpy"

    # 1. Speed, interleaved so machine noise hits both tools alike.
    times: dict[str, list[tuple[float, float]]] = defaultdict(list)
    docs_out: list[Document] = []
    ds_cands: dict[str, list[str]] = {}
    for _ in range(args.repeat):
        docs_out, t = run_cleaner(bench, doc_cfg)
        times["cleaner"].append(t)
        _, ds_cands, t = run_datasketch(bench)
        times["datasketch"].append(t)
    _, t = run_cleaner(bench, DedupConfig())
    times["cleaner_with_passages"].append(t)
    if _kernels.numba_available():
        _, t = run_cleaner(bench, doc_cfg, use_numba=False)
        times["cleaner_numpy_only"].append(t)
    wall = {k: min(w for w, _ in v) for k, v in times.items()}
    cpu = {k: min(c for _, c in v) for k, v in times.items()}
    mb = sum(len(r["text"]) for r in records) / 1e6
    speed_rows = [
        [
            name,
            wall[name],
            cpu[name],
            n / cpu[name],
            mb / cpu[name],
            wall["datasketch"] / wall[name],
            cpu["datasketch"] / cpu[name],
        ]
        for name in ["cleaner", "cleaner_numpy_only", "cleaner_with_passages", "datasketch"]
        if name in wall
    ]
    results["speed"] = {
        "wall_seconds_best": wall,
        "cpu_seconds_best": cpu,
        "runs_wall_cpu": dict(times),
        "repeat": args.repeat,
        "text_mb": mb,
        "speedup_vs_datasketch_wall": wall["datasketch"] / wall["cleaner"],
        "speedup_vs_datasketch_cpu": cpu["datasketch"] / cpu["cleaner"],
        "signature_bytes_per_doc": doc_cfg.num_perm * 4,
    }

    # 2. Quality on the Reuters bench.
    row = {r["id"]: i for i, r in enumerate(records)}
    labels, reported = cleaner_labels(docs_out)
    quality = {"cleaner": cluster_quality(labels, reported, oracle)}
    ds_edges = [(row[a], row[b]) for a, cands in ds_cands.items() for b in cands]
    ds_labels = union_find_labels(n, ds_edges)
    quality["datasketch_lsh_unverified"] = cluster_quality(ds_labels, [(b, a) for a, b in ds_edges], oracle)
    if not args.no_datatrove:
        with tempfile.TemporaryDirectory() as tmp:
            dt = run_datatrove(bench, Path(tmp))
        if dt is not None:
            dt_labels, dt_time = dt
            # datatrove reports clusters, not what each document was compared with: no precision.
            quality["datatrove_defaults_unverified"] = cluster_quality(dt_labels, [], oracle)
            results["datatrove_seconds"] = dt_time
    results["reuters"] = quality

    # 3. Two batches through one index.
    results["two_batches"] = two_batches(records, oracle)

    # 4. Clough-Stevenson passages (source articles first).
    results["clough_stevenson"] = clough_passages(clough)
    results["peak_rss_mb"] = peak_rss_mb()

    # Report.
    print(
        f"bench_dedup: Reuters bench {n:,} docs ({mb:.1f} MB text), one core, backend {results['backend']}, "
        f"best of {args.repeat}\n"
    )
    print(
        table(
            speed_rows,
            [
                "dedup-only, end to end",
                "wall s",
                "CPU s",
                "docs/s (CPU)",
                "MB/s (CPU)",
                "x datasketch (wall)",
                "x datasketch (CPU)",
            ],
        )
    )
    print(
        f"\n(numba first use in this process: {results['numba_warmup_seconds']:.2f} s, not in the times above: "
        "it compiles once after install, then loads from its disk cache, about 1.3 s per process)\n"
    )
    qrows = [
        [name, q["recall"], q["precision"], q["in_cluster_share_j_ge_0.5"], q["clusters"], q["largest_cluster"]]
        for name, q in quality.items()
    ]
    print(table(qrows, ["Reuters quality", "recall J>=0.8", "precision", "in-cluster J>=0.5", "clusters", "largest"]))
    print(two_batches_line(results["two_batches"]))
    print(clough_table(results["clough_stevenson"]))
    path = write_results("bench_dedup", results, ["numpy", "numba", "datasketch", "datatrove"])
    print(f"\npeak RSS {results['peak_rss_mb']:.0f} MB (whole benchmark process); wrote {path}")
    print(
        "Data: Reuters-21578, Distribution 1.0 (research use only); Clough & Stevenson (2011), "
        "corpus of plagiarised short answers (research use)."
    )
    return 0


def clough_passages(path: Path) -> dict[str, Any]:
    """Clough-Stevenson answers, source articles first, through the dedup stage with passages on.

    Per category: answers flagged with their task's source (by a passage, or as a near-duplicate
    of the whole source), and answers flagged only with another document. The corpus labels say
    how an answer relates to its task's source; answers also share text with each other (two
    copied the same outside page), so the other-document flags are listed by file name (never
    text) for review.
    """
    answers = read_jsonl(path)
    answers.sort(key=lambda r: r["category"] != "orig")
    out = run_cleaner_on(answers, DedupConfig(), id_field="file")
    source = {r["task"]: r["file"] for r in answers if r["category"] == "orig"}
    by_cat: dict[str, dict[str, int]] = defaultdict(
        lambda: {"answers": 0, "source_flagged": 0, "doc_duplicate_of_source": 0, "other_doc_only": 0, "any_flag": 0}
    )
    other_flags: list[list[Any]] = []
    for r, d in zip(answers, out, strict=True):
        if r["category"] == "orig":
            continue
        c = by_cat[r["category"]]
        c["answers"] += 1
        src = source[r["task"]]
        passage_hit = any(p.duplicate_of == src for p in d.passages)
        doc_dup = d.duplicate is not None and d.duplicate.duplicate_of is not None
        doc_hit = doc_dup and d.duplicate is not None and d.duplicate.cluster == src
        flagged = bool(d.passages) or doc_dup
        c["source_flagged"] += passage_hit or doc_hit
        c["doc_duplicate_of_source"] += doc_hit
        c["any_flag"] += flagged
        c["other_doc_only"] += flagged and not (passage_hit or doc_hit)
        for p in d.passages:
            if p.duplicate_of != src:
                other_flags.append([r["file"], r["category"], p.duplicate_of, p.similarity, len(p.text.split())])
    return {
        "passage_threshold": DedupConfig().passage_threshold,
        "by_category": {cat: by_cat[cat] for cat in sorted(by_cat)},
        "flags_with_another_document": other_flags,
    }


def clough_table(res: dict[str, Any]) -> str:
    rows = [
        [cat, c["answers"], c["source_flagged"], c["doc_duplicate_of_source"], c["other_doc_only"], c["any_flag"]]
        for cat, c in res["by_category"].items()
    ]
    lines = [
        table(
            rows,
            ["Clough-Stevenson", "answers", "source flagged", "of which whole doc", "other doc only", "any flag"],
        ),
        "passages flagged with another document than the task's source (answer -> document, containment, words):",
    ]
    lines += [f"  {a} ({cat}) -> {b} {sim:.2f} {n}" for a, cat, b, sim, n in res["flags_with_another_document"]]
    return "\n".join(lines)


def two_batches(
    records: Sequence[dict[str, Any]], oracle: dict[tuple[int, int], float], passages: bool = False
) -> dict[str, Any]:
    """The bench in two halves through one persistent index (passages off unless ``passages``:
    then the index keeps shingle sets and verifies exactly): the share of cross-batch pairs
    (J >= 0.8) caught in the second half, the precision of the second half's drops against
    first-half documents (their verified partner has oracle J >= 0.8), and the index file's size
    per document."""
    n = len(records)
    half = n // 2
    with tempfile.TemporaryDirectory() as tmp:
        cfg = DedupConfig(passages=passages, index=str(Path(tmp) / "bench.index"))
        started = clock()
        first = run_cleaner_on(records[:half], cfg)
        first_cpu = since(started)[1]
        started = clock()
        second = run_cleaner_on(records[half:], cfg)
        second_cpu = since(started)[1]
        index_bytes = (Path(tmp) / "bench.index").stat().st_size
    cluster_first = {d.id: (d.duplicate.cluster if d.duplicate else d.id) for d in first}
    cross = [(i, j) for (i, j), s in oracle.items() if s >= 0.8 and i < half <= j]
    caught = 0
    for i, j in cross:
        later = second[j - half]
        if later.status == "dropped" and later.duplicate and later.duplicate.cluster == cluster_first[records[i]["id"]]:
            caught += 1
    row = {r["id"]: i for i, r in enumerate(records)}
    first_ids = {r["id"] for r in records[:half]}
    drops = [
        (row[d.duplicate.duplicate_of], half + k)
        for k, d in enumerate(second)
        if d.status == "dropped" and d.duplicate and d.duplicate.duplicate_of in first_ids
    ]
    right = sum(1 for i, j in drops if oracle.get((min(i, j), max(i, j)), 0.0) >= 0.8)
    return {
        "cross_batch_pairs": len(cross),
        "caught": caught,
        "share": caught / len(cross) if cross else None,
        "drops_against_index": len(drops),
        "precision_against_index": right / len(drops) if drops else None,
        "cpu_seconds_batch1": first_cpu,
        "cpu_seconds_batch2": second_cpu,
        "index_bytes": index_bytes,
        "index_bytes_per_doc": index_bytes / n,
    }


def two_batches_line(tb: dict[str, Any]) -> str:
    return (
        f"\nTwo batches through one index: {tb['caught']:,} of {tb['cross_batch_pairs']:,} cross-batch pairs "
        f"caught in batch 2 ({tb['share']:.3f}); precision of its {tb['drops_against_index']:,} drops against "
        f"the index {tb['precision_against_index']:.3f}; CPU s per batch {tb['cpu_seconds_batch1']:.2f} "
        f"(new index), {tb['cpu_seconds_batch2']:.2f} (checked against it); index "
        f"{tb['index_bytes'] / 1e6:.1f} MB, {tb['index_bytes_per_doc']:.0f} bytes per document\n"
    )


# -- the index's size against its verification ----------------------------------------------------
# Measured once at main 0c02ef2 (format 2, the index before odd sketches) with the command
# `python benchmarks/bench_dedup.py --two-batches-only`: kept here so the trade-off table shows
# what the sketch replaced; re-measure by checking that commit out.
FORMAT_2 = {
    "caught": 444,
    "cross_batch_pairs": 461,
    "drops_against_index": 449,
    "precision_against_index": 0.967,
    "index_bytes_per_doc": 624.0,
    "share": 444 / 461,
}


@contextlib.contextmanager
def sketch_size(bits: int) -> Iterator[None]:
    """Index documents with odd sketches of at least ``bits`` bits (the format's constant,
    patched for this measurement only: an index made so records it in its parameters)."""
    from cleaner.dedup import index as index_module
    from cleaner.dedup import sketch as sketch_module

    with mock.patch.object(sketch_module, "MIN_BITS", bits), mock.patch.object(index_module, "MIN_BITS", bits):
        yield


def index_tradeoff(
    records: Sequence[dict[str, Any]], oracle: dict[tuple[int, int], float], web: Path | None = None
) -> None:
    """Two batches through one index at several verification sketches, then with shingle sets
    (exact), beside format 2's figures; the index's size on web pages (``web``: WCXB's ground
    truth, URLs as ids); and the sketch's simulated error. Prints the tables and writes
    results/bench_dedup_index.json."""
    from cleaner.dedup.sketch import MIN_BITS

    rows: dict[str, dict[str, Any]] = {}
    for bits in (1024, MIN_BITS, 4096):
        with sketch_size(bits):
            rows[f"odd sketch {bits} bits" + (" (default)" if bits == MIN_BITS else "")] = two_batches(records, oracle)
    rows["shingle sets, exact (passages on)"] = two_batches(records, oracle, passages=True)
    rows["format 2: 128 x 16-bit MinHash (0c02ef2)"] = FORMAT_2
    print(
        table(
            [
                [
                    name,
                    r["index_bytes_per_doc"],
                    f"{r['caught']}/{r['cross_batch_pairs']}",
                    r["share"],
                    r["precision_against_index"],
                ]
                for name, r in rows.items()
            ],
            ["verification against the index", "bytes/doc", "caught", "recall", "precision"],
        )
    )
    pages = web_index_size(web) if web is not None and web.exists() else None
    if pages:
        print(
            f"\nWeb pages (WCXB dev ground truth, {pages['documents']:,} pages, URLs as ids of "
            f"{pages['mean_id_chars']:.0f} characters on average, median {pages['median_shingles']:.0f} distinct "
            f"shingles, {pages['share_over_min_bits']:.0%} over {pages['min_bits']:,}): index "
            f"{pages['index_bytes_per_doc']:.0f} bytes per document, sketches {pages['mean_sketch_bytes']:.0f} bytes "
            "on average. WCXB: Murrough Foley, Web Content Extraction Benchmark (2026), CC-BY-4.0."
        )
    errors = sketch_error()
    print("\n" + sketch_error_table(errors))
    payload = {"two_batches": rows, "web_pages": pages, "sketch_error": errors}
    path = write_results("bench_dedup_index", payload, ["numpy"])
    print(f"\nwrote {path}")


def web_index_size(ground_truth: Path) -> dict[str, Any]:
    """One batch of WCXB's ground-truth texts (web pages; URLs as ids, the page's key where it
    has none) into a new index, passages off: its size per document, and what drives it (id
    length, sketches grown past their minimum)."""
    import sqlite3

    import numpy as np

    from cleaner.dedup.sketch import MIN_BITS

    truth = json.loads(ground_truth.read_text(encoding="utf-8"))
    pages = [
        {"id": v.get("url") or k, "text": v["articleBody"]} for k, v in sorted(truth.items()) if v.get("articleBody")
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "web.index"
        run_cleaner_on(pages, DedupConfig(passages=False, index=str(path)))
        with sqlite3.connect(path) as conn:
            sizes = np.array([row[0] for row in conn.execute("SELECT size FROM docs")])
            sketch_bytes = conn.execute("SELECT AVG(length(sketch)) FROM docs").fetchone()[0]
        conn.close()
        index_bytes = path.stat().st_size
    return {
        "documents": len(pages),
        "mean_id_chars": sum(len(p["id"]) for p in pages) / len(pages),
        "median_shingles": float(np.median(sizes)),
        "min_bits": MIN_BITS,
        "share_over_min_bits": float(np.mean(sizes > MIN_BITS)),
        "mean_sketch_bytes": float(sketch_bytes),
        "index_bytes_per_doc": index_bytes / len(pages),
    }


def sketch_error(trials: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The odd-sketch estimate by union size and Jaccard, simulated: for each cell, ``trials``
    pairs whose symmetric difference (``union * (1 - J)`` elements) lands on random bits of a
    sketch sized for the stored document (what the estimate sees: the XOR of the two sketches),
    estimated with :func:`cleaner.dedup.sketch.estimate_jaccard` itself. Returns the share
    accepted at the default threshold 0.8 and the error's mean and standard deviation."""
    import numpy as np

    from cleaner.dedup.sketch import estimate_jaccard, sketch_bits

    rng = np.random.default_rng(seed)
    unions = [50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000]
    jaccards = [0.70, 0.75, 0.78, 0.79, 0.80, 0.81, 0.82, 0.85, 0.90]
    cells = []
    for union in unions:
        for target in jaccards:
            common = round(target * union)
            differ = union - common
            size_a, size_b = common + differ // 2, common + differ - differ // 2
            bits = sketch_bits(size_b)
            slots = rng.integers(0, bits, size=(trials, differ)) + np.arange(trials)[:, None] * bits
            odd = (np.bincount(slots.reshape(-1), minlength=trials * bits) & 1).astype(np.uint8).reshape(trials, bits)
            empty = bytes(bits // 8)
            est = np.array([estimate_jaccard(size_a, np.packbits(row).tobytes(), size_b, empty) for row in odd])
            exact = common / union
            cells.append(
                {
                    "union": union,
                    "target": target,
                    "jaccard": exact,
                    "bits": bits,
                    "accepted": float(np.mean(est >= 0.8)),
                    "mean_error": float(np.mean(est - exact)),
                    "sd": float(np.std(est - exact)),
                }
            )
    return {"trials": trials, "threshold": 0.8, "cells": cells}


def sketch_error_table(res: dict[str, Any]) -> str:
    targets = sorted({c["target"] for c in res["cells"]})
    by_union: dict[int, dict[float, dict[str, Any]]] = defaultdict(dict)
    for c in res["cells"]:
        by_union[c["union"]][c["target"]] = c
    rows = []
    for union, cells in by_union.items():
        rows.append([f"{union:,}", cells[0.8]["bits"], *[cells[t]["accepted"] for t in targets], cells[0.8]["sd"]])
    return (
        f"odd sketch, share of {res['trials']:,} simulated pairs accepted at threshold {res['threshold']}, "
        "by union size (shingles) and Jaccard; last column: standard error at J = 0.8\n"
        + table(rows, ["union", "bits", *[f"J={t:.2f}" for t in targets], "sd@0.8"])
        + "\n(J is the nearest the union allows: at 50 shingles, 0.75 is 0.76 and 0.79 is 0.80)"
    )


def run_cleaner_on(records: Sequence[dict[str, Any]], cfg: DedupConfig, id_field: str = "id") -> list[Document]:
    docs = [Document(id=r[id_field], text=r["text"], source=Source("input", n + 1)) for n, r in enumerate(records)]
    stage = Dedup(cfg)
    summaries = []
    for i in range(0, len(docs), BATCH):
        summaries.extend(stage.summarize_many(docs[i : i + BATCH]))
    decisions = decide_in_process(stage, [list(zip([str(d.source) for d in docs], summaries, strict=True))])
    return [stage.apply(d, decisions.get(str(d.source))) for d in docs]


if __name__ == "__main__":
    raise SystemExit(main())
