"""The dedup barrier at 1M-100M documents, simulated: synthetic band keys, production step functions.

    python benchmarks/sim_barrier.py --docs 1M,10M             # writes benchmarks/results/sim_barrier.json
    python benchmarks/sim_barrier.py --docs 100M --jobs 2 --work /big/tmp
    python benchmarks/sim_barrier.py --docs 1M --components tasks   # components in rounds of tasks

No text is read or made. Each document gets 16 band keys (the default 16 bands x 8 rows) from a
pure function of its rank, so any task can rebuild any document's keys and its ground truth:

- **originals** (90%) have keys of their own;
- **near-duplicates** (10%) copy an earlier original: 80% a uniformly drawn earlier original
  (clusters of 2-3), 20% one of 1,000 "popular" pages among the first ranks (clusters that grow
  with the run: ~200 members each at 10M, past the bucket cap of 64). A copy of Jaccard J (drawn
  in [0.8, 1)) shares each band with its original with probability J**8, as MinHash does;
- **templated pages** (3%) share band 0 with ~100 other pages of their site: candidate pairs that
  verification rejects, as boilerplate-heavy pages do.

The barrier then runs as in ``cleaner.dedup.sharded``, with its own functions where they do not
need text: band rows per shard (``write_band_rows``), candidate pairs per band group and
partition (``partition_pairs``: the production shuffle and ``bucket_pairs``), each verify block's
pairs (``block_pairs``) checked by an oracle (same original and J_a * J_b >= 0.8) instead of
the exact Jaccard over shingle sets, connected components and the keep rule on the driver
(``resolve_arrays``), and the decisions filed per shard as compact arrays
(``cleaner.dedup.decisions``). With ``--components tasks`` the verify tasks write their edges
to files instead, as the barrier's do (``sharded.save_block_edges``, 24 B an edge), split
them by partition (``sharded.split_edges``, partitions counted from the verified edges:
``components.partitions_for_edges``), and connected components and the keep rule run in rounds
of tasks (``cleaner.dedup.components``): the driver holds no edge. Shards hold 100,000 documents (a
real 32 MiB shard holds ~14,000 of the synthetic dump's; larger shards keep the file count
down, the per-document figures do not depend on it).

Measured per step: wall seconds, bytes written to the barrier folder, the driver's Python peak
(tracemalloc: numpy arrays included) and RSS, and the largest worker RSS. Results merge into
benchmarks/results/sim_barrier.json and print as a table; docs/scaling.md quotes them.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import RESULTS, table
from gen_dump import parse_size

from cleaner.dedup.cluster import resolve_arrays
from cleaner.dedup.components import keep_rule, partitions_for_edges, star_round
from cleaner.dedup.decisions import write_cluster_decisions
from cleaner.dedup.sharded import (
    block_cuts,
    block_pairs,
    groups_of,
    partition_pairs,
    partitions_for,
    save_block_edges,
    split_edges,
    write_band_rows,
)

BANDS, ROWS = 16, 8
THRESHOLD = 0.8
DUP_SHARE, POPULAR_SHARE, POPULAR_PAGES = 0.10, 0.20, 1000
TEMPLATE_SHARE, SITE_PAGES = 0.03, 100
SHARD_DOCS = 100_000
MB = 1024 * 1024

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fixed pseudo-random uint64 per input (vectorised)."""
    z = np.asarray(x, dtype=np.uint64).copy()
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= _M1
        z ^= z >> np.uint64(27)
        z *= _M2
        z ^= z >> np.uint64(31)
    return z


def uniform(ranks: np.ndarray, salt: int) -> np.ndarray:
    """A float in [0, 1) per rank and salt."""
    with np.errstate(over="ignore"):
        return (mix(ranks.astype(np.uint64) * np.uint64(64) + np.uint64(salt)) >> np.uint64(11)) / float(1 << 53)


def is_dup(ranks: np.ndarray) -> np.ndarray:
    return (uniform(ranks, 1) < DUP_SHARE) & (ranks >= 10 * POPULAR_PAGES)


def original_of(ranks: np.ndarray) -> np.ndarray:
    """The original each document copies (itself for an original): the nearest original at or
    before a drawn earlier rank (a popular page for 20% of the copies)."""
    ranks = np.asarray(ranks, dtype=np.int64)
    dup = is_dup(ranks)
    popular = uniform(ranks, 2) < POPULAR_SHARE
    drawn = np.where(
        popular,
        (uniform(ranks, 3) * POPULAR_PAGES).astype(np.int64) * 10,
        (uniform(ranks, 4) * np.maximum(ranks, 1)).astype(np.int64),
    )
    target = np.where(dup, drawn, ranks)
    while True:  # step back to an original (10% of ranks are copies: a few rounds)
        bad = is_dup(target)
        if not bad.any():
            return target
        target = np.where(bad, target - 1, target)


def jaccard_to_original(ranks: np.ndarray) -> np.ndarray:
    return np.where(is_dup(ranks), 0.8 + 0.2 * uniform(ranks, 5), 1.0)


def synthetic_keys(ranks: np.ndarray) -> np.ndarray:
    """16 band keys per rank, with the clusters and templates described in the module docstring."""
    original = original_of(ranks)
    share = jaccard_to_original(ranks) ** ROWS
    band = np.arange(BANDS, dtype=np.uint64)
    with np.errstate(over="ignore"):
        own = mix(ranks.astype(np.uint64)[:, None] * np.uint64(BANDS) + band)
        of_original = mix(original.astype(np.uint64)[:, None] * np.uint64(BANDS) + band)
        copies = uniform(ranks[:, None] * BANDS + band.astype(np.int64), 6) < share[:, None]
        keys = np.where(copies, of_original, own)
        templated = uniform(ranks, 7) < TEMPLATE_SHARE
        site = (ranks // int(SITE_PAGES / TEMPLATE_SHARE)).astype(np.uint64)  # ~100 templated pages each
        keys[templated, 0] = mix(site[templated] + np.uint64(1 << 62))
    return keys


def oracle(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The verify step's verdict without shingle sets: same original, and J_a * J_b >= 0.8."""
    a, b = pairs[:, 0], pairs[:, 1]
    same = original_of(a) == original_of(b)
    sim = np.round(jaccard_to_original(a) * jaccard_to_original(b), 4)
    kept = same & (sim >= THRESHOLD)
    return pairs[kept], sim[kept]


# --- the tasks (module-level: they run in the worker processes) ---------------------------------


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def bands_task(folder: Path, shard: int, first: int, count: int, partitions: int) -> int:
    ranks = np.arange(first, first + count, dtype=np.int64)
    write_band_rows(folder, shard, ranks, synthetic_keys(ranks), partitions)
    return _rss()


def pairs_task(folder: Path, shards: Sequence[int], group: int, width: int, partition: int) -> tuple[int, int]:
    return partition_pairs(folder, shards, group, width, partition), _rss()


def verify_task(folder: Path, cells: Sequence[tuple[int, int]], ranks: tuple[int, int]) -> tuple[Any, Any, int]:
    edges, sims = oracle(block_pairs(folder, cells, ranks))
    return edges, sims, _rss()


def _components(edges: np.ndarray, sims: np.ndarray) -> tuple[tuple[np.ndarray, ...], int]:
    return resolve_arrays(edges[:, 0], edges[:, 1], sims), 0


# --components tasks: the verified edges never reach the driver (cleaner.dedup.components).


def verify_to_files_task(
    folder: Path, cells: Sequence[tuple[int, int]], ranks: tuple[int, int], block: int
) -> tuple[int, int]:
    edges, sims = oracle(block_pairs(folder, cells, ranks))
    return save_block_edges(folder, block, edges, sims), _rss()


def split_task(folder: Path, block: int, partitions: int) -> int:
    split_edges(folder, block, 0, partitions)
    return _rss()


def star_task(folder: Path, round_number: int, sources: int, part: int, partitions: int) -> tuple[bool, int]:
    return star_round(folder / "cc", round_number, sources, part, partitions), _rss()


def keep_task(folder: Path, round_number: int, sources: int, edge_sources: int, part: int) -> tuple[int, int, int]:
    rows = keep_rule(folder / "cc", round_number, sources, edge_sources, part)
    np.save(folder / f"keep.{part}.npy", rows)
    return len(rows), int(np.count_nonzero(rows[:, 2] >= 0)), _rss()


# --- the driver -----------------------------------------------------------------------------------


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder``, read as a stream of directory entries: ``rglob`` made
    a Path per file and took the driver's RSS to 1.3 GB over the 835,000 files of 100 M's rounds."""
    total, folders = 0, [str(folder)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    return total


class Steps:
    """Times each step, with the driver's Python peak, bytes written and the workers' largest RSS."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.rows, self.written = folder, [], 0

    def run(self, name: str, body: Callable[[], tuple[Any, int]]) -> Any:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        started = time.perf_counter()
        value, worker_rss = body()
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        written = folder_bytes(self.folder)
        self.rows.append(
            {"step": name, "seconds": round(seconds, 2), "written_bytes": written - self.written,
             "driver_peak_bytes": peak - before, "driver_rss_bytes": _rss(), "worker_rss_bytes": worker_rss}
        )  # fmt: skip
        self.written = written
        return value


def simulate(docs: int, jobs: int, work: Path, shard_docs: int, components_on: str = "driver") -> dict[str, Any]:
    folder = work / f"sim-{docs}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shards = list(range(math.ceil(docs / shard_docs)))
    firsts = [s * shard_docs for s in shards]
    counts = [min(shard_docs, docs - f) for f in firsts]
    groups = groups_of(BANDS)
    width = max(end - start for start, end in groups)
    partitions = partitions_for(docs, width)
    steps = Steps(folder)
    ctx = multiprocessing.get_context("spawn")
    import scipy.sparse.csgraph  # noqa: F401  (imported before tracing: its modules are no step's memory)

    tracemalloc.start()
    with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:

        def pmap(fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
            return list(pool.map(fn, *zip(*args, strict=True))) if args else []

        def bands() -> tuple[None, int]:
            args = [(folder, s, f, c, partitions) for s, f, c in zip(shards, firsts, counts, strict=True)]
            rss = pmap(bands_task, args)
            return None, max(rss)

        def pairs() -> tuple[int, int]:
            cells = [(g, end - start, p) for g, (start, end) in enumerate(groups) for p in range(partitions)]
            found = pmap(pairs_task, [(folder, shards, g, w, p) for g, w, p in cells])
            return sum(n for n, _ in found), max(r for _, r in found)

        steps.run("1 bands", bands)
        found = steps.run("2 pairs", pairs)

        def verify() -> tuple[tuple[np.ndarray, np.ndarray], int]:
            files = [(g, p) for g in range(len(groups)) for p in range(partitions)]
            cuts = block_cuts(pmap, folder, files, docs, found)
            verified = pmap(verify_task, [(folder, files, (lo, hi)) for lo, hi in itertools.pairwise(cuts)])
            edges = np.concatenate([e for e, _, _ in verified])
            sims = np.concatenate([s for _, s, _ in verified])
            return (edges, sims), max(r for _, _, r in verified)

        if components_on == "tasks":
            return _tasks_components(docs, jobs, shard_docs, partitions, groups, found, folder, steps, pmap)
        edges: np.ndarray
        sims: np.ndarray
        edges, sims = steps.run("3 verify", verify)
        for name in list(os.listdir(folder)):  # the rows and pairs are spent: what is left is the edges
            os.unlink(folder / name)
        steps.written = 0

        components = functools.partial(_components, edges, sims)
        nodes, roots, duplicate_of, similarity = steps.run("4 components (driver)", components)
        n_edges = len(edges)
        del edges, sims

        def decisions() -> tuple[None, int]:
            write_cluster_decisions(folder, nodes, roots, duplicate_of, similarity, shards, firsts, counts)
            return None, 0

        steps.run("5 decisions filed per shard (driver)", decisions)
    tracemalloc.stop()
    shutil.rmtree(folder, ignore_errors=True)
    clustered = int(nodes.size)
    return {"docs": docs, "jobs": jobs, "shard_docs": shard_docs, "partitions": partitions,
            "candidate_pairs": int(found), "verified_edges": n_edges, "clustered_docs": clustered,
            "near_duplicates": int(np.count_nonzero(duplicate_of >= 0)), "steps": steps.rows,
            "components": "driver"}  # fmt: skip


def _tasks_components(
    docs: int,
    jobs: int,
    shard_docs: int,
    partitions: int,
    groups: list[tuple[int, int]],
    found: int,
    folder: Path,
    steps: Steps,
    pmap: Callable[[Callable[..., Any], list[tuple[Any, ...]]], list[Any]],
) -> dict[str, Any]:
    """Steps 3-5 with the verified edges written by the verify tasks and resolved by rounds of
    tasks (cleaner.dedup.components): the driver holds a boolean per task and round."""
    (folder / "cc").mkdir()
    files = [(g, p) for g in range(len(groups)) for p in range(partitions)]
    blocks: list[tuple[int, int]] = []

    def verify() -> tuple[int, int]:
        blocks.extend(itertools.pairwise(block_cuts(pmap, folder, files, docs, found)))  # pairs counted in tasks
        verified = pmap(verify_to_files_task, [(folder, files, r, b) for b, r in enumerate(blocks)])
        return sum(n for n, _ in verified), max(r for _, r in verified)

    n_edges = steps.run("3 verify (edges to files)", verify)
    for entry in os.scandir(folder):  # the rows and pairs are spent: what is left is the edges
        if entry.is_file() and not entry.name.startswith("edges."):
            os.unlink(entry.path)
    steps.written = 0  # the split step's bytes: its pieces (it removes the blocks' edge files)
    parts = partitions_for_edges(n_edges)  # as the barrier counts them (sharded._components_in_tasks)

    def split() -> tuple[None, int]:
        rss = pmap(split_task, [(folder, b, parts) for b in range(len(blocks))])
        for b in range(len(blocks)):  # the blocks' edge files are spent once split
            (folder / f"edges.b{b}.npy").unlink(missing_ok=True)
        return None, max(rss)

    steps.run("4a split edges by partition (tasks)", split)
    rounds = [0]

    def components() -> tuple[tuple[int, int], int]:
        round_number, sources, rss = 0, len(blocks), 0
        while True:
            done = pmap(star_task, [(folder, round_number, sources, p, parts) for p in range(parts)])
            rss = max(rss, *(r for _, r in done))
            if all(stars for stars, _ in done):
                rounds[0] = round_number + 1
                return (round_number, sources), rss
            round_number, sources = round_number + 1, parts

    final, sources = steps.run("4b components (tasks, rounds)", components)

    def keep() -> tuple[tuple[int, int], int]:
        kept = pmap(keep_task, [(folder, final, sources, len(blocks), p) for p in range(parts)])
        return (sum(n for n, _, _ in kept), sum(d for _, d, _ in kept)), max(r for _, _, r in kept)

    clustered, near = steps.run("5 keep rule (tasks)", keep)
    tracemalloc.stop()
    shutil.rmtree(folder, ignore_errors=True)
    return {"docs": docs, "jobs": jobs, "shard_docs": shard_docs, "partitions": partitions,
            "candidate_pairs": int(found), "verified_edges": n_edges, "clustered_docs": clustered,
            "near_duplicates": near, "steps": steps.rows, "components": "tasks", "component_partitions": parts,
            "component_rounds": rounds[0]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", default="1M,10M", help="comma-separated document counts (1M, 10M, 100M)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--shard-docs", type=int, default=SHARD_DOCS)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "cleaner-sim")
    parser.add_argument("--out", type=Path, default=RESULTS / "sim_barrier.json")
    parser.add_argument("--components", choices=["driver", "tasks"], default="driver",
                        help="connected components on the driver (resolve_arrays), or in rounds of tasks "
                        "(cleaner.dedup.components: the verify tasks write the edges)")  # fmt: skip
    args = parser.parse_args()
    counts = [int(parse_size(x.replace("M", "MB").replace("k", "KB"))) for x in args.docs.split(",")]
    old = json.loads(args.out.read_text()) if args.out.exists() else {"runs": []}
    runs = {(r["docs"], r.get("components", "driver")): r for r in old["runs"]}
    for docs in counts:
        result = simulate(docs, args.jobs, args.work, args.shard_docs, args.components)
        runs[(docs, args.components)] = result
        rows = [
            [s["step"], f"{s['seconds']:.1f}", f"{s['written_bytes'] / docs:.1f}", f"{s['driver_peak_bytes'] / MB:.0f}",
             f"{s['driver_peak_bytes'] / docs:.1f}", f"{s['driver_peak_bytes'] / max(1, result['verified_edges']):.0f}",
             f"{s['driver_rss_bytes'] / MB:.0f}", f"{s['worker_rss_bytes'] / MB:.0f}"]
            for s in result["steps"]
        ]  # fmt: skip
        r = result
        rounds = f", {r['component_rounds']} rounds" if "component_rounds" in r else ""
        print(f"\n{docs:,} documents: {r['candidate_pairs']:,} candidate pairs, {r['verified_edges']:,} verified "
              f"edges, {r['clustered_docs']:,} clustered, {r['near_duplicates']:,} near-dups{rounds}")  # fmt: skip
        header = ["step", "s", "written B/doc", "driver peak MB", "driver peak B/doc", "B/edge", "driver RSS MB"]
        print(table(rows, [*header, "worker RSS MB"]))
        args.out.write_text(json.dumps({"runs": [runs[k] for k in sorted(runs)]}, indent=1) + "\n")


if __name__ == "__main__":
    main()
