"""What the commands share: option types the library parses, common options,
progress, and how errors reach the user."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar

import click

from ..discovery import parse_shard
from ..errors import SegConvertError, Terminated
from ..file_conversion import FileResult
from ..fonts import check_font
from ..images import DEFAULT_MAX_PIXELS
from ..labels import load_labels
from ..workers import default_jobs

F = TypeVar("F", bound=Callable[..., Any])

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
# --font: a TrueType/OpenType file Pillow can load.
FONT = LibraryParam("FILE", lambda text: check_font(Path(text)))
# --shard K/N: this run converts shard K (from 0) of N.
SHARD = LibraryParam("K/N", parse_shard)

INPUT_DIR = click.Path(exists=True, file_okay=False, path_type=Path)

max_image_pixels_option = click.option(
    "--max-image-pixels",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_PIXELS,
    show_default=True,
    help="Refuse images with more pixels than this (a guard against "
    "decompression bombs).",
)


def input_options(function: F) -> F:
    """The options that say which files are read and how: shared by the
    converter and the checker, so both see the same files the same way."""
    options = [
        click.option(
            "--labels",
            type=LABELS,
            required=True,
            help="Labels file (line 1 __ignore__, line 2 _background_, then one "
            "class a line) or the same names separated by commas.",
        ),
        click.option(
            "--instances/--no-instances",
            default=False,
            show_default=True,
            help="With instance ids (SegmentationObject): one instance per "
            "(label, group_id), or per shape without group_id.",
        ),
        click.option(
            "-j",
            "--jobs",
            type=click.IntRange(min=1),
            default=default_jobs,
            show_default="all cores",
            help="Worker processes; 1 works in this process. The result is the "
            "same for any number.",
        ),
        click.option(
            "-r",
            "--recursive",
            is_flag=True,
            help="Also take the labelme files in INPUT_DIR's subfolders.",
        ),
        click.option(
            "--flatten-names",
            is_flag=True,
            help="Name outputs by the path below INPUT_DIR, folders joined by __ "
            "(a/b/1.json -> a__b__1), so equal file names in different folders "
            "do not collide.",
        ),
        max_image_pixels_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


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
            raise click.UsageError(str(error)) from None
        except KeyboardInterrupt:
            _stopped("interrupted", INTERRUPTED_EXIT)
        except Terminated:
            _stopped("terminated", TERMINATED_EXIT)
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
