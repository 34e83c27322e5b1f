"""Per-document latency and throughput of the streaming mode (``Cleaner.stream``), on one core.

    python benchmarks/bench_stream.py [--data PATH] [--docs 3000] [--size 5000]

Documents of about ``--size`` characters are made from consecutive Reuters bench articles (each
article whole, joined until the size is reached, cut at a word), then, to give the index something
to find, every tenth document is sent again with a word changed. They go one by one through
``Cleaner.stream()`` with the default stages (normalize, boilerplate lines, dedup; the stream skips
the site-template stage and passages) against a persistent index that already holds a first
batch of the same size (cleaned as a batch). Latency is the wall time from asking for the next document
to getting it (the document is built beforehand), measured after a warm-up of 100 documents
(start-up: numba, the index), with its CPU time beside it (on a shared machine wall time
includes waiting for a core); the whole stream's CPU seconds give the throughput. No peer tool
streams near-duplicates with verification, so there is no side-by-side ratio here.

Reuters-21578 is research-only: this script reads it from --data and writes only figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DATA, peak_rss_mb, pin_one_core, table, write_results

from cleaner import Cleaner
from cleaner.config import Config, DedupConfig
from cleaner.record import Document

WARMUP = 100


def documents(path: Path, count: int, size: int) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    out: list[str] = []
    current: list[str] = []
    length = 0
    for text in texts:
        current.append(text)
        length += len(text) + 2
        if length >= size:
            joined = "\n\n".join(current)
            out.append(joined[: joined.rfind(" ", 0, size)] if len(joined) > size else joined)
            current, length = [], 0
            if len(out) == count:
                break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--docs", type=int, default=3000, help="documents in the stream (and in the first batch)")
    parser.add_argument("--size", type=int, default=5000, help="characters per document")
    args = parser.parse_args(argv)
    bench = args.data / "corpus" / "reuters21578" / "bench" / "bench.jsonl.gz"
    if not bench.exists():
        parser.error(f"{bench} not found: pass --data pointing at the shared data folder")
    pin_one_core()
    texts = documents(bench, 2 * args.docs, args.size)
    first, rest = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    stream_docs = []
    for i, text in enumerate(rest):
        stream_docs.append(Document(id=f"s{i}", text=text))
        if i % 10 == 0:  # a re-crawl of an indexed page, lightly edited
            text = first[i]
            at = text.find(" ", len(text) // 2)
            end = text.find(" ", at + 1)
            stream_docs.append(Document(id=f"again{i}", text=text[: at + 1] + "changed" + text[end:]))
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Config(dedup=DedupConfig(index=str(Path(tmp) / "seen.sqlite"), passages=False))
        list(Cleaner(cfg).clean([Document(id=f"b{i}", text=t) for i, t in enumerate(first)]))
        cleaner = Cleaner(cfg)
        latencies: list[float] = []
        cpu_each: list[float] = []
        statuses: dict[str, int] = {}
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with cleaner.stream() as stream:
            it = stream.clean(stream_docs, include_rejected=True)
            while True:
                started, cpu_started = time.perf_counter(), time.process_time()
                doc = next(it, None)
                if doc is None:
                    break
                latencies.append(time.perf_counter() - started)
                cpu_each.append(time.process_time() - cpu_started)
                statuses[doc.rejected.reason if doc.rejected else "kept"] = (
                    statuses.get(doc.rejected.reason if doc.rejected else "kept", 0) + 1
                )
            stream.commit()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        index_bytes = (Path(tmp) / "seen.sqlite").stat().st_size
    steady = sorted(latencies[WARMUP:])
    chars = sum(len(d.text) for d in stream_docs) / len(stream_docs)
    results: dict[str, Any] = {
        "documents": len(stream_docs),
        "mean_chars": chars,
        "indexed_before": len(first),
        "latency_ms_median": 1000 * statistics.median(steady),
        "latency_ms_p90": 1000 * steady[int(0.9 * len(steady))],
        "latency_ms_p99": 1000 * steady[int(0.99 * len(steady))],
        "latency_ms_first": 1000 * latencies[0],
        "cpu_ms_median": 1000 * statistics.median(sorted(cpu_each[WARMUP:])),
        "docs_per_cpu_second": len(stream_docs) / cpu,
        "docs_per_second_wall": len(stream_docs) / wall,
        "outcomes": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        "index_bytes": index_bytes,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(
        f"bench_stream: {len(stream_docs):,} documents of {chars:,.0f} characters on average, one by one, "
        f"against an index of {len(first):,} (one core)\n"
    )
    rows = [
        ["median", f"{results['latency_ms_median']:.2f}"],
        ["p90", f"{results['latency_ms_p90']:.2f}"],
        ["p99", f"{results['latency_ms_p99']:.2f}"],
        ["first document (start-up)", f"{results['latency_ms_first']:.0f}"],
        ["median CPU time", f"{results['cpu_ms_median']:.2f}"],
    ]
    print(table(rows, ["latency per document", "ms"]))
    print(
        f"\nthroughput {results['docs_per_cpu_second']:.0f} documents per CPU second "
        f"({results['docs_per_second_wall']:.0f} per second wall); outcomes {results['outcomes']}"
    )
    path = write_results("bench_stream", results, ["numpy", "numba"])
    print(f"wrote {path}\nData: Reuters-21578, Distribution 1.0 (research use only).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
