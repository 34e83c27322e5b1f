"""Passage flags: a reused paragraph points at the earlier document holding it; fresh text does not."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from dedup_textgen import docs_from, edit_words, random_words, run_stage
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.config import DedupConfig
from cleaner.dedup import passages
from cleaner.dedup.cluster import containment_distinct
from cleaner.dedup.passages import MIN_WORDS, WINDOW_WORDS, split_passages
from cleaner.record import Reason, Unit


def _para(seed: int, n: int = 60) -> str:
    return " ".join(random_words(seed, n)) + "."


SOURCE = "\n\n".join([_para(1), _para(2), _para(3)])


def test_copied_paragraph_is_flagged_with_its_source() -> None:
    copier = "\n\n".join([_para(10), _para(2), _para(11)])
    light = "\n\n".join([_para(12), " ".join(edit_words(_para(3).split(), 4, 1))])
    fresh = "\n\n".join([_para(20), _para(21)])
    out = run_stage(DedupConfig(), docs_from([("src", SOURCE), ("copier", copier), ("light", light), ("fresh", fresh)]))
    assert [d.status for d in out] == ["kept"] * 4
    src, cop, lig, fre = out
    assert src.passages == () and fre.passages == ()
    assert len(cop.passages) == 1
    match = cop.passages[0]
    assert (match.duplicate_of, match.similarity) == ("src", 1.0)
    assert match.text == _para(2) == copier[match.start : match.end]
    assert len(lig.passages) == 1 and lig.passages[0].duplicate_of == "src"
    assert 0.8 <= lig.passages[0].similarity < 1.0


def test_passage_below_threshold_is_not_flagged() -> None:
    # Half of the paragraph reused: containment about 0.5.
    words = _para(2).split()
    half = " ".join(words[:30] + random_words(99, 30))
    out = run_stage(DedupConfig(), docs_from([("src", SOURCE), ("half", half)]))
    assert out[1].passages == ()


def test_drop_duplicate_passages_removes_them_as_drops() -> None:
    copier = "\n\n".join([_para(10), _para(2), _para(11)])
    out = run_stage(DedupConfig(drop_duplicate_passages=True), docs_from([("src", SOURCE), ("copier", copier)]))
    doc = out[1]
    assert _para(2) not in doc.text and _para(10) in doc.text and _para(11) in doc.text
    assert len(doc.drops) == 1
    drop = doc.drops[0]
    assert (drop.reason, drop.unit, drop.text) == (Reason.NEAR_DUPLICATE_PASSAGE, Unit.PASSAGE, _para(2))
    assert copier[drop.start : drop.end] == _para(2)
    assert "duplicate_of=src" in drop.detail
    assert doc.passages[0].text == _para(2)


def test_near_duplicate_documents_carry_no_passage_flags() -> None:
    out = run_stage(DedupConfig(drop_duplicates=False), docs_from([("src", SOURCE), ("again", SOURCE + " end")]))
    assert out[1].duplicate is not None and out[1].duplicate.duplicate_of == "src"
    assert out[1].passages == ()


def test_passages_found_across_runs_through_the_index(tmp_path: Path) -> None:
    cfg = DedupConfig(index=str(tmp_path / "idx.sqlite"))
    run_stage(cfg, docs_from([("src", SOURCE)]))
    copier = "\n\n".join([_para(30), _para(1)])
    out = run_stage(cfg, docs_from([("later", copier)]))
    assert [(p.duplicate_of, p.similarity) for p in out[0].passages] == [("src", 1.0)]


def test_split_passages_paragraphs_and_sentence_windows() -> None:
    long_para = " ".join(f"Sentence {i} has exactly seven words here." for i in range(40))  # 280 words
    text = "Tiny.\n\n" + _para(5, 20) + "\n    Indented paragraph starts " + _para(6, 20) + "\n\n" + long_para
    spans = split_passages(text)
    pieces = [text[s:e] for s, e in spans]
    assert pieces[0] == _para(5, 20)
    assert pieces[1].startswith("Indented paragraph starts")
    windows = pieces[2:]
    assert len(windows) > 2
    assert "".join(windows).replace(" ", "") == long_para.replace(" ", "")
    for w in windows:
        n = len(re.findall(r"\w+", w))
        assert MIN_WORDS <= n < WINDOW_WORDS + 7  # closed at the first sentence end past WINDOW_WORDS
        assert w.endswith(".")
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(spans))


def test_passage_windows_equal_the_passages_own_shingles() -> None:
    # A passage's shingles are taken as a slice of its document's; they must be exactly the
    # shingles of the passage text on its own, also where case folding changes lengths.
    from cleaner.dedup import Dedup
    from cleaner.dedup.shingles import Shingler

    texts = [
        SOURCE,
        "Die Straße STRASSE führt weiter und weiter bis zum Fluss hinab.\n\n" + _para(7),
        "\N{LATIN CAPITAL LETTER I WITH DOT ABOVE}stanbul ist groß und schön, sagte er gestern am Abend.\n\n"
        + _para(8)
        + "\n\nTiny one.",
        "P\N{CYRILLIC SMALL LETTER A}ris " + " ".join(random_words(9, 200)) + ".",
        # Not ASCII, but its key has its offsets (no lookalike script, folding keeps lengths).
        "\N{LEFT DOUBLE QUOTATION MARK}Caf\N{LATIN SMALL LETTER E WITH ACUTE}\N{RIGHT DOUBLE QUOTATION MARK} "
        + _para(9)
        + "\n\nSTRA\N{LATIN CAPITAL LETTER SHARP S}E "
        + _para(10),
    ]
    stage = Dedup(DedupConfig())
    shingler = Shingler(5)
    for summary, text in zip(
        stage.summarize_many(docs_from([(str(i), t) for i, t in enumerate(texts)])), texts, strict=True
    ):
        assert summary.passages.size
        for start, end, first, count in summary.passages.tolist():
            own = shingler.hash_text(text[start:end])
            assert summary.shingles[first : first + count].tolist() == own.tolist()


def test_source_docs_keep_read_sets_within_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run document's set is read once while it is kept; past RUN_VALUES_KEPT hashes the kept
    sets start afresh, and every read still gives the right set."""
    import numpy as np

    from cleaner.dedup import passages

    reads: list[int] = []

    def run_shingles(rank: int) -> np.ndarray:
        reads.append(rank)
        return np.arange(rank, rank + 3, dtype=np.uint64)

    monkeypatch.setattr(passages, "RUN_VALUES_KEPT", 6)  # two sets of 3
    docs = passages.SourceDocs(run_shingles, str, None, 0)
    for rank in (1, 2, 1, 2, 3, 1):
        assert docs.shingles(rank).tolist() == [rank, rank + 1, rank + 2]
    assert reads == [1, 2, 3, 1]  # 1 and 2 kept; 3 starts afresh, so 1 is read again


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), indexed=st.booleans())
def test_best_sources_of_many_passages_are_each_one_s_best_source(seed: int, indexed: bool) -> None:
    # Documents drawn from a small vocabulary of hashes, so passages share much with earlier ones;
    # owners are what the barrier gives (the smallest rank holding each hash) and, with an index,
    # some positions name indexed documents (negative ranks) instead.
    rng = np.random.default_rng(seed)
    vocabulary = rng.integers(0, 2**63, 60, dtype=np.uint64)
    docs = [np.unique(rng.choice(vocabulary, int(rng.integers(1, 40)))) for _ in range(12)]
    indexed_docs = {-1 - r: np.unique(rng.choice(vocabulary, 30)) for r in range(3)}
    owner: dict[int, int] = {}
    for rank, doc in enumerate(docs):
        for h in doc.tolist():
            owner.setdefault(h, rank)
    pieces, own_ranks, starts = [], [], [0]
    for _ in range(int(rng.integers(1, 20))):
        rank = int(rng.integers(0, len(docs)))
        piece = rng.choice(docs[rank], int(rng.integers(1, 12)))  # repeats too
        pieces.append(piece)
        own_ranks.append(rank)
        starts.append(starts[-1] + piece.size)
    hashes = np.concatenate(pieces)
    owners = np.array([owner[h] for h in hashes.tolist()], dtype=np.int64)
    if indexed:
        from_index = rng.random(hashes.size) < 0.3
        owners[from_index] = rng.integers(-3, 0, int(from_index.sum()))
    shingles_of = {**dict(enumerate(docs)), **indexed_docs}.__getitem__
    threshold = float(rng.choice([0.3, 0.5, 0.8]))
    order = rng.permutation(len(pieces))[: int(rng.integers(1, len(pieces) + 1))]  # some passages, any order
    got = passages.best_sources(
        hashes, np.array(starts), order, np.array(own_ranks)[order], owners, shingles_of, threshold
    )
    want = []
    for k, p in enumerate(order.tolist()):
        lo, hi = starts[p], starts[p + 1]
        found = passages.best_source(hashes[lo:hi], own_ranks[p], owners[lo:hi], shingles_of, threshold)
        if found is not None:
            want.append((k, *found))
    assert got == want


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_containments_find_hashes_that_share_their_top_bits(seed: int) -> None:
    # Small consecutive hashes: in the joined keys (a document's number, then a hash's top bits)
    # many hashes of one set share a key, and the lookup must still land on the exact hash.
    rng = np.random.default_rng(seed)
    sets = {r: np.unique(rng.integers(0, 64, int(rng.integers(0, 20)))).astype(np.uint64) for r in range(-2, 6)}
    parts = [np.unique(rng.integers(0, 64, int(rng.integers(1, 12)))).astype(np.uint64) for _ in range(5)]
    at = np.concatenate(([0], np.cumsum([p.size for p in parts])))
    slots = rng.integers(0, len(parts), 12)
    ranks = rng.integers(-2, 6, 12)
    got = passages._containments(np.concatenate(parts), at, slots, ranks, sets.__getitem__)
    want = [containment_distinct(parts[s], sets[r]) for s, r in zip(slots.tolist(), ranks.tolist(), strict=True)]
    assert got.tolist() == want
