"""The library API: clean documents in memory, no files involved.

``clean`` runs the same pipeline as the command line, in this process (the in-memory driver,
``cleaner.pipeline.clean_in_memory``; corpus stages decide through the same tasks as a run's
workers, here in this process). Corpus-level stages
(site templates, near-duplicates) need to see every document before they decide, so documents
are held in memory until the last one has been read: pass batches that fit in memory, and use
a persistent index (``DedupConfig.index``) to deduplicate each batch against earlier ones.

>>> news = "The central bank raised its main rate by a quarter point on Tuesday, citing inflation."
>>> docs = list(clean(["Caf\u00c3\u00a9 &amp; bar opens at noon, every day.", news, news]))
>>> [d.id for d in docs]  # the second copy of the news is a duplicate
['0', '1']
>>> docs[0].text  # mojibake and entities repaired
'Café & bar opens at noon, every day.'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

from cleaner.config import Config
from cleaner.errors import UsageError
from cleaner.pipeline import Pipeline, clean_in_memory
from cleaner.record import Document, Source
from cleaner.report import Report


class Cleaner:
    """A configured pipeline, set up once and reused for many calls.

    >>> cleaner = Cleaner(Config(stages=("normalize",)))
    >>> cleaner.clean_text("caf\\u00c3\\u00a9")
    'café'
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.pipeline = Pipeline(self.config)
        self.pipeline.prepare()
        self.pipeline.setup()
        self.report = Report()  # counters of every call so far

    def clean(
        self, documents: Iterable[str | Document] | str | Document, *, include_rejected: bool = False
    ) -> Iterator[Document]:
        """Clean documents (strings or Documents), in order; by default yield only the kept ones.

        One string (or one Document) is one document: ``clean("some text")`` cleans that text,
        never each of its characters.
        """
        if isinstance(documents, str | Document):
            documents = [documents]
        elif isinstance(documents, bytes | bytearray):
            raise UsageError("clean() takes text, not bytes: decode it first (data.decode('utf-8'))")
        batch = [_as_document(i, d) for i, d in enumerate(documents)]
        keys = [str(d.source) for d in batch]
        if len(set(keys)) != len(keys):
            raise UsageError(
                "documents must have distinct sources (Document.source); leave source unset to number them"
            )
        for doc in clean_in_memory(self.pipeline, batch, self.report):
            self.report.add_document(doc)
            if include_rejected or doc.rejected is None:
                yield doc

    def clean_text(self, text: str) -> str:
        """Clean one string and return its text ("" when the whole document was dropped)."""
        docs = list(self.clean([text], include_rejected=True))
        return docs[0].text if docs[0].rejected is None else ""


def clean(
    documents: Iterable[str | Document] | str | Document,
    config: Config | None = None,
    *,
    include_rejected: bool = False,
) -> Iterator[Document]:
    """Clean strings or Documents (or one of them) with one pipeline; see ``Cleaner.clean``."""
    return Cleaner(config).clean(documents, include_rejected=include_rejected)


def _as_document(position: int, item: str | Document) -> Document:
    if isinstance(item, str):
        return Document(id=str(position), text=item, source=Source("<memory>", position + 1), chars_in=len(item))
    if not isinstance(item, Document):
        raise UsageError(
            f"clean() takes strings or Documents, not {type(item).__name__} (item {position}); "
            "make a Document(id=..., text=...) or pass its text"
        )
    if not item.source.path:
        item = dataclasses.replace(item, source=Source("<memory>", position + 1))
    if not item.chars_in:
        item = dataclasses.replace(item, chars_in=len(item.html if item.kind == "html" and item.html else item.text))
    return item
