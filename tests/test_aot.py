"""The boilerplate and signals stages' kernels compiled ahead of time (setup.py, each package's
``_aot``): built by the install, found only for the sources installed, and the same outputs and
reports as numba's kernels and the numpy twins, end to end (the dedup kernels' own checks:
tests/dedup/test_aot_kernels.py)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cleaner import cache, jit
from cleaner.boilerplate import _aot
from cleaner.dedup import _aot as dedup_aot
from cleaner.signals import _aot as signals_aot
from tests.helpers import SEEDS, write_jsonl

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO / "tests" / "data" / "scrapinghub"
EXPECTED = os.environ.get(jit.AOT_ENV, "1") != "0" and jit.aot_cpu_ok()

# Runs `cleaner clean` in this process (numba imported first where asked) and prints a digest of
# the outputs and the report, and the kernels compiled ahead of time that ran; their first calls'
# arguments and results go to ``calls`` (a pickle), for _CHECK.
_RUN = """
import hashlib, json, pickle, runpy, sys
from pathlib import Path
if {numba}:
    import numba  # the steps take numba's kernels once it runs
from cleaner import jit
ran, calls = set(), []
call = jit.AheadOfTime.__call__
def counted(self, *args):
    before = [a.copy() if hasattr(a, "copy") else a for a in args]  # as given: a kernel may write one
    result = call(self, *args)
    export = self.overloads[0][0].__name__  # the extension's function names the kernel
    if export not in ran or len(calls) < 40:
        calls.append((export, before, result))
    ran.add(export)
    return result
jit.AheadOfTime.__call__ = counted
sys.argv = ["cleaner", "clean", {inputs!r}, "-o", {out!r}, "--jobs", "1", "-q"]
try:
    runpy.run_module("cleaner", run_name="__main__")
except SystemExit as done:
    assert not done.code, done.code
digest = hashlib.sha256()
out = Path({out!r})
for path in sorted([*out.rglob("*"), out.with_name(out.name + ".report.jsonl")]):
    if path.is_file():
        digest.update(path.name.encode() + b"\\0" + path.read_bytes())
from cleaner.boilerplate import _aot
from cleaner.signals import _aot as signals_aot
specs = (_aot, signals_aot)
names = {{name: module + "." + attribute for spec in specs for name, (module, attribute, _) in spec.EXPORTS.items()}}
# (dedup's kernels go through jit.AheadOfTime too: tests/dedup/test_aot_kernels.py checks them)
calls = [(names[export], args, result) for export, args, result in calls if export in names]
Path({calls!r}).write_bytes(pickle.dumps(calls))
ran = sorted({{names[export] for export in ran if export in names}})
print(json.dumps({{"digest": digest.hexdigest(), "ran": ran}}))
"""
# numba's kernel (CLEANER_AOT=0) on each recorded call's arguments: the same results, bit for bit.
_CHECK = """
import importlib, pickle, sys
import numpy as np
def same(a, b):
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
checked = set()
for name, args, result in pickle.loads(open({calls!r}, "rb").read()):
    module, attribute = name.split(".")
    package = "cleaner.signals." if module == "_numba_kernels" else "cleaner.boilerplate."
    kernel = getattr(importlib.import_module(package + module), attribute)
    if not hasattr(kernel, "py_func"):  # the function that makes it
        kernel = kernel()
    assert hasattr(kernel, "py_func"), name  # numba's
    assert same(result, kernel(*args)), name
    checked.add(name)
print(len(checked))
"""


def test_the_install_built_them() -> None:
    # CI installs from a clean clone: setup.py must have compiled them for this machine. An
    # editable install whose sources changed since must be built again (pip install -e .).
    assert _aot.ready() == EXPECTED, "rebuild the extension: pip install -e ."
    assert (signals_aot.kernels() is not None) == EXPECTED, "rebuild the extension: pip install -e ."


@pytest.mark.parametrize("spec", [_aot, signals_aot, dedup_aot], ids=["boilerplate", "signals", "dedup"])
def test_the_sources_hold_every_module_the_kernels_modules_import(spec: Any) -> None:
    # The extension's digest covers SOURCES: a constant a kernel reads from a module not listed
    # there could change while an extension built before is still found.
    script = f"""
import importlib, sys, types
for package in ("cleaner", {spec.PACKAGE!r}):
    stub = types.ModuleType(package)
    stub.__file__ = None
    stub.__path__ = [{str(REPO)!r} + "/" + package.replace(".", "/")]
    sys.modules[package] = stub
for name in {sorted({module for module, _, _ in spec.EXPORTS.values()})!r}:
    importlib.import_module({spec.PACKAGE!r} + "." + name)
print("\\n".join(m.__file__ for name, m in sys.modules.items() if name.startswith("cleaner.") and m.__file__))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
    imported = {Path(line).resolve() for line in done.stdout.split()}
    listed = {(Path(spec.__file__).parent / source).resolve() for source in spec.SOURCES}
    assert imported <= listed and Path(spec.__file__).resolve() in listed  # and the exports
    assert len(imported) >= 3


def _inputs(folder: Path) -> Path:
    """Three HTML pages, the seeds and texts of two sites with repeated boilerplate lines."""
    folder.mkdir()
    for page in sorted(PAGES.glob("*.html.gz")):
        (folder / page.name[: -len(".gz")]).write_bytes(gzip.decompress(page.read_bytes()))
    for seed in sorted(SEEDS.iterdir()):
        (folder / seed.name).write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    seeds = [seed.read_text(encoding="utf-8") for seed in sorted(SEEDS.iterdir())]
    records = []
    for i in range(40):
        site = ("news.example", "blog.example")[i % 2]
        body = "\n\n".join(seeds[i % 5].split("\n\n")[i % 3 :][:6])
        chrome = ["Home | World | Business | Sport", "Share this: Facebook Twitter Email", "Sign up for our newsletter"]
        text = "\n".join([*chrome, "", body, "", f"Copyright 2024 {site}. All rights reserved.", "Read more"])
        records.append({"id": f"r{i}", "url": f"https://{site}/{i}", "text": text})
    write_jsonl(folder / "sites.jsonl", records)
    return folder


def _run(inputs: Path, out: Path, numba: bool, ahead: bool) -> dict[str, object]:
    # An empty cache folder, as a first process has: what a later process reads back from the cache
    # (the stop words' hashes, which the tokenizer makes) is computed, so every kernel a run uses runs.
    cache_dir = str(out.parent / "cache")
    env = {**os.environ, "PYTHONPATH": str(REPO), jit.AOT_ENV: "1" if ahead else "0", cache.CACHE_ENV: cache_dir}
    script = _RUN.format(numba=numba, inputs=str(inputs), out=str(out), calls=str(out.parent / "calls.pickle"))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.skipif(not EXPECTED, reason="no kernels compiled ahead of time on this CPU (test_the_install_built_them)")
def test_the_same_outputs_and_report_with_each_kind_of_kernel(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "in")
    ahead = _run(inputs, tmp_path / "ahead" / "out", numba=False, ahead=True)  # one name: the report holds it
    numba = _run(inputs, tmp_path / "numba" / "out", numba=True, ahead=False)
    numpy = _run(inputs, tmp_path / "numpy" / "out", numba=False, ahead=False)
    assert ahead["digest"] == numba["digest"] == numpy["digest"]
    kernels = {
        f"{module}.{attribute}" for spec in (_aot, signals_aot) for module, attribute, _ in spec.EXPORTS.values()
    }
    assert ahead["ran"] == sorted(kernels)  # every kernel compiled ahead of time ran
    assert numba["ran"] == numpy["ran"] == []
    env = {**os.environ, "PYTHONPATH": str(REPO), jit.AOT_ENV: "0"}
    script = _CHECK.format(calls=str(tmp_path / "ahead" / "calls.pickle"))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(len(kernels))]  # each kernel's calls, numba's results
