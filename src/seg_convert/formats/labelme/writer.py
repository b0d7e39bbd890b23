"""Writing labelme files, as labelme 5.x and 6.x read them.

Layout (flat, no folders)::

    NAME.json     labelme's schema; imagePath NAME.jpg, imageData null
    NAME.jpg      the image (a baseline RGB JPEG copied as is)

Objects are written in the order the source painted them (``paint_order``),
each as the shapes of ``shapes.object_shapes``; several shapes of one object
share a group_id (the object's number), a single shape has none. What the
source paints but no object explains — void (``__ignore__`` regions, crowds
painted void) and crowds painted with their class — comes last: one shape per
class of the pixels that show it, ``__ignore__`` for void, so labelme2voc of
the file paints the source's class array again.

``version`` is ``5.3.0``: the first labelme whose schema has everything written
here (mask shapes, description). labelme 6.3.1 reads any version (its reader
never looks at it) and writes its own on save; labelme 5.x warns about a file
of another major version, which 6.x's own files are.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from seg_convert.core.errors import SegConvertError
from seg_convert.core.interfaces import OutputFormat
from seg_convert.core.labels import IGNORE_ID, IGNORE_NAME
from seg_convert.core.objects import Box, SampleObject
from seg_convert.core.options import LABELME, Options
from seg_convert.core.outlines import TracingUnavailable
from seg_convert.core.sample import CheckedSample, WrittenSample
from seg_convert.formats.labelme.shapes import ShapeDict, object_shapes, region_shapes
from seg_convert.io.dataset_files import dataset_jpeg, write_files

VERSION = "5.3.0"
WARNING_EMPTY = "objects with no pixel inside the image left out"


def owns(path: str, stem: str) -> bool:
    """Whether ``path`` (relative, POSIX) is a file of sample ``stem``:
    ``STEM.json`` or ``STEM.jpg`` at the top of OUTPUT_DIR."""
    return path in (f"{stem}.json", f"{stem}.jpg")


def remove_dataset_files(root: Path) -> None:
    """labelme files have no once-per-dataset file."""


@dataclass(frozen=True)
class LabelmeWriter:
    """labelme files of the run's options (``options.labelme_shapes``)."""

    options: Options
    format: str = field(default=LABELME, init=False)

    @property
    def instances(self) -> bool:
        return True  # what no object explains is found by its instance 0

    def dataset_dirs(self, splits: Sequence[str]) -> list[str]:
        return []  # the files are at the top, and labelme has no splits

    def check(self, sample: CheckedSample) -> None:
        """A labelme file holds any number of objects of any class."""

    def write_sample(self, root: Path, sample: CheckedSample) -> WrittenSample:
        stem = sample.stem
        try:
            shapes, warnings = self._shapes(sample)
        except TracingUnavailable as error:
            where = "" if sample.where is None else f"{sample.where}: "
            raise SegConvertError(sample.source, f"{where}{error}") from None
        width, height = sample.image.size
        document = label_file(shapes, image_path=f"{stem}.jpg", size=(width, height))
        files = [
            (root / f"{stem}.json", document),
            (root / f"{stem}.jpg", dataset_jpeg(sample.image.rgb, sample.image.jpeg)),
        ]
        write_files(files, root=root)
        return WrittenSample(
            outputs=tuple(path for path, _ in files), warnings=tuple(sorted(warnings))
        )

    def _shapes(self, sample: CheckedSample) -> tuple[list[ShapeDict], set[str]]:
        mode = self.options.labelme_shapes
        shapes: list[ShapeDict] = []
        warnings: set[str] = set()
        instances = sample.arrays.instances
        if instances is None:
            raise ValueError("labelme files need the instance array")
        for item in paint_order(sample.objects(), instances):
            found, warning = object_shapes(item, mode=mode, group_id=item.number)
            if not found:
                warnings.add(WARNING_EMPTY)
            if warning is not None:
                warnings.add(warning)
            shapes += found
        for label, mask, box in self._unexplained(sample):
            found, warning = region_shapes(mask, box, label, mode=mode)
            if warning is not None:
                warnings.add(warning)
            shapes += found
        return shapes, warnings

    def _unexplained(
        self, sample: CheckedSample
    ) -> list[tuple[str, npt.NDArray[np.uint8], Box]]:
        """The pixels painted that no object shows (void, crowds), per class
        (void last), as (label, mask, box)."""
        classes, instances = sample.arrays.classes, sample.arrays.instances
        if instances is None:
            raise ValueError("labelme files need the instance array")
        left = (instances == 0) & (classes != 0)
        if not left.any():
            return []
        values = sorted(np.unique(classes[left]).tolist(), key=lambda v: v == IGNORE_ID)
        names = self.options.labels.names
        found = []
        for value in values:
            mask = (left & (classes == value)).astype(np.uint8)
            rows, columns = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
            box = (
                int(columns[0]),
                int(rows[0]),
                int(columns[-1]) + 1,
                int(rows[-1]) + 1,
            )
            label = IGNORE_NAME if value == IGNORE_ID else names[value]
            found.append((label, mask, box))
        return found

    def write_dataset(
        self, root: Path, *, splits: Mapping[str, Sequence[str]], complete: bool
    ) -> tuple[str, ...]:
        return ()


def paint_order(
    objects: Sequence[SampleObject], instances: npt.NDArray[np.int32]
) -> list[SampleObject]:
    """``objects`` in an order labelme can paint them in to show what the
    source shows: each before every object seen over its mask (the source
    painted it later: COCO ``--order area``), else by number. Objects that
    cover each other both ways (none a source paints) stay in number order."""
    by_number = {item.number: item for item in objects}
    above: dict[int, set[int]] = {number: set() for number in by_number}
    for item in objects:
        if item.box is None:
            continue
        x0, y0, x1, y1 = item.box
        inside = item.mask[y0:y1, x0:x1].astype(bool)
        seen = np.unique(instances[y0:y1, x0:x1][inside]).tolist()
        above[item.number] = {n for n in seen if n in by_number and n != item.number}
    below = {n: {m for m in above if n in above[m]} for n in above}
    ready = [n for n in sorted(above) if not below[n]]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        number = heapq.heappop(ready)
        order.append(number)
        for other in above[number]:
            below[other].discard(number)
            if not below[other]:
                heapq.heappush(ready, other)
    if len(order) != len(above):
        return sorted(objects, key=lambda item: item.number)
    return [by_number[number] for number in order]


def label_file(
    shapes: Sequence[ShapeDict], *, image_path: str, size: tuple[int, int]
) -> bytes:
    """A labelme file's bytes: its keys in labelme's order, UTF-8, indented as
    labelme indents them."""
    width, height = size
    document: dict[str, Any] = {
        "version": VERSION,
        "flags": {},
        "shapes": list(shapes),
        "imagePath": image_path,
        "imageData": None,
        "imageHeight": height,
        "imageWidth": width,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


OUTPUT_FORMAT = OutputFormat(
    name=LABELME,
    writer=LabelmeWriter,
    folders=frozenset(),  # files at the top of OUTPUT_DIR only
    owns=owns,
    remove_dataset_files=remove_dataset_files,
    writes_splits=False,
)
