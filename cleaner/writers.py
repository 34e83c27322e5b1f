"""Write the cleaned inputs back out as a mirror of the input tree, and the report, atomically.

Each format's sink (a module of cleaner.formats, picked through cleaner.formats.table) writes its
files; this module holds what is not a format's own: the output name of an input, the joining
of a split file's parts, and the report sink (one part per shard, joined in shard order). Every
final file goes through :func:`cleaner.atomic.atomic_file`, so a crash never leaves a
half-written file under a final name.

>>> output_rel("a/b.html"), output_rel("crawl/x.warc.gz")
('a/b.txt', 'crawl/x.jsonl.gz')
"""

from __future__ import annotations

import operator
import shutil
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress, repeat
from pathlib import Path
from typing import IO, Any

from cleaner.atomic import atomic_file
from cleaner.formats.base import InputFile, display_path
from cleaner.formats.table import output_rel
from cleaner.record import Document
from cleaner.report import Report, Row, report_line, report_lines

__all__ = ["ReportPart", "concatenate", "join_report", "output_collisions", "output_rel"]

_REJECTED = operator.attrgetter("rejected")


def output_collisions(files: Iterable[InputFile]) -> list[tuple[str, str, str]]:
    """Pairs of inputs that would be written to the same output file: (output, first, second)."""
    seen: dict[str, str] = {}
    clashes = []
    for f in files:
        out = output_rel(f.rel)
        if out in seen:
            clashes.append((out, seen[out], f.rel))
        else:
            seen[out] = f.rel
    return clashes


def concatenate(parts: Iterable[Path], target: Path, *, compress: bool = False) -> None:
    """Join part files, in order, into ``target`` atomically."""
    with atomic_file(target, compress=compress) as out:
        for part in parts:
            with open(part, "rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)


class ReportPart:
    """The report sink of one shard: a report line per document as it passes, counted into
    ``report``, and one line per failed document (naming ``input_path``) into ``errors``.

    The part is private to its shard's task; the runner joins the parts with :func:`join_report`.
    It is written whole or not at all (:func:`cleaner.atomic.atomic_file`): an engine may run a
    task again after its result was taken (Dask recomputes a lost worker's tasks), and that
    second run, failing or not, must never leave the first one's part truncated.
    """

    def __init__(self, path: Path, report: Report, errors: list[str], input_path: Path) -> None:
        self.path, self.report, self.errors, self.input_path = path, report, errors, input_path
        self._file = atomic_file(path)
        self._fh: IO[bytes] = self._file.__enter__()

    def __enter__(self) -> ReportPart:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._file.__exit__(*exc)

    def record(self, doc: Document) -> None:
        try:
            self._fh.write(report_line(doc))
        except OSError as exc:  # a full disk: name the file
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
        self.report.add_document(doc)
        if doc.status == "error" and doc.rejected is not None:
            line = doc.source.line
            where = display_path(self.input_path) + (f":{line}" if line is not None else "")
            self.errors.append(f"{where}: {doc.rejected.detail}")

    def record_many(
        self,
        docs: Sequence[Document],
        earlier: Sequence[Sequence[Row]] | None = None,
        signals: Sequence[bytes | None] | None = None,
    ) -> None:
        """:meth:`record` of each of ``docs``: their report lines in one write, their counts in
        one pass (:meth:`Report.add_documents`). ``earlier``: each document's drops it no longer
        holds, the values of their fields, recorded before its own (see
        :func:`cleaner.report.document_record`); ``signals``: each document's signals written
        for the report, where it no longer holds them, or None (see :func:`cleaner.report.report_line`)."""
        if earlier is not None and len(earlier) != len(docs):
            raise ValueError(f"{len(earlier)} documents' earlier drops for {len(docs)} documents")
        if signals is not None and len(signals) != len(docs):
            raise ValueError(f"{len(signals)} documents' signals for {len(docs)} documents")
        if signals is not None:
            lines = b"".join(map(report_line, docs, repeat(()) if earlier is None else earlier, signals))
        elif earlier is not None:
            lines = b"".join(map(report_line, docs, earlier))
        else:
            lines = report_lines(docs)
        try:
            self._fh.write(lines)
        except OSError as exc:  # a full disk: name the file
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
        self.report.add_documents(docs, earlier)
        # Only the rejected documents are looked at one by one (a record is always true): a
        # dedup-only run rejects a few of a batch of 256.
        for doc in compress(docs, map(_REJECTED, docs)):
            if doc.rejected is not None and doc.rejected.is_error:
                line = doc.source.line
                where = display_path(self.input_path) + (f":{line}" if line is not None else "")
                self.errors.append(f"{where}: {doc.rejected.detail}")

    def passing(self, docs: Iterable[Document]) -> Iterator[Document]:
        """``docs`` unchanged, each recorded as it passes (a sink then writes the kept ones)."""
        for doc in docs:
            self.record(doc)
            yield doc

    def passing_batches(
        self,
        batches: Iterable[tuple[Sequence[Document], Sequence[Sequence[Row]] | None, Sequence[bytes | None] | None]],
    ) -> Iterator[Document]:
        """The documents of ``batches`` unchanged, each batch recorded as its first document
        passes (:meth:`record_many`: a write and a count per batch, not per document). Each
        batch comes with its documents' earlier drops and written signals, or None for either
        (see :meth:`record_many`)."""
        for batch, earlier, signals in batches:
            self.record_many(batch, earlier, signals)
            yield from batch


def join_report(target: Path, pieces: Iterable[Document | Path]) -> None:
    """Write the run's report atomically: a line for each document (a failure found by the
    runner itself), and each shard's report part, in the order given."""
    with atomic_file(target) as fh:
        for piece in pieces:
            if isinstance(piece, Document):
                fh.write(report_line(piece))
            else:
                with open(piece, "rb") as part:
                    shutil.copyfileobj(part, fh, 1 << 20)
