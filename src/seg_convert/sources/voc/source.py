"""VOC-style mask datasets as a sample source: one sample per class mask.

A sample's class array is its class mask (ids; 255 void); its objects come
from the instance masks or are made from the class mask (``--objects``). Its
image is ``JPEGImages/STEM.*``, which must be the mask's size. A sample's
fingerprint is one print of its masks and the reading options, and its
image's.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from seg_convert.core.errors import (
    AnnotationError,
    ImageError,
    SegConvertError,
    UsageProblem,
)
from seg_convert.core.fingerprints import Fingerprint, content_digest, file_print
from seg_convert.core.inputs import Input, InputSet, stem_problem
from seg_convert.core.interfaces import OpenedSource
from seg_convert.core.labels import VOID_INDEX, LabelTable
from seg_convert.core.options import Options
from seg_convert.core.sample import CheckedSample, Rasterized
from seg_convert.io.image_loading import load_image_from
from seg_convert.io.images import open_image
from seg_convert.sources.voc import ObjectsMode
from seg_convert.sources.voc.classes import (
    CLASS_NAMES_FILE,
    LABELMAP_FILE,
    Color,
    Labelmap,
    has_voc_palette,
    read_class_names,
    read_labelmap,
    voc2012_labels,
)
from seg_convert.sources.voc.discovery import (
    Dataset,
    VocItem,
    find_dataset,
    find_samples,
    mask_print,
)
from seg_convert.sources.voc.masks import class_ids, instance_colors, read_mask
from seg_convert.sources.voc.objects import (
    instance_labels,
    number_objects,
    sample_objects,
    void_regions,
)


@dataclass(frozen=True)
class VocReader:
    """The per-sample check: small and picklable, it runs in worker processes.
    ``colors`` maps an RGB class mask's colors to ids (None: no labelmap.txt)."""

    objects: ObjectsMode
    colors: Mapping[Color, int] | None
    salt: bytes

    def __call__(
        self, item: Input, options: Options, *, instances: bool, gray: bool = False
    ) -> CheckedSample:
        if not isinstance(item, VocItem):
            raise TypeError(f"not a VOC sample: {item!r}")
        image_file = _checked_names(item)
        fingerprint = self.fingerprint(item, image_file)
        if fingerprint is None:
            raise AnnotationError(item.source, "no such mask (or its image is gone)")
        image_digest = content_digest(image_file, max_bytes=options.max_image_bytes)
        classes, instance_values = self._masks(item, options)
        loaded = load_image_from(
            image_file,
            owner=item.source,
            what=f"the image {image_file.name}",
            declared_size=(None, None),
            declared_names=("width", "height"),
            max_image_pixels=options.max_image_pixels,
            max_image_bytes=options.max_image_bytes,
            gray=gray,
        )
        _check_same_size(item, loaded.size[::-1], classes.shape, "image")
        numbered = number_objects(classes, instance_values, self.objects)
        arrays = Rasterized(
            classes=classes,
            indices=np.where(classes < 0, VOID_INDEX, classes).astype(np.uint8),
            instances=numbered.instances if instances else None,
            instance_labels=instance_labels(numbered, options.labels.names),
        )
        return CheckedSample(
            stem=item.stem,
            source=item.source,
            image=loaded,
            image_file=image_file,
            # The masks are the arrays: read already, nothing to draw.
            rasterized=lambda: arrays,
            fingerprint=fingerprint,
            digests=(None, image_digest),
            warnings=numbered.warnings,
            objects_read=len(numbered.classes),
            split=item.split,
            ignored=void_regions(classes),
            object_list=functools.partial(sample_objects, numbered, options.labels),
        )

    def _masks(
        self, item: VocItem, options: Options
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64] | None]:
        """The class ids, and the instance mask's values when objects come
        from it."""
        limits = {
            "max_pixels": options.max_image_pixels,
            "max_bytes": options.max_image_bytes,
        }
        values = read_mask(
            item.source,
            owner=item.source,
            what="the mask",
            colors=self.colors,
            **limits,
        )
        classes = class_ids(
            values,
            class_count=len(options.labels.names),
            owner=item.source,
            what="the mask",
        )
        if item.object_mask is None or self.objects != "instances":
            return classes, None
        instance_values = read_mask(
            item.object_mask,
            owner=item.source,
            what=f"the instance mask {item.object_mask.name}",
            colors=instance_colors(),
            **limits,
        )
        _check_same_size(item, instance_values.shape, classes.shape, "instance mask")
        return classes, instance_values

    def fingerprint(self, item: VocItem, image: Path | None) -> Fingerprint | None:
        masks = (item.source, item.object_mask if self.objects == "instances" else None)
        prints = [None if path is None else file_print(path) for path in masks]
        image_print = None if image is None else file_print(image)
        if prints[0] is None or image_print is None:
            return None
        return (mask_print(item, self.salt, prints), image_print)


def _checked_names(item: VocItem) -> Path:
    """The sample's image; a stem that cannot name outputs or is no file
    name (a split list may say anything), or a missing image, is an error."""
    problem = stem_problem(item.stem)
    if problem is not None:
        raise AnnotationError(item.source, problem)
    if "/" in item.stem or "\\" in item.stem or item.stem in ("", ".", ".."):
        raise AnnotationError(
            item.source,
            f"the split list names {item.stem!r}, which is not a file name "
            "(no folders, no '..')",
        )
    if item.image is None:
        raise ImageError(item.source, f"no image {item.stem}.* in JPEGImages/")
    return item.image


def _check_same_size(
    item: VocItem, shape: tuple[int, ...], mask_shape: tuple[int, ...], what: str
) -> None:
    if tuple(shape) != tuple(mask_shape):
        height, width = mask_shape
        raise AnnotationError(
            item.source,
            f"the mask is {width}x{height} but its {what} is "
            f"{shape[1]}x{shape[0]}: they must be the same size",
        )


@dataclass(frozen=True)
class VocSource:
    """A VOC-style dataset's samples."""

    dataset: Dataset
    reader: VocReader
    items: tuple[VocItem, ...] = field(default=(), repr=False, compare=False)

    @property
    def kind(self) -> str:
        return "voc"

    @property
    def root(self) -> Path:
        return self.dataset.root

    @property
    def reads(self) -> tuple[Path, ...]:
        return (self.dataset.root,)

    @property
    def input_set(self) -> InputSet:
        return (self.dataset.root,)

    @property
    def notes(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> dict[str, Any]:
        return {
            "voc_dir": str(self.dataset.root),
            "layout": self.dataset.layout,
            "instance_masks": self.dataset.object_dir is not None,
            "objects": self.reader.objects,
            "rgb_masks_by_labelmap": self.reader.colors is not None,
        }

    @property
    def check(self) -> VocReader:
        return self.reader

    def inputs(self, *, exclude: Sequence[Path]) -> list[Input]:
        return list(find_samples(self.dataset, exclude=exclude))

    def fingerprint(self, item: Input, image: Path | None, /) -> Fingerprint | None:
        if not isinstance(item, VocItem):
            raise TypeError(f"not a VOC sample: {item!r}")
        return self.reader.fingerprint(item, image)

    def fixed_splits(self, items: Sequence[Input]) -> Mapping[str, str]:
        return {
            item.stem: item.split
            for item in items
            if isinstance(item, VocItem) and item.split is not None
        }


def open_voc(
    voc_dir: Path,
    *,
    labels: LabelTable | None = None,
    objects: ObjectsMode | None = None,
) -> tuple[VocSource, LabelTable]:
    """The dataset in ``voc_dir`` and its class table (``labels`` if given)."""
    dataset = find_dataset(voc_dir)
    labelmap_path = dataset.root / LABELMAP_FILE
    # Anything of that name is read: a pipe there is refused, not passed over.
    labelmap = read_labelmap(labelmap_path) if os.path.lexists(labelmap_path) else None
    table = labels or _found_labels(dataset, labelmap)
    colors = None if labelmap is None else labelmap.colors(table, str(labelmap_path))
    if objects is None:
        objects = "classes" if dataset.object_dir is None else "instances"
    if objects == "instances" and dataset.object_dir is None:
        raise UsageProblem(
            "--objects instances needs the instance masks (SegmentationObject/), "
            "which the dataset lacks: give components or classes"
        )
    colored = sorted([*color, value] for color, value in (colors or {}).items())
    salt = json.dumps([objects, colored]).encode()
    source = VocSource(dataset, VocReader(objects=objects, colors=colors, salt=salt))
    return source, table


def _found_labels(dataset: Dataset, labelmap: Labelmap | None) -> LabelTable:
    if labelmap is not None:
        return labelmap.table(str(dataset.root / LABELMAP_FILE))
    class_names = dataset.root / CLASS_NAMES_FILE
    if os.path.lexists(class_names):
        return read_class_names(class_names)
    if _looks_like_voc2012(dataset):
        return voc2012_labels()
    raise UsageProblem(
        f"no class table for {dataset.root}: give --labels, or put labelmap.txt or "
        "class_names.txt in the dataset (VOC 2012's classes are taken only for "
        "palette masks with its palette)"
    )


def _looks_like_voc2012(dataset: Dataset) -> bool:
    """Whether the first class mask is a palette PNG with VOC's palette whose
    indices are VOC 2012's (0..20, 255)."""
    masks = sorted(dataset.class_dir.glob("*.png"))
    if not masks:
        return False
    try:
        with open_image(masks[0], max_pixels=1 << 28, owner=masks[0]) as image:
            if image.mode != "P" or not has_voc_palette(image.getpalette()):
                return False
            found = set(np.unique(np.asarray(image)).tolist())
    except (SegConvertError, OSError, ValueError):
        return False  # an unreadable mask fails in its own check
    return found <= {*range(21), VOID_INDEX}


def open_source(params: Mapping[str, Any]) -> OpenedSource:
    """The source a ``voc2...`` command's parameters name; without --labels,
    the table the dataset gives."""
    source, table = open_voc(
        params["voc_dir"], labels=params["labels"], objects=params["objects"]
    )
    return OpenedSource(source, table if params["labels"] is None else None)
