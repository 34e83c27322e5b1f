"""The signals stage: the language and the quality signals of every document, and opt-in filters.

It runs after the boilerplate stages (so it measures the text that will be written) and before
dedup (so a dropped document costs dedup nothing). For each document it

- detects the language (:mod:`cleaner.signals.language`) and stores ``lang`` and ``lang_score``
  in the document's metadata, so JSONL output carries them as fields, and in ``Document.signals``,
  so the report has them;
- measures the quality signals (:mod:`cleaner.signals.quality`) into ``Document.signals``;
- applies the filters that the config switches on (:mod:`cleaner.signals.rules`): a failing
  document is rejected with the rule's ``quality.*`` reason and the measured value in the detail.

With the default config nothing is dropped.

>>> from cleaner.config import QualityConfig
>>> stage = Signals(QualityConfig(min_words=6))
>>> (doc,) = stage([Document(id="a", text="The weather is lovely today.")])
>>> doc.signals["lang"], doc.signals["words"], doc.metadata["lang"]
('en', 5, 'en')
>>> doc.rejected.reason, doc.rejected.detail
(<Reason.QUALITY_TOO_SHORT: 'quality.too_short'>, 'words=5 < 6 (min_words)')
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from cleaner.config import QualityConfig
from cleaner.record import Document, Reason
from cleaner.signals.language import LanguageDetector
from cleaner.signals.quality import SIGNALS, QualityMeasurer, c4_verdict, with_language
from cleaner.signals.rules import C4_REASONS, RULE_REASONS, active_rules, fmt, threshold_rules

# Metadata keys (and JSONL fields) the stage writes. A record's own field of the same name is replaced.
LANG_FIELDS = ("lang", "lang_score")
# Signals are rounded to this many decimals in the report (the rules use the exact values).
REPORT_DECIMALS = 4


class Signals:
    """Stage: language and quality signals on every document, then the configured filters."""

    name = "signals"
    unread = frozenset({"drops", "edits"})  # it writes the signals (see cleaner.stage)

    def __init__(self, cfg: QualityConfig | None = None) -> None:
        self.config = cfg or QualityConfig()
        self.rules = active_rules(self.config)
        self._thresholds = threshold_rules(self.rules)
        self._languages = frozenset(self.config.languages)
        self._filters = bool(self.rules or self._languages)
        self.detector = LanguageDetector()
        self.measurer = QualityMeasurer()
        self._fields: dict[tuple[str, ...], tuple[str, ...]] = {}  # a record's fields -> with LANG_FIELDS

    def setup(self) -> None:
        self.measurer.measure("Warm up the compiled kernels.", "en")

    def release(self) -> None:
        """Drop the language model until the next document needs it (between phases)."""
        self.detector.release()

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        stream = iter(docs)
        # The languages of a window of documents, then their signals a batch at a time (the numpy
        # passes find a batch's tokens together: measure_arrays): CLD2 and the signals' loops
        # take turns once a window, not once a batch (each, presumably, finds more of its own
        # tables still in the caches). The dump's texts in calls of 256 documents, as the runner
        # hands them, in process: 0.655 CPU-s with each batch's languages and then its signals,
        # 0.633 so (medians of 11 runs alternated in one process).
        while window := list(itertools.islice(stream, WINDOW_DOCS)):
            langs = [self.detector.detect(doc.text) for doc in window]
            for start, end in _batches(window):
                batch, found = window[start:end], langs[start:end]
                values = self.measurer.measure_arrays([doc.text for doc in batch], [lang for lang, _ in found])
                # The report's values of the whole batch rounded in one call (as each text's alone).
                rounded = np.round(values, REPORT_DECIMALS).tolist()
                for doc, (lang, score), measured, shown in zip(batch, found, values, rounded, strict=True):
                    yield self._judge(doc, lang, score, measured, shown)

    def measure(self, text: str) -> dict[str, Any]:
        """``lang``, ``lang_score`` and every quality signal of ``text``, exact (not rounded)."""
        lang, score = self.detector.detect(text)
        return {"lang": lang, "lang_score": score, **self.measurer.measure(text, lang)}

    def apply(self, doc: Document) -> Document:
        lang, score = self.detector.detect(doc.text)
        return self._judge(doc, lang, score, self.measurer.measure_array(doc.text, lang))

    def _judge(self, doc: Document, lang: str, score: float, values: Any, shown: list[float] | None = None) -> Document:
        """``doc`` with its language and ``values`` (the measured signals; ``shown``: them rounded
        for the report, where the caller has them, a list this call may change), rejected where a
        filter says so."""
        fields = self._fields.get(doc.fields) if doc.fields else ()
        if fields is None:  # a record's field order not met yet (a file's records share one or a few)
            fields = self._fields[doc.fields] = doc.fields + tuple(f for f in LANG_FIELDS if f not in doc.fields)
        if shown is None:
            shown = values.round(REPORT_DECIMALS).tolist()
        doc = doc.replace(
            metadata={**doc.metadata, "lang": lang, "lang_score": score},
            fields=fields,
            signals=with_language(lang, score, shown),
        )
        if not self._filters:
            return doc
        verdict = self.verdict(with_language(lang, score, values.tolist()), doc.text)
        return doc if verdict is None else doc.reject(*verdict)

    def verdict(self, signals: dict[str, Any], text: str) -> tuple[Reason, str] | None:
        """The reason and detail of the first filter ``signals`` fail, or None to keep the document."""
        if self._languages and signals["lang"] not in self._languages:
            return Reason.QUALITY_LANGUAGE, (
                f"lang={signals['lang']} (score {fmt(signals['lang_score'])}) not in {','.join(self.config.languages)}"
            )
        for rule, signal, is_min, threshold in self._thresholds:
            value = signals[signal]
            if (value < threshold) if is_min else (value > threshold):
                reason = Reason.QUALITY_TOO_LONG if rule == "max_words" else RULE_REASONS[signal]
                return reason, f"{signal}={fmt(value)} {'<' if is_min else '>'} {fmt(threshold)} ({rule})"
        rules = self.rules
        if rules.get("min_c4_sentences") or rules.get("drop_lorem_ipsum") or rules.get("drop_curly_bracket"):
            c4 = c4_verdict(
                text,
                min_sentences=int(rules.get("min_c4_sentences") or 0),
                lorem_ipsum=bool(rules.get("drop_lorem_ipsum")),
                curly_bracket=bool(rules.get("drop_curly_bracket")),
            )
            if c4 is not None:
                what, sentences = c4
                if what == "too_few_sentences":
                    detail = f"c4 sentences={sentences} < {rules['min_c4_sentences']} (min_c4_sentences)"
                else:
                    detail = f"a line C4 keeps contains {'lorem ipsum' if what == 'lorem_ipsum' else '{'} (drop_{what})"
                return C4_REASONS[what], detail
        return None


# Documents measured together (QualityMeasurer.measure_arrays): at most this many, and no more
# characters than BATCH_CHARS unless one document alone holds more (the numpy passes keep a few
# dozen bytes of arrays per character of a batch).
BATCH_DOCS = 64
BATCH_CHARS = 1 << 18
# Documents whose languages are detected before their batches are measured: the runner's batch
# (cleaner.runners.core.BATCH_DOCS).
WINDOW_DOCS = 256


def _batches(docs: list[Document]) -> Iterator[tuple[int, int]]:
    """Where each batch of ``docs`` to measure together starts and ends."""
    start = chars = 0
    for end, doc in enumerate(docs, 1):
        chars += len(doc.text)
        if end - start == BATCH_DOCS or chars >= BATCH_CHARS or end == len(docs):
            yield start, end
            start, chars = end, 0


__all__ = ["SIGNALS", "LanguageDetector", "QualityMeasurer", "Signals"]
