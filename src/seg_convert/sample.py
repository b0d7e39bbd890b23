"""One input sample: checked into a ``CheckedSample``, then handed to a writer.

Checking (read -> class ids -> image -> rasterize) is apart from writing, so
``validate`` and ``stats`` run exactly the checks a conversion runs. A sample
source (see ``sources``) supplies the check: ``check_file`` for labelme files,
others for other inputs; writers see only what every source provides. Everything
here runs in a worker process when the batch runs in parallel, so what goes in
and out (the check, the writer, results, errors) is small and picklable.
"""

from __future__ import annotations

import dataclasses
import functools
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .annotation import (
    Annotation,
    LoadedImage,
    Shape,
    image_warnings,
    load_image,
    read_annotation,
)
from .discovery import Input, stem_problem
from .errors import AnnotationError, SegConvertError
from .fingerprints import NO_DIGESTS, Digests, Fingerprint, content_digest, file_print
from .instance_masks import Instance, instance_masks
from .options import Options
from .rasterize import Rasterized, class_ids, rasterize

if TYPE_CHECKING:
    from .writers import DatasetWriter


@dataclass(frozen=True)
class CheckedSample:
    """A sample that passed every check, ready to be written.

    What every source provides comes first; ``annotation`` and ``class_ids``
    (the class of each of its shapes) are there for labelme files only, for the
    writers that draw objects from shapes. ``fingerprint`` was taken before the
    inputs were read, so an edit made while the sample is in flight makes the
    next run convert it again.
    """

    stem: str
    source: Path
    image: LoadedImage
    image_file: Path | None  # None when the image is embedded (imageData)
    arrays: Rasterized
    fingerprint: Fingerprint | None
    warnings: tuple[str, ...]  # what was read leniently
    objects_read: int  # shapes or annotations, for the report
    digests: Digests = NO_DIGESTS  # of the input files, taken with the fingerprint
    # Which part of ``source`` the sample is, for messages (COCO: "image 139
    # (000000000139.jpg)"); None when it is the whole file.
    where: str | None = None
    annotation: Annotation | None = None
    class_ids: tuple[int, ...] = ()
    # Each object's own mask, whole (not cut by later objects), made only when a
    # writer asks: VOC's boxes and COCO's annotations need them.
    object_masks: Callable[[], Sequence[Instance]] | None = field(
        default=None, repr=False, compare=False
    )

    def objects(self) -> Sequence[Instance]:
        """The sample's objects (not ``__ignore__`` or ``_background_``), by id."""
        if self.object_masks is None:
            raise ValueError(f"{self.stem}: its source gives no object masks")
        return self.object_masks()

    def shapes(self) -> tuple[Shape, ...]:
        """The labelme shapes; raises ValueError for a sample of another source."""
        if self.annotation is None:
            raise ValueError(f"{self.stem}: not a labelme sample, it has no shapes")
        return self.annotation.shapes


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
    digests: Digests = NO_DIGESTS
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


class Check(Protocol):
    """Read, check and rasterize one input as ``options`` say (with
    ``instances`` ids if asked); ``gray`` also decodes the image in gray (for
    visualizations). Picklable: it runs in worker processes."""

    def __call__(
        self, item: Input, options: Options, *, instances: bool, gray: bool = False
    ) -> CheckedSample: ...


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
    json_digest = content_digest(source)
    annotation = read_annotation(
        source,
        max_image_pixels=options.max_image_pixels,
        json_encoding=options.json_encoding,
    )
    ids = class_ids(annotation.shapes, options.labels, owner=source)
    image_file = None if isinstance(annotation.image, bytes) else annotation.image
    image_print = None if image_file is None else file_print(image_file)
    image_digest = content_digest(image_file)
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
        image=loaded,
        image_file=image_file,
        arrays=arrays,
        fingerprint=None if json_print is None else (json_print, image_print),
        digests=(json_digest, image_digest),
        warnings=annotation.warnings + image_warnings(annotation, loaded.size),
        objects_read=len(annotation.shapes),
        annotation=annotation,
        class_ids=tuple(ids),
        object_masks=functools.partial(
            instance_masks, annotation.shapes, ids, height=height, width=width
        ),
    )


def convert_file(
    item: Input,
    *,
    writer: DatasetWriter,
    output_dir: Path | None,
    check: Check = check_file,
) -> FileResult:
    """Check one input with ``check`` (a labelme file's by default) and write it
    with ``writer``; never raises for a problem of the input. With no
    ``output_dir`` it is only checked: read, its image opened and its shapes
    rasterized, nothing drawn or written."""
    started = time.perf_counter()
    try:
        result = _convert(item, writer, output_dir, check)
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


def _convert(
    item: Input, writer: DatasetWriter, output_dir: Path | None, check: Check
) -> FileResult:
    writing = output_dir is not None
    sample = check(
        item,
        writer.options,
        instances=writer.instances,
        gray=writing and writer.options.visualize,
    )
    try:
        writer.check(sample)
    except SegConvertError as error:
        if sample.where is None:
            raise
        raise type(error)(error.path, f"{sample.where}: {error.message}") from None
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
        digests=sample.digests,
        shapes=sample.objects_read,
        instances=sample.arrays.object_count,
    )
