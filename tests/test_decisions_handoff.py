"""The barrier hands each shard its own decisions, in a file the shard's task reads: the driver
keeps none of them after the barrier, and a resumed run reads the filed ones without deciding again."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tests.helpers import SEEDS
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
            own = {key for key, _ in done[shard].summaries}
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

    from cleaner.boilerplate.templates import Templates
    from cleaner.dedup import Dedup

    monkeypatch.setattr(Templates, "file_decisions", no_deciding)
    monkeypatch.setattr(Dedup, "file_decisions", no_deciding)
    runners.run([inputs], out, Config(jobs=1), report)
    assert tree(out) == tree(ref)
    assert report.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()


def _dump(path: Path, docs: int) -> Path:
    """``docs`` JSONL records on 5 sites (a navigation line and a footer each: template lines for
    every document) of which every tenth is a near copy of an earlier one (dedup decisions)."""
    import json
    import random

    rng = random.Random(docs)
    words = sorted({w for f in SEEDS.iterdir() for w in f.read_text(encoding="utf-8").split() if w.isalpha()})
    bodies: list[list[str]] = []
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(docs):
            if i % 10 == 9:
                body = list(bodies[rng.randrange(len(bodies))])
                body[rng.randrange(len(body))] = "changed"
            else:
                body = [rng.choice(words) for _ in range(60)]
                bodies.append(body)
            site = i % 5
            text = f"Home | News | Sport of site {site}\n{' '.join(body)}.\nCopyright site {site}, all rights kept\n"
            fh.write(json.dumps({"id": str(i), "url": f"https://site{site}.example/{i}", "text": text}) + "\n")
    return path


def test_the_drivers_memory_at_the_barriers_does_not_grow_with_the_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 15: the driver used to gather every corpus decision of the run (a Python object per
    # document) before filing them per shard. The Python memory it allocates during a barrier
    # (tracemalloc sees this process only: the tasks run in 2 worker processes) must not grow
    # by 100 bytes per document (the target) from 1,500 to 6,000 documents.
    import tracemalloc

    from cleaner import runners
    from cleaner.config import Config
    from cleaner.runners import core

    peaks: list[int] = []
    barrier = core.barrier

    def traced(*args: object, **kwargs: object) -> dict[int, Path]:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        filed = barrier(*args, **kwargs)  # type: ignore[arg-type]
        peaks.append(tracemalloc.get_traced_memory()[1] - before)
        return filed

    monkeypatch.setattr(core, "barrier", traced)
    grown: dict[int, list[int]] = {}
    for docs in (300, 1500, 6000):  # the first run imports the barriers' modules: not compared
        dump = _dump(tmp_path / f"{docs}.jsonl", docs)
        peaks.clear()
        tracemalloc.start()
        try:
            report = runners.run(
                [dump], tmp_path / f"out{docs}", Config(jobs=2), shard_bytes=dump.stat().st_size // 4 + 1
            )
        finally:
            tracemalloc.stop()
        assert len(peaks) == 2  # templates, then dedup
        assert report.docs_in == docs
        assert report.rejections["dedup.near_duplicate_doc"] >= docs // 20  # dedup decided
        template = sum(n for (_, reason, _), n in report.drops.items() if reason == "boilerplate.template")
        assert template >= docs  # and templates did, for every document
        grown[docs] = list(peaks)
    for name, small, large in zip(("templates", "dedup"), grown[1500], grown[6000], strict=True):
        per_doc = (large - small) / (6000 - 1500)
        assert per_doc < 100, f"the driver's memory in the {name} barrier grows by {per_doc:.0f} bytes per document"


def test_doc_keys_are_the_doc_key_of_each_document() -> None:
    from cleaner.record import Document, Source
    from cleaner.stage import doc_key, doc_keys

    docs = [Document("a", "x", source=Source("in/a.jsonl", 3)), Document("b", "y", source=Source("in/b.txt"))]
    assert doc_keys(docs) == [doc_key(d) for d in docs] == ["in/a.jsonl:3", "in/b.txt"]
