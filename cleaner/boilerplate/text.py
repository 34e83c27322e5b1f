"""Line-level boilerplate classification for plain text (the visible text of a page, line by line).

Each line gets a verdict from three signals, strongest first:

1. a *cue*: the line's whole text matches a known kind of boilerplate (rules.LINE_CUES), or it
   starts a teaser ("READ MORE: ..."); a related-articles header also takes the run of short
   headline/byline lines that follows it;
2. the *article span*: the lines from the first to the last paragraph-like line of the page's
   densest run of long lines; short lines outside the span are navigation or page chrome;
3. everything else is kept: recall matters more than catching the last menu item.

>>> text = "Home | World\\n\\nIt rained all day in the city, and the river rose.\\nLeave a Comment\\n"
>>> [(d.reason.value, d.text) for d in classify_lines(text)]
[('boilerplate.nav', 'Home | World\\n'), ('boilerplate.comments', 'Leave a Comment\\n')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cleaner.boilerplate.rules import line_reason
from cleaner.record import Drop, Reason, Unit

STAGE = "boilerplate"
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…。»”\"')\]]\s*$")
# "Home | World", "News › Europe", "Tsarizm / Eastern Europe": short items joined by separators.
_BREADCRUMB = re.compile(r"^\s*[^|›»>/\\·•]{1,30}(?:\s+[|›»>/\\·•]\s+[^|›»>/\\·•]{1,30}){1,8}\s*$")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the input: its text without the terminator and its span with it."""

    text: str
    start: int
    end: int


def split_lines(text: str) -> list[Line]:
    """Split text into lines that cover it exactly (terminators stay in the span).

    >>> [(x.text, x.start, x.end) for x in split_lines("a\\nbc")]
    [('a', 0, 2), ('bc', 2, 4)]
    """
    lines: list[Line] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        stripped = raw.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        lines.append(Line(stripped, pos, pos + len(raw)))
        pos += len(raw)
    return lines


def is_paragraph(line: str) -> bool:
    """A line that reads like article prose: several words ending like a sentence, or long.

    # 12 words / 140 chars: a sentence-length line; re-check with the benchmark's text mode.
    >>> is_paragraph("It rained all day in the city, and the river rose by a metre before dark.")
    True
    >>> is_paragraph("Related articles")
    False
    """
    words = len(_WORD.findall(line))
    return words >= 25 or (words >= 10 and _SENTENCE_END.search(line) is not None)


def _line_verdicts(lines: list[Line]) -> list[Reason | None]:
    verdicts: list[Reason | None] = [None] * len(lines)
    in_related = False
    for i, line in enumerate(lines):
        text = line.text.strip()
        if not text:
            continue
        reason = line_reason(text)
        if reason is None and _BREADCRUMB.match(text) and not is_paragraph(text):
            reason = Reason.NAV
        if reason is not None:
            verdicts[i] = reason
            # A bare header ("Related articles", "DON'T MISS:") takes the teaser lines below it.
            in_related = reason is Reason.RELATED and len(_WORD.findall(text)) <= 6
            continue
        if in_related:
            if is_paragraph(text):
                in_related = False
            else:
                verdicts[i] = Reason.RELATED
    return verdicts


def classify_lines(text: str) -> list[Drop]:
    """The Drops for the boilerplate lines of ``text``, with spans into it, in order."""
    lines = split_lines(text)
    verdicts = _line_verdicts(lines)
    return [
        Drop(STAGE, reason, Unit.LINE, text[line.start : line.end], line.start, line.end)
        for line, reason in zip(lines, verdicts, strict=True)
        if reason is not None
    ]


def remove_spans(text: str, drops: list[Drop]) -> str:
    """The text with the spans of ``drops`` (sorted, non-overlapping) cut out.

    >>> remove_spans("abcdef", [Drop("x", Reason.NAV, Unit.LINE, "bc", 1, 3)])
    'adef'
    """
    out: list[str] = []
    pos = 0
    for drop in drops:
        assert drop.start is not None and drop.end is not None  # spans are set by classify_lines
        out.append(text[pos : drop.start])
        pos = drop.end
    out.append(text[pos:])
    return "".join(out)
