"""The streaming mode: each document decided at once against the index and the stream so far."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from cleaner import Cleaner
from cleaner.config import Config, DedupConfig
from cleaner.dedup.index import describe
from cleaner.record import Document, Reason

ROOT = Path(__file__).resolve().parents[1]


def words(seed: int, n: int = 150) -> str:
    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(5000)}" for _ in range(n)) + "."


def config(index: Path | None = None, **dedup: object) -> Config:
    return Config(
        stages=("normalize", "boilerplate", "dedup"),
        dedup=DedupConfig(index=str(index) if index else None, passages=False, **dedup),  # type: ignore[arg-type]
    )


def test_each_document_is_yielded_before_the_next_is_read() -> None:
    texts = [words(1), words(2), words(1) + " extra", words(3)]
    seen: list[str] = []

    def queue():  # type: ignore[no-untyped-def]
        for i, t in enumerate(texts):
            seen.append(f"read {i}")
            yield Document(id=f"d{i}", text=t)

    with Cleaner(config()).stream() as stream:
        for doc in stream.clean(queue(), include_rejected=True):
            seen.append(f"{doc.id} {doc.status}")
    assert seen == ["read 0", "d0 kept", "read 1", "d1 kept", "read 2", "d2 dropped", "read 3", "d3 kept"]


def test_a_stream_checks_the_index_and_commits_when_told(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    list(Cleaner(config(path)).clean([Document(id="old", text=words(10))]))  # an earlier batch
    with Cleaner(config(path)).stream() as stream:
        out = {
            d.id: d
            for d in stream.clean(
                [Document(id="new", text=words(11)), Document(id="copy", text=words(10) + " x")], include_rejected=True
            )
        }
        assert stream.commit() == 2
        leftover = list(stream.clean([Document(id="uncommitted", text=words(12))]))
    assert out["new"].status == "kept"
    assert out["copy"].rejected is not None and out["copy"].rejected.reason == Reason.NEAR_DUPLICATE_DOC
    assert out["copy"].duplicate is not None and out["copy"].duplicate.duplicate_of == "old"
    assert [d.id for d in leftover] == ["uncommitted"]
    assert describe(str(path))["documents"] == 3  # old, new, copy: not the uncommitted one
    with Cleaner(config(path)).stream() as stream:  # the same documents again: already indexed
        again = list(stream.clean([Document(id="new", text=words(11))], include_rejected=True))
    assert again[0].rejected is not None and again[0].rejected.reason == Reason.ALREADY_INDEXED


def test_cli_reads_stdin_and_writes_stdout(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"r{i}", "text": t, "site": "x"}) for i, t in enumerate([words(1), words(2), words(1)])]
    report = tmp_path / "report.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "cleaner", "clean", "-", "-o", "-", "--report", str(report), "--no-passages"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["id"], r["site"]) for r in out] == [("r0", "x"), ("r1", "x")]
    assert not (tmp_path / "-").exists()  # no folder named "-"
    reasons = [json.loads(line)["reason"] for line in report.read_text(encoding="utf-8").splitlines()]
    assert reasons == [None, None, "dedup.near_duplicate_doc"]
