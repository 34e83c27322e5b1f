"""Tidy's blank-edge trimming against the pattern it stands for (pipeline.EDGE_BLANKS)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.pipeline import _BLANK_RUN, EDGE_BLANKS, Tidy, trim_blank_edges
from cleaner.record import Document, Edit

# Texts made mostly of the characters the trimming reads (line breaks, spaces, tabs), with
# others that must stop it: a carriage return, a form feed, a no-break space, a letter.
_PIECES = st.sampled_from(["\n", " ", "\t", "\r", "\x0c", "\xa0", "a", "b c", "\u2028"])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join) | st.text(max_size=40))
def test_trim_blank_edges_is_the_pattern(text: str) -> None:
    assert trim_blank_edges(text) == re.sub(EDGE_BLANKS, "", text)


def test_tidy_counts_the_line_breaks_it_removes() -> None:
    (doc,) = Tidy()([Document(id="d", text=" \n\t\nTitle\n\n\n \nBody.\n\n \n")])
    assert doc.text == "Title\n\nBody."
    assert [(e.fixer, e.count) for e in doc.edits] == [("layout.blank_lines", 7)]


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PIECES, max_size=20).map("".join))
def test_tidy_is_the_patterns(text: str) -> None:
    """Tidy against the patterns it stands for, the line breaks counted over the whole texts:
    the edges alone are counted where no run of blank lines was collapsed."""
    expected = re.sub(EDGE_BLANKS, "", _BLANK_RUN.sub("\n\n", text))
    edits = (Edit("normalize.spaces", 2),)
    (doc,) = Tidy()([Document(id="d", text=text, edits=edits)])
    assert doc.text == expected
    if expected == text:
        assert doc.edits == edits
    else:
        assert doc.edits == (*edits, Edit("layout.blank_lines", text.count("\n") - expected.count("\n")))
