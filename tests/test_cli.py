"""The CLI contract of `cleaner clean`, through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cleaner.cli import main
from tests.helpers import read_report, write_jsonl

REPORT_FIELDS = {
    "id",
    "source",
    "status",
    "reason",
    "detail",
    "chars_in",
    "chars_out",
    "drops",
    "edits",
    "cluster",
    "duplicate_of",
    "similarity",
    "passages",
    "lang",
    "lang_score",
    "signals",
}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_clean_seeds_writes_one_file_and_one_record_per_seed(seeds_copy: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    result = invoke("clean", str(seeds_copy), "-o", str(out), "--report", str(report), "--jobs", "1")
    assert result.exit_code == 0, result.output
    seeds = sorted(p.name for p in seeds_copy.iterdir())
    assert sorted(p.name for p in out.iterdir() if p.name != ".cleaner-outputs.json") == seeds
    records = read_report(report)
    assert [r["id"] for r in records] == seeds
    for r in records:
        assert set(r) == REPORT_FIELDS
        assert r["status"] == "kept" and r["reason"] is None
        assert r["source"] == {"path": r["id"], "line": None}
        for drop in r["drops"]:
            assert {"stage", "reason", "unit", "text"} <= set(drop)
        for edit in r["edits"]:
            assert isinstance(edit["count"], int) and edit["count"] > 0
    assert "documents" in result.stderr and "5 in" in result.stderr


def test_default_report_sits_beside_the_output_folder(seeds_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean"
    assert invoke("clean", str(seeds_copy), "-o", str(out), "--jobs", "1").exit_code == 0
    assert len(read_report(tmp_path / "clean.report.jsonl")) == 5


def test_stages_option_runs_a_subset(seeds_copy: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    result = invoke("clean", str(seeds_copy), "-o", str(out), "--report", str(report), "--stages", "normalize")
    assert result.exit_code == 0
    stages = {d["stage"] for r in read_report(report) for d in r["drops"]}
    assert stages == set()  # normalize edits, it never drops
    # the seed full of lookalike letters is edited by normalize
    edited = [r for r in read_report(report) if r["edits"]]
    assert any(r["id"].startswith("002_") for r in edited)


def test_unknown_stage_is_a_usage_error(seeds_copy: Path, tmp_path: Path) -> None:
    result = invoke("clean", str(seeds_copy), "-o", str(tmp_path / "o"), "--stages", "normalise")
    assert result.exit_code == 2
    assert "unknown stage 'normalise'" in result.stderr and "normalize" in result.stderr
    assert not (tmp_path / "o").exists()


def test_output_inside_input_is_refused(seeds_copy: Path) -> None:
    result = invoke("clean", str(seeds_copy), "-o", str(seeds_copy / "out"))
    assert result.exit_code == 2
    assert "inside input" in result.stderr
    assert not (seeds_copy / "out").exists()


def test_jsonl_records_keep_their_fields_and_order(tmp_path: Path) -> None:
    src = write_jsonl(
        tmp_path / "in" / "dump.jsonl",
        [
            {"url": "https://a.example/1", "text": "First article text, with enough words to be a document.", "n": 1},
            {"id": "b", "text": "Second article, quite different from the first one here.", "meta": {"x": [1, 2]}},
            {"html": "<html><body><article><p>A page held as HTML in a record.</p></article></body></html>"},
        ],
    )
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    result = invoke("clean", str(src.parent), "-o", str(out), "--report", str(report), "--jobs", "1")
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in (out / "dump.jsonl").read_text(encoding="utf-8").splitlines()]
    # The signals stage adds the detected language after the record's own fields.
    assert list(rows[0]) == ["url", "text", "n", "lang", "lang_score"] and rows[0]["n"] == 1
    assert list(rows[1]) == ["id", "text", "meta", "lang", "lang_score"] and rows[1]["meta"] == {"x": [1, 2]}
    assert list(rows[2]) == ["html", "lang", "lang_score", "text"] and "A page held as HTML" in rows[2]["text"]
    # The markup comes back whole: JSONL writes it, so the spills between phases carry it.
    assert rows[2]["html"] == "<html><body><article><p>A page held as HTML in a record.</p></article></body></html>"
    assert rows[0]["lang"] == "en" and 0.0 < rows[0]["lang_score"] <= 1.0
    ids = [r["id"] for r in read_report(report)]
    assert ids == ["dump.jsonl:1", "b", "dump.jsonl:3"]


def test_bad_records_are_reported_and_the_rest_is_written(tmp_path: Path) -> None:
    src = write_jsonl(
        tmp_path / "in" / "mixed.jsonl",
        [
            {"id": "ok-1", "text": "A good record that should be cleaned and written out."},
            "{not json",
            "[1, 2, 3]",
            {"id": "null-text", "text": None},
            {"id": "ok-2", "text": "Another good record, different words, also written out."},
        ],
    )
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    result = invoke("clean", str(src), "-o", str(out), "--report", str(report), "--jobs", "1")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("cleaner: error:")]
    assert len(errors) == 3
    assert all("mixed.jsonl:" in line for line in errors)
    assert "mixed.jsonl:2" in errors[0] and "not valid JSON" in errors[0]
    rows = [json.loads(x) for x in (out / "mixed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["ok-1", "ok-2"]
    statuses = [(r["id"], r["status"]) for r in read_report(report)]
    assert statuses == [
        ("ok-1", "kept"),
        ("mixed.jsonl:2", "error"),
        ("mixed.jsonl:3", "error"),
        ("null-text", "error"),
        ("ok-2", "kept"),
    ]


def test_a_missing_input_is_refused_before_anything_is_written(seeds_copy: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    missing = tmp_path / "nope"
    result = invoke("clean", str(missing), str(seeds_copy), "-o", str(out), "--report", str(report))
    assert result.exit_code == 2
    assert f"no such file or folder: {missing}; check the path (nothing was written)" in result.stderr
    assert not out.exists() and not report.exists()


def test_every_command_has_help_with_examples() -> None:
    for args in (["--help"], ["clean", "--help"], ["index", "info", "--help"]):
        result = invoke(*args)
        assert result.exit_code == 0 and "Example" in result.output, args


def test_threshold_picks_bands_that_find_its_pairs(tmp_path: Path) -> None:
    result = invoke("config", "show", "--threshold", "0.7")
    assert result.exit_code == 0
    assert "bands = 32" in result.output and "rows = 4" in result.output
    (tmp_path / "c.toml").write_text("[dedup]\nbands = 8\nrows = 16\n")
    result = invoke("config", "show", "--config", str(tmp_path / "c.toml"), "--threshold", "0.7")
    assert "bands = 8" in result.output and "rows = 16" in result.output  # the file's choice stands


def test_no_passages_switches_passage_detection_off() -> None:
    result = invoke("config", "show", "--no-passages")
    assert result.exit_code == 0 and "passages = false" in result.output


def test_imports_uncollected_pauses_collections_and_leaves_the_young_generation_empty() -> None:
    import gc

    from cleaner.cli import imports_uncollected

    threshold, was_enabled = gc.get_threshold(), gc.isenabled()
    gc.enable()
    try:
        with imports_uncollected():
            assert not gc.isenabled()
            kept = [[i] for i in range(5 * threshold[0])]  # what a module's import leaves alive
        assert gc.isenabled() and gc.get_freeze_count() == 0
        assert gc.get_count()[0] < threshold[0] // 2  # moved on, not collected young later
        gc.freeze()  # a caller's frozen objects stay frozen
        with imports_uncollected():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        if not was_enabled:
            gc.disable()
    assert len(kept) == 5 * threshold[0]
