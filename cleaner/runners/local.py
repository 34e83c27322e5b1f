"""The local engine: a phase's tasks run in worker processes on this machine.

What a run does is the same for every engine (cleaner.runners.core); this module only says
where its tasks run: in this process for one job, else in a pool of ``spawn``-ed processes, each
building its Pipeline once. ``spawn`` works the same on every platform and proves that stages
pickle, which the Dask engine needs too.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from cleaner.config import Config
from cleaner.errors import CleanerError
from cleaner.pipeline import Pipeline
from cleaner.runners.core import GC_YOUNG, WORKER_DIED, Task, TaskResult, in_order, run_task, task_name

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# multiprocessing and concurrent.futures are imported by the pooled paths only: a run with one job
# (and every small run) never needs them (about 12 ms of its start).

T = TypeVar("T")

# The pipeline of a worker process, built once by the pool initializer. This is the one piece of
# process-level state: building stages (regexes, tables) per task would cost more than the task.
_worker_pipeline: Pipeline | None = None


def _init_worker(cfg: Config) -> None:
    global _worker_pipeline
    # Ctrl-C reaches every process of the terminal's process group: the driver handles it and
    # stops the workers, which would otherwise each print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # discards a Ctrl-C held pending since the start (_held)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _worker_pipeline = Pipeline(cfg)
    _worker_pipeline.setup()
    # A worker lives for the run: collect as its driver does (see fewer_collections).
    gc.freeze()
    gc.set_threshold(max(GC_YOUNG, gc.get_threshold()[0]), *gc.get_threshold()[1:])


@contextlib.contextmanager
def _held() -> Iterator[None]:
    """SIGINT blocked while a submit may start worker processes (the pool starts them as tasks
    are submitted). A started process inherits the mask, so a Ctrl-C that reaches the process
    group while a worker is still importing stays pending there until _init_worker ignores it
    (setting SIG_IGN discards it), instead of printing a KeyboardInterrupt traceback from the
    middle of an import (seen under load: tests/test_faults.py). In this process it is
    delivered when the submit returns. (multiprocessing's resource tracker starts the same way.)"""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process groups, no signal masks
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _run_in_worker(task: Task) -> TaskResult:
    if _worker_pipeline is None:
        raise RuntimeError("worker pipeline is not initialised")
    return run_task(_worker_pipeline, task)


class LocalExecutor:
    """Runs tasks in order: in this process for one job, else in a spawn-based process pool.

    A worker that dies (a crash inside a parser, the kernel's out-of-memory killer) breaks the
    pool. The executor then runs the first unfinished task alone in a fresh process: if that one
    dies too, its shard is reported as failed; either way the pool is rebuilt for the rest. A
    corpus stage's task (:meth:`map`) whose worker dies is tried once more in a fresh pool.

    Leaving the executor on an exception (Ctrl-C, SIGTERM, an error) stops the workers at once
    rather than waiting for their tasks: the checkpoint already holds every finished one.
    """

    def __init__(self, jobs: int, cfg: Config, worker: Callable[[Task], TaskResult] | None = None) -> None:
        self.jobs, self.cfg = jobs, cfg
        self.worker = worker or _run_in_worker  # a module-level function (it is pickled by name)
        self.pool: ProcessPoolExecutor | None = None
        self.local: Pipeline | None = None  # one job: the pipeline tasks run on in this process

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(self.cfg,))

    def __enter__(self) -> Callable[[Sequence[Task]], Iterator[TaskResult]]:
        if self.jobs > 1:
            return self._run_pooled
        local = self.local = Pipeline(self.cfg)
        local.setup()
        return lambda tasks: (run_task(local, t) for t in tasks)

    def _run_pooled(self, tasks: Sequence[Task]) -> Iterator[TaskResult]:
        from concurrent.futures.process import BrokenProcessPool

        pending = list(tasks)
        while pending:
            if self.pool is None:
                self.pool = self._new_pool(self.jobs)
            with _held():
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
        this process for one job). Corpus stages' tasks run through it (``Dedup.file_decisions``,
        see cleaner.dedup.sharded). Their tasks are idempotent (each writes its own files whole),
        so when a worker dies the pool is rebuilt and the unfinished tasks run again; a task
        whose worker dies twice stops the run with an error that says so (the same command then
        resumes from the checkpoint)."""
        if self.jobs <= 1:
            if self.local is not None:  # the phase's stages are done: their models go meanwhile
                self.local.release()
            return (fn(*a) for a in args)
        return self._map_pooled(fn, args)

    def _map_pooled(self, fn: Callable[..., T], args: Sequence[tuple[object, ...]]) -> Iterator[T]:
        from concurrent.futures.process import BrokenProcessPool

        done, retried = 0, -1
        while done < len(args):
            if self.pool is None:
                self.pool = self._new_pool(self.jobs)
            pool = self.pool
            try:
                for result in in_order(functools.partial(_submit, pool, fn), args[done:], self.jobs * 4):
                    yield result
                    done += 1
            except BrokenProcessPool as exc:
                self._stop_pool()
                if retried == done:
                    raise CleanerError(
                        f"a worker process died twice on the same task of the {task_name(fn)} step (out of "
                        "memory, or a crash): free some memory or use fewer --jobs, then run the same command "
                        "to resume"
                    ) from exc
                retried = done

    def _run_alone(self, task: Task) -> TaskResult:
        from concurrent.futures.process import BrokenProcessPool

        pool = self._new_pool(1)
        try:
            with _held():
                future = pool.submit(self.worker, task)
            return future.result()
        except BrokenProcessPool:
            return TaskResult(task.shard.index, crashed=WORKER_DIED)
        finally:
            pool.shutdown(cancel_futures=True)

    def _stop_pool(self, terminate: bool = False) -> None:
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if terminate:  # stop what the workers are doing; the pool then shuts down without waiting for it
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def __exit__(self, *exc: object) -> None:
        self._stop_pool(terminate=exc[0] is not None)


def _submit(pool: ProcessPoolExecutor, fn: Callable[..., T], args: tuple[object, ...]) -> Future[T]:
    with _held():
        return pool.submit(fn, *args)
