"""The default runner: local worker processes over shards, with barriers for corpus-level stages.

A run goes phase by phase. Each phase runs one pipeline segment over every shard in parallel:
per-document stages, then the summaries of the corpus stage that ends the segment. Workers spill
their documents to a work folder (hidden inside OUTDIR) and send back only the compact summaries.
Corpus stages that can decide through tasks do so in the same pool (``decide_sharded``: site
templates and dedup, see cleaner.dedup.sharded); for any other, the driver feeds all summaries,
in input order, to its ``decide``. The next phase applies those decisions. The last phase writes the
outputs and the report parts, which the driver joins in shard order. Shards are cut from the
input alone, and every decision is taken in input order (ranks are input positions), so output
and report are byte-identical for any ``--jobs``.

Worker processes are started with ``spawn``: it works the same on every platform and proves that
stages pickle, which the Dask runner needs too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import os
import pickle
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cleaner.config import Config
from cleaner.errors import UsageError
from cleaner.formats.remote import is_url, stage_inputs
from cleaner.pipeline import Pipeline, apply_decisions, run_stages, summarize
from cleaner.progress import ProgressEvent
from cleaner.readers import SHARD_BYTES, Discovery, Shard, discover, plan_shards, read_shard
from cleaner.record import Document, Reason, Source
from cleaner.report import Report, document_record, dumps_record
from cleaner.stage import CorpusStage
from cleaner.writers import (
    PartWriter,
    atomic_file,
    concatenate,
    jsonl_line,
    output_collisions,
    output_rel,
    sweep_temp_files,
    write_document_file,
)

T = TypeVar("T")

# Documents are processed in batches: large enough to amortise per-call overhead in the stages,
# small enough that a worker holds only a few MB of text at a time.
BATCH_DOCS = 256
WORK_DIR = ".cleaner-work"


@dataclass(frozen=True)
class RunPaths:
    outdir: Path
    report: Path

    @property
    def workdir(self) -> Path:
        return self.outdir / WORK_DIR


@dataclass(frozen=True)
class Task:
    shard: Shard
    segment: int
    decisions: dict[str, object]  # decisions of the corpus stage before this segment, for this shard
    paths: RunPaths


@dataclass
class TaskResult:
    shard_index: int
    summaries: list[tuple[str, object]] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    errors: list[str] = field(default_factory=list)  # one line per failed document, for stderr
    crashed: str | None = None  # the worker died on this shard (set by the executor)


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

    def keys(self) -> list[str]:
        """The documents' keys alone, from a small file beside the summaries: the driver files
        each shard's decisions under them without reading every summary back."""
        with open(_keys_path(self.path), "rb") as fh:
            keys: list[str] = pickle.load(fh)
        return keys

    def __iter__(self) -> Iterator[tuple[str, object]]:
        with open(self.path, "rb") as fh:
            while True:
                try:
                    batch = pickle.load(fh)
                except EOFError:
                    return
                yield from batch


# Summaries are written this many at a time: one batch is what the driver holds while reading.
SPILL_BATCH = 1024


def spill_summaries(result: TaskResult, task: Task) -> TaskResult:
    """Move a result's summaries to the work folder (atomically); see :class:`SpilledSummaries`."""
    if not result.summaries:
        return result
    path = task.paths.workdir / "summaries" / str(task.segment) / f"{task.shard.index}.pkl"
    with atomic_file(path) as fh:
        items = result.summaries
        for start in range(0, len(items), SPILL_BATCH):
            pickle.dump(items[start : start + SPILL_BATCH], fh, protocol=pickle.HIGHEST_PROTOCOL)
    with atomic_file(_keys_path(path)) as fh:
        pickle.dump([key for key, _ in items], fh, protocol=pickle.HIGHEST_PROTOCOL)
    result.summaries = SpilledSummaries(path, len(result.summaries))
    return result


def _keys_path(path: Path) -> Path:
    return path.with_name(path.stem + ".keys.pkl")


def summary_keys(summaries: list[tuple[str, object]]) -> list[str]:
    """The keys of a shard's summaries, spilled or not."""
    if isinstance(summaries, SpilledSummaries):
        return summaries.keys()
    return [key for key, _ in summaries]


def default_report_path(outdir: Path) -> Path:
    """``OUTDIR.report.jsonl`` beside OUTDIR: outside OUTDIR's mirror, and never inside an input."""
    outdir = Path(os.path.abspath(outdir))
    return outdir.with_name(outdir.name + ".report.jsonl")


def check_paths(inputs: Sequence[Path], outdir: Path, report: Path) -> None:
    """Refuse layouts that would write into an input or read our own output."""
    out = Path(os.path.realpath(outdir))
    rep = Path(os.path.realpath(report))
    for raw in inputs:
        src = Path(os.path.realpath(raw))
        if out == src or src in out.parents:
            raise UsageError(f"output folder {outdir} is inside input {raw}; choose an output folder outside it")
        if out in src.parents:
            raise UsageError(f"input {raw} is inside output folder {outdir}; choose an output folder elsewhere")
        if rep == src or (src.is_dir() and src in rep.parents):
            raise UsageError(f"report {report} would be written inside input {raw}; pass --report elsewhere")
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {outdir} exists and is not a folder; choose another -o")


def run(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    cfg: Config,
    report_path: str | Path | None = None,
    on_error: Callable[[str], None] | None = None,
    shard_bytes: int = SHARD_BYTES,
    executor: Callable[[int, Config], Executor] | None = None,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    keep_intermediate: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
) -> Report:
    """Clean ``inputs`` into ``outdir`` and write the report; return the summed counters.

    ``on_error`` receives one line per input or record that failed, in input order.
    ``shard_bytes`` is how large a plain JSONL file may be before it is split between workers.
    ``executor`` builds what runs the tasks (default: local processes); the Dask runner passes its own.
    ``on_progress`` receives a ProgressEvent after each task's result (phase, shards and bytes done).
    An interrupted run leaves its finished tasks in OUTDIR/.cleaner-work; the same command resumes
    from them. ``keep_intermediate`` keeps that folder after a finished run.
    ``engine`` is ``"local"`` (processes) or ``"dask"`` (cleaner.runners.dask: the cluster at
    ``scheduler``, e.g. ``tcp://host:8786``, else a LocalCluster of ``cfg.jobs`` workers).
    """
    if engine == "dask" and executor is None:
        from cleaner.runners.dask import executor_factory

        executor = executor_factory(scheduler)
    elif engine not in ("local", "dask"):
        raise UsageError(f"unknown engine {engine!r}: choose local or dask")
    elif scheduler is not None and engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    paths = RunPaths(Path(outdir), Path(report_path) if report_path else default_report_path(Path(outdir)))
    if any(is_url(p) for p in inputs):
        # URLs (s3://, gs://, ...) are copied to a folder beside OUTDIR (not inside it: an input may
        # not live in the output), and a resumed run reuses complete copies.
        inputs = stage_inputs(inputs, paths.outdir.with_name(paths.outdir.name + ".remote"))
    input_paths = [Path(p) for p in inputs]
    check_paths(input_paths, paths.outdir, paths.report)
    found = discover(input_paths)
    clashes = output_collisions(found.files)
    if clashes:
        out, first, second = clashes[0]
        raise UsageError(f"{first} and {second} would both be written to {out}; clean them in separate runs")
    shards = plan_shards(found.files, shard_bytes)
    pipeline = Pipeline(cfg)
    fingerprint = _fingerprint(cfg, shards)
    pipeline.prepare(fingerprint)
    total = Report(files_skipped=len(found.skipped))
    report_error = on_error or (lambda line: None)

    workdir = paths.workdir
    sweep_temp_files(paths.outdir)
    sweep_temp_files(paths.report.parent, paths.report.name)
    checkpoint = Checkpoint.open(workdir, fingerprint)
    jobs = min(cfg.jobs or os.cpu_count() or 1, max(1, len(shards)))
    runner = (executor or LocalExecutor)(jobs, cfg)
    with runner as execute:
        decisions_by_shard: dict[int, dict[str, object]] = {}
        crashed: dict[int, str] = {}
        sizes = [_shard_size(s) for s in shards] if on_progress is not None else []
        bytes_total = sum(sizes)
        for number, segment in enumerate(pipeline.segments):
            results_by_shard = checkpoint.finished(number)
            tasks = [
                Task(s, number, decisions_by_shard.get(s.index, {}), paths)
                for s in shards
                if s.index not in results_by_shard and s.index not in crashed
            ]
            bytes_done = sum(sizes[i] for i in results_by_shard) if sizes else 0
            for result in execute(tasks):
                checkpoint.finish(number, result)
                results_by_shard[result.shard_index] = result
                if result.crashed:
                    crashed[result.shard_index] = result.crashed
                if on_progress is not None:
                    done = shards[result.shard_index]
                    bytes_done += sizes[done.index]
                    on_progress(
                        ProgressEvent(
                            segment.corpus.name if segment.corpus is not None else "write",
                            number + 1,
                            len(pipeline.segments),
                            len(results_by_shard),
                            len(shards),
                            bytes_done,
                            bytes_total,
                            result.report.docs_in or len(result.summaries),
                            done.file.rel,
                        )
                    )
            results = [results_by_shard[s.index] for s in shards if s.index in results_by_shard]
            for result in results:
                total = total + result.report
                for line in result.errors:
                    report_error(line)
            if segment.corpus is not None:
                started = time.perf_counter()
                decisions = checkpoint.decisions(number)
                if decisions is None:  # decide once: it may write to a persistent index
                    decisions = _decide(segment.corpus, results, runner, workdir / "barrier" / str(number))
                    checkpoint.save_decisions(number, decisions)
                total.add_seconds(segment.corpus.name, time.perf_counter() - started)
                decisions_by_shard = {
                    r.shard_index: {k: decisions[k] for k in summary_keys(r.summaries) if k in decisions}
                    for r in results
                }
    _assemble(shards, paths, found, total, report_error, crashed)
    if not keep_intermediate:
        shutil.rmtree(workdir, ignore_errors=True)
    return total


def _decide(corpus: CorpusStage, results: Sequence[TaskResult], runner: Executor, folder: Path) -> dict[str, object]:
    """The corpus stage's decisions: by tasks on the workers when both the stage and the
    executor can (the dedup stage, with either engine: ``decide_sharded``), else on the driver.
    Both give the same decisions (tests/dedup/test_dedup_sharded.py)."""
    run_map = getattr(runner, "map", None)
    sharded = getattr(corpus, "decide_sharded", None)
    if run_map is not None and sharded is not None:
        return dict(sharded([r.summaries for r in results], run_map, folder))
    return dict(corpus.decide(chain.from_iterable(r.summaries for r in results)))


def _shard_size(shard: Shard) -> int:
    if shard.end is not None and shard.file.format.name != "parquet":
        return shard.end - shard.start
    try:  # a whole file, or (Parquet, whose ranges count row groups) an even share of one
        return shard.file.path.stat().st_size // shard.parts
    except OSError:
        return 0


def _assemble(
    shards: Sequence[Shard],
    paths: RunPaths,
    found: Discovery,
    total: Report,
    report_error: Callable[[str], None],
    crashed: dict[int, str],
) -> None:
    """Join split JSONL outputs and the report parts, in shard order."""
    workdir = paths.workdir
    by_file: dict[str, list[Shard]] = {}
    for shard in shards:
        by_file.setdefault(shard.file.rel, []).append(shard)
    for rel, parts in by_file.items():
        if len(parts) > 1:
            concatenate(
                (workdir / "out" / f"{s.index}.part" for s in parts if s.index not in crashed),
                paths.outdir / output_rel(rel),
            )
    with atomic_file(paths.report) as fh:

        def error_record(where: str, source: Source, message: str, reason: Reason) -> None:
            doc = Document(id=str(source), text="", source=source).reject(reason, message)
            fh.write(dumps_record(document_record(doc)).encode("utf-8"))
            total.add_document(doc)
            report_error(f"{where}: {message}")

        for where, message in found.errors:
            error_record(where, Source(where), message, Reason.ERROR_READ)
        for shard in shards:
            if shard.index in crashed:
                line = shard.first_line if shard.parts > 1 else None
                where = f"{shard.file.path}:{line}" if line else str(shard.file.path)
                error_record(where, Source(shard.file.rel, line), crashed[shard.index], Reason.ERROR_INTERNAL)
                continue
            with open(workdir / "report" / f"{shard.index}.jsonl", "rb") as part:
                shutil.copyfileobj(part, fh, 1 << 20)


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

    def __init__(self, workdir: Path, resumed: bool) -> None:
        self.workdir, self.resumed = workdir, resumed

    @classmethod
    def open(cls, workdir: Path, fingerprint: str) -> Checkpoint:
        manifest = workdir / "manifest.json"
        try:
            same = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint") == fingerprint
        except (OSError, ValueError, AttributeError):
            same = False
        if not same:
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir(parents=True)
            with atomic_file(manifest) as fh:
                fh.write(json.dumps({"fingerprint": fingerprint}).encode("utf-8"))
        return cls(workdir, same)

    def finished(self, phase: int) -> dict[int, TaskResult]:
        folder = self.workdir / "done" / str(phase)
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
        with atomic_file(self.workdir / "done" / str(phase) / f"{result.shard_index}.pkl") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        if phase > 0:  # its input is no longer needed
            (self.workdir / "spill" / str(phase - 1) / f"{result.shard_index}.pkl").unlink(missing_ok=True)

    def decisions(self, phase: int) -> dict[str, object] | None:
        path = self.workdir / "decisions" / f"{phase}.pkl"
        if not (self.resumed and path.exists()):
            return None
        with open(path, "rb") as fh:
            decisions: dict[str, object] = pickle.load(fh)
        return decisions

    def save_decisions(self, phase: int, decisions: dict[str, object]) -> None:
        with atomic_file(self.workdir / "decisions" / f"{phase}.pkl") as fh:
            pickle.dump(decisions, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _fingerprint(cfg: Config, shards: Sequence[Shard]) -> str:
    """What a checkpoint is valid for: the config (any --jobs), the version, and every shard's file state."""
    from cleaner import __version__

    digest = hashlib.sha256()
    digest.update(f"{__version__}\n{dataclasses.replace(cfg, jobs=0)!r}\n".encode())
    for shard in shards:
        try:
            st = shard.file.path.stat()
            state = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            state = "missing"
        real = os.path.realpath(shard.file.path)
        digest.update(f"{shard.file.rel}\0{real}\0{state}\0{shard.start}:{shard.end}\n".encode())
    return digest.hexdigest()


# --- workers -------------------------------------------------------------------------------------

# The pipeline of a worker process, built once by the pool initializer. This is the one piece of
# process-level state: building stages (regexes, tables) per task would cost more than the task.
_worker_pipeline: Pipeline | None = None


def _init_worker(cfg: Config) -> None:
    global _worker_pipeline
    _worker_pipeline = Pipeline(cfg)
    _worker_pipeline.setup()


def _run_in_worker(task: Task) -> TaskResult:
    if _worker_pipeline is None:
        raise RuntimeError("worker pipeline is not initialised")
    return run_task(_worker_pipeline, task)


class Executor(Protocol):
    """Runs a phase's tasks and yields their results in task order (a context manager)."""

    def __enter__(self) -> Callable[[Sequence[Task]], Iterator[TaskResult]]: ...

    def __exit__(self, *exc: object) -> None: ...


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


class LocalExecutor:
    """Runs tasks in order: in this process for one job, else in a spawn-based process pool.

    A worker that dies (a crash inside a parser, the kernel's out-of-memory killer) breaks the
    pool. The executor then runs the first unfinished task alone in a fresh process: if that one
    dies too, its shard is reported as failed; either way the pool is rebuilt for the rest.
    """

    def __init__(self, jobs: int, cfg: Config, worker: Callable[[Task], TaskResult] | None = None) -> None:
        self.jobs, self.cfg = jobs, cfg
        self.worker = worker or _run_in_worker  # a module-level function (it is pickled by name)
        self.pool: ProcessPoolExecutor | None = None

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(self.cfg,))

    def __enter__(self) -> Callable[[Sequence[Task]], Iterator[TaskResult]]:
        if self.jobs > 1:
            return self._run_pooled
        local = Pipeline(self.cfg)
        local.setup()
        return lambda tasks: (run_task(local, t) for t in tasks)

    def _run_pooled(self, tasks: Sequence[Task]) -> Iterator[TaskResult]:
        pending = list(tasks)
        while pending:
            if self.pool is None:
                self.pool = self._new_pool(self.jobs)
            futures = [self.pool.submit(self.worker, t) for t in pending]
            for position, future in enumerate(futures):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    self.pool.shutdown(cancel_futures=True)
                    self.pool = None
                    yield self._run_alone(pending[position])
                    pending = pending[position + 1 :]
                    break
                yield result
            else:
                pending = []

    def map(self, fn: Callable[..., T], args: Sequence[tuple[object, ...]]) -> Iterator[T]:
        """``fn(*a)`` for each ``a`` of ``args``, results in order: in the pool's processes (in
        this process for one job). Corpus stages' tasks run through it (``Dedup.decide_sharded``,
        see cleaner.dedup.sharded). A worker dying here fails the run, which resumes from the
        last checkpoint when run again."""
        if self.jobs <= 1:
            return (fn(*a) for a in args)
        if self.pool is None:
            self.pool = self._new_pool(self.jobs)
        pool = self.pool
        return in_order(lambda a: pool.submit(fn, *a), args, self.jobs * 4)

    def _run_alone(self, task: Task) -> TaskResult:
        pool = self._new_pool(1)
        try:
            return pool.submit(self.worker, task).result()
        except BrokenProcessPool:
            return TaskResult(
                task.shard.index,
                crashed="a worker process died while cleaning this file (a crash in a parser, or out of "
                "memory) and its documents were skipped; run it alone with --jobs 2 --debug to investigate",
            )
        finally:
            pool.shutdown(cancel_futures=True)

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def run_task(pipeline: Pipeline, task: Task) -> TaskResult:
    """Run one segment of the pipeline over one shard."""
    shard, number = task.shard, task.segment
    segment = pipeline.segments[number]
    previous = pipeline.segments[number - 1].corpus if number > 0 else None
    result = TaskResult(shard.index)
    workdir = task.paths.workdir
    spill_in = workdir / "spill" / str(number - 1) / f"{shard.index}.pkl"
    batches: Iterable[list[Document]]
    if number == 0:
        batches = _batched(read_shard(shard, pipeline.config.limits), BATCH_DOCS)
    else:
        batches = _load_spill(spill_in)

    def process(batch: list[Document]) -> list[Document]:
        if previous is not None:
            batch = apply_decisions(batch, previous, task.decisions, result.report)
        return run_stages(batch, segment.stages, result.report)

    if segment.corpus is not None:
        spill_out = workdir / "spill" / str(number) / f"{shard.index}.pkl"
        with atomic_file(spill_out) as fh:
            for batch in batches:
                batch = process(batch)
                batch, summaries = summarize(batch, segment.corpus, result.report)
                result.summaries.extend(summaries)
                pickle.dump(batch, fh, protocol=pickle.HIGHEST_PROTOCOL)
    else:
        _write_final(shard, (process(b) for b in batches), task.paths, result)
    return spill_summaries(result, task)


def _write_final(shard: Shard, batches: Iterable[list[Document]], paths: RunPaths, result: TaskResult) -> None:
    f = shard.file
    report_part = PartWriter(paths.workdir / "report" / f"{shard.index}.jsonl")
    try:
        if f.format.name == "parquet":  # Parquet in, Parquet out (cleaner.formats.parquet)
            from cleaner.formats.parquet import ParquetRows, readable, write_split_part

            def kept() -> Iterator[Document]:
                for batch in batches:
                    for doc in batch:
                        _record(doc, report_part, result, f.path)
                        if doc.status == "kept":
                            yield doc

            if not readable(f.path):  # the reader reported why; there is no schema to write
                for _ in kept():
                    pass
            elif shard.parts > 1:
                first = shard.index - shard.part
                outs = [paths.workdir / "out" / f"{first + i}.part" for i in range(shard.parts)]
                write_split_part(f.path, kept(), paths.workdir / "parquet" / str(first), outs, shard.part)
            else:
                with atomic_file(paths.outdir / output_rel(f.rel)) as fh:
                    sink = ParquetRows(f.path, fh)
                    try:
                        for doc in kept():
                            sink.add(doc)
                    finally:
                        sink.close()
        elif f.format.name in ("jsonl", "warc"):  # WARC in, JSONL out
            if shard.parts > 1:
                out = PartWriter(paths.workdir / "out" / f"{shard.index}.part")
                try:
                    _write_records(batches, out.write, report_part, result, f.path)
                finally:
                    out.close()
            else:
                target = paths.outdir / output_rel(f.rel)
                with atomic_file(target, compress=f.format.compression == "gzip") as fh:
                    if f.format.compression == "zstd":
                        from cleaner.formats.compression import zstd_writer

                        with zstd_writer(fh) as zfh:
                            _write_records(batches, zfh.write, report_part, result, f.path)
                    else:
                        _write_records(batches, fh.write, report_part, result, f.path)
        else:
            for batch in batches:
                for doc in batch:
                    write_document_file(paths.outdir, f, doc)
                    _record(doc, report_part, result, f.path)
    finally:
        report_part.close()


def _write_records(
    batches: Iterable[list[Document]],
    write: Callable[[bytes], object],
    report_part: PartWriter,
    result: TaskResult,
    path: Path,
) -> None:
    for batch in batches:
        for doc in batch:
            if doc.status == "kept":
                write(jsonl_line(doc))
            _record(doc, report_part, result, path)


def _record(doc: Document, report_part: PartWriter, result: TaskResult, path: Path) -> None:
    report_part.write(dumps_record(document_record(doc)).encode("utf-8"))
    result.report.add_document(doc)
    if doc.status == "error" and doc.rejected is not None:
        where = f"{path}:{doc.source.line}" if doc.source.line is not None else str(path)
        result.errors.append(f"{where}: {doc.rejected.detail}")


def _batched(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    it = iter(docs)
    while batch := list(islice(it, size)):
        yield batch


def _load_spill(path: Path) -> Iterator[list[Document]]:
    with open(path, "rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return
