"""The learned scorers (model.py, features.py) and the cue fixes that came with them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cleaner.boilerplate.features import (
    CONTEXT_NAMES,
    FEATURE_NAMES,
    block_features,
    context_features,
    text_stats,
    texts_stats,
)
from cleaner.boilerplate.html import CONTEXT_MODEL, _text_without_body, analyse, extract, model_scores, visible_text
from cleaner.boilerplate.model import HTML_MODEL, TEXT_MODEL, WALK_LANES, TreeModel, packaged
from cleaner.boilerplate.rules import LINE_CUE_MAX_LENGTH, LINE_CUES, PREFIX_CUES, ClassCues, line_reason
from cleaner.boilerplate.text import LINE_FEATURES, classify_lines
from cleaner.cli import main
from cleaner.record import Reason

PAGE = """<html><body><nav><a href="/">Home</a> <a href="/w">World</a> <a href="/s">Sport</a></nav>
<div class="elementor-widget elementor-widget-text-editor"><h1>Rain all week</h1>
<p>It rained all day in the city, and the river rose by a metre before the evening, the council said.</p>
<p>More rain is expected tomorrow, forecasters warned on Monday, and schools will stay closed.</p>
<ul><li>Bridges closed: three</li><li>Homes flooded: forty</li></ul></div>
<div class="share-bar"><a href="/fb">Facebook</a> <a href="/tw">Twitter</a></div>
<footer>© 2024 Example News. All rights reserved.</footer></body></html>"""


def test_shipped_models_load_with_their_features_and_attribution() -> None:
    html_model, context, text_model = packaged(HTML_MODEL), packaged(CONTEXT_MODEL), packaged(TEXT_MODEL)
    assert html_model is not None and context is not None and text_model is not None
    # A feature added without retraining would shift every column the trees read.
    assert html_model.names == FEATURE_NAMES
    assert context.names == (*FEATURE_NAMES, *CONTEXT_NAMES)
    assert text_model.names == LINE_FEATURES
    for model in (html_model, context, text_model):
        assert "CC-BY-4.0" in model.meta["data"] and "Murrough Foley" in model.meta["data"]
        for kept, soft, cued in model.meta["bars"].values():
            assert 0 < kept <= soft <= cued < 1  # a cue's verdict is the hardest to overrule
    assert html_model.tokens, "the class-word table travels with the HTML model"


def test_compiled_and_numpy_tree_walks_agree_bit_for_bit() -> None:
    model = packaged(HTML_MODEL)
    assert model is not None
    page = analyse(PAGE)
    assert page is not None
    rows = block_features(page, model.tokens).astype(np.float64)
    rng = np.random.default_rng(0)
    noisy = np.vstack([rows, rows + rng.normal(0, 1, rows.shape)])
    compiled = model.raw(noisy, compiled=True)
    assert np.array_equal(compiled, model._raw_numpy(noisy) + float(model.meta.get("init_score", 0.0)))
    assert np.array_equal(compiled, model.raw(noisy))


def test_compiled_walk_agrees_on_partial_lanes_and_nan() -> None:
    # The compiled walk takes rows WALK_LANES at a time: a last, partial group and NaN features
    # (which go right: NaN <= threshold is false) must give the numpy twin's bits.
    model = packaged(TEXT_MODEL)
    assert model is not None
    rng = np.random.default_rng(1)
    rows = rng.normal(0, 2, (2 * WALK_LANES + 7, len(model.names)))
    rows[::5, rng.integers(0, len(model.names), 3)] = np.nan
    for n in (1, 2, 3, WALK_LANES, len(rows)):
        expected = model._raw_numpy(rows[:n]) + float(model.meta.get("init_score", 0.0))
        assert np.array_equal(model.raw(rows[:n], compiled=True), expected)


def test_a_value_equal_to_the_threshold_goes_left_in_both_walks() -> None:
    # LightGBM's rule (x <= threshold goes left); real thresholds rarely equal a feature value.
    model = TreeModel.from_arrays(
        feature=[0, -1, -1], threshold=[0.5, 0, 0], left=[1, 1, 2], right=[2, 1, 2], value=[0.0, -1.0, 1.0],
        roots=[0], depth=1, names=("x",), meta={},
    )  # fmt: skip
    rows = np.array([[0.5], [0.25], [0.75]])
    assert model.raw(rows, compiled=True).tolist() == [-1.0, -1.0, 1.0]
    assert model._raw_numpy(rows).tolist() == [-1.0, -1.0, 1.0]


def test_float32_rows_walk_as_their_float64_values() -> None:
    # The numpy walk compares float32 rows (the HTML features) with float32 thresholds: 0.1 and
    # -0.1 lie between two float32 values, and +-1e39 beyond float32's range; a threshold merely
    # rounded to float32 would send float32(0.1), which is above 0.1, left.
    thresholds = [0.1, -0.1, 1e39, -1e39]
    for threshold in thresholds:
        model = TreeModel.from_arrays(
            feature=[0, -1, -1], threshold=[threshold, 0, 0], left=[1, 1, 2], right=[2, 1, 2],
            value=[0.0, -1.0, 1.0], roots=[0], depth=1, names=("x",), meta={},
        )  # fmt: skip
        near = np.float32(threshold) if abs(threshold) < 1e38 else np.float32(np.copysign(3e38, threshold))
        values = [near, np.nextafter(near, np.float32(-np.inf)), np.nextafter(near, np.float32(np.inf))]
        rows = np.array([[v] for v in [*values, np.nan, np.inf, -np.inf]], dtype=np.float32)
        expected = [-1.0 if value <= threshold else 1.0 for value in rows[:, 0].astype(np.float64)]
        assert model.raw(rows).tolist() == expected
        assert model.raw(rows.astype(np.float64)).tolist() == expected


def test_model_round_trips_through_its_file(tmp_path: Path) -> None:
    model = TreeModel.from_arrays(
        feature=[0, -1, -1], threshold=[0.5, 0, 0], left=[1, 1, 2], right=[2, 1, 2], value=[0.0, -1.0, 1.0],
        roots=[0], depth=1, names=("x",), meta={"threshold": 0.5}, tokens={"nav": -2.0},
    )  # fmt: skip
    model.save(tmp_path / "m.npz")
    loaded = TreeModel.load(tmp_path / "m.npz")
    assert loaded.tokens == {"nav": -2.0} and loaded.meta == {"threshold": 0.5}
    assert loaded.predict([[0.0], [1.0]]).tolist() == model.predict([[0.0], [1.0]]).tolist()


@pytest.mark.parametrize(
    ("names", "cue"),
    [
        ("elementor-widget elementor-widget-text-editor", None),  # Elementor wraps every block in these
        ("widget sidebar-widget", Reason.RELATED),
        ("field--label-hidden", None),  # Drupal: the label is hidden, not the field
        ("overflow-hidden", None),  # Tailwind
        ("hidden-md", None),  # hidden on one screen size only
        ("hidden lg:flex", None),  # hidden on phones, shown on desktops
        ("d-none d-md-block", None),
        ("hidden", Reason.MARKUP),
        ("d-none", Reason.MARKUP),
        ("cmp-text", None),  # Adobe's component prefix, not a consent manager
        ("cmp-cookie-banner", Reason.CONSENT),
    ],
)
def test_class_cues_that_matched_more_than_they_meant(names: str, cue: Reason | None) -> None:
    assert ClassCues().judge(names) is cue


def test_mathml_is_visible_text() -> None:
    text = visible_text("<p>Let <math><mi>x</mi><mo>=</mo><mn>2</mn><annotation>x=2</annotation></math> hold.</p>")
    assert text == "Let x=2 hold."  # the annotation (a copy in TeX) is not shown


def test_unspaced_scripts_count_by_character() -> None:
    words, _, _, unspaced, stop = text_stats("これは日本語の文章です。")
    assert words == unspaced == 11 and stop


@pytest.mark.parametrize("seed", [1, 2])
def test_page_wide_text_stats_equal_the_per_text_ones(seed: int) -> None:
    # texts_stats counts with a code-point table; text_stats with the regular expressions it mirrors.
    import random

    rng = random.Random(seed)
    samples = ["Hello, world.", "これは日本語の文章です。", "", " ", "٣ ٤ — done)", "x\U00020000y 😀 a1", "\x01_\u0663"]
    samples += ["".join(chr(rng.randrange(0x11000)) for _ in range(rng.randrange(40))) for _ in range(500)]
    pieces = ["a", "1", ".", "。", "中", "_", "\u0e01", "»", "é"]
    samples += [" ".join(rng.choice(pieces) for _ in range(9)) for _ in range(300)]
    expected = np.asarray([text_stats(text) for text in samples], dtype=np.float64)
    assert np.array_equal(texts_stats(samples), expected)


def test_discourse_thread_comes_from_its_preloaded_posts() -> None:
    import json
    from html import escape

    posts = [{"cooked": "<p>First post of the thread.</p>"}, {"cooked": "<p>A reply, with <b>bold</b>.</p>"}]
    topic = json.dumps({"post_stream": {"posts": posts}})
    html = f'<body><section id="splash"></section><div data-preloaded="{escape(json.dumps({"topic_7": topic}))}">'
    assert extract(html).text == "First post of the thread.\n\nA reply, with bold."
    assert _text_without_body("<body></body>") == ""


def test_every_removed_block_has_a_reason_and_the_scorers_say_how_sure() -> None:
    result = extract(PAGE)
    assert "It rained all day" in result.text and "Homes flooded: forty" in result.text
    assert "Facebook" not in result.text and "All rights reserved" not in result.text
    assert result.drops and all(d.reason.value.startswith("boilerplate.") for d in result.drops)
    scored = [d for d in result.drops if d.detail.startswith("score ")]
    assert scored and all(0 <= float(d.detail.split()[1]) <= 1 for d in scored)
    assert any(d.reason is Reason.SOCIAL and "Facebook" in d.text for d in result.drops)


def test_rules_only_mode_still_works() -> None:
    assert "It rained all day" in extract(PAGE, learned=False).text


def test_markdown_output_keeps_the_structure() -> None:
    text = extract(PAGE, as_markdown=True).text
    assert "# Rain all week" in text.splitlines()
    assert "- Bridges closed: three\n- Homes flooded: forty" in text
    assert extract(PAGE).text.splitlines()[0] == "Rain all week"  # plain text stays the default


def test_markdown_flag_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.html").write_text(PAGE, encoding="utf-8")
    args = ["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--jobs", "1", "--quiet"]
    result = CliRunner().invoke(main, [*args, "--markdown"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "# Rain all week" in (tmp_path / "out" / "page.txt").read_text(encoding="utf-8")


def _line_reason_loop(line: str) -> Reason | None:
    """The rule table read one cue at a time (the form line_reason's single alternation replaced)."""
    text = line.strip()
    if not text or len(text) > 600 or (text[0].islower() and text[-1] == "." and len(text.split()) <= 3):
        return None
    for reason, pattern in PREFIX_CUES:
        if pattern.match(text) and len(text) < 200:
            return reason
    for (reason, pattern), longest in zip(LINE_CUES, LINE_CUE_MAX_LENGTH, strict=True):
        if len(text) <= longest and pattern.fullmatch(text):
            return reason
    return None


LINES = [
    "Home", "Share this article", "Leave a Reply", "Advertisement", "Related articles", "© 2024 Example",
    "Accept all cookies", "Privacy Policy", "Subscribe", "Photo: Reuters", "Next", "ad", "Ad", "Getty Images",
    "Source: Read Full Article", "Comments (3)", "Anzeige", "Tags: rain, floods", "It rained all day.",
    "The committee will leave a comment period open until May.", "share.", "Sponsored by Acme", "Reply",
    "Continue reading below", "12 comments", "Похожие статьи", "Weiterlesen nach der Anzeige", "Menu",
]  # fmt: skip


@pytest.mark.parametrize("line", LINES)
def test_one_alternation_gives_the_same_reason_as_the_cue_loop(line: str) -> None:
    assert line_reason(line) is _line_reason_loop(line)


MENU_PAGE = "".join(f"{word}\n" for word in ("Home", "News", "Sport", "Weather", "Culture", "Travel", "Login"))
ARTICLE = (
    "Rivers rose across the region after two days of heavy rain, and the lower town was flooded overnight.\n"
    "Officials said the water would fall slowly over the coming days, and asked residents to stay away.\n"
    "Schools will stay closed until Thursday, the council said in a statement on Monday evening.\n"
)


def test_learned_line_scorer_drops_menus_with_reasons_and_keeps_the_article() -> None:
    text = MENU_PAGE + ARTICLE + "Share this article\nLeave a Reply\n"
    drops = classify_lines(text)
    dropped = {d.text.strip() for d in drops}
    assert {"Sport", "Weather", "Share this article", "Leave a Reply"} <= dropped
    assert not any(line in dropped for line in ARTICLE.splitlines())
    assert all(d.reason.value.startswith("boilerplate.") for d in drops)


def _thread(posts: int) -> str:
    body = "".join(
        f"<div class='post post-{1040 + i}' id='p{1040 + i}'><div class='author'>user{i}</div>"
        f"<p>Reply number {i}: I had the same problem with the driver, and rolling back fixed it.</p></div>"
        for i in range(posts)
    )
    return f"<html><body><nav><a href='/'>Forum</a></nav><div class='thread'>{body}</div></body></html>"


def test_a_thread_of_posts_with_their_own_ids_is_a_page_of_items() -> None:
    # Forum posts, results and tiles carry ids in their class and id ("post-1041"): digits aside,
    # they are one run of repeated items, which sets the page's kind (and so its bars).
    from cleaner.boilerplate.html import page_kind

    page = analyse(_thread(5))
    assert page is not None
    assert page.items_share > 0.9
    assert page_kind(page) == "items"
    in_items = [page.in_items[block.element] for block in page.blocks]
    assert all(in_items)
    two = analyse(_thread(2))  # two posts are not a run
    assert two is not None and two.items_share == 0.0 and page_kind(two) != "items"


def test_an_article_stays_an_article_whatever_repeats_in_it() -> None:
    from cleaner.boilerplate.html import page_kind

    paragraphs = "".join(f"<p>Paragraph {i} of the story, a full sentence that ends well.</p>" for i in range(6))
    page = analyse(f"<html><body><article>{paragraphs}</article></body></html>")
    assert page is not None and page_kind(page) == "article"


def test_scoring_a_page_loads_no_compiler() -> None:
    # The numpy walk is the default: loading numba's compiled walk costs ~0.4 CPU s per process,
    # more than it saves on a few hundred pages (see model.py). A subprocess: this one may hold numba.
    import subprocess
    import sys

    code = (
        f"import sys\nfrom cleaner.boilerplate.html import extract\nextract({PAGE!r})\nprint('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("method", ["raw", "reaches"])
def test_a_model_starts_numba_only_after_its_numpy_budget(method: str) -> None:
    """A small run scores with the numpy twin and never imports numba; a large one starts the
    compiled walk once the models have walked their budget of steps (rows x trees x levels) with
    numpy, counted over the calls: NUMPY_STEPS for ``raw`` (the HTML blocks), DECIDING_NUMPY_STEPS
    for ``reaches`` (the text lines). Run in a fresh process: this one has numba loaded."""
    import os
    import subprocess
    import sys

    script = f"""
import sys
import numpy as np
from cleaner.boilerplate import model as m
trees, depth = 16, 16  # 16 stumps, each walked 16 levels: 256 steps a row
model = m.TreeModel.from_arrays(
    feature=[0, -1, -1] * trees, threshold=[0.5, 0, 0] * trees,
    left=[3 * t + d for t in range(trees) for d in (1, 1, 2)],
    right=[3 * t + d for t in range(trees) for d in (2, 1, 2)],
    value=[0.0, -1.0, 1.0] * trees, roots=[3 * t for t in range(trees)], depth=depth, names=("x",), meta={{}},
)
budget = m.NUMPY_STEPS if "{method}" == "raw" else m.DECIDING_NUMPY_STEPS
rows = np.linspace(0, 1, budget // (trees * depth) // 2).reshape(-1, 1)  # half the budget
score = (lambda x: model.raw(x) >= 0) if "{method}" == "raw" else (lambda x: model.reaches(x, np.full(len(x), 0.5)))
before = score(rows)
first = "numba" in sys.modules
again = score(rows[:-1])  # the budget less one row: still numpy
second = "numba" in sys.modules
after = score(rows)  # past it: compiled
same = bool(np.array_equal(before, after)) and bool(np.array_equal(again, before[:-1]))
print(first, second, "numba" in sys.modules, same, bool(before.any()), bool((~before).any()))
"""
    repo = Path(__file__).resolve().parents[2]
    # CLEANER_AOT=0: numba's walk, which a process starts past its budget (the walks compiled ahead
    # of time run from the first row: tests/test_aot.py).
    env = {**os.environ, "PYTHONPATH": str(repo), "CLEANER_AOT": "0"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=repo)
    assert done.stdout.split() == ["False", "False", "True", "True", "True", "True"], done.stdout + done.stderr


def _split_on(column: int, threshold: float) -> TreeModel:
    """One stump: -4 below ``threshold`` in ``column``, +4 above it."""
    names = (*FEATURE_NAMES, *CONTEXT_NAMES)
    return TreeModel.from_arrays(
        feature=[column, -1, -1], threshold=[threshold, 0, 0], left=[1, 1, 2], right=[2, 1, 2],
        value=[0.0, -4.0, 4.0], roots=[0], depth=1, names=names, meta={},
    )  # fmt: skip


def test_the_second_stage_reads_the_first_stages_scores_around_each_block() -> None:
    first = packaged(HTML_MODEL)
    assert first is not None
    page = analyse(PAGE)
    assert page is not None
    scores = model_scores(page, first)
    # A second stage that keeps a block exactly where the first stage's score passes 0.5 ...
    own = _split_on(len(FEATURE_NAMES) + CONTEXT_NAMES.index("score"), 0.5)
    assert (model_scores(page, first, own) > 0.5).tolist() == (scores > 0.5).tolist()
    # ... and one that follows the page's mean score instead gives every block one verdict.
    page_mean = float(context_features(page, scores)[0, CONTEXT_NAMES.index("page_score")])
    whole = _split_on(len(FEATURE_NAMES) + CONTEXT_NAMES.index("page_score"), page_mean - 0.01)
    assert set((model_scores(page, first, whole) > 0.5).tolist()) == {True}
    assert not (scores > 0.5).all(), "the page must have blocks the first stage drops for this to test anything"


def test_context_features_follow_the_tree_and_the_neighbours() -> None:
    page = analyse("<div><p>First paragraph here.</p><p>Second one.</p></div><ul><li>A link</li></ul>")
    assert page is not None
    rows = context_features(page, np.array([1.0, 0.0, 0.5]))
    col = {name: j for j, name in enumerate(CONTEXT_NAMES)}
    sizes = np.array([len(b.text) for b in page.blocks], dtype=np.float64)
    # The first two blocks share their <div>: its mean is their character-weighted mean.
    assert rows[0, col["up_score_1"]] == rows[1, col["up_score_1"]]
    assert np.isclose(rows[0, col["up_score_1"]], sizes[0] / (sizes[0] + sizes[1]))
    assert np.isclose(rows[2, col["window_score_1"]], (0.0 * sizes[1] + 0.5 * sizes[2]) / (sizes[1] + sizes[2]))
    assert np.isclose(rows[0, col["page_content_share"]], (sizes[0] + sizes[2]) / sizes.sum())


def test_context_features_find_the_subtree_the_scores_concentrate_in() -> None:
    page = analyse("<div><p>First paragraph here.</p><p>Second one.</p></div><ul><li>A link</li></ul>")
    assert page is not None
    col = {name: j for j, name in enumerate(CONTEXT_NAMES)}
    sizes = np.array([len(b.text) for b in page.blocks], dtype=np.float64)
    # Scores sure of the <div> alone: keeping its subtree is an F1 of 1, and it holds the two paragraphs.
    rows = context_features(page, np.array([1.0, 1.0, 0.0]))
    assert rows[:, col["in_best_subtree"]].tolist() == [1.0, 1.0, 0.0]
    assert np.isclose(rows[0, col["best_subtree_f1"]], 1.0)
    assert np.isclose(rows[0, col["best_subtree_share"]], (sizes[0] + sizes[1]) / sizes.sum())
    assert rows[0, col["page_sure_share"]] == 1.0
    # Sure of the list alone: the list's item is the subtree.
    rows = context_features(page, np.array([0.0, 0.0, 0.95]))
    assert rows[:, col["in_best_subtree"]].tolist() == [0.0, 0.0, 1.0]


def test_page_shape_features_tell_a_menu_outside_the_article_from_its_prose() -> None:
    from cleaner.boilerplate.features import menu_share

    menu = "".join(f"<li><a href='/{i}'>Section {i}</a></li>" for i in range(12))
    story = "".join(f"<p>Paragraph {i} of the story, a full sentence that ends well.</p>" for i in range(5))
    page = analyse(f"<html><body><ul class='menu'>{menu}</ul><article>{story}</article></body></html>")
    assert page is not None
    rows = block_features(page, {})
    col = {name: j for j, name in enumerate(FEATURE_NAMES)}
    sizes = np.array([len(b.text) for b in page.blocks], dtype=np.float64)
    menu_chars = sizes[:12].sum()
    assert np.isclose(rows[0, col["menu_share"]], menu_chars / sizes.sum())
    assert np.isclose(menu_share(page), menu_chars / sizes.sum())
    assert np.isclose(rows[0, col["outside_menu_share"]], menu_chars / sizes.sum())  # the menu lies outside the article
    assert rows[0, col["container_link_density"]] == 0.0 and rows[0, col["outside_link_density"]] == 1.0
    assert rows[0, col["container_stop_share"]] == 1.0 and rows[0, col["outside_stop_share"]] == 0.0
    # The menu's entries are repeated siblings; the story's paragraphs are not counted as such.
    assert rows[:, col["in_repeated"]].tolist() == [1.0] * 12 + [0.0] * 5
    assert np.isclose(rows[0, col["repeated_share"]], menu_chars / sizes.sum())


def test_class_scores_memo_changes_no_row_and_holds_each_string_once() -> None:
    # block_features remembers class strings' token scores across pages in the model's memo:
    # rows with it equal rows without it, page after page, whatever was scored before.
    model = packaged(HTML_MODEL)
    assert model is not None
    memo: dict[str, float] = {}
    other = "<div class='sidebar widget'><p><a href='/x'>Elsewhere</a></p></div>"
    for html in (PAGE, other, PAGE.replace("share-bar", "sidebar widget")):
        page = analyse(html)
        assert page is not None
        plain = block_features(page, model.tokens)
        assert np.array_equal(block_features(page, model.tokens, memo).view(np.int32), plain.view(np.int32))
        assert np.array_equal(block_features(page, model.tokens, memo).view(np.int32), plain.view(np.int32))
    assert {"share-bar", "sidebar widget"} <= set(memo)


def test_window_means_equal_window_mean_row_by_row() -> None:
    from cleaner.boilerplate.features import window_mean, window_means

    rows = np.random.default_rng(7).random((4, 37)) * 1000
    for radius in (1, 3, 10, 50):
        together = window_means(rows, radius)
        for row, one in zip(rows, together, strict=True):
            assert one.tolist() == window_mean(row, radius).tolist()
