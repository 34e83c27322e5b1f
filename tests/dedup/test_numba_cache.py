"""numba compiles the dedup kernels once per machine: a second process loads them from the disk cache.

Each run is a fresh Python process with its own NUMBA_CACHE_DIR, because the bug this guards
against only shows across processes: a kernel that closed over another dispatcher got a new
cache key in every process, so every worker compiled again and the cache folder grew a file
per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

REPO = Path(__file__).resolve().parents[2]

# Runs both kernels through the public classes (numba forced on) and prints numba's own
# account of what it compiled (cache misses) and what it loaded from disk (cache hits).
SCRIPT = """
import json
from cleaner.dedup import _numba_kernels
from cleaner.dedup.shingles import Shingler
from cleaner.dedup.signatures import Signer

hashes, offsets = Shingler(5, use_numba=True).hash_batch(["one two three four five six", "seven"])
Signer(16, 1, use_numba=True).sign(hashes, offsets)
stats = {}
for name in ("shingle_hashes", "minhash"):
    s = getattr(_numba_kernels, name).stats
    stats[name] = {"hits": sum(s.cache_hits.values()), "misses": sum(s.cache_misses.values())}
print(json.dumps(stats))
"""


def _run(cache_dir: Path) -> dict[str, dict[str, int]]:
    # CLEANER_AOT=0: numba's kernels even where setup.py built them ahead of time (cleaner.jit).
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(REPO), "CLEANER_AOT": "0"}
    env.pop("NUMBA_DISABLE_JIT", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True, cwd=REPO)
    result: dict[str, dict[str, int]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _listing(cache_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(cache_dir)) for p in cache_dir.rglob("*") if p.is_file())


def test_second_process_compiles_nothing_and_adds_no_cache_file(tmp_path: Path) -> None:
    cache_dir = tmp_path / "numba-cache"
    first = _run(cache_dir)
    assert all(k["misses"] >= 1 for k in first.values()), first  # an empty cache: both compiled
    after_first = _listing(cache_dir)
    assert after_first

    second = _run(cache_dir)
    assert second == {name: {"hits": 1, "misses": 0} for name in first}, second
    assert _listing(cache_dir) == after_first


def test_a_small_run_never_loads_the_numba_dedup_kernels(tmp_path: Path) -> None:
    """Starting numba costs about half a CPU-second per process even from a warm cache: a small
    run (the five seeds) hashes with the numpy kernels and measures its signals with the numpy
    passes, bit-identical, and never imports numba at all."""
    script = """
import sys
import cleaner
from pathlib import Path
texts = [p.read_text(encoding="utf-8") for p in sorted(Path("seeds").iterdir())]
kept = list(cleaner.clean(texts))
print(len(kept), "numba" in sys.modules)
"""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.split() == ["5", "False"], done.stdout + done.stderr


def _cli_run(inputs: Path, out: Path, cache_dir: Path) -> str:
    # CLEANER_AOT=0: the dedup kernels from numba's cache too, not the ones setup.py built ahead of time.
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(cache_dir),
        "NUMBA_DEBUG_CACHE": "1",
        "PYTHONPATH": str(REPO),
        "CLEANER_AOT": "0",
    }
    env.pop("NUMBA_DISABLE_JIT", None)
    args = [sys.executable, "-m", "cleaner", "clean", str(inputs), "-o", str(out), "-q", "--jobs", "1"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True, cwd=REPO)
    return done.stdout  # numba's cache log; the run itself prints nothing with -q


def test_a_second_cleaner_run_compiles_nothing_and_adds_no_cache_file(tmp_path: Path) -> None:
    """``cleaner clean`` twice on an input large enough that numba starts (the signals' compiled
    loops, then the dedup kernels): the first run compiles and saves them, the second loads every one
    from the cache and saves nothing (nor does any other compiled loop that runs)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    sentence = "the river bank rose after rain and the town of {i} closed its bridge for {j} days."
    lines = []
    from cleaner.signals.quality import NUMPY_CHARS

    for i in range(NUMPY_CHARS // 900 + 60):  # ~1,000 characters each: past the signals' numpy budget
        text = "\n\n".join(sentence.format(i=i, j=j) for j in range(12))
        lines.append(json.dumps({"id": f"d{i}", "text": text}) + "\n")
    (inputs / "a.jsonl").write_text("".join(lines), encoding="utf-8")
    cache_dir = tmp_path / "numba-cache"

    first = _cli_run(inputs, tmp_path / "out1", cache_dir)
    saved = [line for line in first.splitlines() if "data saved to" in line]
    for kernel in ("doc_signals", "shingle_hashes", "minhash"):
        assert any(kernel in line for line in saved), (kernel, first)
    after_first = _listing(cache_dir)

    second = _cli_run(inputs, tmp_path / "out2", cache_dir)
    assert "data loaded from" in second
    assert not [line for line in second.splitlines() if "saved to" in line], second
    assert _listing(cache_dir) == after_first
