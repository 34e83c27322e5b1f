"""The one table of formats: which file names cleaner reads, with which module, and where the
cleaned file goes.

A row maps a file-name suffix (matched case-insensitively, first match wins, so longer suffixes
come first) to a :class:`Format` (its name and compression), the format module that offers its
:class:`FormatHandler` (reader and sink), and the suffix of the output file (None: the output
keeps the input's name). Adding a format is one module that offers a ``HANDLER`` and a row here.
A format module is imported when a file of its format is read or written (``handler``), not with
the table: a run over JSONL files never loads the modules of pages, Parquet and WARC.

>>> fmt = detect_format(Path("crawl/a.jsonl.gz"))
>>> fmt.name, fmt.compression
('jsonl', 'gzip')
>>> output_rel("a/b.html"), output_rel("a/b.txt"), output_rel("x.jsonl.gz")
('a/b.txt', 'a/b.txt', 'x.jsonl.gz')
>>> output_rel("crawl/x.warc.gz"), output_rel("t.parquet"), output_rel("p/a.html.gz"), output_rel("b.txt.zst")
('crawl/x.jsonl.gz', 't.parquet', 'p/a.txt', 'b.txt')
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from cleaner.formats.base import Format, FormatHandler


@dataclass(frozen=True, slots=True)
class Row:
    """One file name ending of the table: the format it means, the module that reads and writes it,
    and the suffix of its output."""

    suffix: str
    format: Format
    module: str  # the module under cleaner.formats whose HANDLER reads and writes the format
    output_suffix: str | None  # None: the output file keeps the input's name

    @property
    def handler(self) -> FormatHandler:
        return handler(self.format)


FORMATS: tuple[Row, ...] = (
    Row(".jsonl.gz", Format("jsonl", "gzip"), "jsonl", None),
    Row(".ndjson.gz", Format("jsonl", "gzip"), "jsonl", None),
    Row(".jsonl.zst", Format("jsonl", "zstd"), "jsonl", None),
    Row(".ndjson.zst", Format("jsonl", "zstd"), "jsonl", None),
    Row(".parquet", Format("parquet"), "parquet", None),
    Row(".warc.gz", Format("warc", "gzip"), "warc", ".jsonl.gz"),  # WARC in, JSONL out
    Row(".warc", Format("warc"), "warc", ".jsonl"),
    Row(".jsonl", Format("jsonl"), "jsonl", None),
    Row(".ndjson", Format("jsonl"), "jsonl", None),
    *(
        Row(inner + outer, Format(name, compression), "pages", ".txt")
        for inner, name in (
            (".txt", "text"),
            (".text", "text"),
            (".html", "html"),
            (".htm", "html"),
            (".xhtml", "html"),
        )
        for outer, compression in ((".gz", "gzip"), (".zst", "zstd"))
    ),
    Row(".txt", Format("text"), "pages", ".txt"),
    Row(".text", Format("text"), "pages", ".txt"),
    Row(".html", Format("html"), "pages", ".txt"),
    Row(".htm", Format("html"), "pages", ".txt"),
    Row(".xhtml", Format("html"), "pages", ".txt"),
)

_MODULES: dict[str, str] = {row.format.name: row.module for row in FORMATS}
_HANDLERS: dict[str, FormatHandler] = {}  # filled as formats are met


def _row(name: str) -> Row | None:
    lower = name.lower()
    for row in FORMATS:
        if lower.endswith(row.suffix):
            return row
    return None


def detect_format(path: Path) -> Format | None:
    """The format of a file from its name, or None when cleaner does not read it."""
    row = _row(path.name)
    return row.format if row is not None else None


def handler(fmt: Format) -> FormatHandler:
    """The reader and sink of a format (one handler per format name), its module imported on first use."""
    found = _HANDLERS.get(fmt.name)
    if found is None:
        found = _HANDLERS[fmt.name] = importlib.import_module(f"cleaner.formats.{_MODULES[fmt.name]}").HANDLER
    return found


def output_rel(rel: str) -> str:
    """Where a cleaned input goes, relative to OUTDIR: records keep their file name, pages become
    ``.txt``, WARC becomes JSONL (keeping its compression); a name cleaner does not read gets ``.txt``."""
    row = _row(rel.rsplit("/", 1)[-1])
    if row is None:
        return rel + ".txt"
    if row.output_suffix is None:
        return rel
    return rel[: -len(row.suffix)] + row.output_suffix


def readable_suffixes() -> str:
    """The suffixes cleaner reads, for messages: ``.jsonl.gz, ..., .xhtml``."""
    return ", ".join(row.suffix for row in FORMATS)
