"""What is in a dataset: label usage, shapes, instances and pixels per class.

Works on a folder of labelme files (rasterized exactly as the converter does) or
on a converted output folder (read from its label arrays). Files are read one at
a time, so memory does not grow with the number of files.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .annotation import load_image, read_annotation
from .discovery import find_inputs
from .errors import InputError, SegConvertError
from .images import DEFAULT_MAX_PIXELS
from .labels import BACKGROUND_NAME, IGNORE_NAME, LabelTable
from .rasterize import class_ids, rasterize
from .voc import CLASS_NAMES_FILE, LAYOUTS

_NOT_CLASSES = frozenset({IGNORE_NAME, BACKGROUND_NAME})


@dataclass
class DatasetStats:
    """Counts over a dataset, filled in one file at a time."""

    source: str  # "labelme" (annotation files) or "converted" (an output folder)
    images: int = 0
    failed: list[str] = field(default_factory=list)
    shapes_per_type: Counter[str] = field(default_factory=Counter)
    instances: int = 0
    pixels_per_class: Counter[str] = field(default_factory=Counter)
    images_per_class: Counter[str] = field(default_factory=Counter)

    @property
    def total_pixels(self) -> int:
        return sum(self.pixels_per_class.values())

    @property
    def ignore_share(self) -> float:
        total = self.total_pixels
        return self.pixels_per_class[IGNORE_NAME] / total if total else 0.0

    def add_label_array(
        self, classes: npt.NDArray[np.int32], names: tuple[str, ...]
    ) -> None:
        """Count an (H, W) class array whose id ``i`` is ``names[i]`` (-1: ignore)."""
        counts = np.bincount(classes.ravel() + 1, minlength=len(names) + 1).tolist()
        for name, count in zip((IGNORE_NAME, *names), counts, strict=False):
            if count:
                self.pixels_per_class[name] += count
                self.images_per_class[name] += 1

    def as_dict(self) -> dict[str, Any]:
        """The counts as plain JSON-ready values, classes by pixel count."""
        classes = sorted(self.pixels_per_class, key=lambda n: -self.pixels_per_class[n])
        return {
            "source": self.source,
            "images": self.images,
            "failed": self.failed,
            "shapes_per_type": dict(sorted(self.shapes_per_type.items())),
            "instances": self.instances,
            "total_pixels": self.total_pixels,
            "ignore_share": round(self.ignore_share, 6),
            "classes": [
                {
                    "name": name,
                    "pixels": self.pixels_per_class[name],
                    "images": self.images_per_class[name],
                }
                for name in classes
            ],
        }


@dataclass(frozen=True)
class LabelUsage:
    """How often each label is used: in how many shapes and in how many files."""

    shapes: Counter[str]
    files: Counter[str]
    failed: tuple[str, ...]

    def labels_file_names(self) -> list[str]:
        """A labels table for these labels: the two fixed lines, then sorted."""
        return [IGNORE_NAME, BACKGROUND_NAME, *sorted(set(self.shapes) - _NOT_CLASSES)]


def is_converted(folder: Path) -> bool:
    """Whether ``folder`` is a converter output (it has ``class_names.txt``)."""
    return (folder / CLASS_NAMES_FILE).is_file()


def annotation_stats(
    input_dir: Path,
    *,
    labels: LabelTable | None = None,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
) -> DatasetStats:
    """Stats of a folder of labelme files, rasterized as the converter does.

    Without ``labels`` every label counts; with them, a file with a label not in
    the table is counted as failed, as the converter would fail it.
    """
    stats = DatasetStats(source="labelme")
    for path in (item.source for item in find_inputs(input_dir)):
        try:
            annotation = read_annotation(path, max_image_pixels=max_image_pixels)
            table = labels or LabelTable(
                (
                    BACKGROUND_NAME,
                    *sorted({s.label for s in annotation.shapes} - _NOT_CLASSES),
                )
            )
            ids = class_ids(annotation.shapes, table, owner=path)
            loaded = load_image(annotation, max_image_pixels=max_image_pixels)
        except SegConvertError as error:
            stats.failed.append(str(error))
            continue
        width, height = loaded.size
        arrays = rasterize(annotation.shapes, ids, height=height, width=width)
        stats.images += 1
        stats.shapes_per_type.update(s.shape_type for s in annotation.shapes)
        stats.instances += arrays.object_count
        stats.add_label_array(arrays.classes, table.names)
    return stats


def converted_stats(output_dir: Path) -> DatasetStats:
    """Stats of a converted dataset, from its .npy label arrays (either layout)."""
    table = _read_class_names(output_dir / CLASS_NAMES_FILE)
    layout = next(
        (
            layout
            for layout in LAYOUTS.values()
            if any((output_dir / layout.class_npy).glob("*.npy"))
        ),
        None,
    )
    if layout is None:
        raise InputError(output_dir, "has class_names.txt but no label arrays (*.npy)")
    stats = DatasetStats(source="converted")
    for path in sorted((output_dir / layout.class_npy).glob("*.npy")):
        try:
            classes = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            stats.failed.append(f"{path}: cannot read: {error}")
            continue
        stats.images += 1
        stats.add_label_array(classes, table)
        objects = output_dir / layout.object_npy / path.name
        if objects.is_file():
            instances = np.load(objects, allow_pickle=False)
            stats.instances += len(np.unique(instances[instances > 0]))
    return stats


def _read_class_names(path: Path) -> tuple[str, ...]:
    # class_names.txt: the names in id order, from background on.
    try:
        return tuple(path.read_text("utf-8").splitlines())
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, f"cannot read: {error}") from None


def label_usage(
    input_dir: Path, *, max_image_pixels: int = DEFAULT_MAX_PIXELS
) -> LabelUsage:
    """Count the labels used in a folder of labelme files (images not decoded)."""
    shapes: Counter[str] = Counter()
    files: Counter[str] = Counter()
    failed = []
    for path in (item.source for item in find_inputs(input_dir)):
        try:
            annotation = read_annotation(path, max_image_pixels=max_image_pixels)
        except SegConvertError as error:
            failed.append(str(error))
            continue
        used = [shape.label for shape in annotation.shapes]
        shapes.update(used)
        files.update(set(used))
    return LabelUsage(shapes=shapes, files=files, failed=tuple(failed))
