"""Rings: polygons in image pixel coordinates, clipped to the image, cleaned of
repeated vertices, and several joined into one ring, for the formats that give
an object one polygon (YOLO). Parts (several shapes of one object, COCO's
multi-polygons, a mask's components and holes) become one ring by bridges: the
shortest connection between the vertices of consecutive parts, travelled there
and back. A bridge has no width, so it changes no point's inside or outside
under the even-odd rule that ultralytics' (OpenCV's) and Pillow's filling
follow: the ring fills the parts, and a hole's ring inside its outer ring stays
a hole.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

# (N, 2) float64: x, y of each vertex, the ring closed implicitly.
Ring = npt.NDArray[np.float64]
# Squared distances computed at once when looking for the closest vertices.
_CHUNK = 1 << 22


def clip_to_image(points: Ring, *, width: int, height: int) -> Ring:
    """``points`` clipped to the image rectangle [0, width] x [0, height]
    (Sutherland-Hodgman: against each side in turn, keeping what is inside
    and adding the crossing points). A polygon wholly outside comes back
    empty; one that winds around outside the image gets edges along the
    sides, which enclose nothing."""
    inside = (points >= 0).all(axis=1) & (points <= (width, height)).all(axis=1)
    if inside.all():
        return points  # as drawn, from its first vertex
    sides = ((0, 0.0, False), (0, width, True), (1, 0.0, False), (1, height, True))
    # Vertices near the float range's ends overflow: the result is then not
    # finite, which has_area refuses (the object is traced instead).
    with np.errstate(all="ignore"):
        for axis, bound, below in sides:
            points = _clip_side(points, axis, float(bound), below)
    return points


def clip_polygon(flat_xy: Sequence[float], width: int, height: int) -> list[float]:
    """``flat_xy`` (COCO's flat ``[x0, y0, x1, y1, ...]``) clipped to the image
    as ``clip_to_image`` clips, in the same form, repeated vertices dropped;
    ``[]`` when no area is left inside the image (the polygon is outside it,
    or touches it only along an edge or at a corner)."""
    if len(flat_xy) % 2:
        raise ValueError(f"an odd count of coordinates ({len(flat_xy)})")
    points = np.asarray(flat_xy, dtype=np.float64).reshape(-1, 2)
    clipped = distinct_vertices(clip_to_image(points, width=width, height=height))
    if not has_area(clipped):
        return []
    return [float(value) for value in clipped.ravel()]


def _clip_side(points: Ring, axis: int, bound: float, below: bool) -> Ring:
    """The part of the polygon on the kept side of the line ``x[axis] = bound``."""
    if len(points) == 0:
        return points
    following = np.roll(points, -1, axis=0)
    here, there = points[:, axis], following[:, axis]
    here_in = here <= bound if below else here >= bound
    there_in = there <= bound if below else there >= bound
    crosses = here_in != there_in
    t = np.where(crosses, (bound - here) / (there - here), 0.0)
    crossing = points + t[:, None] * (following - points)
    crossing[:, axis] = bound  # exactly on the side, whatever the rounding
    # Each edge gives its crossing (if it crosses) then its end (if inside).
    candidates = np.stack([crossing, following], axis=1)
    kept: Ring = candidates[np.stack([crosses, there_in], axis=1)]
    return kept


def distinct_vertices(points: Ring) -> Ring:
    """``points`` without a vertex equal to the one after it (the last
    compared with the first)."""
    if len(points) < 2:
        return points
    kept = np.any(points != np.roll(points, -1, axis=0), axis=1)
    if not kept.any():  # every vertex the same
        return points[:1]
    result: Ring = points[kept]
    return result


def area(points: Ring) -> float:
    """The polygon's area (shoelace; its absolute value, even-odd aside)."""
    x, y = points[:, 0], points[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def has_area(points: Ring) -> bool:
    """At least 3 distinct vertices enclosing some area, all finite."""
    if len(points) < 3 or not np.isfinite(points).all():
        return False
    with np.errstate(all="ignore"):
        return area(points) > 1e-9


def closest_vertices(first: Ring, second: Ring) -> tuple[int, int]:
    """The indices of the closest pair of vertices, one of each ring (the
    first such pair in order)."""
    best, where = np.inf, (0, 0)
    rows = max(1, _CHUNK // max(1, len(second)))
    for start in range(0, len(first), rows):
        block = first[start : start + rows]
        squared = ((block[:, None, :] - second[None, :, :]) ** 2).sum(axis=2)
        flat = int(np.argmin(squared))
        i, j = divmod(flat, len(second))
        if squared[i, j] < best:
            best, where = float(squared[i, j]), (start + i, j)
    return where


def join_rings(rings: Sequence[Ring]) -> Ring:
    """One ring through every ring of ``rings``: each consecutive pair is
    bridged at its closest vertices, and every bridge is crossed out and back.

    The first ring is walked whole from its bridge vertex; each middle ring
    from where the bridge from the previous ring arrives (entry) on to where
    the bridge to the next leaves (exit); the last whole; then, coming back,
    each middle ring's other arc, from its exit on to its entry, and the
    closing edge is the first bridge again.
    """
    if len(rings) == 1:
        return rings[0]
    links = [closest_vertices(rings[k - 1], rings[k]) for k in range(1, len(rings))]
    exit_0 = links[0][0]
    out = [_walk(rings[0], exit_0), rings[0][exit_0 : exit_0 + 1]]
    back = []
    for k in range(1, len(rings) - 1):
        ring, entry, leave = rings[k], links[k - 1][1], links[k][0]
        turned = _walk(ring, entry)
        steps = (leave - entry) % len(ring)
        out.append(turned[: steps + 1])  # entry .. exit
        back.append(np.concatenate([turned[steps:], turned[:1]]))  # exit .. entry
    last, entry = rings[-1], links[-1][1]
    out += [_walk(last, entry), last[entry : entry + 1]]
    out += reversed(back)
    return np.concatenate(out)


def _walk(ring: Ring, start: int) -> Ring:
    """The ring's vertices from ``start`` on, once round."""
    return np.concatenate([ring[start:], ring[:start]])


def boxes_overlap(first: Ring, second: Ring) -> bool:
    """Whether the rings' bounding boxes share some area: parts that may
    overlap, whose overlap the even-odd rule would empty."""
    (ax0, ay0), (ax1, ay1) = first.min(axis=0), first.max(axis=0)
    (bx0, by0), (bx1, by1) = second.min(axis=0), second.max(axis=0)
    return bool(ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1)
