"""Polygons clipped to their image, for the formats that write polygons.

Annotation tools let a vertex lie outside the image (a road drawn past the
edge); a polygon written that way is one that loaders must clip themselves,
and some (YOLO's normalized coordinates) cannot hold at all. ``clip_polygon``
is a Sutherland–Hodgman clip against the image's rectangle, whose pixels are
the unit squares [x, x + 1) x [y, y + 1): the rectangle is [0, width] x [0,
height], so a pixel inside the image is inside the clipped polygon exactly
when it was inside the polygon.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Point = tuple[float, float]


def clip_polygon(flat_xy: Sequence[float], width: float, height: float) -> list[float]:
    """``flat_xy`` (``[x0, y0, x1, y1, ...]``, COCO's flat form) clipped to the
    rectangle [0, width] x [0, height], in the same form and vertex order.

    Returns ``[]`` when fewer than 3 vertices remain (the polygon is outside the
    image, or touches it only along an edge or at a corner). A concave polygon
    may come back with edges running along the rectangle's border between its
    parts; they enclose no area. Repeated vertices are dropped.
    """
    if len(flat_xy) % 2:
        raise ValueError(f"an odd count of coordinates ({len(flat_xy)})")
    points: list[Point] = [
        (float(flat_xy[i]), float(flat_xy[i + 1])) for i in range(0, len(flat_xy), 2)
    ]
    # Each side of the rectangle: which points are inside it, and where an edge
    # from a to b crosses it.
    sides: list[tuple[Callable[[Point], bool], Callable[[Point, Point], Point]]] = [
        (lambda p: p[0] >= 0, lambda a, b: _at_x(a, b, 0.0)),
        (lambda p: p[0] <= width, lambda a, b: _at_x(a, b, float(width))),
        (lambda p: p[1] >= 0, lambda a, b: _at_y(a, b, 0.0)),
        (lambda p: p[1] <= height, lambda a, b: _at_y(a, b, float(height))),
    ]
    for inside, crossing in sides:
        points = _clip_side(points, inside, crossing)
        if not points:
            return []
    kept = _without_repeats(points)
    if len(kept) < 3:
        return []
    return [value for point in kept for value in point]


def _clip_side(
    points: list[Point],
    inside: Callable[[Point], bool],
    crossing: Callable[[Point, Point], Point],
) -> list[Point]:
    """One Sutherland–Hodgman step: the polygon on the inner side of one line."""
    clipped: list[Point] = []
    for index, current in enumerate(points):
        previous = points[index - 1]
        if inside(current):
            if not inside(previous):
                clipped.append(crossing(previous, current))
            clipped.append(current)
        elif inside(previous):
            clipped.append(crossing(previous, current))
    return clipped


def _at_x(a: Point, b: Point, x: float) -> Point:
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _at_y(a: Point, b: Point, y: float) -> Point:
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def _without_repeats(points: list[Point]) -> list[Point]:
    kept = [point for index, point in enumerate(points) if point != points[index - 1]]
    return kept if kept else points[:1]
