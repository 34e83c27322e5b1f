"""The compiled twin of ``passages._split_chunk``'s array passes, loaded from numba's disk cache.

Run where it is compiled ahead of time (``_aot``) or numba already runs in the process
(``passages._split_chunk`` asks ``_kernels.compiled``): the numpy passes stay the reference and
the path of runs without either, with the same spans (tests/dedup/test_passages_windows.py
compares them). One sequential walk over a chunk's code points, where the numpy path pays a
few dozen array calls per chunk. Module-level functions with constant globals only, as in
``_numba_kernels`` (numba's cache key).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleaner.jit import import_numba

numba = import_numba()

# passages.MIN_WORDS and WINDOW_WORDS (passages imports this module, so they are repeated here;
# tests/dedup/test_passages_windows.py checks they agree).
MIN_WORDS = 8
WINDOW_WORDS = 40


@numba.njit(cache=True, inline="always")
def _close_paragraph(
    text_of: Any,
    spans: Any,
    n: int,
    first_n: int,
    t: int,
    base: int,
    words: int,
    win_words: int,
    win_start: int,
    last_end: int,
) -> int:  # pragma: no cover - compiled
    """The passages so far once a paragraph ends: none of it under MIN_WORDS words, else its
    open window added, or joined to the one before where it holds under MIN_WORDS words."""
    if words < MIN_WORDS:
        return first_n
    if win_words > 0:
        if win_words < MIN_WORDS and n > first_n:
            spans[n - 1, 1] = last_end - base
        else:
            text_of[n] = t
            spans[n, 0] = win_start - base
            spans[n, 1] = last_end - base
            n += 1
    return n


@numba.njit(cache=True)
def split_spans(cps: Any, space: Any, text_starts: Any, lengths: Any) -> Any:  # pragma: no cover - compiled
    """``(text_of, spans)`` as ``passages._split_chunk`` gives them for the texts at
    ``text_starts`` (``lengths`` long) in the code points ``cps``; ``space``: the whitespace table.

    One pass over each text: a word (a run of characters that are not whitespace) goes into the
    open window, which closes at a word ending in . ! or ? once it holds WINDOW_WORDS words; a
    paragraph break (the pattern \\n[ \\t]*\\n\\s*|\\n(?=[ \\t]+\\S), looked for at each line
    break between words) or the text's end closes the paragraph.
    """
    # A passage holds at least MIN_WORDS words, each a character and a space apart, and passages
    # never overlap: at most len(cps) // (2 * MIN_WORDS - 1) + 1 of them, bounded generously.
    cap = len(cps) // MIN_WORDS + 1
    text_of = np.empty(cap, dtype=np.int64)
    spans = np.empty((cap, 2), dtype=np.int64)
    n = 0
    for t in range(len(text_starts)):
        base = text_starts[t]
        te = base + lengths[t]
        first_n = n  # the current paragraph's first passage
        words = win_words = 0
        win_start = last_end = -1
        i = base
        while i < te:
            # The walk's loads index with i as unsigned (it never is negative): numba wraps a
            # signed index (a shift, an and and an add before each load), unable to tell i >= 0.
            c = cps[np.uint64(i)]
            if space[c]:
                if c == 10:
                    j = i + 1
                    while j < te and (cps[j] == 32 or cps[j] == 9):
                        j += 1
                    brk_end = -1
                    if j < te and cps[j] == 10:  # a blank line, with all the whitespace after it
                        brk_end = j + 1
                        while brk_end < te and space[cps[brk_end]]:
                            brk_end += 1
                    elif j > i + 1 and j < te and not space[cps[j]]:  # an indent: the line break alone
                        brk_end = i + 1
                    if brk_end >= 0:
                        n = _close_paragraph(text_of, spans, n, first_n, t, base, words, win_words, win_start, last_end)
                        first_n = n
                        words = win_words = 0
                        win_start = -1
                        i = brk_end
                        continue
                i += 1
                continue
            start = i
            i += 1
            while i < te and not space[cps[np.uint64(i)]]:
                i += 1
            words += 1
            win_words += 1
            if win_start < 0:
                win_start = start
            last_end = i
            c = cps[i - 1]
            if win_words >= WINDOW_WORDS and (c == 46 or c == 33 or c == 63):  # . ! ?
                text_of[n] = t
                spans[n, 0] = win_start - base
                spans[n, 1] = i - base
                n += 1
                win_words = 0
                win_start = -1
        n = _close_paragraph(text_of, spans, n, first_n, t, base, words, win_words, win_start, last_end)
    return text_of[:n].copy(), spans[:n].copy()
