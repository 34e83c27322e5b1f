"""Word n-gram shingles of a dedup key, hashed without building one Python string per shingle.

The dedup key of a text is its words (``\\w+`` runs, as Python's ``re`` defines them) after
lookalike letters are repaired and the text is case-folded; punctuation and whitespace only
separate words. :func:`dedup_key` spells the key out for people and tests; the fast path,
:meth:`Shingler.hash_batch`, computes the same words straight from the code points of a whole
batch of texts with numpy (or numba, when installed), so its cost is a few array passes per
batch instead of Python work per shingle.

Hashes (all arithmetic wraps modulo 2**64, so numpy and numba agree bit for bit):

- a token of code points ``c0..c(m-1)`` hashes to ``fmix64(Horner(c, K1) + m * K2)``;
- a shingle of tokens ``t0..t(n-1)`` hashes to ``fmix64(Horner(t, C))``; a text with fewer than
  ``n`` words (but at least one) is one short shingle of all its words; a text without words
  has no shingles and is never a near-duplicate.

>>> shingler = Shingler(ngram=2)
>>> dedup_key("The  Cat, the cat!")
'the cat the cat'
>>> hashes, offsets = shingler.hash_batch(["The  Cat, the cat!", "the cat"])
>>> offsets.tolist()  # text 0 has 3 bigrams (two of them equal), text 1 has one
[0, 3, 4]
>>> bool(hashes[0] == hashes[2] == hashes[3]), bool(hashes[0] == hashes[1])
(True, False)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from cleaner.cache import code_point_runs
from cleaner.dedup import _kernels

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

U64: TypeAlias = "npt.NDArray[np.uint64]"
I64: TypeAlias = "npt.NDArray[np.int64]"

_WORD = re.compile(r"\w+")
_CHUNK_CHARS = 1 << 20


# The first code point of the scripts whose letters cleaner.homoglyphs repairs (Greek, then
# Cyrillic and the rest above it): a text wholly below it ("café", "Müller") has no lookalike, which
# one C scan (max) tells without importing homoglyphs (about 2 ms of a dedup run's start where a
# text is not ASCII: one of the Reuters bench's 19,993).
_FIRST_LOOKALIKE = "\u0370"


def repair(text: str) -> str:
    """Fold lookalike letters (Cyrillic/Greek letters inside Latin words) to Latin.

    Uses cleaner.homoglyphs when it is there; without it the text is returned unchanged.

    >>> repair("Bel\\N{CYRILLIC SMALL LETTER A}rus")
    'Belarus'
    """
    if text.isascii() or max(text) < _FIRST_LOOKALIKE:
        return text
    try:
        from cleaner.homoglyphs import repair_lookalikes
    except ImportError:  # the homoglyphs module is optional for this stage
        return text
    return repair_lookalikes(text)[0]


def repairs_nothing(text: str) -> bool:
    """Whether :func:`repair` leaves ``text`` and every piece of it as they are: it is ASCII,
    or holds no Cyrillic or Greek character (the only lookalikes repaired), or there is no
    homoglyphs module. A sufficient test, one scan of the text.

    >>> repairs_nothing("caf\\N{LATIN SMALL LETTER E WITH ACUTE}"), repairs_nothing("P\\N{CYRILLIC SMALL LETTER A}ris")
    (True, False)
    """
    if text.isascii() or max(text) < _FIRST_LOOKALIKE:
        return True
    try:
        from cleaner.homoglyphs import may_hold_lookalikes  # what repair_lookalikes tests first
    except ImportError:
        return True
    return not may_hold_lookalikes(text)


def dedup_key(text: str) -> str:
    """The normalized text that shingles are cut from: words of the repaired, case-folded text.

    >>> dedup_key("U.S. \\N{CYRILLIC CAPITAL LETTER ES}orn   EXPORTS -- up 5%")
    'u s corn exports up 5'
    """
    return " ".join(_WORD.findall(repair(text).casefold()))


def code_points(text: str) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint32]:
    """The code points of ``text`` as an array: its bytes for an ASCII text (a copy, where the
    UTF-32 encoding writes four bytes a character: 5x faster, most of a batch's texts being
    ASCII), else 32-bit values. The same numbers either way.

    >>> code_points("ab").dtype.name, code_points("aé").tolist()
    ('uint8', [97, 233])
    """
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def word_table() -> npt.NDArray[np.bool_]:
    """A lookup table over all code points: True where ``re``'s ``\\w`` matches.

    ``\\w`` is ``str.isalnum()`` or the underscore. The Basic Multilingual Plane is filled at
    once from its runs (read over the plane once per machine and kept in cleaner's cache:
    ``cache.code_point_runs``); characters beyond it start False and a Shingler fills them in when
    it meets them, so building a table stays cheap.

    >>> table = word_table()
    >>> bool(table[ord("a")]), bool(table[ord("_")]), bool(table[ord("-")]), bool(table[0xE9])
    (True, True, False, True)
    """
    table = np.zeros(0x110000, dtype=np.bool_)
    for start, stop in code_point_runs("word", _is_word_character):
        table[start:stop] = True
    return table


def _is_word_character(char: str) -> bool:
    """What ``re``'s ``\\w`` matches in a str pattern (word_table reads it over the plane once per machine)."""
    return char.isalnum() or char == "_"


class Shingler:
    """Hash texts into word n-gram shingle hashes, a batch at a time.

    Holds the ``\\w`` lookup table (built once per instance, never at import; 1.1 MB) and the
    n-gram size. Picklable: a worker process rebuilds its own table.

    >>> Shingler(ngram=5).hash_batch(["one two three"])[1].tolist()  # short text: one shingle
    [0, 1]
    """

    def __init__(self, ngram: int = 5, use_numba: bool | None = None) -> None:
        self.ngram = ngram
        self.table = word_table()
        self.use_numba = use_numba  # None: numba for large batches when installed (_kernels.pick)
        self._scratch = threading.local()  # each thread's buffer of 32-bit code points (_wide)

    def keys(self, texts: Sequence[str]) -> list[str]:
        """Repaired, case-folded texts (punctuation still in place: the table skips it)."""
        return [repair(t).casefold() for t in texts]

    def hash_batch(self, texts: Sequence[str]) -> tuple[U64, I64]:
        """Shingle hashes of many texts, concatenated, and offsets: text i owns
        ``hashes[offsets[i]:offsets[i + 1]]``. Shingles may repeat within a text."""
        hashes, offsets, _, _ = self._hash_batch(texts, words=False)
        return hashes, offsets

    def hash_batch_tokens(
        self, texts: Sequence[str], joined: bool = False, keys: Sequence[str] | None = None
    ) -> tuple[U64, I64, I64, I64]:
        """Like :meth:`hash_batch`, plus where the words are: ``bounds[k]`` is the (start, end)
        of word k in its text's key (:meth:`keys`), and text i owns words
        ``token_offsets[i]:token_offsets[i + 1]``. Shingle w of a text with at least ``ngram``
        words covers its words w .. w + ngram - 1. With ``joined``, the bounds are positions in
        all the keys joined by "\\n" instead (see :meth:`_hash_batch`). ``keys``: the texts'
        :meth:`keys`, when the caller has them (they are not made again).

        >>> h, o, bounds, t = Shingler(ngram=2).hash_batch_tokens(["a bc", "d"])
        >>> bounds.tolist(), t.tolist(), o.tolist()
        ([[0, 1], [2, 4], [0, 1]], [0, 2, 3], [0, 1, 2])
        >>> Shingler(ngram=2).hash_batch_tokens(["a bc", "d"], joined=True)[2].tolist()
        [[0, 1], [2, 4], [5, 6]]
        """
        return self._hash_batch(texts, words=True, joined=joined, keys=keys)

    def _hash_batch(
        self, texts: Sequence[str], words: bool, joined: bool = False, keys: Sequence[str] | None = None
    ) -> tuple[U64, I64, I64, I64]:
        """:meth:`hash_batch_tokens`; without ``words``, the bounds come empty (no rows: only
        passages read them, and placing each in its text was a tenth of the hashing). With
        ``joined``, the bounds are positions in all the keys joined by "\\n" (text i's key
        starts at ``sum(len(key) + 1)`` over the keys before it), as the kernel finds them:
        not moved into each text and back by a caller that wants them so (the dedup stage's
        passage windows)."""
        if keys is None:
            keys = self.keys(texts)
        total = sum(map(len, keys)) + len(keys)
        if keys and total <= _CHUNK_CHARS:
            # A batch within one chunk (a runner's) is taken whole, not walked over a key at a
            # time (0.02 CPU-s of the Reuters bench), and the kernel's arrays are its own (not
            # copied into new ones: their fresh pages cost a few ms over the bench).
            return self._hash_keys(keys, words, joined)
        parts: list[U64] = []
        bound_parts: list[I64] = []
        offsets = [np.zeros(1, dtype=np.int64)]
        token_offsets = [np.zeros(1, dtype=np.int64)]
        base = token_base = char_base = 0
        start = 0
        while start < len(keys):
            # Chunks of about _CHUNK_CHARS keep every temporary array in cache: one 17 MB
            # batch runs 3x slower than the same text in 1 MB chunks (re-check with
            # benchmarks/bench_dedup.py when changing it).
            end, size = start, 0
            while end < len(keys) and (end == start or size + len(keys[end]) <= _CHUNK_CHARS):
                size += len(keys[end]) + 1
                end += 1
            hashes, chunk_offsets, bounds, chunk_tokens = self._hash_keys(keys[start:end], words, joined)
            if joined and char_base:
                bounds += char_base
            char_base += size
            parts.append(hashes)
            offsets.append(chunk_offsets[1:] + base)
            token_offsets.append(chunk_tokens[1:] + token_base)
            bound_parts.append(bounds)
            base += len(hashes)
            token_base += int(chunk_tokens[-1])
            start = end
        all_hashes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
        all_bounds = np.concatenate(bound_parts) if bound_parts else np.zeros((0, 2), dtype=np.int64)
        return all_hashes, np.concatenate(offsets), all_bounds, np.concatenate(token_offsets)

    def _hash_keys(self, keys: Sequence[str], words: bool = True, in_join: bool = False) -> tuple[U64, I64, I64, I64]:
        # "\n" is not a word character, so it keeps words of neighbouring texts apart.
        joined = "\n".join(keys)
        cps = code_points(joined)
        if not joined.isascii():
            self._learn_astral(cps)
        lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
        text_starts = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=text_starts[1:])
        kernels: Any = _kernels.pick(self.use_numba, len(cps), _kernels.NUMBA_MIN_CHARS)
        if kernels is not _kernels.NUMPY:  # compiled for 32-bit code points only
            cps = self._wide(cps)
        if kernels is _kernels.NUMPY:
            found = kernels.shingle_hashes(cps, self.table, text_starts, self.ngram, words)
        else:
            found = kernels.shingle_hashes(cps, self.table, text_starts, self.ngram)
        hashes, offsets, bounds, token_offsets = found
        if not words:
            return hashes, offsets, np.zeros((0, 2), dtype=np.int64), token_offsets
        if in_join:  # positions in the joined keys, as found
            return hashes, offsets, bounds, token_offsets
        # Word positions relative to their own text's key, not to the joined chunk.
        bounds = bounds - np.repeat(text_starts[:-1], np.diff(token_offsets))[:, None]
        return hashes, offsets, bounds, token_offsets

    def _wide(self, cps: npt.NDArray[np.uint8] | npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
        """``cps`` as 32-bit code points: an ASCII chunk's bytes widened into a buffer the thread
        keeps for its next chunks (up to _CHUNK_CHARS; a longer lone text gets its own array).
        The widening is cheap, the fresh pages of a new array each chunk are not: Shingler.hash_batch
        over a dedup run of the Reuters bench took 91 -> 79.5 ms (in process, alternated, compiled
        kernels). The kernel keeps no view of its input."""
        if cps.dtype == np.uint32:
            return cps.astype(np.uint32, copy=False)  # itself
        if cps.size > _CHUNK_CHARS:
            return cps.astype(np.uint32)
        buffer: npt.NDArray[np.uint32] | None = getattr(self._scratch, "cps", None)
        if buffer is None or buffer.size < cps.size:
            buffer = self._scratch.cps = np.empty(_CHUNK_CHARS, dtype=np.uint32)
        wide = buffer[: cps.size]
        wide[...] = cps
        return wide

    def _learn_astral(self, cps: npt.NDArray[np.uint8] | npt.NDArray[np.uint32]) -> None:
        """Fill the table for characters beyond U+FFFF as they are met (rare; str.isalnum each)."""
        for cp in sorted(set(cps[cps > 0xFFFF].tolist())):  # not np.unique: it imports numpy.ma (7 ms)
            ch = chr(cp)
            self.table[cp] = ch.isalnum() or ch == "_"

    def hash_text(self, text: str) -> U64:
        """Shingle hashes of one text.

        >>> len(Shingler(ngram=3).hash_text("a b c d"))
        2
        """
        return self.hash_batch([text])[0]

    def __getstate__(self) -> tuple[int, bool | None]:
        return self.ngram, self.use_numba  # the table is rebuilt, not pickled

    def __setstate__(self, state: tuple[int, bool | None]) -> None:
        self.ngram, self.use_numba = state
        self.table = word_table()
        self._scratch = threading.local()
