"""The barrier hands each shard its own decisions, in a file the shard's task reads: the driver
keeps none of them after the barrier, and a resumed run reads the filed ones without deciding again."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tests.test_resume import make_inputs, tree


def test_each_shard_gets_a_file_of_its_own_decisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cleaner import runners
    from cleaner.config import Config
    from cleaner.runners import core

    monkeypatch.setattr(core, "GROUP_FILES", 1)  # one task per page, so decisions span several tasks
    inputs = make_inputs(tmp_path)
    out, report = tmp_path / "out", tmp_path / "out.jsonl"
    runners.run([inputs], out, Config(jobs=1), report, keep_intermediate=True)
    paths = core.RunPaths(out, report)
    checkpoint = core.Checkpoint(paths, resumed=True)
    for phase in (0, 1):  # templates, then dedup
        filed = checkpoint.filed_decisions(phase)
        done = checkpoint.finished(phase)
        seen: set[str] = set()
        for shard, path in filed.items():
            with open(path, "rb") as fh:
                decisions = pickle.load(fh)
            own = set(core.summary_keys(done[shard].summaries))
            assert decisions and set(decisions) <= own  # its own documents only
            assert not seen & set(decisions)
            seen |= set(decisions)
    assert len(filed) > 1  # dedup's decisions (these inputs hold copies) span several shards


def test_a_resumed_run_reads_filed_decisions_without_deciding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cleaner import runners
    from cleaner.config import Config
    from cleaner.runners import core, local

    inputs = make_inputs(tmp_path)
    ref = tmp_path / "ref"
    runners.run([inputs], ref, Config(jobs=1), tmp_path / "ref.jsonl")

    class Killed(Exception):
        pass

    run_task = core.run_task

    def killed_in_the_last_phase(pipeline: object, task: core.Task) -> core.TaskResult:
        if task.segment == len(pipeline.segments) - 1:  # type: ignore[attr-defined]
            raise Killed
        return run_task(pipeline, task)  # type: ignore[arg-type]

    out, report = tmp_path / "out", tmp_path / "out.jsonl"
    monkeypatch.setattr(local, "run_task", killed_in_the_last_phase)  # jobs=1: tasks run in this process
    with pytest.raises(Killed):
        runners.run([inputs], out, Config(jobs=1), report)
    monkeypatch.undo()

    def no_deciding(*args: object) -> None:
        raise AssertionError("decided again: the filed decisions were not used")

    monkeypatch.setattr(core, "_decide", no_deciding)
    runners.run([inputs], out, Config(jobs=1), report)
    assert tree(out) == tree(ref)
    assert report.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()
