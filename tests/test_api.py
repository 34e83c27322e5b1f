"""The public API: an explicit __all__, and clean() on strings and Documents."""

from __future__ import annotations

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
