"""clip_polygon: Sutherland–Hodgman against the image rectangle."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seg_convert.core.polygons import clip_polygon


def inside(flat: list[float], x: float, y: float) -> bool:
    """Even-odd rule: whether (x, y) is inside the polygon ``flat``."""
    points = list(zip(flat[::2], flat[1::2], strict=True))
    result = False
    for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1], strict=True):
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            result = not result
    return result


def ring(flat: list[float]) -> list[tuple[float, float]]:
    """The vertices from the least one on: the same ring whatever its start."""
    points = list(zip(flat[::2], flat[1::2], strict=True))
    start = points.index(min(points)) if points else 0
    return points[start:] + points[:start]


SQUARE = [0.0, 0.0, 10.0, 0.0, 10.0, 10.0, 0.0, 10.0]


@pytest.mark.parametrize(
    ("flat", "clipped"),
    [
        ([1, 1, 5, 1, 5, 5], [1.0, 1.0, 5.0, 1.0, 5.0, 5.0]),
        ([-10, 2, 410, 2, 410, 8, -10, 8], [0.0, 2.0, 10.0, 2.0, 10.0, 8.0, 0.0, 8.0]),
        ([-4, -4, 14, -4, 14, 14, -4, 14], SQUARE),
        ([5, -5, 15, 5, 5, 15, -5, 5], SQUARE),  # a diamond around the image
        ([20, 20, 30, 20, 30, 30], []),
        ([0, 0, 10, 0, 10, -5], []),  # touches the image along an edge only
        ([2, 2, 2, 2, 2, 2], []),
    ],
    ids=["inside", "road", "around", "diamond", "outside", "edge", "dot"],
)
def test_clips_to_the_rectangle(flat: list[float], clipped: list[float]) -> None:
    assert ring(clip_polygon(flat, 10, 10)) == ring(clipped)


def test_an_odd_count_is_refused() -> None:
    with pytest.raises(ValueError, match="odd count"):
        clip_polygon([1, 2, 3], 10, 10)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(3, 12),
    st.lists(st.floats(-30, 60), min_size=24, max_size=24),
    st.lists(st.floats(0.01, 0.99), min_size=20, max_size=20),
)
def test_a_point_of_the_image_is_inside_as_before(
    count: int, values: list[float], probes: list[float]
) -> None:
    """Any polygon (self-crossing too): a point inside the image is inside the
    clipped polygon exactly when it is inside the polygon, and every vertex
    is in the image."""
    width, height = 20, 15
    flat = values[: 2 * count]
    clipped = clip_polygon(flat, width, height)
    assert all(0 <= x <= width for x in clipped[::2])
    assert all(0 <= y <= height for y in clipped[1::2])
    for px, py in zip(probes[::2], probes[1::2], strict=True):
        x, y = px * width + math.pi * 1e-7, py * height + math.e * 1e-7
        assert inside(clipped, x, y) == inside(flat, x, y)
