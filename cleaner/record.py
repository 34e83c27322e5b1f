"""Pure data records that flow through the pipeline: Document, Drop, Edit, Reason, Unit.

Nothing here imports a third-party package, so every stage, runner and writer can share
these types and they pickle cheaply between processes. Records are frozen: a stage returns
``doc.replace(...)`` (``dataclasses.replace``, faster) instead of mutating, so a document seen
by one stage is never changed behind its back by another.

>>> doc = Document(id="a.txt", text="Hello")
>>> doc.status
'kept'
>>> doc.with_drops([Drop("boilerplate", Reason.NAV, Unit.LINE, "Home | World")]).drops[0].reason
<Reason.NAV: 'boilerplate.nav'>
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal


class Unit(StrEnum):
    """How much text a Drop removed."""

    DOC = "doc"
    PASSAGE = "passage"
    LINE = "line"
    BLOCK = "block"


class Reason(StrEnum):
    """Stable reason codes. They are part of the report format: add codes, never rename one."""

    # Document-level outcomes.
    EMPTY = "cleaner.empty"  # nothing left after cleaning
    # Boilerplate (plain-text lines and HTML blocks).
    NAV = "boilerplate.nav"
    AD = "boilerplate.ad"
    SOCIAL = "boilerplate.social"
    RELATED = "boilerplate.related"
    COMMENTS = "boilerplate.comments"
    CONSENT = "boilerplate.consent"
    LEGAL = "boilerplate.legal"
    TEMPLATE = "boilerplate.template"
    NEWSLETTER = "boilerplate.newsletter"
    SOURCE = "boilerplate.source"
    MARKUP = "boilerplate.markup"  # script, style, forms, hidden elements
    LOW_SCORE = "boilerplate.low_score"  # an HTML block the content scorer rejected
    SHORT = "boilerplate.short"  # a short line outside the article body
    CAPTION = "boilerplate.caption"  # an HTML figure caption or photo credit
    # Deduplication.
    NEAR_DUPLICATE_DOC = "dedup.near_duplicate_doc"
    NEAR_DUPLICATE_PASSAGE = "dedup.near_duplicate_passage"
    ALREADY_INDEXED = "dedup.already_indexed"  # the same id and content are in the index from an earlier run
    # Language and quality filters (opt-in; whole documents): see cleaner.signals.rules.
    QUALITY_LANGUAGE = "quality.language"
    QUALITY_TOO_SHORT = "quality.too_short"
    QUALITY_TOO_LONG = "quality.too_long"
    QUALITY_WORD_LENGTH = "quality.word_length"
    QUALITY_SYMBOLS = "quality.symbols"
    QUALITY_BULLET_LINES = "quality.bullet_lines"
    QUALITY_ELLIPSIS_LINES = "quality.ellipsis_lines"
    QUALITY_NON_ALPHA = "quality.non_alpha"
    QUALITY_STOP_WORDS = "quality.stop_words"
    QUALITY_REPETITION = "quality.repetition"
    QUALITY_LINE_PUNCTUATION = "quality.line_punctuation"
    QUALITY_SHORT_LINES = "quality.short_lines"
    QUALITY_LIST_LIKE = "quality.list_like"
    QUALITY_LOREM_IPSUM = "quality.lorem_ipsum"
    QUALITY_CURLY_BRACKET = "quality.curly_bracket"
    QUALITY_TOO_FEW_SENTENCES = "quality.too_few_sentences"
    # Input errors: the document could not be read; status becomes "error".
    ERROR_READ = "error.read"
    ERROR_DECODE = "error.decode"
    ERROR_FORMAT = "error.format"
    ERROR_TOO_LARGE = "error.too_large"
    ERROR_INTERNAL = "error.internal"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a document came from: a path relative to its input root, and a 1-based line for JSONL."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Drop:
    """One removed piece of text, with the stage and reason that removed it.

    ``start``/``end`` are character offsets into the text the stage received, where meaningful.
    ``detail`` is free text for people (``"cluster=doc-17 jaccard=0.91"``).
    """

    stage: str
    reason: Reason
    unit: Unit
    text: str
    start: int | None = None
    end: int | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stage": self.stage,
            "reason": str(self.reason),
            "unit": str(self.unit),
            "text": self.text,
        }
        if self.start is not None:
            out["start"], out["end"] = self.start, self.end
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True, slots=True)
class Edit:
    """What one normalizer fixer changed in a document, in the spirit of ftfy's fix_and_explain."""

    fixer: str
    count: int
    examples: tuple[str, ...] = ()  # a few "before -> after" samples, for people

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fixer": self.fixer, "count": self.count}
        if self.examples:
            out["examples"] = list(self.examples)
        return out


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a whole document left the output (or could not be read)."""

    reason: Reason
    detail: str = ""

    @property
    def is_error(self) -> bool:
        return str(self.reason).startswith("error.")


@dataclass(frozen=True, slots=True)
class DuplicateOf:
    """Near-duplicate membership: the cluster (id of the kept copy), and for a dropped copy what
    it was verified against and the verified similarity."""

    cluster: str
    duplicate_of: str | None = None
    similarity: float | None = None
    # A new version of an id already in the persistent index: where the earlier one is (run, time).
    version_of: str | None = None


@dataclass(frozen=True, slots=True)
class PassageMatch:
    """A passage of this document found (by containment) inside a passage of an earlier document."""

    start: int
    end: int
    text: str
    duplicate_of: str
    similarity: float

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "duplicate_of": self.duplicate_of,
            "similarity": self.similarity,
        }


# JSON allows these raw inside strings, but many line readers (Python's str.splitlines among them)
# break lines at them, which would cut a JSONL record in two. Writers escape them.
_LINE_BREAKERS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_line(value: Any, separators: tuple[str, str] | None = None) -> str:
    r"""One JSONL line: UTF-8 text (no ASCII escaping) except for characters that break lines.

    >>> json_line({"text": "a\u2028b"})
    '{"text": "a\\u2028b"}\n'
    """
    return json.dumps(value, ensure_ascii=False, separators=separators).translate(_LINE_BREAKERS) + "\n"


Kind = Literal["text", "html"]
Status = Literal["kept", "dropped", "error"]


@dataclass(frozen=True, slots=True)
class Document:
    """A document in flight. ``text`` is the current text (empty for HTML until extraction).

    ``metadata`` holds what the reader knows and the writer needs back: for JSONL, every field of
    the record except ``text`` and ``html``; a ``host`` or ``url`` key, when present, names the site.
    """

    id: str
    text: str
    kind: Kind = "text"
    html: str | None = None
    source: Source = field(default_factory=lambda: Source(""))
    metadata: Mapping[str, Any] = field(default_factory=dict)
    drops: tuple[Drop, ...] = ()
    edits: tuple[Edit, ...] = ()
    rejected: Rejection | None = None
    duplicate: DuplicateOf | None = None
    passages: tuple[PassageMatch, ...] = ()
    chars_in: int = 0  # characters of the input as read (HTML: the markup)
    fields: tuple[str, ...] = ()  # a record's original field order, so writers give it back as it came
    # Language and quality signals of the signals stage ("lang", "lang_score", then
    # cleaner.signals.quality.SIGNALS); empty when the stage did not run.
    signals: Mapping[str, Any] = field(default_factory=dict)
    # ``html``'s UTF-8 bytes as read (``html.encode()`` exactly), or None: a page read as valid UTF-8
    # carries them to the HTML extraction, whose parser takes bytes (encoding the markup again was
    # about a quarter of the parse). The extraction clears it; anything that changes ``html`` must too.
    html_utf8: bytes | None = None

    def __post_init__(self) -> None:
        # Checked here, so a wrong field fails where it is made, with its name, and not later deep
        # in a stage or the index (an id of None silently stopped exact copies being dropped).
        # The plain text document every reader, spill and replace makes passes on exact types
        # (the checks below cost 2.5 us a document, 0.09 CPU-s of a dedup-only run on Reuters);
        # Document.replace makes the documents that pass this first test without the call
        # (_replacing_document has its copy: change both together).
        if (
            type(self.id) is str
            and type(self.text) is str
            and self.html is None
            and self.kind == "text"
            and type(self.source) is Source
            and type(self.metadata) is dict
            and type(self.chars_in) is int
        ):
            return
        for name, value, types, what in (
            ("id", self.id, str, "a str"),
            ("text", self.text, str, "a str"),
            ("html", self.html, (str, type(None)), "a str or None"),
            ("html_utf8", self.html_utf8, (bytes, type(None)), "bytes or None"),
            ("source", self.source, Source, "a cleaner.Source"),
            ("metadata", self.metadata, Mapping, "a mapping (dict)"),
            ("chars_in", self.chars_in, int, "an int"),
        ):
            if not isinstance(value, types):
                raise TypeError(f"Document.{name} must be {what}, not {type(value).__name__} ({value!r:.60})")
        if self.kind not in ("text", "html"):
            raise ValueError(f"Document.kind must be 'text' or 'html', not {self.kind!r}")
        if self.kind == "html" and self.html is None:
            raise ValueError("Document.kind is 'html' but Document.html is None; pass the markup as html=...")

    @property
    def status(self) -> Status:
        if self.rejected is None:
            return "kept"
        return "error" if self.rejected.is_error else "dropped"

    def replace(self, **changes: Any) -> Document:
        """``dataclasses.replace(self, **changes)``, a quarter of its cost: a function made once
        for Document's fields (_replacing_document) reads each unchanged field from its slot, where
        dataclasses.replace walks ``fields()`` and builds a keyword dict on every call. Every
        stage replaces each document it changes (about 5 times a document on the text dump).
        tests/test_record.py checks it against dataclasses.replace.
        """
        return _replace_document(self, **changes)

    def with_drops(self, drops: Iterable[Drop]) -> Document:
        return _replace_document(self, drops=self.drops + tuple(drops))

    def with_edits(self, edits: Iterable[Edit]) -> Document:
        return _replace_document(self, edits=self.edits + tuple(edits))

    def reject(self, reason: Reason, detail: str = "") -> Document:
        return _replace_document(self, rejected=Rejection(reason, detail))


def _define(source: str, env: dict[str, Any]) -> None:
    """``exec(source, env)`` for the functions this module writes (ten sources: 0.95 ms of compiling
    in every process), through the compiled code that the command line keeps for dataclasses
    (``cleaner.cache.cache_dataclass_code`` sets ``dataclasses.exec``): read back from the cache
    there, compiled here otherwise. ``env`` names this module, whose cache entry the code joins."""
    env["__name__"] = __name__
    getattr(dataclasses, "exec", exec)(source, env)


def _store_through_slots(cls: type) -> None:
    """Give a frozen slots dataclass an ``__init__`` that stores each field with its slot's own
    setter (``Document.__dict__["id"].__set__``), bound once, instead of the generated
    ``object.__setattr__(self, "id", id)`` that looks the setter up again for every field of
    every record, or, for a record of SWITCH_FIELDS fields or more, by plain attribute stores
    while its class is switched (see below). Same parameters, defaults, factories and
    ``__post_init__``: records are made for every document by the reader, by every spill
    between phases and by each stage's ``replace``, 40,000 Documents in a dedup-only run of the
    Reuters bench. The records stay frozen (their ``__setattr__`` still refuses).
    tests/test_record.py checks that instances and signatures equal the dataclass's own.
    """
    env: dict[str, Any] = {"_no_value": _NO_VALUE}
    params, body, stores, setters = [], [], [], []
    for f in dataclasses.fields(cls):
        env[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        if f.default is not dataclasses.MISSING:
            env[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_no_value")
            body.append(f"    if {f.name} is _no_value:\n        {f.name} = _factory_{f.name}()")
        else:
            params.append(f.name)
        stores.append(f"        self.{f.name} = {f.name}")
        setters.append(f"        _set_{f.name}(self, {f.name})")
    # A record of many fields is built with its class switched to a plain class of the same
    # slots while they are stored (object.__setattr__ allows that between classes of one layout):
    # each store is then the interpreter's own slot store, not a call of the slot's setter (a
    # Document: 2.8 -> 1.6 us, two per document in a dedup-only run). A subclass, whose layout
    # may differ, and a record of a few fields, where the two switches cost what they save (a
    # Source), go through the setters. The record is its class again before __post_init__.
    if len(stores) >= SWITCH_FIELDS:
        env["_cls"], env["_switch"] = cls, object.__setattr__
        env["_slots"] = type(f"_{cls.__name__}Slots", (), {"__slots__": cls.__slots__})  # type: ignore[attr-defined]
        body += ["    if type(self) is _cls:", "        _switch(self, '__class__', _slots)", *stores]
        body += ["        self.__class__ = _cls", "    else:", *setters]
    else:
        body += [line[4:] for line in setters]
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    _define(f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body), env)  # the fields above, nothing else
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = dict(cls.__init__.__annotations__)  # type: ignore[misc]
    cls.__init__ = init  # type: ignore[misc]


# Fields from which a record is built with its class switched (see _store_through_slots).
SWITCH_FIELDS = 4


class _NoValue:
    """The default of a field with a factory: the factory is called when it is still there."""

    def __repr__(self) -> str:
        return "<factory>"


_NO_VALUE = _NoValue()

for _record in (Source, Drop, Edit, Rejection, DuplicateOf, PassageMatch, Document):
    _store_through_slots(_record)


def _assembling(cls: type) -> Any:
    """A function ``(value, ...)`` of every field of ``cls`` in order that makes the record
    without its checks: an instance of a plain class of the same slots takes the values by the
    interpreter's own slot stores and is switched to ``cls`` once. :func:`_store_through_slots`'s
    ``__init__`` switches twice (``type.__call__`` made the instance a ``cls`` already) and calls
    ``__post_init__``."""
    names = [f.name for f in dataclasses.fields(cls)]
    slots = type(f"_{cls.__name__}Values", (), {"__slots__": cls.__slots__})  # type: ignore[attr-defined]
    env: dict[str, Any] = {"_slots": slots, "_cls": cls}
    _define(f"def assemble({', '.join(names)}):\n" + "\n".join(_assembled("obj", names)), env)  # the fields above
    return env["assemble"]


def _assembled(obj: str, names: Sequence[str], indent: str = "    ") -> list[str]:
    """The lines of code that make ``obj`` a ``_cls`` holding the local variables ``names`` and
    return it (``_slots``: a plain class of ``_cls``'s slots). The plain instance is made by
    calling its class (``object.__new__(_slots)`` cost 0.1 us more) and switched by a store to
    its ``__class__`` (``object.__setattr__(obj, "__class__", _cls)``, a call, 0.18 us more): a
    Drop 0.85 -> 0.6 us; the 30 MB text dump makes about 80,000 Drops and 100,000 Documents so."""
    lines = [f"{obj} = _slots()", *(f"{obj}.{name} = {name}" for name in names)]
    lines += [f"{obj}.__class__ = _cls", f"return {obj}"]
    return [indent + line for line in lines]


assemble_document = _assembling(Document)
"""``Document(*values)`` for the values of every field in order (``signals`` and ``html_utf8``
too), without the constructor's checks: for values taken from documents (a spill read back
between phases) or made of the checked types (a reader's plain record). About 1 us a document
less than the constructor (1.9 -> 0.9 us); the Reuters bench makes two per record.
tests/test_record.py checks that it makes what the constructor makes."""

assemble_drop = _assembling(Drop)
"""``Drop(*values)`` for the values of all seven fields in order, without the constructor's
stores through the slots' setters: for a stage's drops, made of the checked types (a Drop has
no checks). 1.7 -> 1.3 us a drop; the 181 Scrapinghub pages make about 14,000.
tests/test_record.py checks that it makes what the constructor makes."""


def _replacing_document() -> Any:
    """A function ``(obj, *, field=..., ...)`` that makes a Document with the given fields
    changed and the others read from ``obj``'s slots. The common document, a text one whose
    fields pass __post_init__'s first test (the same test, here), is made by
    :data:`assemble_document`'s code, any other by the constructor and its checks: 3.2 -> 2.4
    us a replace (each stage replaces each document it changes, about 5 times a document on
    the text dump)."""
    names = [f.name for f in dataclasses.fields(Document)]
    slots = type("_DocumentValues", (), {"__slots__": Document.__slots__})
    env: dict[str, Any] = {"_cls": Document, "_keep": _NO_VALUE, "_slots": slots, "_Source": Source}
    body = [f"    if {name} is _keep:\n        {name} = obj.{name}" for name in names]
    body.append(
        "    if (type(id) is str and type(text) is str and html is None and kind == 'text' and type(source) is _Source"
        " and type(metadata) is dict and type(chars_in) is int):"
    )
    # assemble_document's code in place of its call (of 15 arguments: 0.2 us a replace).
    body += [*_assembled("new", names, " " * 8), f"    return _cls({', '.join(names)})"]
    params = ", ".join(f"{name}=_keep" for name in names)
    _define(f"def replace(obj, *, {params}):\n" + "\n".join(body), env)  # the fields above, nothing else
    return env["replace"]


_replace_document = _replacing_document()
