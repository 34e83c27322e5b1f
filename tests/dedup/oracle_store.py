"""Test oracle (never called by cleaner itself): a spill file for shingle arrays, for the one-piece decide.

The driver holds only offsets in memory (8 bytes per document); the shingle hashes themselves
(8 bytes per word: about 1.3 times the size of English text) go to an anonymous temporary file
and are read back for the documents that verification needs.

>>> store = ShingleStore()
>>> store.append(np.array([3, 1, 3], dtype=np.uint64))
0
>>> store.get(0).tolist(), store.distinct(0).tolist(), len(store)
([3, 1, 3], [1, 3], 1)
>>> store.close()
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from cleaner.dedup.cluster import distinct_sorted

U64 = npt.NDArray[np.uint64]
_ITEM = np.dtype(np.uint64).itemsize
_FLUSH_ITEMS = 2 * 1024 * 1024  # 16 MB of hashes per write


class ShingleStore:
    """Append-only arrays of uint64 on a temporary file, addressed by their append order."""

    def __init__(self) -> None:
        # Closed by close(), which decide() calls in a finally block.
        self._file = tempfile.TemporaryFile()  # noqa: SIM115
        self._offsets: list[int] = [0]
        self._distinct: dict[int, U64] = {}
        self._pending: list[U64] = []  # appended but not yet written: one write per ~16 MB
        self._pending_items = 0

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def append(self, values: U64) -> int:
        if len(values):
            self._pending.append(values)
            self._pending_items += len(values)
            if self._pending_items >= _FLUSH_ITEMS:
                self._flush()
        self._offsets.append(self._offsets[-1] + len(values))
        return len(self._offsets) - 2

    def _flush(self) -> None:
        if self._pending:
            self._file.seek(0, 2)
            self._file.write(np.concatenate(self._pending).astype(np.uint64, copy=False).tobytes())
            self._pending.clear()
            self._pending_items = 0

    def size(self, i: int) -> int:
        return self._offsets[i + 1] - self._offsets[i]

    def get(self, i: int) -> U64:
        self._flush()
        start, end = self._offsets[i], self._offsets[i + 1]
        self._file.seek(start * _ITEM)
        return np.frombuffer(self._file.read((end - start) * _ITEM), dtype=np.uint64)

    def distinct(self, i: int, cache: bool = True) -> U64:
        """Sorted distinct values of array ``i``. Cached by default: verification asks for the
        same few often; a pass over every document (adding them to an index) should not cache."""
        found = self._distinct.get(i)
        if found is None:
            found = distinct_sorted(self.get(i))
            if cache:
                self._distinct[i] = found
        return found

    def offsets(self) -> list[int]:
        """Where each array starts end to end (len(self) + 1 values)."""
        return self._offsets

    def flat(self) -> tuple[U64, list[int]]:
        """Every array end to end, and where each starts (reads the whole file: the passage
        owner sort needs it)."""
        self._flush()
        self._file.seek(0)
        values = np.frombuffer(self._file.read(self._offsets[-1] * _ITEM), dtype=np.uint64)
        return values, self._offsets

    def chunks(self, items: int = _FLUSH_ITEMS) -> Iterator[tuple[int, U64]]:
        """Every array end to end, ``items`` values at a time: (position of the first, values).
        Memory stays at one chunk however large the run (the passage owner passes use this)."""
        self._flush()
        total = self._offsets[-1]
        for start in range(0, total, items):
            count = min(items, total - start)
            self._file.seek(start * _ITEM)
            yield start, np.frombuffer(self._file.read(count * _ITEM), dtype=np.uint64)

    def all(self) -> list[U64]:
        """Every array, in order."""
        values, offsets = self.flat()
        return [values[offsets[i] : offsets[i + 1]] for i in range(len(self))]

    def close(self) -> None:
        self._file.close()
        self._distinct.clear()
