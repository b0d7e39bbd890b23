"""The ``seg-convert`` command: parse arguments, call the library, report.

Errors a user can cause become one line on stderr, ``path: what is wrong``; exit
codes are 0 when everything converted, 1 when some input files failed and 2 for
usage errors (bad arguments, labels file or output directory).
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .colormap import VOID_INDEX
from .convert import ConversionReport, default_jobs, labelme2voc
from .discovery import Shard, parse_shard
from .errors import SegConvertError
from .file_conversion import FileResult
from .fonts import check_font, choose_font
from .images import DEFAULT_MAX_PIXELS
from .labels import LabelTable, load_labels
from .legend import DEFAULT_COUNT, color_table, draw_legend
from .report import report_document, write_report
from .stats import (
    DatasetStats,
    annotation_stats,
    converted_stats,
    is_converted,
    label_usage,
)
from .voc import LAYOUTS


class LibraryParam(click.ParamType):  # type: ignore[type-arg]
    """A value the library parses; what it refuses becomes a usage error."""

    def __init__(self, name: str, parse: Callable[[str], object]) -> None:
        self.name = name
        self._parse = parse

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> object:
        if not isinstance(value, str):  # a default, parsed already
            return value
        try:
            return self._parse(value)
        except (SegConvertError, ValueError) as error:
            self.fail(str(error), param, ctx)


# --labels: a labels file, or comma-separated class names.
LABELS = LibraryParam("LABELS", load_labels)
# --font: a TrueType/OpenType file Pillow can load.
FONT = LibraryParam("FILE", lambda text: check_font(Path(text)))
# --shard K/N: this run converts shard K (from 0) of N.
SHARD = LibraryParam("K/N", parse_shard)


max_image_pixels_option = click.option(
    "--max-image-pixels",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_PIXELS,
    show_default=True,
    help="Refuse images with more pixels than this (a guard against "
    "decompression bombs).",
)


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
    type=LABELS,
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
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=default_jobs,
    show_default="all cores",
    help="Worker processes; 1 converts in this process. The output is the same "
    "for any number.",
)
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
    "-r",
    "--recursive",
    is_flag=True,
    help="Also take the labelme files in INPUT_DIR's subfolders.",
)
@click.option(
    "--flatten-names",
    is_flag=True,
    help="Name outputs by the path below INPUT_DIR, folders joined by __ "
    "(a/b/1.json -> a__b__1), so equal file names in different folders do not "
    "collide.",
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
@max_image_pixels_option
def labelme2voc_command(
    input_dir: Path,
    output_dir: Path,
    labels: LabelTable,
    layout: str,
    instances: bool,
    val_fraction: float,
    split_seed: int,
    noviz: bool,
    jobs: int,
    report_path: Path | None,
    quiet: bool,
    recursive: bool,
    flatten_names: bool,
    shard: Shard | None,
    force: bool,
    fail_fast: bool,
    font: str | None,
    max_image_pixels: int,
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
    progress = _Progress(show_bar=not quiet and sys.stderr.isatty())
    started = time.perf_counter()
    try:
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
    except SegConvertError as error:
        raise click.UsageError(str(error)) from None
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


class _Progress:
    """A progress bar on stderr (on a terminal only) and each failure's line."""

    def __init__(self, *, show_bar: bool) -> None:
        self._show_bar = show_bar
        self._bar: Any = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.render_finish()

    def start(self, total: int) -> None:
        if self._show_bar:
            self._bar = click.progressbar(
                length=total, label="converting", file=sys.stderr
            )

    def result(self, result: FileResult) -> None:
        if result.error is not None:
            if self._bar is not None:
                click.echo("", err=True)  # leave the bar's line
            click.echo(str(result.error), err=True)
        if self._bar is not None:
            self._bar.update(1)


@cli.command("colormap")
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


@cli.command("stats")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
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


@cli.command("labels")
@click.argument(
    "input_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
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


def main() -> None:
    """Entry point of the ``seg-convert`` console script."""
    cli(prog_name="seg-convert")
