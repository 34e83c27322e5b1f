"""What a ``cleaner clean`` process loads before its first document: only what its inputs and stages need.

Every process pays its imports (a one-page run spends a fifth of its CPU there), so the modules of a
format, a stage or a library that a run does not use are imported on first use. Each check runs the
command line in a fresh interpreter and lists the modules it ended with.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

_RUN = (
    "import json, sys; from cleaner.cli import main; sys.argv = ['cleaner', *json.loads(sys.argv[1])]\n"
    "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
    "print(json.dumps(sorted(sys.modules)))"
)


def _modules_after(tmp_path: Path, *args: str) -> set[str]:
    """The modules of a process that ran ``cleaner clean ARGS``, its cache filled by an earlier one
    (a derivation on a cache miss may import more than a run needs)."""
    env = {"CLEANER_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    stdout = ""
    for out in ("first", "second"):
        argv = json.dumps(["clean", *args, "-o", str(tmp_path / out), "-q", "--jobs", "1"])
        run = subprocess.run([sys.executable, "-c", _RUN, argv], env=env, capture_output=True, text=True, check=True)
        stdout = run.stdout
    return set(json.loads(stdout.splitlines()[-1]))


def test_a_dedup_only_run_over_jsonl_loads_no_other_format(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl.gz"
    lines = [json.dumps({"id": str(i), "text": f"Record {i % 3} says caf\u00e9 &amp; more."}) for i in range(6)]
    source.write_bytes(gzip.compress("\n".join(lines).encode()))
    loaded = _modules_after(tmp_path, str(source), "--stages", "dedup")
    assert "cleaner.dedup" in loaded and "cleaner.formats.jsonl" in loaded  # the run did run
    # The other stages' modules: tests/test_run_costs.py (through the library).
    unneeded = {"cleaner.formats.pages", "cleaner.formats.parquet", "cleaner.formats.warc", "cleaner.formats.decode"}
    assert loaded & unneeded == set()
    assert "_hashlib" not in loaded  # OpenSSL (~3.5 ms): the run's digests are built-in ones
    assert "numpy.ma" not in loaded  # what np.unique imports at its first call (~16 ms): the barrier avoids it
    assert "cleaner.homoglyphs" not in loaded  # "café" holds no Greek or Cyrillic letter to repair (~2 ms)
    assert "traceback" not in loaded  # only --debug prints one (~0.4 ms)
    assert "cleaner.htmlguard" not in loaded  # it caps the nesting of HTML documents only (~0.2 ms)
    assert "numpy.typing" not in loaded  # the array aliases are for the type checker (~0.6 ms)
    assert "encodings.ascii" not in loaded  # /proc/cpuinfo is read as bytes (jit.aot_cpu_ok, ~0.25 ms)


def test_a_page_run_without_mojibake_loads_neither_ftfy_nor_other_formats(tmp_path: Path) -> None:
    page = tmp_path / "pages" / "a.html"
    page.parent.mkdir()
    body = "<p>Caf\u00e9 cr\u00e8me &amp; \u00ab guillemets \u00bb, \u043f\u0440\u0438\u0432\u0435\u0442.</p>" * 20
    page.write_text(f"<html><head><title>t</title></head><body><article>{body}</article></body></html>")
    loaded = _modules_after(tmp_path, str(page.parent))
    assert "cleaner.normalize" in loaded and "cleaner.formats.pages" in loaded  # the run did run
    assert loaded & {"ftfy", "cleaner.formats.parquet", "cleaner.formats.warc"} == set()
    assert "isal" not in loaded  # nothing read or written is compressed (~1 ms)
    # OpenSSL (~4 ms): normalize, the signals and the template filter take the built-in blake2b.
    assert "_hashlib" not in loaded
    assert "numpy.typing" not in loaded  # the array aliases of every stage are for the type checker (~0.6 ms)
