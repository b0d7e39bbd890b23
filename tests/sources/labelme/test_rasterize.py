"""The rasterizer against labelme's own ``shapes_to_label``, the oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import labelme.utils
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seg_convert.core.errors import AnnotationError
from seg_convert.core.labels import LabelTable
from seg_convert.core.shapes import Shape
from seg_convert.sources.labelme.rasterize import class_ids, rasterize
from seg_convert.sources.labelme.shape_parsing import MAX_CIRCLE_RADIUS

TABLE = LabelTable(names=("_background_", "a", "b", "c"))
LABEL_NAMES = ["__ignore__", *TABLE.names]


def labelme_arrays(
    shapes: list[Shape], height: int, width: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """What labelme 6.3.1 computes for the same shapes: class and instance ids,
    the latter with ignore pixels zeroed as labelme's instance example does."""
    dicts = [
        {
            "label": s.label,
            "points": [list(p) for p in s.points],
            "shape_type": s.shape_type,
            "group_id": s.group_id,
            "mask": s.mask,
        }
        for s in shapes
    ]
    cls, ins = labelme.utils.shapes_to_label(
        img_shape=(height, width, 3), shapes=dicts, label_name_to_value=dict(TABLE.ids)
    )
    ins[cls == -1] = 0
    return cls, ins


def labelme_label(shapes: list[Shape], height: int, width: int) -> np.ndarray[Any, Any]:
    return labelme_arrays(shapes, height, width)[0]


def ours(shapes: list[Shape], height: int, width: int) -> np.ndarray[Any, Any]:
    ids = class_ids(shapes, TABLE, owner=Path("x.json"))
    return rasterize(shapes, ids, height=height, width=width).classes


@st.composite
def coordinate(draw: st.DrawFn, extent: int) -> float:
    """Mostly inside the image, sometimes outside; integers, halves and any float."""
    value = draw(
        st.one_of(
            st.integers(-extent // 2, extent + extent // 2).map(float),
            st.integers(-extent, 3 * extent).map(lambda v: v / 2),
            st.floats(-extent, 2 * extent, allow_nan=False),
        )
    )
    return float(value)


@st.composite
def points(draw: st.DrawFn, count: int, width: int, height: int) -> tuple:
    return tuple(
        (draw(coordinate(width)), draw(coordinate(height))) for _ in range(count)
    )


@st.composite
def shapes_in(draw: st.DrawFn, width: int, height: int) -> Shape:
    kind = draw(
        st.sampled_from(
            [
                "polygon",
                "rectangle",
                "circle",
                "line",
                "linestrip",
                "point",
                "oriented_rectangle",
                "mask",
            ]
        )
    )
    label = draw(st.sampled_from(LABEL_NAMES))
    group_id = draw(st.sampled_from([None, None, 0, 1, 7]))
    count = {
        "polygon": draw(st.integers(3, 8)),
        "linestrip": draw(st.integers(2, 6)),
        "oriented_rectangle": 4,
        "point": 1,
    }.get(kind, 2)
    if kind != "mask":
        return Shape(label, kind, draw(points(count, width, height)), group_id)
    # labelme itself fails on a mask box that leaves the image; stay inside it.
    x1 = draw(st.integers(0, width - 1))
    y1 = draw(st.integers(0, height - 1))
    x2 = draw(st.integers(x1, width - 1))
    y2 = draw(st.integers(y1, height - 1))
    fraction = draw(st.sampled_from([0.0, 0.25, 0.5, 0.9]))
    mask = np.array(
        draw(
            st.lists(
                st.booleans(),
                min_size=(y2 - y1 + 1) * (x2 - x1 + 1),
                max_size=(y2 - y1 + 1) * (x2 - x1 + 1),
            )
        )
    ).reshape(y2 - y1 + 1, x2 - x1 + 1)
    box = ((x1 + fraction, y1 + fraction), (x2 + fraction, y2 + fraction))
    return Shape(label, kind, box, group_id, mask=mask)


@st.composite
def scenes(draw: st.DrawFn) -> tuple[int, int, list[Shape]]:
    width = draw(st.integers(1, 48))
    height = draw(st.integers(1, 48))
    shapes = draw(st.lists(shapes_in(width, height), min_size=0, max_size=6))
    return width, height, shapes


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_random_shapes_equal_labelme(scene: tuple[int, int, list[Shape]]) -> None:
    width, height, shapes = scene
    ids = class_ids(shapes, TABLE, owner=Path("x.json"))
    result = rasterize(shapes, ids, height=height, width=width)
    classes, instances = labelme_arrays(shapes, height, width)
    np.testing.assert_array_equal(result.classes, classes)
    np.testing.assert_array_equal(result.instances, instances)
    np.testing.assert_array_equal(result.indices, np.where(classes < 0, 255, classes))
    # Without instances the classes are drawn on an 8-bit canvas: same pixels.
    eight_bit = rasterize(shapes, ids, height=height, width=width, instances=False)
    np.testing.assert_array_equal(eight_bit.classes, classes)
    np.testing.assert_array_equal(eight_bit.indices, result.indices)
    assert eight_bit.instances is None


def test_instances_follow_label_and_group_id() -> None:
    shapes = [
        Shape("a", "rectangle", ((0, 0), (3, 3)), group_id=1),
        Shape("b", "rectangle", ((4, 0), (7, 3)), group_id=1),
        Shape("a", "rectangle", ((8, 0), (11, 3)), group_id=1),
        Shape("a", "rectangle", ((12, 0), (15, 3))),
        Shape("a", "rectangle", ((16, 0), (19, 3))),
        Shape("__ignore__", "rectangle", ((20, 0), (23, 3))),
    ]
    ids = class_ids(shapes, TABLE, owner=Path("x.json"))
    result = rasterize(shapes, ids, height=4, width=24)
    assert result.instances[0, ::4].tolist() == [1, 2, 1, 3, 4, 0]
    assert result.instance_labels == ("a", "b", "a", "a", "__ignore__")


@pytest.mark.parametrize(
    "shape",
    [
        Shape("a", "polygon", ((2.5, 3.2), (40.7, 5.1), (20.2, 30.9))),
        Shape("a", "rectangle", ((40.0, 30.0), (5.5, 4.5))),
        Shape("a", "circle", ((20.0, 20.0), (27.3, 25.1))),
        Shape("a", "line", ((3.0, 3.0), (40.0, 28.0))),
        Shape("a", "linestrip", ((3.0, 3.0), (40.0, 8.0), (10.0, 30.0))),
        Shape("a", "point", ((20.0, 15.0),)),
        Shape("a", "oriented_rectangle", ((10, 5), (30, 12), (25, 28), (5, 21))),
        Shape(
            "a",
            "mask",
            ((4.9, 6.2), (8.1, 9.0)),
            mask=np.array([[1, 0, 1, 1, 0]] * 4, dtype=bool),
        ),
    ],
    ids=lambda s: s.shape_type,
)
def test_every_shape_type_draws_and_equals_labelme(shape: Shape) -> None:
    label = ours([shape], 36, 48)
    assert (label == 1).any()
    np.testing.assert_array_equal(label, labelme_label([shape], 36, 48))


def test_later_shapes_paint_over_earlier_ones_including_background_and_ignore() -> None:
    shapes = [
        Shape("a", "rectangle", ((0, 0), (20, 20))),
        Shape("b", "rectangle", ((5, 5), (15, 15))),
        Shape("_background_", "rectangle", ((8, 8), (10, 10))),
        Shape("__ignore__", "point", ((2, 2),)),
    ]
    label = ours(shapes, 24, 24)
    assert label[0, 20] == 1 and label[6, 6] == 2
    assert label[9, 9] == 0 and label[2, 2] == -1
    np.testing.assert_array_equal(label, labelme_label(shapes, 24, 24))


def test_mask_box_partly_outside_the_image_is_clipped() -> None:
    """labelme fails here; we paint the part of the mask inside the image."""
    mask = np.ones((4, 6), dtype=bool)
    mask[0, 0] = False
    label = ours([Shape("c", "mask", ((-2.0, 30.0), (3.0, 33.0)), mask=mask)], 32, 10)
    expected = np.zeros((32, 10), np.int32)
    expected[30:32, 0:4] = np.where(mask[0:2, 2:6], 3, 0)
    np.testing.assert_array_equal(label, expected)


def test_unknown_label_names_the_shape() -> None:
    shapes = [Shape("a", "point", ((1, 1),)), Shape("cow", "point", ((1, 1),))]
    with pytest.raises(AnnotationError) as caught:
        class_ids(shapes, TABLE, owner=Path("in/x.json"))
    assert str(caught.value) == (
        "in/x.json: shapes[1] (label 'cow'): label is not in the labels file "
        "(add it there, or fix the annotation)"
    )


def test_input_is_not_modified_and_result_is_int32() -> None:
    mask = np.ones((2, 2), dtype=bool)
    mask.setflags(write=False)
    shape = Shape("b", "mask", ((1, 1), (2, 2)), mask=mask)
    label = ours([shape], 4, 4)
    assert label.dtype == np.int32 and label.shape == (4, 4)
    assert mask.all()


@pytest.mark.parametrize("radius", [1_000, 100_000, MAX_CIRCLE_RADIUS])
def test_largest_circles_equal_labelme(radius: int) -> None:
    """Circles up to the largest radius the reader accepts, their rim crossing
    the image, are drawn as labelme draws them."""
    centre = (20.0 - radius * 0.6, 15.0 + radius * 0.8)  # rim through (20, 15)
    circle = Shape("a", "circle", (centre, (20.0, 15.0)))
    label = ours([circle], 36, 48)
    assert 0 < (label == 1).sum() < 36 * 48
    np.testing.assert_array_equal(label, labelme_label([circle], 36, 48))
