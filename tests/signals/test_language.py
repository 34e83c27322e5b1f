"""The compact py3langid model (signals/language.load_langid) decides as py3langid's own loader."""

from __future__ import annotations

import numpy as np
import pytest

from cleaner.config import Config
from cleaner.pipeline import Pipeline
from cleaner.signals import Signals
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
