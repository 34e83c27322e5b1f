"""Site templates (a CorpusStage) and the invariants of the line stage."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from oracle_templates import one_piece_templates

from cleaner.boilerplate import TextLines
from cleaner.boilerplate.templates import Templates, TemplateSummary, site_of
from cleaner.boilerplate.text import classify_lines, remove_spans
from cleaner.config import BoilerplateConfig
from cleaner.record import Document, Reason, Source, Unit
from cleaner.stage import decide_in_process, doc_key

ARTICLE = "Story {i}: the council met on day {i} and voted to repair the bridge before the winter.\n"


def _site_docs(site: str, n: int, footer: str = "Share this story\n") -> list[Document]:
    return [
        Document(id=f"{site}/{i}.txt", text=ARTICLE.format(i=i) + footer, source=Source(f"{site}/{i}.txt"))
        for i in range(n)
    ]


def _run(stage: Templates, docs: list[Document]) -> list[Document]:
    decisions = decide_in_process(stage, [[(doc_key(d), stage.summarize(d)) for d in docs]])
    return [stage.apply(d, decisions.get(doc_key(d))) for d in docs]


def test_template_lines_dropped_per_site_only() -> None:
    stage = Templates(BoilerplateConfig(template_min_docs=3, template_share=0.5))
    docs = _site_docs("a", 4) + _site_docs("b", 2)
    out = _run(stage, docs)
    for doc in out[:4]:
        assert "Share this story" not in doc.text
        assert [(d.reason, d.unit, d.text) for d in doc.drops] == [(Reason.TEMPLATE, Unit.LINE, "Share this story\n")]
    for doc in out[4:]:  # site b has too few documents to call anything a template
        assert doc.drops == () and "Share this story" in doc.text


def test_templates_keep_lines_below_the_share() -> None:
    stage = Templates(BoilerplateConfig(template_min_docs=2, template_share=0.5))
    docs = _site_docs("a", 2, footer="Rare line\n")
    docs += [Document(id=f"a/x{i}.txt", text=ARTICLE.format(i=10 + i), source=Source(f"a/x{i}.txt")) for i in range(3)]
    out = _run(stage, docs)  # "Rare line" is in 2 of 5 documents: under half
    assert all(d.drops == () for d in out)


def test_templates_do_not_depend_on_input_order() -> None:
    stage = Templates(BoilerplateConfig(template_min_docs=3, template_share=0.5))
    docs = _site_docs("a", 6) + _site_docs("b", 5, footer="Follow the council on Mastodon\n")
    expected = {d.id: d for d in _run(stage, docs)}
    shuffled = docs[:]
    random.Random(7).shuffle(shuffled)
    assert {d.id: d for d in _run(stage, shuffled)} == expected


def test_a_template_decision_names_lines_of_the_summarized_text() -> None:
    # The decision is where the template lines are (line indices): apply cuts those lines
    # without hashing the text again, and refuses a decision that names lines it does not have.
    import pytest

    stage = Templates(BoilerplateConfig())
    doc = Document(id="a", text="Share this story\nBody one.\nShare this story\n")
    out = stage.apply(doc, (0, 2))
    assert out.text == "Body one.\n"
    footer = "Share this story\n"
    assert [(d.text, d.start, d.end) for d in out.drops] == [(footer, 0, 17), (footer, 27, 44)]
    with pytest.raises(ValueError, match="another text"):
        stage.apply(doc, (1, 3))


def test_summaries_are_compact_hashes() -> None:
    stage = Templates(BoilerplateConfig())
    summary = stage.summarize(_site_docs("a", 1)[0])
    assert isinstance(summary, TemplateSummary)
    assert summary.site == "a"
    assert all(isinstance(h, int) for h in summary.hashes)


def test_site_prefers_host_then_url_then_folder() -> None:
    assert (
        site_of(Document(id="x", text="", metadata={"host": "News.Example", "url": "https://o.org/"})) == "news.example"
    )
    assert site_of(Document(id="x", text="", metadata={"url": "https://o.org/a"})) == "o.org"
    assert site_of(Document(id="x", text="", source=Source("dump/s1/p.txt"))) == "dump/s1"


_URLS = st.text(alphabet=st.sampled_from("aZ09.-+:/?#@[]%_ \t\n\x00\u00e9"), max_size=16) | st.tuples(
    st.sampled_from(["http://", "hTTps://", "x-1://", "http:/", " http://", "http://u@"]),
    st.text(alphabet=st.sampled_from("aZ09.-:/?#@[]%_ \t\n\u00e9"), max_size=16),
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(_URLS)
@example("HTTP://News.Example.ORG:8080/a")
@example("http://user:pass@example.org/")
@example("http://user:pass@localhost/")
@example("http://a.org:80@b.org/")
@example(" http://a.org/")
@example("http://a.org\t.b/")
@example("http://[::1]:80/")
def test_site_of_a_url_is_urlsplit_s_host(url: str) -> None:
    # site_of reads plain URLs without urlsplit: the same host for every URL.
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:
        return  # site_of raises as urlsplit does
    doc = Document(id="x", text="", metadata={"url": url}, source=Source("dump/s1/p.txt"))
    assert site_of(doc) == (host.lower() if host else "dump/s1")


LINES = st.sampled_from(
    [
        "",
        "Home",
        "Leave a Comment",
        "Related articles",
        "Tsarizm Staff",
        "© 2024 Example",
        "It was over.",
        "The river rose by a metre overnight, and the council closed the lower bridge, officials said.",
        "Residents were told to stay away from the banks until the water falls again next week.",
        "READ MORE: Floods close schools",
        "   ",
    ]
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.lists(LINES, max_size=30), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_kept_and_dropped_lines_rebuild_the_input(lines: list[str], newline: str, final_newline: bool) -> None:
    text = newline.join(lines) + (newline if final_newline else "")
    drops = classify_lines(text)
    kept = remove_spans(text, drops)
    # Splice the dropped spans back into the kept text: the input comes back.
    rebuilt, cursor, consumed = [], 0, 0
    for drop in drops:
        assert drop.start is not None and drop.end is not None
        assert text[drop.start : drop.end] == drop.text and drop.unit is Unit.LINE
        take = drop.start - consumed
        rebuilt.append(kept[cursor : cursor + take])
        cursor += take
        rebuilt.append(drop.text)
        consumed = drop.end
    rebuilt.append(kept[cursor:])
    assert "".join(rebuilt) == text
    # Only removal: no character is added or changed.
    assert len(kept) + sum(len(d.text) for d in drops) == len(text)


def test_text_stage_records_drops_after_earlier_ones() -> None:
    doc = Document(id="a.txt", text="Leave a Reply\n" + ARTICLE.format(i=1))
    out = next(TextLines(BoilerplateConfig())([doc]))
    assert out.text == ARTICLE.format(i=1)
    assert out.drops[0].start == 0 and out.drops[0].end == len("Leave a Reply\n")


HTML_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div class='share'>",
        "<div class='content'>",
        "</div>",
        "<nav>",
        "</nav>",
        "<a href='/x'>",
        "</a>",
        "<br>",
        "<script>var x = '<p>';</script>",
        "<!-- note -->",
        "<li>",
        "<table><tr><td>",
        "The river rose by a metre overnight, and the council closed the lower bridge.",
        "Home",
        "Leave a Comment",
        "\N{NO-BREAK SPACE}",
        "\x00",
        "&amp;",
        "<span hidden>",
    ]
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(HTML_PIECES, max_size=40))
def test_html_extraction_never_fails_and_reports_real_text(pieces: list[str]) -> None:
    from selectolax.lexbor import LexborHTMLParser

    from cleaner.boilerplate.html import extract, visible_text

    html = "".join(pieces)
    result = extract(html)
    assert all(d.text.strip() and d.unit is Unit.BLOCK for d in result.drops)
    assert isinstance(visible_text(html), str)
    # Extraction only removes: the kept text never holds more words than the page's text.
    # (Not the visible text: an article hidden until a script runs is kept on purpose.)
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style"])
    root = tree.body or tree.root
    page_words = len(root.text(separator=" ").split()) if root is not None else 0
    assert len(result.text.split()) <= page_words


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 5))
def test_sharded_template_decision_equals_one_shard_and_the_oracle(seed: int, partitions_every: int) -> None:
    # Sites of very different sizes, lines shared by some documents of a site and across sites,
    # split into shards of uneven size (one empty); every task's arguments go through pickle.
    import pickle
    import tempfile
    from pathlib import Path
    from unittest import mock

    from cleaner.boilerplate import templates

    rng = random.Random(seed)
    stage = Templates(BoilerplateConfig(template_min_docs=3, template_share=0.5))
    keyed = []
    for i in range(rng.randint(0, 60)):
        site = f"site{rng.choice([0, 0, 0, 1, 1, 2, 3])}.example"
        template = [0] if site == "site0.example" else []  # every page of site0 carries line 0
        # A document's lines: some shared, one of its own, the template, a blank one, a repeat.
        keys: list[int | None] = [*rng.sample(range(1, 12), rng.randint(0, 6)), 100 + i, *template, None]
        keys.append(rng.choice(keys))
        rng.shuffle(keys)
        keyed.append((f"doc{i}", TemplateSummary(site, tuple(keys))))
    cut = sorted(rng.sample(range(len(keyed) + 1), 2)) if keyed else [0, 0]
    shards = [keyed[: cut[0]], [], keyed[cut[0] : cut[1]], keyed[cut[1] :]]

    def run(fn, args):  # type: ignore[no-untyped-def]
        return (pickle.loads(pickle.dumps(fn(*pickle.loads(pickle.dumps(a))))) for a in args)

    expected = one_piece_templates(stage.cfg, keyed)
    assert decide_in_process(stage, [keyed]) == expected  # one shard, in this process
    if sum(1 for _, summary in keyed if summary.site == "site0.example") >= 3:
        assert expected  # the comparison covers real template decisions
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(templates, "DOCS_PER_PARTITION", partitions_every):
        got = stage.decide_sharded(shards, run, Path(tmp) / "barrier")
        assert not (Path(tmp) / "barrier").exists()
    assert got == expected


def test_a_lone_shard_writes_only_the_counts_that_can_make_templates(tmp_path: Path) -> None:
    # One shard's counts are the sites' totals: partition_templates needs only the hashes at or
    # over the floor, and no site with too few documents (the others were most of the file).
    import pickle

    from cleaner.boilerplate.templates import partition_templates, shard_site_counts

    summaries = [(f"a{i}", TemplateSummary("a.example", (1, 2 if i < 2 else 3, 100 + i, None))) for i in range(4)]
    summaries += [(f"b{i}", TemplateSummary("b.example", (1, 200 + i))) for i in range(2)]
    shard_site_counts(summaries, 0, tmp_path, 1, (3, 0.5))
    counts = pickle.loads((tmp_path / "counts.s0.p0.pkl").read_bytes())
    assert counts == {"a.example": (4, {1: 4})}
    partition_templates(tmp_path, [0], 0, 3, 0.5)
    assert pickle.loads((tmp_path / "templates.p0.pkl").read_bytes()) == {"a.example": frozenset({1})}
