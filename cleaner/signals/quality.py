"""Quality signals of a document: the measures of the Gopher, C4 and FineWeb rules, computed once.

Every measure follows the definition of datatrove's implementation of the published rule (named on
each line below), so a threshold from a paper means here what it means there; words are the tokens
of :mod:`cleaner.signals._kernels` (datatrove's English tokenizer is spaCy's; the difference is
measured in benchmarks/bench_quality.py). Per-word work runs in compiled loops; per-line work is a
few passes of ``str`` methods over the document's lines.

>>> q = QualityMeasurer()
>>> s = q.measure("The cat sat on the mat. The cat sat on the mat.\\nAnd then it left...", "en")
>>> s["words"], s["stop_words"], s["gopher_stop_words"], s["line_punct"]
(16, 9, 1, 1.0)
>>> s["dup_5gram_chars"] > 0
True
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from cleaner import cache
from cleaner.cache import blake2b, derived
from cleaner.cache import key as cache_key
from cleaner.jit import source_digest
from cleaner.signals import _aot
from cleaner.signals import _kernels as k
from cleaner.signals import _numpy_kernels as nk

# The eight English words of the Gopher rule "at least two of: the, be, to, of, and, that, have,
# with" (Rae et al. 2021, "Scaling Language Models", appendix A1; datatrove's STOP_WORDS).
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)
# FineWeb's short line: at most this many characters (datatrove FineWebQualityFilter.short_line_length).
SHORT_LINE_CHARS = 30

SIGNALS: tuple[str, ...] = (
    "words",  # words with a letter or digit (Gopher's count; punctuation tokens left out)
    "mean_word_length",  # characters per such word
    "alpha_words",  # share of tokens with at least one letter (Gopher: >= 0.8)
    "symbol_word_ratio",  # max of '#' per token and '...'/'…' per token (Gopher: <= 0.1 for either)
    "line_punct",  # share of non-blank lines ending in sentence punctuation (FineWeb: >= 0.12)
    "stop_words",  # stop words of the detected language, counted per occurrence, case-folded
    "gopher_stop_words",  # how many of Gopher's eight English stop words occur (Gopher: >= 2)
    "bullet_lines",  # share of lines starting with a bullet (Gopher: <= 0.9)
    "ellipsis_lines",  # share of lines ending in an ellipsis (Gopher: <= 0.3)
    "short_lines",  # share of non-blank lines of at most 30 characters (FineWeb: <= 0.67)
    "newline_per_word",  # line breaks per token (FineWeb: <= 0.3)
    "dup_line_share",  # Gopher repetition: repeated lines / lines (<= 0.3)
    "dup_para_share",  # repeated paragraphs / paragraphs (<= 0.3)
    "dup_line_chars",  # characters of repeated lines / characters (<= 0.2)
    "dup_para_chars",  # characters of repeated paragraphs / characters (<= 0.2)
    "nonblank_dup_line_chars",  # FineWeb: repeated non-blank lines / characters without breaks (<= 0.01)
    *(f"top_{n}gram_chars" for n in TOP_NGRAMS),  # most frequent n-gram's characters / characters
    *(f"dup_{n}gram_chars" for n in DUP_NGRAMS),  # characters in repeated n-grams / characters
)


# A process measures its first texts with the numpy passes of _numpy_kernels (about 0.22 us per
# character in-process on the 181 Scrapinghub pages' texts, 0.3 before chunk_token_starts) and the
# rest with the numba twins of the _kernels loops (0.03 us per character): starting numba costs
# about 0.4 CPU-s per process from a warm cache (its import 0.2, then loading these kernels 0.17),
# what the numpy passes take for about 1.8 million characters. So a small run (the five seeds,
# 20 KB; the 181 pages, 0.8 million characters) never starts numba here, and a large one pays at
# most about twice the best of the two. Re-measure both sides with a timed measure_array() over a
# run's texts, numba imported or not.
NUMPY_CHARS = 1024 * 1024


class _Budget:
    """Characters measured with the numpy passes in this process. Counted per process, not per
    measurer: an engine that unpickles the stage for each task (Dask) builds a new measurer per
    task, and would otherwise stay on the numpy passes for ever on small tasks. It only picks
    between two bit-identical implementations, so no result depends on it."""

    spent = 0


NUMPY_BUDGET = _Budget()


def numba_started() -> bool:
    """Whether numba already compiled or loaded a kernel in this process: numba's CPU target
    imports this module then (the same test as ``cleaner.dedup._kernels.numba_started``)."""
    return "numba.np.arraymath" in sys.modules


def numba_available() -> bool:
    """Whether numba is installed (looked up without importing it)."""
    return importlib.util.find_spec("numba") is not None


@functools.cache
def _kernels_digest() -> str:
    """The digest of the signals kernels' sources (their extension's name holds it): the code that
    char_tables and the stop-word hashes come from, in their cache entries' keys."""
    here = Path(_aot.__file__).parent
    return source_digest([here / source for source in _aot.SOURCES])


def _char_tables() -> tuple[Any, Any]:
    """k.char_tables through cleaner's cache: reading the package's zip of .npy files took 1.7 ms of
    every process that measures signals, the entry and its key 0.4 (in process). Keyed by what
    compute_char_tables gives them from, the Unicode version and the kernels' sources: the package's
    file holds what it gives (tests/signals checks that), so the file's bytes are not read for the key."""
    entry = cache_key("char-tables-1", unicodedata.unidata_version, _kernels_digest())
    flags, lower = cache.derived_arrays("char-tables", entry, lambda: (list(k.char_tables()), None))[0]
    return flags, lower


class QualityMeasurer:
    """Computes :data:`SIGNALS` for texts; holds the character tables and stop-word hashes it needs.

    Build one per worker (the tables take about 50 ms); it pickles without them and rebuilds them.
    """

    def __init__(self) -> None:
        self._tables: tuple[Any, Any] | None = None
        self._stop_hashes: dict[str, Any] = {}
        self._stop_lists: dict[str, list[str]] | None = None
        self._stop_file: tuple[bytes, str] | None = None  # stopwords.json's bytes and their digest
        self._compiled: Any = None
        self._chunks: dict[str, tuple[int, ...]] = {}  # token starts of the chunks the numpy passes hand to the loop

    def kernels(self, chars: int) -> Any:
        """The kernels for a text of ``chars`` characters: the numpy passes until the process has
        measured NUMPY_CHARS characters with them (or numba has started anyway, as the boilerplate
        models start it past their own numpy budget: then loading these kernels, 0.17 CPU-s, plus
        the compiled loops cost less than the numpy passes over the 181 pages), then the compiled
        loops for good; the loops compiled ahead of time from the first text, where setup.py built
        them (``_aot``). All give the same values, bit for bit."""
        if self._compiled is None:
            self._compiled = _aot.kernels()  # compiled when cleaner was installed: from the first text
        if self._compiled is None:
            if (NUMPY_BUDGET.spent + chars < NUMPY_CHARS and not numba_started()) or not numba_available():
                NUMPY_BUDGET.spent += chars
                return nk
            from cleaner.signals import _numba_kernels

            self._compiled = _numba_kernels
        return self._compiled

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    @property
    def tables(self) -> tuple[Any, Any]:
        if self._tables is None:
            self._tables = _char_tables()
        return self._tables

    def _hashes(self, words: list[str] | tuple[str, ...], folded: bool) -> Any:
        flags, lower = self.tables
        if self._compiled is not None:  # the compiled loop once chosen: same values
            out = []
            for word in words:
                hashes, lowered, _, _ = self._compiled.tokenize(self._codepoints(word), flags, lower)
                if len(hashes) == 1:  # a stop word the tokenizer would split can never match a token
                    out.append(lowered[0] if folded else hashes[0])
            return _sorted_distinct(np.array(out, dtype=np.uint64))
        # All words in one pass, joined by spaces (the tokenizer never looks across a space).
        cps = self._codepoints(" ".join(words))
        word_starts = np.cumsum([0] + [len(word) + 1 for word in words[:-1]])
        starts, hashes, lowered, _, _ = nk._tokens(cps, flags, lower, chunk_cache=self._chunks)
        owner = np.searchsorted(word_starts, starts, side="right") - 1
        tokens_of = np.bincount(owner, minlength=len(words))
        single = tokens_of[owner] == 1  # a stop word the tokenizer would split can never match a token
        return _sorted_distinct((lowered if folded else hashes)[single])

    def stop_hashes(self, lang: str) -> Any:
        """A hash table of the case-folded stop words of ``lang`` (empty when no list covers it)."""
        if lang not in self._stop_hashes:
            # Through cleaner's cache: hashing a language's words (a call of the tokenizer each) and
            # filling the table took 2.9 ms of every process for English, the entry 0.1 (in process).
            # Keyed by the words' file, the language, and what the hashes depend on: the tokenizer's
            # and the table's code (the signals kernels' sources) and the Unicode version.
            entry = cache_key(
                "stop-hashes-1", self._stop_source()[1], lang, _kernels_digest(), unicodedata.unidata_version
            )
            table, used = cache.derived_arrays(
                "stop-hashes",
                entry,
                lambda: (list(k.hash_set(self._hashes(self._stop_words(lang), folded=True))), None),
            )[0]
            self._stop_hashes[lang] = table, used
        return self._stop_hashes[lang]

    def _stop_source(self) -> tuple[bytes, str]:
        """stopwords.json's bytes and their digest (read and hashed once, not once per language: 0.5 ms each)."""
        if self._stop_file is None:
            data = resources.files("cleaner.signals").joinpath("stopwords.json").read_bytes()
            self._stop_file = data, blake2b(data, digest_size=16).hexdigest()  # the key of its bytes, not decoded
        return self._stop_file

    def _stop_words(self, lang: str) -> list[str]:
        """The stop words of ``lang`` in the package's stopwords.json, read back from cleaner's cache
        after the first process: parsing the whole file (200 KB, every language) took 3 ms of each
        process, a language's entry takes a tenth of a millisecond."""
        data, digest = self._stop_source()

        def parse() -> list[str]:
            if self._stop_lists is None:
                self._stop_lists = json.loads(data.decode("utf-8"))["languages"]
            return self._stop_lists.get(lang, [])

        words: list[str] = derived("stopwords", cache_key(digest, lang), parse)
        return words

    @staticmethod
    def _codepoints(text: str) -> Any:
        # surrogatepass: a lone surrogate (invalid, but possible in a str) still gets a code point.
        return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)

    def measure_array(self, text: str, lang: str) -> Any:
        """Every signal of ``text`` as a float64 array in the order of :data:`SIGNALS`."""
        flags, lower = self.tables
        if "gopher" not in self._stop_hashes:
            self._stop_hashes["gopher"] = k.hash_set(self._hashes(GOPHER_STOP_WORDS, folded=False))
        stop_table, stop_used = self.stop_hashes(lang)
        gopher_table, gopher_used = self._stop_hashes["gopher"]
        cps = self._codepoints(text)
        loops = self.kernels(cps.size)
        if loops is nk:
            stops = (stop_table, stop_used, gopher_table, gopher_used)
            return nk.doc_signals(cps, flags, lower, *stops, SHORT_LINE_CHARS, text, self._chunks)
        return loops.doc_signals(cps, flags, lower, stop_table, stop_used, gopher_table, gopher_used, SHORT_LINE_CHARS)

    def measure_arrays(self, texts: list[str], langs: list[str]) -> Sequence[Any]:
        """measure_array of each text (``langs``: each one's language), the numpy passes' tokens
        found for all of them at once (_numpy_kernels.docs_signals): the same values. A list of
        rows, or the compiled loops' 2-d array of them."""
        flags, lower = self.tables
        if "gopher" not in self._stop_hashes:
            self._stop_hashes["gopher"] = k.hash_set(self._hashes(GOPHER_STOP_WORDS, folded=False))
        gopher_table, gopher_used = self._stop_hashes["gopher"]
        stops = [self.stop_hashes(lang) for lang in langs]
        loops = self.kernels(sum(map(len, texts)))
        if loops is nk:
            gopher = (gopher_table, gopher_used)
            return nk.docs_signals(texts, flags, lower, stops, *gopher, SHORT_LINE_CHARS, self._chunks)
        if not texts:
            return []
        # The compiled loops take the batch in one call: its code points one after another (one
        # code point per character, lone surrogates too: see _codepoints), and each language's
        # stop-word table once, each text pointing at its own.
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=offsets[1:])
        tables: dict[int, tuple[int, int]] = {}  # where each distinct table sits among the joined ones
        joined: list[tuple[Any, Any]] = []
        bounds = np.empty((len(texts), 2), dtype=np.int64)
        for row, stop in enumerate(stops):
            at = tables.get(id(stop[0]))
            if at is None:
                start = tables[id(joined[-1][0])][1] if joined else 0
                at = tables[id(stop[0])] = (start, start + len(stop[0]))
                joined.append(stop)
            bounds[row] = at
        text = "".join(texts)
        # An ASCII batch (str.isascii reads a flag) goes in as its bytes, one per character: a
        # quarter of the code points' memory for the loops to read, and no UTF-32 encoding. The
        # loops give the same values (tests/signals/test_signal_loops.py); numba compiles them
        # once more for uint8, loaded (10 ms) only by a run that has such a batch. The 30 MB
        # gen_dump dump's texts (all ASCII), measure_arrays in process: 0.236 -> 0.222 CPU-s
        # (medians of five runs alternated with the code points'; the encoding's share 2 ms).
        cps = np.frombuffer(text.encode("ascii"), dtype=np.uint8) if text.isascii() else self._codepoints(text)
        # The rows as one array: the caller rounds them in one call (a list of them took 55 us a
        # batch of 64 to round, the array 31).
        return loops.docs_signals(
            cps, offsets, flags, lower, np.concatenate([t for t, _ in joined]),
            np.concatenate([u for _, u in joined]), bounds, gopher_table, gopher_used, SHORT_LINE_CHARS,
        )  # fmt: skip

    def measure(self, text: str, lang: str) -> dict[str, float | int]:
        """Every signal of ``text``; ``lang`` picks the stop-word list. Ratios of an empty text are 0."""
        return as_dict(self.measure_array(text, lang).tolist())


def _sorted_distinct(values: Any) -> Any:
    """``np.unique(values)`` of a 1-d array, without the import of numpy.ma that a plain ``np.unique``
    makes at its first call (about 7 ms of every process's start).

    >>> _sorted_distinct(np.array([3, 1, 3, 2], dtype=np.uint64)).tolist()
    [1, 2, 3]
    """
    ordered = np.sort(values)
    if ordered.shape[0] < 2:
        return ordered
    keep = np.empty(ordered.shape[0], dtype=np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def as_dict(values: list[float]) -> dict[str, float | int]:
    """Signal values (in :data:`SIGNALS` order) by name, the counts as integers."""
    return dict(zip(SIGNALS, _counts_made_ints(list(values)), strict=True))


_COUNTS = frozenset({"words", "stop_words", "gopher_stop_words"})
_COUNT_PLACES = tuple(i for i, name in enumerate(SIGNALS) if name in _COUNTS)


def _counts_made_ints(values: list[Any]) -> list[Any]:
    """``values`` (in SIGNALS order) with the counts among them made integers, in place."""
    for place in _COUNT_PLACES:
        values[place] = int(values[place])
    return values


def with_language(lang: str, score: float, values: list[float]) -> dict[str, Any]:
    """``{"lang": lang, "lang_score": score, **as_dict(values)}``, built as a copy of a dict of
    those keys with the values stored in it (``values`` is the caller's list, not used again: its
    counts are made integers). The copy clones the keys' table, sized once, where ``dict(zip())``
    grows it three times as the 27 keys go in: 13,148 documents' signals in 0.021 CPU-s against
    0.027 (medians of nine runs alternated in one process). Earlier: as the merge of two dicts
    it took 5.5 us a document, 3.4 us as a dict of the language updated with the signals, and 3.7
    us against that one's 4.4 (a busier hour) as ``dict(zip())`` of the language and the values.

    >>> with_language("en", 0.99, [3.0] + [0.5] * 24)["words"]
    3
    """
    signals = _SIGNAL_KEYS.copy()
    signals["lang"], signals["lang_score"] = lang, score
    signals.update(zip(SIGNALS, _counts_made_ints(values), strict=True))
    return signals


# with_language's keys in order, each document's dict a copy of this one (never changed itself).
_SIGNAL_KEYS: dict[str, Any] = dict.fromkeys(("lang", "lang_score", *SIGNALS))


def sentence_count(line: str) -> int:
    """Sentences in a line, the way spaCy's sentencizer counts them for datatrove's C4 filter.

    A sentence ends at a token of sentence punctuation (``.``, ``!``, ``?`` and the other Unicode
    sentence terminals) and the next sentence starts at the next token that is not punctuation. A
    full stop that belongs to its word, as spaCy's English tokenizer keeps it, ends nothing: an
    abbreviation (``Inc.``, ``Mr.``, ``U.S.``, a single letter) or a stop inside a word (``11.2``).

    >>> sentence_count("Shares of Acme Inc. rose 1.5 pct. The U.S. market fell! Why? (Nobody knows.)")
    4
    """
    count, seen_end = 1, False
    for chunk in line.split():
        core = chunk.rstrip(_CLOSERS)
        starts = any(ch.isalnum() for ch in chunk)
        if seen_end and starts:
            count += 1
            seen_end = False
        if core and core[-1] in _TERMINALS:
            word = core.rstrip(_TERMINAL_CHARS).lstrip(_OPENERS)
            # "..." is one token and not a sentence terminal; "U.S." and "Inc." keep their stop.
            dotted = core.endswith(".") and (
                core.endswith("..") or "." in word or len(word) == 1 or word + "." in _ABBREVIATIONS
            )
            if not dotted:
                seen_end = True
    return count


_TERMINAL_CHARS = k.TERMINAL_PUNCTUATION
_TERMINALS = frozenset(k.TERMINAL_PUNCTUATION)
_CLOSERS = "\"'”’)]}»"
_OPENERS = "\"'“‘([{«"
# spaCy's English tokenizer exceptions that end in a full stop (spacy/lang/en/tokenizer_exceptions.py,
# MIT, Explosion AI): these keep their stop, so the sentencizer does not end a sentence there.
_ABBREVIATIONS = frozenset([
    "Adm.", "Ak.", "Ala.", "Apr.", "Ariz.", "Ark.", "Aug.", "Bros.", "Calif.", "Co.", "Colo.", "Conn.", "Corp.",
    "Dec.", "Del.", "Dr.", "Feb.", "Fla.", "Ga.", "Gen.", "Gov.", "Ia.", "Id.", "Ill.", "Inc.", "Ind.", "Jan.",
    "Jr.", "Jul.", "Jun.", "Kan.", "Kans.", "Ky.", "La.", "Ltd.", "Mar.", "Mass.", "Md.", "Messrs.", "Mich.",
    "Minn.", "Miss.", "Mo.", "Mont.", "Mr.", "Mrs.", "Ms.", "Mt.", "Neb.", "Nebr.", "Nev.", "Nov.", "Oct.",
    "Okla.", "Ore.", "Pa.", "Prof.", "Rep.", "Rev.", "Sen.", "Sep.", "Sept.", "St.", "Tenn.", "Va.", "Wash.",
    "Wis.", "co.", "vs.",
])  # fmt: skip


def c4_verdict(
    text: str, min_sentences: int = 5, lorem_ipsum: bool = True, curly_bracket: bool = True
) -> tuple[str, int] | None:
    """Why C4's page rules drop ``text``, or None: ``("lorem_ipsum"|"curly_bracket"|"too_few_sentences", n)``.

    The rules of datatrove's C4QualityFilter (after Raffel et al. 2020, section 2.2, and the TFDS
    c4_utils code), evaluated on the lines C4 keeps: a line is kept when it ends in terminal
    punctuation and not an ellipsis, has at least 3 words, no word over 1000 characters, and does not
    mention javascript or a cookie/terms policy. A page is dropped when a kept line says "lorem
    ipsum" or holds a curly bracket, or when fewer than ``min_sentences`` (5) sentences are left. cleaner reports the
    verdict; it does not remove C4's lines itself (the boilerplate stage does line removal).

    >>> c4_verdict("One two three four. Five six seven eight.")
    ('too_few_sentences', 2)
    """
    sentences = 0
    for raw in text.splitlines():
        line = raw.strip()
        words = line.split()
        if any(len(word) > 1000 for word in words):
            continue
        line = _CITATION.sub("", line)
        if not line.endswith(_C4_END) or line.endswith("..."):
            continue
        if len(words) < 3:
            continue
        low = line.lower()
        if lorem_ipsum and "lorem ipsum" in low:
            return "lorem_ipsum", sentences
        if "javascript" in low:
            continue
        if curly_bracket and "{" in line:
            return "curly_bracket", sentences
        if any(p in low for p in _POLICY):
            continue
        sentences += sentence_count(line)
    return None if sentences >= min_sentences else ("too_few_sentences", sentences)


_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
_C4_END = (".", "?", "!", '"', "'")
_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
