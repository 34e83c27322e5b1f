"""Make a synthetic web-text dump of any size from real Reuters text, with known near-duplicates.

    python benchmarks/gen_dump.py --size 100MB --out /tmp/cleaner-dumps/dump-100MB.jsonl
    python benchmarks/gen_dump.py --size 1GB --out /tmp/dumps/d.parquet      # .jsonl, .jsonl.gz, .jsonl.zst, .parquet

Each record is ``{"id", "url", "text", "dup_of"}``:

- an **original** is 2-4 Reuters articles' paragraphs spliced together, with 12% of its words
  edited (an equal mix of substitute, insert, delete, drawn from corpus words), so originals are
  not near-duplicates of one another even when the dump is 60 times the size of the corpus;
- a **near-duplicate** (``--dup-share``, default 10%) is an earlier original with 1-8% of its words
  edited; ``dup_of`` names it (ground truth; null for originals);
- every record is wrapped in its site's boilerplate (navigation, share and newsletter lines, a
  copyright footer) from one of ``--sites`` hosts, and ``url`` names the host, so the template
  stage has sites to learn.

The output depends only on ``--seed``, ``--size`` and the corpus, so runs are repeatable. Reuters is
research-only: write dumps outside the repository (the default is under the system temp folder).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA

# 12% edits: word 5-gram Jaccard between two edited copies of one article is then about 0.3,
# far below the 0.8 threshold, so originals that reuse an article are not near-duplicates.
ORIGINAL_EDIT_RATE = 0.12
# Near-duplicates: 1-8% edits gives Jaccard from about 0.95 down to about 0.65, straddling 0.8,
# like the rates of the shared neardup benchmark.
DUP_EDIT_RATES = (0.01, 0.02, 0.03, 0.05, 0.08)
# How many recent originals a near-duplicate may copy: keeps the generator's memory bounded.
RECENT_ORIGINALS = 5000

NAV = [
    "Home | World | Business | Markets | Tech | Opinion",
    "Home > News > Business",
    "Menu  Search  Sign in",
    "Skip to main content",
]
SHARE = ["Share this article", "Share on Facebook  Share on Twitter  Email", "Tweet  Share  Pin"]
NEWSLETTER = [
    "Subscribe to our daily newsletter for the latest headlines.",
    "Sign up for our newsletter and never miss a story.",
]
RELATED = ["Related articles", "You may also like", "Most read"]


def parse_size(text: str) -> int:
    """``10MB`` -> 10_000_000 (decimal units: KB, MB, GB)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"size {text!r}: write it like 10MB, 1.5GB or 500KB")
    scale = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}[match.group(2).upper()]
    return int(float(match.group(1)) * scale)


def load_articles(data: Path) -> list[list[str]]:
    """Reuters articles with at least 40 words, each as a list of paragraphs."""
    path = data / "corpus" / "reuters21578" / "reuters21578.jsonl.gz"
    articles = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["text"]
            if len(text.split()) < 40:
                continue
            paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s{2,}|\n\n", text) if p.strip()]
            articles.append(paragraphs)
    return articles


def edit_words(words: list[str], rate: float, vocab: list[str], rng: random.Random) -> list[str]:
    out: list[str] = []
    for word in words:
        if rng.random() >= rate:
            out.append(word)
            continue
        op = rng.randrange(3)
        if op == 0:  # substitute
            out.append(rng.choice(vocab))
        elif op == 1:  # insert
            out.extend((word, rng.choice(vocab)))
        # op == 2: delete
    return out


def edit_text(paragraphs: list[str], rate: float, vocab: list[str], rng: random.Random) -> list[str]:
    return [" ".join(edit_words(p.split(" "), rate, vocab, rng)) for p in paragraphs]


class Site:
    def __init__(self, number: int, rng: random.Random) -> None:
        self.host = f"news{number:03d}.example.com"
        self.header = [rng.choice(NAV), rng.choice(SHARE)]
        self.footer = [
            rng.choice(RELATED),
            rng.choice(NEWSLETTER),
            f"Copyright 2019 News{number:03d} Media. All rights reserved.",
        ]

    def wrap(self, title: str, paragraphs: list[str]) -> str:
        return "\n".join([*self.header, title, *paragraphs, *self.footer])


def records(articles: list[list[str]], size: int, dup_share: float, sites: int, seed: int) -> Iterator[dict[str, Any]]:
    """Yield records until their JSON lines add up to ``size`` bytes."""
    rng = random.Random(seed)
    vocab = sorted({w for a in articles for p in a for w in p.split(" ") if w.isalpha()})
    site_list = [Site(i, rng) for i in range(sites)]
    recent: list[tuple[str, str, list[str], Site]] = []
    written = 0
    number = 0
    while written < size:
        doc_id = f"d{number:09d}"
        if recent and rng.random() < dup_share:
            source_id, title, paragraphs, site = rng.choice(recent)
            body = edit_text(paragraphs, rng.choice(DUP_EDIT_RATES), vocab, rng)
            dup_of: str | None = source_id
        else:
            picked = [articles[rng.randrange(len(articles))] for _ in range(rng.randint(2, 4))]
            paragraphs = [p for a in picked for p in a[: rng.randint(2, max(2, len(a)))]]
            body = edit_text(paragraphs, ORIGINAL_EDIT_RATE, vocab, rng)
            title = " ".join(body[0].split(" ")[:8]).upper()
            site = rng.choice(site_list)
            recent.append((doc_id, title, body, site))
            if len(recent) > RECENT_ORIGINALS:
                recent.pop(rng.randrange(len(recent)))
            dup_of = None
        record = {
            "id": doc_id,
            "url": f"https://{site.host}/{number % 97}/{doc_id}.html",
            "text": site.wrap(title, body),
            "dup_of": dup_of,
        }
        written += len(json.dumps(record, ensure_ascii=False)) + 1
        number += 1
        yield record


def write_dump(out: Path, rows: Iterator[dict[str, Any]]) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    name = out.name.lower()
    count = 0
    if name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([("id", pa.string()), ("url", pa.string()), ("text", pa.string()), ("dup_of", pa.string())])
        with pq.ParquetWriter(out, schema, compression="zstd") as writer:
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append(row)
                count += 1
                if len(batch) == 20_000:  # ~50 MB row groups: shardable, like real dumps
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        return count
    fh: IO[bytes]
    if name.endswith(".gz"):
        fh = gzip.GzipFile(out, "wb", mtime=0)
    elif name.endswith(".zst"):
        import zstandard

        fh = zstandard.ZstdCompressor(level=3).stream_writer(open(out, "wb"))  # noqa: SIM115
    else:
        fh = open(out, "wb")  # noqa: SIM115
    with fh:
        for row in rows:
            fh.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
            count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=parse_size, default=parse_size("10MB"), help="JSON bytes to write (10MB)")
    parser.add_argument("--out", type=Path, default=None, help="output file (default: temp folder)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--dup-share", type=float, default=0.10, help="share of near-duplicate records")
    parser.add_argument("--sites", type=int, default=200, help="number of sites (hosts)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.gettempdir()) / "cleaner-dumps" / f"dump-{args.size}.jsonl"
    articles = load_articles(args.data)
    count = write_dump(out, records(articles, args.size, args.dup_share, args.sites, args.seed))
    print(f"{out}: {count:,} records, {out.stat().st_size:,} bytes on disk")


if __name__ == "__main__":
    main()
