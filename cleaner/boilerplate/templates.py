"""Site templates: lines that recur in many documents of one site are boilerplate there.

A CorpusStage in three pure steps. ``summarize`` reduces a document to its site and a 64-bit
hash of each of its lines (compact: no text crosses the barrier). ``file_decisions`` counts, per
site, in how many documents each hash occurs and marks a hash as template when it occurs in at
least ``template_min_docs`` documents and in at least ``template_share`` of the site's
documents; a document's decision is where its template lines are (their indices among its
lines). ``apply`` drops those lines, without hashing the text again: the decision is applied to
the text that was summarized (the stage's summary and apply meet nothing between them). Counts
do not depend on order, so the result is the same for any ``--jobs``.

``file_decisions`` counts in tasks (on the runners' workers, or in this process for the library
and ``explain``), so the driver never holds every document's hashes, nor their decisions. Per
shard, the hash counts of each site (pre-aggregated: boilerplate lines repeat) are written by
site partition; per partition, the sites' counts are added up and their template lines chosen;
per shard again, each document's template lines are found and filed for that shard's next
task (``decide_sharded`` reads them back into one mapping, for the library).
tests/boilerplate/test_boilerplate_templates_and_invariants.py checks the decisions against a
one-piece count kept there as a test oracle.

>>> from cleaner.config import BoilerplateConfig
>>> from cleaner.record import Document, Source
>>> from cleaner.stage import decide_in_process
>>> stage = Templates(BoilerplateConfig(template_min_docs=2, template_share=0.5))
>>> docs = [Document(id=str(i), text=f"Story number {i} is here.\\nShare this story\\n",
...                  source=Source(f"site/{i}.txt")) for i in range(3)]
>>> decisions = decide_in_process(stage, [[(str(d.source), stage.summarize(d)) for d in docs]])
>>> out = stage.apply(docs[0], decisions.get("site/0.txt"))
>>> out.text, out.drops[0].reason.value
('Story number 0 is here.\\n', 'boilerplate.template')
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import os
import pickle
import posixpath
import re
import shutil
import struct
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import numpy as np

from cleaner.atomic import atomic_file
from cleaner.boilerplate import _aot
from cleaner.boilerplate.text import STAGE, remove_spans
from cleaner.cache import blake2b  # hashlib's own, without loading OpenSSL (~4 ms of a start)
from cleaner.config import BoilerplateConfig
from cleaner.jit import import_numba
from cleaner.record import Document, Reason, Unit, assemble_drop
from cleaner.stage import RECORDS_UNREAD, SummaryColumns, TaskMap, gather_decisions, write_decisions


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    """What one document contributes to the template decision: its site and its lines' hashes
    (line_keys of its text: one per line, in order, None for a blank line).

    >>> TemplateSummary("example.org", (7, None, 5, 7)).hashes == {5, 7}
    True
    """

    site: str
    keys: tuple[int | None, ...]

    @property
    def hashes(self) -> frozenset[int]:
        """The hashes of its distinct non-blank lines (what the site's counts add up)."""
        return cast(frozenset[int], frozenset(self.keys) - _BLANK)


_BLANK = frozenset([None])  # a blank line's key


# A URL whose host urlsplit would find as it is: a scheme, "//", a host of letters, digits, dots
# and hyphens, maybe a port, then the end or one of the characters that end it. No white space or
# control character (urlsplit strips or deletes those first), no user part ("@"), no brackets,
# no "%": what urlsplit(url).hostname gives is this host, lower-cased. urlsplit takes ~10 us a
# URL (0.13 CPU-s of the 13,148 documents of the 30 MB gen_dump dump); others go to it.
_PLAIN_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|\Z)")


def site_of(doc: Document) -> str:
    """The site a document belongs to: metadata host, else the URL's host, else its folder.

    >>> from cleaner.record import Source
    >>> site_of(Document(id="a", text="", metadata={"url": "https://www.example.org/a/b"}))
    'www.example.org'
    >>> site_of(Document(id="a", text="", source=Source("dump/site/page.txt")))
    'dump/site'
    """
    host = doc.metadata.get("host")
    if isinstance(host, str) and host:
        return host.lower()
    url = doc.metadata.get("url")
    if isinstance(url, str) and url:
        plain = _PLAIN_URL.match(url)
        if plain is not None:
            return plain[1].lower()
        netloc = urlsplit(url).hostname
        if netloc:
            return netloc.lower()
    return posixpath.dirname(doc.source.path.replace("\\", "/"))


# What a line key keeps of a line's case-folded words: letters, digits and the single spaces
# between words. Everything else goes: ASCII lines (most of them) through one bytes.translate,
# others through a regex. ``[^\w ]|_`` matches exactly the characters that are neither
# ``str.isalnum`` nor a space (checked over every code point in the templates tests), so the keys
# are those of the per-character filter this replaced.
_ASCII_NOT_KEPT = bytes(b for b in range(128) if not (chr(b).isalnum() or b == 0x20))
_NOT_KEPT = re.compile(r"[^\w ]|_")


def line_key(line: str) -> int | None:
    """A 64-bit hash of a line's case-folded words, or None for a blank line.

    >>> line_key("Share  this story!") == line_key("share this story")
    True
    """
    words = " ".join(line.casefold().split())
    if words.isascii():
        core = words.encode("ascii").translate(None, _ASCII_NOT_KEPT).strip(b" ")
    else:
        core = _NOT_KEPT.sub("", words).strip().encode("utf-8")
    if not core:
        return None
    return int.from_bytes(blake2b(core, digest_size=8).digest(), "big")


# line_keys on a whole text: what it keeps of the text's ASCII bytes (the line breaks too), and the
# characters that make it fall back to a key per line: the line breaks other than "\n" (ASCII
# ones, and NEL and the line and paragraph separators), and the white space that str.split()
# splits at but bytes.split() does not.
_ASCII_NOT_KEPT_IN_TEXT = _ASCII_NOT_KEPT.replace(b"\n", b"")
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x1f"
_OTHER_BREAKS_WIDE = _OTHER_BREAKS + "\x85\u2028\u2029"
_ASCII_BYTES = bytes(range(128))


def _other_breaks(text: str) -> bool:
    """Whether an ASCII text holds a line break other than "\\n"."""
    return any(map(text.__contains__, _OTHER_BREAKS))


def _beyond_ascii(text: str) -> set[str]:
    """The distinct characters of ``text`` beyond ASCII (lone surrogates too)."""
    return set(text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))


def _folded_words(text: str) -> str:
    """A text with characters beyond ASCII (and no line break but "\\n") as line_keys wants it
    before its bytes: those characters case-folded, white space made one space, the
    characters beyond ASCII that are no letter or digit deleted (after the runs of spaces, as
    line_key's split and join come before its pattern). ASCII letters keep their case.

    One str.replace per distinct character (a page's text holds a few dozen): the search for
    one character is fast, where bytes.replace of its two to four UTF-8 bytes is about 2.5x
    slower, and a regex steps through every character.
    """
    wide = _beyond_ascii(text)
    folded = text
    for char in wide:
        if char.casefold() != char:
            folded = folded.replace(char, char.casefold())
    if folded is not text:
        wide = _beyond_ascii(folded)
    dropped = []
    for char in wide:
        if char.isspace():
            folded = folded.replace(char, " ")
        elif not char.isalnum():
            dropped.append(char)
    if "\t" in folded:
        folded = folded.replace("\t", " ")
    while "  " in folded:  # each pass halves the runs of spaces
        folded = folded.replace("  ", " ")
    for char in dropped:
        folded = folded.replace(char, "")
    return folded


def line_keys(text: str) -> list[int | None]:
    """``[line_key(line) for line in text.splitlines()]``, for a whole text at once.

    An ASCII text (most of them) is lower-cased, its runs of spaces and tabs made one space and
    the characters a key leaves out deleted, each with C string methods over the whole text;
    then each line is stripped and hashed. A space run made one space before the deletions is
    what line_key's split and join do, and the spaces left at either end go in its last strip,
    so the keys are the same (tests/boilerplate/test_template_line_keys.py checks them against
    line_key). Regexes over the whole text cost more than the per-line form: they step through
    every character in Python's regex engine.

    A text with other characters (most pages' text: quotes, dashes, accents) gets the same
    treatment of those characters first, one str.replace per distinct one (_folded_words): its
    str.casefold (which maps each character alone, is its own fixed point and makes no ASCII
    capital), then a space for white space, then, after the runs of spaces, nothing for the
    characters that are no letter or digit; its ASCII bytes then go as an ASCII text's. On the
    181 Scrapinghub pages' extracted texts (159 of them not ASCII) this takes 16 ms instead of
    the per-line form's 28. A text with a line break other than "\\n" gets the per-line form.

    >>> keys = line_keys("Share  this story!\\n\\n -- \\nshare this story")
    >>> keys == [line_key("share this story"), None, None, line_key("share this story")]
    True
    >>> line = "Caf\\u00e9 \\u2014 \\u201cOpen\\u201d\\u00a0now"
    >>> line_keys(f"{line}\\n\\u00a0\\n") == [line_key(line), None]
    True
    """
    if text.isascii():
        if _other_breaks(text):
            return [line_key(line) for line in text.splitlines()]
        kernel = _keys_kernel() if _aot.compiled_ready() else None
        if kernel is not None:  # once numba runs: the whole text in one compiled pass
            return list(_compiled_keys(kernel, [text])[0])
        spaced = text.lower().encode("ascii")
        if b"\t" in spaced:
            spaced = spaced.replace(b"\t", b" ")
        while b"  " in spaced:  # each pass halves the runs of spaces
            spaced = spaced.replace(b"  ", b" ")
    elif any(map(text.__contains__, _OTHER_BREAKS_WIDE)):
        return [line_key(line) for line in text.splitlines()]
    else:
        spaced = _folded_words(text).encode("utf-8").lower()  # bytes.lower: ASCII letters only
    cores = spaced.translate(None, _ASCII_NOT_KEPT_IN_TEXT).split(b"\n")
    if not text or text.endswith("\n"):
        cores.pop()  # splitlines gives no line after the last line break
    # bytes.strip() takes the spaces at either end: no other white space is left here (tabs and
    # the white space beyond ASCII became spaces, the other breaks went to the per-line form, \n
    # split the lines).
    cores = list(map(bytes.strip, cores))
    # Each distinct line hashed once, every call made from C (map), the digests read as
    # big-endian integers in one unpack: no Python step per line.
    distinct = dict.fromkeys(cores)
    distinct.pop(b"", None)
    digests = b"".join(map(_DIGEST, map(_BLAKE2B_8, distinct)))
    hashed: dict[bytes, int | None] = dict(zip(distinct, struct.unpack(f">{len(distinct)}Q", digests), strict=True))
    hashed[b""] = None  # a blank line
    return list(map(hashed.__getitem__, cores))


_BLAKE2B_8 = functools.partial(blake2b, digest_size=8)  # line_key's hash
_DIGEST = operator.methodcaller("digest")

# What the compiled line_keys makes of each ASCII byte: a letter or digit (line_key's str.isalnum)
# itself, lower-cased; a space or a tab a space (32); any other byte nothing (0).
_KEY_BYTES = np.array(
    [
        (b | 0x20 if chr(b).isalpha() else b) if b < 0x80 and chr(b).isalnum() else 32 if b in (9, 32) else 0
        for b in range(256)
    ],
    dtype=np.uint8,
)
# BLAKE2b's initial words (SHA-512's), RFC 7693, section 2.6; its message schedule (section 2.7)
# is written out in the kernel's rounds.
_BLAKE2B_IV = np.array([
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
], dtype=np.uint64)  # fmt: skip


def _compiled_keys(kernel: Any, texts: Sequence[str]) -> list[tuple[int | None, ...]]:
    """line_keys of ASCII texts whose only line break is "\\n" (each a tuple), by the compiled
    kernel in one call for them all (one call costs ~5 us, and a list and a blank search each)."""
    ends = np.fromiter(itertools.accumulate(map(len, texts)), dtype=np.int64, count=len(texts))
    data = np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8)
    hashes, blank, counts = kernel(data, ends, _KEY_BYTES, _BLAKE2B_IV)
    keys: list[int | None] = hashes.tolist()
    for i in np.flatnonzero(blank).tolist():
        keys[i] = None
    if len(texts) == 1:
        return [tuple(keys)]
    every = tuple(keys)  # a tuple's slices are tuples: no list made per text
    cuts = list(itertools.accumulate(counts.tolist()))
    return list(map(every.__getitem__, map(slice, [0, *cuts[:-1]], cuts)))


@functools.cache
def _keys_kernel() -> Any:
    """The compiled line_keys of ASCII texts whose only line break is "\\n", laid end to end
    (``ends``: where each one ends), or None without numba (loaded once per process): each
    line's key, whether the line is blank, and each text's number of lines.

    Each line's core is made as line_keys makes it (lower case, a run of spaces and tabs one
    space, the characters a key leaves out deleted, then stripped), byte by byte without a
    branch (a table gives each byte's part, _KEY_BYTES), and hashed with BLAKE2b of 8 bytes
    (RFC 7693, no key) read as a big-endian number: line_key's hash, bit for bit
    (tests/boilerplate/test_template_line_keys.py checks it against hashlib on lines of every
    length up to several blocks). The core is built in a buffer of 64-bit words, zero-padded
    to its last block, so that the message words are read whole; the rounds are written out,
    each with its permutation of them. Over the 30 MB gen_dump dump's texts the kernel took
    0.38 CPU-s with a branch per byte (space, kept, deleted) and rounds that looped over the
    schedule's table, reading it and the message words at run time; 0.28 without the branches,
    0.22 with the rounds written out. The string passes and a hashlib call per line were 0.3
    CPU-s of that dump's summaries.
    """
    ahead = _aot.kernel("templates", "_keys_kernel")  # compiled when cleaner was installed
    if ahead is not None:
        return ahead
    try:
        numba = import_numba()
    except ImportError:
        return None

    @numba.njit(cache=True)
    def line_key_hashes(data, ends, table, iv):
        n = data.shape[0]
        lines = 0
        for i in range(n):
            lines += data[i] == 10
        start = 0
        for end in ends:
            if end > start and data[end - 1] != 10:
                lines += 1  # a last line without a break (str.splitlines gives none after a final one)
            start = end
        keys = np.zeros(lines, dtype=np.uint64)
        blank = np.zeros(lines, dtype=np.bool_)
        counts = np.zeros(len(ends), dtype=np.int64)
        words = np.zeros(n // 8 + 18, dtype=np.uint64)  # a line's core, padded to a whole block
        core = words.view(np.uint8)

        def mix(a, b, c, d, x, y):  # BLAKE2b's G
            a = a + b + x
            d = d ^ a
            d = (d >> np.uint64(32)) | (d << np.uint64(32))
            c = c + d
            b = b ^ c
            b = (b >> np.uint64(24)) | (b << np.uint64(40))
            a = a + b + y
            d = d ^ a
            d = (d >> np.uint64(16)) | (d << np.uint64(48))
            c = c + d
            b = b ^ c
            b = (b >> np.uint64(63)) | (b << np.uint64(1))
            return a, b, c, d

        def rnd(v, x):  # one round: G on the columns, then on the diagonals
            v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15 = v
            v0, v4, v8, v12 = mix(v0, v4, v8, v12, x[0], x[1])
            v1, v5, v9, v13 = mix(v1, v5, v9, v13, x[2], x[3])
            v2, v6, v10, v14 = mix(v2, v6, v10, v14, x[4], x[5])
            v3, v7, v11, v15 = mix(v3, v7, v11, v15, x[6], x[7])
            v0, v5, v10, v15 = mix(v0, v5, v10, v15, x[8], x[9])
            v1, v6, v11, v12 = mix(v1, v6, v11, v12, x[10], x[11])
            v2, v7, v8, v13 = mix(v2, v7, v8, v13, x[12], x[13])
            v3, v4, v9, v14 = mix(v3, v4, v9, v14, x[14], x[15])
            return v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15

        line, start = 0, 0
        for t in range(len(ends)):
            stop = ends[t]
            first_line = line
            while start < stop:
                size = 0
                space = True  # the last byte (deletions aside) was a space, or none is kept yet
                i = start
                # The byte loads and stores index unsigned (i and size are never negative): numba
                # wraps a signed index (a shift, an and and an add), unable to tell they are >= 0.
                while i < stop and data[np.uint64(i)] != 10:
                    c = table[data[np.uint64(i)]]
                    is_space = c == 32
                    core[np.uint64(size)] = c
                    # kept: a letter or digit, or a space after something else (a deletion too);
                    # (c != 0) is 1 for every space, so the xor drops the spaces that follow one
                    size += (c != 0) ^ (is_space & space)
                    space = is_space | (space & (size == 0))
                    i += 1
                while size and core[size - 1] == 32:
                    size -= 1
                if size == 0:
                    blank[line] = True
                else:
                    for k in range(size, (size + 127) // 128 * 128):
                        core[k] = 0
                    h0 = iv[0] ^ np.uint64(0x01010008)  # digest length 8, no key, fanout and depth 1
                    h1, h2, h3, h4, h5, h6, h7 = iv[1], iv[2], iv[3], iv[4], iv[5], iv[6], iv[7]
                    pos = 0
                    while True:
                        take = min(128, size - pos)
                        final = pos + take == size
                        w = pos >> 3
                        m = (words[w], words[w + 1], words[w + 2], words[w + 3], words[w + 4], words[w + 5],
                             words[w + 6], words[w + 7], words[w + 8], words[w + 9], words[w + 10], words[w + 11],
                             words[w + 12], words[w + 13], words[w + 14], words[w + 15])  # fmt: skip
                        m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15 = m
                        v14 = ~iv[6] if final else iv[6]
                        v = (h0, h1, h2, h3, h4, h5, h6, h7, iv[0], iv[1], iv[2], iv[3],
                             iv[4] ^ np.uint64(pos + take), iv[5], v14, iv[7])  # fmt: skip
                        v = rnd(v, m)
                        v = rnd(v, (m14, m10, m4, m8, m9, m15, m13, m6, m1, m12, m0, m2, m11, m7, m5, m3))
                        v = rnd(v, (m11, m8, m12, m0, m5, m2, m15, m13, m10, m14, m3, m6, m7, m1, m9, m4))
                        v = rnd(v, (m7, m9, m3, m1, m13, m12, m11, m14, m2, m6, m5, m10, m4, m0, m15, m8))
                        v = rnd(v, (m9, m0, m5, m7, m2, m4, m10, m15, m14, m1, m11, m12, m6, m8, m3, m13))
                        v = rnd(v, (m2, m12, m6, m10, m0, m11, m8, m3, m4, m13, m7, m5, m15, m14, m1, m9))
                        v = rnd(v, (m12, m5, m1, m15, m14, m13, m4, m10, m0, m7, m6, m3, m9, m2, m8, m11))
                        v = rnd(v, (m13, m11, m7, m14, m12, m1, m3, m9, m5, m0, m15, m4, m8, m6, m2, m10))
                        v = rnd(v, (m6, m15, m14, m9, m11, m3, m0, m8, m12, m2, m13, m7, m1, m4, m10, m5))
                        v = rnd(v, (m10, m2, m8, m4, m7, m6, m1, m5, m15, m11, m9, m14, m3, m12, m13, m0))
                        v = rnd(v, m)  # rounds 11 and 12 take the schedule's first two rows again
                        v = rnd(v, (m14, m10, m4, m8, m9, m15, m13, m6, m1, m12, m0, m2, m11, m7, m5, m3))
                        h0 ^= v[0] ^ v[8]
                        h1 ^= v[1] ^ v[9]
                        h2 ^= v[2] ^ v[10]
                        h3 ^= v[3] ^ v[11]
                        h4 ^= v[4] ^ v[12]
                        h5 ^= v[5] ^ v[13]
                        h6 ^= v[6] ^ v[14]
                        h7 ^= v[7] ^ v[15]
                        if final:
                            break
                        pos += 128
                    key = np.uint64(0)
                    for k in range(8):  # the digest's first 8 bytes (h0, little-endian) read big-endian
                        key = (key << np.uint64(8)) | ((h0 >> np.uint64(8 * k)) & np.uint64(0xFF))
                    keys[line] = key
                line += 1
                start = i + 1
            counts[t] = line - first_line
            start = stop
        return keys, blank, counts

    return line_key_hashes


# Documents whose sites one counting task merges: the merged counters hold one entry per
# (site, distinct line), ~100 bytes each as Python objects.
DOCS_PER_PARTITION = 100_000


def site_partition(site: str, partitions: int) -> int:
    """The partition a site's counts go to (crc32: the same in every process, unlike hash()).

    >>> [site_partition(site, 7) for site in ("www.example.org", "news.example.com")]
    [3, 4]
    """
    return zlib.crc32(site.encode("utf-8")) % partitions


# Summaries read at a time from a plain iterable (the runner's spilled ones come in its own batches).
SUMMARY_BATCH = 1024


def summary_columns(
    summaries: Iterable[tuple[str, TemplateSummary]],
) -> Iterator[tuple[list[str], list[str], list[tuple[int | None, ...]]]]:
    """A shard's summaries a batch at a time as columns: the documents' keys, sites and line keys.
    The runner's spilled summaries give theirs (``summary_columns()``,
    cleaner.runners.core.SpilledSummaries) without a TemplateSummary per document: the barrier
    read them twice (counts, then lines), and rebuilding the objects each time was ~0.04 CPU-s of
    the 30 MB gen_dump dump's run; any other iterable of ``(key, TemplateSummary)`` is cut into
    batches."""
    columns = getattr(summaries, "summary_columns", None)
    if columns is not None:
        for keys, fields in columns():
            yield keys, fields["site"], fields["keys"]
        return
    pairs = iter(summaries)
    while chunk := list(itertools.islice(pairs, SUMMARY_BATCH)):
        values = [summary for _, summary in chunk]
        yield [key for key, _ in chunk], [v.site for v in values], [v.keys for v in values]


def shard_site_counts(
    summaries: Iterable[tuple[str, TemplateSummary]],
    shard: int,
    folder: Path,
    partitions: int,
    alone: tuple[int, float] | None = None,
) -> None:
    """Per site of the shard: its number of documents and how many of them hold each line hash,
    written in one file per site partition. ``alone`` (``(min_docs, share)``) says the shard is
    the only one: its counts are the sites' totals, so only the sites and hashes that
    partition_templates could take are written (the same templates from a file of a few
    entries: on the 30 MB gen_dump dump, one shard, nearly every one of its 236,019 lines is
    counted in one document, and pickling, loading and scanning those counts was ~0.1 CPU-s)."""
    # Each site's documents' keys gathered first, then counted in one Counter per site: a
    # frozenset of each document's keys (its distinct lines, and None once if it has a blank
    # line, dropped from the count at the end), all fed to the count from C. A Counter.update
    # per document, and a set difference for the blank key, were two thirds of this step.
    keys_of: dict[str, list[tuple[int | None, ...]]] = {}
    for _, sites, line_keys_ in summary_columns(summaries):
        for site, keys in zip(sites, line_keys_, strict=True):
            site_keys = keys_of.get(site)
            if site_keys is None:
                keys_of[site] = site_keys = []
            site_keys.append(keys)
    # The counts are written as plain dicts: a Counter pickles as a copy of itself made a dict,
    # and loads through Counter.__init__ (~0.03 CPU-s of the 30 MB gen_dump dump's run, both).
    parts: list[dict[str, tuple[int, dict[int, int]]]] = [{} for _ in range(partitions)]
    for site, site_keys in keys_of.items():
        n = len(site_keys)
        if alone is not None and n < alone[0]:
            continue  # too few documents for any template (partition_templates skips it)
        counter: Counter[Any] = Counter(itertools.chain.from_iterable(map(frozenset, site_keys)))
        counter.pop(None, None)
        if alone is None:
            counts = dict(counter)
        else:
            floor = max(alone[0], alone[1] * n)  # partition_templates' floor, from the same n
            counts = {h: c for h, c in counter.items() if c >= floor}
        parts[site_partition(site, partitions)][site] = (n, counts)
    for part, content in enumerate(parts):
        with atomic_file(folder / f"counts.s{shard}.p{part}.pkl") as fh:
            pickle.dump(content, fh, protocol=pickle.HIGHEST_PROTOCOL)


def partition_templates(folder: Path, shards: Sequence[int], part: int, min_docs: int, share: float) -> None:
    """The template lines of every site of one partition, from all shards' counts."""
    totals: dict[str, tuple[int, dict[int, int]]] = {}
    for shard in shards:
        with open(folder / f"counts.s{shard}.p{part}.pkl", "rb") as fh:
            content: dict[str, tuple[int, dict[int, int]]] = pickle.load(fh)
        for site, (n, counts) in content.items():
            merged = totals.get(site)
            if merged is None:
                totals[site] = (n, counts)
            else:  # a site in several shards: their counts added (a Counter from the second on)
                total_n, total = merged
                if type(total) is not Counter:
                    total = Counter(total)
                total.update(counts)
                totals[site] = (total_n + n, total)
    templates: dict[str, frozenset[int]] = {}
    for site, (n, counter) in totals.items():
        if n < min_docs:
            continue
        floor = max(min_docs, share * n)
        template = frozenset(h for h, c in counter.items() if c >= floor)
        if template:
            templates[site] = template
    with atomic_file(folder / f"templates.p{part}.pkl") as fh:
        pickle.dump(templates, fh, protocol=pickle.HIGHEST_PROTOCOL)


def shard_template_lines(
    summaries: Iterable[tuple[str, TemplateSummary]], folder: Path, partitions: int, filed: Path
) -> bool:
    """Each document's template lines (documents with none are left out), filed for the shard
    at ``filed`` (:func:`~cleaner.stage.write_decisions`); returns whether it had any."""
    tables: dict[int, dict[str, frozenset[int]]] = {}
    template_of: dict[str, frozenset[int] | None] = {}
    decisions: dict[str, tuple[int, ...]] = {}
    for doc_keys, sites, line_keys_ in summary_columns(summaries):
        for key, site, keys in zip(doc_keys, sites, line_keys_, strict=True):
            if site not in template_of:  # a site's partition found once (crc32 of its name)
                part = site_partition(site, partitions)
                if part not in tables:
                    with open(folder / f"templates.p{part}.pkl", "rb") as fh:
                        tables[part] = pickle.load(fh)
                template_of[site] = tables[part].get(site)
            template = template_of[site]
            if template:
                mine = template_lines(keys, template)
                if mine:
                    decisions[key] = mine
    return write_decisions(filed, decisions)


def template_lines(keys: Sequence[int | None], template: frozenset[int]) -> tuple[int, ...]:
    """The indices of the lines whose hash (``keys``, line_keys of a text) is one of ``template``.

    >>> template_lines((7, None, 5, 7), frozenset({7}))
    (0, 3)
    """
    return tuple(itertools.compress(itertools.count(), map(template.__contains__, keys)))


class Templates:
    """Drop lines repeated across many documents of one site (``boilerplate.template``)."""

    name = "templates"
    unread = RECORDS_UNREAD  # the earlier stages' drops, edits and signals (see cleaner.stage)

    def __init__(self, cfg: BoilerplateConfig) -> None:
        self.cfg = cfg

    def setup(self) -> None:
        """Nothing to load: hashes and counts need no tables."""

    def summarize(self, doc: Document) -> TemplateSummary:
        return TemplateSummary(site_of(doc), tuple(line_keys(doc.text)))

    def summarize_many(self, docs: Sequence[Document]) -> SummaryColumns:
        """``[summarize(d) for d in docs]``: once numba runs, the texts the compiled line_keys
        takes go to it in one call (_compiled_keys), the others one by one. They come as the
        batch's columns, the sites and the line keys (:class:`~cleaner.stage.SummaryColumns`),
        spilled as they are: a TemplateSummary is made only where one is read.

        >>> from cleaner.record import Source
        >>> stage = Templates(BoilerplateConfig())
        >>> batch = stage.summarize_many([Document(id="a", text="Share this\\n\\n", source=Source("s/a"))])
        >>> batch[0] == stage.summarize(Document(id="a", text="Share this\\n\\n", source=Source("s/a")))
        True
        """
        texts = [d.text for d in docs]
        kernel = _keys_kernel() if _aot.compiled_ready() else None
        keys: list[tuple[int | None, ...] | None] = [None] * len(texts)
        if kernel is not None:
            ascii_ = [i for i, text in enumerate(texts) if text.isascii() and not _other_breaks(text)]
            for i, text_keys in zip(ascii_, _compiled_keys(kernel, [texts[i] for i in ascii_]), strict=True):
                keys[i] = text_keys
        for i, k in enumerate(keys):
            if k is None:
                keys[i] = tuple(line_keys(texts[i]))
        return SummaryColumns(TemplateSummary, [list(map(site_of, docs)), keys], len(docs))

    def file_decisions(
        self,
        shards: Sequence[Sequence[tuple[str, TemplateSummary]]],
        run: TaskMap,
        folder: Path,
        filed: Sequence[Path],
    ) -> list[bool]:
        """Each document's template lines, counted in tasks that ``run`` places on the workers
        (see the module docstring) and filed per shard by the last of them at ``filed[i]``;
        returns which shards got a file. ``folder`` must be visible to every worker and is
        removed at the end."""
        folder = Path(os.path.abspath(folder))
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            present = [s for s, summaries in enumerate(shards) if len(summaries)]
            partitions = max(1, math.ceil(sum(len(s) for s in shards) / DOCS_PER_PARTITION))
            min_docs, share = self.cfg.template_min_docs, self.cfg.template_share
            alone = (min_docs, share) if len(present) == 1 else None
            list(run(shard_site_counts, [(shards[s], s, folder, partitions, alone) for s in present]))
            list(run(partition_templates, [(folder, present, p, min_docs, share) for p in range(partitions)]))
            wrote = [False] * len(shards)
            lines = run(shard_template_lines, [(shards[s], folder, partitions, filed[s]) for s in present])
            for s, filed_one in zip(present, lines, strict=True):
                wrote[s] = filed_one
            return wrote
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def decide_sharded(
        self,
        shards: Sequence[Sequence[tuple[str, TemplateSummary]]],
        run: TaskMap,
        folder: Path,
    ) -> Mapping[str, tuple[int, ...]]:
        """Each document's template lines (their indices among its lines), by key:
        :meth:`file_decisions` read back into one mapping (:func:`~cleaner.stage.gather_decisions`)."""
        return gather_decisions(self, shards, run, folder)

    def apply(self, doc: Document, decision: Sequence[int] | None) -> Document:
        """Drop the lines at the indices ``decision`` names (increasing; template_lines of the
        summary of this document's text)."""
        if not decision or not self.cfg.templates:
            return doc
        text = doc.text
        # The lines with their terminators (as split_lines gives them), and their spans from their lengths.
        lines = text.splitlines(keepends=True)
        if decision[-1] >= len(lines):
            raise ValueError(
                f"a template decision names line {decision[-1]} of a text of {len(lines)} lines: it was "
                "taken for another text; apply a decision to the text that was summarized"
            )
        starts = [0, *itertools.accumulate(map(len, lines))]
        drops = tuple(
            assemble_drop(STAGE, Reason.TEMPLATE, Unit.LINE, lines[i], starts[i], starts[i + 1], "") for i in decision
        )
        return doc.replace(text=remove_spans(text, list(drops)), drops=doc.drops + drops)
