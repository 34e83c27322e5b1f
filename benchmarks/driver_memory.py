"""Where the driver's memory goes, per document: tracemalloc over a real run's driver process.

    python benchmarks/driver_memory.py /tmp/cleaner-dumps/dump-100MB.jsonl --jobs 2

Runs ``cleaner.runners.run`` in this process with ``--jobs`` worker processes (tracemalloc sees
the driver only: the per-document stages and the barrier's tasks run in the workers), and prints,
for each corpus barrier, the Python memory it left held and its peak, the largest holders by line,
and at the end the driver's peak (``ru_maxrss``) with bytes per document. tracemalloc slows the
driver's own Python work (not the workers'), so read the memory figures, not the time.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cleaner import runners
from cleaner.config import Config
from cleaner.runners import core

MB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()

    original = core.barrier
    phases: list[dict[str, float]] = []

    def traced_barrier(*a: object, **kw: object) -> object:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        filed = original(*a, **kw)  # type: ignore[arg-type]  # the shards whose decisions were filed
        held, peak = tracemalloc.get_traced_memory()
        snapshot = tracemalloc.take_snapshot()
        top = snapshot.statistics("lineno")[: args.top]
        phases.append({"before": before, "held": held, "peak": peak, "shards_filed": len(filed)})
        print(f"barrier {len(phases)}: {len(filed):,} shards filed; Python memory before {before / MB:.1f} MB, "
              f"held after {held / MB:.1f} MB, peak {peak / MB:.1f} MB", file=sys.stderr)  # fmt: skip
        for stat in top:
            print(f"    {stat.size / MB:8.2f} MB  {stat.count:>9,}  {stat.traceback}", file=sys.stderr)
        return filed

    core.barrier = traced_barrier  # type: ignore[assignment]
    tracemalloc.start()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        report = runners.run([args.dump], Path(tmp) / "out", Config(jobs=args.jobs))
    wall = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    docs = report.docs_in
    print(f"{docs:,} documents, {wall:.0f} s; driver Python peak {peak / MB:.1f} MB "
          f"({peak / docs:.0f} B/doc), driver ru_maxrss {rss / MB:.0f} MB ({rss / docs:.0f} B/doc)")  # fmt: skip


if __name__ == "__main__":
    main()
