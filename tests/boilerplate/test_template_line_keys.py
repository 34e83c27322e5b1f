"""Site-template line keys: the fast key (bytes.translate for ASCII, a regex otherwise) gives the
keys of the per-character filter it replaced, so template decisions do not change."""

from __future__ import annotations

import hashlib
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate.templates import _NOT_KEPT, line_key


def reference_key(line: str) -> int | None:
    """The original key: case-folded words, each character kept when alphanumeric or a space."""
    words = " ".join(line.casefold().split())
    core = "".join(ch for ch in words if ch.isalnum() or ch == " ").strip()
    if not core:
        return None
    return int.from_bytes(hashlib.blake2b(core.encode("utf-8"), digest_size=8).digest(), "big")


def test_removed_characters_are_exactly_the_non_alphanumeric_ones() -> None:
    wrong = [
        cp
        for cp in range(sys.maxunicode + 1)
        if (_NOT_KEPT.fullmatch(chr(cp)) is None) != (chr(cp).isalnum() or cp == 0x20)
    ]
    assert wrong == []


def test_keys_on_tricky_lines() -> None:
    for line in [
        "a - b",
        " _x_ ",
        "\N{LATIN CAPITAL LETTER DZ WITH CARON} \N{LATIN SMALL LETTER SHARP S}",
        "\N{ARABIC-INDIC DIGIT ONE}2 foo",
        "x\N{NO-BREAK SPACE}y\N{EM SPACE}z",
        "",
        "  ",
        "!!!",
        "\x7f a \x1f b",
        "a\tb",
        "Share  this story!",
        "\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}x",
    ]:
        assert line_key(line) == reference_key(line), line


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_keys_match_the_per_character_filter(line: str) -> None:
    assert line_key(line) == reference_key(line)


_ASCII_LINES = st.text(alphabet=st.sampled_from("aB3 \t\n\r\x0b\x0c\x1c\x1f-_!."), max_size=80)


@settings(max_examples=500, deadline=None)
@given(
    _ASCII_LINES | st.text(max_size=80) | st.lists(st.sampled_from(["Share  this", " -- ", "a\tb", ""])).map("\n".join)
)
def test_whole_text_keys_are_the_keys_of_its_lines(text: str) -> None:
    from cleaner.boilerplate.templates import line_keys

    assert line_keys(text) == [line_key(line) for line in text.splitlines()]


def test_whole_text_keys_on_tricky_texts() -> None:
    from cleaner.boilerplate.templates import line_keys

    for text in ["", "\n", "a\n", "a\n\n", " a - b \n\t_x_\t\nShare  this story!", "a\r\nb", "a \x1f b\nc"]:
        assert line_keys(text) == [line_key(line) for line in text.splitlines()], repr(text)


def _compiled_keys(*texts: str) -> list[list[int | None]]:
    """The compiled line_keys of ASCII texts, in one call (numba required), each as a list."""
    import pytest

    from cleaner.boilerplate.templates import _compiled_keys as compiled
    from cleaner.boilerplate.templates import _keys_kernel

    kernel = _keys_kernel()
    if kernel is None:
        pytest.skip("numba is not installed")
    return list(map(list, compiled(kernel, texts)))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aB3 \t\n-_!.Zz9"), max_size=120))
def test_compiled_keys_are_the_keys_of_its_lines(text: str) -> None:
    assert _compiled_keys(text) == [[line_key(line) for line in text.splitlines()]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("aB3 \t\n-_!.Zz9"), max_size=40), max_size=6))
def test_compiled_keys_of_texts_end_to_end_are_each_text_s_keys(texts: list[str]) -> None:
    # One call for a batch's texts laid end to end: a text's last line ends where the text
    # does, with or without its line break, and an empty text has no line.
    assert _compiled_keys(*texts) == [[line_key(line) for line in text.splitlines()] for text in texts]


def test_compiled_keys_hash_lines_of_every_length_as_hashlib() -> None:
    # BLAKE2b's blocks are 128 bytes: lines of one, two and three blocks and every length between.
    import random

    rng = random.Random(7)
    lines = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(size)) for size in range(1, 400)]
    text = "\n".join(lines)
    assert _compiled_keys(text) == [[reference_key(line) for line in lines]]


# Characters beyond ASCII of every kind line_keys treats apart: white space (no-break, em,
# ideographic), signs and punctuation it deletes, letters that case-fold to other letters or to
# several (ß, ǅ, İ, ﬃ, Σ), a combining mark, full-width letters, CJK, a lone surrogate.
_WIDE_TEXTS = st.text(
    alphabet=st.sampled_from("aB3 \t\n-_!.\u00a0\u2003\u3000\u2014\u201c\u2019\u00e9\u00df\u01c5\u0130\ufb03\u03a3"
                             "\u03c2\u0301\uff21\u65e5\u00a9\udcff"),
    max_size=80,
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(_WIDE_TEXTS)
def test_whole_text_keys_of_text_beyond_ascii_are_the_keys_of_its_lines(text: str) -> None:
    from cleaner.boilerplate.templates import line_keys

    assert line_keys(text) == [line_key(line) for line in text.splitlines()]
