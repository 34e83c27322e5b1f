"""The numpy and numba kernels agree bit for bit with a plain-Python reference of the hash spec."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup import _kernels, shingles
from cleaner.dedup.cluster import pair_jaccards
from cleaner.dedup.shingles import Shingler, dedup_key, repair
from cleaner.dedup.signatures import Signer, _np_band_keys

M64 = (1 << 64) - 1
BACKENDS = [False, True] if _kernels.numba_available() else [False]


def fmix64(x: int) -> int:
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & M64
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & M64
    return x ^ (x >> 33)


def horner(values: list[int], k: int) -> int:
    h = 0
    for v in values:
        h = (h * k + v) & M64
    return h


def reference_hashes(text: str, ngram: int) -> list[int]:
    """The documented spec, one Python int at a time (slow, obviously right)."""
    words = re.findall(r"\w+", repair(text).casefold())
    tokens = [
        fmix64((horner([ord(c) for c in w], int(_kernels.K_CHAR)) + len(w) * int(_kernels.K_LENGTH)) & M64)
        for w in words
    ]
    if not tokens:
        return []
    if len(tokens) < ngram:
        return [fmix64(horner(tokens, int(_kernels.K_SHINGLE)))]
    return [fmix64(horner(tokens[i : i + ngram], int(_kernels.K_SHINGLE))) for i in range(len(tokens) - ngram + 1)]


def reference_signature(hashes: list[int], signer: Signer) -> list[int]:
    """datasketch's affine32 MinHash of the low 32 bits, written out."""
    m32 = (1 << 32) - 1
    sig = [m32] * signer.num_perm
    for h in hashes:
        x = h & m32
        x ^= x >> 16
        x = (x * 0x85EBCA6B) & m32
        x ^= x >> 13
        x = (x * 0xC2B2AE35) & m32
        x ^= x >> 16
        for p in range(signer.num_perm):
            sig[p] = min(sig[p], (x * int(signer.a[p]) + int(signer.b[p])) & m32)
    return sig


TEXTS = [
    "",
    "   ...   ",
    "one",
    "one two three four",
    "The quick brown fox jumps over the lazy dog, again and again and again.",
    "Straße STRASSE café cafe\N{COMBINING ACUTE ACCENT} naïve — 東京 都 2024年",
    "snake_case words_with_underscores and digits 12 345 6.78",
    "astral \N{MATHEMATICAL BOLD CAPITAL A}\N{MATHEMATICAL BOLD CAPITAL B} letters \N{GRINNING FACE} emoji",
    "P\N{CYRILLIC SMALL LETTER A}ris is in Fr\N{CYRILLIC SMALL LETTER A}nce, said the report today",
    "line one\nline two\n\n\tline three with tabs\tand more words here",
]


@pytest.mark.parametrize("use_numba", BACKENDS)
@pytest.mark.parametrize("ngram", [1, 3, 5])
def test_backends_match_reference(use_numba: bool, ngram: int) -> None:
    hashes, offsets = Shingler(ngram, use_numba=use_numba).hash_batch(TEXTS)
    for i, text in enumerate(TEXTS):
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == reference_hashes(text, ngram), text


@pytest.mark.parametrize("use_numba", BACKENDS)
def test_signatures_match_reference(use_numba: bool) -> None:
    signer = Signer(num_perm=16, seed=7, use_numba=use_numba)
    hashes, offsets = Shingler(5).hash_batch(TEXTS)
    sigs = signer.sign(hashes, offsets)
    for i in range(len(TEXTS)):
        expected = reference_signature(hashes[offsets[i] : offsets[i + 1]].tolist(), signer)
        assert sigs[i].tolist() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("ab cd,.\n_1é\N{CYRILLIC SMALL LETTER A}Z"), max_size=60), max_size=8))
def test_numpy_and_numba_agree_on_any_text(texts: list[str]) -> None:
    results = []
    for use_numba in BACKENDS:
        shingler = Shingler(3, use_numba=use_numba)
        hashes, offsets, bounds, token_offsets = shingler.hash_batch_tokens(texts)
        sigs = Signer(32, 1, use_numba=use_numba).sign(hashes, offsets)
        results.append((hashes.tolist(), offsets.tolist(), sigs.tolist(), bounds.tolist(), token_offsets.tolist()))
    assert all(r == results[0] for r in results)
    hashes_list, offsets_list, _, bounds_list, token_list = results[0]
    keys = Shingler(3).keys(texts)
    for i, text in enumerate(texts):
        assert hashes_list[offsets_list[i] : offsets_list[i + 1]] == reference_hashes(text, 3)
        words = [list(m.span()) for m in re.finditer(r"\w+", keys[i])]
        assert bounds_list[token_list[i] : token_list[i + 1]] == words


@pytest.mark.parametrize("ngram", [1, 2, 5])
def test_ascii_batches_match_reference(ngram: int) -> None:
    # An all-ASCII chunk takes the numpy kernel's byte path (its word mask by bytes.translate);
    # texts of 0 to 7 words side by side put a text's start at every place in a window near it.
    words = ["a", "bc_d", "42", "x9y"]
    texts = [" ".join(words[(i + j) % 4] for j in range(i % 8)) + (", ." if i % 3 else "") for i in range(40)]
    assert all(text.isascii() for text in texts)
    hashes, offsets, bounds, token_offsets = Shingler(ngram, use_numba=False).hash_batch_tokens(texts)
    for i, text in enumerate(texts):
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == reference_hashes(text, ngram), text
        words_at = [list(m.span()) for m in re.finditer(r"\w+", text)]
        assert bounds[token_offsets[i] : token_offsets[i + 1]].tolist() == words_at


def test_chunking_does_not_change_hashes() -> None:
    # 3,000 texts of ~700 characters span several 1 MB chunks.
    texts = [f"document {i} " + " ".join(f"word{(i * 7 + j) % 500}" for j in range(100)) for i in range(3000)]
    shingler = Shingler(5)
    hashes, offsets = shingler.hash_batch(texts)
    assert offsets.size == len(texts) + 1
    for i in (0, 1, 1499, 1500, 2999):
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == shingler.hash_text(texts[i]).tolist()


def test_key_folds_case_lookalikes_and_punctuation() -> None:
    plain = "Paris is in France, said the report"
    spoofed = "P\N{CYRILLIC SMALL LETTER A}RIS is in Fr\N{CYRILLIC SMALL LETTER A}nce -- said THE report!!"
    assert dedup_key(plain) == dedup_key(spoofed) == "paris is in france said the report"
    shingler = Shingler(5)
    assert np.array_equal(shingler.hash_text(plain), shingler.hash_text(spoofed))


def test_numpy_kernels_past_their_blocks_and_kept_powers(monkeypatch: pytest.MonkeyPatch) -> None:
    # A document longer than a MinHash block (and documents spread over several blocks, each
    # taken 3 of the 8 permutations at a time: the last take has 2), and a chunk longer than
    # the kept powers of K_CHAR (computed for that chunk alone), against the written-out reference.
    monkeypatch.setattr(_kernels, "_BLOCK_SHINGLES", 64)
    monkeypatch.setattr(_kernels, "_BLOCK_PERMS", 3)
    monkeypatch.setattr(_kernels, "_POWERS_KEPT", 256)
    monkeypatch.setattr(_kernels, "_powers", (np.ones(0, dtype=np.uint64), np.ones(0, dtype=np.uint64)))
    long_text = " ".join(f"w{i % 97}x{i % 13}" for i in range(300))
    texts = [long_text, "", *TEXTS[3:], long_text[:500], "a b c d e f g h"]
    shingler = Shingler(5, use_numba=False)
    signer = Signer(num_perm=8, seed=3, use_numba=False)
    for batch in (texts, texts[1:3]):  # the second one fits the kept powers
        hashes, offsets = shingler.hash_batch(batch)
        sigs = signer.sign(hashes, offsets)
        for i, text in enumerate(batch):
            expected = reference_hashes(text, 5)
            assert hashes[offsets[i] : offsets[i + 1]].tolist() == expected, text[:40]
            assert sigs[i].tolist() == reference_signature(expected, signer)
    assert 0 < _kernels._powers[0].size <= 256


def test_numba_is_picked_once_the_process_gave_numpy_enough_work(monkeypatch: pytest.MonkeyPatch) -> None:
    # Work counts per process and per kind, across calls (and so across Shinglers and Signers):
    # many small batches add up as one large one would. (Where the kernels are built ahead of
    # time they run from the first call: test_aot_kernels.py.)
    monkeypatch.setattr(_kernels, "_numpy_work", {})
    monkeypatch.setattr(_kernels, "numba_started", lambda: False)
    monkeypatch.setattr(_kernels._aot, "load", lambda: None)
    compiled = "numba" if _kernels.numba_available() else "numpy"
    assert _kernels.pick(None, 600, 1000).name == "numpy"
    assert _kernels.pick(None, 300, 1000).name == "numpy"
    assert _kernels.pick(None, 50, 2000).name == "numpy"  # another kind has its own count
    assert _kernels.pick(None, 200, 1000).name == compiled
    assert _kernels.pick(False, 10**9, 1).name == "numpy"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 8, 9, 1000, 1025])
def test_powers_by_doubling_are_the_powers_mod_2_64(size: int) -> None:
    for base in (int(_kernels.K_CHAR), int(_kernels._K_CHAR_INVERSE)):
        expected = [pow(base, i, 1 << 64) for i in range(size)]
        assert _kernels._powers_of(base, size).tolist() == expected


@pytest.mark.parametrize("chunk", [1 << 20, 4])
def test_joined_word_bounds_are_positions_in_all_keys_joined(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    # The passage windows read word bounds in the batch's keys joined by "\n": each text's own
    # bounds shifted by where its key starts there, whatever chunks the batch is hashed in.
    texts = ["Stra\N{LATIN SMALL LETTER SHARP S}e und mehr", "a bc", "", "d e f g h i"]
    texts.append("\N{LATIN CAPITAL LETTER E WITH ACUTE}cole x")
    shingler = Shingler(2, use_numba=False)
    _, _, own, tokens = shingler.hash_batch_tokens(texts)
    key_starts = np.cumsum([0] + [len(key) + 1 for key in shingler.keys(texts)[:-1]])
    expected = own + np.repeat(key_starts, np.diff(tokens))[:, None]
    monkeypatch.setattr(shingles, "_CHUNK_CHARS", chunk)  # 4: a chunk per text
    assert shingler.hash_batch_tokens(texts, joined=True)[2].tolist() == expected.tolist()
    assert shingler.hash_batch_tokens(texts)[2].tolist() == own.tolist()


def _sets_and_pairs(rng: np.random.Generator, n_sets: int, colliding: bool) -> tuple[list[list[int]], np.ndarray]:
    """Sets of 0-60 hashes drawn with repeats from a small pool (so pairs share some); with
    ``colliding``, every hash has the same low 10 bits (one table slot: every lookup probes on)."""
    pool = rng.integers(0, 2**63, 80, dtype=np.uint64)
    if colliding:
        pool = pool << np.uint64(10)
    sets = [rng.choice(pool, int(rng.integers(0, 60))).tolist() for _ in range(n_sets)]
    pairs = rng.integers(0, n_sets, (40, 2)).astype(np.int64)
    return sets, pairs


@pytest.mark.skipif(not _kernels.numba_available(), reason="numba is not installed")
@pytest.mark.parametrize("colliding", [False, True])
@pytest.mark.parametrize("distinct", [False, True])
def test_pair_jaccards_numba_and_numpy_agree_with_sets(colliding: bool, distinct: bool) -> None:
    # The verify step's kernel (one hash table per pair, nothing sorted) against its numpy twin
    # (each set sorted and made distinct, then merged) and Python's sets, bit for bit.
    from cleaner.dedup import _numba_kernels

    for seed in range(20):
        sets, pairs = _sets_and_pairs(np.random.default_rng(seed), 9, colliding)
        if distinct:  # as a shard filed distinct holds them: sorted, each hash once
            sets = [sorted(set(s)) for s in sets]
        values = np.array([v for s in sets for v in s], dtype=np.uint64)
        bounds = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in sets], out=bounds[1:])
        expected = []
        for x, y in pairs.tolist():
            a, b = set(sets[x]), set(sets[y])
            expected.append(len(a & b) / len(a | b) if a or b else 0.0)
        numpy_out = pair_jaccards(values.copy(), bounds, pairs, distinct)
        numba_out = _numba_kernels.pair_jaccards(values.copy(), bounds, pairs, distinct)
        assert numpy_out.tolist() == numba_out.tolist() == expected


@pytest.mark.skipif(not _kernels.numba_available(), reason="numba is not installed")
@pytest.mark.parametrize(("bands", "rows"), [(16, 8), (10, 12), (1, 1), (3, 5)])
def test_band_keys_numba_and_numpy_agree(bands: int, rows: int) -> None:
    # num_perm 128 in every case: 10 x 12 and 3 x 5 leave columns past the bands unused.
    from cleaner.dedup import _numba_kernels

    sig = np.random.default_rng(bands).integers(0, 2**32, (50, 128), dtype=np.uint64).astype(np.uint32)
    expected = _np_band_keys(sig, bands, rows)
    assert expected.shape == (50, bands)
    assert np.array_equal(_numba_kernels.band_keys(sig, bands, rows), expected)
