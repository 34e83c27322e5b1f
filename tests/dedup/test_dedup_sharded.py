"""The sharded dedup barrier (the one way dedup decides: runners, library, explain) takes the
same decisions over several shards and partitions as over one, and as the one-piece test oracle
(tests/dedup/oracle_dedup.py).

The corpus mixes clusters that cross shard boundaries, a cluster larger than the bucket cap,
empty documents, copied passages, and a second batch against a persistent index. The tasks run
here in this process, but every task's arguments and result go through pickle, as they do to a
Dask worker. Small partition and block sizes force several of each, so the shuffle is real.
"""

from __future__ import annotations

import itertools
import pickle
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dedup_textgen import docs_from, edit_words, random_words
from oracle_dedup import one_piece_decide

from cleaner.config import DedupConfig
from cleaner.dedup import Dedup, _kernels, components, sharded
from cleaner.dedup.apply import Decision, PassageFlag
from cleaner.record import Document, DuplicateOf
from cleaner.stage import decide_in_process, read_decisions, write_decisions


def pickled_map(calls: list[str]) -> Callable[..., Iterator[Any]]:
    def run(fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        for a in args:
            calls.append(fn.__name__)
            yield pickle.loads(pickle.dumps(fn(*pickle.loads(pickle.dumps(a)))))

    return run


def corpus(tag: str, copies: int = 70) -> list[Document]:
    texts: list[tuple[str, str]] = []
    base = random_words(1, 200)
    for i in range(copies):  # one page copied more often than a bucket remembers (64)
        texts.append((f"{tag}big{i}", " ".join(edit_words(base, i, 1))))
    for c in range(12):  # small clusters spread over the input, so they cross shards
        words = random_words(100 + c, 150)
        texts.append((f"{tag}c{c}a", " ".join(words)))
        texts.append((f"{tag}n{c}", " ".join(random_words(500 + c, 90))))
        texts.append((f"{tag}c{c}b", " ".join(edit_words(words, c, 1))))
    source = random_words(7, 60)
    for p in range(5):  # a copied passage inside otherwise new documents
        own = random_words(900 + p, 70)
        texts.append((f"{tag}p{p}", " ".join(own) + "\n\n" + " ".join(source)))
    # Own words that differ per batch around the same copied passage: flagged, not a near-duplicate.
    texts.append((f"{tag}q", " ".join(random_words(2000 + ord(tag), 70)) + "\n\n" + " ".join(source)))
    texts.append((f"{tag}empty", ""))
    texts.append((f"{tag}punct", "... !!! ---"))
    return docs_from(texts)


def split(keyed: list[tuple[str, Any]], sizes: Sequence[int]) -> list[list[tuple[str, Any]]]:
    out, at = [], 0
    for size in sizes:
        out.append(keyed[at : at + size])
        at += size
    out.append(keyed[at:])
    return out


def summaries(stage: Dedup, docs: list[Document]) -> list[tuple[str, Any]]:
    stage.setup()
    return list(zip([str(d.source) for d in docs], stage.summarize_many(docs), strict=True))


@pytest.mark.parametrize(
    "passages,chunk,owner_slice,on",
    [
        (True, sharded.PASSAGE_POSITIONS, sharded.OWNER_SLICE, "driver"),
        (True, 40, 300, "driver"),
        (False, 0, sharded.OWNER_SLICE, "driver"),
        (True, sharded.PASSAGE_POSITIONS, 300, "tasks"),
        (False, 0, sharded.OWNER_SLICE, "auto"),  # past DRIVER_EDGES (set low below): tasks
    ],
)
def test_sharded_equals_one_shard_and_the_oracle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passages: bool, chunk: int, owner_slice: int, on: str
) -> None:
    monkeypatch.setattr(sharded, "PASSAGE_POSITIONS", chunk)  # 40: passages checked a few documents at a time
    monkeypatch.setattr(sharded, "SUMMARY_BATCH", 5)  # summaries read 5 at a time: chunks span batches
    monkeypatch.setattr(sharded, "OWNER_SLICE", owner_slice)  # 300: owners sorted a few hundred hashes at a time
    monkeypatch.setattr(sharded, "ROWS_PER_PARTITION", 50)  # several partitions per band group
    monkeypatch.setattr(sharded, "PAIRS_PER_BLOCK", 40)  # several verify blocks
    monkeypatch.setattr(sharded, "VERIFY_VALUES", 300)  # each verified in runs of a few pairs
    monkeypatch.setattr(sharded, "partitions_for_edges", lambda edges: 3)  # several partitions of edges
    monkeypatch.setattr(components, "DRIVER_EDGES", 50)  # "auto" takes the tasks past 50 edges
    cfg = DedupConfig(passages=passages, components=on)
    docs = corpus("a")
    keyed = summaries(Dedup(cfg), docs)
    expected = one_piece_decide(Dedup(cfg), keyed)
    assert decide_in_process(Dedup(cfg), [keyed]) == expected  # one shard, its piece the owner table
    monkeypatch.setattr(sharded, "OWNER_ROWS_PER_RANGE", 2000)  # several hash ranges of owners
    assert decide_in_process(Dedup(cfg), [keyed]) == expected  # one shard, its piece cut by range_owners
    calls: list[str] = []
    shards = split(keyed, [30, 0, 41, 17])  # an empty shard too
    got = Dedup(cfg).decide_sharded(shards, pickled_map(calls), tmp_path / "barrier")
    assert got == expected
    assert sum(1 for d in expected.values() if d.is_near_duplicate) > 70  # the corpus has clusters
    assert any(d.passages for d in expected.values()) == passages
    assert calls.count("shard_bands") == 4 and calls.count("partition_pairs") > 4 and calls.count("verify_block") > 1
    assert calls.count("shard_decisions") == 4  # each shard's decisions (and passages) in a task of its own
    if on == "driver":
        assert "star_round" not in calls and "file_keep_rule" not in calls
    else:  # components in rounds of tasks, several partitions of edges
        assert calls.count("file_keep_rule") > 2 and calls.count("star_round") > calls.count("file_keep_rule")
    if passages:
        assert calls.count("range_owners") > 2
    assert not (tmp_path / "barrier").exists()  # the barrier's files are removed
    assert not (tmp_path / "barrier.decided").exists()  # and the shards' decision files, once read back


@pytest.mark.parametrize("chunk,on", [(sharded.PASSAGE_POSITIONS, "driver"), (40, "driver"), (40, "tasks")])
def test_sharded_with_an_index_equals_the_oracle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, on: str
) -> None:
    monkeypatch.setattr(sharded, "OWNER_ROWS_PER_RANGE", 2000)
    monkeypatch.setattr(sharded, "PASSAGE_POSITIONS", chunk)  # 40: each chunk gets its own index offset
    monkeypatch.setattr(sharded, "partitions_for_edges", lambda edges: 3)  # several partitions of edges
    first, second = corpus("a"), corpus("b")  # b's documents repeat a's texts: found in the index
    results = []
    for name, use_sharded in (("plain", False), ("sharded", True)):
        cfg = DedupConfig(index=str(tmp_path / f"{name}.sqlite"), components=on)
        decided = []
        for batch in (first, second):
            stage = Dedup(cfg)
            keyed = summaries(stage, batch)
            if use_sharded:
                decided.append(stage.decide_sharded(split(keyed, [50, 20]), pickled_map([]), tmp_path / "b"))
            else:
                decided.append(one_piece_decide(stage, keyed))
        rows = sqlite3.connect(tmp_path / f"{name}.sqlite").execute("SELECT * FROM docs ORDER BY rowid").fetchall()
        results.append((decided, rows))
    (plain, plain_rows), (got, got_rows) = results
    assert got == plain
    assert got_rows == plain_rows  # the index holds the same rows, in the same order
    cross = [d for d in plain[1].values() if d.duplicate and d.duplicate.duplicate_of and d.duplicate.cluster[0] == "a"]
    assert len(cross) > 50  # the second batch was matched against the first through the index
    flagged = plain[1]["bq.txt"].passages
    assert [f.duplicate_of[0] for f in flagged] == ["a"]  # its passage was found in the index


def test_ids_are_read_one_at_a_time_as_the_labels_hold_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Ids of other shards' documents are read alone (two seeks), never from a whole label file.
    ids = [["a", "", "\u00e9t\u00e9/\U0001f600", "x" * 300], ["\udcff-surrogate", "b"], ["c"]]
    firsts = [0, 4, 6]
    keys = [[f"key{s}.{i}" for i in range(len(shard_ids))] for s, shard_ids in enumerate(ids)]
    keys[2] = ["d\u00e9j\u00e0.jsonl:1"]  # an ASCII shard's ids, its key not
    for shard, (shard_keys, shard_ids) in enumerate(zip(keys, ids, strict=True)):
        sharded._write_ids(sharded._files(tmp_path, shard), shard_keys, shard_ids)
    monkeypatch.setattr(sharded._Ids, "MAX_OPEN", 1)  # every change of shard closes the last one's files
    reader = sharded._Ids(tmp_path, [0, 1, 2], firsts)
    flat = [doc_id for shard_ids in ids for doc_id in shard_ids]
    for rank in [6, 0, 5, 3, 2, 4, 1, 0]:
        assert reader.get(rank) == flat[rank]
    assert list(reader.open) == [0]
    # the keys are in the same file, after the ids
    loaded = [sharded._load_labels(tmp_path, shard) for shard in range(3)]
    assert [(list(k), list(i)) for k, i in loaded] == list(zip(keys, ids, strict=True))
    assert [loaded[0][1][i] for i in (3, -4, 2)] == ["x" * 300, "a", ids[0][2]] and loaded[1][1][1:] == ["b"]
    for past in (1, -2):
        with pytest.raises(IndexError):
            loaded[2][0][past]


def test_rows_of_a_bucket_meet_in_one_partition(tmp_path: Path) -> None:
    # The same key in two shards must land in the same partition file cell.
    cfg = DedupConfig(passages=False)
    stage = Dedup(cfg)
    docs = corpus("a", copies=3)
    keyed = summaries(stage, docs)
    shards = split(keyed, [20])
    for s, part in enumerate(shards):
        sharded.shard_bands(part, s, 0 if s == 0 else 20, cfg, tmp_path, partitions=3)
    for group, (start, end) in enumerate(sharded.groups_of(cfg.lsh_bands)):
        seen: dict[int, int] = {}
        for s in range(len(shards)):
            rows, bounds = sharded._read_band_rows(tmp_path / f"s{s}.bands.npy", group, end - start, 0)
            assert bounds[0] == 0 and len(bounds) == 3 * (end - start) + 1
            bounds = bounds[:: end - start]  # the partitions' bounds
            rows = np.concatenate(
                [sharded._read_band_rows(tmp_path / f"s{s}.bands.npy", group, end - start, p)[0] for p in range(3)]
            )
            cell_of = np.searchsorted(bounds, np.arange(len(rows)), side="right") - 1
            for key, cell in zip(rows[:, 1].tolist(), cell_of.tolist(), strict=True):
                assert seen.setdefault(key, cell) == cell


def test_range_owners_picks_each_hash_s_first_rank_in_under_40_bytes_a_row(tmp_path: Path) -> None:
    # The owners task is the largest single step of a run at its cap (OWNER_ROWS_PER_RANGE rows):
    # it must sort in place, not hold the pieces, the rows and sorted copies of both columns at once.
    # Its table keeps the hashes two or more documents hold (in two shards, or twice in one).
    import tracemalloc

    rng = np.random.default_rng(5)
    shared = rng.integers(0, 2**63, 20_000, dtype=np.uint64)  # hashes that several shards hold
    first_seen: dict[int, int] = {}
    held: dict[int, int] = {}  # hash -> documents holding it
    total = 0
    for shard in range(4):
        hashes = np.unique(np.concatenate([shared, rng.integers(0, 2**63, 80_000, dtype=np.uint64)]))
        rows = np.stack([hashes.view(np.int64), shard * 1_000_000 + np.arange(hashes.size)], axis=1)
        twice = rng.random(hashes.size) < 0.05  # another document of the shard holds it too
        np.save(tmp_path / f"s{shard}.owners.npy", rows)
        np.save(tmp_path / f"s{shard}.owner_shared.npy", twice)
        for h, r, t in zip(hashes.tolist(), rows[:, 1].tolist(), twice.tolist(), strict=True):
            first_seen.setdefault(h, r)  # shards come in rank order: the first one seen owns the hash
            held[h] = held.get(h, 0) + 1 + t
        total += hashes.size
    want = {h: r for h, r in first_seen.items() if held[h] > 1}
    tracemalloc.start()
    try:
        count = sharded.range_owners(tmp_path, [0, 1, 2, 3], 0, 1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    hashes, ranks = np.load(tmp_path / "o0.hashes.npy"), np.load(tmp_path / "o0.ranks.npy")
    assert count == len(want) and np.all(hashes[1:] > hashes[:-1])
    assert dict(zip(hashes.tolist(), ranks.tolist(), strict=True)) == want
    assert len(want) > 20_000  # both kinds of sharing are in the table
    # The filter passes every hash of the table, and few others.
    filt = np.load(tmp_path / "o0.filter.npy")
    assert sharded._in_filter(filt, hashes).all()
    others = np.array([h for h in first_seen if h not in want], dtype=np.uint64)
    assert sharded._in_filter(filt, others).mean() < 2 / sharded.FILTER_BITS_PER_HASH
    assert peak / total < 40, peak / total  # 32 B per row; holding copies of everything took 64


def test_owners_of_a_shard_without_shingles_are_empty(tmp_path: Path) -> None:
    # Documents with no words (a page that is only markup): nothing to sort, empty tables.
    empty = [np.zeros(0, dtype=np.uint64)]
    assert sharded.write_owner_piece(tmp_path, 0, 0, empty, np.zeros(3, dtype=np.int64)) == 0
    assert np.load(tmp_path / "s0.owners.npy").shape == (0, 2)
    assert sharded.range_owners(tmp_path, [0], 1, 2) == 0
    assert np.load(tmp_path / "o1.hashes.npy").size == 0


def test_verify_blocks_are_cut_by_the_pairs_they_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pairs crowd the early ranks, as the first members of large clusters do: an even cut of the
    # ranks would put most of them in the first block.
    monkeypatch.setattr(sharded, "PAIRS_PER_BLOCK", 1_000)
    rng = np.random.default_rng(3)
    n, files = 100_000, [(g, p) for g in range(2) for p in range(3)]
    for g, p in files:
        earlier = np.sort(np.concatenate([rng.integers(0, 200, 3_000), rng.integers(0, n - 1, 1_000)]))
        pairs = np.stack([earlier, earlier + 1 + rng.integers(0, n, earlier.size)], axis=1)
        np.save(tmp_path / f"pairs.g{g}.p{p}.npy", pairs)
    found = 6 * 4_000
    cuts = sharded.block_cuts(lambda fn, args: (fn(*a) for a in args), tmp_path, files, n, found)
    assert cuts[0] == 0 and cuts[-1] == n and cuts == sorted(set(cuts))
    held = [len(sharded.block_pairs(tmp_path, files, r)) for r in itertools.pairwise(cuts)]
    assert sum(held) == len(
        np.unique(np.concatenate([np.load(tmp_path / f"pairs.g{g}.p{p}.npy") for g, p in files]), axis=0)
    )
    assert max(held) <= 2 * 1_000  # the even cut's first block held ~18,000
    assert len(cuts) - 1 >= found // 1_000 // 2


@pytest.mark.parametrize(
    ("table", "buckets", "pool_size", "sifted"),
    [(False, 20, 500, 0), (True, 20, 500, 1), (True, 2, 500, 1), (True, 20, 5000, 8)],
)
def test_owner_piece_holds_each_hash_s_first_rank_whatever_the_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: bool, buckets: int, pool_size: int, sifted: int
) -> None:
    # Documents' distinct sets in parts of several documents (an empty document, an empty part),
    # hashes shared within and across parts, cut into 8 slices of the hash space. A table sifts
    # out the hashes whose bucket holds no other before the sort while that leaves out half a
    # slice or more: from a pool of 5,000 hashes most are held once, and every slice is sifted;
    # from 500 (or with 2-bit buckets) the first slice keeps most and the rest are sorted whole.
    monkeypatch.setattr(sharded, "OWNER_SLICE", 100)
    monkeypatch.setattr(sharded, "REPEAT_BUCKET_BITS", buckets)
    calls: list[int] = []
    sift = sharded._maybe_repeated
    monkeypatch.setattr(sharded, "_maybe_repeated", lambda values, bits: calls.append(1) or sift(values, bits))
    rng = np.random.default_rng(3)
    pool = rng.integers(0, 2**64, pool_size, dtype=np.uint64, endpoint=False)
    docs = [np.unique(rng.choice(pool, int(rng.integers(0, 90)))) for _ in range(17)]
    docs[4] = np.zeros(0, dtype=np.uint64)
    cuts = [0, 5, 5, 11, 17]  # the parts' first documents
    parts = [np.concatenate([np.zeros(0, dtype=np.uint64), *docs[a:b]]) for a, b in itertools.pairwise(cuts)]
    offsets = np.concatenate([[0], np.cumsum([d.size for d in docs])]).astype(np.int64)
    assert sharded._slice_bits(int(offsets[-1])) == 3
    first: dict[int, int] = {}
    count: dict[int, int] = {}
    for rank, doc in enumerate(docs, start=100):
        for h in doc.tolist():
            first.setdefault(h, rank)
            count[h] = count.get(h, 0) + 1
    rows = sharded.write_owner_piece(tmp_path, 2, 100, parts, offsets, table)
    if table:
        hashes, ranks = np.load(tmp_path / "o0.hashes.npy"), np.load(tmp_path / "o0.ranks.npy")
        want = {h: r for h, r in first.items() if count[h] > 1}
        assert rows == len(want) and dict(zip(hashes.tolist(), ranks.tolist(), strict=True)) == want
    else:
        piece, shared = np.load(tmp_path / "s2.owners.npy"), np.load(tmp_path / "s2.owner_shared.npy")
        hashes = piece[:, 0].view(np.uint64)
        assert rows == len(first) and np.all(hashes[1:] > hashes[:-1])
        assert dict(zip(hashes.tolist(), piece[:, 1].tolist(), strict=True)) == first
        assert shared.tolist() == [count[h] > 1 for h in hashes.tolist()]
    assert 0 < sum(c > 1 for c in count.values()) < len(count)
    assert len(calls) == sifted


def test_a_decisions_file_gives_back_each_decision_field_by_field(tmp_path: Path) -> None:
    # Decisions pickle as their constructors' arguments (no per-object __setstate__): every field,
    # in its place, whatever is set.
    flags = (PassageFlag(3, 40, "src-1", 0.75), PassageFlag(41, 90, "src-2", 1.0))
    decisions = {
        "a": Decision(DuplicateOf("c", "d", 0.91, "run 2"), flags, "run 1 at noon"),
        "b": Decision(),
        "c": Decision(passages=flags[1:]),
    }
    assert write_decisions(tmp_path / "0.pkl", decisions)
    back = read_decisions(tmp_path / "0.pkl")
    assert back == decisions
    assert [type(p) for d in back.values() for p in d.passages] == [PassageFlag] * 3


@pytest.mark.parametrize("partitions", [3, 1])  # one partition: its rows are the bands' columns, not sorted
def test_band_rows_of_each_group_and_partition_read_back_from_one_file(tmp_path: Path, partitions: int) -> None:
    # A shard's band rows of every group share one file: each (group, partition) reads back its own
    # cells, band by band in rank order, and nothing else (groups of unequal width: 3, 3, 3, 1).
    rng = np.random.default_rng(11)
    bands = 10
    ranks = np.array([2, 3, 5, 7, 8, 13], dtype=np.int64)
    bkeys = rng.integers(0, 2**64 - 1, size=(len(ranks), bands), dtype=np.uint64, endpoint=True)
    sharded.write_band_rows(tmp_path, 4, ranks, bkeys, partitions)
    groups = sharded.groups_of(bands)
    assert [end - start for start, end in groups] == [3, 3, 3, 1]
    path = tmp_path / "s4.bands.npy"
    assert np.load(path).shape == (len(ranks) * bands, 2)
    for group, (start, end) in enumerate(groups):
        width = end - start
        for partition in range(partitions):
            rows, bounds = sharded._read_band_rows(path, group, width, partition)
            for band in range(start, end):
                cell = partition * width + band - start
                pairs = zip(ranks.tolist(), bkeys[:, band].tolist(), strict=True)
                expected = [(r, k) for r, k in pairs if k % partitions == partition]
                got = rows[bounds[cell] : bounds[cell + 1]]
                assert [(r, k & 0xFFFF_FFFF_FFFF_FFFF) for r, k in got.tolist()] == expected
            assert bounds[partition * width] == 0 and bounds[(partition + 1) * width] == len(rows)


@pytest.mark.parametrize("passages", [True, False])
def test_shingles_a_document_repeats_change_no_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passages: bool
) -> None:
    # Without an index, a bands task files the summaries' shingles as they came (repeats and
    # all): verification makes the sets it reads distinct, and an owner table may hold a hash
    # one document repeats, under that document's own rank, which owns it anyway. Documents
    # repeating paragraphs, near-duplicates of them and a passage copied from one: the same
    # decisions as the oracle's (one shard: its piece the table; several ranges; several shards).
    monkeypatch.setattr(sharded, "SUMMARY_BATCH", 3)
    monkeypatch.setattr(sharded, "VERIFY_VALUES", 1)  # a pair at a time: its two sets
    para, other, own = random_words(41, 45), random_words(42, 30), random_words(43, 70)
    doubled = " ".join(para) + "\n\n" + " ".join(own) + "\n\n" + " ".join(para)
    texts = [
        ("r0", doubled),
        ("n0", " ".join(random_words(44, 80))),
        ("r1", " ".join(edit_words(doubled.split(" "), 5, 1))),  # a near-duplicate, repeats and all
        ("r2", " ".join(random_words(45, 60)) + "\n\n" + " ".join(para)),  # r0's paragraph, copied
        ("r3", "\n\n".join([" ".join(other)] * 3)),  # repeats only itself
        ("r4", " ".join(random_words(46, 60)) + "\n\n" + " ".join(other)),  # r3's paragraph, copied
    ]
    cfg = DedupConfig(passages=passages)
    keyed = summaries(Dedup(cfg), docs_from(texts))
    expected = one_piece_decide(Dedup(cfg), keyed)
    near = expected["r1.txt"].duplicate
    assert near is not None and near.duplicate_of == "r0" and near.similarity < 1.0
    if passages:
        assert [flag.duplicate_of for flag in expected["r2.txt"].passages] == ["r0"]
        assert [flag.duplicate_of for flag in expected["r4.txt"].passages] == ["r3"]
        assert "r3.txt" not in expected  # its repeats are its own: no earlier source
    assert decide_in_process(Dedup(cfg), [keyed]) == expected
    monkeypatch.setattr(sharded, "OWNER_ROWS_PER_RANGE", 20)
    assert decide_in_process(Dedup(cfg), [keyed]) == expected
    got = Dedup(cfg).decide_sharded(split(keyed, [2, 2]), pickled_map([]), tmp_path / "barrier")
    assert got == expected


def test_a_passage_without_shingles_past_the_last_position_owns_none() -> None:
    # A document's last passage may hold no shingle and start past the document's last one (the
    # passage table's first position 2 of a document of one shingle): the one-shard path that
    # counts owners by a running sum read past its end (hypothesis found it in test_fuzz).
    cfg = DedupConfig(passages=True)
    keyed = summaries(Dedup(cfg), docs_from([("a", "0\u00bf0\n\n0\n0\n0\n:\n:\n:\n{\n\u00a1")]))
    assert keyed[0][1].passages.tolist() == [[5, 20, 2, 0]]  # the case: no shingle, first position 2 of 1
    assert decide_in_process(Dedup(cfg), [keyed]) == one_piece_decide(Dedup(cfg), keyed)


@pytest.mark.parametrize("use_numba", [False, True] if _kernels.numba_available() else [False])
def test_owner_positions_name_each_shingle_s_first_rank_whatever_the_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_numba: bool
) -> None:
    # The run's one shard files the owner of every shingle position (its sets as they came:
    # repeats within a document, an empty document, an empty part), across 8 slices of the hash
    # space (numba: 16, taken in 3 passes), each sorted whole: each position names the first
    # rank holding its hash, and the count is the table's.
    monkeypatch.setattr(sharded, "OWNER_SLICE", 100)
    if use_numba:  # the kernels' own slices and passes (runs of slices)
        from cleaner.dedup import _owners

        monkeypatch.setattr(_owners, "OWNER_SLICE_HASHES", 64)
        monkeypatch.setattr(_owners, "OWNER_PASS_POSITIONS", 300)
    rng = np.random.default_rng(7)
    pool = rng.integers(0, 2**64, 5000, dtype=np.uint64, endpoint=False)
    docs = [rng.choice(pool[: int(rng.integers(50, 5000))], int(rng.integers(0, 90))) for _ in range(17)]
    docs[4] = np.zeros(0, dtype=np.uint64)
    docs[9] = np.concatenate([docs[9], docs[9][:5], pool[4990:]])  # repeats within a document
    docs[10] = np.concatenate([docs[10], pool[4999:]])
    cuts = [0, 5, 5, 11, 17]
    parts = [np.concatenate([np.zeros(0, dtype=np.uint64), *docs[a:b]]) for a, b in itertools.pairwise(cuts)]
    offsets = np.concatenate([[0], np.cumsum([d.size for d in docs])]).astype(np.int64)
    assert sharded._slice_bits(int(offsets[-1])) == 3
    first: dict[int, int] = {}
    count: dict[int, int] = {}  # positions holding each hash
    for rank, doc in enumerate(docs, start=100):
        for h in doc.tolist():
            first.setdefault(h, rank)
            count[h] = count.get(h, 0) + 1
    rows = sharded.write_owner_piece(tmp_path, 0, 100, parts, offsets, table=True, positions=True, use_numba=use_numba)
    assert np.load(tmp_path / "o0.hashes.npy").size == np.load(tmp_path / "o0.ranks.npy").size == 0
    owners = np.load(tmp_path / "o0.positions.npy")
    assert owners.tolist() == [first[h] for h in np.concatenate(docs).tolist()]
    assert rows == sum(c > 1 for c in count.values())
    own = np.repeat(np.arange(100, 117), [d.size for d in docs])
    assert 0 < np.count_nonzero(owners < own) < owners.size  # earlier owners and own ones
