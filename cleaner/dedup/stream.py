"""Near-duplicates one document at a time: query, verify, insert, decide, for a stream.

A crawler's queue cannot wait for a batch. :class:`StreamDedup` checks each document, as it
comes, against the persistent index (``DedupConfig.index``) and the earlier documents of the
stream, then inserts it, so the next document sees it: the decision is taken at once. The
earlier documents of the stream live in the same index as pending rows of the stream's run
(invisible to other runs until :meth:`StreamDedup.commit`); without a persistent index they live
in an in-memory SQLite index that keeps their shingle sets (verified exactly).

It decides like the batch mode (the earliest document wins: indexed documents, then the stream
in order) with three differences: there is no passage search (a passage needs the whole batch's
owners), the site-template stage is skipped (it needs the pages of a site together), and with a
persistent index kept without shingle sets (passages off) every pair, the stream's own included,
is verified with the stored odd sketch (see :mod:`cleaner.dedup.index` for the error).

>>> from cleaner.config import DedupConfig
>>> from cleaner.record import Document
>>> text = "the quick brown fox jumps over the lazy dog near the river bank today"
>>> with StreamDedup(DedupConfig(passages=False)) as stream:
...     [stream.apply(Document(id=i, text=t)).status for i, t in [("a", text), ("b", text + "!")]]
['kept', 'dropped']
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from cleaner.config import DedupConfig
from cleaner.dedup.apply import Decision, apply_decision
from cleaner.dedup.cluster import distinct_sorted
from cleaner.dedup.index import DedupIndex, IndexLock, content_hash
from cleaner.dedup.shingles import Shingler
from cleaner.dedup.signatures import Signer, band_keys
from cleaner.record import Document, DuplicateOf

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

U64: TypeAlias = "npt.NDArray[np.uint64]"


class StreamDedup:
    """Decides each document at once (see the module docstring). Use as a context manager:
    leaving it without :meth:`commit` leaves the persistent index as it was."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.shingler = Shingler(cfg.ngram)
        self.signer = Signer(cfg.num_perm, cfg.seed)
        self.run = f"stream-{os.urandom(16).hex()}"
        self.lock: IndexLock | None = None
        self.rowids: list[int] = []  # the stream's rows since its last commit
        self.mine: set[int] = set()  # every row the stream added
        self.cache: dict[int, tuple[str, str, U64]] = {}
        exact = DedupConfig(
            num_perm=cfg.num_perm, seed=cfg.seed, ngram=cfg.ngram, bands=cfg.lsh_bands, rows=cfg.lsh_rows, passages=True
        )
        if cfg.index:
            self.lock = IndexLock(os.path.abspath(cfg.index), self.run)
            self.lock.acquire(cfg.index_wait)
            self.index = DedupIndex.open(cfg.index, cfg)
        else:  # the stream's own documents only, shingle sets kept: verified exactly
            self.index = DedupIndex.open(":memory:", exact)
        self.number = self.index.begin_run(self.run, "batch", {"stream": True, "threshold": cfg.threshold})
        self.index.conn.commit()

    def decide(self, doc: Document) -> Decision | None:
        """The decision for one document, which is then inserted (as pending) in the index."""
        hashes, offsets = self.shingler.hash_batch([doc.text])
        signature = self.signer.sign(hashes, offsets)[0]
        keys = band_keys(signature[None, :], self.cfg.lsh_bands, self.cfg.lsh_rows)[0]
        distinct = distinct_sorted(hashes)
        content = content_hash(hashes)
        decision: Decision | None = None
        known = self.index.known(doc.id, content) if self.cfg.index else None
        if known is not None and known.content == content and known.rowid not in self.mine:
            cluster = known.cluster
            dup = DuplicateOf(cluster) if cluster == doc.id else DuplicateOf(cluster, cluster)
            return Decision(dup, indexed=known.detail(doc.id))
        version = known.detail(doc.id) if known is not None and known.content != content else None
        cluster = doc.id
        if distinct.size:
            found = self.index.matches(keys, distinct, self.cfg.threshold, self.cache)
            if found:
                rowid, similarity = min(found)  # the earliest document wins
                other, other_cluster, _ = self.cache[rowid]
                cluster = other_cluster
                decision = Decision(DuplicateOf(other_cluster, other, round(similarity, 4), version))
        if decision is None and version is not None:
            decision = Decision(DuplicateOf(doc.id, version_of=version))
        added = self.index.add([(doc.id, cluster, keys, distinct, content)])
        self.rowids += added
        self.mine.update(added)
        return decision

    def apply(self, doc: Document) -> Document:
        """Decide one document and apply the decision (drop a near-duplicate, ...)."""
        return apply_decision(doc, self.decide(doc), self.cfg)

    def commit(self) -> int:
        """The documents so far join the persistent index; the stream goes on (a new pending
        run). Returns how many were committed."""
        self.index.finish_add(self.number, self.rowids)
        done = self.index.commit_run(self.run)
        self.rowids = []
        self.run = f"stream-{os.urandom(16).hex()}"
        self.number = self.index.begin_run(self.run, "batch", {"stream": True, "threshold": self.cfg.threshold})
        self.index.conn.commit()
        return done

    def close(self) -> None:
        """Leave without committing: the uncommitted documents leave the index."""
        try:
            self.index.conn.rollback()  # the rows since the last commit
            self.index.rollback_run(self.run)  # and the (empty) pending run
        finally:
            self.index.close()
            if self.lock is not None:
                self.lock.release()

    def __enter__(self) -> StreamDedup:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
