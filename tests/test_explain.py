"""`cleaner explain FILE`: every line of one document with its fate, stage and reason."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleaner.cli import main
from cleaner.config import Config, DedupConfig
from cleaner.explain import explain_target
from tests.helpers import SEEDS, write_jsonl


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


PAGE = """<html><head><title>T</title><script>var tracking = 1;</script></head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a></nav>
<article><h1>Rivers rise after storm</h1>
<p>The river rose two metres overnight after the storm, flooding the lower town and closing the old bridge
for the first time in a decade.</p>
<p>Officials said the water would fall slowly over the coming days, and asked residents to keep away from the
banks until then.</p></article>
<div class="share">Share on Facebook</div>
</body></html>
"""


def test_text_lines_are_kept_edited_or_dropped_with_their_reason(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text(
        "The caf\u00c3\u00a9 opened on Monday morning to a long queue.\n"
        "Share on Facebook\n"
        "Its owner said the first week had gone better than she had hoped.\n",
        encoding="utf-8",
    )
    ex = explain_target(str(doc), Config(stages=("normalize", "boilerplate")))
    assert [line.fate for line in ex.lines if line.original] == ["edited", "dropped", "kept"]
    edited, dropped = ex.lines[0], ex.lines[1]
    assert edited.text == "The café opened on Monday morning to a long queue."
    assert edited.notes and edited.notes[0].startswith("normalize: ")
    assert dropped.reason == "boilerplate.social" and dropped.original == "Share on Facebook"
    assert ex.status == "kept"


def test_lookalike_letters_are_named_in_the_edit(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("The b\N{CYRILLIC SMALL LETTER A}nk raised its rates again on Tuesday.\n", encoding="utf-8")
    result = invoke("explain", str(doc), "--stages", "normalize")
    assert result.exit_code == 0, result.output
    assert "edited" in result.stdout
    assert "(CYRILLIC SMALL LETTER A) -> 'a'" in result.stdout


def test_html_lines_left_out_by_the_extractor_are_dropped_with_its_reason(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    ex = explain_target(str(page), Config(stages=("normalize", "boilerplate")))
    fates = {line.original.strip(): (line.fate, line.reason) for line in ex.lines if line.original.strip()}
    assert fates["Home | News | Sport"] == ("dropped", "boilerplate.nav")
    assert fates["Share on Facebook"] == ("dropped", "boilerplate.social")
    assert fates["Rivers rise after storm"][0] == "kept"
    assert "tracking" not in " ".join(fates)  # scripts are not visible text, so never a line


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.iterdir()))
def test_lines_not_dropped_rebuild_what_clean_writes(seed: str, tmp_path: Path) -> None:
    """Every input line is accounted for, and the surviving lines are exactly the cleaned output's lines."""
    stages = "normalize,boilerplate"
    result = invoke("clean", str(SEEDS / seed), "-o", str(tmp_path / "out"), "--stages", stages, "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    written = (tmp_path / "out" / seed).read_text(encoding="utf-8")
    ex = explain_target(str(SEEDS / seed), Config(stages=("normalize", "boilerplate")))
    source = (SEEDS / seed).read_text(encoding="utf-8")
    assert len(ex.lines) == len(source.replace("\r\n", "\n").split("\n"))
    assert not ex.added
    survived = [line.text for line in ex.lines if line.fate != "dropped"]
    assert [s for s in survived if s.strip()] == [w for w in written.split("\n") if w.strip()]
    dropped = [line for line in ex.lines if line.fate == "dropped" and line.original.strip()]
    assert all(line.reason.startswith("boilerplate.") for line in dropped), [(d.original, d.reason) for d in dropped]


def test_one_record_of_a_jsonl_dump(tmp_path: Path) -> None:
    dump = write_jsonl(
        tmp_path / "dump.jsonl",
        [
            {"id": "first", "text": "Nothing to see here, a plain sentence."},
            {
                "id": "second",
                "text": "Share on Facebook\nA second record with a real sentence in it, long enough to be kept.",
            },
        ],
    )
    result = invoke("explain", f"{dump}:2", "--stages", "normalize,boilerplate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("document second  from dump.jsonl:2")
    assert "dropped [boilerplate.social] Share on Facebook" in result.stdout


@pytest.mark.parametrize(
    ("suffix", "message"),
    [("", "name one as"), (":7", "has no document at line 7"), (":0", "has no document at line 0")],
)
def test_dump_needs_an_existing_line(tmp_path: Path, suffix: str, message: str) -> None:
    dump = write_jsonl(tmp_path / "dump.jsonl", [{"text": "One record."}])
    result = invoke("explain", f"{dump}{suffix}")
    assert result.exit_code == 2
    assert message in result.stderr


def test_one_row_of_a_parquet_file_and_one_record_of_a_warc(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.test_formats import make_warc

    table = pa.table(
        {"id": [f"r{i}" for i in range(1, 6)], "text": [f"Row number {i} of the table." for i in range(1, 6)]}
    )
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)  # row 3 is in the second row group
    result = invoke("explain", f"{tmp_path / 't.parquet'}:3", "--stages", "normalize")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("document r3  from t.parquet:3")
    assert "Row number 3 of the table." in result.stdout
    assert "has no document at row 6" in invoke("explain", f"{tmp_path / 't.parquet'}:6").stderr

    _, order = make_warc(tmp_path / "crawl.warc.gz")
    result = invoke("explain", f"{tmp_path / 'crawl.warc.gz'}:5", "--stages", "normalize")  # the second page
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"document {order[1]}  from crawl.warc.gz:5")
    result = invoke("explain", f"{tmp_path / 'crawl.warc.gz'}:1")  # the warcinfo record is no document
    assert result.exit_code == 2 and "has no document at record 1" in result.stderr
    assert "name one as" in invoke("explain", str(tmp_path / "crawl.warc.gz")).stderr


def test_missing_file_says_what_to_pass(tmp_path: Path) -> None:
    result = invoke("explain", str(tmp_path / "nope.txt"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr and "DUMP:N" in result.stderr


def test_html_output_colours_rows_by_fate(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    result = invoke("explain", str(page), "--html", "--stages", "normalize,boilerplate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "<tr class='dropped'>" in result.stdout and "<tr class='kept'>" in result.stdout
    assert "boilerplate.nav" in result.stdout


def test_near_duplicate_of_an_indexed_document_without_changing_the_index(tmp_path: Path) -> None:
    seeds = sorted(SEEDS.iterdir())
    corpus = write_jsonl(tmp_path / "a.jsonl", [{"id": p.stem, "text": p.read_text(encoding="utf-8")} for p in seeds])
    index = tmp_path / "seen.sqlite"
    result = invoke("clean", str(corpus), "-o", str(tmp_path / "out"), "--index", str(index), "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    before = hashlib.sha256(index.read_bytes()).hexdigest()
    copy = seeds[3].read_text(encoding="utf-8") + "\nOne more closing sentence that the copy adds."
    later = write_jsonl(tmp_path / "b.jsonl", [{"id": "later-copy", "text": copy}])

    result = invoke("explain", f"{later}:1", "--index", str(index))
    assert result.exit_code == 0, result.output
    assert "status   dropped (dedup.near_duplicate_doc" in result.stdout
    assert seeds[3].stem in result.stdout  # which document it duplicates
    assert hashlib.sha256(index.read_bytes()).hexdigest() == before

    alone = invoke("explain", f"{later}:1")  # no corpus to compare with: kept
    assert "status   kept" in alone.stdout


def test_reused_passages_are_flagged_with_the_document_they_come_from(tmp_path: Path) -> None:
    seeds = sorted(SEEDS.iterdir())
    original = seeds[0].read_text(encoding="utf-8")
    corpus = write_jsonl(tmp_path / "a.jsonl", [{"id": "original", "text": original}])
    index = tmp_path / "seen.sqlite"
    result = invoke("clean", str(corpus), "-o", str(tmp_path / "out"), "--index", str(index), "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    reused = [p for p in original.split("\n") if len(p) > 200][:3]
    text = seeds[2].read_text(encoding="utf-8") + "\n\n" + "\n\n".join(reused)
    later = write_jsonl(tmp_path / "b.jsonl", [{"id": "later", "text": text}])

    ex = explain_target(f"{later}:1", Config(dedup=DedupConfig(index=str(index))))
    flagged = [line for line in ex.lines if line.fate == "duplicate"]
    assert ex.status == "kept"
    assert [line.text for line in flagged] == reused
    assert all(line.reason == "dedup.near_duplicate_passage" for line in flagged)
    assert all("passage also in original" in line.notes[-1] for line in flagged)
