""".npy files written a part at a time, so a barrier task never holds a whole array to save it.

``np.save(path, np.concatenate(parts))`` holds the parts and their concatenation at once: for
the owner piece of a 30 MB shard (3.6 million rows of 16 bytes), 116 MB at the peak of the
dedup barrier. :class:`NpyWriter` writes each part as it comes and the header last; the file is
the one ``np.save`` writes (``np.load`` reads it, memory-mapped or not). Like every barrier file
(:func:`save_array`) it is written whole or not at all (:func:`~cleaner.atomic.atomic_file`): a
task run again never truncates the file another task reads.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
>>> with NpyWriter(path, np.int64, (2,)) as out:
...     out.write(np.array([[1, 2]]))
...     out.write(np.array([[3, 4], [5, 6]]))
>>> np.load(path).tolist()
[[1, 2], [3, 4], [5, 6]]
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from cleaner.atomic import atomic_file

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

# Bytes of small parts joined into one write.
FLUSH_BYTES = 1 << 22


class NpyWriter:
    """Rows of one dtype and row shape appended to a .npy file; the header (its length, the
    first axis) is written when the writer closes, and the file then takes its name."""

    def __init__(self, path: Path, dtype: npt.DTypeLike, row_shape: tuple[int, ...] = ()) -> None:
        self.path, self.dtype, self.row_shape = path, np.dtype(dtype), row_shape
        self.after: list[npt.NDArray[Any]] = []  # arrays np.save'd after the rows (:func:`load_after`)
        self.rows = 0
        self.pending: list[npt.NDArray[Any]] = []
        self.pending_bytes = 0
        self.file = contextlib.ExitStack()
        self.fh = self.file.enter_context(atomic_file(path))
        # Room for the header of the longest first axis: numpy (1.23 and later) leaves room for
        # it anyway; the header written is padded to this size (_header).
        self.header_size = len(self._header(np.iinfo(np.int64).max))
        self.fh.write(b"\0" * self.header_size)

    def _header(self, rows: int, size: int = 0) -> bytes:
        """The .npy header for ``rows`` rows, padded with spaces to ``size`` bytes as numpy pads
        its own (the header's length is in its bytes 8-9, version 1.0)."""
        out = io.BytesIO()
        descr = np.lib.format.dtype_to_descr(self.dtype)
        shape = (rows, *self.row_shape)
        np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
        header = out.getvalue()
        if len(header) < size:
            body = header[10:-1] + b" " * (size - len(header)) + b"\n"
            header = header[:8] + len(body).to_bytes(2, "little") + body
        return header

    def write(self, part: npt.NDArray[Any]) -> None:
        if part.shape[1:] != self.row_shape:
            raise ValueError(f"rows of shape {part.shape[1:]} written to a file of rows of shape {self.row_shape}")
        # Small parts (one document's shingles) are joined into writes of about FLUSH_BYTES:
        # a write per part cost more than the concatenation it saves.
        self.pending.append(part)
        self.pending_bytes += part.size * self.dtype.itemsize
        self.rows += len(part)
        if self.pending_bytes >= FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            joined = self.pending[0] if len(self.pending) == 1 else np.concatenate(self.pending)
            np.ascontiguousarray(joined, dtype=self.dtype).tofile(self.fh)
        self.pending, self.pending_bytes = [], 0

    def close(self) -> None:
        with self.file:  # the file then takes its name; on an error (a full disk) it goes
            self._flush()
            for array in self.after:
                np.save(self.fh, array)
            header = self._header(self.rows, self.header_size)
            if len(header) != self.header_size:
                raise ValueError(f"a .npy header of {len(header)} bytes where {self.header_size} were kept")
            self.fh.seek(0)
            self.fh.write(header)

    def __enter__(self) -> NpyWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:  # the temporary file goes, and nothing takes the name
            self.file.__exit__(kind, exc, tb)


def save_array(path: Path, array: npt.NDArray[Any]) -> None:
    """``np.save(path, array)``, whole or not at all: what every barrier file of dedup is written with."""
    with atomic_file(path) as fh:
        np.save(fh, array)


def save_parts(
    path: Path, parts: list[npt.NDArray[Any]], dtype: npt.DTypeLike, after: Sequence[npt.NDArray[Any]] = ()
) -> None:
    """``np.save(path, np.concatenate(parts))`` (1-d parts) without the concatenated copy; then
    each of ``after`` ``np.save``'d in the same file (:func:`load_after` reads them): one file to
    create, open and remove where there were several (each costs 45-600 us of system time on
    this machine's disk)."""
    with NpyWriter(path, dtype) as out:
        out.after.extend(after)
        for part in parts:
            out.write(part)


def rows_span(fh: BinaryIO) -> tuple[int, int]:
    """Where the rows of the .npy file ``fh`` (read from its start) begin and where they end;
    ``fh`` is left where they begin."""
    if np.lib.format.read_magic(fh) == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    at = fh.tell()
    return at, at + math.prod(shape) * dtype.itemsize


def load_after(fh: BinaryIO, count: int) -> list[npt.NDArray[Any]]:
    """The ``count`` arrays saved after the rows of the .npy file ``fh`` (``after`` of
    :func:`save_parts`), read from ``fh`` at the start of the file.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> save_parts(path, [np.arange(3), np.arange(2)], np.int64, after=[np.array([7, 8])])
    >>> np.load(path).tolist()
    [0, 1, 2, 0, 1]
    >>> with open(path, "rb") as fh:
    ...     [a.tolist() for a in load_after(fh, 1)]
    [[7, 8]]
    """
    fh.seek(rows_span(fh)[1])
    return [np.load(fh) for _ in range(count)]
