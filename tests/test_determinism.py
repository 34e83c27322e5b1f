"""Output and report are byte-identical for any --jobs, and JSONL split into shards reads as one file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cleaner.config import Config, DedupConfig
from cleaner.dedup import sharded
from cleaner.runners import run
from tests.helpers import SEEDS, write_jsonl


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def make_corpus(root: Path) -> Path:
    inputs = root / "in"
    (inputs / "pages").mkdir(parents=True)
    for seed in sorted(SEEDS.iterdir()):
        (inputs / "pages" / seed.name).write_bytes(seed.read_bytes())
    words = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi").split()  # noqa: SIM905
    records = []
    for i in range(120):
        body = " ".join(words[(i * 7 + k) % len(words)] for k in range(40 + i % 13))
        records.append({"id": f"r{i}", "text": f"Record {i}. {body}.", "n": i})
        if i % 10 == 3:
            records.append({"id": f"copy{i}", "text": f"Record {i}. {body}."})  # exact copy
    write_jsonl(inputs / "big.jsonl", records)
    write_jsonl(inputs / "small.jsonl.gz", records[:20], gz=True)
    return inputs


def test_jobs_1_2_and_4_give_identical_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Connected components on the driver, then in rounds of tasks over several partitions of edges.
    monkeypatch.setattr(sharded, "partitions_for_edges", lambda edges: 3)
    inputs = make_corpus(tmp_path)
    digests = []
    for jobs, on in ((1, "driver"), (2, "tasks"), (4, "auto")):
        out = tmp_path / f"out{jobs}"
        cfg = Config(jobs=jobs, dedup=DedupConfig(components=on))
        run([inputs], out, cfg, tmp_path / f"r{jobs}.jsonl", shard_bytes=4096)
        digests.append((tree_digest(out), hashlib.sha256((tmp_path / f"r{jobs}.jsonl").read_bytes()).hexdigest()))
    assert digests[0] == digests[1] == digests[2]
    assert "big.jsonl" in digests[0][0]


def test_split_jsonl_equals_whole_file(tmp_path: Path) -> None:
    inputs = make_corpus(tmp_path)
    run([inputs], tmp_path / "whole", Config(jobs=1), tmp_path / "whole.jsonl")
    run([inputs], tmp_path / "split", Config(jobs=1), tmp_path / "split.jsonl", shard_bytes=1024)
    assert tree_digest(tmp_path / "whole") == tree_digest(tmp_path / "split")
    assert (tmp_path / "whole.jsonl").read_bytes() == (tmp_path / "split.jsonl").read_bytes()


def test_no_work_folder_is_left_behind(tmp_path: Path) -> None:
    inputs = make_corpus(tmp_path)
    run([inputs], tmp_path / "out", Config(jobs=1), shard_bytes=4096)
    hidden = [p.name for p in (tmp_path / "out").rglob("*") if p.name.startswith(".")]
    assert hidden == [".cleaner-outputs.json"]  # the list of outputs stays; no work folder, no lock
