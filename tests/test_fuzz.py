"""A short fuzz run of the HTML and text stages (hypothesis): no input makes a stage raise.

The pipeline turns a stage exception into an ``error.internal`` record instead of crashing, so the
property checked is that no document ends with that status: it would be a bug in a stage.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner import Config, Document, clean

TAGS = [
    "div",
    "p",
    "span",
    "a",
    "nav",
    "article",
    "header",
    "footer",
    "aside",
    "script",
    "style",
    "ul",
    "li",
    "table",
    "tr",
    "td",
    "h1",
    "h2",
    "br",
    "img",
    "form",
    "section",
    "main",
    "noscript",
    "template",
    "pre",
]
ATTRS = [
    "",
    ' class="nav menu"',
    ' id="content"',
    " hidden",
    ' style="display:none"',
    ' href="/x"',
    ' role="main"',
    ' class="comments"',
    ' aria-hidden="true"',
]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40) | st.sampled_from(
    [
        "Home | World",
        "Share on Facebook",
        "Read more",
        "&amp; &#233; &#x414; &nbsp;",
        "© 2024",
        "Leave a comment",
        "Привет мир",
        "Belаrus",
        "\u200b\u00ad",
        "\r\n",
        "<",
        ">",
        "&",
    ]
)


@st.composite
def html(draw, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 6 and draw(st.booleans()):
            tag = draw(st.sampled_from(TAGS))
            attr = draw(st.sampled_from(ATTRS))
            inner = draw(html(depth + 1))
            close = "" if draw(st.integers(0, 9)) == 0 else f"</{tag}>"  # sometimes unclosed
            parts.append(f"<{tag}{attr}>{inner}{close}")
        else:
            parts.append(draw(TEXT))
    return "".join(parts)


settings_fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings_fuzz
@given(st.lists(html(), min_size=1, max_size=4))
def test_html_pages_never_break_a_stage(pages: list[str]) -> None:
    docs = [Document(id=str(i), text="", kind="html", html=p) for i, p in enumerate(pages)]
    out = list(clean(docs, Config(jobs=1), include_rejected=True))
    assert len(out) == len(docs)
    for doc in out:
        assert doc.status != "error", doc.rejected


@settings_fuzz
@given(st.lists(st.lists(TEXT, max_size=12).map("\n".join), min_size=1, max_size=4))
def test_text_pages_never_break_a_stage(texts: list[str]) -> None:
    out = list(clean(texts, Config(jobs=1), include_rejected=True))
    assert len(out) == len(texts)
    for doc in out:
        assert doc.status != "error", doc.rejected
        if doc.status == "kept":
            assert doc.text.strip()
