"""--html-report: one self-contained page with charts; rendered in headless Chromium to see they are drawn."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleaner.cli import main
from cleaner.html_report import COLOURS, MEMBERS_PER_CLUSTER, SAMPLES_PER_REASON, collect, render
from cleaner.report import Report
from tests.helpers import read_report, write_jsonl


def _record(doc_id: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": doc_id,
        "status": "kept",
        "reason": None,
        "detail": None,
        "chars_in": 100,
        "chars_out": 100,
        "drops": [],
        "cluster": None,
        "duplicate_of": None,
        "similarity": None,
        "passages": [],
    }
    base.update(fields)
    return base


def test_page_is_self_contained_and_escapes_what_it_quotes() -> None:
    hostile = '<script>alert("x")</script><img src="http://evil.example/x.png">'
    drop = {"stage": "boilerplate", "reason": "boilerplate.ad", "unit": "line", "text": hostile}
    records = [_record("a", drops=[drop])]
    report = Report(docs_in=1, docs_kept=1)
    report.drops[("boilerplate", "boilerplate.ad", "line")] = 1
    page = render(report, records)
    body = page.split("<body>", 1)[1]
    assert "<script" not in body and "<img" not in body and "<link" not in page
    # nothing for a browser to load: no URL attribute in any tag, no url() or @import in the style
    assert not re.search(r"<[^>]*\b(src|href|action|srcset)\s*=", page)
    assert "url(" not in page.split("</style>")[0] and "@import" not in page
    assert "&lt;script&gt;" in body  # quoted, escaped


def test_every_chart_is_drawn_from_the_counters_and_records() -> None:
    report = Report(docs_in=4, docs_kept=2, docs_dropped=2, chars_in=400, chars_out=150)
    report.drops[("boilerplate", "boilerplate.nav", "line")] = 3
    report.rejections["dedup.near_duplicate_doc"] = 2
    report.clusters.update({"a": 3, "b": 1})
    report.seconds.update({"normalize": 0.5, "dedup": 1.5})
    nav = {"stage": "boilerplate", "reason": "boilerplate.nav", "unit": "line", "text": "Home | News"}
    dup = {"status": "dropped", "reason": "dedup.near_duplicate_doc", "cluster": "a", "duplicate_of": "a"}
    passage = {"start": 0, "end": 5, "text": "x", "duplicate_of": "a", "similarity": 1.0}
    records = [
        _record("a", cluster="a", drops=[nav]),
        _record("a2", similarity=0.93, **dup),
        _record("a3", similarity=0.81, **dup),
        _record("b", cluster="b", passages=[passage]),
    ]
    report.edits["lookalikes"] = 2
    page = render(report, records, input_seconds={"big.jsonl": 2.0, "small.txt": 0.1})
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(svgs) == 7
    for svg, colour in zip(
        svgs, ["reasons", "edits", "chars", "clusters", "similarity_docs", "slowest", "seconds"], strict=True
    ):
        assert f'fill="{COLOURS[colour]}"' in svg, colour
    similarity = svgs[4]
    assert similarity.count(f'fill="{COLOURS["similarity_docs"]}"') == 2 + 1  # two bins with bars + legend
    assert similarity.count(f'fill="{COLOURS["similarity_passages"]}"') == 1 + 1
    # the largest cluster's members, with what they duplicate
    assert "a3</code> dropped (similarity 0.81 to <code>a</code>)" in page
    assert "Home | News" in page  # a sample of each reason
    # characters removed: the nav line, and what the dropped copies still held (chars_in, no doc-unit drop)
    data = collect(records, report)
    assert data.chars_removed == Counter({"boilerplate": len("Home | News"), "dedup": 200})


def test_empty_run_says_there_is_nothing_to_chart() -> None:
    page = render(Report(), [])
    assert page.count("nothing to show for this run") == 7
    assert "No near-duplicate clusters" in page and "Nothing was removed" in page
    assert "No reused passages" in page and "The normalizer changed nothing" in page


def test_samples_and_members_are_bounded() -> None:
    report = Report()
    report.clusters["big"] = 500
    drop = {"stage": "boilerplate", "reason": "boilerplate.nav", "unit": "line", "text": "Menu"}
    records = [_record(f"d{i}", cluster="big", drops=[drop]) for i in range(500)]
    data = collect(records, report)
    assert len(data.clusters["big"]) == MEMBERS_PER_CLUSTER
    assert len(data.samples["boilerplate.nav (line)"]) == SAMPLES_PER_REASON
    assert "and 488 more" in render(report, records)


# --- rendered in a real browser ------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium is needed to check the HTML report's charts: apt-get install -y chromium"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must install it; see .ci/run)")
    pytest.skip(message)


def _run_chromium(browser: str, page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, timeout=120, check=False)


def _png_pixels(path: Path) -> Counter[tuple[int, int, int]]:
    """Count the RGB colours of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and colour_type in (2, 6), "unexpected PNG layout"
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    previous, counts = bytearray(stride), Counter[tuple[int, int, int]]()
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            left = row[x - channels] if x >= channels else 0
            up, up_left = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                row[x] = (row[x] + left) & 0xFF
            elif kind == 2:
                row[x] = (row[x] + up) & 0xFF
            elif kind == 3:
                row[x] = (row[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                row[x] = (row[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        counts.update(zip(row[0::channels], row[1::channels], row[2::channels], strict=True))
        previous = row
    return counts


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_report_on_seeds_and_a_dump_renders_its_charts_in_chromium(seeds_copy: Path, tmp_path: Path) -> None:
    browser = _chromium()
    # Inputs: the seeds, plus a JSONL dump that repeats each seed twice (near-duplicate clusters).
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_copy.iterdir())]
    records = [{"id": f"copy-{i}-{n}", "text": t + f"\nCopy {n}."} for i, t in enumerate(texts) for n in range(2)]
    write_jsonl(seeds_copy / "dump.jsonl", records)
    out, report_path, page = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "report.html"
    result = CliRunner().invoke(
        main,
        ["clean", str(seeds_copy), "-o", str(out), "--report", str(report_path), "--html-report", str(page), "-j", "1"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert f"HTML report: {page}" in result.stderr
    dropped = [r for r in read_report(report_path) if r["reason"] == "dedup.near_duplicate_doc"]
    assert dropped, "the dump's copies should be near-duplicates of the seeds"

    dom = _run_chromium(browser, page, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    html = dom.stdout.decode("utf-8")
    assert html.count("<svg") == 7
    assert html.count('class="bar"') >= 10

    shot = tmp_path / "report.png"
    run = _run_chromium(browser, page, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2400")
    assert run.returncode == 0 and shot.is_file(), run.stderr.decode(errors="replace")[-2000:]
    pixels = _png_pixels(shot)
    for chart in ("reasons", "edits", "chars", "clusters", "similarity_docs", "seconds"):
        r, g, b = _rgb(COLOURS[chart])
        painted = sum(n for (pr, pg, pb), n in pixels.items() if abs(pr - r) + abs(pg - g) + abs(pb - b) <= 6)
        assert painted >= 200, f"chart {chart} ({COLOURS[chart]}) has only {painted} pixels on screen"


def test_html_report_records_match_the_report_file(seeds_copy: Path, tmp_path: Path) -> None:
    """The page is built from the same records the JSONL report holds (one clean run, no browser)."""
    page, report_path = tmp_path / "p.html", tmp_path / "r.jsonl"
    result = CliRunner().invoke(
        main,
        ["clean", str(seeds_copy), "-o", str(tmp_path / "o"), "--report", str(report_path), "--html-report", str(page)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    records = [json.loads(line) for line in report_path.read_text(encoding="utf-8").splitlines()]
    assert f"<b>{len(records)}</b><span>documents in</span>" in text


# --- what the page must show (issue 18, "The HTML report") ---------------------------------------


def _svg(page: str, title: str) -> str:
    found = re.search(rf'<svg[^>]*aria-label="{re.escape(title)}".*?</svg>', page, flags=re.S)
    assert found, f"no chart {title!r}"
    return found.group(0)


def test_normalizer_edits_are_charted_with_examples() -> None:
    report = Report(docs_in=1, docs_kept=1)
    report.edits.update({"lookalikes": 102, "spaces": 11})
    edits = [
        {"fixer": "lookalikes", "count": 102, "examples": ["'cre\\u0430ted' -> created"]},
        {"fixer": "spaces", "count": 11, "examples": ["U+00A0 NO-BREAK SPACE"]},
    ]
    page = render(report, [_record("seed.txt", edits=edits)])
    chart = _svg(page, "Normalizer edits")
    assert f'fill="{COLOURS["edits"]}"' in chart and ">102<" in chart and ">lookalikes<" in chart
    table = page.split("<h2>Normalizer edits</h2>", 1)[1].split("<h2>", 1)[0]
    assert "seed.txt</code> &#x27;cre\\u0430ted&#x27; -&gt; created" in table
    assert "U+00A0 NO-BREAK SPACE" in table


def _column_heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', svg)]


def test_cluster_sizes_on_a_log_scale_with_labelled_axes() -> None:
    report = Report()
    report.clusters.update({f"pair{i}": 2 for i in range(300)})
    report.clusters.update({"big": 821, "five": 5, "four": 4, "seven": 7})
    chart = _svg(render(report, []), "Near-duplicate cluster sizes")
    heights = _column_heights(chart)
    # 300 pairs beside single clusters: on a linear scale a count of 1 is 1/300 of the tallest column
    assert min(heights) >= 0.2 * max(heights), heights
    assert "clusters (log scale)" in chart and "documents in the cluster" in chart
    ticks = re.findall(r'class="tick" text-anchor="middle">([^<]+)<', chart)
    assert ticks[0] == "2" and ticks[-1] == "101-1000" and len(ticks) <= 10, ticks  # bins, not one per size
    assert ">100<" in chart  # a y tick of the log scale


def test_slowest_inputs_keep_the_end_of_long_paths() -> None:
    long_path = "crawl/2024/05/" + "very-long-folder-name/" * 4 + "the-article-that-was-slow.html"
    page = render(Report(), [], input_seconds={long_path: 2.0, "b.txt": 0.5})
    chart = _svg(page, "Slowest inputs")
    shown = re.findall(r'class="label">([^<]*)<title>([^<]*)</title>', chart)
    assert unescape(shown[0][1]) == long_path  # the whole path in the tooltip
    label = shown[0][0]
    assert label.startswith("…") and label.endswith("the-article-that-was-slow.html") and len(label) <= 36


def test_characters_removed_account_for_html_markup() -> None:
    page_drop = {"stage": "boilerplate", "reason": "boilerplate.nav", "unit": "block", "text": "x" * 50}
    records = [
        _record(
            "page.html",
            source={"path": "site/page.html", "line": None},
            chars_in=1000,
            chars_out=100,
            drops=[page_drop],
        ),
        _record("a.txt", source={"path": "a.txt", "line": None}, chars_in=120, chars_out=100),
    ]
    report = Report(docs_in=2, docs_kept=2, chars_in=1120, chars_out=200)
    data = collect(records, report)
    assert data.chars_removed == Counter(
        {"html (markup)": 850, "boilerplate": 50, "not itemized (layout edits, markup)": 20}
    )
    assert sum(data.chars_removed.values()) == report.chars_in - report.chars_out
    assert ">html (markup)<" in _svg(render(report, records), "Characters removed per stage")


def test_reused_passages_are_shown_with_their_documents() -> None:
    passage = {
        "start": 0,
        "end": 40,
        "text": "A passage that two articles share word for word.",
        "duplicate_of": "original.txt",
        "similarity": 0.97,
    }
    records = [_record("reuser.txt", passages=[passage])]
    report = Report(docs_in=1, docs_kept=1, passages_flagged=1)
    section = render(report, records).split("<h2>Reused passages</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<code>reuser.txt</code>" in section and "<code>original.txt</code>" in section
    assert "A passage that two articles share word for word." in section and "0.97" in section


def test_slowest_inputs_chart_is_drawn_for_a_single_file_dump(tmp_path: Path) -> None:
    dump = tmp_path / "in" / "dump.jsonl"
    dump.parent.mkdir()
    write_jsonl(dump, [{"id": f"d{i}", "text": f"Document number {i} says something of its own."} for i in range(3)])
    page = tmp_path / "report.html"
    result = CliRunner().invoke(
        main,
        ["clean", str(dump), "-o", str(tmp_path / "out"), "--html-report", str(page), "-j", "1", "-q"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    chart = _svg(page.read_text(encoding="utf-8"), "Slowest inputs")
    assert "nothing to show" not in chart and f'fill="{COLOURS["slowest"]}"' in chart
