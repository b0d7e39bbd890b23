"""Options that say which labelme files a command reads and how, shared by the
commands that read them without converting (stats, labels)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..annotation import check_encoding
from .common import LibraryParam, max_image_pixels_option

F = TypeVar("F", bound=Callable[..., Any])

# --json-encoding ENC: any Python text codec, tried after UTF-8.
JSON_ENCODING = LibraryParam("ENC", check_encoding)

json_encoding_option = click.option(
    "--json-encoding",
    type=JSON_ENCODING,
    default=None,
    help="Read labelme files that are not UTF-8 with this codec (e.g. gbk, as "
    "old labelme on Chinese Windows wrote them); UTF-8 is still tried first.",
)


def reading_options(function: F) -> F:
    """-r, --flatten-names, --json-encoding and --max-image-pixels, as
    labelme2voc takes them, so a command sees the files the converter sees."""
    options = [
        click.option(
            "-r",
            "--recursive",
            is_flag=True,
            help="Also take the labelme files in INPUT_DIR's subfolders.",
        ),
        click.option(
            "--flatten-names",
            is_flag=True,
            help="Name files by the path below INPUT_DIR (a/b/1.json -> a__b__1), "
            "as labelme2voc does, so equal file names in different folders do not "
            "collide.",
        ),
        json_encoding_option,
        max_image_pixels_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


def check_output_file(
    ctx: click.Context, param: click.Parameter, value: Path | None
) -> Path | None:
    """A click callback: the folder of an output file must exist, so that the
    command fails before printing anything rather than after."""
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
    return value
