"""html._walk skips text nodes of ASCII whitespace alone; the space each stood for must still
separate two pieces of text that meet there, wherever the skipped node sits between them."""

from __future__ import annotations

import pytest

from cleaner.boilerplate.html import visible_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p><b>a</b>\n<i>b</i><span>c</span></p>", "a bc"),  # a sibling between two elements
        ("<p><b><i>a</i>\n</b><u>c</u></p>", "a c"),  # the last child of a closed element
        ("<p>a<b>\n<i>b</i></b></p>", "a b"),  # the first child of an opened one
        ("<p>a<!-- x --><b>b</b>\t<i></i>\r\n<u>c</u></p>", "ab c"),  # comments and empty elements aside
        ("<p><b>a</b>\xa0<i>b</i> <u>c</u></p>", "a b c"),  # a no-break space is not skipped
        ("<div><b>a</b>\n</div>\n<div><b>b</b></div>", "a\nb"),  # blocks are not joined
        ("<p><b>a </b>\n<i>b</i><b>c</b>\n<br>\n<i>d</i></p>", "a bc\nd"),
    ],
)
def test_skipped_whitespace_still_separates_text(html: str, text: str) -> None:
    assert visible_text(html) == text
