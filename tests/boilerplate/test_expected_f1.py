"""The expected-F1 rescue of model.keep_mask: the set it keeps, and where it may add blocks."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate.model import HARD_REASONS, SOFT_REASONS, expected_f1_keep, keep_mask, rescue_applies
from cleaner.record import Reason

REASONS = (None, Reason.LOW_SCORE, Reason.SHORT, Reason.RELATED, Reason.NAV, Reason.COMMENTS, Reason.LEGAL)


def _value(keep: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> float:
    """The expected F1 of a set as expected_f1_keep defines it (0 for the empty set)."""
    if not keep.any():
        return 0.0
    expected_truth = float(np.dot(weights, scores))
    return 2 * float(np.dot(weights[keep], scores[keep])) / (float(weights[keep].sum()) + expected_truth)


pages = st.integers(1, 7).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.01, 0.99), min_size=n, max_size=n),
        st.lists(st.floats(1.0, 500.0), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=300, deadline=None)
@given(pages)
def test_the_kept_set_is_the_best_of_every_subset_of_the_allowed_units(page) -> None:  # type: ignore[no-untyped-def]
    scores, weights, allowed = (np.array(part) for part in page)
    keep = expected_f1_keep(scores, weights, allowed.astype(bool))
    assert not (keep & ~allowed).any()
    candidates = np.flatnonzero(allowed)
    best = 0.0
    for size in range(1, len(candidates) + 1):
        for subset in itertools.combinations(candidates, size):
            mask = np.zeros(len(scores), dtype=bool)
            mask[list(subset)] = True
            best = max(best, _value(mask, scores, weights))
    assert _value(keep, scores, weights) >= best - 1e-9


@settings(max_examples=200, deadline=None)
@given(
    pages, st.lists(st.sampled_from(REASONS), min_size=7, max_size=7), st.sampled_from((0.1, 0.2, 1.0)), st.booleans()
)  # fmt: skip
def test_the_rescue_only_adds_units_the_rules_keep_or_a_cue_drops(page, reasons, rescue, wide) -> None:  # type: ignore[no-untyped-def]
    scores, weights, _ = (np.array(part) for part in page)
    reasons = reasons[: len(scores)]
    bars = (0.3, 0.5, 0.7)
    plain = keep_mask(scores, reasons, bars)
    rescued = keep_mask(scores, reasons, bars, weights, rescue, wide)
    assert not (plain & ~rescued).any()
    added = rescued & ~plain
    # Wide, units outside the rules' container may come back too; a hard cue's never.
    outside = HARD_REASONS if wide else SOFT_REASONS | HARD_REASONS
    assert not any(added[i] and r in outside for i, r in enumerate(reasons))
    if not rescue_applies(scores, weights, rescue):
        assert (rescued == plain).all()


def test_a_page_with_a_sure_core_keeps_its_bars() -> None:
    # An article the scorer is sure of (0.95), then teasers it is unsure of: the bars drop them.
    scores = np.array([0.95, 0.95, 0.6, 0.6, 0.6])
    weights = np.array([400.0, 400.0, 300.0, 300.0, 300.0])
    reasons = [None, None, Reason.RELATED, Reason.RELATED, Reason.RELATED]
    assert keep_mask(scores, reasons, (0.3, 0.8, 0.8), weights, 0.2).tolist() == [True, True, False, False, False]
    # A listing it is sure of nothing on: the items come back.
    listing = np.array([0.7, 0.6, 0.6, 0.6, 0.6])
    assert keep_mask(listing, reasons, (0.3, 0.8, 0.8), weights, 0.2).tolist() == [True] * 5


def test_a_wide_rescue_reaches_outside_the_container() -> None:
    # A listing whose items the rules' container misses (soft reasons): only a wide rescue gets them.
    scores = np.array([0.7, 0.6, 0.6, 0.6, 0.6])
    weights = np.array([300.0, 300.0, 300.0, 300.0, 300.0])
    reasons = [None, Reason.LOW_SCORE, Reason.LOW_SCORE, Reason.LOW_SCORE, Reason.LEGAL]
    assert keep_mask(scores, reasons, (0.3, 0.8, 0.8), weights, 0.2).tolist() == [True] + [False] * 4
    assert keep_mask(scores, reasons, (0.3, 0.8, 0.8), weights, 0.2, wide=True).tolist() == [True] * 4 + [False]


def test_the_rescue_is_wide_only_on_a_page_under_its_menu_share() -> None:
    from cleaner.boilerplate.features import menu_share
    from cleaner.boilerplate.html import analyse, model_keeps
    from cleaner.boilerplate.model import TreeModel

    menu = "".join(f"<li><a href='/{i}'>Part {i}</a></li>" for i in range(6))
    story = "<p>One paragraph of the story, a full sentence that ends well and says what happened.</p>"
    items = "".join(f"<div class='hit'><a href='/h{i}'>A result headline, number {i}, with its words</a></div>"
                    for i in range(4))  # fmt: skip
    page = analyse(f"<html><body><ul>{menu}</ul><div class='body'>{story}</div><div>{items}</div></body></html>")
    assert page is not None
    outside = [i for i, r in enumerate(page.rule_reasons) if r in SOFT_REASONS]
    assert outside, "the page must have blocks outside the rules' container for this to test anything"
    scores = np.full(len(page.blocks), 0.6)

    def kept(wide_below: float) -> list[bool]:
        kind = page.kind
        meta = {"bars": {kind: [0.3, 0.8, 0.8]}, "rescue": {kind: 0.2}, "rescue_wide": {kind: wide_below}}
        context = TreeModel.from_arrays(feature=[-1], threshold=[0.0], left=[0], right=[0], value=[0.0], roots=[0],
                                        depth=0, names=("x",), meta=meta)  # fmt: skip
        return model_keeps(page, context, scores, context)

    share = menu_share(page)
    assert 0.0 < share < 1.0
    assert not any(kept(share)[i] for i in outside)  # the page's menu share is not under the bar
    assert all(kept(share + 0.01)[i] for i in outside)
    assert not any(kept(0.0)[i] for i in outside)  # 0: never wide
