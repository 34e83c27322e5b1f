"""Hostile inputs: every bad file or record gets one clear error line and an error record; the rest
of the run is processed and written; the exit code says something failed; inputs are never touched."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.cli import main
from cleaner.config import Config, LimitsConfig
from cleaner.formats.decode import decode_bytes
from cleaner.readers import InputFile, Shard, detect_format, read_shard
from cleaner.runners import run
from cleaner.runners.core import Task, TaskResult
from cleaner.runners.local import LocalExecutor, _run_in_worker
from tests.helpers import read_report

GOOD = (
    "<html><body><article><p>A good paragraph of an article, with plenty of words to count as content."
    "</p></article></body></html>"
)


def build_hostile(root: Path) -> Path:
    d = root / "in"
    (d / "sub").mkdir(parents=True)
    (d / "folder.txt").mkdir()
    (d / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (d / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (d / "utf16.txt").write_bytes("Ein ganz normaler deutscher Text über Köln und München.".encode("utf-16"))
    (d / "latin.txt").write_bytes("Un texte français très ordinaire, écrit à la main, déjà lu.".encode("cp1252"))
    (d / "empty.txt").write_bytes(b"")
    (d / "blank.txt").write_bytes(b"  \n\t\n  ")
    data = gzip.compress(b"".join(b'{"text":"record %d has some text in it"}\n' % i for i in range(3000)))
    (d / "trunc.jsonl.gz").write_bytes(data[: len(data) // 2])
    bad = ['{"text":"ok one, a record"}', "{oops", "[1]", '{"text":null}', '{"text":5}', '{"html":7}', '"str"']
    (d / "bad.jsonl").write_text("\n".join([*bad, '{"text":"ok two, a record"}']) + "\n")
    (d / "long-line.txt").write_text("word " * 600_000)  # one 3 MB line
    (d / "deep.html").write_text("<html><body>" + "<div>" * 120_000 + "deep content here" + "</div>" * 120_000)
    (d / "nul.txt").write_bytes(b"text with a \x00 NUL byte")
    (d / "folder.txt" / "inner.txt").write_text("a file inside a folder named like a file")
    os.symlink("..", d / "sub" / "loop")
    os.symlink("nowhere.txt", d / "dangling.txt")
    (d / "good.html").write_text(GOOD)
    return d


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_hostile_folder(tmp_path: Path, jobs: str) -> None:
    inputs = build_hostile(tmp_path)
    before = digest(inputs)
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    result = CliRunner().invoke(
        main, ["clean", str(inputs), "-o", str(out), "--report", str(report), "--jobs", jobs], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("cleaner: error:")]
    failing = {"binary.txt", "image.html", "dangling.txt", "trunc.jsonl.gz"}
    bad_lines = {f"bad.jsonl:{n}" for n in (2, 3, 4, 5, 6, 7)}
    for name in failing | bad_lines:
        assert sum(name in line for line in errors) == 1, (name, errors)
    assert len(errors) == len(failing | bad_lines)
    assert "broken symbolic link" in next(x for x in errors if "dangling" in x)
    records = read_report(report)
    by_id = {r["id"]: r for r in records}
    assert len(by_id) == len(records)  # each document once
    assert {r["id"] for r in records if r["status"] == "error"} == (failing - {"trunc.jsonl.gz"}) | bad_lines | {
        next(r["id"] for r in records if r["id"].startswith("trunc.jsonl.gz:") and r["status"] == "error")
    }
    assert by_id["empty.txt"]["reason"] == by_id["blank.txt"]["reason"] == "cleaner.empty"
    assert (out / "latin.txt").read_text(encoding="utf-8").startswith("Un texte français très")
    assert (out / "utf16.txt").read_text(encoding="utf-8").startswith("Ein ganz normaler deutscher Text über Köln")
    assert "deep content here" in (out / "deep.txt").read_text(encoding="utf-8")
    assert (out / "nul.txt").read_text(encoding="utf-8") == "text with a  NUL byte\n"  # a stray NUL is dropped
    assert by_id["nul.txt"]["edits"][0] == {"fixer": "decode.nul", "count": 1}
    assert by_id["deep.html"]["edits"][0]["fixer"] == "html.limit_nesting"
    assert (out / "long-line.txt").stat().st_size > 2_000_000
    assert (out / "folder.txt" / "inner.txt").exists()
    assert "good paragraph" in (out / "good.txt").read_text(encoding="utf-8")
    kept_records = [r for r in records if r["id"].startswith("trunc.jsonl.gz:") and r["status"] == "kept"]
    assert len(kept_records) > 100  # the records before the damage are kept
    assert digest(inputs) == before  # inputs are never modified
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".cleaner") and p.name != ".cleaner-outputs.json"]
    assert leftovers == []  # no temporary file, no checkpoint, no lock; only the list of outputs


def test_document_size_cap_is_an_error_record(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.txt").write_text("x " * 5000)
    (tmp_path / "in" / "small.txt").write_text("a small document with a few words")
    cfg = Config(jobs=1, limits=LimitsConfig(max_document_bytes=1000))
    lines: list[str] = []
    report = run([tmp_path / "in"], tmp_path / "out", cfg, tmp_path / "r.jsonl", on_error=lines.append)
    assert report.docs_error == 1 and report.docs_kept == 1
    assert len(lines) == 1 and "big.txt" in lines[0] and "max_document_bytes" in lines[0]


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("some words in a plain text file")
    run([tmp_path / "in"], tmp_path / "out", Config(jobs=1))
    mode = (tmp_path / "out" / "a.txt").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_input_inside_output_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out" / "in").mkdir(parents=True)
    (tmp_path / "out" / "in" / "a.txt").write_text("x")
    result = CliRunner().invoke(main, ["clean", str(tmp_path / "out" / "in"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "inside output folder" in result.stderr


def test_report_inside_an_input_is_refused(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("x")
    args = ["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--report", str(tmp_path / "in" / "r.jsonl")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "inside input" in result.stderr
    assert not (tmp_path / "in" / "r.jsonl").exists()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["a.txt", "a.html", "a.jsonl", "a.jsonl.gz"]))
def test_arbitrary_bytes_never_raise_out_of_a_reader(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, name: str
) -> None:
    path = tmp_path_factory.mktemp("bytes") / name
    path.write_bytes(data)
    fmt = detect_format(path)
    assert fmt is not None
    docs = list(read_shard(Shard(0, InputFile(path, name, fmt))))
    for doc in docs:
        assert doc.status in ("kept", "error")
        if doc.status == "error":
            assert doc.rejected is not None and doc.rejected.detail


@given(st.binary(max_size=500))
def test_decode_bytes_returns_text_or_says_why(data: bytes) -> None:
    try:
        text, encoding = decode_bytes(data)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(text, str) and encoding


def crashing_worker(task: Task) -> TaskResult:
    """A worker that dies like a segfault on one file (used through LocalExecutor's worker hook)."""
    if task.shard.file.rel == "crash.txt":
        os._exit(70)
    return _run_in_worker(task)


def test_a_crashed_worker_fails_its_file_only(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(6):
        (inputs / f"doc{i}.txt").write_text(f"document number {i} with its own distinct words {'x' * i}")
    (inputs / "crash.txt").write_text("this file kills its worker")
    lines: list[str] = []
    report = run(
        [inputs],
        tmp_path / "out",
        Config(jobs=2, stages=("normalize",)),
        tmp_path / "r.jsonl",
        on_error=lines.append,
        executor=lambda jobs, cfg: LocalExecutor(jobs, cfg, worker=crashing_worker),
    )
    assert report.docs_error == 1 and report.docs_kept == 6
    assert len(lines) == 1 and "crash.txt" in lines[0] and "worker process died" in lines[0]
    records = read_report(tmp_path / "r.jsonl")
    assert [r["id"] for r in records] == sorted(["crash.txt", *(f"doc{i}.txt" for i in range(6))])
    assert {r["status"] for r in records if r["id"] == "crash.txt"} == {"error"}


def test_unreadable_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root can read a chmod 000 file, so the permission error is simulated at the read."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "secret.txt").write_text("text nobody may read")
    (tmp_path / "in" / "open.txt").write_text("text anybody may read")
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    lines: list[str] = []
    report = run([tmp_path / "in"], tmp_path / "out", Config(jobs=1), tmp_path / "r.jsonl", on_error=lines.append)
    assert report.docs_error == 1 and report.docs_kept == 1
    assert len(lines) == 1 and "secret.txt" in lines[0] and "permission denied" in lines[0]


def test_depth_bound_never_undercuts_the_exact_walk() -> None:
    # limit_nesting skips its exact walk when depth_bound is within the limit: the bound must
    # hold on any markup, and the result must be what the exact walk gives.
    import random

    from cleaner.htmlguard import depth_bound, limit_nesting

    rng = random.Random(7)
    pieces = ["<div>", "</div>", "<p>", "</p>", "<br>", "<span/>", "<DIV class='a'>", "</DIV>", "<li>", "x", "<b>",
              "<Br/>", "</bR>", "<brx>", "</brx>", "<TBODYx>", "</P>", "<li-a>", "</li-a>", "</>", "<<div>", "<1>",
              "é", "<é>", "</divé>", "<pé>"]  # fmt: skip
    for _ in range(400):
        html = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 120)))
        # The same bound and result from the page's UTF-8 bytes (what a page read as UTF-8 passes).
        assert depth_bound(html.encode()) == depth_bound(html)
        for limit in (2, 4, 8):
            flat, removed = limit_nesting(html, limit)
            if depth_bound(html) <= limit:
                assert removed == 0 and flat == html
            exact = _exact_limit_nesting(html, limit)
            assert (flat, removed) == exact
            assert limit_nesting(html, limit, html.encode()) == exact


def test_depth_bound_reads_each_tag_name_whole() -> None:
    # depth_bound classifies the 8 bytes after each "<" (or "</") at once: names of 8 and 9
    # characters, any case, digits and ":"/"-" in them, and a name cut by the end of the markup.
    from cleaner.htmlguard import depth_bound

    cases = {
        "<optgroup><colgroup>": 0, "<OPTGROUP><optgroupx>": 1, "<optgroup1><colgroup-a><tbody:x>": 3,
        "<br2><Td><tD x><TH/>": 1, "<div><div></div": 2, "<div": 1, "<optgroup": 0, "<optgrou": 1,
        "</div><div>": 1, "<1><é><-a></><": 0, "<a\n><a\r><a\t>": 3,
    }  # fmt: skip
    for html, depth in cases.items():
        assert [depth_bound(html), depth_bound(html.encode())] == [depth, depth], html


def _exact_limit_nesting(html: str, max_depth: int) -> tuple[str, int]:
    """limit_nesting without its shortcuts (the walk over every tag)."""
    from unittest import mock

    import cleaner.htmlguard as guard

    with mock.patch.object(guard, "depth_bound", lambda _html: max_depth + 1):
        padded = html + "<br>" * max_depth  # more "<" than max_depth: past the count shortcut
        flat, removed = guard.limit_nesting(padded, max_depth)
    return flat[: len(flat) - 4 * max_depth], removed
