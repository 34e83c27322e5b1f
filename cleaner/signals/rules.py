"""The filters on the signals: named presets with their published thresholds, and single rules.

A rule is a field of :class:`cleaner.config.QualityConfig` named ``min_<signal>`` or
``max_<signal>``: a document whose signal is below the minimum (above the maximum) is dropped with
the rule's reason code and the measured value in the detail. A preset is a set of rules; rules set
in the config override the preset's value. Every rule is off (None) unless a preset or the user
sets it: cleaner drops nothing on quality grounds unless asked.

Thresholds, and where they come from (re-check against datatrove with benchmarks/bench_quality.py):

- ``gopher``: Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from Training
  Gopher", appendix A1 (quality filters and Table A1, repetition); the values of datatrove's
  GopherQualityFilter and GopherRepetitionFilter.
- ``c4``: Raffel et al. 2020, "Exploring the Limits of Transfer Learning" (T5), section 2.2: pages
  with fewer than 5 sentences (after C4's line rules), with "lorem ipsum" or with a curly bracket
  are dropped (datatrove's C4QualityFilter). C4's line removals are not applied by this preset.
- ``fineweb``: Penedo et al. 2024, "The FineWeb Datasets", section 3.5 (custom filters): datatrove's
  FineWebQualityFilter (line punctuation 0.12, short lines 0.67, repeated-line characters 0.01,
  line breaks per word 0.3). FineWeb's full pipeline is ``gopher,c4,fineweb`` together.

>>> from cleaner.config import QualityConfig
>>> rules = active_rules(QualityConfig(presets=("gopher",), min_words=20))
>>> rules["min_words"], rules["max_dup_10gram_chars"]
(20, 0.1)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cleaner.config import QualityConfig
from cleaner.record import Reason

PRESETS: dict[str, dict[str, Any]] = {
    "gopher": {
        # Gopher quality filter (Rae et al. 2021, A1): 50 to 100,000 words, mean word length 3 to 10,
        # symbol-to-word ratio 0.1 for '#' or ellipses, 90% bullet lines, 30% ellipsis lines, 80% of
        # words with a letter, at least two of the eight stop words.
        "min_words": 50,
        "max_words": 100_000,
        "min_mean_word_length": 3.0,
        "max_mean_word_length": 10.0,
        "max_symbol_word_ratio": 0.1,
        "max_bullet_lines": 0.9,
        "max_ellipsis_lines": 0.3,
        "min_alpha_words": 0.8,
        "min_gopher_stop_words": 2,
        # Gopher repetition filter (Rae et al. 2021, Table A1).
        "max_dup_line_share": 0.3,
        "max_dup_para_share": 0.3,
        "max_dup_line_chars": 0.2,
        "max_dup_para_chars": 0.2,
        "max_top_2gram_chars": 0.20,
        "max_top_3gram_chars": 0.18,
        "max_top_4gram_chars": 0.16,
        "max_dup_5gram_chars": 0.15,
        "max_dup_6gram_chars": 0.14,
        "max_dup_7gram_chars": 0.13,
        "max_dup_8gram_chars": 0.12,
        "max_dup_9gram_chars": 0.11,
        "max_dup_10gram_chars": 0.10,
    },
    "c4": {
        # C4 (Raffel et al. 2020, 2.2): at least 5 sentences, no "lorem ipsum", no "{".
        "min_c4_sentences": 5,
        "drop_lorem_ipsum": True,
        "drop_curly_bracket": True,
    },
    "fineweb": {
        # FineWeb custom filters (Penedo et al. 2024, 3.5; datatrove FineWebQualityFilter defaults).
        "min_line_punct": 0.12,
        "max_short_lines": 0.67,
        "max_nonblank_dup_line_chars": 0.01,
        "max_newline_per_word": 0.3,
    },
}

# Signal -> reason code of a rule on it; rules are checked in this order, the first failing one drops.
RULE_REASONS: dict[str, Reason] = {
    "lang_score": Reason.QUALITY_LANGUAGE,
    "words": Reason.QUALITY_TOO_SHORT,  # max_words uses QUALITY_TOO_LONG
    "mean_word_length": Reason.QUALITY_WORD_LENGTH,
    "symbol_word_ratio": Reason.QUALITY_SYMBOLS,
    "bullet_lines": Reason.QUALITY_BULLET_LINES,
    "ellipsis_lines": Reason.QUALITY_ELLIPSIS_LINES,
    "alpha_words": Reason.QUALITY_NON_ALPHA,
    "stop_words": Reason.QUALITY_STOP_WORDS,
    "gopher_stop_words": Reason.QUALITY_STOP_WORDS,
    "dup_para_share": Reason.QUALITY_REPETITION,
    "dup_para_chars": Reason.QUALITY_REPETITION,
    "dup_line_share": Reason.QUALITY_REPETITION,
    "dup_line_chars": Reason.QUALITY_REPETITION,
    "top_2gram_chars": Reason.QUALITY_REPETITION,
    "top_3gram_chars": Reason.QUALITY_REPETITION,
    "top_4gram_chars": Reason.QUALITY_REPETITION,
    "dup_5gram_chars": Reason.QUALITY_REPETITION,
    "dup_6gram_chars": Reason.QUALITY_REPETITION,
    "dup_7gram_chars": Reason.QUALITY_REPETITION,
    "dup_8gram_chars": Reason.QUALITY_REPETITION,
    "dup_9gram_chars": Reason.QUALITY_REPETITION,
    "dup_10gram_chars": Reason.QUALITY_REPETITION,
    "line_punct": Reason.QUALITY_LINE_PUNCTUATION,
    "short_lines": Reason.QUALITY_SHORT_LINES,
    "nonblank_dup_line_chars": Reason.QUALITY_REPETITION,
    "newline_per_word": Reason.QUALITY_LIST_LIKE,
}
C4_REASONS = {
    "lorem_ipsum": Reason.QUALITY_LOREM_IPSUM,
    "curly_bracket": Reason.QUALITY_CURLY_BRACKET,
    "too_few_sentences": Reason.QUALITY_TOO_FEW_SENTENCES,
}
_NOT_RULES = {"languages", "presets", "min_c4_sentences", "drop_lorem_ipsum", "drop_curly_bracket"}


def active_rules(cfg: QualityConfig) -> dict[str, Any]:
    """The rules in force: each preset's values in turn, then every rule the config sets itself."""
    rules: dict[str, Any] = {}
    for name in cfg.presets:
        rules.update(PRESETS[name])
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if f.name in ("languages", "presets"):
            continue
        if value is not None and value is not False:
            rules[f.name] = value
    return rules


def threshold_rules(rules: dict[str, Any]) -> list[tuple[str, str, bool, float]]:
    """``(rule, signal, is_minimum, threshold)`` for the min/max rules, in checking order."""
    out = []
    for signal in RULE_REASONS:
        for is_min in (True, False):
            name = f"{'min' if is_min else 'max'}_{signal}"
            if name in rules and name not in _NOT_RULES:
                out.append((name, signal, is_min, float(rules[name])))
    return out


def fmt(value: float) -> str:
    """A measured value or threshold for a drop's detail: integers plain, ratios to 4 decimals."""
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}"
