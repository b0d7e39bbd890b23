"""Reading one labelme shape: its type, points and mask, each checked so that a
bad shape fails with a message naming it before anything is drawn."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from seg_convert.core.errors import AnnotationError
from seg_convert.core.shapes import Point, Shape, circle_radius
from seg_convert.io.images import decode_image
from seg_convert.sources.labelme.json_values import b64decode, json_type, short

# How many points each shape type takes: (at least, at most or None).
POINT_COUNTS: Mapping[str, tuple[int, int | None]] = {
    "polygon": (3, None),
    "rectangle": (2, 2),
    "circle": (2, 2),
    "line": (2, 2),
    "linestrip": (2, None),
    "point": (1, 1),
    "oriented_rectangle": (4, 4),
    "mask": (2, 2),
}


_POINT_COUNT_MEANING = {
    "rectangle": "2 points (two opposite corners)",
    "circle": "2 points (the centre and a point on the rim)",
    "line": "2 points (its two ends)",
    "point": "1 point",
    "oriented_rectangle": "4 points (its four corners)",
    "mask": "2 points (the two corners of the mask's box)",
}


_LARGEST_COORDINATE = float(np.finfo(np.float64).max)


# Pillow's ellipse drawing slows down as the radius grows and, past about
# 700,000 pixels, takes minutes: far beyond any image's size, so refused.
MAX_CIRCLE_RADIUS = 1 << 18


def parse_shape(path: Path, index: int, item: object, max_image_pixels: int) -> Shape:
    where = f"shapes[{index}]"
    if not isinstance(item, dict):
        raise AnnotationError(path, f"{where} must be an object, got {json_type(item)}")
    label = item.get("label")
    if not isinstance(label, str):
        raise AnnotationError(
            path, f"{where}: 'label' must be a string, got {json_type(label)}"
        )
    if not label:
        raise AnnotationError(
            path, f"{where}: the label is empty; give the shape a label in labelme"
        )
    where = f"{where} (label {label!r})"
    shape_type = item.get("shape_type")
    if shape_type is None:  # labelme 3.x wrote no shape_type: all were polygons.
        shape_type = "polygon"
    if not isinstance(shape_type, str) or shape_type not in POINT_COUNTS:
        known = ", ".join(POINT_COUNTS)
        raise AnnotationError(
            path, f"{where}: unknown shape_type {shape_type!r} (known: {known})"
        )
    points = _parse_points(path, where, item.get("points"))
    least, most = POINT_COUNTS[shape_type]
    if len(points) < least or (most is not None and len(points) > most):
        wanted = _POINT_COUNT_MEANING.get(shape_type, f"at least {least} points")
        raise AnnotationError(
            path, f"{where}: {shape_type} needs {wanted}, got {len(points)}"
        )
    if shape_type == "circle" and circle_radius(*points) > MAX_CIRCLE_RADIUS:
        raise AnnotationError(
            path,
            f"{where}: circle radius {circle_radius(*points):.6g} is larger than "
            f"{MAX_CIRCLE_RADIUS} pixels; check the circle's second point",
        )
    group_id = item.get("group_id")
    if group_id is not None and (
        not isinstance(group_id, int) or isinstance(group_id, bool)
    ):
        raise AnnotationError(
            path,
            f"{where}: 'group_id' must be an integer or null, "
            f"got {json_type(group_id)}",
        )
    mask = None
    if shape_type == "mask":
        mask = _parse_mask(path, where, item.get("mask"), points, max_image_pixels)
    return Shape(
        label=label,
        shape_type=shape_type,
        points=points,
        group_id=group_id,
        mask=mask,
    )


def _parse_points(path: Path, where: str, value: object) -> tuple[Point, ...]:
    if not isinstance(value, list):
        raise AnnotationError(
            path, f"{where}: 'points' must be a list, got {json_type(value)}"
        )
    points = []
    for number, point in enumerate(value):
        if not (
            isinstance(point, list)
            and len(point) == 2
            and all(_is_finite_number(xy) for xy in point)
        ):
            raise AnnotationError(
                path,
                f"{where}: points[{number}] must be [x, y] with finite numbers, "
                f"got {short(point)}",
            )
        points.append((float(point[0]), float(point[1])))
    return tuple(points)


def _parse_mask(
    path: Path,
    where: str,
    value: object,
    points: tuple[Point, ...],
    max_image_pixels: int,
) -> npt.NDArray[np.bool_]:
    if not isinstance(value, str):
        raise AnnotationError(
            path,
            f"{where}: a mask shape needs 'mask', a base64 PNG, got {json_type(value)}",
        )
    image = decode_image(
        b64decode(path, f"{where}: 'mask'", value),
        max_pixels=max_image_pixels,
        owner=path,
        what=f"{where} mask",
    )
    mask = np.asarray(image)
    if mask.ndim != 2:
        raise AnnotationError(
            path, f"{where}: mask must be a one-channel PNG, got mode {image.mode}"
        )
    (x1, y1), (x2, y2) = ((int(x), int(y)) for x, y in points)
    box = (y2 - y1 + 1, x2 - x1 + 1)
    if mask.shape != box:
        raise AnnotationError(
            path,
            f"{where}: mask is {mask.shape[1]}x{mask.shape[0]} but its points "
            f"span a box of {box[1]}x{box[0]} ({x1},{y1} to {x2},{y2})",
        )
    result = mask.astype(bool)
    result.setflags(write=False)
    return result


def _is_finite_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):  # JSON integers are unbounded; floats are not.
        return abs(value) <= _LARGEST_COORDINATE
    return isinstance(value, float) and math.isfinite(value)
