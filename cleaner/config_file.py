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
>>> run_options(doc).output
'out'
>>> config_from_toml(load_toml_text("[dedup]\\ntreshold = 0.9"))
Traceback (most recent call last):
...
cleaner.errors.ConfigError: unknown key dedup.treshold in the config file; did you mean dedup.threshold?
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cleaner.config import Config, parse_stages
from cleaner.errors import ConfigError


@dataclass(frozen=True)
class RunOptions:
    """What only the command line uses (not part of Config): the ``[run]`` table of a config file
    under the options typed on the command line. ``None`` means "not set". Keep in step with the
    options of ``cleaner clean`` in cli.py (test_config_file checks)."""

    inputs: tuple[str, ...] | None = None
    output: str | None = None
    report: str | None = None
    html_report: str | None = None
    quiet: bool | None = None
    verbose: bool | None = None
    progress: bool | None = None
    debug: bool | None = None
    engine: str | None = None
    scheduler: str | None = None
    keep_intermediate: bool | None = None


def _run_option_types() -> dict[str, type]:
    types: dict[str, type] = {}
    for f, hint in _config_fields(RunOptions):
        (kind,) = [k for k in typing.get_args(hint) if k is not type(None)]
        types[f.name] = list if typing.get_origin(kind) is tuple else kind
    return types


# Options that only the command line uses, with the TOML type each takes.
RUN_OPTIONS: dict[str, type] = {}  # filled below, from RunOptions
RUN_TABLE = "run"
RUN_CHOICES: dict[str, tuple[str, ...]] = {"engine": ("local", "dask")}


def load_toml_text(text: str, origin: str = "the config file") -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a ConfigError that names the file and the line."""
    import tomllib  # here: a run without a config file never reads TOML (its import is 2-3 ms of every start)

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
    if not doc:
        return  # no key to check (a run without a config file): the known keys' type hints are 2-3 ms
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
    import difflib  # here: only a misspelt key needs it (0.8 ms; click imports it for a short option such as -o)

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
    cfg = base or Config()
    if not doc:
        return cfg  # nothing to apply (a run without a config file): no type hints resolved
    check_keys(doc)
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


def run_options(doc: Mapping[str, Any]) -> RunOptions:
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
        out[key] = tuple(value) if expected is list else value
    return RunOptions(**out)


# Command-line options that shape the pipeline, and how each changes the Config when given.
# A flag changes it only when set: an unset flag leaves the config file's value.
_CLI_CONFIG: dict[str, tuple[str | None, str, Any]] = {
    # option: (section or None for top level, field, value to set; None: the option's value)
    "stages": (None, "stages", None),
    "jobs": (None, "jobs", None),
    "index": ("dedup", "index", None),
    "threshold": ("dedup", "threshold", None),
    "no_passages": ("dedup", "passages", False),
    "keep_duplicates": ("dedup", "drop_duplicates", False),
    "drop_duplicate_passages": ("dedup", "drop_duplicate_passages", True),
    "reemit_indexed": ("dedup", "reemit_indexed", True),
    "keep_captions": ("boilerplate", "captions", True),
    "markdown": ("boilerplate", "markdown", True),
}
CLI_CONFIG_OPTIONS = tuple(_CLI_CONFIG)


def build_config(
    config_path: str | Path | None,
    options: Mapping[str, Any] | None = None,
    run: Mapping[str, Any] | None = None,
) -> tuple[Config, RunOptions]:
    """The one way a command builds what it runs with: defaults, then the config file at
    ``config_path``, then the command line's ``options`` (pipeline options, by the names in
    ``CLI_CONFIG_OPTIONS``) and ``run`` (RunOptions fields). Pass only what was given on the
    command line: a key present overrides the file. Rules that follow from a value (the LSH bands
    from the threshold) are the Config's own, so they hold however the value was set.

    >>> cfg, run = build_config(None, {"threshold": 0.7, "no_passages": True}, {"output": "out"})
    >>> cfg.dedup.threshold, cfg.dedup.banding, cfg.dedup.passages, run.output
    (0.7, (32, 4), False, 'out')
    """
    doc = load_toml(config_path) if config_path is not None else {}
    cfg = config_from_toml(doc)
    sections: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for name, value in (options or {}).items():
        if name not in _CLI_CONFIG:
            raise ConfigError(f"unknown command-line option {name!r}; expected one of {', '.join(_CLI_CONFIG)}")
        section, field_name, fixed = _CLI_CONFIG[name]
        if value is None or value is False:  # not given, or a flag left unset
            continue
        if fixed is not None:
            value = fixed
        elif field_name == "stages":
            value = parse_stages(value)
        elif field_name == "index":
            value = str(value)
        if section is None:
            top[field_name] = value
        else:
            sections.setdefault(section, {})[field_name] = value
    for section, changes in sections.items():
        top[section] = dataclasses.replace(getattr(cfg, section), **changes)
    cfg = dataclasses.replace(cfg, **top)
    given = {k: _run_value(v) for k, v in (run or {}).items() if v is not None}
    return cfg, dataclasses.replace(run_options(doc), **given)


def _run_value(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return value


def to_toml(cfg: Config, run: RunOptions | None = None) -> str:
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
            for sub, _ in _config_fields(hint):
                line = _toml_line(sub.name, getattr(value, sub.name))
                if f.name == "dedup" and sub.name in ("bands", "rows") and getattr(value, sub.name) is None:
                    chosen = getattr(value, f"lsh_{sub.name}")
                    line = f"# {sub.name} = {chosen} (not set: chosen from the threshold)"
                tables.append(line)
        else:
            top.append(_toml_line(f.name, value))
    run = run or RunOptions()
    tables.append(f"\n[{RUN_TABLE}]")
    tables.extend(_toml_line(name, getattr(run, name)) for name in RUN_OPTIONS)
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


RUN_OPTIONS.update(_run_option_types())
