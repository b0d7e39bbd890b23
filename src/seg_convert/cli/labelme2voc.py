"""``seg-convert labelme2voc``: convert a folder into a VOC-style dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .common import (
    INPUT_DIR,
    input_options,
    make_options,
    output_options,
    run_conversion,
    voc_options,
)


@click.command("labelme2voc")
@click.argument("input_dir", type=INPUT_DIR)
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@input_options
@voc_options
@output_options
def labelme2voc_command(
    input_dir: Path,
    output_dir: Path,
    report_path: Path | None,
    quiet: bool,
    **params: Any,
) -> None:
    """Convert the labelme JSON files in INPUT_DIR into a VOC-style dataset.

    OUTPUT_DIR must be new, empty, or written by this command before: then only
    what changed is converted again (see --force). It gets JPEGImages/ (the
    images), the label ids as int32 .npy arrays (-1 = ignore) and as palette PNGs
    (255 = ignore), visualizations, ImageSets/Segmentation/{train,val,trainval}.txt,
    class_names.txt and labelmap.txt. --layout says which folder holds what.

    A file that cannot be converted is reported on stderr and skipped; the exit
    code is then 1.
    """
    from ..batch import labelme2voc

    options = make_options(params)
    run_conversion(
        lambda hooks: labelme2voc(
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
