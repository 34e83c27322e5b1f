"""README documents every command and every option (in the spirit of sqlite-utils' test_docs)."""

from __future__ import annotations

import re

import click
import pytest

from cleaner.cli import main
from tests.helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if isinstance(command, click.Group):
            found += _commands(command, path)
        else:
            found.append((" ".join(path), command))
    return found


COMMANDS = _commands(main)


def _block() -> str:
    match = re.search(r"<!-- commands:start -->(.*?)<!-- commands:end -->", README, flags=re.S)
    assert match, "README.md lost its <!-- commands:start --> ... <!-- commands:end --> block"
    return match.group(1)


def test_commands_are_found() -> None:
    assert {path for path, _ in COMMANDS} >= {"clean", "explain", "config show", "index info"}


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_is_in_the_commands_block(path: str, command: click.Command) -> None:
    assert f"cleaner {path}" in _block(), f"document `cleaner {path}` between the commands markers in README.md"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_option_is_documented(path: str, command: click.Command) -> None:
    missing = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.name == "help":
            continue
        for opt in [*param.opts, *param.secondary_opts]:
            # an option is documented when README names it in backticks, alone or with its short form
            if not re.search(rf"`[^`\n]*(?<![\w-]){re.escape(opt)}(?![\w-])[^`\n]*`", README):
                missing.append(opt)
    assert not missing, f"README.md does not document {missing} of `cleaner {path}`"


def test_readme_shows_the_html_report_screenshot() -> None:
    match = re.search(r"!\[[^\]]*\]\((docs/[^)]+\.png)\)", _block())
    assert match, "the commands block should show the HTML report screenshot"
    image = REPO / match.group(1)
    assert image.is_file() and image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
