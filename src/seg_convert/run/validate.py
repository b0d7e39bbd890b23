"""Checking labelme files without converting them: the same reading, image and
rasterizing checks as a conversion, with nothing drawn or written.

Image files are opened, not decoded, where a conversion would copy them as they
are (upright baseline JPEGs); other images are decoded, as a conversion must.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from pathlib import Path

from seg_convert.core.options import Options
from seg_convert.core.sample import FileResult
from seg_convert.run.batch import NO_HOOKS, Hooks
from seg_convert.run.convert_file import convert_file
from seg_convert.run.registry import output_format
from seg_convert.run.workers import run_files
from seg_convert.sources.labelme.discovery import find_inputs


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
    options: Options,
    *,
    hooks: Hooks = NO_HOOKS,
) -> ValidationReport:
    """Check every labelme file in ``input_dir`` as ``labelme2voc`` with the same
    options would, and report what would fail. Writes nothing.

    Raises SegConvertError when the inputs cannot be listed or two would get the
    same output name, as ``labelme2voc`` does. ``hooks`` hear of the run as
    for ``labelme2voc``.
    """
    inputs = find_inputs(
        input_dir, recursive=options.recursive, flatten_names=options.flatten_names
    )
    if hooks.on_start is not None:
        hooks.on_start(len(inputs))
    writer = output_format("voc").writer(options)  # what labelme2voc checks
    check = functools.partial(convert_file, writer=writer, output_dir=None)
    results = []
    work = run_files(check, inputs, jobs=options.jobs, on_death=FileResult.failure)
    with contextlib.closing(work) as checked:  # stops the workers on Ctrl-C too
        for result in checked:
            results.append(result)
            if hooks.on_result is not None:
                hooks.on_result(result)
    return ValidationReport(input_dir=input_dir, results=tuple(results))
