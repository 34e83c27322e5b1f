"""Readers: formats, ids, line numbers across shards, and errors that become documents."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest

from cleaner.config import LimitsConfig
from cleaner.errors import UsageError
from cleaner.formats.decode import decode_bytes, decode_text
from cleaner.readers import detect_format, discover, plan_shards, read_shard
from cleaner.record import Edit
from tests.helpers import write_jsonl


def read_all(paths, **kw):
    found = discover(paths)
    return [d for s in plan_shards(found.files, **kw) for d in read_shard(s)]


def test_walk_is_sorted_recursive_and_skips_unknown_and_hidden(tmp_path: Path) -> None:
    for name in ["b/z.txt", "a.html", "b/a.htm", "c.png", ".hidden/x.txt", "b/.x.txt", "d.jsonl"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = discover([tmp_path])
    assert [f.rel for f in found.files] == ["a.html", "d.jsonl", "b/a.htm", "b/z.txt"]
    assert found.skipped == (str(tmp_path / "c.png"),)


def test_same_relative_name_from_two_roots_is_refused(tmp_path: Path) -> None:
    for root in ("one", "two"):
        (tmp_path / root).mkdir()
        (tmp_path / root / "a.txt").write_text("x")
    with pytest.raises(UsageError, match="same output name"):
        discover([tmp_path / "one", tmp_path / "two"])


def test_format_detection() -> None:
    assert detect_format(Path("X.HTML")).name == "html"
    assert detect_format(Path("x.ndjson")).name == "jsonl"
    assert detect_format(Path("x.json")) is None


def test_jsonl_ids_and_sources(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": 7, "text": "a"}, {"text": "b"}, {"id": True, "text": "c"}])
    docs = read_all([tmp_path])
    assert [(d.id, str(d.source)) for d in docs] == [
        ("7", "d.jsonl:1"),
        ("d.jsonl:2", "d.jsonl:2"),
        ("d.jsonl:3", "d.jsonl:3"),
    ]


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"text": "a"}\n\n   \n{"text": "b"}\n')
    assert [str(d.source) for d in read_all([tmp_path])] == ["d.jsonl:1", "d.jsonl:4"]


@pytest.mark.parametrize("shard_bytes", [16, 50, 200, 10_000])
def test_shards_keep_whole_file_line_numbers(tmp_path: Path, shard_bytes: int) -> None:
    records = [{"text": f"record number {i} " + "x" * (i % 17)} for i in range(60)]
    write_jsonl(tmp_path / "d.jsonl", records)
    whole = read_all([tmp_path])
    split = read_all([tmp_path], shard_bytes=shard_bytes)
    assert [(d.text, d.source) for d in split] == [(d.text, d.source) for d in whole]
    assert len(whole) == 60 and whole[-1].source.line == 60


def test_truncated_gzip_keeps_earlier_records_and_reports_an_error(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(b'{"text": "record %d with some words"}\n' % i for i in range(2000)))
    (tmp_path / "t.jsonl.gz").write_bytes(data[: len(data) // 2])
    docs = read_all([tmp_path])
    assert docs[-1].status == "error" and "truncated" in docs[-1].rejected.detail
    assert all(d.status == "kept" for d in docs[:-1]) and len(docs) > 10


@pytest.mark.parametrize(
    "damage",
    ["garbage after", "not gzip", "zeroed block", "bad crc", "cut", "zero padding", "two members", "whole"],
)
def test_gzip_jsonl_reads_as_pythons_gzip_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    # ISA-L reads .jsonl.gz, and Python's gzip reads it again when ISA-L fails: the records and the
    # error line must be those of Python's gzip alone, whatever the damage.
    data = gzip.compress(b"".join(b'{"text": "record %d with some words"}\n' % i for i in range(3000)), mtime=0)
    middle = len(data) // 2
    damaged = {
        "garbage after": data + b"xyz",
        "not gzip": b'{"text": "plain"}\n',
        "zeroed block": data[:middle] + bytes(40) + data[middle + 40 :],
        "bad crc": data[:-8] + bytes(4) + data[-4:],
        "cut": data[:middle],
        "zero padding": data + bytes(10),
        "two members": data + gzip.compress(b'{"text": "more"}\n', mtime=0),
        "whole": data,
    }[damage]
    (tmp_path / "t.jsonl.gz").write_bytes(damaged)

    def seen() -> list[tuple[object, ...]]:
        return [(d.id, d.status, d.text, d.source, d.rejected) for d in read_all([tmp_path])]

    got = seen()
    monkeypatch.setattr("cleaner.formats.jsonl.igzip", gzip)  # Python's gzip alone
    assert got == seen()


def test_decompression_cap(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "b.jsonl.gz", [{"text": "y" * 1000}] * 50, gz=True)
    found = discover([tmp_path])
    docs = list(read_shard(plan_shards(found.files)[0], LimitsConfig(max_decompressed_bytes=10_000)))
    assert docs[-1].status == "error" and "max_decompressed_bytes" in docs[-1].rejected.detail


def test_text_files_decode_utf8_bom_utf16_and_cp1252(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfcaf\xc3\xa9")
    (tmp_path / "b.txt").write_bytes("café".encode("utf-16"))
    (tmp_path / "c.txt").write_bytes("naïve café déjà vu, à la carte — crème brûlée".encode("cp1252"))
    (tmp_path / "d.txt").write_bytes("Un texte français très ordinaire, écrit à la main, déjà lu.".encode("cp1252"))
    (tmp_path / "e.txt").write_bytes("Привет, как дела? Это проверка кодировки текста.".encode("cp1251"))
    (tmp_path / "f.txt").write_bytes("Zażółć gęślą jaźń — polski tekst z ogonkami.".encode("cp1250"))
    assert [d.text for d in read_all([tmp_path])] == [
        "café",
        "café",
        "naïve café déjà vu, à la carte — crème brûlée",
        "Un texte français très ordinaire, écrit à la main, déjà lu.",
        "Привет, как дела? Это проверка кодировки текста.",
        "Zażółć gęślą jaźń — polski tekst z ogonkami.",
    ]


def test_binary_file_is_an_error_document(tmp_path: Path) -> None:
    (tmp_path / "img.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (doc,) = read_all([tmp_path])
    assert doc.status == "error" and "binary" in doc.rejected.detail


def test_oversized_file_is_an_error_document(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x" * 100)
    found = discover([tmp_path])
    (doc,) = read_shard(plan_shards(found.files)[0], LimitsConfig(max_document_bytes=10))
    assert doc.status == "error" and "max_document_bytes" in doc.rejected.detail


def test_binary_is_told_by_what_the_bytes_are() -> None:
    for data, what in [
        (b"%PDF-1.4\n" + b"x" * 100, "PDF"),
        (b"PK\x03\x04" + b"x" * 100, "zip"),
        (b"\xff\xd8\xff\xe0" + b"x" * 100, "JPEG"),
        (b"\x1f\x8b\x08" + b"x" * 100, "gzip"),
        (b"abc\x00def", "NUL and control bytes"),  # a short file that is mostly NUL and control
        (bytes(range(256)) * 8, "NUL and control bytes"),
    ]:
        with pytest.raises(ValueError, match=what):
            decode_bytes(data)


def test_stray_nul_bytes_in_a_page_are_dropped_as_an_edit() -> None:
    # A 190 KB news page with a few NUL bytes in its markup is text (as a browser reads it).
    page = b"<html><body>" + b"<p>Some paragraph of the news story.</p>\n" * 200
    page = page[:3000] + b"\x00" * 22 + page[3000:] + b"</body></html>"
    decoded = decode_text(page)
    assert "\x00" not in decoded.text and decoded.text == page.replace(b"\x00", b"").decode()
    assert decoded.edits == (Edit("decode.nul", 22),)


@pytest.mark.parametrize(
    ("data", "fixers"),
    [
        ("café \x00ok".encode(), [("decode.nul", 1)]),  # valid UTF-8, wide characters
        ("caf\u00e9 \U0001f600 x".encode() + b"\xff\x00\x00 y", [("decode.invalid_utf8", 1), ("decode.nul", 2)]),
        (codecs.BOM_UTF8 + b"a\x00b", [("decode.nul", 1)]),
        ("café, ok".encode(), []),
    ],
)
def test_nul_characters_are_counted_on_every_utf8_path(data: bytes, fixers: list[tuple[str, int]]) -> None:
    # decode_text looks for a NUL in the bytes where it decoded them as UTF-8: the count must be the text's.
    decoded = decode_text(data + b" and a line of ordinary text after it." * 20)  # not binary_kind's share
    assert "\x00" not in decoded.text
    assert [(edit.fixer, edit.count) for edit in decoded.edits] == fixers


@pytest.mark.parametrize(
    "data",
    [
        "Le café est ouvert et la crème brûlée est prête. ".encode() * 3 + b"\xff",
        b"Le caf\xc3\xa9 \xff est ouvert",  # one valid accent, one bad byte: UTF-8 still
        b'<html><head><meta charset="utf-8"></head><body><p>D\xc3\xa9j\xc3\xa0 vu \xfe here</p></body></html>',
    ],
)
def test_utf8_with_a_few_invalid_bytes_stays_utf8_with_an_edit(data: bytes) -> None:
    decoded = decode_text(data)
    assert decoded.encoding == "utf-8"
    assert decoded.text == data.decode("utf-8", "replace")  # never cafﾃｩ: the valid part is as written
    assert decoded.edits[0].fixer == "decode.invalid_utf8" and decoded.edits[0].count == 1


@pytest.mark.parametrize(
    ("data", "kept"),
    [
        ("<p>Déjà vu, ok</p>".encode(), True),  # valid UTF-8: the text is their exact decoding
        (codecs.BOM_UTF8 + b"<p>ok</p>", False),  # the BOM is not in the text
        ("<p>café \x00ok</p>".encode(), False),  # a NUL went
        (b"<p>Le caf\xc3\xa9 \xff est ouvert</p>", False),  # a U+FFFD for a bad byte
        ("<p>Un texte très ordinaire, déjà lu.</p>".encode("cp1252"), False),  # another code page
    ],
)
def test_pages_keep_their_bytes_only_where_the_markup_is_their_exact_utf8(
    tmp_path: Path, data: bytes, kept: bool
) -> None:
    # The HTML parser reads Document.html_utf8 instead of html: it must be html.encode() exactly,
    # or None (the parser then encodes html); a text page never carries it.
    data += b"<p>And a line of ordinary text after it.</p>" * 20  # not binary_kind's share of NUL
    decoded = decode_text(data)
    assert decoded.utf8 == (data if kept else None)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "p.html").write_bytes(data)
    (tmp_path / "in" / "t.txt").write_bytes(data)
    page, text = sorted(read_all([tmp_path / "in"]), key=lambda d: d.id)
    assert page.kind == "html" and page.html_utf8 == (page.html.encode() if kept else None)
    assert text.kind == "text" and text.html_utf8 is None


def test_a_page_flattened_by_the_nesting_limit_drops_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "deep.html").write_bytes(("<div>" * 600 + "é" + "</div>" * 600).encode())
    (page,) = read_all([tmp_path / "in"])
    assert page.edits[-1].fixer == "html.limit_nesting" and page.html_utf8 is None


def test_legacy_code_pages_are_still_guessed_when_the_bytes_are_not_utf8() -> None:
    # Every accent invalid as UTF-8 (and none valid): a legacy code page, as before.
    assert decode_text("Un texte très ordinaire, déjà lu.".encode("cp1252")).encoding == "cp1252"


def test_format_table_rows_are_consistent() -> None:
    from cleaner.formats.table import FORMATS, handler, output_rel

    for row in FORMATS:
        assert detect_format(Path(f"dir/x{row.suffix.upper()}")) == row.format, row.suffix  # no row shadows it
        assert handler(row.format) is row.handler, f"{row.format.name} has two handlers"
        out = output_rel(f"dir/x{row.suffix}")
        assert out == (f"dir/x{row.suffix}" if row.output_suffix is None else f"dir/x{row.output_suffix}")
