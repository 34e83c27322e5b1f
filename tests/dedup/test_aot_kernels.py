"""The dedup kernels compiled ahead of time (setup.py, ``cleaner.dedup._aot``) are numba's kernels:
the same results on the same inputs, found only when built from the sources installed, and
loaded without numba."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cleaner import jit
from cleaner.dedup import _aot, _owners
from cleaner.dedup.passages import _space_table
from cleaner.dedup.shingles import code_points, word_table
from cleaner.dedup.signatures import permutations

REPO = Path(__file__).resolve().parents[2]
EXPECTED = os.environ.get(jit.AOT_ENV, "1") != "0" and jit.aot_cpu_ok()
AOT = _aot.load()
needs_aot = pytest.mark.skipif(AOT is None, reason="no kernels built ahead of time here (test_the_install_built_them)")
_PIECES = ["word", "Wörter", "слово", "字", "\U0001f600", "a_b", "x1", " ", "  ", "\n", "\n\n", ".", ",", "-", "\t"]


def test_the_install_built_them() -> None:
    # CI installs from a clean clone: setup.py must have compiled them for this machine. An
    # editable install whose kernel sources changed since must be built again (pip install -e .).
    assert (AOT is not None) == EXPECTED, "rebuild the extension: pip install -e ."


def test_an_extension_of_other_sources_is_never_found() -> None:
    assert jit.compiled_ahead(_aot.PACKAGE, [Path(jit.__file__)]) is None


def _texts(rng: np.random.Generator, n: int) -> list[str]:
    return ["".join(rng.choice(_PIECES, int(rng.integers(0, 60)))) for _ in range(n)]


def _jit() -> object:
    numba_kernels = pytest.importorskip("cleaner.dedup._numba_kernels")
    return numba_kernels


@needs_aot
@pytest.mark.parametrize("ascii_only", [True, False])
@pytest.mark.parametrize("ngram", [1, 3, 5])
def test_shingle_hashes_and_minhash_agree_with_numba(ascii_only: bool, ngram: int) -> None:
    numba_kernels = _jit()
    rng = np.random.default_rng(ngram)
    texts = _texts(rng, 40)
    if ascii_only:
        texts = [t.encode("ascii", "ignore").decode() for t in texts]
    cps = code_points("\n".join(texts)).astype(np.uint32)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.array([len(t) + 1 for t in texts], dtype=np.int64), out=starts[1:])
    table = word_table()
    for c in set(cps[cps > 0xFFFF].tolist()):
        table[c] = chr(c).isalnum()
    ahead = AOT.shingle_hashes(cps, table, starts, ngram)  # type: ignore[union-attr]
    numba = numba_kernels.shingle_hashes(cps, table, starts, ngram)  # type: ignore[attr-defined]
    assert len(ahead) == len(numba) == 4
    for a, b in zip(ahead, numba, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    hashes, offsets = ahead[0], ahead[1]
    assert hashes.size > 0
    a, b = permutations(128, 1)
    assert np.array_equal(AOT.minhash(hashes, offsets, a, b), numba_kernels.minhash(hashes, offsets, a, b))  # type: ignore[union-attr, attr-defined]


@needs_aot
@pytest.mark.parametrize("owner_type", [np.int32, np.int64])
def test_owner_positions_agree_with_numba(monkeypatch: pytest.MonkeyPatch, owner_type: type) -> None:
    numba_kernels = _jit()
    monkeypatch.setattr(_owners, "OWNER_SLICE_HASHES", 64)  # 16 slices in several passes
    monkeypatch.setattr(_owners, "OWNER_PASS_POSITIONS", 300)
    rng = np.random.default_rng(3)
    pool = rng.integers(0, 2**64, 900, dtype=np.uint64, endpoint=False)
    parts = [rng.choice(pool, int(rng.integers(0, 400))) for _ in range(5)]
    sizes = [part.size for part in parts]
    owned = np.repeat(np.arange(len(parts), dtype=owner_type), sizes)
    owned_numba = owned.copy()
    rows = AOT.owner_positions(parts, owned)  # type: ignore[union-attr]
    assert rows == numba_kernels.owner_positions(parts, owned_numba)  # type: ignore[attr-defined]
    assert rows > 0 and np.array_equal(owned, owned_numba) and owned.dtype == owned_numba.dtype


@needs_aot
@pytest.mark.parametrize("ascii_only", [True, False])
def test_the_passage_split_agrees_with_numba(ascii_only: bool) -> None:
    numba_kernels = _jit()
    rng = np.random.default_rng(11)
    words = ["alpha", "beta.", "gamma!", "délta?", "ε", "\n\n", "\n", " ", "\u2003"]
    texts = [" ".join(rng.choice(words, int(rng.integers(0, 300)))) for _ in range(12)]
    if ascii_only:
        texts = [t.encode("ascii", "ignore").decode() for t in texts]
    cps = code_points("\0".join(texts))
    assert (cps.dtype == np.uint8) == ascii_only
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    ahead = AOT.split_spans(cps, _space_table(), starts, lengths)  # type: ignore[union-attr]
    numba = numba_kernels.split_spans(cps, _space_table(), starts, lengths)  # type: ignore[attr-defined]
    assert ahead[1].shape[0] > 0
    for a, b in zip(ahead, numba, strict=True):
        assert np.array_equal(a, b)


@needs_aot
def test_the_wrappers_check_types_and_copy_strided_inputs() -> None:
    a, b = permutations(16, 1)
    hashes = np.arange(40, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    offsets = np.array([0, 10, 20], dtype=np.int64)
    strided = AOT.minhash(hashes[::2], offsets, a, b)  # type: ignore[union-attr]
    assert np.array_equal(strided, AOT.minhash(hashes[::2].copy(), offsets, a, b))  # type: ignore[union-attr]
    with pytest.raises(TypeError, match="uint64"):
        AOT.minhash(hashes.astype(np.int64), offsets, a, b)  # type: ignore[union-attr]
    owned = np.zeros(80, dtype=np.int32)[::2]
    with pytest.raises(TypeError, match="in place"):
        AOT.owner_positions([hashes], owned)  # type: ignore[union-attr]


@needs_aot
def test_a_dedup_run_with_them_never_imports_numba() -> None:
    script = """
import sys
from cleaner.dedup.shingles import Shingler
from cleaner.dedup.signatures import Signer
from cleaner.dedup import _kernels
hashes, offsets = Shingler(5, use_numba=True).hash_batch(["one two three four five six", "seven"])
Signer(16, 1, use_numba=True).sign(hashes, offsets)
print(_kernels.pick(True, 1, 1).name, "numba" in sys.modules)
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.split() == ["aot", "False"], done.stdout + done.stderr


@needs_aot
def test_pair_jaccards_agree_with_numba() -> None:
    numba_kernels = _jit()
    rng = np.random.default_rng(13)
    pool = rng.integers(0, 2**64, 300, dtype=np.uint64, endpoint=False)
    sizes = rng.integers(0, 200, 30)
    values = rng.choice(pool, int(sizes.sum()))
    bounds = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=bounds[1:])
    pairs = rng.integers(0, sizes.size, (100, 2)).astype(np.int64)
    ahead = AOT.pair_jaccards(values, bounds, pairs, False)  # type: ignore[union-attr]
    numba = numba_kernels.pair_jaccards(values, bounds, pairs, False)  # type: ignore[attr-defined]
    assert ahead.dtype == np.float64 and np.array_equal(ahead, numba) and ((ahead > 0) & (ahead < 1)).any()


@needs_aot
def test_band_keys_agree_with_numba() -> None:
    numba_kernels = _jit()
    sig = np.random.default_rng(17).integers(0, 2**32, (60, 128), dtype=np.uint64).astype(np.uint32)
    for bands, rows in ((16, 8), (10, 12)):
        ahead = AOT.band_keys(sig, bands, rows)  # type: ignore[union-attr]
        assert ahead.shape == (60, bands) and np.array_equal(ahead, numba_kernels.band_keys(sig, bands, rows))  # type: ignore[attr-defined]
