"""Format round trips on the real data: Reuters packed into Parquet, the Scrapinghub pages into a WARC.

    python benchmarks/check_formats.py [--data PATH] [--work DIR]

The tests pack synthetic rows into Parquet and three shipped Scrapinghub pages into a WARC
(Reuters may not go into the repository). This check does the same with the whole data sets
and compares each container's output with cleaning the same documents in their plain form:

- **Parquet**: the 21,578 Reuters articles as a Parquet file (row groups of 1,000, split between
  workers by 4 MiB shards) against the same records as JSONL: the kept rows, in order, with
  the same `id`, `text` and `title` as the JSONL output, and the input's schema.
- **WARC**: the 181 Scrapinghub pages as HTTP response records of a gzipped WARC (one gzip
  member per record, the charset left to the page's `<meta>`, as crawlers store them) against
  the decompressed `.html` files: each page's text from the WARC's JSONL output (found by its
  URL) equals the `.txt` the HTML file gives (which ends with a line break, as text files do), and
  pages dropped in one run are dropped in the other.

Prints one line per check and writes benchmarks/results/check_formats.json; exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA, write_results

from cleaner.config import Config
from cleaner.runners import run


def reuters_parquet(data: Path, work: Path) -> dict[str, object]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with gzip.open(data / "corpus/reuters21578/reuters21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    (work / "jsonl").mkdir(parents=True)
    (work / "parquet").mkdir()
    (work / "jsonl" / "reuters.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    table = pa.table({key: [r.get(key) for r in records] for key in ("id", "title", "text")})
    pq.write_table(table, work / "parquet" / "reuters.parquet", row_group_size=1000)
    cfg = Config(jobs=2)
    run([work / "jsonl"], work / "out-jsonl", cfg, shard_bytes=4 << 20)
    run([work / "parquet"], work / "out-parquet", cfg, shard_bytes=4 << 20)
    want = [json.loads(line) for line in (work / "out-jsonl" / "reuters.jsonl").open(encoding="utf-8")]
    out = pq.read_table(work / "out-parquet" / "reuters.parquet")
    got = out.to_pylist()
    same_rows = [{k: r.get(k) for k in ("id", "title", "text")} for r in want] == got
    return {
        "input_rows": len(records),
        "kept_rows": len(got),
        "same_rows_as_jsonl": same_rows,
        "same_schema": out.schema.equals(table.schema),
        "ok": same_rows and out.schema.equals(table.schema) and 0 < len(got) < len(records),
    }


def _warc_record(kind: str, block: bytes, url: str) -> bytes:
    head = [
        "WARC/1.0",
        f"WARC-Type: {kind}",
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, kind + url)}>",
        "WARC-Date: 2019-11-05T10:00:00Z",
        f"WARC-Target-URI: {url}",
        "Content-Type: application/http; msgtype=response",
        f"Content-Length: {len(block)}",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def scrapinghub_warc(data: Path, work: Path) -> dict[str, object]:
    root = data / "extraction/scrapinghub-article-extraction-benchmark"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    (work / "html").mkdir(parents=True)
    (work / "warc").mkdir()
    blob = b""
    for path in sorted((root / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        body = gzip.decompress(path.read_bytes())
        (work / "html" / f"{page_id}.html").write_bytes(body)
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        blob += gzip.compress(_warc_record("response", http, truth[page_id]["url"]), mtime=0)
    (work / "warc" / "pages.warc.gz").write_bytes(blob)
    cfg = Config(jobs=2)
    run([work / "html"], work / "out-html", cfg)
    run([work / "warc"], work / "out-warc", cfg)
    by_url = {}
    with gzip.open(work / "out-warc" / "pages.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            by_url[record["url"]] = record["text"]
    same = differ = 0
    missing = []
    for page_id, entry in sorted(truth.items()):
        txt = work / "out-html" / f"{page_id}.txt"
        from_html = txt.read_text(encoding="utf-8") if txt.exists() else None
        from_warc = by_url.get(entry["url"])
        if from_warc is not None and not from_warc.endswith("\n"):
            from_warc += "\n"  # a text file ends with a line break (cleaner.formats.pages.text_bytes)
        if from_html == from_warc:
            same += 1
        elif from_html is None or from_warc is None:
            missing.append(page_id)
        else:
            differ += 1
    kept = sum(1 for p in truth if (work / "out-html" / f"{p}.txt").exists())
    return {
        "pages": len(truth),
        "kept": kept,
        "same_text": same,
        "different_text": differ,
        "kept_in_one_run_only": missing,
        "ok": same == len(truth) and kept > 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="cleaner-formats-"))
    try:
        parquet = reuters_parquet(args.data, work / "reuters")
        print(
            f"Parquet (Reuters): {parquet['kept_rows']:,} of {parquet['input_rows']:,} rows kept; "
            f"rows equal to the JSONL run: {parquet['same_rows_as_jsonl']}; schema kept: {parquet['same_schema']}"
        )
        warc = scrapinghub_warc(args.data, work / "scrapinghub")
        print(
            f"WARC (Scrapinghub): {warc['same_text']} of {warc['pages']} pages give the same text as their "
            f".html file ({warc['kept']} kept); different: {warc['different_text']}; "
            f"kept in one run only: {len(warc['kept_in_one_run_only'])}"
        )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    payload = {"parquet_reuters": parquet, "warc_scrapinghub": warc}
    path = write_results("check_formats", payload, ["pyarrow", "fastwarc"])
    print(f"results: {path}")
    sys.exit(0 if parquet["ok"] and warc["ok"] else 1)


if __name__ == "__main__":
    main()
