"""The quality signals with numpy array operations: the values of :mod:`cleaner.signals._kernels`, bit for bit.

The loops of ``_kernels`` cost about 14 us per character as plain Python, and their numba twins
cost about 0.25-0.5 CPU-s to start in each process. These functions take the same arguments and
return the same values with a few dozen numpy passes per document, so a small run starts no
compiler and runs no Python loop per character. ``docs_signals`` measures a batch of texts with
those passes run once for the whole batch (the per-call cost of numpy is most of a short text's).

**Tokens.** The tokenizer never looks across a space or a line break (a text's start and end
behave as a space does), so whitespace-separated chunks are tokenized one by one. Most chunks are
*plain*: runs of word characters with punctuation before, after or between them, where none of the
punctuation between two runs is one the loop may keep inside a word (``word``, ``word,``,
``"(word)."``, ``...``, ``far-flung``, ``and/or``). Their tokens follow from the character classes
alone: each word run is one token, and each punctuation character starts one, except a run of one
of ``. - = * _ ~``. One apostrophe between two word characters (``we're``, ``it's``, ``don't``)
moves those starts as the loop's clitic rules do. The other chunks (``U.S.``, ``1,000``,
``rock'n'roll``, ``a-1``, ``-v``, an initial ``J.``) go through ``chunk_token_starts``: the steps of
the loop of ``_kernels.tokenize`` on Python integers, without its hashes (five times faster than the
loop). Hashes are then computed for every token at once, one character position at a time
(``max token length`` numpy passes).

**Lines.** The line and paragraph counts use ``str`` methods; repeated lines and paragraphs are
found by string equality where the loops compare 64-bit hashes of the pieces (the same counts unless
two different pieces share a hash, a chance of about 2**-64 per pair).

**N-grams.** The running n-gram hashes are extended for all positions at once; the top n-gram comes
from one stable argsort of them; the repeated-n-gram scan (which jumps past a repeat, so it is sequential)
visits only the positions whose n-gram occurs more than once. Each n looks only where the
(n-1)-gram repeats: the loops would differ from that only where two different n-grams share a
64-bit hash, the same chance of about 2**-64 per pair.

>>> from cleaner.signals._kernels import char_tables
>>> flags, lower = char_tables()
>>> cps = np.frombuffer("Hi, hi #".encode("utf-32-le"), dtype=np.uint32)
>>> hashes, lowered, lengths, kinds = tokenize(cps, flags, lower)
>>> lengths.tolist(), kinds.tolist()
([2, 1, 2, 1], [3, 0, 3, 0])
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from cleaner.signals import _kernels as k

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

name = "numpy"

U8: TypeAlias = "npt.NDArray[np.uint8]"
U32: TypeAlias = "npt.NDArray[np.uint32]"
U64: TypeAlias = "npt.NDArray[np.uint64]"
I64: TypeAlias = "npt.NDArray[np.int64]"
B: TypeAlias = "npt.NDArray[np.bool_]"

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_WS = k.SPACE | k.NEWLINE
# The punctuation characters of which a run is one token (". - = * _ ~"), as a lookup over ASCII.
_RUN_CHARS = np.zeros(128, dtype=np.bool_)
_RUN_CHARS[[46, 45, 61, 42, 95, 126]] = True
_TERMINALS_BMP = frozenset(ch for ch in k.TERMINAL_PUNCTUATION if ord(ch) < 0x10000)


def _mix(x: U64) -> U64:
    x = x ^ (x >> k._S33)
    x = x * k._M1
    return x ^ (x >> k._S33)


def char_flags(cps: U32, flags: U8) -> U8:
    """The class bits of every code point (``_kernels._flag`` for an array)."""
    out = flags.take(cps, mode="clip")  # one pass; the astral code points (clipped) are set below
    astral = cps >= 0x10000
    if astral.any():
        out[astral] = k.WORD | k.ALPHA
        out[astral & (cps >= 0x1F000) & (cps <= 0x1FAFF)] = k.PUNCT
    return out


def _token_starts(
    cps: U32, f: U8, flags: U8, lower: U32, text: str | None, chunk_cache: dict[str, tuple[int, ...]] | None
) -> B:
    """Where each token starts (True on its first character); ``f`` holds the class bits of ``cps``.

    ``chunk_cache`` remembers the loop's tokens of the chunks it was given (by their text).
    """
    n = cps.shape[0]
    nonws = (f & _WS) == 0
    punct = (f & k.PUNCT) != 0
    word = nonws & ~punct
    chunk_first = nonws.copy()
    chunk_first[1:] &= ~nonws[:-1]
    chunk_id = np.cumsum(chunk_first) - 1  # the chunk of each character (meaningless on whitespace)
    chunks = int(chunk_id[-1]) + 1
    prev_punct = np.zeros(n, dtype=np.bool_)
    prev_punct[1:] = punct[:-1]
    word_first = word.copy()  # the first character of a run of word characters
    word_first[1:] &= ~word[:-1]
    runs = np.bincount(chunk_id[word_first], minlength=chunks)
    # A chunk is hard when the loop's special cases can apply: punctuation between two of its word
    # runs that the loop may keep inside a word (". @ _" anywhere, ", / :" between digits, "-" from
    # a letter to a digit: "U.S.", "1,000", "a-1"; apostrophes, but for one between two word
    # characters: see _join_at_apostrophes), a leading hyphen or an apostrophe before its word run
    # (attached hyphens, "'s"), or a one-letter word run followed by a full stop (the initial "J.").
    # Word runs joined by any other punctuation ("far-flung", "2-liter", "and/or", "day—and") split
    # at each punctuation token as plain chunks do. Of the 2447 distinct chunks of the 181 Scrapinghub
    # pages' texts that went to the loop when any two word runs made a chunk hard, 561 still do.
    first_pos = np.flatnonzero(chunk_first)
    has_word = runs > 0
    hard = has_word & (cps[first_pos] == 45)
    seen_word = np.cumsum(word_first)  # word runs so far in the text
    words_before_chunk = seen_word[first_pos] - word_first[first_pos]
    joined = runs > 1
    clitics = np.empty(0, dtype=np.int64)
    if joined.any():
        inner = np.flatnonzero(punct)  # punctuation of chunks with more than one word run...
        inner = inner[joined[chunk_id[inner]]]
        owner = chunk_id[inner]
        begun = seen_word[inner] - words_before_chunk[owner]
        inner = inner[(begun > 0) & (begun < runs[owner])]  # ...between two of their word runs
        c = cps[inner]
        # (a word character follows each, so inner + 1 is inside the text)
        digit_next = (f[inner + 1] & k.DIGIT) != 0
        kept = (c == 46) | (c == 64) | (c == 95)
        kept |= ((c == 44) | (c == 47) | (c == 58)) & ((f[inner - 1] & k.DIGIT) != 0) & digit_next
        kept |= (c == 45) & ((f[inner - 1] & k.ALPHA) != 0) & digit_next
        # One apostrophe between two word characters is worked out below ("we're", "it's", "don't");
        # any other apostrophe between word runs, or a second one, goes to the loop.
        apostrophes = (c == 39) | (c == 0x2019)
        one_apostrophe = apostrophes & word[inner - 1] & word[inner + 1]
        kept |= apostrophes & ~one_apostrophe
        hard[chunk_id[inner[kept]]] = True
        clitics = inner[one_apostrophe]
        hard |= np.bincount(chunk_id[clitics], minlength=chunks) > 1
    apostrophe = nonws & ((cps == 39) | (cps == 0x2019))
    before_word = apostrophe & (seen_word == words_before_chunk[chunk_id])
    hard[chunk_id[before_word]] |= has_word[chunk_id[before_word]]
    stop_next = np.zeros(n, dtype=np.bool_)
    stop_next[:-1] = cps[1:] == 46
    hard[chunk_id[word_first & stop_next & ((f & k.ALPHA) != 0)]] = True
    same_run = np.zeros(n, dtype=np.bool_)
    same_run[1:] = cps[1:] == cps[:-1]
    same_run &= _RUN_CHARS[np.where(cps < 128, cps, 0)]
    starts = chunk_first | (punct & ~(same_run & prev_punct)) | word_first
    if clitics.shape[0]:
        _join_at_apostrophes(clitics[~hard[chunk_id[clitics]]], cps, f, starts)
    if hard.any():
        starts[nonws & hard[chunk_id]] = False
        chunk_last = nonws.copy()
        chunk_last[:-1] &= ~nonws[1:]
        firsts = first_pos[hard].tolist()
        ends = (np.flatnonzero(chunk_last)[hard] + 1).tolist()
        if text is None:
            text = cps.tobytes().decode("utf-32-le", "surrogatepass")
        if chunk_cache is None:
            chunk_cache = {}
        found: list[int] = []
        missing: dict[str, list[int]] = {}
        for first, end in zip(firsts, ends, strict=True):
            chunk = text[first:end]
            offsets = chunk_cache.get(chunk)
            if offsets is None:
                missing.setdefault(chunk, []).append(first)
            else:
                found.extend([first + offset for offset in offsets])
        if missing:
            _tokenize_chunks(list(missing), flags, lower, chunk_cache)
            for chunk, at in missing.items():
                offsets = chunk_cache[chunk]
                found.extend([first + offset for first in at for offset in offsets])
        starts[np.array(found, dtype=np.int64)] = True
    return starts


def _join_at_apostrophes(at: I64, cps: U32, f: U8, starts: B) -> None:
    """The token starts around apostrophes ``at``, each between two word characters and the only
    one of its chunk that is, as the loop sets them (``starts`` holds the plain chunks' starts, where
    the apostrophe and the word run after it each start a token). The loop keeps such an apostrophe
    inside the word ("we're", "O'Brien"), except before an "s" that ends the word, where "'s" is a
    token of its own ("it's" -> "it", "'s"), and after an "n" that does not start the word and before
    a "t" that ends it, where "n't" is ("don't" -> "do", "n't"; "n't" alone is one token)."""
    after = cps[at + 1]
    end = at + 2  # the word ends there (whitespace, punctuation or the end of the text)
    ends = np.ones(at.shape[0], dtype=np.bool_)
    inside = end < cps.shape[0]
    ends[inside] = (f[end[inside]] & _WS_OR_PUNCT) != 0
    before = cps[at - 1]
    s_clitic = ((after == 115) | (after == 83)) & ends
    # (An "n" that starts its word already starts a token: the same starts either way.)
    nt_clitic = ((before == 110) | (before == 78)) & ((after == 116) | (after == 84)) & ends
    starts[at + 1] = False
    starts[at[~s_clitic]] = False
    starts[at[nt_clitic] - 1] = True


def _tokenize_chunks(chunks: list[str], flags: U8, lower: U32, chunk_cache: dict[str, tuple[int, ...]]) -> None:
    """Token starts within each of ``chunks`` (``chunk_token_starts``), into ``chunk_cache``."""
    if len(chunk_cache) > _CACHE_CHUNKS:
        chunk_cache.clear()
    table = flags.tobytes()
    for chunk in chunks:
        chunk_cache[chunk] = chunk_token_starts(chunk, table)


_WS_OR_PUNCT = k.SPACE | k.NEWLINE | k.PUNCT
_RUN_CODES = frozenset(b".-=*_~")
_APOSTROPHES = (39, 0x2019)


def chunk_token_starts(chunk: str, table: bytes) -> tuple[int, ...]:
    """Where the tokens of ``chunk`` (a text without whitespace) start: the boundaries that
    ``_kernels.tokenize`` finds in it, by the same steps on Python integers, without the hashes
    (the numpy passes hash every token at once). ``table``: the class bits of the Basic
    Multilingual Plane as bytes (``char_tables()[0].tobytes()``). tests/signals/test_signal_loops.py
    checks it against the loop on every hard chunk of its texts.

    >>> from cleaner.signals._kernels import char_tables
    >>> table = char_tables()[0].tobytes()
    >>> [chunk_token_starts(chunk, table) for chunk in ["U.S.", "bank's", "don't", "e-mail,", "-v", "1,000"]]
    [(0,), (0, 4), (0, 2), (0, 1, 2, 6), (0,), (0,)]
    """
    cps = [ord(ch) for ch in chunk]
    bits = [table[cp] if cp < 0x10000 else k.PUNCT if 0x1F000 <= cp <= 0x1FAFF else k.WORD | k.ALPHA for cp in cps]
    n = len(cps)

    def ends_word(i: int) -> bool:
        return i >= n or bits[i] & _WS_OR_PUNCT != 0

    def clitic(i: int) -> int:  # _kernels._clitic: 2 where "'s" starts at i, 1 where "n't" does
        c = cps[i]
        if c in _APOSTROPHES and i + 1 < n and cps[i + 1] in (115, 83):
            return 2 if ends_word(i + 2) else 0
        nt = c in (110, 78) and i + 2 < n and cps[i + 1] in _APOSTROPHES
        return 1 if nt and cps[i + 2] in (116, 84) and ends_word(i + 3) else 0

    starts = []
    i = 0
    while i < n:
        cp, f = cps[i], bits[i]
        start = i
        starts.append(i)
        attach = False
        if cp == 45 and i == 0:  # a hyphen that opens a word stays with it ("-v", "--exclude")
            j = i
            while j < n and cps[j] == 45:
                j += 1
            if j < n and not bits[j] & _WS_OR_PUNCT:
                i = j
                attach = True
        if not attach and cp in _APOSTROPHES and clitic(i) == 2:
            i += 2
        elif not attach and f & k.PUNCT:
            i += 1
            if cp in _RUN_CODES:
                while i < n and cps[i] == cp:
                    i += 1
        else:
            has_alpha = has_dot = False
            while i < n:
                c, g = cps[i], bits[i]
                apostrophe_next = i + 1 < n and cps[i + 1] in _APOSTROPHES
                maybe_clitic = c in _APOSTROPHES or (c in (110, 78) and apostrophe_next)
                if maybe_clitic and i > start and clitic(i) > 0:
                    break
                if g & k.PUNCT:
                    if c == 46 and (has_dot or (i - start == 1 and has_alpha)) and ends_word(i + 1):
                        i += 1
                        break
                    if i + 1 >= n:
                        break
                    nxt = bits[i + 1]
                    if nxt & _WS_OR_PUNCT:
                        break
                    has_dot = has_dot or c == 46
                    prev = bits[i - 1]
                    inside = c in (46, 64, 39, 0x2019, 95)
                    between_digits = c in (44, 47, 58) and nxt & k.DIGIT and prev & k.DIGIT
                    letter_to_digit = c == 45 and nxt & k.DIGIT and prev & k.ALPHA
                    if not (inside or between_digits or letter_to_digit):
                        break
                if g & k.ALPHA:
                    has_alpha = True
                i += 1
    return tuple(starts)


# The chunks a measurer remembers the loop's tokens of (a few MB at most); it forgets them all past this.
_CACHE_CHUNKS = 100_000


def _tokens(
    cps: U32, flags: U8, lower: U32, text: str | None = None, chunk_cache: dict[str, tuple[int, ...]] | None = None
) -> tuple[I64, U64, U64, I64, U8]:
    """Start, hash, case-folded hash, length and kind bits of every token of ``cps``."""
    n = cps.shape[0]
    if n == 0:
        return (np.empty(0, np.int64), np.empty(0, np.uint64), np.empty(0, np.uint64),
                np.empty(0, np.int64), np.empty(0, np.uint8))  # fmt: skip
    f = char_flags(cps, flags)
    nonws = (f & _WS) == 0
    if not nonws.any():
        return _tokens(cps[:0], flags, lower)
    starts_at = _token_starts(cps, f, flags, lower, text, chunk_cache)
    starts = np.flatnonzero(starts_at)
    bounds = np.flatnonzero(starts_at | ~nonws)
    ends = np.append(bounds, n)[np.searchsorted(bounds, starts) + 1]
    lengths = ends - starts
    # Case folding: lower[] for word characters; punctuation stays (the loops fold no punctuation
    # character: a punctuation token is hashed as is, and those kept inside words fold to themselves).
    punct = (f & k.PUNCT) != 0
    folded = np.where(punct | (cps >= 0x10000), cps, lower.take(cps, mode="clip")).astype(np.uint64)
    raw = cps.astype(np.uint64)
    longest = int(lengths.max())
    # Longest first, ties in text order: on 16-bit keys numpy's stable sort is a radix sort (a third
    # of the time of sorting the negated int64 lengths); the same order either way.
    by_length = (longest - lengths).astype(np.uint16) if longest < 1 << 16 else -lengths
    order = np.argsort(by_length, kind="stable")
    s_sorted = starts[order]
    l_sorted = lengths[order]
    h = np.full(starts.shape[0], _FNV_OFFSET, dtype=np.uint64)
    hl = h.copy()
    active = np.searchsorted(-l_sorted, -np.arange(1, int(l_sorted[0]) + 1), side="right")
    for j, m in enumerate(active.tolist()):
        at = s_sorted[:m] + j
        h[:m] = (h[:m] ^ raw[at]) * k._FNV
        hl[:m] = (hl[:m] ^ folded[at]) * k._FNV
    hashes = np.empty_like(h)
    lowered = np.empty_like(h)
    u_len = l_sorted.astype(np.uint64)
    hashes[order] = _mix(h ^ u_len)
    lowered[order] = _mix(hl ^ u_len)
    # A token with a word character is a word (NON_SYMBOL): punctuation tokens hold none, while
    # words, "'s" and attached hyphens ("-v") hold at least one.
    # (A logical or over each token's booleans: half the time of summing them as int64.)
    word_chars = np.logical_or.reduceat(nonws & ~punct, starts)
    alpha_chars = np.logical_or.reduceat((f & k.ALPHA) != 0, starts)
    kinds = (np.where(word_chars, k.NON_SYMBOL, 0) | np.where(alpha_chars, k.HAS_ALPHA, 0)).astype(np.uint8)
    return starts, hashes, lowered, lengths, kinds


def tokenize(cps: U32, flags: U8, lower: U32) -> tuple[U64, U64, I64, U8]:
    """Tokens of a text: hash, case-folded hash, length, kind bits (``_kernels.tokenize``'s values)."""
    _, hashes, lowered, lengths, kinds = _tokens(cps, flags, lower)
    return hashes, lowered, lengths, kinds


def _duplicates(pieces: list[str]) -> tuple[int, int]:
    """How many of ``pieces`` repeat an earlier one, and their characters."""
    seen: set[str] = set()
    dups, chars = 0, 0
    for piece in pieces:
        if piece in seen:
            dups += 1
            chars += len(piece)
        else:
            seen.add(piece)
    return dups, chars


def line_stats(text: str, short_line: int) -> list[int]:
    """``_kernels.line_stats`` of ``text`` (the same 18 counts, in the same order)."""
    out = [0] * 18
    out[0] = text.count("\n")
    out[1] = text.count("#")
    out[2] = text.count("\u2026") + text.count("...")  # str.count does not overlap, as the loop
    lines = text.split("\n")
    # The pieces between runs of line breaks (re.split("\n+")): the lines, without the empty ones
    # between two breaks (the first and the last stay, empty or not). A tenth of the regex's time.
    pieces = [lines[0], *[line for line in lines[1:-1] if line], lines[-1]] if len(lines) > 1 else lines[:]
    if text.endswith("\n") or not text:
        lines.pop()  # splitlines() gives no line after a final break (nor for an empty text)
    out[7] = len(lines)
    nonblank = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0] == "\u2022" or stripped[0] == "-":
            out[8] += 1
        if stripped.endswith(("\u2026", "...")):
            out[9] += 1
        if line[-1] in _TERMINALS_BMP:
            out[4] += 1
        if len(line) <= short_line:
            out[5] += 1
        nonblank.append(line)
    out[3] = len(nonblank)
    out[6], out[17] = _duplicates(nonblank)
    out[10] = len(pieces)
    out[11], out[12] = _duplicates(pieces)
    paragraphs = _PARAGRAPHS.split(text.strip())
    out[13] = len(paragraphs)
    out[14], out[15] = _duplicates(paragraphs)
    return out


_PARAGRAPHS = re.compile("\n\n+")


def _dup_ngram(multi: I64, grams: U64, spans: I64, n: int) -> int:
    """Characters of n-grams that repeat an earlier one, scanned as ``_kernels.dup_ngram_chars`` does.

    ``multi`` holds the positions whose n-gram occurs more than once (ascending) and ``grams``
    their hashes: every other position holds a new n-gram, and the scan steps over it.
    """
    repeated, scan = 0, 0
    seen: set[int] = set()
    for pos, gram in zip(multi.tolist(), grams.tolist(), strict=True):
        if pos < scan:
            continue  # inside a repeat the scan jumped past
        if gram in seen:
            repeated += int(spans[pos])
            scan = pos + n
        else:
            seen.add(gram)
            scan = pos + 1
    return repeated


def doc_signals(
    cps: U32,
    flags: U8,
    lower: U32,
    stop_table: U64,
    stop_used: B,
    gopher_table: U64,
    gopher_used: B,
    short_line: int,
    text: str | None = None,
    chunk_cache: dict[str, tuple[int, ...]] | None = None,
) -> npt.NDArray[np.float64]:
    """Every quality signal of one text, in the order of ``quality.SIGNALS`` (``_kernels.doc_signals``)."""
    if text is None:
        text = cps.tobytes().decode("utf-32-le", "surrogatepass")
    _, hashes, lowered, lengths, kinds = _tokens(cps, flags, lower, text, chunk_cache)
    tokens = (hashes, lowered, lengths, kinds)
    (values,) = _batch_values([text], [cps.shape[0]], [0, hashes.shape[0]], tokens, [(stop_table, stop_used)],
                              gopher_table[gopher_used], short_line)  # fmt: skip
    return values


def docs_signals(
    texts: list[str],
    flags: U8,
    lower: U32,
    stops: list[tuple[U64, B]],
    gopher_table: U64,
    gopher_used: B,
    short_line: int,
    chunk_cache: dict[str, tuple[int, ...]] | None = None,
) -> list[npt.NDArray[np.float64]]:
    """doc_signals of each of ``texts`` (``stops``: each one's stop-word table and its used slots).

    Their tokens come from one _tokens pass over the texts joined by line breaks: the tokenizer
    never looks across one, so each text gets the tokens it has alone, and the few dozen numpy
    calls of a pass (the hashing takes one per character position of the longest token) are
    paid once for all of them instead of once per text, most of their cost on short texts.
    """
    if not texts:
        return []
    joined = "\n".join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts, hashes, lowered, lengths, kinds = _tokens(cps, flags, lower, joined, chunk_cache)
    sizes = [len(text) for text in texts]
    begins = np.cumsum([0, *(size + 1 for size in sizes[:-1])])
    cuts = [*np.searchsorted(starts, begins).tolist(), starts.shape[0]]  # each text's first token
    return _batch_values(texts, sizes, cuts, (hashes, lowered, lengths, kinds), stops, gopher_table[gopher_used],
                         short_line)  # fmt: skip


def _batch_values(
    texts: list[str],
    sizes: list[int],
    cuts: list[int],
    tokens: tuple[U64, U64, I64, U8],
    stops: list[tuple[U64, B]],
    gopher: U64,
    short_line: int,
) -> list[npt.NDArray[np.float64]]:
    """The signals of each text of a batch from the batch's tokens (``tokens``: their hashes,
    case-folded hashes, lengths and kinds; text i's from ``cuts[i]`` to ``cuts[i + 1]``;
    ``sizes`` the texts' characters, ``gopher`` the Gopher stop words' hashes). One text is a
    batch of one (doc_signals)."""
    hashes, lowered, lengths, kinds = tokens
    counts = _counts_many(hashes, lowered, lengths, kinds, cuts, stops, gopher)
    out = []
    for i, (text, (words, word_chars, alpha, stop_count, held)) in enumerate(zip(texts, counts, strict=True)):
        values = np.zeros(k.N_SIGNALS, dtype=np.float64)
        lines = line_stats(text, short_line)
        k._count_signals(values, words, word_chars, alpha, cuts[i + 1] - cuts[i], stop_count, held, lines, sizes[i])
        out.append(values)
    _ngram_signals_many(hashes, lengths, cuts, sizes, out)
    return out


def _counts_many(
    hashes: U64, lowered: U64, lengths: I64, kinds: U8, cuts: list[int], stops: list[tuple[U64, B]], gopher: U64
) -> list[tuple[int, int, int, int, int]]:
    """Per text of a batch (its tokens from ``cuts[i]`` to ``cuts[i + 1]``): its words, their
    characters, its tokens with a letter, its stop words (``stops``: each text's table and used
    slots) and how many of the Gopher stop words (``gopher``: their hashes) it holds, as
    the loops count them for each text alone. The sums are differences of running sums over the whole
    batch, and the Gopher words' rare places are found once: a few numpy calls for all the
    texts instead of a dozen per text.
    """
    total = hashes.shape[0]
    bounds = np.asarray(cuts, dtype=np.int64)

    def per_text(values: npt.NDArray[Any]) -> list[int]:
        running = np.zeros(total + 1, dtype=np.int64)
        np.cumsum(values, out=running[1:])
        return (running[bounds[1:]] - running[bounds[:-1]]).tolist()

    is_word = (kinds & k.NON_SYMBOL) != 0
    is_stop = np.zeros(total, dtype=np.bool_)
    groups: dict[int, tuple[U64, B, list[int]]] = {}  # the texts of each stop-word table
    for i, (stop_table, stop_used) in enumerate(stops):
        groups.setdefault(id(stop_table), (stop_table, stop_used, []))[2].append(i)
    for stop_table, stop_used, members in groups.values():
        if not stop_used.any():
            continue
        if len(members) == len(stops):
            places: slice | I64 = slice(0, total)
        else:
            places = np.concatenate([np.arange(cuts[i], cuts[i + 1]) for i in members])
        is_stop[places] = _in_hash_set(stop_table, stop_used, lowered[places])
    held = np.zeros(len(stops), dtype=np.int64)
    for word in gopher.tolist():  # each Gopher word counts once per text that holds it
        hits = np.flatnonzero(hashes == word)
        if hits.shape[0]:
            texts = np.searchsorted(bounds, hits, side="right") - 1  # an empty text's bound is its next's
            present = np.zeros(len(stops), dtype=np.bool_)
            present[texts] = True
            held += present
    return list(zip(
        per_text(is_word), per_text(np.where(is_word, lengths, 0)), per_text((kinds & k.HAS_ALPHA) != 0),
        per_text(is_stop), held.tolist(), strict=True,
    ))  # fmt: skip


def _in_hash_set(table: U64, used: B, keys: U64) -> B:
    """Whether each of ``keys`` is in a ``_kernels.hash_set`` table (its slots and which are used).

    A key sits at most as far past its home slot (``key & (size - 1)``) as the farthest of the
    table's keys sits past its own, so each key is compared with that many slots from its home,
    all keys at once: a few gathers (the table is at most half full) instead of a binary search
    of the sorted keys per token (twice their time on the 181 Scrapinghub pages' tokens).
    """
    mask = table.shape[0] - 1
    slots = np.flatnonzero(used)
    farthest = int(((slots - (table[slots] & np.uint64(mask)).astype(np.int64)) & mask).max())
    home = (keys & np.uint64(mask)).astype(np.intp)
    found = np.zeros(keys.shape[0], dtype=np.bool_)
    for step in range(farthest + 1):
        slot = (home + step) & mask
        found |= used.take(slot) & (table.take(slot) == keys)
    return found


def _ngram_signals_many(
    hashes: U64, lengths: I64, cuts: list[int], chars: list[int], outs: list[npt.NDArray[np.float64]]
) -> None:
    """Top 2-4-gram and repeated 5-10-gram character shares into ``out[16:25]`` of each text of a
    batch (as ``_kernels._ngram_signals`` gives for each alone): ``hashes`` and ``lengths`` hold all
    their tokens, text i's from ``cuts[i]`` to ``cuts[i + 1]``; ``chars`` their characters, ``outs``
    their values. A text without characters or tokens gets none.

    An n-gram can occur twice only where its first n-1 words do, so each n looks only at the
    positions whose (n-1)-gram occurs more than once. The loops key their table by
    ``_mix(state ^ n)``; both steps are one-to-one on 64-bit words, so grouping by the running hash
    itself finds the same groups, without the mixing.

    The same steps for all texts at once, each position's n-grams kept to its own text: the
    running hashes are extended over the whole batch (a position whose n-gram would run past its
    text's last token is left out), equal n-grams are grouped by hash and then text: one stable
    sort of the hashes does both, the positions (and so the texts, which follow each other) staying
    in order among equal hashes, so each group is one run, in position order (a second sort by text
    cost a fifth of the n-gram passes). The per-text answers are read from the groups, in whatever
    order they come; the repeated-n-gram scan runs over each text's own repeats, as for one text.
    """
    total = hashes.shape[0]
    texts = len(outs)
    starts = np.asarray(cuts[:-1], dtype=np.int64)
    sizes = np.asarray(cuts[1:], dtype=np.int64) - starts
    measured = (sizes > 0) & (np.asarray(chars) > 0)  # a text without tokens has no n-grams (as the loops)
    text_of = np.repeat(np.arange(texts), sizes)
    end_of = np.repeat(starts + sizes, sizes)  # the position past each token's text's last token
    state = k._GOLDEN + hashes
    spans = lengths.copy()
    candidates = np.flatnonzero(measured[text_of])
    first_tokens = starts.tolist()
    for n in range(2, 11):
        grams = total - n + 1
        if grams <= 0:
            return
        state = state[:grams] * k._GOLDEN + hashes[n - 1 :]
        spans = spans[:grams] + lengths[n - 1 :]
        candidates = candidates[candidates + n - 1 < end_of[candidates]]
        g = state[candidates]
        owner = text_of[candidates]
        order = np.argsort(g, kind="stable")  # candidates ascend, so their texts do: see above
        ordered, ordered_owner = g[order], owner[order]
        same_as_next = (ordered[1:] == ordered[:-1]) & (ordered_owner[1:] == ordered_owner[:-1])
        in_group = np.zeros(ordered.shape[0], dtype=np.bool_)
        in_group[1:] = same_as_next
        in_group[:-1] |= same_as_next
        repeats = np.empty_like(in_group)
        repeats[order] = in_group
        multi = candidates[repeats]
        has_grams = (measured & (sizes >= n)).tolist()
        if n <= 4:
            # Per text: the most frequent n-gram, the first to occur among equals (all occur once: the first).
            best_count, best_first = [1] * texts, list(first_tokens)
            if multi.shape[0]:
                group_starts = np.flatnonzero(np.concatenate(([True], ~same_as_next)))
                counts = np.diff(np.append(group_starts, ordered.shape[0]))
                group_owner = ordered_owner[group_starts]
                group_first = candidates[order[group_starts]]
                most = np.zeros(texts, dtype=np.int64)
                np.maximum.at(most, group_owner, counts)
                top = (counts == most[group_owner]) & (counts > 1)
                first = np.full(texts, total, dtype=np.int64)
                np.minimum.at(first, group_owner[top], group_first[top])
                for i in np.flatnonzero(most > 1).tolist():
                    best_count[i], best_first[i] = int(most[i]), int(first[i])
            for i in range(texts):
                if has_grams[i]:
                    outs[i][16 + n - 2] = (int(spans[best_first[i]]) + n - 1) * best_count[i] / chars[i]
        else:
            bounds = [*np.searchsorted(multi, starts).tolist(), multi.shape[0]]
            repeated_grams = g[repeats]
            for i in range(texts):
                if has_grams[i]:
                    a, b = bounds[i], bounds[i + 1]
                    outs[i][19 + n - 5] = _dup_ngram(multi[a:b], repeated_grams[a:b], spans, n) / chars[i]
        candidates = multi
