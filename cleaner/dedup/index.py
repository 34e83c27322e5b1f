"""The persistent near-duplicate index: one embedded SQLite file that runs check against, then extend.

What it holds:

- ``meta``: the parameters every signature depends on (format version, permutations, seed,
  n-gram size, bands x rows, hash scheme) plus whether passage owners are kept and how
  candidates are verified (the sketch's size). A run with
  other values is refused with :class:`~cleaner.errors.IndexMismatchError` (a configuration
  error: exit code 2), because its signatures and band keys would never match the stored ones.
- ``docs``: one row per indexed document: its id (never a placeholder) and a 32-bit hash of it
  (ids are looked up by the hash: 4 bytes per document in that B-tree where the id itself, a
  URL, took 70 and more), the id of its cluster's kept copy (NULL when that is the document
  itself), a 64-bit hash of its content (its shingle sequence: it tells a document already in
  the index from a new version under the same id), its number of distinct shingles, its odd
  sketch (2,048 bits, 256 bytes; one bit per shingle past 2,048 shingles: see
  :mod:`cleaner.dedup.sketch`) and, only with passages on, its distinct shingle hashes (uint64
  bytes: a passage found in an indexed document is checked against them exactly).
- ``bands``: (band key, doc) rows, one B-tree (``WITHOUT ROWID``); a run's documents query these
  before they are added. A key is the low 47 bits of the band's 64-bit key, which SQLite stores
  in 6 bytes instead of 8 (a false match of two bands is one in 2**47 per indexed document and
  band; verification rejects it). The MinHash signature itself is not kept: the band keys are
  all a query needs, and the sketch verifies better.
- ``owners`` (with passages): the first indexed document holding each sampled shingle (one in
  four, by hash), which is how a later run finds candidate sources for its passages.
- ``runs``: one row per run (or library batch) that added documents: its name, when it started
  and when it was committed, the range of rows it added, its options, the process that ran it.

**Verification against the index.** With passages on, a candidate from the index is verified
with the exact Jaccard of the shingle sets, like a pair within a run. With passages off (the
index then holds 578 bytes per document on the Reuters bench instead of 2.6 KB), it is verified
with the Jaccard estimated from the two odd sketches and set sizes (the new document's sketch is
made at the stored one's size): at J = 0.8 its standard error is at most 0.0065 (simulated for
unions of 50 to 20,000 shingles: ``python benchmarks/bench_dedup.py --sketch-error``), so a pair
whose Jaccard is 0.02 or more from the threshold is decided as the exact Jaccard would decide it
with probability at least 0.976, and 0.05 or more from it, 0.999. Short documents whose differing
shingles land on distinct bits are estimated exactly. Format 2 kept 128 MinHash values of 16 bits
instead and verified with their share of equal values: a standard error of 0.035 at J = 0.8, which
cost 3 points of recall and precision on the two-batch bench (README's table has both). Pairs
within a run are always verified exactly.

**A batch is committed by its caller.** A run adds its rows as *pending* (``runs.committed`` is
NULL) and pending rows are invisible to every query, so an interrupted or uncommitted batch leaves
the index as it was. :meth:`DedupIndex.commit_run` makes them visible (the command line does it at
the very end of a run whose outputs are all written; the library when the caller says so, see
:meth:`cleaner.api.Cleaner.batch`); :meth:`DedupIndex.rollback_run` removes them. A run that
starts again under the same name (the same command, resumed) first removes its own pending rows;
a pending library batch can never be committed once its process is gone, so the next writer
removes it. A stage used alone, with no run name (``Dedup.run_id`` None), commits at once.

**One writer at a time.** A run holds :class:`IndexLock` (``PATH.lock``, an advisory ``flock``
the system releases when the process dies) from its decisions to its commit; a second run waits
up to ``DedupConfig.index_wait`` seconds, then stops with :class:`IndexBusyError` naming the
holder (pid, host, start, run). Readers (the decide tasks on the workers) take no lock.

**The journal.** The file keeps SQLite's rollback journal, not WAL: WAL needs every reader on one
host (shared memory), and the decide tasks of a Dask run read the index from other hosts. After
``kill -9`` or a full disk during a write a ``-journal`` file is left behind: the next open rolls
it back (this needs write access, once) and says so on stderr; the index is as it was before
the interrupted write.

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

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, TypeAlias

import numpy as np

from cleaner.config import DedupConfig
from cleaner.dedup.cluster import BUCKET_CAP, distinct_sorted, jaccard_distinct
from cleaner.dedup.passages import OWNER_SAMPLE, sampled
from cleaner.dedup.sketch import MIN_BITS, estimate_jaccard, odd_sketch, sketch_bits
from cleaner.errors import IndexMismatchError, UsageError

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

U32: TypeAlias = "npt.NDArray[np.uint32]"
U64: TypeAlias = "npt.NDArray[np.uint64]"

# Bump when shingle hashing, band keys or the schema change: old indexes then refuse to load,
# with a message to rebuild them. 2: runs are committed by the caller (pending rows), content hashes,
# 16-bit signatures, shingle sets only with passages, bands in one B-tree. 3: odd sketches and sizes
# instead of signatures, 47-bit band keys, ids looked up by a 32-bit hash, NULL cluster for a
# document that is its own cluster, NULL shingle sets with passages off.
FORMAT_VERSION = 3
HASH = "cleaner-horner64-fmix64/datasketch-affine32"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    id_hash INTEGER NOT NULL,
    cluster TEXT,
    content INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sketch BLOB NOT NULL,
    shingles BLOB
);
CREATE INDEX IF NOT EXISTS docs_id ON docs (id_hash);
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS owners (hash INTEGER PRIMARY KEY, doc INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
    number INTEGER PRIMARY KEY,
    run TEXT NOT NULL,
    kind TEXT NOT NULL,
    started TEXT NOT NULL,
    committed TEXT,
    first_rowid INTEGER,
    last_rowid INTEGER,
    documents INTEGER NOT NULL DEFAULT 0,
    options TEXT NOT NULL DEFAULT '{}',
    pid INTEGER,
    host TEXT
);
"""


class IndexBusyError(UsageError):
    """Another run holds the index (it is deciding or has not committed yet)."""


def content_hash(shingles: U64) -> int:
    """A 64-bit hash (signed, as SQLite stores it) of a document's shingle sequence: equal for
    documents whose dedup keys are equal, so it tells an unchanged document from a new version.

    >>> content_hash(np.array([1, 2], dtype=np.uint64)) == content_hash(np.array([1, 2], dtype=np.uint64))
    True
    """
    digest = hashlib.blake2b(np.ascontiguousarray(shingles, dtype=np.uint64).tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def id_hash(doc_id: str) -> int:
    """A 32-bit hash of a document id (signed, which SQLite stores in 4 bytes): the index looks
    ids up by it, so its B-tree holds 4 bytes per document instead of the id (a URL: 70 bytes
    and more). Two ids may share a hash; a lookup compares the ids too.

    >>> id_hash("https://example.com/a") == id_hash("https://example.com/a"), -2**31 <= id_hash("x") < 2**31
    (True, True)
    """
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "little", signed=True)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        "verification": f"odd-sketch-{MIN_BITS}",
    }


def _signed(values: npt.NDArray[np.uint64]) -> list[int]:
    """SQLite integers are signed 64-bit: store uint64 hashes by their bit pattern."""
    return values.astype(np.uint64).view(np.int64).tolist()


# A band key as stored: its low 47 bits, which SQLite writes in 6 bytes (a full 64-bit key takes
# 8, and 16 rows per document make that 32 bytes of each document's ~580).
_BAND_KEY_MASK = np.uint64((1 << 47) - 1)


def _band_keys(keys: U64) -> list[int]:
    """The stored form of a document's band keys (see ``_BAND_KEY_MASK``).

    >>> _band_keys(np.array([2**64 - 1, 5], dtype=np.uint64)) == [2**47 - 1, 5]
    True
    """
    return (np.asarray(keys, dtype=np.uint64) & _BAND_KEY_MASK).astype(np.int64).tolist()


@dataclass(frozen=True, slots=True)
class Known:
    """The latest visible row of an indexed id: its rowid, content hash, cluster and run."""

    rowid: int
    content: int
    cluster: str
    run: int
    committed: str

    def detail(self, doc_id: str) -> str:
        """How the report names where it was indexed: ``run=3 cluster=a`` (the run's number in
        ``cleaner index runs``, where its time is; no time here, so that the same input, options
        and index give a byte-identical report, whichever engine or day)."""
        cluster = "" if self.cluster == doc_id else f" cluster={self.cluster}"
        return f"run={self.run}{cluster}"


class DedupIndex:
    """An open index file. Use as a context manager; writes are committed on a clean exit.

    Rows are addressed by ``rowid``, which grows in insertion order: that order is the rank of
    indexed documents for the keep rule (all of them rank before any document of a new run).
    Rows of pending (uncommitted) runs are invisible to :meth:`query`, :meth:`owners` and
    :meth:`known`.
    """

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn, self.path = conn, path
        self.hidden = self._pending_ranges()

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
            if tables:
                _check(path, dict(conn.execute("SELECT key, value FROM meta").fetchall()), index_params(cfg))
            else:
                conn.executescript(_SCHEMA)
                conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(index_params(cfg).items()))
                conn.commit()
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

    # -- runs ------------------------------------------------------------------------------
    def _pending_ranges(self) -> list[tuple[int, int]]:
        rows = self.conn.execute(
            "SELECT first_rowid, last_rowid FROM runs WHERE committed IS NULL AND first_rowid IS NOT NULL"
        ).fetchall()
        return [(int(a), int(b)) for a, b in rows]

    def begin_run(self, run: str, kind: str, options: dict[str, Any] | None = None) -> int:
        """Start adding a run (the caller holds the :class:`IndexLock`): first remove the pending
        rows of an earlier attempt under the same name and of library batches whose process is
        gone, then note the run as pending. Returns its number. Not committed to the file here."""
        stale = self.conn.execute(
            "SELECT number FROM runs WHERE committed IS NULL AND (run = ? OR kind = 'batch')", (run,)
        ).fetchall()
        for (number,) in stale:
            self._remove_run(int(number))
        cur = self.conn.execute(
            "INSERT INTO runs (run, kind, started, options, pid, host) VALUES (?, ?, ?, ?, ?, ?)",
            (run, kind, _now(), json.dumps(options or {}, sort_keys=True), os.getpid(), socket.gethostname()),
        )
        self.hidden = self._pending_ranges()
        return int(cur.lastrowid or 0)

    def finish_add(self, number: int, rowids: Sequence[int]) -> None:
        """Note the rows run ``number`` added (pending until :meth:`commit_run`)."""
        first, last = (min(rowids), max(rowids)) if rowids else (None, None)
        self.conn.execute(
            "UPDATE runs SET first_rowid = ?, last_rowid = ?, documents = ? WHERE number = ?",
            (first, last, len(rowids), number),
        )

    def commit_run(self, run: str) -> int:
        """Make the pending rows of ``run`` visible (committed to the file). Returns how many
        documents it added; 0 when it had no pending rows."""
        rows = self.conn.execute(
            "SELECT number, documents FROM runs WHERE run = ? AND committed IS NULL", (run,)
        ).fetchall()
        self.conn.execute("UPDATE runs SET committed = ? WHERE run = ? AND committed IS NULL", (_now(), run))
        self.conn.commit()
        self.hidden = self._pending_ranges()
        return sum(int(n) for _, n in rows)

    def rollback_run(self, run: str) -> int:
        """Remove the pending rows of ``run`` (committed to the file). Returns how many."""
        rows = self.conn.execute(
            "SELECT number, documents FROM runs WHERE run = ? AND committed IS NULL", (run,)
        ).fetchall()
        for number, _ in rows:
            self._remove_run(int(number))
        self.conn.commit()
        self.hidden = self._pending_ranges()
        return sum(int(n) for _, n in rows)

    def forget(self, number: int) -> int:
        """Remove run ``number`` and every row it added, in one transaction. Returns how many
        documents left the index. Passage owners it held go to later documents holding their
        shingles only at the next :func:`compact` (a rebuild of the owners: see
        :meth:`rebuild_owners`)."""
        row = self.conn.execute("SELECT documents FROM runs WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise UsageError(f"the index {self.path} has no run {number}: `cleaner index runs {self.path}` lists them")
        self._remove_run(number)
        self.conn.commit()
        self.hidden = self._pending_ranges()
        return int(row[0])

    def _remove_run(self, number: int) -> None:
        first, last = self.conn.execute(
            "SELECT first_rowid, last_rowid FROM runs WHERE number = ?", (number,)
        ).fetchone()
        if first is not None:
            for table, column in (("bands", "doc"), ("owners", "doc"), ("docs", "rowid")):
                self.conn.execute(f"DELETE FROM {table} WHERE {column} BETWEEN ? AND ?", (first, last))
        self.conn.execute("DELETE FROM runs WHERE number = ?", (number,))

    def runs(self) -> list[dict[str, Any]]:
        """Every run, oldest first: number, name, kind, started, committed (None: pending),
        documents, options, pid and host."""
        cur = self.conn.execute(
            "SELECT number, run, kind, started, committed, documents, options, pid, host FROM runs ORDER BY number"
        )
        names = [d[0] for d in cur.description]
        out = []
        for row in cur.fetchall():
            item = dict(zip(names, row, strict=True))
            item["options"] = json.loads(item["options"])
            out.append(item)
        return out

    # -- reading ---------------------------------------------------------------------------
    def _visible(self, column: str) -> tuple[str, list[int]]:
        """A SQL condition (and its parameters) leaving out the rows of pending runs."""
        clause = "".join(f" AND {column} NOT BETWEEN ? AND ?" for _ in self.hidden)
        return clause, [v for pair in self.hidden for v in pair]

    def docs_count(self) -> int:
        """Documents visible to queries (committed runs)."""
        clause, params = self._visible("rowid")
        return int(self.conn.execute(f"SELECT COUNT(*) FROM docs WHERE 1{clause}", params).fetchone()[0])

    def known(self, doc_id: str, content: int | None = None) -> Known | None:
        """The visible row with id ``doc_id`` and this ``content`` hash if there is one, else the
        latest visible row with that id (another version), or None."""
        clause, params = self._visible("d.rowid")
        # Rows with this content first (any version may be re-sent), then the latest.
        row = self.conn.execute(
            "SELECT d.rowid, d.content, COALESCE(d.cluster, d.id), r.number, r.committed FROM docs d LEFT JOIN runs r "
            f"ON d.rowid BETWEEN r.first_rowid AND r.last_rowid WHERE d.id_hash = ? AND d.id = ?{clause} "
            "ORDER BY d.content = ? DESC, d.rowid DESC LIMIT 1",
            [id_hash(doc_id), doc_id, *params, content],
        ).fetchone()
        if row is None:
            return None
        return Known(int(row[0]), int(row[1]), str(row[2]), -1 if row[3] is None else int(row[3]), str(row[4]))

    def query(self, band_keys: U64, cap: int) -> list[int]:
        """Rowids of indexed documents sharing a band key with ``band_keys`` (the earliest
        ``cap`` per key, as OnlineBuckets keeps them), sorted."""
        keys = _band_keys(band_keys)
        clause, hidden = self._visible("doc")
        one = f"SELECT * FROM (SELECT doc FROM bands WHERE key = ?{clause} ORDER BY doc LIMIT ?)"
        params = [v for key in keys for v in (key, *hidden, cap)]
        rows = self.conn.execute(" UNION ".join([one] * len(keys)), params).fetchall()
        return sorted(doc for (doc,) in rows)

    def matches(
        self,
        band_keys: U64,
        shingles: U64,
        threshold: float,
        docs: dict[int, tuple[str, str, U64]],
    ) -> list[tuple[int, float]]:
        """Indexed documents that share a band key with a new document and whose Jaccard with
        it reaches ``threshold``: ``(rowid, similarity)``. Exact, from its ``shingles`` (sorted,
        distinct), when the index holds shingle sets (passages on); else estimated from the two
        odd sketches (see the module docstring for the error). ``docs`` caches what :meth:`doc`
        read, by rowid, across calls."""
        found = []
        mine: dict[int, bytes] = {}  # the new document's sketch, by size in bits
        for rowid in self.query(band_keys, BUCKET_CAP):
            if rowid not in docs:
                docs[rowid] = self.doc(rowid)
            stored = docs[rowid][2]
            if stored.size:
                s = jaccard_distinct(shingles, stored)
            else:
                size, sketch = self.sketch(rowid)
                bits = 8 * len(sketch)
                if bits not in mine:
                    mine[bits] = odd_sketch(shingles, bits)
                s = estimate_jaccard(int(shingles.size), mine[bits], size, sketch)
            if s >= threshold:
                found.append((rowid, s))
        return found

    def doc(self, rowid: int) -> tuple[str, str, U64]:
        """``(id, cluster, distinct shingle hashes)`` of one indexed document (no hashes when
        the index keeps none: passages off)."""
        row = self.conn.execute(
            "SELECT id, COALESCE(cluster, id), shingles FROM docs WHERE rowid = ?", (rowid,)
        ).fetchone()
        return row[0], row[1], np.frombuffer(row[2] or b"", dtype=np.uint64)

    def sketch(self, rowid: int) -> tuple[int, bytes]:
        """The number of distinct shingles and the odd sketch of one indexed document."""
        row = self.conn.execute("SELECT size, sketch FROM docs WHERE rowid = ?", (rowid,)).fetchone()
        return int(row[0]), bytes(row[1])

    def owners(self, hashes: U64) -> tuple[U64, npt.NDArray[np.int64]]:
        """For those of ``hashes`` that indexed documents hold (only sampled hashes are kept):
        the hashes (sorted, distinct) and the rowid of the first document holding each."""
        signed = hashes.astype(np.uint64).view(np.int64)  # SQLite's (signed) key order
        wanted = distinct_sorted(signed)  # type: ignore[arg-type]
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (hash INTEGER PRIMARY KEY) WITHOUT ROWID")
        self.conn.execute("DELETE FROM wanted")
        self.conn.executemany("INSERT INTO wanted VALUES (?)", ((h,) for h in wanted.tolist()))
        clause, params = self._visible("o.doc")
        rows = self.conn.execute(
            f"SELECT o.hash, o.doc FROM wanted w JOIN owners o ON o.hash = w.hash WHERE 1{clause}", params
        ).fetchall()
        self.conn.execute("DELETE FROM wanted")
        if not rows:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        found = np.array(rows, dtype=np.int64)
        found_hashes = found[:, 0].view(np.uint64)
        order = np.argsort(found_hashes)
        return found_hashes[order], found[order, 1]

    # -- writing ---------------------------------------------------------------------------
    def add(self, docs: Iterable[Sequence[Any]]) -> list[int]:
        """Append documents ``(id, cluster, band keys, distinct shingles[, content hash])`` in
        rank order (an iterable: they are written one by one); with passages on, also record the
        sampled shingles they are first to hold. Returns their rowids."""
        rowids: list[int] = []
        passages = self.conn.execute("SELECT value FROM meta WHERE key = 'passages'").fetchone()[0] == "1"
        owned: list[U64] = []
        cur = self.conn.cursor()
        for doc_id, cluster, keys, shingles, *rest in docs:
            content = rest[0] if rest else content_hash(shingles)
            size = len(shingles)
            cur.execute(
                "INSERT INTO docs (id, id_hash, cluster, content, size, sketch, shingles) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    doc_id,
                    id_hash(doc_id),
                    None if cluster == doc_id else cluster,
                    int(content),
                    size,
                    odd_sketch(shingles, sketch_bits(size)),
                    shingles.astype(np.uint64).tobytes() if passages else None,
                ),
            )
            rowid = int(cur.lastrowid or 0)
            rowids.append(rowid)
            if passages:
                owned.append(shingles[sampled(shingles)])
            if not size:
                continue  # no words, no near-duplicates: its all-max signature would match every empty one
            cur.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", ((k, rowid) for k in _band_keys(keys)))
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

    def rebuild_owners(self, chunk: int = 4096) -> int:
        """Recompute the passage owners from the stored shingle sets (passages on; else nothing
        to do): each sampled shingle owned by the first document holding it, as if the index had
        been built from its present rows. Forgetting a run removes its owners and nothing takes
        them over until this runs (``cleaner index compact``). Reads ``chunk`` documents at a
        time, in rowid order. Returns how many shingles have an owner now that had none."""
        if self.conn.execute("SELECT value FROM meta WHERE key = 'passages'").fetchone()[0] != "1":
            return 0
        before = int(self.conn.execute("SELECT COUNT(*) FROM owners").fetchone()[0])
        self.conn.execute("DELETE FROM owners")
        last = 0
        while True:
            rows = self.conn.execute(
                "SELECT rowid, shingles FROM docs WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, chunk)
            ).fetchall()
            if not rows:
                break
            sets = [np.frombuffer(blob or b"", dtype=np.uint64) for _, blob in rows]
            # earlier chunks' owners stay (INSERT OR IGNORE): the smallest rowid wins overall
            self._add_owners([s[sampled(s)] for s in sets], [int(rowid) for rowid, _ in rows])
            last = int(rows[-1][0])
        return int(self.conn.execute("SELECT COUNT(*) FROM owners").fetchone()[0]) - before

    def close(self) -> None:
        self.conn.close()


def _journal(path: str) -> str | None:
    """The rollback journal an interrupted write left beside ``path``, if any."""
    journal = path + "-journal"
    return journal if os.path.isfile(journal) and os.path.getsize(journal) > 0 else None


def recover(path: str) -> str | None:
    """Roll back a write that was interrupted (``kill -9``, full disk, power loss) and left a
    journal beside the index: open it read-write once, which is how SQLite rolls the journal
    back. Returns what happened (None when there was nothing to do); the index is then as it
    was before the interrupted write."""
    journal = _journal(path)
    if journal is None or not os.path.isfile(path):
        return None
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            conn.execute("BEGIN IMMEDIATE")  # a write lock: SQLite rolls a hot journal back first
            conn.rollback()
        finally:
            conn.close()
    except sqlite3.OperationalError as err:
        raise UsageError(
            f"the index {path} has the journal of an interrupted write ({journal}) and it cannot be rolled "
            f"back ({err}): give this process write access to {os.path.dirname(os.path.abspath(path))} "
            "and run again; do not delete the journal, it restores the index"
        ) from err
    return (
        f"the index {path} had an unfinished write (a run was killed or the disk was full); "
        "it was rolled back and the index is as it was before that write"
    )


def _connect(path: str, readonly: bool) -> sqlite3.Connection:
    if readonly and not os.path.isfile(path):
        raise UsageError(f"no index at {path}: give the path of a file made by `cleaner clean --index`")
    if os.path.isfile(path) and _journal(path) is not None:
        note = recover(path)
        if note:
            print(f"cleaner: note: {note}", file=sys.stderr)
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        else:
            conn = sqlite3.connect(path, timeout=30)
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as err:
        raise UsageError(
            f"{path} is not a readable cleaner index ({err}): --index takes a file made by an "
            "earlier `cleaner clean --index` run, or a new path to start one"
        ) from err
    return conn


def _check(path: str, stored: dict[str, str], wanted: dict[str, str]) -> None:
    version = stored.get("format_version")
    if version != wanted["format_version"]:
        why = (
            " (format 2 kept 16-bit MinHash values, from which the sketches that verify candidates now cannot be made)"
            if version == "2"
            else ""
        )
        raise IndexMismatchError(
            f"the index {path} is in format {version or 'unknown'}, written by another version of cleaner; "
            f"this version reads format {wanted['format_version']}{why}. Rebuild it: run your batches again "
            "with a new --index path (the old file is left as it is)"
        )
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


@contextlib.contextmanager
def _reading(path: str) -> Iterator[sqlite3.Connection]:
    conn = _connect(path, readonly=True)
    try:
        yield conn
    except sqlite3.DatabaseError as err:
        raise UsageError(f"{path} is not a cleaner index ({err}): give the path of a file made by --index") from err
    finally:
        conn.close()


def describe(path: str) -> dict[str, object]:
    """What the index at ``path`` holds: its parameters, document/cluster/band counts, format,
    runs, and the file's size per document.

    Raises UsageError when the file is missing or not an index.
    """
    with _reading(path) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        current = meta.get("format_version") == str(FORMAT_VERSION)
        index = DedupIndex(conn, path) if current and "runs" in _tables(conn) else None
        clause, params = index._visible("rowid") if index else ("", [])
        docs = conn.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT COALESCE(cluster, id)) FROM docs WHERE 1{clause}", params
        ).fetchone()
        pending = conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0] - docs[0]
        bands = conn.execute("SELECT COUNT(*) FROM bands").fetchone()[0]
        owners = conn.execute("SELECT COUNT(*) FROM owners").fetchone()[0]
        runs = index.runs() if index else []
    params_out: dict[str, object] = {k: (int(v) if v.isdigit() else v) for k, v in meta.items()}
    size = os.path.getsize(path)
    return {
        "path": path,
        "format_version": params_out.pop("format_version", None),
        "parameters": params_out,
        "documents": int(docs[0]),
        "pending_documents": int(pending),
        "clusters": int(docs[1]),
        "band_rows": int(bands),
        "passage_shingles": int(owners),
        "runs": len([r for r in runs if r["committed"]]),
        "pending_runs": len([r for r in runs if not r["committed"]]),
        "file_bytes": size,
        "bytes_per_document": round(size / docs[0]) if docs[0] else None,
    }


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def iter_ids(path: str) -> Iterable[tuple[str, str]]:
    """``(id, cluster)`` of every indexed document, in insertion order (for inspection and tests)."""
    conn = _connect(path, readonly=True)
    try:
        yield from conn.execute("SELECT id, COALESCE(cluster, id) FROM docs ORDER BY rowid")
    finally:
        conn.close()


class IndexLock:
    """The one-writer lock of an index: ``flock`` on ``PATH.lock``, which names its holder.

    The system releases it when the holding process dies, so a killed run never leaves the
    index locked. ``acquire`` waits up to ``wait`` seconds for another holder, then raises
    :class:`IndexBusyError` naming it.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "i.sqlite")
    >>> with IndexLock(path, "run-a"):
    ...     IndexLock(path, "run-b").acquire(wait=0)
    Traceback (most recent call last):
    cleaner.dedup.index.IndexBusyError: ...
    """

    def __init__(self, path: str, run: str) -> None:
        self.path, self.run = path, run
        self.lock_path = path + ".lock"
        self.fh: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self.fh is not None

    def acquire(self, wait: float = 0.0) -> None:
        if self.fh is not None:
            return
        fh = open(self.lock_path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip()
                    fh.close()
                    raise IndexBusyError(self._busy(holder, wait)) from None
                time.sleep(0.05)
        fh.seek(0)
        fh.truncate()
        holder_info = {"pid": os.getpid(), "host": socket.gethostname(), "started": _now(), "run": self.run}
        fh.write(json.dumps(holder_info, sort_keys=True))
        fh.flush()
        self.fh = fh

    def _busy(self, holder: str, wait: float) -> str:
        try:
            who = json.loads(holder)
            named = f"pid {who['pid']} on {who['host']}, started {who['started']}, run {who['run']}"
        except (ValueError, KeyError, TypeError):
            named = "another process"
        waited = f" (waited {wait:g} s)" if wait > 0 else ""
        return (
            f"the index {self.path} is in use by another run ({named}){waited}: wait for it to finish, "
            "or give a longer wait (index_wait in the [dedup] section of the config file)"
        )

    def release(self) -> None:
        if self.fh is not None:
            with contextlib.suppress(OSError):
                self.fh.seek(0)
                self.fh.truncate()
                fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None

    def __del__(self) -> None:
        self.release()

    def __enter__(self) -> IndexLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# -- maintenance: the `cleaner index` commands ---------------------------------------------------
@contextlib.contextmanager
def maintaining(path: str, what: str, wait: float = 0.0) -> Iterator[DedupIndex]:
    """The index at ``path`` opened for a maintenance command: its writer lock held (so no run
    is deciding or waiting to commit), its format checked, changes committed on a clean exit."""
    if not os.path.isfile(path):
        raise UsageError(f"no index at {path}: give the path of a file made by `cleaner clean --index`")
    lock = IndexLock(os.path.abspath(path), what)
    lock.acquire(wait)
    try:
        conn = _connect(path, readonly=False)
        try:
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            except sqlite3.DatabaseError as err:
                raise UsageError(f"{path} is not a cleaner index ({err}): give a file made by --index") from err
            if meta.get("format_version") != str(FORMAT_VERSION):
                _check(path, meta, {"format_version": str(FORMAT_VERSION)})
            with DedupIndex(conn, path) as index:
                yield index
        finally:
            conn.close()
    finally:
        lock.release()


def list_runs(path: str) -> list[dict[str, Any]]:
    """Every run of the index at ``path``, oldest first (see :meth:`DedupIndex.runs`)."""
    with _reading(path) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format_version") != str(FORMAT_VERSION):
            _check(path, meta, {"format_version": str(FORMAT_VERSION)})
        return DedupIndex(conn, path).runs()


def forget(path: str, number: int) -> int:
    """Remove run ``number`` and its rows from the index at ``path`` in one transaction (all or
    nothing); returns how many documents left."""
    with maintaining(path, f"forget {number}") as index:
        return index.forget(number)


def compact(path: str) -> dict[str, int]:
    """Remove the pending rows of library batches that were never committed, hand the passage
    owners of forgotten documents to the next documents holding their shingles (with passages),
    then rebuild the file without free pages (SQLite ``VACUUM``). A command's pending run (it may
    still resume and commit) is kept. Returns the file size before and after, the batches
    removed and the passage shingles that found a new owner."""
    before = os.path.getsize(path) if os.path.isfile(path) else 0
    with maintaining(path, "compact") as index:
        stale = index.conn.execute("SELECT number FROM runs WHERE committed IS NULL AND kind = 'batch'").fetchall()
        for (number,) in stale:
            index._remove_run(int(number))
        reassigned = index.rebuild_owners()
        index.conn.commit()
        index.conn.execute("VACUUM")
    return {
        "bytes_before": before,
        "bytes_after": os.path.getsize(path),
        "batches_removed": len(stale),
        "passage_owners_reassigned": reassigned,
    }


def verify(path: str) -> dict[str, Any]:
    """A consistency check of the index at ``path``: SQLite's own integrity check, then that
    every document belongs to exactly one run, that band and owner rows point at documents, and
    that signatures and shingle sets have their sizes. Returns ``{"ok": bool, "problems": [...],
    "documents": n, "runs": n}``; each problem is one readable line."""
    problems: list[str] = []
    with _reading(path) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format_version") != str(FORMAT_VERSION):
            _check(path, meta, {"format_version": str(FORMAT_VERSION)})
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        if integrity != ["ok"]:
            problems += [f"sqlite integrity: {line}" for line in integrity[:20]]
        passages = meta.get("passages") == "1"
        checks = [
            (
                "documents in no run",
                "SELECT COUNT(*) FROM docs d WHERE NOT EXISTS (SELECT 1 FROM runs r "
                "WHERE d.rowid BETWEEN r.first_rowid AND r.last_rowid)",
            ),
            (
                "runs whose row ranges overlap",
                "SELECT COUNT(*) FROM runs a JOIN runs b ON a.number < b.number "
                "AND a.first_rowid <= b.last_rowid AND b.first_rowid <= a.last_rowid",
            ),
            (
                "runs whose document count differs from their rows",
                "SELECT COUNT(*) FROM runs r WHERE r.documents != "
                "(SELECT COUNT(*) FROM docs d WHERE d.rowid BETWEEN r.first_rowid AND r.last_rowid)",
            ),
            (
                "band rows pointing at no document",
                "SELECT COUNT(*) FROM bands b LEFT JOIN docs d ON d.rowid = b.doc WHERE d.rowid IS NULL",
            ),
            (
                "passage owners pointing at no document",
                "SELECT COUNT(*) FROM owners o LEFT JOIN docs d ON d.rowid = o.doc WHERE d.rowid IS NULL",
            ),
            (
                "sketches whose length does not match their document's size",
                f"SELECT COUNT(*) FROM docs WHERE 8 * length(sketch) != MAX({MIN_BITS}, (size + 7) / 8 * 8)",
            ),
            (
                "shingle sets missing or not of their document's size"
                if passages
                else "shingle sets kept by an index without passages",
                "SELECT COUNT(*) FROM docs WHERE shingles IS NULL OR length(shingles) != 8 * size"
                if passages
                else "SELECT COUNT(*) FROM docs WHERE shingles IS NOT NULL",
            ),
        ]
        for what, query in checks:
            count = int(conn.execute(query).fetchone()[0])
            if count:
                problems.append(f"{count} {what}")
        misfiled = sum(
            1 for doc_id, stored in conn.execute("SELECT id, id_hash FROM docs") if id_hash(doc_id) != stored
        )
        if misfiled:
            problems.append(f"{misfiled} documents whose id hash is not their id's (their ids cannot be found)")
        documents = int(conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0])
        runs = int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    return {"path": path, "ok": not problems, "problems": problems, "documents": documents, "runs": runs}
