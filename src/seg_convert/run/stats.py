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

from seg_convert.core.colormap import VOID_INDEX
from seg_convert.core.errors import ImageError, InputError, SegConvertError, one_line
from seg_convert.core.files import read_regular, reason
from seg_convert.core.labels import (
    BACKGROUND_NAME,
    IGNORE_ID,
    IGNORE_NAME,
    MAX_LABELS_BYTES,
    LabelTable,
)
from seg_convert.core.limits import DEFAULT_MAX_PIXELS
from seg_convert.core.options import Options
from seg_convert.formats.voc.writer import CLASS_NAMES_FILE, LAYOUTS, Layout
from seg_convert.io.images import open_image
from seg_convert.io.label_arrays import load_label_npy
from seg_convert.sources.labelme.annotation import read_annotation
from seg_convert.sources.labelme.discovery import find_inputs
from seg_convert.sources.labelme.source import check_file

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
        self, classes: npt.NDArray[np.signedinteger[Any]], names: tuple[str, ...]
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

    def table(self) -> LabelTable:
        """The class table of ``labels_file_names``."""
        return LabelTable(tuple(self.labels_file_names()[1:]))


def is_converted(folder: Path) -> bool:
    """Whether ``folder`` is a converter output (it has ``class_names.txt``)."""
    return (folder / CLASS_NAMES_FILE).is_file()


def annotation_stats(input_dir: Path, options: Options) -> DatasetStats:
    """Stats of a folder of labelme files, found, read and rasterized exactly as
    the converter does with these ``options`` (the converter's own per-file
    check): a file the converter would fail counts as failed."""
    stats = DatasetStats(source="labelme")
    found = find_inputs(
        input_dir, recursive=options.recursive, flatten_names=options.flatten_names
    )
    for item in found:
        try:
            sample = check_file(item, options, instances=False)
        except SegConvertError as error:
            stats.failed.append(str(error))
            continue
        stats.images += 1
        stats.shapes_per_type.update(sample.shape_types)
        stats.instances += sample.arrays.object_count
        stats.add_label_array(sample.arrays.classes, options.labels.names)
    return stats


def converted_stats(output_dir: Path) -> DatasetStats:
    """Stats of a converted dataset, from its .npy label arrays (either layout),
    or from its palette PNGs when it was written with --no-npy.

    An array that is not one of class ids, or holds an id ``class_names.txt``
    does not name, counts as a failed file: its pixels would be miscounted.
    """
    table = _read_class_names(output_dir / CLASS_NAMES_FILE)
    found = _label_files(output_dir)
    if found is None:
        raise InputError(
            output_dir, "has class_names.txt but no label arrays (*.npy or *.png)"
        )
    layout, suffix = found
    class_dir, object_dir = (
        (layout.class_npy, layout.object_npy)
        if suffix == ".npy"
        else (layout.class_png, layout.object_png)
    )
    stats = DatasetStats(source="converted")
    for path in sorted((output_dir / class_dir).glob(f"*{suffix}")):
        objects = output_dir / object_dir / path.name
        try:
            classes = _load_label_array(path)
            _check_class_ids(path, classes, table)
            instances = _load_label_array(objects) if objects.is_file() else None
        except SegConvertError as error:
            stats.failed.append(str(error))
            continue
        stats.images += 1
        stats.add_label_array(classes, table)
        if instances is not None:
            stats.instances += len(np.unique(instances[instances > 0]))
    return stats


def _label_files(output_dir: Path) -> tuple[Layout, str] | None:
    """Which layout's label files a dataset has: the .npy arrays if it has
    them, else the palette PNGs."""
    for suffix in (".npy", ".png"):
        for layout in LAYOUTS.values():
            folder = layout.class_npy if suffix == ".npy" else layout.class_png
            if any((output_dir / folder).glob(f"*{suffix}")):
                return layout, suffix
    return None


def _load_label_array(path: Path) -> npt.NDArray[np.int64]:
    """An (H, W) integer array, as the converter writes its label arrays (in a
    palette PNG, 255 is void: the ignore id)."""
    try:
        if path.suffix == ".png":
            with open_image(path, max_pixels=DEFAULT_MAX_PIXELS, owner=path) as image:
                if image.mode != "P":
                    raise ValueError(f"a {image.mode} image, not a palette PNG")
                indices = np.asarray(image).astype(np.int64)
            return np.where(indices == VOID_INDEX, IGNORE_ID, indices)
        array = load_label_npy(path, max_pixels=DEFAULT_MAX_PIXELS)
    except ImageError as error:
        raise InputError(path, error.message) from None
    except (OSError, ValueError) as error:
        raise InputError(path, f"cannot read: {one_line(str(error))}") from None
    if (
        not isinstance(array, np.ndarray)
        or array.dtype.kind not in "iu"
        or array.ndim != 2
    ):
        raise InputError(
            path,
            f"not a label array: {array.ndim}-D {array.dtype} (the converter writes "
            "2-D integer ids)",
        )
    return array.astype(np.int64, copy=False)


def _check_class_ids(
    path: Path, classes: npt.NDArray[np.int64], names: tuple[str, ...]
) -> None:
    unknown = np.unique(classes[(classes < IGNORE_ID) | (classes >= len(names))])
    if unknown.size:
        shown = ", ".join(str(v) for v in unknown[:5].tolist())
        more = f" and {unknown.size - 5} more" if unknown.size > 5 else ""
        raise InputError(
            path,
            f"holds class ids {shown}{more} that class_names.txt does not have "
            f"(it names ids 0 to {len(names) - 1}; -1 is ignore)",
        )


def _read_class_names(path: Path) -> tuple[str, ...]:
    # class_names.txt: the names in id order, from background on.
    try:
        data = read_regular(path, max_bytes=MAX_LABELS_BYTES)
        return tuple(data.decode("utf-8").splitlines())
    except OSError as error:
        raise InputError(path, f"cannot read: {reason(error)}") from None
    except UnicodeDecodeError as error:
        raise InputError(path, f"cannot read: {error}") from None


def label_usage(
    input_dir: Path,
    *,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    recursive: bool = False,
    flatten_names: bool = False,
    json_encoding: str | None = None,
) -> LabelUsage:
    """Count the labels used in a folder of labelme files (images not decoded)."""
    shapes: Counter[str] = Counter()
    files: Counter[str] = Counter()
    failed = []
    found = find_inputs(input_dir, recursive=recursive, flatten_names=flatten_names)
    for path in (item.source for item in found):
        try:
            annotation = read_annotation(
                path, max_image_pixels=max_image_pixels, json_encoding=json_encoding
            )
        except SegConvertError as error:
            failed.append(str(error))
            continue
        used = [shape.label for shape in annotation.shapes]
        shapes.update(used)
        files.update(set(used))
    return LabelUsage(shapes=shapes, files=files, failed=tuple(failed))
