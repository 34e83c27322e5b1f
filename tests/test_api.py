"""The public API: an explicit __all__, and clean() on strings and Documents."""

from __future__ import annotations

from pathlib import Path

import pytest

import cleaner
from cleaner import Config, Document, UsageError, clean


def test_all_is_explicit_and_importable() -> None:
    assert sorted(cleaner.__all__) == cleaner.__all__
    for name in cleaner.__all__:
        assert hasattr(cleaner, name), name


def test_clean_strings_yields_kept_documents_in_order() -> None:
    texts = ["Caf\u00c3\u00a9 au lait is served at noon.", "A different sentence about the weather today."]
    docs = list(clean(texts, Config(stages=("normalize",))))
    assert [d.id for d in docs] == ["0", "1"]
    assert docs[0].text.startswith("Café")


def test_clean_html_document() -> None:
    page = Document(
        id="p", text="", kind="html", html="<html><body><article><p>Hello from a page.</p></article></body></html>"
    )
    (doc,) = clean([page])
    assert "Hello from a page." in doc.text and doc.html == page.html


def test_rejected_documents_on_request() -> None:
    docs = list(clean(["   ", "Some text here."], Config(stages=("normalize",)), include_rejected=True))
    assert [d.status for d in docs] == ["dropped", "kept"]
    assert str(docs[0].rejected.reason) == "cleaner.empty"


def test_duplicate_sources_are_refused() -> None:
    d = Document(id="a", text="x", source=cleaner.Source("same"))
    with pytest.raises(UsageError, match="distinct sources"):
        list(clean([d, d]))


def test_library_api_and_the_runner_decide_the_same(tmp_path: Path) -> None:
    # The API runs the corpus stages' tasks (decide_sharded) in this process, over one shard;
    # the runner on its worker processes, over many small shards. Same documents kept, same
    # drops, same clusters and passages, on a corpus with site templates, near-duplicates and
    # copied passages.
    import json
    import random

    from cleaner import runners
    from cleaner.config import Config

    rng = random.Random(7)
    vocab = [f"word{i}" for i in range(4000)]

    def paragraph(n: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(n)).capitalize() + "."

    shared = paragraph(45)
    texts = {}
    for i in range(60):
        site = f"site{i % 3}"
        header = f"Welcome to {site} daily, the news you can use"
        footer = f"Copyright {site} media group, all rights reserved worldwide"
        body = "\n\n".join(paragraph(50) for _ in range(3))
        if i % 10 == 9:  # a near-duplicate of the page before it on the same site
            body = texts[f"{site}/{i - 3:02d}.txt"].split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
        elif i % 10 == 5 or i == 0:  # a passage copied from the first page
            body += "\n\n" + shared
        texts[f"{site}/{i:02d}.txt"] = f"{header}\n\n{body}\n\n{footer}\n"
    inputs = tmp_path / "in"
    for rel, text in texts.items():
        (inputs / rel).parent.mkdir(parents=True, exist_ok=True)
        (inputs / rel).write_text(text, encoding="utf-8")
    docs = [Document(id=rel, text=text, source=cleaner.Source(rel)) for rel, text in sorted(texts.items())]
    cfg = Config(jobs=2)
    by_api = {d.id: d for d in clean(docs, cfg, include_rejected=True)}
    runners.run([inputs], tmp_path / "out", cfg, tmp_path / "report.jsonl", shard_bytes=8 * 1024)
    with open(tmp_path / "report.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    assert len(records) == len(by_api) == 60
    seen = {"dropped": 0, "template": 0, "passages": 0}
    for record in records:
        doc = by_api[record["source"]["path"]]
        assert record["status"] == doc.status
        assert record.get("cluster") == (doc.duplicate.cluster if doc.duplicate else None)
        assert record.get("duplicate_of") == (doc.duplicate.duplicate_of if doc.duplicate else None)
        assert [p["duplicate_of"] for p in record.get("passages", [])] == [p.duplicate_of for p in doc.passages]
        if doc.status == "kept":
            written = (tmp_path / "out" / record["source"]["path"]).read_text(encoding="utf-8")
            assert written.rstrip("\n") == doc.text.rstrip("\n")
        seen["dropped"] += doc.status == "dropped"
        seen["template"] += any(str(d.reason) == "boilerplate.template" for d in doc.drops)
        seen["passages"] += bool(doc.passages)
    assert all(seen.values()), seen  # every kind of corpus decision occurred


def test_every_step_times_under_its_own_name() -> None:
    # Step names key timings and progress: three boilerplate steps under one name merged their
    # seconds in the report.
    from cleaner.pipeline import Pipeline

    names = [step.name for step in Pipeline(Config()).steps]
    assert names == ["html", "normalize", "lines", "templates", "tidy", "signals", "dedup"]
    worker = cleaner.Cleaner(Config())
    list(worker.clean(["Some words of a page.\nShare on Facebook", "<p>An html page with a paragraph.</p>"]))
    assert set(worker.report.seconds) == set(names)


def test_one_string_is_one_document() -> None:
    docs = list(clean("A whole document of several words, not one per character.", include_rejected=True))
    assert [d.text for d in docs] == ["A whole document of several words, not one per character."]


def test_bytes_are_refused_with_what_to_do() -> None:
    with pytest.raises(UsageError, match="not bytes: decode it first"):
        list(clean(b"raw bytes"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": None, "text": "x"}, "Document.id must be a str, not NoneType"),
        ({"id": 7, "text": "x"}, "Document.id must be a str, not int"),
        ({"id": "a", "text": None}, "Document.text must be a str"),
        ({"id": "a", "text": "x", "metadata": [1]}, "Document.metadata must be a mapping"),
        ({"id": "a", "text": "x", "source": "a.txt"}, "Document.source must be a cleaner.Source"),
        ({"id": "a", "text": "x", "kind": "pdf"}, "Document.kind must be 'text' or 'html'"),
        ({"id": "a", "text": "", "kind": "html"}, "Document.html is None"),
        ({"id": "a", "text": "x", "chars_in": "5"}, "Document.chars_in must be an int"),
        ({"id": "a", "text": "x", "html": b"<p>"}, "Document.html must be a str or None"),
    ],
)
def test_document_fields_are_checked_when_made(fields: dict, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        Document(**fields)
