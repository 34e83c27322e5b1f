"""The distributed connected components and keep rule give resolve_arrays' arrays exactly."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from cleaner.dedup.cluster import resolve_arrays
from cleaner.dedup.components import remove_pieces, resolve_partitioned
from cleaner.stage import InProcessExecutor


def graph(seed: int, nodes: int, edges: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random edges over sparse ranks, plus a long chain (many rounds) and a large star."""
    rng = np.random.default_rng(seed)
    ranks = np.sort(rng.choice(10 * nodes, size=nodes, replace=False))
    a, b = rng.integers(0, nodes, edges), rng.integers(0, nodes, edges)
    keep = a != b
    a, b = ranks[a[keep]], ranks[b[keep]]
    chain = rng.permutation(ranks[: nodes // 4])  # a path in random rank order
    star = ranks[nodes // 4 : nodes // 2]
    lo = np.concatenate([a, chain[:-1], np.full(star.size - 1, star[-1])])
    hi = np.concatenate([b, chain[1:], star[:-1]])
    pairs = np.unique(np.stack([np.minimum(lo, hi), np.maximum(lo, hi)], axis=1), axis=0)
    flip = rng.random(len(pairs)) < 0.5  # ends in either order
    lo = np.where(flip, pairs[:, 1], pairs[:, 0])
    hi = np.where(flip, pairs[:, 0], pairs[:, 1])
    sim = np.round(rng.uniform(0.8, 1.0, len(pairs)), 2)  # ties in similarity too
    return lo, hi, sim


@pytest.mark.parametrize("seed,partitions,pieces", [(1, 1, 1), (2, 3, 4), (3, 7, 2), (4, 16, 5)])
def test_partitioned_equals_resolve_arrays(tmp_path: Path, seed: int, partitions: int, pieces: int) -> None:
    lo, hi, sim = graph(seed, nodes=400, edges=120)
    want = resolve_arrays(lo, hi, sim)
    cuts = np.linspace(0, lo.size, pieces + 1).astype(int)
    split = [(lo[i:j], hi[i:j], sim[i:j]) for i, j in itertools.pairwise(cuts.tolist())]
    got = resolve_partitioned(tmp_path, split, InProcessExecutor().map, partitions)
    for w, g in zip(want, got, strict=True):
        np.testing.assert_array_equal(g, w)
    assert len(np.unique(want[1])) > 5 and want[0].size > 200  # several components, most nodes clustered
    rounds = {p.name.split(".")[0] for p in tmp_path.glob("cc*.npy")}
    assert len(rounds) > 3  # the chain took several rounds


def test_no_edges(tmp_path: Path) -> None:
    empty = np.zeros(0, dtype=np.int64)
    got = resolve_partitioned(tmp_path, [(empty, empty, np.zeros(0))], InProcessExecutor().map, 3)
    assert all(a.size == 0 for a in got)


@pytest.mark.parametrize("partitions", [1, 4])
def test_a_long_path_in_random_rank_order(tmp_path: Path, partitions: int) -> None:
    # Every node has two neighbours until the rounds have shortened it: the stop must not come early.
    order = np.random.default_rng(5).permutation(300)
    lo, hi, sim = order[:-1], order[1:], np.full(299, 0.9)
    want = resolve_arrays(lo, hi, sim)
    got = resolve_partitioned(tmp_path, [(lo, hi, sim)], InProcessExecutor().map, partitions)
    for w, g in zip(want, got, strict=True):
        np.testing.assert_array_equal(g, w)
    assert set(want[1].tolist()) == {0}


def test_remove_pieces_leaves_no_folder(tmp_path: Path) -> None:
    lo, hi, sim = graph(6, nodes=200, edges=60)
    resolve_partitioned(tmp_path / "cc", [(lo, hi, sim)], InProcessExecutor().map, 3)
    assert len(list((tmp_path / "cc").iterdir())) > 3
    remove_pieces(tmp_path / "cc")
    assert not (tmp_path / "cc").exists()
