"""The library API: clean documents in memory, no files involved.

``clean`` runs the same pipeline as the command line, in this process (the in-memory driver,
``cleaner.pipeline.clean_in_memory``; corpus stages decide through the same tasks as a run's
workers, here in this process). Corpus-level stages
(site templates, near-duplicates) need to see every document before they decide, so documents
are held in memory until the last one has been read: pass batches that fit in memory, and use
a persistent index (``DedupConfig.index``) to deduplicate each batch against earlier ones.

With an index, a batch joins it only when the caller says it is done, so a crash while the
caller loads the documents downstream loses nothing::

    cleaner = Cleaner(Config(dedup=DedupConfig(index="seen.sqlite")))
    with cleaner.batch() as batch:
        for doc in batch.clean(docs):
            load(doc)          # your search index, database, ...
        batch.commit()         # now the batch's documents join the dedup index

Leaving the ``with`` block without ``commit()`` (an exception, a ``break``) leaves the index as
it was, and running the same batch again delivers it again. A document whose id and content an
earlier committed batch already added is reported as ``dedup.already_indexed`` (its detail names
that run); ``DedupConfig(reemit_indexed=True)`` delivers such documents again, for re-indexing
after a loss downstream. ``Cleaner.clean`` alone is a batch committed when the caller has taken
its last document.

>>> news = "The central bank raised its main rate by a quarter point on Tuesday, citing inflation."
>>> docs = list(clean(["Caf\u00c3\u00a9 &amp; bar opens at noon, every day.", news, news]))
>>> [d.id for d in docs]  # the second copy of the news is a duplicate
['0', '1']
>>> docs[0].text  # mojibake and entities repaired
'Café & bar opens at noon, every day.'
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from cleaner.config import Config
from cleaner.dedup import Dedup
from cleaner.errors import UsageError
from cleaner.pipeline import Pipeline, clean_in_memory, is_corpus_stage, reject_if_empty, run_stages
from cleaner.record import Document, Source
from cleaner.report import Report

if TYPE_CHECKING:
    from cleaner.dedup.stream import StreamDedup


class Cleaner:
    """A configured pipeline, set up once and reused for many calls.

    >>> cleaner = Cleaner(Config(stages=("normalize",)))
    >>> cleaner.clean_text("caf\\u00c3\\u00a9")
    'café'
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.pipeline = Pipeline(self.config)
        self.pipeline.prepare()
        self.pipeline.setup()
        self.report = Report()  # counters of every call so far

    def clean(
        self, documents: Iterable[str | Document] | str | Document, *, include_rejected: bool = False
    ) -> Iterator[Document]:
        """Clean documents (strings or Documents), in order; by default yield only the kept ones.

        One string (or one Document) is one document: ``clean("some text")`` cleans that text,
        never each of its characters. With a persistent index this is one batch, committed to the
        index when the caller has taken the last document; stopping early (or failing) leaves the index as it was. To
        commit only once your own use of the documents succeeded, use :meth:`batch`.
        """
        with self.batch() as batch:
            yield from batch.clean(documents, include_rejected=include_rejected)
            batch.commit()

    def stream(self) -> Stream:
        """A stream: each document checked against the index and the stream's earlier documents
        and yielded at once (see :class:`Stream`)::

            with cleaner.stream() as stream:
                for doc in stream.clean(queue):
                    load(doc)
                    stream.commit()      # as often as suits you
        """
        return Stream(self)

    def batch(self) -> Batch:
        """A batch whose documents join the persistent index only on :meth:`Batch.commit`::

            with cleaner.batch() as batch:
                for doc in batch.clean(docs):
                    load(doc)
                batch.commit()

        Without an index, ``commit`` has nothing to do.
        """
        return Batch(self)

    def clean_text(self, text: str) -> str:
        """Clean one string and return its text ("" when the whole document was dropped)."""
        docs = list(self.clean([text], include_rejected=True))
        return docs[0].text if docs[0].rejected is None else ""


class Stream:
    """Documents cleaned and deduplicated one at a time (:meth:`Cleaner.stream`): each is checked
    against the persistent index and the stream's earlier documents, inserted, and yielded at
    once. Per-document stages run as in a batch; the site-template stage (it needs a site's pages
    together) and the passage search are skipped. ``commit()`` makes the documents so far join the
    persistent index (call it as often as you like); leaving without it leaves the index as it was.
    """

    def __init__(self, cleaner: Cleaner) -> None:
        self.cleaner = cleaner
        self.stages = [s for s in cleaner.pipeline.steps if not is_corpus_stage(s)]
        self.dedup: StreamDedup | None = None
        if "dedup" in cleaner.config.stages:
            from cleaner.dedup.stream import StreamDedup  # and the index's sqlite3: streams only

            self.dedup = StreamDedup(cleaner.config.dedup)
        self.count = 0

    def __enter__(self) -> Stream:
        return self

    def clean(self, documents: Iterable[str | Document], *, include_rejected: bool = False) -> Iterator[Document]:
        """Clean each document and yield it as soon as it is decided (kept ones by default)."""
        report = self.cleaner.report
        for item in documents:
            doc = _as_document(self.count, item)
            self.count += 1
            (doc,) = run_stages([doc], self.stages, report)  # type: ignore[arg-type]
            if self.dedup is not None and doc.rejected is None:
                doc = reject_if_empty(self.dedup.apply(doc))
            report.add_document(doc)
            if include_rejected or doc.rejected is None:
                yield doc

    def commit(self) -> int:
        """The stream's documents so far join the persistent index; returns how many."""
        return self.dedup.commit() if self.dedup is not None else 0

    def close(self) -> None:
        if self.dedup is not None:
            self.dedup.close()
            self.dedup = None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class Batch:
    """One batch of :meth:`Cleaner.batch`: one ``clean`` call, then ``commit`` (or nothing).

    While the batch is open it holds the index's writer lock (from its decisions on), so another
    run on the same index waits (``DedupConfig.index_wait``) or stops with a message naming it.
    """

    def __init__(self, cleaner: Cleaner) -> None:
        self.cleaner = cleaner
        self.name = f"batch-{os.urandom(16).hex()}"
        self.used = self.done = False
        self.committed = 0  # documents the commit added to the index

    def __enter__(self) -> Batch:
        for step in self.cleaner.pipeline.steps:
            if isinstance(step, Dedup):  # the index rows it adds are this batch's
                step.run_id, step.index_run_kind = self.name, "batch"
        return self

    def clean(
        self, documents: Iterable[str | Document] | str | Document, *, include_rejected: bool = False
    ) -> Iterator[Document]:
        """Clean the batch's documents (once per batch); see :meth:`Cleaner.clean`."""
        if self.used:
            raise UsageError("a batch cleans one set of documents: open another batch (Cleaner.batch()) for more")
        self.used = True
        if isinstance(documents, str | Document):
            documents = [documents]
        elif isinstance(documents, bytes | bytearray):
            raise UsageError("clean() takes text, not bytes: decode it first (data.decode('utf-8'))")
        batch = [_as_document(i, d) for i, d in enumerate(documents)]
        keys = [str(d.source) for d in batch]
        if len(set(keys)) != len(keys):
            raise UsageError(
                "documents must have distinct sources (Document.source); leave source unset to number them"
            )
        report = self.cleaner.report
        for doc in clean_in_memory(self.cleaner.pipeline, batch, report):
            report.add_document(doc)
            if include_rejected or doc.rejected is None:
                yield doc

    def commit(self) -> None:
        """The caller is done with the batch's documents: they join the persistent index."""
        if not self.done:
            self.done = True
            self.cleaner.pipeline.commit()

    def rollback(self) -> None:
        """Leave the index as it was before the batch (what leaving without commit does)."""
        if not self.done:
            self.done = True
            self.cleaner.pipeline.rollback()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.rollback()
        for step in self.cleaner.pipeline.steps:
            if isinstance(step, Dedup):
                step.run_id, step.index_run_kind = None, "run"


def clean(
    documents: Iterable[str | Document] | str | Document,
    config: Config | None = None,
    *,
    include_rejected: bool = False,
) -> Iterator[Document]:
    """Clean strings or Documents (or one of them) with one pipeline; see ``Cleaner.clean``."""
    return Cleaner(config).clean(documents, include_rejected=include_rejected)


def _as_document(position: int, item: str | Document) -> Document:
    if isinstance(item, str):
        return Document(id=str(position), text=item, source=Source("<memory>", position + 1), chars_in=len(item))
    if not isinstance(item, Document):
        raise UsageError(
            f"clean() takes strings or Documents, not {type(item).__name__} (item {position}); "
            "make a Document(id=..., text=...) or pass its text"
        )
    if not item.source.path:
        item = dataclasses.replace(item, source=Source("<memory>", position + 1))
    if not item.chars_in:
        item = dataclasses.replace(item, chars_in=len(item.html if item.kind == "html" and item.html else item.text))
    return item
