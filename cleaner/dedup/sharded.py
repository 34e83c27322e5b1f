"""The dedup barrier spread over an engine's workers: what ``--engine dask`` runs.

:meth:`Dedup.decide <cleaner.dedup.Dedup.decide>` takes every summary on the driver.
:func:`decide_sharded` takes the same decisions (tests/dedup/test_dedup_sharded.py checks it,
tests/test_dask.py checks the whole output) with the work in tasks that the engine runs on its
workers, each bounded in memory, and only compact integer arrays on the driver:

1. **bands**, one task per shard (:func:`shard_bands`): read the shard's spilled summaries;
   write into the barrier's folder its signatures, band keys, distinct shingle sets (one flat
   array and offsets, memory-mapped later) and ``(key, id)`` labels; then its band rows
   ``(rank, key)``, one file per group of bands, ordered by partition (``key % partitions``).
   With a persistent index, also query and verify each document against it (read-only).
2. **pairs**, one task per (band group, partition) (:func:`partition_pairs`): that partition's
   rows from every shard, so equal keys meet; :func:`~cleaner.dedup.cluster.bucket_pairs` gives
   the candidate pairs band by band. Memory: the rows of one group and one partition.
3. **verify**, one task per block of candidate pairs (:func:`verify_block`): the exact Jaccard
   of each pair, from the memory-mapped shingle sets of the two shards.
4. **driver**: the verified edges go through
   :func:`~cleaner.dedup.apply.cluster_decisions` (connected components over compact arrays,
   then the keep rule); labels are read only for shards holding a cluster member.

Two steps still stream every shard through the driver, one shard at a time: passage matching
(``Dedup._passages``, whose owner step works one hash range at a time) and adding the run to a
persistent index (SQLite has one writer). docs/scaling.md says where each stops fitting.

Ranks are input positions: a shard's documents follow the previous shards'. Candidate pairs are
the same as ``candidate_pairs`` over the whole run, because a bucket (one band, one key) always
lands whole in one partition and ``bucket_pairs`` only needs its rows, in any order.

>>> groups_of(16)
[(0, 4), (4, 8), (8, 12), (12, 16)]
"""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from cleaner.config import DedupConfig
from cleaner.dedup.apply import Decision, cluster_decisions
from cleaner.dedup.cluster import BUCKET_CAP, bucket_pairs, distinct_sorted
from cleaner.dedup.index import DedupIndex, _connect
from cleaner.dedup.signatures import band_keys
from cleaner.dedup.store import ShingleStore

if TYPE_CHECKING:
    from cleaner.dedup import Dedup, Summary

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
T = TypeVar("T")

Mapper = Callable[[Callable[..., T], Sequence[tuple[Any, ...]]], Iterator[T]]
"""Runs a module-level function over argument tuples on the engine's workers; yields the
results in the order of the arguments."""

# Band keys are shuffled four bands at a time: a pairs task holds a quarter of the run's rows
# of one partition, and the 16 bands of the default need only 4 rounds of tasks.
BAND_GROUPS = 4
# Rows (16 bytes each) one pairs task may gather: 4M rows = 64 MB, plus the sort inside
# bucket_pairs (a few times that). More documents make more partitions, never larger ones.
ROWS_PER_PARTITION = 4 * 1024 * 1024
# Candidate pairs per verify task: their shingle sets are read from memory maps, a few MB each.
PAIRS_PER_BLOCK = 200_000


def groups_of(bands: int, groups: int = BAND_GROUPS) -> list[tuple[int, int]]:
    """Band ranges ``[start, end)`` shuffled together, in order.

    >>> groups_of(5, 2)
    [(0, 3), (3, 5)]
    """
    size = math.ceil(bands / min(groups, bands))
    return [(start, min(start + size, bands)) for start in range(0, bands, size)]


def partitions_for(docs: int, bands_per_group: int) -> int:
    """How many partitions keep a pairs task within ``ROWS_PER_PARTITION`` rows.

    >>> partitions_for(10_000, 4), partitions_for(10_000_000, 4)
    (1, 10)
    """
    return max(1, math.ceil(docs * bands_per_group / ROWS_PER_PARTITION))


@dataclass
class ShardBands:
    """What a bands task sends back: counts, and its verified edges against the index."""

    shard: int
    count: int
    # (rowid, run rank, similarity) of verified index matches, and (id, cluster) of those rowids.
    index_edges: list[tuple[int, int, float]] = field(default_factory=list)
    index_labels: dict[int, tuple[str, str]] = field(default_factory=dict)


def _files(folder: Path, shard: int) -> dict[str, Path]:
    names = ("sig.npy", "bkeys.npy", "shingles.npy", "offsets.npy", "labels.pkl")
    return {name: folder / f"s{shard}.{name}" for name in names}


def _rows_file(folder: Path, shard: int, group: int) -> tuple[Path, Path]:
    return folder / f"s{shard}.g{group}.rows.npy", folder / f"s{shard}.g{group}.bounds.npy"


def shard_bands(
    summaries: Iterable[tuple[str, Summary]],
    shard: int,
    first_rank: int,
    cfg: DedupConfig,
    folder: Path,
    partitions: int,
) -> ShardBands:
    """The bands task of one shard (step 1 of the module docstring)."""
    labels: list[tuple[str, str]] = []
    sigs: list[U32] = []
    distinct: list[U64] = []
    for key, summary in summaries:
        labels.append((key, summary.id))
        sigs.append(summary.signature)
        distinct.append(distinct_sorted(summary.shingles))
    n = len(labels)
    files = _files(folder, shard)
    signatures = np.vstack(sigs) if sigs else np.zeros((0, cfg.num_perm), dtype=np.uint32)
    del sigs
    bkeys = band_keys(signatures, cfg.bands, cfg.rows)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([d.size for d in distinct], out=offsets[1:])
    np.save(files["sig.npy"], signatures)
    np.save(files["bkeys.npy"], bkeys)
    np.save(files["shingles.npy"], np.concatenate(distinct) if distinct else np.zeros(0, dtype=np.uint64))
    np.save(files["offsets.npy"], offsets)
    with open(files["labels.pkl"], "wb") as fh:
        pickle.dump(labels, fh, protocol=pickle.HIGHEST_PROTOCOL)

    worded = np.flatnonzero(np.diff(offsets) > 0)  # a document without words is nobody's duplicate
    ranks = first_rank + worded
    for group, (start, end) in enumerate(groups_of(cfg.bands)):
        width = end - start
        keys = bkeys[worded, start:end]  # rows: documents, columns: bands of the group
        cell = (keys % np.uint64(partitions)).astype(np.int64) * width + np.arange(width, dtype=np.int64)
        order = np.argsort(cell, axis=None, kind="stable")
        rows = np.stack([np.repeat(ranks, width)[order], keys.reshape(-1)[order].view(np.int64)], axis=1)
        bounds = np.searchsorted(cell.reshape(-1)[order], np.arange(partitions * width + 1))
        rows_path, bounds_path = _rows_file(folder, shard, group)
        np.save(rows_path, rows)
        np.save(bounds_path, bounds.astype(np.int64))

    result = ShardBands(shard, n)
    if cfg.index and os.path.isfile(cfg.index):
        index = DedupIndex(_connect(cfg.index, readonly=True), cfg.index)
        try:
            cache: dict[int, tuple[str, str, U64]] = {}
            for i in worded.tolist():
                ours = distinct[i]
                for rowid in index.query(bkeys[i], BUCKET_CAP):
                    if rowid not in cache:
                        cache[rowid] = index.doc(rowid)
                    theirs = cache[rowid][2]
                    inter = np.intersect1d(ours, theirs, assume_unique=True).size
                    s = inter / (ours.size + theirs.size - inter)
                    if s >= cfg.threshold:
                        result.index_edges.append((rowid, first_rank + i, s))
                        result.index_labels[rowid] = cache[rowid][:2]
        finally:
            index.close()
    return result


def partition_pairs(folder: Path, shards: Sequence[int], group: int, width: int, partition: int) -> I64:
    """The pairs task of one band group and partition (step 2): candidate ``(earlier, later)``
    rank pairs, sorted and distinct."""
    found: list[I64] = []
    for band in range(width):
        cell = partition * width + band
        pieces = []
        for shard in shards:
            rows_path, bounds_path = _rows_file(folder, shard, group)
            bounds = np.load(bounds_path)
            lo, hi = int(bounds[cell]), int(bounds[cell + 1])
            if hi > lo:
                pieces.append(np.array(np.load(rows_path, mmap_mode="r")[lo:hi]))
        if not pieces:
            continue
        rows = np.concatenate(pieces)
        pairs = bucket_pairs(rows[:, 0], rows[:, 1].view(np.uint64), BUCKET_CAP)
        if pairs.size:
            found.append(pairs)
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found), axis=0)


class _Sets:
    """Distinct shingle sets of documents by rank, from the shards' memory-mapped files."""

    def __init__(self, folder: Path, shards: Sequence[int], firsts: Sequence[int]) -> None:
        self.folder, self.shards, self.firsts = folder, list(shards), np.asarray(firsts, dtype=np.int64)
        self.open: dict[int, tuple[U64, I64]] = {}

    def get(self, rank: int) -> U64:
        at = int(np.searchsorted(self.firsts, rank, side="right")) - 1
        shard = self.shards[at]
        if shard not in self.open:
            files = _files(self.folder, shard)
            self.open[shard] = (np.load(files["shingles.npy"], mmap_mode="r"), np.load(files["offsets.npy"]))
        values, offsets = self.open[shard]
        local = rank - int(self.firsts[at])
        return np.asarray(values[offsets[local] : offsets[local + 1]])


def verify_block(folder: Path, shards: Sequence[int], firsts: Sequence[int], pairs: I64) -> F64:
    """The verify task (step 3): the exact Jaccard of each candidate pair."""
    sets = _Sets(folder, shards, firsts)
    cache: dict[int, U64] = {}
    out = np.empty(len(pairs), dtype=np.float64)
    for row, (i, j) in enumerate(pairs.tolist()):
        a = cache.get(i)
        if a is None:
            a = cache[i] = sets.get(i)
        b = cache.get(j)
        if b is None:
            b = cache[j] = sets.get(j)
        inter = np.intersect1d(a, b, assume_unique=True).size
        out[row] = inter / (a.size + b.size - inter)
    return out


def _load_labels(folder: Path, shard: int) -> list[tuple[str, str]]:
    with open(_files(folder, shard)["labels.pkl"], "rb") as fh:
        labels: list[tuple[str, str]] = pickle.load(fh)
    return labels


def decide_sharded(
    stage: Dedup, shards: Sequence[Sequence[tuple[str, Summary]]], run: Mapper[Any], folder: Path
) -> dict[str, Decision]:
    """The decisions of ``stage.decide`` over the shards' summaries, taken by tasks that ``run``
    places on the engine's workers (see the module docstring). ``shards`` are in input order
    (each a sized iterable of ``(key, summary)``, e.g. the runner's spilled summaries, which
    pickle as their path); ``folder`` must be visible to every worker and is removed at the end."""
    cfg = stage.cfg
    if cfg.index:  # workers elsewhere, or in another folder, must find the same file
        cfg = dataclasses.replace(cfg, index=os.path.abspath(cfg.index))
    folder = Path(os.path.abspath(folder))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        return _decide(stage, cfg, shards, run, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _decide(
    stage: Dedup, cfg: DedupConfig, shards: Sequence[Sequence[tuple[str, Summary]]], run: Mapper[Any], folder: Path
) -> dict[str, Decision]:
    counts = [len(s) for s in shards]
    present = [s for s, c in enumerate(counts) if c]
    firsts_all = np.zeros(len(shards) + 1, dtype=np.int64)
    np.cumsum(counts, out=firsts_all[1:])
    firsts = [int(firsts_all[s]) for s in present]
    groups = groups_of(cfg.bands)
    width = max(end - start for start, end in groups)
    partitions = partitions_for(int(firsts_all[-1]), width)
    index = DedupIndex.open(cfg.index, cfg) if cfg.index else None  # created before workers read it
    try:
        if index is not None:
            index.conn.commit()
        bands = list(run(shard_bands, [(shards[s], s, int(firsts_all[s]), cfg, folder, partitions) for s in present]))
        cells = [(g, end - start, p) for g, (start, end) in enumerate(groups) for p in range(partitions)]
        found = list(run(partition_pairs, [(folder, present, g, w, p) for g, w, p in cells]))
        found = [f for f in found if f.size]
        pairs = np.unique(np.concatenate(found), axis=0) if found else np.zeros((0, 2), dtype=np.int64)
        del found
        blocks = [pairs[i : i + PAIRS_PER_BLOCK] for i in range(0, len(pairs), PAIRS_PER_BLOCK)]
        sims = list(run(verify_block, [(folder, present, firsts, block) for block in blocks]))
        similarity = np.concatenate(sims) if sims else np.zeros(0, dtype=np.float64)
        kept = similarity >= cfg.threshold
        run_edges, run_sims = pairs[kept], similarity[kept]

        index_edges = [edge for b in bands for edge in b.index_edges]
        index_info = {rowid: label for b in bands for rowid, label in b.index_labels.items()}
        involved = sorted(index_info)
        k = len(involved)
        node_of_rowid = {r: node for node, r in enumerate(involved)}
        lo = (run_edges[:, 0] + k).tolist() + [node_of_rowid[r] for r, _, _ in index_edges]
        hi = (run_edges[:, 1] + k).tolist() + [k + i for _, i, _ in index_edges]
        sim = run_sims.tolist() + [s for _, _, s in index_edges]

        labels = _Labels(folder, present, firsts)
        decisions = cluster_decisions([index_info[r] for r in involved], (lo, hi, sim), labels.get)
        if cfg.passages or index is not None:
            _stream_driver_steps(stage, cfg, shards, present, folder, index, decisions)
    finally:
        if index is not None:
            index.close()
    return decisions


class _Labels:
    """``(key, id)`` by rank, loading a shard's labels the first time one of its documents is asked."""

    def __init__(self, folder: Path, shards: Sequence[int], firsts: Sequence[int]) -> None:
        self.folder, self.shards, self.firsts = folder, list(shards), np.asarray(firsts, dtype=np.int64)
        self.loaded: dict[int, list[tuple[str, str]]] = {}

    def get(self, rank: int) -> tuple[str, str]:
        at = int(np.searchsorted(self.firsts, rank, side="right")) - 1
        shard = self.shards[at]
        if shard not in self.loaded:
            self.loaded[shard] = _load_labels(self.folder, shard)
        return self.loaded[shard][rank - int(self.firsts[at])]


def _stream_driver_steps(
    stage: Dedup,
    cfg: DedupConfig,
    shards: Sequence[Sequence[tuple[str, Summary]]],
    present: Sequence[int],
    folder: Path,
    index: DedupIndex | None,
    decisions: dict[str, Decision],
) -> None:
    """Passage matching and adding the run to the index: both read every shard on the driver,
    one at a time, exactly as ``Dedup.decide`` does after its clustering."""
    keys: list[str] = []
    ids: list[str] = []
    if cfg.passages:
        store = ShingleStore()
        passages = []
        try:
            for s in present:
                for key, summary in shards[s]:
                    keys.append(key)
                    ids.append(summary.id)
                    store.append(summary.shingles)
                    passages.append(summary.passages)
            stage._passages(keys, ids, passages, store, index, decisions)
        finally:
            store.close()
    if index is not None:
        clusters = {k: d.duplicate.cluster for k, d in decisions.items() if d.duplicate}

        def rows() -> Iterator[tuple[str, str, U32, U64, U64]]:
            for s in present:
                files = _files(folder, s)
                sig, bkeys = np.load(files["sig.npy"]), np.load(files["bkeys.npy"])
                values, offsets = np.load(files["shingles.npy"], mmap_mode="r"), np.load(files["offsets.npy"])
                for i, (key, doc_id) in enumerate(_load_labels(folder, s)):
                    shingles = np.asarray(values[offsets[i] : offsets[i + 1]])
                    yield doc_id, clusters.get(key, doc_id), sig[i], bkeys[i], shingles

        index.add(rows())
        index.conn.commit()
