"""Clipping polygons to the image and joining parts into one ring, checked by
filling the result as ultralytics fills it (OpenCV, even-odd, edges included)
or by exact vertices."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seg_convert.core.rings import (
    area,
    boxes_overlap,
    clip_polygon,
    clip_to_image,
    closest_vertices,
    distinct_vertices,
    has_area,
    join_rings,
)


def ring(*points: tuple[float, float]) -> np.ndarray:
    return np.array(points, dtype=np.float64)


def as_set(points: np.ndarray) -> set[tuple[float, float]]:
    return {(float(x), float(y)) for x, y in points}


def test_a_polygon_inside_the_image_is_kept_as_it_is() -> None:
    triangle = ring((2, 2), (40, 5), (20, 30))
    clipped = clip_to_image(triangle, width=64, height=48)
    np.testing.assert_array_equal(clipped, triangle)


def test_a_polygon_wholly_outside_is_empty() -> None:
    outside = ring((70, 10), (90, 10), (80, 30))
    assert len(clip_to_image(outside, width=64, height=48)) == 0


@pytest.mark.parametrize(
    ("polygon", "expected"),
    [
        # A square over the top-left corner: cut at both sides.
        (ring((-10, -10), (10, -10), (10, 10), (-10, 10)), 100.0),
        # A triangle whose long side passes the bottom-right corner inside.
        (ring((50, 30), (80, 30), (50, 60)), 14 * 18 - 2),
        # A square bigger than the image: the image itself.
        (ring((-5, -5), (100, -5), (100, 100), (-5, 100)), 64.0 * 48),
    ],
    ids=["top-left corner", "bottom-right corner", "covers the image"],
)
def test_polygons_crossing_corners_are_cut_to_the_rectangle(
    polygon: np.ndarray, expected: float
) -> None:
    clipped = clip_to_image(polygon, width=64, height=48)
    assert clipped[:, 0].min() >= 0 and clipped[:, 0].max() <= 64
    assert clipped[:, 1].min() >= 0 and clipped[:, 1].max() <= 48
    assert area(clipped) == pytest.approx(expected)


def test_the_crossing_points_lie_on_the_sides() -> None:
    clipped = clip_to_image(ring((-10, 0), (10, 20), (-10, 20)), width=64, height=48)
    assert as_set(distinct_vertices(clipped)) == {
        (0.0, 10.0),
        (10.0, 20.0),
        (0.0, 20.0),
    }


def test_a_polygon_along_a_side_outside_has_no_area() -> None:
    # Beyond the left side: it clips to edges along x = 0.
    clipped = distinct_vertices(
        clip_to_image(ring((-9, 5), (-1, 5), (-1, 20)), width=64, height=48)
    )
    assert not has_area(clipped)


def test_repeated_vertices_are_dropped_round_the_ring() -> None:
    points = ring((1, 1), (1, 1), (5, 1), (5, 5), (1, 1))
    np.testing.assert_array_equal(
        distinct_vertices(points), ring((1, 1), (5, 1), (5, 5))
    )


def test_the_closest_vertices_are_found_across_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("seg_convert.core.rings._CHUNK", 3)
    first = ring((0, 0), (1, 0), (2, 0), (3, 0), (9, 9))
    second = ring((20, 20), (9, 10), (30, 30))
    assert closest_vertices(first, second) == (4, 1)


def fill(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    cv2 = pytest.importorskip("cv2")
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask


def test_two_parts_are_one_ring_that_fills_both() -> None:
    left = ring((2, 2), (8, 2), (8, 8), (2, 8))
    right = ring((20, 4), (26, 4), (26, 10), (20, 10))
    joined = join_rings([left, right])
    # Each part's vertices, and the bridge's two ends each twice.
    assert len(joined) == len(left) + len(right) + 2
    expected = np.maximum(fill(left, (16, 32)), fill(right, (16, 32)))
    filled = fill(joined, (16, 32))
    # The bridge (8, 8)-(20, 4)... is drawn as a line; elsewhere the parts.
    bridge = fill(ring(*map(tuple, joined[[4, 5, 5]])), (16, 32))
    np.testing.assert_array_equal(np.maximum(expected, bridge), filled)


def test_the_bridge_is_the_shortest_connection() -> None:
    left = ring((0, 0), (4, 0), (4, 4), (0, 4))
    right = ring((10, 10), (14, 10), (14, 14), (10, 14))
    joined = join_rings([left, right])
    # Leaves left at (4, 4), arrives at right's (10, 10), and back.
    assert [tuple(p) for p in joined] == [
        (4, 4), (0, 4), (0, 0), (4, 0), (4, 4),
        (10, 10), (14, 10), (14, 14), (10, 14), (10, 10),
    ]  # fmt: skip


def test_middle_parts_are_entered_and_left_at_their_own_bridges() -> None:
    a = ring((0, 0), (2, 0), (2, 2), (0, 2))
    b = ring((10, 0), (12, 0), (12, 2), (10, 2))
    c = ring((20, 0), (22, 0), (22, 2), (20, 2))
    joined = join_rings([a, b, c])
    assert len(joined) == 3 * 4 + 4  # each bridge's two ends twice
    points = as_set(joined)
    assert points == as_set(a) | as_set(b) | as_set(c)
    # Every edge that is not a part's own is a bridge, crossed both ways.
    own = {
        frozenset({tuple(p), tuple(q)})
        for part in (a, b, c)
        for p, q in zip(part, np.roll(part, -1, axis=0), strict=True)
    }
    edges = [
        (tuple(p), tuple(q))
        for p, q in zip(joined, np.roll(joined, -1, axis=0), strict=True)
        if tuple(p) != tuple(q)
    ]
    bridges = [edge for edge in edges if frozenset(edge) not in own]
    assert sorted(bridges) == sorted((q, p) for p, q in bridges)
    assert {frozenset(edge) for edge in bridges} == {
        frozenset({(2.0, 0.0), (10.0, 0.0)}),
        frozenset({(12.0, 0.0), (20.0, 0.0)}),
    }


def test_a_hole_joined_into_its_outer_ring_stays_a_hole() -> None:
    outer = ring((0, 0), (20, 0), (20, 20), (0, 20))
    hole = ring((6, 6), (14, 6), (14, 14), (6, 14))
    filled = fill(join_rings([outer, hole]), (24, 24))
    assert filled[10, 10] == 0 and filled[3, 10] == 1 and filled[10, 17] == 1


def test_overlapping_boxes() -> None:
    square = ring((0, 0), (4, 0), (4, 4), (0, 4))
    assert boxes_overlap(square, square + 2)
    assert not boxes_overlap(square, square + (4, 0))  # touching only


def test_vertices_near_the_float_range_ends_are_clipped_without_overflow() -> None:
    huge = ring((-1e308, 5), (1e308, 5), (1e308, 1e308))
    clipped = distinct_vertices(clip_to_image(huge, width=64, height=48))
    assert has_area(clipped)
    assert as_set(clipped) == {(0.0, 5.0), (64.0, 5.0), (64.0, 48.0), (0.0, 48.0)}


# clip_polygon, COCO's flat form of the same clip.


def inside(flat: list[float], x: float, y: float) -> bool:
    """Even-odd rule: whether (x, y) is inside the polygon ``flat``."""
    points = list(zip(flat[::2], flat[1::2], strict=True))
    result = False
    for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1], strict=True):
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            result = not result
    return result


def flat_ring(flat: list[float]) -> list[tuple[float, float]]:
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
def test_clip_polygon_clips_flat_coordinates_to_the_rectangle(
    flat: list[float], clipped: list[float]
) -> None:
    assert flat_ring(clip_polygon(flat, 10, 10)) == flat_ring(clipped)


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
