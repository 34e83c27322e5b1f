"""Faults of the run itself, not of one input: descriptor limits, signals, dead workers,
concurrent runs, reused output folders, report paths and environment errors (issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO


def cleaner(*args: str, timeout: float = 300, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """``python -m cleaner ARGS`` on this checkout, in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def small_texts(folder: Path, count: int) -> Path:
    """``count`` small text files, each its own shard; every third one a near copy of another."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        topic = i - i % 3 if i % 3 == 2 else i
        words = " ".join(f"w{(topic * 7 + j) % 500}" for j in range(60))
        (folder / f"d{i:04d}.txt").write_text(f"Document about topic {topic}. {words}\n", encoding="utf-8")
    return folder


def test_more_inputs_than_open_files_allowed(tmp_path: Path) -> None:
    """310 inputs (310 shards) under a limit of 256 descriptors: the dedup barrier keeps the
    number of open files bounded instead of holding a map of every shard's file."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    inputs = small_texts(tmp_path / "in", 310)
    done = cleaner("clean", str(inputs), "-o", str(tmp_path / "out"), "--jobs", "2", "-q", preexec_fn=limit)
    assert done.returncode == 0, done.stderr
    assert "Too many open files" not in done.stderr
    assert len(list((tmp_path / "out").glob("*.txt"))) < 310  # the near copies were dropped
