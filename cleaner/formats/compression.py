"""zstd streams for ``.jsonl.zst``: a line-readable decompressing reader and a compressing writer.

zstandard is imported lazily; without it a ``.jsonl.zst`` input fails with the install hint.
Output is written at a fixed level and without a content-size frame field depending on buffering,
so the same records give the same bytes.

>>> import io
>>> buf = io.BytesIO()
>>> with zstd_writer(buf) as out:
...     _ = out.write(b'{"text": "a"}\\n{"text": "b"}\\n')
>>> reader = zstd_reader(io.BytesIO(buf.getvalue()))
>>> [line for line in reader]
[b'{"text": "a"}\\n', b'{"text": "b"}\\n']
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, BinaryIO

from cleaner.errors import MissingExtraError

# Level 3 is zstd's default: about gzip -6's ratio at several times its speed. Output size only.
ZSTD_LEVEL = 3


def _zstd() -> Any:
    try:
        import zstandard
    except ImportError as exc:
        raise MissingExtraError("zstandard", "zstd", "reading or writing .zst files") from exc
    return zstandard


class _ZstdRaw(io.RawIOBase):
    """Raw stream over a zstd decompressor that reports damaged data as OSError (like gzip does)."""

    def __init__(self, source: BinaryIO) -> None:
        zstandard = _zstd()
        self._error = zstandard.ZstdError
        # read_across_frames: files written by several writers (or `cat a.zst b.zst`) hold many frames.
        self._reader = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True, closefd=True)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return int(self._reader.readinto(buffer))
        except self._error as exc:
            raise OSError(f"zstd: {exc}") from exc

    def close(self) -> None:
        if not self.closed:
            self._reader.close()
        super().close()


def zstd_reader(source: BinaryIO) -> io.BufferedReader:
    """A buffered, line-iterable reader of the decompressed bytes of ``source`` (closed with it)."""
    return io.BufferedReader(_ZstdRaw(source), 1 << 20)


@contextmanager
def zstd_writer(target: IO[bytes]) -> Iterator[IO[bytes]]:
    """Compress what is written into ``target``; the frame is finished on exit, ``target`` left open."""
    zstandard = _zstd()
    writer = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(target, closefd=False)
    try:
        yield writer
    finally:
        writer.close()
