"""The walk's columns (html.Blocks, html.Elements) and what is computed from them at once (subtree
runs, values along each element's path), against plain walks up the parent links (oracles)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from cleaner.boilerplate.features import ANCESTOR_TAGS, FEATURE_NAMES, block_features
from cleaner.boilerplate.html import Analysis, analyse
from cleaner.boilerplate.model import HTML_MODEL, packaged

DATA = Path(__file__).parent.parent / "data" / "scrapinghub"
NESTED = (
    "<body><div class='wrap'><div class='post-1'><p>First post says hello to all of you.</p></div>"
    "<div class='post-2'><p>Second post <a href='/x'>links</a> somewhere else.</p><ul><li class='a'>"
    "One</li><li class='a'>Two</li><li class='a'>Three</li></ul></div><div class='post-3'><p>Third.</p>"
    "</div></div><aside class='share'><a href='/fb'>Facebook</a></aside><p>Tail text<br>second line</p>"
    "<table><tr><td>1</td><td>2</td></tr></table></body>"
)


def _pages() -> list[str]:
    files = sorted(DATA.rglob("*.html.gz"))
    assert files, "the Scrapinghub test pages travel with the tests"
    return [NESTED] + [gzip.decompress(f.read_bytes()).decode("utf-8", "replace") for f in files]


def _analysed() -> list[Analysis]:
    pages = [analyse(html) for html in _pages()]
    return [page for page in pages if page is not None and len(page.blocks)]


def _is_below(eid: int, ancestor: int, parents: list[int]) -> bool:
    parent = parents[eid]
    while parent > ancestor:
        parent = parents[parent]
    return parent == ancestor


@pytest.mark.parametrize("page", _analysed(), ids=lambda page: f"{len(page.elements)} elements")
def test_each_subtree_is_the_run_of_ids_up_to_its_end(page: Analysis) -> None:
    elements = page.elements
    parents = elements.parents
    for eid in range(len(elements)):
        assert parents[eid] < eid  # a parent comes first
        end = eid + 1
        while end < len(elements) and _is_below(end, eid, parents):
            end += 1
        assert elements.ends[eid] == end
    # The records are the columns, one per block and per element.
    assert [b.element for b in page.blocks] == page.blocks.owners
    assert [e.parent for e in elements] == parents and elements[len(elements) - 1].tag == elements.tags[-1]
    # in_items and in_repeated hold below their items: a child inherits its parent's.
    for eid, parent in enumerate(parents):
        if parent >= 0:
            assert page.in_items[eid] >= page.in_items[parent] and page.in_repeated[eid] >= page.in_repeated[parent]


def _path_columns(page: Analysis, tokens: dict[str, float]) -> np.ndarray:
    """The per-block columns block_features reads along each element's path, walked element by
    element from the root (the oracle: each value from its parent's, in document order)."""
    elements, chars = page.elements, page.totals.chars
    n_el = len(elements)
    groups: dict[tuple[int, str, str], list[int]] = {}
    for eid in range(n_el):
        if chars[eid]:
            entry = groups.setdefault((elements.parents[eid], elements.tags[eid], elements.names[eid]), [0, 0])
            entry[0] += 1
            entry[1] += chars[eid]
    depth, anc = [0] * n_el, [0] * n_el
    t_own, t_min, t_max, t_sum = [0.0] * n_el, [0.0] * n_el, [0.0] * n_el, [0.0] * n_el
    size, share = [0] * n_el, [0] * n_el
    bit = {tag: 1 << k for k, tag in enumerate(ANCESTOR_TAGS)}
    for eid in range(n_el):
        parent, tag, names = elements.parents[eid], elements.tags[eid], elements.names[eid]
        scores = [tokens.get(token, 0.0) for token in _tokens(names)] if names else []
        own = max(scores, key=abs) if scores else 0.0
        group = groups.get((parent, tag, names), [0, 0])
        up = (depth[parent] + 1, anc[parent], t_min[parent], t_max[parent], t_sum[parent], size[parent],
              share[parent]) if parent >= 0 else (0, 0, 0.0, 0.0, None, 0, 0)  # fmt: skip
        depth[eid], anc[eid] = up[0], up[1] | bit.get(tag, 0)
        t_own[eid], t_min[eid], t_max[eid] = own, min(up[2], own), max(up[3], own)
        t_sum[eid] = own if up[4] is None else up[4] + own
        if group[0] >= 3 and group[0] >= up[5]:
            size[eid], share[eid] = group
        else:
            size[eid], share[eid] = up[5], up[6]
    total = max(1.0, float(sum(len(text) for text in page.blocks.texts)))
    rows = []
    for eid in page.blocks.owners:
        if eid < 0:
            rows.append([0.0] * (7 + len(ANCESTOR_TAGS)))
            continue
        bits = [float(anc[eid] >> k & 1) for k in range(len(ANCESTOR_TAGS))]
        rows.append([depth[eid], np.log1p(size[eid]), share[eid] / total, t_own[eid], t_min[eid], t_max[eid],
                     t_sum[eid], *bits])  # fmt: skip
    return np.array(rows, dtype=np.float64).astype(np.float32)


def _tokens(names: str) -> list[str]:
    from cleaner.boilerplate.features import class_tokens

    return class_tokens(names)


def test_values_along_each_path_equal_a_walk_down_from_the_root() -> None:
    # block_features finds depth and ancestor tags from the subtree runs, the least and most token
    # score and the largest sibling group along each path by pointer jumping: the same bits as
    # taking each from the parent's, element by element.
    model = packaged(HTML_MODEL)
    assert model is not None
    tokens = dict(model.tokens)
    names = ["depth", "group_size_log", "group_share", "token_own", "token_min", "token_max", "token_sum",
             *(f"in_{tag}" for tag in ANCESTOR_TAGS)]  # fmt: skip
    columns = [FEATURE_NAMES.index(name) for name in names]
    checked = 0
    for page in _analysed():
        rows = block_features(page, tokens)[:, columns]
        expected = _path_columns(page, tokens)
        assert rows.tobytes() == expected.tobytes()
        checked += int((expected[:, 1] > 0).sum() + (expected[:, 4] < 0).sum())
    assert checked > 0  # the pages reach groups and negative token scores


def test_names_are_read_for_the_elements_with_text_under_them_only() -> None:
    # html._read_names: nothing reads the class, id, role or itemprop of an element without text
    # under it, so the walk leaves them unread ("").
    page = analyse(
        "<body><div class='icon' id='i1'></div><div class='story' role='main'><p itemprop='text'>It rained"
        " all day.</p><span class='empty'><i class='icon'></i></span></div></body>"
    )
    assert page is not None
    assert page.elements.tags == ["body", "div", "div", "p", "span"]  # <i>: formatting, no element
    assert page.elements.names == ["", "", "story main", "text", ""]
