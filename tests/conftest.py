"""Shared fixtures: the seeds, and helpers that build small input trees."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import SEEDS


@pytest.fixture(scope="session", autouse=True)
def private_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """cleaner's cache folder (the language model's arrays) in the session's temporary folder, for
    this process and the runs it starts: the tests never write into the user's ``~/.cache``."""
    folder = tmp_path_factory.mktemp("cache")
    before = os.environ.get("CLEANER_CACHE_DIR")
    os.environ["CLEANER_CACHE_DIR"] = str(folder)
    yield folder
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
