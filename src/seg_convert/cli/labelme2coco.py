"""``seg-convert labelme2coco``: convert a folder into a COCO dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..options import SEGMENTATION_MODES
from .common import (
    INPUT_DIR,
    input_options,
    make_options,
    output_options,
    run_conversion,
)


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


@click.command("labelme2coco")
@click.argument("input_dir", type=INPUT_DIR)
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@input_options
@click.option(
    "--segmentation",
    type=click.Choice(SEGMENTATION_MODES),
    default="auto",
    show_default=True,
    help="auto: polygons for polygon, rectangle, oriented_rectangle and circle "
    "objects, compressed RLE for objects with a line, linestrip, point or mask "
    "shape. rle: compressed RLE for every object.",
)
@click.option(
    "--crop-covered",
    is_flag=True,
    help="Each object is only what stays visible after later shapes are "
    "painted (as in SegmentationObject), written as RLE.",
)
@click.option(
    "--panoptic",
    is_flag=True,
    help="Also write COCO panoptic annotations: "
    "annotations/panoptic_{train,val}.json and their PNGs.",
)
@click.option(
    "--stuff",
    type=_names,
    default="",
    metavar="NAMES",
    help="Comma-separated labels that are stuff, not things (--panoptic): all "
    "their pixels in an image are one segment.",
)
@output_options
def labelme2coco_command(
    input_dir: Path,
    output_dir: Path,
    report_path: Path | None,
    quiet: bool,
    **params: Any,
) -> None:
    """Convert the labelme JSON files in INPUT_DIR into a COCO dataset.

    OUTPUT_DIR gets JPEGImages/ (the images),
    annotations/instances_{train,val}.json (one annotation per object: a
    (label, group_id) pair, or a shape without group_id; ids from 1; categories
    are the labels file's classes with their class ids) and Visualization/.
    OUTPUT_DIR must be new, empty, or written by seg-convert labelme2coco before:
    then only what changed is converted again (see --force).

    A file that cannot be converted is reported on stderr and skipped; the exit
    code is then 1.
    """
    from ..batch import labelme2coco

    options = make_options(params)
    run_conversion(
        lambda hooks: labelme2coco(
            input_dir,
            output_dir,
            options,
            hooks=hooks,
            report_path=report_path,
        ),
        output_dir=output_dir,
        report_path=report_path,
        quiet=quiet,
    )
