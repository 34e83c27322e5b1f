"""The persistent near-duplicate index: one embedded SQLite file that runs check against, then extend.

What it holds:

- ``meta``: the parameters every signature depends on (format version, permutations, seed,
  n-gram size, bands x rows, hash scheme) plus whether passage owners are kept. A run with
  other values is refused with :class:`~cleaner.errors.IndexMismatchError`, because its
  signatures and band keys would silently never match the stored ones.
- ``docs``: one row per indexed document: its id (never a placeholder), the id of its cluster's
  kept copy, its signature (uint32 bytes) and its distinct shingle hashes (uint64 bytes) for
  exact verification.
- ``bands``: (band key, doc) rows; a run's documents query these before they are added.
- ``owners`` (with passages): the first indexed document holding each sampled shingle (one in
  four, by hash), which is how a later run finds candidate sources for its passages.
- ``runs``: the run (``Dedup.prepare``'s run id: the same inputs and options) that added each
  range of rows, committed with them. A run interrupted after its commit but before its
  checkpoint recorded the decisions finds itself here when resumed, and decides again against
  the index as it was before it (:meth:`DedupIndex.resume`), instead of seeing its own copies.

>>> import tempfile, os
>>> from cleaner.config import DedupConfig
>>> path = os.path.join(tempfile.mkdtemp(), "idx.sqlite")
>>> with DedupIndex.open(path, DedupConfig()) as index:
...     index.docs_count()
0
>>> describe(path)["documents"]
0
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from types import TracebackType

import numpy as np
import numpy.typing as npt

from cleaner.config import DedupConfig
from cleaner.dedup.cluster import BUCKET_CAP, distinct_sorted, jaccard_distinct
from cleaner.dedup.passages import OWNER_SAMPLE, sampled
from cleaner.errors import IndexMismatchError, UsageError

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]

# Bump when shingle hashing, band keys or the schema change: old indexes then refuse to load.
FORMAT_VERSION = 1
HASH = "cleaner-horner64-fmix64/datasketch-affine32"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    cluster TEXT NOT NULL,
    signature BLOB NOT NULL,
    shingles BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, doc INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS bands_key ON bands (key, doc);
CREATE TABLE IF NOT EXISTS owners (hash INTEGER PRIMARY KEY, doc INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (run TEXT PRIMARY KEY, first_rowid INTEGER, last_rowid INTEGER);
"""
# Larger than any rowid: queries see every row unless a resumed run sets ``before``.
_ALL_ROWS = 1 << 62


def index_params(cfg: DedupConfig) -> dict[str, str]:
    """The parameters an index records and a run must match, as stored (strings).

    >>> index_params(DedupConfig())["bands"]
    '16'
    """
    return {
        "format_version": str(FORMAT_VERSION),
        "hash": HASH,
        "num_perm": str(cfg.num_perm),
        "seed": str(cfg.seed),
        "ngram": str(cfg.ngram),
        "bands": str(cfg.lsh_bands),
        "rows": str(cfg.lsh_rows),
        "passages": str(int(cfg.passages)),
        "passage_owner_sample": str(OWNER_SAMPLE),
    }


def _signed(values: npt.NDArray[np.uint64]) -> list[int]:
    """SQLite integers are signed 64-bit: store uint64 hashes by their bit pattern."""
    return values.astype(np.uint64).view(np.int64).tolist()


class DedupIndex:
    """An open index file. Use as a context manager; writes are committed on a clean exit.

    Rows are addressed by ``rowid``, which grows in insertion order: that order is the rank of
    indexed documents for the keep rule (all of them rank before any document of a new run).
    """

    def __init__(self, conn: sqlite3.Connection, path: str, before: int | None = None) -> None:
        self.conn, self.path = conn, path
        # Rows at or past this rowid are invisible to queries: the rows a resumed run added itself.
        self.before = before

    @classmethod
    def open(cls, path: str, cfg: DedupConfig) -> DedupIndex:
        """Open (or create) the index at ``path`` and check it was built with ``cfg``'s parameters."""
        conn = _connect(path, readonly=False)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "meta" not in tables:
                # Another program's database: never add our tables to it.
                raise UsageError(
                    f"{path} is an SQLite database but not a cleaner index (it has no meta table): "
                    "--index takes a file made by an earlier `cleaner clean --index` run, or a new path"
                )
            conn.executescript(_SCHEMA)
            stored = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            wanted = index_params(cfg)
            if not stored:
                conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(wanted.items()))
                conn.commit()
            else:
                _check(path, stored, wanted)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def __enter__(self) -> DedupIndex:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.conn.commit()
        self.conn.close()

    def resume(self, run_id: str | None) -> bool:
        """True when ``run_id`` already added its documents (then interrupted before its
        checkpoint): from now on queries see only the rows from before that run.

        >>> import tempfile, os
        >>> index = DedupIndex.open(os.path.join(tempfile.mkdtemp(), "i.sqlite"), DedupConfig())
        >>> index.record_run("r1", [5, 6]); index.resume("r1"), index.before, index.resume("r2")
        (True, 5, False)
        """
        if run_id is None:
            return False
        row = self.conn.execute("SELECT first_rowid FROM runs WHERE run = ?", (run_id,)).fetchone()
        if row is None:
            return False
        self.before = row[0]
        return True

    def record_run(self, run_id: str, rowids: Sequence[int]) -> None:
        """Note that ``run_id`` added ``rowids`` (committed with them by the caller)."""
        first, last = (min(rowids), max(rowids)) if rowids else (None, None)
        self.conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?)", (run_id, first, last))

    def docs_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    def query(self, band_keys: U64, cap: int) -> list[int]:
        """Rowids of indexed documents sharing a band key with ``band_keys`` (the earliest
        ``cap`` per key, as OnlineBuckets keeps them), sorted."""
        keys = _signed(band_keys)
        one = "SELECT * FROM (SELECT doc FROM bands WHERE key = ? AND doc < ? ORDER BY doc LIMIT ?)"
        before = _ALL_ROWS if self.before is None else self.before
        params = [v for key in keys for v in (key, before, cap)]
        rows = self.conn.execute(" UNION ".join([one] * len(keys)), params).fetchall()
        return sorted(doc for (doc,) in rows)

    def matches(
        self, band_keys: U64, shingles: U64, threshold: float, docs: dict[int, tuple[str, str, U64]]
    ) -> list[tuple[int, float]]:
        """Indexed documents that share a band key with a new document and whose exact Jaccard
        with its ``shingles`` (sorted, distinct) reaches ``threshold``: ``(rowid, similarity)``.
        ``docs`` caches what :meth:`doc` read, by rowid, across calls."""
        found = []
        for rowid in self.query(band_keys, BUCKET_CAP):
            if rowid not in docs:
                docs[rowid] = self.doc(rowid)
            s = jaccard_distinct(shingles, docs[rowid][2])
            if s >= threshold:
                found.append((rowid, s))
        return found

    def doc(self, rowid: int) -> tuple[str, str, U64]:
        """``(id, cluster, distinct shingle hashes)`` of one indexed document."""
        row = self.conn.execute("SELECT id, cluster, shingles FROM docs WHERE rowid = ?", (rowid,)).fetchone()
        return row[0], row[1], np.frombuffer(row[2], dtype=np.uint64)

    def owners(self, hashes: U64) -> tuple[U64, npt.NDArray[np.int64]]:
        """For those of ``hashes`` that indexed documents hold (only sampled hashes are kept):
        the hashes (sorted, distinct) and the rowid of the first document holding each."""
        signed = hashes.astype(np.uint64).view(np.int64)  # SQLite's (signed) key order
        wanted = distinct_sorted(signed)  # type: ignore[arg-type]
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (hash INTEGER PRIMARY KEY) WITHOUT ROWID")
        self.conn.execute("DELETE FROM wanted")
        self.conn.executemany("INSERT INTO wanted VALUES (?)", ((h,) for h in wanted.tolist()))
        before = _ALL_ROWS if self.before is None else self.before
        rows = self.conn.execute(
            "SELECT o.hash, o.doc FROM wanted w JOIN owners o ON o.hash = w.hash WHERE o.doc < ?", (before,)
        ).fetchall()
        self.conn.execute("DELETE FROM wanted")
        if not rows:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        found = np.array(rows, dtype=np.int64)
        found_hashes = found[:, 0].view(np.uint64)
        order = np.argsort(found_hashes)
        return found_hashes[order], found[order, 1]

    def add(self, docs: Iterable[tuple[str, str, U32, U64, U64]]) -> list[int]:
        """Append documents ``(id, cluster, signature, band keys, distinct shingles)`` in rank
        order (an iterable: they are written one by one); with passages on, also record the
        sampled shingles they are first to hold. Returns their rowids."""
        rowids: list[int] = []
        passages = self.conn.execute("SELECT value FROM meta WHERE key = 'passages'").fetchone()[0] == "1"
        owned: list[U64] = []
        cur = self.conn.cursor()
        for doc_id, cluster, signature, keys, shingles in docs:
            cur.execute(
                "INSERT INTO docs (id, cluster, signature, shingles) VALUES (?, ?, ?, ?)",
                (doc_id, cluster, signature.astype(np.uint32).tobytes(), shingles.astype(np.uint64).tobytes()),
            )
            rowid = int(cur.lastrowid or 0)
            rowids.append(rowid)
            if passages:
                owned.append(shingles[sampled(shingles)])
            if not len(shingles):
                continue  # no words, no near-duplicates: its all-max signature would match every empty one
            cur.executemany("INSERT INTO bands VALUES (?, ?)", ((k, rowid) for k in _signed(keys)))
        if owned:
            self._add_owners(owned, rowids)
        return rowids

    def _add_owners(self, shingles: Sequence[U64], rowids: Sequence[int]) -> None:
        """Record, for every (sampled) shingle not yet owned, the first of these documents
        holding it.

        Rows go in in key order (as SQLite compares them: signed): a B-tree takes sorted
        inserts about 4x faster than random ones.
        """
        flat = np.concatenate(shingles).astype(np.uint64).view(np.int64)
        if flat.size == 0:
            return
        owner = np.repeat(np.asarray(rowids, dtype=np.int64), [len(s) for s in shingles])
        order = np.argsort(flat)  # any order within equal hashes: the smallest rowid is taken below
        ordered = flat[order]
        first = np.empty(ordered.size, dtype=np.bool_)
        first[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        owners = np.minimum.reduceat(owner[order], starts)
        self.conn.executemany(
            "INSERT OR IGNORE INTO owners VALUES (?, ?)", zip(ordered[starts].tolist(), owners.tolist(), strict=True)
        )

    def close(self) -> None:
        self.conn.close()


def _connect(path: str, readonly: bool) -> sqlite3.Connection:
    if readonly and not os.path.isfile(path):
        raise UsageError(f"no index at {path}: give the path of a file made by `cleaner clean --index`")
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        else:
            conn = sqlite3.connect(path)
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as err:
        raise UsageError(
            f"{path} is not a readable cleaner index ({err}): --index takes a file made by an "
            "earlier `cleaner clean --index` run, or a new path to start one"
        ) from err
    return conn


def _check(path: str, stored: dict[str, str], wanted: dict[str, str]) -> None:
    differs = [
        f"{k}: index has {stored.get(k, 'nothing')}, this run uses {v}" for k, v in wanted.items() if stored.get(k) != v
    ]
    if differs:
        raise IndexMismatchError(
            f"the index {path} was built with other parameters ({'; '.join(differs)}). "
            "Run with the index's parameters (see `cleaner index info PATH`), "
            "or give a new --index path to start another index."
        )


def check(path: str, cfg: DedupConfig) -> None:
    """Fail fast, before any document is read: raise IndexMismatchError (or UsageError) if the
    index at ``path`` exists and cannot serve a run with ``cfg``. A missing file is fine: the
    run will create it.
    """
    if not os.path.exists(path):
        return
    conn = _connect(path, readonly=True)
    try:
        try:
            stored = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as err:
            raise UsageError(
                f"{path} is not a cleaner index ({err}): --index takes a file made by an earlier "
                "`cleaner clean --index` run, or a new path"
            ) from err
    finally:
        conn.close()
    if stored:
        _check(path, stored, index_params(cfg))


def describe(path: str) -> dict[str, object]:
    """What the index at ``path`` holds: its parameters, document/cluster/band counts, format.

    Raises UsageError when the file is missing or not an index.
    """
    conn = _connect(path, readonly=True)
    try:
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            docs = conn.execute("SELECT COUNT(*), COUNT(DISTINCT cluster) FROM docs").fetchone()
            bands = conn.execute("SELECT COUNT(*) FROM bands").fetchone()[0]
            owners = conn.execute("SELECT COUNT(*) FROM owners").fetchone()[0]
        except sqlite3.DatabaseError as err:
            raise UsageError(f"{path} is not a cleaner index ({err}): give the path of a file made by --index") from err
    finally:
        conn.close()
    params: dict[str, object] = {k: (int(v) if v.isdigit() else v) for k, v in meta.items()}
    return {
        "path": path,
        "format_version": params.pop("format_version", None),
        "parameters": params,
        "documents": int(docs[0]),
        "clusters": int(docs[1]),
        "band_rows": int(bands),
        "passage_shingles": int(owners),
    }


def iter_ids(path: str) -> Iterable[tuple[str, str]]:
    """``(id, cluster)`` of every indexed document, in insertion order (for inspection and tests)."""
    conn = _connect(path, readonly=True)
    try:
        yield from conn.execute("SELECT id, cluster FROM docs ORDER BY rowid")
    finally:
        conn.close()
