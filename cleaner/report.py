"""The run report: one JSON record per input document, and counters that add across workers.

Workers each return a ``Report``; the driver adds them up (``+`` is associative and ``Report()``
is its identity), so the totals do not depend on how the work was split.

>>> a = Report(docs_in=2, docs_kept=2, chars_in=10, chars_out=8)
>>> b = Report(docs_in=1, docs_error=1)
>>> (a + b).docs_in, (a + b).docs_error
(3, 1)
"""

from __future__ import annotations

import json
import operator
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

import orjson

from cleaner.record import Document, Drop, Reason, Unit, json_line

Row = tuple[Any, ...]
"""The values of a Drop's fields, in order: a drop a runner's last phase did not make into a Drop."""


def document_record(doc: Document, earlier: Sequence[Row] = ()) -> dict[str, Any]:
    """The report record of one document: what it is, what happened to it and why. ``earlier``
    are drops the document no longer holds, recorded before its own: each the values of a
    Drop's fields in order (a runner's last phase gets the drops of the earlier phases so).

    >>> from cleaner.record import Source
    >>> document_record(Document(id="a.txt", text="hi", source=Source("a.txt"), chars_in=3))["status"]
    'kept'
    """
    rejected = doc.rejected
    dup = doc.duplicate
    signals = doc.signals
    status = doc.status
    drops = _drop_records(doc.drops) if doc.drops else []
    if earlier:
        drops = _drop_rows_records(earlier) + drops
    # Empty lists, no signals, no duplicate: the common record skips the comprehensions (one
    # record per document, 20k on the Reuters bench).
    record = {
        "id": doc.id,
        "source": {"path": doc.source.path, "line": doc.source.line},
        "status": status,
        "reason": str(rejected.reason) if rejected else None,
        "detail": rejected.detail if rejected and rejected.detail else None,
        "chars_in": doc.chars_in,
        "chars_out": len(doc.text) if status == "kept" else 0,
        "drops": drops,
        "edits": [e.to_json() for e in doc.edits] if doc.edits else [],
        "cluster": dup.cluster if dup else None,
        "duplicate_of": dup.duplicate_of if dup else None,
        "similarity": dup.similarity if dup else None,
        "passages": [p.to_json() for p in doc.passages] if doc.passages else [],
        "lang": signals.get("lang") if signals else None,
        "lang_score": signals.get("lang_score") if signals else None,
        "signals": _other_signals(signals) if signals else None,
    }
    if dup is not None and dup.version_of is not None:
        record["new_version_of"] = dup.version_of  # only then: older reports keep their shape
    return record


def _drop_records(drops: Sequence[Drop]) -> list[dict[str, Any]]:
    """``[d.to_json() for d in drops]``, made from their fields' values as a runner's last phase's
    earlier drops are (:func:`_drop_rows_records`: one maker of a drop's record, without the
    method's call a drop; a line record of the 30 MB text dump has 5 or 6)."""
    return _drop_rows_records(map(_DROP_ROW, drops))


# Measured and left (issue 14, wr31; the 30 MB text dump's last phase in process: 13,148 report
# lines with 78,747 earlier drops): a dict a drop is the floor of a line's drops. Made by C-level
# maps (``dict(zip(keys, row))`` where every row has a place and no detail): 1.8x slower; by a
# lambda with a dict display over a layer's columns: 106 against 94 ms; by a comprehension: no
# faster; Drops (assemble_drop) written by orjson as dataclasses, ``"detail":""`` cut: 3.5x
# slower. signals_fragment from orjson's bytes of the whole signals, the language's two spliced
# off and the floats checked on the bytes: 2.6x slower (a bytes search is 1.2 us there); the
# values but the language's by islice, not a copy of the dict: slower; plain_floats' smallest
# value by a set: slower. _add_details numbering the kinds by dict.setdefault against a count,
# counted by Counter and numpy.bincount: 80 against 72 ms. Escaping a batch's report lines at
# once: nothing to gain, the dump's lines are ASCII (one isascii each). The sampling profiler
# charges a C call's time to the next Python frame: escape_line_breakers' share there is
# orjson.dumps's, and the ``<lambda>`` under _load_spill (a NamedTuple's) pickle.load's.
def _drop_rows_records(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """``Drop(*row).to_json()`` of each row of a Drop's field values, without the Drop."""
    out = []
    for stage, reason, unit, text, start, end, detail in rows:
        record = {"stage": stage, "reason": str(reason), "unit": str(unit), "text": text}
        if start is not None:
            record["start"], record["end"] = start, end
        if detail:
            record["detail"] = detail
        out.append(record)
    return out


def _other_signals(signals: Mapping[str, Any]) -> dict[str, Any] | None:
    """The signals but the language's, in their order, or None: a copy less two keys, where a
    comprehension over 27 signals cost four times as much."""
    rest = dict(signals)
    rest.pop("lang", None)
    rest.pop("lang_score", None)
    return rest or None


def dumps_record(record: dict[str, Any]) -> str:
    """One JSONL line; stable key order and no ASCII escaping, so output is byte-identical run to run."""
    return json_line(record, separators=(",", ":"))


def report_line(doc: Document, earlier: Sequence[Row] = (), signals: bytes | None = None) -> bytes:
    """``dumps_record(document_record(doc, earlier))`` in UTF-8, written by orjson where it gives those bytes.
    ``signals``: the document's signals as :func:`signals_fragment` wrote them, when it no longer
    holds them (a runner's last phase gets them so); its own are then empty.

    orjson writes what ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes
    (same escapes, same shortest float digits) except for floats: NaN and infinities (null),
    and sizes below 1e-4 or from 1e16 up (no exponent, or one without its sign). A record
    holding such a float, or what orjson refuses (an int beyond 64 bits, a lone surrogate, a
    float subclass), goes through json.dumps. The json encoder was 3% of a run's CPU on the
    30 MB text dump. tests/test_report.py checks both paths give the same bytes.
    """
    if signals is not None:
        return _with_signals(doc, earlier, signals)
    if not earlier and _untouched(doc):
        # A kept document nothing happened to (most of a dedup-only run): its record is this
        # template around four values, a third of the cost of building the dict and dumping it.
        source = doc.source
        try:
            line = _PLAIN_KEPT % (orjson.dumps(doc.id), orjson.dumps(source.path), orjson.dumps(source.line),
                                  doc.chars_in, len(doc.text))  # fmt: skip
        except TypeError:  # what orjson refuses: the general path decides
            pass
        else:
            return escape_line_breakers(line)
    record = document_record(doc, earlier)
    dup = doc.duplicate
    others = record["signals"]  # the signals' values are these and the language's two
    if (
        (dup is None or plain_float(dup.similarity))
        and (not doc.passages or all(plain_float(p.similarity) for p in doc.passages))
        and (
            not doc.signals
            or (
                plain_float(record["lang"])
                and plain_float(record["lang_score"])
                and (others is None or plain_floats(others.values()))
            )
        )
    ):
        try:
            line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # orjson.JSONEncodeError: json.dumps decides (or fails) as before
            pass
        else:
            return escape_line_breakers(line)
    return dumps_record(record).encode("utf-8")


def _untouched(doc: Document) -> bool:
    """A kept document nothing happened to (its report line is the _PLAIN_KEPT template's)."""
    return (
        doc.rejected is None
        and not doc.drops
        and not doc.edits
        and doc.duplicate is None
        and not doc.passages
        and not doc.signals
        and type(doc.chars_in) is int
    )


def report_lines(docs: Iterable[Document]) -> bytes:
    """``b"".join(map(report_line, docs))``, the kept documents nothing happened to (report_line's
    template) written here: the bytes of their source's path once for the documents in a row
    that share it (a shard's documents all do) and its line by ``%d``, where report_line calls
    orjson for both and itself for each document (a dedup-only run on the Reuters bench, 20k
    documents: 19.0 -> 16.0 ms, in process). tests/test_report.py checks the two give the same bytes.
    """
    lines: list[bytes] = []
    path: object = None  # the path of the last document written here, and its bytes
    path_bytes = b""
    for doc in docs:
        if _untouched(doc) and type(doc.source.line) is int:
            source = doc.source
            try:
                if source.path is not path:
                    path_bytes, path = orjson.dumps(source.path), source.path
                line = _PLAIN_KEPT_AT % (orjson.dumps(doc.id), path_bytes, source.line, doc.chars_in, len(doc.text))
            except TypeError:  # what orjson refuses: report_line decides
                pass
            else:
                lines.append(escape_line_breakers(line))
                continue
        lines.append(report_line(doc))
    return b"".join(lines)


def signals_fragment(signals: Mapping[str, Any]) -> bytes | None:
    """The bytes report_line's orjson path writes for the signals of a document's record, its
    ``"lang":...,"lang_score":...,"signals":...`` (UTF-8, the line breakers not escaped yet), or
    None where the document's line goes otherwise (no signals, a float json.dumps writes other
    than orjson, what orjson refuses). A runner's phase before the last writes them when the
    last does not read the signals (see cleaner.runners.core.aside_columns): unpickling a
    document's 27 signals there and checking and writing them again cost 8 us a document,
    rendering them here 5 (the 30 MB text dump: 13,000 documents).

    >>> signals_fragment({"lang": "en", "lang_score": 0.5, "words": 3})
    b'"lang":"en","lang_score":0.5,"signals":{"words":3}'
    >>> signals_fragment({"lang": "en", "ratio": 1e-05}) is None, signals_fragment({}) is None
    (True, True)
    """
    if not signals:
        return None
    lang, score, others = signals.get("lang"), signals.get("lang_score"), _other_signals(signals)
    if not (plain_float(lang) and plain_float(score) and (others is None or plain_floats(others.values()))):
        return None
    try:
        return orjson.dumps({"lang": lang, "lang_score": score, "signals": others})[1:-1]
    except TypeError:  # orjson.JSONEncodeError: the record's own path decides
        return None


def _with_signals(doc: Document, earlier: Sequence[Row], signals: bytes) -> bytes:
    """report_line of ``doc`` with the signals :func:`signals_fragment` wrote: the record without
    them, by orjson, its last three values (null) replaced by the fragment; any other record
    (a float or value orjson does not write as json.dumps does, a new version) with the signals'
    values read back from the fragment (json.loads gives the values orjson wrote: the same
    record, the same line)."""
    dup = doc.duplicate
    if (
        (dup is None or (dup.version_of is None and plain_float(dup.similarity)))
        and (not doc.passages or all(plain_float(p.similarity) for p in doc.passages))
        and not doc.signals
    ):
        try:
            line = orjson.dumps(document_record(doc, earlier), option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # orjson.JSONEncodeError: json.dumps decides (or fails) as before
            pass
        else:
            if line.endswith(_NO_SIGNALS):
                return escape_line_breakers(line[: -len(_NO_SIGNALS)] + signals + b"}\n")
    values = json.loads(b"{" + signals + b"}")
    whole = {"lang": values["lang"], "lang_score": values["lang_score"], **(values["signals"] or {})}
    return report_line(doc.replace(signals=whole), earlier)


# How the record of a document without signals ends, written by orjson.
_NO_SIGNALS = b'"lang":null,"lang_score":null,"signals":null}\n'


# The record document_record makes for a kept document without drops, edits, duplicate, passages
# or signals, as orjson writes it: id, source path, source line, chars_in, chars_out.
_PLAIN_KEPT = (
    b'{"id":%b,"source":{"path":%b,"line":%b},"status":"kept","reason":null,"detail":null,"chars_in":%d,'
    b'"chars_out":%d,"drops":[],"edits":[],"cluster":null,"duplicate_of":null,"similarity":null,"passages":[],'
    b'"lang":null,"lang_score":null,"signals":null}\n'
)
# The same with the source's line an int written by %d (report_lines), as orjson writes it.
_PLAIN_KEPT_AT = _PLAIN_KEPT.replace(b'"line":%b', b'"line":%d')


def plain_float(value: object) -> bool:
    """Whether orjson writes ``value`` as json.dumps does, as far as floats go: anything but a
    float, a float 0, or one whose size is from 1e-4 up to below 1e16 (NaN compares false).

    >>> plain_float(0.25), plain_float(3), plain_float(1e-05), plain_float(float("nan"))
    (True, True, False, False)
    """
    return not isinstance(value, float) or value == 0.0 or 1e-4 <= abs(value) < 1e16


def plain_floats(values: Collection[Any]) -> bool:
    """``all(map(plain_float, values))``, by two C-level passes where it can: the smallest value
    but 0 from 1e-4 up (so none is negative) and their sum below 1e16 (each is then, and none is
    NaN or infinite). Other values (a str, a negative number, an int from 1e16 up) go value by
    value: plain_float is a Python call a value, and a document of the default stages has 25
    signals. (A third pass, ``min(values) >= 0``, cost 1.3 us a document of them.)

    >>> plain_floats([0.25, 3, 0.0]), plain_floats([1e-05, 1.0]), plain_floats([float("nan")]), plain_floats([-1.0])
    (True, False, False, True)
    """
    try:
        if sum(values) < 1e16 and min(filter(None, values), default=1.0) >= 1e-4:
            return True
    except (TypeError, ValueError, OverflowError):  # not numbers, or none; an int too large for a float
        pass
    return all(map(plain_float, values))


def escape_line_breakers(line: bytes) -> bytes:
    """The UTF-8 form of record.json_line's escapes of U+0085, U+2028 and U+2029 (each of those
    byte sequences is only ever that character in UTF-8). An ASCII line holds none of them:
    one ``isascii`` pass (about 20x faster than the two searches) skips both."""
    if line.isascii():
        return line
    if b"\xc2\x85" in line:
        line = line.replace(b"\xc2\x85", b"\\u0085")
    if b"\xe2\x80" in line:
        line = line.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return line


@dataclass
class Report:
    """Counters of a run (or of part of one). Add reports together to merge them."""

    docs_in: int = 0
    docs_kept: int = 0
    docs_dropped: int = 0
    docs_error: int = 0
    chars_in: int = 0
    chars_out: int = 0
    # (stage, reason, unit) -> [count, chars]
    drops: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    drop_chars: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)  # reason -> documents
    edits: Counter[str] = field(default_factory=Counter)  # fixer -> count
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    clusters: Counter[str] = field(default_factory=Counter)  # cluster id -> members
    passages_flagged: int = 0
    files_skipped: int = 0

    def add_seconds(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def add_document(self, doc: Document) -> None:
        self.docs_in += 1
        self.chars_in += doc.chars_in
        status = doc.status
        if status == "kept":
            self.docs_kept += 1
            self.chars_out += len(doc.text)
        elif status == "dropped":
            self.docs_dropped += 1
        else:
            self.docs_error += 1
        self._add_details((doc,))

    def _add_details(self, docs: Sequence[Document], earlier: Sequence[Sequence[Row]] | None = None) -> None:
        """What the rejections, drops, edits, clusters and passages of ``docs`` add to the counts,
        counted over them at once. The drops are counted by their own (stage, reason, unit) first,
        each distinct one's strings made once: str() of an enum is a Python call, and a page of the
        HTML mode has dozens of drops of a few kinds, a document of the 30 MB text dump 5 or 6 of 4
        or 5 (24.6 -> 6.6 ms for 14k drops in process; counted over a batch, not document by
        document, 0.19 -> 0.06 CPU-s of the dump's run). The keys reach the counters in the order
        of their first drop, as one by one."""
        for doc in docs:
            if doc.rejected is not None:
                self.rejections[str(doc.rejected.reason)] += 1
        kinds: Iterable[tuple[str, Reason, Unit]]
        if earlier is None:
            drops = list(chain.from_iterable(map(_DROPS, docs)))
            kinds, sizes = map(_DROP_KIND, drops), map(len, map(_TEXT, drops))
        else:  # each document's earlier drops (their values), then its own
            rows = list(chain.from_iterable(map(chain, earlier, map(map, repeat(_DROP_ROW), map(_DROPS, docs)))))
            kinds, sizes = map(_ROW_KIND, rows), map(len, map(_ROW_TEXT, rows))
        counts: dict[tuple[str, Reason, Unit], list[int]] = {}
        for kind, size in zip(kinds, sizes, strict=True):
            entry = counts.get(kind)
            if entry is None:
                counts[kind] = [1, size]
            else:
                entry[0] += 1
                entry[1] += size
        for (stage, reason, unit), (n, chars) in counts.items():
            key = (stage, str(reason), str(unit))
            self.drops[key] += n
            self.drop_chars[key] += chars
        for e in chain.from_iterable(map(_EDITS, docs)):
            self.edits[e.fixer] += e.count
        self.clusters.update(d.duplicate.cluster for d in docs if d.duplicate is not None)
        self.passages_flagged += sum(map(len, map(_PASSAGES, docs)))

    def add_documents(self, docs: Sequence[Document], earlier: Sequence[Sequence[Row]] | None = None) -> None:
        """:meth:`add_document` of each of ``docs``, the same counts (the counters' keys in the
        same order): the totals by C-level passes over the batch, and what the documents that
        were dropped, failed or changed add counted over the batch at once (:meth:`_add_details`).
        ``earlier``: each document's drops it no longer holds, counted before its own (see
        :func:`document_record`)."""
        self.docs_in += len(docs)
        self.chars_in += sum(map(_CHARS_IN, docs))
        if earlier is not None and any(earlier):  # the documents with earlier drops are notable too
            pairs = [
                (d, e)
                for d, e in zip(docs, earlier, strict=True)
                if e or d.rejected is not None or d.drops or d.edits or d.duplicate is not None or d.passages
            ]
            notable, earlier = [d for d, _ in pairs], [e for _, e in pairs]
        else:
            earlier = None
            notable = [
                d for d in docs if d.rejected is not None or d.drops or d.edits or d.duplicate is not None or d.passages
            ]
        kept = [d for d in docs if d.rejected is None]
        self.docs_kept += len(kept)
        self.chars_out += sum(map(len, map(_TEXT, kept)))
        if not notable:
            return
        for doc in notable:
            if doc.rejected is not None:
                if doc.rejected.is_error:
                    self.docs_error += 1
                else:
                    self.docs_dropped += 1
        self._add_details(notable, earlier)

    def __add__(self, other: Report) -> Report:
        if not isinstance(other, Report):
            return NotImplemented
        return Report(
            docs_in=self.docs_in + other.docs_in,
            docs_kept=self.docs_kept + other.docs_kept,
            docs_dropped=self.docs_dropped + other.docs_dropped,
            docs_error=self.docs_error + other.docs_error,
            chars_in=self.chars_in + other.chars_in,
            chars_out=self.chars_out + other.chars_out,
            drops=self.drops + other.drops,
            drop_chars=self.drop_chars + other.drop_chars,
            rejections=self.rejections + other.rejections,
            edits=self.edits + other.edits,
            seconds=_add_float(self.seconds, other.seconds),
            clusters=self.clusters + other.clusters,
            passages_flagged=self.passages_flagged + other.passages_flagged,
            files_skipped=self.files_skipped + other.files_skipped,
        )

    @property
    def failed(self) -> bool:
        return self.docs_error > 0

    def summary(self) -> str:
        """A readable summary table for stderr: documents, characters, removals, duplicates, time.

        >>> r = Report(docs_in=3, docs_kept=2, docs_dropped=1, chars_in=300, chars_out=200)
        >>> r.rejections["dedup.near_duplicate_doc"] += 1
        >>> r.clusters.update({"a": 2})
        >>> print(r.summary())
        documents: 3 in, 2 kept, 1 dropped, 0 errors
        characters: 300 in, 200 out (66.7% kept)
        <BLANKLINE>
        documents dropped or failed, by reason  documents
          dedup.near_duplicate_doc                      1
        <BLANKLINE>
        near-duplicates: 1 cluster (largest 2 documents), 0 reused passages flagged
        """
        out = [
            f"documents: {self.docs_in:,} in, {self.docs_kept:,} kept, {self.docs_dropped:,} dropped, "
            f"{self.docs_error:,} errors",
            f"characters: {self.chars_in:,} in, {self.chars_out:,} out ({_share(self.chars_out, self.chars_in)} kept)",
        ]
        if self.files_skipped:
            out.append(f"skipped: {self.files_skipped:,} files of a type cleaner does not read (-v lists them)")
        if self.rejections:
            rows = sorted(self.rejections.items(), key=lambda kv: (-kv[1], kv[0]))
            out += ["", *_table("documents dropped or failed, by reason", ["documents"], [(r, [n]) for r, n in rows])]
        if self.drops:
            rows2 = sorted(self.drops.items(), key=lambda kv: (-kv[1], kv[0]))
            out += [
                "",
                *_table(
                    "removed pieces, by reason",
                    ["pieces", "characters"],
                    [
                        (f"{reason} ({unit})", [n, self.drop_chars[(stage, reason, unit)]])
                        for (stage, reason, unit), n in rows2
                    ],
                ),
            ]
        if self.edits:
            rows3 = sorted(self.edits.items(), key=lambda kv: (-kv[1], kv[0]))
            out += ["", *_table("normalizer edits", ["count"], [(fixer, [n]) for fixer, n in rows3])]
        sizes = [n for n in self.clusters.values() if n > 1]
        if self.clusters or self.passages_flagged:
            largest = f" (largest {max(sizes):,} documents)" if sizes else ""
            out += [
                "",
                f"near-duplicates: {len(sizes):,} cluster{'s' if len(sizes) != 1 else ''}{largest}, "
                f"{self.passages_flagged:,} reused passages flagged",
            ]
        if self.seconds:
            rows4 = [(stage, [f"{secs:.2f}"]) for stage, secs in self.seconds.items()]
            out += ["", *_table("seconds per stage (summed over workers)", ["seconds"], rows4)]
        return "\n".join(out)


_CHARS_IN, _TEXT = operator.attrgetter("chars_in"), operator.attrgetter("text")
_DROPS, _EDITS, _PASSAGES = operator.attrgetter("drops"), operator.attrgetter("edits"), operator.attrgetter("passages")
_DROP_KIND = operator.attrgetter("stage", "reason", "unit")
# A Drop's field values in order, and the kind and text of such a row (see document_record's earlier).
_DROP_ROW = operator.attrgetter("stage", "reason", "unit", "text", "start", "end", "detail")
_ROW_KIND, _ROW_TEXT = operator.itemgetter(0, 1, 2), operator.itemgetter(3)


def _table(title: str, columns: list[str], rows: list[tuple[str, list[Any]]]) -> list[str]:
    """Rows of a label column and right-aligned number columns, under a header line."""
    cells = [[f"{v:,}" if isinstance(v, int) else str(v) for v in values] for _, values in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    label_w = max([len(title) - 2] + [len(label) for label, _ in rows]) + 2
    head = title.ljust(label_w + 2) + "  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))
    lines = [head.rstrip()]
    for (label, _), row in zip(rows, cells, strict=True):
        lines.append("  " + label.ljust(label_w) + "  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    return lines


def _add_float(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0.0) + value
    return out


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"
