"""Which language a document is written in: pycld2 first, py3langid for short or unsure texts.

Both models ship inside their wheels, so nothing is fetched at run time. The choice is measured in
benchmarks/bench_langid.py (31 languages, real translated text at three lengths; README has the
table): CLD2 (pycld2) is about ten times faster than py3langid on page-sized text and as accurate
there, but weaker on short text, where py3langid is the better of the fast detectors. So CLD2 reads
the first ``PREFIX_CHARS`` characters of a document; when the text is shorter than
``MIN_CLD2_CHARS`` or CLD2 does not call its answer reliable, py3langid decides. The combination is
more accurate than either alone at every length (0.926 / 0.968 / 0.982 on short / medium / long
samples, against 0.926 / 0.967 / 0.976 for py3langid and 0.837 / 0.936 / 0.974 for pycld2).
lingua-language-detector was the most accurate (0.933 / 0.977 / 0.990) but detects 300 to 500
documents per CPU-second, 30 to 70 times fewer than this pair, which the stage's speed budget
(20 MB of dump per CPU-second) does not allow.

The confidence (``lang_score``, 0 to 1) is CLD2's share of the text in the winning language when
CLD2 decided, and py3langid's normalized probability otherwise. A text without letters is ``und``
(undetermined) with confidence 0.

>>> detector = LanguageDetector()
>>> detector.detect("Der schnelle braune Fuchs springt über den faulen Hund, der im Garten schläft.")[0]
'de'
>>> detector.detect("12 345 -- !!")
('und', 0.0)
"""

from __future__ import annotations

import contextlib
import lzma
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from cleaner import cache
from cleaner.cache import cache_folder

# The detectors read at most this much of a document: the length of the benchmark's "long"
# samples (550-700 characters), where the combination is right 98% of the time; it keeps the cost
# per document flat whatever the document's size.
PREFIX_CHARS = 640
# (CLD2 takes about 25 us a document here. Measured on the dump's 13,148 documents and not taken:
# its isPlainText flag, which changes the scores of 3,531 of them and saves nothing, UTF-8 bytes
# instead of str (the same time), and a memo of samples: only 160 of them repeat. Session 20, the
# same documents (all ASCII, all 100 characters or more): CLD2's calls 0.49 CPU-s, detect() around
# them 0.03 more, the same with the lookups trimmed; a call on a 24-character text takes 5.5 us,
# so most of a call is CLD2 scoring the sample, which the results rule out shortening.)
# Below this many characters py3langid decides: on the benchmark's texts of 20-60 characters it
# is right 92% of the time against 84% for CLD2 (re-check with benchmarks/bench_langid.py).
MIN_CLD2_CHARS = 100
UNDETERMINED = "und"
_LETTER = re.compile(r"[^\W\d_]")
# Codes that name one language differently in the two detectors, mapped to ISO 639-1.
_SAME = {"iw": "he", "jw": "jv", "nb": "no", "nn": "no", "zh-hant": "zh", "zh-hans": "zh", "zh-tw": "zh", "zh-cn": "zh"}


def _import_error(name: str, exc: ImportError) -> ImportError:
    return ImportError(
        f"language identification needs {name} ({exc}); install it with `pip install {name}` "
        "or reinstall cleaner, or switch the stage off with `--stages normalize,boilerplate,dedup`"
    )


class LanguageDetector:
    """Detect a text's language; models load on first use and stay with the object (pickles empty)."""

    def __init__(self) -> None:
        self._cld2: Any = None
        self._langid: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {}  # the models are rebuilt in each worker, never pickled across processes

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def _load_cld2(self) -> Any:
        if self._cld2 is None:
            try:
                import pycld2
            except ImportError as exc:
                raise _import_error("pycld2", exc) from exc
            self._cld2 = pycld2
        return self._cld2

    def _load_langid(self) -> Any:
        if self._langid is None:
            self._langid = load_langid()
        return self._langid

    def release(self) -> None:
        """Drop the py3langid model (about 70 MB decompressed, the pages it read when memory-mapped
        from the cache; loaded again on next use): a runner calls it when the stage is done for a
        phase, before the dedup barrier."""
        self._langid = None

    def detect(self, text: str) -> tuple[str, float]:
        """The ISO 639-1 code of ``text``'s language and a confidence from 0 to 1."""
        sample = text[:PREFIX_CHARS]
        if _LETTER.search(sample) is None:
            return UNDETERMINED, 0.0
        if len(sample) >= MIN_CLD2_CHARS:
            cld2 = self._load_cld2()
            try:
                reliable, _, details = cld2.detect(sample)
            except cld2.error:  # text CLD2 calls invalid UTF-8 (noncharacters, some controls)
                reliable, details = False, ()
            if reliable and details and details[0][1] != "un":
                return _code(details[0][1]), round(details[0][2] / 100.0, 4)
        lang, prob = self._load_langid().classify(sample)
        return _code(lang), round(float(prob), 4)


def load_langid() -> Any:
    """py3langid's model with ``norm_probs``, its arrays kept as numpy arrays read through
    memoryviews: about 72 MB resident against 82 MB (and 124 MB at the peak of loading) for
    ``LanguageIdentifier.from_model_file``, same decisions, same speed.

    ``from_model_file`` copies the 9.8 million DFA transitions (uint32) into an ``array``, and
    turns the two per-state columns into lists of Python ints (4 MB each). The DFA walk only
    indexes them (``nm[rowbase[state] + byte]``, ``out[state]``), and a memoryview of a numpy
    array gives the same Python ints as fast. The NB tables are py3langid's own (float16
    ``ptc``), so every score is computed by its code from the same numbers.
    tests/signals/test_language.py compares the two on texts of every length.

    The arrays come from cleaner's cache folder (``cleaner.cache``) when an earlier run left them
    there, memory-mapped; else they are decompressed and left there for the next run.
    """
    try:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    except ImportError as exc:
        raise _import_error("py3langid", exc) from exc
    data = _model_arrays(Path(MODEL_DIR) / MODEL_FILE)
    ptc, pc, classes = data["ptc"], data["pc"], data["classes"].tolist()
    nextmove, row, output = data["nextmove"], data["nextmove_row"], data["out_feat"]
    identifier = LanguageIdentifier(
        ptc, pc, classes, memoryview(nextmove), memoryview(output), norm_probs=True, tk_row=memoryview(row)
    )
    # Its row offsets, pre-shifted as __init__ does (r << 8), as one array instead of a list.
    identifier._rowbase = memoryview(row.astype(np.uint32) << np.uint32(8))
    return identifier


# Where load_langid keeps py3langid's model decompressed. Its LZMA stream (4.6 MB, 68 MB of
# arrays) takes about 0.35 CPU-s to decompress, in every process that meets one text CLD2 is
# unsure of (4 of the 12,607 documents of the 30 MB gen_dump dump), while the arrays as .npy
# files open in a millisecond, memory-mapped: the DFA walk and the sparse scores read only the
# pages they touch, so the process holds tens of MB less too. The same numbers either way, so
# no decision depends on the cache.
_MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _model_arrays(model: Path) -> dict[str, Any]:
    """The arrays of py3langid's ``model.npz.xz``: memory-mapped from the cache, or decompressed
    (and then cached, where the folder can be written; a failure to write only costs speed)."""
    folder = cache_folder()
    if folder is None:
        return _decompress(model)
    # Named by the model file (its path, size and modification time: another py3langid version, or the
    # same one installed again, gets its own folder), not by its contents: hashing the 4.6 MB took 16 ms.
    stat = model.stat()
    cached = folder / f"py3langid-{cache.key(str(model.resolve()), str(stat.st_size), str(stat.st_mtime_ns))}"
    try:
        return {name: np.load(cached / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _MODEL_ARRAYS}
    except (OSError, ValueError):
        pass  # not there yet (or unreadable): decompress
    arrays = _decompress(model)
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then renamed: a reader sees all the files or none.
        # Where another process renamed its copy first, the rename fails and this copy goes.
        tmp = Path(tempfile.mkdtemp(prefix=f".{cached.name}.", dir=folder))
        try:
            for name, array in arrays.items():
                np.save(tmp / f"{name}.npy", array, allow_pickle=False)
            tmp.rename(cached)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return arrays


def _decompress(model: Path) -> dict[str, Any]:
    """The model's arrays in memory. As py3langid's modelio.load_model: the LZMA stream to a
    temporary file, then np.load, which reads each array in chunks (no second copy of any)."""
    with tempfile.TemporaryFile(suffix=".npz") as tmp:
        with lzma.open(model) as src:
            shutil.copyfileobj(src, tmp, length=1 << 20)
        tmp.seek(0)
        with np.load(tmp, allow_pickle=False) as data:
            return {name: data[name] for name in _MODEL_ARRAYS}


def _code(code: str) -> str:
    code = code.lower()
    return _SAME.get(code, code)
