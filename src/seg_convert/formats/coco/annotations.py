"""The COCO fields of one object: segmentation, area, bbox, category.

RLE, area and bbox are what ``pycocotools`` (the COCO API every loader uses)
computes, never our own arithmetic. ``area`` and ``bbox`` always come from the
object's mask as drawn, as labelme's COCO example computes them, so they do not
change with the segmentation mode.

Segmentation ``auto`` writes polygons where the shapes are areas with corners
(polygon, oriented_rectangle, rectangle) or circles, and RLE where they are not:
a line, linestrip or point is a stroke of labelme's drawing width, and a mask is
pixels, and as polygons they would be 2- or 4-number lists no loader reads. An
object also falls back to RLE when a polygon would misstate it or harm a loader:
a shape with no area as a polygon (a zero-width rectangle, a tiny circle, which
labelme still draws as its outline). Polygons are clipped to the image
(``core.rings.clip_polygon``), as the mask is; an object with a shape
wholly outside it is RLE.

Segmentation ``polygon`` is ``auto`` with the objects that have no polygons of
their own traced from their masks: polygons through the boundary pixels'
centres, which pycocotools draws about half a boundary pixel smaller than the
mask (RLE is exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pycocotools.mask

from seg_convert.core.errors import AnnotationError
from seg_convert.core.objects import Polygons, SampleObject, Shapes
from seg_convert.core.options import SegmentationMode
from seg_convert.core.outlines import TracingUnavailable, traced_rings
from seg_convert.core.rings import clip_polygon
from seg_convert.core.shapes import (
    POLYGON_SHAPE_TYPES,
    Shape,
    circle_radius,
    shape_polygon,
)

# A pycocotools RLE: {"size": [h, w], "counts": bytes}.
Rle = dict[str, Any]


def categories(names: Sequence[str]) -> list[dict[str, object]]:
    """The ``categories`` of an instances file from the class names in id order
    (``LabelTable.names``): every class after ``_background_``, keeping its id
    (1..K, as in the VOC class arrays), its name as ``supercategory``."""
    return [
        {"id": class_id, "name": name, "supercategory": name}
        for class_id, name in enumerate(names)
        if class_id > 0
    ]


def annotation_fields(
    instance: SampleObject, *, segmentation: SegmentationMode
) -> dict[str, object] | None:
    """``category_id``, ``segmentation``, ``area``, ``bbox`` and ``iscrowd`` of
    one object, in that order (the writer adds ``id`` and ``image_id``).

    None when its mask is empty (every shape outside the image): COCO has no
    object without pixels, so the caller drops it with a warning.
    """
    if instance.box is None:
        return None
    rle = pycocotools.mask.encode(instance.mask)
    parts = None if segmentation == "rle" else polygons(instance)
    if parts is None and segmentation == "polygon":
        parts = traced_polygons(instance)
    return _fields(instance, rle, parts)


def traced_polygons(instance: SampleObject) -> list[list[float]] | None:
    """The outline of each 8-connected part of the object's mask, its holes
    joined in by bridges (COCO polygons have no holes; pycocotools fills a
    bridged ring with the hole left out), traced through the boundary pixels'
    centres (``outlines.traced_rings``); None when no part has an area as a
    polygon (a pixel, a one-pixel line)."""
    if instance.box is None:
        return None
    try:
        rings = traced_rings(instance.mask, instance.box)
    except TracingUnavailable as error:
        raise AnnotationError(None, str(error)) from None
    height, width = instance.mask.shape
    parts = [ring.ravel().tolist() for ring in rings]
    parts = [
        part
        for part in parts
        if pycocotools.mask.area(pycocotools.mask.frPyObjects([part], height, width))[0]
    ]
    return parts or None


def covered_annotation_fields(
    instance: SampleObject, *, instances: npt.NDArray[np.int32]
) -> dict[str, object] | None:
    """The fields of what stays visible of an object (``--crop-covered``), RLE.

    ``instances`` is the (H, W) int32 instance array of the annotation
    (``Rasterized.instances``: ignore pixels 0). None when nothing is visible.
    """
    if instance.box is None:
        return None
    # Every visible pixel is in the object's own mask, so in its box.
    x0, y0, x1, y1 = instance.box
    visible = np.zeros(instance.mask.shape, dtype=np.uint8, order="F")
    visible[y0:y1, x0:x1] = instances[y0:y1, x0:x1] == instance.number
    rle = pycocotools.mask.encode(visible)
    if pycocotools.mask.area(rle) == 0:
        return None
    return _fields(instance, rle, None)


def polygons(instance: SampleObject) -> list[list[float]] | None:
    """The object's polygons, when polygons describe it, else None: one per
    labelme shape, or COCO's own polygons as the source has them.

    Each polygon is clipped to the image, has at least 6 numbers (3
    vertices) and covers some pixels as pycocotools draws it.
    """
    geometry = instance.geometry
    if isinstance(geometry, Polygons):
        parts = [list(part) for part in geometry.polygons]
    elif isinstance(geometry, Shapes):
        shapes = geometry.shapes
        if not {shape.shape_type for shape in shapes} <= POLYGON_SHAPE_TYPES:
            return None
        if any(_is_dot(shape) for shape in shapes):
            return None
        parts = [shape_polygon(shape) for shape in shapes]
    else:
        return None
    height, width = instance.mask.shape
    # Clipped to the image: a loader need not clip them, and pycocotools'
    # drawing takes time in proportion to the edges' length.
    parts = [clip_polygon(part, width, height) for part in parts]
    if not all(parts):  # a shape outside the image, or of no area: RLE is exact
        return None
    drawn = pycocotools.mask.frPyObjects(parts, height, width)
    # One part at a time: pycocotools' area of a list counts the list in a
    # uint8, which overflows (an error under NumPy 2) past 255 parts.
    if any(pycocotools.mask.area(part) == 0 for part in drawn):
        return None
    return parts


def _is_dot(shape: Shape) -> bool:
    """A circle under a pixel across, which labelme draws as a dot: its RLE is
    exact, a polygon of it is not."""
    if shape.shape_type != "circle":
        return False
    center, rim = shape.points
    return circle_radius(center, rim) < 1


def rle_json(rle: Rle) -> dict[str, object]:
    """A pycocotools RLE as COCO JSON holds it: ``counts`` an ASCII string."""
    return {
        "size": [int(side) for side in rle["size"]],
        "counts": rle["counts"].decode("ascii"),
    }


def _fields(
    instance: SampleObject, rle: Rle, parts: list[list[float]] | None
) -> dict[str, object]:
    return {
        "category_id": instance.class_id,
        "segmentation": rle_json(rle) if parts is None else parts,
        "area": float(pycocotools.mask.area(rle)),
        "bbox": [float(value) for value in pycocotools.mask.toBbox(rle)],
        "iscrowd": 0,
    }
