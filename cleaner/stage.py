"""The two shapes a stage can take.

A **Stage** is a generator over documents, run independently on every shard:

    stage.setup()                         # once per worker (load tables, compile regexes)
    for doc in stage(docs): ...           # Iterable[Document] -> Iterator[Document]

A **CorpusStage** needs to see the whole corpus before it can decide (site templates,
near-duplicates). It splits into three pure steps so that any runner can place a barrier
between them; the local runner and the Dask runner use the same three functions:

    summary = stage.summarize(doc)                # in workers: compact and picklable
    decisions = stage.decide(keyed_summaries)     # on the driver, in input order
    doc = stage.apply(doc, decisions.get(key))    # in workers

``keyed_summaries`` is an iterable of ``(key, summary)`` pairs in input order where ``key`` is
``str(doc.source)``: unique within a run and stable across runs and ``--jobs``. ``decide``
returns a mapping from key to decision; a document with no decision is passed ``None``.

A Stage yields exactly one document for each document it receives, in the same order: to remove
a document it rejects it (``doc.reject(reason)``) instead of leaving it out. Stages never see
rejected documents (the pipeline passes them by), know nothing about processes,
files or engines, keep no module-level state, and pickle.

Optional methods a runner uses when a stage has them: ``prepare(run_id)`` runs once on the
driver before any input is read (raise a CleanerError for a setup that cannot work, such as a
mismatched index; ``run_id`` is the same for the same inputs and options, or None, so a stage
that writes to a persistent store can recognise its own interrupted attempt), and a
CorpusStage's ``summarize_many(docs)`` summarizes a whole batch at once (it must equal
``[summarize(d) for d in docs]``), and its ``decide_sharded(shards, run, folder)`` takes the
decisions of ``decide`` through tasks on the workers: ``shards`` are the shards' summaries in
input order, ``run`` a :data:`TaskMap` of the engine, ``folder`` a scratch folder every worker
sees (both runners use it when the stage has it; the dedup and template stages do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from cleaner.record import Document

TaskMap = Callable[[Callable[..., Any], Sequence[tuple[Any, ...]]], Iterator[Any]]
"""An engine's way to run a module-level function over argument tuples on its workers,
yielding the results in the order of the arguments (``LocalExecutor.map``, ``DaskExecutor.map``)."""


@runtime_checkable
class Stage(Protocol):
    name: str

    def setup(self) -> None: ...

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]: ...


@runtime_checkable
class CorpusStage(Protocol):
    name: str

    def setup(self) -> None: ...

    def summarize(self, doc: Document) -> Any: ...

    def decide(self, summaries: Iterable[tuple[str, Any]]) -> Mapping[str, Any]: ...

    def apply(self, doc: Document, decision: Any | None) -> Document: ...


def doc_key(doc: Document) -> str:
    """The key a CorpusStage decision is filed under: the document's source, unique per run."""
    return str(doc.source)
