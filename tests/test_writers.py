"""Writers: output names, atomic files, deterministic gzip."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from cleaner.atomic import atomic_file
from cleaner.readers import discover
from cleaner.writers import output_collisions, output_rel


def test_output_names() -> None:
    assert output_rel("a/b.HTML") == "a/b.txt"
    assert output_rel("a/b.jsonl") == "a/b.jsonl"
    assert output_rel("notes.text") == "notes.txt"


def test_collisions_are_found(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("x")
    (tmp_path / "a.txt").write_text("x")
    assert output_collisions(discover([tmp_path]).files) == [("a.txt", "a.html", "a.txt")]


def test_atomic_file_leaves_nothing_on_error(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.txt"
    with pytest.raises(RuntimeError), atomic_file(target) as fh:
        fh.write(b"partial")
        raise RuntimeError("crash")
    assert list((tmp_path / "sub").iterdir()) == []


def test_atomic_file_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    target.write_bytes(b"old")
    with atomic_file(target) as fh:
        fh.write(b"new")
    assert target.read_bytes() == b"new" and len(list(tmp_path.iterdir())) == 1


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    blobs = []
    for name in ("a.jsonl.gz", "b.jsonl.gz"):
        with atomic_file(tmp_path / name, compress=True) as fh:
            fh.write(b'{"text": "x"}\n')
        blobs.append((tmp_path / name).read_bytes())
    assert blobs[0] == blobs[1]
    assert gzip.decompress(blobs[0]) == b'{"text": "x"}\n'


def test_jsonl_lines_never_contain_raw_line_separators() -> None:
    import json

    from cleaner.formats.jsonl import jsonl_line
    from cleaner.record import Document

    text = "a\u2028b\u2029c\x85d"
    line = jsonl_line(Document(id="x", text=text, fields=("id", "text"), metadata={"id": "x"})).decode("utf-8")
    assert len(line.splitlines()) == 1  # str.splitlines breaks at U+2028, U+2029 and U+0085
    assert json.loads(line)["text"] == text
