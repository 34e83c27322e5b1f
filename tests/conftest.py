"""Shared fixtures: the seeds, and helpers that build small input trees."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.helpers import SEEDS

_CACHE_BEFORE: list[str | None] = []


def pytest_configure(config: pytest.Config) -> None:
    """cleaner's cache folder (the language model's arrays, normalize's tables) in a temporary folder
    for the whole session, set before the test modules are collected (their imports of cleaner
    already read it) and inherited by the runs the tests start: the tests never write into the
    user's ``~/.cache``. Removed at the end of the session."""
    _CACHE_BEFORE.append(os.environ.get("CLEANER_CACHE_DIR"))
    os.environ["CLEANER_CACHE_DIR"] = tempfile.mkdtemp(prefix="cleaner-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _CACHE_BEFORE:
        return
    shutil.rmtree(os.environ["CLEANER_CACHE_DIR"], ignore_errors=True)
    before = _CACHE_BEFORE.pop()
    if before is None:
        del os.environ["CLEANER_CACHE_DIR"]
    else:
        os.environ["CLEANER_CACHE_DIR"] = before


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of seeds/, so a test can never touch the real inputs."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest
