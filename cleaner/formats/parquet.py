"""Parquet in, Parquet out: one document per row, the same schema (plus the signals stage's
``lang`` and ``lang_score`` columns) and row order on the way out.

A row's content is its ``text`` column (plain text), else its ``html`` column; its id is the
``id`` column, else ``<relative path>:<row>``. Every other column is kept as metadata and written
back unchanged; the output holds the kept rows, in input order, with ``text`` cleaned (a file with
only an ``html`` column gains a ``text`` column at the end). ``Source.line`` is the 1-based row
number in the whole file, so report lines point at rows.

Large files are cut into shards along row groups (never inside one), so the cut depends only on
the file. pyarrow is imported lazily; without it a ``.parquet`` input fails with the install hint.

>>> plan_row_groups([10, 10, 10, 10], [100, 100, 100, 100], shard_bytes=150)
[(0, 2, 1), (2, 4, 21)]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from cleaner.atomic import atomic_file
from cleaner.config import LimitsConfig
from cleaner.errors import MissingExtraError
from cleaner.formats.base import (
    Cut,
    FormatHandler,
    InputFile,
    Output,
    Shard,
    error_document,
    kept,
    make_document,
)
from cleaner.record import Document, Reason, Source

# Rows are read this many at a time: enough to amortise pyarrow's per-batch cost, few enough
# that a batch of long web pages stays at a few MB of Python strings.
READ_BATCH_ROWS = 1024
# Output row groups hold this many rows (or fewer at the end of a shard). 8,192 news-sized rows
# are ~30 MB of text: big enough for efficient scans, small enough to buffer in a worker.
WRITE_GROUP_ROWS = 8192


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise MissingExtraError("pyarrow", "parquet", "reading Parquet") from exc
    return pyarrow, pyarrow.parquet


def plan_row_groups(rows: Sequence[int], sizes: Sequence[int], shard_bytes: int) -> list[tuple[int, int, int]]:
    """Group consecutive row groups into shards of about ``shard_bytes`` (uncompressed).

    Returns ``(first_group, end_group, first_row)`` triples; ``first_row`` is 1-based.
    """
    out: list[tuple[int, int, int]] = []
    start, size, row, first_row = 0, 0, 1, 1
    for i, (n, b) in enumerate(zip(rows, sizes, strict=True)):
        size += b
        row += n
        if size >= shard_bytes:
            out.append((start, i + 1, first_row))
            start, size, first_row = i + 1, 0, row
    if start < len(rows) or not out:
        out.append((start, len(rows), first_row))
    return out


def cut_parquet(f: InputFile, shard_bytes: int) -> list[Cut]:
    """The row-group shards of one file; one whole-file shard when its footer cannot be read
    (the read then reports the error as a document)."""
    _, pq = _pyarrow()
    try:
        meta = pq.ParquetFile(f.path).metadata
    except (OSError, ValueError):
        return [(0, 0, 1)]
    groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
    return list(plan_row_groups([g.num_rows for g in groups], [g.total_byte_size for g in groups], shard_bytes))


def read_parquet(shard: Shard, limits: LimitsConfig) -> Iterator[Document]:
    """Yield one document per row of the shard's row groups (``[start, end)``; no end: the whole file)."""
    path, rel, first_row = shard.file.path, shard.file.rel, shard.first_line
    row_groups = None if shard.end is None else (shard.start, shard.end)
    _, pq = _pyarrow()
    try:
        pf = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:
        yield error_document(
            rel, Source(rel), Reason.ERROR_READ, f"not a readable Parquet file ({exc}); check the file"
        )
        return
    names = list(pf.schema_arrow.names)
    content = "text" if "text" in names else "html" if "html" in names else None
    if content is None:
        yield error_document(
            rel,
            Source(rel),
            Reason.ERROR_FORMAT,
            f"no 'text' or 'html' column (columns: {', '.join(names)}); rename the content column to 'text'",
        )
        return
    groups = range(pf.metadata.num_row_groups) if row_groups is None else range(*row_groups)
    row = first_row - 1
    fields = tuple(names)
    try:
        for batch in pf.iter_batches(batch_size=READ_BATCH_ROWS, row_groups=list(groups), use_threads=False):
            for record in batch.to_pylist():
                row += 1
                yield _row_document(record, content, rel, row, fields, limits)
    except (OSError, ValueError) as exc:
        where = Source(rel, row + 1)
        yield error_document(
            str(where), where, Reason.ERROR_READ, f"file is damaged ({exc}); the rows before it were read"
        )


def _row_document(
    record: dict[str, Any],
    content: str,
    rel: str,
    row: int,
    fields: tuple[str, ...],
    limits: LimitsConfig,
) -> Document:
    source = Source(rel, row)
    raw_id = record.get("id")
    doc_id = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else f"{rel}:{row}"
    value = record.get(content)
    if not isinstance(value, str):
        what = "null" if value is None else type(value).__name__
        return error_document(
            doc_id, source, Reason.ERROR_FORMAT, f"the {content} column is {what} in this row; it needs a string"
        )
    if len(value) > limits.max_document_bytes:
        return error_document(
            doc_id,
            source,
            Reason.ERROR_TOO_LARGE,
            f"row is {len(value):,} characters, above limits.max_document_bytes={limits.max_document_bytes:,}; "
            "raise the limit or drop the row",
        )
    metadata = {k: v for k, v in record.items() if k != content}
    return make_document(doc_id, value, "html" if content == "html" else "text", source, metadata, fields, limits)


def _codec(pf: Any) -> str:
    meta = pf.metadata
    if meta.num_row_groups and meta.num_columns:
        codec = str(meta.row_group(0).column(0).compression).lower()
        return "none" if codec == "uncompressed" else codec
    return "snappy"


class ParquetRows:
    """Writes kept documents as rows with the schema of the input file they came from.

    The output uses the input's compression codec, and row groups of ``WRITE_GROUP_ROWS`` rows.
    """

    def __init__(self, input_path: Path | str, target: IO[bytes] | str) -> None:
        pa, pq = _pyarrow()
        self._pa = pa
        pf = pq.ParquetFile(input_path)
        self.schema = output_schema(pf.schema_arrow)
        self._writer = pq.ParquetWriter(target, self.schema, compression=_codec(pf))
        self._rows: list[dict[str, Any]] = []

    def add(self, doc: Document) -> None:
        row: dict[str, Any] = {}
        for name in self.schema.names:
            if name == "text":
                row[name] = doc.text
            elif name == "html" and doc.kind == "html":
                row[name] = doc.html
            else:
                row[name] = doc.metadata.get(name)
        self._rows.append(row)
        if len(self._rows) >= WRITE_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(self._pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


# Columns the signals stage fills (cleaner.signals: the document's metadata ``lang`` and
# ``lang_score``), added after the input's own; null when the stage did not run. An input column
# of the same name keeps its place and type.
LANG_COLUMNS = (("lang", "string"), ("lang_score", "float64"))


def output_schema(schema: Any) -> Any:
    """The input schema, plus a ``text`` string column when the input had none, then the
    ``lang`` and ``lang_score`` columns of the signals stage when the input had none.

    >>> import pyarrow as pa
    >>> output_schema(pa.schema([("id", pa.string()), ("html", pa.string())])).names
    ['id', 'html', 'text', 'lang', 'lang_score']
    """
    pa, _ = _pyarrow()
    if "text" not in schema.names:
        schema = schema.append(pa.field("text", pa.string()))
    for name, kind in LANG_COLUMNS:
        if name not in schema.names:
            schema = schema.append(pa.field(name, getattr(pa, kind)()))
    return schema


def write_parquet(shard: Shard, docs: Iterable[Document], out: Output) -> None:
    """Write the kept rows with the input's schema; a file whose footer cannot be read has no
    schema to write (the reader reported why), so its documents pass through unwritten."""
    path = shard.file.path
    if not readable(path):
        for _ in docs:
            pass
    elif out.parts and out.scratch is not None:
        write_split_part(path, kept(docs), out.scratch, out.parts, shard.part)
    else:
        with atomic_file(out.path) as fh:
            _write_rows(path, kept(docs), fh)


def _write_rows(input_path: Path, docs: Iterable[Document], fh: IO[bytes]) -> None:
    sink = ParquetRows(input_path, fh)
    try:
        for doc in docs:
            sink.add(doc)
    finally:
        sink.close()


def write_split_part(
    input_path: Path,
    docs: Iterable[Document],
    parts_dir: Path,
    out_parts: Sequence[Path],
    part: int,
) -> None:
    """Write the kept rows of one part of a split file; the part that completes the set joins them.

    The runner joins the outputs of a split file by concatenating byte parts (``out_parts``, in
    order). Parquet cannot be joined that way, so each part is first written as its own Parquet
    file under ``parts_dir``; the task that finds every part published merges them into
    ``out_parts[0]`` and leaves the other byte parts empty, so the byte join yields the merged
    file. Each part publishes its empty byte part before its Parquet part, so the merge always
    lands after them. Two tasks that both see the set complete write identical bytes.
    """
    parts_dir.mkdir(parents=True, exist_ok=True)
    out_parts[part].parent.mkdir(parents=True, exist_ok=True)
    out_parts[part].touch()
    with atomic_file(parts_dir / f"{part:06d}.parquet") as fh:
        _write_rows(input_path, docs, fh)
    done = [parts_dir / f"{i:06d}.parquet" for i in range(len(out_parts))]
    if all(p.exists() for p in done):
        with atomic_file(out_parts[0]) as fh:
            merge_parts(input_path, done, fh)


def merge_parts(input_path: Path | str, parts: Iterable[Path], target: IO[bytes] | str) -> None:
    """Join Parquet part files (written by :class:`ParquetRows`) into one, row group by row group."""
    _, pq = _pyarrow()
    pf = pq.ParquetFile(input_path)
    writer = pq.ParquetWriter(target, output_schema(pf.schema_arrow), compression=_codec(pf))
    try:
        for part in parts:
            part_file = pq.ParquetFile(part)
            for i in range(part_file.metadata.num_row_groups):
                writer.write_table(part_file.read_row_group(i, use_threads=False))
    finally:
        writer.close()


def readable(path: Path | str) -> bool:
    """Whether the file's footer (and so its schema) can be read."""
    _, pq = _pyarrow()
    try:
        pq.read_schema(path)
    except (OSError, ValueError):
        return False
    return True


HANDLER = FormatHandler(read=read_parquet, write=write_parquet, cut=cut_parquet, byte_ranges=False)
