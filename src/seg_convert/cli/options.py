"""The commands' options: value types the library parses, the option groups
commands share, and the click option of each ``OptionSpec`` that a source or a
format declares."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from seg_convert.cli.exits import debug_mode
from seg_convert.core.errors import SegConvertError
from seg_convert.core.labels import load_labels
from seg_convert.core.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_PIXELS
from seg_convert.core.options import Options
from seg_convert.core.shards import parse_shard
from seg_convert.core.specs import OptionSpec, SharedGroup
from seg_convert.run.process_setup import default_jobs

# The commands load numpy and Pillow when they run, not for --help: what a
# module imports at its top stays light (the CLI's tests check it).
if TYPE_CHECKING:
    pass

F = TypeVar("F", bound=Callable[..., Any])


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
    from seg_convert.render.fonts import check_font

    return check_font(Path(text))


def _check_encoding(text: str) -> str:
    from seg_convert.sources.labelme.json_text import check_encoding

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


# --labels: the class table of a command that needs one.
labels_option = click.option(
    "--labels",
    type=LABELS,
    required=True,
    help="Labels file (line 1 __ignore__, line 2 _background_, then one "
    "class a line) or the same names separated by commas.",
)


def input_options(function: F) -> F:
    """The options of the commands that check or describe a labelme folder as
    a conversion reads it: the labels, the workers, and how files are read."""
    return _apply([labels_option, jobs_option, reading_options], function)


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


val_fraction_option = click.option(
    "--val-fraction",
    type=click.FloatRange(0.0, 1.0),
    default=0.2,
    show_default=True,
    help="Share of samples in the val split; the rest are train.",
)

split_seed_option = click.option(
    "--split-seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the split: a sample's split depends only on its name and this.",
)

noviz_option = click.option(
    "--noviz",
    "visualize",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Do not write visualizations.",
)

report_option = click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a JSON report here: options, and per file its status, "
    "error, warnings, outputs, shape and instance counts and time.",
)

quiet_option = click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print errors only: no progress, no summary.",
)

shard_option = click.option(
    "--shard",
    type=SHARD,
    default=None,
    help="Convert only shard K (counted from 0) of N, chosen by a hash of "
    "each file's output name; N runs with K = 0..N-1 fill one OUTPUT_DIR.",
)

force_option = click.option(
    "--force",
    is_flag=True,
    help="Start over: convert every file again, even those unchanged "
    "since the last run, replacing a dataset another command made in "
    "OUTPUT_DIR and getting past unreadable records.",
)

fail_fast_option = click.option(
    "--fail-fast",
    is_flag=True,
    help="Stop at the first file that fails (default: convert all that can be).",
)

font_option = click.option(
    "--font",
    type=FONT,
    default=None,
    help="Font file for the visualization legend [default: the first "
    "installed font that has every character of the class names].",
)

# The options of every command that writes a dataset, as --help lists them.
_OUTPUT_OPTIONS = (
    val_fraction_option,
    split_seed_option,
    noviz_option,
    report_option,
    quiet_option,
    shard_option,
    force_option,
    fail_fast_option,
    font_option,
)


def output_options(function: F) -> F:
    """The options of every command that writes a dataset."""
    return _apply(_OUTPUT_OPTIONS, function)


def make_options(params: dict[str, Any], **more: Any) -> Options:
    """The run's options from a command's parameters (those named as fields)
    and ``more``."""
    names = {item.name for item in dataclasses.fields(Options)}
    given = {name: value for name, value in params.items() if name in names}
    given = {name: value for name, value in given.items() if name not in more}
    try:
        return Options(**given, **more, debug=debug_mode())
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def reading_params(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters of ``reading_options`` that ``stats.label_usage`` takes."""
    names = ("recursive", "flatten_names", "json_encoding", "max_image_pixels")
    return {name: params[name] for name in names}


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def spec_option(spec: OptionSpec) -> Callable[[F], F]:
    """The click option ``spec`` declares."""
    kinds: dict[str, dict[str, Any]] = {
        "flag": {"is_flag": True},
        "switch": {},
        "choice": {"type": click.Choice(spec.choices)},
        "folder": {"type": INPUT_DIR},
        "labels": {"type": LABELS},
        "names": {"type": _names},
        "file": {"type": click.Path(exists=True, dir_okay=False, path_type=Path)},
        "fraction": {"type": click.FloatRange(0.0, 1.0)},
    }
    option: Callable[[F], F] = click.option(
        *spec.flags,
        **kinds[spec.kind],
        # A flag not given is off, whatever the spec leaves unsaid.
        default=False if spec.kind == "flag" else spec.default,
        required=spec.required,
        multiple=spec.multiple,
        show_default=spec.show_default,
        metavar=spec.metavar,
        help=spec.help,
    )
    return option


def spec_options(specs: Sequence[OptionSpec]) -> Callable[[F], F]:
    """The click options of ``specs``, the first shown first in --help."""

    def apply(function: F) -> F:
        return _apply([spec_option(spec) for spec in specs], function)

    return apply


# The groups a source asks for by name (``SourceSpec.shared``).
SHARED_GROUPS: dict[SharedGroup, Callable[[Any], Any]] = {
    "labels": labels_option,
    "jobs": jobs_option,
    "reading": reading_options,
    "image_limits": image_limit_options,
}
