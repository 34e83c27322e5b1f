"""Where a ``cleaner`` command's resident memory grows: its RSS, sampled with the stack that grew it.

    python benchmarks/mem_profile.py [--step MB] clean /tmp/dump-30MB.jsonl -o /tmp/out -q --jobs 1

Runs ``python -m cleaner ARGS...`` in this process while a thread reads ``/proc/self/statm``
every 2 ms; each time the RSS has moved by ``--step`` MB (default 8) since the last line, it
prints the time, the RSS and the innermost frames of the main thread, and at the end the peak
(``VmHWM``) with the stack seen at the highest sample. The sampling thread and its stack copies
add about 20-25 MB of their own, so read the peak of a plain run from ``/usr/bin/time -f %M``
(what ``bench_pipeline.py`` reports); this tells which step reaches it. Linux only.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import threading
import time
import traceback

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * PAGE


def frames(thread_id: int, depth: int = 5) -> str:
    frame = sys._current_frames().get(thread_id)
    stack = traceback.extract_stack(frame) if frame is not None else []
    return " < ".join(f"{os.path.basename(s.filename)}:{s.name}:{s.lineno}" for s in reversed(stack[-depth:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=float, default=8.0, help="MB of RSS change between printed lines")
    args, rest = parser.parse_known_args()
    step = args.step * 2**20
    main_id = threading.main_thread().ident or 0
    done = threading.Event()
    peak_rss, peak_where = [0], [""]

    def sample() -> None:
        last, started = 0, time.monotonic()
        while not done.is_set():
            now = rss()
            if abs(now - last) >= step or now > peak_rss[0]:
                where = frames(main_id)
                if now > peak_rss[0]:
                    peak_rss[0], peak_where[0] = now, where
                if abs(now - last) >= step:
                    print(f"t={time.monotonic() - started:7.2f} s {now / 2**20:8.1f} MB  {where}", file=sys.stderr)
                    last = now
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    sys.argv = ["cleaner", *rest]
    try:
        runpy.run_module("cleaner", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        done.set()
        sampler.join()
        with open("/proc/self/status", encoding="ascii") as fh:
            hwm = next(line.split()[1] for line in fh if line.startswith("VmHWM"))
        top = peak_rss[0] / 2**20
        print(f"peak (VmHWM) {int(hwm) / 1024:.1f} MB; highest sample {top:.1f} MB at {peak_where[0]}", file=sys.stderr)


if __name__ == "__main__":
    main()
