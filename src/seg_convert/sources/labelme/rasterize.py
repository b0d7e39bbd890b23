"""Turning shapes into a label array, pixel for pixel as labelme does.

labelme draws each shape with Pillow into a mask of its own and copies it into
the label array. We make the very same Pillow drawing calls, but with the class and
instance ids as the ink of one shared 32-bit canvas, which gives the same pixels
without a full-size mask per shape. Later shapes paint over earlier ones; whatever falls
outside the image is simply not drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from seg_convert.core.colormap import VOID_INDEX
from seg_convert.core.errors import AnnotationError
from seg_convert.core.labels import IGNORE_ID, LabelTable
from seg_convert.core.sample import Rasterized
from seg_convert.core.shapes import Shape, circle_radius

# labelme's drawing sizes for shapes with no area of their own.
LINE_WIDTH = 10
POINT_RADIUS = 5


def class_ids(shapes: Sequence[Shape], labels: LabelTable, *, owner: Path) -> list[int]:
    """The class id of every shape, or an error naming the first unknown label."""
    ids = []
    for index, shape in enumerate(shapes):
        class_id = labels.ids.get(shape.label)
        if class_id is None:
            raise AnnotationError(
                owner,
                f"shapes[{index}] (label {shape.label!r}): label is not in the "
                "labels file (add it there, or fix the annotation)",
            )
        ids.append(class_id)
    return ids


def rasterize(
    shapes: Sequence[Shape],
    ids: Sequence[int],
    *,
    height: int,
    width: int,
    instances: bool = True,
) -> Rasterized:
    """Paint ``shapes`` with their class ``ids`` and their instance ids.

    Without ``instances`` only the classes are drawn, on an 8-bit canvas, which
    is faster; ``Rasterized.instances`` is then None.
    """
    numbers = instance_numbers(shapes)
    # The class is the low byte (-1 as 255, the palette's void); with instances,
    # the instance id sits above it, so one pass draws both.
    inks = [
        (number << 8 if instances else 0) | (class_id & 0xFF)
        for number, class_id in zip(numbers, ids, strict=True)
    ]
    canvas = Image.new("I" if instances else "L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for shape, ink in zip(shapes, inks, strict=True):
        draw_shape(canvas, draw, shape, ink)
    object_ids = None
    if instances:
        drawn = np.asarray(canvas, dtype=np.int32)
        indices = (drawn & 0xFF).astype(np.uint8)
        object_ids = drawn >> 8
        object_ids[indices == VOID_INDEX] = 0
    else:
        indices = np.asarray(canvas, dtype=np.uint8)
    classes = indices.astype(np.int32)
    classes[indices == VOID_INDEX] = IGNORE_ID
    return Rasterized(
        classes=classes,
        indices=indices,
        instances=object_ids,
        instance_labels=tuple(
            {n: shape.label for n, shape in zip(numbers, shapes, strict=True)}.values()
        ),
    )


def instance_numbers(shapes: Sequence[Shape]) -> list[int]:
    """The instance id of each shape: 1, 2, ... by first appearance of its
    (label, group_id); a shape without group_id is an instance of its own.

    ``__ignore__`` and ``_background_`` shapes are numbered too, as labelme
    numbers them, so the ids match its SegmentationObject.
    """
    number_of: dict[tuple[str, object], int] = {}
    numbers = []
    for shape in shapes:
        key = (shape.label, object() if shape.group_id is None else shape.group_id)
        numbers.append(number_of.setdefault(key, len(number_of) + 1))
    return numbers


def draw_shape(
    canvas: Image.Image, draw: ImageDraw.ImageDraw, shape: Shape, ink: int
) -> None:
    """Paint one shape with ``ink`` onto ``canvas`` (``draw`` is its drawer) with
    the Pillow calls labelme makes, so the pixels are labelme's."""
    points = shape.points
    kind = shape.shape_type
    if kind in ("polygon", "oriented_rectangle"):
        draw.polygon(points, fill=ink, outline=ink)
    elif kind == "rectangle":
        (x0, y0), (x1, y1) = points
        box = ((min(x0, x1), min(y0, y1)), (max(x0, x1), max(y0, y1)))
        draw.rectangle(box, fill=ink, outline=ink)
    elif kind == "circle":
        (cx, cy), rim = points
        radius = circle_radius((cx, cy), rim)
        box = ((cx - radius, cy - radius), (cx + radius, cy + radius))
        draw.ellipse(box, fill=ink, outline=ink)
    elif kind == "point":
        ((cx, cy),) = points
        box = (
            (cx - POINT_RADIUS, cy - POINT_RADIUS),
            (cx + POINT_RADIUS, cy + POINT_RADIUS),
        )
        draw.ellipse(box, fill=ink, outline=ink)
    elif kind in ("line", "linestrip"):
        draw.line(points, fill=ink, width=LINE_WIDTH)
    elif kind == "mask":
        _paint_mask(canvas, shape, ink)
    else:  # The reader admits only the types above.
        raise ValueError(f"unknown shape_type {kind!r}")


def _paint_mask(canvas: Image.Image, shape: Shape, ink: int) -> None:
    if shape.mask is None:
        raise ValueError("a mask shape without its mask array")
    # labelme truncates the box corners to int; the mask's top-left goes there.
    (x1, y1), _ = ((int(x), int(y)) for x, y in shape.points)
    height, width = shape.mask.shape
    if x1 >= canvas.width or y1 >= canvas.height or x1 + width <= 0 or y1 + height <= 0:
        return  # wholly outside, maybe beyond what Pillow's box can hold
    stencil = Image.fromarray(shape.mask.astype(np.uint8) * 255)
    canvas.paste(ink, (x1, y1, x1 + width, y1 + height), stencil)
