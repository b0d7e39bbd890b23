"""Checking labelme files without converting them: the same reading, image and
rasterizing checks as a conversion, with nothing drawn or written.

Image files are opened, not decoded, where a conversion would copy them as they
are (upright baseline JPEGs); other images are decoded, as a conversion must.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .discovery import find_inputs
from .file_conversion import FileResult, FileSettings, convert_file, worker_died
from .images import DEFAULT_MAX_PIXELS
from .labels import LabelTable
from .voc import LAYOUTS
from .workers import run_files


@dataclass(frozen=True)
class ValidationReport:
    """Every input file's result, in input order."""

    input_dir: Path
    results: tuple[FileResult, ...]

    @property
    def problems(self) -> tuple[FileResult, ...]:
        return tuple(result for result in self.results if not result.ok)


def validate(
    input_dir: Path,
    *,
    labels: LabelTable,
    instances: bool = False,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    jobs: int = 1,
    recursive: bool = False,
    flatten_names: bool = False,
    debug: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> ValidationReport:
    """Check every labelme file in ``input_dir`` as ``labelme2voc`` with the same
    options would, and report what would fail. Writes nothing.

    Raises SegConvertError when the inputs cannot be listed or two would get the
    same output name, as ``labelme2voc`` does. ``on_start`` gets the number of
    input files, ``on_result`` each file's result, in input order.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    inputs = find_inputs(input_dir, recursive=recursive, flatten_names=flatten_names)
    settings = FileSettings(
        labels=labels,
        layout=LAYOUTS["labelme"],  # names no files: nothing is written
        instances=instances,
        font_source=None,
        max_image_pixels=max_image_pixels,
        debug=debug,
    )
    if on_start is not None:
        on_start(len(inputs))
    check = functools.partial(convert_file, output_dir=None, settings=settings)
    results = []
    for result in run_files(check, inputs, jobs=jobs, on_death=worker_died):
        results.append(result)
        if on_result is not None:
            on_result(result)
    return ValidationReport(input_dir=input_dir, results=tuple(results))
