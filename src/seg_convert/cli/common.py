"""What the commands share: option types the library parses, common options,
progress, and how errors reach the user."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from .. import __version__
from ..discovery import parse_shard
from ..errors import SegConvertError, Terminated
from ..labels import load_labels
from ..limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_PIXELS
from ..options import LAYOUT_NAMES, Options
from ..process_setup import default_jobs

# The commands load numpy and Pillow when they run, not for --help: what a
# module imports at its top stays light (the CLI's tests check it).
if TYPE_CHECKING:
    from ..batch import ConversionReport, Hooks
    from ..sample import FileResult

F = TypeVar("F", bound=Callable[..., Any])

USAGE_EXIT = 2  # click's code for usage errors; ours (the whole job) too
INTERRUPTED_EXIT = 130  # as a shell reports a command stopped by Ctrl-C
TERMINATED_EXIT = 128 + signal.SIGTERM  # 143, as a shell reports a SIGTERM
_DEBUG = "seg_convert.debug"


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


def _check_font(text: str) -> str:
    from ..fonts import check_font

    return check_font(Path(text))


def _check_encoding(text: str) -> str:
    from ..annotation import check_encoding

    return check_encoding(text)


# --font: a TrueType/OpenType file Pillow can load.
FONT = LibraryParam("FILE", _check_font)
# --shard K/N: this run converts shard K (from 0) of N.
SHARD = LibraryParam("K/N", parse_shard)

INPUT_DIR = click.Path(exists=True, file_okay=False, path_type=Path)

# --json-encoding ENC: any Python text codec, tried after UTF-8.
JSON_ENCODING = LibraryParam("ENC", _check_encoding)


def reading_options(function: F) -> F:
    """The options that say which labelme files are read and how: shared by
    every command that reads them, so each sees the files the converter sees."""
    options = [
        click.option(
            "-r",
            "--recursive",
            is_flag=True,
            help="Also take the labelme files in the input folder's subfolders.",
        ),
        click.option(
            "--flatten-names",
            is_flag=True,
            help="Name samples by their path below the input folder, folders "
            "joined by __ (a/b/1.json -> a__b__1), so equal file names in "
            "different folders do not collide.",
        ),
        click.option(
            "--json-encoding",
            type=JSON_ENCODING,
            default=None,
            help="Read labelme files that are not UTF-8 with this codec (e.g. "
            "gbk, as old labelme on Chinese Windows wrote them); UTF-8 is still "
            "tried first.",
        ),
        image_limit_options,
    ]
    return _apply(options, function)


def image_limit_options(function: F) -> F:
    """The guards of every command that decodes images."""
    options = [
        click.option(
            "--max-image-pixels",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_PIXELS,
            show_default=True,
            help="Refuse images with more pixels than this (a guard against "
            "decompression bombs).",
        ),
        click.option(
            "--max-image-bytes",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_IMAGE_BYTES,
            show_default=True,
            help="Refuse image files larger than this many bytes.",
        ),
    ]
    return _apply(options, function)


# -j/--jobs: every command that converts or checks many files.
jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=default_jobs,
    show_default="all cores",
    help="Worker processes; 1 works in this process. The result is the same for "
    "any number.",
)


def _apply(options: Sequence[Callable[[Any], Any]], function: F) -> F:
    """``function`` with ``options`` applied, the first shown first in --help."""
    for option in reversed(options):
        function = option(function)
    return function


def input_options(function: F) -> F:
    """The options of the commands that convert or check a folder: the labels,
    the workers, and how files are read."""
    options = [
        click.option(
            "--labels",
            type=LABELS,
            required=True,
            help="Labels file (line 1 __ignore__, line 2 _background_, then one "
            "class a line) or the same names separated by commas.",
        ),
        jobs_option,
        reading_options,
    ]
    return _apply(options, function)


def check_output_file(
    ctx: click.Context, param: click.Parameter, value: Path | None
) -> Path | None:
    """A click callback: the folder of a new output file must exist, and the
    file must not, so that the command fails before printing anything rather
    than after, and never replaces a file it did not write (a labels file
    rewritten in another order would change every class id)."""
    if value is None:
        return value
    folder = value.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise click.BadParameter(
            f"{value}: the folder {folder} {problem} (create it first)", ctx, param
        )
    if value.is_dir():
        raise click.BadParameter(f"{value} is a folder, not a file", ctx, param)
    if os.path.lexists(value):
        raise click.BadParameter(
            f"{value} exists; seg-convert does not replace it (remove it first, "
            "or give a new file name)",
            ctx,
            param,
        )
    return value


# --instances: labelme2voc writes instance ids, and validate checks for them.
instances_option = click.option(
    "--instances/--no-instances",
    default=False,
    show_default=True,
    help="With instance ids (SegmentationObject): from labelme, one instance "
    "per (label, group_id), or per shape without group_id; from COCO, one per "
    "annotation that is not a crowd.",
)


# --layout: labelme2voc and coco2voc write it, and validate checks for it (the
# detection XML of --layout voc cannot hold every name).
layout_option = click.option(
    "--layout",
    type=click.Choice(sorted(LAYOUT_NAMES)),
    default="labelme",
    show_default=True,
    help="labelme: SegmentationClass/*.npy and SegmentationClassPNG/*.png, "
    "as labelme's example. voc: PASCAL VOC 2012, SegmentationClass/*.png "
    "and SegmentationClassNpy/*.npy, as torchvision and mmsegmentation "
    "read it, with Annotations/*.xml and ImageSets/Main/ for detection.",
)


def voc_options(function: F) -> F:
    """What a VOC dataset holds: labelme2voc's and coco2voc's."""
    options = [
        instances_option,
        layout_option,
        click.option(
            "--npy/--no-npy",
            default=True,
            show_default=True,
            help="Also write the label ids as int32 .npy arrays (4 bytes a pixel). "
            "torchvision and mmsegmentation read only the PNGs.",
        ),
    ]
    return _apply(options, function)


def output_options(function: F) -> F:
    """The options of every command that writes a dataset."""
    options = [
        click.option(
            "--val-fraction",
            type=click.FloatRange(0.0, 1.0),
            default=0.2,
            show_default=True,
            help="Share of samples in the val split; the rest are train.",
        ),
        click.option(
            "--split-seed",
            type=int,
            default=0,
            show_default=True,
            help="Seed of the split: a sample's split depends only on its name "
            "and this.",
        ),
        click.option(
            "--noviz",
            "visualize",
            is_flag=True,
            flag_value=False,
            default=True,
            help="Do not write visualizations.",
        ),
        click.option(
            "--report",
            "report_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Write a JSON report here: options, and per file its status, "
            "error, warnings, outputs, shape and instance counts and time.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            help="Print errors only: no progress, no summary.",
        ),
        click.option(
            "--shard",
            type=SHARD,
            default=None,
            help="Convert only shard K (counted from 0) of N, chosen by a hash of "
            "each file's output name; N runs with K = 0..N-1 fill one OUTPUT_DIR.",
        ),
        click.option(
            "--force",
            is_flag=True,
            help="Start over: convert every file again, even those unchanged "
            "since the last run, replacing a dataset another command made in "
            "OUTPUT_DIR and getting past unreadable records.",
        ),
        click.option(
            "--fail-fast",
            is_flag=True,
            help="Stop at the first file that fails (default: convert all that "
            "can be).",
        ),
        click.option(
            "--font",
            type=FONT,
            default=None,
            help="Font file for the visualization legend [default: the first "
            "installed font that has every character of the class names].",
        ),
    ]
    return _apply(options, function)


def make_options(params: dict[str, Any], **more: Any) -> Options:
    """The run's options from a command's parameters (those named as fields)
    and ``more``."""
    names = {item.name for item in dataclasses.fields(Options)}
    given = {name: value for name, value in params.items() if name in names}
    try:
        return Options(**given, **more, debug=debug_mode())
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def reading_params(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters of ``reading_options`` that ``stats.label_usage`` takes."""
    names = ("recursive", "flatten_names", "json_encoding", "max_image_pixels")
    return {name: params[name] for name in names}


def run_conversion(
    convert: Callable[[Hooks], ConversionReport],
    *,
    output_dir: Path,
    report_path: Path | None,
    quiet: bool,
) -> None:
    """Run a conversion with progress, write its report, print its summary and
    exit 1 if any file failed."""
    from ..batch import Hooks
    from ..report import report_document, report_path_problem, write_report

    if report_path is not None:
        problem = report_path_problem(report_path, output_dir=output_dir)
        if problem is not None:
            raise click.BadParameter(problem, param_hint="--report")
    progress = Progress("converting", show_bar=not quiet and sys.stderr.isatty())
    started = time.perf_counter()
    with reporting_errors():
        with progress:
            hooks = Hooks(
                on_start=progress.start,
                on_result=progress.result,
                on_wait=progress.wait,
            )
            report = convert(hooks)
        if report_path is not None:
            document = report_document(
                report, version=__version__, seconds=time.perf_counter() - started
            )
            write_report(report_path, document)
    if not quiet:
        click.echo(_summary(report), err=True)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        echo_warnings(report.results)
    if report.failed:
        raise SystemExit(1)


def echo_warnings(results: Iterable[FileResult]) -> None:
    """One stderr line per kind of leniency, with the number of files."""
    counts = Counter(warning for result in results for warning in result.warnings)
    for warning, count in sorted(counts.items()):
        files = "1 file" if count == 1 else f"{count} files"
        click.echo(f"warning: {files}: {warning}", err=True)


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


def set_debug(ctx: click.Context, debug: bool) -> None:
    ctx.meta[_DEBUG] = debug


def debug_mode() -> bool:
    """Whether ``seg-convert --debug`` was asked for."""
    return bool(click.get_current_context().meta.get(_DEBUG, False))


@contextlib.contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn what goes wrong into one line and an exit code, never a traceback
    (but for a bug under --debug): a problem of the whole job is a usage error
    (2), Ctrl-C (130) and SIGTERM (143) end the run cleanly, a bug is reported
    (1)."""
    with _terminating():
        try:
            yield
        except click.ClickException:
            raise
        except SegConvertError as error:
            # One line, `path: what is wrong`, as for a file; click's usage
            # block is for arguments it parsed itself.
            click.echo(str(error), err=True)
            raise SystemExit(USAGE_EXIT) from None
        except KeyboardInterrupt:
            _stopped("interrupted", INTERRUPTED_EXIT)
        except Terminated:
            _stopped("terminated", TERMINATED_EXIT)
        except BrokenPipeError:
            raise  # stdout closed early (`| head`): click ends quietly
        except Exception as error:
            if debug_mode():
                raise
            click.echo(
                f"seg-convert: unexpected error, please report it: "
                f"{type(error).__name__}: {error} (seg-convert --debug COMMAND ... "
                "shows where)",
                err=True,
            )
            raise SystemExit(1) from None


def _stopped(how: str, code: int) -> NoReturn:
    click.echo(f"seg-convert: {how}; run the same command again to finish", err=True)
    raise SystemExit(code) from None


def _raise_terminated(signum: int, frame: FrameType | None) -> NoReturn:
    raise Terminated


@contextlib.contextmanager
def _terminating() -> Iterator[None]:
    """SIGTERM raises Terminated meanwhile, so that it unwinds the run as Ctrl-C
    does (Python's default is to die at once, leaving temporary files). Only
    the main thread can set handlers; elsewhere SIGTERM keeps its default."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        # None: set outside Python, which cannot be put back; the default is.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


class Progress:
    """A progress bar on stderr (on a terminal only), and each failure's line
    on stderr, or on stdout when the failures are the command's output."""

    def __init__(
        self, label: str, *, show_bar: bool, failures_on_stdout: bool = False
    ) -> None:
        self._label = label
        self._show_bar = show_bar
        self._failures_on_stdout = failures_on_stdout
        self._bar: Any = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.render_finish()

    def wait(self, message: str) -> None:
        """Another run holds the output directory: say why nothing happens."""
        click.echo(f"seg-convert: {message}", err=True)

    def start(self, total: int) -> None:
        if self._show_bar:
            self._bar = click.progressbar(
                length=total, label=self._label, file=sys.stderr
            )

    def result(self, result: FileResult) -> None:
        if result.error is not None:
            if self._bar is not None:
                click.echo("", err=True)  # leave the bar's line
            err = not self._failures_on_stdout
            click.echo(str(result.error), err=err)
            if result.error.details:  # never on stdout: one line a problem there
                click.echo(result.error.details, err=True)
        if self._bar is not None:
            self._bar.update(1)
