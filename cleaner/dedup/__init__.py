"""The dedup stage: verified MinHash clusters of near-duplicate documents, and reused passages.

It is a CorpusStage (see cleaner.stage) in three steps:

- ``summarize(doc)`` (workers): word 5-gram shingle hashes of the dedup key, the LSH band keys
  of its MinHash signature (datasketch-compatible, see :mod:`cleaner.dedup.signatures`) and,
  with passages on, the passages' spans and shingles. ``summarize_many(docs)`` does a batch in one go (faster).
- ``file_decisions(shards, run, folder, filed)`` (tasks keyed by source, on an engine's workers
  or, for the library and ``explain``, in process: :func:`cleaner.stage.decide_in_process`, through
  ``decide_sharded``): band keys -> candidate pairs within the run and against the persistent
  index -> exact Jaccard verification -> connected components -> keep rule (indexed documents
  win, then input order, ties by id); passage matching; each shard's decisions filed for its
  next task; then the run's documents are added to the index. See :mod:`cleaner.dedup.sharded`.
- ``apply(doc, decision)`` (workers): sets ``duplicate`` and ``passages``; drops near-duplicates
  (``dedup.near_duplicate_doc``) unless ``drop_duplicates`` is off, and removes flagged passages
  when ``drop_duplicate_passages`` is on.

>>> from cleaner.config import DedupConfig
>>> from cleaner.record import Document, Source
>>> from cleaner.stage import decide_in_process
>>> stage = Dedup(DedupConfig(passages=False))
>>> text = "the quick brown fox jumps over the lazy dog near the river bank today"
>>> docs = [Document(id=i, text=t, source=Source(i)) for i, t in
...         [("a", text), ("b", text + "!"), ("c", "something else entirely, five words at least")]]
>>> decisions = decide_in_process(stage, [[(str(d.source), stage.summarize(d)) for d in docs]])
>>> [stage.apply(d, decisions.get(str(d.source))).status for d in docs]
['kept', 'dropped', 'kept']
>>> stage.apply(docs[1], decisions["b"]).duplicate
DuplicateOf(cluster='a', duplicate_of='a', similarity=1.0, version_of=None)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from cleaner.config import DedupConfig
from cleaner.dedup.apply import Decision, PassageFlag, apply_decision
from cleaner.dedup.passages import split_passages_batch
from cleaner.dedup.shingles import Shingler, repair, repairs_nothing
from cleaner.dedup.signatures import Signer, band_keys
from cleaner.record import Document
from cleaner.stage import RECORDS_UNREAD, SummaryColumns, TaskMap, gather_decisions

if TYPE_CHECKING:
    import numpy.typing as npt  # for the checker only: importing numpy.typing cost every run 0.6 ms

    from cleaner.dedup.index import IndexLock

U64: TypeAlias = "npt.NDArray[np.uint64]"
I64: TypeAlias = "npt.NDArray[np.int64]"

__all__ = ["Decision", "Dedup", "PassageFlag", "Summary"]

_NO_PASSAGES: I64 = np.zeros((0, 4), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a worker sends the driver for one document: compact arrays, no text.

    Its MinHash signature only as the LSH band keys made of it (``lsh_bands`` uint64 values,
    :func:`~cleaner.dedup.signatures.band_keys`): the barrier and the persistent index read
    nothing else of it, and the spill holds 128 B a document instead of the 512 B of 128 uint32
    values (``Signer`` gives the signature itself, e.g. for ``to_lean_minhash``)."""

    id: str
    band_keys: U64  # lsh_bands uint64 values
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


class Dedup:
    """The dedup CorpusStage (see the module docstring)."""

    name = "dedup"
    unread = RECORDS_UNREAD  # the earlier stages' drops, edits and signals (see cleaner.stage)

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self._shingler: Shingler | None = None
        self._signer: Signer | None = None
        self.run_id: str | None = None
        # How the index names the run's rows: the run id, or a fresh name for each decision
        # when the stage is used alone (then committed at once). "run": a command's run,
        # resumable; "batch": a library batch, removed by the next writer if never committed.
        self.index_run_kind = "run"
        self._alone_run = f"stage-{os.urandom(16).hex()}"
        self._lock: IndexLock | None = None

    @property
    def index_run(self) -> str:
        return self.run_id if self.run_id is not None else self._alone_run

    def run_options(self) -> dict[str, object]:
        """The options the index records with the run (``cleaner index runs``)."""
        cfg = self.cfg
        return {
            "threshold": cfg.threshold,
            "passages": cfg.passages,
            "passage_threshold": cfg.passage_threshold,
            "drop_duplicates": cfg.drop_duplicates,
            "drop_duplicate_passages": cfg.drop_duplicate_passages,
            "reemit_indexed": cfg.reemit_indexed,
        }

    # -- the index's one writer: lock, commit, roll back ----------------------------------
    def hold_index(self) -> None:
        """Take the index's writer lock (waiting up to ``cfg.index_wait`` seconds) if this stage
        does not hold it yet; it is held until :meth:`commit` or :meth:`rollback`."""
        if not self.cfg.index:
            return
        from cleaner.dedup.index import IndexLock  # with an index only: sqlite3, socket, hashlib

        if self._lock is None:
            self._lock = IndexLock(os.path.abspath(self.cfg.index), self.index_run)
        self._lock.acquire(self.cfg.index_wait)

    def release_index(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def commit(self) -> int:
        """Make the rows this stage's run added to the index visible (the caller is done with
        the run's documents); returns how many. Nothing to do without an index."""
        if not self.cfg.index or not os.path.isfile(self.cfg.index):
            return 0
        from cleaner.dedup.index import DedupIndex

        self.hold_index()
        try:
            with DedupIndex.open(self.cfg.index, self.cfg) as index:
                return index.commit_run(self.index_run)
        finally:
            self.release_index()
            self._alone_run = f"stage-{os.urandom(16).hex()}"

    def rollback(self) -> int:
        """Remove the rows this stage's run added and did not commit; returns how many."""
        if not self.cfg.index or not os.path.isfile(self.cfg.index):
            return 0
        from cleaner.dedup.index import DedupIndex

        self.hold_index()
        try:
            with DedupIndex.open(self.cfg.index, self.cfg) as index:
                return index.rollback_run(self.index_run)
        finally:
            self.release_index()

    def setup(self) -> None:
        self._shingler = Shingler(self.cfg.ngram)
        self._signer = Signer(self.cfg.num_perm, self.cfg.seed)

    def prepare(self, run_id: str | None = None) -> None:
        """The runner's hook before a run: check the index (see ``check_index``), and note the
        run's id (the same for the same inputs and options), under which the run's documents
        are recorded in the index, so that a resumed run recognises its own rows."""
        self.check_index()
        self.run_id = run_id
        if self.cfg.index and self.cfg.index_wait <= 0 and os.path.isfile(self.cfg.index) and self._lock is None:
            # Another run holds the index and this one would not wait for it: say so now, before
            # any document is read, rather than at the dedup step.
            from cleaner.dedup.index import IndexLock

            probe = IndexLock(os.path.abspath(self.cfg.index), self.index_run)
            probe.acquire(0)
            probe.release()

    def check_index(self) -> None:
        """Raise IndexMismatchError now (not after every document is read) when ``cfg.index``
        was built with other parameters; the driver should call this before a run."""
        if self.cfg.index:
            from cleaner.dedup.index import check

            check(self.cfg.index, self.cfg)

    def _tools(self) -> tuple[Shingler, Signer]:
        if self._shingler is None or self._signer is None:
            self._shingler = Shingler(self.cfg.ngram)
            self._signer = Signer(self.cfg.num_perm, self.cfg.seed)
        return self._shingler, self._signer

    # -- workers ---------------------------------------------------------------------------
    def summarize(self, doc: Document) -> Summary:
        return self.summarize_many([doc])[0]

    def summarize_many(self, docs: Sequence[Document]) -> SummaryColumns:
        """Summaries of a batch, equal to ``[summarize(d) for d in docs]``: one array pass over
        all texts, about 2.5x faster than one document at a time on news-length documents, so a
        runner that has a shard in hand should call this. They come as the batch's arrays
        (:class:`~cleaner.stage.SummaryColumns`): a Summary is made only where one is read.

        >>> stage = Dedup(DedupConfig())
        >>> batch = stage.summarize_many([Document(id="a", text="one two three four five six")])
        >>> batch[0].id, batch[0].shingles.size, batch[0].band_keys.shape
        ('a', 2, (16,))
        """
        shingler, signer = self._tools()
        texts = [d.text for d in docs]
        if not self.cfg.passages:
            hashes, offsets = shingler.hash_batch(texts)
            table, cuts = _NO_PASSAGES, np.zeros(len(texts) + 1, dtype=np.int64)
        else:
            keys = shingler.keys(texts)
            hashes, offsets, bounds, token_offsets = shingler.hash_batch_tokens(texts, joined=True, keys=keys)
            text_of, spans = split_passages_batch(texts)
            cuts = np.searchsorted(text_of, np.arange(len(texts) + 1))  # text i's passages: cuts[i]:cuts[i + 1]
            windows = self._windows(texts, keys, text_of, spans, cuts.tolist(), bounds, token_offsets)
            table = np.hstack([spans, windows]).astype(np.int64, copy=False)
        bands = band_keys(signer.sign(hashes, offsets), self.cfg.lsh_bands, self.cfg.lsh_rows)
        lengths = np.full(len(texts), bands.shape[1], dtype=np.int64)
        ids = [d.id for d in docs]
        columns = [ids, (bands.reshape(-1), lengths), (hashes, np.diff(offsets)), (table, np.diff(cuts))]
        return SummaryColumns(Summary, columns, len(docs))

    def _windows(
        self,
        texts: Sequence[str],
        keys: Sequence[str],
        text_of: I64,
        spans: I64,
        cuts: Sequence[int],
        bounds: I64,
        token_offsets: I64,
    ) -> I64:
        """(first shingle, count) of each passage (``spans``, of text ``text_of``, text i's at
        rows ``cuts[i]:cuts[i + 1]``): the shingles whose words all lie inside it. ``keys``:
        the texts' dedup keys (Shingler's ``keys``).

        Word positions (``bounds``) are in the dedup keys joined by "\\n" (Shingler's
        ``joined``), so passage spans are mapped from the text to its key first (the same
        offsets for ASCII text; case folding can change lengths otherwise), then shifted past
        the previous texts' keys: one search over the whole batch.
        """
        if not len(spans):
            return np.zeros((0, 2), dtype=np.int64)
        key_spans = spans
        key_lengths = [len(k) for k in keys]
        for i, text in enumerate(texts):
            # A text that repair leaves as it is, whose key (its case folding) is as long as it
            # is, has the key's offsets: each character folds to one or more, never to none, so
            # the same length means one each. ASCII texts, and most others ("é", curly quotes):
            # 27 ms of _key_spans' repairs piece by piece over the 181 Scrapinghub pages.
            if key_lengths[i] == len(text) and repairs_nothing(text):
                continue
            if key_spans is spans:
                key_spans = spans.copy()
            rows = spans[cuts[i] : cuts[i + 1]].tolist()
            key_spans[cuts[i] : cuts[i + 1]] = np.array(_key_spans(text, rows), dtype=np.int64).reshape(-1, 2)
        base = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.array(key_lengths, dtype=np.int64) + 1, out=base[1:])
        shifted = key_spans + base[text_of][:, None]
        first = np.searchsorted(bounds[:, 0], shifted[:, 0], side="left")
        last = np.searchsorted(bounds[:, 1], shifted[:, 1], side="right")  # words ending inside
        count = np.maximum(last - first - self.cfg.ngram + 1, 0)
        first_local = first - token_offsets[text_of]
        return np.stack([first_local, count], axis=1).astype(np.int64)

    def file_decisions(
        self,
        shards: Sequence[Sequence[tuple[str, Summary]]],
        run: TaskMap,
        folder: Path,
        filed: Sequence[Path],
    ) -> list[bool]:
        """Decisions for the documents that need one (cluster members, flagged passages), taken
        by tasks that ``run`` maps over argument tuples on an engine's workers (or in this
        process) and filed per shard at ``filed[i]``; returns which shards got a file. The one
        way the stage decides; see cleaner.dedup.sharded."""
        from cleaner.dedup.sharded import file_decisions

        return file_decisions(self, shards, run, folder, filed)

    def decide_sharded(
        self, shards: Sequence[Sequence[tuple[str, Summary]]], run: TaskMap, folder: Path
    ) -> Mapping[str, Decision]:
        """The same decisions by key, in one mapping (:func:`~cleaner.stage.gather_decisions`)."""
        return gather_decisions(self, shards, run, folder)

    def apply(self, doc: Document, decision: Decision | None) -> Document:
        if decision is None:  # most documents: no call of apply_decision for each
            return doc
        return apply_decision(doc, decision, self.cfg)
