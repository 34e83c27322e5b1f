"""What a small run pays for: no worker processes and no scipy for a few pages (issue 14)."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.config import Config
from cleaner.formats.base import Format, InputFile, Shard
from cleaner.runners.core import BYTES_PER_WORKER, worker_count

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def _shards(tmp_path: Path, sizes: list[int]) -> list[Shard]:
    shards = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"{i}.txt"
        path.write_bytes(b"x" * size)
        shards.append(Shard(i, InputFile(path, path.name, Format("text"))))
    return shards


def test_small_input_runs_in_one_process_unless_jobs_are_given(tmp_path: Path) -> None:
    small = _shards(tmp_path, [20_000] * 5)
    assert worker_count(Config(jobs=0), small) == 1
    assert worker_count(Config(jobs=4), small) == 4  # asked for: obeyed (tests use it to prove --jobs)
    assert worker_count(Config(jobs=8), small) == 5  # never more than the shards


def test_workers_grow_with_input_size(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    shards = _shards(tmp_path, [1] * 4)
    monkeypatch.setattr("cleaner.runners.core._shard_size", lambda shard: BYTES_PER_WORKER)
    assert worker_count(Config(jobs=0), shards) == 4
    monkeypatch.setattr("cleaner.runners.core._shard_size", lambda shard: BYTES_PER_WORKER // 2)
    assert worker_count(Config(jobs=0), shards) == 2


def test_cleaning_the_seeds_loads_neither_scipy_graphs_nor_a_pool(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "os.cpu_count = lambda: 4\n"
        "import cleaner.runners.local as local\n"
        "from cleaner.config import Config\n"
        "from cleaner.runners import run\n"
        "pools = []\n"
        "new_pool = local.LocalExecutor._new_pool\n"
        "local.LocalExecutor._new_pool = lambda self, n: pools.append(n) or new_pool(self, n)\n"
        f"run([{str(SEEDS)!r}], {str(tmp_path / 'out')!r}, Config())\n"
        "print('scipy.sparse.csgraph' in sys.modules, len(pools), 'selectolax' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "0", "False"]  # plain text: no HTML parser either


def test_a_dedup_only_run_loads_no_other_stage(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from cleaner.config import Config\n"
        "from cleaner.runners import run\n"
        f"run([{str(SEEDS)!r}], {str(tmp_path / 'out')!r}, Config(stages=('dedup',)))\n"
        "print(sorted(m for m in ('ftfy', 'selectolax', 'cleaner.normalize', 'cleaner.boilerplate',"
        " 'cleaner.signals', 'py3langid', 'pycld2') if m in sys.modules))\n"
    )
    assert _python(code) == "[]"


def test_a_run_collects_garbage_less_often_and_restores_the_collector(tmp_path: Path) -> None:
    from cleaner.config import DedupConfig
    from cleaner.runners import run
    from cleaner.runners.core import GC_YOUNG

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    seen: list[tuple[int, int]] = []
    cfg = Config(jobs=1, dedup=DedupConfig(passages=False))

    def during(_: object) -> None:
        seen.append((gc.get_threshold()[0], gc.get_freeze_count()))

    report = run([SEEDS], tmp_path / "out", cfg, on_progress=during)
    assert report.docs_in and seen
    assert all(young >= GC_YOUNG and count >= frozen for young, count in seen)  # during the run
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)  # and after it


def test_what_the_pipeline_is_built_with_is_frozen_for_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The objects made while the run builds its pipeline (the stages' modules and tables) are left
    out of its collections, as those alive before it are, and collected again after it."""
    from cleaner import pipeline
    from cleaner.runners import run

    made: list[list[str]] = []
    build_steps = pipeline.build_steps

    def building(cfg: Config) -> list[pipeline.Step]:
        made.append(["made while the pipeline was built"])  # a container the collector tracks
        return build_steps(cfg)

    def tracked(value: object) -> bool:  # frozen objects are in no generation gc.get_objects lists
        return any(candidate is value for candidate in gc.get_objects())

    seen: list[bool] = []
    monkeypatch.setattr(pipeline, "build_steps", building)
    assert gc.get_freeze_count() == 0  # the run freezes (a caller's freeze: the test below)
    run([SEEDS], tmp_path / "out", Config(jobs=1), on_progress=lambda _: seen.append(tracked(made[0])))
    assert seen and not any(seen)
    assert tracked(made[0])


def test_a_run_leaves_the_callers_frozen_objects_frozen(tmp_path: Path) -> None:
    from cleaner.runners import run

    gc.freeze()  # the caller's objects (everything alive now) frozen before the run
    try:
        assert gc.get_freeze_count() > 0
        run([SEEDS], tmp_path / "out", Config(jobs=1))
        assert gc.get_freeze_count() > 0  # still frozen (the count falls only as frozen objects die)
    finally:
        gc.unfreeze()


def _python(code: str, **env: str) -> str:
    """What ``code`` prints in a fresh interpreter, OPENBLAS_NUM_THREADS unset unless given."""
    import os

    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**environ, **env}
    ).stdout.strip()


def test_the_command_line_loads_no_numpy_before_it_runs_a_command() -> None:
    # cleaner --help and --version need none of the library; and the command sets BLAS's
    # threads before numpy starts them (cli.limit_blas_threads).
    assert _python("import sys, cleaner.cli; print('numpy' in sys.modules)") == "False"


def test_a_command_leaves_the_objects_alive_at_exit_out_of_the_last_collections() -> None:
    # cli.no_collections_at_exit, seen from an atexit handler registered first, so run last.
    code = (
        "import atexit, gc\n"
        "atexit.register(lambda: print(gc.get_freeze_count() > 0))\n"
        "from click.testing import CliRunner\n"
        "from cleaner.cli import main\n"
        "CliRunner().invoke(main, ['config', 'show'], catch_exceptions=False)\n"
    )
    assert _python(code) == "True"


def test_a_command_starts_numpy_with_one_blas_thread_unless_the_user_chose() -> None:
    code = (
        "import os\n"
        "from click.testing import CliRunner\n"
        "from cleaner.cli import main\n"
        "CliRunner().invoke(main, ['config', 'show'], catch_exceptions=False)\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    assert _python(code) == "1"
    assert _python(code, OPENBLAS_NUM_THREADS="3") == "3"
    # numpy already started (the library imported first): too late to matter, left alone.
    assert _python("import numpy\n" + code) == "None"
