"""What a person sees: progress events and bars, --quiet, --verbose, the summary, and examples in every --help."""

from __future__ import annotations

import io
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cleaner.cli import main
from cleaner.config import Config
from cleaner.progress import ProgressEvent, TerminalProgress
from cleaner.runners import run


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = [(prefix, group)]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append(((*prefix, name), command))
    return found


@pytest.mark.parametrize("path", [" ".join(p) or "(main)" for p, _ in _commands(main)])
def test_every_help_has_examples(path: str) -> None:
    args = [] if path == "(main)" else path.split()
    result = invoke(*args, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    body = result.output.split("Example", 1)[1]
    assert "cleaner " + ("" if path == "(main)" else path) in body  # the examples use the command itself


def test_run_reports_progress_after_every_task(tmp_path: Path, seeds_copy: Path) -> None:
    events: list[ProgressEvent] = []
    cfg = Config(stages=("normalize", "boilerplate"), jobs=1)
    report = run([seeds_copy], tmp_path / "out", cfg, on_progress=events.append)
    sizes = sum(p.stat().st_size for p in seeds_copy.iterdir())
    phases = {e.phase_number for e in events}
    assert phases == set(range(1, events[0].phases + 1))
    for number in phases:
        mine = [e for e in events if e.phase_number == number]
        assert [e.shards_done for e in mine] == list(range(1, 6))
        assert all(e.shards_total == 5 and e.bytes_total == sizes for e in mine)
        assert mine[-1].bytes_done == sizes and mine[-1].fraction == 1.0
    last = [e for e in events if e.phase == "write"]
    assert sum(e.docs for e in last) == report.docs_in == 5
    assert [e.path for e in last] == sorted(p.name for p in seeds_copy.iterdir())


def test_no_bar_when_stderr_is_not_a_terminal(seeds_copy: Path, tmp_path: Path) -> None:
    result = invoke("clean", str(seeds_copy), "-o", str(tmp_path / "out"), "--stages", "normalize", "-j", "1")
    assert result.exit_code == 0
    assert "phase 1/" not in result.stderr and "\r" not in result.stderr


def test_progress_flag_forces_the_bar(seeds_copy: Path, tmp_path: Path) -> None:
    args = ["clean", str(seeds_copy), "-o", str(tmp_path / "out"), "--stages", "normalize", "-j", "1", "--progress"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "phase 1/1: write" in result.stderr and "docs/s" in result.stderr


def test_terminal_progress_draws_on_a_terminal_only() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    event = ProgressEvent("dedup", 1, 2, 1, 2, 1 << 20, 2 << 20, docs=10, path="a.jsonl")
    tty, pipe = Tty(), io.StringIO()
    with TerminalProgress(tty) as show:
        show(event)
    with TerminalProgress(pipe) as show:
        show(event)
    assert "phase 1/2: dedup" in tty.getvalue() and "50%" in tty.getvalue()
    assert pipe.getvalue() == ""


def test_quiet_prints_nothing_on_success(seeds_copy: Path, tmp_path: Path) -> None:
    result = invoke("clean", str(seeds_copy), "-o", str(tmp_path / "out"), "-q", "--stages", "normalize", "--progress")
    assert result.exit_code == 0
    assert result.stderr == "" and result.stdout == ""


def test_verbose_lists_each_file_and_each_skipped_file(seeds_copy: Path, tmp_path: Path) -> None:
    (seeds_copy / "scan.pdf").write_bytes(b"%PDF-1.4")
    result = invoke("clean", str(seeds_copy), "-o", str(tmp_path / "out"), "-v", "--stages", "normalize", "-j", "1")
    assert result.exit_code == 0, result.output
    assert f"cleaner: skipped {seeds_copy / 'scan.pdf'}: not a file type cleaner reads" in result.stderr
    for seed in sorted(p.name for p in seeds_copy.glob("*.txt")):
        assert f"{seed}: 1 document (write)" in result.stderr
    assert "skipped: 1 files" in result.stderr  # and the summary counts it


def test_summary_is_a_table_with_every_section(seeds_copy: Path, tmp_path: Path) -> None:
    result = invoke("clean", str(seeds_copy), "-o", str(tmp_path / "out"), "--stages", "normalize,boilerplate")
    assert result.exit_code == 0
    err = result.stderr
    assert "documents: 5 in, 5 kept, 0 dropped, 0 errors" in err
    assert "characters: " in err and "% kept)" in err
    assert "removed pieces, by reason" in err and "pieces  characters" in err
    assert "normalizer edits" in err and "lookalikes" in err
    assert "seconds per stage" in err
    assert "phase" not in err  # progress lines never mix into the summary on a pipe


def test_summary_counts_duplicate_clusters(tmp_path: Path) -> None:
    from tests.helpers import SEEDS, write_jsonl

    text = next(iter(sorted(SEEDS.iterdir()))).read_text(encoding="utf-8")
    dump = write_jsonl(tmp_path / "d.jsonl", [{"id": f"c{i}", "text": text} for i in range(3)])
    result = invoke("clean", str(dump), "-o", str(tmp_path / "out"), "-j", "1")
    assert result.exit_code == 0, result.output
    assert "near-duplicates: 1 cluster (largest 3 documents)" in result.stderr
    assert "dedup.near_duplicate_doc" in result.stderr


# --- issue 18, "The command line as people use it" -------------------------------------------------


def test_clean_help_lists_every_input_format() -> None:
    from cleaner.formats.table import FORMATS

    help_text = invoke("clean", "--help").output
    listed = set(re.findall(r"(?<![\w/])\.[a-z]+(?:\.[a-z]+)?\b", help_text))
    missing = [row.suffix for row in FORMATS if row.suffix not in listed]
    assert not missing, f"clean --help does not list {missing}"
    assert "s3://" in help_text


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_flag(flag: str) -> None:
    from cleaner import __version__

    result = invoke(flag)
    assert result.exit_code == 0
    assert result.output.strip() == f"cleaner, version {__version__}"


def test_summary_ends_with_wall_time_output_and_report_paths(seeds_copy: Path, tmp_path: Path) -> None:
    out, report, page = tmp_path / "out", tmp_path / "run.report.jsonl", tmp_path / "run.html"
    args = ["--stages", "normalize", "-j", "1"]
    result = invoke(
        "clean", str(seeds_copy), "-o", str(out), "--report", str(report), "--html-report", str(page), *args
    )
    assert result.exit_code == 0, result.output
    tail = result.stderr.rstrip("\n").splitlines()[-4:]
    assert re.fullmatch(r"wall time: \d+\.\d\d s", tail[0]), tail
    assert tail[1:] == [f"output: {out}", f"report: {report}", f"HTML report: {page}"]
    # without --report, the default report path is the one named
    default = invoke("clean", str(seeds_copy), "-o", str(tmp_path / "o2"), *args)
    assert f"report: {tmp_path / 'o2.report.jsonl'}" in default.stderr and "HTML report" not in default.stderr


def test_shell_completion_works_as_readme_says() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "_CLEANER_COMPLETE=bash_source cleaner" in readme
    script = CliRunner().invoke(main, [], prog_name="cleaner", env={"_CLEANER_COMPLETE": "bash_source"})
    assert script.exit_code == 0 and "_cleaner_completion" in script.output
    env = {"_CLEANER_COMPLETE": "bash_complete", "COMP_WORDS": "cleaner cl", "COMP_CWORD": "1"}
    words = CliRunner().invoke(main, [], prog_name="cleaner", env=env)
    assert "plain,clean" in words.output.splitlines()


def test_ctrl_c_says_the_same_command_resumes(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cleaner.runners

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cleaner.runners, "run", interrupted)
    result = invoke("clean", str(seeds_copy), "-o", str(tmp_path / "out"))
    assert result.exit_code == 130
    assert "interrupted: run the same command to resume" in result.stderr
    assert "start over" not in result.stderr


def test_the_command_line_walks_its_input_folders_once(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI checks its inputs by walking them; the run reuses that walk (a folder of millions
    of files is listed once). The runner's own walk is made to fail to prove it is not called."""
    import cleaner.runners.core as core

    def no_second_walk(*_: object, **__: object) -> None:
        raise AssertionError("the input folders were walked a second time")

    monkeypatch.setattr(core, "discover", no_second_walk)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["clean", str(seeds_copy), "-o", str(out), "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.txt")) == sorted(p.name for p in seeds_copy.glob("*.txt"))
