"""Scaling: throughput and peak memory of a full cleaning run at 10 MB, 100 MB and 1 GB, per engine.

    python benchmarks/bench_scaling.py                                   # 10MB,100MB; all configs
    python benchmarks/bench_scaling.py --sizes 1GB --configs local-2,dask-2
    python benchmarks/bench_scaling.py --data PATH --work /big/tmp
    python benchmarks/bench_scaling.py --sizes 100MB --configs local-1,local-2,dask-2 --rounds 3   # alternated

For each size, a dump is made once by benchmarks/gen_dump.py (Reuters text with edits, site
boilerplate, 10% near-duplicates) under ``--work`` (outside the repository: Reuters is research
only). Each configuration then runs the real command, ``python -m cleaner clean DUMP -o OUT``, with
all stages, in a child process:

- ``local-1``: ``--jobs 1``; ``local-2``: ``--jobs 2``; ``dask-2``: ``--engine dask --jobs 2``
  (a LocalCluster of 2 worker processes);
- ``local-2-np``, ``dask-2-np``: the same with passage matching off (``[dedup] passages = false``),
  whose driver-side memory grows faster than linearly on heavily reused text;
- ``local-N``, ``dask-N`` for N = 4, 8, 16: run by default where the machine has N cores.

The table gives the speed-up against ``local-1`` (wall time) and CPU seconds per MB by
configuration, and their ratio to ``local-1``'s (flat as jobs grow when the work scales: the
target is within 10%). On a shared machine use ``--rounds N``: the configurations run in turn N
times and each row is the run of median CPU seconds. A second table, the growth per document
of the largest process between consecutive sizes (the target: under 100 bytes).

Measured per run: wall seconds, CPU seconds of the whole process tree (``getrusage`` of the
reaped children, so it holds on a busy machine where wall time does not), input MB/s and docs/s,
the peak RSS of the largest single process (``ru_maxrss``: exact, not sampled) and the peak of
the whole tree's summed RSS (sampled every 0.2 s with psutil), and per process (driver, each
worker) its peak RSS (``VmHWM`` read at each sample) and CPU seconds. The targets: at most 1.5 GB
in any process at any dump size, growing by under 100 bytes per document. ``same`` says whether
output and report are byte-identical to the ``local-1`` run of that size (for ``dask-2-np``: of
``local-2-np``); they must be. Ratios are throughput relative to that same baseline.

Results merge into benchmarks/results/bench_scaling.json (a run replaces the rows of the sizes and
configurations it measured), with a table on stdout and a plot in bench_scaling.png.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, REPO, RESULTS, table, write_results
from gen_dump import parse_size

CONFIGS: dict[str, list[str]] = {
    "local-1": ["--jobs", "1"],
    "local-2": ["--jobs", "2"],
    "dask-2": ["--engine", "dask", "--jobs", "2"],
    # The same with passage matching off ([dedup] passages = false): document dedup only.
    "local-2-np": ["--jobs", "2", "--config", "{no_passages}"],
    "dask-2-np": ["--engine", "dask", "--jobs", "2", "--config", "{no_passages}"],
}
# Speed-up against one core: 4, 8 and 16 jobs, run by default where the machine has the cores.
JOBS = (4, 8, 16)
for _jobs in JOBS:
    CONFIGS[f"local-{_jobs}"] = ["--jobs", str(_jobs)]
    CONFIGS[f"dask-{_jobs}"] = ["--engine", "dask", "--jobs", str(_jobs)]
DEFAULT_CONFIGS = ",".join(
    [
        "local-1",
        "local-2",
        "dask-2",
        *(f"{e}-{j}" for j in JOBS if j <= (os.cpu_count() or 1) for e in ("local", "dask")),
    ]
)
TARGET_PEAK_MB = 1500  # issue 15: at most 1.5 GB in any process, whatever the dump's size
TARGET_GROWTH_BYTES = 100  # issue 15: the largest process grows by under 100 bytes per document
SAMPLE_SECONDS = 0.2


def label(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:g}{unit}"
    return f"{size}B"


def make_dump(size: int, work: Path, data: Path) -> Path:
    path = work / f"dump-{label(size)}.jsonl"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "gen_dump.py"), "--size", str(size), "--out", str(path),
             "--data", str(data)],
            check=True,
        )  # fmt: skip
    return path


def digest(outdir: Path, report: Path) -> str:
    """One hash of every output file (by its path inside OUTDIR) and of the report."""
    h = hashlib.sha256()
    files = [(p.relative_to(outdir).as_posix(), p) for p in sorted(outdir.rglob("*")) if p.is_file()]
    for name, file in [*files, ("<report>", report)]:
        h.update(name.encode())
        with open(file, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def child_main(argv: list[str]) -> None:
    """Run one cleaner command as our child; print its CPU time and peak RSS as JSON.

    A run whose processes together pass ``RSS_CAP_MB`` is stopped (and reported as such), so a
    configuration that does not bound its memory cannot take the machine down with it.
    """
    import psutil

    cap = float(os.environ.get("RSS_CAP_MB", "0")) * 2**20
    started = time.perf_counter()
    proc = subprocess.Popen(argv, start_new_session=True)
    tree_peak = 0
    stopped = False
    parent = psutil.Process(proc.pid)
    per_process: dict[int, dict[str, Any]] = {}  # sampled peak RSS and last CPU seconds of each process
    while proc.poll() is None:
        try:
            members = [parent, *parent.children(recursive=True)]
            total = 0
            for p in members:
                with contextlib.suppress(psutil.Error):  # a process that ended between the two calls
                    with p.oneshot():
                        rss = p.memory_info().rss
                        times = p.cpu_times()
                        seen = per_process.setdefault(p.pid, {"role": _role(p, parent), "peak_rss_mb": 0.0})
                        seen["peak_rss_mb"] = max(seen["peak_rss_mb"], _high_water(p.pid, rss) / 2**20)
                        seen["cpu_s"] = times.user + times.system
                    total += rss
            tree_peak = max(tree_peak, total)
            if cap and total > cap and not stopped:
                stopped = True
                os.killpg(proc.pid, 9)  # the run's own process group (start_new_session above)
        except psutil.Error:
            pass
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "returncode": proc.returncode, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024, "tree_peak_rss_mb": tree_peak / 2**20, "stopped_at_cap": stopped,
        "processes": sorted(per_process.values(), key=lambda r: -r["peak_rss_mb"])[:8],
    }))  # fmt: skip


def _high_water(pid: int, rss: int) -> int:
    """The process's peak RSS so far (Linux ``VmHWM``: exact, like ``ru_maxrss``), else its RSS now."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss


def _role(p: Any, parent: Any) -> str:
    """What a process of the run is: the driver, a worker, or a helper (resource tracker)."""
    if p.pid == parent.pid:
        return "driver"
    cmdline = " ".join(p.cmdline())
    if "resource_tracker" in cmdline:
        return "resource tracker"
    return "worker" if "spawn_main" in cmdline or "forkserver" in cmdline else cmdline[:60]


def measure(dump: Path, config: str, work: Path, cap_mb: float) -> dict[str, Any]:
    out = work / f"out-{config}"
    report = work / f"out-{config}.report.jsonl"
    shutil.rmtree(out, ignore_errors=True)
    no_passages = work / "no-passages.toml"
    no_passages.write_text("[dedup]\npassages = false\n", encoding="utf-8")
    options = [o.replace("{no_passages}", str(no_passages)) for o in CONFIGS[config]]
    command = [sys.executable, "-m", "cleaner", "clean", str(dump), "-o", str(out), "--report", str(report),
               "-q", *options]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "RSS_CAP_MB": str(cap_mb)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--", *command], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{config} on {dump} failed:\n{done.stderr[-3000:]}")
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    if stats["stopped_at_cap"]:
        shutil.rmtree(out, ignore_errors=True)
        report.unlink(missing_ok=True)
        return {**stats, "docs": 0, "output_sha256": None}
    if stats["returncode"] not in (0, 1):
        raise SystemExit(f"{config} on {dump}: cleaner exited with {stats['returncode']}\n{done.stderr[-3000:]}")
    with open(report, "rb") as fh:
        docs = sum(1 for _ in fh)
    stats.update(docs=docs, output_sha256=digest(out, report))
    shutil.rmtree(out, ignore_errors=True)
    report.unlink(missing_ok=True)
    return stats


def median_cpu(row: dict[str, Any]) -> float:
    """The median CPU seconds of a row's rounds (its own with one round)."""
    return float(statistics.median(row.get("cpu_s_runs") or [row["cpu_s"]]))


def commit() -> str | None:
    """The cleaner commit measured: CLEANER_COMMIT (set for a snapshot copy), else git's HEAD."""
    if os.environ.get("CLEANER_COMMIT"):
        return os.environ["CLEANER_COMMIT"]
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n, config in enumerate(CONFIGS):
        color = colors[n % len(colors)]
        mine = sorted((r for r in rows if r["config"] == config), key=lambda r: r["input_bytes"])
        done = [r for r in mine if not r.get("stopped_at_cap")]
        stopped = [r for r in mine if r.get("stopped_at_cap")]
        if done:
            xs = [r["input_bytes"] / 1e6 for r in done]
            left.plot(xs, [r["mb_per_s"] for r in done], marker="o", color=color, label=config)
            largest = [r["peak_rss_mb"] for r in done]
            right.plot(xs, largest, marker="o", color=color, label=f"{config}: largest process")
            tree = [r["tree_peak_rss_mb"] for r in done]
            right.plot(xs, tree, marker="x", linestyle=":", color=color, label=f"{config}: all processes")
        if stopped:  # stopped at the RSS cap: at least this much
            xs = [r["input_bytes"] / 1e6 for r in stopped]
            right.scatter(xs, [r["tree_peak_rss_mb"] for r in stopped], marker="^", s=80, color=color,
                          label=f"{config}: stopped at the cap")  # fmt: skip
    right.axhline(TARGET_PEAK_MB, color="red", linestyle="--", label="1.5 GB target (any process)")
    for ax, title, ylabel in ((left, "throughput", "input MB/s (wall)"), (right, "peak memory", "peak RSS (MB)")):
        ax.set_xscale("log")
        ax.set_xlabel("dump size (MB of JSONL)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "cleaner-scaling",
                        help="where dumps and outputs go (outside the repository)")  # fmt: skip
    parser.add_argument("--sizes", default="10MB,100MB", help="comma-separated dump sizes (10MB,100MB,1GB)")
    parser.add_argument("--configs", default=DEFAULT_CONFIGS, help=f"comma-separated, of {', '.join(CONFIGS)}")
    parser.add_argument("--rss-cap-mb", type=float, default=12000, help="stop a run whose processes pass this")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the configurations in turn this many times (alternated); each row is the run "
                        "of median CPU seconds, with every run's CPU and wall seconds beside it")  # fmt: skip
    args = parser.parse_args()
    configs = [c.strip() for c in args.configs.split(",")]
    for c in configs:
        if c not in CONFIGS:
            parser.error(f"unknown config {c!r}: choose from {', '.join(CONFIGS)}")
    args.work.mkdir(parents=True, exist_ok=True)
    results_path = RESULTS / "bench_scaling.json"
    old = json.loads(results_path.read_text()) if results_path.exists() else {}
    rows: dict[tuple[str, str], dict[str, Any]] = {(r["size"], r["config"]): r for r in old.get("runs", [])}
    for size in [parse_size(s) for s in args.sizes.split(",")]:
        dump = make_dump(size, args.work, args.data)
        input_bytes = dump.stat().st_size
        runs: dict[str, list[dict[str, Any]]] = {config: [] for config in configs}
        for turn, config in itertools.product(range(args.rounds), configs):  # configurations alternated
            print(f"{label(size)} {config} (round {turn + 1}) ...", file=sys.stderr, flush=True)
            measured = commit()  # before the run: the code it loads, whatever lands meanwhile
            stats = measure(dump, config, args.work, args.rss_cap_mb)
            stats.update(
                size=label(size), config=config, input_bytes=input_bytes,
                mb_per_s=input_bytes / 1e6 / stats["wall_s"], docs_per_s=stats["docs"] / stats["wall_s"],
                mb_per_cpu_s=input_bytes / 1e6 / stats["cpu_s"],
                date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                load_avg_1m=os.getloadavg()[0], commit=measured,
            )  # fmt: skip
            runs[config].append(stats)
        for config, done in runs.items():
            by_cpu = sorted(done, key=lambda r: r["cpu_s"])
            row = dict(by_cpu[(len(by_cpu) - 1) // 2])  # the median run (the lower one of an even count)
            if len(done) > 1:
                outputs = sorted({r["output_sha256"] for r in done if r["output_sha256"]})
                row.update(rounds=len(done), cpu_s_runs=[r["cpu_s"] for r in done],
                           wall_s_runs=[r["wall_s"] for r in done], load_avg_runs=[r["load_avg_1m"] for r in done],
                           output_sha256_runs=outputs)  # fmt: skip
            rows[(row["size"], config)] = row
    ordered = sorted(rows.values(), key=lambda r: (r["input_bytes"], list(CONFIGS).index(r["config"])))
    table_rows = []
    for r in ordered:
        base = rows.get((r["size"], "local-1" if not r["config"].endswith("-np") else "local-2-np"))
        ratio = f"{r['mb_per_s'] / base['mb_per_s']:.2f}x" if base else "-"
        same = "-"
        if r.get("stopped_at_cap"):
            same = "stopped: over the RSS cap"
        elif base is not None and base.get("output_sha256") and r["config"] not in ("local-1", "local-2-np"):
            every = set(r.get("output_sha256_runs") or [r["output_sha256"]]) | set(base.get("output_sha256_runs") or [])
            same = "yes" if every == {base["output_sha256"]} else "NO"
        cpu_per_mb = r["cpu_s"] / (r["input_bytes"] / 1e6)
        # CPU seconds per MB against one core's (the target: flat as jobs grow, within 10%), medians
        # over the rounds (of an even count, the mean of the middle two)
        cpu_ratio = "-"
        if base and base["input_bytes"] == r["input_bytes"]:
            cpu_ratio = f"{median_cpu(r) / median_cpu(base):.2f}x"
        table_rows.append([r["size"], r["config"], r["docs"], r["wall_s"], r["cpu_s"], cpu_per_mb, cpu_ratio,
                           r["mb_per_s"], ratio, r["docs_per_s"], r["peak_rss_mb"], r["tree_peak_rss_mb"], same,
                           " ".join(f"{c:.0f}" for c in r.get("cpu_s_runs", [])) or "-"])  # fmt: skip
    header = ["size", "config", "docs", "wall s", "CPU s", "CPU s/MB", "CPU vs local-1", "MB/s", "speed-up vs local-1",
              "docs/s", "peak RSS MB (largest)", "peak RSS MB (all)", "same", "CPU s of each round"]  # fmt: skip
    print(table(table_rows, header))
    growth = []
    for config in CONFIGS:
        mine = [r for r in ordered if r["config"] == config and r.get("docs") and not r.get("stopped_at_cap")]
        for small, large in itertools.pairwise(mine):
            per_doc = (large["peak_rss_mb"] - small["peak_rss_mb"]) * 2**20 / (large["docs"] - small["docs"])
            growth.append([config, f"{small['size']} -> {large['size']}", small["peak_rss_mb"], large["peak_rss_mb"],
                           f"{per_doc:.0f}"])  # fmt: skip
    if growth:
        print(table(growth, ["config", "sizes", "largest MB", "largest MB", "bytes per document"]))
    print(f"targets: peak RSS <= {TARGET_PEAK_MB} MB in any process at any size; growth < {TARGET_GROWTH_BYTES} "
          "bytes per document")  # fmt: skip
    for r in ordered:
        if r.get("processes"):
            shown = ", ".join(
                f"{p['role']} {p['peak_rss_mb']:.0f} MB / {p.get('cpu_s', 0):.0f} CPU s" for p in r["processes"]
            )
            print(f"{r['size']} {r['config']} per process (peak RSS / CPU s): {shown}")
    path = write_results("bench_scaling", {"target_peak_rss_mb": TARGET_PEAK_MB, "runs": ordered},
                         ["dask", "distributed", "pyarrow", "psutil", "numpy", "selectolax"])  # fmt: skip
    plot(ordered, RESULTS / "bench_scaling.png")
    print(f"results: {path} and {RESULTS / 'bench_scaling.png'}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child_main(sys.argv[3:])
    else:
        main()
