"""The persistent index: round trip across runs, what it holds, and refusal of mismatched runs."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from dedup_textgen import docs_from, edit_words, random_words, run_stage

from cleaner.config import DedupConfig
from cleaner.dedup import Dedup
from cleaner.dedup.index import FORMAT_VERSION, DedupIndex, describe, iter_ids
from cleaner.errors import IndexMismatchError, UsageError
from cleaner.record import DuplicateOf
from cleaner.stage import decide_in_process


def _texts(prefix: str, seeds: range) -> list[tuple[str, str]]:
    return [(f"{prefix}{s}", " ".join(random_words(s, 150))) for s in seeds]


def test_round_trip_second_run_finds_first_runs_documents(tmp_path: Path) -> None:
    path = str(tmp_path / "index.sqlite")
    cfg = DedupConfig(index=path, passages=False)
    first = _texts("a", range(10))
    first.append(("a-copy", first[3][1] + " trailing"))  # a duplicate inside run 1
    out1 = run_stage(cfg, docs_from(first))
    assert [d.id for d in out1 if d.status == "dropped"] == ["a-copy"]

    info = describe(path)
    assert info["documents"] == 11
    assert info["clusters"] == 10  # a-copy is filed under a3's cluster
    assert info["format_version"] == FORMAT_VERSION
    assert info["parameters"] == {
        "hash": "cleaner-horner64-fmix64/datasketch-affine32",
        "num_perm": 128,
        "seed": 1,
        "ngram": 5,
        "bands": 16,
        "rows": 8,
        "passages": 0,
        "passage_owner_sample": 4,
        "verification": "odd-sketch-2048",
    }
    assert ("a-copy", "a3") in list(iter_ids(path))

    base7 = random_words(7, 150)
    second = [
        ("b-of-a7", " ".join(edit_words(base7, 11, 2))),
        ("b-of-copy", first[3][1] + " trailing"),  # matches a3 and a-copy: a3's cluster
        ("b-new", " ".join(random_words(500, 150))),
        ("b-new-again", " ".join(random_words(500, 150))),
    ]
    out2 = {d.id: d for d in run_stage(cfg, docs_from(second))}
    a7 = out2["b-of-a7"].duplicate
    assert out2["b-of-a7"].status == "dropped"
    assert a7 is not None and (a7.cluster, a7.duplicate_of) == ("a7", "a7")
    assert a7.similarity is not None and a7.similarity >= 0.8
    copy = out2["b-of-copy"].duplicate
    assert copy is not None and copy.cluster == "a3" and copy.duplicate_of in {"a3", "a-copy"}
    assert out2["b-new"].duplicate == DuplicateOf(cluster="b-new")
    assert out2["b-new-again"].status == "dropped"
    assert describe(path)["documents"] == 15


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"num_perm": 64, "bands": 8}, "num_perm"),
        ({"seed": 2}, "seed"),
        ({"ngram": 4}, "ngram"),
        ({"bands": 32, "rows": 4}, "bands"),
        ({"passages": True}, "passages"),
    ],
)
def test_mismatched_run_is_refused_with_what_differs(tmp_path: Path, change: dict[str, object], named: str) -> None:
    path = str(tmp_path / "index.sqlite")
    cfg = DedupConfig(index=path, passages=False)
    run_stage(cfg, docs_from(_texts("a", range(3))))
    other = dataclasses.replace(cfg, **change)  # type: ignore[arg-type]
    with pytest.raises(IndexMismatchError, match=f"{named}: index has"):
        Dedup(other).check_index()  # before any document is read
    with pytest.raises(IndexMismatchError) as err:
        run_stage(other, docs_from(_texts("b", range(3))))
    message = str(err.value)
    assert f"{named}: index has" in message
    assert "cleaner index info" in message and "new --index path" in message
    assert describe(path)["documents"] == 3  # nothing was added by the refused run


def test_check_index_accepts_a_missing_file_and_a_matching_index(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    Dedup(DedupConfig(index=str(path))).check_index()
    assert not path.exists()  # checking creates nothing
    run_stage(DedupConfig(index=str(path)), docs_from(_texts("a", range(2))))
    Dedup(DedupConfig(index=str(path), threshold=0.9)).check_index()


def test_threshold_change_is_allowed(tmp_path: Path) -> None:
    # The threshold is applied at verification time and is not baked into stored data.
    path = str(tmp_path / "index.sqlite")
    run_stage(DedupConfig(index=path, passages=False), docs_from(_texts("a", range(2))))
    run_stage(DedupConfig(index=path, passages=False, threshold=0.9), docs_from(_texts("b", range(2))))
    assert describe(path)["documents"] == 4


def test_unreadable_or_missing_index_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no index at"):
        describe(str(tmp_path / "missing.sqlite"))
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database, just bytes" * 100)
    with pytest.raises(UsageError, match="not a readable cleaner index"):
        describe(str(junk))
    with pytest.raises(UsageError):
        DedupIndex.open(str(junk), DedupConfig())
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(UsageError, match="not a cleaner index"):
        describe(str(other))
    with pytest.raises(UsageError, match="not a cleaner index"):
        DedupIndex.open(str(other), DedupConfig())
    with sqlite3.connect(other) as conn:  # and it was left as it was
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["t"]
    conn.close()


def test_query_returns_the_earliest_members_per_bucket(tmp_path: Path) -> None:
    import numpy as np

    keys = np.array([11, 22], dtype=np.uint64)
    other = np.array([33, 44], dtype=np.uint64)
    shingles = np.array([1, 2], dtype=np.uint64)
    with DedupIndex.open(str(tmp_path / "i.sqlite"), DedupConfig(passages=False)) as index:
        rowids = index.add([(f"d{i}", f"d{i}", keys if i != 2 else other, shingles) for i in range(5)])
        assert index.query(keys, cap=2) == rowids[:2]
        assert index.query(np.array([11, 44], dtype=np.uint64), cap=2) == sorted([*rowids[:2], rowids[2]])
        assert index.query(np.array([99, 98], dtype=np.uint64), cap=2) == []
        assert index.doc(rowids[3])[:2] == ("d3", "d3")


def test_a_resumed_run_does_not_see_its_own_rows(tmp_path: Path) -> None:
    # A run killed after it added its (pending) rows but before its checkpoint saved the
    # decisions decides again on resume: under the same run id it removes its own pending rows
    # and sees the index as it was before it. Once committed, another run of the same batch
    # finds every document already indexed.
    import pickle

    from test_dedup_sharded import corpus, summaries

    cfg = DedupConfig(index=str(tmp_path / "index.sqlite"))
    docs = corpus("a")

    def decide(run_id: str, sharded: bool = False) -> dict[str, object]:
        stage = Dedup(cfg)
        stage.prepare(run_id)
        keyed = summaries(stage, docs)
        if sharded:
            run = lambda fn, args: (fn(*pickle.loads(pickle.dumps(a))) for a in args)  # noqa: E731
            return dict(stage.decide_sharded([keyed[:40], keyed[40:]], run, tmp_path / "barrier"))
        return decide_in_process(stage, [keyed])

    first = decide("run-1")
    assert DedupIndex.open(cfg.index or "", cfg).docs_count() == 0  # pending: not committed
    assert describe(cfg.index or "")["pending_documents"] == len(docs)
    assert decide("run-1") == first  # the resumed attempt takes the same decisions
    assert decide("run-1", sharded=True) == first  # on Dask too
    assert describe(cfg.index or "")["pending_documents"] == len(docs)  # and adds nothing twice
    stage = Dedup(cfg)
    stage.prepare("run-1")
    assert stage.commit() == len(docs)
    assert DedupIndex.open(cfg.index or "", cfg).docs_count() == len(docs)
    again = decide("run-2")  # another run of the same batch: every document was seen before
    assert sum(1 for d in again.values() if getattr(d, "indexed", None)) == len(docs)
    assert not any(getattr(d, "is_near_duplicate", False) for d in again.values() if not getattr(d, "indexed", None))
