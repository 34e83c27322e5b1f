"""cleaner: turn raw scraped web text and HTML into clean, deduplicated text.

>>> import cleaner
>>> [d.text for d in cleaner.clean(["Hello, world!"], cleaner.Config(stages=("normalize",)))]
['Hello, world!']
"""

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
