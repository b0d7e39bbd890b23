"""The polygons of labelme's shapes that are areas: rectangles' corners, circles'
inscribed polygons (COCO and YOLO write them)."""

from __future__ import annotations

import math

import pytest

from seg_convert.core.shapes import (
    CIRCLE_TOLERANCE,
    MIN_CIRCLE_VERTICES,
    Shape,
    circle_vertex_count,
    shape_polygon,
)


def test_rectangle_polygon_is_normalized() -> None:
    shape = Shape("a", "rectangle", ((40, 30), (5.5, 4)))
    assert shape_polygon(shape) == [5.5, 4.0, 40.0, 4.0, 40.0, 30.0, 5.5, 30.0]


@pytest.mark.parametrize("radius", [0.5, 0.9, 3.0, 26.0, 27.0, 100.0, 1000.0, 1e5])
def test_circle_polygon_stays_within_tolerance(radius: float) -> None:
    count = circle_vertex_count(radius)
    assert count >= MIN_CIRCLE_VERTICES
    if count > MIN_CIRCLE_VERTICES:  # the fewest vertices that are enough
        assert radius * (1 - math.cos(math.pi / (count - 1))) > CIRCLE_TOLERANCE
    assert radius * (1 - math.cos(math.pi / count)) <= CIRCLE_TOLERANCE
    # The polygon is inscribed in the circle labelme draws: Pillow's ellipse
    # over [c - r, c + r], both ends included, reaches r + 0.5.
    flat = shape_polygon(Shape("a", "circle", ((7.0, 9.0), (6.5 + radius, 9.0))))
    assert len(flat) == 2 * count
    for x, y in zip(flat[::2], flat[1::2], strict=True):
        assert math.isclose(math.hypot(x - 7.0, y - 9.0), radius, abs_tol=1e-9)
