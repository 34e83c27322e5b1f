"""The command line: it parses options, builds a Config, calls the library and prints the report.

Exit codes: 0 every input was processed; 1 some input or record failed (everything else was
still processed and written); 2 usage or configuration error (nothing was written).

Options that shape the pipeline are defined once (``pipeline_options``) and shared by ``clean``,
``explain`` and ``config show``; each can also come from a TOML file (``--config``), which the
command line overrides. Progress and the summary go to stderr; data goes to files or stdout.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import errno
import functools
import gc
import json
import os
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from cleaner import __version__, cache
from cleaner.errors import CleanerError, ConfigError, UsageError

if TYPE_CHECKING:
    from cleaner.config import Config
    from cleaner.config_file import RunOptions
    from cleaner.record import Document

F = TypeVar("F", bound=Callable[..., Any])

# The library's dataclasses compile their methods' source when their modules are imported, which
# happens from here on (the options' defaults, the formats' help, the run): this process reads the
# compiled code from cleaner's cache instead, ~45 ms of CPU sooner (cache.DataclassCode).
cache.cache_dataclass_code()

# The types of the path options and arguments, one of each for every command: click names a path
# type through gettext when it is made, and gettext looks for a catalog on disk at each call (75 us
# each, after a first of 1.5 ms or more): 3 calls where each option making its own took 17.
_PATH = click.Path(path_type=Path)
_FILE = click.Path(path_type=Path, dir_okay=False)
_EXISTING_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


def _err(line: str) -> None:
    click.echo(f"cleaner: error: {line}", err=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so that a run shuts down the same way."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


# What to do about an OSError of the environment (not of one input: those are error records).
_ENVIRONMENT_HINTS = {
    errno.ENOSPC: "free some space or choose another output folder, then run the same command to resume",
    errno.EDQUOT: "free some space (disk quota) or choose another output folder, then run the same command to resume",
    errno.EROFS: "the file system is read-only: choose a writable output folder",
    errno.EACCES: "make it writable or choose another place, then run the same command",
    errno.EPERM: "make it writable or choose another place, then run the same command",
    errno.EMFILE: "raise the open-files limit (ulimit -n), then run the same command to resume",
    errno.ENFILE: "the system is out of file descriptors: retry later, then run the same command to resume",
    errno.EIO: "the disk reported an I/O error: check it, then run the same command to resume",
}


def environment_error(exc: OSError) -> str | None:
    """The line for an OSError of the environment (disk full, read-only, permissions), naming the
    path when the error has one; None for an OSError that is more likely a bug.

    >>> print(environment_error(OSError(errno.ENOSPC, "No space left on device", "out/a.txt")))
    out/a.txt: No space left on device; free some space or choose another output folder, then run ...
    """
    hint = _ENVIRONMENT_HINTS.get(exc.errno or 0)
    if exc.filename is None:
        return f"{exc.strerror}; {hint}" if hint else None
    return f"{exc.filename}: {exc.strerror}; {hint or 'check that path, then run the same command to resume'}"


def handle_errors(func: F) -> F:
    """Turn cleaner's own errors into one stderr line and exit code 2; no traceback unless --debug.

    SIGTERM is handled like Ctrl-C (the workers are shut down, the checkpoint kept): exit 143.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        main_thread = threading.current_thread() is threading.main_thread()  # signals are only set there
        previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
        try:
            return func(*args, **kwargs)
        except (ConfigError, UsageError) as exc:
            _err(str(exc))
            sys.exit(2)
        except CleanerError as exc:
            _err(str(exc))
            sys.exit(1)
        except KeyboardInterrupt as exc:
            if main_thread:  # a second SIGTERM does not cut the message short
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            _err("interrupted: run the same command to resume (outputs are only ever complete files)")
            sys.exit(143 if isinstance(exc, Terminated) else 130)
        except OSError as exc:
            line = environment_error(exc)
            if line is None:
                raise _internal(exc, debug) from None
            if debug:
                import traceback  # here: a run that fails on nothing never needs it (0.4 ms of a start)

                traceback.print_exc()
            _err(line)
            sys.exit(1)
        except Exception as exc:
            raise _internal(exc, debug) from None
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)

    return wrapper  # type: ignore[return-value]


def _internal(exc: BaseException, debug: bool) -> SystemExit:
    """Say that an unexpected error happened (with the traceback under --debug); exit 1."""
    if debug:
        import traceback

        traceback.print_exception(exc)
    else:
        _err(f"internal error: {type(exc).__name__}: {exc}; re-run with --debug for the traceback and please report it")
    return SystemExit(1)


INDEX_HELP = "Persistent dedup index (SQLite): check against it, then add this run's documents."


def output_options(func: F) -> F:
    """INPUTS and where results go: shared by `clean` and `config show`."""
    options = [
        click.argument("inputs", nargs=-1, type=str),  # str: a URL (s3://...) must keep its double slash
        click.option(
            "-o",
            "--output",
            "outdir",
            type=_PATH,
            default=None,
            help="Output folder (required here or as run.output in --config); mirrors the input tree.",
        ),
        click.option(
            "--report",
            "report_path",
            type=_PATH,
            default=None,
            help="Per-document report (JSONL). Default: OUTPUT.report.jsonl beside the output folder.",
        ),
        click.option(
            "--html-report",
            "html_report",
            type=_FILE,
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
    from cleaner.config import Config

    options = [
        click.option(
            "--config",
            "config_path",
            type=_FILE,
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
            help="Worker processes; 0 means one per core (one per 8 MB of input). Output is identical for any value.",
        ),
        click.option(
            "--index",
            "index_path",
            type=_PATH,
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
            "--reemit-indexed",
            is_flag=True,
            help="Deliver again documents whose id and content the --index already holds "
            "(reported as dedup.already_indexed and dropped by default).",
        ),
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
            "--markdown",
            is_flag=True,
            help="Write text extracted from HTML as Markdown (headings, lists, tables, code) instead of plain text.",
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


def formats_help() -> str:
    """One line per input format with the file names it is read from, for ``clean --help``.

    >>> print(formats_help().splitlines()[0])
      text: .txt .text .txt.gz .txt.zst .text.gz .text.zst
    """
    from cleaner.formats.table import FORMATS

    by_format: dict[str, list[str]] = {}
    for row in FORMATS:
        by_format.setdefault(row.format.name, []).append(row.suffix)
    return "\n".join(
        f"  {name}: {' '.join(sorted(suffixes, key=lambda x: x.count('.')))}"  # plain before compressed
        for name, suffixes in sorted(by_format.items(), key=lambda kv: _FORMAT_ORDER.get(kv[0], len(_FORMAT_ORDER)))
    )


_FORMAT_ORDER = {"text": 0, "html": 1, "jsonl": 2, "parquet": 3, "warc": 4}


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


# Click's names for options whose RunOptions or config field is named otherwise.
_RUN_NAMES = {"outdir": "output", "report_path": "report"}
_CONFIG_NAMES = {"index_path": "index"}


def build_config(config_path: Path | None) -> tuple[Config, RunOptions]:
    """Defaults, then the config file, then what was given on the command line: the Config and the
    RunOptions. Every command builds them here (``cleaner.config_file.build_config``), from the
    options of the current command that were typed."""
    from cleaner.config_file import CLI_CONFIG_OPTIONS, RUN_OPTIONS
    from cleaner.config_file import build_config as build

    ctx = click.get_current_context()
    options: dict[str, Any] = {}
    run: dict[str, Any] = {}
    for name, value in ctx.params.items():
        key = _CONFIG_NAMES.get(name, _RUN_NAMES.get(name, name))
        if name == "inputs":
            if value:
                run[key] = tuple(str(v) for v in value)
        elif not _given(name):
            continue
        elif key in CLI_CONFIG_OPTIONS:
            options[key] = value
        elif key in RUN_OPTIONS:
            run[key] = value
    cfg, opts = build(config_path, options, run)
    return _quality_options(cfg), opts


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
# click's own message, given here so that click does not look it up through gettext (see _PATH).
@click.version_option(__version__, "-V", "--version", prog_name="cleaner", message="%(prog)s, version %(version)s")
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
    limit_blas_threads()
    no_collections_at_exit()


@contextlib.contextmanager
def imports_uncollected() -> Iterator[None]:
    """No cyclic garbage collections while the run's modules are imported (numpy and the
    pipeline's): their objects live as long as the process, and the ~25 collections that the
    imports started found nothing to free (a one-record run's collections: 8.6 -> 3.8 ms). Their
    objects then go straight to the oldest generation (a freeze and an unfreeze: two list
    splices), where a young collection of them all would have cost as much as the ones left out.
    Collections are back afterwards, as they were. Where a caller froze objects itself, they stay
    frozen: nothing is moved then."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
    finally:
        if enabled:
            gc.enable()


def no_collections_at_exit() -> None:
    """No cyclic garbage collection while the interpreter shuts down: the objects alive then are
    frozen (``gc.freeze``, run by ``atexit`` before the interpreter clears its modules).

    Clearing the modules, the interpreter collects the cycles that hold their functions, classes
    and tables (numpy's, click's, the pipeline's) and frees them one by one: memory that the
    operating system takes back at once when the process ends. That was 20 ms of a one-record
    run's 0.16 CPU-s (the whole process, as ``os.wait4`` counts it; 42 M of its 637 M
    instructions under callgrind) and 28 ms of the seeds'. Every ``atexit`` handler and
    ``weakref.finalize`` still runs and the objects outside cycles are still freed; only objects
    in cycles at exit may keep their ``__del__`` unrun, which Python does not promise at exit
    either. A command's files are closed before (each is written whole and renamed: cleaner.atomic).
    """
    atexit.unregister(gc.freeze)  # registered once, however many commands a process runs (tests)
    atexit.register(gc.freeze)


def limit_blas_threads() -> None:
    """One BLAS thread per process, unless the user's environment says otherwise.

    numpy starts OpenBLAS's thread pool when it is imported: a thread per core, which spin
    while they wait for work. cleaner does no linear algebra worth a thread (a few dot products
    of short vectors), so on this 2-core machine the pool cost 0.057 CPU-s of every process
    (``python -c "import numpy"``: 0.147 against 0.090 CPU-s with OPENBLAS_NUM_THREADS=1), more
    with more cores, and once more in each worker of ``--jobs N``, which inherit the setting.
    It only works before numpy is imported: importing this module does not import it
    (tests/test_cli.py checks both).
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


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
    reemit_indexed: bool,
    keep_captions: bool,
    markdown: bool,  # read by build_config from the click context
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
    Input formats, by file name (folders are walked; other files are skipped and counted):
    {formats}
      s3://, gs://, ... URLs of files or folders (pip install 'cleaner[remote]' and the backend, e.g. s3fs)
    \b
    Text and HTML files become OUTPUT/<same path>.txt; JSONL files keep their name and records,
    with `text` cleaned; Parquet keeps its schema; WARC becomes JSONL. Near-duplicates are left
    out (see the report).
    \b
    Examples:
      cleaner clean seeds/ -o out/
      cleaner clean crawl/ -o clean/ --report clean.report.jsonl --stages normalize,boilerplate
      cleaner clean batch-002.jsonl.gz -o out/ --index seen.sqlite --html-report batch-002.html
      cleaner clean --config cleaner.toml --threshold 0.9 -v
      crawler | cleaner clean - -o - --report stream.report.jsonl --index seen.sqlite | loader
    """
    started = time.perf_counter()
    with imports_uncollected():
        from cleaner.progress import InputTimer, TerminalProgress, run_footer
        from cleaner.runners import default_report_path, resolve_link, run

    cfg, opts = build_config(config_path)
    inputs = opts.inputs or ()
    if not inputs:
        raise UsageError("no INPUTS: name files or folders to clean, or set run.inputs in the --config file")
    if "-" in inputs:
        if len(inputs) > 1:
            raise UsageError("`-` (JSONL from stdin) cannot be mixed with other inputs: clean them in separate runs")
        _clean_stdin(cfg, opts.output, opts.report, bool(opts.quiet))
        return
    if opts.output == "-":
        raise UsageError("-o - (JSONL to stdout) needs `-` as the input (JSONL from stdin); files go to a folder")
    if opts.output is None:
        raise UsageError("no output folder: pass -o OUTPUT, or set run.output in the --config file")
    outdir = Path(opts.output)
    report_path = Path(opts.report) if opts.report is not None else default_report_path(outdir)
    html_value = opts.html_report
    html_path = resolve_link(Path(html_value)) if html_value is not None else None  # written through a link
    quiet = bool(opts.quiet)
    verbose = bool(opts.verbose) and not quiet
    progress = opts.progress
    engine = opts.engine or "local"
    scheduler = opts.scheduler
    keep_intermediate = bool(opts.keep_intermediate)
    from cleaner.formats.base import display_path
    from cleaner.formats.remote import is_url, local_input
    from cleaner.readers import check_inputs

    inputs = tuple(str(local_input(p)) for p in inputs)
    # Every input checked before anything is written: a typo'd path exits 2 and writes nothing.
    local = [p for p in inputs if not is_url(p)]
    found = check_inputs(local, more_inputs=len(local) < len(inputs))
    if found.skipped and not quiet:
        if verbose:
            for skipped in found.skipped:
                click.echo(f"cleaner: skipped {display_path(skipped)}: {found.skipped_why(skipped)}", err=True)
        else:
            click.echo(f"cleaner: skipped {found.skipped_summary()} (-v lists them)", err=True)
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
            on_notice=None if quiet else _err,
            also_writes=[html_path] if html_path is not None else [],
            discovered=found if len(local) == len(inputs) else None,  # walked once
        )
    if html_path is not None:
        from cleaner.html_report import read_records, write_html_report

        title = f"cleaner run report: {', '.join(str(i) for i in inputs)} -> {outdir}"
        write_html_report(html_path, report, read_records(report_path), input_seconds=timer.seconds, title=title)
    if not quiet:
        click.echo(report.summary(), err=True)
        click.echo("\n" + run_footer(time.perf_counter() - started, outdir, report_path, html_value), err=True)
    if report.failed:
        if not quiet:
            click.echo(f"cleaner: {report.docs_error:,} input(s) failed; see the lines above and the report", err=True)
        sys.exit(1)


def _clean_stdin(cfg: Config, output: str | None, report: str | None, quiet: bool) -> None:
    """`cleaner clean -`: JSONL records from stdin, each cleaned and deduplicated at once (the
    library's streaming mode), the kept ones written to stdout as they come; the report is a file.
    The index, if any, is committed when stdin ends and every record was written."""
    from cleaner.api import Cleaner
    from cleaner.formats.jsonl import jsonl_line, parse_record
    from cleaner.report import document_record, dumps_record

    if output not in (None, "-"):
        raise UsageError("reading stdin (`-`), cleaner writes the kept records to stdout: pass -o - or no -o")
    if report is None:
        raise UsageError("reading stdin (`-`) needs --report PATH: the report is a file (stdout carries the records)")
    cleaner = Cleaner(cfg)

    def records() -> Iterator[Document]:
        for number, raw in enumerate(sys.stdin.buffer, 1):
            if raw.strip():
                yield parse_record(raw, "<stdin>", number, cfg.limits)

    out = sys.stdout.buffer
    with open(report, "w", encoding="utf-8") as sink, cleaner.stream() as stream:
        for doc in stream.clean(records(), include_rejected=True):
            sink.write(dumps_record(document_record(doc)))
            if doc.rejected is None:
                out.write(jsonl_line(doc))
                out.flush()
        stream.commit()
    if not quiet:
        click.echo(cleaner.report.summary(), err=True)
    if cleaner.report.failed:
        sys.exit(1)


# The formats come from the readers' own table, so this help lists every format a run reads.
clean.help = (clean.help or "").replace("    {formats}", textwrap.indent(formats_help(), "    "))


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
    reemit_indexed: bool,
    keep_captions: bool,
    markdown: bool,  # read by build_config from the click context
    no_passages: bool,
    debug: bool,
    as_html: bool,
) -> None:
    """Show every line of one document with its fate: kept, dropped (why), edited (what), duplicate (of what).

    FILE is a .txt/.html file, or DUMP:N for one document of a dump: N is its line in a JSONL
    file, its row in a Parquet file or its record in a WARC file, from 1 (the report's
    source.line). Near-duplicates need a corpus: with --index, the document is checked against a
    copy of that persistent index (the index itself is never changed).

    \b
    Examples:
      cleaner explain seeds/002_420ac862ca752e05.txt
      cleaner explain crawl/news/page.html --stages normalize,boilerplate
      cleaner explain dump.jsonl.gz:17 --index seen.sqlite
      cleaner explain crawl.warc.gz:5
      cleaner explain page.html --html > page.explain.html
    """
    from cleaner.explain import explain_target, render_html, render_text

    cfg, _ = build_config(config_path)
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
    reemit_indexed: bool,
    keep_captions: bool,
    markdown: bool,  # read by build_config from the click context
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

    cfg, run = build_config(config_path)
    click.echo(to_toml(cfg, run), nl=False)


@main.group()
def index() -> None:
    """Inspect and maintain a persistent dedup index.

    \b
    Examples:
      cleaner index info seen.sqlite
      cleaner index runs seen.sqlite
      cleaner index forget seen.sqlite 3
      cleaner index verify seen.sqlite
    """


def _index_command(name: str, *extra: Callable[[Any], Any]) -> Callable[[Callable[..., None]], click.Command]:
    """An ``index`` subcommand: PATH (an existing index file), then ``extra`` arguments, then
    ``--debug``, with the errors handled as every command's are."""

    def wrap(func: Callable[..., None]) -> click.Command:
        func = handle_errors(func)
        func = click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")(func)
        for decorate in reversed(extra):
            func = decorate(func)
        func = click.argument("path", type=_EXISTING_FILE)(func)
        return index.command(name)(func)

    return wrap


@_index_command("info")
def index_info(path: Path, debug: bool) -> None:
    """Print what the index at PATH holds: its parameters and counts (JSON).

    \b
    Example:
      cleaner index info seen.sqlite
    """
    from cleaner.dedup.index import describe

    click.echo(json.dumps(describe(str(path)), indent=2, sort_keys=True))


@_index_command("runs")
def index_runs(path: Path, debug: bool) -> None:
    """List the runs that added documents to the index at PATH (JSON, oldest first): number,
    when it started and was committed (null: pending), documents, options, pid and host.

    \b
    Example:
      cleaner index runs seen.sqlite
    """
    from cleaner.dedup.index import list_runs

    click.echo(json.dumps(list_runs(str(path)), indent=2, sort_keys=True))


@_index_command("forget", click.argument("run", type=int))
def index_forget(path: Path, run: int, debug: bool) -> None:
    """Remove run RUN (its number in `cleaner index runs`) and every document it added, all at once.

    \b
    Example:
      cleaner index forget seen.sqlite 3
    """
    from cleaner.dedup.index import forget

    removed = forget(str(path), run)
    click.echo(f"forgot run {run}: {removed:,} documents left the index {path}", err=True)


@_index_command("compact")
def index_compact(path: Path, debug: bool) -> None:
    """Remove uncommitted library batches, reassign passage owners, rebuild without free space.

    \b
    Example:
      cleaner index compact seen.sqlite
    """
    from cleaner.dedup.index import compact

    click.echo(json.dumps(compact(str(path)), indent=2, sort_keys=True))


@_index_command("verify")
def index_verify(path: Path, debug: bool) -> None:
    """Check the index at PATH for consistency; print the report (JSON); exit 1 on any problem.

    \b
    Example:
      cleaner index verify seen.sqlite
    """
    from cleaner.dedup.index import verify

    report = verify(str(path))
    click.echo(json.dumps(report, indent=2, sort_keys=True))
    if not report["ok"]:
        sys.exit(1)
