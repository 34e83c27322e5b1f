"""Inputs given as fsspec URLs (``s3://bucket/crawl/``, ``gs://...``, ``https://...``).

Kept modest on purpose: a URL input is copied, streaming in 1 MiB chunks, into a local staging
folder that mirrors its layout, and the run then reads the local copies like any other input.
That keeps every reader (and byte-range sharding of JSONL) working unchanged, at the cost of
local disk equal to the input size. fsspec and the backend for the URL's scheme (s3fs, gcsfs,
...) must be installed; without them the error names the package to install.

>>> is_url("s3://bucket/crawl/"), is_url("/data/crawl"), is_url("C:/data")
(True, False, False)
>>> fs = _fsspec().filesystem("memory")
>>> fs.pipe("/doctest-remote/b.jsonl", b'{"text": "b"}\\n'); fs.pipe("/doctest-remote/a/x.html", b"<p>x</p>")
>>> [rel for rel, _ in list_url("memory://doctest-remote")]
['a/x.html', 'b.jsonl']
>>> fs.rm("/doctest-remote", recursive=True)
"""

from __future__ import annotations

import re
import shutil
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cleaner.errors import MissingExtraError, UsageError

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
COPY_CHUNK = 1 << 20


def is_url(value: str | Path) -> bool:
    """Whether an input names a remote location (``scheme://...``, other than ``file://``)."""
    text = str(value)
    return bool(_SCHEME.match(text)) and not text.startswith("file://")


def local_input(value: str | Path) -> str | Path:
    """A ``file://`` URL as the local path it names (``file:///tmp/x`` is ``/tmp/x``); others unchanged.

    >>> local_input("file:///tmp/a%20b/x.html"), local_input("file://localhost/tmp/x"), local_input("in/")
    ('/tmp/a b/x.html', '/tmp/x', 'in/')
    """
    text = str(value)
    if not text.lower().startswith("file://"):
        return value
    parsed = urllib.parse.urlsplit(text)
    if parsed.netloc not in ("", "localhost"):
        raise UsageError(f"{text}: a file:// URL must name a local path (file:///path); check the URL")
    return urllib.parse.unquote(parsed.path)


def _backend_package(url: str, exc: ImportError) -> str:
    """The package fsspec needs for ``url``'s scheme (``s3fs`` for s3://), from fsspec's registry."""
    if exc.name:
        return str(exc.name)
    scheme = url.split("://", 1)[0].lower()
    try:
        from fsspec.registry import known_implementations

        target = known_implementations[scheme]["class"]
    except (ImportError, KeyError):
        return "its fsspec backend"
    return str(target).split(".", 1)[0]


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError as exc:
        raise MissingExtraError("fsspec", "remote", "reading s3://, gs:// and other URLs") from exc
    return fsspec


def _filesystem(url: str) -> tuple[Any, str]:
    fsspec = _fsspec()
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:  # the scheme's backend (s3fs, gcsfs, ...) is missing, not cleaner[remote]
        package = _backend_package(url, exc)
        error = MissingExtraError(package, "remote", f"reading {url}")
        error.args = (f"reading {url} needs {package}, fsspec's backend for that scheme: pip install {package}",)
        raise error from exc
    except ValueError as exc:
        raise UsageError(f"cannot open {url}: {exc}; check the URL's scheme") from exc


def list_url(url: str) -> list[tuple[str, str]]:
    """``(relative name, full path)`` of every file under ``url`` (or of the file itself), sorted."""
    fs, root = _filesystem(url)
    root = root.rstrip("/")
    if not fs.exists(root):
        raise UsageError(f"no such file or folder: {url}; check the URL and your credentials")
    if not fs.isdir(root):
        return [(root.rsplit("/", 1)[-1], root)]
    found = []
    for path in fs.find(root):
        rel = path[len(root) :].lstrip("/") if path.startswith(root) else path.rsplit("/", 1)[-1]
        if not any(part.startswith(".") for part in rel.split("/")):
            found.append((rel, path))
    return sorted(found)


def stage_inputs(inputs: Sequence[str | Path], staging: Path) -> list[Path]:
    """Replace URL inputs by local copies under ``staging`` (one folder per URL); keep the rest.

    A copy that is already complete (same size) is reused, so a resumed run does not fetch again.
    """
    local: list[Path] = []
    for number, raw in enumerate(inputs):
        if not is_url(raw):
            local.append(Path(raw))
            continue
        url = str(raw)
        fs, _ = _filesystem(url)
        files = list_url(url)
        folder = staging / f"{number:03d}"
        for rel, path in files:
            target = folder / rel
            size = fs.size(path)
            if target.exists() and target.stat().st_size == size:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            with fs.open(path, "rb") as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst, COPY_CHUNK)
            partial.replace(target)
        single = len(files) == 1 and not fs.isdir(fs._strip_protocol(url).rstrip("/"))
        local.append(folder / files[0][0] if single else folder)
    return local
