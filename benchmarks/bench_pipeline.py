"""Throughput of the whole pipeline (or chosen stages) over a folder or dump, through the CLI runner.

    python benchmarks/bench_pipeline.py                       # Reuters JSONL, all stages, --jobs 1 and 2
    python benchmarks/bench_pipeline.py PATH --stages normalize --jobs 1

Prints MB/s (of input text) and docs/s for each --jobs value, with versions and machine facts, and
writes benchmarks/results/bench_pipeline.json. Times are wall-clock, so run it on a quiet machine and
compare ratios, not absolute numbers, across machines.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, peak_rss_mb, table, write_results

from cleaner.config import Config, parse_stages
from cleaner.runners import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, help="files or folders (default: Reuters JSONL)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--stages", default="normalize,boilerplate,dedup")
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to measure")
    args = parser.parse_args()
    inputs = args.inputs or [args.data / "corpus" / "reuters21578" / "reuters21578.jsonl.gz"]
    rows, results = [], []
    for jobs in [int(j) for j in args.jobs.split(",")]:
        tmp = Path(tempfile.mkdtemp(prefix="cleaner-bench-"))
        try:
            cfg = Config(stages=parse_stages(args.stages), jobs=jobs)
            started = time.perf_counter()
            report = run(inputs, tmp / "out", cfg, tmp / "report.jsonl")
            seconds = time.perf_counter() - started
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        mb = report.chars_in / 1e6
        row = {
            "jobs": jobs, "docs": report.docs_in, "mchars": mb, "seconds": seconds,
            "mchars_per_s": mb / seconds, "docs_per_s": report.docs_in / seconds,
            "stage_seconds": dict(report.seconds),
        }
        results.append(row)
        rows.append([jobs, report.docs_in, mb, seconds, row["mchars_per_s"], row["docs_per_s"]])
    print(f"inputs: {', '.join(map(str, inputs))}  stages: {args.stages}")
    print(table(rows, ["jobs", "docs", "M chars", "seconds", "M chars/s", "docs/s"]))
    print(f"peak RSS (MB, largest process): {peak_rss_mb():.0f}")
    path = write_results("bench_pipeline", {"inputs": [str(p) for p in inputs], "stages": args.stages,
                                            "runs": results}, ["datasketch", "selectolax", "ftfy"])
    print(f"results: {path}")


if __name__ == "__main__":
    main()
