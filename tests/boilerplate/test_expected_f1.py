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
@given(pages, st.lists(st.sampled_from(REASONS), min_size=7, max_size=7), st.sampled_from((0.1, 0.2, 1.0)))
def test_the_rescue_only_adds_units_the_rules_keep_or_a_cue_drops(page, reasons, rescue) -> None:  # type: ignore[no-untyped-def]
    scores, weights, _ = (np.array(part) for part in page)
    reasons = reasons[: len(scores)]
    bars = (0.3, 0.5, 0.7)
    plain = keep_mask(scores, reasons, bars)
    rescued = keep_mask(scores, reasons, bars, weights, rescue)
    assert not (plain & ~rescued).any()
    added = rescued & ~plain
    assert not any(added[i] and (r in SOFT_REASONS or r in HARD_REASONS) for i, r in enumerate(reasons))
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
