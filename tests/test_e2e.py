"""The installed `cleaner` command, run as a user would, on a copy of seeds/."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path


def test_installed_command_cleans_seeds(seeds_copy: Path, tmp_path: Path) -> None:
    exe = shutil.which("cleaner")
    assert exe, "the cleaner command is not installed: pip install -e ."
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    proc = subprocess.run(
        [exe, "clean", str(seeds_copy), "-o", str(out), "--report", str(report), "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # data goes to files, the summary to stderr
    assert "documents" in proc.stderr
    assert len(list(out.glob("*.txt"))) == 5
    records = [json.loads(x) for x in report.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 5 and all(r["status"] == "kept" for r in records)
    cleaned = (out / "002_420ac862ca752e05.txt").read_text(encoding="utf-8")
    assert "Belarusian" in cleaned and "\N{CYRILLIC SMALL LETTER A}" not in cleaned
