"""Panoptic segments, their PNG and categories."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from seg_convert.core.labels import BACKGROUND_NAME
from seg_convert.core.sample import Rasterized
from seg_convert.core.shapes import Shape
from seg_convert.formats.coco.panoptic import (
    MAX_SEGMENT_ID,
    category_color,
    panoptic_categories,
    panoptic_png,
    panoptic_segments,
    rgb_to_segment_ids,
    segment_ids_to_rgb,
)
from seg_convert.sources.labelme.objects import sample_objects
from seg_convert.sources.labelme.rasterize import class_ids, rasterize
from tests.sources.labelme.test_rasterize import TABLE, scenes

Scene = tuple[int, int, list[Shape]]
STUFF = frozenset({TABLE.ids["c"]})


def drawn(scene: Scene) -> Rasterized:
    width, height, shapes = scene
    ids = class_ids(shapes, TABLE, owner=Path("x.json"))
    return rasterize(shapes, ids, height=height, width=width)


def classes_of(scene: Scene) -> dict[int, int]:
    """Instance id -> class id, as the writer has it: from sample_objects, so
    without ``__ignore__`` and ``_background_`` objects."""
    width, height, shapes = scene
    ids = class_ids(shapes, TABLE, owner=Path("x.json"))
    found = sample_objects(shapes, ids, height=height, width=width)
    return {instance.number: instance.class_id for instance in found}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_segments_follow_the_rules(scene: Scene) -> None:
    result = drawn(scene)
    assert result.instances is not None
    instance_classes = classes_of(scene)
    segments, info = panoptic_segments(
        classes=result.classes,
        instances=result.instances,
        instance_classes=instance_classes,
        stuff_ids=STUFF,
    )
    assert segments.dtype == np.int32 and segments.shape == result.classes.shape
    # Background and ignore pixels are void; things are their visible instance.
    np.testing.assert_array_equal(segments == 0, result.classes <= 0)
    thing = (result.classes > 0) & ~np.isin(result.classes, list(STUFF))
    np.testing.assert_array_equal(segments[thing], result.instances[thing])
    # All pixels of a stuff class are one segment, the class's lowest id.
    for stuff in STUFF:
        ids = np.unique(segments[result.classes == stuff])
        numbers = [n for n, c in instance_classes.items() if c == stuff]
        assert ids.tolist() in ([], [min(numbers, default=0)])
    assert [s["id"] for s in info] == sorted(set(np.unique(segments)) - {0})
    for segment in info:
        pixels = segments == segment["id"]
        assert segment["area"] == int(pixels.sum()) > 0
        rows, columns = np.nonzero(pixels)
        x, y = int(columns.min()), int(rows.min())
        w, h = int(columns.max()) + 1 - x, int(rows.max()) + 1 - y
        assert segment["bbox"] == [x, y, w, h]
        assert np.unique(result.classes[pixels]).tolist() == [segment["category_id"]]
        assert segment["iscrowd"] == 0
    decoded = np.asarray(Image.open(io.BytesIO(panoptic_png(segments))))
    assert decoded.shape == (*segments.shape, 3)
    np.testing.assert_array_equal(rgb_to_segment_ids(decoded), segments)


def test_stuff_of_several_objects_is_one_segment() -> None:
    shapes = [
        Shape("c", "rectangle", ((0, 0), (3, 3))),
        Shape("a", "rectangle", ((2, 2), (5, 5))),
        Shape("c", "rectangle", ((6, 0), (9, 3))),
        Shape("a", "rectangle", ((6, 6), (9, 9))),
        Shape(BACKGROUND_NAME, "rectangle", ((8, 8), (9, 9))),
        Shape("__ignore__", "rectangle", ((0, 9), (0, 9))),
    ]
    result = drawn((10, 10, shapes))
    assert result.instances is not None
    segments, info = panoptic_segments(
        classes=result.classes,
        instances=result.instances,
        instance_classes=classes_of((10, 10, shapes)),
        stuff_ids=STUFF,
    )
    assert [(s["id"], s["category_id"], s["area"]) for s in info] == [
        (1, 3, 16 - 4 + 16),  # both stuff rectangles, less what object 2 covers
        (2, 1, 16),
        (4, 1, 16 - 4),  # the background rectangle covers its corner
    ]
    assert segments[9, 9] == 0 and segments[9, 0] == 0 and segments[0, 7] == 1


def test_no_segments() -> None:
    empty = np.zeros((3, 4), dtype=np.int32)
    segments, info = panoptic_segments(
        classes=empty, instances=empty, instance_classes={}, stuff_ids=()
    )
    assert info == [] and not segments.any()


@given(hnp.arrays(np.int32, (3, 5), elements=st.integers(0, MAX_SEGMENT_ID)))
def test_ids_round_trip_through_colors(segments: np.ndarray) -> None:  # type: ignore[type-arg]
    rgb = segment_ids_to_rgb(segments)
    assert rgb.dtype == np.uint8
    r, g, b = (rgb[..., channel].astype(np.int64) for channel in range(3))
    expected = r + 256 * g + 65536 * b
    np.testing.assert_array_equal(expected, segments)
    np.testing.assert_array_equal(rgb_to_segment_ids(rgb), segments)


@pytest.mark.parametrize("bad", [-1, MAX_SEGMENT_ID + 1])
def test_ids_beyond_a_color_are_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="segment ids"):
        segment_ids_to_rgb(np.array([[bad]], dtype=np.int32))


def test_png_is_deterministic_rgb() -> None:
    segments = np.arange(12, dtype=np.int32).reshape(3, 4) * 40_000
    png = panoptic_png(segments)
    assert png == panoptic_png(segments.copy())
    assert Image.open(io.BytesIO(png)).mode == "RGB"


def test_categories_have_voc_colors_and_isthing() -> None:
    found = panoptic_categories(TABLE.names, stuff_ids=STUFF)
    assert found == [
        {
            "id": 1,
            "name": "a",
            "supercategory": "a",
            "isthing": 1,
            "color": [128, 0, 0],
        },
        {
            "id": 2,
            "name": "b",
            "supercategory": "b",
            "isthing": 1,
            "color": [0, 128, 0],
        },
        {
            "id": 3,
            "name": "c",
            "supercategory": "c",
            "isthing": 0,
            "color": [128, 128, 0],
        },
    ]
    assert category_color(255) == [224, 224, 192]
