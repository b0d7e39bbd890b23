"""Shapes as labelme draws them: the geometry a labelme file holds, which
formats write (COCO and YOLO polygons, VOC boxes) and sources read, and the
polygons of the shapes that are areas with corners or circles."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Point = tuple[float, float]

# The shapes that are areas with corners, or circles: ``shape_polygon`` makes a
# polygon of each. A line, linestrip or point is a stroke of labelme's drawing
# width and a mask is pixels: they have no outline of their own.
POLYGON_SHAPE_TYPES = frozenset(
    {"polygon", "oriented_rectangle", "rectangle", "circle"}
)

# A circle becomes a regular polygon inscribed in it with enough vertices that no
# side is farther than this from the rim (in pixels), and never fewer than
# MIN_CIRCLE_VERTICES, so small circles stay round.
CIRCLE_TOLERANCE = 0.5
MIN_CIRCLE_VERTICES = 16


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


def shape_polygon(shape: Shape, *, rim: float = 0.5) -> list[float]:
    """The vertices of a polygon-like shape as COCO's flat [x0, y0, x1, y1, ...].

    A rectangle is its 4 corners from the top-left, clockwise on screen; a circle
    the regular polygon of ``circle_vertex_count`` vertices inscribed in the
    circle ``rim`` pixels beyond its radius: by default the circle labelme draws,
    as pycocotools fills polygons; a consumer that fills them edges included
    (OpenCV, ultralytics) matches labelme's disc best at ``rim=0``.
    """
    if shape.shape_type == "rectangle":
        (ax, ay), (bx, by) = shape.points
        x0, x1 = sorted((float(ax), float(bx)))
        y0, y1 = sorted((float(ay), float(by)))
        return [x0, y0, x1, y0, x1, y1, x0, y1]
    if shape.shape_type == "circle":
        (cx, cy), rim_point = shape.points
        # labelme draws the circle with Pillow's ellipse over the box from
        # centre - r to centre + r, both ends included: 2r + 1 pixels across,
        # so the disc it fills reaches r + 0.5. Inscribed in radius r, the
        # polygon fell short by up to 1.5 pixels at the rim once pycocotools
        # filled it (its pixels are unit squares, labelme's points their centres).
        radius = circle_radius((cx, cy), rim_point) + rim
        count = circle_vertex_count(radius)
        flat = []
        for k in range(count):
            angle = 2 * math.pi * k / count
            flat += [cx + radius * math.cos(angle), cy + radius * math.sin(angle)]
        return flat
    if shape.shape_type in ("polygon", "oriented_rectangle"):
        return [float(value) for point in shape.points for value in point]
    raise ValueError(f"a {shape.shape_type} shape is not a polygon")


def circle_vertex_count(radius: float) -> int:
    """Vertices of the regular polygon that stays within CIRCLE_TOLERANCE of a
    circle: a side of an inscribed N-gon lies r * (1 - cos(pi / N)) inside the
    rim at most, so N = ceil(pi / acos(1 - tolerance / r)); at least
    MIN_CIRCLE_VERTICES (up to radius 26 that is 16; 100 gives 32, 1000 gives 100)."""
    if radius <= CIRCLE_TOLERANCE:
        return MIN_CIRCLE_VERTICES
    needed = math.ceil(math.pi / math.acos(1 - CIRCLE_TOLERANCE / radius))
    return max(MIN_CIRCLE_VERTICES, needed)
