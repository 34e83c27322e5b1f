"""--config cleaner.toml: every option in one file, the command line overriding it; `cleaner config show`."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleaner.cli import main
from cleaner.config import Config
from cleaner.config_file import (
    RUN_OPTIONS,
    RunOptions,
    build_config,
    config_from_toml,
    load_toml,
    load_toml_text,
    to_toml,
    valid_keys,
)
from cleaner.errors import ConfigError


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cleaner.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_config_field_is_a_valid_key() -> None:
    keys = set(valid_keys())
    for section in ("normalize", "boilerplate", "dedup", "limits"):
        for f in dataclasses.fields(getattr(Config(), section)):
            assert f"{section}.{f.name}" in keys
    assert {"stages", "jobs"} <= keys
    assert {f"run.{name}" for name in RUN_OPTIONS} <= keys


def test_every_clean_option_can_come_from_the_file() -> None:
    """Each option of `cleaner clean` maps to a key of the file (a Config field or a [run] key)."""
    covered = {
        "inputs": "run.inputs",
        "outdir": "run.output",
        "report_path": "run.report",
        "html_report": "run.html_report",
        "config_path": None,  # the file itself
        "stages": "stages",
        "jobs": "jobs",
        "index_path": "dedup.index",
        "threshold": "dedup.threshold",
        "keep_duplicates": "dedup.drop_duplicates",
        "drop_duplicate_passages": "dedup.drop_duplicate_passages",
        "reemit_indexed": "dedup.reemit_indexed",
        "debug": "run.debug",
        "quiet": "run.quiet",
        "verbose": "run.verbose",
        "progress": "run.progress",
        "engine": "run.engine",
        "scheduler": "run.scheduler",
        "keep_intermediate": "run.keep_intermediate",
        "keep_captions": "boilerplate.captions",
        "markdown": "boilerplate.markdown",
        "no_passages": "dedup.passages",
        "languages": "quality.languages",
        "quality": "quality.presets",
    }
    clean = main.commands["clean"]
    assert {p.name for p in clean.params} == set(covered)
    keys = set(valid_keys())
    assert {k for k in covered.values() if k} <= keys


def test_unknown_key_names_the_nearest_valid_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[dedup]\ntreshold = 0.9\n")
    with pytest.raises(ConfigError, match=r"unknown key dedup\.treshold .*did you mean dedup\.threshold\?"):
        load_toml(path)


def test_unknown_top_level_key_suggests_the_table_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key threshold .*did you mean dedup\.threshold\?"):
        load_toml(write(tmp_path, "threshold = 0.9\n"))
    with pytest.raises(ConfigError, match=r"unknown key stage .*did you mean stages\?"):
        load_toml(write(tmp_path, 'stage = ["dedup"]\n'))


def test_wrong_type_is_an_error_that_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dedup\.threshold must be a number, not string"):
        config_from_toml(load_toml_text('[dedup]\nthreshold = "high"\n'))
    with pytest.raises(ConfigError, match=r"normalize\.nfc must be true or false"):
        config_from_toml(load_toml_text("[normalize]\nnfc = 1\n"))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[dedup\nthreshold = 0.9\n")
    with pytest.raises(ConfigError, match=r"cleaner\.toml is not valid TOML"):
        load_toml(path)


def test_validation_still_applies_to_file_values() -> None:
    with pytest.raises(ConfigError, match=r"dedup\.threshold must be in \(0, 1\]"):
        config_from_toml(load_toml_text("[dedup]\nthreshold = 1.5\n"))
    with pytest.raises(ConfigError, match=r"dedup\.components must be one of 'auto', 'driver', 'tasks', not 'disk'"):
        config_from_toml(load_toml_text('[dedup]\ncomponents = "disk"\n'))
    assert config_from_toml(load_toml_text('[dedup]\ncomponents = "tasks"\n')).dedup.components == "tasks"


def test_show_round_trips_to_the_same_config() -> None:
    cfg = Config(stages=("normalize", "dedup"), jobs=3)
    cfg = dataclasses.replace(cfg, dedup=dataclasses.replace(cfg.dedup, threshold=0.85, index="seen.sqlite"))
    text = to_toml(cfg, RunOptions(output="out", inputs=("a b/", 'quote"d')))
    parsed = tomllib.loads(text)
    assert config_from_toml(parsed) == cfg
    assert parsed["run"] == {"output": "out", "inputs": ["a b/", 'quote"d']}


def test_config_show_merges_file_then_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'stages = ["normalize", "dedup"]\njobs = 2\n[dedup]\nthreshold = 0.9\n[run]\noutput = "o"\n')
    result = invoke("config", "show", "--config", str(path), "--threshold", "0.7", "--report", "r.jsonl")
    assert result.exit_code == 0, result.output
    shown = tomllib.loads(result.stdout)
    assert shown["stages"] == ["normalize", "dedup"]  # from the file
    assert shown["jobs"] == 2  # from the file: --jobs was not typed
    assert shown["dedup"]["threshold"] == 0.7  # the command line wins
    assert shown["run"] == {"output": "o", "report": "r.jsonl"}


def test_config_show_without_a_file_prints_the_defaults() -> None:
    result = invoke("config", "show")
    assert result.exit_code == 0
    assert config_from_toml(tomllib.loads(result.stdout)) == Config()


def test_config_show_reports_an_unknown_key_as_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[boilerplate]\ntemplate_min_doc = 3\n")
    result = invoke("config", "show", "--config", str(path))
    assert result.exit_code == 2
    assert "unknown key boilerplate.template_min_doc" in result.stderr
    assert "did you mean boilerplate.template_min_docs?" in result.stderr


def test_clean_reads_inputs_output_and_stages_from_the_file(seeds_copy: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    path = write(
        tmp_path,
        f'stages = ["normalize"]\n[run]\ninputs = ["{seeds_copy.as_posix()}"]\noutput = "{out.as_posix()}"\n'
        f'report = "{report.as_posix()}"\nquiet = true\n',
    )
    result = invoke("clean", "--config", str(path), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # quiet from the file
    assert len([p for p in out.iterdir() if p.name != ".cleaner-outputs.json"]) == 5
    assert "boilerplate" not in report.read_text(encoding="utf-8")  # only normalize ran


def test_command_line_overrides_the_file_for_clean(seeds_copy: Path, tmp_path: Path) -> None:
    path = write(tmp_path, '[run]\noutput = "never-used"\nquiet = true\n')
    out = tmp_path / "out"
    result = invoke("clean", str(seeds_copy), "--config", str(path), "-o", str(out), "--stages", "normalize")
    assert result.exit_code == 0, result.output
    assert out.is_dir() and not (tmp_path / "never-used").exists()


def test_clean_without_output_anywhere_says_what_to_do(seeds_copy: Path) -> None:
    result = invoke("clean", str(seeds_copy))
    assert result.exit_code == 2
    assert "pass -o OUTPUT, or set run.output" in result.stderr


def test_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("config", "show", "--config", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "cannot read config file" in result.stderr


def test_run_engine_must_be_a_known_engine(tmp_path: Path) -> None:
    result = invoke("config", "show", "--config", str(write(tmp_path, '[run]\nengine = "spark"\n')))
    assert result.exit_code == 2
    assert "run.engine must be 'local' or 'dask', not 'spark'" in result.stderr


@pytest.mark.parametrize(("threshold", "bands"), [(0.5, (64, 2)), (0.7, (32, 4)), (0.8, (16, 8)), (0.95, (8, 16))])
def test_threshold_gives_the_same_bands_from_cli_toml_and_library(
    tmp_path: Path, threshold: float, bands: tuple[int, int]
) -> None:
    # The band choice belongs to DedupConfig: the command line, a config file and the library
    # must get the same bands for the same threshold, and the index must record them.
    from cleaner.config import DedupConfig
    from cleaner.dedup.index import index_params

    library = DedupConfig(threshold=threshold)
    from_file, _ = build_config(write(tmp_path, f"[dedup]\nthreshold = {threshold}\n"))
    from_options, _ = build_config(None, {"threshold": threshold})
    result = invoke("config", "show", "--threshold", str(threshold))
    assert result.exit_code == 0, result.output
    shown = result.stdout
    assert library.banding == from_file.dedup.banding == from_options.dedup.banding == bands
    assert f"# bands = {bands[0]} (" in shown and f"# rows = {bands[1]} (" in shown
    replaced = dataclasses.replace(DedupConfig(), threshold=threshold)  # a copy re-chooses, too
    assert replaced.banding == bands
    params = index_params(library)
    assert (params["bands"], params["rows"]) == (str(bands[0]), str(bands[1]))
    # Bands set explicitly stand, whatever the threshold.
    pinned, _ = build_config(write(tmp_path, "[dedup]\nbands = 8\nrows = 16\n"), {"threshold": threshold})
    assert pinned.dedup.banding == (8, 16)
