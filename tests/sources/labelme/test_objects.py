"""Per-instance masks against labelme 6.3.1's own shape masks, the oracle."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import labelme.utils
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from PIL import Image, ImageDraw

from seg_convert.core.shapes import Shape
from seg_convert.sources.labelme.objects import reaches_outside, sample_objects
from seg_convert.sources.labelme.rasterize import class_ids, rasterize
from tests.sources.labelme.test_rasterize import TABLE, scenes

Scene = tuple[int, int, list[Shape]]


def labelme_shape_mask(shape: Shape, height: int, width: int) -> np.ndarray[Any, Any]:
    """labelme's mask of one shape: ``shape_to_mask``, or for a ``mask`` shape the
    placement ``shapes_to_label`` makes (``shape_to_mask`` has no mask type)."""
    if shape.shape_type != "mask":
        return labelme.utils.shape_to_mask(
            (height, width), [list(p) for p in shape.points], shape.shape_type
        )
    drawn = {
        "label": "x",
        "points": [list(p) for p in shape.points],
        "shape_type": "mask",
        "group_id": None,
        "mask": shape.mask,
    }
    classes, _ = labelme.utils.shapes_to_label((height, width), [drawn], {"x": 1})
    return classes == 1


def labelme_instances(
    shapes: list[Shape], height: int, width: int
) -> list[tuple[int, str, np.ndarray[Any, Any]]]:
    """(number, label, union mask) per instance, as labelme's labelme2coco example
    groups shapes, numbered as its shapes_to_label numbers them."""
    order: list[tuple[str, object]] = []
    masks: dict[tuple[str, object], np.ndarray[Any, Any]] = {}
    for shape in shapes:
        key = (shape.label, uuid.uuid1() if shape.group_id is None else shape.group_id)
        mask = labelme_shape_mask(shape, height, width)
        if key in masks:
            masks[key] = masks[key] | mask
        else:
            order.append(key)
            masks[key] = mask
    return [
        (number, key[0], masks[key])
        for number, key in enumerate(order, start=1)
        if key[0] not in ("__ignore__", "_background_")
    ]


def ids_of(shapes: list[Shape]) -> list[int]:
    return class_ids(shapes, TABLE, owner=Path("x.json"))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_masks_equal_labelme_shape_masks_unioned(scene: Scene) -> None:
    width, height, shapes = scene
    ours = sample_objects(shapes, ids_of(shapes), height=height, width=width)
    theirs = labelme_instances(shapes, height, width)
    assert [(i.number, i.label) for i in ours] == [(n, lb) for n, lb, _ in theirs]
    visible = rasterize(shapes, ids_of(shapes), height=height, width=width)
    for instance, (_, _, mask) in zip(ours, theirs, strict=True):
        assert instance.mask.shape == (height, width)
        assert instance.mask.dtype == np.uint8 and instance.mask.flags.f_contiguous
        np.testing.assert_array_equal(instance.mask, mask.astype(np.uint8))
        assert instance.class_id == TABLE.ids[instance.label]
        # What rasterize shows of the instance is part of its whole mask.
        seen = visible.instances == instance.number
        assert not (seen & (instance.mask == 0)).any()
        if mask.any():
            rows, columns = np.nonzero(mask)
            box = (columns.min(), rows.min(), columns.max() + 1, rows.max() + 1)
            assert instance.box == box
        else:
            assert instance.box is None


def test_groups_numbers_and_skips_ignore_and_background() -> None:
    shapes = [
        Shape("a", "rectangle", ((0, 0), (3, 3)), group_id=1),
        Shape("__ignore__", "rectangle", ((4, 0), (7, 3))),
        Shape("_background_", "rectangle", ((4, 0), (7, 3))),
        Shape("a", "point", ((9, 2),), group_id=1),
        Shape("b", "line", ((12, 0), (15, 3)), group_id=1),
        Shape("a", "rectangle", ((16, 0), (19, 3))),
    ]
    found = sample_objects(shapes, ids_of(shapes), height=4, width=24)
    assert [(i.number, i.label, i.class_id) for i in found] == [
        (1, "a", 1),
        (4, "b", 2),
        (5, "a", 1),
    ]
    assert [{s.shape_type for s in i.shapes} for i in found] == [
        frozenset({"rectangle", "point"}),
        frozenset({"line"}),
        frozenset({"rectangle"}),
    ]
    assert found[0].shapes == (shapes[0], shapes[3])


def test_mask_is_not_cropped_by_later_shapes() -> None:
    shapes = [
        Shape("a", "rectangle", ((0, 0), (9, 9))),
        Shape("b", "rectangle", ((2, 2), (7, 7))),
        Shape("__ignore__", "rectangle", ((0, 0), (1, 1))),
    ]
    first, second = sample_objects(shapes, ids_of(shapes), height=10, width=10)
    assert first.mask.all() and first.box == (0, 0, 10, 10)
    assert second.mask.sum() == 36 and second.box == (2, 2, 8, 8)
    assert not first.mask.flags.writeable


def test_shape_wholly_outside_gives_an_empty_mask() -> None:
    shapes = [Shape("a", "polygon", ((20, 20), (30, 20), (25, 30)))]
    (instance,) = sample_objects(shapes, ids_of(shapes), height=10, width=10)
    assert not instance.mask.any() and instance.box is None and instance.truncated


@pytest.mark.parametrize(
    ("shape", "outside"),
    [
        (Shape("a", "polygon", ((0, 0), (10, 0), (10, 8))), False),
        (Shape("a", "polygon", ((0, 0), (10.01, 0), (10, 8))), True),
        (Shape("a", "rectangle", ((-0.5, 2), (4, 4))), True),
        (Shape("a", "circle", ((5, 4), (5, 0))), False),
        (Shape("a", "circle", ((5, 4), (5, 8.5))), True),
        (Shape("a", "point", ((0, 0),)), False),
        (Shape("a", "line", ((0, 0), (10, 8))), False),
        (Shape("a", "linestrip", ((0, 0), (10, 8), (3, 9))), True),
        (Shape("a", "mask", ((6, 4), (9, 7)), mask=np.ones((4, 4), bool)), False),
        (Shape("a", "mask", ((7.9, 4), (10, 7)), mask=np.ones((4, 4), bool)), True),
    ],
    ids=lambda value: getattr(value, "shape_type", str(value)),
)
def test_reaches_outside_the_image(shape: Shape, outside: bool) -> None:
    assert reaches_outside(shape, height=8, width=10) is outside
    (instance,) = sample_objects([shape], ids_of([shape]), height=8, width=10)
    assert instance.truncated is outside


def test_pillow_polygons_move_pixels_when_shifted() -> None:
    """Why each instance is drawn on a canvas the size of the image: a polygon
    drawn on a cropped canvas, shifted by whole pixels, loses a pixel here. If
    Pillow ever makes this pass, cropped drawing could be reconsidered."""
    triangle = [(19.24, 24.40), (22.81, 59.47), (8.84, 7.50)]
    shift = 470
    small = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(small).polygon(triangle, fill=1, outline=1)
    wide = Image.new("L", (64 + shift, 64), 0)
    moved = [(x + shift, y) for x, y in triangle]
    ImageDraw.Draw(wide).polygon(moved, fill=1, outline=1)
    back = np.asarray(wide.crop((shift, 0, shift + 64, 64)))
    assert not np.array_equal(np.asarray(small), back)
