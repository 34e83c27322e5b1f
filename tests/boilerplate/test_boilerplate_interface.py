"""The interface the pipeline calls: names, stage shapes, pass-through of other kinds."""

from __future__ import annotations

from cleaner.boilerplate import HtmlExtract, Templates, TextLines
from cleaner.boilerplate.html import extract, visible_text
from cleaner.config import BoilerplateConfig
from cleaner.record import Document, Reason, Unit
from cleaner.stage import CorpusStage, Stage

HTML = """<html><head><title>T</title><style>p{}</style></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><p>The river rose by a metre overnight, and the council closed the lower bridge, officials said.</p>
<p>Residents were told to stay away from the banks until the water falls again next week.</p></article>
<footer>© 2024 Example</footer></body></html>"""


def test_stage_shapes() -> None:
    cfg = BoilerplateConfig()
    assert isinstance(HtmlExtract(cfg), Stage)
    assert isinstance(TextLines(cfg), Stage)
    assert isinstance(Templates(cfg), CorpusStage)
    # Step names key timings and progress: each step its own (drops keep the stage "boilerplate").
    assert (HtmlExtract(cfg).name, TextLines(cfg).name, Templates(cfg).name) == ("html", "lines", "templates")


def test_html_extract_keeps_kind_and_html() -> None:
    doc = Document(id="p.html", text="", kind="html", html=HTML)
    out = next(HtmlExtract(BoilerplateConfig())([doc]))
    assert out.kind == "html" and out.html == HTML
    assert "river rose" in out.text and "stay away" in out.text
    assert "Home" not in out.text and "©" not in out.text
    assert all(d.unit is Unit.BLOCK for d in out.drops)
    assert {d.reason for d in out.drops} == {Reason.NAV}


def test_html_extract_reads_the_pages_bytes_and_lets_them_go() -> None:
    # A page read as valid UTF-8 carries its bytes (Document.html_utf8) to the parser: the same
    # text and drops as from the markup, and the document leaves the stage without them.
    page = HTML.replace("metre", "mètre")
    plain = Document(id="p.html", text="", kind="html", html=page)
    carried = Document(id="p.html", text="", kind="html", html=page, html_utf8=page.encode())
    for cfg in (BoilerplateConfig(), BoilerplateConfig(html=False)):
        ours, theirs = next(HtmlExtract(cfg)([carried])), next(HtmlExtract(cfg)([plain]))
        assert "mètre" in ours.text and ours == theirs and ours.html_utf8 is None
        # and what the extractor gives without the stage's memos (class and line verdicts) and bytes
        assert ours.text == (extract(page).text if cfg.html else visible_text(page))


def test_html_extract_off_gives_visible_text() -> None:
    doc = Document(id="p.html", text="", kind="html", html=HTML)
    out = next(HtmlExtract(BoilerplateConfig(html=False))([doc]))
    assert out.text == visible_text(HTML)
    assert out.text.splitlines()[0] == "Home World"
    assert out.drops == ()


def test_text_docs_pass_html_stage_and_html_docs_pass_text_stage() -> None:
    text_doc = Document(id="a.txt", text="Leave a Comment\n")
    assert next(HtmlExtract(BoilerplateConfig())([text_doc])) is text_doc
    html_doc = Document(id="p.html", text="Leave a Comment\n", kind="html", html=HTML)
    assert next(TextLines(BoilerplateConfig())([html_doc])) is html_doc


def test_html_to_text_reads_the_pages_bytes_and_lets_them_go() -> None:
    # Boilerplate stripping off (pipeline.HtmlToText): the page's bytes give the same visible text,
    # and no document leaves the step still carrying them (spills and later stages never see them).
    from cleaner.pipeline import HtmlToText

    page = HTML.replace("metre", "mètre")
    carried = Document(id="p.html", text="", kind="html", html=page, html_utf8=page.encode())
    out = next(HtmlToText()([carried]))
    assert out.text == visible_text(page) and "mètre" in out.text and out.html_utf8 is None
    already = Document(id="q.html", text="done", kind="html", html=page, html_utf8=page.encode())
    assert next(HtmlToText()([already])) == already.replace(html_utf8=None)
