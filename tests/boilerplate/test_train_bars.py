"""The trainer's choice of decision bars (benchmarks/train_boilerplate.py), on hand-made pages."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from cleaner.record import Reason

TRAINER = Path(__file__).resolve().parents[2] / "benchmarks" / "train_boilerplate.py"


def _trainer():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("train_boilerplate", TRAINER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("train_boilerplate", module)
    spec.loader.exec_module(module)
    return module


def _unit(trainer, kind: str, group: str = "wcxb"):  # type: ignore[no-untyped-def]
    # Block 0 is content the rules keep, block 1 boilerplate they drop as outside the article.
    return trainer.BarUnit(kind, [["rain", "fell"], ["home", "menu"]], [None, Reason.LOW_SCORE],
                           Counter(["rain", "fell"]), group)  # fmt: skip


def test_bars_are_chosen_per_page_kind_from_the_scores() -> None:
    trainer = _trainer()
    other = _unit(trainer, "other")
    article = _unit(trainer, "article")
    scored = [
        (other, np.array([0.25, 0.45])),  # keeps content at 0.25, drops the menu at 0.45: (0.1|0.2, >0.45, ...)
        (article, np.array([0.45, 0.55])),  # (0.3 or under, over 0.55, ...)
    ]
    bars = trainer.choose_bars(scored)
    assert bars["other"] == [0.1, 0.5, 0.5]  # the first such entry in grid order
    assert bars["article"] == [0.1, 0.6, 0.7]
    assert "items" not in bars  # no page of that kind: model.bars_for falls back to "other"
    assert trainer.unit_f1(other, np.array([True, False])) == 1.0
    assert trainer.unit_f1(other, np.array([True, True])) == 2 * 0.5 / 1.5


def test_scrapinghub_pages_weigh_half_where_a_kind_has_both_sets() -> None:
    trainer = _trainer()
    wcxb = [(_unit(trainer, "article"), np.array([0.45, 0.55])) for _ in range(9)]
    # One Scrapinghub page whose truth is mostly the block the WCXB pages want dropped: weighed
    # as much as the nine WCXB pages together, it wins (by page count, they would).
    news = trainer.BarUnit("article", [["rain"], ["menu", "menu", "menu"]], [None, Reason.LOW_SCORE],
                           Counter(["rain", "menu", "menu", "menu"]), "scrapinghub")  # fmt: skip
    bars = trainer.choose_bars([*wcxb, (news, np.array([0.45, 0.35]))])
    kept, soft, _ = bars["article"]
    assert kept <= 0.45 and soft <= 0.35


def test_the_rescue_is_chosen_per_page_kind_where_it_pays() -> None:
    trainer = _trainer()
    # A listing: a heading the rules keep and two items a cue drops, all content, each scored
    # about 0.6 (no block the scorer is sure of). A news page: an article paragraph and two
    # teasers, not content, scored the same way.
    blocks = [["shoes"], ["red", "shoes", "sale"], ["blue", "shoes", "sale"]]
    reasons = [None, Reason.RELATED, Reason.RELATED]
    chars = np.array([5.0, 14.0, 15.0])
    listing = trainer.BarUnit("items", blocks, reasons, Counter(w for b in blocks for w in b), "wcxb", chars)
    news = trainer.BarUnit("other", blocks, reasons, Counter(["shoes"]), "wcxb", chars)
    scores = np.array([0.7, 0.6, 0.6])
    bars = {"items": [0.3, 0.8, 0.8], "other": [0.3, 0.8, 0.8]}
    rescue, wide = trainer.choose_rescue([(listing, scores), (news, scores)], bars)
    assert rescue == {"items": trainer.RESCUE_GRID[1][0], "other": 0.0}
    assert wide == {"items": 0.0, "other": 0.0}  # the narrow rescue gets the items: no need to reach further


def test_the_rescue_reaches_outside_the_container_only_under_the_chosen_menu_share() -> None:
    trainer = _trainer()
    # Items outside the rules' container (soft reasons), each scored about 0.6: on a listing
    # (little text in menu entries) they are content; on a news page under a big menu they are
    # the menu's neighbours, not content.
    blocks = [["shoes"], ["red", "shoes", "sale"], ["blue", "shoes", "sale"]]
    reasons = [None, Reason.LOW_SCORE, Reason.LOW_SCORE]
    chars = np.array([5.0, 14.0, 15.0])
    truth = Counter(w for b in blocks for w in b)
    listing = trainer.BarUnit("items", blocks, reasons, truth, "wcxb", chars, 0.1)
    menu_page = trainer.BarUnit("other", blocks, reasons, Counter(["shoes"]), "wcxb", chars, 0.6)
    listing_too = trainer.BarUnit("other", blocks, reasons, truth, "wcxb", chars, 0.3)
    scores = np.array([0.7, 0.6, 0.6])
    bars = {"items": [0.3, 0.8, 0.8], "other": [0.3, 0.8, 0.8]}
    rescue, wide = trainer.choose_rescue([(listing, scores), (menu_page, scores), (listing_too, scores)], bars)
    assert rescue["items"] == 0.1 and wide["items"] == 0.25  # the first wide entry: its menu share is under it
    # "other": reaching out pays on the page with a menu share of 0.3 and costs on the one with
    # 0.6, so the bar falls between them.
    assert wide["other"] == 0.5


def test_tune_pages_join_the_folds_by_site_without_moving_the_wcxb_pages() -> None:
    trainer = _trainer()
    sites = [f"site{i % 7}.org" for i in range(30)]
    extra = ["site3.org", "news-a.com", "news-b.com", "news-a.com", "site5.org"]
    folds = trainer.folds_with_extra(sites, extra, 3, 13)
    assert folds[:30] == trainer.folds_by_site(sites, 3, 13)  # the WCXB folds (the cv table's) are unchanged
    fold_of = dict(zip(sites, folds[:30], strict=True))
    # A tune page on a WCXB site sits in that site's fold; a site's tune pages sit together.
    assert folds[30] == fold_of["site3.org"] and folds[34] == fold_of["site5.org"]
    assert folds[31] == folds[33]
    assert all(0 <= f < 3 for f in folds)


def test_the_text_scorer_learns_from_the_tune_halfs_dumps_only(tmp_path: Path) -> None:
    # --text-learn-tune: the Scrapinghub pages the text scorer may learn from are the split's tune
    # half's visible-lines dumps, in id order, with their truth and site; never a held-out page.
    trainer = _trainer()
    split = json.loads((TRAINER.parent / "splits" / "extraction.json").read_text("utf-8"))
    tune, held = sorted(split["tune"])[:2], sorted(split["heldout"])[0]
    root = tmp_path / trainer.SCRAPINGHUB
    (root / "text").mkdir(parents=True)
    truth = {i: {"articleBody": f"body of {i}", "url": f"https://www.site-{i}.com/a"} for i in [*tune, held]}
    (root / "ground-truth.json").write_text(json.dumps(truth), "utf-8")
    with gzip.open(root / "text" / "visible-lines.jsonl.gz", "wt", encoding="utf-8") as handle:
        for i in [held, *reversed(tune)]:
            handle.write(json.dumps({"id": i, "text": f"Menu\nvisible {i}\n"}) + "\n")
    assert trainer.scrapinghub_tune_text(tmp_path) == [
        (f"Menu\nvisible {i}\n", f"body of {i}", f"site-{i}.com") for i in tune
    ]
    assert trainer.scrapinghub_tune_text(tmp_path / "missing") == []


def test_the_trees_learn_at_the_rate_they_are_given() -> None:
    # --learning-rate reaches the HTML scorer's trees through train(params=...); without params
    # (the text scorer) they learn at PARAMS' rate. One tree on a clean split: its leaves move the
    # log-odds in proportion to the rate.
    trainer = _trainer()
    x = np.repeat(np.array([[0.0], [1.0]]), 200, axis=0)
    y = np.repeat(np.array([0.0, 1.0]), 200)
    w = np.ones(len(y))

    def spread(params):  # type: ignore[no-untyped-def]
        booster = trainer.train(x, y, w, 13, 1, ("x",), params)
        raw = booster.predict(np.array([[0.0], [1.0]]), raw_score=True)
        return float(raw[1] - raw[0])

    default = spread(None)
    assert abs(spread(dict(trainer.PARAMS, learning_rate=0.16)) / default - 2.0) < 1e-6
    assert abs(spread(dict(trainer.PARAMS, learning_rate=0.08)) - default) < 1e-9
