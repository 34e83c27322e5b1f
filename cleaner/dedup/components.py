"""Connected components and the keep rule over edge files, in rounds of tasks: no edge on the driver.

:func:`~cleaner.dedup.cluster.resolve_arrays` runs on the driver and holds every verified edge
(115 B per edge at its peak, docs/scaling.md): about 500 M edges on a 64 GB driver. Past that,
the same result comes from tasks over files (each bounded by one partition of the edges), with
the driver holding one boolean per task and round:

1. **edge pieces** (:func:`write_edge_pieces`, one call per piece of verified edges, e.g. per
   verify block): each edge in both directions, ``(node, neighbour)`` cut by partition
   (``node % partitions``), and the same with its similarity for the keep rule;
2. **rounds** (:func:`star_round`, one task per partition): large-star then small-star,
   alternately (Kiveris et al., "Connected Components in MapReduce and Beyond", 2014). Each
   task reads its partition's edges from every task of the round before, and rewrites them so
   each node points closer to the smallest node of its component. The rounds stop when every
   partition's edges are stars (a node with a smaller neighbour has no other one): then each
   component is a star around its smallest node, its root. O(log n) rounds in practice;
3. **keep rule** (:func:`keep_rule`, one task per partition): each node's root from the stars,
   and its ``duplicate_of`` from its own verified edges (its most similar better-ranked
   neighbour, ties to the better rank; when all rank after it, the most similar of those).

Nodes are ranks, so roots are the best-ranked members, as ``resolve_arrays`` picks them:
:func:`resolve_partitioned` gives the same four arrays (tests/dedup/test_dedup_components.py).

The dedup barrier (``cleaner.dedup.sharded``) takes this way when ``[dedup] components`` says
``"tasks"``, or ``"auto"`` with more than :data:`DRIVER_EDGES` verified edges
(:func:`on_tasks`): then :func:`file_keep_rule` files step 3's rows per shard, one piece per
partition, and the driver never holds an edge.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> lo, hi, sim = np.array([5, 1, 9]), np.array([1, 3, 3]), np.array([0.9, 0.8, 0.85])
>>> run = lambda fn, args: (fn(*a) for a in args)
>>> nodes, roots, dup, _ = resolve_partitioned(folder, [(lo, hi, sim)], run, partitions=2)
>>> nodes.tolist(), roots.tolist(), dup.tolist()
([1, 3, 5, 9], [1, 1, 1, 1], [-1, 1, 1, 3])
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from cleaner.config import COMPONENTS
from cleaner.dedup.cluster import distinct_pairs, point_at_neighbours
from cleaner.dedup.decisions import write_cluster_decisions
from cleaner.dedup.npyparts import save_array

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

I64: TypeAlias = "npt.NDArray[np.int64]"
F64: TypeAlias = "npt.NDArray[np.float64]"
TaskMap = Callable[[Callable[..., Any], Sequence[tuple[Any, ...]]], Iterator[Any]]

# Verified edges up to which ``components = "auto"`` resolves them on the driver: at the peak of
# ``resolve_arrays`` (115 B per edge, measured: docs/scaling.md) 8 M edges take ~0.9 GB. Past
# it, the rounds of tasks below: the driver then holds one boolean per task and round.
DRIVER_EDGES = 8 * 1024 * 1024
# Edge rows (both directions, 16 B each) one partition task of the rounds holds: 4 M = 64 MB,
# plus the sort in ``distinct_pairs`` (a few times that, like a pairs task).
EDGES_PER_PARTITION = 4 * 1024 * 1024


def on_tasks(mode: str, edges: int) -> bool:
    """Whether ``edges`` verified edges are resolved by the rounds of tasks (else on the driver).

    >>> on_tasks("auto", 1000), on_tasks("auto", DRIVER_EDGES + 1), on_tasks("tasks", 0)
    (False, True, True)
    """
    if mode not in COMPONENTS:
        raise ValueError(f"components must be one of {', '.join(COMPONENTS)}, not {mode!r}")
    return mode == "tasks" or (mode == "auto" and edges > DRIVER_EDGES)


def remove_pieces(folder: Path) -> None:
    """Removes the rounds' folder (flat: one file per source, round and partition) entry by
    entry: ``shutil.rmtree`` lists a folder whole first, 44 MB on the driver per 300,000 files
    (the 100 M simulation's rounds leave 835,000)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            os.unlink(entry.path)
    os.rmdir(folder)


def partitions_for_edges(edges: int) -> int:
    """Partitions that keep a round's task within ``EDGES_PER_PARTITION`` rows (each edge twice).

    >>> partitions_for_edges(1000), partitions_for_edges(10_000_000)
    (1, 5)
    """
    return max(1, math.ceil(2 * edges / EDGES_PER_PARTITION))


def _edges_path(folder: Path, round_number: int, source: int, part: int) -> Path:
    return folder / f"cc{round_number}.{source}.{part}.npy"


def _similar_path(folder: Path, source: int, part: int) -> Path:
    return folder / f"kr.{source}.{part}.npy"


def _write_by_partition(rows: I64, partitions: int, path_of: Callable[[int], Path]) -> None:
    """``rows`` cut by partition of their first column, one file per non-empty partition."""
    cell = rows[:, 0] % partitions
    order = np.argsort(cell, kind="stable")
    rows, cell = rows[order], cell[order]
    bounds = np.searchsorted(cell, np.arange(partitions + 1))
    for part in range(partitions):
        lo, hi = int(bounds[part]), int(bounds[part + 1])
        if hi > lo:
            save_array(path_of(part), rows[lo:hi])


def write_edge_pieces(folder: Path, source: int, lo: I64, hi: I64, similarity: F64, partitions: int) -> None:
    """Step 1 for one piece of verified edges ``(lo[e], hi[e], similarity[e])`` (either order)."""
    a, b = np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64)
    s = np.asarray(similarity, dtype=np.float64).view(np.int64)
    both = np.concatenate([np.stack([a, b], axis=1), np.stack([b, a], axis=1)])
    _write_by_partition(both, partitions, lambda part: _edges_path(folder, 0, source, part))
    weighted = np.concatenate([np.stack([a, b, s], axis=1), np.stack([b, a, s], axis=1)])
    _write_by_partition(weighted, partitions, lambda part: _similar_path(folder, source, part))


def _read(paths: Sequence[Path], width: int) -> I64:
    pieces = [np.load(p) for p in paths if p.exists()]
    return np.concatenate(pieces) if pieces else np.zeros((0, width), dtype=np.int64)


def _neighbours(rows: I64) -> tuple[I64, I64, I64, I64]:
    """Distinct ``(node, neighbour)`` rows sorted by node then neighbour, with each row's group
    (the index of its node among the distinct nodes), the distinct nodes and where each starts."""
    rows = distinct_pairs(rows)
    node = rows[:, 0]
    first = np.ones(node.size, dtype=np.bool_)
    np.not_equal(node[1:], node[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    return rows, group, node[starts], starts


def star_round(folder: Path, round_number: int, sources: int, part: int, partitions: int) -> bool:
    """Step 2, one partition of one round (large-star on even rounds, small-star on odd ones).
    Returns whether the partition's edges were stars already (both steps leave a star as it is:
    when every partition's were, the components are found)."""
    rows = _read([_edges_path(folder, round_number, q, part) for q in range(sources)], 2)
    if not len(rows):
        return True
    rows, group, nodes, starts = _neighbours(rows)
    neighbour = rows[:, 1]
    degree = np.diff(np.append(starts, neighbour.size))
    smallest = neighbour[starts]  # neighbours are sorted within a node
    stars = not bool(np.any((smallest < nodes) & (degree > 1)))
    node = rows[:, 0]
    lowest = np.minimum(nodes, smallest)  # of the node and its neighbours (small-star: of the smaller ones)
    if round_number % 2 == 0:  # large-star: each larger neighbour to the node's lowest
        keep = neighbour > node
        out = np.stack([neighbour[keep], lowest[group][keep]], axis=1)
    else:  # small-star: the node and its smaller neighbours to the lowest of them
        keep = neighbour < node
        linked = np.stack([nodes, lowest], axis=1)[smallest < nodes]
        out = np.concatenate([np.stack([neighbour[keep], lowest[group][keep]], axis=1), linked])
    out = out[out[:, 0] != out[:, 1]]
    both = np.concatenate([out, out[:, ::-1]])
    _write_by_partition(both, partitions, lambda dst: _edges_path(folder, round_number + 1, part, dst))
    return stars


def keep_rule(folder: Path, round_number: int, sources: int, edge_sources: int, part: int) -> I64:
    """Step 3 for one partition: rows ``(node, root, duplicate_of, similarity bits)`` sorted by
    node (``duplicate_of`` -1 and similarity NaN for a root), from the stars of ``round_number``."""
    star_rows = _read([_edges_path(folder, round_number, q, part) for q in range(sources)], 2)
    stars, _, nodes, starts = _neighbours(star_rows)
    if not nodes.size:
        return np.zeros((0, 4), dtype=np.int64)
    roots = np.minimum(nodes, stars[starts, 1])
    weighted = _read([_similar_path(folder, q, part) for q in range(edge_sources)], 3)
    node, other, s = weighted[:, 0], weighted[:, 1], weighted[:, 2].view(np.float64)
    # In order of preference, as resolve_arrays: later neighbours first, earlier over them.
    duplicate_of, sims = point_at_neighbours(
        nodes, roots, [(node[side], other[side], s[side]) for side in (other > node, other < node)]
    )
    return np.stack([nodes, roots, duplicate_of, sims.view(np.int64)], axis=1)


def find_components(folder: Path, sources: int, run: TaskMap, partitions: int) -> tuple[int, int]:
    """Step 2: rounds of :func:`star_round` over the pieces of ``sources`` writers (step 1) until
    every partition's edges are stars; returns the last round and how many wrote its pieces
    (what :func:`keep_rule` reads)."""
    round_number = 0
    while True:
        # Every task of the round runs (``all`` over the lazy results would stop at the first False).
        stars = list(run(star_round, [(folder, round_number, sources, p, partitions) for p in range(partitions)]))
        if all(stars):
            return round_number, sources
        round_number, sources = round_number + 1, partitions


def file_keep_rule(
    folder: Path,
    round_number: int,
    sources: int,
    edge_sources: int,
    part: int,
    filed: Path,
    shards: Sequence[int],
    firsts: Sequence[int],
    counts: Sequence[int],
) -> int:
    """Step 3 for one partition, its rows filed per shard in ``filed`` as piece ``part`` (the
    layout of :func:`~cleaner.dedup.decisions.write_cluster_decisions`: ``shards`` start at
    node ``firsts`` and hold ``counts`` documents; nodes before the first shard, e.g. indexed
    documents, get no row). Returns how many nodes the partition holds."""
    rows = keep_rule(folder, round_number, sources, edge_sources, part)
    if len(rows):
        similarity = rows[:, 3].copy().view(np.float64)
        write_cluster_decisions(filed, rows[:, 0], rows[:, 1], rows[:, 2], similarity, shards, firsts, counts, part)
    return len(rows)


def resolve_partitioned(
    folder: Path, pieces: Sequence[tuple[I64, I64, F64]], run: TaskMap, partitions: int
) -> tuple[I64, I64, I64, F64]:
    """``resolve_arrays`` over the edges of ``pieces`` by the tasks above, mapped by ``run``:
    the same four arrays sorted by node. (A run files step 3's rows per shard instead, with
    :func:`file_keep_rule`; gathering is for comparing.)"""
    folder.mkdir(parents=True, exist_ok=True)
    for source, (lo, hi, sim) in enumerate(pieces):
        write_edge_pieces(folder, source, lo, hi, sim, partitions)
    round_number, sources = find_components(folder, len(pieces), run, partitions)
    rows = list(run(keep_rule, [(folder, round_number, sources, len(pieces), p) for p in range(partitions)]))
    table = np.concatenate(rows) if rows else np.zeros((0, 4), dtype=np.int64)
    table = table[np.argsort(table[:, 0], kind="stable")]
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3].copy().view(np.float64)
