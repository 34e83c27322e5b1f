"""The signals stage in runs: lang and signals on every document, filters from the library, the
command line and TOML, their reasons in the report and in `explain`, and byte-identical reruns."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleaner.api import clean
from cleaner.cli import main
from cleaner.config import Config, QualityConfig
from cleaner.errors import ConfigError
from cleaner.record import Document, Reason
from cleaner.signals import Signals
from cleaner.signals.language import LanguageDetector
from cleaner.signals.quality import SIGNALS
from cleaner.signals.rules import PRESETS, active_rules
from tests.helpers import read_report, write_jsonl

ARTICLE = (
    "The central bank raised its main interest rate by a quarter of a percentage point on Tuesday, "
    "saying that inflation had been higher than expected for most of the year. Officials said the "
    "decision was taken with a clear majority, and that they would continue to watch the labour market "
    "with care in the months ahead. Markets had expected the move, and share prices rose slightly."
)
GERMAN = (
    "Die Zentralbank hat am Dienstag ihren Leitzins um einen Viertelprozentpunkt angehoben, weil die "
    "Inflation im größten Teil des Jahres höher war als erwartet. Die Entscheidung fiel mit klarer Mehrheit."
)
SPAM = "Buy the cheap pills and save money with our offer now. " * 20
RECORDS = [
    {"id": "article", "text": ARTICLE},
    {"id": "german", "text": GERMAN},
    {"id": "spam", "text": SPAM},
    {"id": "short", "text": "Click here."},
]


def run_clean(tmp_path: Path, *args: str, records: list[dict] = RECORDS) -> tuple[list[dict], dict[str, dict]]:
    src = write_jsonl(tmp_path / "in" / "docs.jsonl", records)
    out, report = tmp_path / "out", tmp_path / "report.jsonl"
    result = CliRunner().invoke(
        main, ["clean", str(src), "-o", str(out), "--report", str(report), "--jobs", "1", "-q", *args]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in (out / "docs.jsonl").read_text(encoding="utf-8").splitlines()]
    return rows, {r["id"]: r for r in read_report(report)}


def test_default_run_drops_nothing_and_records_lang_and_signals(tmp_path: Path) -> None:
    rows, report = run_clean(tmp_path)
    assert [r["id"] for r in rows] == ["article", "german", "spam", "short"]
    assert [(r["lang"], r["lang_score"] > 0.5) for r in rows[:2]] == [("en", True), ("de", True)]
    for rec in report.values():
        assert rec["status"] == "kept"
        assert rec["lang"] == next(r["lang"] for r in rows if r["id"] == rec["id"])
        assert list(rec["signals"]) == list(SIGNALS)
    assert report["spam"]["signals"]["dup_5gram_chars"] > 0.5


def test_languages_option_keeps_only_those(tmp_path: Path) -> None:
    rows, report = run_clean(tmp_path, "--languages", "de")
    assert [r["id"] for r in rows] == ["german"]
    article = report["article"]
    assert article["reason"] == "quality.language" and article["detail"].startswith("lang=en ")


def test_quality_preset_from_the_command_line(tmp_path: Path) -> None:
    rows, report = run_clean(tmp_path, "--quality", "gopher")
    assert [r["id"] for r in rows] == ["article"]
    assert report["short"]["reason"] == "quality.too_short"
    assert report["short"]["detail"] == "words=2 < 50 (min_words)"
    assert report["spam"]["reason"] == "quality.repetition"
    assert "(max_" in report["spam"]["detail"]


def test_single_rule_from_toml_and_command_line_over_it(tmp_path: Path) -> None:
    config = tmp_path / "cleaner.toml"
    config.write_text('[quality]\nmin_words = 20\nlanguages = ["en"]\n', encoding="utf-8")
    rows, report = run_clean(tmp_path, "--config", str(config))
    assert [r["id"] for r in rows] == ["article", "spam"]
    assert report["german"]["reason"] == "quality.language"
    assert report["short"]["reason"] == "quality.too_short"
    rows, _ = run_clean(tmp_path, "--config", str(config), "--languages", "en,de")
    assert [r["id"] for r in rows] == ["article", "german", "spam"]


def test_bad_preset_and_language_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown quality preset 'gohper'"):
        QualityConfig(presets=("gohper",)) and Config(quality=QualityConfig(presets=("gohper",)))
    with pytest.raises(ConfigError, match="not a language code"):
        Config(quality=QualityConfig(languages=("english",)))
    result = CliRunner().invoke(main, ["config", "show", "--quality", "c5"])
    assert result.exit_code != 0 and "unknown quality preset 'c5'" in result.output


def test_library_filters_and_presets() -> None:
    cfg = Config(quality=QualityConfig(presets=("gopher",)))
    kept = [d.id for d in clean([ARTICLE, SPAM, "Click here."], cfg)]
    assert kept == ["0"]
    docs = list(clean([ARTICLE, SPAM], Config(quality=QualityConfig(max_top_2gram_chars=0.1)), include_rejected=True))
    assert docs[0].rejected is None
    assert docs[1].rejected.reason == Reason.QUALITY_REPETITION
    assert docs[1].rejected.detail.startswith("top_2gram_chars=0.")


@pytest.mark.parametrize(
    ("rule", "value", "reason"),
    [
        ("min_words", 100, Reason.QUALITY_TOO_SHORT),
        ("max_words", 10, Reason.QUALITY_TOO_LONG),
        ("min_mean_word_length", 6.0, Reason.QUALITY_WORD_LENGTH),
        ("min_alpha_words", 0.95, Reason.QUALITY_NON_ALPHA),
        ("min_stop_words", 100, Reason.QUALITY_STOP_WORDS),
        ("max_short_lines", 0.0, None),
        ("min_line_punct", 1.0, None),
        ("min_lang_score", 1.1, Reason.QUALITY_LANGUAGE),
    ],
)
def test_each_rule_has_its_reason_and_value(rule: str, value: float, reason: Reason | None) -> None:
    stage = Signals(QualityConfig(**{rule: value}))
    (doc,) = stage([Document(id="a", text=ARTICLE)])
    if reason is None:  # the article passes these
        assert doc.rejected is None
        return
    assert doc.rejected is not None and doc.rejected.reason == reason
    signal = rule.split("_", 1)[1]
    assert doc.rejected.detail.startswith(f"{signal}=") and f"({rule})" in doc.rejected.detail


def test_rules_are_off_by_default_and_presets_are_overridable() -> None:
    assert active_rules(QualityConfig()) == {}
    rules = active_rules(QualityConfig(presets=("gopher", "fineweb"), min_words=10))
    assert rules["min_words"] == 10 and rules["max_short_lines"] == PRESETS["fineweb"]["max_short_lines"]
    for preset in PRESETS.values():  # every preset key is a QualityConfig field
        assert set(preset) <= {f.name for f in dataclasses.fields(QualityConfig)}


def test_explain_shows_a_quality_drop(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "docs.jsonl", RECORDS)
    result = CliRunner().invoke(main, ["explain", f"{src}:4", "--quality", "gopher"])
    assert result.exit_code == 0, result.output
    assert "dropped (quality.too_short: words=2 < 50 (min_words))" in result.output


def test_reruns_and_jobs_give_identical_bytes(tmp_path: Path) -> None:
    records = [{"id": f"d{i}", "text": t} for i, t in enumerate([ARTICLE, GERMAN, SPAM, "Click here."] * 6)]
    outputs = []
    for i, jobs in enumerate(("1", "2", "1")):
        src = write_jsonl(tmp_path / f"in{i}" / "docs.jsonl", records)
        out, report = tmp_path / f"out{i}", tmp_path / f"report{i}.jsonl"
        result = CliRunner().invoke(
            main,
            ["clean", str(src), "-o", str(out), "--report", str(report), "--jobs", jobs, "-q", "--quality", "c4"],
        )
        assert result.exit_code == 0, result.output
        outputs.append(((out / "docs.jsonl").read_bytes(), report.read_bytes().replace(f"in{i}".encode(), b"in")))
    assert outputs[0] == outputs[1] == outputs[2]


def test_detector_and_stage_pickle_without_models() -> None:
    detector = LanguageDetector()
    assert detector.detect(ARTICLE)[0] == "en"
    copy = pickle.loads(pickle.dumps(Signals(QualityConfig(min_words=5))))
    (doc,) = copy([Document(id="a", text=GERMAN)])
    assert doc.signals["lang"] == "de" and doc.rejected is None
    assert len(pickle.dumps(detector)) < 200  # the models stay out of the pickle


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Le gouvernement a annoncé mardi une nouvelle réforme des retraites, contestée par les syndicats.", "fr"),
        ("El gobierno anunció el martes una nueva reforma de las pensiones, criticada por los sindicatos.", "es"),
        ("Правительство во вторник объявило о новой пенсионной реформе, которую критикуют профсоюзы.", "ru"),
        ("政府は火曜日、労働組合が批判する新しい年金改革を発表した。", "ja"),
        ("Rząd ogłosił we wtorek nową reformę emerytalną, krytykowaną przez związki zawodowe.", "pl"),
        ("Good morning, how are you today?", "en"),
    ],
)
def test_languages_are_detected(text: str, lang: str) -> None:
    assert LanguageDetector().detect(text)[0] == lang


def test_text_without_letters_is_undetermined() -> None:
    assert LanguageDetector().detect("12:30 -- 45,00 € !!!") == ("und", 0.0)
