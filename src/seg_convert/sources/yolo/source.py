"""A YOLO dataset as a sample source: one sample per image.

Its classes are data.yaml's names (or ``--labels``): YOLO class k is class id
k + 1, after ``_background_``, as labelme2yolo writes them. Each row is an
object (``label_lines``) whose geometry is its polygon in pixels (a box its 4
corners), painted in row order, later over earlier, with Pillow as labelme
paints a polygon (filled, outline included).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from seg_convert.core.colormap import VOID_INDEX
from seg_convert.core.errors import AnnotationError, InputError, UsageProblem
from seg_convert.core.files import FileRefused, read_regular, reason
from seg_convert.core.fingerprints import (
    Fingerprint,
    content_digest,
    fingerprint,
)
from seg_convert.core.inputs import Input, InputSet, stem_problem
from seg_convert.core.interfaces import OpenedSource
from seg_convert.core.labels import (
    BACKGROUND_NAME,
    IGNORE_ID,
    IGNORE_NAME,
    LabelTable,
    parse_labels,
)
from seg_convert.core.objects import DrawnMask, Polygons, SampleObject
from seg_convert.core.options import Options
from seg_convert.core.sample import CheckedSample, Rasterized
from seg_convert.io.image_loading import load_image_from
from seg_convert.sources.yolo.data_yaml import YamlError, read_data_yaml
from seg_convert.sources.yolo.discovery import (
    YoloImage,
    dataset_root,
    folder_images,
    unique_stems,
    yaml_images,
)
from seg_convert.sources.yolo.label_lines import LabelLineError, read_rows

DATA_YAML = "data.yaml"
Flat = tuple[float, ...]


# A label file: a line a few hundred bytes an object; far more is not one.
MAX_LABEL_BYTES = 1 << 26


def check_image(
    item: Input, options: Options, *, instances: bool, gray: bool = False
) -> CheckedSample:
    """Read one image's label file and its image; paint its rows."""
    if not isinstance(item, YoloImage):
        raise TypeError(f"not a YOLO image: {item!r}")
    problem = stem_problem(item.stem)
    if problem is not None:
        raise AnnotationError(item.image, problem)
    prints = fingerprint(item.source, item.image)
    digests = (
        content_digest(item.source, max_bytes=MAX_LABEL_BYTES),
        content_digest(item.image, max_bytes=options.max_image_bytes),
    )
    if prints is None:
        raise AnnotationError(item.source, "was deleted or moved since it was found")
    text = "" if item.source == item.image else _label_text(item.source)
    loaded = load_image_from(
        item.image,
        owner=item.source,
        what=f"the image {item.image.name}",
        declared_size=(None, None),
        declared_names=("width", "height"),
        max_image_pixels=options.max_image_pixels,
        max_image_bytes=options.max_image_bytes,
        gray=gray,
    )
    names = options.labels.names
    try:
        rows, warnings = read_rows(text, classes=len(names) - 1)
    except LabelLineError as error:
        raise AnnotationError(item.source, str(error)) from None
    width, height = loaded.size
    parts = [_pixels(row.polygon, width, height) for row in rows]
    ids = [row.yolo_class + 1 for row in rows]
    if item.yaml_split is not None and item.yaml_split != item.split:
        warnings.add(
            f"images of data.yaml's {item.yaml_split} split written in {item.split} "
            "(this release has no such split)"
        )
    return CheckedSample(
        stem=item.stem,
        source=item.source,
        image=loaded,
        image_file=item.image,
        rasterized=functools.partial(
            paint, parts, ids, names, height=height, width=width, instances=instances
        ),
        fingerprint=prints,
        digests=digests,
        warnings=tuple(sorted(warnings)),
        objects_read=len(rows),
        shape_types=tuple("rectangle" if row.box else "polygon" for row in rows),
        split=item.split,
        object_list=functools.partial(
            sample_objects, tuple(parts), tuple(ids), names, height=height, width=width
        ),
    )


def _label_text(path: Path) -> str:
    """A label file, checked to be a regular file of at most
    ``MAX_LABEL_BYTES`` before it is read (a pipe must not hang the run)."""
    try:
        return read_regular(path, max_bytes=MAX_LABEL_BYTES).decode("utf-8-sig")
    except FileRefused as error:
        raise AnnotationError(path, str(error.strerror)) from None
    except OSError as error:
        raise AnnotationError(path, f"cannot read: {reason(error)}") from None
    except UnicodeDecodeError:
        raise AnnotationError(path, "is not UTF-8 text") from None


def _pixels(polygon: Flat, width: int, height: int) -> Flat:
    scale = np.tile([float(width), float(height)], len(polygon) // 2)
    return tuple((np.array(polygon, dtype=np.float64) * scale).tolist())


def paint(
    parts: Sequence[Flat],
    ids: Sequence[int],
    names: Sequence[str],
    *,
    height: int,
    width: int,
    instances: bool,
) -> Rasterized:
    """The rows painted in order with Pillow (filled, outline included, as
    labelme draws a polygon): class ids and, with ``instances``, row numbers."""
    canvas = Image.new("I", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for number, (part, class_id) in enumerate(zip(parts, ids, strict=True), start=1):
        ink = (number << 8 if instances else 0) | class_id
        draw.polygon(_points(part), fill=ink, outline=ink)
    drawn = np.asarray(canvas, dtype=np.int32)
    indices = (drawn & 0xFF).astype(np.uint8)
    classes = indices.astype(np.int32)
    classes[indices == VOID_INDEX] = IGNORE_ID
    return Rasterized(
        classes=classes,
        indices=indices,
        instances=(drawn >> 8) if instances else None,
        instance_labels=tuple(names[class_id] for class_id in ids),
    )


def sample_objects(
    parts: Sequence[Flat],
    ids: Sequence[int],
    names: Sequence[str],
    *,
    height: int,
    width: int,
) -> list[SampleObject]:
    return [
        SampleObject(
            number=number,
            label=names[class_id],
            class_id=class_id,
            geometry=Polygons((part,)),
            truncated=False,
            draw=functools.partial(polygon_mask, part, height=height, width=width),
        )
        for number, (part, class_id) in enumerate(zip(parts, ids, strict=True), 1)
    ]


def polygon_mask(part: Flat, *, height: int, width: int) -> DrawnMask:
    canvas = Image.new("L", (width, height), 0)
    ImageDraw.Draw(canvas).polygon(_points(part), fill=1, outline=1)
    mask = np.asfortranarray(np.asarray(canvas, dtype=np.uint8))
    mask.setflags(write=False)
    return mask, canvas.getbbox()


def _points(part: Flat) -> list[tuple[float, float]]:
    return list(zip(part[::2], part[1::2], strict=True))


@dataclass(frozen=True)
class YoloSource:
    """A YOLO dataset: data.yaml's splits, or a folder of images and labels."""

    yolo_dir: Path
    images: tuple[YoloImage, ...]
    yaml_file: Path | None
    dataset_root: Path | None = None  # data.yaml's root, which may be elsewhere

    @property
    def kind(self) -> str:
        return "yolo"

    @property
    def root(self) -> Path:
        return self.yolo_dir

    @property
    def reads(self) -> tuple[Path, ...]:
        others = () if self.dataset_root is None else (self.dataset_root,)
        return (self.yolo_dir, *others)

    @property
    def input_set(self) -> InputSet:
        others = () if self.dataset_root is None else (self.dataset_root,)
        return (self.yolo_dir, *others)

    @property
    def notes(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> dict[str, Any]:
        yaml = None if self.yaml_file is None else str(self.yaml_file)
        return {"yolo_dir": str(self.yolo_dir), "data_yaml": yaml}

    @property
    def check(self) -> Any:
        return check_image

    def inputs(self, *, exclude: Sequence[Path]) -> list[Input]:
        """Every image but those in the run's own outputs (an OUTPUT_DIR in
        a split's folder)."""
        outside = [path.resolve() for path in exclude]
        return list(
            unique_stems(
                [
                    item
                    for item in self.images
                    if not any(item.image.resolve().is_relative_to(o) for o in outside)
                ]
            )
        )

    def fingerprint(self, item: Input, image: Path | None, /) -> Fingerprint | None:
        if not isinstance(item, YoloImage):
            raise TypeError(f"not a YOLO image: {item!r}")
        return fingerprint(item.source, item.image)

    def fixed_splits(self, items: Sequence[Input]) -> Mapping[str, str]:
        return {
            item.stem: item.split
            for item in items
            if isinstance(item, YoloImage) and item.split is not None
        }


def open_source(params: Mapping[str, Any]) -> OpenedSource:
    """The source a ``yolo2...`` command's parameters name."""
    return open_yolo(params["yolo_dir"], labels=params["labels"])


def open_yolo(folder: Path, *, labels: LabelTable | None = None) -> OpenedSource:
    """The YOLO dataset in ``folder`` and its classes: data.yaml's names
    unless ``labels`` is given (needed for a folder without data.yaml)."""
    yaml_file = folder / DATA_YAML
    # Anything named data.yaml is read (a pipe or a folder there is refused
    # with its reason, not taken for a dataset without one).
    if not os.path.lexists(yaml_file):
        if labels is None:
            raise UsageProblem(f"{folder} has no {DATA_YAML}: give --labels")
        return OpenedSource(
            YoloSource(folder, tuple(folder_images(folder)), None), labels
        )
    try:
        yaml = read_data_yaml(yaml_file)
    except YamlError as error:
        raise InputError(yaml_file, str(error)) from None
    images = tuple(yaml_images(yaml, yaml_file))
    if labels is None:
        labels = parse_labels(
            [IGNORE_NAME, BACKGROUND_NAME, *yaml.names],
            where=str(yaml_file),
            unit="name",
        )
    root = dataset_root(yaml, yaml_file)
    return OpenedSource(YoloSource(folder, images, yaml_file, root), labels)
