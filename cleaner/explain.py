"""Explain one document: every line of it with its fate, and which stage decided it and why.

The document runs through the same pipeline as ``cleaner clean`` (the in-memory driver the
library uses, ``cleaner.pipeline.clean_in_memory``). After each step the text before and after
is compared line by line, and every line that went away is matched
to the Drop the step recorded for it (its reason code and detail). So the explanation depends
only on what stages record, never on their internals, and it stays true as stages change.

A line ends up with one fate:

- ``kept``: in the output as it came in;
- ``edited``: in the output, changed (by the normalizer: which characters became which);
- ``dropped``: not in the output, with the reason code of the step that removed it;
- ``duplicate``: in the output, but flagged as a passage also found in another document.

For HTML input the lines are those of the page's visible text (all of it, before any article
extraction), so the lines the extractor left out show up as dropped with the extractor's reason.

>>> from cleaner.config import Config
>>> from cleaner.record import Document, Source
>>> doc = Document(id="a", text="Caf\\u00c3\\u00a9 au lait.\\nShare on Facebook", source=Source("a"))
>>> ex = explain_document(doc, Config(stages=("normalize", "boilerplate")))
>>> [(line.fate, line.original) for line in ex.lines]
[('edited', 'CafÃ© au lait.'), ('dropped', 'Share on Facebook')]
>>> ex.lines[0].text
'Café au lait.'
>>> ex.lines[1].reason
'boilerplate.social'
"""

from __future__ import annotations

import dataclasses
import difflib
import html
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cleaner.config import Config
from cleaner.errors import UsageError
from cleaner.record import Document, Drop, Edit

FATES = ("kept", "edited", "dropped", "duplicate")


@dataclass
class LineFate:
    """One line of the input and what happened to it."""

    number: int  # 1-based line of the input (of the visible text, for HTML)
    original: str
    text: str  # the line as written out ("" when dropped)
    fate: str = "kept"
    reason: str = ""  # reason code, for dropped and duplicate lines
    notes: list[str] = field(default_factory=list)  # what changed, and which stage did it


@dataclass
class StepSummary:
    name: str
    drops: int
    edits: tuple[Edit, ...]


@dataclass
class Explanation:
    doc_id: str
    source: str
    kind: str
    status: str
    reason: str
    detail: str
    chars_in: int
    lines: list[LineFate]
    steps: list[StepSummary]
    added: list[str] = field(default_factory=list)  # lines a stage added (rare: split lines)


def explain_target(target: str, cfg: Config) -> Explanation:
    """Explain the document named by ``target``: a file, or ``DUMP:N`` for one record of a dump.

    With a persistent index in ``cfg.dedup.index``, the document is checked against a temporary
    copy of it, so explaining never adds to the index.
    """
    doc = read_target(target, cfg)
    if cfg.dedup.index is None or "dedup" not in cfg.stages:
        return explain_document(doc, cfg)
    index = Path(cfg.dedup.index)
    if not index.is_file():
        raise UsageError(f"index {index} does not exist; pass the path of an index `cleaner clean --index` wrote")
    with tempfile.TemporaryDirectory(prefix="cleaner-explain-") as tmp:
        copy = Path(tmp) / index.name
        shutil.copyfile(index, copy)
        dedup = dataclasses.replace(cfg.dedup, index=str(copy))
        return explain_document(doc, dataclasses.replace(cfg, dedup=dedup))


def read_target(target: str, cfg: Config) -> Document:
    """Read the one document ``target`` names, the same way ``cleaner clean`` reads it.

    ``target`` is a file that is one document (.txt, .html), or ``DUMP:N`` for one document of
    a file that holds many: N is its ``source.line`` in the report, which is the line of a
    JSONL file, the row of a Parquet file, or the record of a WARC file, counted from 1.
    """
    from cleaner.formats.table import handler, readable_suffixes
    from cleaner.readers import discover, plan_shards, read_shard

    path, number = Path(target), None
    if not path.exists() and ":" in target:
        head, _, tail = target.rpartition(":")
        if tail.isdigit():
            path, number = Path(head), int(tail)
    if not path.is_file():
        raise UsageError(f"{target}: no such file; pass a .txt/.html file, or DUMP:N for one record of a dump")
    found = discover([path])
    if not found.files:
        raise UsageError(f"{target}: not a file type cleaner reads ({readable_suffixes()})")
    fmt = found.files[0].format
    unit = _RECORD_UNIT.get(fmt.name, "record")
    one_document = handler(fmt).one_document
    if not one_document and number is None:
        raise UsageError(f"{target} holds many documents; name one as {target}:N (N: its {unit}, from 1)")
    if one_document and number is not None:
        raise UsageError(f"{path} holds one document; drop the :{number} suffix")
    # One shard for the whole file (no size cap): explain reads a single document.
    for shard in plan_shards(found.files, shard_bytes=1 << 62):
        for doc in read_shard(shard, cfg.limits):
            if number is None or doc.source.line == number:
                return doc
    raise UsageError(
        f"{path} has no document at {unit} {number}; N counts the file's {unit}s from 1 "
        "(the report's source.line names each document's)"
    )


# What N counts in DUMP:N, by format (Source.line of its documents).
_RECORD_UNIT = {"jsonl": "line", "parquet": "row", "warc": "record"}


def explain_document(doc: Document, cfg: Config) -> Explanation:
    """Run ``doc`` through the pipeline step by step and give every input line its fate."""
    from cleaner.pipeline import Pipeline, Step, clean_in_memory
    from cleaner.report import Report

    pipeline = Pipeline(cfg)
    pipeline.setup()
    start = _input_text(doc)
    lines = [LineFate(i + 1, text, text) for i, text in enumerate(start.split("\n"))]
    current: list[int | None] = list(range(len(lines)))  # current line -> input line
    added: list[str] = []
    steps: list[StepSummary] = []
    text = start

    def follow(step: Step, before: Sequence[Document], after: Sequence[Document]) -> None:
        nonlocal current, text
        (old,), (new,) = before, after
        label = _step_label(step)
        new_drops = new.drops[len(old.drops) :]
        steps.append(StepSummary(label, len(new_drops), new.edits[len(old.edits) :]))
        if new.text != text:
            current = _follow(text, new.text, current, lines, label, new_drops, added)
            text = new.text

    if doc.rejected is None:
        (doc,) = clean_in_memory(pipeline, [doc], Report(), follow)
    rejected = doc.rejected
    if rejected is not None:
        # The whole document went: its surviving lines share the reason (the header gives the detail).
        for i in current:
            if i is not None and lines[i].fate != "dropped":
                lines[i].fate, lines[i].reason, lines[i].text = "dropped", str(rejected.reason), ""
    else:
        _mark_passages(doc, current, lines)
    return Explanation(
        doc_id=doc.id,
        source=str(doc.source),
        kind=doc.kind,
        status=doc.status,
        reason=str(rejected.reason) if rejected else "",
        detail=_detail(doc),
        chars_in=doc.chars_in,
        lines=lines,
        steps=steps,
        added=added,
    )


def _detail(doc: Document) -> str:
    if doc.rejected is None:
        return ""
    detail = doc.rejected.detail
    if doc.duplicate is not None and doc.duplicate.duplicate_of == doc.id:
        detail += "; this same document is already in the index (an earlier run added it)"
    return detail


def _input_text(doc: Document) -> str:
    if doc.kind == "html" and doc.html is not None and not doc.text:
        from cleaner.boilerplate.html import visible_text

        return visible_text(doc.html)
    return doc.text


def _step_label(step: object) -> str:
    name = str(getattr(step, "name", type(step).__name__))
    kind = type(step).__name__
    return name if kind.lower() == name.lower() else f"{name} ({kind})"


def _follow(
    old_text: str,
    new_text: str,
    current: list[int | None],
    lines: list[LineFate],
    label: str,
    drops: Sequence[Drop],
    added: list[str],
) -> list[int | None]:
    """Map the lines of ``new_text`` back to input lines, marking lines edited or dropped by one step."""
    old_lines, new_lines = old_text.split("\n"), new_text.split("\n")
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    out: list[int | None] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(current[i1:i2])
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        if op == "replace":
            # Pair lines that still look alike (an edit); the rest of the old block was dropped.
            for i, j in _pair(old_lines, new_lines, olds, news):
                origin = current[i]
                if origin is not None:
                    _edit(lines[origin], old_lines[i], new_lines[j], label)
            paired_old = {i for i, _ in _pair(old_lines, new_lines, olds, news)}
            paired_new = dict((j, i) for i, j in _pair(old_lines, new_lines, olds, news))
            for i in olds:
                if i not in paired_old and current[i] is not None:
                    _drop(lines[current[i]], old_lines[i], label, drops)  # type: ignore[index]
            for j in news:
                if j in paired_new:
                    out.append(current[paired_new[j]])
                else:
                    out.append(None)
                    if new_lines[j].strip():
                        added.append(f"{label}: {new_lines[j]}")
        elif op == "delete":
            for i in olds:
                if current[i] is not None:
                    _drop(lines[current[i]], old_lines[i], label, drops)  # type: ignore[index]
        else:  # insert
            for j in news:
                out.append(None)
                if new_lines[j].strip():
                    added.append(f"{label}: {new_lines[j]}")
    return out


def _pair(old_lines: list[str], new_lines: list[str], olds: list[int], news: list[int]) -> Iterator[tuple[int, int]]:
    """Old and new lines of a replaced block that are the same line edited (similar enough)."""
    j = 0
    for i in olds:
        for k in range(j, len(news)):
            a, b = old_lines[i], new_lines[news[k]]
            if difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.5 or a.strip() == b.strip():
                yield i, news[k]
                j = k + 1
                break


def _edit(line: LineFate, old: str, new: str, label: str) -> None:
    line.text = new
    if line.fate == "kept":
        line.fate = "edited"
    line.notes.append(f"{label}: {describe_change(old, new)}")


def _drop(line: LineFate, old: str, label: str, drops: Sequence[Drop]) -> None:
    line.fate, line.text = "dropped", ""
    if not old.strip():
        line.reason = "blank"
        line.notes.append(f"{label}: blank line removed")
        return
    drop = _matching_drop(old, drops)
    if drop is None:
        line.reason = "unrecorded"
        line.notes.append(f"removed by {label}, which recorded no reason for it")
        return
    line.reason = str(drop.reason)
    line.notes.append(f"removed by {label}" + (f": {drop.detail}" if drop.detail else ""))


def _matching_drop(line: str, drops: Sequence[Drop]) -> Drop | None:
    needle = " ".join(line.split())
    for drop in drops:
        if needle in " ".join(drop.text.split()):
            return drop
    for drop in drops:  # a drop of part of the line (the rest went with another drop)
        piece = " ".join(drop.text.split())
        if piece and piece in needle:
            return drop
    return None


def _mark_passages(doc: Document, current: list[int | None], lines: list[LineFate]) -> None:
    offset = 0
    spans = []
    for origin, text in zip(current, doc.text.split("\n"), strict=False):
        spans.append((offset, offset + len(text), origin))
        offset += len(text) + 1
    for passage in doc.passages:
        for start, end, origin in spans:
            if origin is not None and start < passage.end and passage.start < end and start < end:
                line = lines[origin]
                if line.fate != "dropped":
                    line.fate = "duplicate"
                    line.reason = "dedup.near_duplicate_passage"
                    line.notes.append(f"passage also in {passage.duplicate_of} (containment {passage.similarity:.2f})")


def describe_change(old: str, new: str, limit: int = 4) -> str:
    """What changed between two versions of a line, character by character, naming odd characters.

    >>> old = "H\\N{CYRILLIC SMALL LETTER IE}llo\\N{NO-BREAK SPACE}w\\N{CYRILLIC SMALL LETTER O}rld"
    >>> print(describe_change(old, "Hello world"))
    'е' (CYRILLIC SMALL LETTER IE) -> 'e'; '\\xa0' (NO-BREAK SPACE) -> ' '; 'о' (CYRILLIC SMALL LETTER O) -> 'o'
    >>> describe_change("\\N{CYRILLIC SMALL LETTER A}b\\N{CYRILLIC SMALL LETTER A}", "aba")
    "'а' (CYRILLIC SMALL LETTER A) -> 'a' x2"
    """
    changes: dict[str, int] = {}  # the same change (a lookalike letter) is counted, not repeated
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            change = f"{_show(old[i1:i2])} -> {_show(new[j1:j2])}"
            changes[change] = changes.get(change, 0) + 1
    shown = [f"{change} x{n}" if n > 1 else change for change, n in list(changes.items())[:limit]]
    more = f"; and {len(changes) - limit} other changes" if len(changes) > limit else ""
    return "; ".join(shown) + more if changes else "nothing visible"


def _show(piece: str) -> str:
    if not piece:
        return "''"
    if len(piece) > 40:
        return repr(piece[:39] + "…")
    odd = [c for c in piece if not (c.isascii() and c.isprintable()) or c in "\t"]
    if len(piece) <= 3 and odd:
        names = ", ".join(unicodedata.name(c, f"U+{ord(c):04X}") for c in piece)
        return f"{piece!r} ({names})"
    return repr(piece)


# --- rendering ------------------------------------------------------------------------------------

_FATE_LABEL = {"kept": "kept", "edited": "edited", "dropped": "dropped", "duplicate": "dup"}


def render_text(ex: Explanation) -> str:
    """Plain text for a terminal: a header, then one row per input line."""
    counts = {fate: sum(1 for line in ex.lines if line.fate == fate) for fate in FATES}
    status = ex.status + (f" ({ex.reason}: {ex.detail})" if ex.reason else "")
    out = [
        f"document {ex.doc_id}  from {ex.source}  ({ex.kind}, {ex.chars_in:,} characters in)",
        f"status   {status}",
        "lines    " + ", ".join(f"{n:,} {fate}" for fate, n in counts.items()),
    ]
    for step in ex.steps:
        fixes = ", ".join(f"{e.fixer} x{e.count}" for e in step.edits)
        out.append(f"step     {step.name}: {step.drops:,} removed" + (f"; edits: {fixes}" if fixes else ""))
    out.append("")
    width = len(str(len(ex.lines)))
    for line in ex.lines:
        tag = _FATE_LABEL[line.fate]
        shown = line.original if line.fate == "dropped" else line.text
        reason = f"[{line.reason}] " if line.reason else ""
        out.append(f"{line.number:>{width}} {tag:<7} {reason}{shown}".rstrip())
        for note in line.notes:
            out.append(f"{'':>{width}}         {note}")
    for extra in ex.added:
        out.append(f"{'+':>{width}} added   {extra}")
    return "\n".join(out) + "\n"


def render_html(ex: Explanation) -> str:
    """A self-contained HTML page: the same rows as the text view, coloured by fate."""
    e = html.escape
    rows = []
    for line in ex.lines:
        shown = line.original if line.fate == "dropped" else line.text
        notes = "".join(f"<div class='note'>{e(n)}</div>" for n in line.notes)
        rows.append(
            f"<tr class='{line.fate}'><td class='n'>{line.number}</td><td>{line.fate}</td>"
            f"<td>{e(line.reason)}</td><td><pre>{e(shown)}</pre>{notes}</td></tr>"
        )
    steps = "".join(
        f"<li>{e(s.name)}: {s.drops:,} removed"
        + (f"; edits: {e(', '.join(f'{x.fixer} x{x.count}' for x in s.edits))}" if s.edits else "")
        + "</li>"
        for s in ex.steps
    )
    status = e(ex.status + (f" ({ex.reason}: {ex.detail})" if ex.reason else ""))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>explain {e(ex.doc_id)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{e(ex.doc_id)}</h1><p>from <code>{e(ex.source)}</code> ({e(ex.kind)}, {ex.chars_in:,} characters in);"
        f" status <b>{status}</b></p><ul>{steps}</ul>"
        "<table><thead><tr><th>line</th><th>fate</th><th>reason</th><th>text</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>\n"
    )


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #e9ecef;padding:2px 8px;vertical-align:top;text-align:left}
pre{margin:0;white-space:pre-wrap;font:13px ui-monospace,monospace}.n{color:#868e96;text-align:right}
.note{color:#495057;font-size:12px}tr.dropped{background:#fff0f0}
tr.dropped pre{text-decoration:line-through;color:#a61e4d}
tr.edited{background:#fff9db}tr.duplicate{background:#e7f5ff}
"""
