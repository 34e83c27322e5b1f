"""The Dask engine: a run's phases (cleaner.runners.core), with each phase's tasks on a Dask cluster.

``cleaner clean ... --engine dask`` connects to ``--scheduler tcp://host:8786``, or starts a
LocalCluster of ``--jobs`` worker processes (one thread each) when no scheduler is given.

Everything but the place where tasks run is shared with the local engine: the same shards (cut
from the input alone) and the same ``run_task`` over the same stage objects. The dedup barrier runs as
tasks on the cluster too (:meth:`DaskExecutor.map` feeds ``Dedup.file_decisions``, as the local
pool does: band keys shuffled a group of bands at a time, candidate pairs verified by workers,
connected components over compact arrays on the driver; see cleaner.dedup.sharded), and so
does the template barrier (``Templates.file_decisions``). Decisions are taken in input order
either way, so output and report are byte-identical to ``--engine local`` (tests/test_dask.py
checks it).
Each worker builds its Pipeline once, in a worker plugin, the way a local pool process does in
its initializer.

Workers read the inputs and write spill files and outputs under OUTDIR themselves, so on a
multi-machine cluster the inputs and OUTDIR must be on a file system every worker sees (NFS,
a shared volume); docs/scaling.md says how a very large run is laid out.

>>> DaskExecutor(2, Config(), scheduler="tcp://10.0.0.5:8786").address
'tcp://10.0.0.5:8786'
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from cleaner.config import Config
from cleaner.errors import CleanerError, MissingExtraError
from cleaner.pipeline import Pipeline
from cleaner.readers import Shard
from cleaner.runners.core import WORKER_DIED, RunPaths, Task, TaskResult, in_order, run_task, task_name

T = TypeVar("T")

PLUGIN_NAME = "cleaner-pipeline"
# Tasks a worker holds at once beyond the one it runs. Results are small (summaries, counters),
# but a shard's decisions travel with its task; a bounded window keeps the driver's memory flat
# when a phase has tens of thousands of shards.
IN_FLIGHT_PER_WORKER = 4
# How long a finished run waits for its local workers to stop before it closes the scheduler.
WORKER_CLOSE_SECONDS = 10.0
# Dask settings of the cluster a run starts itself (not of one given by --scheduler). Each worker
# runs its task in a thread beside an event loop, and by default that loop samples the task's
# stack every 10 ms (the dashboard's profile), wakes every 20 ms to time itself, checks memory
# every 100 ms and system load every 500 ms: each wake-up takes the GIL from the task, and the
# nannies and scheduler do the same in the driver. Nothing of the run reads the profile or the
# load; a worker past its memory limit is still stopped, within a second. Idle, these settings
# take a worker from 2.7% to 0.2% of a core, and the driver from 4% to 0.7%.
# A nanny starts a new worker within seconds of one dying; if none comes back (the nannies died
# too), the scheduler, which by default waits for workers forever, fails the run's queued tasks
# after NO_WORKERS_SECONDS and the run stops with an error that says so (the checkpoint is kept).
NO_WORKERS_SECONDS = 60.0
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise MissingExtraError("dask[distributed]", "dask", "--engine dask") from exc
    return distributed


def pipeline_plugin(cfg: Config, local: bool = False) -> Any:
    """A worker plugin that builds the configured Pipeline once per worker process.

    ``local``: the workers are our own LocalCluster's, whose scheduler lives in this process;
    they then leave out the traceback of a heartbeat that found the scheduler gone
    (_SchedulerGone), which is this process shutting the cluster down.

    The class is made here, not at import, because Dask only accepts subclasses of its
    WorkerPlugin and distributed is an optional dependency; Dask pickles it by value.
    """
    distributed = _distributed()

    base: Any = distributed.WorkerPlugin

    class PipelinePlugin(base):
        def __init__(self, cfg: Config, local: bool) -> None:
            self.cfg, self.local = cfg, local
            self.pipeline: Pipeline | None = None

        def setup(self, worker: Any) -> None:
            if self.local:
                logging.getLogger("distributed.worker").addFilter(_SCHEDULER_GONE)
            self.pipeline = Pipeline(self.cfg)
            self.pipeline.setup()

        def teardown(self, worker: Any) -> None:
            # The filter stays: a worker tears its plugins down first when it closes, and the
            # heartbeat it may still have in flight fails after that (seen: the filter removed
            # here let the traceback through). Our workers are processes that end right after.
            self.pipeline = None

    return PipelinePlugin(cfg, local)


class Packed:
    """A task's arguments, which Dask hands over as they are.

    ``client.submit`` looks inside every list, tuple, set and dict of a task's arguments for
    futures. A shard's spilled summaries are a list (:class:`~cleaner.runners.core.SpilledSummaries`)
    whose iteration reads them back from the work folder, so that search read every summary of
    every corpus task in the driver, one task after the other, before the task could start.
    An object of another type is not looked into; it pickles as its arguments (a spilled list as
    its path).

    >>> Packed((1, [2])).args
    (1, [2])
    """

    __slots__ = ("args",)

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args

    def __reduce__(self) -> tuple[type[Packed], tuple[tuple[Any, ...]]]:
        return (Packed, (self.args,))


def _call(fn: Callable[..., T], packed: Packed) -> T:
    return fn(*packed.args)


def _run_on_worker(task: Task) -> TaskResult:
    distributed = _distributed()
    plugin = distributed.get_worker().plugins.get(PLUGIN_NAME)
    if plugin is None or plugin.pipeline is None:
        raise RuntimeError("the cleaner worker plugin is not set up on this worker")
    return run_task(plugin.pipeline, task)  # it leaves the summaries in the work folder


class DaskExecutor:
    """Runs a phase's tasks on a Dask cluster and yields their results in task order.

    Dask runs a task again elsewhere when its worker dies, and gives up on it (KilledWorker) once
    ``distributed.scheduler.allowed-failures`` workers died while they held it. A phase's task
    given up on is tried once more, then its shard fails as with the local engine (the same
    report line, the run goes on, exit 1); a corpus stage's task given up on stops the run with
    an error that says so (the same command then resumes).
    """

    def __init__(
        self, jobs: int, cfg: Config, scheduler: str | None = None, worker: Callable[[Task], TaskResult] | None = None
    ) -> None:
        self.jobs, self.cfg, self.address = jobs, cfg, scheduler
        self.worker = worker or _run_on_worker  # a module-level function (tests make it die)
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Callable[[Sequence[Task]], Iterator[TaskResult]]:
        distributed = _distributed()
        logging.getLogger("tornado.application").addFilter(_INTERRUPTED_WAIT)
        logging.getLogger("distributed.scheduler").addFilter(_NO_WORKER_TIMEOUTS)
        try:
            self._connect(distributed)
        except (OSError, RuntimeError) as exc:
            # Nothing of the run has started: a scheduler that cannot be reached, or a worker that
            # died while the cluster started (distributed raises RuntimeError "Nanny failed to
            # start", or the connection closes while the plugin is being registered).
            self.__exit__(type(exc), exc, exc.__traceback__)
            if self.address is not None:
                where = f"could not use the Dask scheduler at {self.address}"
                todo = "check the address and that the scheduler and its workers are running"
            else:
                where = f"the local Dask cluster of {self.jobs} workers did not start"
                todo = "a worker process died while starting (out of memory?): free some memory or use fewer --jobs"
            raise CleanerError(f"{where} ({type(exc).__name__}: {exc}): {todo}, then run the same command") from exc
        return self._execute

    def _connect(self, distributed: Any) -> None:
        if self.address is None:
            import dask

            config = {**LOCAL_CLUSTER_CONFIG, "distributed.scheduler.no-workers-timeout": f"{NO_WORKERS_SECONDS}s"}
            with _workers_ignore_ctrl_c(), dask.config.set(config):  # workers inherit it
                self.cluster = distributed.LocalCluster(
                    n_workers=self.jobs,
                    threads_per_worker=1,  # stages are not shared between threads; one task per process
                    processes=True,
                    dashboard_address=":0",  # a free port: None still binds 8787 for /metrics
                    silence_logs=40,  # errors only: progress and the summary go to stderr already
                )
            self.client = distributed.Client(self.cluster)
        else:
            self.client = distributed.Client(self.address)
        self.client.register_plugin(pipeline_plugin(self.cfg, local=self.address is None), name=PLUGIN_NAME)

    def _execute(self, tasks: Sequence[Task]) -> Iterator[TaskResult]:
        if self.address is not None:  # workers of an existing cluster do not share our working folder
            tasks = [absolute(task) for task in tasks]

        def alone(task: Task) -> TaskResult:
            # A worker's death counts against every task it held, not only the one that killed it:
            # a task given up on is tried once more (as the local engine runs it alone) before its
            # shard is failed.
            future = self.client.submit(_call, self.worker, Packed((task,)), pure=False)
            outcome = _Outcome(future, lambda: TaskResult(task.shard.index, crashed=WORKER_DIED), self.address)
            return outcome.result()

        return self._submit(self.worker, [(task,) for task in tasks], alone)

    def map(self, fn: Callable[..., T], args: Sequence[tuple[Any, ...]]) -> Iterator[T]:
        """``fn(*a)`` for each ``a`` of ``args`` on the cluster, results in order, with a bounded
        window of tasks in flight. The dedup barrier's tasks run through it too
        (``Dedup.file_decisions``, see cleaner.dedup.sharded)."""

        def given_up(*_: Any) -> T:
            raise CleanerError(
                f"Dask workers kept dying on the same task of the {task_name(fn)} step (out of memory, or a "
                "crash): free some memory or use fewer --jobs, then run the same command to resume"
            )

        return self._submit(fn, args, given_up)

    def _submit(self, fn: Callable[..., T], args: Sequence[tuple[Any, ...]], given_up: Callable[..., T]) -> Iterator[T]:
        """The results of ``fn(*a)`` in order; ``given_up(*a)`` for a task Dask gave up on."""
        client = self.client
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        window = workers * (1 + IN_FLIGHT_PER_WORKER)

        def submit(a: tuple[Any, ...]) -> _Outcome[T]:
            return _Outcome(client.submit(_call, fn, Packed(a), pure=False), lambda: given_up(*a), self.address)

        return in_order(submit, args, window)

    def __exit__(self, *exc: object) -> None:
        # Our own cluster: its workers are stopped first, while the scheduler still answers, so
        # no worker is left sending a heartbeat to a closed scheduler (which logs a traceback);
        # then the client, then the scheduler. A cluster given by --scheduler is not ours to stop.
        if self.cluster is not None and self.client is not None:
            with contextlib.suppress(Exception):  # best effort: closing the cluster stops them anyway
                deadline = time.monotonic() + WORKER_CLOSE_SECONDS
                if exc[0] is None:
                    # The client releases the futures the run has read with messages it sends in
                    # the background. A worker retired before the scheduler has them all "loses"
                    # results still wanted, and the scheduler runs those tasks again on another
                    # worker: a last-phase task then rewrote its shard's output and report parts
                    # while the run was joining them (tests/test_dask.py saw a shard go missing).
                    while self.client.run_on_scheduler(_task_count) and time.monotonic() < deadline:
                        time.sleep(0.01)
                self.cluster.scale(0)
                while self.client.scheduler_info().get("workers") and time.monotonic() < deadline:
                    time.sleep(0.05)
        if self.client is not None:
            with contextlib.suppress(Exception):  # an interrupted run must still close the cluster
                self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
        logging.getLogger("tornado.application").removeFilter(_INTERRUPTED_WAIT)
        logging.getLogger("distributed.scheduler").removeFilter(_NO_WORKER_TIMEOUTS)


class _Outcome(Generic[T]):
    """A task's future whose ``result()`` is ``given_up()`` when Dask gave up on the task (every
    worker that ran it died), and a CleanerError when the cluster had no worker left to run it for
    the scheduler's ``no-workers-timeout`` (ours sets it: NO_WORKERS_SECONDS)."""

    __slots__ = ("address", "future", "given_up")

    def __init__(self, future: Any, given_up: Callable[[], T], address: str | None) -> None:
        self.future, self.given_up, self.address = future, given_up, address

    def result(self) -> T:
        distributed = _distributed()
        try:
            result: T = self.future.result()
        except distributed.KilledWorker:
            return self.given_up()
        except distributed.scheduler.NoWorkerError as exc:
            cluster = "the local Dask cluster" if self.address is None else f"the Dask cluster at {self.address}"
            raise CleanerError(
                f"{cluster} had no worker left for {exc.timeout:.0f} s (its workers died and none came back): "
                "check memory and the workers' logs, then run the same command to resume"
            ) from None
        return result


def _task_count(dask_scheduler: Any) -> int:
    """How many tasks the scheduler still holds (run on the scheduler by ``run_on_scheduler``)."""
    return len(dask_scheduler.tasks)


class _InterruptedWait(logging.Filter):
    """Drops one known, harmless traceback: Ctrl-C during a blocking call of the client makes
    distributed (2026.8) cancel that call with a callback that raises NameError when the call had
    not started yet, and tornado logs it. The run is being shut down anyway; nothing is lost."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, NameError) and "sync.<locals>.cancel" in record.getMessage())


_INTERRUPTED_WAIT = _InterruptedWait()


class _NoWorkerTimeouts(logging.Filter):
    """Drops the scheduler's error line per task failed for want of workers: the run stops with
    one line that says so (``_Outcome.result``), not one line per queued task."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "waiting without any running workers" not in record.getMessage()


_NO_WORKER_TIMEOUTS = _NoWorkerTimeouts()


class _SchedulerGone(logging.Filter):
    """Drops a local worker's "Failed to communicate with scheduler during heartbeat" and its
    traceback. Our LocalCluster's scheduler runs in the driver, so a heartbeat that cannot reach
    it means the driver is closing the cluster: after a Ctrl-C, a worker still finishing its task
    when the scheduler closed logged it (about 1 run in 10 on a loaded machine, with the run's
    own "interrupted" line right after). The driver reports whatever ended the run itself. Set
    by the pipeline plugin on our own cluster's workers only: a cluster given by --scheduler
    keeps its workers' logs as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to communicate with scheduler during heartbeat")


_SCHEDULER_GONE = _SchedulerGone()


@contextlib.contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (an ignored signal stays ignored in a child,
    and Python then installs no KeyboardInterrupt handler), so that Ctrl-C, which reaches the
    whole process group, stops only the driver: it shuts the cluster down itself, and no worker
    prints a traceback. A no-op outside the main thread, where signals cannot be set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def absolute(task: Task) -> Task:
    """The task with absolute input and output paths, so a worker started elsewhere finds them."""

    def shard(s: Shard) -> Shard:
        return dataclasses.replace(s, file=dataclasses.replace(s.file, path=Path(os.path.abspath(s.file.path))))

    paths = RunPaths(Path(os.path.abspath(task.paths.outdir)), Path(os.path.abspath(task.paths.report)))
    return dataclasses.replace(task, shard=shard(task.shard), group=tuple(map(shard, task.group)), paths=paths)


def executor_factory(scheduler: str | None = None) -> Callable[[int, Config], DaskExecutor]:
    """The ``executor`` argument of :func:`cleaner.runners.run` for a Dask run.

    Raises MissingExtraError at once, before any work, when distributed is not installed.
    """
    _distributed()

    def build(jobs: int, cfg: Config) -> DaskExecutor:
        return DaskExecutor(jobs, cfg, scheduler)

    return build
