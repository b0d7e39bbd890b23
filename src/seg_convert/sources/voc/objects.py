"""A mask sample's objects: from the instance masks (each id not 0 or 255, its
class the majority class of its pixels), or made from the class mask (each
8-connected region of a class, or each class). Objects have ``Rle`` geometry
(pycocotools' encoding of their mask); void pixels belong to no object."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pycocotools import mask as coco_mask

from seg_convert.core.labels import VOID_INDEX, LabelTable
from seg_convert.core.objects import DrawnMask, Rle, SampleObject
from seg_convert.core.outlines import TracingUnavailable, opencv
from seg_convert.sources.voc import ObjectsMode

WARNING_MIXED = (
    "instances whose pixels are of several classes: each takes its majority class"
)
WARNING_BACKGROUND = "instances wholly of background or void pixels left out"
WARNING_OUTSIDE = (
    "pixels of classes in no instance (0 in the instance mask) are in no object"
)
_MAX_COUNTED = 0xFFFF  # 16-bit masks: their values are counted, not sorted


@dataclass(frozen=True)
class Numbered:
    """(H, W) int32 instance ids 1..N (0: no object), the class of each, and
    what was read leniently."""

    instances: npt.NDArray[np.int32]
    classes: tuple[int, ...]  # of instance i + 1
    warnings: tuple[str, ...] = ()


def number_objects(
    classes: npt.NDArray[np.int32],
    instance_values: npt.NDArray[np.int64] | None,
    mode: ObjectsMode,
) -> Numbered:
    """Number the objects of a sample as ``mode`` says."""
    if mode == "instances" and instance_values is not None:
        return _from_instances(classes, instance_values)
    if mode == "components":
        return _components(classes)
    return _classes(classes)


def _from_instances(
    classes: npt.NDArray[np.int32], values: npt.NDArray[np.int64]
) -> Numbered:
    # Void pixels (either mask's) are in no object: id 0.
    ids = np.where((values == VOID_INDEX) | (classes < 0), 0, values)
    found, inverse = _ranked(np.maximum(ids, 0))
    class_count = int(classes.max(initial=0)) + 1
    # counts[i, c]: pixels of id found[i] of class c (void as class 0 here).
    counts = np.bincount(
        (inverse * class_count + np.maximum(classes, 0)).ravel(),
        minlength=len(found) * class_count,
    ).reshape(len(found), class_count)
    lookup = np.zeros(len(found), dtype=np.int32)
    kept: list[int] = []
    mixed = background = False
    for index, value in enumerate(found.tolist()):
        if value == 0:
            continue
        own = counts[index, 1:]
        if not own.any():
            background = True
            continue
        mixed |= int(np.count_nonzero(counts[index])) > 1
        kept.append(int(own.argmax()) + 1)
        lookup[index] = len(kept)
    outside = bool(((ids == 0) & (classes > 0)).any())
    warnings = (
        (WARNING_MIXED,) * mixed
        + (WARNING_BACKGROUND,) * background
        + (WARNING_OUTSIDE,) * outside
    )
    return Numbered(lookup[inverse], tuple(kept), warnings)


def _components(classes: npt.NDArray[np.int32]) -> Numbered:
    cv2: Any = opencv()
    instances = np.zeros(classes.shape, dtype=np.int32)
    kept: list[int] = []
    for class_id in _present(classes):
        count, labels = cv2.connectedComponents(
            (classes == class_id).astype(np.uint8),
            connectivity=8,
            ltype=cv2.CV_32S,
        )
        inside = labels > 0
        instances[inside] = labels[inside] + len(kept)
        kept += [class_id] * (count - 1)
    return Numbered(instances, tuple(kept))


def _classes(classes: npt.NDArray[np.int32]) -> Numbered:
    present = _present(classes)
    lookup = np.zeros(int(classes.max(initial=0)) + 1, dtype=np.int32)
    lookup[present] = np.arange(1, len(present) + 1, dtype=np.int32)
    return Numbered(lookup[np.maximum(classes, 0)], tuple(present))


def _present(classes: npt.NDArray[np.int32]) -> list[int]:
    """The class ids above 0 in ``classes``, in order."""
    counts = np.bincount(np.maximum(classes, 0).ravel(), minlength=1)
    return [int(value) for value in np.flatnonzero(counts) if value > 0]


def _ranked(
    ids: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct values of ``ids`` (>= 0) in order and each pixel's rank
    among them: ``np.unique(..., return_inverse=True)`` by counting, which is
    many times faster than its sort for the small values of mask PNGs."""
    top = int(ids.max(initial=0))
    if top > _MAX_COUNTED:
        found, inverse = np.unique(ids, return_inverse=True)
        return found, inverse.reshape(ids.shape)
    found = np.flatnonzero(np.bincount(ids.ravel(), minlength=1))
    rank = np.zeros(top + 1, dtype=np.int64)
    rank[found] = np.arange(len(found))
    return found, rank[ids]


def void_regions(classes: npt.NDArray[np.int32]) -> int:
    """The 8-connected regions of void, for formats that say what they leave
    out; without OpenCV, 1 when there is any void."""
    void = (classes < 0).astype(np.uint8)
    if not void.any():
        return 0
    try:
        cv2: Any = opencv()
    except TracingUnavailable:
        return 1
    count: int = cv2.connectedComponents(void, connectivity=8)[0]
    return count - 1


def sample_objects(numbered: Numbered, labels: LabelTable) -> list[SampleObject]:
    """Each numbered object with its RLE (Fortran-order mask, as pycocotools
    encodes it); its mask is decoded again when a format asks for pixels, so
    only one object's mask is held at a time."""
    found = []
    instances = np.asfortranarray(numbered.instances)
    for number, class_id in enumerate(numbered.classes, start=1):
        mask = (instances == number).view(np.uint8)
        rle = dict(coco_mask.encode(np.asfortranarray(mask)))
        found.append(
            SampleObject(
                number=number,
                label=labels.names[class_id],
                class_id=class_id,
                geometry=Rle(rle),
                truncated=False,
                draw=functools.partial(_drawn, rle),
            )
        )
    return found


def _drawn(rle: dict[str, Any]) -> DrawnMask:
    mask = np.asfortranarray(coco_mask.decode(rle))
    mask.setflags(write=False)
    x, y, w, h = (int(value) for value in coco_mask.toBbox(rle))
    return mask, (x, y, x + w, y + h) if w and h else None


def instance_labels(numbered: Numbered, names: Sequence[str]) -> tuple[str, ...]:
    return tuple(names[class_id] for class_id in numbered.classes)
