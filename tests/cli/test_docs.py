"""The README shows every command, every option is documented on its command's
page in docs/, and every command explains itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from seg_convert.cli import cli
from tests.conftest import REPO, WriteAnnotation, shape

README = (REPO / "README.md").read_text("utf-8")
DOCS = REPO / "docs"
PAGES = {path.name: path.read_text("utf-8") for path in sorted(DOCS.glob("*.md"))}
COMMANDS = sorted(cli.commands)

# The docs/ page of each command. A page of several commands has a
# "## `seg-convert NAME`..." section for each, and its options are looked for there.
COMMAND_PAGES = {
    "labelme2voc": "labelme2voc.md",
    "labelme2coco": "labelme2coco.md",
    "coco2voc": "coco2voc.md",
    "labelme2yolo": "yolo.md",
    "coco2yolo": "yolo.md",
    "coco2labelme": "labelme-output.md",
    "yolo2coco": "yolo-source.md",
    "yolo2labelme": "yolo-source.md",
    "yolo2voc": "yolo-source.md",
    "voc2coco": "voc-source.md",
    "voc2yolo": "voc-source.md",
    "voc2labelme": "voc-source.md",
    "validate": "validate.md",
    "stats": "stats-and-labels.md",
    "labels": "stats-and-labels.md",
    "colormap": "stats-and-labels.md",
}


def command_docs(name: str) -> str:
    """The text of ``name``'s page, or of its section in a page of several."""
    text = PAGES[COMMAND_PAGES[name]]
    heading = re.search(rf"^## `seg-convert {name}`.*$", text, re.M)
    if heading is None:
        return text
    rest = text[heading.end() :]
    following = re.search(r"^## ", rest, re.M)
    return rest[: following.start()] if following else rest


def mentions(text: str, option: str) -> bool:
    """``option`` as a word of its own: ``--n`` is not in ``--noviz``."""
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def test_every_command_has_a_page() -> None:
    assert set(COMMAND_PAGES) == set(COMMANDS), "a command without a docs page"
    for name in COMMANDS:
        assert COMMAND_PAGES[name] in PAGES
        assert f"seg-convert {name}" in command_docs(name)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_is_in_readme(name: str) -> None:
    command = cli.commands[name]
    assert command.help
    assert f"seg-convert {name}" in README
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_on_its_commands_page(name: str) -> None:
    docs = command_docs(name)
    page = COMMAND_PAGES[name]
    for param in cli.commands[name].params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]} has no help"
            names = [*param.opts, *param.secondary_opts]
            long = [option for option in names if option.startswith("--")] or names
            assert any(mentions(docs, option) for option in long), (
                f"{name} {'/'.join(names)} is not in docs/{page}"
            )


def test_the_readme_links_every_docs_page() -> None:
    linked = set(re.findall(r"\]\(docs/([\w.-]+\.md)(?:#[^)]*)?\)", README))
    assert set(PAGES) <= linked, f"not linked from the README: {set(PAGES) - linked}"


def test_readme_fresh_machine_commands() -> None:
    """The install-and-run and install-and-test lines CI relies on are there."""
    assert re.search(r"pip install \. && seg-convert labelme2voc examples/\S+", README)
    assert 'pip install ".[test]" && pytest' in README
    assert 'pip install ".[test]" && pytest' in (REPO / ".ci" / "run").read_text()


def test_the_speed_table_is_where_the_bench_command_rewrites_it() -> None:
    """docs/speed.md's bench.py command names, with --readme, the page holding
    the table markers bench.py replaces between."""
    command = re.search(
        r"python benchmarks/bench\.py .*--readme (\S+)", PAGES["speed.md"]
    )
    assert command, "docs/speed.md has no bench.py --readme command"
    target = (REPO / command.group(1)).read_text("utf-8")
    bench = (REPO / "benchmarks" / "bench.py").read_text("utf-8")
    for marker in ("<!-- bench.py table -->", "<!-- /bench.py table -->"):
        assert f'"{marker}"' in bench
        assert target.count(marker) == 1


def report_example() -> str:
    """The report JSON example, from whichever page holds it."""
    marker = '```json\n{\n  "report_version"'
    holders = [text for text in [README, *PAGES.values()] if marker in text]
    assert len(holders) == 1, "the report example is in no page, or in several"
    text = holders[0]
    start = text.index(marker) + len("```json\n")
    return text[start : text.index("```", start)]


def test_the_documented_report_example_has_a_real_reports_keys(
    write_annotation: WriteAnnotation, labels_file: Path, tmp_path: Path
) -> None:
    example = json.loads(report_example())
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
