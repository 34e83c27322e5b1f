"""Inputs a crawl really has, and hostile ones (issue 18, input side): compressed pages, skipped
files, bad names, pipes, files that change while read, broken records, bombs, input checks."""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleaner.atomic import atomic_file, sweep_temp_files
from cleaner.cli import main
from cleaner.config import LimitsConfig
from cleaner.formats.base import InputFile, LimitedReader, Shard
from cleaner.formats.table import detect_format
from cleaner.readers import discover, read_shard
from tests.helpers import read_report

PAGE = (
    "<html><head><title>Story</title></head><body><article><h1>A headline here</h1>"
    "<p>A paragraph of the story with enough words to count as the article's content, really.</p>"
    "<p>A second paragraph, also of the article, with more words in it than the first one had.</p>"
    "</article></body></html>"
)


def clean(*args: str) -> object:
    return CliRunner().invoke(main, ["clean", *args], catch_exceptions=False)


# --- 1. compressed pages ------------------------------------------------------------------------


def test_gzip_and_zstd_pages_are_read_as_their_inner_type(tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    pages = {"a.html": PAGE, "b.htm": PAGE.replace("story", "tale"), "c.txt": "Plain text page, one line.\n"}
    for name, body in pages.items():
        (plain / name).write_text(body)
    (packed / "a.html.gz").write_bytes(gzip.compress(pages["a.html"].encode()))
    (packed / "b.htm.zst").write_bytes(zstandard.ZstdCompressor().compress(pages["b.htm"].encode()))
    (packed / "c.txt.gz").write_bytes(gzip.compress(pages["c.txt"].encode()))
    assert clean(str(plain), "-o", str(tmp_path / "o1"), "-q").exit_code == 0
    assert clean(str(packed), "-o", str(tmp_path / "o2"), "-q").exit_code == 0
    names = ["a.txt", "b.txt", "c.txt"]
    assert sorted(p.name for p in (tmp_path / "o2").iterdir() if p.name != ".cleaner-outputs.json") == names
    for name in names:  # the same text as cleaning the decompressed pages
        assert (tmp_path / "o2" / name).read_bytes() == (tmp_path / "o1" / name).read_bytes()
    assert detect_format(Path("x.HTML.GZ")).name == "html"  # type: ignore[union-attr]


def test_a_compressed_page_bomb_stops_at_the_document_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"\0" * 5_000_000))
    fmt = detect_format(path)
    assert fmt is not None
    (doc,) = read_shard(Shard(0, InputFile(path, "bomb.html.gz", fmt)), LimitsConfig(max_document_bytes=100_000))
    assert doc.status == "error" and "max_document_bytes" in doc.rejected.detail  # type: ignore[union-attr]


def test_a_truncated_compressed_page_is_an_error(tmp_path: Path) -> None:
    data = gzip.compress(PAGE.encode() * 50)
    (tmp_path / "cut.html.gz").write_bytes(data[: len(data) // 2])
    found = discover([tmp_path])
    (doc,) = read_shard(Shard(0, found.files[0]))
    assert doc.status == "error" and "damaged or truncated" in doc.rejected.detail  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "damage",
    ["garbage after", "not gzip", "zeroed block", "bad crc", "cut", "zero padding", "two members"],
)
def test_compressed_pages_read_as_pythons_gzip_reads_them(tmp_path: Path, damage: str) -> None:
    # Pages are decompressed by ISA-L, which words some errors differently and raises its own
    # type for a damaged block: a page must read (or fail, with the message) as Python's gzip has it.
    data = gzip.compress(PAGE.encode() * 50, mtime=0)
    damaged = {
        "garbage after": data + b"xyz",
        "not gzip": b"<p>plain</p>",
        "zeroed block": data[:40] + bytes(30) + data[70:],
        "bad crc": data[:-8] + bytes(4) + data[-4:],
        "cut": data[:-5],
        "zero padding": data + bytes(10),
        "two members": data + gzip.compress(b"<p>more</p>", mtime=0),
    }[damage]
    (tmp_path / "p.html.gz").write_bytes(damaged)
    (doc,) = read_shard(Shard(0, discover([tmp_path]).files[0]))
    try:
        expected = gzip.GzipFile(fileobj=io.BytesIO(damaged)).read().decode()
    except (OSError, EOFError, zlib.error) as exc:
        assert doc.status == "error" and f"({exc})" in doc.rejected.detail  # type: ignore[union-attr]
    else:
        assert doc.status != "error" and doc.html == expected


def test_nothing_readable_exits_2_saying_what_was_skipped(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for name in ["a.pdf", "b.pdf", "c.html.bz2"]:
        (tmp_path / "in" / name).write_bytes(b"x")
    result = clean(str(tmp_path / "in"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "nothing to clean: skipped 3 files: 2 .pdf, 1 .bz2 (not a file type cleaner reads)" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.report.jsonl").exists()


def test_skipped_files_are_counted_by_suffix_when_others_are_read(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("some words to clean here")
    (tmp_path / "in" / "b.pdf").write_bytes(b"%PDF-")
    result = clean(str(tmp_path / "in"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert "cleaner: skipped 1 file: 1 .pdf (not a file type cleaner reads) (-v lists them)" in result.stderr


# --- 4. faults ----------------------------------------------------------------------------------


def test_lone_surrogates_in_a_record_are_repaired_with_an_edit(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    lines = [
        '{"id": "ok", "text": "A first record with plenty of ordinary words in it."}',
        '{"id": "t", "text": "A truncated emoji \\ud83d at the end of this record text."}',
        '{"id": "m\\ud83d", "text": "Another record, its id and metadata cut.", "meta": {"k": "v\\udc00"}}',
    ]
    (tmp_path / "in" / "d.jsonl").write_text("\n".join(lines) + "\n")
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    for _ in range(2):  # a rerun works too
        result = clean(str(tmp_path / "in"), "-o", str(out), "--report", str(report), "-q")
        assert result.exit_code == 0, result.output
    records = {r["id"]: r for r in read_report(report)}
    assert set(records) == {"ok", "t", "m\ufffd"}
    assert records["t"]["edits"][0] == {"fixer": "decode.lone_surrogate", "count": 1}
    written = [json.loads(x) for x in (out / "d.jsonl").read_text(encoding="utf-8").splitlines()]
    assert written[1]["text"].startswith("A truncated emoji \ufffd") and written[2]["meta"] == {"k": "v\ufffd"}


@pytest.mark.parametrize("depth", [900, 2000])  # 900 parses, but would fail later when pickled
def test_deeply_nested_metadata_fails_its_record_only(tmp_path: Path, depth: int) -> None:
    (tmp_path / "in").mkdir()
    deep = '{"text": "deep one", "m": ' + "[" * depth + "]" * depth + "}"
    (tmp_path / "in" / "d.jsonl").write_text('{"text": "a plain record with words"}\n' + deep + "\n")
    report = tmp_path / "r.jsonl"
    result = clean(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--report", str(report))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "d.jsonl:2: line nests JSON" in result.stderr
    assert [r["status"] for r in read_report(report)] == ["kept", "error"]


def test_a_gzip_bomb_line_is_read_in_bounded_pieces() -> None:
    # One "line" of 8 MB of zeros: the reader never holds more than max_line + 1 bytes of it.
    stream = io.BufferedReader(gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(b"\0" * 8_000_000 + b"\n{}\n"))))
    reader = LimitedReader(stream, None, cap=1 << 40, max_line=1000)  # type: ignore[arg-type]
    lines = [(line, reader.last_length) for line in reader]
    assert [len(line) for line, _ in lines] == [1001, 3]
    assert [length for _, length in lines] == [8_000_001, 3]


def test_zstd_output_is_handed_out_in_bounded_pieces() -> None:
    zstandard = pytest.importorskip("zstandard")
    from cleaner.formats import compression

    data = zstandard.ZstdCompressor().compress(b"\0" * (256 << 20))  # 256 MiB of zeros in ~8 KB
    raw = compression._ZstdRaw(io.BytesIO(data))
    biggest, total, buf = 0, 0, bytearray(1 << 20)
    while n := raw.readinto(buf):
        total += n
        biggest = max(biggest, len(raw._pending))
    assert total == 256 << 20
    assert biggest <= 64 << 20  # a 4-byte block expands 32,000 times: FEED bytes at a time


def test_names_not_utf8_or_with_a_newline_fail_only_their_file(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "good.txt").write_text("a good file with words")
    with open(os.path.join(os.fsencode(inputs), b"caf\xe9.txt"), "wb") as fh:
        fh.write(b"latin-1 name")
    (inputs / "two\nlines.jsonl").write_text('{"text": "x"}\nnot json\n')
    report = tmp_path / "r.jsonl"
    result = clean(str(inputs), "-o", str(tmp_path / "out"), "--report", str(report))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    errors = [x for x in result.stderr.splitlines() if x.startswith("cleaner: error:")]
    assert any("caf\\xe9.txt: file name is not valid UTF-8" in x for x in errors), errors
    assert any("two\\nlines.jsonl:2: line is not valid JSON" in x for x in errors), errors
    assert (tmp_path / "out" / "good.txt").exists()


def test_a_name_near_the_length_limit_is_written(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    name = "n" * 240 + ".txt"  # 244 bytes: with a temporary name's 26 more it would pass 255
    (inputs / name).write_text("a page with a very long name")
    result = clean(str(inputs), "-o", str(tmp_path / "out"), "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / name).read_text() == "a page with a very long name\n"
    long_target = tmp_path / ("é" * 127)  # 254 bytes
    with atomic_file(long_target) as fh:
        fh.write(b"x")
    assert long_target.read_bytes() == b"x" and sweep_temp_files(tmp_path, long_target.name) == 0


def test_sweeping_a_files_temporaries_leaves_those_of_a_longer_name(tmp_path: Path) -> None:
    # A killed run's temporaries of "r.jsonl" (this version's and mkstemp's older names) go; those
    # of "r.jsonl.gz", whose name starts with the same stem, stay: another run may be writing it.
    own = [".cleaner-tmp-r.jsonl.4242-0.tmp", ".cleaner-tmp-r.jsonl.k3_x9zqa.tmp"]
    other = [".cleaner-tmp-r.jsonl.gz.4242-1.tmp", ".cleaner-tmp-r.jsonl.gz.k3_x9zqa.tmp"]
    for name in own + other:
        (tmp_path / name).write_bytes(b"part")
    assert sweep_temp_files(tmp_path, "r.jsonl") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(other)


def test_a_named_pipe_in_an_input_folder_is_skipped(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("a page of words")
    os.mkfifo(inputs / "x.jsonl")
    result = clean(str(inputs), "-o", str(tmp_path / "out"), "-v")
    assert result.exit_code == 0
    assert "x.jsonl: not a regular file (a named pipe, socket or device)" in result.stderr


def test_an_input_rewritten_while_read_fails_that_file(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("".join(f'{{"text": "record {i}"}}\n' for i in range(5)))
    fmt = detect_format(path)
    assert fmt is not None
    docs = []
    for doc in read_shard(Shard(0, InputFile(path, "a.jsonl", fmt))):
        docs.append(doc)
        if len(docs) == 2:
            with open(path, "a") as fh:
                fh.write('{"text": "appended while read"}\n')
    assert docs[-1].status == "error" and "changed while it was read" in docs[-1].rejected.detail  # type: ignore[union-attr]


def test_a_page_rewritten_while_read_is_replaced_by_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cleaner.readers as readers

    path = tmp_path / "a.txt"
    path.write_text("old text")
    states = iter([(8, 1), (9, 2)])
    monkeypatch.setattr(readers, "_state", lambda p: next(states))
    fmt = detect_format(path)
    assert fmt is not None
    (doc,) = read_shard(Shard(0, InputFile(path, "a.txt", fmt)))
    assert doc.status == "error" and "changed while it was read" in doc.rejected.detail  # type: ignore[union-attr]


# --- 5. input checks ----------------------------------------------------------------------------


def test_a_typoed_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("words")
    result = clean(str(tmp_path / "in"), str(tmp_path / "inn"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert f"no such file or folder: {tmp_path / 'inn'}; check the path" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.report.jsonl").exists()


def test_file_urls_name_local_paths(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("a page of words")
    result = clean(f"file://{tmp_path / 'in'}", "-o", str(tmp_path / "out"), "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "a.txt").exists()


def test_a_missing_fsspec_backend_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fsspec = pytest.importorskip("fsspec")

    def missing(url: str) -> None:
        raise ImportError("Install s3fs to access S3")

    monkeypatch.setattr(fsspec.core, "url_to_fs", missing)
    result = clean("s3://bucket/crawl/", "-o", str(tmp_path / "out"))
    assert result.exit_code == 1  # a missing package, as for every optional dependency
    assert "needs s3fs" in result.stderr and "pip install s3fs" in result.stderr
    assert "cleaner[remote]" not in result.stderr


def test_a_named_input_of_an_unknown_type_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-")
    result = clean(str(tmp_path / "scan.pdf"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "scan.pdf: unknown file type" in result.stderr
    assert not (tmp_path / "out").exists()
