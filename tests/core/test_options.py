"""The options object: which options shape the output (the re-run key) and
which are reported, per format."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from seg_convert.core.labels import LabelTable
from seg_convert.core.options import COCO, LABELME, VOC, YOLO, Options
from seg_convert.core.shards import Shard
from seg_convert.run.registry import output_format as output_format_named

LABELS = LabelTable(("_background_", "cat", "sky"))
BASE = Options(labels=LABELS, panoptic=True)

# A different value for every field, and whether it must change each format's key.
CHANGES: list[tuple[str, Any, set[str]]] = [
    ("labels", LabelTable(("_background_", "dog")), {VOC, COCO, YOLO, LABELME}),
    ("layout", "voc", {VOC}),
    ("instances", True, {VOC}),
    ("npy", False, {VOC}),
    ("visualize", False, {VOC, COCO, YOLO, LABELME}),
    ("font", "/fonts/x.ttf", {VOC, COCO, YOLO, LABELME}),
    ("max_image_pixels", 10, {VOC, COCO, YOLO, LABELME}),
    ("max_image_bytes", 10, {VOC, COCO, YOLO, LABELME}),
    ("json_encoding", "gbk", {VOC, COCO, YOLO, LABELME}),
    ("segmentation", "rle", {COCO}),
    ("crop_covered", True, {COCO}),
    ("panoptic", False, {COCO}),
    ("stuff", ("sky",), {COCO}),
    ("task", "detect", {YOLO}),
    ("labelme_shapes", "polygon", {LABELME}),
    ("val_fraction", 0.5, {COCO, YOLO}),
    ("split_seed", 3, {COCO, YOLO}),
    ("jobs", 4, set()),
    ("fail_fast", True, set()),
    ("force", True, set()),
    ("recursive", True, set()),
    ("flatten_names", True, set()),
    ("shard", Shard(0, 2), set()),
    ("debug", True, set()),
]


def test_every_option_is_listed_here() -> None:
    """A new option must be classified here, so its place in the key is a
    decision, not an accident."""
    assert [name for name, _, _ in CHANGES] == [
        field.name for field in dataclasses.fields(Options)
    ]


@pytest.mark.parametrize(
    ("name", "value", "shapes"), CHANGES, ids=[c[0] for c in CHANGES]
)
@pytest.mark.parametrize("output_format", [VOC, COCO, YOLO, LABELME])
def test_the_key_changes_exactly_with_the_options_that_shape_samples(
    name: str, value: Any, shapes: set[str], output_format: str
) -> None:
    changed = dataclasses.replace(BASE, **{name: value})
    # As a run keys samples: with the split where the format's samples have it.
    split = output_format_named(output_format).split_in_samples
    differs = changed.sample_key(output_format, with_split=split) != BASE.sample_key(
        output_format, with_split=split
    )
    assert differs == (output_format in shapes)


def test_formats_have_different_keys() -> None:
    keys = {BASE.sample_key(name) for name in (VOC, COCO, YOLO, LABELME)}
    assert len(keys) == 4


def test_the_report_shows_the_options_of_its_format() -> None:
    voc, coco = BASE.describe(VOC), BASE.describe(COCO)
    assert "layout" in voc and "layout" not in coco
    assert "panoptic" in coco and "panoptic" not in voc
    assert "debug" not in voc
    assert voc["labels"] == ["_background_", "cat", "sky"]


@pytest.mark.parametrize(
    "changes",
    [
        {"val_fraction": 1.5},
        {"jobs": 0},
        {"segmentation": "polygons"},
        {"task": "pose"},
        {"labelme_shapes": "rle"},
        {"stuff": ("road",)},
        {"stuff": ("sky",), "panoptic": False},
    ],
)
def test_impossible_options_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(BASE, **changes)


def test_stuff_in_any_order_is_the_same_run() -> None:
    one = dataclasses.replace(BASE, stuff=("sky", "cat"))
    other = dataclasses.replace(BASE, stuff=("cat", "sky", "cat"))
    assert one == other and one.sample_key(COCO) == other.sample_key(COCO)
