"""``seg-convert stats``: what a dataset holds, per class."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from seg_convert.cli.exits import reporting_errors
from seg_convert.cli.options import (
    INPUT_DIR,
    LABELS,
    make_options,
    reading_options,
    reading_params,
)
from seg_convert.cli.text_table import display_width, pad
from seg_convert.core.labels import LabelTable

if TYPE_CHECKING:
    from seg_convert.run.stats import DatasetStats


@click.command("stats")
@click.argument("directory", type=INPUT_DIR)
@click.option(
    "--labels",
    type=LABELS,
    default=None,
    help="For a labelme folder: count as the converter would with this table "
    "(files with other labels fail).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the stats.",
)
@reading_options
def stats_command(
    directory: Path, labels: LabelTable | None, output_format: str, **params: Any
) -> None:
    """Count images, shapes, instances and pixels per class in DIRECTORY.

    DIRECTORY is a folder of labelme files or a converted dataset (one with
    class_names.txt). Exit code 1 if some files could not be read.
    """
    from seg_convert.run.stats import (
        annotation_stats,
        converted_stats,
        is_converted,
        label_usage,
    )

    with reporting_errors():
        if is_converted(directory):
            stats = converted_stats(directory)
        else:
            if labels is None:  # every label used counts
                labels = label_usage(directory, **reading_params(params)).table()
            stats = annotation_stats(directory, make_options(params, labels=labels))
        for message in stats.failed:
            click.echo(message, err=True)
        if output_format == "json":
            click.echo(json.dumps(stats.as_dict(), ensure_ascii=False, indent=2))
        else:
            _print_stats(stats)
    if stats.failed:
        raise SystemExit(1)


def _print_stats(stats: DatasetStats) -> None:
    data = stats.as_dict()
    click.echo(f"source     {data['source']}")
    click.echo(f"images     {data['images']}")
    click.echo(f"failed     {len(data['failed'])}")
    if stats.source == "labelme":
        shapes = ", ".join(f"{k} {v}" for k, v in data["shapes_per_type"].items())
        click.echo(f"shapes     {sum(stats.shapes_per_type.values())} ({shapes})")
    click.echo(f"instances  {data['instances']}")
    click.echo(f"pixels     {data['total_pixels']:,}")
    click.echo(f"ignored    {stats.ignore_share:.2%}")
    click.echo("")
    width = max([5, *(display_width(c["name"]) for c in data["classes"])])
    click.echo(f"{pad('class', width)}  {'pixels':>12}  {'share':>7}  {'images':>6}")
    for item in data["classes"]:
        share = item["pixels"] / stats.total_pixels
        click.echo(
            f"{pad(item['name'], width)}  {item['pixels']:>12,}  {share:>7.2%}  "
            f"{item['images']:>6}"
        )
