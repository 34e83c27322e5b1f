"""Where a ``cleaner`` command spends its CPU time: a sampler driven by the process's CPU clock.

    python benchmarks/cpu_profile.py OUT.raw clean seeds -o /tmp/out -q
    python benchmarks/cpu_profile.py --summary OUT.raw [N]

The first form runs ``python -m cleaner ARGS...`` in this process with a SIGPROF timer (it fires
per 2 ms of CPU time, user and system, at the kernel's tick: 4 ms on most machines) and writes one
line per distinct stack of functions (``name (file:first line)``), ``frame;frame;... count``, the
format py-spy's ``--format raw`` writes. py-spy samples wall time, so on a loaded machine it
also counts the time a process waits for a core; this counts only CPU time, which is what the
benchmarks compare. The signal lands between Python bytecodes, so time in a C call or a
compiled numba kernel is counted at the next Python frame (numba's ``_numba_unpickle`` stands
for the kernels' own time). Start-up before the timer (the interpreter, ``site``) is not
counted. ``--summary`` prints the frames' inclusive and own shares (the top N).
"""

from __future__ import annotations

import collections
import runpy
import signal
import sys
from pathlib import Path
from types import FrameType


def record(out: Path, args: list[str]) -> None:
    counts: collections.Counter[str] = collections.Counter()

    def sample(signum: int, frame: FrameType | None) -> None:
        stack = []
        while frame is not None:
            code = frame.f_code
            stack.append(f"{code.co_name} ({code.co_filename}:{code.co_firstlineno})")
            frame = frame.f_back
        counts[";".join(reversed(stack))] += 1

    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, 0.002, 0.002)
    sys.argv = ["cleaner", *args]
    try:
        runpy.run_module("cleaner", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        out.write_text("".join(f"{stack} {n}\n" for stack, n in counts.items()), encoding="utf-8")


def summary(raw: Path, top: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        total += int(n)
        own[frames[-1]] += int(n)
        for frame in set(frames):
            inclusive[frame] += int(n)
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("own", own)):
        print(f"--- {title}")
        for frame, n in counter.most_common(top):
            print(f"{n / total:6.1%}  {frame}")


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "--summary":
        summary(Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 40)
    elif len(sys.argv) >= 3:
        record(Path(sys.argv[1]), sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
