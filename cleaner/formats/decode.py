"""Byte decoding shared by every format: UTF-8 (BOM removed) when valid or nearly so, else a detector's guess;
binary data is told apart by what its bytes are.

The detector (charset-normalizer) is steered towards the encodings most common on the web; see
the comments on the priors below before changing them.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Any

from cleaner.record import Edit

# How a file starts tells binary formats that happen to carry a text extension (a logo saved as
# .html, an archive named .txt): images, archives, PDFs, executables, databases.
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (or docx, xlsx, epub, jar)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x00asm", "a WebAssembly module"),
    (b"ID3\x03", "an MP3 file"),
    (b"ID3\x04", "an MP3 file"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"OggS", "an Ogg audio or video file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
)
# Text has next to no NUL or other control bytes (tab, newlines, form feed and escape aside); binary
# data has plenty. Judged on the first bytes only, so a stray NUL later in a page does not matter.
SNIFF_BYTES = 8192
MAX_CONTROL_SHARE = 0.05
_CONTROL = bytes(sorted(frozenset(range(32)) - {9, 10, 11, 12, 13, 27}))


def binary_kind(data: bytes) -> str | None:
    r"""What binary data is (``"a PNG image"``, ``"binary data"``), or None when it may be text.

    >>> binary_kind(b"%PDF-1.7 ..."), binary_kind(b"<p>" + b"text " * 100 + b"\x00</p>")
    ('a PDF document', None)
    """
    for magic, what in MAGIC:
        if data.startswith(magic):
            return what
    if data[257:262] == b"ustar":
        return "a tar archive"
    if data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "a RIFF file (WebP image, WAV or AVI)"
    if data.startswith(b"BZh") and data[4:10] == b"1AY&SY":
        return "a bzip2 archive"
    head = data[:SNIFF_BYTES]
    # The control bytes counted in one pass (what deleting them takes away), not one count per byte value.
    if head and len(head) - len(head.translate(None, _CONTROL)) > MAX_CONTROL_SHARE * len(head):
        return "many NUL and control bytes in its first 8 KiB"
    return None


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text, the encoding it was read in, and what decoding repaired."""

    text: str
    encoding: str
    edits: tuple[Edit, ...] = ()
    # The bytes when ``text`` is exactly their UTF-8 decoding (valid UTF-8, no BOM, nothing removed),
    # so ``text.encode()`` equals them: the HTML parser takes them instead of encoding the text again.
    utf8: bytes | None = None


def decode_text(data: bytes) -> Decoded:
    r"""Decode a file's bytes, saying what was repaired on the way.

    - A BOM names the encoding (UTF-8, UTF-16).
    - Binary data (see :func:`binary_kind`) raises ValueError.
    - Valid UTF-8 is UTF-8. Bytes that are overwhelmingly UTF-8 (at least as many valid multi-byte
      characters as invalid bytes) are UTF-8 too, each invalid byte a U+FFFD and the whole a
      ``decode.invalid_utf8`` edit: one bad byte never sends a file to a legacy code page.
    - Anything else is decoded in the detector's guess (cp1252, cp1251, Shift-JIS, ...).
    - NUL characters left in the text are removed, as a ``decode.nul`` edit.

    >>> d = decode_text(b"Le caf\xc3\xa9 \xff est ouvert")
    >>> d.text, d.encoding, d.edits[0].fixer
    ('Le café � est ouvert', 'utf-8', 'decode.invalid_utf8')
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _without_nul(data.decode(enc, errors="replace").lstrip("\ufeff"), enc)
    kind = binary_kind(data)
    if kind is not None:
        raise ValueError(f"binary, not text ({kind})")
    try:
        return _without_nul(data.decode("utf-8"), "utf-8", utf8=data, exact=True)
    except UnicodeDecodeError:
        pass
    escaped = data.decode("utf-8", errors="surrogateescape")
    invalid = sum(1 for ch in escaped if "\udc80" <= ch <= "\udcff")
    valid = sum(1 for ch in escaped if ord(ch) > 127) - invalid
    if valid >= invalid:
        text = data.decode("utf-8", errors="replace")
        edit = Edit("decode.invalid_utf8", invalid, _invalid_examples(escaped))
        return _without_nul(text, "utf-8", (edit,), utf8=data)
    guess = _guess_encoding(data)
    if guess is None:
        raise ValueError("not text in any known encoding (binary file?)")
    return _without_nul(data.decode(guess, errors="replace"), guess)


def _invalid_examples(escaped: str, limit: int = 3) -> tuple[str, ...]:
    examples: list[str] = []
    for at, ch in enumerate(escaped):
        if "\udc80" <= ch <= "\udcff":
            before = escaped[max(0, at - 12) : at].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            examples.append(f"{before}\\x{ord(ch) - 0xDC00:02x} -> {before}\ufffd")
            if len(examples) == limit:
                break
    return tuple(examples)


def _without_nul(
    text: str, encoding: str, edits: tuple[Edit, ...] = (), utf8: bytes | None = None, exact: bool = False
) -> Decoded:
    """``text`` without its NUL characters (a ``decode.nul`` edit). ``utf8``: the bytes ``text`` was
    decoded from as UTF-8, where a NUL character is exactly a NUL byte (invalid bytes become U+FFFD):
    looking for one in the bytes is a fifth of the cost of counting them in the text (a 2-byte-wide str).
    ``exact``: ``text`` is their decoding as it stands (valid UTF-8), kept as ``Decoded.utf8`` when no
    NUL goes."""
    nul = text.count("\x00") if utf8 is None or b"\x00" in utf8 else 0
    if nul:
        text = text.replace("\x00", "")
        edits = (*edits, Edit("decode.nul", nul))
    return Decoded(text, encoding, edits, utf8 if exact and not nul else None)


def decode_labelled(data: bytes, codec: str) -> Decoded:
    r"""Decode bytes in the codec their page declares (HTTP or ``<meta>`` charset).

    Bytes the codec cannot read become U+FFFD, recorded as a ``decode.invalid_bytes`` edit
    (``decode.invalid_utf8`` for UTF-8) with count and examples; NUL characters go as in
    :func:`decode_text`.

    >>> d = decode_labelled(b"\xcf\xf0\xe8\xe2\xe5\xf2", "cp1251")
    >>> d.text, d.edits
    ('Привет', ())
    >>> decode_labelled(b"caf\xc3\xa9 \xff", "utf_8").edits[0].fixer
    'decode.invalid_utf8'
    """
    try:
        return _without_nul(data.decode(codec), codec)
    except UnicodeDecodeError:
        pass
    escaped = data.decode(codec, errors="surrogateescape")
    invalid = sum(1 for ch in escaped if "\udc80" <= ch <= "\udcff")
    fixer = "decode.invalid_utf8" if codec in ("utf_8", "utf-8", "utf8") else "decode.invalid_bytes"
    edit = Edit(fixer, invalid, _invalid_examples(escaped))
    return _without_nul(data.decode(codec, errors="replace"), codec, (edit,))


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes (:func:`decode_text`, without its edits): the text and the encoding.

    Raises ValueError for data that is not text.

    >>> decode_bytes("café".encode("cp1252"))[0]
    'café'
    """
    decoded = decode_text(data)
    return decoded.text, decoded.encoding


# Without a BOM, UTF-16/32 guesses on short 8-bit text are nearly always wrong.
_NEVER_GUESS = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le", "utf_7"]
# Among encodings the detector finds equally plausible, prefer the ones most common on the web
# (the detector alone reads short cp1252 text as cp1250 or cp1006). Re-check with
# tests/test_readers.py::test_text_files_decode_utf8_bom_utf16_and_cp1252 before reordering.
_WEB_PRIOR = (
    "cp1252", "latin_1", "cp1251", "cp932", "shift_jis", "gb18030", "gbk", "gb2312", "euc_kr", "cp949",
    "cp1250", "iso8859_2", "big5", "cp1253", "cp1254", "cp1255", "cp1256", "koi8_r", "euc_jp",
    "iso8859_15", "cp1257", "tis_620", "cp874",
)  # fmt: skip


# On short Western European text the detector often prefers another Latin code page (cp1257 for
# French). When cp1252 decodes the bytes to ordinary Western letters and punctuation only, it is
# by far the likelier one on the web. Letters that collide with Turkish, Icelandic and Baltic
# code pages (ð þ ý and their capitals) are not "ordinary", so those texts keep the detector's guess.
_LATIN_FAMILY = ("cp125", "iso8859", "mac_", "latin", "cp85", "cp775")
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜßàáâãäåæçèéêëìíîïñòóôõöøùúûüÿŒœŠšŽžŸ"
    "\u201c\u201d\u2018\u2019\u2013\u2014\u2026\u20ac\u00ab\u00bb\u00b0\u00a9\u00ae\u00b7\u2022\u00a0\u00a3\u00a7"
)


def _reads_as_western(data: bytes) -> bool:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return all(ch in _WESTERN for ch in text if ord(ch) > 127)


def _guess_encoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    results = list(from_bytes(data, cp_exclusion=_NEVER_GUESS))
    if not results:
        return None
    least = min(r.chaos for r in results)
    plausible = [r for r in results if r.chaos <= least + 0.02]

    def prior(r: Any) -> int:
        ranks = [_WEB_PRIOR.index(n) for n in (r.encoding, *r.could_be_from_charset) if n in _WEB_PRIOR]
        return min(ranks, default=len(_WEB_PRIOR))

    best = min(plausible, key=lambda r: (prior(r), -r.coherence))
    name = best.encoding
    if name != "cp1252" and name.startswith(_LATIN_FAMILY) and _reads_as_western(data):
        return "cp1252"
    if name not in _WEB_PRIOR and prior(best) < len(_WEB_PRIOR):
        name = next(n for n in best.could_be_from_charset if n in _WEB_PRIOR)
    return str(name)
