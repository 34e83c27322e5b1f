"""The output folder of a run: checked before anything is read, locked while the run goes, and
cleared only of what an earlier cleaner run wrote there.

- **Up front** (:func:`check_writable`): OUTDIR, the report and the HTML report can be written
  (their nearest existing folder is a writable folder), before any input is read; else a
  UsageError that names the path (CLI exit code 2).
- **One run at a time** (:class:`OutputLock`): ``OUTDIR/.cleaner-lock`` is locked with
  ``fcntl.flock`` for the whole run and names its holder (pid, host, start time); a second run
  into the same folder stops with a UsageError naming the first, instead of deleting its checkpoint.
  The lock goes with the process, so a killed run never leaves a stale lock (only its file, which
  a finished run removes).
- **Stale outputs** (:func:`claim_outputs`): ``OUTDIR/.cleaner-outputs.json`` lists every output
  file a run may write. A new run (not a resumed one) first deletes the files the earlier run
  listed, and only those, so cleaning a smaller input into the same folder leaves no output of
  the larger one behind. A non-empty folder without that list (and without a checkpoint) was
  not written by cleaner and is refused, so nobody's files are deleted.

>>> sorted(OWN_NAMES)
['.cleaner-lock', '.cleaner-outputs.json', '.cleaner-work']
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import IO, Any

from cleaner.atomic import TEMP_PREFIX, atomic_file
from cleaner.errors import UsageError

WORK_DIR = ".cleaner-work"
LOCK_NAME = ".cleaner-lock"
OUTPUTS_NAME = ".cleaner-outputs.json"
# Names of cleaner's own in OUTDIR: they never make the folder "not empty".
OWN_NAMES = frozenset({WORK_DIR, LOCK_NAME, OUTPUTS_NAME})


def check_writable(path: Path, what: str, hint: str, *, folder: bool = False) -> None:
    """Refuse ``path`` (a file, or a folder with ``folder``) when it cannot be written: it is the
    wrong kind of thing, or its nearest existing folder is not a writable folder. Writes nothing.

    >>> check_writable(Path("/"), "report", "pass --report elsewhere")
    Traceback (most recent call last):
    ...
    cleaner.errors.UsageError: report / is a folder; pass --report elsewhere
    """
    if path.is_dir() and not folder:
        raise UsageError(f"{what} {path} is a folder; {hint}")
    if path.exists() and folder and not path.is_dir():
        raise UsageError(f"{what} {path} exists and is not a folder; {hint}")
    existing = path if folder and path.is_dir() else path.parent
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            raise UsageError(f"cannot write {what} {path}: {existing} is a broken symbolic link; {hint}")
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"cannot write {what} {path}: {existing} is not a folder; {hint}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {what} {path}: its folder {existing} is not writable; {hint}")


# --- the lock ----------------------------------------------------------------------------------


class OutputLock:
    """Holds ``OUTDIR/.cleaner-lock`` for a run (a context manager; creates OUTDIR).

    ``flock`` is advisory and per open file: a second run (this process or another, on this
    machine or over NFS where the server supports it) finds it taken and is refused with the
    holder's pid, host and start time. Where ``fcntl`` does not exist (Windows) there is no lock.
    """

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self.path = outdir / LOCK_NAME
        self._fh: IO[str] | None = None

    def __enter__(self) -> OutputLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        while True:
            fh = self._open()
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                fh.seek(0)
                holder = _describe_holder(fh.read())
                fh.close()
                raise UsageError(
                    f"output folder {self.outdir} is in use by another cleaner run ({holder}); wait for it to "
                    "finish or stop it, or choose another -o"
                ) from exc
            try:
                same = os.stat(self.path).st_ino == os.fstat(fh.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            fh.close()  # the run before us removed the file as we opened it: take the new one
        fh.seek(0)
        fh.truncate()
        started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        # The host's name as socket.gethostname() gives it (uname's node name), without socket's import.
        fh.write(json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "started": started}) + "\n")
        fh.flush()
        self._fh = fh
        return self

    def _open(self) -> IO[str]:
        try:
            self.outdir.mkdir(parents=True, exist_ok=True)
            return open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"cannot write output folder {self.outdir}: {exc.strerror}; choose a writable folder with -o"
            ) from exc

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            # Removed while still held, so a run waiting for it sees a new file (checked above).
            with contextlib.suppress(OSError):
                self.path.unlink()
            self._fh.close()  # closing the file releases the lock
            self._fh = None


def _describe_holder(text: str) -> str:
    """
    >>> _describe_holder('{"pid": 12, "host": "h", "started": "2026-01-01 10:00:00 UTC"}')
    'pid 12 on h, started 2026-01-01 10:00:00 UTC'
    >>> _describe_holder("")
    'its pid is not known yet'
    """
    try:
        info: Any = json.loads(text)
        return f"pid {info['pid']} on {info['host']}, started {info['started']}"
    except (ValueError, KeyError, TypeError):
        return "its pid is not known yet"


# --- outputs of earlier runs --------------------------------------------------------------------


def foreign_entries(outdir: Path) -> list[str]:
    """What OUTDIR holds besides cleaner's own files and temporaries, sorted (its top level)."""
    if not outdir.is_dir():
        return []
    return sorted(
        entry.name
        for entry in outdir.iterdir()
        if entry.name not in OWN_NAMES and not entry.name.startswith(TEMP_PREFIX)
    )


def _listed(outdir: Path) -> list[str] | None:
    """The outputs an earlier run listed in OUTDIR, or None when there is no list."""
    try:
        files = json.loads((outdir / OUTPUTS_NAME).read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{outdir / OUTPUTS_NAME} (the list of what cleaner wrote in {outdir}) is damaged; "
            "empty the folder or choose another -o"
        ) from exc
    return [str(f) for f in files if isinstance(f, str)]


def check_owned(outdir: Path) -> None:
    """Refuse a non-empty OUTDIR that holds neither an earlier run's list of outputs nor a checkpoint."""
    foreign = foreign_entries(outdir)
    if foreign and _listed(outdir) is None and not (outdir / WORK_DIR).is_dir():
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise UsageError(
            f"output folder {outdir} is not empty ({shown}) and was not written by cleaner; choose a new or "
            "empty folder with -o (cleaner only ever deletes files that an earlier cleaner run wrote there)"
        )


def _safe_rel(rel: str) -> bool:
    """Whether ``rel`` names a file inside OUTDIR (a damaged or hostile list may hold anything).

    >>> _safe_rel("a/b.txt"), _safe_rel("../x"), _safe_rel("/etc/passwd"), _safe_rel(".cleaner-lock")
    (True, False, False, False)
    """
    parts = PurePosixPath(rel).parts
    return bool(parts) and not PurePosixPath(rel).is_absolute() and ".." not in parts and parts[0] not in OWN_NAMES


def claim_outputs(outdir: Path, planned: Iterable[str], resumed: bool) -> int:
    """List this run's outputs in OUTDIR before any is written; a new run first deletes the files
    the earlier run listed (a resumed run keeps them: they are its own). Returns how many went."""
    previous = _listed(outdir) or []
    removed = 0
    keep = set(planned)
    if not resumed:
        for rel in previous:
            target = outdir / rel
            if not _safe_rel(rel) or not target.is_file() or target.is_symlink():
                continue
            target.unlink()
            removed += 1
            _prune_empty(target.parent, outdir)
        previous = []
    files = sorted(keep.union(previous))
    with atomic_file(outdir / OUTPUTS_NAME) as fh:
        fh.write(json.dumps({"files": files}, ensure_ascii=False, indent=0).encode("utf-8"))
    return removed


def _prune_empty(folder: Path, outdir: Path) -> None:
    """Remove ``folder`` and its parents up to OUTDIR while they are empty."""
    while folder != outdir and outdir in folder.parents:
        with contextlib.suppress(OSError):
            folder.rmdir()  # fails, and stops, when the folder is not empty
        if folder.exists():
            return
        folder = folder.parent
