"""The compact py3langid model (signals/language.load_langid) decides as py3langid's own loader."""

from __future__ import annotations

import numpy as np
import pytest

from cleaner import cache
from cleaner.config import Config
from cleaner.pipeline import Pipeline
from cleaner.signals import Signals, language
from cleaner.signals.language import LanguageDetector, load_langid

langid = pytest.importorskip("py3langid.langid")

TEXTS = [
    "",
    "x",
    "12 345 -- !!",
    "The weather is lovely today.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "ÉCOLE NORMALE SUPÉRIEURE",
    "Привет, как дела? Всё хорошо.",
    "Γειά σου Κόσμε",
    "日本語のテキストです。",
    "مرحبا بالعالم",
    "Dit is een korte Nederlandse zin over het weer.",
    "Zażółć gęślą jaźń.",
    "\N{CYRILLIC SMALL LETTER A}bc mixed script",
    "x\udcff surrogate-escaped byte",
]


def test_compact_model_gives_py3langids_decisions_and_scores() -> None:
    reference = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    compact = load_langid()
    rng = np.random.default_rng(3)
    words = " ".join(TEXTS).split()
    texts = list(TEXTS) + [" ".join(rng.choice(words, size=int(n))) for n in rng.integers(1, 120, 300)]
    for text in texts:
        assert compact.classify(text) == reference.classify(text), text
        assert compact.rank(text) == reference.rank(text), text
    assert isinstance(compact._rowbase, memoryview)  # the compact form, not py3langid's lists


def test_release_drops_the_model_and_detection_reloads_it() -> None:
    detector = LanguageDetector()
    short = "Das Wetter ist heute schön."  # under MIN_CLD2_CHARS: py3langid decides
    first = detector.detect(short)
    assert detector._langid is not None
    pipeline = Pipeline(Config())
    stage = next(s for s in pipeline.steps if isinstance(s, Signals))
    stage.detector = detector
    pipeline.release()
    assert detector._langid is None
    assert detector.detect(short) == first


def test_the_cached_model_decides_as_py3langid_without_decompressing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    reference = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    first = load_langid()  # decompresses and leaves the arrays in the cache
    assert sorted(p.name for p in tmp_path.glob("py3langid-*/*.npy")) == sorted(
        f"{name}.npy" for name in language._MODEL_ARRAYS
    )

    def no_decompression(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was decompressed again")

    monkeypatch.setattr(language.lzma, "open", no_decompression)
    cached = load_langid()
    assert isinstance(cached.nb_ptc, np.memmap)  # read from the cache
    for text in [*TEXTS, "Das Wetter ist heute schön.", "Le temps est magnifique aujourd'hui."]:
        assert cached.classify(text) == first.classify(text) == reference.classify(text), text
        assert cached.rank(text) == reference.rank(text), text


def test_a_cache_that_cannot_be_written_or_is_off_only_costs_speed(tmp_path, monkeypatch) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocked / "cache"))
    assert load_langid().classify("Das Wetter ist heute schön.")[0] == "de"
    monkeypatch.setenv(cache.CACHE_ENV, "")
    assert cache.cache_folder() is None
    assert load_langid().classify("Das Wetter ist heute schön.")[0] == "de"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
