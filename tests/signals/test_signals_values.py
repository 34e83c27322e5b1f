"""The quality signals: hand-computed values and a Python reference of datatrove's definitions.
Agreement with datatrove's own filters is measured in benchmarks/bench_quality.py (it needs the
bench extra: datatrove and spaCy)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.signals import _kernels as k
from cleaner.signals.quality import SIGNALS, QualityMeasurer, c4_verdict, sentence_count

MEASURER = QualityMeasurer()


def measure(text: str, lang: str = "en") -> dict[str, float | int]:
    return MEASURER.measure(text, lang)


def tokens(text: str) -> list[str]:
    """cleaner's tokens of ``text`` as strings (rebuilt from their lengths)."""
    flags, lower = MEASURER.tables
    with np.errstate(over="ignore"):  # the Python loops' hashes wrap around
        _, _, lengths, _ = k.tokenize(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), flags, lower)
    out, pos = [], 0
    for length in lengths.tolist():
        while text[pos].isspace():
            pos += 1
        out.append(text[pos : pos + length])
        pos += length
    return out


# --- datatrove's definitions, written out in Python (gopher_repetition_filter.py, fineweb_quality_filter.py) ---


def find_duplicates(items: list[str]) -> tuple[int, int]:
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count, chars = count + 1, chars + len(item)
        else:
            seen.add(item)
    return count, chars


def top_ngram_chars(words: list[str], n: int) -> int:
    grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def dup_ngram_chars(words: list[str], n: int) -> int:
    seen: set[str] = set()
    repeated = idx = 0
    while idx < len(words) - n + 1:
        gram = "".join(words[idx : idx + n])
        if gram in seen:
            repeated += len(gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return repeated


def reference_lines(text: str) -> dict[str, float]:
    chars = len(text)
    nonblank = [line for line in text.split("\n") if line.strip()]
    lines = text.splitlines()
    rep_lines = re.split("\n+", text)
    paragraphs = re.split(r"\n{2,}", text.strip())
    from cleaner.signals._kernels import TERMINAL_PUNCTUATION

    body = len(text.replace("\n", ""))
    ends = tuple(TERMINAL_PUNCTUATION)
    return {
        "line_punct": sum(x.endswith(ends) for x in nonblank) / len(nonblank) if nonblank else 0.0,
        "short_lines": sum(len(x) <= 30 for x in nonblank) / len(nonblank) if nonblank else 0.0,
        "nonblank_dup_line_chars": find_duplicates(nonblank)[1] / body if body else 0.0,
        "bullet_lines": sum(x.lstrip().startswith(("•", "-")) for x in lines) / len(lines) if lines else 0.0,
        "ellipsis_lines": sum(x.rstrip().endswith(("...", "…")) for x in lines) / len(lines) if lines else 0.0,
        "dup_line_share": find_duplicates(rep_lines)[0] / len(rep_lines),
        "dup_line_chars": find_duplicates(rep_lines)[1] / chars if chars else 0.0,
        "dup_para_share": find_duplicates(paragraphs)[0] / len(paragraphs),
        "dup_para_chars": find_duplicates(paragraphs)[1] / chars if chars else 0.0,
    }


# --- hand-computed values ---


def test_signals_of_a_crafted_text() -> None:
    text = "The cat sat on the mat.\nThe cat sat on the mat.\n\n- a list item...\n# heading"
    s = measure(text)
    assert list(s) == list(SIGNALS)
    words = ["The", "cat", "sat", "on", "the", "mat"] * 2 + ["a", "list", "item", "heading"]
    assert s["words"] == len(words) == 16
    assert s["mean_word_length"] == pytest.approx(sum(map(len, words)) / 16)
    # tokens: 16 words + 2 full stops + "-" + "..." + "#" = 21; one '#', one '...'
    assert s["symbol_word_ratio"] == pytest.approx(1 / 21)
    assert s["alpha_words"] == pytest.approx(16 / 21)
    assert s["gopher_stop_words"] == 1  # "the" only: "The" does not count (case-sensitive, as datatrove)
    assert s["stop_words"] == 4 + 2 + 1  # the/The x4, on x2, a x1: case-folded occurrences
    assert s["dup_line_share"] == pytest.approx(1 / 4)  # lines: the cat, the cat, "- a list item...", "# heading"
    assert s["dup_para_share"] == pytest.approx(0.0)
    assert s["bullet_lines"] == pytest.approx(1 / 5)  # splitlines() keeps the blank line
    assert s["ellipsis_lines"] == pytest.approx(1 / 5)
    assert s["line_punct"] == pytest.approx(3 / 4)  # '...' ends in '.', a sentence terminal


def test_repetition_of_a_word_salad() -> None:
    text = " ".join(["buy cheap pills now"] * 20)
    s = measure(text)
    words = text.split()
    assert s["top_2gram_chars"] == pytest.approx(top_ngram_chars(words, 2) / len(text))
    assert s["dup_5gram_chars"] == pytest.approx(dup_ngram_chars(words, 5) / len(text))
    assert s["dup_10gram_chars"] > 0.6  # words joined without spaces, over all characters


def test_top_ngram_ties_go_to_the_first_as_in_counter_most_common() -> None:
    # "a bb" and "bb ccc" both occur twice; Counter.most_common(1) names the first seen, "a bb".
    text = "a bb ccc a bb ccc"
    assert measure(text)["top_2gram_chars"] == pytest.approx(len("a bb") * 2 / len(text))
    assert top_ngram_chars(text.split(), 2) == len("a bb") * 2


def test_a_line_of_exactly_30_characters_is_short() -> None:
    line = "x" * 29 + "."
    s = measure(f"{line}\n{line}y")  # 30 and 31 characters
    assert s["short_lines"] == pytest.approx(0.5)


def test_empty_and_symbol_only_texts_give_zeros() -> None:
    for text in ("", "\n\n", "!!! ### ..."):
        s = measure(text)
        assert s["words"] == 0 and s["mean_word_length"] == 0.0 and s["line_punct"] in (0.0, 1.0)


def test_stop_words_follow_the_language() -> None:
    text = "Der Hund und die Katze sind bei dem Haus"
    assert measure(text, "de")["stop_words"] >= 5
    assert measure(text, "en")["stop_words"] == 0
    assert measure(text, "und")["stop_words"] == 0  # no list: no stop words, no error


def test_stop_words_read_back_from_the_cache_equal_the_packaged_lists() -> None:
    packaged = json.loads(resources.files("cleaner.signals").joinpath("stopwords.json").read_text(encoding="utf-8"))
    languages = {**packaged["languages"], "und": []}  # "und": no list
    for _ in range(2):  # derived, then read back by another measurer
        measurer = QualityMeasurer()
        assert {lang: measurer._stop_words(lang) for lang in languages} == languages
    assert len(list(Path(os.environ["CLEANER_CACHE_DIR"]).glob("stopwords-*.json"))) >= len(languages)


def test_tokens_split_as_spacy_does() -> None:
    assert tokens("The U.S. bank's rate is 11.2 pct, 1,000 e-mails don't at 3:30 Ba-3 9-day ...") == [
        "The", "U.S.", "bank", "'s", "rate", "is", "11.2", "pct", ",", "1,000", "e", "-", "mails",
        "do", "n't", "at", "3:30", "Ba-3", "9", "-", "day", "...",
    ]  # fmt: skip


def test_sentences_as_spacy_counts_them() -> None:
    assert sentence_count("Acme Inc. rose 1.5 pct. The U.S. market fell! Why? (Nobody knows.)") == 4
    assert sentence_count("Wait... what? Yes.") == 2
    assert sentence_count("no terminal at all") == 1


def test_c4_page_rules() -> None:
    good = "\n".join(f"This is sentence number {i} of a page." for i in range(6))
    assert c4_verdict(good) is None
    assert c4_verdict(good + "\nLorem ipsum dolor sit amet, consectetur.") == ("lorem_ipsum", 6)
    assert c4_verdict("A line with code { x } in it.\n" + good) == ("curly_bracket", 0)
    # Lines without terminal punctuation, with fewer than 3 words or about javascript do not count.
    short = "Menu\nHome page of the site\nEnable javascript to see this page.\nOne two.\n" + good.split("\n")[0]
    assert c4_verdict(short) == ("too_few_sentences", 1)
    assert c4_verdict(good + "\nLorem ipsum dolor sit amet.", lorem_ipsum=False) is None


# --- the kernels against the Python reference ---

LINE_TEXT = st.text(alphabet=st.sampled_from(list("ab .!-•…#\n\n  xY。")), max_size=120)


@settings(max_examples=300, deadline=None)
@given(LINE_TEXT)
def test_line_measures_match_the_reference(text: str) -> None:
    s = measure(text)
    for name, value in reference_lines(text).items():
        assert s[name] == pytest.approx(value), name


WORDS = st.lists(st.sampled_from(["a", "bb", "ccc", "a", "bb", "dddd"]), max_size=60)


@settings(max_examples=300, deadline=None)
@given(WORDS)
def test_ngram_measures_match_the_reference(words: list[str]) -> None:
    text = " ".join(words)
    s = measure(text)
    for n in (2, 3, 4):
        assert s[f"top_{n}gram_chars"] == pytest.approx(top_ngram_chars(words, n) / len(text) if text else 0.0)
    for n in range(5, 11):
        assert s[f"dup_{n}gram_chars"] == pytest.approx(dup_ngram_chars(words, n) / len(text) if text else 0.0)


# Texts that end and start the way a batch's neighbours meet (a word, punctuation, a clitic, a
# line break, a hyphen, a pictograph, nothing), repeated words for the n-gram shares.
BATCH_PIECES = st.sampled_from(
    ["the", "bank's", "U.S.", "don't", "-v", "e-mail", "1,000", "...", "'s", "J.", "\n", " ", "\n\n", "x",
     "\N{GRINNING FACE}", "\N{CYRILLIC SMALL LETTER YA}", "same line.\n", "#"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(BATCH_PIECES, max_size=40).map("".join), max_size=8), st.sampled_from(["en", "ru"]))
def test_a_batch_of_texts_gets_each_texts_own_signals(texts: list[str], lang: str) -> None:
    # measure_arrays tokenizes a batch joined by line breaks (numpy passes): each text's values must
    # be the ones it gets alone, bit for bit.
    from cleaner.signals import _numpy_kernels as numpy_passes

    flags, lower = MEASURER.tables
    MEASURER.measure("warm", "en")  # fills the Gopher table
    gopher_table, gopher_used = MEASURER._stop_hashes["gopher"]
    langs = [lang if i % 2 else "en" for i in range(len(texts))]
    stops = [MEASURER.stop_hashes(each) for each in langs]
    alone = [
        numpy_passes.doc_signals(
            np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), flags, lower, *stop, gopher_table, gopher_used, 30
        ).tobytes()
        for text, stop in zip(texts, stops, strict=True)
    ]
    together = numpy_passes.docs_signals(texts, flags, lower, stops, gopher_table, gopher_used, 30)
    assert [values.tobytes() for values in together] == alone


def test_the_stage_measures_in_batches_what_each_document_gets_alone() -> None:
    from cleaner.record import Document
    from cleaner.signals import BATCH_DOCS, Signals

    texts = ["Short text.", "Another short text, with the words of a sentence.", "", "Привет, мир! " * 40, "x"]
    docs = [Document(id=str(i), text=text * (1 + i % 3)) for i, text in enumerate(texts * (BATCH_DOCS // 2))]
    stage = Signals()
    assert list(stage(docs)) == [stage.apply(doc) for doc in docs]


def test_the_stage_gives_each_document_its_own_language_and_signals_past_a_window() -> None:
    # The stage detects the languages of a window of documents, then measures its batches (one
    # of them cut short by the long document's characters, BATCH_CHARS, here): every document
    # still gets its own language and signals, in order, in the window and past it.
    from cleaner.record import Document
    from cleaner.signals import BATCH_CHARS, WINDOW_DOCS, Signals

    texts = ["Das Wetter ist heute schön und warm.", "The weather is lovely today.", "Привет, мир! " * 9, ""]
    docs = [Document(id=str(i), text=texts[i % len(texts)]) for i in range(WINDOW_DOCS + 70)]
    docs[WINDOW_DOCS - 3] = Document(id="long", text="Long text, one batch alone. " * (BATCH_CHARS // 20))
    stage = Signals()
    assert list(stage(docs)) == [stage.apply(doc) for doc in docs]
