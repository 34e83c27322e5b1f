"""The command line: it parses options, builds a Config, calls the library and prints the report.

Exit codes: 0 every input was processed; 1 some input or record failed (everything else was
still processed and written); 2 usage or configuration error (nothing was written).

Options that shape the pipeline are defined once (``pipeline_options``) and shared by ``clean``,
``explain`` and ``config show``; each can also come from a TOML file (``--config``), which the
command line overrides. Progress and the summary go to stderr; data goes to files or stdout.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from cleaner.config import Config, parse_stages
from cleaner.errors import CleanerError, ConfigError, UsageError

F = TypeVar("F", bound=Callable[..., Any])


def _err(line: str) -> None:
    click.echo(f"cleaner: error: {line}", err=True)


def handle_errors(func: F) -> F:
    """Turn cleaner's own errors into one stderr line and exit code 2; no traceback unless --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        try:
            return func(*args, **kwargs)
        except (ConfigError, UsageError) as exc:
            _err(str(exc))
            sys.exit(2)
        except CleanerError as exc:
            _err(str(exc))
            sys.exit(1)
        except KeyboardInterrupt:
            _err("interrupted; run the same command again to start over (outputs are only ever complete files)")
            sys.exit(130)
        except Exception as exc:
            if debug:
                traceback.print_exc()
            else:
                _err(
                    f"internal error: {type(exc).__name__}: {exc}; re-run with --debug for the traceback "
                    "and please report it"
                )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


INDEX_HELP = "Persistent dedup index (SQLite): check against it, then add this run's documents."


def output_options(func: F) -> F:
    """INPUTS and where results go: shared by `clean` and `config show`."""
    options = [
        click.argument("inputs", nargs=-1, type=str),  # str: a URL (s3://...) must keep its double slash
        click.option(
            "-o",
            "--output",
            "outdir",
            type=click.Path(path_type=Path),
            default=None,
            help="Output folder (required here or as run.output in --config); mirrors the input tree.",
        ),
        click.option(
            "--report",
            "report_path",
            type=click.Path(path_type=Path),
            default=None,
            help="Per-document report (JSONL). Default: OUTPUT.report.jsonl beside the output folder.",
        ),
        click.option(
            "--html-report",
            "html_report",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Also write one self-contained HTML page with charts and samples of what was removed.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def run_options(func: F) -> F:
    """How a run behaves (output on stderr, engine, checkpoints): shared by `clean` and `config show`."""
    options = [
        click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors: no progress, no summary."),
        click.option(
            "-v", "--verbose", is_flag=True, help="Also print one line per input file, and each skipped file."
        ),
        click.option(
            "--progress/--no-progress",
            default=None,
            help="Show progress bars on stderr. Default: only when stderr is a terminal.",
        ),
        click.option(
            "--engine",
            type=click.Choice(["local", "dask"]),
            default=None,
            help="Where shards are processed: local processes (default), or Dask (pip install 'cleaner[dask]'). "
            "Same output.",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            default=None,
            help="Dask scheduler for --engine dask (tcp://host:8786). Default: a local cluster of --jobs workers.",
        ),
        click.option(
            "--keep-intermediate",
            is_flag=True,
            default=None,
            help="Keep the checkpoint folder OUTPUT/.cleaner-work after a finished run (it is always kept after "
            "an interrupted one, so that the same command resumes).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def pipeline_options(index_help: str = INDEX_HELP) -> Callable[[F], F]:
    """The options that shape the pipeline, shared by every command that builds one."""
    return functools.partial(_add_pipeline_options, index_help=index_help)


def _add_pipeline_options(func: F, index_help: str) -> F:
    options = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="TOML file with any of these options (see `cleaner config show`); the command line overrides it.",
        ),
        click.option(
            "--stages",
            default=",".join(Config().stages),
            show_default=True,
            help="Comma-separated stages to run, in pipeline order: normalize,boilerplate,signals,dedup.",
        ),
        click.option(
            "-j",
            "--jobs",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="Worker processes; 0 means one per core. Output is identical for any value.",
        ),
        click.option(
            "--index",
            "index_path",
            type=click.Path(path_type=Path),
            default=None,
            help=index_help,
        ),
        click.option(
            "--threshold",
            type=click.FloatRange(0.0, 1.0, min_open=True),
            default=None,
            help="Near-duplicate threshold (Jaccard of word 5-grams). Default 0.8.",
        ),
        click.option(
            "--keep-duplicates", is_flag=True, help="Keep near-duplicate documents; only flag them in the report."
        ),
        click.option("--drop-duplicate-passages", is_flag=True, help="Remove reused passages from the text."),
        click.option(
            "--no-passages",
            is_flag=True,
            help="Skip reused-passage detection (whole-document dedup only; about 5x faster dedup).",
        ),
        click.option(
            "--keep-captions",
            is_flag=True,
            help="Keep HTML figure captions and photo credits (dropped as boilerplate.caption by default).",
        ),
        click.option(
            "--languages",
            default=None,
            expose_value=False,
            callback=_stash,
            help="Keep only documents detected in these languages, e.g. en,de (others: quality.language).",
        ),
        click.option(
            "--quality",
            default=None,
            expose_value=False,
            callback=_stash,
            help="Quality filter presets to apply, e.g. gopher or gopher,c4,fineweb (off by default).",
        ),
        click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _stash(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep an option's value in ``ctx.meta`` for build_config, so commands need no parameter for it."""
    if value is not None and param.name:
        ctx.meta[f"cleaner.{param.name}"] = value
    return value


def _quality_options(cfg: Config) -> Config:
    """Apply --languages and --quality (stashed by their callbacks) over the config file's [quality]."""
    from cleaner.config import parse_languages

    meta = click.get_current_context().meta
    quality = cfg.quality
    if "cleaner.languages" in meta:
        quality = dataclasses.replace(quality, languages=parse_languages(meta["cleaner.languages"]))
    if "cleaner.quality" in meta:
        presets = tuple(dict.fromkeys(p.strip() for p in meta["cleaner.quality"].split(",") if p.strip()))
        quality = dataclasses.replace(quality, presets=presets)
    return cfg if quality is cfg.quality else dataclasses.replace(cfg, quality=quality)


def _given(name: str) -> bool:
    """Whether option ``name`` was typed on the command line (so it overrides the config file)."""
    ctx = click.get_current_context()
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def build_config(
    config_path: Path | None,
    stages: str,
    jobs: int,
    index_path: Path | None,
    threshold: float | None,
    keep_duplicates: bool,
    drop_duplicate_passages: bool,
    keep_captions: bool,
    no_passages: bool,
) -> tuple[Config, dict[str, Any]]:
    """Defaults, then the config file, then what was given on the command line: the Config and [run]."""
    from cleaner.config_file import config_from_toml, load_toml, run_options

    doc = load_toml(config_path) if config_path is not None else {}
    cfg = config_from_toml(doc)
    run = run_options(doc)
    if _given("stages"):
        cfg = dataclasses.replace(cfg, stages=parse_stages(stages))
    if _given("jobs"):
        cfg = dataclasses.replace(cfg, jobs=jobs)
    dedup = cfg.dedup
    if threshold is not None:
        dedup = dataclasses.replace(dedup, threshold=threshold)
        if not {"bands", "rows"} & set(doc.get("dedup", {})):
            # 16 x 8 bands suit 0.8; at 0.7 they would find only 61% of the pairs. Pick bands that
            # find 90% of the pairs at the new threshold, unless the config file sets them.
            from cleaner.dedup.signatures import choose_bands

            bands, rows = choose_bands(threshold, dedup.num_perm)
            dedup = dataclasses.replace(dedup, bands=bands, rows=rows)
    if no_passages:
        dedup = dataclasses.replace(dedup, passages=False)
    if index_path is not None:
        dedup = dataclasses.replace(dedup, index=str(index_path))
    if keep_duplicates:
        dedup = dataclasses.replace(dedup, drop_duplicates=False)
    if drop_duplicate_passages:
        dedup = dataclasses.replace(dedup, drop_duplicate_passages=True)
    if keep_captions:
        cfg = dataclasses.replace(cfg, boilerplate=dataclasses.replace(cfg.boilerplate, captions=True))
    cfg = _quality_options(cfg)
    return dataclasses.replace(cfg, dedup=dedup), run


def _pick(name: str, value: Any, run: dict[str, Any], key: str | None = None) -> Any:
    """The command line's value when typed there, else the config file's [run] value, else the default."""
    key = key or name
    if _given(name) or key not in run:
        return value
    return run[key]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cleaner")
def main() -> None:
    """Clean scraped web text and HTML: normalize, strip boilerplate, drop near-duplicates.

    \b
    Examples:
      cleaner clean crawl/ -o clean/
      cleaner clean dump.jsonl.gz -o out/ --report run.report.jsonl --jobs 4
      cleaner clean seeds/ -o out/ --html-report run.html
      cleaner explain seeds/002_420ac862ca752e05.txt
      cleaner explain dump.jsonl:17 --index seen.sqlite
      cleaner config show --config cleaner.toml
      cleaner index info seen.sqlite
    """


@main.command()
@output_options
@pipeline_options()
@run_options
@handle_errors
def clean(
    inputs: tuple[str, ...],
    outdir: Path | None,
    report_path: Path | None,
    html_report: Path | None,
    config_path: Path | None,
    stages: str,
    jobs: int,
    index_path: Path | None,
    threshold: float | None,
    keep_duplicates: bool,
    drop_duplicate_passages: bool,
    keep_captions: bool,
    no_passages: bool,
    debug: bool,
    quiet: bool,
    verbose: bool,
    progress: bool | None,
    engine: str | None,
    scheduler: str | None,
    keep_intermediate: bool | None,
) -> None:
    """Clean INPUTS (files or folders) into OUTPUT.

    \b
    .txt/.html/.htm files become OUTPUT/<same path>.txt; .jsonl and .jsonl.gz files keep their
    name and records, with `text` cleaned. Near-duplicates are left out (see the report).
    \b
    Examples:
      cleaner clean seeds/ -o out/
      cleaner clean crawl/ -o clean/ --report clean.report.jsonl --stages normalize,boilerplate
      cleaner clean batch-002.jsonl.gz -o out/ --index seen.sqlite --html-report batch-002.html
      cleaner clean --config cleaner.toml --threshold 0.9 -v
    """
    from cleaner.progress import InputTimer, TerminalProgress
    from cleaner.runners.local import default_report_path, run

    cfg, run_opts = build_config(
        config_path,
        stages,
        jobs,
        index_path,
        threshold,
        keep_duplicates,
        drop_duplicate_passages,
        keep_captions,
        no_passages,
    )
    inputs = inputs or tuple(run_opts.get("inputs", ()))
    if not inputs:
        raise UsageError("no INPUTS: name files or folders to clean, or set run.inputs in the --config file")
    out_value = _pick("outdir", outdir, run_opts, "output")
    if out_value is None:
        raise UsageError("no output folder: pass -o OUTPUT, or set run.output in the --config file")
    outdir = Path(out_value)
    report_value = _pick("report_path", report_path, run_opts, "report")
    report_path = Path(report_value) if report_value is not None else default_report_path(outdir)
    html_value = _pick("html_report", html_report, run_opts)
    quiet = bool(_pick("quiet", quiet, run_opts))
    verbose = bool(_pick("verbose", verbose, run_opts)) and not quiet
    progress = _pick("progress", progress, run_opts)
    engine = _pick("engine", engine, run_opts) or "local"
    scheduler = _pick("scheduler", scheduler, run_opts)
    keep_intermediate = bool(_pick("keep_intermediate", keep_intermediate, run_opts))
    if verbose:
        from cleaner.formats.remote import is_url
        from cleaner.readers import discover

        for skipped in discover([p for p in inputs if not is_url(p)]).skipped:
            click.echo(f"cleaner: skipped {skipped}: not a file type cleaner reads", err=True)
    timer = InputTimer()
    show = TerminalProgress(sys.stderr, enabled=None if progress is None else progress, verbose=verbose)
    if quiet:
        show.enabled = False

    def on_progress(event: Any) -> None:
        timer(event)
        show(event)

    with show:
        report = run(
            list(inputs),
            outdir,
            cfg,
            report_path,
            on_error=_err,
            on_progress=on_progress,
            engine=engine,
            scheduler=scheduler,
            keep_intermediate=keep_intermediate,
        )
    if html_value is not None:
        from cleaner.html_report import read_records, write_html_report

        title = f"cleaner run report: {', '.join(str(i) for i in inputs)} -> {outdir}"
        write_html_report(Path(html_value), report, read_records(report_path), input_seconds=timer.seconds, title=title)
    if not quiet:
        click.echo(report.summary(), err=True)
        if html_value is not None:
            click.echo(f"HTML report: {html_value}", err=True)
    if report.failed:
        if not quiet:
            click.echo(f"cleaner: {report.docs_error:,} input(s) failed; see the lines above and the report", err=True)
        sys.exit(1)


@main.command()
@click.argument("target", metavar="FILE")
@pipeline_options(index_help="Persistent dedup index (SQLite) to check the document against; it is never changed.")
@click.option("--html", "as_html", is_flag=True, help="Print an HTML page instead of text (to stdout).")
@handle_errors
def explain(
    target: str,
    config_path: Path | None,
    stages: str,
    jobs: int,
    index_path: Path | None,
    threshold: float | None,
    keep_duplicates: bool,
    drop_duplicate_passages: bool,
    keep_captions: bool,
    no_passages: bool,
    debug: bool,
    as_html: bool,
) -> None:
    """Show every line of one document with its fate: kept, dropped (why), edited (what), duplicate (of what).

    FILE is a .txt/.html file, or DUMP.jsonl:LINE for one record of a JSONL dump (LINE counts
    from 1). Near-duplicates need a corpus: with --index, the document is checked against a copy
    of that persistent index (the index itself is never changed).

    \b
    Examples:
      cleaner explain seeds/002_420ac862ca752e05.txt
      cleaner explain crawl/news/page.html --stages normalize,boilerplate
      cleaner explain dump.jsonl.gz:17 --index seen.sqlite
      cleaner explain page.html --html > page.explain.html
    """
    from cleaner.explain import explain_target, render_html, render_text

    cfg, _ = build_config(
        config_path,
        stages,
        jobs,
        index_path,
        threshold,
        keep_duplicates,
        drop_duplicate_passages,
        keep_captions,
        no_passages,
    )
    explanation = explain_target(target, cfg)
    click.echo(render_html(explanation) if as_html else render_text(explanation), nl=False)


@main.group()
def config() -> None:
    """Show the configuration a run would use.

    \b
    Examples:
      cleaner config show
      cleaner config show --config cleaner.toml --threshold 0.9 > effective.toml
    """


@config.command("show")
@output_options
@pipeline_options()
@run_options
@handle_errors
def config_show(
    inputs: tuple[str, ...],
    outdir: Path | None,
    report_path: Path | None,
    html_report: Path | None,
    config_path: Path | None,
    stages: str,
    jobs: int,
    index_path: Path | None,
    threshold: float | None,
    keep_duplicates: bool,
    drop_duplicate_passages: bool,
    keep_captions: bool,
    no_passages: bool,
    debug: bool,
    quiet: bool,
    verbose: bool,
    progress: bool | None,
    engine: str | None,
    scheduler: str | None,
    keep_intermediate: bool | None,
) -> None:
    """Print the effective configuration as TOML: defaults, then --config, then the options given.

    \b
    The output is itself a valid config file: save it, edit it, pass it to --config. Keys that are
    not set are shown as comments.
    \b
    Examples:
      cleaner config show > cleaner.toml
      cleaner config show --config cleaner.toml
      cleaner config show --config cleaner.toml --stages normalize,dedup --threshold 0.85
    """
    from cleaner.config_file import to_toml

    cfg, run_opts = build_config(
        config_path,
        stages,
        jobs,
        index_path,
        threshold,
        keep_duplicates,
        drop_duplicate_passages,
        keep_captions,
        no_passages,
    )
    run: dict[str, Any] = dict(run_opts)
    if inputs:
        run["inputs"] = [str(p) for p in inputs]
    for name, key, value in (
        ("outdir", "output", outdir),
        ("report_path", "report", report_path),
        ("html_report", "html_report", html_report),
        ("progress", "progress", progress),
        ("engine", "engine", engine),
        ("scheduler", "scheduler", scheduler),
        ("keep_intermediate", "keep_intermediate", keep_intermediate),
    ):
        if _given(name) and value is not None:
            run[key] = str(value) if isinstance(value, Path) else value
    for name, flag in (("quiet", quiet), ("verbose", verbose), ("debug", debug)):
        if _given(name):
            run[name] = flag
    click.echo(to_toml(cfg, run), nl=False)


@main.group()
def index() -> None:
    """Inspect a persistent dedup index.

    \b
    Example:
      cleaner index info seen.sqlite
    """


@index.command("info")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
@handle_errors
def index_info(path: Path, debug: bool) -> None:
    """Print what the index at PATH holds: its parameters and counts (JSON).

    \b
    Example:
      cleaner index info seen.sqlite
    """
    from cleaner.dedup.index import describe

    click.echo(json.dumps(describe(str(path)), indent=2, sort_keys=True))
