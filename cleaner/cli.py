"""The command line: it parses options, builds a Config, calls the library and prints the report.

Exit codes: 0 every input was processed; 1 some input or record failed (everything else was
still processed and written); 2 usage or configuration error (nothing was written).
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cleaner")
def main() -> None:
    """Clean scraped web text and HTML: normalize, strip boilerplate, drop near-duplicates.

    \b
    Examples:
      cleaner clean crawl/ -o clean/
      cleaner clean dump.jsonl.gz -o out/ --report run.report.jsonl --jobs 4
      cleaner index info seen.sqlite
    """


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "outdir",
    required=True,
    type=click.Path(path_type=Path),
    help="Output folder; mirrors the input tree.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Per-document report (JSONL). Default: OUTPUT.report.jsonl beside the output folder.",
)
@click.option(
    "--stages",
    default=",".join(Config().stages),
    show_default=True,
    help="Comma-separated stages to run, in pipeline order: normalize,boilerplate,dedup.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes; 0 means one per core. Output is identical for any value.",
)
@click.option(
    "--index",
    "index_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Persistent dedup index (SQLite): check against it, then add this run's documents.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=None,
    help="Near-duplicate threshold (Jaccard of word 5-grams). Default 0.8.",
)
@click.option("--keep-duplicates", is_flag=True, help="Keep near-duplicate documents; only flag them in the report.")
@click.option("--drop-duplicate-passages", is_flag=True, help="Remove reused passages from the text.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
@handle_errors
def clean(
    inputs: tuple[Path, ...],
    outdir: Path,
    report_path: Path | None,
    stages: str,
    jobs: int,
    index_path: Path | None,
    threshold: float | None,
    keep_duplicates: bool,
    drop_duplicate_passages: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Clean INPUTS (files or folders) into OUTPUT.

    \b
    .txt/.html/.htm files become OUTPUT/<same path>.txt; .jsonl and .jsonl.gz files keep their
    name and records, with `text` cleaned. Near-duplicates are left out (see the report).
    \b
    Examples:
      cleaner clean seeds/ -o out/
      cleaner clean crawl/ -o clean/ --report clean.report.jsonl --stages normalize,boilerplate
      cleaner clean batch-002.jsonl.gz -o out/ --index seen.sqlite
    """
    from cleaner.runners.local import run

    cfg = Config(stages=parse_stages(stages), jobs=jobs)
    dedup = cfg.dedup
    if threshold is not None:
        dedup = dataclasses.replace(dedup, threshold=threshold)
    if index_path is not None:
        dedup = dataclasses.replace(dedup, index=str(index_path))
    if keep_duplicates:
        dedup = dataclasses.replace(dedup, drop_duplicates=False)
    if drop_duplicate_passages:
        dedup = dataclasses.replace(dedup, drop_duplicate_passages=True)
    cfg = dataclasses.replace(cfg, dedup=dedup)
    report = run(list(inputs), outdir, cfg, report_path, on_error=_err)
    if not quiet:
        click.echo(report.summary(), err=True)
    if report.failed:
        if not quiet:
            click.echo(f"cleaner: {report.docs_error:,} input(s) failed; see the lines above and the report", err=True)
        sys.exit(1)


@main.group()
def index() -> None:
    """Inspect a persistent dedup index."""


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
