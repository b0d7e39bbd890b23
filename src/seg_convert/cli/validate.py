"""``seg-convert validate``: what a conversion would fail on, without converting."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from seg_convert.cli.exits import reporting_errors
from seg_convert.cli.options import INPUT_DIR, input_options, make_options, spec_options
from seg_convert.cli.running import Progress, echo_warnings
from seg_convert.formats.voc import INSTANCES, LAYOUT

if TYPE_CHECKING:
    from seg_convert.run.validate import ValidationReport


@click.command("validate")
@click.argument("input_dir", type=INPUT_DIR)
@input_options
@spec_options((INSTANCES, LAYOUT))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line 'path: problem' each; json: one object with every "
    "problem, for CI annotations.",
)
def validate_command(input_dir: Path, output_format: str, **params: Any) -> None:
    """Check the labelme files in INPUT_DIR as labelme2voc would, writing nothing.

    Every file is read, its image opened and its shapes rasterized with the
    same options as labelme2voc (give the --layout and --instances you convert
    with: --layout voc also checks what its detection XML can hold); each
    problem that would make a file fail is printed on stdout. Exit code 1 if
    there is any.
    """
    from seg_convert.run.batch import Hooks
    from seg_convert.run.report import json_text
    from seg_convert.run.validate import validate

    as_text = output_format == "text"
    progress = Progress(
        "checking",
        show_bar=as_text and sys.stderr.isatty(),
        failures_on_stdout=True,
    )
    with reporting_errors(), progress:
        report = validate(
            input_dir,
            make_options(params),
            hooks=Hooks(
                on_start=progress.start,
                on_result=progress.result if as_text else None,
            ),
        )
    if as_text:
        problems = len(report.problems)
        click.echo(
            f"checked {len(report.results)} files in {input_dir}: "
            + (f"{problems} with problems" if problems else "no problems"),
            err=True,
        )
        echo_warnings(report.results)
    else:
        click.echo(json_text(_document(report)))
    if report.problems:
        raise SystemExit(1)


def _document(report: ValidationReport) -> dict[str, object]:
    return {
        "version": 1,
        "input_dir": str(report.input_dir),
        "files": len(report.results),
        "failed": len(report.problems),
        "problems": [
            {
                "file": str(result.source),
                "path": str(result.error.path),
                "message": result.error.message,
            }
            for result in report.problems
            if result.error is not None
        ],
        "warnings": [
            {"file": str(result.source), "message": warning}
            for result in report.results
            for warning in result.warning_lines()
        ],
    }
