"""The README documents every command, and every command explains itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from seg_convert.cli import cli

from .conftest import REPO, WriteAnnotation, shape

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


def test_the_readme_report_example_has_a_real_reports_keys(
    write_annotation: WriteAnnotation, labels_file: Path, tmp_path: Path
) -> None:
    start = README.index('```json\n{\n  "report_version"') + len("```json\n")
    example = json.loads(README[start : README.index("```", start)])
    source = write_annotation("a", [shape("cat", [[2, 2], [40, 5], [20, 30]])]).parent
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli,
        [
            "labelme2voc",
            str(source),
            str(tmp_path / "out"),
            "--labels",
            str(labels_file),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    real = json.loads(report.read_text())
    assert list(example) == list(real)
    assert list(example["options"]) == list(real["options"])
    assert list(example["files"][0]) == list(real["files"][0])
    assert list(example["totals"]) == list(real["totals"])
