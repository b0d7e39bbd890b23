"""Converting one labelme file: read, rasterize, visualize, write.

Everything here runs in a worker process when the batch runs in parallel, so
what goes in and out (settings, results, errors) is small and picklable.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .annotation import load_image, read_annotation
from .discovery import Input, stem_problem
from .errors import AnnotationError, SegConvertError
from .labels import LabelTable
from .rasterize import Rasterized, class_ids, rasterize
from .visualize import draw_visualization
from .voc import Layout, Sample, write_sample


@dataclass(frozen=True)
class FileResult:
    """How one input file went: its outputs, or the error that stopped it."""

    source: Path
    stem: str
    outputs: tuple[Path, ...] = ()
    error: SegConvertError | None = None
    skipped: bool = False  # unchanged since the last run: nothing was done
    image: Path | None = None  # the image file, when not embedded
    shapes: int = 0
    instances: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


MAX_INSTANCES = 254  # instance PNGs are palette images; 255 is void


@dataclass(frozen=True)
class FileSettings:
    """What every file of a batch is converted with."""

    labels: LabelTable
    layout: Layout
    instances: bool
    font_source: str | None  # None: no visualizations
    max_image_pixels: int
    debug: bool = False  # unexpected errors carry their traceback


def convert_file(
    item: Input, *, output_dir: Path | None, settings: FileSettings
) -> FileResult:
    """Convert one labelme file; never raises for a problem of the file.

    With no ``output_dir`` the file is only checked: read, its image opened and
    its shapes rasterized, nothing drawn or written.
    """
    started = time.perf_counter()
    source = item.source
    try:
        result = _convert(item, output_dir, settings)
    except SegConvertError as error:
        result = FileResult(source=source, stem=item.stem, error=error)
    except Exception as error:  # A bug must not stop the batch; it is reported.
        message = f"unexpected error, please report it: {type(error).__name__}: {error}"
        details = traceback.format_exc().rstrip() if settings.debug else None
        result = FileResult(
            source=source,
            stem=item.stem,
            error=SegConvertError(source, message, details),
        )
    return dataclasses.replace(result, seconds=time.perf_counter() - started)


def worker_died(item: Input, why: str) -> FileResult:
    """The result of a file whose worker process died converting it."""
    return FileResult(
        source=item.source, stem=item.stem, error=SegConvertError(item.source, why)
    )


def _convert(
    item: Input, output_dir: Path | None, settings: FileSettings
) -> FileResult:
    source = item.source
    problem = stem_problem(item.stem)
    if problem is not None:
        raise AnnotationError(source, problem)
    limit = settings.max_image_pixels
    annotation = read_annotation(source, max_image_pixels=limit)
    ids = class_ids(annotation.shapes, settings.labels, owner=source)
    font = None if output_dir is None else settings.font_source
    loaded = load_image(annotation, max_image_pixels=limit, gray=font is not None)
    width, height = loaded.size
    arrays = rasterize(
        annotation.shapes,
        ids,
        height=height,
        width=width,
        instances=settings.instances,
    )
    if settings.instances and len(arrays.instance_labels) > MAX_INSTANCES:
        raise AnnotationError(
            source,
            f"{len(arrays.instance_labels)} instances, but an instance PNG holds at "
            f"most {MAX_INSTANCES}; give shapes of one object the same group_id, "
            "or convert without --instances",
        )
    checked = FileResult(
        source=source,
        stem=item.stem,
        image=None if isinstance(annotation.image, bytes) else annotation.image,
        shapes=len(annotation.shapes),
        instances=arrays.object_count,
    )
    if output_dir is None:
        return checked
    class_visualization, object_visualization = (
        _visualizations(loaded.gray, arrays, settings.labels, font)
        if font is not None and loaded.gray is not None
        else (None, None)
    )
    sample = Sample(
        stem=item.stem,
        image=loaded.rgb,
        jpeg=loaded.jpeg,
        classes=arrays.classes,
        indices=arrays.indices,
        instances=arrays.instances,
        class_visualization=class_visualization,
        object_visualization=object_visualization,
    )
    outputs = write_sample(output_dir, settings.layout, sample)
    return dataclasses.replace(checked, outputs=tuple(outputs))


def _visualizations(
    gray: Image.Image, arrays: Rasterized, labels: LabelTable, font: str
) -> tuple[Image.Image | None, Image.Image | None]:
    """The class and, with instances, the instance visualization."""
    classes = draw_visualization(
        gray, arrays.indices, class_names=labels.names, font_source=font
    )
    if arrays.instances is None:
        return classes, None
    # Instance 0 is no instance: an empty name leaves it out of the legend.
    names = ("", *(f"{i} {n}" for i, n in enumerate(arrays.instance_labels, 1)))
    objects = draw_visualization(
        gray,
        arrays.instances.astype(np.uint8),
        class_names=names,
        font_source=font,
    )
    return classes, objects
