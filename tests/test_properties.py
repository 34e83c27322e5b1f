"""Every input document appears exactly once in the report, kept, dropped or failed, in input order."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.config import Config
from cleaner.runners import run
from tests.helpers import read_report

line = st.one_of(
    st.builds(lambda t: json.dumps({"text": t}), st.text(max_size=80)),
    st.builds(lambda t: json.dumps({"html": f"<p>{t}</p>"}), st.text(alphabet="abc <>&", max_size=40)),
    st.builds(lambda t, i: json.dumps({"id": i, "text": t}), st.text(max_size=30), st.integers(0, 5)),
    st.sampled_from(["{broken", "[]", "null", '{"text": 3}', '{"text": null}']),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line, min_size=1, max_size=25), st.sampled_from([64, 256, 1 << 20]))
def test_each_record_once_in_order(tmp_path: Path, lines: list[str], shard_bytes: int) -> None:
    case = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis replays examples: a fresh folder each time
    (case / "in").mkdir()
    (case / "in" / "d.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run([case / "in"], case / "out", Config(jobs=1), case / "r.jsonl", shard_bytes=shard_bytes)
    records = read_report(case / "r.jsonl")
    expected = [i + 1 for i, raw in enumerate(lines) if raw.strip()]
    assert [r["source"]["line"] for r in records] == expected
    kept = [r for r in records if r["status"] == "kept"]
    out = (case / "out" / "d.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(out) == len(kept)
