"""COCO segmentations to masks, decoded by pycocotools as ``COCO.annToMask``
decodes them, and painted into label arrays.

pycocotools reads polygons (several parts merged into one mask), uncompressed
RLE (``counts`` a list) and compressed RLE (``counts`` a string). It does not
check what it is given: a polygon of four numbers is taken for a box, and RLE
counts that stop short of the image leave the rest of the mask undefined (the
bytes of whatever memory it got). So every segmentation is checked here first,
and one that pycocotools would misread fails with the reason.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pycocotools import mask as coco_mask

from seg_convert.core.colormap import VOID_INDEX
from seg_convert.core.labels import IGNORE_ID
from seg_convert.core.objects import DrawnMask, Geometry, Polygons, Rle, SampleObject
from seg_convert.core.sample import Rasterized

RleDict = dict[str, Any]
MIN_POLYGON_NUMBERS = 6  # three points


class SegmentationError(ValueError):
    """A segmentation pycocotools would misread or refuse; the message says why."""


def segmentation_rle(segmentation: object, *, height: int, width: int) -> RleDict:
    """The compressed RLE of a COCO ``segmentation`` on a ``height`` x ``width``
    image, made by pycocotools as ``COCO.annToRLE`` makes it."""
    if isinstance(segmentation, list):
        _check_polygons(segmentation, height=height, width=width)
        return dict(coco_mask.merge(coco_mask.frPyObjects(segmentation, height, width)))
    if not isinstance(segmentation, dict):
        raise SegmentationError(
            "'segmentation' must be polygons (a list of lists of numbers) or an "
            f"RLE object, got {_kind(segmentation)}"
        )
    size, counts = segmentation.get("size"), segmentation.get("counts")
    if size != [height, width]:
        raise SegmentationError(
            f"RLE size {size!r} is not the image's [height, width] [{height}, {width}]"
        )
    if isinstance(counts, list):
        _check_counts(counts, height * width)
        return dict(coco_mask.frPyObjects(segmentation, height, width))
    if not isinstance(counts, str | bytes):
        raise SegmentationError(
            f"RLE counts must be a list or a string, got {_kind(counts)}"
        )
    _check_counts_text(counts)
    rle = {"size": [height, width], "counts": counts}
    _check_compressed(rle, height * width)
    return rle


def decode(rle: RleDict) -> npt.NDArray[np.bool_]:
    """The (H, W) mask of an RLE that ``segmentation_rle`` made, column-major
    as pycocotools decodes it."""
    mask: npt.NDArray[np.bool_] = coco_mask.decode(rle).view(bool)  # 0 or 1
    return mask


def area(rle: RleDict) -> int:
    """The number of pixels of an RLE's mask."""
    return int(coco_mask.area(rle))


@dataclass(frozen=True)
class Region:
    """One annotation to paint: its RLE, class id (-1: void) and instance
    number (0: none, as for crowds)."""

    rle: RleDict
    class_id: int
    number: int
    label: str
    # The annotation's polygons as the file gives them, when it gives polygons.
    polygons: tuple[tuple[float, ...], ...] | None = None


def paint(
    regions: Sequence[Region], *, height: int, width: int, instances: bool
) -> Rasterized:
    """Paint ``regions`` in order, later over earlier, into class ids and, with
    ``instances``, instance ids (0 where the class is void, as labelme's
    instance example has it)."""
    # pycocotools decodes column-major masks: canvases in the same order are
    # painted in one pass over memory, and turned row-major once at the end.
    indices = np.zeros((height, width), dtype=np.uint8, order="F")
    objects = (
        np.zeros((height, width), dtype=np.int32, order="F") if instances else None
    )
    for region in regions:
        mask = decode(region.rle)
        np.copyto(indices, region.class_id & 0xFF, where=mask)  # -1 is 255, void
        if objects is not None:
            np.copyto(objects, region.number, where=mask)
    indices = np.ascontiguousarray(indices)
    classes = indices.astype(np.int32)
    classes[indices == VOID_INDEX] = IGNORE_ID
    if objects is not None:
        objects = np.ascontiguousarray(objects)
        objects[indices == VOID_INDEX] = 0
    labels = {region.number: region.label for region in regions if region.number}
    return Rasterized(
        classes=classes,
        indices=indices,
        instances=objects,
        instance_labels=tuple(labels[number] for number in sorted(labels)),
    )


def objects(regions: Sequence[Region]) -> list[SampleObject]:
    """Each non-crowd annotation as an object, with the polygons or RLE the
    file gives, in instance-number order; its whole mask (VOC's object boxes)
    is decoded when asked. COCO says nothing of what lies outside the image, so
    no object is marked truncated."""
    found = []
    for region in sorted(regions, key=lambda region: region.number):
        if region.number == 0 or region.class_id <= 0:
            continue
        geometry: Geometry = (
            Rle(region.rle) if region.polygons is None else Polygons(region.polygons)
        )
        found.append(
            SampleObject(
                number=region.number,
                label=region.label,
                class_id=region.class_id,
                geometry=geometry,
                truncated=False,
                draw=functools.partial(drawn_mask, region.rle),
            )
        )
    return found


def drawn_mask(rle: RleDict) -> DrawnMask:
    """An RLE's mask as pycocotools decodes it, and its box."""
    mask = np.asfortranarray(decode(rle).view(np.uint8))
    mask.setflags(write=False)
    x, y, w, h = (int(value) for value in coco_mask.toBbox(rle))
    return mask, (x, y, x + w, y + h) if w and h else None


def _check_polygons(polygons: list[Any], *, height: int, width: int) -> None:
    if not polygons:
        raise SegmentationError("'segmentation' is an empty list (a box only?)")
    for index, polygon in enumerate(polygons):
        if not isinstance(polygon, list) or not all(
            _is_finite_number(number) for number in polygon
        ):
            raise SegmentationError(f"polygon {index} is not a list of finite numbers")
        if len(polygon) < MIN_POLYGON_NUMBERS or len(polygon) % 2:
            raise SegmentationError(
                f"polygon {index} has {len(polygon)} numbers; a polygon is x, y "
                f"pairs of at least 3 points ({MIN_POLYGON_NUMBERS} numbers)"
            )
        _check_within_reach(index, polygon, height=height, width=width)


def _check_within_reach(
    index: int, polygon: list[float], *, height: int, width: int
) -> None:
    """pycocotools draws polygons in int32 at 5 times their scale and walks
    every edge pixel by pixel: a vertex at 1e308 overflows (a crash), one at
    2e7 takes its time and memory. A vertex more than the image's size beyond
    its edge is refused (the COCO writer keeps the same bound)."""
    for axis, side, name, values in (
        ("x", width, "width", polygon[::2]),
        ("y", height, "height", polygon[1::2]),
    ):
        low, high = min(values), max(values)
        if low < -side or high > 2 * side:
            shown = low if low < -side else high
            raise SegmentationError(
                f"polygon {index} has {axis} = {shown:g}, far outside the "
                f"{width}x{height} image (a vertex may lie at most the image's "
                f"{name} beyond its edge)"
            )


# Compressed counts: each count is 5-bit groups, a character of 48 + group
# (with 0x20 saying another group follows); so 48..111, and the last
# character of the string ends a count. A 32-bit count takes at most 7.
_FIRST_COUNT_CHAR, _LAST_COUNT_CHAR = 48, 111
_MORE = 0x20
_MAX_COUNT_CHARS = 7


def _check_counts_text(counts: str | bytes) -> None:
    """pycocotools reads compressed counts up to a NUL byte, without
    checking that a count ends before it (a heap overflow): only strings it
    reads within their bounds reach it."""
    try:
        data = counts.encode("ascii") if isinstance(counts, str) else counts
    except UnicodeEncodeError:
        data = b"\xff"
    codes = np.frombuffer(data, dtype=np.uint8)
    if codes.size == 0:
        raise SegmentationError("RLE counts stop short of the image's pixels (none)")
    if codes.min() < _FIRST_COUNT_CHAR or codes.max() > _LAST_COUNT_CHAR:
        raise SegmentationError(
            "RLE counts hold characters that COCO's compressed encoding does not "
            f"use (only {chr(_FIRST_COUNT_CHAR)!r} to {chr(_LAST_COUNT_CHAR)!r})"
        )
    ends = np.flatnonzero(((codes - _FIRST_COUNT_CHAR) & _MORE) == 0)
    if ends.size == 0 or ends[-1] != codes.size - 1:
        raise SegmentationError("RLE counts end in the middle of a count")
    lengths = np.diff(ends, prepend=-1)
    if lengths.max() > _MAX_COUNT_CHARS:
        raise SegmentationError("RLE counts hold a count too large for 32 bits")


def _check_counts(counts: list[Any], pixels: int) -> None:
    if not all(
        isinstance(count, int) and not isinstance(count, bool) and count >= 0
        for count in counts
    ):
        raise SegmentationError("RLE counts must be non-negative integers")
    if sum(counts) != pixels:
        raise SegmentationError(
            f"RLE counts add up to {sum(counts)}, not the image's {pixels} pixels"
        )


def _check_compressed(rle: RleDict, pixels: int) -> None:
    """pycocotools refuses counts that run past the mask's size and leaves the
    rest undefined when they stop short: they cover exactly ``pixels`` when the
    mask decodes at its size but not at one pixel less."""
    try:
        coco_mask.decode(rle)
    except ValueError:
        raise SegmentationError(
            "RLE counts are invalid or run past the image's pixels"
        ) from None
    if pixels == 1:  # no size one pixel less: compare with the two masks
        counts = rle["counts"]
        text = counts if isinstance(counts, bytes) else counts.encode()
        if text in (_encoded(0), _encoded(1)):
            return
    else:
        try:
            coco_mask.decode({"size": [pixels - 1, 1], "counts": rle["counts"]})
        except ValueError:
            return
    raise SegmentationError("RLE counts stop short of the image's pixels")


def _encoded(value: int) -> bytes:
    """The compressed counts of a one-pixel mask holding ``value``."""
    pixel = np.full((1, 1), value, dtype=np.uint8, order="F")
    counts: bytes = coco_mask.encode(pixel)["counts"]
    return counts


def _is_finite_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        return False


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
