"""Formats: .jsonl.zst, Parquet and WARC round-trip through the runner on real pages.

The pages are three Scrapinghub benchmark pages (MIT, tests/data/scrapinghub); the tests pack
them into WARC and Parquet files and check the result against what cleaner makes of the same
pages given as plain .html files, so a reader that mangles a page cannot pass.
"""

from __future__ import annotations

import gzip
import json
import sys
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from cleaner.config import Config
from cleaner.errors import MissingExtraError
from cleaner.formats.parquet import plan_row_groups
from cleaner.formats.warc import charset_from_meta, decode_page
from cleaner.readers import discover, plan_shards, read_shard
from cleaner.runners import run
from tests.helpers import read_report, write_jsonl

PAGES = Path(__file__).parent / "data" / "scrapinghub"
URLS = json.loads((PAGES / "urls.json").read_text())
CFG = Config(stages=("normalize", "boilerplate"), jobs=1)
EN, RU, DE = "14cc2a0ca59c", "c4a3637c6696", "ba07d1e64775"


def page(prefix: str) -> tuple[str, str]:
    (path,) = PAGES.glob(f"{prefix}*.html.gz")
    key = path.name.split(".")[0]
    return gzip.decompress(path.read_bytes()).decode("utf-8"), URLS[key]["url"]


# --- WARC ------------------------------------------------------------------------------------


def warc_record(kind: str, block: bytes, url: str | None = None, extra: str = "") -> tuple[str, bytes]:
    record_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, kind + (url or '') + str(len(block)))}"
    head = [
        "WARC/1.0",
        f"WARC-Type: {kind}",
        f"WARC-Record-ID: <{record_id}>",
        "WARC-Date: 2019-11-05T10:00:00Z",
    ]
    if url:
        head.append(f"WARC-Target-URI: {url}")
    if extra:
        head.append(extra)
    head.append(f"Content-Length: {len(block)}")
    return record_id, ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def http_response(body: bytes, content_type: str, status: str = "200 OK") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def make_warc(path: Path) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Pack the pages into a WARC (one gzip member per record, as crawlers write them).

    Each page tests one way of finding its charset:
    - EN: cp1252 bytes, declared only by a <meta> tag (HTTP header without charset);
    - RU: cp1251 bytes, declared by the HTTP header, while the page's own <meta> says UTF-8;
    - DE: UTF-8 bytes, declared nowhere (its <meta charset> removed).
    Returns {record id: (expected html, url)} and the ids in file order.
    """
    en, en_url = page(EN)
    en = en.replace('content="text/html; charset=utf-8"', 'content="text/html; charset=windows-1252"')
    assert "windows-1252" in en
    ru, ru_url = page(RU)
    de, de_url = page(DE)
    de = de.replace('<meta charset="utf-8">', "")
    records = [("warcinfo", b"software: tests\r\n", None, "Content-Type: application/warc-fields")]
    pages = [
        (en_url, en, en.encode("cp1252"), "text/html"),
        (ru_url, ru, ru.encode("cp1251"), "text/html; charset=windows-1251"),
        (de_url, de, de.encode("utf-8"), "text/html"),
    ]
    expected: dict[str, tuple[str, str]] = {}
    order: list[str] = []
    blob = b""
    for url, html, body, ctype in pages:
        _, request = warc_record("request", b"GET / HTTP/1.1\r\n\r\n", url, "Content-Type: application/http")
        rid, response = warc_record(
            "response", http_response(body, ctype), url, "Content-Type: application/http; msgtype=response"
        )
        blob += gzip.compress(request, mtime=0) + gzip.compress(response, mtime=0)
        expected[rid] = (html, url)
        order.append(rid)
    # Records that are not pages: an image, a redirect, a 404 page. None may become a document.
    for url, block in [
        ("https://example.org/logo.png", http_response(b"\x89PNG\r\n\x1a\n....", "image/png")),
        ("https://example.org/old", http_response(b"<html>moved</html>", "text/html", "301 Moved Permanently")),
        ("https://example.org/gone", http_response(b"<html>Not here, sorry.</html>", "text/html", "404 Not Found")),
    ]:
        _, response = warc_record("response", block, url, "Content-Type: application/http; msgtype=response")
        blob += gzip.compress(response, mtime=0)
    kind, block, url, extra = records[0]
    _, info = warc_record(kind, block, url, extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(info, mtime=0) + blob)
    return expected, order


def test_warc_reads_html_responses_with_ids_urls_and_charsets(tmp_path: Path) -> None:
    expected, order = make_warc(tmp_path / "in" / "crawl.warc.gz")
    docs = [d for s in plan_shards(discover([tmp_path / "in"]).files) for d in read_shard(s)]
    assert [d.id for d in docs] == order
    for doc in docs:
        html, url = expected[doc.id]
        assert doc.kind == "html" and doc.html == html, doc.id  # exact: the charset was found
        assert doc.metadata["url"] == url and doc.metadata["date"] == "2019-11-05T10:00:00Z"
    # records 1 (warcinfo), 2 (request), 3 (response), ...: Source.line is the record position
    assert [d.source.line for d in docs] == [3, 5, 7]


def test_warc_in_gives_jsonl_out_with_the_text_of_the_same_pages_as_files(tmp_path: Path) -> None:
    expected, order = make_warc(tmp_path / "warc" / "crawl.warc.gz")
    for i, rid in enumerate(order):  # the same pages, as UTF-8 .html files
        (tmp_path / "files").mkdir(exist_ok=True)
        (tmp_path / "files" / f"{i}.html").write_text(expected[rid][0], encoding="utf-8")
    run([tmp_path / "warc"], tmp_path / "out", CFG)
    run([tmp_path / "files"], tmp_path / "out_files", CFG)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".cleaner-outputs.json", "crawl.jsonl.gz"]
    records = [
        json.loads(line) for line in gzip.decompress((tmp_path / "out" / "crawl.jsonl.gz").read_bytes()).splitlines()
    ]
    assert [r["id"] for r in records] == order
    assert [list(r) for r in records] == [["id", "url", "date", "text"]] * 3
    for i, record in enumerate(records):
        assert record["url"] == expected[order[i]][1]
        as_file = (tmp_path / "out_files" / f"{i}.txt").read_text(encoding="utf-8")
        assert record["text"] + "\n" == as_file
    assert len(records[1]["text"]) > 500 and "\N{CYRILLIC SMALL LETTER A}" in records[1]["text"]
    report = read_report(tmp_path / "out.report.jsonl")
    assert [r["id"] for r in report] == order


def test_truncated_warc_reports_an_error_after_the_records_it_read(tmp_path: Path) -> None:
    make_warc(tmp_path / "full" / "crawl.warc.gz")
    data = (tmp_path / "full" / "crawl.warc.gz").read_bytes()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "crawl.warc.gz").write_bytes(data[: len(data) * 2 // 3])
    docs = [d for s in plan_shards(discover([tmp_path / "in"]).files) for d in read_shard(s)]
    assert [d.status for d in docs][-1] == "error"
    assert [d.status for d in docs][:-1] and all(d.status == "kept" for d in docs[:-1])
    assert "damaged or truncated" in docs[-1].rejected.detail


def test_charset_helpers() -> None:
    assert charset_from_meta(b"<head><meta charset=utf-8>") == "utf_8"
    assert charset_from_meta(b"<head><title>no charset</title>") is None
    assert charset_from_meta(b"<meta charset='x-unknown-thing'>") is None
    # latin-1 labels read as cp1252, like browsers: 0x93/0x94 are curly quotes, not C1 controls
    quoted = "\N{LEFT DOUBLE QUOTATION MARK}hi\N{RIGHT DOUBLE QUOTATION MARK}"
    assert decode_page(b"\x93hi\x94", "iso-8859-1").text == quoted
    assert decode_page("Привет".encode("koi8_r"), "koi8-r").text == "Привет"
    naive = decode_page("naïve".encode(), None)
    assert (naive.text, naive.encoding, naive.edits) == ("naïve", "utf-8", ())


def test_warc_pages_keep_what_decoding_repaired(tmp_path: Path) -> None:
    """Invalid bytes under a declared charset and stray NULs become edits, as for page files."""
    bodies = [
        (b"<p>caf\xc3\xa9 \xff ok\x00</p>", "text/html; charset=utf-8"),
        ("<p>Привет ".encode("cp1251") + b"\x98</p>", "text/html; charset=windows-1251"),  # 0x98: unmapped
        (b"<meta charset=utf-8><p>\x00x</p>", "text/html"),
    ]
    blob = b""
    for n, (body, ctype) in enumerate(bodies):
        url = f"https://example.org/{n}"
        _, response = warc_record("response", http_response(body, ctype), url, "Content-Type: application/http")
        blob += gzip.compress(response, mtime=0)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "crawl.warc.gz").write_bytes(blob)
    docs = [d for s in plan_shards(discover([tmp_path / "in"]).files) for d in read_shard(s)]
    assert [d.html for d in docs] == ["<p>café \ufffd ok</p>", "<p>Привет \ufffd</p>", "<meta charset=utf-8><p>x</p>"]
    edits = [[(e.fixer, e.count) for e in d.edits] for d in docs]
    assert edits[0] == [("decode.invalid_utf8", 1), ("decode.nul", 1)]
    assert edits[1:] == [[("decode.invalid_bytes", 1)], [("decode.nul", 1)]]
    assert all(e.examples for e in docs[1].edits)


# --- Parquet ---------------------------------------------------------------------------------


def reuters_like_table(n: int) -> pa.Table:
    """Rows with typed side columns that must come back unchanged, in a shuffled column order."""
    words = ["grain", "wheat", "exports", "rose", "sharply", "in", "the", "third", "quarter", "said", "the"]
    texts = [" ".join(words[(i + k) % len(words)] for k in range(12 + i % 7)) + f" Story {i}." for i in range(n)]
    texts[3] = "   "  # becomes empty: dropped, so it must be missing from the output
    return pa.table(
        {
            "score": pa.array([i / 7 for i in range(n)], pa.float64()),
            "text": pa.array(texts, pa.string()),
            "id": pa.array([f"r-{i}" for i in range(n)], pa.string()),
            "when": pa.array([1_600_000_000_000 + i for i in range(n)], pa.timestamp("ms")),
            "tags": pa.array([[f"t{i % 3}", "x"] if i % 4 else None for i in range(n)], pa.list_(pa.string())),
        },
        metadata={b"origin": b"tests"},
    )


def test_parquet_out_keeps_schema_row_order_and_side_columns(tmp_path: Path) -> None:
    table = reuters_like_table(50)
    (tmp_path / "in").mkdir()
    pq.write_table(table, tmp_path / "in" / "news.parquet", row_group_size=10, compression="zstd")
    report = run([tmp_path / "in"], tmp_path / "out", CFG)
    out = pq.read_table(tmp_path / "out" / "news.parquet")
    # the input's columns in place, then the signals stage's language columns
    assert out.schema.names == [*table.schema.names, "lang", "lang_score"]
    assert out.schema.metadata == table.schema.metadata
    assert all(out.schema.field(f.name) == f for f in table.schema)
    kept = [i for i in range(50) if i != 3]
    expected = table.take(kept)
    for name in ("id", "score", "when", "tags"):
        assert out.column(name).to_pylist() == expected.column(name).to_pylist()
    assert out.column("text").to_pylist() == [t.strip() for t in expected.column("text").to_pylist()]
    assert out.column("lang").to_pylist() == [None] * 49  # the signals stage did not run
    assert pq.ParquetFile(tmp_path / "out" / "news.parquet").metadata.row_group(0).column(0).compression == "ZSTD"
    assert report.docs_in == 50
    records = read_report(tmp_path / "out.report.jsonl")
    assert [r["id"] for r in records] == [f"r-{i}" for i in range(50)]
    dropped = [r for r in records if r["status"] != "kept"]
    assert [(r["id"], r["source"]) for r in dropped] == [("r-3", {"path": "news.parquet", "line": 4})]


@pytest.mark.parametrize("jobs", [1, 2])
def test_parquet_split_by_row_groups_gives_the_same_file_and_report(tmp_path: Path, jobs: int) -> None:
    table = reuters_like_table(60)
    (tmp_path / "in").mkdir()
    pq.write_table(table, tmp_path / "in" / "news.parquet", row_group_size=7)
    shards = plan_shards(discover([tmp_path / "in"]).files, shard_bytes=1500)
    assert len(shards) > 2 and shards[0].first_line == 1
    cfg = Config(stages=CFG.stages, jobs=jobs)
    run([tmp_path / "in"], tmp_path / "whole", cfg)
    run([tmp_path / "in"], tmp_path / "split", cfg, shard_bytes=1500)
    whole, split = (pq.read_table(tmp_path / d / "news.parquet") for d in ("whole", "split"))
    assert split.equals(whole) and split.schema.metadata == whole.schema.metadata
    assert (tmp_path / "split.report.jsonl").read_bytes() == (tmp_path / "whole.report.jsonl").read_bytes()
    assert not (tmp_path / "split" / ".cleaner-work").exists()


def test_parquet_html_column_of_real_pages_gains_a_text_column(tmp_path: Path) -> None:
    pages = [page(p) for p in (EN, RU, DE)]
    (tmp_path / "in").mkdir()
    table = pa.table({"url": [u for _, u in pages], "html": [h for h, _ in pages]})
    pq.write_table(table, tmp_path / "in" / "pages.parquet")
    for i, (html, _) in enumerate(pages):
        (tmp_path / "files").mkdir(exist_ok=True)
        (tmp_path / "files" / f"{i}.html").write_text(html, encoding="utf-8")
    with_signals = Config(stages=("normalize", "boilerplate", "signals"), jobs=1)
    run([tmp_path / "in"], tmp_path / "out", with_signals)
    run([tmp_path / "files"], tmp_path / "out_files", with_signals)
    out = pq.read_table(tmp_path / "out" / "pages.parquet")
    assert out.schema.names == ["url", "html", "text", "lang", "lang_score"]
    assert out.column("lang").to_pylist() == ["en", "ru", "de"]
    assert out.column("html").to_pylist() == [h for h, _ in pages]
    texts = [(tmp_path / "out_files" / f"{i}.txt").read_text(encoding="utf-8") for i in range(3)]
    assert [t + "\n" for t in out.column("text").to_pylist()] == texts


def test_parquet_without_content_column_or_broken_is_an_error_document(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "in" / "a.parquet")
    (tmp_path / "in" / "b.parquet").write_bytes(b"PAR1 this is not parquet")
    pq.write_table(pa.table({"text": ["fine text here", None]}), tmp_path / "in" / "c.parquet")
    report = run([tmp_path / "in"], tmp_path / "out", CFG)
    records = read_report(tmp_path / "out.report.jsonl")
    assert [(r["source"]["path"], r["source"]["line"], r["status"]) for r in records] == [
        ("a.parquet", None, "error"),
        ("b.parquet", None, "error"),
        ("c.parquet", 1, "kept"),
        ("c.parquet", 2, "error"),
    ]
    assert "no 'text' or 'html' column" in json.dumps(records[0])
    assert report.docs_error == 3
    assert not (tmp_path / "out" / "b.parquet").exists()
    assert pq.read_table(tmp_path / "out" / "c.parquet").column("text").to_pylist() == ["fine text here"]


def test_plan_row_groups_covers_every_group_once() -> None:
    rows, sizes = [5, 1, 9, 3, 2], [40, 10, 90, 5, 5]
    plan = plan_row_groups(rows, sizes, shard_bytes=50)
    assert plan == [(0, 2, 1), (2, 3, 7), (3, 5, 16)]
    assert plan_row_groups([], [], 50) == [(0, 0, 1)]


def test_missing_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.parquet").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'cleaner\[parquet\]'"):
        plan_shards(discover([tmp_path / "a.parquet"]).files)


# --- zstd ------------------------------------------------------------------------------------


def test_jsonl_zst_round_trips_like_plain_jsonl(tmp_path: Path) -> None:
    records = [{"id": f"d{i}", "text": f"Record number {i} says hello\u00a0world.", "n": i} for i in range(40)]
    write_jsonl(tmp_path / "plain" / "d.jsonl", records)
    (tmp_path / "zst").mkdir()
    (tmp_path / "zst" / "d.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress((tmp_path / "plain" / "d.jsonl").read_bytes())
    )
    run([tmp_path / "plain"], tmp_path / "out_plain", CFG)
    run([tmp_path / "zst"], tmp_path / "out_zst", CFG)
    got = zstandard.ZstdDecompressor().stream_reader((tmp_path / "out_zst" / "d.jsonl.zst").read_bytes()).read()
    assert got == (tmp_path / "out_plain" / "d.jsonl").read_bytes()
    assert "hello world" in got.decode()  # normalize ran: the no-break space became a space
    zst_report = (tmp_path / "out_zst.report.jsonl").read_text(encoding="utf-8")
    plain_report = (tmp_path / "out_plain.report.jsonl").read_text(encoding="utf-8")
    assert zst_report.count('"d.jsonl.zst"') == 40
    assert zst_report.replace('"d.jsonl.zst"', '"d.jsonl"') == plain_report


def test_damaged_zst_is_an_error_after_the_records_read(tmp_path: Path) -> None:
    def frame(lines: range) -> bytes:
        data = "".join(json.dumps({"text": f"line {i} " * 30}) + "\n" for i in lines).encode()
        return zstandard.ZstdCompressor().compress(data)

    second = frame(range(200, 400))
    (tmp_path / "d.jsonl.zst").write_bytes(frame(range(200)) + second[: len(second) // 2])
    docs = [d for s in plan_shards(discover([tmp_path / "d.jsonl.zst"]).files) for d in read_shard(s)]
    assert [d.status for d in docs] == ["kept"] * 200 + ["error"]
    assert "damaged or truncated" in docs[-1].rejected.detail
    (tmp_path / "d.jsonl.zst").write_bytes(frame(range(200)) + second)  # two whole frames: all read
    docs = [d for s in plan_shards(discover([tmp_path / "d.jsonl.zst"]).files) for d in read_shard(s)]
    assert [d.status for d in docs] == ["kept"] * 400


# --- fsspec URLs -----------------------------------------------------------------------------


def test_url_inputs_are_staged_locally_and_clean_like_local_files(tmp_path: Path) -> None:
    import fsspec

    from cleaner.formats.remote import is_url, stage_inputs

    root = f"/cleaner-test-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")
    html, _ = page(EN)
    fs.pipe(f"{root}/crawl/b.jsonl", b'{"id": "x", "text": "Hello\\u00a0there, a record."}\n')
    fs.pipe(f"{root}/crawl/site/a.html", html.encode("utf-8"))
    fs.pipe(f"{root}/single.jsonl", b'{"text": "Only one record here."}\n')
    try:
        staged = stage_inputs([f"memory://{root}/crawl", f"memory://{root}/single.jsonl"], tmp_path / "stage")
        assert [p.relative_to(tmp_path).as_posix() for p in staged] == ["stage/000", "stage/001/single.jsonl"]
        assert (staged[0] / "site" / "a.html").read_text(encoding="utf-8") == html
        assert not is_url(staged[0]) and is_url(f"memory://{root}")
        run(staged, tmp_path / "out", CFG)
        assert (tmp_path / "out" / "b.jsonl").read_text() == '{"id": "x", "text": "Hello there, a record."}\n'
        assert (tmp_path / "out" / "site" / "a.txt").exists() and (tmp_path / "out" / "single.jsonl").exists()
        mtime = (staged[0] / "b.jsonl").stat().st_mtime_ns
        stage_inputs([f"memory://{root}/crawl"], tmp_path / "stage")  # complete copies are not fetched again
        assert (staged[0] / "b.jsonl").stat().st_mtime_ns == mtime
    finally:
        fs.rm(root, recursive=True)


def test_url_inputs_are_not_fetched_when_the_paths_are_wrong(tmp_path: Path) -> None:
    """A layout error among the local paths is found before any URL is downloaded."""
    import fsspec
    from click.testing import CliRunner

    from cleaner.cli import main

    fs = fsspec.filesystem("memory")
    root = f"/paths-{uuid.uuid4().hex}"
    fs.pipe(f"{root}/crawl/b.jsonl", b'{"id": "x", "text": "Hello there, a record from a bucket."}\n')
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "a.txt").write_text("A local page.", encoding="utf-8")
    try:
        out = tmp_path / "local" / "out"  # inside an input: refused
        args = ["clean", f"memory://{root}/crawl", str(tmp_path / "local"), "-o", str(out), "-j", "1", "-q"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "inside input" in result.output, result.output
        assert not (tmp_path / "local" / "out.remote").exists()  # nothing was downloaded
    finally:
        fs.rm(root, recursive=True)


def test_url_inputs_through_the_command_line(tmp_path: Path) -> None:
    """`cleaner clean memory://...` stages the URL beside OUTPUT and cleans it like a local folder."""
    import fsspec
    from click.testing import CliRunner

    from cleaner.cli import main

    fs = fsspec.filesystem("memory")
    root = f"/cli-{uuid.uuid4().hex}"
    fs.pipe(f"{root}/crawl/b.jsonl", b'{"id": "x", "text": "Hello there, a record from a bucket."}\n')
    try:
        out = tmp_path / "out"
        result = CliRunner().invoke(main, ["clean", f"memory://{root}/crawl", "-o", str(out), "-j", "1", "-q"])
        assert result.exit_code == 0, result.output
        assert json.loads((out / "b.jsonl").read_text(encoding="utf-8"))["text"].startswith("Hello there")
        assert (tmp_path / "out.remote").is_dir()  # the staged copy sits beside OUTPUT, not inside it
    finally:
        fs.rm(root, recursive=True)
