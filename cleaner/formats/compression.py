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
# Compressed bytes fed to the decompressor at once (see _ZstdRaw.readinto).
FEED = 1024


def _zstd() -> Any:
    try:
        import zstandard
    except ImportError as exc:
        raise MissingExtraError("zstandard", "zstd", "reading or writing .zst files") from exc
    return zstandard


class _ZstdRaw(io.RawIOBase):
    """Raw stream of the decompressed bytes of every zstd frame in ``source``, in order.

    Damaged data, and a file that ends inside a frame (a cut download), raise OSError, as gzip
    does, so the reader reports an error instead of silently returning a shorter file.
    """

    def __init__(self, source: BinaryIO) -> None:
        self._zstd = _zstd()
        self._source = source
        self._frame = self._zstd.ZstdDecompressor().decompressobj()
        self._in_frame = False  # bytes of the current frame were fed and it has not ended
        self._input = b""  # compressed bytes read but not fed yet
        self._pending = b""  # decompressed bytes not handed out yet
        self._offset = 0  # how much of _pending was handed out

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while self._offset >= len(self._pending):
            if not self._input:
                self._input = self._source.read(1 << 17)
                if not self._input:
                    if self._in_frame:
                        raise OSError("zstd: the file ends inside a frame (truncated?)")
                    return 0
            # A few compressed bytes at a time: zstd expands up to ~32,000 times (a block of zeros
            # is 4 bytes), so this bounds the memory one call holds to about FEED * 32 KiB.
            chunk, self._input = self._input[:FEED], self._input[FEED:]
            self._pending, self._offset = self._feed(chunk), 0
        n = min(len(view), len(self._pending) - self._offset)
        view[:n] = self._pending[self._offset : self._offset + n]
        self._offset += n  # an offset, not a slice: handing out a large output stays linear
        return n

    def _feed(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            try:
                out.append(self._frame.decompress(chunk))
            except self._zstd.ZstdError as exc:
                raise OSError(f"zstd: {exc}") from exc
            self._in_frame = not self._frame.eof
            if not self._frame.eof:
                break
            chunk = self._frame.unused_data  # a next frame (files joined with cat, parallel writers)
            self._frame = self._zstd.ZstdDecompressor().decompressobj()
            self._in_frame = bool(chunk)
        return b"".join(out)

    def close(self) -> None:
        if not self.closed:
            self._source.close()
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
