"""Progress of a run, for people watching a terminal: events from the runner, a bar on stderr.

The runner calls ``on_progress(ProgressEvent)`` after each task (one shard of one phase). The
library never draws anything: the CLI decides what to show. ``TerminalProgress`` draws a tqdm
bar on stderr (documents/s, MB/s, ETA) only when stderr is a terminal, and in ``--verbose`` mode
also prints one line per finished input file. Data never goes to stderr, so piping stdout or
redirecting stderr to a log never mixes bars into the output.

>>> event = ProgressEvent("write", 2, 2, shards_done=1, shards_total=4, bytes_done=10, bytes_total=40)
>>> event.fraction
0.25
>>> event.phase_label
'phase 2/2: write'
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import IO, Any


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One finished task: which phase, how many shards and input bytes are done out of how many.

    ``phase`` is the corpus stage the phase ends at (``templates``, ``dedup``) or ``write`` for the
    last one; ``phase_number`` counts from 1. ``bytes_*`` count input bytes of the shards (on disk,
    so compressed for .gz). ``docs`` is how many documents the finished task handled, where known
    (0 when the task had none to report), and ``path`` is the input file of its shard.
    """

    phase: str
    phase_number: int
    phases: int
    shards_done: int
    shards_total: int
    bytes_done: int = 0
    bytes_total: int = 0
    docs: int = 0
    path: str = ""

    @property
    def fraction(self) -> float:
        """Share of this phase done, by bytes when they are known, else by shards."""
        if self.bytes_total > 0:
            return self.bytes_done / self.bytes_total
        return self.shards_done / self.shards_total if self.shards_total else 1.0

    @property
    def phase_label(self) -> str:
        return f"phase {self.phase_number}/{self.phases}: {self.phase}"


ProgressCallback = Callable[[ProgressEvent], None]


class TerminalProgress:
    """Draw a progress bar per phase on ``stream`` (stderr), and per-file lines when verbose.

    The bar counts input bytes, so its ETA holds for files of any size; its postfix shows
    documents/s. It is drawn only when ``stream`` is a terminal (``enabled=None`` decides that),
    so logs and CI output stay clean. Use as a context manager so the last bar is closed.

    >>> import io
    >>> out = io.StringIO()
    >>> with TerminalProgress(out, enabled=False, verbose=True) as show:
    ...     show(ProgressEvent("write", 1, 1, 1, 1, 2048, 2048, docs=3, path="a.txt"))
    >>> out.getvalue()
    'a.txt: 3 documents (write)\\n'
    """

    def __init__(self, stream: IO[str] | None = None, *, enabled: bool | None = None, verbose: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.verbose = verbose
        self._bar: Any = None
        self._phase = 0
        self._docs = 0
        # Events come only when a task ends, so a phase is timed from the end of the one before
        # (the first from when this object was made, just before the run): a phase's first large
        # shard then shows its true rate instead of an instant jump.
        self._started = self._last_event = time.perf_counter()

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, event: ProgressEvent) -> None:
        if self.verbose and event.path and event.phase == "write":
            self._line(f"{event.path}: {event.docs:,} document{'s' if event.docs != 1 else ''} ({event.phase})")
        if not self.enabled:
            self._last_event = time.perf_counter()
            return
        if event.phase_number != self._phase:
            self._start_phase(event)
        self._last_event = time.perf_counter()
        bar = self._bar
        if bar is None:
            return
        self._docs += event.docs
        total = event.bytes_total or event.shards_total
        done = event.bytes_done if event.bytes_total else event.shards_done
        bar.total = total
        bar.update(done - bar.n)
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        bar.set_postfix_str(f"{self._docs / elapsed:,.0f} docs/s", refresh=True)

    def _start_phase(self, event: ProgressEvent) -> None:
        self.close()
        self._phase, self._docs, self._started = event.phase_number, 0, self._last_event
        try:
            from tqdm import tqdm
        except ImportError:  # progress is a nicety: without tqdm the run goes on without a bar
            self.enabled = False
            return
        by_bytes = event.bytes_total > 0
        self._bar = tqdm(
            total=event.bytes_total if by_bytes else event.shards_total,
            desc=event.phase_label,
            unit="B" if by_bytes else "shard",
            unit_scale=by_bytes,
            unit_divisor=1024 if by_bytes else 1000,
            file=self.stream,
            leave=False,
            dynamic_ncols=True,
            smoothing=0,  # average rate over the phase: results arrive in lumps, one per shard
        )
        # tqdm keeps its own clock (time.time); move its start back to when the phase began
        self._bar.start_t = self._bar.last_print_t = self._bar._time() - (time.perf_counter() - self._started)

    def _line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class InputTimer:
    """Seconds per input file, from the time between consecutive task results of a phase.

    With one job this is each task's own time. With several, tasks overlap and results arrive in
    input order, so a file's time is how long the run waited for it after the previous one: a slow
    file still stands out, a fast one behind it shows near zero. The first result of a phase is not
    timed: the time before it is worker start-up and the previous phase's decisions, not the file.
    A phase whose results all come from one file (a single-file dump, however many shards) is
    the exception: the run waited on that file alone, so the whole phase, from the previous
    phase's last result, is that file's time.

    >>> timer = InputTimer()
    >>> for n, path in enumerate(["a.txt", "b.txt"], 1):
    ...     timer(ProgressEvent("write", 1, 1, n, 2, path=path))
    >>> sorted(timer.seconds), timer.seconds["a.txt"]
    (['a.txt', 'b.txt'], 0.0)
    >>> one = InputTimer()
    >>> one(ProgressEvent("write", 1, 1, 1, 1, path="dump.jsonl"))
    >>> one.seconds["dump.jsonl"] > 0
    True
    """

    def __init__(self) -> None:
        # per phase: (time the phase began, [(path, time of its result), ...])
        self._phases: list[tuple[float, list[tuple[str, float]]]] = []
        self._phase = -1
        self._last = time.perf_counter()

    def __call__(self, event: ProgressEvent) -> None:
        now = time.perf_counter()
        if event.phase_number != self._phase:
            self._phase = event.phase_number
            self._phases.append((self._last, []))
        self._phases[-1][1].append((event.path, now))
        self._last = now

    @property
    def seconds(self) -> dict[str, float]:
        """Input path -> seconds, every path seen (untimed ones at 0.0)."""
        out: dict[str, float] = {}
        for began, results in self._phases:
            if len({path for path, _ in results}) == 1:
                path = results[0][0]
                out[path] = out.get(path, 0.0) + (results[-1][1] - began)
                continue
            out.setdefault(results[0][0], 0.0)
            for (_, before), (path, at) in pairwise(results):
                out[path] = out.get(path, 0.0) + (at - before)
        return out


def run_footer(wall_seconds: float, output: object, report: object, html_report: object | None = None) -> str:
    """The last lines of the summary: how long the run took and where its results are.

    >>> print(run_footer(83.25, "out", "out.report.jsonl", "run.html"))
    wall time: 1 min 23.2 s
    output: out
    report: out.report.jsonl
    HTML report: run.html
    """
    minutes, seconds = divmod(wall_seconds, 60)
    wall = f"{int(minutes)} min {seconds:.1f} s" if minutes >= 1 else f"{seconds:.2f} s"
    lines = [f"wall time: {wall}", f"output: {output}", f"report: {report}"]
    if html_report is not None:
        lines.append(f"HTML report: {html_report}")
    return "\n".join(lines)


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False
