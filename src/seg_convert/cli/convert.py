"""``seg-convert labelme2voc``: convert a folder, report per file and in total."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .. import __version__
from ..convert import ConversionReport, labelme2voc
from ..discovery import Shard
from ..labels import LabelTable
from ..report import report_document, write_report
from ..voc import LAYOUTS
from .common import (
    FONT,
    INPUT_DIR,
    SHARD,
    Progress,
    debug_mode,
    input_options,
    reporting_errors,
)


@click.command("labelme2voc")
@click.argument("input_dir", type=INPUT_DIR)
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@input_options
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
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a JSON report here: options, and per file its status, error, "
    "outputs, shape and instance counts and time.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="Print errors only: no progress, no summary."
)
@click.option(
    "--shard",
    type=SHARD,
    default=None,
    help="Convert only shard K (counted from 0) of N, chosen by a hash of each "
    "file's output name; N runs with K = 0..N-1 fill one OUTPUT_DIR.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Convert every file again, even those unchanged since the last run.",
)
@click.option(
    "--fail-fast",
    is_flag=True,
    help="Stop at the first file that fails (default: convert all that can be).",
)
@click.option(
    "--font",
    type=FONT,
    default=None,
    help="Font file for the visualization legend [default: the first installed "
    "font that has every character of the class names].",
)
def labelme2voc_command(
    input_dir: Path,
    output_dir: Path,
    labels: LabelTable,
    instances: bool,
    jobs: int,
    recursive: bool,
    flatten_names: bool,
    max_image_pixels: int,
    layout: str,
    val_fraction: float,
    split_seed: int,
    noviz: bool,
    report_path: Path | None,
    quiet: bool,
    shard: Shard | None,
    force: bool,
    fail_fast: bool,
    font: str | None,
) -> None:
    """Convert the labelme JSON files in INPUT_DIR into a VOC-style dataset.

    OUTPUT_DIR must be new, empty, or written by seg-convert before: then only
    what changed is converted again (see --force). It gets JPEGImages/ (the
    images), the label ids as int32 .npy arrays (-1 = ignore) and as palette PNGs
    (255 = ignore), visualizations, ImageSets/Segmentation/{train,val,trainval}.txt,
    class_names.txt and labelmap.txt. --layout says which folder holds what.

    A file that cannot be converted is reported on stderr and skipped; the exit
    code is then 1.
    """
    options = {
        "input_dir": input_dir,
        "output_dir": output_dir,
        "labels": labels.names,
        "layout": layout,
        "instances": instances,
        "visualize": not noviz,
        "val_fraction": val_fraction,
        "split_seed": split_seed,
        "font": font,
        "max_image_pixels": max_image_pixels,
        "jobs": jobs,
        "fail_fast": fail_fast,
        "recursive": recursive,
        "flatten_names": flatten_names,
        "shard": None if shard is None else f"{shard.index}/{shard.count}",
    }
    if report_path is not None and not report_path.parent.is_dir():
        raise click.BadParameter(
            f"{report_path.parent} is not a directory", param_hint="--report"
        )
    progress = Progress("converting", show_bar=not quiet and sys.stderr.isatty())
    started = time.perf_counter()
    with reporting_errors():
        with progress:
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
                jobs=jobs,
                fail_fast=fail_fast,
                force=force,
                recursive=recursive,
                flatten_names=flatten_names,
                shard=shard,
                debug=debug_mode(),
                on_start=progress.start,
                on_result=progress.result,
            )
        if report_path is not None:
            document = report_document(
                report,
                options=options,
                version=__version__,
                seconds=time.perf_counter() - started,
            )
            write_report(report_path, document)
    if not quiet:
        click.echo(_summary(report), err=True)
    if report.failed:
        raise SystemExit(1)


def _summary(report: ConversionReport) -> str:
    summary = (
        f"converted {report.converted} of {report.inputs} files "
        f"into {report.output_dir}"
    )
    if report.skipped:
        summary += f", {report.skipped} unchanged since the last run"
    if report.failed:
        summary += f", {report.failed} failed"
    untried = report.inputs - len(report.results)
    if untried:
        summary += f", {untried} not tried (--fail-fast)"
    return summary
