"""kill -9 at any moment, then the same command again: output and report identical to a clean run."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import SEEDS


def make_inputs(root: Path) -> Path:
    inputs = root / "in"
    seeds = sorted(SEEDS.iterdir())
    for i in range(160):
        seed = seeds[i % len(seeds)]
        folder = inputs / f"site{i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        text = seed.read_text(encoding="utf-8")
        if i % 7:  # every seventh file is an exact copy of its seed, the rest get a line of their own
            text += f"\nA closing remark written only for copy number {i}, about topic {i * 37 % 101}.\n"
        (folder / f"{i:03d}-{seed.name}").write_text(text, encoding="utf-8")
    return inputs


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def command(inputs: Path, out: Path, report: Path) -> list[str]:
    # ``python -m cleaner`` runs the code under test (the checkout on PYTHONPATH, or the installed
    # package), where the console script would run whichever checkout installed it.
    return [
        sys.executable, "-m", "cleaner", "clean", str(inputs), "-o", str(out), "--report", str(report), "--jobs", "2",
        "--quiet",
    ]  # fmt: skip


@pytest.mark.parametrize("kill_when", ["done/0", "done/1", "done/2"])
def test_kill_and_rerun_gives_the_uninterrupted_result(tmp_path: Path, kill_when: str) -> None:
    inputs = make_inputs(tmp_path)
    reference = subprocess.run(command(inputs, tmp_path / "ref", tmp_path / "ref.jsonl"), check=False, timeout=300)
    assert reference.returncode == 0

    out, report = tmp_path / "out", tmp_path / "out.jsonl"
    proc = subprocess.Popen(command(inputs, out, report), start_new_session=True)
    marker = out / ".cleaner-work" / kill_when
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if marker.is_dir() and any(marker.iterdir()):
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed; make the input larger"
    assert (out / ".cleaner-work" / "manifest.json").exists()  # a checkpoint to resume from

    again = subprocess.run(command(inputs, out, report), check=False, timeout=300)
    assert again.returncode == 0
    assert tree(out) == tree(tmp_path / "ref")
    assert report.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()
    assert not list(tmp_path.glob(".cleaner-tmp-*"))


def test_keep_intermediate_keeps_the_checkpoint(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    out = tmp_path / "out"
    cmd = command(inputs, out, tmp_path / "r.jsonl")
    assert subprocess.run([*cmd, "--keep-intermediate"], check=False, timeout=300).returncode == 0
    assert (out / ".cleaner-work" / "manifest.json").exists()
    assert subprocess.run(cmd, check=False, timeout=300).returncode == 0  # resumes from it, then removes it
    assert not (out / ".cleaner-work").exists()


def test_resume_after_the_index_commit_sees_the_index_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The narrowest window: killed after dedup added the run to the index (pending), before the
    # checkpoint saved its decisions. The rerun decides again and must not take the run's own
    # rows in the index for earlier copies of its documents; it commits them at its end.
    import dataclasses

    from cleaner import runners
    from cleaner.config import Config, DedupConfig
    from cleaner.dedup.index import describe
    from cleaner.runners import core

    inputs = make_inputs(tmp_path)

    def config(name: str) -> Config:
        return dataclasses.replace(Config(jobs=2), dedup=DedupConfig(index=str(tmp_path / name)))

    want = runners.run([inputs], tmp_path / "ref", config("ref.sqlite"), tmp_path / "ref.jsonl")

    class Killed(Exception):
        pass

    save = core.Checkpoint.save_decisions

    def killed_after_dedup(self: core.Checkpoint, phase: int, decisions: dict[str, object]) -> None:
        if phase > 0:  # phase 0 is the template barrier, then dedup
            raise Killed
        save(self, phase, decisions)

    out, report = tmp_path / "out", tmp_path / "out.jsonl"
    monkeypatch.setattr(core.Checkpoint, "save_decisions", killed_after_dedup)
    with pytest.raises(Killed):
        runners.run([inputs], out, config("seen.sqlite"), report)
    monkeypatch.undo()
    seen = describe(str(tmp_path / "seen.sqlite"))
    assert (seen["documents"], seen["pending_documents"]) == (0, 160)  # added, not committed
    got = runners.run([inputs], out, config("seen.sqlite"), report)
    assert tree(out) == tree(tmp_path / "ref")
    assert report.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()
    assert got.docs_kept == want.docs_kept > 0  # a rerun that saw its own rows would keep none
    seen = describe(str(tmp_path / "seen.sqlite"))
    assert (seen["documents"], seen["pending_documents"]) == (160, 0)  # committed at the end, not added twice


def interrupted_after(tasks: int) -> type:
    """A local executor whose run is stopped by Ctrl-C after ``tasks`` tasks of the first phase."""
    from cleaner.runners.local import LocalExecutor

    class Interrupted(LocalExecutor):
        def __enter__(self):  # type: ignore[no-untyped-def]
            execute = super().__enter__()

            def interrupted(pending):  # type: ignore[no-untyped-def]
                for done, result in enumerate(execute(pending)):
                    if done == tasks:
                        raise KeyboardInterrupt
                    yield result

            return interrupted

    return Interrupted


def test_a_resumed_run_says_where_it_picks_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cleaner import runners
    from cleaner.config import Config
    from cleaner.runners import core

    monkeypatch.setattr(core, "GROUP_FILES", 2)  # the seed pages in tasks of two: [2, 2, 1]

    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    shards = len(list(inputs.iterdir()))

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        runners.run([inputs], out, Config(jobs=1), executor=interrupted_after(2))
    notices: list[str] = []
    runners.run([inputs], out, Config(jobs=1), on_notice=notices.append)
    assert notices == [f"resuming: 4 of {shards} shards already done (phase 1 of 3)"]
    notices.clear()
    runners.run([inputs], tmp_path / "fresh", Config(jobs=1), on_notice=notices.append)
    assert notices == []  # a fresh run has nothing to say


def test_a_work_folder_of_another_format_is_started_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What the phases spill and file changes shape between builds of one version (the site
    # templates' decisions became line indices): such a folder must not be resumed.
    from cleaner import runners
    from cleaner.config import Config
    from cleaner.runners import core

    monkeypatch.setattr(core, "GROUP_FILES", 2)
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        runners.run([inputs], out, Config(jobs=1), executor=interrupted_after(2))
    monkeypatch.setattr(core, "WORK_FORMAT", core.WORK_FORMAT + 1)
    notices: list[str] = []
    runners.run([inputs], out, Config(jobs=1), on_notice=notices.append)
    assert not any(notice.startswith("resuming") for notice in notices)
    runners.run([inputs], tmp_path / "fresh", Config(jobs=1))
    assert tree(out) == tree(tmp_path / "fresh")


def test_a_last_task_run_again_never_truncates_its_parts(tmp_path: Path) -> None:
    # An engine may run a task again after the run took its result: Dask recomputes the results a
    # retiring or lost worker held while the client still wanted them. The last phase's task of a
    # split file, run again once the run has deleted its input spill, fails part-way; it must leave
    # the output and report parts of the first run whole (they were opened "wb" and so truncated:
    # tests/test_dask.py once saw a shard's nine records vanish from output and report).
    import json

    from cleaner import runners
    from cleaner.config import Config
    from cleaner.pipeline import Pipeline
    from cleaner.runners import core

    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.jsonl").write_text(
        "".join(json.dumps({"text": f"Document {i} is about the weather in town {i}."}) + "\n" for i in range(30))
    )
    out = tmp_path / "out"
    cfg = Config(jobs=1)
    runners.run([inputs], out, cfg, shard_bytes=512, keep_intermediate=True)
    plan = core.plan_run([inputs], out, None, 512)
    assert len(plan.shards) > 2
    parts = sorted((out / ".cleaner-work" / "out").iterdir()) + sorted((out / ".cleaner-work" / "report").iterdir())
    before = {p: p.read_bytes() for p in parts}
    assert all(before.values())
    pipeline = Pipeline(cfg)
    pipeline.setup()
    last = len(pipeline.segments) - 1
    for shard in plan.shards:
        with pytest.raises(FileNotFoundError):  # its input spill went when the run took its result
            core.run_task(pipeline, core.Task(shard, last, {}, plan.paths))
    assert {p: p.read_bytes() for p in parts} == before
