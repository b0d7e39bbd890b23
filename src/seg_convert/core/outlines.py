"""Outlines traced from a mask, for objects that have none of their own
(labelme lines, linestrips, points and masks; COCO RLE), for every format that
writes outlines: OpenCV's ``findContours``, imported here only, when the first
such object comes.

Each connected component's outer boundary and its holes become one ring
(``rings.join_rings``); the components are then joined the same way. The
vertices are the centres of the boundary pixels, in the pixel coordinates of
labelme's drawing (pixel i at x = i): filled back as OpenCV fills polygons
(edges included), a component with holes gives its pixels again.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from seg_convert.core.objects import Box
from seg_convert.core.rings import Ring, distinct_vertices, join_rings

INSTALL_HINT = (
    "outlines of line, linestrip, point and mask shapes and of RLE objects are "
    "traced with OpenCV, which is not installed: pip install 'seg-convert[yolo]' "
    "(or convert with --task detect)"
)


class TracingUnavailable(Exception):
    """OpenCV is not installed (the ``yolo`` extra)."""


def opencv() -> ModuleType:
    """OpenCV, imported on first use (a 170 MB install, 16 ms to import: only
    for tracing, never at start-up)."""
    try:
        import cv2
    except ImportError:
        raise TracingUnavailable(INSTALL_HINT) from None
    return cv2


def traced_rings(mask: npt.NDArray[np.uint8], box: Box) -> list[Ring]:
    """One ring per connected component of ``mask``'s 1s within ``box`` (its
    holes joined in), in OpenCV's order. A component too thin to enclose an
    area (a pixel, a one-pixel line) gets the ring there and back along its
    pixels' centres, 3 vertices at least: filled as OpenCV and Pillow fill
    polygons (edges included), it gives those pixels."""
    cv2: Any = opencv()
    x0, y0, x1, y1 = box
    # A margin of 0s: components touching the crop's edge are traced whole.
    crop = np.zeros((y1 - y0 + 2, x1 - x0 + 2), dtype=np.uint8)
    crop[1:-1, 1:-1] = mask[y0:y1, x0:x1]
    contours, hierarchy = cv2.findContours(
        crop, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    if hierarchy is None:
        return []
    links = hierarchy.reshape(-1, 4)  # next, previous, first child, parent
    offset = np.array([x0 - 1, y0 - 1], dtype=np.float64)

    def ring(index: int) -> Ring:
        points: Ring = contours[index].reshape(-1, 2).astype(np.float64) + offset
        return distinct_vertices(points)

    found = []
    for index in range(len(contours)):
        if links[index][3] >= 0:
            continue  # a hole: joined into its outer boundary below
        outer = ring(index)
        if len(outer) < 3:
            found.append(_thin(outer))
            continue
        holes, child = [], int(links[index][2])
        while child >= 0:
            hole = ring(child)
            if len(hole) >= 3:
                holes.append(hole)
            child = int(links[child][0])
        found.append(join_rings([outer, *holes]))
    return found


def _thin(points: Ring) -> Ring:
    """A ring of 3 vertices on a component's 1 or 2 distinct ones: a pixel
    (the same vertex thrice) or a straight one-pixel line (there and back)."""
    ring: Ring = (
        np.concatenate([points, points[::-1]])[:3]
        if len(points) == 2
        else (np.repeat(points, 3, axis=0))
    )
    return ring
