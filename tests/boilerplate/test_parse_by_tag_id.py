"""html._strip and html._walk go by lexbor's tag ids (numbers for the tags lexbor knows, addresses for
the others); rules.ANY_CLASS_CUE is a prefix tree of the class cues' strings. Each must give what the
names and the plain alternation give."""

from __future__ import annotations

import itertools
import re

import pytest
from selectolax.lexbor import LexborHTMLParser

from cleaner.boilerplate import html, rules

PAGES = [
    "<math><annotation>x</annotation><annotation-xml>y</annotation-xml><mi>z</mi></math>"
    "<p>a<svg><title>t</title></svg>b<noscript><script>s</script></noscript>c</p>",
    "<html><head><title>T</title><style>p{}</style></head><body><x-card><p>one</p></x-card>"
    "<select><option>o</option></select><annotation><p>hidden</p></annotation><my-p>two</my-p></body></html>",
    "<div><template><p>t</p></template><video><track></video><button>b</button><input value=v>text</div>",
    "",
]


@pytest.mark.parametrize("page", PAGES)
def test_strip_leaves_the_tree_strip_tags_leaves(page: str) -> None:
    expected = LexborHTMLParser(page)
    expected.strip_tags(html._STRIP_TAGS)
    tree = LexborHTMLParser(page)
    html._strip(tree)
    assert tree.html == expected.html


def test_walk_reads_unknown_tags_by_name() -> None:
    # Custom elements and a tag named like no HTML one: elements of their own, never blocks.
    page = html.analyse("<x-card class='c'><p>One sentence here.</p><my-p>two <b>bold</b></my-p></x-card><p>3</p>")
    assert page is not None
    assert page.elements.tags == ["body", "x-card", "p", "my-p", "p"]
    assert page.blocks.texts == ["One sentence here.", "two bold", "3"]
    assert page.blocks.tags == ["p", "body", "p"]


def test_any_class_cue_matches_where_the_alternation_does() -> None:
    plain = re.compile("|".join(f"(?:{pattern})" for _, pattern in rules._CLASS_CUES))
    words = ["read", "more", "readmore", "tags", "list", "ad", "ads", "add", "nav", "navbar", "x", "post",
             "meta", "sr", "only", "cookie", "footer", "header", "subheader", "about", "author", "the", "jump",
             "to", "a"]  # fmt: skip
    keys = [f" {w} " for w in words] + [f" {a} {b} " for a, b in itertools.permutations(words, 2)]
    assert [rules.ANY_CLASS_CUE.search(key) is None for key in keys] == [plain.search(key) is None for key in keys]


def test_prefix_tree() -> None:
    assert rules._prefix_tree(["cart", "ab", "car", "abc", "b", "be", "cat"]) == "ab|b|ca(?:r|t)"
    assert rules._literal_strings("tags? ?list") == ["taglist", "tagslist", "tag list", "tags list"]
    assert rules._literal_strings(r"\bnav") is None


SELECTED = (
    "<p>Pick one:</p><select><button><selectedcontent></selectedcontent></button>"
    "<option>a</option><option selected>b</option></select><p>after</p>"
)


@pytest.mark.parametrize("page", [*PAGES, SELECTED])
def test_parse_without_events_leaves_the_tree_events_leave(page: str) -> None:
    # html._parse builds the tree without lexbor's mutation events (speed): the one they fill for an
    # HTML page, a <selectedcontent>, lies in a <select>, which _strip takes out with all it holds.
    with_events = LexborHTMLParser(page)
    html._strip(with_events)
    root, _ = html._parse(page, chrome=False)
    expected = with_events.body or with_events.root
    assert root is not None and expected is not None
    assert root.html == expected.html
