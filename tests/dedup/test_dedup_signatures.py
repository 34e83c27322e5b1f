"""Signatures are datasketch MinHashes: same permutations, same values, usable in datasketch's LSH."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from dedup_textgen import edit_words, random_words

from cleaner.dedup import _kernels
from cleaner.dedup._hashing import BAND_MIX
from cleaner.dedup.shingles import Shingler
from cleaner.dedup.signatures import SCHEME, Signer, _np_band_keys, band_keys, permutations, to_lean_minhash


def test_permutations_are_datasketchs() -> None:
    for num_perm, seed in [(128, 1), (64, 42)]:
        a, b = permutations(num_perm, seed)
        reference = MinHash(num_perm=num_perm, seed=seed)
        assert reference.scheme == SCHEME
        assert np.array_equal(a, reference.permutations[0])
        assert np.array_equal(b, reference.permutations[1])


def test_permutations_equal_numpys_draws_without_importing_numpy_random() -> None:
    # The draws come from Python's Mersenne Twister seeded as numpy's RandomState seeds it.
    for seed in [0, 1, 2, 42, 123_456_789, 2**31, 2**32 - 1]:
        for num_perm in [1, 7, 128, 700]:  # 700: past the generator's 624-word state
            gen = np.random.RandomState(seed)
            a, b = permutations(num_perm, seed)
            assert np.array_equal(a, gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1))
            assert np.array_equal(b, gen.randint(0, 1 << 32, num_perm, dtype=np.uint32))
            assert a.dtype == b.dtype == np.uint32
    with pytest.raises(ValueError):  # numpy's own refusal, as before
        permutations(4, -1)
    code = "import sys; from cleaner.dedup.signatures import Signer; Signer(); print('numpy.random' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_signature_equals_datasketch_update_batch() -> None:
    texts = [" ".join(random_words(seed, 150)) for seed in range(5)]
    hashes, offsets = Shingler(5).hash_batch(texts)
    sigs = Signer(128, 1).sign(hashes, offsets)
    for i in range(len(texts)):
        mine = hashes[offsets[i] : offsets[i + 1]]
        reference = MinHash(num_perm=128, seed=1, hashfunc=lambda v: v)
        reference.update_batch([int(h) & 0xFFFFFFFF for h in mine])
        assert np.array_equal(sigs[i], reference.hashvalues)


def test_lean_minhash_feeds_datasketch_lsh() -> None:
    base = random_words(1, 300)
    texts = [" ".join(base), " ".join(edit_words(base, 2, 3)), " ".join(random_words(9, 300))]
    hashes, offsets = Shingler(5).hash_batch(texts)
    sigs = Signer(128, 1).sign(hashes, offsets)
    lsh = MinHashLSH(num_perm=128, params=(16, 8))
    lean = [to_lean_minhash(sig, seed=1) for sig in sigs]
    for key, m in zip("abc", lean, strict=True):
        lsh.insert(key, m)
    assert sorted(lsh.query(lean[0])) == ["a", "b"]
    assert lean[0].jaccard(lean[1]) > 0.7 > lean[0].jaccard(lean[2])


@pytest.mark.parametrize("keys_of", [band_keys, _np_band_keys])  # the compiled kernel where there is one, numpy
def test_band_keys_are_the_spec_s_hash_of_each_band(keys_of: Callable[[np.ndarray, int, int], np.ndarray]) -> None:
    # fmix64 of Horner's rule (K_SHINGLE, mod 2**64) over the band's values, started from the
    # band number times BAND_MIX: the persistent index keeps these keys, so they may not change.
    m64 = (1 << 64) - 1

    def fmix64(x: int) -> int:
        x ^= x >> 33
        x = (x * 0xFF51AFD7ED558CCD) & m64
        x ^= x >> 33
        x = (x * 0xC4CEB9FE1A85EC53) & m64
        return x ^ (x >> 33)

    sigs = np.random.default_rng(5).integers(0, 2**32, size=(3, 14), dtype=np.uint64).astype(np.uint32)
    for bands, rows in ((4, 3), (2, 7), (14, 1)):
        keys = keys_of(sigs, bands, rows)
        for doc in range(3):
            for band in range(bands):
                h = band * int(BAND_MIX) & m64
                for value in sigs[doc, band * rows : (band + 1) * rows].tolist():
                    h = (h * int(_kernels.K_SHINGLE) + value) & m64
                assert int(keys[doc, band]) == fmix64(h)


def test_band_keys_equal_exactly_when_band_rows_equal() -> None:
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(50, 16), dtype=np.uint32)
    sigs[7, 4:8] = sigs[3, 4:8]  # documents 3 and 7 agree on band 1 only
    keys = band_keys(sigs, bands=4, rows=4)
    assert keys.shape == (50, 4)
    assert keys[3, 1] == keys[7, 1]
    assert (keys[3, [0, 2, 3]] != keys[7, [0, 2, 3]]).all()
    # Same rows in different bands must not collide (the band index is mixed in).
    same = np.tile(np.arange(4, dtype=np.uint32), 4)[None, :]
    assert len(set(band_keys(same, 4, 4)[0].tolist())) == 4


def test_choose_bands_reaches_target_and_matches_simulation() -> None:
    from cleaner.config import choose_bands, detection_probability

    for threshold in (0.5, 0.7, 0.8, 0.9, 0.95):
        bands, rows = choose_bands(threshold)
        assert bands * rows == 128
        assert detection_probability(threshold, bands, rows) >= 0.9
        if bands > 1:  # one band fewer (with the divisor below) would miss the target
            fewer = max(b for b in range(1, bands) if 128 % b == 0)
            assert detection_probability(threshold, fewer, 128 // fewer) < 0.9
    # The formula agrees with LSH on simulated signatures: each row agrees with chance J.
    rng = np.random.default_rng(5)
    agree = rng.random((20000, 16, 8)) < 0.8
    observed = agree.all(axis=2).any(axis=1).mean()
    assert abs(observed - detection_probability(0.8, 16, 8)) < 0.01
