"""Write files whole or not at all: the one atomic-write helper every output and checkpoint uses.

A file is written under a temporary name in its final folder and renamed when complete, so a
crash never leaves a half-written file under a final name, and a task run again (an engine
re-runs a task whose worker died or whose result was lost) never truncates a file another task
may be reading: a reader sees the old file or the new one, whole. An OSError that names no file
(a full disk, met by a ``write``) is raised again naming the file being written. Temporary names
carry :data:`TEMP_PREFIX`, so a later run can sweep the ones a killed run left behind. Compressed
output is written with a zero timestamp and no file name in the gzip header, so the same input
gives the same bytes.

It imports nothing of ours, so every layer may use it: the outputs and checkpoints of the
runners and formats, and the barrier files of the corpus stages (many small files per run,
hence the temporary name from the process id and a counter, created exclusively, rather than
``tempfile.mkstemp``'s random one and a chmod: 75 µs a new 2 KB file against 92, and 38 written
in place, which a task run again would truncate under its reader).

>>> import tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> folder = Path(tmp.name)
>>> with atomic_file(folder / "a.txt") as fh:
...     _ = fh.write(b"whole")
>>> (folder / "a.txt").read_bytes(), sorted(p.name for p in folder.iterdir())
(b'whole', ['a.txt'])
>>> tmp.cleanup()
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

# Temporary files carry this prefix, so a later run can sweep the ones a killed run left behind.
TEMP_PREFIX = ".cleaner-tmp-"


# ISA-L's igzip (python-isal) at its default level 2 of 0-3: on 18 MB of cleaned Reuters JSONL it
# writes 12% more bytes than gzip -6 (zlib) in a fifteenth of the CPU time (0.055 s against 0.83,
# the largest single cost of a dedup-only run that wrote gzip -6); level 3 is 2% smaller and 30%
# slower. datatrove writes gzip -9 through Python's gzip. Anyone who wants the smallest files can
# recompress the outputs (`gzip -9`). Re-check with isal_zlib.compress on a real output before
# changing it; the level changes the compressed bytes only, never what they decompress to.
GZIP_LEVEL = 2


@contextmanager
def atomic_file(path: Path, *, compress: bool = False) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path``; on success it replaces ``path``, on error it vanishes."""
    tmp, raw = _create_temporary(path)
    try:
        with raw:
            if compress:
                from isal import igzip  # here: a run of pages writes no gzip (isal's import: 1 ms)

                with igzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=GZIP_LEVEL) as gz:
                    yield gz  # type: ignore[misc]
            else:
                yield raw
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None:
            # A failed write() or close() names no file (a full disk): name the one being written.
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


# Numbers a process's temporary names (with its id); next() on it is atomic, so threads never share one.
_TEMP_NUMBERS = itertools.count()


def _create_temporary(path: Path) -> tuple[str, IO[bytes]]:
    """A new temporary file beside ``path`` (its folder made when missing), open for writing,
    with the usual permissions (0666 less the umask) and a name no other writer holds: the
    process id and a number, created exclusively (a name left by a killed run, or taken by a
    process of the same id on another host of a shared folder, is passed over)."""
    stem, made_folder = _temp_stem(path.name), False
    while True:
        tmp = os.path.join(path.parent, f"{TEMP_PREFIX}{stem}.{os.getpid()}-{next(_TEMP_NUMBERS)}.tmp")
        try:
            return tmp, open(tmp, "xb")  # closed by atomic_file
        except FileExistsError:
            continue
        except FileNotFoundError:
            if made_folder:
                raise
            path.parent.mkdir(parents=True, exist_ok=True)
            made_folder = True


# A temporary name adds TEMP_PREFIX, a dot, the process id and a number (up to 7 + 1 + 12 digits)
# and ".tmp" (38 bytes) to the file's name; names are at most 255 bytes, so a long name is cut
# (and a hash of it keeps it apart).
_MAX_STEM_BYTES = 255 - 38


def _temp_stem(name: str) -> str:
    """The part of a temporary name that comes from the file's name: the name itself, or for a
    long one its first bytes and a short hash of the whole.

    >>> _temp_stem("a.txt"), len(_temp_stem("é" * 200).encode())
    ('a.txt', 217)
    """
    raw = os.fsencode(name)
    if len(raw) <= _MAX_STEM_BYTES:
        return name
    import hashlib  # here: a long name is rare, and hashlib loads OpenSSL (~3.5 ms)

    digest = hashlib.sha1(raw).hexdigest()[:8]
    return raw[: _MAX_STEM_BYTES - 9].decode("utf-8", "ignore") + "~" + digest  # a cut character is left out


_OWN_SUFFIX = re.compile(r"(?:\d+-\d+|[a-z0-9_]{8})\.tmp")


def sweep_temp_files(folder: Path, name: str = "") -> int:
    """Remove temporary files that a killed run left in ``folder`` (and below it, for a whole tree).

    With ``name``, only that file's temporaries in ``folder`` itself; returns how many went.
    """
    if not folder.is_dir():
        return 0
    if name:
        # Only this file's own temporaries: after its stem, a process id and a number (or, from
        # an older version, mkstemp's 8 letters), not another file's whose name starts with it
        # ("r.jsonl" must not sweep "r.jsonl.gz"'s temporaries).
        stem = f"{TEMP_PREFIX}{_temp_stem(name)}."
        found = [
            path for path in folder.glob(f"{glob.escape(stem)}*.tmp") if _OWN_SUFFIX.fullmatch(path.name[len(stem) :])
        ]
    else:
        found = list(folder.rglob(f"{TEMP_PREFIX}*.tmp"))
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)
