"""The error tree. Every error says what happened and what to do next.

::

    CleanerError                 base of everything cleaner raises on purpose
    ├── ConfigError              a bad option or config file (CLI exit code 2)
    │   └── IndexMismatchError   a persistent index built with other parameters (exit code 2)
    ├── UsageError               inputs/outputs that cannot work together (CLI exit code 2)
    ├── InputError               one input file or record cannot be read (reported, run goes on)
    └── MissingExtraError        an optional dependency is not installed (says which extra)

>>> str(MissingExtraError("pyarrow", "parquet"))
"reading Parquet needs pyarrow: pip install 'cleaner[parquet]'"
"""

from __future__ import annotations


class CleanerError(Exception):
    """Base class: catching it catches every deliberate cleaner error."""


class ConfigError(CleanerError):
    """An option or config file value is invalid; the message names it and the valid choices."""


class UsageError(CleanerError):
    """Inputs and outputs that cannot work together (for example OUTDIR inside an input)."""


class InputError(CleanerError):
    """One input (file, or record of a file) cannot be read.

    The runner turns it into an ``error`` record in the report and goes on with the rest.
    """

    def __init__(self, source: str, message: str, hint: str = "") -> None:
        self.source, self.message, self.hint = source, message, hint
        super().__init__(f"{source}: {message}" + (f"; {hint}" if hint else ""))


class IndexMismatchError(ConfigError):
    """A persistent index was built with parameters (or a format) that differ from this run's:
    a configuration error (CLI exit code 2)."""


class MissingExtraError(CleanerError):
    """An optional dependency is missing; the message gives the pip command that installs it."""

    def __init__(self, package: str, extra: str, purpose: str | None = None) -> None:
        self.package, self.extra = package, extra
        what = purpose or f"reading {extra.capitalize()}"
        super().__init__(f"{what} needs {package}: pip install 'cleaner[{extra}]'")
