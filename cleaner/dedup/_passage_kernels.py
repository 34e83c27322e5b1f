"""The compiled twin of ``passages._split_chunk``'s array passes, loaded from numba's disk cache.

Imported only where numba already runs in the process (``passages._split_chunk`` asks
``_kernels.numba_started``): the numpy passes stay the reference and the path of runs without
numba, with the same spans (tests/dedup/test_passages_windows.py compares them). One sequential
walk over a chunk's code points, where the numpy path pays a few dozen array calls per chunk.
Module-level functions with constant globals only, as in ``_numba_kernels`` (numba's cache key).
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


@numba.njit(cache=True)
def split_spans(cps: Any, space: Any, text_starts: Any, lengths: Any) -> Any:  # pragma: no cover - compiled
    """``(text_of, spans)`` as ``passages._split_chunk`` gives them for the texts at
    ``text_starts`` (``lengths`` long) in the code points ``cps``; ``space``: the whitespace table."""
    # A passage holds at least MIN_WORDS words, each a character and a space apart, and passages
    # never overlap: at most len(cps) // (2 * MIN_WORDS - 1) + 1 of them, bounded generously.
    cap = len(cps) // MIN_WORDS + 1
    text_of = np.empty(cap, dtype=np.int64)
    spans = np.empty((cap, 2), dtype=np.int64)
    n = 0
    for t in range(len(text_starts)):
        base = text_starts[t]
        te = base + lengths[t]
        pos = base  # where the current paragraph starts
        i = base
        while True:
            # The next paragraph break at or after i (the pattern \n[ \t]*\n\s*|\n(?=[ \t]+\S)),
            # or the text's end.
            brk_start, brk_end = te, te
            while i < te:
                if cps[i] == 10:
                    j = i + 1
                    while j < te and (cps[j] == 32 or cps[j] == 9):
                        j += 1
                    if j < te and cps[j] == 10:
                        k = j + 1
                        while k < te and space[cps[k]]:
                            k += 1
                        brk_start, brk_end = i, k
                        break
                    if j > i + 1 and j < te and not space[cps[j]]:
                        brk_start, brk_end = i, i + 1
                        break
                i += 1
            # The paragraph [pos, brk_start): its words, windows closed at the first word
            # ending in . ! or ? once they hold WINDOW_WORDS words, a last window under
            # MIN_WORDS joined to the one before.
            first_n = n
            words = 0  # in the paragraph
            win_words = 0
            win_start = -1
            last_end = -1
            p = pos
            while p < brk_start:
                if space[cps[p]]:
                    p += 1
                    continue
                s = p
                while p < brk_start and not space[cps[p]]:
                    p += 1
                words += 1
                win_words += 1
                if win_start < 0:
                    win_start = s
                last_end = p
                c = cps[p - 1]
                if win_words >= WINDOW_WORDS and (c == 46 or c == 33 or c == 63):
                    text_of[n] = t
                    spans[n, 0] = win_start - base
                    spans[n, 1] = p - base
                    n += 1
                    win_words = 0
                    win_start = -1
            if words < MIN_WORDS:
                n = first_n
            elif win_words > 0:
                if win_words < MIN_WORDS and n > first_n:
                    spans[n - 1, 1] = last_end - base
                else:
                    text_of[n] = t
                    spans[n, 0] = win_start - base
                    spans[n, 1] = last_end - base
                    n += 1
            if brk_start >= te:
                break
            pos = brk_end
            i = brk_end
    return text_of[:n].copy(), spans[:n].copy()
