"""The dedup stage: verified MinHash clusters of near-duplicate documents, and reused passages.

It is a CorpusStage (see cleaner.stage) in three steps:

- ``summarize(doc)`` (workers): word 5-gram shingle hashes of the dedup key, the MinHash
  signature (datasketch-compatible, see :mod:`cleaner.dedup.signatures`) and, with passages on,
  the passages' spans and shingles. ``summarize_many(docs)`` does a batch in one go (faster).
- ``decide(keyed_summaries)`` (driver, all documents in input order): band keys -> candidate
  pairs within the run and against the persistent index -> exact Jaccard verification ->
  union-find -> keep rule (indexed documents win, then input order, ties by id); passage
  matching; then the run's documents are added to the index.
- ``apply(doc, decision)`` (workers): sets ``duplicate`` and ``passages``; drops near-duplicates
  (``dedup.near_duplicate_doc``) unless ``drop_duplicates`` is off, and removes flagged passages
  when ``drop_duplicate_passages`` is on.

>>> from cleaner.config import DedupConfig
>>> from cleaner.record import Document, Source
>>> stage = Dedup(DedupConfig(passages=False))
>>> text = "the quick brown fox jumps over the lazy dog near the river bank today"
>>> docs = [Document(id=i, text=t, source=Source(i)) for i, t in
...         [("a", text), ("b", text + "!"), ("c", "something else entirely, five words at least")]]
>>> decisions = stage.decide([(str(d.source), stage.summarize(d)) for d in docs])
>>> [stage.apply(d, decisions.get(str(d.source))).status for d in docs]
['kept', 'dropped', 'kept']
>>> stage.apply(docs[1], decisions["b"]).duplicate
DuplicateOf(cluster='a', duplicate_of='a', similarity=1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cleaner.config import DedupConfig
from cleaner.dedup.apply import Decision, PassageFlag, apply_decision, cluster_decisions
from cleaner.dedup.cluster import candidate_pairs, jaccard_distinct, verify_pairs
from cleaner.dedup.index import DedupIndex, check
from cleaner.dedup.owners import HASH_RANGES, first_positions, owner_counts
from cleaner.dedup.passages import (
    INDEX_PREFILTER_SLACK,
    PREFILTER_SLACK,
    SourceDocs,
    best_source,
    sampled,
    split_passages,
)
from cleaner.dedup.shingles import Shingler, repair
from cleaner.dedup.signatures import Signer, band_keys
from cleaner.dedup.store import ShingleStore
from cleaner.record import Document
from cleaner.stage import TaskMap

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

__all__ = ["Decision", "Dedup", "PassageFlag", "Summary"]

_NO_PASSAGES: I64 = np.zeros((0, 4), dtype=np.int64)
# Candidate passage shingles checked per batch: ~40 bytes each while their owners are found
# (about 0.16 GB), at the cost of one streaming pass over the run's shingles per batch.
CANDIDATE_BATCH = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Summary:
    """What a worker sends the driver for one document: compact arrays, no text."""

    id: str
    signature: U32  # num_perm uint32 values
    shingles: U64  # shingle hashes of the whole document (may repeat)
    # One row per passage: start and end (character offsets into doc.text), then the run of
    # shingles lying wholly inside it (first index into ``shingles``, count): a passage's
    # shingles are a slice of its document's, never a copy.
    passages: I64 = field(default_factory=lambda: _NO_PASSAGES)


def _key_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Passage spans moved from ``text`` to its dedup key (repaired, case-folded).

    Spans start and end between words, and repair and case folding work word by word and
    character by character, so the key of a prefix is the prefix of the key.

    >>> _key_spans("Straße und mehr", [(0, 6), (11, 15)])
    [(0, 7), (12, 16)]
    """
    out: list[tuple[int, int]] = []
    pos = key_pos = 0
    for start, end in spans:
        key_pos += len(repair(text[pos:start]).casefold())
        key_start = key_pos
        key_pos += len(repair(text[start:end]).casefold())
        out.append((key_start, key_pos))
        pos = end
    return out


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


class Dedup:
    """The dedup CorpusStage (see the module docstring)."""

    name = "dedup"

    def __init__(self, cfg: DedupConfig, hash_ranges: int = HASH_RANGES) -> None:
        self.cfg = cfg
        # Hash ranges of the passage owner step (cleaner.dedup.owners): memory, never results,
        # depends on it.
        self.hash_ranges = hash_ranges
        self._shingler: Shingler | None = None
        self._signer: Signer | None = None
        self.run_id: str | None = None

    def setup(self) -> None:
        self._shingler = Shingler(self.cfg.ngram)
        self._signer = Signer(self.cfg.num_perm, self.cfg.seed)

    def prepare(self, run_id: str | None = None) -> None:
        """The runner's hook before a run: check the index (see ``check_index``), and note the
        run's id (the same for the same inputs and options), under which the run's documents
        are recorded in the index, so that a resumed run recognises its own rows."""
        self.check_index()
        self.run_id = run_id

    def check_index(self) -> None:
        """Raise IndexMismatchError now (not after every document is read) when ``cfg.index``
        was built with other parameters; the driver should call this before a run."""
        if self.cfg.index:
            check(self.cfg.index, self.cfg)

    def _tools(self) -> tuple[Shingler, Signer]:
        if self._shingler is None or self._signer is None:
            self._shingler = Shingler(self.cfg.ngram)
            self._signer = Signer(self.cfg.num_perm, self.cfg.seed)
        return self._shingler, self._signer

    # -- workers ---------------------------------------------------------------------------
    def summarize(self, doc: Document) -> Summary:
        return self.summarize_many([doc])[0]

    def summarize_many(self, docs: Sequence[Document]) -> list[Summary]:
        """Summaries of a batch, equal to ``[summarize(d) for d in docs]``: one array pass over
        all texts, about 2.5x faster than one document at a time on news-length documents, so a
        runner that has a shard in hand should call this."""
        shingler, signer = self._tools()
        texts = [d.text for d in docs]
        if not self.cfg.passages:
            hashes, offsets = shingler.hash_batch(texts)
            sigs = signer.sign(hashes, offsets)
            at = offsets.tolist()  # Python ints: slicing with numpy scalars is several times slower
            return [Summary(d.id, sigs[i], hashes[at[i] : at[i + 1]]) for i, d in enumerate(docs)]
        hashes, offsets, bounds, token_offsets = shingler.hash_batch_tokens(texts)
        sigs = signer.sign(hashes, offsets)
        at = offsets.tolist()
        spans = [split_passages(t) for t in texts]
        windows = self._windows(texts, spans, bounds, token_offsets)
        out: list[Summary] = []
        p = 0
        for i, doc in enumerate(docs):
            q = p + len(spans[i])
            rows = np.hstack([np.array(spans[i], dtype=np.int64).reshape(-1, 2), windows[p:q]]) if q > p else None
            out.append(Summary(doc.id, sigs[i], hashes[at[i] : at[i + 1]], _NO_PASSAGES if rows is None else rows))
            p = q
        return out

    def _windows(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], bounds: I64, token_offsets: I64
    ) -> I64:
        """(first shingle, count) of each passage: the shingles whose words all lie inside it.

        Word positions are in the dedup key, so passage spans are mapped from the text to the
        key first (the same offsets for ASCII text; case folding can change lengths otherwise).
        One search over the whole batch: each text's positions are shifted past the previous
        texts'.
        """
        key_spans = [s if t.isascii() else _key_spans(t, s) for t, s in zip(texts, spans, strict=True)]
        key_lengths = [len(t) if t.isascii() else len(repair(t).casefold()) for t in texts]
        base = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.array(key_lengths, dtype=np.int64) + 1, out=base[1:])
        n_passages = [len(s) for s in key_spans]
        flat = np.array([x for doc in key_spans for x in doc], dtype=np.int64).reshape(-1, 2)
        if flat.size == 0:
            return np.zeros((0, 2), dtype=np.int64)
        doc_of = np.repeat(np.arange(len(texts)), n_passages)
        shifted = flat + base[doc_of][:, None]
        words = bounds + np.repeat(base[:-1], np.diff(token_offsets))[:, None]
        first = np.searchsorted(words[:, 0], shifted[:, 0], side="left")
        last = np.searchsorted(words[:, 1], shifted[:, 1], side="right")  # words ending inside
        count = np.maximum(last - first - self.cfg.ngram + 1, 0)
        first_local = first - token_offsets[doc_of]
        return np.stack([first_local, count], axis=1).astype(np.int64)

    def decide_sharded(
        self, shards: Sequence[Sequence[tuple[str, Summary]]], run: TaskMap, folder: Path
    ) -> Mapping[str, Decision]:
        """``decide`` with the heavy steps in tasks on an engine's workers (``run`` maps a
        function over argument tuples there); the same decisions. See cleaner.dedup.sharded."""
        from cleaner.dedup.sharded import decide_sharded

        return decide_sharded(self, shards, run, folder)

    def apply(self, doc: Document, decision: Decision | None) -> Document:
        return apply_decision(doc, decision, self.cfg)

    # -- driver ----------------------------------------------------------------------------
    def decide(self, summaries: Iterable[tuple[str, Summary]]) -> Mapping[str, Decision]:
        """Decisions for the documents that need one (cluster members, flagged passages), by key.

        Memory: signatures stay in one uint32 array (512 bytes per document at 128
        permutations) plus 16 band keys; shingle hashes go to a temporary spill file and are
        read back only for the pairs being verified. With passages on, the owner counts stream
        them back once per hash range (``cleaner.dedup.owners``): about 40 bytes per word of one
        range at a time, 1/16 of the run.
        """
        cfg = self.cfg
        keys: list[str] = []
        ids: list[str] = []
        sig_rows: list[U32] = []
        doc_store = ShingleStore()
        passages: list[I64] = []
        try:
            for key, summary in summaries:
                keys.append(key)
                ids.append(summary.id)
                sig_rows.append(summary.signature)
                doc_store.append(summary.shingles)
                if cfg.passages:
                    passages.append(summary.passages)
            n = len(keys)
            sigs = np.vstack(sig_rows) if sig_rows else np.zeros((0, cfg.num_perm), dtype=np.uint32)
            del sig_rows
            bkeys = band_keys(sigs, cfg.bands, cfg.rows)
            index = DedupIndex.open(cfg.index, cfg) if cfg.index else None
            try:
                replay = index is not None and index.resume(self.run_id)  # an interrupted attempt added us
                decisions = self._decide(keys, ids, bkeys, passages, doc_store, index)
                if index is not None and not replay:
                    clusters = {k: d.duplicate.cluster for k, d in decisions.items() if d.duplicate}
                    rowids = index.add(
                        (ids[i], clusters.get(keys[i], ids[i]), sigs[i], bkeys[i], doc_store.distinct(i, cache=False))
                        for i in range(n)
                    )
                    if self.run_id is not None:
                        index.record_run(self.run_id, rowids)
                    index.conn.commit()
            finally:
                if index is not None:
                    index.close()
        finally:
            doc_store.close()
        return decisions

    def _decide(
        self,
        keys: list[str],
        ids: list[str],
        bkeys: U64,
        passages: list[I64],
        doc_store: ShingleStore,
        index: DedupIndex | None,
    ) -> dict[str, Decision]:
        cfg = self.cfg
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
            self._passages(keys, ids, passages, doc_store, index, decisions)
        return decisions

    def _passages(
        self,
        keys: list[str],
        ids: list[str],
        passages: list[I64],
        doc_store: ShingleStore,
        index: DedupIndex | None,
        decisions: dict[str, Decision],
    ) -> None:
        """Flag passages of kept documents found in earlier documents (of the index or the run)."""
        n = len(keys)
        threshold = self.cfg.passage_threshold
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
            self.hash_ranges,
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
            flat, ranks, starts = self._candidate_owners(batch, passage_doc, table, doc_store, doc_offsets)
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

    @staticmethod
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
