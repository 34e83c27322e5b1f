"""The Dask engine gives the same output tree and report as the local runner.

One LocalCluster with 2 worker processes serves the whole module (starting one costs seconds).
The input mixes every format and both corpus barriers: pages of one site (templates), exact and
near-duplicate records (dedup), a Parquet file split into several shards by row groups, a WARC.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import distributed
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleaner import runners
from cleaner.config import Config, DedupConfig
from cleaner.readers import discover, plan_shards
from cleaner.report import Report
from cleaner.runners import core, local
from cleaner.runners import dask as dask_runner
from cleaner.stage import InProcessExecutor
from tests.test_formats import make_warc, page

SHARD_BYTES = 4096  # small, so the JSONL and Parquet files are split between workers


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    ) as lc:
        yield lc.scheduler_address


def make_inputs(root: Path) -> Path:
    inputs = root / "in"
    (inputs / "pages").mkdir(parents=True)
    for i, prefix in enumerate(("14cc2a0ca59c", "c4a3637c6696", "ba07d1e64775")):
        html, _ = page(prefix)
        (inputs / "pages" / f"{i}.html").write_text(html, encoding="utf-8")
    make_warc(inputs / "crawl" / "pages.warc.gz")
    words = [
        "markets",
        "traders",
        "shares",
        "oil",
        "prices",
        "rose",
        "fell",
        "analysts",
        "said",
        "company",
        "quarter",
        "profit",
    ]
    records = []
    for i in range(120):
        body = " ".join(words[(i * 7 + k * 3) % len(words)] + str((i + k) % 11) for k in range(60))
        if i % 10 == 3:  # a near-duplicate of the record before it: one word changed
            body = records[-1]["text"].replace("markets", "market", 1)
        footer = "Subscribe to our newsletter for daily updates.\nCopyright 2019 Example News."
        records.append({"id": f"n{i}", "url": f"https://news{i % 3}.example.com/a/{i}", "text": f"{body}\n{footer}"})
    (inputs / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    reversed_texts = [" ".join(reversed(r["text"].split(" "))) for r in records]  # not copies of the JSONL
    table = pa.table({"id": [r["id"] + "p" for r in records], "text": reversed_texts})
    pq.write_table(table, inputs / "news.parquet", row_group_size=20)
    return inputs


def tree(root: Path) -> dict[str, bytes]:
    files = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != ".cleaner-outputs.json":  # the list of outputs, not one of them
            data = p.read_bytes()
            if p.suffix == ".parquet":  # compare rows and schema, not pyarrow's byte layout
                data = json.dumps(pq.read_table(p).to_pylist(), default=str).encode() + str(pq.read_schema(p)).encode()
            elif p.name.endswith(".gz"):
                data = gzip.decompress(data)
            files[p.relative_to(root).as_posix()] = data
    return files


def counters(report: Report) -> Report:
    return dataclasses.replace(report, seconds={})


def test_dask_equals_local_output_and_report(tmp_path: Path, cluster: str) -> None:
    inputs = make_inputs(tmp_path)
    cfg = Config(jobs=2)
    want = runners.run([inputs], tmp_path / "local", cfg, shard_bytes=SHARD_BYTES)
    got = runners.run([inputs], tmp_path / "dask", cfg, engine="dask", scheduler=cluster, shard_bytes=SHARD_BYTES)
    local_tree, dask_tree = tree(tmp_path / "local"), tree(tmp_path / "dask")
    assert sorted(dask_tree) == sorted(local_tree)
    # pages/ holds the WARC's pages again: dropped as duplicates, so no .txt files
    assert sorted(dask_tree) == ["crawl/pages.jsonl.gz", "news.jsonl", "news.parquet"]
    for name in local_tree:
        assert dask_tree[name] == local_tree[name], name
    assert (tmp_path / "dask.report.jsonl").read_bytes() == (tmp_path / "local.report.jsonl").read_bytes()
    assert counters(got) == counters(want)
    # the barriers did work in this input, so the comparison covers them
    assert want.rejections.get("dedup.near_duplicate_doc", 0) >= 10
    assert want.docs_in == 3 + 3 + 120 + 120
    # Connected components in rounds of tasks on the workers: the same again.
    tasks = dataclasses.replace(cfg, dedup=DedupConfig(components="tasks"))
    got = runners.run([inputs], tmp_path / "tasks", tasks, engine="dask", scheduler=cluster, shard_bytes=SHARD_BYTES)
    assert tree(tmp_path / "tasks") == local_tree
    assert (tmp_path / "tasks.report.jsonl").read_bytes() == (tmp_path / "local.report.jsonl").read_bytes()
    assert counters(got) == counters(want)


def test_dask_dedup_barrier_runs_as_tasks_and_equals_local_with_an_index(
    tmp_path: Path, cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two batches through one persistent index; the second repeats the first's news records.
    inputs = make_inputs(tmp_path)
    second = tmp_path / "second"
    second.mkdir()
    (second / "again.jsonl").write_bytes((inputs / "news.jsonl").read_bytes())
    runs = {}
    for engine in ("local", "dask"):
        cfg = dataclasses.replace(Config(jobs=2), dedup=DedupConfig(index=str(tmp_path / f"{engine}.sqlite")))
        if engine == "dask":  # the driver must not run the barrier tasks in process: workers do them
            monkeypatch.setattr(InProcessExecutor, "map", lambda *a: pytest.fail("a barrier task ran on the driver"))
        for batch, folder in (("1", inputs), ("2", second)):
            out = tmp_path / f"{engine}{batch}"
            sched = {"scheduler": cluster} if engine == "dask" else {}
            runner = functools.partial(runners.run, engine=engine)
            runs[engine, batch] = runner([folder], out, cfg, shard_bytes=SHARD_BYTES, **sched)
            assert (tmp_path / f"{engine}{batch}.report.jsonl").exists()
    for batch in ("1", "2"):
        assert tree(tmp_path / f"dask{batch}") == tree(tmp_path / f"local{batch}")
        assert (tmp_path / f"dask{batch}.report.jsonl").read_bytes() == (
            tmp_path / f"local{batch}.report.jsonl"
        ).read_bytes()
        assert counters(runs["dask", batch]) == counters(runs["local", batch])
    assert runs["local", "2"].rejections.get("dedup.already_indexed", 0) == 120  # all indexed by batch 1


def test_dask_engine_with_its_own_local_cluster(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.jsonl").write_text(
        "".join(json.dumps({"text": f"Document {i} is about the weather in town {i}."}) + "\n" for i in range(30))
    )
    runners.run([inputs], tmp_path / "local", Config(jobs=1), shard_bytes=512)  # output does not depend on jobs
    runners.run([inputs], tmp_path / "dask", Config(jobs=2), engine="dask", shard_bytes=512)  # LocalCluster of 2
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")
    assert (tmp_path / "dask.report.jsonl").read_bytes() == (tmp_path / "local.report.jsonl").read_bytes()
    # Its workers retire only once the scheduler holds none of the run's tasks: no result still
    # wanted is "lost" with a worker and computed again (which rewrote a shard's parts as they
    # were being joined; see DaskExecutor.__exit__).
    assert not [r.getMessage() for r in caplog.records if "lose already computed" in r.getMessage()]


def test_spilled_summaries_stream_back_in_order_and_pickle_as_a_path(tmp_path: Path) -> None:
    import pickle

    from cleaner.runners.core import SPILL_BATCH, SpilledSummaries, spill_summaries

    (tmp_path / "a.txt").write_text("x")
    (shard,) = plan_shards(discover([tmp_path / "a.txt"]).files)
    task = core.Task(shard, 1, {}, core.RunPaths(tmp_path / "out", tmp_path / "r.jsonl"))
    items = [(f"k{i}", {"n": i}) for i in range(2 * SPILL_BATCH + 5)]
    result = spill_summaries(core.TaskResult(shard.index, summaries=list(items)), task)
    assert isinstance(result.summaries, SpilledSummaries)
    assert len(result.summaries) == len(items) and list(result.summaries) == items
    assert list(result.summaries) == items  # a second pass reads the file again
    packed = pickle.dumps(result)
    assert len(packed) < 1000  # the path travels, not the summaries
    assert list(pickle.loads(packed).summaries) == items
    empty = spill_summaries(core.TaskResult(shard.index), task)
    assert empty.summaries == [] and not empty.summaries


def test_dask_map_hands_spilled_summaries_to_workers_unread(
    tmp_path: Path, cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dask looks inside list arguments for futures; a spilled shard is a list that reads its file
    # when iterated, so without Packed the driver read every summary of every corpus task.
    from cleaner.runners.core import SpilledSummaries, spill_summaries

    (tmp_path / "a.txt").write_text("x")
    (shard,) = plan_shards(discover([tmp_path / "a.txt"]).files)
    task = core.Task(shard, 1, {}, core.RunPaths(tmp_path / "out", tmp_path / "r.jsonl"))
    items = [(f"k{i}", i) for i in range(50)]
    spilled = spill_summaries(core.TaskResult(shard.index, summaries=list(items)), task).summaries
    reads: list[Path] = []
    iterate = SpilledSummaries.__iter__

    def counted(self: SpilledSummaries) -> Iterator[tuple[str, object]]:
        reads.append(self.path)
        return iterate(self)

    monkeypatch.setattr(SpilledSummaries, "__iter__", counted)  # in this process only, not the workers'
    executor = dask_runner.DaskExecutor(2, Config(), scheduler=cluster)
    with executor:
        assert list(executor.map(list, [(spilled,), (spilled,)])) == [items, items]  # read on the workers
    assert reads == []


def test_dask_engine_starts_its_workers_without_the_stack_profiler() -> None:
    import dask

    names = sorted(dask_runner.LOCAL_CLUSTER_CONFIG)
    executor = dask_runner.DaskExecutor(1, Config())
    with executor:
        (settings,) = executor.client.run(lambda: [dask.config.get(n) for n in names]).values()
    assert dict(zip(names, settings, strict=True)) == {
        "distributed.admin.system-monitor.interval": "2s",
        "distributed.admin.tick.interval": "500ms",
        "distributed.worker.memory.monitor-interval": "1s",
        "distributed.worker.profile.enabled": False,  # the dashboard's stack sampling, every 10 ms by default
    }
    assert dask.config.get("distributed.worker.profile.enabled") is True  # the driver's own setting is restored


def _heartbeat_lines_a_worker_logs() -> list[str]:
    """Log, on a worker, the error a heartbeat to a closed scheduler logs, and another one; return
    what reaches a handler of the worker's logger."""
    import logging

    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("distributed.worker")
    logger.addHandler(handler)
    try:
        logger.error("Failed to communicate with scheduler during heartbeat.")
        logger.error("Some other worker error.")
    finally:
        logger.removeHandler(handler)
    return seen


def test_local_workers_leave_out_the_heartbeat_error_of_their_closing_scheduler(cluster: str) -> None:
    """Our own cluster's workers drop it (a Ctrl-C run printed its traceback about once in ten on a
    loaded machine: a worker still busy when the driver closed the scheduler); the workers of a
    cluster given by --scheduler keep their logs as they are. Other errors pass in both."""
    executor = dask_runner.DaskExecutor(1, Config())
    with executor:
        (own,) = executor.client.run(_heartbeat_lines_a_worker_logs).values()
    remote = dask_runner.DaskExecutor(1, Config(), scheduler=cluster)
    with remote:
        given = list(remote.client.run(_heartbeat_lines_a_worker_logs).values())
    assert own == ["Some other worker error."]
    both = ["Failed to communicate with scheduler during heartbeat.", "Some other worker error."]
    assert given and all(lines == both for lines in given)


def test_cli_engine_dask_with_a_scheduler_address(tmp_path: Path, cluster: str) -> None:
    from click.testing import CliRunner

    from cleaner.cli import main

    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.jsonl").write_text(
        "".join(json.dumps({"text": f"Line {i}: rain is expected in the north by evening."}) + "\n" for i in range(9))
    )
    runner = CliRunner()
    local_run = runner.invoke(main, ["clean", str(inputs), "-o", str(tmp_path / "local"), "-q", "-j", "1"])
    dask_run = runner.invoke(
        main, ["clean", str(inputs), "-o", str(tmp_path / "dask"), "-q", "--engine", "dask", "--scheduler", cluster]
    )
    assert (local_run.exit_code, dask_run.exit_code) == (0, 0), dask_run.output
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")
    assert (tmp_path / "dask.report.jsonl").read_bytes() == (tmp_path / "local.report.jsonl").read_bytes()
    wrong = runner.invoke(main, ["clean", str(inputs), "-o", str(tmp_path / "x"), "--scheduler", cluster])
    assert wrong.exit_code == 2 and "--scheduler needs --engine dask" in wrong.output


def test_interrupted_dask_run_resumes_to_the_same_output(tmp_path: Path, cluster: str) -> None:
    """Summaries a Dask run left in the work folder serve the resumed run (on either engine)."""
    inputs = make_inputs(tmp_path)
    cfg = Config(jobs=2)
    factory = dask_runner.executor_factory(cluster)
    calls = {"phases": 0}

    class Interrupting:
        """The Dask executor, stopped by a Ctrl-C after a few results of the second phase."""

        def __init__(self, jobs: int, cfg: Config) -> None:
            self.inner = factory(jobs, cfg)

        def __enter__(self):  # type: ignore[no-untyped-def]
            execute = self.inner.__enter__()

            def run_phase(tasks):  # type: ignore[no-untyped-def]
                calls["phases"] += 1
                for n, result in enumerate(execute(tasks)):
                    if calls["phases"] == 2 and n == 3:
                        raise KeyboardInterrupt
                    yield result

            return run_phase

        def map(self, fn, args):  # type: ignore[no-untyped-def]
            return self.inner.map(fn, args)

        def __exit__(self, *exc: object) -> None:
            self.inner.__exit__(*exc)

    with pytest.raises(KeyboardInterrupt):
        runners.run([inputs], tmp_path / "dask", cfg, executor=Interrupting, shard_bytes=SHARD_BYTES)
    assert list((tmp_path / "dask" / ".cleaner-work" / "summaries").rglob("*.pkl"))
    ran: list[int] = []

    class Counting(local.LocalExecutor):
        def __enter__(self):  # type: ignore[no-untyped-def]
            execute = super().__enter__()
            return lambda tasks: (ran.append(len(tasks)), execute(tasks))[1]

    runners.run([inputs], tmp_path / "dask", Config(jobs=1), executor=Counting, shard_bytes=SHARD_BYTES)
    tasks = len(core.group_shards(plan_shards(discover([inputs]).files, SHARD_BYTES)))  # pages go in groups
    assert ran[0] == 0 and 0 < ran[1] < tasks and ran[2] == tasks  # resumed: phase 1 and part of 2 were done
    runners.run([inputs], tmp_path / "local", Config(jobs=1), shard_bytes=SHARD_BYTES)
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")
    assert (tmp_path / "dask.report.jsonl").read_bytes() == (tmp_path / "local.report.jsonl").read_bytes()


def test_relative_paths_reach_workers_of_an_existing_cluster(
    tmp_path: Path, cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cluster's workers were started in another working folder than the one we move to here.
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("A page about the harvest, long enough to keep.\n")
    monkeypatch.chdir(tmp_path)
    runners.run([Path("in")], Path("out"), Config(jobs=2), engine="dask", scheduler=cluster)
    assert (tmp_path / "out" / "a.txt").read_text() == "A page about the harvest, long enough to keep.\n"
    assert json.loads((tmp_path / "out.report.jsonl").read_text())["source"] == {"path": "a.txt", "line": None}


def test_missing_distributed_names_the_extra_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from cleaner.errors import MissingExtraError

    (tmp_path / "a.txt").write_text("x")
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'cleaner\[dask\]'"):
        runners.run([tmp_path / "a.txt"], tmp_path / "out", Config(jobs=1), engine="dask")
    assert not (tmp_path / "out").exists()
