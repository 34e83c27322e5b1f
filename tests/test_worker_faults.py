"""A worker that dies on a task: each engine fails that file alone, in the same words, and the
run goes on (exit 1); a corpus stage's task that kills its workers stops the run with an error
that says to run again (the checkpoint is kept). Local pool: cleaner.runners.local; Dask:
cleaner.runners.dask, whose scheduler gives a task up (KilledWorker) once its workers died."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from cleaner import runners  # noqa: E402
from cleaner.config import Config  # noqa: E402
from cleaner.errors import CleanerError  # noqa: E402
from cleaner.runners import dask as dask_runner  # noqa: E402
from cleaner.runners.core import WORKER_DIED, Task, TaskResult  # noqa: E402
from cleaner.runners.local import LocalExecutor, _run_in_worker  # noqa: E402
from tests.test_faults import always_dies  # noqa: E402
from tests.test_resume import tree  # noqa: E402


def _kills_its_worker(task: Task) -> bool:
    return any(member.file.rel == "crash.txt" for member in task.members)


def local_worker(task: Task) -> TaskResult:
    """A pool worker that dies like a segfault on any task that holds crash.txt."""
    if _kills_its_worker(task):
        os._exit(70)
    return _run_in_worker(task)


def dask_worker(task: Task) -> TaskResult:
    """The same on a Dask worker."""
    if _kills_its_worker(task):
        os._exit(70)
    return dask_runner._run_on_worker(task)


@pytest.fixture(scope="module")
def fragile_cluster() -> Iterator[str]:
    """A cluster whose scheduler gives a task up after one dead worker (the default is 3 more
    tries, each waiting for a nanny to start a new worker), so a test that kills one is quick."""
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        ) as lc,
    ):
        yield lc.scheduler_address


def test_a_dask_worker_dying_on_a_file_fails_that_file_as_the_local_engine_does(
    tmp_path: Path, fragile_cluster: str
) -> None:
    # Before, Dask's KilledWorker ended the whole run with "internal error ... please report it"
    # and wrote no output, where the local engine fails that one file and writes the rest.
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(6):
        (inputs / f"doc{i}.txt").write_text(f"document number {i} with its own distinct words {'x' * i}")
    (inputs / "crash.txt").write_text("this file kills its worker")
    cfg = Config(jobs=2)
    runs = {}
    for engine, executor in (
        ("local", lambda jobs, cfg: LocalExecutor(jobs, cfg, worker=local_worker)),
        ("dask", lambda jobs, cfg: dask_runner.DaskExecutor(jobs, cfg, fragile_cluster, worker=dask_worker)),
    ):
        lines: list[str] = []
        runs[engine] = runners.run([inputs], tmp_path / engine, cfg, executor=executor, on_error=lines.append), lines
    (local, local_lines), (dask, dask_lines) = runs["local"], runs["dask"]
    assert dask.docs_error == local.docs_error == 1 and dask.docs_kept == local.docs_kept == 6
    assert dask_lines == local_lines and len(dask_lines) == 1
    assert "crash.txt" in dask_lines[0] and WORKER_DIED in dask_lines[0]
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")
    assert (tmp_path / "dask.report.jsonl").read_bytes() == (tmp_path / "local.report.jsonl").read_bytes()


def test_a_dask_corpus_task_that_kills_its_workers_says_so(fragile_cluster: str) -> None:
    executor = dask_runner.DaskExecutor(2, Config(), fragile_cluster)
    said = r"kept dying on the same task of the always dies step .* run the same command to resume"
    with executor, pytest.raises(CleanerError, match=said):
        list(executor.map(always_dies, [(v,) for v in range(8)]))


def test_a_local_dask_cluster_left_without_workers_stops_the_run_with_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The scheduler waits for workers forever by default: a run whose workers all died and did not
    # come back hung with its tasks queued. Our own cluster fails them after NO_WORKERS_SECONDS.
    monkeypatch.setattr(dask_runner, "NO_WORKERS_SECONDS", 1.0)
    executor = dask_runner.DaskExecutor(2, Config())
    said = r"the local Dask cluster had no worker left for 1 s .* run the same command to resume"
    with pytest.raises(CleanerError, match=said), executor:  # the error leaves the executor, as in a run
        executor.cluster.scale(0)  # as if every worker and its nanny had died
        while executor.client.scheduler_info().get("workers"):
            time.sleep(0.05)
        list(executor.map(always_dies, [(v,) for v in range(4)]))
    assert "without any running workers" not in caplog.text  # one line says it, not one per task


def test_a_dask_scheduler_that_cannot_be_reached_is_a_one_line_error(tmp_path: Path) -> None:
    # It was "internal error: OSError: Timed out trying to connect ... please report it".
    import dask

    executor = dask_runner.DaskExecutor(1, Config(), "tcp://127.0.0.1:1")
    said = r"could not use the Dask scheduler at tcp://127.0.0.1:1 \(OSError: .*\): check the address"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), pytest.raises(CleanerError, match=said):
        executor.__enter__()
    assert executor.client is None and executor.cluster is None


def test_a_local_dask_cluster_whose_worker_dies_while_starting_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def dies_while_starting(**kwargs: object) -> None:
        raise RuntimeError("Nanny failed to start.")  # what distributed raises when a worker process dies at start

    monkeypatch.setattr(distributed, "LocalCluster", dies_while_starting)
    executor = dask_runner.DaskExecutor(2, Config())
    said = r"the local Dask cluster of 2 workers did not start \(RuntimeError: Nanny failed to start.\): a worker"
    with pytest.raises(CleanerError, match=said):
        executor.__enter__()
