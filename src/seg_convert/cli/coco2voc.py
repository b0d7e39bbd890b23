"""``seg-convert coco2voc``: COCO instance files into the VOC-style dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..labels import LabelTable
from .common import (
    INPUT_DIR,
    LABELS,
    image_limit_options,
    jobs_option,
    make_options,
    output_options,
    reporting_errors,
    run_conversion,
    voc_options,
)

PAINT_ORDERS = ("file", "area")
CROWD_MODES = ("void", "class")


@click.command("coco2voc")
@click.argument(
    "annotation_files",
    metavar="ANNOTATIONS_JSON...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--images",
    "images_dir",
    type=INPUT_DIR,
    required=True,
    help="The folder each image's file_name is relative to.",
)
@click.option(
    "--labels",
    type=LABELS,
    default=None,
    help="Labels file (or comma-separated names) mapping categories to classes "
    "by name [default: the categories sorted by id are classes 1..K].",
)
@click.option(
    "--skip-unknown",
    is_flag=True,
    help="Leave out annotations of categories --labels lacks (reported), "
    "instead of failing their images.",
)
@click.option(
    "--order",
    type=click.Choice(PAINT_ORDERS),
    default="file",
    show_default=True,
    help="file: later annotations paint over earlier ones. area: larger "
    "annotations first, so small objects stay on top.",
)
@click.option(
    "--crowd",
    type=click.Choice(CROWD_MODES),
    default="void",
    show_default=True,
    help="void: crowd regions (iscrowd 1) are ignored pixels (255 in PNGs, -1 in "
    ".npy). class: painted with their category (never an instance).",
)
@jobs_option
@image_limit_options
@voc_options
@output_options
def coco2voc_command(
    annotation_files: tuple[Path, ...],
    output_dir: Path,
    images_dir: Path,
    labels: LabelTable | None,
    skip_unknown: bool,
    order: str,
    crowd: str,
    report_path: Path | None,
    quiet: bool,
    **params: Any,
) -> None:
    """Convert COCO instance annotations (ANNOTATIONS_JSON...) into the
    VOC-style dataset labelme2voc writes.

    Each image becomes a sample named by its file name without extension.
    Segmentations (polygons, RLE) are decoded as pycocotools' annToMask decodes
    them and painted in file order. Images of a file whose name has "train" go
    to train.txt, "val" to val.txt; others by the hash rule (--val-fraction).
    OUTPUT_DIR must be new, empty, or written by this command before: then only
    images whose annotations or image file changed are converted again.

    An image that cannot be converted is reported on stderr and skipped; the
    exit code is then 1.
    """
    from ..batch import coco2voc
    from ..coco_source import open_coco  # pycocotools is loaded only here

    if skip_unknown and labels is None:
        raise click.UsageError(
            "--skip-unknown needs --labels: without them every category is a class"
        )
    with reporting_errors():
        source = open_coco(
            annotation_files,
            images_dir=images_dir,
            skip_unknown=skip_unknown,
            order="area" if order == "area" else "file",
            crowd="class" if crowd == "class" else "void",
        )
        table = source.category_labels() if labels is None else labels
    options = make_options(params, labels=table)
    run_conversion(
        lambda hooks: coco2voc(
            source,
            output_dir,
            options,
            hooks=hooks,
            report_path=report_path,
        ),
        output_dir=output_dir,
        report_path=report_path,
        quiet=quiet,
    )
