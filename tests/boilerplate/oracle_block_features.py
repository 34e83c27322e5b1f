"""Test oracle (never called by cleaner itself): block_features as it was written for one page at a
time, before features.block_features_many computed the rows of a batch of pages at once, and
context_features likewise (features.context_features_many). The
tests compare the two, value for value."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping

import numpy as np

from cleaner.boilerplate.features import (
    _ANCESTOR_INDEX,
    _COL,
    _ELEMENT_COLUMNS,
    _IN_TAGS,
    _REASON_CODE,
    _TAG_CODE,
    _UP_COLUMNS,
    _WIDE_COLUMNS,
    _WINDOW_COLUMNS,
    ANCESTOR_TAGS,
    CLASS_SCORES_KEPT,
    CONTEXT_LEVELS,
    CONTEXT_NAMES,
    CONTEXT_WINDOWS,
    FEATURE_NAMES,
    PAGE_KINDS,
    SURE_SCORE,
    class_tokens,
    menu_entries,
    subtree_sums,
    texts_stats,
    window_means,
)
from cleaner.boilerplate.html import Analysis


def one_page_block_features(
    page: Analysis, token_scores: Mapping[str, float], class_scores: dict[str, float] | None = None
) -> np.ndarray:
    """One row of FEATURE_NAMES per block of ``page`` (float32).

    ``class_scores``: a memo of each class string's own score under ``token_scores`` that the
    caller keeps across pages (model.TreeModel.class_scores); strings repeat from page to page
    (a run's pages hold a third as many distinct ones as they hold per page, summed). It only
    saves time: the rows are the same without it.
    """
    blocks, elements, totals = page.blocks, page.elements, page.totals
    n = len(blocks)
    n_el = len(elements)
    out = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    if not n:
        return out
    parents, tags, names = elements.parents, elements.tags, elements.names
    ends = np.asarray(elements.ends, dtype=np.intp)
    # Sibling groups: (names, tag, parent) -> [members with text, their characters], one lookup per
    # element (a Counter's ``+=`` on a new key goes through its Python __missing__; most keys are new).
    groups: dict[tuple[str, str, int], list[int]] = {}
    chars = totals.chars
    for key, size in zip(zip(names, tags, parents, strict=True), chars, strict=True):
        if size:
            group = groups.get(key)
            if group is None:
                groups[key] = [1, size]
            else:
                group[0] += 1
                group[1] += size
    # Per element (the root's slot, for blocks outside every element, last): depth, the ancestor
    # tags (itself included) as bits, token scores along the path, repeated-group size. A subtree is
    # a run of ids (Elements.ends): an element's ancestors-or-self are the runs that cover it.
    eids = np.asarray(blocks.owners, dtype=np.intp)  # -1 picks the root's slot
    starts = np.arange(n_el, dtype=np.intp)
    depth = np.zeros(n_el + 1, dtype=np.float64)
    depth[:n_el] = starts - np.cumsum(np.bincount(ends, minlength=n_el + 1)[:n_el])
    code = np.fromiter(map(_ANCESTOR_INDEX.get, tags, itertools.repeat(len(ANCESTOR_TAGS))), np.intp, n_el)
    width = n_el + 1
    edges = np.bincount(code * width + starts, minlength=(len(ANCESTOR_TAGS) + 1) * width)
    edges -= np.bincount(code * width + ends, minlength=edges.shape[0])
    covers = np.cumsum(edges.reshape(-1, width)[: len(ANCESTOR_TAGS)], axis=1) > 0
    anc = np.zeros(n_el + 1, dtype=np.int64)
    anc[:n_el] = (covers[:, :n_el] << np.arange(len(ANCESTOR_TAGS))[:, None]).sum(axis=0)
    # Only elements that hold a block, and their ancestors, are ever read (a third of a page's
    # elements hold no text at all): the others keep zeros.
    slots = np.where(eids >= 0, eids, n_el)
    per_slot = np.bincount(slots, minlength=n_el + 1)  # blocks per element
    running = np.zeros(n_el + 1, dtype=np.int64)
    np.cumsum(per_slot[:n_el], out=running[1:])
    needed = np.flatnonzero(running[ends] > running[:-1]).tolist()
    # Per needed element: its own token score and its sibling group (size, characters) if it has 3
    # members or more; the path's values are then scanned down from the root (the root's slot,
    # last, holds zeros).
    own_of = class_scores if class_scores is not None else {}  # class strings repeat within a page
    t_own = [0.0] * (n_el + 1)
    size_of = [0] * (n_el + 1)
    share_of = [0] * (n_el + 1)
    for eid in needed:
        el_names = names[eid]
        if el_names and token_scores:
            own = own_of.get(el_names)
            if own is None:
                scores = [token_scores.get(token, 0.0) for token in class_tokens(el_names)]
                own = max(scores, key=abs) if scores else 0.0
                if len(own_of) < CLASS_SCORES_KEPT:
                    own_of[el_names] = own
            t_own[eid] = own
        group = groups.get((el_names, tags[eid], parents[eid]))
        if group is not None and group[0] >= 3:
            size_of[eid], share_of[eid] = group
    # The sum along the path, root first: floats, so added in that order, one element at a time.
    t_sum = t_own.copy()
    for eid in needed:
        parent = parents[eid]
        if parent >= 0:
            t_sum[eid] = t_sum[parent] + t_own[eid]
    # The least and the most along the path (0 included), and the largest group along it (the
    # deepest of equals), by pointer jumping: each round doubles the stretch of ancestors seen.
    own_arr = np.array(t_own)
    t_min = np.where(own_arr < 0.0, own_arr, 0.0)  # as min(0.0, ...) keeps the first of equals: never -0.0
    t_max = np.where(own_arr > 0.0, own_arr, 0.0)
    size_array = np.array(size_of, dtype=np.int64)
    rank = size_array * (n_el + 1)  # by size, then depth (unique on a path)
    rank[rank > 0] += depth[rank > 0].astype(np.int64)
    source = np.arange(n_el + 1, dtype=np.intp)
    jump = np.empty(n_el + 1, dtype=np.intp)
    jump[:n_el] = parents
    jump[jump < 0] = n_el
    jump[n_el] = n_el
    for _ in range(int(depth.max()).bit_length()):
        np.minimum(t_min, t_min[jump], out=t_min)
        np.maximum(t_max, t_max[jump], out=t_max)
        higher = rank[jump] > rank
        rank = np.where(higher, rank[jump], rank)
        source = np.where(higher, source[jump], source)
        jump = jump[jump]
    group_size = size_array[source]
    group_share_raw = np.array(share_of, dtype=np.int64)[source]

    col = _COL
    texts = blocks.texts
    sizes = page.sizes
    link_chars = np.asarray(blocks.links, dtype=np.float64)
    stats = texts_stats(texts)
    words = stats[:, 0]
    total_chars = max(1.0, float(sizes.sum()))
    goods = np.asarray(page.goods, dtype=np.float64)
    total_good = max(1.0, float(goods.sum()))
    link_total = float(link_chars.sum())
    counts = Counter(texts)
    rule = np.fromiter(map(_REASON_CODE.get, page.rule_reasons), dtype=np.float64, count=n)
    out[:, col["chars_log"]] = np.log1p(sizes)
    out[:, col["words_log"]] = np.log1p(words)
    out[:, col["link_density"]] = link_chars / np.maximum(1.0, sizes)
    out[:, col["sentence_end"]] = stats[:, 4]
    out[:, col["punct_per_word"]] = stats[:, 1] / np.maximum(1.0, words)
    out[:, col["digit_share"]] = stats[:, 2] / np.maximum(1.0, sizes)
    out[:, col["unspaced_share"]] = stats[:, 3] / np.maximum(1.0, sizes)
    out[:, col["tag"]] = list(map(_TAG_CODE.get, blocks.tags, itertools.repeat(0)))
    out[:, col["joined"]] = blocks.joined
    out[:, col["position"]] = np.arange(n) / n
    out[:, col["char_position"]] = (np.cumsum(sizes) - sizes) / total_chars
    out[:, col["good"]] = goods > 0
    out[:, col["rule_reason"]] = rule
    out[:, col["repeats_on_page"]] = [counts[text] - 1 for text in texts]
    # Per element, then picked by each block's innermost element (root values for -1).
    page_links = link_total / total_chars

    el_chars = np.asarray(chars, dtype=np.float64)
    el_links = np.asarray(totals.links, dtype=np.float64)
    el_good = np.asarray(totals.good, dtype=np.float64)
    share = el_chars / total_chars
    density = el_links / np.maximum(1.0, el_chars)
    good_share = el_good / total_good
    # The element's, its parent's and its grandparent's share, link density and good share, with
    # the root's values (1, the page's, 1) in the last slot, where -1 (no such element) points.
    up = np.full((3, n_el + 1), n_el, dtype=np.intp)  # the root's slot is its own parent
    up[0, :n_el] = starts
    up[1, :n_el] = parents
    up[1, :n_el][up[1, :n_el] < 0] = n_el
    up[2] = up[1][up[1]]
    values = np.empty((3, n_el + 1), dtype=np.float64)
    values[0, :n_el], values[1, :n_el], values[2, :n_el] = share, density, good_share
    values[:, n_el] = (1.0, page_links, 1.0)
    out[:, _UP_COLUMNS] = values[:, up[:, eids]].transpose(2, 1, 0).reshape(n, 9)
    # The other per-element columns, one row each (the root's slot last: zeros but for the blocks
    # it holds), picked by each block's element at once.
    table = np.zeros((len(_ELEMENT_COLUMNS), n_el + 1), dtype=np.float64)
    table[0] = depth
    table[1, :n_el] = page.cards
    table[2, :n_el] = page.holds_body
    table[3, :n_el] = np.asarray(page.owner) >= 0
    table[4, :n_el] = list(map(_REASON_CODE.get, page.nearest))
    table[5, :n_el] = list(map(_REASON_CODE.get, elements.cues))
    table[6] = np.log1p(group_size)
    table[7] = group_share_raw / total_chars
    table[8], table[9], table[10], table[11] = own_arr, t_min, t_max, t_sum
    table[12, :n_el] = page.in_items
    table[13] = np.log1p(per_slot)  # blocks per element (how much the innermost element holds)
    out[:, _ELEMENT_COLUMNS] = table[:, eids].T
    bits = anc[eids]
    out[:, _IN_TAGS] = (bits[:, None] >> np.arange(len(ANCESTOR_TAGS))) & 1
    container = page.containers[0] if page.containers else -1
    headlines = totals.headlines[0] if n_el else 0
    kept_chars = float(sizes[rule == 0].sum())
    # Neighbours.
    chars_log = out[:, col["chars_log"]]
    densities = out[:, col["link_density"]]
    out[1:, col["prev_chars_log"]] = chars_log[:-1]
    out[1:, col["prev_link_density"]] = densities[:-1]
    out[1:, col["prev_rule_reason"]] = rule[:-1]
    out[:-1, col["next_chars_log"]] = chars_log[1:]
    out[:-1, col["next_link_density"]] = densities[1:]
    out[:-1, col["next_rule_reason"]] = rule[1:]
    out[1:, col["same_element_prev"]] = eids[1:] == eids[:-1]
    out[:-1, col["same_element_next"]] = eids[:-1] == eids[1:]
    # The page as a whole (written with the other page-wide columns, at the end).
    page_values = {
        "container_share": (chars[container] if container >= 0 else 0) / total_chars,
        "page_blocks_log": np.log1p(n),
        "page_chars_log": np.log1p(total_chars),
        "page_link_density": link_total / total_chars,
        "page_good_share": float(goods.sum()) / total_chars,
        "page_kept_share": kept_chars / total_chars,
        "page_headlines_log": np.log1p(headlines),
        "page_max_group_log": np.log1p(max((group[0] for group in groups.values()), default=0)),
    }
    # The neighbourhood: a block among link lists is a link list, one among paragraphs is prose.
    series = np.empty((4, n), dtype=np.float64)
    series[0], series[1], series[2], series[3] = densities, out[:, col["good"]], rule == 0, chars_log
    out[:, _WINDOW_COLUMNS] = window_means(series, 3).T
    out[:, _WIDE_COLUMNS] = window_means(series[:3], 10).T
    # The run of repeated items (forum posts, results, tiles): the page's share in it, and whether
    # each block lies in one of its items; and the page's kind (html.page_kind), which sets the bars too.
    page_values["items_share"] = page.items_share
    page_values["page_kind"] = PAGE_KINDS.index(page.kind)
    _one_page_shape(page, out, page_values, eids, sizes, link_chars, stats[:, 4] > 0, total_chars)
    out[:, [col[name] for name in page_values]] = np.array(list(page_values.values()), dtype=np.float64)
    return out


def _one_page_shape(
    page: Analysis, out: np.ndarray, page_values: dict[str, float], eids: np.ndarray, sizes: np.ndarray,
    link_chars: np.ndarray, stop: np.ndarray, total_chars: float,
) -> None:  # fmt: skip
    """The page-level columns that tell a short article under a big menu or teaser grid from a
    listing: link density and sentence stops inside the rules' container and outside it; the
    share of text in repeated siblings (html._repeated_items: one tag and class, digits aside, at
    least three of them; paragraphs aside: an article's own run of <p>) and its link
    density, and whether each block lies in such a sibling; the share of text in menu entries
    (short, all link), on the page and outside the container. The per-block column is written
    into ``out``, the page-wide ones into ``page_values`` (by name)."""
    n_el = len(page.elements)
    # Repeated siblings (html._repeated_items): the root's slot (-1, the last) is not in one.
    member = np.zeros(n_el + 1, dtype=bool)
    if page.in_repeated:
        member[:n_el] = page.in_repeated
    repeated = member[eids]
    out[:, _COL["in_repeated"]] = repeated
    # Every sum below is of whole numbers of characters, so one pass adds them all exactly, whatever
    # its order (not a matrix product: BLAS may start threads): rows inside the container, outside
    # it, in repeated siblings, anywhere; columns link characters, characters, characters of blocks
    # ending in a stop, of menu entries.
    inside = out[:, _COL["in_container"]] > 0
    where = np.empty((4, len(sizes)), dtype=np.float64)
    where[0], where[1], where[2], where[3] = inside, ~inside, repeated, 1.0
    what = np.empty((4, len(sizes)), dtype=np.float64)
    what[0], what[1] = link_chars, sizes
    what[2] = np.where(stop, sizes, 0.0)
    what[3] = np.where(menu_entries(sizes, link_chars), sizes, 0.0)
    (in_links, in_chars, in_stops, _), (out_links, out_chars, out_stops, out_menu), (rep_links, rep_chars, _, _), (
        _, _, all_stops, all_menu) = (where[:, None, :] * what).sum(axis=2).tolist()  # fmt: skip
    page_values["container_link_density"] = in_links / max(1.0, in_chars)
    page_values["outside_link_density"] = out_links / max(1.0, out_chars)
    page_values["page_stop_share"] = all_stops / total_chars
    page_values["container_stop_share"] = in_stops / max(1.0, in_chars)
    page_values["outside_stop_share"] = out_stops / max(1.0, out_chars)
    page_values["menu_share"] = all_menu / total_chars
    page_values["outside_menu_share"] = out_menu / total_chars
    page_values["repeated_share"] = rep_chars / total_chars
    page_values["repeated_link_density"] = rep_links / max(1.0, rep_chars)


def one_page_context_features(page: Analysis, scores: np.ndarray) -> np.ndarray:
    """context_features as written for one page (see the module's docstring)."""
    blocks, elements = page.blocks, page.elements
    n, n_el = len(blocks), len(elements)
    out = np.zeros((n, len(CONTEXT_NAMES)), dtype=np.float32)
    if not n:
        return out
    size = np.maximum(page.sizes, 1.0)
    scores = np.asarray(scores, dtype=np.float64)
    weighted = scores * size
    # Per element (the root at index n_el): sums of score x chars and of chars over its subtree.
    where = np.asarray(blocks.owners, dtype=np.intp)
    where[where < 0] = n_el
    parent = np.empty(n_el + 1, dtype=np.intp)
    parent[:n_el] = elements.parents
    parent[parent < 0] = n_el
    parent[n_el] = n_el
    # Summed up the tree on Python floats (the same additions in the same order as on the
    # arrays' elements, without a numpy scalar per access: a third of this function's time).
    # The characters are whole numbers: summed over each subtree (a run of ids) in any order.
    chars_own = np.bincount(where, size, minlength=n_el + 1)
    char_sum = np.empty(n_el + 1, dtype=np.float64)
    char_sum[:n_el] = subtree_sums(chars_own[:n_el], np.asarray(elements.ends, dtype=np.intp))
    char_sum[n_el] = chars_own.sum()
    # The scores are not: added up the tree, children last to first. An element without blocks
    # under it adds 0.0, which changes no sum: only those with blocks are visited.
    scores_up = np.bincount(where, weighted, minlength=n_el + 1).tolist()
    parents = parent.tolist()
    for eid in np.flatnonzero(char_sum[:n_el])[::-1].tolist():
        scores_up[parents[eid]] += scores_up[eid]
    score_sum = np.array(scores_up)
    mean = score_sum / np.maximum(char_sum, 1.0)
    total = float(size.sum())
    out[:, 0] = scores
    # The block's element and its next ancestors (the root's slot is its own parent), all levels at once.
    levels = np.empty((CONTEXT_LEVELS, n), dtype=np.int64)
    levels[0] = where
    for k in range(1, CONTEXT_LEVELS):
        levels[k] = parent[levels[k - 1]]
    out[:, 1 : 1 + 2 * CONTEXT_LEVELS : 2] = mean[levels].T
    out[:, 2 : 2 + 2 * CONTEXT_LEVELS : 2] = (char_sum[levels] / total).T
    column = 1 + 2 * CONTEXT_LEVELS
    cumulative = np.concatenate([[0.0], np.cumsum(weighted)])
    chars = np.concatenate([[0.0], np.cumsum(size)])
    radii = np.array(CONTEXT_WINDOWS)[:, None]
    lo = np.maximum(np.arange(n) - radii, 0)
    hi = np.minimum(np.arange(n) + radii + 1, n)
    out[:, column : column + len(CONTEXT_WINDOWS)] = ((cumulative[hi] - cumulative[lo]) / (chars[hi] - chars[lo])).T
    column += len(CONTEXT_WINDOWS)
    expected = float(weighted.sum())
    page_wide = [expected / total, float(size[scores >= 0.5].sum()) / total, float(scores.max())]
    # How concentrated the content the scores expect is in one subtree: the element whose
    # subtree, kept alone, has the best expected F1 (2 x its expected content over its size plus
    # the page's expected content), that F1, its share of the page, and whether each block lies
    # in it; and the share of the expected content in blocks scored at least SURE_SCORE.
    if n_el:
        subtree_f1 = 2.0 * score_sum[:n_el] / np.maximum(char_sum[:n_el] + expected, 1e-12)
        best = int(np.argmax(subtree_f1))
        inside = np.zeros(n_el + 1, dtype=bool)
        inside[best : elements.ends[best]] = True  # a subtree is a run of elements in document order
        page_wide += [subtree_f1[best], char_sum[best] / total]
        out[:, column + 5] = inside[where]
    else:
        page_wide += [0.0, 0.0]
    page_wide.append(float(size[scores >= SURE_SCORE].sum()) / max(expected, 1e-12))
    out[:, [column, column + 1, column + 2, column + 3, column + 4, column + 6]] = np.array(page_wide)
    return out
