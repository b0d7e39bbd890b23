"""``seg-convert colormap``, ``stats`` and ``labels``: which color is which
class, what a dataset holds, and which labels a folder uses."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import click

from ..colormap import VOID_INDEX
from ..errors import SegConvertError
from ..fonts import choose_font
from ..labels import LabelTable
from ..legend import DEFAULT_COUNT, color_table, draw_legend
from ..stats import (
    DatasetStats,
    annotation_stats,
    converted_stats,
    is_converted,
    label_usage,
)
from .common import FONT, INPUT_DIR, LABELS, max_image_pixels_option


@click.command("colormap")
@click.option(
    "--labels",
    type=LABELS,
    default=None,
    help="Name the ids with this labels file (or comma-separated names).",
)
@click.option(
    "--n",
    "count",
    type=click.IntRange(1, VOID_INDEX),
    default=DEFAULT_COUNT,
    show_default=True,
    help="How many ids to show without --labels.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw the legend chart into this PNG file.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="How to print the table.",
)
@click.option("--font", type=FONT, default=None, help="Font file for the chart.")
def colormap_command(
    labels: LabelTable | None,
    count: int,
    output: Path | None,
    output_format: str,
    font: str | None,
) -> None:
    """Print which color each class id gets, and draw a legend chart.

    The table lists id, palette index, name and RGB; the ignore id -1 is stored
    as index 255 (void) and comes last.
    """
    entries = color_table(labels, count=count)
    rows = [
        {"id": e.class_id, "index": e.index, "name": e.name, "rgb": list(e.rgb)}
        for e in entries
    ]
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["id", "index", "name", "r", "g", "b"])
        writer.writerows([e.class_id, e.index, e.name, *e.rgb] for e in entries)
        click.echo(buffer.getvalue(), nl=False)
    else:
        click.echo(f"{'id':>4} {'index':>5}  {'r':>3} {'g':>3} {'b':>3}  name")
        for e in entries:
            r, g, b = e.rgb
            click.echo(f"{e.class_id:>4} {e.index:>5}  {r:>3} {g:>3} {b:>3}  {e.name}")
    if output is not None:
        names = [e.name for e in entries]
        chart = draw_legend(entries, font_source=font or choose_font(names))
        try:
            chart.save(output, format="PNG")
        except OSError as error:
            message = f"{output}: cannot write: {error.strerror}"
            raise click.UsageError(message) from None


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
@max_image_pixels_option
def stats_command(
    directory: Path,
    labels: LabelTable | None,
    output_format: str,
    max_image_pixels: int,
) -> None:
    """Count images, shapes, instances and pixels per class in DIRECTORY.

    DIRECTORY is a folder of labelme files or a converted dataset (one with
    class_names.txt). Exit code 1 if some files could not be read.
    """
    try:
        if is_converted(directory):
            stats = converted_stats(directory)
        else:
            stats = annotation_stats(
                directory, labels=labels, max_image_pixels=max_image_pixels
            )
    except SegConvertError as error:
        raise click.UsageError(str(error)) from None
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
    width = max([5, *(_display_width(c["name"]) for c in data["classes"])])
    click.echo(f"{_pad('class', width)}  {'pixels':>12}  {'share':>7}  {'images':>6}")
    for item in data["classes"]:
        share = item["pixels"] / stats.total_pixels
        click.echo(
            f"{_pad(item['name'], width)}  {item['pixels']:>12,}  {share:>7.2%}  "
            f"{item['images']:>6}"
        )


def _display_width(text: str) -> int:
    # Wide (CJK) characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))


@click.command("labels")
@click.argument("input_dir", type=INPUT_DIR)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
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
@max_image_pixels_option
def labels_command(
    input_dir: Path,
    output: Path | None,
    check: LabelTable | None,
    max_image_pixels: int,
) -> None:
    """List every label used in INPUT_DIR's labelme files, with counts.

    Prints how many shapes and files use each label. Exit code 1 if a file
    could not be read or, with --check, a used label is missing.
    """
    try:
        usage = label_usage(input_dir, max_image_pixels=max_image_pixels)
    except SegConvertError as error:
        raise click.UsageError(str(error)) from None
    for message in usage.failed:
        click.echo(message, err=True)
    width = max([5, *(_display_width(name) for name in usage.shapes)])
    click.echo(f"{_pad('label', width)}  {'shapes':>6}  {'files':>5}")
    for name, count in sorted(usage.shapes.items()):
        click.echo(f"{_pad(name, width)}  {count:>6}  {usage.files[name]:>5}")
    problems = bool(usage.failed)
    if check is not None:
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
                f"{input_dir}: label {name!r} is in the labels file but no shape "
                "uses it",
                err=True,
            )
        problems = problems or bool(missing)
    if output is not None:
        text = "".join(f"{name}\n" for name in usage.labels_file_names())
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            message = f"{output}: cannot write: {error.strerror}"
            raise click.UsageError(message) from None
        click.echo(f"wrote {output}", err=True)
    if problems:
        raise SystemExit(1)
