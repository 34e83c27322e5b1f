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
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.report import Report

# One colour per chart, so a screenshot test can tell which charts were drawn.
COLOURS = {
    "reasons": "#d9480f",
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
    return out


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
    cluster_sizes = Counter(n for n in report.clusters.values() if n > 1)
    slowest = sorted((input_seconds or {}).items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SLOWEST]
    sim_labels = [f"{low:.2f}".lstrip("0") if low else "<.50" for low, _ in SIMILARITY_BINS]
    charts = [
        bar_chart("Removals by reason", _top(reasons), COLOURS["reasons"], "count"),
        bar_chart("Characters removed per stage", _top(data.chars_removed.items()), COLOURS["chars"], "characters"),
        column_chart(
            "Near-duplicate cluster sizes",
            [(str(size), n) for size, n in sorted(cluster_sizes.items())],
            [COLOURS["clusters"]],
            "documents in the cluster",
        ),
        column_chart(
            "Similarity of verified duplicates",
            [(label, data.similarity_docs[i], data.similarity_passages[i]) for i, label in enumerate(sim_labels)],
            [COLOURS["similarity_docs"], COLOURS["similarity_passages"]],
            "documents (Jaccard) and passages (containment)",
            legend=["documents", "passages"],
        ),
        bar_chart("Slowest inputs", [(p, s) for p, s in slowest], COLOURS["slowest"], "seconds", fmt="{:.2f}s"),
        bar_chart("Seconds per stage", list(report.seconds.items()), COLOURS["seconds"], "seconds", fmt="{:.2f}s"),
    ]
    captions = {
        1: "Text each stage's recorded removals took out; a document dropped whole adds what was left of"
        " its input (HTML markup included) to the stage that dropped it.",
        2: "How many documents each cluster of near-duplicates holds (the kept copy included).",
        3: "Verified similarity: Jaccard of word n-grams for documents, containment for passages.",
        4: "Seconds the run waited for each input file's results after the previous file's, summed over"
        " phases; the first file of each phase is not timed. With --jobs 1 this is each file's own time.",
        5: "Worker seconds summed over all processes, so they can exceed the wall time.",
    }
    body = [
        f"<h1>{_e(title)}</h1>",
        _counters(report),
        '<section class="charts">'
        + "".join(
            f'<figure class="chart">{c}'
            + (f"<figcaption>{_e(captions[i])}</figcaption>" if i in captions else "")
            + "</figure>"
            for i, c in enumerate(charts)
        )
        + "</section>",
        _clusters_table(data.clusters, report),
        _samples(data.samples),
    ]
    return _PAGE.format(title=_e(title), style=_STYLE, body="\n".join(body))


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


def bar_chart(title: str, items: list[tuple[str, float]], colour: str, unit: str, fmt: str = "{:,.0f}") -> str:
    """A horizontal bar chart as inline SVG, longest bar first; an empty chart says so."""
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
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" class="label">{_e(_clip(label, 40))}</text>')
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
    legend: list[str] | None = None,
) -> str:
    """Vertical columns as inline SVG (a histogram); each item is (label, value, [value ...]) side by side."""
    height, base, left = 220, 180, 40
    values = [v for item in items for v in item[1:]]
    if not items or max(values, default=0) <= 0:
        return _empty_chart(title)
    parts = [_svg_open(title, height), f'<text x="0" y="16" class="title">{_e(title)}</text>']
    top = max(values)
    slot = (WIDTH - left) / len(items)
    series = len(colours)
    col_w = min(48.0, max(2.0, (slot - 6) / series))
    parts.append(f'<text x="0" y="{base - 130}" class="value">{top:,}</text>')
    parts.append(f'<line x1="{left}" y1="{base}" x2="{WIDTH}" y2="{base}" class="axis"/>')
    for i, item in enumerate(items):
        x0 = left + i * slot + 3
        for s, value in enumerate(item[1:]):
            h = 130 * value / top
            if value > 0:
                parts.append(
                    f'<rect class="bar" x="{x0 + s * col_w:.1f}" y="{base - max(h, 1):.1f}" width="{col_w:.1f}" '
                    f'height="{max(h, 1):.1f}" fill="{colours[s]}"><title>{_e(str(item[0]))}: {value:,} '
                    f"{_e(legend[s] if legend else unit)}</title></rect>"
                )
        parts.append(
            f'<text x="{x0 + col_w * series / 2:.1f}" y="{base + 14}" class="tick" text-anchor="middle">'
            f"{_e(str(item[0]))}</text>"
        )
    parts.append(f'<text x="{left}" y="{base + 34}" class="label-left">{_e(unit)}</text>')
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
    return (
        f'<svg width="100%" height="{height}" viewBox="0 0 {WIDTH + 40} {height}" role="img" aria-label="{_e(title)}">'
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
svg .axis{stroke:#adb5bd}
table{border-collapse:collapse}td,th{border:1px solid #dee2e6;padding:4px 8px;vertical-align:top;text-align:left}
ul{margin:0;padding-left:18px}.samples q{background:#fff4e6}.empty{color:#868e96}
small{color:#495057}code{font-size:12px}
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{style}</style></head>
<body>
{body}
</body></html>
"""
