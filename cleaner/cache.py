"""cleaner's cache folder: what a process would otherwise derive again at every start, kept between runs.

The folder is ``$CLEANER_CACHE_DIR`` (set empty: no cache), else ``$XDG_CACHE_HOME/cleaner``, else
``~/.cache/cleaner``. Every entry is named by a key of everything it was derived from, so a changed
input is a new entry, never a stale one; an entry is written whole under a temporary name and
renamed, and a folder that cannot be written only costs the time to derive the value again. No
decision depends on the cache: its values are the ones a process would compute.

Besides JSON values (:func:`derived`), the cache keeps the compiled programs of long regular expressions
(:func:`compiled`): Python compiles a pattern with Python code, a few milliseconds for the generated
patterns of ``normalize`` and the line cues, and every process starts by compiling them. The command
line also takes the compiled methods of dataclasses from it (:func:`cache_dataclass_code`).
"""

from __future__ import annotations

import _sre
import array
import contextlib
import dataclasses
import functools
import importlib.util
import json
import marshal
import math
import mmap
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

try:  # hashlib's own blake2b, without importing hashlib: that loads OpenSSL (_hashlib, ~3.5 ms)
    from _blake2 import blake2b  # for digests a dedup-only run never makes
except ImportError:  # an interpreter built without it
    from hashlib import blake2b

try:  # re's private compiler (Python 3.11+); a Python without it compiles every pattern with re.compile
    from re import _compiler, _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Pythons
    _compiler = _parser = None

CACHE_ENV = "CLEANER_CACHE_DIR"  # a folder for the cache; empty: no cache


def cache_folder() -> Path | None:
    """The folder of cleaner's cache: ``$CLEANER_CACHE_DIR`` (None where it is set empty), else
    ``$XDG_CACHE_HOME/cleaner``, else ``~/.cache/cleaner``."""
    environ = os.environ
    return _folder_of(environ.get(CACHE_ENV), environ.get("XDG_CACHE_HOME"), environ.get("HOME"))


@functools.lru_cache(maxsize=8)
def _folder_of(explicit: str | None, xdg_cache_home: str | None, home: str | None) -> Path | None:
    """:func:`cache_folder` for these values of the variables it reads, made once each: a start reads
    the folder about a hundred times (each pattern, each table), and making the path took 24 us."""
    if explicit is not None:
        return Path(explicit) if explicit else None
    base = xdg_cache_home or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cleaner"


def key(*parts: str) -> str:
    """An entry's key: a hash of everything its value is derived from (``parts``) and of Python's
    version (its Unicode database, regex engine and parser), so another input is another entry.

    >>> len(key("a pattern", "its flags")), key("a") == key("b")
    (24, False)
    """
    identity = "\0".join((*parts, sys.version)).encode("utf-8", "surrogatepass")
    return blake2b(identity, digest_size=12).hexdigest()


def derived(name: str, key: str, compute: Callable[[], Any], folder: Path | None = None) -> Any:
    """``compute()``, a JSON value, read from the cache entry ``NAME-KEY.json`` where an earlier
    process left it, else computed and left there. ``folder``: the cache folder (default:
    :func:`cache_folder`). Lists come back as lists, whatever ``compute`` returned."""
    folder = folder if folder is not None else cache_folder()
    if folder is None:
        return compute()
    path = folder / f"{name}-{key}.json"
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read())  # bytes: a third quicker than json.load of a text file
    except (OSError, ValueError):
        pass  # not there yet, or unreadable: derive it
    value = compute()
    _store(path, value)
    return value


def derived_arrays(
    name: str, key: str, compute: Callable[[], tuple[list[np.ndarray], Any]], folder: Path | None = None
) -> tuple[list[np.ndarray], Any]:
    """``compute()``, numpy arrays and a JSON value, read from the cache entry ``NAME-KEY.arrays``
    where an earlier process left it, else computed and left there (as :func:`derived`).

    The entry is one line of JSON (each array's dtype and shape, and the value), then the arrays'
    bytes, each at a multiple of 64 bytes: read back, each array is a view of the file's private
    mapping, so a process builds them with no parsing or copying (a model's zip of .npy files took
    3 ms to read, a table derived with numpy 3.4). Arrays come back C-contiguous and writable, as
    kernels compiled for such arrays take them; lists of the value as lists.

    >>> import numpy as np, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> make = lambda: ([np.arange(3, dtype=np.uint8), np.eye(2)], {"rows": 2})
    >>> computed = derived_arrays("example", "k", make, folder)  # and left in the folder
    >>> arrays, value = derived_arrays("example", "k", make, folder)  # read back
    >>> arrays[0].tolist(), arrays[1].tolist(), value, arrays[1].flags.writeable
    ([0, 1, 2], [[1.0, 0.0], [0.0, 1.0]], {'rows': 2}, True)
    """
    folder = folder if folder is not None else cache_folder()
    if folder is None:
        return compute()
    path = folder / f"{name}-{key}.arrays"
    try:
        return _read_arrays(path)
    except (OSError, ValueError, TypeError, KeyError):
        pass  # not there yet, or unreadable: derive it
    arrays, value = compute()
    _store_arrays(path, arrays, value)
    return arrays, value


_ARRAY_ALIGN = 64  # where each array of an .arrays entry starts (a cache line; any dtype's alignment)


def _aligned(offset: int) -> int:
    return -(-offset // _ARRAY_ALIGN) * _ARRAY_ALIGN


def _read_arrays(path: Path) -> tuple[list[np.ndarray], Any]:
    """The arrays and value of an .arrays entry; ValueError where its bytes do not fit its header."""
    import numpy as np  # a process that reads no such entry never needs it here

    with open(path, "rb") as fh:
        header = json.loads(fh.readline())
        offset = fh.tell()
        # A private mapping of the file (copy on write): the views are writable, and a page is read
        # when first touched. Reading the text model's 2.4 MB into a bytearray took 1.5-2 ms (most
        # of it allocating), mapping it and touching every page 0.2-0.35.
        buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
    arrays = []
    for dtype_name, shape in header["arrays"]:
        dtype, count, offset = np.dtype(dtype_name), math.prod(shape), _aligned(offset)
        arrays.append(np.frombuffer(buffer, dtype, count, offset).reshape(shape))  # ValueError past the end
        offset += count * dtype.itemsize
    return arrays, header["value"]


def _store_arrays(path: Path, arrays: list[np.ndarray], value: Any) -> None:
    """``arrays`` and ``value`` as the .arrays entry ``path``, written whole under a temporary name
    and renamed (or not at all: a folder that cannot be written only costs deriving them again)."""
    header = json.dumps({"arrays": [[array.dtype.str, list(array.shape)] for array in arrays], "value": value})
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(header.encode("ascii") + b"\n")
                offset = fh.tell()
                for array in arrays:
                    data = array.tobytes(order="C")
                    fh.write(bytes(_aligned(offset) - offset) + data)
                    offset = _aligned(offset) + len(data)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def code_point_runs(name: str, predicate: Callable[[str], bool], folder: Path | None = None) -> list[list[int]]:
    """The runs ``[start, stop)`` of the Basic Multilingual Plane's code points whose character
    ``predicate`` holds, through :func:`derived`: reading 65,536 characters' properties costs 5 to
    15 ms a process, the entry about a millisecond. The key is ``name``, the predicate's code and
    Python's version (its Unicode database).

    >>> _runs(lambda char: "0" <= char <= "9")
    [[48, 58]]
    """
    code = predicate.__code__
    entry = key(name, code.co_code.hex(), repr(code.co_consts), repr(code.co_names))
    runs: list[list[int]] = derived(f"bmp-{name}", entry, lambda: _runs(predicate), folder)
    return runs


def _runs(predicate: Callable[[str], bool]) -> list[list[int]]:
    """:func:`code_point_runs` computed from the characters themselves."""
    runs: list[list[int]] = []
    start = -1
    for point, char in enumerate(map(chr, range(0x10000))):
        if predicate(char):
            if start < 0:
                start = point
        elif start >= 0:
            runs.append([start, point])
            start = -1
    if start >= 0:
        runs.append([start, 0x10000])
    return runs


def _store(path: Path, value: Any) -> None:
    """``value`` as the JSON entry ``path``, written whole under a temporary name and renamed (or not
    at all: a folder that cannot be written only costs deriving the value again)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                json.dump(value, fh)  # ASCII: lone surrogates in a pattern are written as escapes
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def compiled(source: str, flags: int = 0, folder: Path | None = None) -> re.Pattern[str]:
    r"""``re.compile(source, flags)``, its compiled program read from the cache where an earlier process
    left it (in the folder's :class:`_Programs`, under a hash of the pattern, its flags and the exact Python).

    ``re.compile`` parses a pattern and generates its program in Python code, then hands the program
    to the matcher's constructor (``_sre.compile``, which checks it). The program is what is kept: read
    back, the pattern costs that constructor alone, and it equals (``==``) the one ``re.compile``
    returns. An entry whose program the constructor refuses is compiled again and rewritten; on a
    Python whose ``re`` internals build patterns another way (the program made here would not equal
    ``re.compile``'s) the entry records that, and ``re.compile`` is used.

    >>> pattern = compiled(r"(?P<year>\d{4})-\d\d", re.ASCII)
    >>> pattern == re.compile(r"(?P<year>\d{4})-\d\d", re.ASCII), pattern.match("2024-05")["year"]
    (True, '2024')
    """
    folder = folder if folder is not None else cache_folder()
    if folder is None or _CODE_TYPE is None:
        return re.compile(source, flags)
    programs = _programs(folder)
    entry = key(source, str(int(flags)), str(_sre.MAGIC))
    if entry in programs.kept:
        kept = programs.kept[entry]
        if kept is None:
            return re.compile(source, flags)  # this Python builds patterns another way
        try:
            return _from_program(source, kept)
        except (ValueError, TypeError, RuntimeError, OverflowError, IndexError, KeyError):
            pass  # refused by the constructor: compile it
    pattern = re.compile(source, flags)
    try:
        program = _program(source, int(flags))
        same = _from_program(source, program) == pattern
    except (TypeError, ValueError, RuntimeError, OverflowError, AttributeError):
        same = False
    programs.keep(entry, program if same else None)
    return pattern


class _Programs:
    """The compiled programs of a cache folder's patterns, all in one entry (``re-KEY.marshal``, KEY a
    hash of the exact Python and its regex engine's magic number): a marshalled dict of each
    pattern's key and its program (:func:`_program`, the words as bytes), or None.

    One entry read once per process, not one per pattern: with a JSON file per pattern, its words in
    Base64, the 78 patterns a one-page HTML run compiles took 11.1 ms of CPU to read back, 4.2 ms
    from this entry (0.5 ms of it reading the entry). A pattern not there yet is added and the entry
    rewritten whole (under a temporary name, renamed): a process writing at once with another may
    drop the other's new patterns, which a later process compiles and adds again."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"re-{key('programs', str(_sre.MAGIC), str(_CODE_TYPE))}.marshal"
        self.kept: dict[str, list[Any] | None] = _read_programs(self.path)

    def keep(self, entry: str, program: list[Any] | None) -> None:
        self.kept[entry] = program
        _write_marshal(self.path, self.kept)


@functools.lru_cache(maxsize=8)
def _programs(folder: Path) -> _Programs:
    """The :class:`_Programs` of ``folder``, read once per process."""
    return _Programs(folder)


def _read_programs(path: Path) -> dict[str, list[Any] | None]:
    """The programs kept at ``path``; none where there is no entry yet or it cannot be read."""
    try:
        with open(path, "rb") as fh:
            kept = marshal.loads(fh.read())  # marshal.load(fh) reads a file in pieces of a few bytes
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or not all(isinstance(entry, str) for entry in kept):
        return {}
    return kept


def _program(source: str, flags: int) -> list[Any]:
    """What ``re``'s compiler hands ``_sre.compile`` for ``source`` (Python 3.11's ``re._compiler.compile``):
    the flags, the program, the group count, the group names both ways."""
    parsed = _parser.parse(source, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    if _CODE_TYPE is None:
        raise TypeError("no array type holds a program's words on this Python")
    words = array.array(_CODE_TYPE, code).tobytes()
    return [flags | parsed.state.flags, words, parsed.state.groups - 1, groupindex, indexgroup]


# The array type of sre's program words (kept as their bytes: marshal reads them back as one string,
# and the array makes the list of numbers the constructor takes).
_CODE_TYPE = (
    next((code for code in "IL" if array.array(code).itemsize == getattr(_sre, "CODESIZE", 0)), None)
    if _compiler is not None and hasattr(_sre, "MAGIC")
    else None
)


def _from_program(source: str, program: list[Any]) -> re.Pattern[str]:
    """The pattern built from a :func:`_program` (as read back from JSON)."""
    flags, words, groups, groupindex, indexgroup = program
    code = array.array(_CODE_TYPE or "I", words).tolist()
    pattern: re.Pattern[str] = _sre.compile(source, flags, code, groups, groupindex, tuple(indexgroup))
    return pattern


class DataclassCode:
    """``exec`` for :mod:`dataclasses`, the code of the methods' sources it runs read from the cache.

    A dataclass writes its methods (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, and a frozen
    one's ``__setattr__`` and ``__delattr__``) as Python source and runs it with ``exec`` when the class
    is defined, so every process compiles them again: about 250 sources for the ~50 dataclasses a
    ``cleaner clean`` run imports, ~55 of a one-page run's ~400 ms of CPU, most of it compiling.
    Here the compiled code comes from the cache: one entry for each module (``dc-KEY.marshal``, KEY
    a hash of the module's name and the exact Python), a marshalled dict of each source the module's
    dataclasses ran and its code, as ``compile`` makes it; a source not there yet is compiled and
    the entry rewritten. The code is looked up by its whole source, so it is always the code of that
    source (a module whose dataclasses changed adds entries). A source run with no module's globals
    is compiled as ``exec`` would.

    >>> namespace: dict[str, Any] = {}
    >>> DataclassCode(None)("y = 2 * x", {"__name__": "example", "x": 3}, namespace)
    >>> namespace["y"]
    6
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.modules: dict[str, tuple[Path, dict[str, CodeType]]] = {}  # a module's entry: its path, its code

    def __call__(
        self, source: str | CodeType, globals: dict[str, Any] | None = None, locals: Any = None, /, **options: Any
    ) -> None:
        module = globals.get("__name__") if globals is not None else None
        if isinstance(source, str) and isinstance(module, str) and self.folder is not None:
            source = self._code(self.folder, module, source)
        # exec's keywords (closure=, Python 3.11+) passed on: a later dataclasses may use them.
        exec(source, globals, locals, **options)

    def _code(self, folder: Path, module: str, source: str) -> CodeType:
        entry = self.modules.get(module)
        if entry is None:
            path = folder / f"dc-{_module_key(module)}.marshal"
            entry = self.modules[module] = (path, self._read(path))
        path, codes = entry
        code = codes.get(source)
        if code is None:
            # What exec(source) compiles: dataclasses has no __future__ import to pass on.
            code = codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
            _write_marshal(path, codes)
        return code

    @staticmethod
    def _read(path: Path) -> dict[str, CodeType]:
        """A module's entry; empty where there is none yet or it cannot be read."""
        try:
            with open(path, "rb") as fh:
                codes = marshal.loads(fh.read())  # marshal.load(fh) reads a file in pieces of a few bytes
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if not isinstance(codes, dict) or not all(
            isinstance(source, str) and isinstance(code, CodeType) for source, code in codes.items()
        ):
            return {}
        return codes


def _module_key(module: str) -> str:
    """The key of a module's dataclass code: its name and what the code depends on besides its sources
    (the exact Python, its bytecode's magic number, ``-O``)."""
    return key(module, importlib.util.MAGIC_NUMBER.hex(), str(sys.flags.optimize))


def _write_marshal(path: Path, value: Any) -> None:
    """``value`` (a module's dataclass code, a folder's regex programs) as the marshalled entry
    ``path``, written whole under a temporary name and renamed (or not at all)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                marshal.dump(value, fh)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def cache_dataclass_code() -> None:
    """Have :mod:`dataclasses` compile through a :class:`DataclassCode` in the cache folder, for the
    rest of the process (nothing where there is no cache folder, or where it already does).

    The command line calls it before it imports the library: its dataclasses are then defined with
    the code read back, the same classes with the same methods, ~45 ms of CPU sooner. A program
    that imports cleaner as a library keeps its own ``dataclasses``; this changes another module's
    name space, which is the whole process's business, as the command line's is.
    """
    folder = cache_folder()
    if folder is not None and not isinstance(getattr(dataclasses, "exec", None), DataclassCode):
        setattr(dataclasses, "exec", DataclassCode(folder))  # noqa: B010 - the name is dataclasses' builtin
