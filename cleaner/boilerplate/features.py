"""Block features for the learned scorer: what the rules saw, as numbers, one row per block.

Every feature is script-independent: lengths count characters and words (Chinese and Japanese
by characters), punctuation includes the full-width and other scripts' stops, and class/id
words enter only through a table of words learned from many sites (``token_scores``), never
through an English word list. The rules' own verdicts (html.analyse) are features too: the
model learns where to trust them and where not.

>>> from cleaner.boilerplate.html import analyse
>>> page = analyse("<div><p>One sentence of text, ending well.</p><p><a href='/'>Home</a></p></div>")
>>> block_features(page, {}).shape == (2, len(FEATURE_NAMES))
True
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from cleaner import cache
from cleaner.record import Reason

if TYPE_CHECKING:
    from cleaner.boilerplate.html import Analysis

# Tags with their own code (the rest share 0); the order is part of the model: append only.
TAGS: tuple[str, ...] = (
    "", "p", "div", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "span", "a", "section", "article",
    "main", "aside", "nav", "header", "footer", "form", "ul", "ol", "dl", "dt", "dd", "table", "tr", "pre",
    "blockquote", "figure", "figcaption", "body", "label", "button", "strong", "em", "code", "time",
)  # fmt: skip
_TAG_CODE = {tag: code for code, tag in enumerate(TAGS)}
# Reason codes for the rules' verdicts and cues (0: none); append only.
REASONS: tuple[Reason | None, ...] = (None, *Reason)
_REASON_CODE = {reason: code for code, reason in enumerate(REASONS)}
# Ancestor tags whose presence is a feature (one bit each).
ANCESTOR_TAGS: tuple[str, ...] = (
    "article", "main", "aside", "nav", "header", "footer", "form", "li", "table", "section", "blockquote",
    "pre", "dl", "figure", "ul", "ol",
)  # fmt: skip
_ANCESTOR_INDEX = {tag: bit for bit, tag in enumerate(ANCESTOR_TAGS)}
# Stops of many scripts: Latin, CJK full-width, Devanagari, Arabic, Armenian, Ethiopic.
_STOPS = frozenset(".!?…。！？।۔؟։።")
_PUNCT = re.compile(r"[.,;:!?。，、！？।۔؟،«»“”\"'()]")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"\w+")
# Scripts written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar): counted by characters. Its
# program comes from the cache folder: compiling the ranges costs about 5 ms a process.
_UNSPACED = cache.compiled(
    r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]"
)
# A class_tokens word: a whole run of 2 to 30 ASCII letters (the runs between non-letters, found
# from C rather than split and filtered by length in Python).
_TOKEN = re.compile(r"(?<![a-z])[a-z]{2,30}(?![a-z])")

FEATURE_NAMES: tuple[str, ...] = (
    "chars_log", "words_log", "link_density", "sentence_end", "punct_per_word", "digit_share", "tag",
    "joined", "position", "char_position", "depth", "good", "rule_reason", "in_container", "nearest_cue",
    "own_cue", "card", "holds_body", "repeats_on_page", "unspaced_share",
    "el_share", "el_link_density", "el_good_share", "el_blocks_log",
    "parent_share", "parent_link_density", "parent_good_share",
    "grand_share", "grand_link_density", "grand_good_share",
    "container_share", *(f"in_{tag}" for tag in ANCESTOR_TAGS), "group_size_log", "group_share",
    "token_own", "token_min", "token_max", "token_sum",
    "prev_chars_log", "prev_link_density", "prev_rule_reason", "next_chars_log", "next_link_density",
    "next_rule_reason", "same_element_prev", "same_element_next",
    "page_blocks_log", "page_chars_log", "page_link_density", "page_good_share", "page_kept_share",
    "page_headlines_log", "page_max_group_log",
    "window_link_density", "window_good", "window_chars_log", "window_rule_kept", "wide_link_density",
    "wide_good", "wide_rule_kept", "items_share", "in_items", "page_kind",
    "container_link_density", "outside_link_density", "page_stop_share", "container_stop_share",
    "outside_stop_share", "repeated_share", "repeated_link_density", "in_repeated", "menu_share",
    "outside_menu_share",
)  # fmt: skip
# page_kind's codes (html.page_kind); append only.
PAGE_KINDS: tuple[str, ...] = ("article", "items", "other")
_COL = {name: j for j, name in enumerate(FEATURE_NAMES)}
# The class strings a block_features memo (class_scores) holds at most: a few MB.
CLASS_SCORES_KEPT = 100_000
# Columns block_features fills several at a time, in the order it computes them.
_UP_COLUMNS = [_COL[f"{prefix}_{name}"] for prefix in ("el", "parent", "grand")
               for name in ("share", "link_density", "good_share")]  # fmt: skip
_IN_TAGS = [_COL[f"in_{tag}"] for tag in ANCESTOR_TAGS]
_ELEMENT_COLUMNS = [_COL[name] for name in (
    "depth", "card", "holds_body", "in_container", "nearest_cue", "own_cue", "group_size_log", "group_share",
    "token_own", "token_min", "token_max", "token_sum", "in_items", "el_blocks_log")]  # fmt: skip
_WINDOW_COLUMNS = [_COL[f"window_{name}"] for name in ("link_density", "good", "rule_kept", "chars_log")]
_WIDE_COLUMNS = [_COL[f"wide_{name}"] for name in ("link_density", "good", "rule_kept")]


def class_tokens(names: str) -> list[str]:
    """The words of a class/id/role string as the token table knows them: lower-case letter runs.

    >>> class_tokens("elementor-widget-container post_body2")
    ['elementor', 'widget', 'container', 'post', 'body']
    """
    return _TOKEN.findall(names.lower())


def text_stats(text: str) -> tuple[int, int, int, int, bool]:
    """Words (unspaced scripts by character), punctuation marks, digits, unspaced characters, stop at the end."""
    words = len(_WORD.findall(text))
    unspaced = 0 if text.isascii() else len(_UNSPACED.findall(text))
    if unspaced:
        words = max(words, unspaced)
    stripped = text.rstrip(" )\"'»”’]")
    stop = bool(stripped) and stripped[-1] in _STOPS
    return words, len(_PUNCT.findall(text)), len(_DIGIT.findall(text)), unspaced, stop


def subtree_sums(own: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per element (the last axis), the sum of ``own`` over its subtree: a subtree is a run of ids
    (html.Elements.ends), so one running sum gives them all. Exact on whole numbers (and halves).

    >>> subtree_sums(np.array([1, 2, 4]), np.array([3, 2, 3])).tolist()  # 0 holds 1 and 2
    [7, 2, 4]
    """
    running = np.zeros((*own.shape[:-1], own.shape[-1] + 1), dtype=own.dtype)
    np.cumsum(own, axis=-1, out=running[..., 1:])
    return running[..., ends] - running[..., :-1]


# Bits of the per-character class table (see _char_classes).
_IS_WORD, _IS_DIGIT, _IS_PUNCT, _IS_UNSPACED = 1, 2, 4, 8
_BMP = 0x10000


@functools.cache
def _char_classes() -> np.ndarray:
    """Per code point of the Basic Multilingual Plane: the classes text_stats counts, as bits.

    Built with the same regular expressions text_stats uses, so both agree character for
    character: a pure function of the patterns and the Unicode tables, kept in the cache folder
    as runs of equal bits (cache.derived, keyed by the patterns and Python's version; reading
    the plane's characters costs about 10 ms a process, the entry well under one).
    """
    entry = cache.key("features-char-classes", *(f"{bit}:{pattern.pattern}" for bit, pattern in _CLASSES))
    values, lengths = cache.derived("features-char-classes", entry, _char_class_runs)
    return np.repeat(np.asarray(values, dtype=np.uint8), np.asarray(lengths, dtype=np.int64))


def _char_class_runs() -> list[list[int]]:
    """_char_classes' table computed from the characters, as runs: their bits and their lengths."""
    plane = np.arange(_BMP, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    table = np.zeros(_BMP, dtype=np.uint8)
    for bit, pattern in _CLASSES:
        for run in re.finditer(f"(?:{pattern.pattern})+", plane):  # characters come in runs: few matches
            table[run.start() : run.end()] |= bit
    starts = np.flatnonzero(np.concatenate([[True], table[1:] != table[:-1]]))
    lengths = np.diff(np.append(starts, _BMP))
    return [table[starts].tolist(), lengths.tolist()]


_WORD_CHAR = re.compile(r"\w")
_CLASSES = ((_IS_WORD, _WORD_CHAR), (_IS_DIGIT, _DIGIT), (_IS_PUNCT, _PUNCT), (_IS_UNSPACED, _UNSPACED))
_STOP_TRAIL = " )\"'»”’]"


def texts_stats(texts: list[str]) -> np.ndarray:
    """text_stats of many texts at once, as float64 rows (words, punctuation, digits, unspaced, stop).

    One pass of numpy over the texts' code points instead of four regular expressions per text
    (a page has a hundred blocks or more: this is most of the cost of its features). The values
    equal text_stats' exactly.

    >>> texts_stats(["Hello, world.", "これは日本語", ""]).tolist()
    [[2.0, 2.0, 0.0, 0.0, 1.0], [6.0, 0.0, 0.0, 6.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]
    """
    n = len(texts)
    out = np.zeros((n, 5), dtype=np.float64)
    if not n:
        return out
    joined = "\n".join(texts)  # "\n" is in no class: words cannot run across two texts
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _char_classes()
    classes = table.take(points, mode="clip")  # astral points (clipped to the plane's last) are redone below
    astral = np.flatnonzero(points >= _BMP)
    for k in astral.tolist():  # emoji and rare scripts: classified one by one
        char = chr(int(points[k]))
        classes[k] = sum(bit for bit, pattern in _CLASSES if pattern.match(char))
    word = (classes & _IS_WORD) != 0
    starts = word.copy()
    starts[1:] &= ~word[:-1]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    begin = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])

    # Word starts and the unspaced, punctuation and digit characters counted per text: the four
    # rows summed over each text and the "\n" after it (in no class) by one reduceat, a text's run
    # from its start to the next one's (a last 0 column: the last text's run, empty or not, ends
    # there). Whole numbers: the same counts as the difference of running sums this replaced
    # (22 -> 6 ms for the 181 Scrapinghub pages' blocks, in process).
    marks = np.empty((4, classes.shape[0] + 1), dtype=np.int32)  # a page's characters: far below 2**31
    marks[0, :-1] = starts
    marks[1:, :-1] = (classes & _COUNTED_BITS) != 0
    marks[:, -1] = 0
    words, unspaced, punct, digits = np.add.reduceat(marks, begin, axis=1).astype(np.float64)
    out[:, 0] = np.maximum(words, unspaced)
    out[:, 1] = punct
    out[:, 2] = digits
    out[:, 3] = unspaced
    out[:, 4] = [text.rstrip(_STOP_TRAIL)[-1:] in _STOPS for text in texts]  # "" (nothing left) is no stop
    return out


# The class bits texts_stats counts besides word starts, one row each: unspaced, punctuation, digits.
_COUNTED_BITS = np.array([[_IS_UNSPACED], [_IS_PUNCT], [_IS_DIGIT]], dtype=np.uint8)


def block_features(
    page: Analysis, token_scores: Mapping[str, float], class_scores: dict[str, float] | None = None
) -> np.ndarray:
    """One row of FEATURE_NAMES per block of ``page`` (float32): block_features_many of one page.

    ``class_scores``: a memo of each class string's own score under ``token_scores`` that the
    caller keeps across pages (model.TreeModel.class_scores); strings repeat from page to page
    (a run's pages hold a third as many distinct ones as they hold per page, summed). It only
    saves time: the rows are the same without it.
    """
    return block_features_many([page], token_scores, class_scores)


# Characters texts_stats counts in one call (its running sums are 32-bit).
_STATS_CHARS = 1 << 30


class _Slots(NamedTuple):
    """Where each page of a batch sits among the batch's slots and blocks (block_features_many)."""

    pages: int
    n_blocks: np.ndarray  # blocks per page
    widths: np.ndarray  # slots per page: its elements and its root's slot
    n: int  # blocks in all
    n_slots: int  # slots in all
    base: np.ndarray  # each page's first slot
    roots: np.ndarray  # each page's root slot: base + width - 1
    first: np.ndarray  # each page's first block
    page_of_slot: np.ndarray
    page_of_block: np.ndarray
    local_parent: np.ndarray  # each slot's parent within its page; -1 at a top element, -2 at the root's slot
    parent: np.ndarray  # each slot's parent slot (the root's slot for a top element and for itself)
    block_slot: np.ndarray  # each block's element's slot (its page's root slot outside every element)


def _slots(pages: Sequence[Analysis]) -> _Slots:
    count = len(pages)
    local_parents: list[int] = []
    owners: list[int] = []
    for page in pages:
        local_parents += page.elements.parents
        local_parents.append(-2)
        owners += page.blocks.owners
    n_blocks = np.array([len(page.blocks) for page in pages], dtype=np.intp)
    widths = np.array([len(page.elements) + 1 for page in pages], dtype=np.intp)
    base = np.zeros(count, dtype=np.intp)
    np.cumsum(widths[:-1], out=base[1:])
    first = np.zeros(count, dtype=np.intp)
    np.cumsum(n_blocks[:-1], out=first[1:])
    roots = base + widths - 1
    page_of_slot, page_of_block = np.repeat(np.arange(count), widths), np.repeat(np.arange(count), n_blocks)
    local_parent = np.array(local_parents, dtype=np.intp)
    parent = np.where(local_parent >= 0, local_parent + base[page_of_slot], roots[page_of_slot])
    owner = np.array(owners, dtype=np.intp)
    block_slot = np.where(owner >= 0, owner + base[page_of_block], roots[page_of_block])
    return _Slots(
        count, n_blocks, widths, int(n_blocks.sum()), int(widths.sum()), base, roots, first, page_of_slot,
        page_of_block, local_parent, parent, block_slot,
    )  # fmt: skip


def block_features_many(
    pages: Sequence[Analysis], token_scores: Mapping[str, float], class_scores: dict[str, float] | None = None
) -> np.ndarray:
    """block_features of each page, the rows of one page after another's (float32), the same values.

    The array passes run once over the blocks and elements of all the pages (a page's hundred
    numpy calls cost about 0.2 ms whatever its size); the loops over elements, the sums of
    floats and the sliding windows still go page by page, in the same order. Each page's
    elements take a run of *slots*, its root's slot last (the slot of blocks outside every
    element, the parent of its top elements and of itself), so a subtree is still a run of
    slots, and a path never leaves its page. (tests/boilerplate/test_block_features_many.py
    compares the rows with the former one-page form's.)
    """
    pages = [page for page in pages if len(page.blocks)]
    if not pages:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    count, n_blocks, widths, n, n_slots, base, roots, first, page_of_slot, page_of_block, local_parent, parent, eids = (
        _slots(pages)
    )
    out = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    # The pages' columns one after another, a root's slot with no element: end -2, tag and names "", zeros.
    local_ends: list[int] = []
    tags: list[str] = []
    names: list[str] = []
    chars_list: list[int] = []
    for page in pages:
        elements = page.elements
        local_ends += elements.ends
        local_ends.append(-2)
        tags += elements.tags
        tags.append("")
        names += elements.names
        names.append("")
        chars_list += page.totals.chars
        chars_list.append(0)
    slot_base = base[page_of_slot]
    element_slots = np.flatnonzero(local_parent != -2)
    # For the loops, -1 at a top element (its path starts there) and the groups' key of its parent.
    parents = np.where(local_parent >= 0, parent, -1).tolist()
    group_parents = np.where(local_parent >= 0, parent, -1 - slot_base).tolist()
    ends = np.array(local_ends, dtype=np.intp)[element_slots] + slot_base[element_slots]
    # Sibling groups: (names, tag, parent) -> members with text and their characters. Each slot's
    # key gets the number of its first slot (one dict.setdefault a slot, from C; a top element's
    # parent in the key is -1 - base, a root's slot's is alone: no two pages share a key); the
    # counts and sums are then array passes, read at every slot, and the largest group of a page
    # is the largest count of its slots.
    first_slot: dict[tuple[str, str, int], int] = {}
    keys = zip(names, tags, group_parents, strict=True)
    key_ids = np.fromiter(map(first_slot.setdefault, keys, itertools.count()), dtype=np.intp, count=n_slots)
    el_chars = _floats(chars_list)  # characters under each slot (0 at a root's)
    members = np.bincount(key_ids, el_chars > 0, minlength=n_slots)[key_ids].astype(np.int64)
    group_chars = np.bincount(key_ids, el_chars, minlength=n_slots)[key_ids]  # whole numbers: exact
    largest_group = np.maximum.reduceat(members, base).tolist()
    # Per slot: depth, the ancestor tags (itself included) as bits, token scores along the path,
    # repeated-group size (zeros at a root's slot). A subtree is a run of slots (Elements.ends): an
    # element's ancestors-or-self are the runs that cover it. An element's depth is its place in its
    # page less its page's elements closed before it; before a slot, every element of the earlier
    # pages has closed (base - k of them).
    closed = np.zeros(n_slots + 1, dtype=np.intp)
    np.cumsum(np.bincount(ends, minlength=n_slots + 1)[:n_slots], out=closed[1:])
    depth = np.zeros(n_slots, dtype=np.float64)
    depth[element_slots] = element_slots - closed[element_slots + 1] - page_of_slot[element_slots]
    code = np.fromiter(map(_ANCESTOR_INDEX.get, tags, itertools.repeat(len(ANCESTOR_TAGS))), np.intp, n_slots)
    width = n_slots + 1
    edges = np.bincount(code[element_slots] * width + element_slots, minlength=(len(ANCESTOR_TAGS) + 1) * width)
    edges -= np.bincount(code[element_slots] * width + ends, minlength=edges.shape[0])
    covers = np.cumsum(edges.reshape(-1, width)[: len(ANCESTOR_TAGS), :n_slots], axis=1) > 0
    anc = (covers << np.arange(len(ANCESTOR_TAGS))[:, None]).sum(axis=0)
    # Only elements that hold a block, and their ancestors, are ever read (a third of a page's
    # elements hold no text at all): the others keep zeros.
    per_slot = np.bincount(eids, minlength=n_slots)  # blocks per element
    running = np.zeros(n_slots + 1, dtype=np.int64)
    np.cumsum(per_slot, out=running[1:])
    needed = element_slots[running[ends] > running[element_slots]].tolist()
    # Per needed element: its own token score; the path's values are then scanned down from the
    # root (the root's slot holds zeros).
    own_of = class_scores if class_scores is not None else {}  # class strings repeat within a page
    t_own = [0.0] * n_slots
    for eid in needed:
        el_names = names[eid]
        if el_names and token_scores:
            own = own_of.get(el_names)
            if own is None:
                scores = list(map(token_scores.get, class_tokens(el_names), itertools.repeat(0.0)))
                own = max(scores, key=abs) if scores else 0.0
                if len(own_of) < CLASS_SCORES_KEPT:
                    own_of[el_names] = own
            t_own[eid] = own
    # The sum along the path, root first: floats, so added in that order, one element at a time.
    t_sum = t_own.copy()
    for eid in needed:
        parent_eid = parents[eid]
        if parent_eid >= 0:
            t_sum[eid] = t_sum[parent_eid] + t_own[eid]
    # The least and the most along the path (0 included), and the largest group along it (the
    # deepest of equals), by pointer jumping: each round doubles the stretch of ancestors seen (a
    # path that reached its root's slot stays there: zeros, and rank 0).
    own_arr = np.array(t_own)
    t_min = np.where(own_arr < 0.0, own_arr, 0.0)  # as min(0.0, ...) keeps the first of equals: never -0.0
    t_max = np.where(own_arr > 0.0, own_arr, 0.0)
    # A slot's sibling group (size, characters) where it has 3 members or more (only the needed
    # slots' are ever read: a path of needed slots holds only needed slots).
    grouped = members >= 3
    size_array = np.where(grouped, members, 0)
    rank = size_array * int(widths.max())  # by size, then depth (unique on a path)
    rank[rank > 0] += depth[rank > 0].astype(np.int64)
    source = np.arange(n_slots, dtype=np.intp)
    jump = parent
    for _ in range(int(depth.max()).bit_length()):
        np.minimum(t_min, t_min[jump], out=t_min)
        np.maximum(t_max, t_max[jump], out=t_max)
        higher = rank[jump] > rank
        rank = np.where(higher, rank[jump], rank)
        source = np.where(higher, source[jump], source)
        jump = jump[jump]
    group_size = size_array[source]
    group_share_raw = np.where(grouped, group_chars, 0.0)[source]

    col = _COL
    texts: list[str] = []
    block_tags: list[str] = []
    joined: list[bool] = []
    links: list[int] = []
    goods_list: list[int] = []
    reasons: list[Reason | None] = []
    repeats: list[int] = []
    for page in pages:
        blocks = page.blocks
        texts += blocks.texts
        block_tags += blocks.tags
        joined += blocks.joined
        links += blocks.links
        goods_list += page.goods
        reasons += page.rule_reasons
        counts = Counter(blocks.texts)
        repeats += [counts[text] - 1 for text in blocks.texts]
    sizes = np.concatenate([page.sizes for page in pages]) if count > 1 else pages[0].sizes
    link_chars = _floats(links)
    stats = _texts_stats_of(pages, texts)
    words = stats[:, 0]
    # Page sums: of whole numbers, so exact in any order.
    page_chars = np.bincount(page_of_block, sizes, minlength=count)
    total_chars = np.maximum(1.0, page_chars)
    goods = _floats(goods_list)
    page_good = np.bincount(page_of_block, goods, minlength=count)
    total_good = np.maximum(1.0, page_good)
    link_total = np.bincount(page_of_block, link_chars, minlength=count)
    rule = np.fromiter(map(_REASON_CODE.get, reasons), dtype=np.float64, count=n)
    block_chars = total_chars[page_of_block]
    out[:, col["chars_log"]] = np.log1p(sizes)
    out[:, col["words_log"]] = np.log1p(words)
    out[:, col["link_density"]] = link_chars / np.maximum(1.0, sizes)
    out[:, col["sentence_end"]] = stats[:, 4]
    out[:, col["punct_per_word"]] = stats[:, 1] / np.maximum(1.0, words)
    out[:, col["digit_share"]] = stats[:, 2] / np.maximum(1.0, sizes)
    out[:, col["unspaced_share"]] = stats[:, 3] / np.maximum(1.0, sizes)
    out[:, col["tag"]] = list(map(_TAG_CODE.get, block_tags, itertools.repeat(0)))
    out[:, col["joined"]] = _bools(joined)
    out[:, col["position"]] = (np.arange(n) - first[page_of_block]) / n_blocks[page_of_block]
    before = np.cumsum(sizes) - sizes  # whole numbers: a page's own is the difference, exactly
    out[:, col["char_position"]] = (before - before[first][page_of_block]) / block_chars
    out[:, col["good"]] = goods > 0
    out[:, col["rule_reason"]] = rule
    out[:, col["repeats_on_page"]] = repeats
    # Per element, then picked by each block's innermost element (root values for -1).
    page_links = link_total / total_chars
    el_links_list: list[int] = []
    el_good_list: list[int] = []
    cards: list[bool] = []
    holds: list[bool] = []
    inside: list[bool] = []
    nearest: list[Reason | None] = []
    cues: list[Reason | None] = []
    in_items: list[bool] = []
    in_repeated: list[bool] = []
    for page in pages:
        totals, n_el = page.totals, len(page.elements)
        el_links_list += totals.links
        el_links_list.append(0)
        el_good_list += totals.good
        el_good_list.append(0)
        cards += page.cards
        cards.append(False)
        holds += page.holds_body
        holds.append(False)
        inside += [container >= 0 for container in page.owner]
        inside.append(False)
        nearest += page.nearest
        nearest.append(None)
        cues += page.elements.cues
        cues.append(None)
        in_items += page.in_items or [False] * n_el
        in_items.append(False)
        in_repeated += page.in_repeated or [False] * n_el
        in_repeated.append(False)
    slot_chars = total_chars[page_of_slot]
    # The element's, its parent's and its grandparent's share, link density and good share, with
    # its root's values (1, the page's, 1) in a root's slot (its own parent).
    values = np.empty((3, n_slots), dtype=np.float64)
    values[0] = el_chars / slot_chars
    values[1] = _floats(el_links_list) / np.maximum(1.0, el_chars)
    values[2] = _floats(el_good_list) / total_good[page_of_slot]
    values[0, roots], values[1, roots], values[2, roots] = 1.0, page_links, 1.0
    up = np.empty((3, n_slots), dtype=np.intp)
    up[0] = np.arange(n_slots)
    up[1] = parent
    up[2] = parent[parent]
    out[:, _UP_COLUMNS] = values[:, up[:, eids]].transpose(2, 1, 0).reshape(n, 9)
    # The other per-element columns, one row each (a root's slot: zeros but for the blocks it
    # holds), picked by each block's element at once.
    table = np.zeros((len(_ELEMENT_COLUMNS), n_slots), dtype=np.float64)
    table[0] = depth
    table[1] = _bools(cards)
    table[2] = _bools(holds)
    table[3] = _bools(inside)
    table[4] = list(map(_REASON_CODE.get, nearest))
    table[5] = list(map(_REASON_CODE.get, cues))
    table[6] = np.log1p(group_size)
    table[7] = group_share_raw / slot_chars
    table[8], table[9], table[10], table[11] = own_arr, t_min, t_max, t_sum
    table[12] = _bools(in_items)
    table[13] = np.log1p(per_slot)  # blocks per element (how much the innermost element holds)
    out[:, _ELEMENT_COLUMNS] = table[:, eids].T
    bits = anc[eids]
    out[:, _IN_TAGS] = (bits[:, None] >> np.arange(len(ANCESTOR_TAGS))) & 1
    kept_chars = np.bincount(page_of_block, np.where(rule == 0, sizes, 0.0), minlength=count)
    # Neighbours, within each page.
    chars_log = out[:, col["chars_log"]]
    densities = out[:, col["link_density"]]
    last = first + n_blocks - 1
    prev_columns = [col[name] for name in ("prev_chars_log", "prev_link_density", "prev_rule_reason")]
    next_columns = [col[name] for name in ("next_chars_log", "next_link_density", "next_rule_reason")]
    out[1:, prev_columns[0]] = chars_log[:-1]
    out[1:, prev_columns[1]] = densities[:-1]
    out[1:, prev_columns[2]] = rule[:-1]
    out[:-1, next_columns[0]] = chars_log[1:]
    out[:-1, next_columns[1]] = densities[1:]
    out[:-1, next_columns[2]] = rule[1:]
    out[1:, col["same_element_prev"]] = eids[1:] == eids[:-1]
    out[:-1, col["same_element_next"]] = eids[:-1] == eids[1:]
    out[np.ix_(first, np.array([*prev_columns, col["same_element_prev"]]))] = 0.0
    out[np.ix_(last, np.array([*next_columns, col["same_element_next"]]))] = 0.0
    # The neighbourhood: a block among link lists is a link list, one among paragraphs is prose
    # (each page's running sums its own, as they are floats).
    series = np.empty((4, n), dtype=np.float64)
    series[0], series[1], series[2], series[3] = densities, out[:, col["good"]], rule == 0, chars_log
    out[:, _WINDOW_COLUMNS], out[:, _WIDE_COLUMNS] = _page_windows(series, first, n_blocks, page_of_block)
    # The page as a whole; the run of repeated items (forum posts, results, tiles): the page's
    # share in it, and whether each block lies in one of its items; and the page's kind
    # (html.page_kind), which sets the bars too.
    repeated = _bools(in_repeated)[eids]
    out[:, col["in_repeated"]] = repeated
    shapes = _page_shapes(out, first, sizes, link_chars, repeated, stats[:, 4] > 0)
    rows = []
    for k, (page, total) in enumerate(zip(pages, total_chars.tolist(), strict=True)):
        container = page.containers[0] if page.containers else -1
        headlines = page.totals.headlines[0] if len(page.elements) else 0
        page_values = {
            "container_share": (page.totals.chars[container] if container >= 0 else 0) / total,
            "page_blocks_log": np.log1p(int(n_blocks[k])),
            "page_chars_log": np.log1p(total),
            "page_link_density": float(link_total[k]) / total,
            "page_good_share": float(page_good[k]) / total,
            "page_kept_share": float(kept_chars[k]) / total,
            "page_headlines_log": np.log1p(headlines),
            "page_max_group_log": np.log1p(largest_group[k]),
            "items_share": page.items_share,
            "page_kind": PAGE_KINDS.index(page.kind),
        }
        _page_shape_values(page_values, shapes[k], total)
        rows.append(list(page_values.values()))
    out[:, [col[name] for name in _PAGE_COLUMNS]] = np.array(rows, dtype=np.float64)[page_of_block]
    return out


def _bools(values: list[bool]) -> np.ndarray:
    """A list of bools as a (read-only) bool array: read as bytes (0 and 1) from C, about a
    quarter of the time numpy takes to convert the list item by item (2.5 -> 0.6 ms for 48,000)."""
    return np.frombuffer(bytes(values), dtype=np.bool_)


def _floats(counts: list[int]) -> np.ndarray:
    """A list of whole numbers (counts of characters, far below 2**53) as float64, the same values:
    converted to integers first, a third faster than numpy's conversion of each to a float."""
    return np.array(counts, dtype=np.int64).astype(np.float64)


# The page-wide columns, in the order block_features_many writes them.
_PAGE_COLUMNS = (
    "container_share", "page_blocks_log", "page_chars_log", "page_link_density", "page_good_share",
    "page_kept_share", "page_headlines_log", "page_max_group_log", "items_share", "page_kind",
    "container_link_density", "outside_link_density", "page_stop_share", "container_stop_share",
    "outside_stop_share", "menu_share", "outside_menu_share", "repeated_share", "repeated_link_density",
)  # fmt: skip


def _texts_stats_of(pages: Sequence[Analysis], texts: list[str]) -> np.ndarray:
    """texts_stats of the pages' block texts (``texts``, one page's after another's): in one call,
    or page by page where they hold too many characters for its 32-bit running sums."""
    if sum(map(len, texts)) + len(texts) < _STATS_CHARS:
        return texts_stats(texts)
    return np.concatenate([texts_stats(page.blocks.texts) for page in pages])


# A menu entry: a block this short, (nearly) all of it link text (see _page_shape).
MENU_MAX_CHARS = 30
MENU_LINK_SHARE = 0.8


def menu_entries(sizes: np.ndarray, link_chars: np.ndarray) -> np.ndarray:
    """Which blocks (their characters and link characters) are menu entries: short, all link."""
    return (sizes <= MENU_MAX_CHARS) & (link_chars >= MENU_LINK_SHARE * np.maximum(sizes, 1.0))


def menu_share(page: Analysis) -> float:
    """The share of a page's characters in menu entries (menu_entries): a news page's 500-line
    menu, a listing's tag cloud; a listing's own items are longer (headlines, prices, blurbs).
    html.model_keeps lets the expected-F1 rescue reach outside the rules' container only on a
    page under a bar of this share.

    >>> from cleaner.boilerplate.html import analyse
    >>> round(menu_share(analyse("<p>One sentence of text, ending well.</p><ul><li><a href='/'>Home</a></li></ul>")), 2)
    0.11
    """
    sizes = page.sizes
    links = np.asarray(page.blocks.links, dtype=np.float64)
    return float(sizes[menu_entries(sizes, links)].sum()) / max(1.0, float(sizes.sum()))


def _page_shapes(
    out: np.ndarray, first: np.ndarray, sizes: np.ndarray, link_chars: np.ndarray, repeated: np.ndarray,
    stop: np.ndarray,
) -> list[list[list[float]]]:  # fmt: skip
    """Per page (its blocks from ``first``), the sums behind the page-level columns that tell a short
    article under a big menu or teaser grid from a listing (_page_shape_values): rows inside the
    rules' container, outside it, in repeated siblings (html._repeated_items: one tag and class,
    digits aside, at least three of them; paragraphs aside: an article's own run of <p>),
    anywhere; columns link characters, characters, characters of blocks ending in a stop, of menu
    entries (short, all link). Every sum is of whole numbers of characters, so one pass adds them
    all exactly, whatever its order (not a matrix product: BLAS may start threads)."""
    inside = out[:, _COL["in_container"]] > 0
    where = np.empty((4, len(sizes)), dtype=np.float64)
    where[0], where[1], where[2], where[3] = inside, ~inside, repeated, 1.0
    what = np.empty((4, len(sizes)), dtype=np.float64)
    what[0], what[1] = link_chars, sizes
    what[2] = np.where(stop, sizes, 0.0)
    what[3] = np.where(menu_entries(sizes, link_chars), sizes, 0.0)
    sums: list[list[list[float]]] = np.add.reduceat(where[:, None, :] * what, first, axis=2).transpose(2, 0, 1).tolist()
    return sums


def _page_shape_values(page_values: dict[str, float], sums: list[list[float]], total_chars: float) -> None:
    """A page's link density and sentence stops inside the rules' container and outside it, its
    share of text in repeated siblings and their link density, its share of text in menu entries,
    on the page and outside the container, into ``page_values`` (by name), from its _page_shapes."""
    (in_links, in_chars, in_stops, _), (out_links, out_chars, out_stops, out_menu), (rep_links, rep_chars, _, _), (
        _, _, all_stops, all_menu) = sums  # fmt: skip
    page_values["container_link_density"] = in_links / max(1.0, in_chars)
    page_values["outside_link_density"] = out_links / max(1.0, out_chars)
    page_values["page_stop_share"] = all_stops / total_chars
    page_values["container_stop_share"] = in_stops / max(1.0, in_chars)
    page_values["outside_stop_share"] = out_stops / max(1.0, out_chars)
    page_values["menu_share"] = all_menu / total_chars
    page_values["outside_menu_share"] = out_menu / total_chars
    page_values["repeated_share"] = rep_chars / total_chars
    page_values["repeated_link_density"] = rep_links / max(1.0, rep_chars)


# The second stage's extra columns (context_features): the first stage's scores around each block.
CONTEXT_LEVELS = 5  # the block's element and four ancestors
CONTEXT_WINDOWS = (1, 3, 10)
CONTEXT_NAMES: tuple[str, ...] = (
    "score",
    *(f"{name}_{level}" for level in range(CONTEXT_LEVELS) for name in ("up_score", "up_share")),
    *(f"window_score_{radius}" for radius in CONTEXT_WINDOWS),
    "page_score", "page_content_share", "page_max_score",
    "best_subtree_f1", "best_subtree_share", "in_best_subtree", "page_sure_share",
)  # fmt: skip


def context_features(page: Analysis, scores: np.ndarray) -> np.ndarray:
    """The first stage's scores in each block's surroundings, one row of CONTEXT_NAMES per block.

    A section is content or chrome as a whole, and so is a run of repeated items: the mean score
    (weighted by characters) over the block's element and each of its next four ancestors, with
    their share of the page's text, over windows of neighbouring blocks, and over the page. The
    second stage learns from these where one block's verdict should follow its surroundings'.

    >>> from cleaner.boilerplate.html import analyse
    >>> page = analyse("<div><p>One sentence of text.</p><p>Another one.</p></div><p>Alone</p>")
    >>> rows = context_features(page, np.array([1.0, 0.5, 0.0])).astype(np.float64)
    >>> rows[:, [0, 1, 3]].round(2).tolist()  # score, its <p>'s mean, the <div>'s (or the root's)
    [[1.0, 1.0, 0.82], [0.5, 0.5, 0.82], [0.0, 0.0, 0.71]]
    """
    return context_features_many([page], np.asarray(scores, dtype=np.float64))


def context_features_many(pages: Sequence[Analysis], scores: np.ndarray) -> np.ndarray:
    """context_features of each page, the first stage's ``scores`` and the rows of one page after
    another's, the same values: array passes over all the pages' blocks and elements at once
    (their slots as in block_features_many), the sums of floats and the windows page by page in
    the same order (tests/boilerplate/test_block_features_many.py compares them with the
    one-page form's)."""
    pages = [page for page in pages if len(page.blocks)]
    scores = np.asarray(scores, dtype=np.float64)
    if not pages:
        return np.zeros((0, len(CONTEXT_NAMES)), dtype=np.float32)
    count, n_blocks, _, n, n_slots, base, roots, first, page_of_slot, page_of_block, local_parent, parent, where = (
        _slots(pages)
    )
    out = np.zeros((n, len(CONTEXT_NAMES)), dtype=np.float32)
    local_ends: list[int] = []
    for page in pages:
        local_ends += page.elements.ends
        local_ends.append(0)
    size = np.maximum(np.concatenate([page.sizes for page in pages]) if count > 1 else pages[0].sizes, 1.0)
    weighted = scores * size
    # Per slot (a page's root's slot last): sums of score x chars and of chars over its subtree.
    ends = np.array(local_ends, dtype=np.intp) + base[page_of_slot]
    is_root = local_parent == -2
    ends[is_root] = roots + 1  # a root's slot: the run of its page
    # The characters are whole numbers: summed over each subtree (a run of slots) in any order.
    chars_own = np.bincount(where, size, minlength=n_slots)
    char_sum = subtree_sums(chars_own, ends)
    char_sum[roots] = np.bincount(page_of_slot, chars_own, minlength=count)
    # The scores are not: added up the tree, each element into its parent once its own subtree is
    # summed, a parent's children last to first. An element without blocks under it adds 0.0, which
    # changes no sum: only those with blocks are visited (a page's additions stay in its slots: the
    # pages' order between them changes nothing). All the elements of one depth at once, the deepest
    # first: np.add.at adds in the order given, so each parent gets the additions of the loop from
    # the last element up, in its order (context_features_many 37.1 -> 34.7 ms for the 181
    # Scrapinghub pages, in process, medians of 7 alternated runs; the same bits there and on the
    # WCXB pages).
    # An element's depth is the number of slots before it less those closed by then (the
    # elements before it that are not its ancestors, and earlier pages' slots).
    score_sum = np.bincount(where, weighted, minlength=n_slots)
    visited = np.flatnonzero((char_sum != 0) & ~is_root)
    if visited.size:
        closed = np.cumsum(np.bincount(ends, minlength=n_slots + 1)[:n_slots])
        depth = visited - closed[visited]
        order = np.lexsort((-visited, -depth))  # deepest first; in a depth, the last first
        visited, depth = visited[order], depth[order]
        cuts = np.flatnonzero(depth[1:] != depth[:-1]) + 1
        for level in np.split(visited, cuts):
            np.add.at(score_sum, parent[level], score_sum[level])
    mean = score_sum / np.maximum(char_sum, 1.0)
    page_chars = np.bincount(page_of_block, size, minlength=count)  # whole numbers
    total = page_chars[page_of_block]
    out[:, 0] = scores
    # The block's element and its next ancestors (the root's slot is its own parent), all levels at once.
    levels = np.empty((CONTEXT_LEVELS, n), dtype=np.int64)
    levels[0] = where
    for k in range(1, CONTEXT_LEVELS):
        levels[k] = parent[levels[k - 1]]
    out[:, 1 : 1 + 2 * CONTEXT_LEVELS : 2] = mean[levels].T
    out[:, 2 : 2 + 2 * CONTEXT_LEVELS : 2] = (char_sum[levels] / total).T
    column = 1 + 2 * CONTEXT_LEVELS
    radii = np.array(CONTEXT_WINDOWS)[:, None]
    page_wide = np.zeros((count, 6), dtype=np.float64)
    at_best = np.zeros(n_slots, dtype=bool)
    sure = np.bincount(page_of_block, np.where(scores >= SURE_SCORE, size, 0.0), minlength=count).tolist()
    kept = np.bincount(page_of_block, np.where(scores >= 0.5, size, 0.0), minlength=count).tolist()
    highest = np.maximum.reduceat(scores, first).tolist()
    spans = zip(first.tolist(), (first + n_blocks).tolist(), base.tolist(), roots.tolist(), strict=True)
    for k, (start, stop, page_base, root) in enumerate(spans):
        # The windows and the page's expected content: sums of floats, the page's own.
        page_weighted = weighted[start:stop]
        length = stop - start
        cumulative = np.concatenate([[0.0], np.cumsum(page_weighted)])
        chars = np.concatenate([[0.0], np.cumsum(size[start:stop])])
        lo = np.maximum(np.arange(length) - radii, 0)
        hi = np.minimum(np.arange(length) + radii + 1, length)
        windows = (cumulative[hi] - cumulative[lo]) / (chars[hi] - chars[lo])
        out[start:stop, column : column + len(CONTEXT_WINDOWS)] = windows.T
        expected = float(page_weighted.sum())
        page_total = float(page_chars[k])
        values = [expected / page_total, kept[k] / page_total, highest[k]]
        # How concentrated the content the scores expect is in one subtree: the element whose
        # subtree, kept alone, has the best expected F1 (2 x its expected content over its size plus
        # the page's expected content), that F1, its share of the page, and whether each block lies
        # in it; and the share of the expected content in blocks scored at least SURE_SCORE.
        if root > page_base:
            subtree_f1 = 2.0 * score_sum[page_base:root] / np.maximum(char_sum[page_base:root] + expected, 1e-12)
            best = int(np.argmax(subtree_f1))
            at_best[page_base + best : ends[page_base + best]] = True  # a subtree is a run of slots
            values += [subtree_f1[best], char_sum[page_base + best] / page_total]
        else:
            values += [0.0, 0.0]
        values.append(sure[k] / max(expected, 1e-12))
        page_wide[k] = values
    column += len(CONTEXT_WINDOWS)
    out[:, column + 5] = at_best[where]
    out[:, [column, column + 1, column + 2, column + 3, column + 4, column + 6]] = page_wide[page_of_block]
    return out


# A block scored at least this is one the first stage is sure of (context_features' page_sure_share).
SURE_SCORE = 0.9


def window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``values`` over each position's window of ``radius`` either side (clipped at the ends).

    >>> window_mean(np.array([1.0, 0.0, 0.0, 1.0]), 1).tolist()
    [0.5, 0.3333333333333333, 0.3333333333333333, 0.5]
    """
    padded = np.concatenate([[0.0], np.cumsum(values)])
    positions = np.arange(len(values))
    lo = np.maximum(positions - radius, 0)
    hi = np.minimum(positions + radius + 1, len(values))
    return (padded[hi] - padded[lo]) / (hi - lo)


# _page_windows lays a batch's pages out as rows of one grid when it holds at most this many cells per
# block (a batch of pages of like lengths), else goes page by page.
WINDOW_GRID_CELLS = 8


def _page_windows(
    series: np.ndarray, first: np.ndarray, n_blocks: np.ndarray, page_of_block: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """window_means of each page's run of ``series`` (rows by block, pages one after another), radius 3,
    and of its first three rows, radius 10; as (blocks, rows) arrays.

    Each page's running sums are its own (floats): in one grid of the pages' rows, padded with
    zeros after each page's end, whose running sums along a page are those of the page alone, and
    read only up to its end (the 181 Scrapinghub pages: 44 -> 12 ms in process, against two calls
    of window_means a page).
    """
    n = series.shape[1]
    count, width = len(first), int(n_blocks.max())
    if count * width > WINDOW_GRID_CELLS * n:
        near, wide = np.empty((n, 4)), np.empty((n, 3))
        for start, stop in zip(first.tolist(), (first + n_blocks).tolist(), strict=True):
            page_series = series[:, start:stop]
            near[start:stop] = window_means(page_series, 3).T
            wide[start:stop] = window_means(page_series[:3], 10).T
        return near, wide
    local = np.arange(n) - first[page_of_block]
    grid = np.zeros((series.shape[0], count, width + 1), dtype=np.float64)
    grid[:, page_of_block, local + 1] = series
    np.cumsum(grid[:, :, 1:], axis=2, out=grid[:, :, 1:])
    ends = n_blocks[page_of_block]
    means = []
    for rows, radius in ((grid, 3), (grid[:3], 10)):
        lo = np.maximum(local - radius, 0)
        hi = np.minimum(local + radius + 1, ends)
        means.append(((rows[:, page_of_block, hi] - rows[:, page_of_block, lo]) / (hi - lo)).T)
    return means[0], means[1]


def window_means(rows: np.ndarray, radius: int) -> np.ndarray:
    """window_mean of each row of ``rows`` (the same values: each row summed in order).

    >>> window_means(np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 3.0, 0.0, 0.0]]), 1).tolist()[1]
    [1.5, 1.0, 1.0, 0.0]
    """
    n = rows.shape[1]
    padded = np.zeros((rows.shape[0], n + 1), dtype=np.float64)
    np.cumsum(rows, axis=1, out=padded[:, 1:])
    positions = np.arange(n)
    lo = np.maximum(positions - radius, 0)
    hi = np.minimum(positions + radius + 1, n)
    return (padded[:, hi] - padded[:, lo]) / (hi - lo)
