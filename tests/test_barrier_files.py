"""The barrier's files are written whole or not at all (cleaner.atomic.atomic_file): a barrier task
that fails midway leaves neither its file nor a temporary one, a task run again (an engine re-runs
a task whose worker died or whose result was lost) never truncates the file another task reads,
and the same command then resumes to the output of a clean run."""

from __future__ import annotations

import errno
import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cleaner.boilerplate import templates
from cleaner.boilerplate.templates import TemplateSummary
from cleaner.dedup import npyparts, sharded
from cleaner.dedup.npyparts import NpyWriter, save_parts
from tests.test_resume import make_inputs, tree

Check = Callable[[], None]


def _band_rows(folder: Path) -> None:
    """Band rows of one shard whose equal keys make candidate pairs (one partition, one group)."""
    rng = np.random.default_rng(7)
    bkeys = rng.integers(0, 50, size=(400, 4), dtype=np.uint64)  # few keys: many equal
    sharded.write_band_rows(folder, 0, np.arange(400, dtype=np.int64), bkeys, 1)


def _counts_summaries() -> list[tuple[str, TemplateSummary]]:
    return [(f"k{i}", TemplateSummary(f"site{i % 3}.example", tuple(range(i % 7, 40)))) for i in range(60)]


def _halfway(serialize: Callable[[io.BytesIO], None], file: Any, midway: Check) -> None:
    """Write what ``serialize`` writes to ``file`` (an open file, or a path as a writer that opens
    its own would), calling ``midway`` when half of it is written."""
    buf = io.BytesIO()
    serialize(buf)
    data = buf.getvalue()
    fh = open(file, "wb") if isinstance(file, (str, Path)) else file  # noqa: SIM115 (closed below)
    try:
        fh.write(data[: len(data) // 2])
        fh.flush()
        midway()
        fh.write(data[len(data) // 2 :])
    finally:
        if fh is not file:
            fh.close()


def _np_save_midway(monkeypatch: pytest.MonkeyPatch, name: str, midway: Check) -> None:
    real = np.save

    def save(file: Any, arr: Any, *args: Any, **kwargs: Any) -> None:
        target = str(getattr(file, "name", file))
        if name not in Path(target).name:
            return real(file, arr, *args, **kwargs)
        _halfway(lambda buf: real(buf, arr, *args, **kwargs), file, midway)

    monkeypatch.setattr(np, "save", save)


def _pickle_dump_midway(monkeypatch: pytest.MonkeyPatch, midway: Check) -> None:
    real = pickle.dumps

    def dump(obj: Any, file: Any, protocol: int | None = None) -> None:
        _halfway(lambda buf: buf.write(real(obj, protocol=protocol)), file, midway)

    monkeypatch.setattr(templates.pickle, "dump", dump)


def _full_disk() -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _pairs(folder: Path) -> int:
    return sharded.partition_pairs(folder, [0], 0, 1, 0)  # group 0 of 4 bands: one band


def _counts(folder: Path) -> None:
    templates.shard_site_counts(_counts_summaries(), 0, folder, 1)


@pytest.mark.parametrize("writer", ["np.save", "NpyWriter", "NpyWriter.close", "pickle"])
def test_a_barrier_write_that_fails_midway_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    _band_rows(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    if writer == "np.save":  # a pairs task meets a full disk halfway through its file
        _np_save_midway(monkeypatch, "pairs.", _full_disk)
        with pytest.raises(OSError, match="No space left"):
            _pairs(tmp_path)
    elif writer == "NpyWriter":  # a writer of parts fails after some of them are written
        monkeypatch.setattr(npyparts, "FLUSH_BYTES", 8)
        with (
            pytest.raises(ValueError, match="rows of shape"),
            NpyWriter(tmp_path / "s0.owners.npy", np.int64, (2,)) as out,
        ):
            out.write(np.arange(20, dtype=np.int64).reshape(10, 2))
            out.write(np.zeros((1, 3), dtype=np.int64))
    elif writer == "NpyWriter.close":  # the last parts meet a full disk as the writer closes
        flush = NpyWriter._flush
        flushes: list[int] = []

        def full_the_second_time(self: NpyWriter) -> None:
            flushes.append(1)
            if len(flushes) > 1:
                _full_disk()
            flush(self)

        monkeypatch.setattr(NpyWriter, "_flush", full_the_second_time)
        monkeypatch.setattr(npyparts, "FLUSH_BYTES", 80)
        writer = NpyWriter(tmp_path / "s0.shingles.npy", np.uint64)
        writer.write(np.arange(10, dtype=np.uint64))  # flushed
        writer.write(np.arange(3, dtype=np.uint64))  # pending until close
        with pytest.raises(OSError, match="No space left"):
            writer.close()
        assert len(flushes) == 2
    else:  # a template counting task meets a full disk halfway through its counts
        _pickle_dump_midway(monkeypatch, _full_disk)
        with pytest.raises(OSError, match="No space left"):
            _counts(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing under a final name, no temporary


@pytest.mark.parametrize("writer", ["np.save", "NpyWriter", "pickle"])
def test_a_barrier_task_run_again_leaves_its_files_whole_at_every_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    _band_rows(tmp_path)
    seen: list[bool] = []
    if writer == "np.save":
        assert _pairs(tmp_path) > 0
        path = tmp_path / "pairs.g0.p0.npy"
        first = np.load(path)
        _np_save_midway(monkeypatch, "pairs.", lambda: seen.append(np.array_equal(np.load(path), first)))
        _pairs(tmp_path)  # the same task again, while its file is there
        assert np.array_equal(np.load(path), first)
    elif writer == "NpyWriter":
        monkeypatch.setattr(npyparts, "FLUSH_BYTES", 8)
        path = tmp_path / "s0.shingles.npy"
        old = [np.arange(30, dtype=np.uint64)]
        save_parts(path, old, np.uint64)
        with NpyWriter(path, np.uint64) as out:
            out.write(np.arange(5, dtype=np.uint64))  # flushed: the new file is half written
            seen.append(np.array_equal(np.load(path), old[0]))
            out.write(np.arange(5, 9, dtype=np.uint64))
        assert np.load(path).tolist() == list(range(9))
    else:
        _counts(tmp_path)
        path = tmp_path / "counts.s0.p0.pkl"
        first = path.read_bytes()
        _pickle_dump_midway(monkeypatch, lambda: seen.append(path.read_bytes() == first))
        _counts(tmp_path)
        assert path.read_bytes() == first
    assert seen == [True]  # the reader saw the old file, whole, while the new one was written
    assert not list(tmp_path.glob(".cleaner-tmp-*"))


def test_a_run_whose_barrier_write_fails_resumes_to_the_clean_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleaner import runners
    from cleaner.config import Config

    inputs = make_inputs(tmp_path)
    ref = tmp_path / "ref"
    runners.run([inputs], ref, Config(jobs=1), tmp_path / "ref.jsonl")

    out, report = tmp_path / "out", tmp_path / "out.jsonl"
    _np_save_midway(monkeypatch, "edges.b", _full_disk)  # dedup's verify task, halfway through its edges
    with pytest.raises(OSError, match="No space left"):
        runners.run([inputs], out, Config(jobs=1), report)
    monkeypatch.undo()
    assert (out / ".cleaner-work" / "manifest.json").exists()  # a checkpoint to resume from
    assert not list(out.rglob(".cleaner-tmp-*"))

    runners.run([inputs], out, Config(jobs=1), report)  # the same command again
    assert tree(out) == tree(ref)
    assert report.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()
