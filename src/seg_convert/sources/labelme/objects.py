"""A labelme file's objects: its shapes grouped by (label, group_id), each
object's mask the union of its shapes as drawn, whatever covers it.

The class and instance arrays of ``rasterize`` keep only what stays visible after
later shapes paint over earlier ones. COCO's ``area`` and ``bbox`` (and VOC's
object boxes) describe the whole object instead: labelme's COCO example takes the
union of each shape's own mask per (label, group_id). We draw the same shapes with
the same Pillow calls, one instance at a time.

Each instance is drawn on a canvas the size of the image, never on one cropped to
its shapes and shifted: Pillow fills polygons with float32 scan lines, so moving
a polygon by whole pixels can move its edge pixels (e.g. the triangle
(19.24, 24.40), (22.81, 59.47), (8.84, 7.50) differs in a pixel when shifted
470 px right; see tests/sources/labelme/test_objects.py). Drawing is cheap; what
costs is copying pixels out, so only the drawn box is copied.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from seg_convert.core.labels import BACKGROUND_NAME, IGNORE_NAME
from seg_convert.core.objects import Box, SampleObject, Shapes
from seg_convert.core.shapes import Shape, circle_radius
from seg_convert.sources.labelme.rasterize import draw_shape, instance_numbers


def sample_objects(
    shapes: Sequence[Shape], ids: Sequence[int], *, height: int, width: int
) -> list[SampleObject]:
    """The objects of one annotation in the order of their ids; each draws its
    mask when first asked.

    Objects are grouped and numbered exactly as ``rasterize`` numbers them;
    ``__ignore__`` and ``_background_`` ones take a number but are not returned.
    """
    numbers = instance_numbers(shapes)
    members: dict[int, list[int]] = {}
    for index, number in enumerate(numbers):
        members.setdefault(number, []).append(index)
    found = []
    for number, indices in members.items():
        first = shapes[indices[0]]
        if first.label in (IGNORE_NAME, BACKGROUND_NAME):
            continue
        own = tuple(shapes[index] for index in indices)
        found.append(
            SampleObject(
                number=number,
                label=first.label,
                class_id=ids[indices[0]],
                geometry=Shapes(own),
                draw=functools.partial(union_mask, own, height=height, width=width),
                truncated=any(
                    reaches_outside(shape, height=height, width=width) for shape in own
                ),
            )
        )
    return found


def reaches_outside(shape: Shape, *, height: int, width: int) -> bool:
    """Whether the shape extends beyond the image, [0, width] x [0, height].

    Those are the bounds labelme keeps every point in while one draws, so only a
    shape edited or made elsewhere gets here. Points count, and for a circle its
    rim; the drawing widths of lines and points do not (they are not the object).
    """
    if shape.shape_type == "circle":
        (cx, cy), rim = shape.points
        radius = circle_radius((cx, cy), rim)
        extent = [(cx - radius, cy - radius), (cx + radius, cy + radius)]
    elif shape.shape_type == "mask" and shape.mask is not None:
        # labelme puts the mask's top-left pixel at the truncated first corner.
        x0, y0 = (int(value) for value in shape.points[0])
        rows, columns = shape.mask.shape
        extent = [(x0, y0), (x0 + columns, y0 + rows)]
    else:
        extent = list(shape.points)
    return any(not (0 <= x <= width and 0 <= y <= height) for x, y in extent)


def union_mask(
    shapes: Sequence[Shape], *, height: int, width: int
) -> tuple[npt.NDArray[np.uint8], Box | None]:
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for shape in shapes:
        draw_shape(canvas, draw, shape, 1)
    mask = np.zeros((height, width), dtype=np.uint8, order="F")
    box = canvas.getbbox()
    if box is not None:
        x0, y0, x1, y1 = box
        mask[y0:y1, x0:x1] = np.asarray(canvas.crop(box))
    mask.setflags(write=False)
    return mask, box
