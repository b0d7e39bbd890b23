"""An object as labelme shapes, as JSON-ready dicts in labelme's schema.

labelme shapes pass through as they are (rectangles, circles, lines and masks
kept); COCO polygons become a polygon shape each; an object given as pixels
(RLE) becomes a ``mask`` shape: the PNG of its mask cropped to its box, and
the box's first and last pixel as its two points, which is how labelme's
``shapes_to_label`` puts a mask back (``mask[y1:y2 + 1, x1:x2 + 1]``), so
labelme draws the very same pixels. With ``polygon``, such an object's
outlines are traced instead (``core.outlines``): a polygon per connected
component, its holes joined in by bridges (labelme has no polygon with
holes); one too thin to trace stays a mask shape.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from seg_convert.core.objects import Box, Polygons, Rle, SampleObject, Shapes
from seg_convert.core.options import LabelmeShapes
from seg_convert.core.outlines import traced_rings
from seg_convert.core.shapes import Shape

ShapeDict = dict[str, Any]

WARNING_THIN = "objects too thin to outline (no 3 corners apart) written as mask shapes"


def object_shapes(
    item: SampleObject, *, mode: LabelmeShapes, group_id: int
) -> tuple[list[ShapeDict], str | None]:
    """The shapes of one object (``group_id`` on each when there are several)
    and a warning about how they were made, or None."""
    geometry, warning = item.geometry, None
    if isinstance(geometry, Shapes):
        found = [_shape_dict(shape) for shape in geometry.shapes]
    elif isinstance(geometry, Polygons):
        found = [_polygon(item.label, part) for part in geometry.polygons]
    elif isinstance(geometry, Rle):
        if item.box is None:
            return [], None
        found, warning = region_shapes(item.mask, item.box, item.label, mode=mode)
    else:  # pragma: no cover - Geometry is these three
        raise TypeError(f"unknown geometry {geometry!r}")
    if len(found) > 1:
        for shape in found:
            shape["group_id"] = group_id
    return found, warning


def region_shapes(
    mask: npt.NDArray[np.uint8], box: Box, label: str, *, mode: LabelmeShapes
) -> tuple[list[ShapeDict], str | None]:
    """The shapes of the pixels of ``mask`` (1 inside) within ``box``: one mask
    shape, or (``polygon``) the traced polygons."""
    if mode == "polygon":
        rings = traced_rings(mask, box)
        if rings:
            return [_polygon(label, ring.ravel().tolist()) for ring in rings], None
        return [mask_shape(mask, box, label)], WARNING_THIN
    return [mask_shape(mask, box, label)], None


def mask_shape(mask: npt.NDArray[np.uint8], box: Box, label: str) -> ShapeDict:
    """A labelme mask shape of ``mask`` cropped to ``box``: its points are the
    box's first and last pixel (both inside, as labelme reads them)."""
    x0, y0, x1, y1 = box
    crop = np.ascontiguousarray(mask[y0:y1, x0:x1], dtype=np.uint8)
    return _dict(label, [[x0, y0], [x1 - 1, y1 - 1]], "mask", mask_png_b64(crop))


def mask_png_b64(crop: npt.NDArray[np.uint8]) -> str:
    """A (h, w) 0/1 mask as labelme stores it: a one-channel PNG of 0s and 1s
    (what labelme's ``img_arr_to_b64(mask.astype(np.uint8))`` saves), base64."""
    buffer = io.BytesIO()
    Image.fromarray(crop).save(buffer, format="PNG")  # uint8 (h, w): mode L
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _shape_dict(shape: Shape) -> ShapeDict:
    points = [[x, y] for x, y in shape.points]
    png = None
    if shape.shape_type == "mask" and shape.mask is not None:
        png = mask_png_b64(shape.mask.astype(np.uint8))
    return _dict(shape.label, points, shape.shape_type, png)


def _polygon(label: str, flat: list[float] | tuple[float, ...]) -> ShapeDict:
    points = [[flat[i], flat[i + 1]] for i in range(0, len(flat), 2)]
    return _dict(label, points, "polygon", None)


def _dict(
    label: str, points: list[list[Any]], shape_type: str, mask: str | None
) -> ShapeDict:
    """A shape with every key labelme 6.x writes (``mask`` null but for mask
    shapes)."""
    shape: ShapeDict = {
        "label": label,
        "points": points,
        "group_id": None,
        "description": "",
        "shape_type": shape_type,
        "flags": {},
        "mask": mask,
    }
    return shape
