"""``seg-convert labels``: which labels a folder's annotations use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from seg_convert.cli.exits import reporting_errors
from seg_convert.cli.options import (
    INPUT_DIR,
    LABELS,
    check_output_file,
    reading_options,
    reading_params,
)
from seg_convert.cli.text_table import display_width, pad
from seg_convert.core.files import reason as os_reason
from seg_convert.core.labels import LabelTable, class_name_problem

if TYPE_CHECKING:
    from seg_convert.run.stats import LabelUsage


@click.command("labels")
@click.argument("input_dir", type=INPUT_DIR)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=check_output_file,
    default=None,
    help="Write a labels file for --labels: __ignore__, _background_, then every "
    "other label used, sorted.",
)
@click.option(
    "--check",
    type=LABELS,
    default=None,
    help="Compare with this labels file: report labels used but missing from it "
    "(exit code 1) and labels listed but unused.",
)
@reading_options
def labels_command(
    input_dir: Path, output: Path | None, check: LabelTable | None, **params: Any
) -> None:
    """List every label used in INPUT_DIR's labelme files, with counts.

    Prints how many shapes and files use each label. Exit code 1 if a file
    could not be read, with --check a used label is missing, or with -o a label
    cannot be a class name (then no file is written).
    """
    from seg_convert.run.stats import label_usage

    with reporting_errors():
        usage = label_usage(input_dir, **reading_params(params))
        for message in usage.failed:
            click.echo(message, err=True)
        width = max([5, *(display_width(name) for name in usage.shapes)])
        click.echo(f"{pad('label', width)}  {'shapes':>6}  {'files':>5}")
        for name, count in sorted(usage.shapes.items()):
            click.echo(f"{pad(name, width)}  {count:>6}  {usage.files[name]:>5}")
        problems = bool(usage.failed)
        if check is not None:
            problems = _compare(input_dir, usage, check) or problems
        if output is not None:
            problems = not _write_labels_file(input_dir, usage, output) or problems
    if problems:
        raise SystemExit(1)


def _compare(input_dir: Path, usage: LabelUsage, check: LabelTable) -> bool:
    """Report the differences; whether a used label is missing."""
    missing = sorted(set(usage.shapes) - set(check.ids))
    unused = sorted(set(check.names[1:]) - set(usage.shapes))
    for name in missing:
        click.echo(
            f"{input_dir}: label {name!r} is used in {usage.shapes[name]} "
            f"shapes in {usage.files[name]} files but is not in the labels file",
            err=True,
        )
    for name in unused:
        click.echo(
            f"{input_dir}: label {name!r} is in the labels file but no shape uses it",
            err=True,
        )
    return bool(missing)


def _write_labels_file(input_dir: Path, usage: LabelUsage, output: Path) -> bool:
    """Write the labels file, or say which names cannot be in one; whether
    it was written."""
    names = usage.labels_file_names()
    refused = [(name, class_name_problem(name)) for name in names]
    for name, problem in refused:
        if problem is not None:
            click.echo(
                f"{input_dir}: label {name!r} {problem}; rename it in the "
                f"annotations ({usage.shapes[name]} shapes in {usage.files[name]} "
                "files)",
                err=True,
            )
    if any(problem is not None for _, problem in refused):
        click.echo(f"{output}: not written", err=True)
        return False
    try:
        output.write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
    except OSError as error:
        raise click.UsageError(f"{output}: cannot write: {os_reason(error)}") from None
    click.echo(f"wrote {output}", err=True)
    return True
