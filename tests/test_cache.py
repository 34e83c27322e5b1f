"""cleaner.cache: values derived once and read back by later processes, equal to a fresh derivation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner import cache, normalize


def test_a_derived_value_is_computed_once_then_read_back(tmp_path: Path) -> None:
    value = ["[\ud800-\udfff\x80]", None, 3, "plain"]  # a lone surrogate, as the gates' patterns hold
    assert cache.derived("t", "k1", lambda: value, tmp_path) == value
    assert (tmp_path / "t-k1.json").read_bytes().isascii()

    def never() -> None:
        raise AssertionError("computed again")

    assert cache.derived("t", "k1", never, tmp_path) == value  # read back, the same value
    assert cache.derived("t", "k2", lambda: "other", tmp_path) == "other"  # another key: another entry
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_broken_or_unwritable_cache_only_costs_the_derivation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "t-k.json").write_text('["cut sh', encoding="ascii")
    assert cache.derived("t", "k", lambda: [1, 2], tmp_path) == [1, 2]
    assert json.loads((tmp_path / "t-k.json").read_text(encoding="ascii")) == [1, 2]  # rewritten whole
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="ascii")
    assert cache.derived("t", "k", lambda: "v", blocked / "cache") == "v"  # a folder under a file
    monkeypatch.setenv(cache.CACHE_ENV, "")
    assert cache.cache_folder() is None
    assert cache.derived("t", "k", lambda: "off") == "off"


def test_normalize_tables_read_from_the_cache_equal_their_derivation(tmp_path: Path) -> None:
    """A process that reads normalize's tables from the cache gets what another derived."""
    code = (
        "from cleaner import normalize as n; import json, sys;"
        "json.dump([n._GATE_SOURCES, n._PREFILTER_SOURCES, sorted(n._NFC_MAYBE)], sys.stdout)"
    )
    env = {"CLEANER_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    entries = sorted(p.name.split("-")[1] for p in tmp_path.glob("normalize-*.json"))
    assert entries == ["gate", "nfc", "prefilters"]
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    derived_now = [normalize._mojibake_gate_sources(), normalize._prefilter_sources(), sorted(normalize._nfc_maybe())]
    assert json.loads(first.stdout) == json.loads(second.stdout) == json.loads(json.dumps(derived_now))
