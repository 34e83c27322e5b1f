"""The learned scorers of the boilerplate stage: boosted trees evaluated with numpy, from package data.

The trees are trained by ``benchmarks/train_boilerplate.py`` (LightGBM, seeded, one command) on
the WCXB development pages and shipped as ``cleaner/boilerplate/data/*.npz``: flat node arrays, a
token table and the metadata (feature names, decision bars and expected-F1 rescue per page kind
(keep_mask), training data and its CC-BY-4.0 attribution). Loading takes milliseconds; no
network, no training library at run time.

Evaluation walks every tree at once with numpy, one step per level. A compiled loop (numba) gives
the same bits (both add the trees' values in the same order) and takes over once numba runs in
the process or the models have walked their first steps with numpy (NUMPY_STEPS,
DECIDING_NUMPY_STEPS; ``raw(rows, compiled=True)`` asks for it), or from the first row where
setup.py compiled it ahead of time (``_aot``: no numba to start):
on the 181 Scrapinghub pages' 17,883 blocks the HTML models of 150 + 150 trees took 0.25 CPU-s with
numpy and 0.08 compiled (0.16 walking row by row down each tree, before the rows went through each
tree 32 at a time, a fixed number of levels: see _numba_kernel); the 100 + 100 trees shipped since
session 10 walk two thirds of those steps.

>>> model = TreeModel.from_arrays(
...     feature=[0, -1, -1], threshold=[0.5, 0, 0], left=[1, 1, 2], right=[2, 1, 2],
...     value=[0.0, -2.0, 2.0], roots=[0], depth=1, names=("x",), meta={})
>>> [round(p, 3) for p in model.predict([[0.0], [1.0]]).tolist()]
[0.119, 0.881]
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from cleaner import cache
from cleaner.boilerplate import _aot
from cleaner.cache import blake2b
from cleaner.errors import CleanerError
from cleaner.jit import import_numba
from cleaner.record import Reason

# Starting numba costs about 0.4 CPU-s per process even from a warm cache (its import 0.25, then its
# first kernel 0.14: cleaner.jit); the numpy twin takes about 6 ns per step of a row down a tree level
# (rows x trees x depth). So the models of a process walk their first steps with numpy and then
# start numba: a small run (the seeds) never does.
# - ``raw`` (the HTML block scorers) switches after NUMPY_STEPS, about what starting numba costs
#   (the ski rental: never more than about twice the better of the two; the compiled walk is about
#   2.7x the numpy one here). The 181 Scrapinghub pages never start numba: their 17,883 blocks go
#   through both HTML models (100 trees of 8 levels each since session 10: 29 M steps; measured with
#   the 150 trees of each before: 43 M steps, 0.24 CPU-s with numpy, 0.09
#   compiled after the 0.4 s start; end to end, with main alternated: 2.79 -> 2.59 and 2.50 -> 2.30
#   CPU s, medians of 8 and 6 rounds at loads 4-9, but no difference at a load of about 2, where the
#   signals stage's numpy passes, which numba would have replaced, take back the rest; peak memory
#   184 -> 86 MB).
# - ``reaches`` (the text line scorer) switches after DECIDING_NUMPY_STEPS, about 900 lines: its numpy
#   twin walks every tree of every line (15.6 us a line) where the compiled one stops at each line's
#   decision (3.2 us), and a text run long enough for this to matter starts numba in the signals
#   stage anyway (quality.NUMPY_CHARS, a million characters). With NUMPY_STEPS here too, 2,700
#   documents of the gen_dump dump took 3.51 -> 3.83 CPU s (now 3.44 -> 3.32, as before).
# Re-measure with a timed TreeModel.raw and TreeModel.reaches on packaged(HTML_MODEL) and
# packaged(TEXT_MODEL), numba started or not, and end to end (benchmarks/bench_pipeline.py, both inputs).
NUMPY_STEPS = 64 << 20
DECIDING_NUMPY_STEPS = 2 << 20


class _Budget:
    """Steps the models of this process walked with the numpy twin: counted per process, not per
    model (a page goes through two HTML models; an engine that unpickles the stage for each task
    builds new models). It only picks between two bit-identical walks: no result depends on it."""

    spent = 0


NUMPY_BUDGET = _Budget()

# Rows the compiled walk takes through a tree side by side (see _numba_kernel).
WALK_LANES = 32

# Rows the numpy walk (TreeModel._raw_numpy) takes through all the trees at once: 256 rows of 100
# trees keep each step's arrays at 200 KB, in a core's L2 cache. On the 181 Scrapinghub pages'
# rows (batches of ~1,600) the walk of both HTML models took 318 -> 255 ms with another process
# running (whole batches' arrays spill to the shared L3), 241 -> 238 on an idle machine.
NUMPY_WALK_ROWS = 256
# TreeModel.reaches checks which rows are decided after every DECIDE_BLOCK trees. On the text
# model (300 trees) a line of the 30 MB gen_dump dump is decided after 186 trees on average
# (checked after every tree), 188 checked every 5, 198 every 25. Its 70,705 first lines took
# 0.30 CPU-s scored whole and 0.26, 0.23, 0.23 decided with blocks of 10, 25, 50 (fewer
# checks, fuller lanes between them) with the walk of 32 lanes over the node arrays; with the
# walk of eight rows in variables (_deciding_kernel), the dump's 232,692 scored lines took 0.67,
# 0.58, 0.55, 0.53, 0.53, 0.56, 0.58 CPU-s with blocks of 1, 2, 3, 5, 10, 15, 25.
DECIDE_BLOCK = 5
# A row is decided early only when its bounds clear the bar's log-odds by this much (relative):
# far more than the rounding of the partial sums (about 1e-15), so the answer is always the one
# the whole sum gives. (The bounds themselves leave more room: what the remaining trees can add
# spans 3.6 log-odds even before the last 25.)
DECIDE_MARGIN = 1e-9
# Measured on the dump's 232,692 scored lines and not taken (session 13): walking each distinct
# row once (np.unique: 232,093 of them are distinct: positions and page sums differ), trees in
# order of their leaves' spread (3% fewer trees walked), rest bounds per page (the least and
# most of the leaves a page's own page columns can reach: 27% fewer trees, but the bounds cost
# a page about what its ~18 lines save), per line class (rule reason, paragraph, menu item...:
# 5% fewer), 4, 12 or 16 rows in variables instead of 8 (0.72, 0.55, 1.11 CPU-s against 0.54:
# 16 runs out of registers), the depth as a constant (no change).

HTML_MODEL = "html-blocks.npz"
TEXT_MODEL = "text-lines.npz"


@dataclass(frozen=True, eq=False)
class TreeModel:
    """A boosted tree ensemble (binary, logistic) as flat arrays, with its metadata.

    Leaves point to themselves (left = right = own index), so walking ``depth`` steps from
    every root lands each row on its leaf whatever the depth of its path.
    """

    feature: np.ndarray  # int32 per node; -1 at leaves
    threshold: np.ndarray  # float64 per node: go left when x <= threshold
    left: np.ndarray  # int32
    right: np.ndarray  # int32
    value: np.ndarray  # float64 leaf values (0 at inner nodes)
    roots: np.ndarray  # int32, one per tree
    depth: int
    names: tuple[str, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)
    tokens: Mapping[str, float] = field(default_factory=dict)  # class/id word -> learned score

    @classmethod
    def from_arrays(
        cls,
        *,
        feature: Sequence[int],
        threshold: Sequence[float],
        left: Sequence[int],
        right: Sequence[int],
        value: Sequence[float],
        roots: Sequence[int],
        depth: int,
        names: tuple[str, ...],
        meta: Mapping[str, Any],
        tokens: Mapping[str, float] | None = None,
    ) -> TreeModel:
        return cls(
            np.asarray(feature, dtype=np.int32), np.asarray(threshold, dtype=np.float64),
            np.asarray(left, dtype=np.int32), np.asarray(right, dtype=np.int32),
            np.asarray(value, dtype=np.float64), np.asarray(roots, dtype=np.int32), int(depth), names,
            dict(meta), dict(tokens or {}),
        )  # fmt: skip

    def raw(self, rows: Any, compiled: bool = False) -> np.ndarray:
        """The summed leaf values (log-odds) per row; ``compiled``: with numba where installed (same bits)."""
        x = np.asarray(rows)
        if x.dtype != np.float32:  # float32 rows (the HTML features) stay so for the numpy walk
            x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.names):
            raise CleanerError(f"the model wants {len(self.names)} features per row, got shape {x.shape}")
        n = x.shape[0]
        if n == 0:
            return np.zeros(0)
        # The compiled walk when asked, once numba is loaded anyway (the signals and dedup stages
        # load it on a large input), or once the models have walked NUMPY_STEPS steps with the numpy
        # twin: both give the same bits, so which one runs changes speed only, never the output.
        kernel = _numba_kernel() if compiled or self._numba_pays(n, NUMPY_STEPS) else None
        if kernel is not None:
            feature, threshold, children = self._walk_arrays
            x = np.ascontiguousarray(x, dtype=np.float64)
            sums = kernel(x, feature, threshold, children, self.value, self.roots, self.depth)
        else:
            sums = self._raw_numpy(x)
        return sums + float(self.meta.get("init_score", 0.0))

    def _numba_pays(self, rows: int, budget: int) -> bool:
        """Whether to walk ``rows`` rows compiled: numba is loaded already, or the numpy walks of
        this process would reach ``budget`` steps with these rows' (which are counted when they
        walk with numpy); False without numba installed too."""
        if _aot.compiled_ready():
            return True
        steps = rows * len(self.roots) * self.depth
        if NUMPY_BUDGET.spent + steps < budget or not _numba_installed():
            NUMPY_BUDGET.spent += steps
            return False
        return True

    @functools.cached_property
    def class_scores(self) -> dict[str, float]:
        """A memo for features.block_features: each class/id string's own score under ``tokens``
        (a pure function of the string and the table; bounded there by CLASS_SCORES_KEPT)."""
        return {}

    @functools.cached_property
    def _walk_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The nodes' features (0 at leaves), thresholds, and children side by side (left at 2i, right at 2i+1)."""
        children = np.empty(2 * len(self.feature), dtype=np.intp)
        children[0::2] = self.left
        children[1::2] = self.right
        return np.maximum(self.feature, 0).astype(np.intp), self.threshold, children

    @functools.cached_property
    def _numpy_walk_arrays(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The numpy twin's tables. Each node gets a slot whose number tells its feature: the slots
        of feature f are f << s to (f + 1) << s, for the least s that holds the most nodes of one
        feature (and all the nodes: leaves take free slots of any feature, whose value they never
        read). Every table is indexed by twice a node's slot (2p and 2p + 1 both hold its threshold
        and leaf value): the children side by side, the right one at 2p and the left one at 2p + 1,
        each as twice its slot. A step is then ``children[2p + (x[row, 2p >> (s + 1)] <= threshold)]``:
        a shift instead of a gather of the feature. Returns s + 1, the thresholds (float64), the
        children, the leaf values and the roots (twice their slots)."""
        feature = self.feature
        groups = len(self.names)  # feature numbers index the names (x's columns)
        if len(feature) and int(feature.max()) >= groups:
            raise CleanerError(f"the model's trees read feature {int(feature.max())}, beyond its {groups} names")
        inner = np.flatnonzero(feature >= 0)
        counts = np.bincount(feature[inner], minlength=groups)
        shift = 0
        while (1 << shift) < counts.max(initial=0) or (groups << shift) < len(feature):
            shift += 1
        slot = np.empty(len(feature), dtype=np.intp)
        by_feature = inner[np.argsort(feature[inner], kind="stable")]
        features = feature[by_feature].astype(np.intp)
        firsts = np.cumsum(counts) - counts  # each feature's first place in by_feature
        slot[by_feature] = (features << shift) + (np.arange(len(by_feature)) - firsts[features])
        free = np.ones(groups << shift, dtype=bool)
        free[slot[by_feature]] = False
        leaves = np.flatnonzero(feature < 0)
        slot[leaves] = np.flatnonzero(free)[: len(leaves)]
        size = 2 * (groups << shift)
        children = np.arange(size, dtype=np.intp) & ~1  # a free slot points to itself (never reached)
        children[2 * slot] = 2 * slot[self.right]
        children[2 * slot + 1] = 2 * slot[self.left]
        threshold, value = np.zeros(size), np.zeros(size)
        threshold[2 * slot] = threshold[2 * slot + 1] = self.threshold
        value[2 * slot] = value[2 * slot + 1] = self.value
        return shift + 1, threshold, children, value, 2 * slot[self.roots]

    @functools.cached_property
    def _float32_thresholds(self) -> np.ndarray:
        """_numpy_walk_arrays' thresholds as float32, each the largest float32 at or below its float64
        value: for a float32 x, ``x <= t`` exactly when ``x <= float64 t`` (any float32 at or
        below t is at or below that one), so float32 rows walk to the same leaves."""
        threshold = self._numpy_walk_arrays[1]
        with np.errstate(over="ignore"):  # beyond float32's range: +-inf, then the largest below
            down = threshold.astype(np.float32)
        above = down.astype(np.float64) > threshold
        down[above] = np.nextafter(down[above], np.float32(-np.inf))
        return down

    def _raw_numpy(self, x: np.ndarray) -> np.ndarray:
        """The numpy twin of the compiled kernel (same values, same order of additions).

        Every (row, tree) pair takes one step per level: flat gathers with ``take`` on the
        row-major features and on the doubled tables (_numpy_walk_arrays; about twice as fast as
        2-D fancy indexing, and a tenth faster than indexing by node: this walk is a fifth of the
        HTML extractor's time without numba). The first level needs no gather per pair: every
        pair of a tree starts at its root, so it compares one column of the rows. A node's slot
        tells its feature (a shift), and each pair's row offset is an array of the chunk's shape,
        made once (an add without broadcasting): of the seven array passes of a step, two are
        cheaper (a gather of the features, about 1.05 ns a pair, became a shift, 0.36; the
        broadcast add took 0.74, the plain one 0.36). On the 181 Scrapinghub pages' rows (17,883,
        float32) each HTML model's walk took 91-93 -> 80-83 ms, in process, the same bits.

        Tried on the 181 Scrapinghub pages' rows of both HTML models (0.72 ms a page), all slower
        or no faster: preallocated ``out=`` buffers (0.88-1.13: ``take`` into ``out`` copies, the
        bool-to-intp add in place casts; again with the slots: no faster), ``mode="clip"``/``"wrap"``
        (0.71-0.75), features stored column-major (0.77), feature and threshold gathered as one
        record (0.93), int32 slots (``take`` converts its indices: slower). A quarter to a third of
        the steps move pairs already at a leaf (mostly in the last four levels); dropping them once
        before the 4th, 5th or 6th level saved 0-5% of the walk (with the slots, measured): not
        worth the code. A call costs about 30 us plus 3.2 us a row: little per-call overhead for
        batching pages to save. The rows go NUMPY_WALK_ROWS at a time, whose arrays stay in cache
        (128 and 512 rows: slower, with the slots too).
        """
        n, width = x.shape
        shift, threshold, children, value, roots = self._numpy_walk_arrays
        if x.dtype == np.float32:
            # Float32 rows against float32 thresholds (_float32_thresholds: the same comparisons):
            # half the bytes gathered and compared, 5% of the walk.
            threshold = self._float32_thresholds
            x = np.ascontiguousarray(x)
        else:
            x = np.ascontiguousarray(x, dtype=np.float64)
        root_feature, root_threshold = roots >> shift, threshold.take(roots)
        trees = len(roots)
        # Each pair's row offset in the chunk's flat features, for the largest chunk (a smaller one
        # takes its first rows).
        offsets = np.repeat(np.arange(min(n, NUMPY_WALK_ROWS), dtype=np.intp) * width, trees).reshape(-1, trees)
        sums = np.empty(n, dtype=np.float64)
        # NUMPY_WALK_ROWS rows at a time (a row's sum never depends on the other rows).
        for start in range(0, n, NUMPY_WALK_ROWS):
            part = x[start : start + NUMPY_WALK_ROWS]
            flat = part.ravel()
            row_offset = offsets[: part.shape[0]]
            node = children.take(roots + (part[:, root_feature] <= root_threshold))
            for _ in range(self.depth - 1):
                node = children.take(node + (flat.take((node >> shift) + row_offset) <= threshold.take(node)))
            # The trees' values added in tree order, row by row, as the compiled walk adds them:
            # summed over the first axis of the (trees, rows) gather, whose inner loop then runs
            # along the rows and adds one tree's values to the running sums (a third of the time
            # of the running sum np.cumsum(..., axis=1)[:, -1], the same bits). One row is one
            # contiguous run, which numpy would add pairwise: it keeps the running sum.
            if part.shape[0] == 1:
                sums[start : start + 1] = np.cumsum(value.take(node), axis=1)[:, -1]
            else:
                sums[start : start + NUMPY_WALK_ROWS] = value.take(node.T).sum(axis=0)
        return sums

    def predict(self, rows: Any) -> np.ndarray:
        """Probability of the positive class (content) per row."""
        return 1.0 / (1.0 + np.exp(-self.raw(rows)))

    def reaches(self, rows: Any, levels: Any, compiled: bool = False) -> np.ndarray:
        """``predict(rows) >= levels``, row by row, walking only the trees that can still change it.

        After every DECIDE_BLOCK trees, a row whose partial sum plus the most (least) the
        remaining trees can add stays below (above) the log-odds of its level, by DECIDE_MARGIN,
        is decided; the others walk on, and a row still undecided after the last tree is judged
        on its whole sum, added in the same order as ``raw``'s. A level of +inf (a verdict no
        score overrules) walks no tree. Same answers as ``predict``, in a fraction of the walk
        (the compiled walk, which runs as ``raw`` decides, or when ``compiled``; without it,
        ``predict`` itself).

        >>> model = TreeModel.from_arrays(
        ...     feature=[0, -1, -1], threshold=[0.5, 0, 0], left=[1, 1, 2], right=[2, 1, 2],
        ...     value=[0.0, -2.0, 2.0], roots=[0], depth=1, names=("x",), meta={})
        >>> model.reaches([[0.0], [1.0], [1.0]], [0.5, 0.5, np.inf]).tolist()
        [False, True, False]
        """
        x = np.asarray(rows, dtype=np.float64)
        bars = np.asarray(levels, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.names) or bars.shape != (x.shape[0],):
            raise CleanerError(f"the model wants rows of {len(self.names)} features and a level per row, "
                               f"got shapes {x.shape} and {bars.shape}")  # fmt: skip
        pays = compiled or self._numba_pays(x.shape[0], DECIDING_NUMPY_STEPS)
        kernel = _deciding_kernel() if x.shape[0] and pays else None
        if kernel is None:  # predict's numpy walk (its steps counted above)
            raw = self._raw_numpy(x) + float(self.meta.get("init_score", 0.0)) if x.shape[0] else np.zeros(0)
            return 1.0 / (1.0 + np.exp(-raw)) >= bars
        init = float(self.meta.get("init_score", 0.0))
        early = (bars > 0.0) & (bars < 1.0)  # bars with a finite log-odds; +inf: no score reaches it
        odds = np.log(np.where(early, bars, 0.5) / (1.0 - np.where(early, bars, 0.5))) - init
        margin = DECIDE_MARGIN * (1.0 + np.abs(odds))
        low = np.where(early, odds - margin, -np.inf)  # the row is dropped once its sum must end below
        high = np.where(early, odds + margin, np.inf)  # and kept once it must end above
        walked = np.flatnonzero(bars != np.inf).astype(np.intp)
        feature, threshold, value = self._heap_arrays
        rest_min, rest_max = self._rest_bounds
        state, sums = kernel(
            np.ascontiguousarray(x), feature, threshold, value, len(self.roots), self.depth,
            low, high, rest_min, rest_max, walked, DECIDE_BLOCK,
        )  # fmt: skip
        keep = state == 1
        whole = np.flatnonzero(state == 2)
        keep[whole] = 1.0 / (1.0 + np.exp(-(sums[whole] + init))) >= bars[whole]
        return keep

    @functools.cached_property
    def _heap_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The trees as complete binary trees of ``depth`` levels, for the deciding walk: per tree
        its 2**depth - 1 inner nodes in heap order (the children of node h are 2h + 1 and 2h + 2,
        so a step reads no child index) as features and thresholds, one tree after another, and
        its 2**depth leaf values. A leaf above the last level fills the whole subtree below its
        place (leaves point to themselves): whichever way those nodes send a row, it lands on
        that leaf's value, so every row reaches the value the walk of ``raw`` reaches (2**depth
        values a tree: 1.2 MB for the 300 trees of 8 levels of the text model)."""
        levels = [self.roots.astype(np.intp)[:, None]]  # the nodes at each place of each level, per tree
        for _ in range(self.depth):
            above = levels[-1]
            levels.append(np.stack([self.left[above], self.right[above]], axis=2).reshape(len(above), -1))
        inner = np.concatenate(levels[:-1], axis=1)
        feature = np.maximum(self.feature[inner], 0).astype(np.uint64).ravel()  # unsigned: see _deciding_kernel
        threshold = np.ascontiguousarray(self.threshold[inner].ravel())
        return feature, threshold, np.ascontiguousarray(self.value[levels[-1]].ravel())

    @functools.cached_property
    def _rest_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The least and the most the trees from tree t on can add, for t = 0 .. trees (0 at the end).
        Each tree's least and most leaf value by one reduceat over the trees' node ranges (a slice
        per tree: 3.5 ms of every process that starts the deciding walk)."""
        leaves = self.feature < 0
        least = np.minimum.reduceat(np.where(leaves, self.value, np.inf), self.roots)
        most = np.maximum.reduceat(np.where(leaves, self.value, -np.inf), self.roots)
        return np.append(np.cumsum(least[::-1])[::-1], 0.0), np.append(np.cumsum(most[::-1])[::-1], 0.0)

    def save(self, path: Any) -> None:
        meta = json.dumps({"meta": dict(self.meta), "names": list(self.names), "tokens": dict(self.tokens)},
                          ensure_ascii=False, sort_keys=True)  # fmt: skip
        np.savez_compressed(
            path, feature=self.feature, threshold=self.threshold, left=self.left, right=self.right,
            value=self.value, roots=self.roots, depth=np.asarray([self.depth]), meta=np.asarray([meta]),
        )  # fmt: skip

    @classmethod
    def load(cls, source: Any) -> TreeModel:
        with np.load(source, allow_pickle=False) as data:
            info = json.loads(str(data["meta"][0]))
            return cls(
                data["feature"].astype(np.int32), data["threshold"].astype(np.float64),
                data["left"].astype(np.int32), data["right"].astype(np.int32), data["value"].astype(np.float64),
                data["roots"].astype(np.int32), int(data["depth"][0]), tuple(info["names"]), info["meta"],
                info["tokens"],
            )  # fmt: skip


# Verdicts of the rules that only say "outside the article", as opposed to a cue's verdict.
SOFT_REASONS: frozenset[Reason] = frozenset({Reason.LOW_SCORE, Reason.SHORT})
# Cues no score overrules: a copyright or legal notice and a "Read full article" source line
# are never the content, whatever the page looks like.
HARD_REASONS: frozenset[Reason] = frozenset({Reason.LEGAL, Reason.SOURCE})
# A page where no unit reaches its bar keeps the units scoring at least this share of its best
# score: an empty output is the worst answer for a page that has text.
EMPTY_RESCUE = 0.5


def bars_for(meta: Mapping[str, Any], page_kind: str) -> tuple[float, float, float]:
    """The (kept, soft, cued) bars of a page kind ("article" or "other") from a model's metadata."""
    bars = meta.get("bars", {}).get(page_kind) or meta.get("bars", {}).get("other") or (0.5, 0.5, 0.5)
    kept, soft, cued = (float(value) for value in bars)
    return kept, soft, cued


def keep_mask(
    scores: np.ndarray, reasons: Sequence[Reason | None], bars: tuple[float, float, float],
    weights: np.ndarray | None = None, rescue: float = 0.0, wide: bool = False,
) -> np.ndarray:  # fmt: skip
    """Which units (blocks, lines) a scorer keeps, given the rules' verdicts on them.

    The bar a unit's score must reach depends on what the rules said: ``bars[0]`` where they
    keep it, ``bars[1]`` where they drop it only for lying outside the article (SOFT_REASONS),
    ``bars[2]`` where a cue drops it (share bar, comments header, cookie notice), and never
    where a HARD_REASONS cue does. So the rules keep their say where they are clearly right,
    and the model overrules them where it is sure.

    ``rescue`` (with ``weights``, the units' characters): on a page where the scorer is sure
    (SURE_LEVEL) of less than this share of the content it expects, the units of the
    expected-F1 set (expected_f1_keep) are kept too, besides those the bars keep; only units the
    rules keep or a cue drops enter it (not those outside the rules' container, nor
    HARD_REASONS), or with ``wide`` every unit but HARD_REASONS ones: see rescue_applies.

    >>> keep_mask(np.array([0.3, 0.3, 0.7]), [None, Reason.LOW_SCORE, Reason.SOCIAL], (0.2, 0.5, 0.8)).tolist()
    [True, False, False]
    >>> keep_mask(np.array([0.6, 0.6, 0.3]), [None, Reason.RELATED, Reason.RELATED], (0.2, 0.8, 0.8),
    ...           weights=np.array([10.0, 30.0, 30.0]), rescue=0.2).tolist()
    [True, True, False]
    """
    if not len(scores):
        return np.zeros(0, dtype=bool)
    keep = scores >= bar_levels(reasons, bars)
    if not keep.any():
        keep = scores >= EMPTY_RESCUE * float(scores.max())
    if weights is not None and rescue_applies(scores, weights, rescue):
        allowed = np.fromiter(
            (r not in HARD_REASONS and (wide or r not in SOFT_REASONS) for r in reasons), bool, len(reasons)
        )
        keep |= expected_f1_keep(scores, weights, allowed)
    return keep


# A unit scored at least this is one the scorer is sure of (see rescue_applies).
SURE_LEVEL = 0.9


def rescue_applies(scores: np.ndarray, weights: np.ndarray, rescue: float) -> bool:
    """Whether a page's units are chosen by expected F1 too (keep_mask's ``rescue``): the
    characters of the units scored at least SURE_LEVEL are under ``rescue`` times the
    characters the scores expect (sum of weight x score).

    Why: where the scorer is sure of a core (an article's paragraphs), the units it is unsure
    of around it are mostly menus, teasers and comments, and the bars judge them well; where it
    is sure of nothing (a listing's items, a product's sections, each scored about 0.5), the bars
    drop most of the page, and keeping the set that maximises the expected F1 gets it back. The
    trainer chooses ``rescue`` per page kind (0: never) inside each fold of its cross-validation
    (benchmarks/train_boilerplate.py, RESCUE_GRID).

    >>> rescue_applies(np.array([0.95, 0.5]), np.array([100.0, 100.0]), 0.2)
    False
    >>> rescue_applies(np.array([0.6, 0.5]), np.array([100.0, 100.0]), 0.2)
    True
    """
    if rescue <= 0.0:
        return False
    expected = float(np.dot(weights, scores))
    return expected > 0.0 and float(weights[scores >= SURE_LEVEL].sum()) < rescue * expected


def expected_f1_keep(scores: np.ndarray, weights: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The units among ``allowed`` whose set maximises the page's expected F1, each unit's score
    read as the probability that it is content and its weight as its size.

    The expected F1 of a set S is taken as 2 * sum_S(w p) / (sum_S(w) + sum_all(w p)) (expected
    overlap over the expected sizes of output and truth). Adding a unit of score p raises a set's
    value v exactly when 2p > v, so the best set holds every unit scored above half its value: a
    run of the units in descending score (ties: in page order), the run with the highest value.

    >>> expected_f1_keep(np.array([0.9, 0.6, 0.1]), np.array([10.0, 10.0, 10.0]), np.ones(3, bool)).tolist()
    [True, True, False]
    """
    keep = np.zeros(len(scores), dtype=bool)
    candidates = np.flatnonzero(allowed)
    if not len(candidates):
        return keep
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    overlap = np.cumsum(weights[order] * scores[order])
    size = np.cumsum(weights[order])
    truth = float(np.dot(weights, scores))
    value = 2.0 * overlap / np.maximum(size + truth, 1e-12)
    keep[order[: int(np.argmax(value)) + 1]] = True
    return keep


def rescue_for(meta: Mapping[str, Any], page_kind: str) -> tuple[float, float]:
    """keep_mask's ``rescue`` for a page kind from a model's metadata (0: bars alone), and the
    menu share under which its rescue is ``wide`` (0: never; see html.model_keeps)."""
    return float(meta.get("rescue", {}).get(page_kind, 0.0)), float(meta.get("rescue_wide", {}).get(page_kind, 0.0))


def bar_levels(reasons: Sequence[Reason | None], bars: tuple[float, float, float]) -> np.ndarray:
    """The bar each unit's score must reach (see keep_mask): +inf where a HARD_REASONS cue drops it.

    >>> bar_levels([None, Reason.LOW_SCORE, Reason.SOCIAL, Reason.LEGAL], (0.2, 0.5, 0.8)).tolist()
    [0.2, 0.5, 0.8, inf]
    """
    kept, soft, cued = bars
    return np.fromiter(
        (kept if r is None else soft if r in SOFT_REASONS else np.inf if r in HARD_REASONS else cued for r in reasons),
        dtype=np.float64,
        count=len(reasons),
    )


def keep_masks(
    model: TreeModel, rows: np.ndarray, reasons: Sequence[Reason | None], bars: tuple[float, float, float],
    lengths: Sequence[int],
) -> list[np.ndarray]:  # fmt: skip
    """keep_mask of each page's units, the pages' ``rows`` one after another (``lengths`` of them
    each), without scoring every unit: ``model.reaches`` answers the bars, and only a page where
    no unit reaches its bar gets its scores, for the rescue. The same masks as keep_mask on
    ``model.predict(rows)``."""
    return level_masks(model, rows, bar_levels(reasons, bars), lengths)


def level_masks(model: TreeModel, rows: np.ndarray, levels: np.ndarray, lengths: Sequence[int]) -> list[np.ndarray]:
    """keep_masks with each unit's bar given as its level (bar_levels of its verdict), where the
    caller has them without a list of verdicts (text._model_verdicts: from its rows' codes)."""
    reached = model.reaches(rows, levels)
    # Which pages have a unit that reaches its bar, for all pages at once (a call per page cost
    # more): reduceat over the pages with units, whose starts rise strictly, so each sums its own.
    sizes = np.asarray(lengths, dtype=np.intp)
    with_units = sizes > 0
    held = np.zeros(len(sizes), dtype=bool)
    if reached.size:
        held[with_units] = np.add.reduceat(reached, (np.cumsum(sizes) - sizes)[with_units]) > 0
    masks: list[np.ndarray] = []
    at = 0
    for length, any_kept in zip(lengths, held.tolist(), strict=True):
        keep = reached[at : at + length]
        if length and not any_kept:
            scores = model.predict(rows[at : at + length])
            keep = scores >= EMPTY_RESCUE * float(scores.max())
        masks.append(keep)
        at += length
    return masks


@functools.cache
def _numba_installed() -> bool:
    """Whether numba is installed (looked up without importing it)."""
    return importlib.util.find_spec("numba") is not None


@functools.cache
def _numba_kernel() -> Any:
    """The compiled tree walk, or None without numba (built once per process; a pure function)."""
    ahead = _aot.kernel("model", "_numba_kernel")  # compiled when cleaner was installed
    if ahead is not None:
        return ahead
    try:
        numba = import_numba()
    except ImportError:
        return None

    # The rows go through each tree WALK_LANES at a time, ``depth`` steps each (leaves point to
    # themselves, as in the numpy twin): no branch to mispredict, and the lanes' independent
    # loads overlap. 1.8x the speed of a row-by-row walk that stops at each leaf (the text model,
    # rows of the 5 MB gen_dump dump); each row still adds its trees' values in tree order.
    @numba.njit(cache=True)
    def walk(x, feature, threshold, children, value, roots, depth):
        n, width = x.shape
        flat = x.ravel()
        out = np.zeros(n)
        node = np.empty(WALK_LANES, dtype=np.intp)
        for first in range(0, n, WALK_LANES):
            lanes = min(WALK_LANES, n - first)
            for t in range(roots.shape[0]):
                node[:lanes] = roots[t]
                for _ in range(depth):
                    for j in range(lanes):
                        at = node[j]
                        goes_right = not flat[(first + j) * width + feature[at]] <= threshold[at]
                        node[j] = children[2 * at + goes_right]
                for j in range(lanes):
                    out[first + j] += value[node[j]]
        return out

    return walk


@functools.cache
def _deciding_kernel() -> Any:
    """The compiled walk of TreeModel.reaches, or None without numba (built once per process)."""
    ahead = _aot.kernel("model", "_deciding_kernel")  # compiled when cleaner was installed
    if ahead is not None:
        return ahead
    try:
        numba = import_numba()
    except ImportError:
        return None

    # The rows still undecided (``active``, compacted after every ``block`` trees) go through the
    # trees eight at a time, each of the eight held in its own variables (its row's offset, node
    # and sum), ``depth`` steps down the complete trees of TreeModel._heap_arrays (a step reads
    # a feature, its value and a threshold; the next node is 2h + 1 or 2h + 2): eight
    # independent chains of loads, no array of lanes to store to and read back, no child index
    # to load. A last, partial group fills its lanes with its last row. Each row adds its trees'
    # values in tree order, as ``raw``. state: 0 dropped, 1 kept, 2 walked through every tree
    # (sums whole). Measured on the 232,692 lines the text model scores in
    # the 30 MB gen_dump dump (in process): 0.69 CPU-s with the node arrays and 32 lanes in an
    # array, blocks of 25 trees; 0.58 with this walk and blocks of 25; 0.53 with blocks of 5.
    # The step's indices (row offsets, heap places, features) are unsigned: numba wraps every
    # signed index (adds the length where it is negative: a sar, an and and an add per load), and
    # with three loads a step in eight lanes those ran out of registers and spilled to the stack;
    # 1.17 -> 0.58 CPU-s with another process on the second core (session 19, same answers and
    # sums; features as uint8 or uint16 no faster, blocks of 8 trees 3% faster: noise).
    @numba.njit(cache=True)
    def walk_deciding(x, feature, threshold, value, trees, depth, low, high, rest_min, rest_max, active, block):
        n, width = x.shape
        flat = x.ravel()
        inner = (1 << depth) - 1
        zero, one, two, unsigned_inner = np.uint64(0), np.uint64(1), np.uint64(2), np.uint64(inner)
        sums = np.zeros(n)
        state = np.zeros(n, dtype=np.int8)
        count = active.shape[0]
        for k in range(count):
            state[active[k]] = 2
        for start in range(0, trees, block):
            stop = min(trees, start + block)
            for first in range(0, count, 8):
                last = count - 1
                r0, r1 = active[first], active[min(first + 1, last)]
                r2, r3 = active[min(first + 2, last)], active[min(first + 3, last)]
                r4, r5 = active[min(first + 4, last)], active[min(first + 5, last)]
                r6, r7 = active[min(first + 6, last)], active[min(first + 7, last)]
                o0, o1 = np.uint64(r0 * width), np.uint64(r1 * width)
                o2, o3 = np.uint64(r2 * width), np.uint64(r3 * width)
                o4, o5 = np.uint64(r4 * width), np.uint64(r5 * width)
                o6, o7 = np.uint64(r6 * width), np.uint64(r7 * width)
                s0, s1, s2, s3 = sums[r0], sums[r1], sums[r2], sums[r3]
                s4, s5, s6, s7 = sums[r4], sums[r5], sums[r6], sums[r7]
                for t in range(start, stop):
                    base = np.uint64(t * inner)
                    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero
                    for _ in range(depth):
                        a0 = two * a0 + one + np.uint64(not flat[o0 + feature[base + a0]] <= threshold[base + a0])
                        a1 = two * a1 + one + np.uint64(not flat[o1 + feature[base + a1]] <= threshold[base + a1])
                        a2 = two * a2 + one + np.uint64(not flat[o2 + feature[base + a2]] <= threshold[base + a2])
                        a3 = two * a3 + one + np.uint64(not flat[o3 + feature[base + a3]] <= threshold[base + a3])
                        a4 = two * a4 + one + np.uint64(not flat[o4 + feature[base + a4]] <= threshold[base + a4])
                        a5 = two * a5 + one + np.uint64(not flat[o5 + feature[base + a5]] <= threshold[base + a5])
                        a6 = two * a6 + one + np.uint64(not flat[o6 + feature[base + a6]] <= threshold[base + a6])
                        a7 = two * a7 + one + np.uint64(not flat[o7 + feature[base + a7]] <= threshold[base + a7])
                    leaves = np.uint64(t * (inner + 1))  # the tree's leaf values, by heap place - inner
                    s0 += value[leaves + (a0 - unsigned_inner)]
                    s1 += value[leaves + (a1 - unsigned_inner)]
                    s2 += value[leaves + (a2 - unsigned_inner)]
                    s3 += value[leaves + (a3 - unsigned_inner)]
                    s4 += value[leaves + (a4 - unsigned_inner)]
                    s5 += value[leaves + (a5 - unsigned_inner)]
                    s6 += value[leaves + (a6 - unsigned_inner)]
                    s7 += value[leaves + (a7 - unsigned_inner)]
                # (A copy of the last row walks as the row does: it writes back the same sum.)
                sums[r0], sums[r1], sums[r2], sums[r3] = s0, s1, s2, s3
                sums[r4], sums[r5], sums[r6], sums[r7] = s4, s5, s6, s7
            if stop == trees:
                break
            undecided = 0
            for k in range(count):
                row = active[k]
                if sums[row] + rest_max[stop] < low[row]:
                    state[row] = 0
                elif sums[row] + rest_min[stop] > high[row]:
                    state[row] = 1
                else:
                    active[undecided] = row
                    undecided += 1
            count = undecided
        return state, sums

    return walk_deciding


@functools.cache
def packaged(name: str) -> TreeModel | None:
    """A model shipped with the package (read once per process: package data never changes), or None.

    Its arrays, and those its deciding walk derives from them (_heap_arrays, _rest_bounds), come
    through cleaner's cache, keyed by the file's bytes: the text model took 3.1 ms to read from
    its zip of .npy files and 2.5 more to derive them, in every process that classifies lines,
    the two HTML models 4.3-5.2 ms, and through the entries 0.5-0.65 and 1.3-1.5 (in process,
    the files' digests included)."""
    resource = resources.files("cleaner.boilerplate") / "data" / name
    if not resource.is_file():
        return None
    data = resource.read_bytes()
    entry = cache.key("tree-model-1", name, blake2b(data).hexdigest())
    arrays, info = cache.derived_arrays("tree-model", entry, lambda: _packaged_arrays(data))
    feature, threshold, left, right, value, roots, *derived = arrays
    model = TreeModel(
        feature, threshold, left, right, value, roots, info["depth"], tuple(info["names"]), info["meta"], info["tokens"]
    )
    # The cached properties' values, as read back (the same arrays they would compute).
    model.__dict__["_heap_arrays"], model.__dict__["_rest_bounds"] = tuple(derived[:3]), tuple(derived[3:])
    return model


def _packaged_arrays(data: bytes) -> tuple[list[np.ndarray], dict[str, Any]]:
    """What packaged keeps of the model file ``data``: its arrays, then _heap_arrays' and
    _rest_bounds'; and its depth, feature names, metadata and tokens."""
    model = TreeModel.load(io.BytesIO(data))
    arrays = [model.feature, model.threshold, model.left, model.right, model.value, model.roots]
    info = {"depth": model.depth, "names": list(model.names), "meta": model.meta, "tokens": model.tokens}
    return [*arrays, *model._heap_arrays, *model._rest_bounds], info
