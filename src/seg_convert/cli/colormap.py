"""``seg-convert colormap``: which color is which class, and a legend chart."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click

from seg_convert.cli.exits import reporting_errors
from seg_convert.cli.options import FONT, LABELS, check_output_file
from seg_convert.core.files import reason as os_reason
from seg_convert.core.labels import PASCAL_VOC_CLASSES, VOID_INDEX, LabelTable


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
    default=PASCAL_VOC_CLASSES,
    show_default=True,
    help="How many ids to show without --labels.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=check_output_file,
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
    from seg_convert.render.fonts import choose_font
    from seg_convert.render.legend import color_table, draw_legend

    with reporting_errors():
        entries = color_table(labels, count=count)
        if output_format == "json":
            rows = [
                {"id": e.class_id, "index": e.index, "name": e.name, "rgb": list(e.rgb)}
                for e in entries
            ]
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
                click.echo(
                    f"{e.class_id:>4} {e.index:>5}  {r:>3} {g:>3} {b:>3}  {e.name}"
                )
        if output is not None:
            names = [e.name for e in entries]
            chart = draw_legend(entries, font_source=font or choose_font(names))
            try:
                chart.save(output, format="PNG")
            except OSError as error:
                message = f"{output}: cannot write: {os_reason(error)}"
                raise click.UsageError(message) from None
