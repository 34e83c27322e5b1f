"""Frozen configuration values, one dataclass per stage, validated with messages that say what to do.

Change a config with ``dataclasses.replace``; never assign to it:

>>> cfg = Config()
>>> cfg.dedup.threshold
0.8
>>> cfg2 = dataclasses.replace(cfg, dedup=dataclasses.replace(cfg.dedup, threshold=0.9))
>>> cfg2.dedup.threshold, cfg.dedup.threshold
(0.9, 0.8)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from cleaner.errors import ConfigError

STAGES: tuple[str, ...] = ("normalize", "boilerplate", "signals", "dedup")
QUALITY_PRESETS: tuple[str, ...] = ("gopher", "c4", "fineweb")
# Values of DedupConfig.components.
COMPONENTS: tuple[str, ...] = ("auto", "driver", "tasks")


@dataclass(frozen=True)
class NormalizeConfig:
    """Options of the normalize stage (see cleaner.normalize)."""

    fix_encoding: bool = True  # mojibake repair through ftfy
    unescape_html: bool = True  # &amp; &#233; in plain text
    repair_lookalikes: bool = True  # Latin words carrying Cyrillic/Greek lookalike letters
    remove_invisibles: bool = True  # zero-width, bidi controls, soft hyphens, C0/C1 controls
    normalize_spaces: bool = True  # no-break and other Unicode spaces -> ASCII space
    normalize_line_breaks: bool = True  # CR LF, CR, U+2028, U+2029, NEL, VT, FF -> "\n"
    nfc: bool = True


@dataclass(frozen=True)
class BoilerplateConfig:
    """Options of the boilerplate stage (see cleaner.boilerplate)."""

    html: bool = True  # extract the article from HTML documents
    text: bool = True  # classify plain-text lines
    templates: bool = True  # drop lines repeated across many documents of one site
    # Keep HTML figure captions and caption-classed blocks. Off by default: article-body
    # annotations (the extraction benchmark) leave them out, and keeping them costs about
    # 0.01 F1 there; each dropped caption is reported as boilerplate.caption either way.
    captions: bool = False
    # Write the text extracted from HTML as Markdown (headings, lists, tables, quotes, code)
    # instead of plain text. Plain text is the default, and what quality is measured on.
    markdown: bool = False
    # A line is a site template when it occurs in at least this many documents of one site
    # and in at least template_share of them.
    template_min_docs: int = 5
    template_share: float = 0.5


@dataclass(frozen=True)
class DedupConfig:
    """Options of the dedup stage (see cleaner.dedup). The index records the signature fields."""

    threshold: float = 0.8  # Jaccard of word n-gram sets for documents
    num_perm: int = 128
    # LSH bands x rows. Left unset (None), they are chosen from the threshold and num_perm
    # (``choose_bands``: 16 x 8 at the default 0.8), however the threshold was set (command
    # line, config file, library); ``lsh_bands`` and ``lsh_rows`` are the values a run uses.
    bands: int | None = None
    rows: int | None = None
    ngram: int = 5
    seed: int = 1
    passages: bool = True  # look for reused passages
    passage_threshold: float = 0.8  # containment of a passage in an earlier passage
    drop_duplicates: bool = True  # False: keep near-duplicate documents, only flag them
    drop_duplicate_passages: bool = False  # True: remove flagged passages from the text
    index: str | None = None  # path of a persistent SQLite index
    # A document whose id and content are already in the index: False reports it as
    # dedup.already_indexed and drops it; True delivers it again (re-indexing after a loss downstream).
    reemit_indexed: bool = False
    index_wait: float = 0.0  # seconds to wait for another run holding the index, then stop
    # Where the sharded barrier finds connected components over the verified edges: "driver"
    # (one process holds them all, 115 B per edge at its peak), "tasks" (rounds of tasks over
    # edge files: the driver holds none), "auto" (the driver up to 8 M edges, then tasks).
    # Same decisions either way (cleaner.dedup.components).
    components: str = "auto"

    @property
    def banding(self) -> tuple[int, int]:
        """The (bands, rows) a run uses: the ones set, else chosen for the threshold.

        A property, not a value stored at construction: ``dataclasses.replace(cfg,
        threshold=0.7)`` must choose again, which a stored choice would not.

        >>> DedupConfig().banding, DedupConfig(threshold=0.7).banding, DedupConfig(bands=8).banding
        ((16, 8), (32, 4), (8, 16))
        """
        if self.bands is not None and self.rows is not None:
            return self.bands, self.rows
        if self.bands is not None:
            return self.bands, self.num_perm // max(self.bands, 1)
        if self.rows is not None:
            return self.num_perm // max(self.rows, 1), self.rows
        return choose_bands(self.threshold, self.num_perm)

    @property
    def lsh_bands(self) -> int:
        return self.banding[0]

    @property
    def lsh_rows(self) -> int:
        return self.banding[1]


def detection_probability(jaccard: float, bands: int, rows: int) -> float:
    """Chance that LSH with ``bands`` x ``rows`` makes a pair of similarity ``jaccard`` a candidate.

    >>> round(detection_probability(0.8, 16, 8), 3), round(detection_probability(0.8, 9, 13), 3)
    (0.947, 0.399)
    """
    return 1.0 - (1.0 - jaccard**rows) ** bands


def choose_bands(threshold: float, num_perm: int = 128, target: float = 0.9) -> tuple[int, int]:
    """Bands x rows (using every permutation) that detect at least ``target`` of the pairs at
    exactly ``threshold``, with as few bands as possible (fewer bands, fewer false candidates
    to verify). The default 0.8 gives 16 x 8; a lower threshold needs more bands (16 x 8 finds
    only about 61% of the pairs at 0.7), which is why the threshold alone must not be changed.

    >>> choose_bands(0.8), choose_bands(0.9), choose_bands(0.7), choose_bands(0.5)
    ((16, 8), (16, 8), (32, 4), (64, 2))
    """
    if not 0.0 < threshold <= 1.0 or num_perm < 1:
        return 16, max(num_perm // 16, 1)  # invalid: validate() says why; any value will do here
    for bands in range(1, num_perm + 1):
        if num_perm % bands == 0 and detection_probability(threshold, bands, num_perm // bands) >= target:
            return bands, num_perm // bands
    return num_perm, 1


@dataclass(frozen=True)
class QualityConfig:
    """Filters of the signals stage (see cleaner.signals): every one off unless set here or by a preset.

    The stage always detects the language and measures the signals; these only decide drops.
    ``min_<signal>`` drops a document whose signal is below the value, ``max_<signal>`` one above it
    (signals are listed in cleaner.signals.quality.SIGNALS). A preset (``gopher``, ``c4``,
    ``fineweb``, see cleaner.signals.rules) sets its published thresholds; a rule set here wins.
    """

    languages: tuple[str, ...] = ()  # keep only documents detected in these languages (ISO 639-1)
    presets: tuple[str, ...] = ()  # gopher, c4, fineweb
    min_lang_score: float | None = None
    min_words: int | None = None
    max_words: int | None = None
    min_mean_word_length: float | None = None
    max_mean_word_length: float | None = None
    max_symbol_word_ratio: float | None = None
    max_bullet_lines: float | None = None
    max_ellipsis_lines: float | None = None
    min_alpha_words: float | None = None
    min_stop_words: int | None = None
    min_gopher_stop_words: int | None = None
    max_dup_line_share: float | None = None
    max_dup_para_share: float | None = None
    max_dup_line_chars: float | None = None
    max_dup_para_chars: float | None = None
    max_top_2gram_chars: float | None = None
    max_top_3gram_chars: float | None = None
    max_top_4gram_chars: float | None = None
    max_dup_5gram_chars: float | None = None
    max_dup_6gram_chars: float | None = None
    max_dup_7gram_chars: float | None = None
    max_dup_8gram_chars: float | None = None
    max_dup_9gram_chars: float | None = None
    max_dup_10gram_chars: float | None = None
    min_line_punct: float | None = None
    max_short_lines: float | None = None
    max_nonblank_dup_line_chars: float | None = None
    max_newline_per_word: float | None = None
    min_c4_sentences: int | None = None
    drop_lorem_ipsum: bool = False
    drop_curly_bracket: bool = False


@dataclass(frozen=True)
class LimitsConfig:
    """Caps that protect a run from hostile inputs."""

    max_document_bytes: int = 64 * 1024 * 1024  # a larger document is an error record
    max_decompressed_bytes: int = 16 * 1024 * 1024 * 1024  # per compressed file (bombs)
    # HTML nested deeper than this is flattened before parsing (browsers cap at 512 too); see htmlguard.
    max_html_depth: int = 512


@dataclass(frozen=True)
class Config:
    """Everything a run needs besides its inputs."""

    stages: tuple[str, ...] = STAGES
    jobs: int = 0  # 0: all cores
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)

    def __post_init__(self) -> None:
        validate(self)


def parse_stages(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Parse ``"dedup,normalize"`` into the known stages, in pipeline order.

    >>> parse_stages("dedup, normalize")
    ('normalize', 'dedup')
    """
    names = [s.strip() for s in (value.split(",") if isinstance(value, str) else value)]
    names = [n for n in names if n]
    for name in names:
        if name not in STAGES:
            raise ConfigError(f"unknown stage {name!r}: choose from {', '.join(STAGES)}")
    return tuple(s for s in STAGES if s in names)


def validate(cfg: Config) -> None:
    """Raise ConfigError naming the first invalid value and what would be valid."""
    parse_stages(cfg.stages)
    if cfg.jobs < 0:
        raise ConfigError(f"jobs must be 0 (all cores) or a positive number, not {cfg.jobs}")
    d = cfg.dedup
    for name in ("threshold", "passage_threshold"):
        value = getattr(d, name)
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"dedup.{name} must be in (0, 1], not {value}")
    for name in ("num_perm", "bands", "rows"):
        value = getattr(d, name)
        if value is not None and value < 1:
            raise ConfigError(f"dedup.{name} must be at least 1, not {value}")
    bands, rows = d.banding
    if bands * rows != d.num_perm:
        raise ConfigError(
            f"dedup.bands x dedup.rows must equal dedup.num_perm ({bands} x {rows} != {d.num_perm}); "
            "set one of them (or neither: they are chosen from the threshold)"
        )
    if d.ngram < 1:
        raise ConfigError(f"dedup.ngram must be at least 1, not {d.ngram}")
    if d.components not in COMPONENTS:
        choices = ", ".join(repr(c) for c in COMPONENTS)
        raise ConfigError(f"dedup.components must be one of {choices}, not {d.components!r}")
    b = cfg.boilerplate
    if b.template_min_docs < 2:
        raise ConfigError(f"boilerplate.template_min_docs must be at least 2, not {b.template_min_docs}")
    if not 0.0 < b.template_share <= 1.0:
        raise ConfigError(f"boilerplate.template_share must be in (0, 1], not {b.template_share}")
    validate_quality(cfg.quality)
    for name in ("max_document_bytes", "max_decompressed_bytes", "max_html_depth"):
        if getattr(cfg.limits, name) <= 0:
            raise ConfigError(f"limits.{name} must be positive")


def validate_quality(q: QualityConfig) -> None:
    """Raise ConfigError for an unknown preset, a malformed language code or a negative threshold."""
    for name in q.presets:
        if name not in QUALITY_PRESETS:
            raise ConfigError(f"unknown quality preset {name!r}: choose from {', '.join(QUALITY_PRESETS)}")
    for code in q.languages:
        if not (isinstance(code, str) and 2 <= len(code) <= 3 and code.isascii() and code.isalpha() and code.islower()):
            raise ConfigError(f"quality.languages: {code!r} is not a language code; use ISO 639-1 codes like en, de")
    for f in dataclasses.fields(q):
        value = getattr(q, f.name)
        if f.name.startswith(("min_", "max_")) and value is not None and value < 0:
            raise ConfigError(f"quality.{f.name} must be 0 or more, not {value}")


def parse_languages(value: str) -> tuple[str, ...]:
    """Parse ``"en, DE"`` into language codes: lower case, duplicates dropped, in the order given.

    >>> parse_languages("en, DE,en")
    ('en', 'de')
    """
    return tuple(dict.fromkeys(c.strip().lower() for c in value.split(",") if c.strip()))


__all__ = [
    "STAGES",
    "BoilerplateConfig",
    "Config",
    "DedupConfig",
    "LimitsConfig",
    "NormalizeConfig",
    "QualityConfig",
    "choose_bands",
    "dataclasses",
    "detection_probability",
    "parse_languages",
    "parse_stages",
]
