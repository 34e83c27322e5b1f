"""The dedup barrier spread over an engine's workers: what both runners use.

:func:`file_decisions` is the one way the dedup stage decides (tests/dedup/test_dedup_sharded.py
checks it against a one-piece test oracle; tests/test_dask.py compares the engines' output).
The work runs in tasks that the engine runs on its workers (``LocalExecutor.map``: the process
pool; ``DaskExecutor.map``: the cluster; ``InProcessExecutor.map``: this process, for the
library API and ``explain``), each bounded in memory, with only compact integer arrays on the
driver:

1. **bands**, one task per shard (:func:`shard_bands`): read the shard's spilled summaries;
   write into the barrier's folder its shingle sets (one flat array and its offsets in one file,
   read a set at a time later: distinct and sorted with an index, which needs them so; else as
   the summaries hold them, made distinct when read, see :class:`_Sets`; or, where the runner
   spilled them, only where each lies in its spill, see :func:`_save_sets`),
   ``(key, id)`` labels and the ids alone (read one at a time by other shards' tasks,
   :class:`_Ids`); then its band rows ``(rank, key)``, one file for
   all groups of bands, each ordered by partition (``key % partitions``). With a persistent index,
   also its band keys and content hashes (for adding the run to the index), and query and
   verify each document against the index (read-only).
2. **pairs**, one task per (band group, partition) (:func:`partition_pairs`): that partition's
   rows from every shard, so equal keys meet; :func:`~cleaner.dedup.cluster.bucket_pairs` gives
   the candidate pairs band by band, written sorted. Memory: the rows of one group and partition.
3. **verify**, one task per range of earlier ranks (:func:`verify_block`): the candidate pairs
   of that range from every pairs file (a pair found in several bands, once), and the exact
   Jaccard of each from the shingle sets. Its verified edges go to a file (24 B each); it
   returns how many.
4. **components and keep rule**: up to ``DRIVER_EDGES`` verified edges (``[dedup] components =
   "auto"``; ``"driver"`` always), the driver reads them and runs
   :func:`~cleaner.dedup.apply.cluster_arrays` (connected components over compact arrays, then
   the keep rule), whose rows it files per shard
   (:func:`~cleaner.dedup.decisions.write_cluster_decisions`, 32 B per clustered document); past
   them (or ``"tasks"``), rounds of tasks do it over the edge files and file the rows
   (:func:`_components_in_tasks`, ``cleaner.dedup.components``): the driver holds no edge.
5. **decisions**, per shard (:func:`shard_decisions`, after the passage rounds below): the
   shard's cluster members' decisions from its rows (ids of the ranks they name read one at a
   time from their shards' id files), what the index already holds, and its passage flags, filed for the shard's
   next task. The driver never holds a Python object per document.

Passages (reused text) take one more round of tasks before step 5, and a part of step 1 and of
step 5: the owner of a shingle (the first rank holding its hash) depends only on the ranks
holding that same hash, so the hash space is cut into ranges and each range's owners are found
alone:

- **owner pieces**, per shard, in its bands task (:func:`write_owner_piece`, from the shingles
  the task holds): each distinct hash of the shard with the first rank holding it (and whether
  it is held again: by a second document of the shard, or twice by the one), sorted by hash;
- **owner tables**, per hash range (:func:`range_owners`): every shard's piece of the range
  (found by binary search in the piece; a run with one shard of documents, whose hashes make
  one range, has its bands task write the table instead of the piece, and no such task),
  and for each hash two or more documents hold, the smallest rank: the run's owner map, one
  range per task, with a bit filter of its hashes (a hash held by one document is owned by it).
  That lone bands task, without a persistent index, files each shingle position's owner rank
  instead (``o0.positions.npy``, the table's files left empty);
- **passages**, per shard (:func:`shard_passages`, inside the shard's decisions task of step 5):
  the owners of the shard's passage shingles looked up in the range tables (memory-mapped, one
  at a time, a lone table once for all the chunks; only shingles that pass the filter are searched),
  or read by position where they were filed so,
  then the owner prefilter and the exact check (:func:`~cleaner.dedup.passages.best_sources`),
  reading source documents' shingle sets from the shards' files.

Only adding the run to a persistent index streams every shard through the driver, one shard at
a time, because SQLite has one writer. docs/scaling.md says where each step stops fitting.

Ranks are input positions: a shard's documents follow the previous shards'. Candidate pairs are
the same as ``candidate_pairs`` over the whole run, because a bucket (one band, one key) always
lands whole in one partition and ``bucket_pairs`` only needs its rows, in any order.

>>> groups_of(16)
[(0, 4), (4, 8), (8, 12), (12, 16)]
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias, overload

import numpy as np

from cleaner.atomic import atomic_file
from cleaner.config import DedupConfig
from cleaner.dedup import _kernels
from cleaner.dedup.apply import Decision, PassageFlag, cluster_arrays, index_graph, member_decision
from cleaner.dedup.cluster import (
    BUCKET_CAP,
    argsort_hashes,
    bucket_pairs,
    distinct_pairs,
    distinct_runs,
    distinct_sorted,
    pair_jaccards,
    sorted_hashes,
)
from cleaner.dedup.components import (
    file_keep_rule,
    find_components,
    on_tasks,
    partitions_for_edges,
    remove_pieces,
    write_edge_pieces,
)
from cleaner.dedup.decisions import read_cluster_decisions, write_cluster_decisions
from cleaner.dedup.npyparts import NpyWriter, load_after, rows_span, save_array, save_parts
from cleaner.dedup.passages import INDEX_PREFILTER_SLACK, PREFILTER_SLACK, SourceDocs, best_sources, sampled
from cleaner.errors import UsageError
from cleaner.record import DuplicateOf
from cleaner.stage import TaskMap, read_decisions, write_decisions

if TYPE_CHECKING:
    import numpy.typing as npt  # for the checker only: importing numpy.typing cost every run 0.6 ms

    from cleaner.dedup import Dedup, Summary
    from cleaner.dedup.index import DedupIndex

U64: TypeAlias = "npt.NDArray[np.uint64]"
I64: TypeAlias = "npt.NDArray[np.int64]"
F64: TypeAlias = "npt.NDArray[np.float64]"


# Band keys are shuffled four bands at a time: a pairs task holds a quarter of the run's rows
# of one partition, and the 16 bands of the default need only 4 rounds of tasks.
BAND_GROUPS = 4
# Rows (16 bytes each) one pairs task may gather: 4M rows = 64 MB, plus the sort inside
# bucket_pairs (a few times that). More documents make more partitions, never larger ones.
ROWS_PER_PARTITION = 4 * 1024 * 1024
# (hash, rank) rows of the owner table one owners task builds: 16M rows = 256 MB, plus its sort.
OWNER_ROWS_PER_RANGE = 16 * 1024 * 1024
# Candidate pairs per verify task; their shingle sets are read into arrays (VERIFY_VALUES at a time).
# The blocks are cut by the pairs they hold (block_cuts), not by even rank ranges: the early
# ranks of large clusters hold many more pairs than the rest (at 100 M simulated documents an
# even cut gave one verify task 909 MB).
PAIRS_PER_BLOCK = 200_000
# Rank bins per verify block when the blocks are cut: a cut falls on a bin's edge.
BINS_PER_BLOCK = 4
# Shingle hashes of the sets a verify task holds at once (8 B each: 16 MB; the compiled
# pair_jaccards adds a table of 2 to 4 slots of 17 B per hash of the largest pair; the numpy
# twin holds about four times 16 MB while distinct_runs makes them distinct), see verify_block.
VERIFY_VALUES = 2 * 1024 * 1024
# Tasks that count the pairs per bin (each sums its share of the pairs files' counts).
COUNT_TASKS = 16


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
    shingles: int = 0  # shingles summed over the shard's documents (distinct ones with an index)
    owner_table: bool = False  # it wrote the run's one owner table (write_owner_piece)
    # (rowid, run rank, similarity) of verified index matches, and (id, cluster) of those rowids.
    index_edges: list[tuple[int, int, float]] = field(default_factory=list)
    index_labels: dict[int, tuple[str, str]] = field(default_factory=dict)
    # Documents whose id and content the index holds (local position -> where, cluster there),
    # and new versions of indexed ids (local position -> where the earlier version is).
    indexed: dict[int, tuple[str, str]] = field(default_factory=dict)
    versions: dict[int, str] = field(default_factory=dict)


# Summaries read at a time from a plain iterable (the runner's spilled ones come in its own batches).
SUMMARY_BATCH = 1024


@dataclass(frozen=True)
class SummaryBatch:
    """Consecutive summaries of a shard as columns: document i's shingles are
    ``shingles[offsets[i]:offsets[i + 1]]``, its passage rows ``passages[passage_offsets[i]:
    passage_offsets[i + 1]]`` and its band keys ``band_keys[i]``."""

    keys: list[str]
    ids: list[str]
    band_keys: U64  # documents x lsh_bands
    shingles: U64
    offsets: I64
    passages: I64  # rows of (start, end, first shingle, count), as Summary.passages
    passage_offsets: I64
    # The runner's spill of the summaries and where ``shingles`` lies in it (a byte offset), or
    # None; ``shingles`` is empty where they were left unread there (summary_batches).
    spilled: tuple[str, int] | None = None


def summary_batches(
    summaries: Iterable[tuple[str, Summary]], bands: int, shingles: bool = True
) -> Iterator[SummaryBatch]:
    """A shard's summaries a batch at a time, as columns: from the runner's spilled summaries
    (``summary_columns_at()``, cleaner.runners.core.SpilledSummaries) without a Summary object
    per document, or from any iterable of ``(key, Summary)``. Without ``shingles``, a batch's
    shingles are left unread where the spill says where they lie (``SummaryBatch.spilled``)."""
    columns = getattr(summaries, "summary_columns_at", None)
    if columns is not None:
        path = os.path.abspath(summaries.path)  # type: ignore[attr-defined]  # a SpilledSummaries
        for keys, fields, at in columns(() if shingles else ("shingles",)):
            spilled = (path, at["shingles"]) if "shingles" in at else None
            yield _batch(keys, fields, bands, spilled)
        return
    docs = iter(summaries)
    while chunk := list(itertools.islice(docs, SUMMARY_BATCH)):
        values = [summary for _, summary in chunk]
        fields = {name: [getattr(v, name) for v in values] for name in ("id", "band_keys", "shingles", "passages")}
        yield _batch([key for key, _ in chunk], fields, bands)


def _batch(keys: list[str], fields: dict[str, Any], bands: int, spilled: tuple[str, int] | None = None) -> SummaryBatch:
    band_keys, _ = _joined(fields["band_keys"], np.uint64, (), len(keys))
    shingles, offsets = _joined(fields["shingles"], np.uint64, (), len(keys))
    passages, passage_offsets = _joined(fields["passages"], np.int64, (4,), len(keys))
    by_document = band_keys.reshape(len(keys), bands)
    return SummaryBatch(keys, fields["id"], by_document, shingles, offsets, passages, passage_offsets, spilled)


def _joined(column: Any, dtype: npt.DTypeLike, tail: tuple[int, ...], n: int) -> tuple[Any, I64]:
    """A column of arrays (a list, or ``(joined, lengths)``) joined along the first axis, and
    where each document's rows start (n + 1 offsets)."""
    if isinstance(column, tuple):
        joined, lengths = column
    else:
        lengths = [len(a) for a in column]
        joined = np.concatenate(column) if column else np.zeros((0, *tail), dtype=dtype)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if joined is None:  # left unread in the spill (summary_batches)
        joined = np.zeros((0, *tail), dtype=dtype)
    return np.asarray(joined, dtype=dtype), offsets


def _files(folder: Path, shard: int) -> dict[str, Path]:
    names = ("bkeys.npy", "shingles.npy", "content.npy", "ids")
    return {name: folder / f"s{shard}.{name}" for name in names}


def _rows_file(folder: Path, shard: int) -> Path:
    return folder / f"s{shard}.bands.npy"


def shard_bands(
    summaries: Iterable[tuple[str, Summary]],
    shard: int,
    first_rank: int,
    cfg: DedupConfig,
    folder: Path,
    partitions: int,
    before: int | None = None,
    alone: bool = False,
) -> ShardBands:
    """The bands task of one shard (step 1 of the module docstring). ``alone``: the run's only
    shard with documents, whose owner piece is then the run's owner table (see
    :func:`write_owner_piece`)."""
    keys: list[str] = []
    ids: list[str] = []
    key_parts: list[U64] = []  # each batch's band keys
    distinct_parts: list[U64] = []  # each batch's shingle sets, joined (distinct ones with an index)
    size_parts: list[I64] = []
    distinct: list[U64] = []  # by document: only a persistent index uses them (its queries)
    contents: list[int] = []  # only a persistent index uses them (known versions, new rows)
    # Only an index needs every document's distinct set here (its queries, content hashes and
    # rows). Verification and the passage check read the sets of the few documents in candidate
    # pairs or named as sources (1,250 pairs of 20k documents on the Reuters bench), so without
    # an index the sets are filed as they come and made distinct when read (_Sets); the owner
    # pieces take them as they come too (see write_owner_piece). Sorting every set was about
    # 0.1 CPU-s a run, 5% of a --no-passages run. Nor are they filed again where the runner
    # spilled them (cleaner.runners.core.dump_summaries): the shard's file then says where each
    # lies there; with passages off they are not even read here. The Reuters bench's 23 MB of
    # shingles were read and written once more (about 0.03 of 0.67 CPU-s, --no-passages).
    distinct_now = bool(cfg.index)
    spilled: list[tuple[str, int] | None] = []  # where each batch's shingles lie in the spill
    for batch in summary_batches(summaries, cfg.lsh_bands, shingles=distinct_now or cfg.passages):
        keys += batch.keys
        ids += batch.ids
        spilled.append(batch.spilled)
        key_parts.append(batch.band_keys)
        if distinct_now:
            values, value_offsets = distinct_runs(batch.shingles, batch.offsets)
        else:
            values, value_offsets = batch.shingles, batch.offsets
        distinct_parts.append(values)
        size_parts.append(np.diff(value_offsets))
        if cfg.index:
            from cleaner.dedup.index import content_hash  # with an index only: sqlite3, socket, hashlib

            raw_at, at = batch.offsets.tolist(), value_offsets.tolist()
            contents.extend(content_hash(batch.shingles[raw_at[i] : raw_at[i + 1]]) for i in range(len(batch.keys)))
            distinct.extend(values[at[i] : at[i + 1]] for i in range(len(batch.keys)))
    n = len(keys)
    files = _files(folder, shard)
    bkeys = np.concatenate(key_parts) if key_parts else np.zeros((0, cfg.lsh_bands), dtype=np.uint64)
    del key_parts
    offsets = np.zeros(n + 1, dtype=np.int64)
    if size_parts:
        np.cumsum(np.concatenate(size_parts), out=offsets[1:])
    _save_sets(files["shingles.npy"], distinct_parts, size_parts, offsets, distinct_now, spilled)
    owner_table = False
    if cfg.passages:
        owner_table = alone and ranges_for(int(offsets[-1])) == 1
        # The sets as they came are the passage task's shingles, position for position: the
        # table then files every position's owner too (see _OwnerTables), and needs no filter.
        positions = owner_table and not distinct_now
        write_owner_piece(folder, shard, first_rank, distinct_parts, offsets, owner_table, positions)
    del distinct_parts
    if owner_table and not positions:  # its filter once the sets are gone: ~40 B a hash of the table while it is made
        _write_filter(folder / "o0.filter.npy", np.load(folder / "o0.hashes.npy"))
    if cfg.index:  # for _add_to_index
        save_array(files["bkeys.npy"], bkeys)
        save_array(files["content.npy"], np.array(contents, dtype=np.int64))
    _write_ids(files, keys, ids)

    worded = np.flatnonzero(np.diff(offsets) > 0)  # a document without words is nobody's duplicate
    write_band_rows(folder, shard, first_rank + worded, bkeys[worded], partitions)

    result = ShardBands(shard, n, int(offsets[-1]), owner_table)
    index = _read_only(cfg.index, before)
    if index is not None:
        try:
            for i, doc_id in enumerate(ids):
                known = index.known(doc_id, contents[i])
                if known is None:
                    continue
                if known.content == contents[i]:
                    result.indexed[i] = (known.detail(doc_id), known.cluster)
                else:
                    result.versions[i] = known.detail(doc_id)
            cache: dict[int, tuple[str, str, U64]] = {}
            for i in worded.tolist():
                if i in result.indexed:
                    continue  # its own row would match it: it is reported as already indexed instead
                for rowid, s in index.matches(bkeys[i], distinct[i], cfg.threshold, cache):
                    result.index_edges.append((rowid, first_rank + i, s))
                    result.index_labels[rowid] = cache[rowid][:2]
        finally:
            index.close()
    return result


# How a shard's file of shingle sets holds them (_save_sets, _Sets): as the summaries held
# them, distinct and sorted, or nowhere but in the runner's spill of the summaries.
AS_THEY_CAME, DISTINCT, IN_SPILL = 0, 1, 2


def _save_sets(
    path: Path,
    parts: list[U64],
    sizes: list[I64],
    offsets: I64,
    distinct: bool,
    spilled: Sequence[tuple[str, int] | None],
) -> None:
    """A shard's shingle sets, read by :class:`_Sets` (``parts``: each batch's, joined, empty
    where left unread in the spill; ``sizes``: each batch's sets' sizes; ``offsets``: where
    each document's set starts in the shard): the values (not concatenated first: 8 B per
    shingle less), then the offsets (:func:`~cleaner.dedup.npyparts.load_after`) and the layout.
    Where every batch's lie in one spill (``spilled``: each batch's place there) and are not
    made distinct, no values: after the layout, each document's byte offset in the spill, and
    the spill's path from this file's folder (both lie in the run's work folder, which may move
    between a run and its resumption). Otherwise a batch left unread there is read back from it."""
    places = {place[0] for place in spilled if place is not None}
    if not distinct and len(places) == 1 and None not in spilled:
        ats = [place[1] for place in spilled if place is not None]
        starts = [at + 8 * (np.cumsum(size) - size) for at, size in zip(ats, sizes, strict=True)]
        spill = np.frombuffer(os.fsencode(os.path.relpath(places.pop(), path.parent)), dtype=np.uint8)
        save_parts(path, [], np.uint64, after=[offsets, np.array([IN_SPILL]), np.concatenate(starts), spill])
        return
    values = []
    for part, size, place in zip(parts, sizes, spilled, strict=True):
        count = int(size.sum())
        if len(part) != count and place is not None:
            part = np.fromfile(place[0], dtype=np.uint64, count=count, offset=place[1])
        values.append(part)
    save_parts(path, values, np.uint64, after=[offsets, np.array([DISTINCT if distinct else AS_THEY_CAME])])


def write_band_rows(folder: Path, shard: int, ranks: I64, bkeys: U64, partitions: int) -> None:
    """A shard's band rows ``(rank, key)`` (``bkeys``: one row of band keys per rank), for each
    group of bands ordered by partition (``key % partitions``) then band, with the bounds of each
    (partition, band) cell: what the pairs tasks read (benchmarks/sim_barrier.py calls it too).

    One file per shard, not two per group (the 181 Scrapinghub pages: 64 barrier files -> 8, each
    a file created, renamed, opened and removed): a .npy of the rows of every group one after
    another, then (:func:`~cleaner.dedup.npyparts.load_after`) where each group's bounds start in
    the next array, and the groups' bounds (positions in the rows). :func:`_read_band_rows` reads
    one group's partition; ``np.load`` reads the rows.
    """
    groups = groups_of(bkeys.shape[1])
    bounds: list[I64] = []
    at = 0
    with NpyWriter(_rows_file(folder, shard), np.int64, (2,)) as out:
        for start, end in groups:  # one group's rows at a time, as they are made
            width = end - start
            keys = bkeys[:, start:end]  # rows: documents, columns: bands of the group
            if partitions == 1:
                # One partition (runs below about a million documents): the cells are the bands,
                # so the rows are the columns one after another, with no key's remainder to take
                # and no sort. The Reuters bench's 20k documents: 12.9 -> 6.3 ms (same bytes).
                by_band = np.empty((width, len(ranks), 2), dtype=np.int64)
                by_band[:, :, 0] = ranks
                by_band[:, :, 1] = keys.T.view(np.int64)
                rows = by_band.reshape(-1, 2)
                bounds.append(at + len(ranks) * np.arange(width + 1, dtype=np.int64))
            else:
                cell = (keys % np.uint64(partitions)).astype(np.int64) * width + np.arange(width, dtype=np.int64)
                # Cells fit 16 bits at most partition counts: numpy's stable sort of 16-bit keys is
                # a radix sort, 3-4x faster than its merge sort of the int64 ones (same order).
                keyed = cell.astype(np.uint16) if partitions * width <= 1 << 16 else cell
                order = np.argsort(keyed, axis=None, kind="stable")
                rows = np.stack([np.repeat(ranks, width)[order], keys.reshape(-1)[order].view(np.int64)], axis=1)
                bounds.append(at + np.searchsorted(cell.reshape(-1)[order], np.arange(partitions * width + 1)))
            at += len(rows)
            out.write(rows)
        starts = np.zeros(len(groups) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in bounds], out=starts[1:])
        out.after += [starts, np.concatenate(bounds).astype(np.int64)]


def _read_band_rows(path: Path, group: int, width: int, partition: int) -> tuple[I64, I64]:
    """The rows of one group's partition in a shard's band rows file (:func:`write_band_rows`),
    and that group's bounds shifted to them: only those rows are read."""
    with open(path, "rb") as fh:
        starts, all_bounds = load_after(fh, 2)
        bounds = all_bounds[starts[group] : starts[group + 1]]
        fh.seek(0)
        data, _ = rows_span(fh)
        first, last = int(bounds[partition * width]), int(bounds[(partition + 1) * width])
        fh.seek(data + first * 16)
        rows = np.fromfile(fh, dtype=np.int64, count=(last - first) * 2).reshape(-1, 2)
    return rows, bounds - first


def _read_only(path: str | None, before: int | None = None) -> DedupIndex | None:
    """The persistent index opened read-only by a worker (the driver created it before); rows
    of pending runs are invisible to it. (``before`` is no longer used: a resumed run removes
    its own pending rows before it decides again.)"""
    if not path or not os.path.isfile(path):
        return None
    from cleaner.dedup.index import DedupIndex, _connect

    return DedupIndex(_connect(path, readonly=True), path)


def partition_pairs(folder: Path, shards: Sequence[int], group: int, width: int, partition: int) -> int:
    """The pairs task of one band group and partition (step 2): its candidate ``(earlier,
    later)`` rank pairs, sorted and distinct, written to the barrier folder; returns how many."""
    pairs = _bucket_pairs(folder, shards, group, width, partition)
    save_array(folder / f"pairs.g{group}.p{partition}.npy", pairs)
    return len(pairs)


def _bucket_pairs(folder: Path, shards: Sequence[int], group: int, width: int, partition: int) -> I64:
    found: list[I64] = []
    # The partition's rows of every shard (its cells are contiguous in a shard's file), read
    # one file at a time (a run may have more shards than the process may open files, 1,024 is a
    # common limit). The rows of a partition are bounded by ROWS_PER_PARTITION, so the copies are too.
    tables = [_read_band_rows(_rows_file(folder, shard), group, width, partition) for shard in shards]
    for band in range(width):
        cell = partition * width + band
        pieces = []
        for rows_of_shard, bounds in tables:
            lo, hi = int(bounds[cell]), int(bounds[cell + 1])
            if hi > lo:
                pieces.append(rows_of_shard[lo:hi])
        if not pieces:
            continue
        rows = np.concatenate(pieces)
        pairs = bucket_pairs(rows[:, 0], rows[:, 1].view(np.uint64), BUCKET_CAP)
        if pairs.size:
            found.append(pairs)
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return distinct_pairs(np.concatenate(found))


class _ByRank:
    """Finds the shard holding a rank: ``shards`` (in order) start at ranks ``firsts``."""

    def __init__(self, folder: Path, shards: Sequence[int], firsts: Sequence[int]) -> None:
        self.folder, self.shards, self.firsts = folder, list(shards), [int(first) for first in firsts]

    def locate(self, rank: int) -> tuple[int, int]:
        """(shard, position of the rank inside it). A bisect of a list: np.searchsorted of one
        rank cost several times more (a set read for each verified pair and checked passage)."""
        at = bisect.bisect_right(self.firsts, rank) - 1
        return self.shards[at], rank - self.firsts[at]


class _OpenShards(_ByRank):
    """A reader by rank that keeps its shards' files open between reads. Each file holds a file
    descriptor, and a run may have more shards than the process may open files: at most
    ``MAX_OPEN`` shards stay open, the least recently used closed first. ``_open`` gives a
    shard's open files and whatever else a read needs from it."""

    MAX_OPEN = 64

    def __init__(self, folder: Path, shards: Sequence[int], firsts: Sequence[int]) -> None:
        super().__init__(folder, shards, firsts)
        self.open: dict[int, tuple[tuple[BinaryIO, ...], Any]] = {}

    def _open(self, files: dict[str, Path]) -> tuple[tuple[BinaryIO, ...], Any]:
        raise NotImplementedError

    def opened(self, rank: int) -> tuple[tuple[BinaryIO, ...], Any, int]:
        """The open files of the rank's shard, what ``_open`` read with them, and the rank's
        position in the shard."""
        shard, local = self.locate(rank)
        entry = self.open.pop(shard, None)  # put back last: most recently used last
        if entry is None:
            if len(self.open) >= self.MAX_OPEN:
                for fh in self.open.pop(next(iter(self.open)))[0]:
                    fh.close()
            entry = self._open(_files(self.folder, shard))
        self.open[shard] = entry
        return entry[0], entry[1], local

    def __del__(self) -> None:
        for handles, _ in self.open.values():
            for fh in handles:
                fh.close()


class _Sets(_OpenShards):
    """Distinct shingle sets of documents by rank, read from the shards' files.

    Each set is read from the file into its own array, never through a memory map: pages of
    a map that a task touches count in its RSS until the map closes, and a verify task touching
    sets all over the run would then hold them all (1.1 GB for 200k pairs, measured). A shard
    whose bands task filed its documents' shingles as they came (no index: see
    :func:`shard_bands`) has each set made distinct and sorted here, as it is read; where it
    filed only where they lie in the runner's spill (:func:`_save_sets`), they are read there."""

    def _open(self, files: dict[str, Path]) -> tuple[tuple[BinaryIO, ...], Any]:
        handle: BinaryIO = open(files["shingles.npy"], "rb")  # noqa: SIM115 (closed on eviction or with the object)
        offsets, layout = load_after(handle, 2)
        if layout[0] == IN_SPILL:  # each set's byte offset, then the spill's path from the file's folder
            starts, spill = np.load(handle), np.load(handle)
            handle.close()
            handle = open(files["shingles.npy"].parent / os.fsdecode(spill.tobytes()), "rb")  # noqa: SIM115 (as above)
        else:
            handle.seek(0)
            data_at, _ = rows_span(handle)
            starts = data_at + 8 * offsets[:-1]
        return (handle,), (starts, offsets, layout[0] == DISTINCT)

    def get(self, rank: int) -> U64:
        (fh,), (starts, offsets, distinct), local = self.opened(rank)
        lo, hi = int(offsets[local]), int(offsets[local + 1])
        fh.seek(int(starts[local]))
        values: U64 = np.frombuffer(fh.read((hi - lo) * 8), dtype=np.uint64)
        return values if distinct else distinct_sorted(values)

    def spans(self, ranks: I64) -> I64:
        """Where the sets of ``ranks`` (ascending) lie, a row each: the rank, its set's byte
        offset in its shard's file and its length; the files are not read. A shard's run of
        ranks is looked up in its arrays at once (a lookup per rank: 1.8 of verify's 8.6 ms on
        the Reuters bench)."""
        out = np.empty((len(ranks), 3), dtype=np.int64)
        out[:, 0] = ranks
        i = 0
        while i < len(ranks):
            _, (at, offsets, _), local = self.opened(int(ranks[i]))
            first = int(ranks[i]) - local
            end = i + int(np.searchsorted(ranks[i:], first + len(offsets) - 1))  # the shard's last rank + 1
            places = ranks[i:end] - first
            out[i:end, 1] = at[places]
            out[i:end, 2] = offsets[places + 1] - offsets[places]
            i = end
        return out

    def many(self, spans: I64) -> tuple[U64, I64, bool]:
        """The sets at ``spans`` (rows of :meth:`spans`) as their files hold them, read into one
        array, their bounds in it, and whether every one is filed distinct and sorted already:
        the caller makes them distinct in one pass (:func:`~cleaner.dedup.cluster.pair_jaccards`
        does), not a few numpy calls per set as :meth:`get` does."""
        bounds = np.zeros(len(spans) + 1, dtype=np.int64)
        np.cumsum(spans[:, 2], out=bounds[1:])
        values = np.empty(int(bounds[-1]), dtype=np.uint64)
        into = values.data.cast("B")
        all_distinct, shard_end, fd = True, -1, -1
        # Each set read with one pread at its place (the file's position is not used: no seek),
        # and a shard looked up once for its run of ranks (they ascend). Against a seek and a
        # readinto per set, each after the shard's lookup: 5.6 -> 2.9 ms over the Reuters bench's
        # 2,275 sets (in process).
        for (rank, at, length), lo in zip(spans.tolist(), bounds.tolist(), strict=False):
            if rank >= shard_end:
                (fh,), (_, offsets, distinct), local = self.opened(rank)
                all_distinct, shard_end, fd = all_distinct and distinct, rank - local + len(offsets) - 1, fh.fileno()
            if _read_at(fd, into[8 * lo : 8 * (lo + length)], at) != 8 * length:
                raise EOFError(f"the shingle sets of {self.folder} end early at rank {rank}")
        return values, bounds, all_distinct


def _read_at(fd: int, into: memoryview, at: int) -> int:
    """Read into ``into`` from byte ``at`` of the file ``fd``: ``os.preadv`` (no seek), or where
    the platform lacks it (Windows) a seek and a read. How many bytes were read."""
    if _PREADV is not None:
        return _PREADV(fd, [into], at)
    os.lseek(fd, at, os.SEEK_SET)
    data = os.read(fd, len(into))
    into[: len(data)] = data
    return len(data)


_PREADV = getattr(os, "preadv", None)


def verify_block(
    folder: Path,
    cells: Sequence[tuple[int, int]],
    ranks: tuple[int, int],
    shards: Sequence[int],
    firsts: Sequence[int],
    threshold: float,
    block: int,
) -> int:
    """The verify task (step 3) for the candidate pairs whose earlier rank is in ``ranks``
    (``[lo, hi)``): their slices of every pairs file, the same pair from several bands once,
    and the exact Jaccard of each. Writes the verified pairs with their similarities as block
    ``block``'s edge file (none without an edge: :func:`_block_edges` reads it); returns how many."""
    pairs = block_pairs(folder, cells, ranks)
    if not len(pairs):
        return 0
    sets = _Sets(folder, shards, firsts)
    out = np.empty(len(pairs), dtype=np.float64)
    kernels = _kernels.compiled()
    jaccards = pair_jaccards if kernels is None else kernels.pair_jaccards
    # The pairs are taken in runs whose documents' sets are read together (_Sets.many: a few
    # numpy calls per set less), each document once a run, however many pairs it is in. A run
    # holds at most VERIFY_VALUES hashes of sets, counted twice per pair (so what it holds is
    # at most that), and one pair at least, however large its sets. Reading the two sets of
    # each pair one at a time took 87 of the Reuters bench's ~2,000 CPU-ms, this 45. The sets are
    # made distinct and compared in the compiled kernel where there is one (pair_jaccards' twin).
    # Not np.unique: it imports numpy.ma (16 ms). Ranks and rows are not negative: as uint64 they sort alike.
    needed = distinct_sorted(pairs.reshape(-1).view(np.uint64)).view(np.int64)
    spans = sets.spans(needed)
    where = np.searchsorted(needed, pairs)  # each pair's two documents, as rows of spans
    cost = np.cumsum(spans[:, 2][where].sum(axis=1))
    start = 0
    while start < len(pairs):
        before = int(cost[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(cost, before + VERIFY_VALUES, side="right")))
        at = where[start:stop]
        rows = distinct_sorted(at.reshape(-1).view(np.uint64)).view(np.int64)
        values, bounds, distinct = sets.many(spans[rows])
        out[start:stop] = jaccards(values, bounds, np.searchsorted(rows, at), distinct)
        start = stop
    kept = out >= threshold
    return save_block_edges(folder, block, pairs[kept], out[kept])


def save_block_edges(folder: Path, block: int, pairs: I64, similarity: F64) -> int:
    """Files one verify block's edges (earlier rank, later rank, Jaccard as int64 bits: 24 B an
    edge; no file when there are none) and returns how many there are."""
    if len(pairs):
        edges = np.concatenate([pairs, similarity.astype(np.float64).view(np.int64)[:, None]], axis=1)
        save_array(_edges_file(folder, block), edges)
    return len(pairs)


def _edges_file(folder: Path, block: int) -> Path:
    return folder / f"edges.b{block}.npy"


def _block_edges(folder: Path, block: int) -> tuple[I64, I64, F64]:
    """The verified edges of one verify block: (earlier rank, later rank, Jaccard)."""
    path = _edges_file(folder, block)
    if not path.exists():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    edges = np.load(path)
    return edges[:, 0], edges[:, 1], edges[:, 2].copy().view(np.float64)


def split_edges(folder: Path, block: int, k: int, partitions: int) -> None:
    """Step 1 of the components in tasks for one verify block: its edges, as nodes (ranks + ``k``
    index nodes), cut by partition (:func:`~cleaner.dedup.components.write_edge_pieces`)."""
    lo, hi, sim = _block_edges(folder, block)
    if lo.size:
        write_edge_pieces(folder / "cc", block, k + lo, k + hi, sim, partitions)


def pairs_per_bin(folder: Path, files: Sequence[tuple[int, int]], edges: I64) -> I64:
    """How many candidate pairs of the pairs files ``files`` (group, partition) have their
    earlier rank in each bin ``[edges[i], edges[i + 1])``: each file is sorted by earlier rank,
    so this is a binary search in its memory map, not a read."""
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    for group, partition in files:
        found = np.load(folder / f"pairs.g{group}.p{partition}.npy", mmap_mode="r")
        if len(found):
            counts += np.diff(np.searchsorted(found[:, 0], edges))
        del found  # closes the map
    return counts


def block_cuts(run: TaskMap, folder: Path, files: Sequence[tuple[int, int]], n: int, found: int) -> list[int]:
    """Rank cuts of the verify blocks, each holding about ``PAIRS_PER_BLOCK`` of the ``found``
    candidate pairs. The pairs are counted per bin of ranks (``pairs_per_bin``, in tasks), the
    bins that hold more than a block's worth are cut finer and counted again, and a cut falls
    where the running count passes each block's share. A block never splits a bin; the cuts
    are the same whatever the tasks.

    >>> block_cuts(lambda fn, args: [], Path("."), [], 1000, 0)
    [0, 1000]
    """
    blocks = max(1, math.ceil(found / PAIRS_PER_BLOCK))
    if blocks == 1 or n < 2:
        return [0, n]
    edges = np.linspace(0, n, min(n, blocks * BINS_PER_BLOCK) + 1).astype(np.int64)
    counts = _pairs_per_bin(run, folder, files, edges)
    heavy = np.flatnonzero(counts > PAIRS_PER_BLOCK)  # the early ranks of large clusters
    if heavy.size:
        pieces = (-(-counts[heavy] // PAIRS_PER_BLOCK) * BINS_PER_BLOCK).tolist()
        finer = [
            np.linspace(edges[i], edges[i + 1], min(int(edges[i + 1] - edges[i]), k) + 1).astype(np.int64)
            for i, k in zip(heavy.tolist(), pieces, strict=True)
        ]
        edges = np.unique(np.concatenate([edges, *finer]))
        counts = _pairs_per_bin(run, folder, files, edges)
    running = np.cumsum(counts)
    targets = np.arange(1, blocks, dtype=np.int64) * running[-1] // blocks
    at = np.searchsorted(running, targets, side="left")  # the bin where the count reaches a target
    inner = np.unique(edges[at + 1])
    return [0, *(int(r) for r in inner if 0 < r < n), n]


def _pairs_per_bin(run: TaskMap, folder: Path, files: Sequence[tuple[int, int]], edges: I64) -> I64:
    share = [list(files[i::COUNT_TASKS]) for i in range(min(COUNT_TASKS, len(files)))]
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    for part in run(pairs_per_bin, [(folder, chunk, edges) for chunk in share]):
        counts += part
    return counts


def block_pairs(folder: Path, cells: Sequence[tuple[int, int]], ranks: tuple[int, int]) -> I64:
    """The distinct candidate pairs whose earlier rank is in ``ranks`` (``[lo, hi)``), gathered
    from every pairs file (sorted by earlier rank: each file is sliced, never read whole)."""
    pieces = []
    for group, partition in cells:
        found = np.load(folder / f"pairs.g{group}.p{partition}.npy", mmap_mode="r")
        if len(found):
            lo, hi = np.searchsorted(found[:, 0], ranks)
            if hi > lo:
                pieces.append(np.array(found[lo:hi]))
    if not pieces:
        return np.zeros((0, 2), dtype=np.int64)
    return distinct_pairs(np.concatenate(pieces))


def range_bounds(n_ranges: int) -> list[tuple[int, int | None]]:
    """``n_ranges`` consecutive ranges ``[lo, hi)`` covering all uint64 values (the last one
    open-ended: 2**64 does not fit a uint64).

    >>> range_bounds(2)
    [(0, 9223372036854775808), (9223372036854775808, None)]
    """
    if n_ranges < 1:
        raise ValueError(f"n_ranges must be at least 1, got {n_ranges}: use 1 for the one-piece computation")
    edges = [(r << 64) // n_ranges for r in range(n_ranges)]
    return [(lo, edges[r + 1] if r + 1 < n_ranges else None) for r, lo in enumerate(edges)]


def ranges_for(shingles: int) -> int:
    """Hash ranges that keep an owners task within ``OWNER_ROWS_PER_RANGE`` rows.

    >>> ranges_for(1000), ranges_for(100_000_000)
    (1, 6)
    """
    return max(1, math.ceil(shingles / OWNER_ROWS_PER_RANGE))


def _range_cuts(ranges: int) -> U64:
    """The first hash of each range, then 2**64 - 1 (the last range is closed at the top)."""
    lows = [lo for lo, _ in range_bounds(ranges)]
    return np.array([*lows, 2**64 - 1], dtype=np.uint64)


def _cut(values: U64, ranges: int) -> I64:
    """Where each hash range starts in the sorted ``values`` (ranges + 1 positions)."""
    at = np.searchsorted(values, _range_cuts(ranges)).astype(np.int64)
    at[-1] = values.size
    return at


# Hashes one owners step sorts at a time (write_owner_piece, range_owners): each costs about 60 bytes
# across the sort's arrays, so a slice holds ~15 MB however large the shard or the range; the
# slices are hash ranges, so their results follow one another in hash order (a 30 MB shard
# sorted whole held 190 MB, the run's peak). Slices change no result. 256 K, not 512 K, since the
# owner piece is sorted in the bands task, beside the shard's distinct sets: with 512 K the
# 30 MB text dump's peak rose from 251 to 263-268 MB (/usr/bin/time), with 256 K it is 252-253.
OWNER_SLICE = 1 << 18


def _slice_bits(values: int) -> int:
    """Top bits of the hash that cut ``values`` hashes into slices of about OWNER_SLICE.

    >>> _slice_bits(1000), _slice_bits(4_000_000)
    (0, 4)
    """
    return max(0, math.ceil(values / OWNER_SLICE) - 1).bit_length()


def write_owner_piece(
    folder: Path,
    shard: int,
    first_rank: int,
    parts: Sequence[U64],
    offsets: I64,
    table: bool = False,
    positions: bool = False,
    use_numba: bool | None = None,
) -> int:
    """The owner piece of one shard (passages, step 1), written by its bands task from the
    shingles it holds (``parts``: consecutive documents' shingles, joined; document i's are
    values ``offsets[i]:offsets[i + 1]`` of them all): each distinct hash of the shard with
    the first rank holding it and whether it is held again, sorted by hash. A document may hold
    a hash twice (the bands task files its shingles as they came, without an index): the hash
    then counts as held again, and the owner table may keep it under that document's own rank,
    which owns it anyway, so no owner changes (a hash not in the table is owned by its own
    document). Returns the number of rows. The hashes are sorted one slice of the hash space at a
    time (OWNER_SLICE), so the task never sorts the whole shard at once and never reads its
    shingle file back (it did, once per slice: 8 passes over it on the Reuters bench). Each
    part is ordered once by the hashes' top bits (a stable radix sort of one byte a hash; the
    order kept, 4 bytes a hash), so a slice's hashes in a part are one run of that order, not
    found by a pass over the part per slice (16 passes of 79 parts on the Reuters bench).

    With ``table``, the shard is the run's only one and its hashes one range: the piece is then
    the owner table itself, written as :func:`range_owners` writes it (the hashes two or more
    documents hold and their first ranks; the caller adds the filter), not the piece for
    range_owners to read back (a row per distinct hash, 17 bytes each, where the table keeps one
    in eight on the Reuters bench). Returns the table's rows then. A table's slices are sifted
    first (:func:`_maybe_repeated`; not with ``positions``): the hashes no other hash of the
    slice shares a bucket with are held once, and left out of the sort, while that leaves out
    half a slice or more.

    With ``positions`` too (a table; ``parts`` are the shingles as the passage task reads them),
    the owner rank of every position of ``parts`` is written to ``o0.positions.npy`` instead of
    the table (its files are left empty; the count returned is still the table's): a rank per
    shingle (4 bytes, 8 past 2**31 ranks), so the passage task gathers its owners where it
    looked each up in the table (a sort and a search: ~0.15 CPU-s of the Reuters bench).

    The positions are found by a compiled kernel, without a sort, when numba is loaded in the
    process already (``use_numba`` None) or ``use_numba`` says so: the same ranks and count
    (``_numba_kernels.owner_positions``: a table per slice in cache, the kernel's own slices;
    0.55 -> 0.17 CPU-s over the 30 MB text dump's 4.2 million shingles, in process)."""
    total = int(offsets[-1])
    owned = None  # with positions: each position's owner rank, its own document's until found
    bits = _slice_bits(total)
    if positions:
        rank_type = np.int32 if first_rank + offsets.size < 2**31 else np.int64
        owned = np.repeat(np.arange(first_rank, first_rank + offsets.size - 1, dtype=rank_type), np.diff(offsets))
    names = ("o0.hashes.npy", "o0.ranks.npy") if table else (f"s{shard}.owners.npy", f"s{shard}.owner_shared.npy")
    first_file, second_file = (folder / name for name in names)
    with (
        NpyWriter(first_file, np.uint64 if table else np.int64, () if table else (2,)) as owners,
        NpyWriter(second_file, np.int64 if table else np.bool_) as flags,
    ):
        kernels = _kernels.compiled(use_numba) if owned is not None else None
        if kernels is not None:
            rows = int(kernels.owner_positions(parts, owned))  # the table's files stay empty
        else:
            rows = _sorted_owner_slices(parts, offsets, first_rank, bits, table, owned, owners, flags)
    if owned is not None:
        save_array(folder / "o0.positions.npy", owned)
    return rows


def _sorted_owner_slices(
    parts: Sequence[U64],
    offsets: I64,
    first_rank: int,
    bits: int,
    table: bool,
    owned: npt.NDArray[Any] | None,
    owners: NpyWriter,
    flags: NpyWriter,
) -> int:
    """write_owner_piece's numpy path: the hashes sorted a slice at a time, each slice's rows
    written to ``owners`` and ``flags`` (or, with ``owned``, each position's owner filled in and
    nothing written). Returns the rows, as write_owner_piece."""
    slices = 1 << bits
    orders: list[npt.NDArray[np.signedinteger[Any]]] = []  # by part: its positions by slice, then position
    bounds: list[list[int]] = []  # by part: where each slice's run of its order starts, then the part's size
    top_type = np.min_scalar_type(slices - 1)
    for part in parts:
        tops = (part >> np.uint64(64 - bits)).astype(top_type) if bits else np.zeros(part.size, dtype=top_type)
        orders.append(np.argsort(tops, kind="stable").astype(np.int32 if part.size < 2**31 else np.int64))
        bounds.append([0, *np.cumsum(np.bincount(tops, minlength=slices)).tolist()])
        del tops
    part_starts = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([part.size for part in parts], out=part_starts[1:])
    # Each value's document is searched in the offsets of its part's documents alone (a few
    # hundred: fast), not in the shard's, and not gathered from a rank per value (4 B a value
    # more in a task that holds the shard's sets).
    window_lo = np.searchsorted(offsets, part_starts[:-1], side="right") - 1
    window_hi = np.searchsorted(offsets, part_starts[1:], side="right")
    rows = 0
    # Whether a slice's hashes held once are sifted out before its sort (see below): not with
    # positions, whose slices are sorted whole by sorted_hashes (the Reuters bench: 36 ms of
    # sifting saved for about 20 ms more of sort; the owner positions took 145 -> 105 ms).
    sift = table and owned is None
    for slice_top in range(slices):
        values_parts, rank_parts = [np.zeros(0, dtype=np.uint64)], [np.zeros(0, dtype=np.int64)]
        for n, part in enumerate(parts):
            at = orders[n][bounds[n][slice_top] : bounds[n][slice_top + 1]]
            if not at.size:
                continue
            values_parts.append(part.take(at))  # take: 1.7x faster than part[at] with int32 positions
            if table:  # positions in the shard: ranks for the few rows kept below
                rank_parts.append(at + part_starts[n])
                continue
            lo, hi = int(window_lo[n]), int(window_hi[n])
            rank_parts.append(np.searchsorted(offsets[lo:hi], at + part_starts[n], side="right") + (lo - 1))
        values, ranks = np.concatenate(values_parts), np.concatenate(rank_parts)
        del values_parts, rank_parts
        if table:
            if sift:
                # A table keeps only the hashes held twice or more: those whose bucket holds
                # no other value are left out before the sort (the rest stay in position order).
                maybe = _maybe_repeated(values, bits)
                kept_at = np.flatnonzero(maybe)  # one pass over the mask, not one per array
                values, ranks = values[kept_at], ranks[kept_at]
                sift = 2 * values.size <= maybe.size  # see REPEAT_BUCKET_BITS
            if owned is None:  # with positions, the ranks stay positions in the shard
                ranks = np.searchsorted(offsets, ranks, side="right") - 1
        if owned is None:
            ranks += first_rank
        # stable: equal hashes stay in position order, so in rank order; the first is the owner
        order, values = sorted_hashes(values, bits)
        first = np.ones(values.size, dtype=np.bool_)
        np.not_equal(values[1:], values[:-1], out=first[1:])
        if owned is not None:
            # Only a hash's later rows may name another document: each takes the owner of
            # the hash's first row, its own document's (filled in above: a position is one
            # hash's row), so no row's rank is searched. No table is written (its files stay
            # empty): the passage task reads the positions. Rows: the hashes held twice or
            # more, as a table's. A hash's later rows are a run whose first row's
            # predecessor is the hash's first row.
            later = np.flatnonzero(~first)
            opens = np.ones(later.size, dtype=np.bool_)
            np.not_equal(later[1:], later[:-1] + 1, out=opens[1:])
            heads = (later[opens] - 1)[np.cumsum(opens) - 1]
            owned[ranks[order[later]]] = owned[ranks[order[heads]]]
            rows += int(np.count_nonzero(opens))
            continue
        shared = np.zeros(values.size, dtype=np.bool_)  # at a hash's first row: the next row holds it too
        np.logical_not(first[1:], out=shared[:-1])
        keep = first & shared if table else first  # a table keeps the hashes held twice or more
        values, ranks = values[keep], ranks[order[keep]]  # the ranks of the rows kept alone
        del order
        if table:  # hashes and ranks, as range_owners writes them
            owners.write(values)
            flags.write(ranks)
        else:
            owners.write(np.stack([values.view(np.int64), ranks], axis=1))
            flags.write(shared[keep])
        rows += int(values.size)
    return rows


# Bits of the buckets _maybe_repeated counts a slice's hashes in, at most (8 B a bucket: 8 MB).
# The sifting pays while it leaves out most of a slice: on the Reuters bench it keeps 37% of the
# hashes (one in nine is held twice or more) and the owner table took 0.21 -> 0.14 CPU-s; on the
# 30 MB dump's raw texts it keeps 54% and took 0.27 -> 0.31. The slices are hash ranges, alike,
# so once one keeps over half, the next ones are sorted whole (0.27 again there).
REPEAT_BUCKET_BITS = 20


def _maybe_repeated(values: U64, shared_bits: int) -> npt.NDArray[np.bool_]:
    """Which of ``values`` (hashes that share their top ``shared_bits`` bits) may occur twice or
    more: those whose bucket, the bits below the shared ones, holds another value too. Every
    repeated value is marked, and about ``1 - exp(-values / buckets)`` of the others (a
    bucket count is 4 to 8 times the values, up to 2**REPEAT_BUCKET_BITS).

    >>> _maybe_repeated(np.array([5 << 60, 1 << 60, 5 << 60], dtype=np.uint64), 0).tolist()
    [True, False, True]
    """
    bits = min(REPEAT_BUCKET_BITS, values.size.bit_length() + 2, 64 - shared_bits)
    buckets = ((values >> np.uint64(64 - shared_bits - bits)) & np.uint64((1 << bits) - 1)).astype(np.uint32)
    # The buckets met twice or more, from the sorted buckets, marked in a table of a byte a
    # bucket: np.bincount's table of 8-byte counts (8 MB at 20 bits), written and read at
    # random, took a quarter more (5.4 against 4.3 ms a slice of 181 K hashes).
    ordered = np.sort(buckets)
    table = np.zeros(1 << bits, dtype=np.bool_)
    table[ordered[1:][ordered[1:] == ordered[:-1]]] = True
    repeated: npt.NDArray[np.bool_] = table[buckets]
    return repeated


def range_owners(folder: Path, shards: Sequence[int], part: int, ranges: int) -> int:
    """The owner table of one hash range (passages, step 2): the pieces of every shard, and for
    each hash that two or more documents hold, the smallest rank (a hash only one document holds
    is owned by that document: no earlier one can lend it to a passage, so it needs no row).
    Written as two sorted arrays and a bit filter of their hashes (:func:`_write_filter`);
    returns the number of hashes in the table. The range is taken a slice of hashes at a time
    (about OWNER_SLICE rows of all pieces together), each slice's rows found in every piece by
    a binary search of its memory-mapped hash column (a few pages each)."""
    low, high = range_bounds(ranges)[part]
    top = (1 << 64) if high is None else high
    pieces: list[tuple[int, int, int]] = []  # (shard, first row, end) of each piece's rows in the range
    for shard in shards:
        table = np.load(folder / f"s{shard}.owners.npy", mmap_mode="r")
        column = _Column(table)
        lo = bisect.bisect_left(column, low) if low else 0
        hi = len(table) if high is None else bisect.bisect_left(column, high, lo)
        del table, column  # closes the map
        if hi > lo:
            pieces.append((shard, lo, hi))
    slices = max(1, math.ceil(sum(hi - lo for _, lo, hi in pieces) / OWNER_SLICE))
    edges = [low + (top - low) * k // slices for k in range(1, slices)]
    starts = [lo for _, lo, _ in pieces]
    with (
        NpyWriter(folder / f"o{part}.hashes.npy", np.uint64) as hashes_out,
        NpyWriter(folder / f"o{part}.ranks.npy", np.int64) as ranks_out,
    ):
        for k in range(slices):
            rows_parts, flag_parts = [], []
            for n, (shard, _, hi) in enumerate(pieces):
                table = np.load(folder / f"s{shard}.owners.npy", mmap_mode="r")
                end = hi if k == slices - 1 else bisect.bisect_left(_Column(table), edges[k], starts[n], hi)
                if end > starts[n]:
                    rows_parts.append(np.array(table[starts[n] : end]))
                    shared_file = np.load(folder / f"s{shard}.owner_shared.npy", mmap_mode="r")
                    flag_parts.append(np.array(shared_file[starts[n] : end]))
                    del shared_file
                starts[n] = end
                del table
            if rows_parts:
                kept_hashes, kept_ranks = _slice_owners(rows_parts, flag_parts)
                hashes_out.write(kept_hashes)
                ranks_out.write(kept_ranks)
    kept = np.load(folder / f"o{part}.hashes.npy")
    _write_filter(folder / f"o{part}.filter.npy", kept)
    return int(kept.size)


class _Column:
    """The hash column of a memory-mapped owner piece as a sequence of Python ints, for
    :func:`bisect.bisect_left` (each probe reads one row)."""

    def __init__(self, table: I64) -> None:
        self.table = table

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, i: int) -> int:
        return int(self.table[i, 0]) & 0xFFFF_FFFF_FFFF_FFFF  # the hash, stored as int64


def _slice_owners(rows_parts: list[I64], flag_parts: list[npt.NDArray[np.bool_]]) -> tuple[U64, I64]:
    """The hashes of one slice of a range that two or more documents hold, each with its
    smallest rank, from the pieces' rows (in shard order) and their shared flags."""
    pieces = len(rows_parts)
    rows = np.concatenate(rows_parts)
    shared = np.concatenate(flag_parts)
    rows_parts.clear()  # memory: the rows are sorted in place, a column at a time: ~36 B per row at the peak
    flag_parts.clear()
    if pieces > 1:
        # Each piece is sorted by hash with distinct hashes, and the pieces come in shard order,
        # so in rank order: a stable sort by hash alone (a merge of sorted runs) puts each hash's
        # smallest rank first, as sorting by (hash, rank) would, at a fraction of the cost.
        order = np.argsort(rows[:, 0].view(np.uint64), kind="stable")  # argsort_hashes holds 8 B a row more
        for column in (0, 1):
            rows[:, column] = rows[order, column]
        shared = shared[order]
        del order
    hashes = rows[:, 0].view(np.uint64)
    first = np.ones(hashes.size, dtype=np.bool_)
    np.not_equal(hashes[1:], hashes[:-1], out=first[1:])
    # Held by two or more documents: by two shards (the next row has the same hash), or by two
    # documents of one shard (its piece says so).
    shared[:-1] |= ~first[1:]
    keep = first & shared
    return hashes[keep], rows[:, 1][keep]


# Bits of an owner table's filter per hash in it: about 1 in 16 hashes the table lacks passes
# the filter and is looked up in vain.
FILTER_BITS_PER_HASH = 16


def _write_filter(path: Path, hashes: U64) -> None:
    """A bit per slot of the hash space (its top bits), set where one of the sorted ``hashes``
    falls: most passage shingles are held by their own document alone, and the filter tells
    them apart without a search of the table."""
    bits = max(1 << 13, 1 << (FILTER_BITS_PER_HASH * max(hashes.size, 1) - 1).bit_length())
    slots = hashes >> np.uint64(64 - (bits.bit_length() - 1))
    at = slots >> np.uint64(3)
    values = np.left_shift(np.uint8(1), (np.uint64(7) - (slots & np.uint64(7))).astype(np.uint8))
    filt = np.zeros(bits // 8, dtype=np.uint8)
    if hashes.size:  # slots come sorted: OR together the bits that land in one byte
        starts = np.flatnonzero(np.diff(at, prepend=np.uint64(at[0]) + np.uint64(1)) != 0)
        filt[at[starts]] = np.bitwise_or.reduceat(values, starts)
    save_array(path, filt)


def _in_filter(filt: npt.NDArray[np.uint8], hashes: U64) -> npt.NDArray[np.bool_]:
    """Which ``hashes`` have their slot's bit set in ``filt`` (see :func:`_write_filter`)."""
    slots = hashes >> np.uint64(64 - ((filt.size * 8).bit_length() - 1))
    byte = filt[slots >> np.uint64(3)]
    shift = (np.uint64(7) - (slots & np.uint64(7))).astype(np.uint8)
    return ((byte >> shift) & np.uint8(1)).astype(np.bool_)


class _OwnerTables:
    """The run's owner tables (one per hash range) as a passage task reads them, chunk after
    chunk: each table's hashes and ranks memory-mapped, its filter read whole (2 bytes a hash
    of the table), one range's table held at a time (the maps' pages and the filter count in
    the task's memory). With one range, the table is opened once for all the chunks: reopened
    per chunk, it cost a tenth of the task on the Reuters bench (10 chunks)."""

    def __init__(self, folder: Path, ranges: int) -> None:
        self.folder, self.ranges = folder, ranges
        self.cuts = _range_cuts(ranges)[1:-1] if ranges > 1 else None
        self.held: tuple[int, U64, I64, npt.NDArray[np.uint8]] | None = None  # (range, hashes, ranks, filter)
        # The owner of each shingle position of the run's one shard, where its bands task could
        # file them (write_owner_piece): then read by position, not looked up by hash.
        path = folder / "o0.positions.npy"
        self.positions = np.asarray(np.load(path, mmap_mode="r")) if ranges == 1 and path.exists() else None

    def _table(self, part: int) -> tuple[U64, I64, npt.NDArray[np.uint8]]:
        if self.held is None or self.held[0] != part:
            self.held = None  # the previous range's maps are closed first
            hashes = np.asarray(np.load(self.folder / f"o{part}.hashes.npy", mmap_mode="r"))
            ranks, filt = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
            if hashes.size:  # plain arrays over the maps: indexing a memmap makes a memmap of each result
                ranks = np.asarray(np.load(self.folder / f"o{part}.ranks.npy", mmap_mode="r"))
                filt = np.load(self.folder / f"o{part}.filter.npy")
            self.held = (part, hashes, ranks, filt)
        return self.held[1:]

    def owner_ranks(self, hashes: U64, own: I64, at: I64) -> I64:
        """The owner rank of each of ``hashes``; ``own`` is the rank of the document each was
        taken from, its owner when no other document holds it (no table row); ``at``, its
        position in the shard's shingles (read where the positions' owners were filed)."""
        if self.positions is not None:
            return self.positions[at].astype(np.int64)
        out = own.copy()
        part_of = None if self.cuts is None else np.searchsorted(self.cuts, hashes, side="right")
        for part in range(self.ranges):
            table, ranks, filt = self._table(part)
            if not table.size:
                continue
            if part_of is None:  # one range: every hash is the table's to look up
                where = np.flatnonzero(_in_filter(filt, hashes))
            else:
                where = np.flatnonzero(part_of == part)
                where = where[_in_filter(filt, hashes[where])]
            order = argsort_hashes(hashes[where])  # sorted needles: searchsorted walks the table forward (3x faster)
            where = where[order]
            needles = hashes[where]
            at = np.minimum(np.searchsorted(table, needles), table.size - 1)
            found = table[at] == needles
            out[where[found]] = ranks[at[found]]
        return out


# Passages are checked this many shingle positions at a time (whole documents), the summaries
# read as the chunks go: every position costs about 48 bytes across the arrays below, so a chunk
# holds ~12 MB however large the shard (one 30 MB shard held them all at once: 600 MB, the run's
# peak; chunks of 1M positions with the shard's summaries all read first: 150 MB). Chunks change
# no result.
PASSAGE_POSITIONS = 1 << 18


def shard_passages(
    summaries: Iterable[tuple[str, Summary]],
    first_rank: int,
    cfg: DedupConfig,
    folder: Path,
    ranges: int,
    skip: Sequence[int],
    present: Sequence[int],
    firsts: Sequence[int],
    before: int | None = None,
    own_ids: Sequence[str] = (),
) -> list[tuple[str, PassageFlag]]:
    """The passage task of one shard (passages, step 3): the shard's passages checked against
    earlier documents, with owners read from the range tables.
    ``skip`` lists the shard's near-duplicate documents (local positions): a copy of a
    whole document adds no passage flags. ``own_ids``: the shard's document ids when the caller
    holds them (a source in the shard is then named from them, not read from its id file).
    Returns ``(key, flag)`` in document and passage order."""
    index = _read_only(cfg.index, before)
    try:
        sets, others = _Sets(folder, present, firsts), _Ids(folder, present, firsts)
        tables = _OwnerTables(folder, ranges)

        def labels(rank: int) -> str:
            local = rank - first_rank
            return own_ids[local] if 0 <= local < len(own_ids) else others.get(rank)

        skipped = set(skip)
        flags: list[tuple[str, PassageFlag]] = []
        # The summaries are read a batch at a time (a batch's raw shingles, never the shard's),
        # and checked in chunks of consecutive documents of up to PASSAGE_POSITIONS positions,
        # which may span batches: a chunk's owner lookups cost about a millisecond however small
        # it is (the runner spills 256 summaries a batch).
        pieces: list[SummaryBatch] = []  # the chunk so far: slices of batches
        start = done = positions = 0  # the chunk's and the batch's first document in the shard
        shingle_start = shingles_done = 0  # the chunk's and the batch's first shingle in the shard

        def check() -> None:
            chunk = _join_batches(pieces)
            size = len(chunk.keys)
            local_skip = [i - start for i in skipped if start <= i < start + size]
            checked = _Chunk(chunk, first_rank + start, local_skip, shingle_start)
            flags.extend(_chunk_passages(checked, cfg, tables, index, sets, labels))

        for batch in summary_batches(summaries, cfg.lsh_bands):
            cut = 0  # the batch's first document not in ``pieces`` yet
            for i, size in enumerate(_passage_positions(batch)):
                if (pieces or i > cut) and positions + size > PASSAGE_POSITIONS:
                    if i > cut:
                        pieces.append(_slice_batch(batch, cut, i))
                    check()
                    pieces, positions, start, cut = [], 0, done + i, i
                    shingle_start = shingles_done + int(batch.offsets[i])
                positions += size
            if len(batch.keys) > cut:
                pieces.append(_slice_batch(batch, cut, len(batch.keys)))
            done += len(batch.keys)
            shingles_done += int(batch.offsets[-1])
        if pieces:
            check()
        return flags
    finally:
        if index is not None:
            index.close()


def _passage_positions(batch: SummaryBatch) -> list[int]:
    """Passage shingles of each document of a batch (the sum of its passage table's counts), in
    one array pass rather than a numpy sum per document.

    >>> table = np.array([[0, 9, 0, 3], [10, 20, 3, 4], [0, 5, 0, 2]])
    >>> batch = SummaryBatch(["a", "b", "c"], ["a", "b", "c"], np.zeros((3, 1), dtype=np.uint64),
    ...                      np.zeros(0, dtype=np.uint64), np.zeros(4, dtype=np.int64), table, np.array([0, 2, 2, 3]))
    >>> _passage_positions(batch)
    [7, 0, 2]
    """
    running = np.zeros(len(batch.passages) + 1, dtype=np.int64)  # passage shingles before each row
    np.cumsum(batch.passages[:, 3], out=running[1:])
    sizes: list[int] = np.diff(running[batch.passage_offsets]).tolist()
    return sizes


def _slice_batch(batch: SummaryBatch, lo: int, hi: int) -> SummaryBatch:
    """Documents ``[lo, hi)`` of a batch (views of its arrays)."""
    at, table_at = batch.offsets[lo : hi + 1], batch.passage_offsets[lo : hi + 1]
    return SummaryBatch(
        batch.keys[lo:hi],
        batch.ids[lo:hi],
        batch.band_keys[lo:hi],
        batch.shingles[at[0] : at[-1]],
        at - at[0],
        batch.passages[table_at[0] : table_at[-1]],
        table_at - table_at[0],
    )


def _join_batches(pieces: Sequence[SummaryBatch]) -> SummaryBatch:
    """Consecutive documents from several batches as one batch."""
    if len(pieces) == 1:
        return pieces[0]

    def offsets(parts: list[I64]) -> I64:
        ends = np.cumsum([part[-1] for part in parts])
        return np.concatenate([parts[0], *(part[1:] + end for part, end in zip(parts[1:], ends, strict=False))])

    return SummaryBatch(
        [key for piece in pieces for key in piece.keys],
        [doc_id for piece in pieces for doc_id in piece.ids],
        np.concatenate([piece.band_keys for piece in pieces]),
        np.concatenate([piece.shingles for piece in pieces]),
        offsets([piece.offsets for piece in pieces]),
        np.concatenate([piece.passages for piece in pieces]),
        offsets([piece.passage_offsets for piece in pieces]),
    )


@dataclass(frozen=True)
class _Chunk:
    """Consecutive documents of a shard whose passages are checked together."""

    batch: SummaryBatch
    first_rank: int
    skip: list[int]  # local positions in the chunk (others are outside it)
    first_shingle: int  # the place of the chunk's first shingle in the shard's


def _chunk_passages(
    chunk: _Chunk,
    cfg: DedupConfig,
    tables: _OwnerTables,
    index: DedupIndex | None,
    sets: _Sets,
    labels: Callable[[int], str],
) -> list[tuple[str, PassageFlag]]:
    threshold = cfg.passage_threshold
    batch, first_rank = chunk.batch, chunk.first_rank
    keys, doc_offsets, flat_raw, table = batch.keys, batch.offsets, batch.shingles, batch.passages
    passage_doc = np.repeat(np.arange(len(keys)), np.diff(batch.passage_offsets))
    sizes = table[:, 3]
    if index is None and tables.positions is not None:
        return _filed_chunk_passages(chunk, threshold, tables.positions, passage_doc, sets, labels)
    # Every shingle position inside a passage, passage by passage: its hash, its owner.
    starts = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    slot = np.repeat(np.arange(sizes.size), sizes)
    # A position's place in the raw shingles: its number plus its passage's shift (one gather).
    positions = np.arange(starts[-1])
    positions += (doc_offsets[passage_doc] + table[:, 2] - starts[:-1])[slot]
    hashes = flat_raw[positions]
    del flat_raw
    own_rank = first_rank + passage_doc
    own = own_rank[slot]  # the rank of each position's document
    positions += chunk.first_shingle
    owners = tables.owner_ranks(hashes, own, positions)
    del positions
    owned = np.bincount(slot[owners < own], minlength=sizes.size)
    del own
    keep = (sizes > 0) & (owned >= PREFILTER_SLACK * threshold * sizes)

    offset = 0
    if index is not None:
        is_sampled = sampled(hashes)
        owned_hashes, owner_rowids = index.owners(hashes[is_sampled])
        if owned_hashes.size:
            offset = int(owner_rowids.max()) + 1
            total = np.bincount(slot[is_sampled], minlength=sizes.size)
            at = np.minimum(np.searchsorted(owned_hashes, hashes), owned_hashes.size - 1)
            from_index = is_sampled & (owned_hashes[at] == hashes)
            by_index = np.bincount(slot[from_index], minlength=sizes.size)
            keep |= (total > 0) & (by_index >= INDEX_PREFILTER_SLACK * threshold * total)
            owners = np.where(from_index, owner_rowids[at] - offset, owners)
    if chunk.skip:
        keep &= ~np.isin(passage_doc, chunk.skip)
    checked = np.flatnonzero(keep)
    sources = SourceDocs(sets.get, labels, index.doc if index else None, offset)
    found = best_sources(hashes, starts, checked, own_rank[checked], owners, sources.shingles, threshold)
    return _passage_flags(found, checked, batch, passage_doc, sources)


def _filed_chunk_passages(
    chunk: _Chunk,
    threshold: float,
    filed: npt.NDArray[np.signedinteger[Any]],
    passage_doc: I64,
    sets: _Sets,
    labels: Callable[[int], str],
) -> list[tuple[str, PassageFlag]]:
    """:func:`_chunk_passages` where each shingle position's owner was filed (``filed``, by
    position in the shard) and there is no index: a passage's shingles owned by earlier
    documents are a sum over its run of the chunk's positions (a passage is a run of its
    document's positions), and only the passages the prefilter keeps (about 5% of the 30 MB
    text dump's positions) have their hashes and owners gathered, not every position's. The
    same flags."""
    batch, first_rank = chunk.batch, chunk.first_rank
    doc_offsets, table = batch.offsets, batch.passages
    sizes = table[:, 3]
    firsts = doc_offsets[passage_doc] + table[:, 2]  # each passage's first position in the chunk
    own = np.repeat(np.arange(first_rank, first_rank + len(batch.keys), dtype=filed.dtype), np.diff(doc_offsets))
    owners = filed[chunk.first_shingle : chunk.first_shingle + own.size]
    # Whether each position is owned by an earlier document, summed over each passage's run
    # (its first position, then its end: reduceat sums each such pair's run): a running count
    # over every position took 2.5x as long (0.74 against 0.31 ms for a chunk of 290 K positions
    # and 7,000 passages, as the Reuters bench's). One more position, never owned, so that every
    # index is one of the array's; a passage without shingles (which may start past the chunk's
    # last position: a short last passage of the last document) is never kept, whatever
    # reduceat gives for it.
    earlier = np.zeros(own.size + 1, dtype=np.uint8)
    np.less(owners, own, out=earlier[:-1].view(np.bool_))
    del own
    bounds = np.minimum(np.stack([firsts, firsts + sizes], axis=1).reshape(-1), owners.size)
    owned = np.add.reduceat(earlier, bounds, dtype=np.int64)[0::2]
    del earlier
    keep = (sizes > 0) & (owned >= PREFILTER_SLACK * threshold * sizes)
    if chunk.skip:
        keep &= ~np.isin(passage_doc, chunk.skip)
    checked = np.flatnonzero(keep)
    lengths = sizes[checked]
    starts = np.zeros(checked.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    positions = np.repeat(firsts[checked] - starts[:-1], lengths) + np.arange(starts[-1])
    own_rank = first_rank + passage_doc[checked]
    sources = SourceDocs(sets.get, labels, None, 0)
    hashes, named = batch.shingles[positions], owners[positions].astype(np.int64)
    found = best_sources(hashes, starts, np.arange(checked.size), own_rank, named, sources.shingles, threshold)
    return _passage_flags(found, checked, batch, passage_doc, sources)


def _passage_flags(
    found: Iterable[tuple[int, int, float]], checked: I64, batch: SummaryBatch, passage_doc: I64, sources: SourceDocs
) -> list[tuple[str, PassageFlag]]:
    """``(key, flag)`` of each passage best_sources found a source for (``(k, rank, score)``:
    passage ``checked[k]`` of the batch, ``passage_doc`` its document)."""
    flags: list[tuple[str, PassageFlag]] = []
    for k, rank, score in found:
        p = int(checked[k])
        start, end = int(batch.passages[p, 0]), int(batch.passages[p, 1])
        flags.append((batch.keys[int(passage_doc[p])], PassageFlag(start, end, sources.id(rank), round(score, 4))))
    return flags


def _load_labels(folder: Path, shard: int) -> tuple[_Strings, _Strings]:
    """A shard's document keys and ids, by position (:func:`_write_ids`)."""
    data = _files(folder, shard)["ids"].read_bytes()
    (count,) = np.frombuffer(data, dtype=np.int64, count=1).tolist()
    at: list[int] = np.frombuffer(data, dtype=np.int64, count=2 * count + 1, offset=8).tolist()
    raw = data[8 * (2 * count + 2) :]
    return _Strings(raw, at[count:]), _Strings(raw, at[: count + 1])


class _Strings(Sequence[str]):
    """Strings whose UTF-8 bytes lie one after another in ``data`` (string i's at ``data[at[i]:
    at[i + 1]]``), each decoded where it is read: a decisions task without passages reads the
    keys and ids of its cluster members only (1,700 of the Reuters bench's 20k documents)."""

    def __init__(self, data: bytes, at: list[int]) -> None:
        self.at = at
        self.text = data.decode("ascii") if data.isascii() else None  # ASCII: a character a byte
        self.data = data

    def __len__(self) -> int:
        return len(self.at) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        at = self.at  # string -1 ends at at[-1]; past either end, at[] raises the IndexError
        lo, hi = (at[i], at[i + 1]) if i >= 0 else (at[i - 1], at[i])
        return self.data[lo:hi].decode("utf-8", "surrogatepass") if self.text is None else self.text[lo:hi]

    def __iter__(self) -> Iterator[str]:  # every one (passages on: each key's position), no call for each
        spans = itertools.pairwise(self.at)
        if self.text is not None:
            text = self.text
            return (text[lo:hi] for lo, hi in spans)
        return (self.data[lo:hi].decode("utf-8", "surrogatepass") for lo, hi in spans)


def file_decisions(
    stage: Dedup, shards: Sequence[Sequence[tuple[str, Summary]]], run: TaskMap, folder: Path, filed: Sequence[Path]
) -> list[bool]:
    """The dedup decisions over the shards' summaries, taken by tasks that ``run`` places on the
    engine's workers (see the module docstring) and filed per shard at ``filed[i]`` by the last
    of them (:func:`shard_decisions`); returns which shards got a file. ``shards`` are in input
    order (each a sized iterable of ``(key, summary)``, e.g. the runner's spilled summaries,
    which pickle as their path); ``folder`` must be visible to every worker and is removed at
    the end."""
    cfg = stage.cfg
    if cfg.index:  # workers elsewhere, or in another folder, must find the same file
        cfg = dataclasses.replace(cfg, index=os.path.abspath(cfg.index))
    folder = Path(os.path.abspath(folder))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        return _decide(stage, cfg, shards, run, folder, filed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _decide(
    stage: Dedup,
    cfg: DedupConfig,
    shards: Sequence[Sequence[tuple[str, Summary]]],
    run: TaskMap,
    folder: Path,
    filed: Sequence[Path],
) -> list[bool]:
    counts = [len(s) for s in shards]
    present = [s for s, c in enumerate(counts) if c]
    firsts_all = np.zeros(len(shards) + 1, dtype=np.int64)
    np.cumsum(counts, out=firsts_all[1:])
    firsts = [int(firsts_all[s]) for s in present]
    groups = groups_of(cfg.lsh_bands)
    width = max(end - start for start, end in groups)
    partitions = partitions_for(int(firsts_all[-1]), width)
    index = None
    run_number = 0
    if cfg.index:  # created before workers read it; the run holds it until it commits
        from cleaner.dedup.index import DedupIndex

        stage.hold_index()
        try:
            index = DedupIndex.open(cfg.index, cfg)
            run_number = index.begin_run(stage.index_run, stage.index_run_kind, stage.run_options())
            index.conn.commit()
        except BaseException:
            if index is not None:
                index.close()
            stage.release_index()
            raise
    before = None
    try:
        alone = len(present) == 1
        bands_args = [(shards[s], s, int(firsts_all[s]), cfg, folder, partitions, before, alone) for s in present]
        bands = list(run(shard_bands, bands_args))
        cells = [(g, end - start, p) for g, (start, end) in enumerate(groups) for p in range(partitions)]
        found = sum(run(partition_pairs, [(folder, present, g, w, p) for g, w, p in cells]))
        # Verify blocks by the earlier rank: each gathers its pairs from every pairs file, so the
        # driver never holds the candidates, only the verified edges.
        n = int(firsts_all[-1])
        files = [(g, p) for g, _, p in cells]
        cuts = block_cuts(run, folder, files, n, found)
        blocks = [
            (folder, files, (lo, hi), present, firsts, cfg.threshold, b)
            for b, (lo, hi) in enumerate(itertools.pairwise(cuts))
        ]
        edges = sum(run(verify_block, blocks))

        # The keep rule as arrays (32 B per clustered document), filed per shard, by the driver
        # or by tasks (``cfg.components``); each shard's task then names its own documents'
        # decisions and files them: the driver holds no Python object per document.
        index_edges = [edge for b in bands for edge in b.index_edges]
        index_labels = {rowid: label for b in bands for rowid, label in b.index_labels.items()}
        counts_present = [counts[s] for s in present]
        if on_tasks(cfg.components, edges + len(index_edges)):
            involved, graph = index_graph(index_edges)
            k = len(involved)
            total = edges + len(index_edges)
            pieces = _components_in_tasks(run, folder, len(blocks), total, k, graph, present, firsts, counts_present)
        else:
            pieces = 0
            involved, nodes, roots, duplicate_of, similarity = cluster_arrays(
                _gathered_edges(folder, len(blocks)), index_edges
            )
            k = len(involved)
            write_cluster_decisions(folder, nodes, roots, duplicate_of, similarity, present, [k + f for f in firsts],
                                    counts_present)  # fmt: skip
            del nodes, roots, duplicate_of, similarity
        referenced = _index_references(folder, present, k, pieces)
        ranges = 0
        if cfg.passages:
            ranges = ranges_for(sum(b.shingles for b in bands))
            if not all(b.owner_table for b in bands):  # the run's one shard wrote it when it could
                list(run(range_owners, [(folder, present, part, ranges) for part in range(ranges)]))
        args = []
        for at, (s, b) in enumerate(zip(present, bands, strict=True)):
            named = {node: index_labels[involved[node]] for node in referenced[at]}
            notes = (b.indexed, b.versions)
            passages = (shards[s], ranges, before) if cfg.passages else None
            args.append((filed[s], cfg, folder, s, firsts[at], k, pieces, named, notes, present, firsts, passages))
        wrote = [False] * len(shards)
        for s, filed_one in zip(present, run(shard_decisions, args), strict=True):
            wrote[s] = filed_one
        if index is not None:
            import sqlite3  # the index's: imported with it

            try:
                _add_to_index(index, folder, present, [filed[s] if wrote[s] else None for s in present], run_number)
            except sqlite3.OperationalError as err:  # a full disk, most often: the write is rolled back
                index.conn.rollback()
                raise UsageError(
                    f"could not add this run to the index {cfg.index} ({err}): free space on its disk (or fix "
                    "its permissions) and run the same command again; the index is as it was before this run"
                ) from err
            if stage.run_id is None:  # a stage used alone: no caller to commit it later
                index.commit_run(stage.index_run)
                stage.release_index()
    except BaseException:
        stage.release_index()  # its rows stay pending (invisible): a rerun removes them
        raise
    finally:
        if index is not None:
            index.close()
    return wrote


def _gathered_edges(folder: Path, blocks: int) -> tuple[I64, I64, F64]:
    """Every verify block's edges on the driver (48 B per edge while they are joined)."""
    pieces = [_block_edges(folder, b) for b in range(blocks)]
    lo, hi, sim = (np.concatenate([p[column] for p in pieces]) for column in range(3))
    return lo, hi, sim


def _components_in_tasks(
    run: TaskMap,
    folder: Path,
    blocks: int,
    edges: int,
    k: int,
    index_edges: tuple[I64, I64, F64],
    shards: Sequence[int],
    firsts: Sequence[int],
    counts: Sequence[int],
) -> int:
    """Connected components and the keep rule in rounds of tasks (``cleaner.dedup.components``)
    over the verify blocks' edge files and the index's edges (``edges`` in all; nodes numbered as
    :func:`~cleaner.dedup.apply.cluster_arrays` does); each partition's task files its piece
    of every shard's rows. The driver holds one boolean per task and round, and the index's
    edges. Returns the number of pieces per shard."""
    cc = folder / "cc"
    cc.mkdir()
    index_lo, index_hi, index_sim = index_edges
    partitions = partitions_for_edges(edges)
    list(run(split_edges, [(folder, b, k, partitions) for b in range(blocks)]))
    sources = blocks
    if index_lo.size:  # the index's edges are on the driver already (its bands tasks found them)
        write_edge_pieces(cc, blocks, index_lo, index_hi, index_sim, partitions)
        sources += 1
    final, star_sources = find_components(cc, sources, run, partitions)
    starts = [k + f for f in firsts]
    args = [(cc, final, star_sources, sources, p, folder, shards, starts, counts) for p in range(partitions)]
    list(run(file_keep_rule, args))
    remove_pieces(cc)
    return partitions


def _index_references(folder: Path, shards: Sequence[int], k: int, pieces: int) -> list[list[int]]:
    """For each shard, the index nodes (``< k``) its cluster rows name as root or duplicate_of."""
    if k == 0:
        return [[] for _ in shards]
    out = []
    for shard in shards:
        _, roots, duplicate_of, _ = read_cluster_decisions(folder, shard, pieces)
        named = np.concatenate([roots, duplicate_of])
        out.append(np.unique(named[(named >= 0) & (named < k)]).tolist())
    return out


def shard_decisions(
    filed: Path,
    cfg: DedupConfig,
    folder: Path,
    shard: int,
    first_rank: int,
    k: int,
    pieces: int,
    index_labels: dict[int, tuple[str, str]],
    notes: tuple[dict[int, tuple[str, str]], dict[int, str]],
    present: Sequence[int],
    firsts: Sequence[int],
    passages: tuple[Iterable[tuple[str, Summary]], int, int | None] | None,
) -> bool:
    """The decisions task of one shard (step 5, with its passages): its cluster members'
    decisions from the shard's rows of the keep rule (:func:`~cleaner.dedup.apply.member_decision`,
    with the ids of the ranks they name read from their shards' labels), what the index already
    holds, then its passage flags (``passages``: the shard's summaries, the number of owner
    ranges, ``before``; None when passages are off). Files them at ``filed``, in document order;
    returns whether there were any. ``pieces``: how many pieces its rows were filed in (0: one
    file); ``index_labels``: ``(id, cluster)`` of the index nodes (``< k``) its rows name;
    ``notes``: the shard's ``indexed`` and ``versions`` (ShardBands)."""
    keys, ids = _load_labels(folder, shard)
    local, roots, duplicate_of, similarity = read_cluster_decisions(folder, shard, pieces)
    others = _Ids(folder, present, firsts)

    # The ids this task read, by node: a cluster's root is named by each of its members (two
    # seeks and reads each, _Ids.get, for another shard's document; the shard's own are in
    # ``ids``: the Reuters bench's one shard read 849 roots' ids again from its own file).
    # The shard's rows name at most two nodes a member.
    named: dict[int, tuple[str, str]] = {}
    own = range(k + first_rank, k + first_rank + len(ids))

    def id_and_cluster(node: int) -> tuple[str, str]:
        if node < k:
            return index_labels[node]
        found = named.get(node)
        if found is None:
            doc_id = ids[node - own.start] if node in own else others.get(node - k)
            found = named[node] = (doc_id, doc_id)
        return found

    by_position: dict[int, Decision] = {}
    # The rows as Python values in one pass each (not four numpy scalars a member).
    rows = zip(local.tolist(), roots.tolist(), duplicate_of.tolist(), similarity.tolist(), strict=True)
    for i, root, dup_of, sim in rows:
        by_position[i] = member_decision(ids[i], root, dup_of, sim, id_and_cluster)
    indexed, versions = notes
    for i, (where, cluster) in indexed.items():
        doc_id = ids[i]
        dup = DuplicateOf(cluster) if cluster == doc_id else DuplicateOf(cluster, cluster)
        by_position[i] = Decision(dup, indexed=where)
    for i, where in versions.items():
        current = by_position.get(i) or Decision(DuplicateOf(ids[i]))
        dup = dataclasses.replace(current.duplicate or DuplicateOf(ids[i]), version_of=where)
        by_position[i] = dataclasses.replace(current, duplicate=dup)
    if passages is not None:
        summaries, ranges, before = passages
        # A copy of a whole document adds no passage flags: near-duplicates and indexed ones.
        skip = sorted(i for i, d in by_position.items() if d.is_near_duplicate or d.indexed)
        flags: dict[int, list[PassageFlag]] = {}
        position = {key: i for i, key in enumerate(keys)}
        for key, flag in shard_passages(summaries, first_rank, cfg, folder, ranges, skip, present, firsts, before,
                                        ids):  # fmt: skip
            flags.setdefault(position[key], []).append(flag)
        for i, doc_flags in flags.items():
            current = by_position.get(i) or Decision()
            by_position[i] = Decision(current.duplicate, tuple(doc_flags))
    return write_decisions(filed, {keys[i]: by_position[i] for i in sorted(by_position)})


def _write_ids(files: dict[str, Path], keys: Sequence[str], ids: Sequence[str]) -> None:
    """A shard's document ids, for reading one at a time by position (:class:`_Ids`), and its
    keys (both read whole by :func:`_load_labels`), in one file (two fewer to create, open and
    remove a shard than ids, their offsets and labels apart): how many (n, int64), where each id
    then each key starts (2n + 1 int64) in the bytes that follow, and their UTF-8 bytes one
    after another. Not the labels pickled: on the Reuters bench's 20k documents writing took 7.9
    -> 3.1 ms of a --no-passages run (in process), and a decisions task reading its 1,700
    members' keys and ids 3.1 -> 2.3 ms (medians of 31)."""
    data, lengths = _utf8(itertools.chain(ids, keys))
    at = np.zeros(len(lengths) + 2, dtype=np.int64)
    at[0] = len(ids)
    np.cumsum(lengths, out=at[2:])
    with atomic_file(files["ids"]) as fh:
        fh.write(at.tobytes())
        fh.write(data)


def _utf8(texts: Iterable[str]) -> tuple[bytes, list[int]]:
    """The UTF-8 bytes of ``texts`` one after another (lone surrogates kept), and the length of
    each: all encoded at once where they are ASCII (a byte a character), else one at a time."""
    texts = list(texts)
    joined = "".join(texts)
    data = joined.encode("utf-8", "surrogatepass")
    if len(data) == len(joined):
        return data, list(map(len, texts))
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    return b"".join(encoded), list(map(len, encoded))


class _Ids(_OpenShards):
    """Document ids by rank, each read alone from its shard's id file (two seeks and reads of
    a few bytes): a task that names documents of many shards reads what it names, never their
    whole label files (on a web crawl, where pages are copied from everywhere, a shard's rows
    may name most shards: reading their labels whole made the run's reads grow as shards²)."""

    def _open(self, files: dict[str, Path]) -> tuple[tuple[BinaryIO, ...], Any]:
        fh = open(files["ids"], "rb")  # noqa: SIM115 (closed on eviction or with the object)
        (count,) = np.frombuffer(fh.read(8), dtype=np.int64).tolist()
        return (fh,), 8 * (2 * count + 2)  # where the ids' bytes start

    def get(self, rank: int) -> str:
        (fh,), data_at, local = self.opened(rank)
        fh.seek(8 + local * 8)
        lo, hi = np.frombuffer(fh.read(16), dtype=np.int64).tolist()
        fh.seek(data_at + lo)
        return fh.read(hi - lo).decode("utf-8", "surrogatepass")


def _add_to_index(
    index: DedupIndex, folder: Path, present: Sequence[int], filed: Sequence[Path | None], run_number: int
) -> None:
    """Add the run to the persistent index as pending rows of run ``run_number``, in rank order,
    from the shards' files and their filed decisions (SQLite has one writer: this stays on the
    driver, streaming one shard at a time). Documents already indexed are not added again."""

    def rows() -> Iterator[tuple[str, str, U64, U64, int]]:
        for s, decided in zip(present, filed, strict=True):
            decisions: dict[str, Decision] = read_decisions(decided) if decided is not None else {}
            files = _files(folder, s)
            bkeys = np.load(files["bkeys.npy"])
            values = np.load(files["shingles.npy"], mmap_mode="r")
            with open(files["shingles.npy"], "rb") as fh:
                (offsets,) = load_after(fh, 1)
            contents = np.load(files["content.npy"])
            for i, (key, doc_id) in enumerate(zip(*_load_labels(folder, s), strict=True)):
                decision = decisions.get(key)
                if decision is not None and decision.indexed is not None:
                    continue
                cluster = decision.duplicate.cluster if decision is not None and decision.duplicate else doc_id
                shingles = np.asarray(values[offsets[i] : offsets[i + 1]])
                yield doc_id, cluster, bkeys[i], shingles, int(contents[i])

    rowids = index.add(rows())
    index.finish_add(run_number, rowids)
    index.conn.commit()
