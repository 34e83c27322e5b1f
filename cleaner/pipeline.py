"""Compose the stages, top-down in the order documents meet them.

    read ─> html extraction ─> normalize ─> boilerplate lines ─> site templates ─> tidy ─> signals ─> dedup ─> write
            (HTML only)                                          (corpus)                   (corpus)

HTML is turned into text first, by the boilerplate stage's block-level extractor (it needs the
markup to tell an article from its page); every later stage then works on plain text. When the
boilerplate stage is switched off, HTML documents still become text (all visible text, nothing
dropped). After the boilerplate stages, ``tidy`` collapses the blank lines their removals leave
behind. Stages that must see the whole corpus (site templates, near-duplicates) are
CorpusStages; a runner cuts the step list at them into segments of per-document stages.

After every stage, a kept document with no text left is rejected as ``cleaner.empty``: a page
whose content all went is reported, never silently written as an empty file.

>>> plan = Pipeline(Config(stages=("normalize",)))
>>> [step.name for step in plan.steps]
['html', 'normalize']
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from cleaner.config import Config
from cleaner.record import Document, Edit, Reason
from cleaner.report import Report
from cleaner.stage import (
    RECORDS_UNREAD,
    CorpusStage,
    KeyedSummaries,
    Stage,
    SummaryColumns,
    decide_in_process,
    doc_key,
    doc_keys,
)

Step = Stage | CorpusStage
StepObserver = Callable[[Step, Sequence[Document], Sequence[Document]], None]
"""Called after each step that had documents to work on: the step, its kept documents before,
and the same documents after (``explain`` follows one document's lines through it)."""


class HtmlToText:
    """Stage used when boilerplate stripping is off: an HTML document's text is all its visible text."""

    name = "html"
    unread = RECORDS_UNREAD  # the earlier stages' drops, edits and signals (see cleaner.stage)

    def setup(self) -> None:
        pass

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            if doc.kind == "html" and doc.html is not None and not doc.text:
                # Imported at the first page: the boilerplate package takes ~0.1 CPU-s to import,
                # and a run of plain text with boilerplate off (dedup only) never needs it.
                from cleaner.boilerplate.html import visible_text

                doc = doc.replace(text=visible_text(doc.html, doc.html_utf8), html_utf8=None)
            elif doc.html_utf8 is not None:  # the markup's bytes were for the parser only
                doc = doc.replace(html_utf8=None)
            yield doc


# Three or more line breaks, with only spaces or tabs between them: a run of blank lines.
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n){2,}")
# What trim_blank_edges removes, as a pattern (its reference in tests/test_tidy.py). The pattern
# itself is not run: with no literal to skip to, it tries both branches at every character of
# the text, which was 6% of a run's CPU on the 30 MB text dump. Its source only: only the tests
# compile it (0.1 ms of every start).
EDGE_BLANKS = r"\A(?:[ \t]*\n)+|(?:\n[ \t]*)+\Z"


def trim_blank_edges(text: str) -> str:
    r"""``re.sub(EDGE_BLANKS, "", text)``: the blank lines before the first line and the line breaks
    (with the spaces and tabs among them) after the last, found with two strips.

    >>> trim_blank_edges(" \n\n  Title\nBody. \n \t\n")
    '  Title\nBody. '
    """
    start, end = blank_edges(text)
    return text[start:end]


def blank_edges(text: str) -> tuple[int, int]:
    """Where :func:`trim_blank_edges` cuts ``text``: what it keeps is ``text[start:end]``."""
    # Leading: whole lines of spaces and tabs, up to the last line break before the first other character.
    head = len(text) - len(text.lstrip(" \t\n"))
    start = text.rfind("\n", 0, head) + 1
    # Trailing: from the first line break after the last other character (a blank text: none
    # after ``start``, where only spaces and tabs are left).
    cut = text.find("\n", max(start, len(text.rstrip(" \t\n"))))
    return start, len(text) if cut < 0 else cut


# A line break, space or tab (what the edges lose), or nothing: ``"" in _BLANK_OR_NONE``, so a
# text's character at an index it does not have reads as one of them.
_BLANK_OR_NONE = " \t\n"
_ONE_BREAK = Edit("layout.blank_lines", 1)


class Tidy:
    r"""Collapse the blank lines that removals leave behind: at most one blank line between blocks,
    none before the first line or after the last. Recorded as a ``layout.blank_lines`` Edit
    counting the line breaks removed.

    >>> (doc,) = Tidy()([Document(id="d", text="\n\nTitle\n\n\n\nBody.\n\n")])
    >>> doc.text, doc.edits[0].count
    ('Title\n\nBody.', 6)
    """

    name = "tidy"
    unread = RECORDS_UNREAD  # the earlier stages' drops, edits and signals (see cleaner.stage)

    def setup(self) -> None:
        pass

    def __call__(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            before = doc.text
            text = _BLANK_RUN.sub("\n\n", before)
            if (
                text is before
                and before[-2:-1] not in _BLANK_OR_NONE
                and before[-1] == "\n"
                and before[0] not in _BLANK_OR_NONE
            ):
                # What most documents lose, their one line break at the end (the 30 MB text dump:
                # 12,962 of 13,148), without blank_edges and its counts, and one Edit for them all
                # (a record is frozen): 1.7 us a document less.
                yield doc.replace(text=before[:-1], edits=(*doc.edits, _ONE_BREAK))
                continue
            start, end = blank_edges(text)
            if text is before:  # no run of blank lines (sub gives the text itself): only the edges go
                if start == 0 and end == len(text):
                    yield doc
                    continue
                # Only the edges' line breaks are counted: most documents lose no more than the
                # line break that ends them, and two counts over the whole text cost more than
                # the rest of the stage (the 30 MB text dump: 12,962 of 13,148 documents).
                removed = before.count("\n", 0, start) + before.count("\n", end)
                text = text[start:end]
            else:
                text = text[start:end]
                if text == before:  # a copy of the text (a str subclass's): nothing went
                    yield doc
                    continue
                removed = before.count("\n") - text.count("\n")
            # One replace for both fields, not with_edits and then replace.
            yield doc.replace(text=text, edits=(*doc.edits, Edit("layout.blank_lines", removed)))


def build_steps(cfg: Config) -> list[Step]:
    """The steps of a run, in order, for the stages the config switches on."""
    steps: list[Step] = []
    if "boilerplate" in cfg.stages and cfg.boilerplate.html:
        from cleaner.boilerplate import HtmlExtract

        steps.append(HtmlExtract(cfg.boilerplate))
    else:
        steps.append(HtmlToText())
    if "normalize" in cfg.stages:
        from cleaner.normalize import Normalize

        steps.append(Normalize(cfg.normalize))
    if "boilerplate" in cfg.stages:
        from cleaner.boilerplate import Templates, TextLines

        if cfg.boilerplate.text:
            steps.append(TextLines(cfg.boilerplate))
        if cfg.boilerplate.templates:
            steps.append(Templates(cfg.boilerplate))
        steps.append(Tidy())
    if "signals" in cfg.stages:
        from cleaner.signals import Signals

        steps.append(Signals(cfg.quality))
    if "dedup" in cfg.stages:
        from cleaner.dedup import Dedup

        steps.append(Dedup(cfg.dedup))
    return steps


def is_corpus_stage(step: Step) -> bool:
    return hasattr(step, "decide_sharded")


@dataclass
class Segment:
    """Per-document stages to run, then (optionally) the corpus stage that follows them."""

    stages: list[Stage]
    corpus: CorpusStage | None


class Pipeline:
    """The configured steps, cut into segments at each corpus-level stage."""

    def __init__(self, cfg: Config) -> None:
        self.config = cfg
        self.steps = build_steps(cfg)
        self.segments: list[Segment] = []
        current: list[Stage] = []
        for step in self.steps:
            if is_corpus_stage(step):
                self.segments.append(Segment(current, step))  # type: ignore[arg-type]
                current = []
            else:
                current.append(step)  # type: ignore[arg-type]
        self.segments.append(Segment(current, None))

    def setup(self) -> None:
        for step in self.steps:
            step.setup()

    def release(self) -> None:
        """Between phases: each step with models it can load again (``release``) drops them, so
        they are not resident while a corpus stage decides (the language model: ~70 MB)."""
        for step in self.steps:
            release = getattr(step, "release", None)
            if release is not None:
                release()

    def prepare(self, run_id: str | None = None) -> None:
        """Run each step's optional driver-side check before any input is read; ``run_id``
        names the run (the runner's checkpoint fingerprint: same inputs and options)."""
        for step in self.steps:
            prepare = getattr(step, "prepare", None)
            if prepare is not None:
                prepare(run_id)

    def commit(self) -> None:
        """The caller is done with the run's documents: each step with something to commit
        (the dedup index's pending rows) commits it."""
        for step in self.steps:
            commit = getattr(step, "commit", None)
            if commit is not None:
                commit()

    def rollback(self) -> None:
        """The run's documents were not delivered: each step undoes what it left pending."""
        for step in self.steps:
            rollback = getattr(step, "rollback", None)
            if rollback is not None:
                rollback()


def clean_in_memory(
    pipeline: Pipeline, docs: Iterable[Document], report: Report, observe: StepObserver | None = None
) -> list[Document]:
    """The in-memory driver: every segment over documents held in memory, each corpus stage
    deciding through its tasks in this process (``decide_in_process``). The library API and
    ``explain`` run this; a runner's worker task runs :func:`run_segment` on each batch of a
    shard, the same steps, with the corpus stages deciding between segments on its workers."""
    batch = list(docs)
    decisions: dict[str, object] = {}
    for number, segment in enumerate(pipeline.segments):
        batch, summaries = run_segment(pipeline, number, batch, decisions, report, observe)
        if segment.corpus is not None:
            decisions = decide_in_process(segment.corpus, [summaries])
    return batch


def run_segment(
    pipeline: Pipeline,
    number: int,
    docs: Sequence[Document],
    decisions: Mapping[str, object],
    report: Report,
    observe: StepObserver | None = None,
) -> tuple[list[Document], Sequence[tuple[str, object]]]:
    """Segment ``number`` of the pipeline over one batch: the decisions of the corpus stage
    before it applied (``decisions``, by key), its per-document stages run, then the summaries
    of the corpus stage that ends it (none after the last segment). Returns the batch and the
    summaries, keyed and in order."""
    segment = pipeline.segments[number]
    previous = pipeline.segments[number - 1].corpus if number > 0 else None
    batch = list(docs)
    if previous is not None:
        batch = apply_decisions(batch, previous, decisions, report, observe)
    batch = run_stages(batch, segment.stages, report, observe)
    summaries: Sequence[tuple[str, object]] = []
    if segment.corpus is not None:
        batch, summaries = summarize(batch, segment.corpus, report)
    return batch, summaries


def run_stages(
    docs: Sequence[Document], stages: Sequence[Stage], report: Report, observe: StepObserver | None = None
) -> list[Document]:
    """Run per-document stages over a batch, timing each; rejected documents pass by untouched."""
    batch = list(docs)
    for stage in stages:
        active = [i for i, d in enumerate(batch) if d.rejected is None]
        if not active:
            break
        before = [batch[i] for i in active]
        started = time.perf_counter()
        try:
            results = list(stage(iter(before)))
            if len(results) != len(active):
                raise RuntimeError(f"stage {stage.name!r} returned {len(results)} documents for {len(active)}")
        except Exception:
            # One bad document must not sink its batch: run the documents one by one and fail
            # only the ones that raise.
            results = [_isolated(functools.partial(_run_one, stage), batch[i], stage.name) for i in active]
        report.add_seconds(stage.name, time.perf_counter() - started)
        for i, doc in zip(active, results, strict=True):
            batch[i] = reject_if_empty(doc)
        if observe is not None:
            observe(stage, before, [batch[i] for i in active])
    return batch


def _run_one(stage: Stage, doc: Document) -> Document:
    (out,) = stage(iter([doc]))
    return out


def _isolated(func: Callable[[Document], Document], doc: Document, stage: str) -> Document:
    """Run ``func`` on one document; an exception rejects that document as an internal error."""
    try:
        return func(doc)
    except Exception as exc:
        return _internal_error(doc, stage, exc)


def _internal_error(doc: Document, stage: str, exc: Exception) -> Document:
    return doc.reject(
        Reason.ERROR_INTERNAL,
        f"the {stage} stage failed on this document ({type(exc).__name__}: {exc}); "
        "the rest of the run is unaffected; please report it with this input",
    )


def summarize(
    docs: Sequence[Document], corpus: CorpusStage, report: Report
) -> tuple[list[Document], Sequence[tuple[str, object]]]:
    """The corpus stage's summaries of a batch's kept documents, keyed for ``decide``.

    Returns the batch too: a document whose summary fails is rejected as an internal error.
    """
    started = time.perf_counter()
    batch = list(docs)
    kept = [d for d in batch if d.rejected is None]
    many = getattr(corpus, "summarize_many", None)
    out: Sequence[tuple[str, object]]
    try:
        if many is None:
            raise NotImplementedError
        summaries = many(kept)
        keys = doc_keys(kept)
        if isinstance(summaries, SummaryColumns):  # kept as columns: see SummaryColumns
            out = KeyedSummaries(keys, summaries)
        else:
            out = list(zip(keys, summaries, strict=True))
    except Exception:  # no batch method, or one document broke it: one at a time
        one_by_one: list[tuple[str, object]] = []
        for i, doc in enumerate(batch):
            if doc.rejected is None:
                try:
                    one_by_one.append((doc_key(doc), corpus.summarize(doc)))
                except Exception as exc:
                    batch[i] = _internal_error(doc, corpus.name, exc)
        out = one_by_one
    report.add_seconds(corpus.name, time.perf_counter() - started)
    return batch, out


def apply_decisions(
    docs: Sequence[Document],
    corpus: CorpusStage,
    decisions: Mapping[str, object],
    report: Report,
    observe: StepObserver | None = None,
) -> list[Document]:
    """Apply a corpus stage's decisions to a batch (documents with no decision get None)."""
    started = time.perf_counter()
    apply, decision_of = corpus.apply, decisions.get
    out = []
    # A loop, not a lambda and a call per document (what _isolated does, inline); the keys of the
    # rejected documents too, made by one call (see doc_keys).
    for d, key in zip(docs, doc_keys(docs), strict=True):
        if d.rejected is None:
            try:
                d = apply(d, decision_of(key))
            except Exception as exc:
                d = _internal_error(d, corpus.name, exc)
            d = reject_if_empty(d)
        out.append(d)
    report.add_seconds(corpus.name, time.perf_counter() - started)
    if observe is not None:
        active = [i for i, d in enumerate(docs) if d.rejected is None]
        if active:
            observe(corpus, [docs[i] for i in active], [out[i] for i in active])
    return out


def reject_if_empty(doc: Document) -> Document:
    # ``not text.strip()`` without the copy: strip() removes exactly the characters isspace() is
    # true for, and isspace() stops at the first other character (a text's first, as a rule).
    text = doc.text
    if doc.rejected is None and (not text or text.isspace()):
        return doc.reject(Reason.EMPTY, "no text left after cleaning")
    return doc
