"""Helpers shared by the test modules: paths and small input-tree builders.

Test modules import them as ``from tests.helpers import ...`` (pytest puts the repository root
on ``sys.path``, see ``pythonpath`` in pyproject.toml), so both ``pytest`` and ``python -m
pytest`` collect every module. Fixtures stay in conftest.py.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"


def write_jsonl(path: Path, records: Iterable[object], *, gz: bool = False) -> Path:
    """Write records (dicts, or raw strings for malformed lines) one per line."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.write_bytes(gzip.compress(data, mtime=0))
    else:
        path.write_bytes(data)
    return path


def read_report(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
