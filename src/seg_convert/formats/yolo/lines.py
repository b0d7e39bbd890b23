"""The label line of one object: ``CLASS x1 y1 ... xn yn`` (segment) or
``CLASS cx cy w h`` (detect), normalized to the image and written with
``DECIMALS`` decimals.

Segment: an object whose shapes are all areas with corners or circles (labelme
polygons, rectangles, oriented rectangles, circles as the inscribed polygons
labelme2coco writes) or that has COCO polygons keeps them vertex for vertex,
clipped to the image; its mask is never drawn. Everything else — lines,
linestrips, points, masks, RLE, parts whose boxes overlap (the even-odd rule
would empty their overlap), polygons that enclose no area once clipped — is
traced from its mask as drawn (``tracing``). Detect: the box of the mask's
pixels, as COCO's bbox.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seg_convert.core.objects import Polygons, SampleObject, Shapes
from seg_convert.core.outlines import traced_rings
from seg_convert.core.rings import (
    Ring,
    boxes_overlap,
    clip_to_image,
    distinct_vertices,
    has_area,
    join_rings,
)
from seg_convert.core.shapes import POLYGON_SHAPE_TYPES, shape_polygon

# Read back as float32 and multiplied by the image's size (as ultralytics
# does), 6 decimals put every vertex within 0.01 px of ours for sides up to
# 16384 px (measured worst 0.0087 px; docs/yolo.md).
DECIMALS = 6
_NUMBER = f"{{:.{DECIMALS}f}}"

WARNING_EMPTY = "objects with no pixel inside the image left out"
# Circles are inscribed in their own radius, not labelme2coco's radius + 0.5
# (for pycocotools): ultralytics fills int-truncated vertices edges included,
# so + 0.5 made small circles a pixel too wide all round (mean IoU against
# labelme's disc 0.88 instead of 0.93 under 32x32 px; benchmarks/bench_yolo.py).
CIRCLE_RIM = 0.0
# Traced vertices are the boundary pixels' centres (pixel i at i), moved this
# far right and down: ultralytics truncates x * width, read as float32, to the
# pixel, and a whole-pixel vertex read back just under i (0.99375 is not exact
# in float32) would land on pixel i - 1. Within the pixel, a quarter is wider
# than 6 decimals' error at any side up to 16384 px.
TRACED_OFFSET = 0.25


def segment_line(
    item: SampleObject, *, width: int, height: int
) -> tuple[str | None, str | None]:
    """The object's segment line, or None and the warning that says why not."""
    ring = _own_outline(item, width=width, height=height)
    if ring is None:
        if item.box is None:
            return None, WARNING_EMPTY
        ring = join_rings(traced_rings(item.mask, item.box)) + TRACED_OFFSET
    # Parts that touch give a bridge of no length: its repeated vertex is
    # dropped, so a line read back as a polygon is written the same again. A
    # thin object's 1 or 2 vertices are repeated to 3, from the topmost
    # (never 2 points, which ultralytics reads as a box); filled, they are its
    # pixels, and read back they give the same line again.
    ring = distinct_vertices(ring)
    if len(ring) < 3:
        ring = np.resize(ring[np.lexsort((ring[:, 0], ring[:, 1]))], (3, 2))
    scale = np.array([width, height], dtype=np.float64)
    normalized = np.clip(ring / scale, 0.0, 1.0) + 0.0  # + 0.0: no -0.0
    return _line(item.class_id, normalized.ravel().tolist()), None


def detect_line(
    item: SampleObject, *, width: int, height: int
) -> tuple[str | None, str | None]:
    """The object's box line, or None and the warning that says why not."""
    if item.box is None:
        return None, WARNING_EMPTY
    x0, y0, x1, y1 = item.box
    values = [
        (x0 + x1) / 2 / width,
        (y0 + y1) / 2 / height,
        (x1 - x0) / width,
        (y1 - y0) / height,
    ]
    return _line(item.class_id, values), None


def _line(class_id: int, values: Sequence[float]) -> str:
    # YOLO's classes are the labels' classes after _background_, from 0.
    return " ".join([str(class_id - 1), *(_NUMBER.format(v) for v in values)])


def own_parts(item: SampleObject) -> list[Ring] | None:
    """The object's own polygons in pixel coordinates, or None when it has
    no outline of its own (a line, point or mask shape among its shapes; RLE)."""
    geometry = item.geometry
    if isinstance(geometry, Polygons):
        flats = [list(part) for part in geometry.polygons]
    elif isinstance(geometry, Shapes):
        shapes = geometry.shapes
        if not shapes or any(s.shape_type not in POLYGON_SHAPE_TYPES for s in shapes):
            return None
        flats = [shape_polygon(shape, rim=CIRCLE_RIM) for shape in shapes]
    else:
        return None
    return [np.array(flat, dtype=np.float64).reshape(-1, 2) for flat in flats]


def _own_outline(item: SampleObject, *, width: int, height: int) -> Ring | None:
    """The object's own polygons clipped and joined; None when they cannot
    stand for it (no outline of its own, parts that may overlap, nothing with
    an area left inside the image): then it is traced from its mask."""
    parts = own_parts(item)
    if parts is None:
        return None
    kept = []
    for part in parts:
        clipped = distinct_vertices(clip_to_image(part, width=width, height=height))
        if has_area(clipped):
            kept.append(clipped)
    if not kept:
        return None
    for index, part in enumerate(kept):
        if any(boxes_overlap(part, other) for other in kept[index + 1 :]):
            return None
    return join_rings(kept)
