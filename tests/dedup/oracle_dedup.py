"""Test oracle (never called by cleaner itself): the dedup decisions taken in one piece.

Every summary in one process: band keys in one array, shingles on a spill file
(:mod:`oracle_store`), candidate pairs over all band keys at once (:mod:`oracle_cluster`), and
passage owners one hash range at a time (:mod:`oracle_owners`). Written apart from the tasks of
:mod:`cleaner.dedup.sharded`, it is what tests/dedup/test_dedup_sharded.py compares production's
decisions with.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import numpy.typing as npt
from oracle_cluster import candidate_pairs, verify_pairs
from oracle_owners import HASH_RANGES, first_positions, owner_counts
from oracle_store import ShingleStore

from cleaner.config import DedupConfig
from cleaner.dedup import Dedup, Summary
from cleaner.dedup.apply import Decision, PassageFlag, cluster_decisions
from cleaner.dedup.cluster import jaccard_distinct
from cleaner.dedup.index import DedupIndex, content_hash
from cleaner.dedup.passages import INDEX_PREFILTER_SLACK, PREFILTER_SLACK, SourceDocs, best_source, sampled

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_NO_PASSAGES: I64 = np.zeros((0, 4), dtype=np.int64)
# Candidate passage shingles checked per batch: ~40 bytes each while their owners are found.
CANDIDATE_BATCH = 4 * 1024 * 1024


def _batches(items: list[int], sizes: I64, budget: int) -> Iterator[list[int]]:
    """``items`` in order, cut into runs whose ``sizes`` add up to at most ``budget`` (a single
    larger item makes a run of its own).

    >>> list(_batches([0, 1, 2, 3], np.array([2, 2, 5, 1]), 4))
    [[0, 1], [2], [3]]
    """
    batch: list[int] = []
    total = 0
    for item in items:
        size = int(sizes[item])
        if batch and total + size > budget:
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += size
    if batch:
        yield batch


def one_piece_decide(
    stage: Dedup, summaries: Iterable[tuple[str, Summary]], hash_ranges: int = HASH_RANGES
) -> dict[str, Decision]:
    """Decisions for the documents that need one (cluster members, flagged passages), by key.

    Memory: band keys stay in one uint64 array (128 bytes per document at 16 bands); shingle
    hashes go to a temporary spill file and are read back only for the pairs being verified.
    With passages on, the owner counts stream them back once per hash range
    (``cleaner.dedup.owners``): about 40 bytes per word of one range at a time, 1/16 of the run.
    """
    cfg = stage.cfg
    keys: list[str] = []
    ids: list[str] = []
    key_rows: list[U64] = []
    doc_store = ShingleStore()
    passages: list[I64] = []
    contents: list[int] = []
    try:
        for key, summary in summaries:
            keys.append(key)
            ids.append(summary.id)
            key_rows.append(summary.band_keys)
            doc_store.append(summary.shingles)
            contents.append(content_hash(summary.shingles))
            if cfg.passages:
                passages.append(summary.passages)
        n = len(keys)
        bkeys = np.vstack(key_rows) if key_rows else np.zeros((0, cfg.lsh_bands), dtype=np.uint64)
        del key_rows
        index = DedupIndex.open(cfg.index, cfg) if cfg.index else None
        try:
            # The oracle covers documents new to the index (ids not indexed before): the run's
            # rows go in as a pending run and, the stage being used alone, are committed at once.
            number = index.begin_run(stage.index_run, "batch") if index is not None else 0
            decisions = _decide(cfg, hash_ranges, keys, ids, bkeys, passages, doc_store, index)
            if index is not None:
                clusters = {k: d.duplicate.cluster for k, d in decisions.items() if d.duplicate}
                rowids = index.add(
                    (
                        ids[i],
                        clusters.get(keys[i], ids[i]),
                        bkeys[i],
                        doc_store.distinct(i, cache=False),
                        contents[i],
                    )
                    for i in range(n)
                )
                index.finish_add(number, rowids)
                index.commit_run(stage.index_run)
        finally:
            if index is not None:
                index.close()
    finally:
        doc_store.close()
    return decisions


def _decide(
    cfg: DedupConfig,
    hash_ranges: int,
    keys: list[str],
    ids: list[str],
    bkeys: U64,
    passages: list[I64],
    doc_store: ShingleStore,
    index: DedupIndex | None,
) -> dict[str, Decision]:
    n = len(keys)
    empty = [doc_store.size(i) == 0 for i in range(n)]
    # A document without words is nobody's duplicate (all its signatures are equal).
    worded = np.flatnonzero(~np.array(empty, dtype=np.bool_)) if n else np.zeros(0, dtype=np.int64)

    def jaccard_new(i: int, j: int) -> float:
        return jaccard_distinct(doc_store.distinct(i), doc_store.distinct(j))

    pairs = worded[candidate_pairs(bkeys[worded])] if worded.size else np.zeros((0, 2), dtype=np.int64)
    new_edges = verify_pairs(((int(i), int(j)) for i, j in pairs), jaccard_new, cfg.threshold)
    # Indexed documents: query-then-verify for each new document.
    index_edges: list[tuple[int, int, float]] = []  # (rowid, new doc, similarity)
    index_docs: dict[int, tuple[str, str, U64]] = {}
    if index is not None:
        for i in worded.tolist():
            found = index.matches(bkeys[i], doc_store.distinct(i), cfg.threshold, index_docs)
            index_edges.extend((rowid, i, s) for rowid, s in found)
    # Keep rule by rank: indexed documents first (rowid order), then this run's in input order.
    run_edges = ([i for i, _, _ in new_edges], [j for _, j, _ in new_edges], [x for _, _, x in new_edges])
    index_labels = {rowid: index_docs[rowid][:2] for rowid, _, _ in index_edges}
    decisions = cluster_decisions(run_edges, index_edges, index_labels, lambda i: (keys[i], ids[i]))
    if cfg.passages:
        _passages(cfg, hash_ranges, keys, ids, passages, doc_store, index, decisions)
    return decisions


def _passages(
    cfg: DedupConfig,
    hash_ranges: int,
    keys: list[str],
    ids: list[str],
    passages: list[I64],
    doc_store: ShingleStore,
    index: DedupIndex | None,
    decisions: dict[str, Decision],
) -> None:
    """Flag passages of kept documents found in earlier documents (of the index or the run)."""
    n = len(keys)
    threshold = cfg.passage_threshold
    doc_offsets = np.asarray(doc_store.offsets(), dtype=np.int64)
    passage_doc = np.repeat(np.arange(n), [len(rows) for rows in passages])
    table = np.concatenate(passages) if passages else _NO_PASSAGES  # start, end, first, count
    sizes = table[:, 3]
    # Each passage's shingles are a slice of its document's: positions among all the run's.
    slice_start = doc_offsets[passage_doc] + table[:, 2]
    # Owners one hash range at a time (cleaner.dedup.owners): the same counts as one owner
    # map of every shingle of the run, in 1/HASH_RANGES of the memory.
    counts = owner_counts(
        doc_store.chunks,
        doc_offsets,
        slice_start,
        sizes,
        hash_ranges,
        index.owners if index is not None else None,
    )
    keep = (sizes > 0) & (counts.owned >= PREFILTER_SLACK * threshold * sizes)
    offset = 0
    if counts.max_rowid >= 0:
        # Indexed owners rank before every document of the run: negative ranks, rowid order.
        offset = counts.max_rowid + 1
        total = counts.sampled
        keep |= (total > 0) & (counts.owned_by_index >= INDEX_PREFILTER_SLACK * threshold * total)
    candidates = [
        p
        for p in np.flatnonzero(keep).tolist()
        if not ((d := decisions.get(keys[int(passage_doc[p])])) is not None and d.is_near_duplicate)
    ]
    sources = SourceDocs(doc_store.distinct, ids.__getitem__, index.doc if index else None, offset)

    flags: dict[int, list[PassageFlag]] = {}
    # A copy of a whole document: its passages add nothing (skipped above). The exact check
    # needs the candidates' shingles and their owners only, a bounded batch at a time.
    for batch in _batches(candidates, table[:, 3], CANDIDATE_BATCH):
        flat, ranks, starts = _candidate_owners(batch, passage_doc, table, doc_store, doc_offsets)
        if index is not None and offset > 0 and flat.size:
            is_sampled = sampled(flat)
            owned_hashes, owner_rowids = index.owners(flat[is_sampled])
            if owned_hashes.size:
                at = np.minimum(np.searchsorted(owned_hashes, flat), owned_hashes.size - 1)
                from_index = is_sampled & (owned_hashes[at] == flat)
                ranks = np.where(from_index, owner_rowids[at] - offset, ranks)
        for c, p in enumerate(batch):
            i = int(passage_doc[p])
            lo, hi = int(starts[c]), int(starts[c + 1])
            found = best_source(flat[lo:hi], i, ranks[lo:hi], sources.shingles, threshold)
            if found is not None:
                start, end = int(table[p, 0]), int(table[p, 1])
                flags.setdefault(i, []).append(PassageFlag(start, end, sources.id(found[0]), round(found[1], 4)))
    for i, doc_flags in flags.items():
        current = decisions.get(keys[i]) or Decision()
        decisions[keys[i]] = Decision(current.duplicate, tuple(doc_flags))


def _candidate_owners(
    candidates: list[int], passage_doc: I64, table: I64, doc_store: ShingleStore, doc_offsets: I64
) -> tuple[U64, I64, I64]:
    """The candidate passages' shingles end to end, the run owner (document rank) of each,
    and where each passage starts among them (len(candidates) + 1 values)."""
    pieces: list[U64] = []
    current, shingles = -1, np.zeros(0, dtype=np.uint64)
    for p in candidates:
        i = int(passage_doc[p])
        if i != current:
            current, shingles = i, doc_store.get(i)
        first, count = int(table[p, 2]), int(table[p, 3])
        pieces.append(shingles[first : first + count])
    starts = np.zeros(len(candidates) + 1, dtype=np.int64)
    np.cumsum([piece.size for piece in pieces], out=starts[1:])
    flat = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint64)
    wanted = np.unique(flat)
    owner_pos = first_positions(doc_store.chunks, wanted)
    owner_rank = np.searchsorted(doc_offsets, owner_pos, side="right") - 1
    ranks = owner_rank[np.searchsorted(wanted, flat)] if flat.size else np.zeros(0, dtype=np.int64)
    return flat, ranks.astype(np.int64), starts
