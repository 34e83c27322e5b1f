"""Every option in one TOML file: load it, check every key, merge it under the command line, show it.

The file mirrors ``Config``: top-level ``stages`` and ``jobs``, one table per stage config
(``[normalize]``, ``[boilerplate]``, ``[dedup]``, ``[limits]``, with exactly their dataclass
fields), and a ``[run]`` table for what only the command line knows (inputs, output, report
paths, verbosity). The keys are read from the dataclasses themselves, so a field another engineer
adds to a stage config is accepted here without an edit. An unknown key is an error that names
the key and the nearest valid one, because a misspelt option silently ignored is a run with the
wrong settings.

Precedence, lowest first: defaults, the file, the command line.

>>> doc = load_toml_text('stages = ["normalize"]\\n[dedup]\\nthreshold = 0.9\\n[run]\\noutput = "out"')
>>> cfg = config_from_toml(doc)
>>> cfg.stages, cfg.dedup.threshold
(('normalize',), 0.9)
>>> run_options(doc)["output"]
'out'
>>> config_from_toml(load_toml_text("[dedup]\\ntreshold = 0.9"))
Traceback (most recent call last):
...
cleaner.errors.ConfigError: unknown key dedup.treshold in the config file; did you mean dedup.threshold?
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cleaner.config import Config, parse_stages
from cleaner.errors import ConfigError

# Options that only the command line uses (not part of Config), with their types. ``None`` means
# "not set". Keep in step with the options of ``cleaner clean`` in cli.py (test_config_file checks).
RUN_OPTIONS: dict[str, type] = {
    "inputs": list,
    "output": str,
    "report": str,
    "html_report": str,
    "quiet": bool,
    "verbose": bool,
    "progress": bool,
    "debug": bool,
    "engine": str,
    "scheduler": str,
    "keep_intermediate": bool,
}
RUN_TABLE = "run"
RUN_CHOICES: dict[str, tuple[str, ...]] = {"engine": ("local", "dask")}


def load_toml_text(text: str, origin: str = "the config file") -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a ConfigError that names the file and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin} is not valid TOML: {exc}; fix it, or check it with `cleaner config show`") from exc


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file (see the module docstring for its layout)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}; check the --config path") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text; save it as UTF-8") from exc
    doc = load_toml_text(text, f"config file {path}")
    check_keys(doc, f"config file {path}")
    return doc


def valid_keys() -> list[str]:
    """Every key a config file may hold, dotted (``dedup.threshold``), in Config's field order.

    >>> "dedup.threshold" in valid_keys() and "run.output" in valid_keys()
    True
    """
    keys: list[str] = []
    for f, hint in _config_fields(Config):
        if dataclasses.is_dataclass(hint):
            keys.extend(f"{f.name}.{sub.name}" for sub, _ in _config_fields(hint))
        else:
            keys.append(f.name)
    keys.extend(f"{RUN_TABLE}.{name}" for name in RUN_OPTIONS)
    return keys


def check_keys(doc: Mapping[str, Any], origin: str = "the config file") -> None:
    """Raise ConfigError for the first key that is not an option, naming the nearest valid one."""
    known = valid_keys()
    tables = {k.split(".", 1)[0] for k in known if "." in k}
    for key, value in doc.items():
        if key in tables:
            if not isinstance(value, dict):
                raise ConfigError(f"{key} in {origin} must be a table ([{key}]), not a {_toml_type(value)}")
            for sub in value:
                _check_known(f"{key}.{sub}", known, origin)
        else:
            _check_known(key, known, origin)


def _check_known(key: str, known: list[str], origin: str) -> None:
    if key in known:
        return
    # Compare against the full dotted keys and against the bare field names, so both "treshold"
    # and "dedup.treshold" find "dedup.threshold".
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        bare = {k.rsplit(".", 1)[-1]: k for k in known}
        near = difflib.get_close_matches(key.rsplit(".", 1)[-1], list(bare), n=1, cutoff=0.6)
        close = [bare[near[0]]] if near else []
    hint = f"did you mean {close[0]}?" if close else "see `cleaner config show` for every valid key"
    raise ConfigError(f"unknown key {key} in {origin}; {hint}")


def config_from_toml(doc: Mapping[str, Any], base: Config | None = None) -> Config:
    """Apply a parsed TOML document over ``base`` (default: the defaults) and return the Config."""
    check_keys(doc)
    cfg = base or Config()
    changes: dict[str, Any] = {}
    for f, hint in _config_fields(Config):
        if f.name not in doc:
            continue
        value = doc[f.name]
        if dataclasses.is_dataclass(hint):
            section = getattr(cfg, f.name)
            sub_changes = {
                sub.name: _coerce(f"{f.name}.{sub.name}", value[sub.name], sub_hint)
                for sub, sub_hint in _config_fields(hint)
                if sub.name in value
            }
            changes[f.name] = dataclasses.replace(section, **sub_changes)
        elif f.name == "stages":
            if not isinstance(value, str | list):
                raise ConfigError(f'stages must be a list like ["normalize", "dedup"], not a {_toml_type(value)}')
            changes[f.name] = parse_stages(value)
        else:
            changes[f.name] = _coerce(f.name, value, hint)
    return dataclasses.replace(cfg, **changes)


def run_options(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[run]`` table, type-checked: the CLI-only options the file sets."""
    table = doc.get(RUN_TABLE, {})
    out: dict[str, Any] = {}
    for key, value in table.items():
        expected = RUN_OPTIONS.get(key)
        if expected is None:
            _check_known(f"{RUN_TABLE}.{key}", valid_keys(), "the config file")
            continue
        if expected is list:
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ConfigError(f'run.{key} must be a list of paths like ["crawl/"], not {value!r}')
        elif not isinstance(value, expected):
            raise ConfigError(f"run.{key} must be a {_type_name(expected)}, not a {_toml_type(value)} ({value!r})")
        if key in RUN_CHOICES and value not in RUN_CHOICES[key]:
            choices = " or ".join(repr(c) for c in RUN_CHOICES[key])
            raise ConfigError(f"run.{key} must be {choices}, not {value!r}")
        out[key] = value
    return out


def to_toml(cfg: Config, run: Mapping[str, Any] | None = None) -> str:
    """The effective configuration as TOML that ``load_toml`` reads back to the same Config.

    Options that are not set (None) are written as comments, so the output lists every key.

    >>> text = to_toml(Config())
    >>> config_from_toml(load_toml_text(text)) == Config()
    True
    >>> print(text.splitlines()[0])
    stages = ["normalize", "boilerplate", "signals", "dedup"]
    """
    top: list[str] = []
    tables: list[str] = []
    for f, hint in _config_fields(Config):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(hint):
            tables.append(f"\n[{f.name}]")
            tables.extend(_toml_line(sub.name, getattr(value, sub.name)) for sub, _ in _config_fields(hint))
        else:
            top.append(_toml_line(f.name, value))
    run = dict(run or {})
    tables.append(f"\n[{RUN_TABLE}]")
    tables.extend(_toml_line(name, run.get(name)) for name in RUN_OPTIONS)
    return "\n".join(top + tables) + "\n"


def _toml_line(key: str, value: Any) -> str:
    if value is None:
        return f"# {key} = (not set)"
    return f"{key} = {_toml_value(value)}"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        # A JSON string is a valid TOML basic string (same escapes), for any text.
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ConfigError(f"cannot write {type(value).__name__} value {value!r} as TOML")


def _config_fields(cls: Any) -> list[tuple[dataclasses.Field[Any], Any]]:
    """A dataclass's fields with their resolved type hints (the modules use postponed annotations)."""
    hints = typing.get_type_hints(cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(cls)]


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """Check a TOML value against a field's type; ints are accepted where floats are expected."""
    allowed = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else (hint,)
    for kind in allowed:
        if kind is bool and isinstance(value, bool):
            return value
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind is str and isinstance(value, str):
            return value
        if typing.get_origin(kind) is tuple and isinstance(value, list):
            return tuple(value)
    expected = " or ".join(_type_name(k) for k in allowed if k is not type(None))
    raise ConfigError(f"{key} must be {expected}, not {_toml_type(value)} {value!r}; fix it in the config file")


_UnionType = type(int | None)


def _type_name(kind: Any) -> str:
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "a string", list: "a list"}
    return names.get(kind, getattr(kind, "__name__", str(kind)))


def _toml_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "table"}
    return names.get(type(value), type(value).__name__)
