"""The loops of the quality signals: words and their hashes, top and repeated n-grams.

Written once, as plain functions marked :func:`kernel`; numba compiles them in
:mod:`cleaner.signals._numba_kernels`, and as written they run on numpy scalars (same values,
bit for bit; their 64-bit arithmetic wraps, so call them under ``np.errstate(over="ignore")``).

A document's text goes in once as an array of code points (``numpy.frombuffer`` of its UTF-32
encoding, or of its bytes where it is ASCII: see ``quality.QualityMeasurer.measure_arrays``; the
loops give the same values for either); everything per word happens in these loops, never as a
Python object per word. Word identity is a 64-bit hash of the word's code points (exactly the same
word, same hash; two different words share one with a chance of about 2**-64), so repeated n-grams
are found without building strings.

Tokens follow the usual split of word tokenizers (spaCy's, which datatrove's Gopher filters use for
English) closely enough for the Gopher measures: a run of letters, digits and marks is a word, and
so are the punctuation characters spaCy keeps inside one (``U.S.``, ``11.2``, ``1,000``, ``1/8``,
``3:30``, ``l'homme``, ``LC_ALL``, ``Ba-3``) and hyphens that open one (``-v``, ``--exclude``);
English ``'s`` and ``n't`` are words of their own; any other punctuation or symbol character is a
token of its own, except a run of one of ``. - = * _ ~`` (``...``, ``-----``); spaces and line
breaks separate tokens. spaCy has more rules (``5–10``, ``M&A``, ``and/or`` stay whole there):
benchmarks/bench_quality.py measures what the remaining differences do to the filters.

The character classes come from a table over the Basic Multilingual Plane built once per process
(:func:`char_tables`); a code point beyond it is a letter, except the emoji and symbol blocks.

>>> import numpy as np
>>> flags, lower = char_tables()
>>> cps = np.frombuffer("Hi, hi #".encode("utf-32-le"), dtype=np.uint32)
>>> with np.errstate(over="ignore"):  # run as Python here: its 64-bit hashes wrap, as compiled
...     hashes, lowered, lengths, kinds = tokenize(cps, flags, lower)
>>> lengths.tolist(), kinds.tolist()
([2, 1, 2, 1], [3, 0, 3, 0])
>>> bool(lowered[0] == lowered[2]), bool(hashes[0] == hashes[2])
(True, False)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import numpy as np

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

F = TypeVar("F", bound=Callable[..., Any])

# The names of the compiled loops, in definition order: plain Python here (they run as written,
# on numpy scalars, for a small input), compiled by numba in cleaner.signals._numba_kernels.
KERNELS: list[str] = []


def kernel(fn: F) -> F:
    """Mark ``fn`` as one of the loops that :mod:`cleaner.signals._numba_kernels` compiles."""
    KERNELS.append(fn.__name__)
    return fn


U8: TypeAlias = "npt.NDArray[np.uint8]"
U32: TypeAlias = "npt.NDArray[np.uint32]"
# A text's code points: uint32, or uint8 for an ASCII text (numba compiles the loops for each).
Codes: TypeAlias = "npt.NDArray[np.uint8] | npt.NDArray[np.uint32]"
U64: TypeAlias = "npt.NDArray[np.uint64]"
I64: TypeAlias = "npt.NDArray[np.int64]"

# Character class bits of the table.
SPACE, NEWLINE, ALPHA, WORD, PUNCT, TERMINAL, DIGIT = 1, 2, 4, 8, 16, 32, 64
# Token kind bits.
HAS_ALPHA, NON_SYMBOL = 1, 2

# Unicode's Sentence_Terminal characters: the set datatrove's FineWeb filter counts as a line's
# end of sentence (datatrove.utils.text.TERMINAL_PUNCTUATION, the same 159 characters).
TERMINAL_PUNCTUATION = (
    "!.?\u0589\u061d\u061e\u061f\u06d4\u0700\u0701\u0702\u07f9\u0837\u0839\u083d\u083e\u0964\u0965\u104a"
    "\u104b\u1362\u1367\u1368\u166e\u1735\u1736\u17d4\u17d5\u17d6\u17d9\u17da\u1803\u1809\u1944\u1945"
    "\u1aa8\u1aa9\u1aaa\u1aab\u1b5a\u1b5b\u1b5e\u1b5f\u1b7d\u1b7e\u1c3b\u1c3c\u1c7e\u1c7f\u203c\u203d"
    "\u2047\u2048\u2049\u2e2e\u2e3c\u2e53\u2e54\u3002\ua4ff\ua60e\ua60f\ua6f3\ua6f7\ua876\ua877\ua8ce"
    "\ua8cf\ua92f\ua9c8\ua9c9\uaa5d\uaa5e\uaa5f\uaaf0\uaaf1\uabeb\ufe52\ufe56\ufe57\uff01\uff0e\uff1f"
    "\uff61\U00010a56\U00010a57\U00010f55\U00010f56\U00010f57\U00010f58\U00010f59\U00010f86\U00010f87"
    "\U00010f88\U00010f89\U00011047\U00011048\U000110be\U000110bf\U000110c0\U000110c1\U00011141\U00011142"
    "\U00011143\U000111c5\U000111c6\U000111cd\U000111de\U000111df\U00011238\U00011239\U0001123b\U0001123c"
    "\U000112a9\U0001144b\U0001144c\U000115c2\U000115c3\U000115c9\U000115ca\U000115cb\U000115cc\U000115cd"
    "\U000115ce\U000115cf\U000115d0\U000115d1\U000115d2\U000115d3\U000115d4\U000115d5\U000115d6\U000115d7"
    "\U00011641\U00011642\U0001173c\U0001173d\U0001173e\U00011944\U00011946\U00011a42\U00011a43\U00011a9b"
    "\U00011a9c\U00011c41\U00011c42\U00011ef7\U00011ef8\U00011f43\U00011f44\U00016a6e\U00016a6f\U00016af5"
    "\U00016b37\U00016b38\U00016b44\U00016e98\U0001bc9f\U0001da88"
)

# Odd 64-bit multipliers (FNV-1a's prime and the golden ratio); changing them changes no result,
# only which astronomically unlikely pairs of words would collide.
_FNV = np.uint64(0x100000001B3)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_S33 = np.uint64(33)
_ONE = np.uint64(1)


# char_tables() as computed once (flags, lower and the Unicode version of unicodedata): loading it
# takes 1 ms where computing it takes 25-30 (a tenth of the signals stage on the five seeds). Stored
# uncompressed (320 KB): inflating the compressed copy (90 KB) took 1.3 ms more of every start.
# Rewrite it with ``python -c "from cleaner.signals._kernels import write_char_tables; write_char_tables()"``
# (tests/signals/test_signal_loops.py checks that it equals the computed tables).
CHAR_TABLES_FILE = "char_tables.npz"


def char_tables() -> tuple[U8, U32]:
    """The class bits and the lowercase of every code point of the Basic Multilingual Plane.

    Read from :data:`CHAR_TABLES_FILE` when it was written with this Python's Unicode version,
    else computed (:func:`compute_char_tables`).
    """
    from importlib import resources

    try:
        with resources.files("cleaner.signals").joinpath(CHAR_TABLES_FILE).open("rb") as handle:
            stored = np.load(handle)
            if str(stored["unicode"]) == unicodedata.unidata_version:
                return stored["flags"], stored["lower"]
    except FileNotFoundError:
        pass
    return compute_char_tables()


def write_char_tables() -> None:
    """Write :func:`compute_char_tables` to the package's :data:`CHAR_TABLES_FILE`."""
    from importlib import resources

    flags, lower = compute_char_tables()
    path = resources.files("cleaner.signals").joinpath(CHAR_TABLES_FILE)
    with open(str(path), "wb") as handle:
        np.savez(handle, flags=flags, lower=lower, unicode=np.str_(unicodedata.unidata_version))


def compute_char_tables() -> tuple[U8, U32]:
    """The tables of :func:`char_tables`, computed from ``unicodedata`` and ``str`` methods.

    Punctuation is every P* and S* category and the control characters other than whitespace,
    as datatrove's PUNCTUATION set holds them; letters are what ``str.isalpha`` accepts.
    """
    flags = np.zeros(0x10000, dtype=np.uint8)
    lower = np.arange(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        ch = chr(cp)
        if ch == "\n":
            flags[cp] = NEWLINE
        elif ch.isspace():
            flags[cp] = SPACE
        else:
            cat = unicodedata.category(ch)
            if cat[0] in "PS" or cat == "Cc":
                flags[cp] = PUNCT
            else:
                flags[cp] = WORD | (ALPHA if ch.isalpha() else 0) | (DIGIT if ch.isdigit() else 0)
            low = ch.lower()
            if len(low) == 1:
                lower[cp] = ord(low)
    for ch in TERMINAL_PUNCTUATION:
        if ord(ch) < 0x10000:
            flags[ord(ch)] |= TERMINAL
    return flags, lower


@kernel
def _flag(cp: int, flags: U8) -> int:
    if cp < 0x10000:
        return int(flags[cp])
    if 0x1F000 <= cp <= 0x1FAFF:  # emoji, playing cards, pictographs: symbols
        return PUNCT
    return WORD | ALPHA


@kernel
def _ends_word(cps: Codes, flags: U8, i: int) -> bool:
    return i >= cps.shape[0] or (_flag(int(cps[i]), flags) & (SPACE | NEWLINE | PUNCT)) != 0


@kernel
def _clitic(cps: Codes, flags: U8, i: int) -> int:
    """2 where an English "'s" starts at ``i``, 1 where "n't" does, else 0 (spaCy splits both off)."""
    n = cps.shape[0]
    c = int(cps[i])
    if (c == 39 or c == 0x2019) and i + 1 < n and (cps[i + 1] == 115 or cps[i + 1] == 83):
        return 2 if _ends_word(cps, flags, i + 2) else 0
    nt = (c == 110 or c == 78) and i + 2 < n and (cps[i + 1] == 39 or cps[i + 1] == 0x2019)
    return 1 if nt and (cps[i + 2] == 116 or cps[i + 2] == 84) and _ends_word(cps, flags, i + 3) else 0


@kernel
def _mix(x: np.uint64) -> np.uint64:
    x = x ^ (x >> _S33)
    x = x * _M1
    return x ^ (x >> _S33)


@kernel
def _word_hash(cps: Codes, flags: U8, lower: U32, start: int, first: int, end: int) -> tuple[np.uint64, np.uint64, int]:
    """The hash, case-folded hash and kind of :func:`tokenize`'s word from ``start`` to ``end``
    (``start`` to ``first``: the hyphens attached to it), as its loop leaves them there."""
    h = np.uint64(0xCBF29CE484222325)
    for _ in range(start, first):
        h = (h ^ np.uint64(45)) * _FNV
    hl = h
    kind = NON_SYMBOL
    for j in range(first, end):
        c = int(cps[j])
        if _flag(c, flags) & ALPHA:
            kind |= HAS_ALPHA
        h = (h ^ np.uint64(c)) * _FNV
        low = int(lower[c]) if c < 0x10000 else c
        hl = (hl ^ np.uint64(low)) * _FNV
    return h, hl, kind


@kernel
def tokenize(cps: Codes, flags: U8, lower: U32) -> tuple[U64, U64, I64, U8]:
    """Tokens of a text: hash, case-folded hash, length in characters, kind bits (HAS_ALPHA, NON_SYMBOL)."""
    n = cps.shape[0]
    hashes = np.empty(n, dtype=np.uint64)
    lowered = np.empty(n, dtype=np.uint64)
    lengths = np.empty(n, dtype=np.int64)
    kinds = np.empty(n, dtype=np.uint8)
    count = 0
    i = 0
    while i < n:
        cp = int(cps[np.uint64(i)])  # unsigned: see _find
        f = _flag(cp, flags)
        if f & (SPACE | NEWLINE):
            i += 1
            continue
        h = np.uint64(0xCBF29CE484222325)
        hl = h
        kind = 0
        start = i
        attach = False
        if cp == 45 and (i == 0 or _flag(int(cps[i - 1]), flags) & (SPACE | NEWLINE)):
            # Hyphens that open a word stay with it, as in spaCy: "-v", "--exclude", "-5".
            j = i
            while j < n and cps[j] == 45:
                j += 1
            if j < n and not (_flag(int(cps[j]), flags) & (SPACE | NEWLINE | PUNCT)):
                for _ in range(i, j):
                    h = (h ^ np.uint64(45)) * _FNV
                hl = h
                i = j
                attach = True
        if not attach and (cp == 39 or cp == 0x2019) and _clitic(cps, flags, i) == 2:
            # English "'s" is a word of its own, as spaCy splits "bank's" into "bank" "'s".
            kind = NON_SYMBOL | HAS_ALPHA
            for j in range(2):
                c = int(cps[i + j])
                h = (h ^ np.uint64(c)) * _FNV
                hl = (hl ^ np.uint64(int(lower[c]) if c < 0x10000 else c)) * _FNV
            i += 2
        elif not attach and f & PUNCT:
            # One punctuation character per token, except a run of one of . - = * _ ~ ("...",
            # "-----", one token: spaCy splits only its prefix and suffix characters one by one).
            h = (h ^ np.uint64(cp)) * _FNV
            i += 1
            runs = cp == 46 or cp == 45 or cp == 61 or cp == 42 or cp == 95 or cp == 126
            while runs and i < n and int(cps[i]) == cp:
                h = (h ^ np.uint64(cp)) * _FNV
                i += 1
            hl = h
        else:
            kind = NON_SYMBOL
            has_dot = False
            first = i  # past the hyphens of an attached hyphen
            seen = 0  # the class bits of the word's characters or-ed together (-1: judged below)
            while True:
                # The word's plain characters (no space, break or punctuation), the common case, in
                # a loop of their own, then the punctuation character that ended them, if it stays
                # (one loop for both kept the hashes on the stack, stored and loaded again at every
                # character: the dump's texts took 0.22 CPU-s to tokenize so, 0.19 this way).
                g = 0
                c = 0
                while i < n:
                    c = int(cps[np.uint64(i)])  # unsigned: see _find
                    g = _flag(c, flags)
                    if g & (SPACE | NEWLINE | PUNCT):
                        break
                    seen |= g
                    h = (h ^ np.uint64(c)) * _FNV
                    hl = (hl ^ np.uint64(int(lower[c]) if c < 0x10000 else c)) * _FNV
                    i += 1
                if i >= n or g & (SPACE | NEWLINE):
                    break
                if (c == 39 or c == 0x2019) and i - 1 > start and _clitic(cps, flags, i - 1) == 1:
                    # "do|n't", the only clitic that starts at a word character: looked for at
                    # the rare apostrophe after it, and the word hashed again without its "n"
                    # (testing each character for an apostrophe after it cost 0.02 of the 0.17
                    # CPU-s the dump's texts take to tokenize, compiled; at every "n", 0.03 more).
                    i -= 1
                    h, hl, kind = _word_hash(cps, flags, lower, start, first, i)
                    seen = -1
                    break
                if (c == 39 or c == 0x2019) and i > start and _clitic(cps, flags, i) > 0:
                    break  # "bank|'s" (both apostrophes are punctuation)
                # Punctuation inside a word stays in it, as spaCy's English tokenizer keeps it:
                # "U.S", "11.2", "a@b.com", "l'homme" (any of . @ ' ’ between word characters),
                # "1,000", "1/8", "3:30" (, / : between digits), "Ba-3" (a hyphen from a letter
                # to a digit). Other hyphens split: "e-mail", "1987-88", "9-day".
                if c == 46 and (has_dot or (i - start == 1 and seen & ALPHA)) and _ends_word(cps, flags, i + 1):
                    # The final stop of "U.S." and of an initial ("J.") stays with its word.
                    h = (h ^ np.uint64(c)) * _FNV
                    hl = (hl ^ np.uint64(c)) * _FNV
                    i += 1
                    break
                if i + 1 >= n:
                    break
                nxt = _flag(int(cps[i + 1]), flags)
                if nxt & (SPACE | NEWLINE | PUNCT):
                    break
                has_dot = has_dot or c == 46
                prev = _flag(int(cps[i - 1]), flags)
                inside = c == 46 or c == 64 or c == 39 or c == 0x2019 or c == 95
                between_digits = (c == 44 or c == 47 or c == 58) and (nxt & DIGIT) and (prev & DIGIT)
                letter_to_digit = c == 45 and (nxt & DIGIT) and (prev & ALPHA)
                if not (inside or between_digits or letter_to_digit):
                    break
                seen |= g
                h = (h ^ np.uint64(c)) * _FNV
                hl = (hl ^ np.uint64(int(lower[c]))) * _FNV
                i += 1
            if seen >= 0 and seen & ALPHA:
                kind |= HAS_ALPHA
            if i == first:
                # Hyphens that "n't" follows at once ("-n't"): the hyphens alone, punctuation
                # only, as the numpy passes judge a token by its characters.
                kind = 0
        length = i - start
        hashes[count] = _mix(h ^ np.uint64(length))
        lowered[count] = _mix(hl ^ np.uint64(length))
        lengths[count] = length
        kinds[count] = kind
        count += 1
    return hashes[:count], lowered[:count], lengths[:count], kinds[:count]


@kernel
def _ngram_hash(hashes: U64, start: int, n: int) -> np.uint64:
    g = np.uint64(n)
    for j in range(n):
        g = g * _GOLDEN + hashes[start + j]
    return _mix(g)


@kernel
def _table_size(count: int) -> int:
    size = 16
    while size < 2 * count:
        size *= 2
    return size


@kernel
def top_ngram_chars(hashes: U64, lengths: I64, n: int) -> int:
    """Characters covered by the most frequent word n-gram: ``len(" ".join(gram)) * count``.

    Among n-grams with the same count the first to occur wins, as with ``Counter.most_common``
    (datatrove's GopherRepetitionFilter); 0 when the text has fewer than n words.
    """
    grams = hashes.shape[0] - n + 1
    if grams <= 0:
        return 0
    size = _table_size(grams)
    mask = np.int64(size - 1)
    umask = np.uint64(size - 1)
    keys = np.zeros(size, dtype=np.uint64)
    used = np.zeros(size, dtype=np.bool_)
    counts = np.zeros(size, dtype=np.int64)
    first = np.zeros(size, dtype=np.int64)
    best_count, best_first = 0, 0
    for i in range(grams):
        g = _ngram_hash(hashes, i, n)
        slot = np.int64(g & umask)
        while used[slot] and keys[slot] != g:
            slot = (slot + np.int64(1)) & mask
        if not used[slot]:
            used[slot], keys[slot], first[slot] = True, g, i
        counts[slot] += 1
        c = counts[slot]
        if c > best_count or (c == best_count and first[slot] < best_first):
            best_count, best_first = c, first[slot]
    chars = n - 1
    for j in range(n):
        chars += lengths[best_first + j]
    return chars * best_count


@kernel
def dup_ngram_chars(hashes: U64, lengths: I64, n: int) -> int:
    """Characters of word n-grams that repeat an earlier one, counted without overlap.

    The scan of datatrove's ``find_all_duplicate`` (Gopher's "duplicate n-gram character
    fraction"): a repeated n-gram adds its characters (words joined without spaces) and the scan
    jumps past it; a new one is remembered and the scan moves one word on.
    """
    total = hashes.shape[0]
    grams = total - n + 1
    if grams <= 0:
        return 0
    size = _table_size(grams)
    mask = np.int64(size - 1)
    umask = np.uint64(size - 1)
    keys = np.zeros(size, dtype=np.uint64)
    used = np.zeros(size, dtype=np.bool_)
    repeated = 0
    i = 0
    while i < grams:
        g = _ngram_hash(hashes, i, n)
        slot = np.int64(g & umask)
        while used[slot] and keys[slot] != g:
            slot = (slot + np.int64(1)) & mask
        if used[slot]:
            for j in range(n):
                repeated += lengths[i + j]
            i += n
        else:
            used[slot], keys[slot] = True, g
            i += 1
    return repeated


@kernel
def count_members(values: U64, keys: U64) -> tuple[int, int]:
    """How many of ``values`` are in the sorted ``keys``, and how many distinct keys occur in ``values``."""
    m = keys.shape[0]
    if m == 0:
        return 0, 0
    seen = np.zeros(m, dtype=np.bool_)
    hits = 0
    for v in values:
        j = np.searchsorted(keys, v)
        if j < m and keys[j] == v:
            hits += 1
            seen[j] = True
    return hits, int(seen.sum())


@kernel
def _duplicates(hashes: U64, lengths: I64, count: int) -> tuple[int, int]:
    """How many of the first ``count`` pieces repeat an earlier one, and their characters."""
    size = _table_size(count)
    umask = np.uint64(size - 1)
    keys = np.empty(size, dtype=np.uint64)  # a slot's key is written when it is taken (used)
    used = np.zeros(size, dtype=np.bool_)
    dups, chars = 0, 0
    for i in range(count):
        g = hashes[i]
        slot = g & umask  # unsigned: see _find
        while used[slot] and keys[slot] != g:
            slot = (slot + _ONE) & umask
        if used[slot]:
            dups += 1
            chars += lengths[i]
        else:
            used[slot], keys[slot] = True, g
    return dups, chars


@kernel
def _piece_hash(cps: Codes, start: int, end: int) -> np.uint64:
    h = np.uint64(0xCBF29CE484222325)
    for i in range(start, end):
        h = (h ^ np.uint64(cps[i])) * _FNV
    return _mix(h ^ np.uint64(end - start))


@kernel
def line_stats(cps: Codes, flags: U8, short_line: int) -> npt.NDArray[np.int64]:
    """The line and paragraph counts of the Gopher and FineWeb rules, in one pass over the text.

    Lines are split at ``\\n`` only (the normalize stage turns every other line break into one).
    Returns, in order: line breaks, '#' characters, ellipses ('...' counted without overlap, plus
    '…'), non-blank lines, those ending in sentence punctuation, those of at most ``short_line``
    characters, repeated non-blank lines and their characters (FineWeb); lines as
    ``str.splitlines`` gives them, those starting with a bullet, those ending in an ellipsis
    (Gopher quality); pieces between runs of breaks, repeated ones and their characters; paragraphs
    of the stripped text split at two or more breaks, repeated ones and their characters (Gopher
    repetition).

    One pass over the characters hashes each line and counts the marks; only the line breaks are
    counted before it, to size the arrays. A paragraph's hash chains the hashes of its lines, as
    it is its lines joined by single breaks (those cut by the stripping hashed again for their
    part). (It was a pass for the counts, one to find the lines, one to hash them, one to find the
    paragraphs and one to hash them: 0.120 CPU-s for the 25 million characters the 30 MB gen_dump
    dump leaves to the signals stage, compiled, against 0.097 with the paragraphs' characters
    hashed beside the lines' in the one pass. On a machine that took 0.20 for that pass: 0.16 with
    the counts kept in local variables and the code point compared as a signed integer, 0.10 with
    the paragraphs chained from their lines' hashes too. Session 20: 0.125 -> 0.085 with each
    line's characters in a loop of their own, which keeps the hash and the counts in registers,
    where one loop over all characters with the line's end in it loaded and stored some of them
    at every character.)
    """
    n = cps.shape[0]
    out = np.zeros(18, dtype=np.int64)
    breaks = 0
    for i in range(n):
        breaks += cps[i] == 10
    out[0] = breaks
    pieces = breaks + 1
    hashes = np.empty(pieces, dtype=np.uint64)  # the non-blank lines'
    lengths = np.empty(pieces, dtype=np.int64)
    # The pieces between runs of breaks (re.split("\n+", text)) are the lines below that are not
    # empty, the first line even when it is, and an empty piece after a final break.
    piece_hashes = np.empty(pieces, dtype=np.uint64)
    piece_lengths = np.empty(pieces, dtype=np.int64)
    paragraph_hashes = np.empty(pieces, dtype=np.uint64)
    paragraph_lengths = np.empty(pieces, dtype=np.int64)
    # Paragraphs: the text stripped of surrounding white space (lo to hi), split at runs of two or
    # more breaks, that is at its empty lines: each is the lines between them (their parts from lo
    # to hi), joined by one break each.
    lo, hi = 0, n
    while lo < hi and _flag(int(cps[lo]), flags) & (SPACE | NEWLINE):
        lo += 1
    while hi > lo and _flag(int(cps[hi - 1]), flags) & (SPACE | NEWLINE):
        hi -= 1
    paragraphs = 0
    paragraph_hash = np.uint64(0xCBF29CE484222325)
    paragraph_lines, paragraph_chars = 0, 0
    count = 0  # pieces
    nonblank = 0
    # The per-character counts in local variables, written to out once at the end, and the code
    # point as a signed integer: a uint64 compared with an int literal is compared as float64 by
    # numba, and a count kept in out is read and written back at every character.
    sharps, ellipses = 0, 0
    start = 0
    while True:
        # The line's characters up to its break (or the text's end), in a loop of their own: its
        # hash, and the marks counted. An ellipsis is counted at every third full stop of a run
        # (a run of k holds k // 3).
        line_hash = np.uint64(0xCBF29CE484222325)
        dots = 0
        end = start
        while end < n:
            c = int(cps[np.uint64(end)])  # unsigned: see _find
            if c == 10:
                break
            line_hash = (line_hash ^ np.uint64(c)) * _FNV
            end += 1
            if c == 46:
                dots += 1
                if dots == 3:
                    ellipses += 1
                    dots = 0
            else:
                dots = 0
                if c == 35:  # '#'
                    sharps += 1
                elif c == 0x2026:  # '…'
                    ellipses += 1
        if end == n and start == n:
            break  # no line after a final break (nor in "")
        # The line from start to end: a splitlines() line and, unless empty, a piece.
        out[7] += 1
        line_hash = _mix(line_hash ^ np.uint64(end - start))
        a, b = max(start, lo), min(end, hi)
        if a < b:  # the line's part in the stripped text, the next line of its paragraph
            part = line_hash if a == start and b == end else _piece_hash(cps, a, b)
            paragraph_hash = (paragraph_hash ^ part) * _FNV
            paragraph_chars += b - a + (paragraph_lines > 0)
            paragraph_lines += 1
        elif paragraph_lines:  # an empty line (or the first past hi) ends the paragraph
            paragraph_hashes[paragraphs] = _mix(paragraph_hash ^ np.uint64(paragraph_chars))
            paragraph_lengths[paragraphs] = paragraph_chars
            paragraphs += 1
            paragraph_hash = np.uint64(0xCBF29CE484222325)
            paragraph_lines, paragraph_chars = 0, 0
        if end > start or start == 0:
            piece_hashes[count] = line_hash
            piece_lengths[count] = end - start
            count += 1
        first, last = start, end - 1
        while first < end and _flag(int(cps[first]), flags) & SPACE:
            first += 1
        while last >= first and _flag(int(cps[last]), flags) & SPACE:
            last -= 1
        if first < end:
            lead = cps[first]
            if lead == 0x2022 or lead == 45:  # '•' or '-'
                out[8] += 1
            if cps[last] == 0x2026 or (
                last - 2 >= first and cps[last] == 46 and cps[last - 1] == 46 and cps[last - 2] == 46
            ):
                out[9] += 1
            # Non-blank (FineWeb): the line as written, trailing spaces included.
            out[3] += 1
            if _flag(int(cps[end - 1]), flags) & TERMINAL:
                out[4] += 1
            if end - start <= short_line:
                out[5] += 1
            hashes[nonblank] = line_hash
            lengths[nonblank] = end - start
            nonblank += 1
        if end == n:
            break
        start = end + 1
    out[1], out[2] = sharps, ellipses
    out[6], out[17] = _duplicates(hashes, lengths, nonblank)
    if n == 0 or cps[n - 1] == 10:  # the empty piece after a final break (the only one of "")
        piece_hashes[count] = _piece_hash(cps, n, n)
        piece_lengths[count] = 0
        count += 1
    out[10] = count
    out[11], out[12] = _duplicates(piece_hashes, piece_lengths, count)
    if paragraph_lines or paragraphs == 0:
        # The last paragraph (the only one, empty, of a text of white space alone).
        paragraph_hashes[paragraphs] = _mix(paragraph_hash ^ np.uint64(paragraph_chars))
        paragraph_lengths[paragraphs] = paragraph_chars
        paragraphs += 1
    out[13] = paragraphs
    out[14], out[15] = _duplicates(paragraph_hashes, paragraph_lengths, paragraphs)
    return out


def hash_set(keys: U64) -> tuple[U64, npt.NDArray[np.bool_]]:
    """An open-addressing table of ``keys`` for :func:`doc_signals` (slots, and which are used),
    at most an eighth full: a token's key then finds its home slot free or its own most of the time."""
    size = _table_size(4 * len(keys))
    mask = size - 1
    # The distinct keys in ascending order (np.unique's; not np.unique: it imports numpy.ma, 7 ms),
    # each placed at its home slot or the first free one after it, in that order. The probing runs
    # on the home slots as small Python ints and a list; the keys are written in one assignment
    # (a loop over the keys as Python ints, sorting them and writing them one slot at a time, cost
    # four times as much: 3.6 ms for the stop words of the 181 Scrapinghub pages' eight languages).
    ordered = np.sort(keys.astype(np.uint64, copy=False))
    if ordered.shape[0] > 1:
        ordered = ordered[np.append(True, ordered[1:] != ordered[:-1])]
    taken = [False] * size
    places = []
    for slot in (ordered & np.uint64(mask)).tolist():
        while taken[slot]:
            slot = (slot + 1) & mask
        taken[slot] = True
        places.append(slot)
    table = np.zeros(size, dtype=np.uint64)
    table[places] = ordered
    # The used slots marked in one assignment too: np.array of the list took as long as the rest
    # once the tables were four times larger (2.7 against 1.3 ms for those eight languages).
    used = np.zeros(size, dtype=np.bool_)
    used[places] = True
    return table, used


@kernel
def _find(table: U64, used: npt.NDArray[np.bool_], key: np.uint64) -> int:
    """The slot of ``key`` in a :func:`hash_set` table, or -1."""
    # The slot is unsigned, as the n-gram and piece tables' are: numba wraps every signed index
    # (adds the length where it is negative: a shift, an and and an add before each load); with
    # them all, docs_signals over the 30 MB gen_dump dump's texts 0.51 -> 0.49 CPU-s, compiled.
    mask = np.uint64(table.shape[0] - 1)
    slot = key & mask
    while used[slot]:
        if table[slot] == key:
            return int(np.int64(slot))  # int(slot) of a uint64 would make the -1 below a float
        slot = (slot + _ONE) & mask
    return -1


# Positions in the array doc_signals returns (quality.SIGNALS names them in this order).
N_SIGNALS = 25


@kernel
def _count_signals(
    out: npt.NDArray[np.float64],
    words: int,
    word_chars: int,
    alpha: int,
    tokens: int,
    stops: int,
    gopher: int,
    lines: npt.NDArray[np.int64] | list[int],
    chars: int,
) -> None:
    """``out[0:16]``: the counts and the line statistics' ratios (shared by the numpy passes)."""
    out[0] = words
    out[1] = word_chars / words if words else 0.0
    out[2] = alpha / tokens if tokens else 0.0
    out[3] = max(lines[1], lines[2]) / tokens if tokens else 0.0
    out[4] = lines[4] / lines[3] if lines[3] else 0.0
    out[5] = stops
    out[6] = gopher
    out[7] = lines[8] / lines[7] if lines[7] else 0.0
    out[8] = lines[9] / lines[7] if lines[7] else 0.0
    out[9] = lines[5] / lines[3] if lines[3] else 0.0
    out[10] = lines[0] / tokens if tokens else 0.0
    out[11] = lines[11] / lines[10] if lines[10] else 0.0
    out[12] = lines[14] / lines[13] if lines[13] else 0.0
    out[13] = lines[12] / chars if chars else 0.0
    out[14] = lines[15] / chars if chars else 0.0
    body = chars - lines[0]
    out[15] = lines[17] / body if body else 0.0


@kernel
def doc_signals(
    cps: Codes,
    flags: U8,
    lower: U32,
    stop_table: U64,
    stop_used: npt.NDArray[np.bool_],
    gopher_table: U64,
    gopher_used: npt.NDArray[np.bool_],
    short_line: int,
) -> npt.NDArray[np.float64]:
    """Every quality signal of one text, in the order of ``quality.SIGNALS``."""
    out = np.zeros(N_SIGNALS, dtype=np.float64)
    chars = cps.shape[0]
    hashes, lowered, lengths, kinds = tokenize(cps, flags, lower)
    tokens = hashes.shape[0]
    lines = line_stats(cps, flags, short_line)
    words, word_chars, alpha, stops = 0, 0, 0, 0
    gopher_seen = np.zeros(gopher_table.shape[0], dtype=np.bool_)
    # Each token's stop-word and Gopher lookups compare the key at its home slot without a branch
    # on the outcome, and probe on only where another key sits there (the tables are at most an
    # eighth full: see hash_set). A stop word is about every third token of English text, so a
    # branch on "is it one" is mispredicted about as often; so is one on "is the home slot used".
    # (The dump's texts through docs_signals, compiled: 0.430 -> 0.389 CPU-s, with the Gopher table
    # probed for every token where it was probed only for the stop words.)
    smask = np.uint64(stop_table.shape[0] - 1)
    gmask = np.uint64(gopher_table.shape[0] - 1)
    for t in range(tokens):
        kind = int(kinds[t])
        word = (kind & NON_SYMBOL) >> 1
        words += word
        word_chars += lengths[t] * word
        alpha += kind & HAS_ALPHA
        key = lowered[t]
        slot = key & smask
        used = stop_used[slot]
        stop = used & (stop_table[slot] == key)
        if used != stop:  # another key at its home slot
            stop = _find(stop_table, stop_used, key) >= 0
        stops += int(stop)
        key = hashes[t]
        slot = key & gmask
        used = gopher_used[slot]
        found = used & (gopher_table[slot] == key)
        if used != found:
            at = _find(gopher_table, gopher_used, key)
            if at >= 0:
                gopher_seen[at] = True
        else:
            gopher_seen[slot] |= found
    _count_signals(out, words, word_chars, alpha, tokens, stops, gopher_seen.sum(), lines, chars)
    if chars and tokens:
        _ngram_signals(hashes, lengths, out, chars)
    return out


@kernel
def docs_signals(
    cps: Codes,
    offsets: I64,
    flags: U8,
    lower: U32,
    stop_tables: U64,
    stop_used: npt.NDArray[np.bool_],
    stop_bounds: I64,
    gopher_table: U64,
    gopher_used: npt.NDArray[np.bool_],
    short_line: int,
) -> npt.NDArray[np.float64]:
    """:func:`doc_signals` of each text of a batch, one row each: ``cps`` holds their code points
    one after another (text k from ``offsets[k]`` to ``offsets[k + 1]``), ``stop_tables`` and
    ``stop_used`` their stop-word tables one after another (text k's from ``stop_bounds[k, 0]``
    to ``stop_bounds[k, 1]``). One call for the batch: a call per text cost about 4 us more
    than its loops on the texts of the 30 MB gen_dump dump (a fifth of the stage's loops there).
    """
    texts = offsets.shape[0] - 1
    out = np.empty((texts, N_SIGNALS), dtype=np.float64)
    for k in range(texts):
        a, b = stop_bounds[k, 0], stop_bounds[k, 1]
        out[k] = doc_signals(
            cps[offsets[k] : offsets[k + 1]], flags, lower, stop_tables[a:b], stop_used[a:b], gopher_table,
            gopher_used, short_line,
        )  # fmt: skip
    return out


@kernel
def _ngram_signals(hashes: U64, lengths: I64, out: npt.NDArray[np.float64], chars: int) -> None:
    """Top 2-4-gram and repeated 5-10-gram character shares into ``out[16:25]``.

    The same results as :func:`top_ngram_chars` and :func:`dup_ngram_chars`, with the n-gram hashes
    extended one word at a time and one table reused for every n. An n-gram can occur twice only
    where the (n-1)-grams it starts and ends with both do (``repeats``: which ones occur more than
    once, as the previous n's counts found), so the 3- and 4-gram counts look up only those
    candidates: every other n-gram occurs once, and when no candidate occurs twice the top n-gram
    is the first one, once. The repeated 5-10-grams look up only n-grams whose first and last
    4-grams repeat: any other is new, and never found again, so the scan moves past it without
    remembering it. Over the dump's 4.5 million tokens, compiled: 0.16 CPU-s before these
    candidates, 0.10 with them (counting the three in one pass, three tables, took 0.112 of an
    earlier 0.109).
    """
    tokens = hashes.shape[0]
    size = _table_size(tokens)
    umask = np.uint64(size - 1)
    # A slot's key, count and first position are written when it is taken (``used``), so only
    # ``used`` starts zeroed (zeroing all four took 0.01 CPU-s of these loops' 0.136 on the dump).
    keys = np.empty(size, dtype=np.uint64)
    used = np.zeros(size, dtype=np.bool_)
    counts = np.empty(size, dtype=np.int64)
    first = np.empty(size, dtype=np.int64)
    state = np.empty(tokens, dtype=np.uint64)  # unmixed running hash of the n-gram starting at i
    span = np.empty(tokens, dtype=np.int64)  # characters of its words
    slots = np.empty(tokens, dtype=np.int64)  # the slot of the n-gram starting at i, or -1: not counted
    repeats = np.empty(tokens, dtype=np.bool_)  # whether the n-gram starting at i occurs more than once
    for i in range(tokens):
        state[i] = np.uint64(1) * _GOLDEN + hashes[i]
        span[i] = lengths[i]
    for n in range(2, 11):
        grams = tokens - n + 1
        if grams <= 0:
            return
        for i in range(grams):
            state[i] = state[i] * _GOLDEN + hashes[i + n - 1]
            span[i] += lengths[i + n - 1]
        used[:] = False
        if n <= 4:
            best_count, best_first = 0, 0
            for i in range(grams):
                if n > 2 and not (repeats[i] and repeats[i + 1]):
                    slots[i] = -1
                    continue
                g = _mix(state[i] ^ np.uint64(n))
                slot = g & umask  # unsigned: see _find
                while used[slot] and keys[slot] != g:
                    slot = (slot + _ONE) & umask
                if not used[slot]:
                    used[slot], keys[slot], first[slot], counts[slot] = True, g, i, 0
                counts[slot] += 1
                slots[i] = slot
                c = counts[slot]
                if c > best_count or (c == best_count and first[slot] < best_first):
                    best_count, best_first = c, first[slot]
            if best_count < 2:  # every n-gram occurs once: the first one is the top
                best_count, best_first = 1, 0
            out[16 + n - 2] = (span[best_first] + n - 1) * best_count / chars
            for i in range(grams):
                repeats[i] = slots[i] >= 0 and counts[slots[i]] > 1
        else:
            repeated = 0
            i = 0
            while i < grams:
                # the 4-grams' repeats (i unsigned there: numba wraps a signed index, see _find)
                if not (repeats[np.uint64(i)] and repeats[np.uint64(i + n - 4)]):
                    i += 1
                    continue
                g = _mix(state[i] ^ np.uint64(n))
                slot = g & umask  # unsigned: see _find
                while used[slot] and keys[slot] != g:
                    slot = (slot + _ONE) & umask
                if used[slot]:
                    repeated += span[i]
                    i += n
                else:
                    used[slot], keys[slot] = True, g
                    i += 1
            out[19 + n - 5] = repeated / chars
            if repeated == 0:
                # No n-gram occurs twice (the scan looked up every candidate), so no longer one does:
                # two equal (n+1)-grams start with two equal n-grams. Their shares stay 0.
                return
