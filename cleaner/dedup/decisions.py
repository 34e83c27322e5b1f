"""Cluster decisions as compact arrays, filed per shard: what the driver keeps of the keep rule.

:func:`~cleaner.dedup.cluster.resolve_arrays` gives four arrays sorted by rank (node, root,
duplicate_of, similarity) for every document with a verified edge. Cut at the shards' first ranks,
each shard's slice is written to the barrier folder as one ``(n, 4)`` array (local position,
root rank, duplicate_of rank, similarity as float64 bits): 32 bytes per clustered document, and
the driver holds nothing per document once they are written. A shard's task reads its own file.
When the keep rule runs in tasks (``cleaner.dedup.components``), each task files its own piece
of every shard (its nodes, one partition of them), and a shard's task reads its pieces as one.

>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> nodes, roots, dup = np.array([1, 3, 4]), np.array([1, 1, 1]), np.array([-1, 1, 3])
>>> sims = np.array([np.nan, 0.9, 0.95])
>>> write_cluster_decisions(folder, nodes, roots, dup, sims, [0, 1], [0, 3], [3, 2])
>>> read_cluster_decisions(folder, 1)[0].tolist(), read_cluster_decisions(folder, 1)[2].tolist()
([0, 1], [1, 3])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from cleaner.dedup.npyparts import save_array

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

I64: TypeAlias = "npt.NDArray[np.int64]"
F64: TypeAlias = "npt.NDArray[np.float64]"


def _path(folder: Path, shard: int, piece: int | None = None) -> Path:
    return folder / (f"s{shard}.clusters.npy" if piece is None else f"s{shard}.clusters.{piece}.npy")


def write_cluster_decisions(
    folder: Path,
    nodes: I64,
    roots: I64,
    duplicate_of: I64,
    similarity: F64,
    shards: Sequence[int],
    firsts: Sequence[int],
    counts: Sequence[int],
    piece: int | None = None,
) -> None:
    """File the keep rule's arrays (sorted by ``nodes``, run ranks) per shard: ``shards`` start
    at ranks ``firsts`` and hold ``counts`` documents; a shard without a clustered document
    gets no file. ``piece``: one of several pieces of each shard's rows (any split of the nodes),
    read back together by ``read_cluster_decisions(..., pieces)``."""
    starts = np.asarray(firsts, dtype=np.int64)
    cuts = np.searchsorted(nodes, np.append(starts, starts[-1] + counts[-1] if len(counts) else 0))
    for at, shard in enumerate(shards):
        lo, hi = int(cuts[at]), int(cuts[at + 1])
        if hi == lo:
            continue
        rows = np.stack(
            [nodes[lo:hi] - starts[at], roots[lo:hi], duplicate_of[lo:hi], similarity[lo:hi].view(np.int64)], axis=1
        )
        save_array(_path(folder, shard, piece), rows)


def read_cluster_decisions(folder: Path, shard: int, pieces: int = 0) -> tuple[I64, I64, I64, F64]:
    """One shard's (local position, root rank, duplicate_of rank, similarity), by local position;
    empty without a file. ``pieces``: how many pieces were filed (0: one file, no piece)."""
    paths = [_path(folder, shard)] if pieces == 0 else [_path(folder, shard, p) for p in range(pieces)]
    found = [np.load(path) for path in paths if path.exists()]
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0, dtype=np.float64)
    rows = found[0] if len(found) == 1 else np.concatenate(found)
    if len(found) > 1:
        rows = rows[np.argsort(rows[:, 0], kind="stable")]
    return rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3].copy().view(np.float64)
