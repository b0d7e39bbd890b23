"""The ``seg-convert`` command: parse arguments, call the library, report.

Errors a user can cause become one line on stderr, ``path: what is wrong``; exit
codes are 0 when everything converted, 1 when some input files failed and 2 for
usage errors (bad arguments, labels file or output directory).
"""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__
from .convert import FileResult, labelme2voc
from .errors import SegConvertError
from .fonts import check_font
from .images import DEFAULT_MAX_PIXELS
from .labels import LabelTable, load_labels
from .voc import LAYOUTS


class LabelsParam(click.ParamType):  # type: ignore[type-arg]
    """``--labels``: a labels file, or comma-separated class names."""

    name = "LABELS"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> LabelTable:
        if isinstance(value, LabelTable):
            return value
        try:
            return load_labels(str(value))
        except SegConvertError as error:
            self.fail(str(error), param, ctx)


class FontParam(click.ParamType):  # type: ignore[type-arg]
    """``--font``: a TrueType/OpenType font file Pillow can load."""

    name = "FILE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        try:
            return check_font(Path(str(value)))
        except SegConvertError as error:
            self.fail(str(error), param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seg-convert")
def cli() -> None:
    """Convert labelme annotations into segmentation datasets."""


@cli.command("labelme2voc")
@click.argument(
    "input_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--labels",
    type=LabelsParam(),
    required=True,
    help="Labels file (line 1 __ignore__, line 2 _background_, then one class a "
    "line) or the same names separated by commas.",
)
@click.option(
    "--layout",
    type=click.Choice(sorted(LAYOUTS)),
    default="labelme",
    show_default=True,
    help="labelme: SegmentationClass/*.npy and SegmentationClassPNG/*.png, as "
    "labelme's example. voc: PASCAL VOC 2012, SegmentationClass/*.png and "
    "SegmentationClassNpy/*.npy, as torchvision and mmsegmentation read it.",
)
@click.option(
    "--instances/--no-instances",
    default=False,
    show_default=True,
    help="Also write instance ids (SegmentationObject): one instance per "
    "(label, group_id), or per shape without group_id.",
)
@click.option(
    "--val-fraction",
    type=click.FloatRange(0.0, 1.0),
    default=0.2,
    show_default=True,
    help="Share of samples in ImageSets/Segmentation/val.txt; the rest go to "
    "train.txt.",
)
@click.option(
    "--split-seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the split: a sample's split depends only on its name and this.",
)
@click.option("--noviz", is_flag=True, help="Do not write visualizations.")
@click.option(
    "--font",
    type=FontParam(),
    default=None,
    help="Font file for the visualization legend [default: the first installed "
    "font that has every character of the class names].",
)
@click.option(
    "--max-image-pixels",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_PIXELS,
    show_default=True,
    help="Refuse images with more pixels than this (a guard against "
    "decompression bombs).",
)
def labelme2voc_command(
    input_dir: Path,
    output_dir: Path,
    labels: LabelTable,
    layout: str,
    instances: bool,
    val_fraction: float,
    split_seed: int,
    noviz: bool,
    font: str | None,
    max_image_pixels: int,
) -> None:
    """Convert the labelme JSON files in INPUT_DIR into a VOC-style dataset.

    OUTPUT_DIR must be new or empty. It gets JPEGImages/ (the images), the
    label ids as int32 .npy arrays (-1 = ignore) and as palette PNGs (255 =
    ignore), visualizations, ImageSets/Segmentation/{train,val,trainval}.txt,
    class_names.txt and labelmap.txt. --layout says which folder holds what.

    A file that cannot be converted is reported on stderr and skipped; the exit
    code is then 1.
    """
    try:
        report = labelme2voc(
            input_dir,
            output_dir,
            labels=labels,
            layout=layout,
            instances=instances,
            visualize=not noviz,
            val_fraction=val_fraction,
            split_seed=split_seed,
            font=font,
            max_image_pixels=max_image_pixels,
            on_result=_report_failure,
        )
    except SegConvertError as error:
        raise click.UsageError(str(error)) from None
    total = len(report.results)
    summary = f"converted {report.converted} of {total} files into {output_dir}"
    if report.failed:
        summary += f", {report.failed} failed"
    click.echo(summary, err=True)
    if report.failed:
        raise SystemExit(1)


def _report_failure(result: FileResult) -> None:
    if result.error is not None:
        click.echo(str(result.error), err=True)


def main() -> None:
    """Entry point of the ``seg-convert`` console script."""
    cli(prog_name="seg-convert")
