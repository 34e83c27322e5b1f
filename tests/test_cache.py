"""cleaner.cache: values derived once and read back by later processes, equal to a fresh derivation."""

from __future__ import annotations

import array
import dataclasses
import json
import marshal
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from cleaner import cache, homoglyphs, normalize
from cleaner.boilerplate import rules


def test_a_derived_value_is_computed_once_then_read_back(tmp_path: Path) -> None:
    value = ["[\ud800-\udfff\x80]", None, 3, "plain"]  # a lone surrogate, as the gates' patterns hold
    assert cache.derived("t", "k1", lambda: value, tmp_path) == value
    assert (tmp_path / "t-k1.json").read_bytes().isascii()

    def never() -> None:
        raise AssertionError("computed again")

    assert cache.derived("t", "k1", never, tmp_path) == value  # read back, the same value
    assert cache.derived("t", "k2", lambda: "other", tmp_path) == "other"  # another key: another entry
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_broken_or_unwritable_cache_only_costs_the_derivation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "t-k.json").write_text('["cut sh', encoding="ascii")
    assert cache.derived("t", "k", lambda: [1, 2], tmp_path) == [1, 2]
    assert json.loads((tmp_path / "t-k.json").read_text(encoding="ascii")) == [1, 2]  # rewritten whole
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="ascii")
    assert cache.derived("t", "k", lambda: "v", blocked / "cache") == "v"  # a folder under a file
    monkeypatch.setenv(cache.CACHE_ENV, "")
    assert cache.cache_folder() is None
    assert cache.derived("t", "k", lambda: "off") == "off"


def test_normalize_tables_read_from_the_cache_equal_their_derivation(tmp_path: Path) -> None:
    """A process that reads normalize's tables from the cache gets what another derived."""
    code = (
        "from cleaner import normalize as n; import json, sys;"
        "json.dump([n._GATE_SOURCES, n._PREFILTER_SOURCES, sorted(n._NFC_MAYBE), n._GATE_LEADS_SOURCE,"
        " [n._FLAGGED_CLASS, n._FLAGGED_NOT_FOREIGN_CLASS]], sys.stdout)"
    )
    env = {"CLEANER_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    entries = sorted(p.name.split("-")[1] for p in tmp_path.glob("normalize-*.json"))
    assert entries == ["flagged", "gate", "leads", "nfc", "prefilters"]
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    derived_now = [
        normalize._mojibake_gate_sources(), normalize._prefilter_sources(), sorted(normalize._nfc_maybe()),
        normalize._gate_encodings(), normalize._flagged_classes(),
    ]  # fmt: skip
    assert json.loads(first.stdout) == json.loads(second.stdout) == json.loads(json.dumps(derived_now))


def _module_patterns() -> list[re.Pattern[str]]:
    """The patterns that the modules compile through the cache (a sample of every kind they hold)."""
    return [
        normalize.MOJIBAKE_GATE, normalize._ANYTHING_RE, normalize._FLAGGED_RE, rules.ANY_CLASS_CUE,
        *(pattern for _, pattern in rules.LINE_CUES), homoglyphs._MIXED_WORD_RE, homoglyphs._NO_GENUINE_LINE_RE,
        re.compile(r"(?P<year>\d{4})-(?P<month>\d\d)|(?i:x)(y)?", re.ASCII),  # named groups, inline flags
    ]  # fmt: skip


def test_a_compiled_pattern_read_back_equals_re_compile(tmp_path: Path) -> None:
    """A pattern rebuilt from its cached program is re.compile's (``==`` compares the programs), and
    matches as it does; a second process reads them back."""
    sources = [(p.pattern, p.flags) for p in _module_patterns()] + [(r"(?s)a.b", 0), (r"(?x) a b # c", 0)]
    fresh = [cache.compiled(source, flags, tmp_path) for source, flags in sources]
    (entry,) = tmp_path.glob("re-*.marshal")  # one entry for all the folder's patterns
    kept = marshal.loads(entry.read_bytes())
    assert len(kept) == len(set(sources))
    assert None not in kept.values()  # programs kept
    cache._programs.cache_clear()  # read back from the entry, as a new process does
    read_back = [cache.compiled(source, flags, tmp_path) for source, flags in sources]
    expected = [re.compile(source, flags) for source, flags in sources]
    assert fresh == read_back == expected
    assert [p.groupindex for p in read_back] == [p.groupindex for p in expected]
    assert read_back[-3].match("2024-05").groupdict() == {"year": "2024", "month": "05"}
    assert read_back[-2].fullmatch("a\nb") and read_back[-1].fullmatch("ab")  # the global inline flags kept
    code = (
        "from cleaner import cache; import json, re, sys;"
        "sources = json.load(sys.stdin);"
        "print(json.dumps([cache.compiled(s, f) == re.compile(s, f) for s, f in sources]))"
    )
    env = {"CLEANER_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    other = subprocess.run(
        [sys.executable, "-c", code], env=env, input=json.dumps(sources), capture_output=True, text=True, check=True
    )
    assert json.loads(other.stdout) == [True] * len(sources)


def test_a_broken_compiled_entry_is_compiled_again_and_rewritten(tmp_path: Path) -> None:
    source, flags = rules.LINE_CUES[0][1].pattern, rules.LINE_CUES[0][1].flags
    other = r"(?P<year>\d{4})-\d\d"
    expected = re.compile(source, flags)
    assert cache.compiled(source, flags, tmp_path) == expected
    assert cache.compiled(other, 0, tmp_path) == re.compile(other)
    (entry,) = tmp_path.glob("re-*.marshal")
    kept = marshal.loads(entry.read_bytes())
    name = cache.key(source, str(int(flags)), str(cache._sre.MAGIC))  # the line cue's entry, beside another
    program = kept[name]
    words = array.array("I", program[1])
    assert words.tolist() == re._compiler._code(re._parser.parse(source, flags), flags)  # type: ignore[attr-defined]

    def with_program(changed: list[object]) -> bytes:
        return marshal.dumps({**kept, name: changed})

    def with_words(changed: list[int]) -> bytes:
        return with_program([program[0], array.array("I", changed).tobytes(), *program[2:]])

    broken_entries = [
        entry.read_bytes()[:100],  # cut short
        with_words([*words[:5], 999_999, *words[6:]]),  # an opcode sre refuses
        with_words(words[:-1].tolist()),  # a program without its end
        with_program([program[0], program[1][:-3], *program[2:]]),  # words cut inside one
        with_program([program[0], "not bytes", *program[2:]]),
        with_program(program[:3]),  # a record of another shape
        with_program({"not": "a program"}),  # type: ignore[list-item]
        marshal.dumps(["not", "a dict"]),
    ]
    for broken in broken_entries:
        entry.write_bytes(broken)
        cache._programs.cache_clear()  # read as a new process does
        assert cache.compiled(source, flags, tmp_path) == expected
        assert marshal.loads(entry.read_bytes())[name] == program  # compiled again and kept
    (tmp_path / "file").write_text("", encoding="ascii")
    assert cache.compiled(source, flags, tmp_path / "file" / "cache") == expected  # a folder under a file


def test_cached_derivations_of_rules_and_homoglyphs_equal_fresh_ones() -> None:
    """What rules and homoglyphs read back from the cache (the suite's own folder, written by the
    first import) is what they derive."""
    assert rules._cue_shapes() == [rules.cue_shape(pattern) for _, pattern in rules._LINE_CUES]
    assert homoglyphs._letters_outside_foreign_cached() == homoglyphs._letters_outside_foreign()
    assert list(Path(os.environ[cache.CACHE_ENV]).glob("rules-cues-*.json"))


def test_derived_arrays_are_computed_once_then_read_back_writable_and_aligned(tmp_path: Path) -> None:
    import numpy as np

    arrays = [np.arange(5, dtype=np.uint8), np.arange(6.0).reshape(2, 3), np.zeros((0, 4), np.int64), np.int32(7)]
    value = {"depth": 3, "names": ["a", "b"]}
    first = cache.derived_arrays("t", "k", lambda: ([np.asarray(a) for a in arrays], value), tmp_path)
    assert first[1] == value

    def never() -> tuple[list[np.ndarray], object]:
        raise AssertionError("computed again")

    for _ in range(2):  # read back, twice: the file is mapped, never changed
        read, same_value = cache.derived_arrays("t", "k", never, tmp_path)
        assert same_value == value
        assert [(a.dtype, a.shape, a.tolist()) for a in read] == [(a.dtype, a.shape, a.tolist()) for a in arrays]
        for view in read:
            assert view.flags.c_contiguous and view.flags.writeable
            assert view.ctypes.data % 64 == 0 or view.size == 0
        read[1][0, 0] = 99.0  # a private mapping: the entry keeps its values
    assert [p.name for p in tmp_path.iterdir()] == ["t-k.arrays"]  # no temporary file left


def test_a_cut_arrays_entry_is_derived_again(tmp_path: Path) -> None:
    import numpy as np

    make = lambda: ([np.arange(100, dtype=np.int64)], None)  # noqa: E731
    cache.derived_arrays("t", "k", make, tmp_path)
    entry = tmp_path / "t-k.arrays"
    whole = entry.read_bytes()
    for cut in (whole[:-8], whole[:20], b""):
        entry.write_bytes(cut)
        arrays, _ = cache.derived_arrays("t", "k", make, tmp_path)
        assert arrays[0].tolist() == list(range(100))
        assert entry.read_bytes() == whole  # rewritten whole


def test_cached_candidate_tables_and_packaged_models_equal_fresh_ones() -> None:
    """What rules and the boilerplate models read back from the cache (the suite's own folder) is
    what they derive: the compiled line pass's tables, each model's arrays and its deciding walk's."""
    import numpy as np

    from cleaner.boilerplate import model as tree_model
    from cleaner.boilerplate.html import CONTEXT_MODEL, HTML_MODEL
    from cleaner.boilerplate.text import TEXT_MODEL

    for _ in range(2):  # the second time read back, as a new process reads it
        rules._candidate_tables.cache_clear()
        cached = rules._candidate_tables()
    tables, widths = rules._joined_tables()
    assert [a.tolist() for a in cached[: len(tables)]] == [a.tolist() for a in tables]
    assert [a.dtype for a in cached[: len(tables)]] == [a.dtype for a in tables]
    assert list(cached[len(tables) : len(tables) + 2]) == widths
    for name in (TEXT_MODEL, HTML_MODEL, CONTEXT_MODEL):
        for _ in range(2):
            tree_model.packaged.cache_clear()
            read = tree_model.packaged(name)
        path = Path(tree_model.__file__).parent / "data" / name
        fresh = tree_model.TreeModel.load(path)
        assert read is not None and (read.depth, read.names, read.meta, read.tokens) == (
            fresh.depth, fresh.names, fresh.meta, fresh.tokens
        )  # fmt: skip
        for field in ("feature", "threshold", "left", "right", "value", "roots"):
            assert getattr(read, field).dtype == getattr(fresh, field).dtype
            assert np.array_equal(getattr(read, field), getattr(fresh, field))
        for derived in ("_heap_arrays", "_rest_bounds"):
            assert all(map(np.array_equal, getattr(read, derived), getattr(fresh, derived)))
    assert list(Path(os.environ[cache.CACHE_ENV]).glob("tree-model-*.arrays"))


def test_cached_char_tables_and_stop_word_hashes_equal_fresh_ones() -> None:
    """The signals' character tables and a language's stop-word hash table, read back from the
    cache (the suite's own folder), are the ones char_tables and hash_set give."""
    import numpy as np

    from cleaner.signals import _kernels, quality

    fresh = quality.QualityMeasurer()
    expected_tables = _kernels.char_tables()
    expected_hashes = _kernels.hash_set(fresh._hashes(fresh._stop_words("de"), folded=True))
    for _ in range(2):  # the second time read back, as a new process reads it
        measurer = quality.QualityMeasurer()
        for read, expected in ((measurer.tables, expected_tables), (measurer.stop_hashes("de"), expected_hashes)):
            assert [a.dtype for a in read] == [a.dtype for a in expected]
            assert all(map(np.array_equal, read, expected))
    assert list(Path(os.environ[cache.CACHE_ENV]).glob("stop-hashes-*.arrays"))


def test_code_point_tables_from_the_cache_equal_the_characters_properties(tmp_path: Path) -> None:
    """The word and space tables of dedup, built from runs kept in the cache, mark exactly the
    characters ``\\w`` and ``str.isspace`` do, the first time (computed) and the second (read back);
    another predicate under the same name is another entry, never the old one."""
    from cleaner.dedup import passages, shingles

    plane = [chr(point) for point in range(0x10000)]
    word = [char.isalnum() or char == "_" for char in plane]
    space = [char.isspace() for char in plane]
    for _ in range(2):
        for predicate, expected in ((shingles._is_word_character, word), (passages._is_space, space)):
            table = [False] * 0x10000
            for start, stop in cache.code_point_runs("t", predicate, tmp_path):
                table[start:stop] = [True] * (stop - start)
            assert table == expected
    assert cache.code_point_runs("t", lambda char: char == "a", tmp_path) == [[97, 98]]
    assert shingles.word_table()[:0x10000].tolist() == word  # the tables the stage uses
    assert passages._space_table()[:0x10000].tolist() == space


def _point_class() -> type:
    """A dataclass with every kind of generated method (a frozen one's, defaults, a factory)."""

    @dataclasses.dataclass(frozen=True)
    class Point:
        """A point."""

        x: int
        y: int = 2
        tags: list[str] = dataclasses.field(default_factory=list)

    return Point


def _methods(cls: type) -> dict[str, types.CodeType]:
    names = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")
    return {name: getattr(cls, name).__code__ for name in names}


def test_dataclass_code_read_back_equals_what_dataclasses_compiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(dataclasses, "exec", raising=False)  # the plain dataclasses (the CLI may have set one)
    expected = _methods(_point_class())
    monkeypatch.setattr(dataclasses, "exec", cache.DataclassCode(tmp_path), raising=False)
    assert _methods(_point_class()) == expected  # compiled here, and the module's entry written
    (entry,) = tmp_path.glob("dc-*.marshal")
    assert len(marshal.loads(entry.read_bytes())) == len(expected)

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled a source the entry holds")

    monkeypatch.setattr(cache, "compile", no_compiling, raising=False)
    monkeypatch.setattr(dataclasses, "exec", cache.DataclassCode(tmp_path), raising=False)  # a later process
    point = _point_class()
    assert _methods(point) == expected
    assert repr(point(1)).endswith(".Point(x=1, y=2, tags=[])") and point(1) == point(1, 2) and hash(point(1, 3, ()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        point(1).x = 2  # type: ignore[attr-defined]


def test_a_broken_dataclass_code_entry_is_compiled_again_and_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(dataclasses, "exec", raising=False)
    expected = _methods(_point_class())
    monkeypatch.setattr(dataclasses, "exec", cache.DataclassCode(tmp_path), raising=False)
    _point_class()
    (entry,) = tmp_path.glob("dc-*.marshal")
    written = entry.read_bytes()
    for broken in (written[:50], b"", marshal.dumps({"source": "not code"}), marshal.dumps([1, 2])):
        entry.write_bytes(broken)
        monkeypatch.setattr(dataclasses, "exec", cache.DataclassCode(tmp_path), raising=False)
        assert _methods(_point_class()) == expected
        assert marshal.loads(entry.read_bytes()) == marshal.loads(written)  # rewritten whole
    (tmp_path / "file").write_text("", encoding="ascii")
    monkeypatch.setattr(dataclasses, "exec", cache.DataclassCode(tmp_path / "file" / "cache"), raising=False)
    assert _methods(_point_class()) == expected  # a folder under a file: compiled, nothing written


def test_the_command_line_defines_dataclasses_through_the_cache_and_the_library_does_not(tmp_path: Path) -> None:
    check = "import dataclasses, sys, {module}; print(type(getattr(dataclasses, 'exec', None)).__name__)"

    def exec_after(module: str, cache_dir: str) -> str:
        env = {**os.environ, "CLEANER_CACHE_DIR": cache_dir}
        run = subprocess.run(
            [sys.executable, "-c", check.format(module=module)], env=env, capture_output=True, text=True, check=True
        )
        return run.stdout.strip()

    assert exec_after("cleaner.api", str(tmp_path)) == "NoneType"  # a library user's dataclasses are their own
    assert exec_after("cleaner.cli", str(tmp_path)) == "DataclassCode"
    assert any(tmp_path.glob("dc-*.marshal"))  # the CLI's own dataclasses (the config's)
    assert exec_after("cleaner.cli", "") == "NoneType"  # no cache folder


def test_the_functions_that_record_writes_are_read_back_with_its_dataclasses(tmp_path: Path) -> None:
    # cleaner.record writes some of its records' functions itself (record._define): under the
    # command line they join the module's entry, so a later process compiles none of them.
    env = {**os.environ, "CLEANER_CACHE_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", "import cleaner.cli, cleaner.record"], env=env, check=True)
    entry = tmp_path / f"dc-{cache._module_key('cleaner.record')}.marshal"
    heads = {source.partition("(")[0] for source in marshal.loads(entry.read_bytes())}
    assert {"def __init__", "def assemble", "def replace"} <= heads  # besides dataclasses' "def __create_fn__"
