"""TreeModel.reaches and model.keep_masks (trees walked only until a line's bar is decided) give
the answers of the whole scores: ``predict(rows) >= levels`` and keep_mask page by page."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cleaner.boilerplate.model import TEXT_MODEL, WALK_LANES, bar_levels, bars_for, keep_mask, keep_masks, packaged
from cleaner.boilerplate.rules import LineCues
from cleaner.boilerplate.text import _judge, page_features
from cleaner.record import Reason
from tests.helpers import SEEDS

pytest.importorskip("numba")


def _seed_rows() -> tuple[np.ndarray, list[Reason | None], list[int]]:
    cues = LineCues()
    pages = [_judge(path.read_text(encoding="utf-8"), cues) for path in sorted(SEEDS.glob("*.txt"))]
    rows = page_features([(verdicts, facts) for _, verdicts, _, facts in pages], True)
    reasons = [verdicts[i] for _, verdicts, _, facts in pages for i, text in enumerate(facts.texts) if text]
    lengths = [sum(1 for text in facts.texts if text) for _, _, _, facts in pages]
    return rows, reasons, lengths


def _model():  # type: ignore[no-untyped-def]
    model = packaged(TEXT_MODEL)
    assert model is not None
    return model


def test_reaches_is_predict_against_the_levels_on_real_and_noisy_rows() -> None:
    model = _model()
    rows, _, _ = _seed_rows()
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 2, (3 * WALK_LANES + 5, rows.shape[1]))
    rows = np.vstack([rows, rows + rng.normal(0, 0.5, rows.shape), noise])
    scores = model.predict(rows)
    kept, soft, cued = bars_for(model.meta, "other")
    choices = np.array([kept, soft, cued, np.inf, 0.0, 1.0, -np.inf, np.nan])
    for levels in (
        rng.choice(choices[:4], len(rows)),  # the bars the line stage uses
        rng.choice(choices, len(rows)),  # and every odd level
        scores,  # exactly each row's score: reached, through the whole walk
        np.nextafter(scores, 1.0),  # one step above it: not reached
        np.nextafter(scores, 0.0),
        scores + rng.normal(0, 0.05, len(rows)),
    ):
        assert np.array_equal(model.reaches(rows, levels, compiled=True), scores >= levels)
        assert np.array_equal(model.reaches(rows, levels), scores >= levels)  # numpy until numba runs


def test_reaches_walks_no_tree_for_an_infinite_bar_and_takes_no_rows() -> None:
    model = _model()
    rows = np.full((3, len(model.names)), np.nan)
    assert model.reaches(rows, [np.inf] * 3, compiled=True).tolist() == [False] * 3
    assert model.reaches(np.zeros((0, len(model.names))), [], compiled=True).tolist() == []


@pytest.mark.parametrize("bars", [None, (0.9, 0.95, 0.99), (0.999, 0.999, 0.999)])
def test_keep_masks_are_keep_mask_on_the_whole_scores(bars: tuple[float, float, float] | None) -> None:
    # High bars leave pages where no line reaches its bar: their rescue needs the page's scores.
    model = _model()
    rows, reasons, lengths = _seed_rows()
    bars = bars_for(model.meta, "other") if bars is None else bars
    scores = model.predict(rows)
    starts = np.cumsum([0, *lengths])
    expected = [keep_mask(scores[a:b], reasons[a:b], bars) for a, b in itertools.pairwise(starts)]
    got = keep_masks(model, rows, reasons, bars, lengths)
    assert [mask.tolist() for mask in got] == [mask.tolist() for mask in expected]
    assert np.array_equal(bar_levels(reasons, bars)[: lengths[0]] == np.inf,
                          np.array([r in (Reason.LEGAL, Reason.SOURCE) for r in reasons[: lengths[0]]]))  # fmt: skip


def test_keep_masks_take_pages_without_units_anywhere() -> None:
    # A page of no units gets an empty mask, first, between and after pages that have some (high
    # bars: pages where no unit reaches its bar go to the rescue).
    model = _model()
    rows, reasons, lengths = _seed_rows()
    bars = (0.999, 0.999, 0.999)
    with_empty = [0, lengths[0], 0, 0, *lengths[1:], 0]
    got = keep_masks(model, rows, reasons, bars, with_empty)
    expected = keep_masks(model, rows, reasons, bars, lengths)
    assert [mask.tolist() for mask in got if mask.size] == [mask.tolist() for mask in expected if mask.size]
    assert [mask.size for mask in got] == with_empty


class _Answers:
    """A stand-in scorer: ``reaches`` gives fixed answers, ``predict`` fixed scores."""

    def __init__(self, reached: list[bool], scores: list[float]) -> None:
        self.reached, self.scores = np.array(reached), np.array(scores)

    def reaches(self, rows: np.ndarray, levels: np.ndarray) -> np.ndarray:
        return self.reached

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return self.scores[: len(rows)]


@pytest.mark.parametrize("lengths", [[3, 0], [3, 0, 0], [0, 3, 0], [3]])
def test_a_page_whose_last_unit_alone_reaches_its_bar_needs_no_rescue(lengths: list[int]) -> None:
    # Pages without units after it must not cut the page's last unit out of its answer.
    model = _Answers([False, False, True], [0.9, 0.8, 0.1])
    rows = np.zeros((3, 1))
    masks = keep_masks(model, rows, [None] * 3, (0.5, 0.5, 0.5), lengths)  # type: ignore[arg-type]
    assert [mask.tolist() for mask in masks if mask.size] == [[False, False, True]]
    assert [mask.size for mask in masks] == lengths
