"""The signals' kernels give the same values, bit for bit: the loops run as Python, the numpy passes,
and the loops compiled by numba.

A process measures its first texts with the numpy passes and the rest compiled
(``quality.NUMPY_CHARS``): which one measured a document must never show in the report. The Python
loops are the reference both are checked against.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.signals import _kernels as python_loops
from cleaner.signals import _numpy_kernels as numpy_passes
from cleaner.signals import quality
from cleaner.signals.quality import NUMPY_CHARS, QualityMeasurer

compiled = pytest.importorskip("cleaner.signals._numba_kernels")

MEASURER = QualityMeasurer()
# Letters, digits, every kind of character the tokenizer and the line rules treat apart, a few
# letters whose lowercase differs in length or lies outside the BMP, and pictographs.
CHARS = st.sampled_from(
    [
        *"abcXYZ019 \n\n\t.-',/:#_=*~!?",
        "\N{RIGHT SINGLE QUOTATION MARK}",
        "\N{HORIZONTAL ELLIPSIS}",
        "\N{BULLET}",
        "\N{LATIN SMALL LETTER LONG S}",
        "\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}",
        "\N{LATIN SMALL LETTER SHARP S}",
        "\N{CYRILLIC SMALL LETTER YA}",
        "\N{CYRILLIC CAPITAL LETTER ZHE}",
        "\N{GRINNING FACE}",
        "\N{DESERET CAPITAL LETTER LONG I}",
        "\N{NO-BREAK SPACE}",
    ]
)
# CHARS' ASCII ones: a batch of them goes to the compiled loops as bytes.
ASCII_CHARS = st.sampled_from([*"abcXYZ019 \n\n\t.-',/:#_=*~!?", "\r", "\x00", "\x7f"])


def _all(text: str, lang: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    flags, lower = MEASURER.tables
    stop_table, stop_used = MEASURER.stop_hashes(lang)
    MEASURER.measure("warm", "en")  # fills the Gopher table
    gopher_table, gopher_used = MEASURER._stop_hashes["gopher"]
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    args = (cps, flags, lower, stop_table, stop_used, gopher_table, gopher_used, 30)
    with np.errstate(over="ignore"):
        as_python = python_loops.doc_signals(*args)
    return as_python, numpy_passes.doc_signals(*args, text), compiled.doc_signals(*args)


def _tokens_agree(text: str) -> None:
    flags, lower = MEASURER.tables
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    with np.errstate(over="ignore"):
        loops = python_loops.tokenize(cps, flags, lower)
    passes = numpy_passes.tokenize(cps, flags, lower)
    for name, a, b in zip(("hashes", "lowered", "lengths", "kinds"), loops, passes, strict=True):
        assert a.tobytes() == b.tobytes(), (name, text, a.tolist(), b.tolist())


@settings(max_examples=300, deadline=None)
@given(st.lists(CHARS, max_size=300).map("".join), st.sampled_from(["en", "de", "ru"]))
def test_python_numpy_and_compiled_give_the_same_bits(text: str, lang: str) -> None:
    as_python, as_numpy, as_compiled = _all(text, lang)
    assert as_python.tobytes() == as_compiled.tobytes(), (as_python.tolist(), as_compiled.tolist())
    assert as_python.tobytes() == as_numpy.tobytes(), (as_python.tolist(), as_numpy.tolist())
    _tokens_agree(text)


# Real text in several scripts, and the tokenizer's special cases side by side (the numpy passes
# take the plain chunks themselves and hand the others to the loop: both kinds in one text).
SCRIPTS = [
    "Shares of Acme Inc. rose 1.5 pct. to $3.30 on Tuesday, the U.S. unit's highest since J. Smith's bid.",
    "\"Don't,\" she said -- (it's 3:30; 1/8 of 1,000) -v --exclude e-mail Ba-3 a@b.com LC_ALL l'homme...",
    "Der schnelle braune Fuchs springt \u00fcber den faulen Hund. Stra\u00dfe, \u00c4rger!!! \u00bbZitat\u00ab",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u042d\u0442\u043e \u0442\u0435\u0441\u0442\u2026 "
    "\u0421\u041f\u0410\u0421\u0418\u0411\u041e.",
    "\u4f60\u597d\uff0c\u4e16\u754c\u3002\u3053\u308c\u306f\u30c6\u30b9\u30c8\u3067\u3059\u3002 "
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645\u061f",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e\u0964 "
    "\N{GRINNING FACE}\N{GRINNING FACE} \N{MATHEMATICAL BOLD CAPITAL A}x \N{CIRCLED LATIN CAPITAL LETTER A}",
    "- item one\n\u2022 item two\n   \n\n# Title\n\nSame line.\nSame line.\nends...\nends\u2026\n",
    "'s 's n't N'T bank\u2019s \u2019s don' n' -'s x- -- ---- ==== ** __ ~~ .... J.. A. x. a.b. ",
    "\t\u00a0lead\u2028mid\u0085tail  \n\n\n",
    "",
    " ",
    "\n",
    "a",
    "-",
    # Hyphens that open a word, then "n't" at once: the hyphens are a token of punctuation alone.
    "-n't --N'T x-n't",
]


def test_the_same_bits_with_a_token_longer_than_16_bits_count() -> None:
    # The numpy passes order tokens by length on 16-bit keys up to 65,535 characters, and on the
    # lengths themselves past that: a text with one such token (a pasted blob) and short ones.
    flags, lower = MEASURER.tables
    stop_table, stop_used = MEASURER.stop_hashes("en")
    MEASURER.measure("warm", "en")
    gopher_table, gopher_used = MEASURER._stop_hashes["gopher"]
    for long_word in ("x" * 70_000, "y" * 65_535):
        text = f"Some words, then a blob {long_word} and {'z' * 5_000} at the end. Some words again.\n"
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        args = (cps, flags, lower, stop_table, stop_used, gopher_table, gopher_used, 30)
        assert numpy_passes.doc_signals(*args, text).tobytes() == compiled.doc_signals(*args).tobytes()
        assert [a.tobytes() for a in numpy_passes.tokenize(cps, flags, lower)] == [
            a.tobytes() for a in compiled.tokenize(cps, flags, lower)
        ]


@pytest.mark.parametrize("text", SCRIPTS)
def test_the_same_bits_on_real_scripts_and_edge_cases(text: str) -> None:
    for lang in ("en", "ru", "zh"):
        as_python, as_numpy, as_compiled = _all(text * 3, lang)
        assert as_python.tobytes() == as_numpy.tobytes() == as_compiled.tobytes(), text
    _tokens_agree(text)


def test_paragraphs_that_differ_by_the_place_of_a_break_are_no_repeats() -> None:
    # A single break inside a paragraph is part of it: "ab\nc" and "a\nbc" hold the same letters
    # and are as long, only the break's place tells them apart; the second "ab\nc" repeats the first.
    text = "ab\nc\n\na\nbc\n\nab\nc"
    for measured in _all(text, "en"):
        assert measured[12] == 1 / 3  # dup_para_share
        assert measured[14] == 4 / len(text)  # dup_para_chars


@pytest.mark.parametrize(
    ("text", "share", "repeated"),
    [
        # The stripping cuts the first and the last line: their parts are what repeats.
        ("  ab\ncd\n\nab\ncd\n\nab\ncd  \n ", 2 / 3, 10),
        ("\n \t ab\n\nab \n\n", 1 / 2, 2),
        # A line of spaces alone is no break between paragraphs: " \n" keeps them one.
        ("ab\n \ncd\n\nab\n \ncd\n\nab\ncd", 1 / 3, 7),
    ],
)
def test_paragraphs_cut_by_the_stripping_are_their_stripped_parts(text: str, share: float, repeated: int) -> None:
    # The loops hash a paragraph from its lines' hashes: the lines the stripping cuts are hashed
    # again for their parts, an empty line ends a paragraph and a line of spaces does not.
    for measured in _all(text, "en"):
        assert measured[12] == share  # dup_para_share
        assert measured[14] == repeated / len(text)  # dup_para_chars


def test_the_gopher_words_are_counted_in_text_of_any_stop_word_list() -> None:
    # The compiled loop probes the Gopher table only for the stop words where these hold every
    # Gopher word (English), and for every token where they do not.
    text = "The cat and the dog, with THE hat: to be or not to be. Das ist der Hund und die Katze."
    for lang in ("en", "de", "xx"):
        for measured in _all(text, lang):
            assert measured[6] == 5  # gopher_stop_words: the, and, with, to, be (not "THE")


def test_stop_word_hashes_are_the_same_from_numpy_and_compiled_tokens() -> None:
    fresh = QualityMeasurer()
    by_numpy = [fresh.stop_hashes(lang)[0].tobytes() for lang in ("en", "de", "ru", "zh", "ja")]
    fresh._stop_hashes, fresh._compiled = {}, compiled
    assert [fresh.stop_hashes(lang)[0].tobytes() for lang in ("en", "de", "ru", "zh", "ja")] == by_numpy


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["the", "bank", "bank's", "don't", "U.S.", "1,000", "-v", "x"]), max_size=80))
def test_the_same_bits_on_repeated_words(words: list[str]) -> None:
    # Repeated n-grams and stop words: the hash tables' paths.
    as_python, as_numpy, as_compiled = _all(" ".join(words) + "\n" + " ".join(reversed(words)), "en")
    assert as_python.tobytes() == as_numpy.tobytes() == as_compiled.tobytes()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 10**6).map(lambda k: f"w{k}"),  # a word that (almost surely) occurs once
            st.sampled_from(["a b", "a b c", "b c d e", "a b c d e f", "c d e f g h i j k", "a"]),
        ),
        max_size=60,
    )
)
def test_the_same_bits_where_repeated_ngrams_sit_among_words_that_occur_once(pieces: list[str]) -> None:
    # The compiled n-gram counts look up only n-grams whose shorter n-grams repeat (the others
    # occur once): phrases that repeat, overlap and meet, between words that do not, and texts
    # where no n-gram repeats at all (the top n-gram is then the first).
    as_python, as_numpy, as_compiled = _all(" ".join(pieces), "en")
    assert as_python.tobytes() == as_numpy.tobytes() == as_compiled.tobytes(), (as_numpy[16:], as_compiled[16:])


# The characters of the chunks the numpy passes hand to the loop's boundaries (no whitespace): the
# letters of the clitics ("'s", "n't") in both cases, digits and the punctuation its rules name.
CHUNK_CHARS = st.sampled_from(
    [
        *"abnstNST19.-',/:@_=*~!?",
        "\N{RIGHT SINGLE QUOTATION MARK}",
        "\N{HORIZONTAL ELLIPSIS}",
        "\N{CYRILLIC SMALL LETTER YA}",
        "\N{GRINNING FACE}",
        "\N{DESERET CAPITAL LETTER LONG I}",
    ]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(CHUNK_CHARS, min_size=1, max_size=24).map("".join))
def test_a_chunks_token_starts_are_the_loops(chunk: str) -> None:
    flags, lower = MEASURER.tables
    cps = np.frombuffer(chunk.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    with np.errstate(over="ignore"):
        lengths = python_loops.tokenize(cps, flags, lower)[2]
    expected = tuple((np.cumsum(lengths) - lengths).tolist())
    assert numpy_passes.chunk_token_starts(chunk, flags.tobytes()) == expected


# Word runs joined inside a chunk by punctuation: by punctuation the loop never keeps inside a word
# ("far-flung", "and/or", "day\N{EM DASH}and"), by one apostrophe ("we're", "it's", "don't",
# "n't") and by the punctuation the loop may keep there ("U.S.", "1,000", "a-1", "me@x").
JOINERS = st.sampled_from(
    [*"-/,:'.@_=(&", "--", "~~", "\N{EM DASH}", "\N{MINUS SIGN}", "\N{RIGHT SINGLE QUOTATION MARK}"]
)
JOINED_WORDS = st.sampled_from(
    ["ab", "don", "N", "t", "T", "s", "S", "so", "19", "x", "n", "\N{CYRILLIC SMALL LETTER YA}", "\N{GRINNING FACE}"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.lists(st.tuples(JOINED_WORDS, JOINERS), max_size=4), JOINED_WORDS), min_size=1, max_size=12)
)
def test_the_same_tokens_where_punctuation_joins_word_runs(chunks: list[tuple[list[tuple[str, str]], str]]) -> None:
    _tokens_agree(" ".join("".join(word + joiner for word, joiner in pairs) + last for pairs, last in chunks) + ".")


def test_word_runs_joined_by_punctuation_the_loop_splits_at_skip_the_loop() -> None:
    # Only the chunks where the loop's special cases can apply go through chunk_token_starts.
    flags, lower = MEASURER.tables
    text = (
        "far-flung and/or day\N{EM DASH}and 2-liter (re)write we're it\N{RIGHT SINGLE QUOTATION MARK}s don't"
        " n't O'Brien's U.S. rock'n'roll 1,000 a-1 me@x snake_case 3:45 J."
    )
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    handed: dict[str, tuple[int, ...]] = {}
    numpy_passes._tokens(cps, flags, lower, text, handed)
    assert sorted(handed) == sorted(
        ["O'Brien's", "U.S.", "rock'n'roll", "1,000", "a-1", "me@x", "snake_case", "3:45", "J."]
    )
    _tokens_agree(text)


def test_a_measurer_switches_to_the_compiled_loops_after_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # numba's loops (the ones compiled ahead of time run from the first text: tests/test_aot.py).
    monkeypatch.setattr(quality._aot, "kernels", lambda: None)
    measurer = QualityMeasurer()
    first = measurer.kernels(10)
    # In this process numba may have started already (other tests): then it is compiled at once.
    assert first is numpy_passes or first is compiled
    assert measurer.kernels(NUMPY_CHARS) is compiled
    assert measurer.kernels(1) is compiled  # for good


def test_the_numpy_budget_is_the_processes_not_each_measurers() -> None:
    """Dask unpickles the stage for every task, so each task gets a new measurer: the budget is
    counted for the process, or a run of small tasks would never leave the numpy passes."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = """
import sys
from cleaner.signals.quality import NUMPY_CHARS, QualityMeasurer
text = "word " * (NUMPY_CHARS // 10)  # half the budget
print(QualityMeasurer().kernels(len(text)).__name__, QualityMeasurer().kernels(len(text)).__name__,
      QualityMeasurer().kernels(len(text)).__name__)
"""
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo), "CLEANER_AOT": "0"}  # numba's loops past the budget
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    passes, compiled_name = "cleaner.signals._numpy_kernels", "cleaner.signals._numba_kernels"
    assert done.stdout.split() == [passes, passes, compiled_name]


def test_the_stored_character_tables_are_the_computed_ones() -> None:
    """char_tables() reads the package's copy; it must hold what compute_char_tables() gives."""
    flags, lower = python_loops.char_tables()
    computed_flags, computed_lower = python_loops.compute_char_tables()
    hint = "rewrite it with cleaner.signals._kernels.write_char_tables()"
    assert flags.dtype == computed_flags.dtype and lower.dtype == computed_lower.dtype, hint
    assert flags.tobytes() == computed_flags.tobytes(), hint
    assert lower.tobytes() == computed_lower.tobytes(), hint


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(st.one_of(CHARS, st.just("\udcff")), max_size=60), max_size=8), st.randoms())
def test_the_compiled_batch_gives_each_texts_own_signals(texts: list[str], random: object) -> None:
    # Once compiled, measure_arrays measures a batch in one call (its texts' code points one after
    # another, each language's stop words once): each text's values are the ones it gets alone.
    langs = [random.choice(["en", "ru", "de", "xx"]) for _ in texts]  # type: ignore[attr-defined]
    _batch_measured_as_alone(texts, langs)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(ASCII_CHARS, max_size=60), min_size=1, max_size=8))
def test_an_ascii_batch_as_bytes_gives_its_code_points_signals(texts: list[str]) -> None:
    # measure_arrays hands the compiled loops an ASCII batch as its bytes (uint8): each text's
    # values are the ones its code points (uint32) get alone.
    assert "".join(texts).isascii()
    _batch_measured_as_alone(texts, ["en"] * len(texts))


def _batch_measured_as_alone(texts: list[str], langs: list[str]) -> None:
    measurer = QualityMeasurer()
    measurer._compiled = compiled  # the compiled loops, whatever this process measured before
    flags, lower = measurer.tables
    measurer.measure("warm", "en")  # fills the Gopher table
    gopher_table, gopher_used = measurer._stop_hashes["gopher"]
    alone = [
        compiled.doc_signals(
            np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), flags, lower,
            *measurer.stop_hashes(lang), gopher_table, gopher_used, 30,
        ).tobytes()
        for text, lang in zip(texts, langs, strict=True)
    ]  # fmt: skip
    assert [values.tobytes() for values in measurer.measure_arrays(texts, langs)] == alone
