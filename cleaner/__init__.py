"""cleaner: turn raw scraped web text and HTML into clean, deduplicated text.

>>> import cleaner
>>> [d.text for d in cleaner.clean(["Hello, world!"], cleaner.Config(stages=("normalize",)))]
['Hello, world!']

The names below are imported on first use (PEP 562), not with the package: every ``cleaner``
command imports this package first, and the library behind ``clean`` (``api``: the stages,
numpy) is more than a command such as ``cleaner --help`` needs, and must not be loaded before
the command line has set up the process (``cli.main``: BLAS's threads).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cleaner.api import Cleaner, clean
    from cleaner.config import BoilerplateConfig, Config, DedupConfig, LimitsConfig, NormalizeConfig, QualityConfig
    from cleaner.errors import (
        CleanerError,
        ConfigError,
        IndexMismatchError,
        InputError,
        MissingExtraError,
        UsageError,
    )
    from cleaner.record import Document, Drop, DuplicateOf, Edit, PassageMatch, Reason, Rejection, Source, Unit
    from cleaner.report import Report

__version__ = "0.1.0"

# Each public name and the module that defines it.
_HOMES = {
    "Cleaner": "cleaner.api",
    "clean": "cleaner.api",
    **dict.fromkeys(
        ("BoilerplateConfig", "Config", "DedupConfig", "LimitsConfig", "NormalizeConfig", "QualityConfig"),
        "cleaner.config",
    ),
    **dict.fromkeys(
        ("CleanerError", "ConfigError", "IndexMismatchError", "InputError", "MissingExtraError", "UsageError"),
        "cleaner.errors",
    ),
    **dict.fromkeys(
        ("Document", "Drop", "DuplicateOf", "Edit", "PassageMatch", "Reason", "Rejection", "Source", "Unit"),
        "cleaner.record",
    ),
    "Report": "cleaner.report",
}

__all__ = [
    "BoilerplateConfig",
    "Cleaner",
    "CleanerError",
    "Config",
    "ConfigError",
    "DedupConfig",
    "Document",
    "Drop",
    "DuplicateOf",
    "Edit",
    "IndexMismatchError",
    "InputError",
    "LimitsConfig",
    "MissingExtraError",
    "NormalizeConfig",
    "PassageMatch",
    "QualityConfig",
    "Reason",
    "Rejection",
    "Report",
    "Source",
    "Unit",
    "UsageError",
    "__version__",
    "clean",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cleaner' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
