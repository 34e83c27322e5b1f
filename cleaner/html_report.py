"""One self-contained HTML page about a run: counters, charts drawn as inline SVG, tables, samples.

The page is built from the two things a run leaves behind: the summed ``Report`` counters and the
per-document report records (JSONL). It loads nothing from the network (no scripts, fonts or
images from elsewhere), so it can be mailed, archived, or opened on an air-gapped machine. The
records are streamed once and only bounded samples are kept (the largest clusters, a few
dropped pieces per reason), so a report of millions of documents still makes a small page.

>>> from cleaner.report import Report
>>> page = render(Report(docs_in=2, docs_kept=1, docs_dropped=1, rejections={"cleaner.empty": 1}), [])
>>> page.startswith("<!DOCTYPE html>") and "<svg" in page and "http" not in page.split("<body>")[1]
True
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.report import Report

# One colour per chart, so a screenshot test can tell which charts were drawn.
COLOURS = {
    "reasons": "#d9480f",
    "edits": "#5c940d",
    "chars": "#1971c2",
    "clusters": "#2f9e44",
    "similarity_docs": "#7048e8",
    "similarity_passages": "#e64980",
    "slowest": "#f08c00",
    "seconds": "#0c8599",
}
# Bounded samples: enough to see what a reason removes, small enough for a page of any run.
TOP_CLUSTERS = 10
MEMBERS_PER_CLUSTER = 12
SAMPLES_PER_REASON = 5
SAMPLE_CHARS = 240
TOP_SLOWEST = 10
EDIT_EXAMPLES = 8  # per fixer
PASSAGE_EXAMPLES = 8
# Cluster sizes are shown in bins (a run can hold one cluster of 800 beside hundreds of pairs).
CLUSTER_BINS = [(2, 2), (3, 3), (4, 4), (5, 5), (6, 10), (11, 20), (21, 50), (51, 100), (101, 1000), (1001, 10**18)]
# What a document lost that no drop itemizes (chars in - chars out - recorded drops): the HTML
# markup of a page, or what the normalizer's layout edits took out of a text.
MARKUP = "html (markup)"
UNITEMIZED = "not itemized (layout edits, markup)"
_HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz", ".html.zst", ".htm.zst", ".warc", ".warc.gz")
# Similarities below 0.5 are rare (thresholds are usually 0.7-0.9), so they share one bin.
SIMILARITY_BINS = [(0.0, 0.5)] + [(0.5 + 0.05 * i, 0.55 + 0.05 * i) for i in range(10)]


@dataclass
class Collected:
    """What the page needs from the records, gathered in one pass with bounded memory."""

    clusters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # cluster -> members
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    similarity_docs: Counter[int] = field(default_factory=Counter)  # bin -> count
    similarity_passages: Counter[int] = field(default_factory=Counter)
    chars_removed: Counter[str] = field(default_factory=Counter)  # stage -> characters
    edit_examples: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))  # fixer
    passages: list[dict[str, Any]] = field(default_factory=list)  # examples of reused passages
    records: int = 0


def read_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """Stream the records of a report JSONL file."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def collect(records: Iterable[Mapping[str, Any]], report: Report) -> Collected:
    """Gather the largest clusters' members, sample drops, similarity bins and removed characters."""
    out = Collected()
    largest = [c for c, n in sorted(report.clusters.items(), key=lambda kv: (-kv[1], kv[0])) if n > 1][:TOP_CLUSTERS]
    wanted = set(largest)
    out.clusters = {c: [] for c in largest}
    for rec in records:
        out.records += 1
        cluster = rec.get("cluster")
        if cluster in wanted and len(out.clusters[cluster]) < MEMBERS_PER_CLUSTER:
            out.clusters[cluster].append(
                {k: rec.get(k) for k in ("id", "status", "duplicate_of", "similarity", "chars_in")}
            )
        if rec.get("similarity") is not None:
            out.similarity_docs[_bin(rec["similarity"])] += 1
        for passage in rec.get("passages") or ():
            out.similarity_passages[_bin(passage["similarity"])] += 1
        whole_doc_dropped = False
        for drop in rec.get("drops") or ():
            out.chars_removed[drop["stage"]] += len(drop["text"])
            whole_doc_dropped |= drop["unit"] == "doc"
            bucket = out.samples[f"{drop['reason']} ({drop['unit']})"]
            if len(bucket) < SAMPLES_PER_REASON:
                bucket.append({"id": rec.get("id"), "text": drop["text"], "detail": drop.get("detail", "")})
        reason = rec.get("reason")
        if rec.get("status") == "dropped" and reason and not whole_doc_dropped:
            # A document dropped whole (a near-duplicate, nothing left) loses what was left of it;
            # its input size is the honest upper bound we know from the record.
            removed = max(0, (rec.get("chars_in") or 0) - sum(len(d["text"]) for d in rec.get("drops") or ()))
            out.chars_removed[str(reason).split(".", 1)[0]] += removed
            bucket = out.samples[f"{reason} (document)"]
            if len(bucket) < SAMPLES_PER_REASON:
                bucket.append({"id": rec.get("id"), "text": "", "detail": rec.get("detail") or ""})
        elif rec.get("status") == "kept":
            itemized = sum(len(d["text"]) for d in rec.get("drops") or ())
            rest = (rec.get("chars_in") or 0) - (rec.get("chars_out") or 0) - itemized
            if rest > 0:
                out.chars_removed[MARKUP if _is_html(rec) else UNITEMIZED] += rest
        for edit in rec.get("edits") or ():
            examples = out.edit_examples[edit["fixer"]]
            for example in edit.get("examples") or ():
                if len(examples) < EDIT_EXAMPLES:
                    examples.append((str(rec.get("id")), str(example)))
        for passage in rec.get("passages") or ():
            if len(out.passages) < PASSAGE_EXAMPLES:
                out.passages.append({"id": rec.get("id"), **passage})
    return out


def _is_html(rec: Mapping[str, Any]) -> bool:
    path = str((rec.get("source") or {}).get("path") or rec.get("id") or "").lower()
    return path.endswith(_HTML_SUFFIXES)


def _bin(similarity: float) -> int:
    for i, (low, high) in enumerate(SIMILARITY_BINS):
        if similarity < high or i == len(SIMILARITY_BINS) - 1:
            return i if similarity >= low else 0
    return 0


def render(
    report: Report,
    records: Iterable[Mapping[str, Any]],
    *,
    input_seconds: Mapping[str, float] | None = None,
    title: str = "cleaner run report",
) -> str:
    """The HTML page for a run. ``input_seconds`` (input path -> seconds) feeds the slowest-inputs chart."""
    data = collect(records, report)
    reasons = [(f"{reason} ({unit})", n) for (_, reason, unit), n in report.drops.items()]
    reasons += [(f"{reason} (document)", n) for reason, n in report.rejections.items()]
    slowest = sorted((input_seconds or {}).items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SLOWEST]
    sim_labels = [f"{low:.2f}".lstrip("0") if low else "<.50" for low, _ in SIMILARITY_BINS]
    charts = [
        (
            bar_chart("Removals by reason", _top(reasons), COLOURS["reasons"], "count"),
            "Pieces removed (lines, blocks, passages) and documents dropped, by reason code.",
        ),
        (
            bar_chart("Normalizer edits", _top(report.edits.items()), COLOURS["edits"], "edits"),
            "Repairs the normalizer made, by fixer (examples below).",
        ),
        (
            bar_chart("Characters removed per stage", _top(data.chars_removed.items()), COLOURS["chars"], "characters"),
            f"Where the {report.chars_in - report.chars_out:,} characters between in and out went (failed"
            " documents aside): each stage's recorded"
            " removals; a document dropped whole adds what was left of it to the stage that dropped it;"
            f" '{MARKUP}' is an HTML page's tags and scripts (characters in count the markup), and"
            f" '{UNITEMIZED}' what no removal itemizes in other documents (collapsed blank lines and spaces, or"
            " the markup of a JSONL record's html field).",
        ),
        (
            column_chart(
                "Near-duplicate cluster sizes",
                _cluster_bins(report),
                [COLOURS["clusters"]],
                "documents in the cluster (kept copy included)",
                y_label="clusters (log scale)",
                log=True,
            ),
            "How many clusters hold each number of near-duplicates. The height is logarithmic, so one huge"
            " cluster does not hide the many small ones; hover a column for its count.",
        ),
        (
            column_chart(
                "Similarity of verified duplicates",
                [(label, data.similarity_docs[i], data.similarity_passages[i]) for i, label in enumerate(sim_labels)],
                [COLOURS["similarity_docs"], COLOURS["similarity_passages"]],
                "verified similarity",
                y_label="count",
                legend=["documents", "passages"],
            ),
            "Jaccard of word n-grams for documents, containment for passages.",
        ),
        (
            bar_chart("Slowest inputs", slowest, COLOURS["slowest"], "seconds", fmt="{:.2f}s", keep_end=True),
            "Seconds the run waited for each input file's results after the previous file's, summed over"
            " phases; the first file of a phase is not timed unless it is the phase's only file. With"
            " --jobs 1 this is each file's own time. Long paths keep their end (hover for the whole path).",
        ),
        (
            bar_chart("Seconds per stage", list(report.seconds.items()), COLOURS["seconds"], "seconds", fmt="{:.2f}s"),
            "Worker seconds summed over all processes, so they can exceed the wall time.",
        ),
    ]
    body = [
        f"<h1>{_e(title)}</h1>",
        _counters(report),
        '<section class="charts">'
        + "".join(f'<figure class="chart">{c}<figcaption>{_e(caption)}</figcaption></figure>' for c, caption in charts)
        + "</section>",
        _clusters_table(data.clusters, report),
        _passages_table(data.passages, report),
        _edits(data.edit_examples, report),
        _samples(data.samples),
    ]
    return _PAGE.format(title=_e(title), style=_STYLE, body="\n".join(body))


def _cluster_bins(report: Report) -> list[tuple[Any, ...]]:
    """(label, clusters) per size bin, up to the largest cluster's bin; empty when no cluster has two."""
    sizes = [n for n in report.clusters.values() if n > 1]
    if not sizes:
        return []
    largest = max(sizes)
    out: list[tuple[Any, ...]] = []
    for low, high in CLUSTER_BINS:
        if low > largest:
            break
        label = str(low) if low == high else f"{low}+" if high >= 10**18 else f"{low}-{high}"
        out.append((label, sum(1 for n in sizes if low <= n <= high)))
    return out


def write_html_report(
    path: str | Path,
    report: Report,
    records: Iterable[Mapping[str, Any]],
    *,
    input_seconds: Mapping[str, float] | None = None,
    title: str = "cleaner run report",
) -> None:
    """Render the page and write it to ``path`` (written whole, then renamed into place)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(render(report, records, input_seconds=input_seconds, title=title), encoding="utf-8")
    tmp.replace(target)


# --- charts ----------------------------------------------------------------------------------------

WIDTH = 520
ROW = 22
# Characters of a bar label that fit the 260-pixel label column at 12 px (about 7 px each).
LABEL_CHARS = 36


def bar_chart(
    title: str,
    items: list[tuple[str, float]],
    colour: str,
    unit: str,
    fmt: str = "{:,.0f}",
    *,
    keep_end: bool = False,
) -> str:
    """A horizontal bar chart as inline SVG, longest bar first; an empty chart says so.

    Labels longer than the label column are shortened (``keep_end``: from the left, so a path
    keeps its file name); the whole label is in the bar's tooltip.
    """
    items = sorted(items, key=lambda kv: (-kv[1], kv[0]))
    label_w, value_w = 260, 70
    if not items or max(v for _, v in items) <= 0:
        return _empty_chart(title)
    height = 40 + ROW * len(items)
    parts = [_svg_open(title, height), f'<text x="0" y="16" class="title">{_e(title)}</text>']
    top = max(v for _, v in items)
    span = WIDTH - label_w - value_w
    for i, (label, value) in enumerate(items):
        y = 30 + i * ROW
        w = max(1.0, span * value / top)
        shown = _clip_start(label, LABEL_CHARS) if keep_end else _clip(label, LABEL_CHARS)
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" class="label">{_e(shown)}<title>{_e(label)}</title></text>')
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{ROW - 6}" fill="{colour}">'
            f"<title>{_e(label)}: {_e(fmt.format(value))} {unit}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" class="value">{_e(fmt.format(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    title: str,
    items: list[tuple[Any, ...]],
    colours: list[str],
    unit: str,
    *,
    y_label: str = "count",
    legend: list[str] | None = None,
    log: bool = False,
) -> str:
    """Vertical columns as inline SVG (a histogram); each item is (label, value, [value ...]) side by side.

    Both axes are labelled: ``unit`` under the x axis, ``y_label`` beside the y axis, with ticks.
    ``log`` draws heights on a log scale (ticks at 1, 10, 100, ...), so one large count does not
    flatten the rest; every nonzero value stays visible (a count of 1 is a short column, not none).
    """
    height, base, left, tall = 240, 180, 56, 130
    values = [v for item in items for v in item[1:]]
    if not items or max(values, default=0) <= 0:
        return _empty_chart(title)
    parts = [_svg_open(title, height), f'<text x="0" y="16" class="title">{_e(title)}</text>']
    top = max(values)
    decades = max(1, math.ceil(math.log10(top))) if log else 0
    if log:
        ticks = [10**k for k in range(decades + 1)]
    else:
        ticks = sorted({0, round(top / 2), top}) if top >= 2 else [0, top]

    def scale(v: float) -> float:
        if not log:
            return tall * v / top
        # log10(v) + 1 over decades + 1: a count of 1 still gets 1/(decades + 1) of the height
        return tall * (math.log10(v) + 1) / (decades + 1) if v > 0 else 0.0

    for t in ticks:
        y = base - scale(t) if t else base
        parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{t:,}</text>')
    parts.append(f'<line x1="{left}" y1="{base}" x2="{WIDTH}" y2="{base}" class="axis"/>')
    parts.append(f'<line x1="{left}" y1="{base - tall}" x2="{left}" y2="{base}" class="axis"/>')
    slot = (WIDTH - left) / len(items)
    series = len(colours)
    col_w = min(48.0, max(2.0, (slot - 6) / series))
    for i, item in enumerate(items):
        x0 = left + i * slot + 3
        for s, value in enumerate(item[1:]):
            h = scale(value)
            if value > 0:
                parts.append(
                    f'<rect class="bar" x="{x0 + s * col_w:.1f}" y="{base - max(h, 1):.1f}" width="{col_w:.1f}" '
                    f'height="{max(h, 1):.1f}" fill="{colours[s]}"><title>{_e(str(item[0]))}: {value:,} '
                    f"{_e(legend[s] if legend else y_label)}</title></rect>"
                )
        parts.append(
            f'<text x="{x0 + col_w * series / 2:.1f}" y="{base + 14}" class="tick" text-anchor="middle">'
            f"{_e(str(item[0]))}</text>"
        )
    parts.append(f'<text x="{(left + WIDTH) / 2:.0f}" y="{base + 34}" class="axis-label">{_e(unit)}</text>')
    parts.append(
        f'<text x="12" y="{base - tall / 2:.0f}" class="axis-label" '
        f'transform="rotate(-90 12 {base - tall / 2:.0f})">{_e(y_label)}</text>'
    )
    for s, name in enumerate(legend or []):
        x = WIDTH - 200 + s * 100
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colours[s]}"/>')
        parts.append(f'<text x="{x + 16}" y="16" class="label-left">{_e(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _empty_chart(title: str) -> str:
    return (
        _svg_open(title, 56)
        + f'<text x="0" y="16" class="title">{_e(title)}</text>'
        + '<text x="0" y="42" class="empty">nothing to show for this run</text></svg>'
    )


def _svg_open(title: str, height: int) -> str:
    # Drawn at the left of its box (not centred) when the box is wider than the chart's aspect.
    return (
        f'<svg width="100%" height="{height}" viewBox="0 0 {WIDTH + 40} {height}" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{_e(title)}">'
    )


def _top(items: Iterable[tuple[str, float]], n: int = 15) -> list[tuple[str, float]]:
    return sorted(items, key=lambda kv: (-kv[1], kv[0]))[:n]


# --- tables ----------------------------------------------------------------------------------------


def _counters(report: Report) -> str:
    share = f"{100.0 * report.chars_out / report.chars_in:.1f}%" if report.chars_in else "n/a"
    multi = sum(1 for n in report.clusters.values() if n > 1)
    cells = [
        ("documents in", f"{report.docs_in:,}"),
        ("kept", f"{report.docs_kept:,}"),
        ("dropped", f"{report.docs_dropped:,}"),
        ("errors", f"{report.docs_error:,}"),
        ("characters in", f"{report.chars_in:,}"),
        ("characters out", f"{report.chars_out:,} ({share})"),
        ("duplicate clusters", f"{multi:,}"),
        ("reused passages", f"{report.passages_flagged:,}"),
        ("files skipped", f"{report.files_skipped:,}"),
        ("seconds (all stages)", f"{sum(report.seconds.values()):.2f}"),
    ]
    tiles = "".join(f'<div class="tile"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for k, v in cells)
    return f'<section class="tiles">{tiles}</section>'


def _clusters_table(clusters: Mapping[str, list[dict[str, Any]]], report: Report) -> str:
    if not clusters:
        return "<h2>Largest near-duplicate clusters</h2><p class='empty'>No near-duplicate clusters in this run.</p>"
    rows = []
    for cluster, members in clusters.items():
        size = report.clusters[cluster]
        listed = "".join(
            f"<li><code>{_e(str(m['id']))}</code> {_e(m['status'] or '')}"
            + (
                f" (similarity {m['similarity']:.2f} to <code>{_e(str(m['duplicate_of']))}</code>)"
                if m.get("similarity") is not None
                else ""
            )
            + "</li>"
            for m in members
        )
        more = f"<li>… and {size - len(members):,} more</li>" if size > len(members) else ""
        rows.append(f"<tr><td><code>{_e(cluster)}</code></td><td>{size:,}</td><td><ul>{listed}{more}</ul></td></tr>")
    return (
        "<h2>Largest near-duplicate clusters</h2><table><thead><tr><th>cluster (kept copy)</th><th>size</th>"
        f"<th>members</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _passages_table(passages: list[dict[str, Any]], report: Report) -> str:
    head = "<h2>Reused passages</h2>"
    if not passages:
        return head + "<p class='empty'>No reused passages in this run.</p>"
    rows = "".join(
        f"<tr><td><code>{_e(str(p['id']))}</code></td>"
        f"<td><q>{_e(_clip(str(p.get('text') or ''), SAMPLE_CHARS))}</q></td>"
        f"<td><code>{_e(str(p.get('duplicate_of')))}</code></td><td>{float(p.get('similarity') or 0):.2f}</td></tr>"
        for p in passages
    )
    more = report.passages_flagged - len(passages)
    tail = f"<p class='note'>… and {more:,} more in the report (<code>passages</code> field).</p>" if more > 0 else ""
    return (
        head + "<table><thead><tr><th>found in</th><th>passage</th><th>also in</th><th>containment</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{tail}"
    )


def _edits(examples: Mapping[str, list[tuple[str, str]]], report: Report) -> str:
    head = "<h2>Normalizer edits</h2>"
    if not report.edits:
        return head + "<p class='empty'>The normalizer changed nothing.</p>"
    rows = []
    for fixer, count in sorted(report.edits.items(), key=lambda kv: (-kv[1], kv[0])):
        listed = "".join(f"<li><code>{_e(doc)}</code> {_e(ex)}</li>" for doc, ex in examples.get(fixer, []))
        rows.append(
            f"<tr><td><code>{_e(fixer)}</code></td><td>{count:,}</td>"
            f"<td>{f'<ul>{listed}</ul>' if listed else '<span class=empty>no examples recorded</span>'}</td></tr>"
        )
    return (
        head + "<table><thead><tr><th>fixer</th><th>edits</th><th>examples (document, change)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _samples(samples: Mapping[str, list[dict[str, Any]]]) -> str:
    if not samples:
        return "<h2>Sample removals by reason</h2><p class='empty'>Nothing was removed.</p>"
    blocks = []
    for reason in sorted(samples):
        items = "".join(
            f"<li><code>{_e(str(s['id']))}</code> "
            + (f"<q>{_e(_clip(s['text'], SAMPLE_CHARS))}</q>" if s["text"] else "")
            + (f" <small>{_e(s['detail'])}</small>" if s["detail"] else "")
            + "</li>"
            for s in samples[reason]
        )
        blocks.append(f"<h3>{_e(reason)}</h3><ul class='samples'>{items}</ul>")
    return "<h2>Sample removals by reason</h2>" + "".join(blocks)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _clip_start(text: str, n: int) -> str:
    """Shorten from the left, so a path keeps its file name.

    >>> _clip_start("crawl/2024/05/some-very-long-page-name.html", 20)
    '…long-page-name.html'
    """
    text = " ".join(text.split())
    return text if len(text) <= n else "…" + text[-(n - 1) :]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#212529;background:#fff}
h1{font-size:22px;margin:0 0 16px}h2{font-size:17px;margin:28px 0 10px}h3{font-size:14px;margin:14px 0 4px}
.tiles{display:flex;flex-wrap:wrap;gap:10px}
.tile{border:1px solid #dee2e6;border-radius:6px;padding:8px 12px;min-width:120px}
.tile b{display:block;font-size:18px}.tile span{color:#495057;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:18px;margin-top:20px}
.chart{margin:0;border:1px solid #dee2e6;border-radius:6px;padding:10px}
figcaption{color:#495057;font-size:12px;margin-top:4px}
svg text{font:12px system-ui,sans-serif;fill:#212529}svg .title{font-weight:600;font-size:13px}
svg .label{text-anchor:end}svg .tick{font-size:10px}svg .empty{fill:#868e96}
svg .axis{stroke:#868e96}svg .grid{stroke:#f1f3f5}svg .axis-label{font-size:11px;fill:#495057;text-anchor:middle}
table{border-collapse:collapse}td,th{border:1px solid #dee2e6;padding:4px 8px;vertical-align:top;text-align:left}
ul{margin:0;padding-left:18px}.samples q{background:#fff4e6}.empty{color:#868e96}
small{color:#495057}code{font-size:12px;overflow-wrap:anywhere}.note{color:#495057;font-size:12px}
td q{background:#e7f5ff}
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{style}</style></head>
<body>
{body}
</body></html>
"""
