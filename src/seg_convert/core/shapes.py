"""Shapes as labelme draws them: the geometry a labelme file holds, which
formats write (COCO polygons, VOC boxes) and sources read."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Point = tuple[float, float]


def circle_radius(centre: Point, rim: Point) -> float:
    """The radius of a labelme circle, computed as labelme does, so that the
    drawn pixels match exactly."""
    (cx, cy), (px, py) = centre, rim
    try:
        return math.sqrt((cx - px) ** 2 + (cy - py) ** 2)
    except OverflowError:  # float ** raises where float * gives inf
        return math.inf


@dataclass(frozen=True)
class Shape:
    """One labelme shape; ``mask`` is the (h, w) bool array of a ``mask`` shape."""

    label: str
    shape_type: str
    points: tuple[Point, ...]
    group_id: int | None = None
    mask: npt.NDArray[np.bool_] | None = field(default=None, compare=False)
