"""One labelme file: checked into a sample, then handed to a writer.

Checking (read -> class ids -> image -> rasterize) is apart from writing, so
``validate`` and ``stats`` run exactly the checks a conversion runs. Everything
here runs in a worker process when the batch runs in parallel, so what goes in
and out (the writer, results, errors) is small and picklable.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .annotation import (
    Annotation,
    LoadedImage,
    image_warnings,
    load_image,
    read_annotation,
)
from .discovery import Input, stem_problem
from .errors import AnnotationError, SegConvertError
from .fingerprints import Fingerprint, file_print
from .options import Options
from .rasterize import Rasterized, class_ids, rasterize

if TYPE_CHECKING:
    from .writers import DatasetWriter


@dataclass(frozen=True)
class CheckedSample:
    """A labelme file that passed every check, ready to be written.

    ``fingerprint`` was taken before the files were read, so an edit made while
    the sample is in flight makes the next run convert it again.
    """

    stem: str
    source: Path
    annotation: Annotation
    class_ids: tuple[int, ...]
    image: LoadedImage
    arrays: Rasterized
    fingerprint: Fingerprint | None
    warnings: tuple[str, ...]  # what was read leniently

    @property
    def image_file(self) -> Path | None:
        """The image file, or None when the image is embedded (imageData)."""
        image = self.annotation.image
        return None if isinstance(image, bytes) else image


@dataclass(frozen=True)
class WrittenSample:
    """What a writer wrote for a sample, and what it was lenient about."""

    outputs: tuple[Path, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileResult:
    """How one input file went: its outputs, or the error that stopped it."""

    source: Path
    stem: str
    outputs: tuple[Path, ...] = ()
    error: SegConvertError | None = None
    skipped: bool = False  # unchanged since the last run: nothing was done
    image: Path | None = None  # the image file, when not embedded
    fingerprint: Fingerprint | None = None  # of the inputs, before they were read
    warnings: tuple[str, ...] = ()  # what was read leniently
    shapes: int = 0
    instances: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failure(cls, item: Input, message: str) -> FileResult:
        """The result of a file whose conversion failed outside our code (its
        worker process died)."""
        return cls(
            source=item.source,
            stem=item.stem,
            error=SegConvertError(item.source, message),
        )


def check_file(
    item: Input, options: Options, *, instances: bool, gray: bool = False
) -> CheckedSample:
    """Read, check and rasterize one labelme file as ``options`` say (with
    ``instances`` ids if asked); ``gray`` also decodes the image in gray (for
    visualizations)."""
    source = item.source
    problem = stem_problem(item.stem)
    if problem is not None:
        raise AnnotationError(source, problem)
    json_print = file_print(source)
    annotation = read_annotation(
        source,
        max_image_pixels=options.max_image_pixels,
        json_encoding=options.json_encoding,
    )
    ids = class_ids(annotation.shapes, options.labels, owner=source)
    image_file = None if isinstance(annotation.image, bytes) else annotation.image
    image_print = None if image_file is None else file_print(image_file)
    loaded = load_image(
        annotation,
        max_image_pixels=options.max_image_pixels,
        max_image_bytes=options.max_image_bytes,
        gray=gray,
    )
    width, height = loaded.size
    arrays = rasterize(
        annotation.shapes, ids, height=height, width=width, instances=instances
    )
    return CheckedSample(
        stem=item.stem,
        source=source,
        annotation=annotation,
        class_ids=tuple(ids),
        image=loaded,
        arrays=arrays,
        fingerprint=None if json_print is None else (json_print, image_print),
        warnings=annotation.warnings + image_warnings(annotation, loaded.size),
    )


def convert_file(
    item: Input, *, writer: DatasetWriter, output_dir: Path | None
) -> FileResult:
    """Check one labelme file and write it with ``writer``; never raises for a
    problem of the file. With no ``output_dir`` the file is only checked: read,
    its image opened and its shapes rasterized, nothing drawn or written."""
    started = time.perf_counter()
    try:
        result = _convert(item, writer, output_dir)
    except SegConvertError as error:
        result = FileResult(source=item.source, stem=item.stem, error=error)
    except Exception as error:  # A bug must not stop the batch; it is reported.
        message = f"unexpected error, please report it: {type(error).__name__}: {error}"
        details = traceback.format_exc().rstrip() if writer.options.debug else None
        result = FileResult(
            source=item.source,
            stem=item.stem,
            error=SegConvertError(item.source, message, details),
        )
    return dataclasses.replace(result, seconds=time.perf_counter() - started)


def _convert(item: Input, writer: DatasetWriter, output_dir: Path | None) -> FileResult:
    writing = output_dir is not None
    sample = check_file(
        item,
        writer.options,
        instances=writer.instances,
        gray=writing and writer.options.visualize,
    )
    writer.check(sample)
    written = (
        WrittenSample(outputs=())
        if output_dir is None
        else writer.write_sample(output_dir, sample)
    )
    return FileResult(
        source=item.source,
        stem=item.stem,
        outputs=written.outputs,
        warnings=sample.warnings + written.warnings,
        image=sample.image_file,
        fingerprint=sample.fingerprint,
        shapes=len(sample.annotation.shapes),
        instances=sample.arrays.object_count,
    )
