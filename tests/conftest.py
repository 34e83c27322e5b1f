"""Shared fixtures: the seeds, and helpers that build small input trees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import SEEDS


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of seeds/, so a test can never touch the real inputs."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest
