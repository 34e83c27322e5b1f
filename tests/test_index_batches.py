"""The persistent index as a pre-step before indexing: batches committed by the caller, safe
reruns (already indexed, new versions), one writer at a time, recovery after a killed write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cleaner import Cleaner
from cleaner.config import Config, DedupConfig
from cleaner.dedup.index import IndexBusyError, describe
from cleaner.errors import IndexMismatchError
from cleaner.record import Document, Reason

ROOT = Path(__file__).resolve().parents[1]


def words(seed: int, n: int = 120) -> str:
    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(5000)}" for _ in range(n)) + "."


def config(path: Path, **dedup: object) -> Config:
    return Config(stages=("normalize", "dedup"), dedup=DedupConfig(index=str(path), passages=False, **dedup))  # type: ignore[arg-type]


def day(n: int = 150) -> list[Document]:
    return [Document(id=f"page-{i}", text=words(i)) for i in range(n)]


class LoaderCrashed(Exception):
    pass


def test_a_crash_while_loading_leaves_the_index_as_it_was_and_the_rerun_delivers_the_batch(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    loaded: list[str] = []
    with pytest.raises(LoaderCrashed), Cleaner(config(path)).batch() as batch:
        for n, doc in enumerate(batch.clean(day())):
            if n == 100:
                raise LoaderCrashed  # the caller's own loading loop fails after 100 documents
            loaded.append(doc.id)
        batch.commit()
    assert len(loaded) == 100
    info = describe(str(path))
    assert (info["documents"], info["pending_documents"]) == (0, 0)  # as it was
    with Cleaner(config(path)).batch() as batch:
        again = [d.id for d in batch.clean(day())]
        batch.commit()
    assert len(again) == 150  # delivered, not "150 dropped as near-duplicates of themselves"
    assert describe(str(path))["documents"] == 150


def test_plain_clean_commits_only_when_the_caller_took_every_document(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    cleaner = Cleaner(config(path))
    for n, _ in enumerate(cleaner.clean(day())):
        if n == 100:
            break  # the generator is closed early: nothing joins the index
    assert describe(str(path))["documents"] == 0
    assert len(list(cleaner.clean(day()))) == 150
    assert describe(str(path))["documents"] == 150


def test_a_rerun_of_a_committed_batch_says_already_indexed_and_can_reemit(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    docs = day(20)
    docs.append(Document(id="copy-of-3", text=docs[3].text + " extra"))  # a near-duplicate inside the day
    first = {d.id: d for d in Cleaner(config(path)).clean(docs, include_rejected=True)}
    assert first["copy-of-3"].rejected is not None
    assert first["copy-of-3"].rejected.reason == Reason.NEAR_DUPLICATE_DOC

    changed = [*docs[:20], docs[20]]
    changed[5] = Document(id="page-5", text=words(5) + " A new paragraph, added when the page was edited.")
    rerun = {d.id: d for d in Cleaner(config(path)).clean(changed, include_rejected=True)}
    already = [i for i, d in rerun.items() if d.rejected and d.rejected.reason == Reason.ALREADY_INDEXED]
    assert sorted(already) == sorted(i for i in first if i != "page-5")
    assert rerun["page-0"].rejected is not None and rerun["page-0"].rejected.detail == "indexed by run=1"
    assert "cluster=page-3" in (rerun["copy-of-3"].rejected.detail if rerun["copy-of-3"].rejected else "")
    # The edited page is a new version of an indexed id: the report says where the old one is.
    version = rerun["page-5"].duplicate
    assert version is not None and version.version_of is not None and version.version_of == "run=1"
    assert rerun["page-5"].rejected is None or rerun["page-5"].rejected.reason == Reason.NEAR_DUPLICATE_DOC

    reemitted = {d.id: d for d in Cleaner(config(path, reemit_indexed=True)).clean(docs, include_rejected=True)}
    assert sorted(i for i, d in reemitted.items() if d.rejected is None) == sorted(
        i for i, d in first.items() if d.rejected is None
    )  # what the first run delivered, delivered again
    assert describe(str(path))["documents"] == len(docs) + 1  # nothing added twice; the new version added


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from cleaner import Cleaner
    from cleaner.config import Config, DedupConfig
    from cleaner.record import Document
    cfg = Config(stages=("normalize", "dedup"), dedup=DedupConfig(index={path!r}, passages=False))
    docs = [Document(id=f"held-{{i}}", text=t) for i, t in enumerate({texts!r})]
    with Cleaner(cfg).batch() as batch:
        out = list(batch.clean(docs))
        Path({ready!r}).touch()
        while not Path({go!r}).exists():
            time.sleep(0.02)
        batch.commit()
    """
)


def test_two_writers_the_second_stops_naming_the_first_or_waits_for_it(tmp_path: Path) -> None:
    path, ready, go = tmp_path / "seen.sqlite", tmp_path / "ready", tmp_path / "go"
    texts = [words(1000 + i) for i in range(30)]
    script = HOLDER.format(root=str(ROOT), path=str(path), texts=texts, ready=str(ready), go=str(go))
    holder = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(3000):
            if ready.exists() or holder.poll() is not None:
                break
            time.sleep(0.02)
        assert ready.exists(), "the holding process did not get to its batch"
        mine = [Document(id=f"mine-{i}", text=t) for i, t in enumerate(texts)]  # the same texts
        with pytest.raises(IndexBusyError, match=f"pid {holder.pid} on .*, started .*, run batch-"):
            list(Cleaner(config(path)).clean(mine))
        assert describe(str(path))["documents"] == 0  # the refused run added nothing

        waiting = Cleaner(config(path, index_wait=120))
        go.touch()  # the holder commits while this run waits for the lock
        out = list(waiting.clean(mine, include_rejected=True))
    finally:
        go.touch()
        holder.wait(timeout=60)
    assert holder.returncode == 0
    # It waited, then saw the holder's committed rows: every one of its documents is a duplicate.
    assert [d.rejected.reason if d.rejected else None for d in out] == [Reason.NEAR_DUPLICATE_DOC] * 30
    assert describe(str(path))["documents"] == 60


KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    from cleaner.config import DedupConfig
    from cleaner.dedup.index import DedupIndex
    index = DedupIndex.open({path!r}, DedupConfig(passages=False))
    index.conn.execute("PRAGMA cache_size=10")  # pages reach the file before the commit
    rng = np.random.default_rng(0)
    rows = ((f"d{{i}}", f"d{{i}}", rng.integers(0, 2**63, 16).astype(np.uint64),
             rng.integers(0, 2**63, 300).astype(np.uint64)) for i in range(3000))
    index.add(rows)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_an_index_killed_during_a_write_reopens_rolled_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "seen.sqlite"
    list(Cleaner(config(path)).clean(day(10)))
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER.format(root=str(ROOT), path=str(path))], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert os.path.getsize(str(path) + "-journal") > 0  # the hot journal of the killed write
    info = describe(str(path))  # read-only inspection: not "not a readable cleaner index"
    assert "unfinished write" in capsys.readouterr().err
    assert info["documents"] == 10  # the killed write rolled back, the committed batch kept
    assert not os.path.exists(str(path) + "-journal")


def test_cli_index_mismatch_and_old_format_exit_2(tmp_path: Path) -> None:
    import sqlite3

    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text(words(1), encoding="utf-8")
    path = tmp_path / "seen.sqlite"
    list(Cleaner(config(path)).clean(day(3)))
    cmd = [sys.executable, "-m", "cleaner", "clean", str(inputs), "-o", str(tmp_path / "out"), "--index", str(path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([*cmd, "--no-passages", "--threshold", "0.5"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "other parameters" in proc.stderr
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'format_version'")
    conn.close()
    with pytest.raises(IndexMismatchError, match=r"format 1.*Rebuild"):
        list(Cleaner(config(path)).clean(day(3)))
    proc = subprocess.run([*cmd, "--no-passages"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "Rebuild it" in proc.stderr, proc.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, text=True, env=env)


def test_index_runs_forget_compact_verify(tmp_path: Path) -> None:
    import json
    import sqlite3

    path = tmp_path / "seen.sqlite"
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(5):
        (inputs / f"{i}.txt").write_text(words(i), encoding="utf-8")
    proc = _cli("clean", str(inputs), "-o", str(tmp_path / "out"), "--index", str(path), "--no-passages", "--quiet")
    assert proc.returncode == 0, proc.stderr
    list(Cleaner(config(path)).clean(day(7)))  # run 2: a library batch
    cleaner = Cleaner(config(path))
    for _ in cleaner.clean(day(9)[7:]):
        break  # never committed
    runs = json.loads(_cli("index", "runs", str(path)).stdout)
    assert [(r["number"], r["kind"], r["documents"], r["committed"] is not None) for r in runs] == [
        (1, "run", 5, True),
        (2, "batch", 7, True),
    ]  # the abandoned batch was rolled back
    assert runs[0]["options"]["passages"] is False and runs[0]["pid"] > 0

    verified = _cli("index", "verify", str(path))
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"] is True

    proc = _cli("index", "forget", str(path), "1")
    assert proc.returncode == 0 and "5 documents left" in proc.stderr
    assert describe(str(path))["documents"] == 7
    assert _cli("index", "forget", str(path), "9").returncode == 2  # no such run: says so
    compacted = json.loads(_cli("index", "compact", str(path)).stdout)
    assert compacted["bytes_after"] <= compacted["bytes_before"]
    assert json.loads(_cli("index", "verify", str(path)).stdout)["ok"] is True

    with sqlite3.connect(path) as conn:  # damage it: a band row pointing at no document
        conn.execute("INSERT INTO bands VALUES (1, 999999)")
    conn.close()
    broken = _cli("index", "verify", str(path))
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["problems"] == ["1 band rows pointing at no document"]


def test_cli_reemit_indexed(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(4):
        (inputs / f"{i}.txt").write_text(words(i), encoding="utf-8")
    base = ["clean", str(inputs), "--index", str(path), "--no-passages", "--quiet"]
    assert _cli(*base, "-o", str(tmp_path / "a")).returncode == 0
    assert _cli(*base, "-o", str(tmp_path / "b"), "--report", str(tmp_path / "b.jsonl")).returncode == 0
    assert not list((tmp_path / "b").glob("*.txt"))  # all already indexed
    assert (tmp_path / "b.jsonl").read_text(encoding="utf-8").count('"reason":"dedup.already_indexed"') == 4
    assert _cli(*base, "-o", str(tmp_path / "c"), "--reemit-indexed").returncode == 0
    assert len(list((tmp_path / "c").glob("*.txt"))) == 4


def test_without_passages_the_index_keeps_no_shingles_and_verifies_by_sketch(tmp_path: Path) -> None:
    import sqlite3

    from cleaner.dedup.cluster import distinct_sorted, jaccard_distinct
    from cleaner.dedup.shingles import Shingler

    path = tmp_path / "seen.sqlite"
    list(Cleaner(config(path)).clean([Document(id=f"p{i}", text=words(i, 250)) for i in range(1500)]))
    info = describe(str(path))
    assert isinstance(info["bytes_per_document"], int) and info["bytes_per_document"] <= 800
    with sqlite3.connect(path) as conn:
        sizes = conn.execute("SELECT COUNT(shingles), MIN(length(sketch)), MAX(length(sketch)) FROM docs").fetchone()
        assert sizes == (0, 256, 256)
    conn.close()
    base = words(7, 250).split()
    edited = " ".join([*base[:-3], "one", "two", "three"])  # J about 0.96: a near-duplicate
    far = " ".join(base[: len(base) // 2] + words(99999, 125).split())  # J about 0.33: not one
    out = {
        d.id: d
        for d in Cleaner(config(path)).clean(
            [Document(id="edited", text=edited), Document(id="far", text=far)], include_rejected=True
        )
    }
    dup = out["edited"].duplicate
    assert out["edited"].rejected is not None and dup is not None and dup.duplicate_of == "p7"
    sets = [distinct_sorted(Shingler(5).hash_text(t)) for t in (words(7, 250), edited)]
    exact = jaccard_distinct(*sets)
    assert dup.similarity is not None and abs(dup.similarity - exact) <= 0.02  # the sketch's estimate
    assert out["far"].rejected is None


def test_a_full_disk_while_adding_a_run_says_so_and_leaves_the_index_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleaner.dedup import index as index_module
    from cleaner.errors import UsageError

    path = tmp_path / "seen.sqlite"
    list(Cleaner(config(path)).clean(day(20)))
    opened = index_module.DedupIndex.open.__func__  # type: ignore[attr-defined]

    def full(cls: type, where: str, cfg: DedupConfig) -> object:
        index = opened(cls, where, cfg)
        pages = index.conn.execute("PRAGMA page_count").fetchone()[0]
        index.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills up after two pages
        return index

    monkeypatch.setattr(index_module.DedupIndex, "open", classmethod(full))
    with pytest.raises(UsageError, match=r"could not add this run to the index .* full"):
        list(Cleaner(config(path)).clean([Document(id=f"more-{i}", text=words(500 + i, 400)) for i in range(300)]))
    monkeypatch.undo()
    assert describe(str(path))["documents"] == 20
    assert index_module.verify(str(path))["ok"]


def test_a_pair_at_exactly_the_threshold_across_batches_is_caught_and_one_below_is_not(tmp_path: Path) -> None:
    # 49 words: 45 shingles. Replacing the last 5 words leaves 40 shared of 50 (J = 0.8 exactly,
    # a value short documents reach); the last 8, 37 of 53 (J = 0.70). Verified against the
    # index's sketch, the first is estimated exactly (format 2's 128 values accepted such a
    # pair about half the time, and the second one time in 200).
    path = tmp_path / "seen.sqlite"
    base = words(41, 49).rstrip(".").split()
    list(Cleaner(config(path)).clean([Document(id="original", text=" ".join(base))]))
    at = " ".join([*base[:-5], "x1", "x2", "x3", "x4", "x5"])
    below = " ".join([*base[:-8], "y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8"])
    out = {
        d.id: d
        for d in Cleaner(config(path)).clean(
            [Document(id="at", text=at), Document(id="below", text=below)], include_rejected=True
        )
    }
    dup = out["at"].duplicate
    assert dup is not None and dup.duplicate_of == "original" and dup.similarity == 0.8
    assert out["at"].rejected is not None
    assert out["below"].rejected is None
