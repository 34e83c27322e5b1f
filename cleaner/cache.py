"""cleaner's cache folder: what a process would otherwise derive again at every start, kept between runs.

The folder is ``$CLEANER_CACHE_DIR`` (set empty: no cache), else ``$XDG_CACHE_HOME/cleaner``, else
``~/.cache/cleaner``. Every entry is named by a key of everything it was derived from, so a changed
input is a new entry, never a stale one; an entry is written whole under a temporary name and
renamed, and a folder that cannot be written only costs the time to derive the value again. No
decision depends on the cache: its values are the ones a process would compute.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE_ENV = "CLEANER_CACHE_DIR"  # a folder for the cache; empty: no cache


def cache_folder() -> Path | None:
    """The folder of cleaner's cache: ``$CLEANER_CACHE_DIR`` (None where it is set empty), else
    ``$XDG_CACHE_HOME/cleaner``, else ``~/.cache/cleaner``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit is not None:
        return Path(explicit) if explicit else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cleaner"


def derived(name: str, key: str, compute: Callable[[], Any], folder: Path | None = None) -> Any:
    """``compute()``, a JSON value, read from the cache entry ``NAME-KEY.json`` where an earlier
    process left it, else computed and left there. ``folder``: the cache folder (default:
    :func:`cache_folder`). Lists come back as lists, whatever ``compute`` returned."""
    folder = folder if folder is not None else cache_folder()
    if folder is None:
        return compute()
    path = folder / f"{name}-{key}.json"
    try:
        with open(path, encoding="ascii") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        pass  # not there yet, or unreadable: derive it
    value = compute()
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                json.dump(value, fh)  # ASCII: lone surrogates in a pattern are written as escapes
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return value
