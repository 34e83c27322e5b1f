"""Shared helpers of the benchmark scripts: data location, machine facts, result files."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"


def versions(packages: Iterable[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
    }


def pin_one_core() -> None:
    """Run on one core, so single-process tools compare fairly on a busy machine."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def installed_env(**extra: str) -> dict[str, str]:
    """The environment for a tool timed end to end "as a user runs it": as installed by pip, which
    writes every package's bytecode cache at install. So PYTHONDONTWRITEBYTECODE (set in some shells
    and containers) is dropped: with it, a source checkout run from the repo compiles every one of its
    modules again in every run (about 0.07 CPU-s for cleaner) while the peers' installed packages load
    their caches. Call :func:`compile_repo` once before timing."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def compile_repo() -> None:
    """Write cleaner's bytecode cache (what ``pip install`` does), so no timed run pays for it."""
    import compileall

    compileall.compile_dir(str(REPO / "cleaner"), quiet=1)


def console_script(name: str) -> str:
    """A peer's command-line tool from this Python's own bin folder when it is there: a bare name
    may resolve to a wrapper (pyenv's shims are bash scripts) whose start-up is not the tool's."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def write_results(name: str, payload: dict[str, Any], packages: Iterable[str]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    doc = {
        "benchmark": name,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "versions": versions(["cleaner", *packages]),
        **payload,
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [[str(c) for c in header], *[[_fmt(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
