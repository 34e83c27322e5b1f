"""One dedup verify task at its cap, alone: its peak memory (VmHWM) before and after.

    python benchmarks/probe_verify_memory.py            # Linux (reads /proc/self/status)

Writes 20 shards of 20,000 synthetic documents (200-400 distinct shingles each) and one pairs file
of 200,000 candidate pairs (``PAIRS_PER_BLOCK``) spread over all of them, then runs
``cleaner.dedup.sharded.verify_block`` over the whole block in a fresh process and prints the
process's peak before and after. docs/scaling.md quotes it (1,134 MB with memory-mapped, cached
sets; 68 MB reading each set into its own array).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cleaner.dedup import sharded
from cleaner.dedup.npyparts import save_parts

SHARDS, PER_SHARD, PAIRS = 20, 20_000, sharded.PAIRS_PER_BLOCK


def status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmHWM", "VmRSS", "RssAnon", "RssFile")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) // 1024
    return out


def make(folder: Path) -> None:
    rng = np.random.default_rng(0)
    for shard in range(SHARDS):
        sizes = rng.integers(200, 400, PER_SHARD)
        offsets = np.zeros(PER_SHARD + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        values = np.concatenate([np.sort(rng.integers(0, 2**62, k).astype(np.uint64)) for k in sizes])
        files = sharded._files(folder, shard)
        save_parts(files["shingles.npy"], [values], np.uint64, after=[offsets, np.array([True])])
    n = SHARDS * PER_SHARD
    first = rng.integers(0, n - 1, PAIRS)
    later = first + 1 + (rng.random(PAIRS) * (n - 1 - first)).astype(np.int64)
    np.save(folder / "pairs.g0.p0.npy", np.unique(np.stack([first, later], axis=1), axis=0))


def verify(folder: Path) -> None:
    before = status()
    started = time.perf_counter()
    firsts = [s * PER_SHARD for s in range(SHARDS)]
    sharded.verify_block(folder, [(0, 0)], (0, SHARDS * PER_SHARD), list(range(SHARDS)), firsts, 0.8, 0)
    print(f"before {before}\nafter  {status()}  ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        verify(Path(sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            make(Path(tmp))
            subprocess.run([sys.executable, __file__, "--verify", tmp], check=True)  # a fresh process: its own peak
