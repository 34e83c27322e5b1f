"""The WCXB development pages and WCXB's own metric, shared by bench_extraction.py and the trainer.

Data: WCXB (Web Content Extraction Benchmark) by Murrough Foley, CC-BY-4.0 (2026), its development
split as copied to ``shared/data/extraction/wcxb-dev`` (see that folder's DATA.md). Anything derived
from these pages (the shipped boilerplate model) carries the same attribution.

The metric is the benchmark's ``evaluate.py`` as DATA.md describes it: lower-cased ``\\w+`` words as
a bag (multiset); per page precision = overlap / predicted words, recall = overlap / true words and
their F1; a page with empty truth scores 1 only when the output is empty too, an empty output scores
0; precision, recall and F1 are each averaged over the pages.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

WCXB = "extraction/wcxb-dev"
ATTRIBUTION = (
    "Trained on WCXB (Web Content Extraction Benchmark) development split, Murrough Foley (2026), "
    "CC-BY-4.0, https://github.com/Murrough-Foley/web-content-extraction-benchmark"
)
PAGE_TYPES = ("article", "documentation", "service", "forum", "collection", "listing", "product")
# WCXB README (dev split, the benchmark's own metric): trafilatura and rs-trafilatura per page type.
PUBLISHED = {
    "trafilatura": {"all": 0.791, "article": 0.926, "documentation": 0.888, "service": 0.763, "forum": 0.585,
                    "collection": 0.553, "listing": 0.589, "product": 0.567},
    "rs-trafilatura": {"all": 0.859, "article": 0.932, "documentation": 0.932, "service": 0.844, "forum": 0.808,
                       "collection": 0.716, "listing": 0.707, "product": 0.641},
}  # fmt: skip
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    html: str
    truth: str
    page_type: str
    site: str  # host without "www.": the cross-validation group


def site_of_url(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def load_pages(data: Path, limit: int | None = None) -> list[Page]:
    """The development pages in id order (``limit``: the first N, for quick runs)."""
    root = data / WCXB
    truth = json.loads((root / "ground-truth.json").read_text("utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        row = truth[page_id]
        raw = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(
            Page(page_id, raw.decode("utf-8", "replace"), row["articleBody"] or "", row["page_type"],
                 site_of_url(row["url"]))
        )  # fmt: skip
    return pages


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.lower()))


def page_prf(truth: str, pred: str) -> tuple[float, float, float]:
    """WCXB's per-page precision, recall and F1."""
    t, p = words(truth), words(pred)
    if not t:
        return (1.0, 1.0, 1.0) if not p else (0.0, 0.0, 0.0)
    if not p:
        return 0.0, 0.0, 0.0
    overlap = sum((t & p).values())
    precision, recall = overlap / sum(p.values()), overlap / sum(t.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1


def table(pages: list[Page], outputs: dict[str, str]) -> dict[str, dict[str, float]]:
    """Per page type and overall: mean P, R, F1, pages, and empty outputs where the truth is not empty."""
    groups: dict[str, list[Page]] = {"all": pages}
    for page in pages:
        groups.setdefault(page.page_type, []).append(page)
    out = {}
    for name in ("all", *PAGE_TYPES):
        members = groups.get(name, [])
        if not members:
            continue
        scores = [page_prf(p.truth, outputs.get(p.id, "")) for p in members]
        n = len(scores)
        out[name] = {
            "precision": sum(s[0] for s in scores) / n,
            "recall": sum(s[1] for s in scores) / n,
            "f1": sum(s[2] for s in scores) / n,
            "pages": n,
            "empty": sum(1 for p in members if p.truth.strip() and not _WORD.search(outputs.get(p.id, ""))),
        }
    return out
