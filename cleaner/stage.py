"""The two shapes a stage can take.

A **Stage** is a generator over documents, run independently on every shard:

    stage.setup()                         # once per worker (load tables, compile regexes)
    for doc in stage(docs): ...           # Iterable[Document] -> Iterator[Document]

A **CorpusStage** needs to see the whole corpus before it can decide (site templates,
near-duplicates). It splits into three pure steps so that any runner can place a barrier
between them; the local runner and the Dask runner use the same three functions:

    summary = stage.summarize(doc)                            # in workers: compact and picklable
    wrote = stage.file_decisions(shards, run, folder, filed)  # tasks file each shard's decisions
    doc = stage.apply(doc, decisions.get(key))                # in workers, from its shard's file

``shards`` are the shards' summaries in input order, each a sized iterable of ``(key, summary)``
pairs where ``key`` is ``str(doc.source)``: unique within a run and stable across runs and
``--jobs``. ``run`` is a :data:`TaskMap` of the engine (the runners' executors' ``map``, or
:class:`InProcessExecutor` for the library and ``explain``), ``folder`` a scratch folder every
worker sees. ``file_decisions`` is the one way a corpus stage decides: its last tasks, one per
shard, write that shard's decisions (a mapping from key to decision, :func:`write_decisions`) to
``filed[i]`` and return whether they wrote one, so no process ever holds the decisions of the
whole run (the runners' barrier: each next task reads its own shard's file). ``decide_sharded``
is the same tasks with the files read back into one mapping (:func:`gather_decisions`): what the
library runs in this process (:func:`decide_in_process`). A document with no decision is passed
``None``.

A Stage yields exactly one document for each document it receives, in the same order: to remove
a document it rejects it (``doc.reject(reason)``) instead of leaving it out. Stages never see
rejected documents (the pipeline passes them by), know nothing about processes,
files or engines, keep no module-level state, and pickle.

A stage (either shape) may say which of a document's fields it never reads, as ``unread``, a
frozenset of field names: of ``drops`` and ``edits`` it may add records (``doc.drops + new``,
``with_edits``) but never reads or replaces those it got; ``signals`` it neither reads nor
replaces (for a CorpusStage: neither its summaries nor its decisions read them). A runner may then
hand it the documents without those fields' earlier values and put them back after
(``cleaner.runners.core.aside_columns``). A stage without ``unread`` gets every field whole. The
built-in stages read none of the records the earlier ones added (:data:`RECORDS_UNREAD`); the
signals stage reads the signals.

Optional methods a runner uses when a stage has them: ``prepare(run_id)`` runs once on the
driver before any input is read (raise a CleanerError for a setup that cannot work, such as a
mismatched index; ``run_id`` is the same for the same inputs and options, or None, so a stage
that writes to a persistent store can recognise its own interrupted attempt), and a
CorpusStage's ``summarize_many(docs)`` summarizes a whole batch at once (it must equal
``[summarize(d) for d in docs]``; it may return them as :class:`SummaryColumns`, which a
runner spills as they are, without an object per document). A CorpusStage decides only through ``file_decisions``:
the runners map its tasks on their workers, the library and ``explain`` run the same tasks in
this process (``decide_in_process``).
"""

from __future__ import annotations

import itertools
import operator
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, overload, runtime_checkable

from cleaner.atomic import atomic_file
from cleaner.record import Document

RECORDS_UNREAD: frozenset[str] = frozenset({"drops", "edits", "signals"})
"""The ``unread`` of a stage that never reads the drops, edits or signals it gets (see above)."""

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

    def file_decisions(
        self, shards: Sequence[Sequence[tuple[str, Any]]], run: TaskMap, folder: Path, filed: Sequence[Path]
    ) -> list[bool]: ...

    def decide_sharded(
        self, shards: Sequence[Sequence[tuple[str, Any]]], run: TaskMap, folder: Path
    ) -> Mapping[str, Any]: ...

    def apply(self, doc: Document, decision: Any | None) -> Document: ...


class SummaryColumns(Sequence[Any]):
    """A batch of summaries of one dataclass ``kind`` held as its columns, one per field in
    field order: a list of the values, or ``(joined, lengths)`` for an array field, the
    documents' arrays joined along their first axis. A summary is built only when one is read
    (``summaries[i]``); a runner spills the columns themselves (the shape
    ``runners.core.pack_summaries`` gives a list of summaries), so a batch summarized from
    whole-batch arrays is never cut into an object per document and joined again (that was
    about 5% of a dedup-only run on the Reuters bench).

    >>> import numpy as np
    >>> from cleaner.record import Edit
    >>> batch = SummaryColumns(Edit, [["a", "b"], (np.array([1, 2, 3]), np.array([1, 2]))], 2)
    >>> len(batch), batch[0].fixer, batch[1].count.tolist()
    (2, 'a', [2, 3])
    """

    def __init__(self, kind: type, columns: list[Any], size: int) -> None:
        self.kind, self.columns, self.size = kind, columns, size
        self._starts: dict[int, list[int]] = {}  # an array column's first rows, found on first read

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, i: int) -> Any: ...

    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.size))]
        if not -self.size <= i < self.size:
            raise IndexError(i)
        i %= self.size
        return self.kind(*(self._value(n, column, i) for n, column in enumerate(self.columns)))

    def _value(self, n: int, column: Any, i: int) -> Any:
        if not isinstance(column, tuple):
            return column[i]
        joined, lengths = column
        at = self._starts.get(n)
        if at is None:
            at = self._starts[n] = [0, *itertools.accumulate(lengths.tolist())]
        return joined[at[i] : at[i + 1]]


class KeyedSummaries(Sequence[tuple[str, Any]]):
    """The ``(key, summary)`` pairs of a batch whose summaries are :class:`SummaryColumns`
    (what ``pipeline.summarize`` gives then): each pair built only when read.

    >>> from cleaner.record import Edit
    >>> pairs = KeyedSummaries(["k1", "k2"], SummaryColumns(Edit, [["a", "b"], [1, 2]], 2))
    >>> pairs[1], len(pairs)
    (('k2', Edit(fixer='b', count=2, examples=())), 2)
    """

    def __init__(self, keys: list[str], summaries: SummaryColumns) -> None:
        if len(keys) != len(summaries):
            raise ValueError(f"{len(keys)} keys for {len(summaries)} summaries")
        self.keys, self.summaries = keys, summaries

    def __len__(self) -> int:
        return len(self.keys)

    @overload
    def __getitem__(self, i: int) -> tuple[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[tuple[str, Any]]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self.keys[i], self.summaries[i]


class InProcessExecutor:
    """The executor of the library API and ``explain``: a corpus stage's tasks run in this
    process, one after another, in order (the runners' executors offer the same ``map`` over
    their workers).

    >>> list(InProcessExecutor().map(pow, [(2, 3), (3, 2)]))
    [8, 9]
    """

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        return (fn(*a) for a in args)


def decide_in_process(
    stage: CorpusStage, shards: Sequence[Sequence[tuple[str, Any]]], folder: Path | None = None
) -> dict[str, Any]:
    """A corpus stage's decisions through its tasks (``decide_sharded``), run in this process,
    in ``folder`` or a temporary folder removed afterwards."""
    run = InProcessExecutor().map
    if folder is not None:
        return dict(stage.decide_sharded(shards, run, folder))
    with tempfile.TemporaryDirectory(prefix="cleaner-decide-") as tmp:
        return dict(stage.decide_sharded(shards, run, Path(tmp) / "barrier"))


def write_decisions(path: Path, decisions: Mapping[str, Any]) -> bool:
    """File one shard's decisions (a pickled dict, written whole or not at all: a run killed
    meanwhile leaves no half file); a shard without any gets no file. Returns whether it got one.

    >>> folder = Path(tempfile.mkdtemp())
    >>> write_decisions(folder / "0.pkl", {"a": 1}), write_decisions(folder / "1.pkl", {})
    (True, False)
    >>> read_decisions(folder / "0.pkl"), sorted(p.name for p in folder.iterdir())
    ({'a': 1}, ['0.pkl'])
    """
    if not decisions:
        return False
    # The runner removes the folder of a phase's decisions before it decides again, so a
    # temporary file a killed write leaves is never read.
    with atomic_file(path) as fh:
        pickle.dump(dict(decisions), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return True


def read_decisions(path: Path) -> dict[str, Any]:
    """A shard's decisions as :func:`write_decisions` filed them."""
    with open(path, "rb") as fh:
        decisions: dict[str, Any] = pickle.load(fh)
    return decisions


def gather_decisions(
    stage: CorpusStage, shards: Sequence[Sequence[tuple[str, Any]]], run: TaskMap, folder: Path
) -> dict[str, Any]:
    """The decisions of the whole run in one mapping (a stage's ``decide_sharded``): its
    ``file_decisions`` tasks file them in a folder beside ``folder``, read back in shard order
    and removed. For the library and tests; the runners keep the files instead."""
    decided = folder.with_name(folder.name + ".decided")
    shutil.rmtree(decided, ignore_errors=True)
    decided.mkdir(parents=True)
    try:
        filed = [decided / f"{i}.pkl" for i in range(len(shards))]
        decisions: dict[str, Any] = {}
        for path, wrote in zip(filed, stage.file_decisions(shards, run, folder, filed), strict=True):
            if wrote:
                decisions.update(read_decisions(path))
        return decisions
    finally:
        shutil.rmtree(decided, ignore_errors=True)


def doc_key(doc: Document) -> str:
    """The key a CorpusStage decision is filed under: the document's source, unique per run."""
    return str(doc.source)


def doc_keys(docs: Iterable[Document]) -> list[str]:
    """:func:`doc_key` of each document: ``str(source)`` spelled out inline, as no call of
    ``Source.__str__`` per document (a summarized batch, then an applied one: ~40k calls and
    ~15 ms of a dedup run over the Reuters bench)."""
    return [s.path if s.line is None else f"{s.path}:{s.line}" for s in map(_SOURCE, docs)]


_SOURCE = operator.attrgetter("source")
