"""The README documents every command, and every command explains itself."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from seg_convert.cli import cli

from .conftest import REPO

README = (REPO / "README.md").read_text("utf-8")
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_is_in_readme(name: str) -> None:
    command = cli.commands[name]
    assert command.help
    assert f"seg-convert {name}" in README
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]} has no help"
            assert param.opts[0] in README, f"{param.opts[0]} is not in the README"


def test_readme_fresh_machine_commands() -> None:
    """The install-and-run and install-and-test lines CI relies on are there."""
    assert re.search(r"pip install \. && seg-convert labelme2voc examples/\S+", README)
    assert 'pip install ".[test]" && pytest' in README
    assert 'pip install ".[test]" && pytest' in (REPO / ".ci" / "run").read_text()
