"""Arrays written a part at a time read back as np.save would have written them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from cleaner.dedup import npyparts


def _tight_header(fp: io.BytesIO, d: dict[str, object]) -> None:
    """A version 1.0 header as a numpy without room to grow writes it: its length follows the
    first axis (aligned to 16 bytes, as numpy before 1.14 did)."""
    text = "{" + "".join(f"'{k}': {v!r}, " for k, v in sorted(d.items())) + "}"
    body = (text + " " * (-(10 + len(text) + 1) % 16) + "\n").encode("latin1")
    fp.write(b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body)


@pytest.mark.parametrize("header_grows,flush_bytes", [(False, npyparts.FLUSH_BYTES), (False, 64), (True, 64)])
def test_parts_read_back_as_the_concatenation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header_grows: bool, flush_bytes: int
) -> None:
    monkeypatch.setattr(npyparts, "FLUSH_BYTES", flush_bytes)  # 64: parts written as they come, and joined
    if header_grows:  # a numpy that leaves no room for the first axis to grow: the header is padded
        monkeypatch.setattr(np.lib.format, "write_array_header_1_0", _tight_header)
        writer = npyparts.NpyWriter(tmp_path / "probe.npy", np.int64, (2,))
        assert len(writer._header(3)) < writer.header_size  # padded, then
        writer.close()
    rng = np.random.default_rng(1)
    parts = [rng.integers(-(2**62), 2**62, size=(n, 2)) for n in (0, 3, 1000, 1)]
    path = tmp_path / "rows.npy"
    with npyparts.NpyWriter(path, np.int64, (2,)) as out:
        for part in parts:
            out.write(part)
    expected = np.concatenate(parts)
    assert np.array_equal(np.load(path), expected)
    assert np.array_equal(np.load(path, mmap_mode="r"), expected)
    flat = [rng.integers(0, 2**63, size=n, dtype=np.uint64) for n in (5, 0, 7)]
    npyparts.save_parts(tmp_path / "flat.npy", flat, np.uint64)
    assert np.array_equal(np.load(tmp_path / "flat.npy"), np.concatenate(flat))
    bad = npyparts.NpyWriter(tmp_path / "bad.npy", np.int64, (2,))
    with pytest.raises(ValueError, match="rows of shape"), bad:
        bad.write(np.zeros((2, 3), dtype=np.int64))
