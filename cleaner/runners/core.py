"""What every runner shares: the plan of a run, its tasks, the work folder, and the phase loop.

A run goes phase by phase. Each phase runs one pipeline segment over every shard (per-document
stages, then the summaries of the corpus stage that ends the segment) as tasks that an executor
runs (cleaner.runners.local: worker processes; cleaner.runners.dask: a Dask cluster). Workers
spill their documents to the work folder (hidden inside OUTDIR) and send back only the compact
summaries, which they leave in files too. The corpus stage then decides (``file_decisions``,
as tasks through the executor's ``map``: site templates and dedup, see cleaner.dedup.sharded),
its last tasks file each shard's decisions in the work folder, and the next phase applies
them. The last phase writes the outputs through each format's sink and a report part per
shard, which :func:`run` joins in shard order. Shards are cut from the input alone and every
decision is taken in input order (ranks are input positions), so output and report are
byte-identical for any ``--jobs`` and either engine.

An interrupted run leaves its finished tasks and decisions in the work folder
(:class:`Checkpoint`); the same command resumes from them.

>>> paths = RunPaths(Path("out"), Path("out.report.jsonl"))
>>> paths.spill(1, 7).as_posix(), paths.report_part(7).as_posix()
('out/.cleaner-work/spill/1/7.pkl', 'out/.cleaner-work/report/7.jsonl')
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import math
import operator
import os
import pickle
import shutil
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, islice, repeat, starmap
from pathlib import Path
from typing import IO, Any, BinaryIO, NamedTuple, Protocol

import numpy as np

# The built-in sha256, without importing hashlib: that loads OpenSSL (_hashlib, ~3.5 ms of every
# run), which a run's one small digest (fingerprint) does not need. Same digests.
try:
    from _sha2 import sha256  # Python 3.12+
except ImportError:
    try:
        from _sha256 import sha256  # Python 3.11
    except ImportError:  # an interpreter built without them
        from hashlib import sha256

from cleaner.atomic import atomic_file, sweep_temp_files
from cleaner.config import Config
from cleaner.errors import UsageError
from cleaner.formats.base import Output
from cleaner.formats.remote import is_url, local_input, stage_inputs
from cleaner.formats.table import handler
from cleaner.pipeline import Pipeline, run_segment
from cleaner.progress import ProgressEvent
from cleaner.readers import SHARD_BYTES, Discovery, Shard, discover, plan_shards, read_shard
from cleaner.record import (
    Document,
    Drop,
    DuplicateOf,
    Edit,
    PassageMatch,
    Reason,
    Rejection,
    Source,
    assemble_document,
    assemble_drop,
)
from cleaner.report import Report, Row, signals_fragment
from cleaner.runners.outdir import WORK_DIR, OutputLock, check_owned, check_writable, claim_outputs
from cleaner.stage import CorpusStage, KeyedSummaries
from cleaner.writers import ReportPart, concatenate, join_report, output_collisions, output_rel

# Documents are processed in batches: large enough to amortise per-call overhead in the stages,
# small enough that a worker holds only a few MB of text at a time.
BATCH_DOCS = 256
# Summaries are written this many at a time: one batch is what the driver holds while reading.
SPILL_BATCH = 1024


# --- the work folder -------------------------------------------------------------------------


@dataclass(frozen=True)
class RunPaths:
    """OUTDIR, the report, and every file of the work folder (OUTDIR/.cleaner-work), by name."""

    outdir: Path
    report: Path

    @property
    def workdir(self) -> Path:
        return self.outdir / WORK_DIR

    @property
    def manifest(self) -> Path:
        """What the work folder is valid for (the run's fingerprint)."""
        return self.workdir / "manifest.json"

    def spill(self, phase: int, shard: int) -> Path:
        """The documents a shard's task of ``phase`` hands to the next phase."""
        return self.workdir / "spill" / str(phase) / f"{shard}.pkl"

    def summaries(self, phase: int, shard: int) -> Path:
        """A shard's corpus-stage summaries of ``phase`` (:class:`SpilledSummaries`)."""
        return self.workdir / "summaries" / str(phase) / f"{shard}.pkl"

    def done(self, phase: int) -> Path:
        """The folder of the finished tasks of ``phase`` (a pickled TaskResult per shard)."""
        return self.workdir / "done" / str(phase)

    def decisions(self, phase: int) -> Path:
        """The decisions of the corpus stage that ends ``phase`` are all filed (the shards that
        have a file, :meth:`shard_decisions`)."""
        return self.workdir / "decisions" / f"{phase}.pkl"

    def shard_decisions(self, phase: int, shard: int) -> Path:
        """One shard's decisions of ``phase``: what the next phase's task of that shard reads."""
        return self.workdir / "decisions" / str(phase) / f"{shard}.pkl"

    def barrier(self, phase: int) -> Path:
        """The corpus stage's own folder for its decision tasks (``file_decisions``)."""
        return self.workdir / "barrier" / str(phase)

    def out_part(self, shard: int) -> Path:
        """A shard's byte part of a split file's output, joined in shard order."""
        return self.workdir / "out" / f"{shard}.part"

    def report_part(self, shard: int) -> Path:
        """A shard's report lines, joined in shard order."""
        return self.workdir / "report" / f"{shard}.jsonl"

    def split_scratch(self, first_shard: int) -> Path:
        """A split file's private folder, for a format that cannot join parts as bytes (Parquet)."""
        return self.workdir / "split" / str(first_shard)

    def output(self, shard: Shard) -> Output:
        """Where a shard's kept documents go (:class:`cleaner.formats.base.Output`)."""
        path = self.outdir / output_rel(shard.file.rel)
        if shard.parts == 1:
            return Output(path)
        first = shard.index - shard.part
        parts = tuple(self.out_part(first + i) for i in range(shard.parts))
        return Output(path, parts, self.split_scratch(first))


def default_report_path(outdir: Path) -> Path:
    """``OUTDIR.report.jsonl`` beside OUTDIR: outside OUTDIR's mirror, and never inside an input."""
    outdir = Path(os.path.abspath(outdir))
    return outdir.with_name(outdir.name + ".report.jsonl")


def check_paths(inputs: Sequence[Path], outdir: Path, report: Path, also_writes: Sequence[Path] = ()) -> None:
    """Refuse layouts that would write into an input or read our own output: OUTDIR and an input
    inside one another, or a report (``report`` and ``also_writes``, the HTML report) that is an
    input, inside an input folder, inside OUTDIR (where outputs go) or another report. Links are
    followed, so a report through a symbolic link is checked where it would land."""
    out = Path(os.path.realpath(outdir))
    reports = [(report, "--report"), *((extra, "--html-report") for extra in also_writes)]
    for raw in inputs:
        src = Path(os.path.realpath(raw))
        if out == src or src in out.parents:
            raise UsageError(f"output folder {outdir} is inside input {raw}; choose an output folder outside it")
        if out in src.parents:
            raise UsageError(f"input {raw} is inside output folder {outdir}; choose an output folder elsewhere")
        for path, option in reports:
            rep = Path(os.path.realpath(path))
            if rep == src or _same_file(rep, src):
                raise UsageError(f"report {path} is input {raw}; pass {option} elsewhere")
            if src.is_dir() and src in rep.parents:
                raise UsageError(f"report {path} would be written inside input {raw}; pass {option} elsewhere")
    seen: dict[Path, Path] = {}
    for path, option in reports:
        rep = Path(os.path.realpath(path))
        if rep == out or out in rep.parents:
            raise UsageError(f"report {path} would be written inside output folder {outdir}; pass {option} elsewhere")
        if rep in seen:
            raise UsageError(f"report {path} and report {seen[rep]} are the same file; pass {option} elsewhere")
        seen[rep] = path
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {outdir} exists and is not a folder; choose another -o")


def _same_file(a: Path, b: Path) -> bool:
    """Whether two existing paths are one file (a hard link counts)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def resolve_link(path: Path) -> Path:
    """Where a file written at ``path`` should go: a symbolic link's target (written through the
    link, which stays a link), else ``path`` itself.

    >>> resolve_link(Path("no/such/file.jsonl")).as_posix()
    'no/such/file.jsonl'
    """
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_writable_paths(outdir: Path, report: Path, also_writes: Sequence[Path] = ()) -> None:
    """Refuse, before any input is read, an OUTDIR or report that cannot be written (see
    :func:`cleaner.runners.outdir.check_writable`)."""
    check_writable(outdir, "output folder", "choose a writable folder with -o", folder=True)
    check_writable(report, "report", "pass --report a writable file path")
    for extra in also_writes:
        check_writable(extra, "HTML report", "pass --html-report a writable file path")


# --- tasks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One unit of work: a shard (or a group of small pages) through one segment of the pipeline."""

    shard: Shard
    segment: int
    # Decisions of the corpus stage before this segment, for this shard: a file of the work folder
    # that the task reads (the driver never holds them), or a mapping (in process, tests).
    decisions: dict[str, object] | Path
    paths: RunPaths
    # A group of small pages cleaned as one task (see :func:`group_shards`): ``shard`` is its first.
    group: tuple[Shard, ...] = ()

    @property
    def members(self) -> tuple[Shard, ...]:
        return self.group or (self.shard,)


@dataclass
class TaskResult:
    """What a task hands back to the driver: its corpus stages' summaries, its report counts and
    its error lines."""

    shard_index: int
    summaries: list[tuple[str, object]] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    errors: list[str] = field(default_factory=list)  # one line per failed document, for stderr
    crashed: str | None = None  # the worker died on this shard (set by the executor: WORKER_DIED)


# What the report and stderr say of a shard whose worker died on it, whatever the engine (a local
# pool process, a Dask worker): the same words, so both engines' reports stay byte-identical.
WORKER_DIED = (
    "a worker process died while cleaning this file (a crash in a parser, or out of memory) and its "
    "documents were skipped; run it alone with --jobs 2 --debug to investigate"
)


class Executor(Protocol):
    """Runs a phase's tasks and yields their results in task order (a context manager).

    Its ``map(fn, args)`` runs a module-level function over argument tuples on the same workers
    (results in order): corpus stages decide through it (``file_decisions``).
    """

    def __enter__(self) -> Callable[[Sequence[Task]], Iterator[TaskResult]]: ...

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> Iterator[Any]: ...

    def __exit__(self, *exc: object) -> None: ...


ExecutorFactory = Callable[[int, Config], Executor]


def in_order(submit: Callable[[tuple[Any, ...]], Any], args: Sequence[tuple[Any, ...]], window: int) -> Iterator[Any]:
    """The results of ``submit(a)`` (a future) for each of ``args``, in order, with at most
    ``window`` futures in flight, each dropped once read (the engine may then forget it).

    >>> from concurrent.futures import Future
    >>> def done(a):
    ...     f = Future(); f.set_result(sum(a)); return f
    >>> list(in_order(done, [(1, 2), (3,)], window=1))
    [3, 3]
    """
    futures: list[Any] = []
    for index in range(len(args)):
        while len(futures) < len(args) and len(futures) < index + window:
            futures.append(submit(args[len(futures)]))
        result = futures[index].result()
        futures[index] = None
        yield result


def task_name(fn: Callable[..., object]) -> str:
    """What an error calls a corpus stage's task function.

    >>> task_name(task_name)
    'task name'
    """
    return getattr(fn, "__name__", "corpus").strip("_").replace("_", " ")


def run_task(pipeline: Pipeline, task: Task) -> TaskResult:
    """Run one segment of the pipeline over one shard (what an executor runs on a worker): each
    batch goes through :func:`cleaner.pipeline.run_segment`, the driver the library and
    ``explain`` use too."""
    shard, number, paths = task.shard, task.segment, task.paths
    result = TaskResult(shard.index)
    # Each batch with what was set aside of its documents' records (see aside_columns).
    batches: Iterable[tuple[list[Document], _SetAside | None]]
    if number == 0:
        limits = pipeline.config.limits
        read = _batched(chain.from_iterable(read_shard(s, limits) for s in task.members), BATCH_DOCS)
        batches = zip(read, repeat(None))
    else:
        batches = _load_spill(paths.spill(number - 1, shard.index), aside_columns(pipeline, number))

    decisions = task.decisions
    if isinstance(decisions, Path):
        with open(decisions, "rb") as filed:
            decisions = pickle.load(filed)

    summarized: list[Sequence[tuple[str, object]]] = []  # the last batch's summaries

    def process(batch: list[Document]) -> list[Document]:
        batch, summaries = run_segment(pipeline, number, batch, decisions, result.report)
        if summaries:
            summarized.append(summaries)
        return batch

    if pipeline.segments[number].corpus is not None:
        # Summaries go to their file batch by batch, as the documents do: a task never holds a
        # whole shard's (the dedup stage's are about 3 bytes per character of text).
        summaries = paths.summaries(number, shard.index)
        count = 0
        # HTML is read only by the first phase's html step: markup whose sink never writes it is
        # not carried through the spills (the 181 Scrapinghub pages: 31 MB pickled twice each way).
        keep_html = any(handler(member.file.format).writes_html for member in task.members)
        # The signals go written for the report where the next phase is the last and sets them aside.
        render = number + 2 == len(pipeline.segments) and _SIGNALS_AT in aside_columns(pipeline, number + 1)
        with atomic_file(paths.spill(number, shard.index)) as fh, atomic_file(summaries) as out:
            for batch, aside in batches:
                columns = _spill_rows(process(batch), keep_html, aside, render)
                pickle.dump(columns, fh, protocol=pickle.HIGHEST_PROTOCOL)
                for keyed in summarized:
                    count += len(keyed)
                    dump_summaries(pack_summaries(keyed), out)
                summarized.clear()
        if count:
            result.summaries = SpilledSummaries(summaries, count)
    elif not task.group:
        write_outputs(shard, ((process(b), *_for_report(a)) for b, a in batches), paths, result)
    else:
        pages = chain.from_iterable(_with_earlier(process(b), a) for b, a in batches)
        write_group_outputs(task.group, pages, paths, result)
    return spill_summaries(result, task)


def write_outputs(
    shard: Shard,
    batches: Iterable[tuple[list[Document], list[list[Row]] | None, list[bytes | None] | None]],
    paths: RunPaths,
    result: TaskResult,
) -> None:
    """The last phase of a shard: every document into its report part, the kept ones into the
    output through the sink of the file's format (cleaner.formats.table). Each batch comes with
    the values of each document's drops that were set aside, or None, and its signals written
    for the report, or None (see aside_columns and :func:`_for_report`)."""
    f = shard.file
    with ReportPart(paths.report_part(shard.index), result.report, result.errors, f.path) as report:
        handler(f.format).write(shard, report.passing_batches(batches), paths.output(shard))


def write_group_outputs(
    group: Sequence[Shard],
    docs: Iterator[tuple[Document, list[Row] | None, bytes | None]],
    paths: RunPaths,
    result: TaskResult,
) -> None:
    """The last phase of a group of pages (one document each, in order, with its earlier drops
    or None and its written signals or None, as write_outputs's): one report part for the group
    (under its first shard), each page through its format's sink."""
    first = group[0]
    with ReportPart(paths.report_part(first.index), result.report, result.errors, first.file.path) as report:
        for member in group:
            doc, earlier, signals = next(docs, (None, None, None))
            if doc is None or doc.source.path != member.file.rel:
                raise RuntimeError(f"grouped pages out of step at {member.file.path}: expected its one document")
            report.input_path = member.file.path
            batch = ([doc], None if earlier is None else [earlier], None if signals is None else [signals])
            handler(member.file.format).write(member, report.passing_batches([batch]), paths.output(member))


def _with_earlier(
    batch: list[Document], aside: _SetAside | None
) -> Iterator[tuple[Document, list[Row] | None, bytes | None]]:
    """Each document of ``batch`` with its earlier drops and its written signals (see
    :func:`_for_report`), or None for each."""
    earlier, signals = _for_report(aside)
    return zip(
        batch,
        repeat(None) if earlier is None else earlier,
        repeat(None) if signals is None else signals,
        strict=earlier is not None and signals is not None,
    )


def _batched(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    it = iter(docs)
    while batch := list(islice(it, size)):
        yield batch


def _load_spill(path: Path, aside_at: Collection[int] = ()) -> Iterator[tuple[list[Document], _SetAside | None]]:
    """The spilled batches of ``path``, each with its records set aside (see :func:`_unspill_rows`)."""
    with open(path, "rb") as fh:
        while True:
            try:
                columns = pickle.load(fh)
            except EOFError:
                return
            yield _unspill_rows(columns, aside_at)


# Spilled documents are pickled as columns of plain values, not as dataclasses: unpickling a frozen
# slots dataclass goes through dataclasses' Python __setstate__ per record (a Drop per removed line),
# which was 13% of a run's CPU on a 30 MB dump; values rebuilt by the constructors cost a third.
# A batch is one list per Document field (in the field order of the records, so a field added to
# them is spilled too): the columns are taken and the documents rebuilt by C-level maps over the
# batch, not a row list and a loop over the nested fields per document (a third of the codec's
# time on the Reuters bench), and a record field is converted only where a document has one.
_DOC_FIELDS = tuple(f.name for f in dataclasses.fields(Document))
_DOC_ROW = operator.attrgetter(*_DOC_FIELDS)
_HTML_AT = _DOC_FIELDS.index("html")
# Document fields that hold one record (or None) and a tuple of records, and what makes each
# record from its values: assemble_drop for a Drop (no checks to skip; 1.7 -> 1.3 us a drop, and
# the 30 MB text dump's documents carry 5 or 6 each through two spills).
_ONE_RECORD = {"source": Source, "rejected": Rejection, "duplicate": DuplicateOf}
_MANY_RECORDS = {"drops": Drop, "edits": Edit, "passages": PassageMatch}
_MAKERS: dict[type, Callable[..., Any]] = {Drop: assemble_drop}
_NESTED = [
    (
        _DOC_FIELDS.index(name),
        _MAKERS.get(cls, cls),
        operator.attrgetter(*(f.name for f in dataclasses.fields(cls))),
        many,
    )
    for many, table in ((False, _ONE_RECORD), (True, _MANY_RECORDS))
    for name, cls in table.items()
]
# The columns of tuples a phase may set aside (see aside_columns): every step adds to them
# (``doc.drops + new``, ``with_edits``) and none replaces them, as dedup replaces ``passages``.
_DROPS_AT = _DOC_FIELDS.index("drops")
_SET_ASIDE_AT = frozenset({_DROPS_AT, _DOC_FIELDS.index("edits")})
# The signals: spilled written for the report (_Written) before a last phase that sets them aside.
_SIGNALS_AT = _DOC_FIELDS.index("signals")
# Set aside, by a column's position among the document's fields: a column of tuples of records,
# its layers; the signals, each document's written for the report or None.
_SetAside = dict[int, Any]
# What the steps of a phase must all leave unread (their ``unread``, see cleaner.stage; the sinks
# of every format never read these) for it to get its documents with the drops and edits of the
# earlier phases set aside, and for a last phase, the signals too (written for the report).
_DROPS_UNREAD = frozenset({"drops", "edits"})
_SIGNALS_UNREAD = _DROPS_UNREAD | {"signals"}


def aside_columns(pipeline: Pipeline, number: int) -> frozenset[int]:
    """The columns of tuples of records that phase ``number`` gets set aside, by position among
    the document's fields: none unless it reads a spill and its steps (the decisions it
    applies, its stages, the summaries it makes) all leave the drops and edits unread (their
    ``unread``, see cleaner.stage; a step without one reads every field). A middle phase (a
    corpus stage ends it) sets the drops and edits aside: it hands the earlier layers to its
    spill as they are. The last phase sets the drops aside: their values go to the report's
    records and counts as they are; and, where its steps leave the signals unread too, the signals:
    the phase before it spills them written for the report (:func:`_for_report`). The default
    stages' middle phase (templates' decisions, tidy, signals, dedup's summaries) and last
    (dedup's decisions) are such phases: the 30 MB text dump's 79,000 drops are never made into
    records again, nor its documents' signals into dicts."""
    segment = pipeline.segments[number]
    if number == 0:
        return frozenset()
    steps = [pipeline.segments[number - 1].corpus, *segment.stages]
    if segment.corpus is not None:
        steps.append(segment.corpus)
    unread = frozenset.intersection(*(frozenset(getattr(step, "unread", ())) for step in steps))
    if not unread >= _DROPS_UNREAD:
        return frozenset()
    if segment.corpus is not None:
        return _SET_ASIDE_AT
    if unread >= _SIGNALS_UNREAD:
        return frozenset({_DROPS_AT, _SIGNALS_AT})
    return frozenset({_DROPS_AT})


def _earlier_drops(aside: _SetAside | None) -> list[list[Row]] | None:
    """Each document's drops that were set aside, as the values of their fields (or None)."""
    layers = aside.get(_DROPS_AT) if aside else None
    return None if layers is None else _unlayer(layers)


def _for_report(aside: _SetAside | None) -> tuple[list[list[Row]] | None, list[bytes | None] | None]:
    """What a last phase's report gets of what was set aside: each document's earlier drops
    (:func:`_earlier_drops`) and its signals as cleaner.report.signals_fragment wrote them (None
    for a document that holds its own), or None for either."""
    return _earlier_drops(aside), aside.get(_SIGNALS_AT) if aside else None


def _spill_rows(
    batch: list[Document], keep_html: bool = True, aside: _SetAside | None = None, render: bool = False
) -> list[list[Any]]:
    """Documents as columns of plain values (see :func:`_unspill_rows`); without ``keep_html``,
    an HTML document's markup is spilled as "" (it stays an HTML document). ``aside`` is what
    :func:`_unspill_rows` set aside of the batch the documents came from (in the same order):
    each document's records there come before its own. With ``render``, the signals go as the
    report writes them (:class:`_Written`), for a last phase that sets them aside."""
    # Each document's fields by one attrgetter, turned into columns by zip (16 -> 11 ms for the
    # Reuters bench's 20k documents, against a pass over the batch per field).
    columns: list[Any] = list(zip(*map(_DOC_ROW, batch), strict=True)) if batch else [[] for _ in _DOC_FIELDS]
    if not keep_html and any(columns[_HTML_AT]):  # None and "" stay as they are
        columns[_HTML_AT] = [None if html is None else "" for html in columns[_HTML_AT]]
    # A column whose documents all hold no record (None, or an empty tuple: most columns of most
    # batches) stays as it is, seen by a C-level pass: a loop over it on both sides of the spill
    # was a fifth of the spill's time on the Reuters bench (a record is always true). A column
    # of tuples of records is spilled as layers (_Layers), a layer a phase, each pickled apart.
    for at, _, values, many in _NESTED:
        column = columns[at]
        if many:
            layers = aside.get(at, ()) if aside else ()
            if column.count(()) != len(column):  # an empty tuple stays as it is
                layers = (*layers, _layer(column, values))
            if layers:
                columns[at] = _Layers(layers)
        elif any(column):
            columns[at] = [None if record is None else values(record) for record in column]
    if render and any(columns[_SIGNALS_AT]):
        signals = columns[_SIGNALS_AT]
        written = list(map(signals_fragment, signals))
        # A document whose signals the report writes otherwise keeps them (None where written).
        kept = (
            None if None not in written else [s if w is None else None for s, w in zip(signals, written, strict=True)]
        )
        columns[_SIGNALS_AT] = _Written(written, kept)
    return columns


class _Written(NamedTuple):
    """A spilled column of signals written for the report (cleaner.report.signals_fragment):
    each document's bytes, or None and its signals in ``kept`` (None where all are written)."""

    written: list[bytes | None]
    kept: list[Any] | None


class _Layers(NamedTuple):
    """A spilled column of tuples of records: a layer for each phase that added records, in
    order, a document's records its records in each (:func:`_layer`). A phase that sets the
    column aside carries the earlier layers to its spill as they are, pickled, and adds its own."""

    layers: tuple[bytes, ...]


def _layer(column: Sequence[tuple[Any, ...]], values: Callable[[Any], tuple[Any, ...]]) -> bytes:
    """A column of tuples of records pickled flat: each document's count and, for each field of
    the records, its values for all the batch's records in order (a list a field, by C-level
    passes: loaded 2x faster than a tuple a record, 47 -> 21 ms for the 30 MB text dump's drops)."""
    fields = map(list, zip(*map(values, chain.from_iterable(column)), strict=True))
    return pickle.dumps((list(map(len, column)), list(fields)), protocol=pickle.HIGHEST_PROTOCOL)


def _unlayer(layers: tuple[bytes, ...], make: Callable[..., Any] | None = None) -> list[Any]:
    """Each document's tuple of records, from the layers :func:`_layer` made: a layer's records
    made in one pass, each document's tuple of them its slice, added to its tuple of the layers
    before (C-level maps over the batch). Without ``make``, each document's list of its records'
    values (a tuple a record)."""
    out: list[Any] | None = None
    for layer in layers:
        counts, fields = pickle.loads(layer)
        made = list(zip(*fields, strict=True)) if make is None else list(map(make, *fields))
        ends = list(accumulate(counts))
        pieces: list[Any] = list(map(made.__getitem__, map(slice, [0, *ends[:-1]], ends)))
        if make is not None:
            pieces = list(map(tuple, pieces))
        if out is not None and len(out) != len(pieces):
            raise RuntimeError(f"spilled layers out of step: {len(out)} and {len(pieces)} documents")
        out = pieces if out is None else list(map(operator.add, out, pieces))
    assert out is not None  # a column of layers has one at least
    return out


def _unspill_rows(columns: list[list[Any]], aside_at: Collection[int] = ()) -> tuple[list[Document], _SetAside | None]:
    """The documents :func:`_spill_rows` made columns of, equal field by field, but for the
    columns of tuples of records at ``aside_at`` (see aside_columns): the documents hold none
    there, and their layers are handed back as they were spilled, for :func:`_spill_rows` to put
    before the records the documents hold then, or for the report."""
    aside: _SetAside = {}
    signals = columns[_SIGNALS_AT]
    if type(signals) is _Written:
        if _SIGNALS_AT not in aside_at:  # the phase that spilled them knew this one's steps
            raise RuntimeError("spilled signals written for the report reached a phase that reads them")
        aside[_SIGNALS_AT] = signals.written
        kept = signals.kept if signals.kept is not None else repeat(None, len(columns[0]))
        columns[_SIGNALS_AT] = [s or {} for s in kept]  # a dict each, as the constructor's factory gives
    for at, make, _, many in _NESTED:
        column = columns[at]
        if many:
            if type(column) is _Layers:
                if at in aside_at:
                    aside[at] = column.layers
                    columns[at] = [()] * len(columns[0])
                else:
                    columns[at] = _unlayer(column.layers, make)
        elif None not in column:  # the sources, and batches where every document has a record
            columns[at] = list(starmap(make, column))
        elif any(column):
            columns[at] = [None if row is None else make(*row) for row in column]
    docs = list(starmap(assemble_document, zip(*columns, strict=True)))  # spilled documents passed their checks
    return docs, aside or None


# --- spilled summaries -------------------------------------------------------------------------


class SpilledSummaries(list[tuple[str, object]]):
    """A shard's corpus-stage summaries, left in a file by the worker and read back on iteration.

    Dedup summaries (shingle hashes of every document and passage) are about three times the
    size of the text, so a driver that held every shard's summaries until ``decide`` would need
    ~3 GB per GB of input. Left in the work folder instead, they stream into ``decide`` one batch
    at a time and the driver holds only what ``decide`` itself keeps. It is a list (empty) so it
    fits ``TaskResult.summaries``; it pickles as its path, so checkpoints stay small.
    """

    def __init__(self, path: Path, count: int) -> None:
        super().__init__()
        self.path, self.size = path, count

    def __reduce__(self) -> tuple[type[SpilledSummaries], tuple[Path, int]]:
        return (SpilledSummaries, (self.path, self.size))  # pickle the path, never the items

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size > 0

    def __iter__(self) -> Iterator[tuple[str, object]]:
        for batch in self._batches():
            yield from unpack_summaries(batch[1] if batch[0] == _JOINED_AFTER else batch)

    def summary_columns(self) -> Iterator[tuple[list[str], dict[str, Any]]]:
        """The summaries a batch at a time as columns, never an object per document: the keys,
        and each field of the summaries' dataclass by name, as a list of its values or, for an
        array field, ``(joined, lengths)``: the documents' arrays joined along their first axis.
        A corpus stage that works on whole columns reads these (dedup's barrier tasks: rebuilding
        a Summary per document, twice, was about 8% of a dedup-only run)."""
        for keys, fields, _ in self.summary_columns_at():
            yield keys, fields

    def summary_columns_at(
        self, skip: Collection[str] = ()
    ) -> Iterator[tuple[list[str], dict[str, Any], dict[str, int]]]:
        """:meth:`summary_columns`, each batch with where its joined arrays lie in :attr:`path`
        (byte offsets, by field name; :func:`dump_summaries` spilled their bytes as they are).
        The arrays of the fields in ``skip`` are not read (``(None, lengths)``) where that
        offset is known: a reader that needs only some documents' rows reads them there later.
        A batch spilled otherwise (a plain pickle) has no offsets and every array read."""
        for batch in self._batches(skip):
            at: dict[str, int] = {}
            if batch[0] == _JOINED_AFTER:
                batch, at = batch[1], batch[2]
            if batch[0] == _ROWS:
                batch = pack_summaries(batch[1])
            if batch[0] == _ROWS:  # not one dataclass: no columns to give
                raise TypeError(f"the summaries in {self.path} are not instances of one dataclass")
            _, kind, keys, columns = batch
            yield keys, {f.name: column for f, column in zip(dataclasses.fields(kind), columns, strict=True)}, at

    def _batches(self, skip: Collection[str] = ()) -> Iterator[tuple[Any, ...]]:
        """The spilled batches as :func:`pack_summaries` made them; one :func:`dump_summaries`
        spilled with its arrays after it comes as ``(_JOINED_AFTER, batch, offsets)``, the
        arrays of ``skip`` not read (see :meth:`summary_columns_at`)."""
        with open(self.path, "rb") as fh:
            while True:
                try:
                    batch = pickle.load(fh)
                except EOFError:
                    return
                if batch[0] == _JOINED_AFTER:
                    yield _JOINED_AFTER, *_read_joined(fh, batch, skip)
                else:
                    yield batch


# A batch of summaries is spilled as columns when every summary is an instance of one dataclass
# (the dedup stage's: an id and three small arrays per document): one array per field for the
# whole batch, and the rows' lengths. Pickling each document's arrays apart cost a pickle frame
# and a Python __setstate__ per array and per record, 10% of a dedup-only run on the Reuters
# bench (py-spy); read back, each summary's arrays are views into the batch's.
_COLUMNS, _ROWS = 1, 0


def pack_summaries(items: Sequence[tuple[str, object]]) -> tuple[Any, ...]:
    """A batch of ``(key, summary)`` as columns where it can be (see :func:`unpack_summaries`).

    >>> from cleaner.record import Edit
    >>> batch = [("a", Edit("x", 1)), ("b", Edit("y", 2))]
    >>> pack_summaries(batch)[0], unpack_summaries(pack_summaries(batch)) == batch
    (1, True)
    """
    if isinstance(items, KeyedSummaries):  # the stage gave its columns: spilled as they are
        return (_COLUMNS, items.summaries.kind, list(items.keys), items.summaries.columns)
    kind = type(items[0][1]) if items else None
    if kind is None or not dataclasses.is_dataclass(kind) or any(type(v) is not kind for _, v in items):
        return (_ROWS, list(items))
    if not all(f.init for f in dataclasses.fields(kind)):  # rebuilt by its constructor, field by field
        return (_ROWS, list(items))
    values = [v for _, v in items]
    columns: list[Any] = []
    for f in dataclasses.fields(kind):
        column = list(map(operator.attrgetter(f.name), values))
        first = column[0]
        if (
            isinstance(first, np.ndarray)
            and first.ndim
            and all(map(isinstance, column, repeat(np.ndarray)))
            and len({(a.dtype, a.ndim, a.shape[1:]) for a in column}) == 1  # one kind of rows
        ):
            lengths = np.fromiter(map(len, column), dtype=np.int64, count=len(column))
            columns.append((np.concatenate(column), lengths))
        else:
            columns.append(column)
    return (_COLUMNS, kind, [key for key, _ in items], columns)


# A batch of columns is spilled as its pickle without the joined arrays (a _Joined each, what
# the array is), then their bytes as they are, in column order: a reader finds where each lies
# (:meth:`SpilledSummaries.summary_columns_at`) and may leave one unread there. The dedup barrier
# without an index files where each document's shingles lie, not the shingles, and without
# passages reads a document's only where it is in a candidate pair (about 2,500 of the Reuters
# bench's 20,000), from the spill: they were read whole and filed again, 23 MB each way.
_JOINED_AFTER = 2


class _Joined(NamedTuple):
    """Where a spilled batch's pickle holds a joined array: its dtype and shape; its bytes
    follow the pickle (:func:`dump_summaries`)."""

    dtype: str
    shape: tuple[int, ...]


def dump_summaries(packed: tuple[Any, ...], fh: IO[bytes]) -> None:
    """Spill a batch :func:`pack_summaries` made to ``fh``: a batch of columns with its joined
    arrays' bytes after its pickle (see _JOINED_AFTER), any other pickled as it is."""
    if packed[0] != _COLUMNS:
        pickle.dump(packed, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return
    _, kind, keys, columns = packed
    arrays, header = [], []
    for column in columns:
        if isinstance(column, tuple) and isinstance(column[0], np.ndarray):
            joined, lengths = column
            joined = np.ascontiguousarray(joined)
            arrays.append(joined)
            column = (_Joined(joined.dtype.str, joined.shape), lengths)
        header.append(column)
    pickle.dump((_JOINED_AFTER, kind, keys, header), fh, protocol=pickle.HIGHEST_PROTOCOL)
    for joined in arrays:
        fh.write(joined.reshape(-1).view(np.uint8).data)


def _read_joined(
    fh: BinaryIO, spilled: tuple[Any, ...], skip: Collection[str]
) -> tuple[tuple[Any, ...], dict[str, int]]:
    """The batch of columns :func:`dump_summaries` spilled (``spilled``: its pickle, ``fh``
    where its arrays start), and where each joined array lies in the file (by field name);
    those of ``skip`` are left unread (None)."""
    _, kind, keys, header = spilled
    columns, at = [], {}
    for f, column in zip(dataclasses.fields(kind), header, strict=True):
        if isinstance(column, tuple) and type(column[0]) is _Joined:
            (dtype, shape), lengths = column
            at[f.name] = fh.tell()
            size = np.dtype(dtype).itemsize * math.prod(shape)
            joined = None
            if f.name in skip:
                fh.seek(size, os.SEEK_CUR)
            else:
                joined = np.empty(shape, dtype=dtype)
                if fh.readinto(joined.reshape(-1).view(np.uint8)) != size:  # type: ignore[attr-defined]  # a BufferedReader
                    raise EOFError(f"the spilled summaries in {getattr(fh, 'name', fh)} end early")
            column = (joined, lengths)
        columns.append(column)
    return (_COLUMNS, kind, keys, columns), at


def unpack_summaries(batch: tuple[Any, ...]) -> list[tuple[str, object]]:
    """The ``(key, summary)`` pairs of a batch :func:`pack_summaries` made, equal field by field."""
    if batch[0] == _ROWS:
        rows: list[tuple[str, object]] = batch[1]
        return rows
    _, kind, keys, columns = batch
    fields: list[list[Any]] = []
    for column in columns:
        if isinstance(column, tuple):
            joined, lengths = column
            at = [0, *np.cumsum(lengths).tolist()]  # Python ints: numpy scalar slicing is slower
            fields.append([joined[at[i] : at[i + 1]] for i in range(len(keys))])
        else:
            fields.append(column)
    return list(zip(keys, starmap(kind, zip(*fields, strict=True)), strict=True))


def spill_summaries(result: TaskResult, task: Task) -> TaskResult:
    """Move a result's summaries to the work folder (atomically); see :class:`SpilledSummaries`."""
    if not result.summaries or isinstance(result.summaries, SpilledSummaries):
        return result
    path = task.paths.summaries(task.segment, task.shard.index)
    with atomic_file(path) as fh:
        items = result.summaries
        for start in range(0, len(items), SPILL_BATCH):
            dump_summaries(pack_summaries(items[start : start + SPILL_BATCH]), fh)
    result.summaries = SpilledSummaries(path, len(result.summaries))
    return result


# --- checkpoint --------------------------------------------------------------------------------


class Checkpoint:
    """Finished tasks and corpus decisions of a run, kept in the work folder (OUTDIR/.cleaner-work).

    A run that is interrupted (Ctrl-C, kill -9, a crash) leaves them behind; the same command
    with the same inputs and config resumes from them instead of starting over. Anything else
    (other inputs, other options, another cleaner version) starts afresh. Every file here is
    written whole or not at all, so a kill at any moment leaves a usable checkpoint.

    Intermediate documents are pickled rather than written as Parquet: they are private to one
    run, must round-trip every field of a Document exactly (drops, edits, offsets), and pickle
    needs no optional dependency.
    """

    def __init__(self, paths: RunPaths, resumed: bool) -> None:
        self.paths, self.resumed = paths, resumed

    @classmethod
    def open(cls, paths: RunPaths, fingerprint: str) -> Checkpoint:
        try:
            same = json.loads(paths.manifest.read_text(encoding="utf-8")).get("fingerprint") == fingerprint
        except (OSError, ValueError, AttributeError):
            same = False
        if not same:
            shutil.rmtree(paths.workdir, ignore_errors=True)
            paths.workdir.mkdir(parents=True)
            with atomic_file(paths.manifest) as fh:
                fh.write(json.dumps({"fingerprint": fingerprint}).encode("utf-8"))
        return cls(paths, same)

    def finished(self, phase: int) -> dict[int, TaskResult]:
        folder = self.paths.done(phase)
        out: dict[int, TaskResult] = {}
        if self.resumed and folder.is_dir():
            for path in folder.glob("*.pkl"):
                with open(path, "rb") as fh:
                    result: TaskResult = pickle.load(fh)
                out[result.shard_index] = result
        return out

    def finish(self, phase: int, result: TaskResult) -> None:
        if result.crashed:  # not a checkpoint: a resumed run tries that shard again
            return
        with atomic_file(self.paths.done(phase) / f"{result.shard_index}.pkl") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        if phase > 0:  # its input is no longer needed
            self.paths.spill(phase - 1, result.shard_index).unlink(missing_ok=True)

    def decisions(self, phase: int) -> dict[int, Path] | None:
        """The decision files of ``phase`` by shard, when a resumed run finds them all filed."""
        if not (self.resumed and self.paths.decisions(phase).exists()):
            return None
        return self.filed_decisions(phase)

    def filed_decisions(self, phase: int) -> dict[int, Path]:
        """The decision file of each shard that has decisions in ``phase`` (after :meth:`save_decisions`)."""
        with open(self.paths.decisions(phase), "rb") as fh:
            shards: list[int] = pickle.load(fh)
        return {shard: self.paths.shard_decisions(phase, shard) for shard in shards}

    def save_decisions(self, phase: int, shards: list[int]) -> None:
        """Record that every shard's decisions of ``phase`` are filed (the corpus stage's tasks
        wrote them, :meth:`cleaner.stage.CorpusStage.file_decisions`): ``shards`` are those
        with a file. Written last, it says they are all there."""
        with atomic_file(self.paths.decisions(phase)) as fh:
            pickle.dump(sorted(shards), fh, protocol=pickle.HIGHEST_PROTOCOL)


# The shape of what the phases leave in the work folder (spilled documents and summaries, filed
# decisions): bump it when one changes, so a folder an earlier build left is started afresh,
# never resumed by code that reads it another way (the version stays 0.1.0 between commits).
# 2: the site-template summaries keep a hash per line, their decisions are line indices.
# 3: dedup's band rows in one barrier file per shard (all groups and their bounds), labels and
#    ids in one file, offsets after the shingle sets.
# 4: page groups of up to 16 MB, not 4 (GROUP_BYTES): an earlier folder's tasks hold other pages.
# 5: a spilled column of drops (edits, passages) is flat: counts and every record's values (_Flat).
# 6: such a column is layers (_Layers), each pickled apart, flat by field; a middle phase carries
#    the earlier layers of drops and edits as they are (aside_columns).
# 7: the signals spilled before a last phase that sets them aside are written for the report (_Written).
# 8: dedup's summaries hold their signatures' band keys, not the signatures.
WORK_FORMAT = 8


def fingerprint(cfg: Config, shards: Sequence[Shard]) -> str:
    """What a checkpoint is valid for: the config (any --jobs), the version and WORK_FORMAT, and
    every shard's file state."""
    from cleaner import __version__

    digest = sha256()
    digest.update(f"{__version__}\n{WORK_FORMAT}\n{dataclasses.replace(cfg, jobs=0)!r}\n".encode())
    for shard in shards:
        try:
            st = shard.file.path.stat()
            state = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            state = "missing"
        real = os.path.realpath(shard.file.path)
        digest.update(f"{shard.file.rel}\0{real}\0{state}\0{shard.start}:{shard.end}\n".encode())
    return digest.hexdigest()


# --- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a run will do: its paths, the files found, the shards cut from them, and the shards
    grouped into tasks (:func:`group_shards`)."""

    paths: RunPaths
    found: Discovery
    shards: list[Shard]
    # The tasks of the run: page groups and single shards (a group whose worker died in the
    # first phase is split into its pages, so one bad page fails alone: see run_phases).
    groups: list[tuple[Shard, ...]] = field(default_factory=list)


# Small pages are cleaned in groups, in input order, of up to GROUP_BYTES or GROUP_FILES pages
# each: a task per page costs a spill, a summaries file, a checkpoint file and a dozen barrier
# files (181 pages made 13k openat and 39k stat calls, and half the run's CPU went to them).
# A group is one task; each page still gets its own output file. Groups follow from the files
# alone, and decisions never depend on how documents are cut into tasks (ranks are input positions).
# 16 MB, not 4: the 181 Scrapinghub pages (31 MB) in 2 tasks, not 8, and the dedup barrier's work
# per shard (its files, a passage chunk and the owner lookups of each) a quarter as often: 2.84 ->
# 2.78 and 2.97 -> 2.87 CPU s at --jobs 1 (medians of 9 and 11 alternated runs, load 2-2.5; in
# session 13, before the passage and owner files, it was within the noise). The price is fewer
# tasks for more workers on a small run of large pages; 256 pages cap a group anyway.
GROUP_BYTES = 16 * 1024 * 1024
GROUP_FILES = 256


def group_shards(shards: Sequence[Shard]) -> list[tuple[Shard, ...]]:
    """Consecutive one-document files (pages) into groups; every other shard alone."""
    groups: list[tuple[Shard, ...]] = []
    current: list[Shard] = []
    size = 0
    for shard in shards:
        if not (handler(shard.file.format).one_document and shard.parts == 1):
            if current:
                groups.append(tuple(current))
                current, size = [], 0
            groups.append((shard,))
            continue
        shard_size = _shard_size(shard)
        if current and (size + shard_size > GROUP_BYTES or len(current) >= GROUP_FILES):
            groups.append(tuple(current))
            current, size = [], 0
        current.append(shard)
        size += shard_size
    if current:
        groups.append(tuple(current))
    return groups


@dataclass
class Hooks:
    """Where a run reports as it goes (all optional): failed documents, progress, notices."""

    on_error: Callable[[str], None] = lambda line: None
    on_progress: Callable[[ProgressEvent], None] | None = None
    on_notice: Callable[[str], None] = lambda line: None


def run(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    cfg: Config,
    report_path: str | Path | None = None,
    *,
    executor: ExecutorFactory,
    on_error: Callable[[str], None] | None = None,
    shard_bytes: int = SHARD_BYTES,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
    keep_intermediate: bool = False,
    also_writes: Sequence[Path] = (),
    discovered: Discovery | None = None,
) -> Report:
    """Clean ``inputs`` into ``outdir`` with tasks run by ``executor``; write the report and
    return the summed counters. :func:`cleaner.runners.run` picks the executor from an engine
    name and documents the options."""
    with fewer_collections() as frozen:  # see GC_YOUNG
        hooks = Hooks(on_progress=on_progress)
        if on_error is not None:
            hooks.on_error = on_error
        if on_notice is not None:
            hooks.on_notice = on_notice
        plan = plan_run(inputs, outdir, report_path, shard_bytes, also_writes, discovered)
        check_owned(plan.paths.outdir)  # before the lock file is made in a folder that is not ours
        with OutputLock(plan.paths.outdir):  # one run at a time into OUTDIR (see cleaner.runners.outdir)
            check_owned(plan.paths.outdir)
            pipeline = Pipeline(cfg)
            if frozen:  # the stages' modules and tables, imported for the run, join what it froze
                gc.freeze()
            run_id = fingerprint(cfg, plan.shards)
            pipeline.prepare(run_id)
            sweep_temp_files(plan.paths.outdir)
            sweep_temp_files(plan.paths.report.parent, plan.paths.report.name)
            checkpoint = Checkpoint.open(plan.paths, run_id)
            claim_outputs(plan.paths.outdir, {output_rel(f.rel) for f in plan.found.files}, checkpoint.resumed)
            jobs = worker_count(cfg, plan.shards)
            runner = executor(jobs, cfg)
            with runner as execute:
                total, crashed = run_phases(pipeline, plan, checkpoint, runner, execute, hooks)
            assemble(plan, total, crashed, hooks)
            if crashed:  # outputs are missing: the index keeps this run pending, a rerun redoes it
                hooks.on_notice(f"the dedup index was not committed: {len(crashed)} shard(s) failed; run again")
            else:
                pipeline.commit()  # every output is written: the run's rows join the index
            if not keep_intermediate:
                shutil.rmtree(plan.paths.workdir, ignore_errors=True)
        return total


# Allocations of container objects (net) between two collections of the cyclic garbage
# collector's youngest generation during a run; Python's default is 700. A run allocates a few
# tuples, lists and dicts per record (reading, spilling, rows of the report), and each collection
# also walks whatever is young: the collector took 80 ms of a 2.2 CPU-s dedup-only run on the
# Reuters bench, 20 ms so (re-check: gc.callbacks around the run). The run holds little garbage
# in cycles, so collecting later costs no memory to speak of.
GC_YOUNG = 10_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[bool]:
    """Collect cyclic garbage less often for the length of a run: the objects alive before it
    (modules, the caller's data) are left out of collections (``gc.freeze``) and the youngest
    generation is collected every GC_YOUNG allocations. Restored afterwards. A caller that froze
    objects itself (a forking server does) keeps them frozen: the run then freezes nothing, since
    ``gc.unfreeze`` cannot tell its objects from the caller's. Yields whether it froze: the run
    may then freeze more of its own (the pipeline's modules: see run), all unfrozen at the end.

    Those modules, imported when the run builds its pipeline, were otherwise young objects that
    the first collection of the run walked: 2-11 ms on the seeds and the Reuters bench (one
    collection, gc.callbacks around it), 0.5-1.2 with them frozen."""
    threshold = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    gc.set_threshold(max(GC_YOUNG, threshold[0]), *threshold[1:])
    try:
        yield freeze
    finally:
        gc.set_threshold(*threshold)
        if freeze:
            gc.unfreeze()


# With --jobs 0 (one per core), a worker is started only per this many bytes of input: a worker
# process costs ~0.35 CPU-s to start (it imports cleaner and builds its pipeline), what one core
# cleans of a few MB, so a small input runs in this process. An explicit --jobs is obeyed.
BYTES_PER_WORKER = 8 * 1024 * 1024


def worker_count(cfg: Config, shards: Sequence[Shard]) -> int:
    """How many workers a run uses: ``--jobs`` (0: one per core, and one per BYTES_PER_WORKER of
    input), never more than there are shards.

    >>> worker_count(Config(jobs=3), [])
    1
    """
    jobs = cfg.jobs or os.cpu_count() or 1
    if not cfg.jobs:
        size = sum(_shard_size(s) for s in shards)
        jobs = min(jobs, max(1, -(-size // BYTES_PER_WORKER)))
    return min(jobs, max(1, len(shards)))


def plan_run(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    report_path: str | Path | None,
    shard_bytes: int,
    also_writes: Sequence[Path] = (),
    discovered: Discovery | None = None,
) -> Plan:
    """Check the paths, fetch remote inputs, find the input files and cut them into shards.

    ``discovered`` is what :func:`cleaner.readers.discover` found in ``inputs`` when the caller
    walked them already (the CLI checks its inputs first): a folder of millions of files is
    walked once. It is ignored when an input is a URL (the staged copies are walked here)."""
    report = resolve_link(Path(report_path)) if report_path else default_report_path(Path(outdir))
    paths = RunPaths(Path(outdir), report)
    inputs = [local_input(p) for p in inputs]  # file:///x is the path /x
    staged = any(is_url(p) for p in inputs)
    if staged:
        # Every path this machine can check is checked before anything is downloaded.
        check_paths([Path(p) for p in inputs if not is_url(p)], paths.outdir, paths.report, also_writes)
        check_writable_paths(paths.outdir, paths.report, also_writes)
        check_owned(paths.outdir)
        # URLs (s3://, gs://, ...) are copied to a folder beside OUTDIR (not inside it: an input may
        # not live in the output), and a resumed run reuses complete copies.
        inputs = stage_inputs(inputs, paths.outdir.with_name(paths.outdir.name + ".remote"))
    input_paths = [Path(p) for p in inputs]
    check_paths(input_paths, paths.outdir, paths.report, also_writes)
    check_writable_paths(paths.outdir, paths.report, also_writes)
    found = discovered if discovered is not None and not staged else discover(input_paths)
    clashes = output_collisions(found.files)
    if clashes:
        out, first, second = clashes[0]
        raise UsageError(f"{first} and {second} would both be written to {out}; clean them in separate runs")
    shards = plan_shards(found.files, shard_bytes)
    return Plan(paths, found, shards, group_shards(shards))


def run_phases(
    pipeline: Pipeline,
    plan: Plan,
    checkpoint: Checkpoint,
    runner: Executor,
    execute: Callable[[Sequence[Task]], Iterator[TaskResult]],
    hooks: Hooks,
) -> tuple[Report, dict[int, str]]:
    """Run every segment over every shard, deciding at each barrier; return the summed report
    and the shards whose worker died (shard index -> message)."""
    total = Report(files_skipped=len(plan.found.skipped))
    groups = plan.groups
    split = _load_split(checkpoint)
    if split:
        groups[:] = _split_groups(groups, split)
    members = {group[0].index: group for group in groups}
    progress = _Progress(plan.shards, len(pipeline.segments), hooks.on_progress)
    decisions_by_shard: dict[int, Path] = {}
    crashed: dict[int, str] = {}
    resumed = checkpoint.resumed
    for number, segment in enumerate(pipeline.segments):
        results_by_shard = checkpoint.finished(number)
        tasks = [
            Task(g[0], number, decisions_by_shard.get(g[0].index, {}), plan.paths, g if len(g) > 1 else ())
            for g in groups
            if g[0].index not in results_by_shard and g[0].index not in crashed
        ]
        if resumed and tasks:  # say where the resumed run picks up, once
            phase = f" (phase {number + 1} of {len(pipeline.segments)})" if len(pipeline.segments) > 1 else ""
            done = sum(len(members[first]) for first in results_by_shard)
            hooks.on_notice(f"resuming: {done} of {len(plan.shards)} shards already done{phase}")
            resumed = False
        name = segment.corpus.name if segment.corpus is not None else "write"
        progress.start(name, number, results_by_shard, members)
        while True:  # once, and again for the pages of groups whose worker died
            died: list[int] = []
            for result in execute(tasks):
                if result.crashed and number == 0 and len(members[result.shard_index]) > 1:
                    died.append(result.shard_index)  # its pages are tried one by one below
                    continue
                checkpoint.finish(number, result)
                results_by_shard[result.shard_index] = result
                if result.crashed:
                    for member in members[result.shard_index]:
                        crashed[member.index] = result.crashed
                progress.done(result, members[result.shard_index])
            if not died:
                break
            # Split those groups, for the rest of the run and a resumed one, and run their pages alone.
            split = sorted({*split, *died})
            _save_split(checkpoint, split)
            tasks = [Task(m, number, {}, plan.paths) for first in died for m in members[first]]
            groups[:] = _split_groups(groups, split)
            members = {group[0].index: group for group in groups}
        results = [results_by_shard[g[0].index] for g in groups if g[0].index in results_by_shard]
        for result in results:
            total = total + result.report
            for line in result.errors:
                hooks.on_error(line)
        if segment.corpus is not None:
            decisions_by_shard = barrier(segment.corpus, number, results, checkpoint, runner, total)
    return total, crashed


def _split_groups(groups: list[tuple[Shard, ...]], split: Sequence[int]) -> list[tuple[Shard, ...]]:
    """``groups`` with those that start at a shard of ``split`` cut into single shards."""
    cut = set(split)
    return [part for g in groups for part in ([(m,) for m in g] if g[0].index in cut and len(g) > 1 else [g])]


def _split_path(checkpoint: Checkpoint) -> Path:
    return checkpoint.paths.workdir / "split-groups.json"


def _load_split(checkpoint: Checkpoint) -> list[int]:
    try:
        split: list[int] = json.loads(_split_path(checkpoint).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return split


def _save_split(checkpoint: Checkpoint, split: list[int]) -> None:
    with atomic_file(_split_path(checkpoint)) as fh:
        fh.write(json.dumps(split).encode("utf-8"))


def barrier(
    corpus: CorpusStage,
    phase: int,
    results: Sequence[TaskResult],
    checkpoint: Checkpoint,
    runner: Executor,
    total: Report,
) -> dict[int, Path]:
    """The corpus stage's decisions for the phase, taken once (they may write to a persistent
    index) by its tasks on the executor (the workers, with either engine), whose last ones file
    each shard's decisions in the checkpoint, where that shard's next task reads them: the
    driver never holds them. Their time goes to the report under the stage's name."""
    started = time.perf_counter()
    filed = checkpoint.decisions(phase)
    if filed is None:
        paths = checkpoint.paths
        # An interrupted attempt may have filed some shards: they are decided again.
        shutil.rmtree(paths.shard_decisions(phase, 0).parent, ignore_errors=True)
        # Absolute: the tasks that write them may run in another folder (a Dask worker elsewhere).
        targets = [Path(os.path.abspath(paths.shard_decisions(phase, r.shard_index))) for r in results]
        wrote = corpus.file_decisions([r.summaries for r in results], runner.map, paths.barrier(phase), targets)
        checkpoint.save_decisions(phase, [r.shard_index for r, w in zip(results, wrote, strict=True) if w])
        filed = checkpoint.filed_decisions(phase)
    total.add_seconds(corpus.name, time.perf_counter() - started)
    return filed


class _Progress:
    """Turns task results into ProgressEvents (phase, shards and bytes done)."""

    def __init__(
        self, shards: Sequence[Shard], phases: int, on_progress: Callable[[ProgressEvent], None] | None
    ) -> None:
        self.shards, self.phases, self.emit = shards, phases, on_progress
        self.sizes = [_shard_size(s) for s in shards] if on_progress is not None else []
        self.bytes_total = sum(self.sizes)
        self.name, self.number, self.bytes_done, self.shards_done = "", 0, 0, 0

    def start(
        self, name: str, number: int, finished: dict[int, TaskResult], members: dict[int, tuple[Shard, ...]]
    ) -> None:
        self.name, self.number = name, number
        done = [m.index for first in finished for m in members[first]]
        self.shards_done = len(done)
        self.bytes_done = sum(self.sizes[i] for i in done) if self.sizes else 0

    def done(self, result: TaskResult, group: tuple[Shard, ...]) -> None:
        """A task's shards are done: an event for its shard, or for each page of a page group
        (one document each), so progress and ``-v`` still go file by file."""
        for shard in group:
            self.shards_done += 1
            if self.emit is None:
                continue
            self.bytes_done += self.sizes[shard.index]
            docs = 1 if len(group) > 1 else result.report.docs_in or len(result.summaries)
            self.emit(
                ProgressEvent(
                    self.name,
                    self.number + 1,
                    self.phases,
                    self.shards_done,
                    len(self.shards),
                    self.bytes_done,
                    self.bytes_total,
                    docs,
                    shard.file.rel,
                )
            )


def _shard_size(shard: Shard) -> int:
    if shard.end is not None and handler(shard.file.format).byte_ranges:
        return shard.end - shard.start
    try:  # a whole file, or (Parquet, whose ranges count row groups) an even share of one
        return shard.file.path.stat().st_size // shard.parts
    except OSError:
        return 0


def assemble(plan: Plan, total: Report, crashed: dict[int, str], hooks: Hooks) -> None:
    """Join split files' output parts and the report parts, in shard order; shards whose worker
    died, and inputs that could not be listed, get an error line in the report."""
    paths = plan.paths
    by_file: dict[str, list[Shard]] = {}
    for shard in plan.shards:
        by_file.setdefault(shard.file.rel, []).append(shard)
    for rel, parts in by_file.items():
        if len(parts) > 1:
            concatenate(
                (paths.out_part(s.index) for s in parts if s.index not in crashed), paths.outdir / output_rel(rel)
            )

    def failure(where: str, source: Source, message: str, reason: Reason) -> Document:
        doc = Document(id=str(source), text="", source=source).reject(reason, message)
        total.add_document(doc)
        hooks.on_error(f"{where}: {message}")
        return doc

    firsts = {group[0].index for group in plan.groups}  # a page group's report part is its first's

    def pieces() -> Iterator[Document | Path]:
        for where, message in plan.found.errors:
            yield failure(where, Source(where), message, Reason.ERROR_READ)
        for shard in plan.shards:
            if shard.index in crashed:
                line = shard.first_line if shard.parts > 1 else None
                where = f"{shard.file.path}:{line}" if line else str(shard.file.path)
                yield failure(where, Source(shard.file.rel, line), crashed[shard.index], Reason.ERROR_INTERNAL)
            elif shard.index in firsts:
                yield paths.report_part(shard.index)

    join_report(paths.report, pieces())
