"""The learned scorers of the boilerplate stage: boosted trees evaluated with numpy, from package data.

The trees are trained by ``benchmarks/train_boilerplate.py`` (LightGBM, seeded, one command) on
the WCXB development pages and shipped as ``cleaner/boilerplate/data/*.npz``: flat node arrays, a
token table and the metadata (feature names, decision bars, training data and its CC-BY-4.0
attribution). Loading takes milliseconds; no network, no training library at run time.

Evaluation walks every tree at once with numpy, one step per level. A compiled loop (numba) gives
the same bits (both add the trees' values in the same order) and takes over once numba runs in
the process or a model has scored NUMPY_ROWS rows (``raw(rows, compiled=True)`` asks for it):
on the 181 Scrapinghub pages' 17,883 blocks the HTML model takes 0.25 CPU-s with numpy and 0.08
compiled (0.16 walking row by row down each tree, before the rows went through each tree 32 at a
time, a fixed number of levels: see _numba_kernel).

>>> model = TreeModel.from_arrays(
...     feature=[0, -1, -1], threshold=[0.5, 0, 0], left=[1, 1, 2], right=[2, 1, 2],
...     value=[0.0, -2.0, 2.0], roots=[0], depth=1, names=("x",), meta={})
>>> [round(p, 3) for p in model.predict([[0.0], [1.0]]).tolist()]
[0.119, 0.881]
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from cleaner.errors import CleanerError
from cleaner.jit import import_numba
from cleaner.record import Reason

# Starting numba costs about 0.25 CPU-s per process even from a warm cache (cleaner.jit); the numpy
# twin costs about 10 us more per row than the compiled walk (the HTML model's trees). So a model
# scores its first rows with numpy and then starts numba: a small run (the seeds: ~400 rows) never
# does. Once numba runs, the signals stage uses its compiled loops too (quality.kernels). On the
# 181 Scrapinghub pages (17,883 blocks) starting numba after 1,024 rows or never gave the same CPU
# seconds end to end (2.40 and 2.38, medians of 5 alternated, load 0.6-1.3); past that size the
# compiled walk wins. Re-measure with a timed TreeModel.raw on packaged(HTML_MODEL) and
# packaged(TEXT_MODEL), and end to end.
NUMPY_ROWS = 1024

# Rows the compiled walk takes through a tree side by side (see _numba_kernel).
WALK_LANES = 32

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
    # Rows scored with the numpy twin so far in this process (see NUMPY_ROWS): speed only.
    numpy_rows: list[int] = field(default_factory=lambda: [0], init=False, repr=False)

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
        x = np.asarray(rows, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.names):
            raise CleanerError(f"the model wants {len(self.names)} features per row, got shape {x.shape}")
        n = x.shape[0]
        if n == 0:
            return np.zeros(0)
        # The compiled walk when asked, once numba is loaded anyway (the signals and dedup stages
        # load it on a large input), or once this model has scored NUMPY_ROWS rows with the numpy
        # twin: both give the same bits, so which one runs changes speed only, never the output.
        started = compiled or "numba" in sys.modules or self.numpy_rows[0] >= NUMPY_ROWS
        kernel = _numba_kernel() if started else None
        if kernel is not None:
            feature, threshold, children = self._walk_arrays
            sums = kernel(np.ascontiguousarray(x), feature, threshold, children, self.value, self.roots, self.depth)
        else:
            self.numpy_rows[0] += n
            sums = self._raw_numpy(x)
        return sums + float(self.meta.get("init_score", 0.0))

    @functools.cached_property
    def _walk_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The nodes' features (0 at leaves), thresholds, and children side by side (left at 2i, right at 2i+1)."""
        children = np.empty(2 * len(self.feature), dtype=np.intp)
        children[0::2] = self.left
        children[1::2] = self.right
        return np.maximum(self.feature, 0).astype(np.intp), self.threshold, children

    def _raw_numpy(self, x: np.ndarray) -> np.ndarray:
        """The numpy twin of the compiled kernel (same values, same order of additions).

        Every (row, tree) pair takes one step per level: flat gathers with ``take`` on the
        row-major features and on the interleaved children (about twice as fast as 2-D fancy
        indexing; this walk is a third of the HTML extractor's time without numba).
        """
        n, width = x.shape
        feature, threshold, children = self._walk_arrays
        flat = np.ascontiguousarray(x).ravel()
        row_start = (np.arange(n, dtype=np.intp) * width)[:, None]
        node = np.broadcast_to(self.roots.astype(np.intp), (n, len(self.roots))).copy()
        for _ in range(self.depth):
            goes_right = ~(flat.take(row_start + feature.take(node)) <= threshold.take(node))
            node = children.take(2 * node + goes_right)
        return np.cumsum(self.value.take(node), axis=1)[:, -1]

    def predict(self, rows: Any) -> np.ndarray:
        """Probability of the positive class (content) per row."""
        return 1.0 / (1.0 + np.exp(-self.raw(rows)))

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


def keep_mask(scores: np.ndarray, reasons: Sequence[Reason | None], bars: tuple[float, float, float]) -> np.ndarray:
    """Which units (blocks, lines) a scorer keeps, given the rules' verdicts on them.

    The bar a unit's score must reach depends on what the rules said: ``bars[0]`` where they
    keep it, ``bars[1]`` where they drop it only for lying outside the article (SOFT_REASONS),
    ``bars[2]`` where a cue drops it (share bar, comments header, cookie notice), and never
    where a HARD_REASONS cue does. So the rules keep their say where they are clearly right,
    and the model overrules them where it is sure.

    >>> keep_mask(np.array([0.3, 0.3, 0.7]), [None, Reason.LOW_SCORE, Reason.SOCIAL], (0.2, 0.5, 0.8)).tolist()
    [True, False, False]
    """
    if not len(scores):
        return np.zeros(0, dtype=bool)
    kept, soft, cued = bars
    levels = np.fromiter(
        (kept if r is None else soft if r in SOFT_REASONS else np.inf if r in HARD_REASONS else cued for r in reasons),
        dtype=np.float64,
        count=len(reasons),
    )
    keep = scores >= levels
    if not keep.any():
        keep = scores >= EMPTY_RESCUE * float(scores.max())
    return keep


@functools.cache
def _numba_kernel() -> Any:
    """The compiled tree walk, or None without numba (built once per process; a pure function)."""
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
def packaged(name: str) -> TreeModel | None:
    """A model shipped with the package (read once per process: package data never changes), or None."""
    resource = resources.files("cleaner.boilerplate") / "data" / name
    if not resource.is_file():
        return None
    with resource.open("rb") as handle:
        return TreeModel.load(handle)
