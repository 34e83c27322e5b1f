"""Runners: clean files and folders into an output folder, on this machine or a Dask cluster.

:func:`run` is the entry point (``cleaner clean`` calls it). What a run does lives in
:mod:`cleaner.runners.core` (plan, phases, barriers, assembly, checkpoint); where its tasks run
is an executor: :mod:`cleaner.runners.local` (processes on this machine) or
:mod:`cleaner.runners.dask` (a Dask cluster). Output and report do not depend on the choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from cleaner.config import Config
from cleaner.errors import UsageError
from cleaner.progress import ProgressEvent
from cleaner.readers import SHARD_BYTES, Discovery
from cleaner.report import Report
from cleaner.runners import core
from cleaner.runners.core import ExecutorFactory, default_report_path, resolve_link
from cleaner.runners.local import LocalExecutor

__all__ = ["default_report_path", "pick_executor", "resolve_link", "run"]


def pick_executor(engine: str = "local", scheduler: str | None = None) -> ExecutorFactory:
    """The executor of an engine: ``"local"`` (processes) or ``"dask"`` (the cluster at
    ``scheduler``, e.g. ``tcp://host:8786``, else a LocalCluster of ``--jobs`` workers)."""
    if engine == "dask":
        from cleaner.runners.dask import executor_factory

        return executor_factory(scheduler)
    if engine != "local":
        raise UsageError(f"unknown engine {engine!r}: choose local or dask")
    if scheduler is not None:
        raise UsageError("--scheduler needs --engine dask")
    return LocalExecutor


def run(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    cfg: Config,
    report_path: str | Path | None = None,
    on_error: Callable[[str], None] | None = None,
    shard_bytes: int = SHARD_BYTES,
    executor: ExecutorFactory | None = None,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    keep_intermediate: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    on_notice: Callable[[str], None] | None = None,
    also_writes: Sequence[Path] = (),
    discovered: Discovery | None = None,
) -> Report:
    """Clean ``inputs`` into ``outdir`` and write the report; return the summed counters.

    ``on_error`` receives one line per input or record that failed, in input order.
    ``shard_bytes`` is how large a file may be before its format splits it between workers.
    ``executor`` builds what runs the tasks (default: the ``engine``'s, see :func:`pick_executor`).
    ``on_progress`` receives a ProgressEvent after each task's result (phase, shards and bytes done).
    ``on_notice`` receives lines for the user that are not errors (where a resumed run picks up).
    An interrupted run leaves its finished tasks in OUTDIR/.cleaner-work; the same command resumes
    from them. ``keep_intermediate`` keeps that folder after a finished run.
    ``also_writes`` names files the caller writes after the run (the HTML report): they are
    checked like the report before anything is read or written.
    ``discovered``: what :func:`cleaner.readers.check_inputs` found in ``inputs``, so a large
    folder is not walked twice (ignored for URL inputs).

    OUTDIR is locked for the run (a second run into it is refused), and a non-empty OUTDIR that
    an earlier cleaner run did not write is refused; a new run deletes the outputs the earlier
    run listed there (:mod:`cleaner.runners.outdir`).
    """
    return core.run(
        inputs,
        outdir,
        cfg,
        report_path,
        executor=executor or pick_executor(engine, scheduler),
        on_error=on_error,
        shard_bytes=shard_bytes,
        on_progress=on_progress,
        on_notice=on_notice,
        keep_intermediate=keep_intermediate,
        also_writes=also_writes,
        discovered=discovered,
    )
