"""Byte decoding shared by every format: UTF-8 (BOM removed) when valid, else a detector's guess.

The detector (charset-normalizer) is steered towards the encodings most common on the web; see
the comments on the priors below before changing them.
"""

from __future__ import annotations

import codecs
from typing import Any


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes: UTF-8 (BOM removed) when valid, else the best guess of a detector.

    Returns the text and the encoding used. Raises ValueError for data that is not text.

    >>> decode_bytes("café".encode("cp1252"))[0]
    'café'
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace").lstrip("\ufeff"), enc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    else:
        if "\x00" in text:
            raise ValueError("contains NUL bytes: looks binary, not text")
        return text, "utf-8"
    if b"\x00" in data[:4096]:
        raise ValueError("contains NUL bytes: looks binary, not text")
    guess = _guess_encoding(data)
    if guess is None:
        raise ValueError("not text in any known encoding (binary file?)")
    return data.decode(guess, errors="replace"), guess


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
