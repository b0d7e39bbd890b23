"""COCO annotation fields against pycocotools and labelme's own COCO example."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask
import pytest
from hypothesis import HealthCheck, example, given, settings
from pycocotools.cocoeval import COCOeval

from seg_convert.core.labels import read_labels_file
from seg_convert.core.objects import SampleObject
from seg_convert.core.options import SEGMENTATION_MODES, SegmentationMode
from seg_convert.core.rings import clip_polygon
from seg_convert.core.shapes import Shape, shape_polygon
from seg_convert.formats.coco.annotations import (
    annotation_fields,
    categories,
    covered_annotation_fields,
)
from seg_convert.sources.labelme.annotation import read_annotation
from seg_convert.sources.labelme.objects import sample_objects
from seg_convert.sources.labelme.rasterize import class_ids, rasterize
from tests.coco_checks import boundary_zone, check_loader_rules, load_coco
from tests.conftest import SHARED_EXAMPLES, requires_shared
from tests.sources.labelme.test_objects import labelme_instances
from tests.sources.labelme.test_rasterize import TABLE, scenes

Scene = tuple[int, int, list[Shape]]
CATEGORIES = categories(TABLE.names)


def objects(shapes: list[Shape], height: int, width: int) -> list[SampleObject]:
    ids = class_ids(shapes, TABLE, owner=Path("x.json"))
    return sample_objects(shapes, ids, height=height, width=width)


def dataset(
    scenes_: list[Scene], mode: SegmentationMode
) -> tuple[dict[str, Any], dict[int, SampleObject]]:
    """A COCO dataset of the scenes, and the instance behind each annotation id."""
    images, annotations, behind = [], [], {}
    for image_id, (width, height, shapes) in enumerate(scenes_, start=1):
        images.append({"id": image_id, "width": width, "height": height})
        for instance in objects(shapes, height, width):
            fields = annotation_fields(instance, segmentation=mode)
            if fields is not None:
                ann_id = len(annotations) + 1
                annotations.append({"id": ann_id, "image_id": image_id, **fields})
                behind[ann_id] = instance
    data = {"images": images, "annotations": annotations, "categories": CATEGORIES}
    return json.loads(json.dumps(data)), behind  # as a loader reads it


def check_against_pycocotools(scene: Scene, mode: SegmentationMode) -> None:
    data, behind = dataset([scene], mode)
    check_loader_rules(data)
    coco = load_coco(data)
    width, height, shapes = scene
    theirs = {n: m for n, _, m in labelme_instances(shapes, height, width)}
    for ann in data["annotations"]:
        instance = behind[ann["id"]]
        # area and bbox are pycocotools' on the union of labelme's shape masks.
        oracle = pycocotools.mask.encode(
            np.asfortranarray(theirs[instance.number].astype(np.uint8))
        )
        assert ann["area"] == float(pycocotools.mask.area(oracle))
        assert ann["bbox"] == pycocotools.mask.toBbox(oracle).tolist()
        assert ann["category_id"] == instance.class_id
        drawn = coco.annToMask(ann)
        if isinstance(ann["segmentation"], dict):
            np.testing.assert_array_equal(drawn, instance.mask)
        else:
            assert mode == "auto"
            assert len(ann["segmentation"]) == len(instance.shapes)
            # Along the edges of the polygons written and of the shapes labelme
            # drew: clipped to the image, an edge is drawn between other
            # rounded ends than the shape's own.
            drawn_edges = [shape_polygon(shape) for shape in instance.shapes]
            zone = boundary_zone(ann["segmentation"] + drawn_edges, height, width)
            off = (drawn != instance.mask) & ~zone
            assert not off.any(), np.argwhere(off)
    dropped = [i for i in objects(shapes, height, width) if i.box is None]
    assert len(data["annotations"]) + len(dropped) == len(theirs)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
# Found by hypothesis: the polygon of a circle inscribed in its radius, not in
# the disc labelme draws, fell 1.5 pixels short at the rim.
@example((27, 30, [Shape("a", "circle", ((27.0, 0.0), (0.0, 0.0)))]))
# Found by hypothesis: a sliver clipped at the bottom, whose edge labelme drew
# to (-1.5, 81), not to where the clip cuts it.
@example((7, 48, [Shape("a", "polygon", ((0.0, 0.0), (7.0, 0.0), (-1.5, 81.0)))]))
def test_auto_segmentation_draws_back_to_the_mask(scene: Scene) -> None:
    check_against_pycocotools(scene, "auto")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_rle_segmentation_draws_back_to_the_mask_exactly(scene: Scene) -> None:
    check_against_pycocotools(scene, "rle")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_covered_annotations_paint_the_class_array(scene: Scene) -> None:
    """With --crop-covered the objects, painted with their categories, are
    labelme2voc's class array wherever it is not ignore."""
    width, height, shapes = scene
    ids = class_ids(shapes, TABLE, owner=Path("x.json"))
    drawn = rasterize(shapes, ids, height=height, width=width)
    assert drawn.instances is not None
    painted = np.zeros((height, width), dtype=np.int32)
    for instance in sample_objects(shapes, ids, height=height, width=width):
        fields = covered_annotation_fields(instance, instances=drawn.instances)
        visible = drawn.instances == instance.number
        if fields is None:
            assert not visible.any()
            continue
        rle = dict(fields["segmentation"])  # type: ignore[call-overload]
        mask = pycocotools.mask.decode(rle)
        np.testing.assert_array_equal(mask, visible)
        assert fields["area"] == float(visible.sum())
        assert not (painted[mask == 1]).any()  # visible parts never overlap
        painted[mask == 1] = fields["category_id"]  # type: ignore[assignment]
    kept = drawn.classes != -1
    np.testing.assert_array_equal(painted[kept], drawn.classes[kept])


EVERY_TYPE = [
    Shape("a", "polygon", ((2.5, 3.2), (40.7, 5.1), (20.2, 30.9))),
    Shape("b", "rectangle", ((40.0, 30.0), (5.5, 4.5))),
    Shape("c", "circle", ((20.0, 20.0), (27.3, 25.1))),
    Shape("a", "line", ((3.0, 3.0), (40.0, 28.0))),
    Shape("b", "linestrip", ((3.0, 3.0), (40.0, 8.0), (10.0, 30.0))),
    Shape("c", "point", ((20.0, 15.0),)),
    Shape("a", "oriented_rectangle", ((10, 5), (30, 12), (25, 28), (5, 21))),
    Shape("b", "mask", ((4.9, 6.2), (8.1, 9.0)), mask=np.eye(4, 5, dtype=bool)),
]


def self_evaluation(data: dict[str, Any], iou_type: str) -> float:
    """COCOeval's AP of the ground truth scored as detections of itself."""
    coco = load_coco(data)
    results = []
    for ann in data["annotations"]:
        found = {"image_id": ann["image_id"], "category_id": ann["category_id"]}
        if iou_type == "segm":
            found["segmentation"] = coco.annToRLE(ann)  # results are RLE
        else:
            found["bbox"] = ann["bbox"]
        results.append({**found, "score": 1.0})
    with contextlib.redirect_stdout(io.StringIO()):
        evaluation = COCOeval(coco, coco.loadRes(results), iou_type)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0])


@pytest.mark.parametrize("mode", SEGMENTATION_MODES)
@pytest.mark.parametrize("iou_type", ["segm", "bbox"])
def test_ground_truth_scores_ap_1_against_itself(mode: str, iou_type: str) -> None:
    scenes_ = [(48, 36, [shape]) for shape in EVERY_TYPE]
    scenes_.append((48, 36, EVERY_TYPE))  # all at once, covering each other
    grouped = [
        Shape(s.label, s.shape_type, s.points, group_id=1, mask=s.mask)
        for s in EVERY_TYPE
    ]
    scenes_.append((48, 36, grouped))  # one object per label, of many shapes
    data, _ = dataset(scenes_, mode)  # type: ignore[arg-type]
    assert len(data["annotations"]) == 2 * len(EVERY_TYPE) + 3
    assert self_evaluation(data, iou_type) == 1.0


@pytest.mark.parametrize(
    ("shapes", "polygon"),
    [
        ([EVERY_TYPE[0]], True),
        ([EVERY_TYPE[1]], True),
        ([EVERY_TYPE[2]], True),
        ([EVERY_TYPE[6]], True),
        ([EVERY_TYPE[3]], False),
        ([EVERY_TYPE[4]], False),
        ([EVERY_TYPE[5]], False),
        ([EVERY_TYPE[7]], False),
        # One stroke makes the whole object RLE.
        ([EVERY_TYPE[0], Shape("a", "point", ((1, 1),), group_id=None)], True),
        (
            [
                Shape("a", "polygon", EVERY_TYPE[0].points, group_id=3),
                Shape("a", "point", ((1, 1),), group_id=3),
            ],
            False,
        ),
        # A rectangle of no width, a circle smaller than a pixel, a polygon on
        # a line: labelme draws a line or a dot; as polygons they cover nothing.
        ([Shape("a", "rectangle", ((5, 5), (5, 20)))], False),
        ([Shape("a", "circle", ((5, 5), (5, 5.3)))], False),
        ([Shape("a", "polygon", ((5, 5), (10, 10), (20, 20)))], False),
        # Reaching a little outside the image, and farther than its size: the
        # polygons are clipped to it.
        ([Shape("a", "rectangle", ((-1, 5), (5, 20)))], True),
        ([Shape("a", "circle", ((3, 5), (3, 10)))], True),
        ([Shape("a", "polygon", ((1, 1), (20, 1), (20, 72.1)))], True),
        ([Shape("a", "polygon", ((1, 1), (20, 1), (-48.1, 20)))], True),
    ],
    ids=[
        "polygon",
        "rectangle",
        "circle",
        "oriented_rectangle",
        "line",
        "linestrip",
        "point",
        "mask",
        "polygon-and-point-apart",
        "polygon-and-point-grouped",
        "zero-width-rectangle",
        "zero-radius-circle",
        "collinear-polygon",
        "rectangle-outside",
        "circle-outside",
        "polygon-far-below",
        "polygon-far-left",
    ],
)
def test_auto_chooses_polygons_or_rle(shapes: list[Shape], polygon: bool) -> None:
    found = objects(shapes, 36, 48)
    first = annotation_fields(found[0], segmentation="auto")
    assert first is not None
    assert isinstance(first["segmentation"], list) is polygon
    rle = annotation_fields(found[0], segmentation="rle")
    assert rle is not None and isinstance(rle["segmentation"], dict)
    assert (rle["area"], rle["bbox"]) == (first["area"], first["bbox"])
    assert float(found[0].mask.sum()) == first["area"] > 0
    check_against_pycocotools((48, 36, shapes), "auto")


def test_auto_polygons_are_clipped_to_the_image() -> None:
    """examples/street's road: x from -10 to 410 on a 400-pixel image."""
    road = Shape("a", "polygon", ((-10, 20), (410, 20), (410, 30), (-10, 30)))
    (instance,) = objects([road], 36, 48)
    fields = annotation_fields(instance, segmentation="auto")
    assert fields is not None
    # The same ring, from the vertex the clip reaches first.
    assert fields["segmentation"] == [[0.0, 30.0, 0.0, 20.0, 48.0, 20.0, 48.0, 30.0]]


def test_rle_is_compressed_with_a_string_count() -> None:
    (instance,) = objects([EVERY_TYPE[3]], 36, 48)
    fields = annotation_fields(instance, segmentation="auto")
    assert fields is not None
    assert list(fields) == ["category_id", "segmentation", "area", "bbox", "iscrowd"]
    segmentation = fields["segmentation"]
    assert isinstance(segmentation, dict)
    assert segmentation["size"] == [36, 48]
    assert isinstance(segmentation["counts"], str)
    json.dumps(fields)


def test_empty_objects_give_none() -> None:
    zero_radius = Shape("a", "circle", ((5, 5), (5, 5)))  # Pillow draws nothing
    (instance,) = objects([zero_radius], 36, 48)
    assert annotation_fields(instance, segmentation="auto") is None
    outside = Shape("a", "polygon", ((60, 40), (70, 40), (65, 50)))
    (instance,) = objects([outside], 36, 48)
    assert annotation_fields(instance, segmentation="auto") is None
    assert annotation_fields(instance, segmentation="rle") is None
    covered = [
        Shape("a", "rectangle", ((2, 2), (5, 5))),
        Shape("b", "rectangle", ((0, 0), (20, 20))),
    ]
    ids = class_ids(covered, TABLE, owner=Path("x.json"))
    drawn = rasterize(covered, ids, height=36, width=48)
    assert drawn.instances is not None
    hidden, shown = sample_objects(covered, ids, height=36, width=48)
    assert annotation_fields(hidden, segmentation="auto") is not None
    assert covered_annotation_fields(hidden, instances=drawn.instances) is None
    assert covered_annotation_fields(shown, instances=drawn.instances) is not None


def test_categories_are_the_classes_after_background() -> None:
    assert CATEGORIES == [
        {"id": 1, "name": "a", "supercategory": "a"},
        {"id": 2, "name": "b", "supercategory": "b"},
        {"id": 3, "name": "c", "supercategory": "c"},
    ]


@requires_shared
@pytest.mark.parametrize("mode", SEGMENTATION_MODES)
def test_labelme_example_areas_and_boxes_equal_labelmes(mode: SegmentationMode) -> None:
    """labelme's own instance_segmentation example and the COCO file its
    labelme2coco wrote (ids from 0 there; our class ids are the same)."""
    root = SHARED_EXAMPLES / "instance_segmentation"
    table = read_labels_file(root / "labels.txt")
    theirs = json.loads((root / "data_dataset_coco" / "annotations.json").read_text())
    compared = 0
    for image in theirs["images"]:
        name = Path(image["file_name"]).stem
        path = root / "data_annotated" / f"{name}.json"
        annotation = read_annotation(path, max_image_pixels=10**8)
        ids = class_ids(annotation.shapes, table, owner=path)
        found = sample_objects(
            annotation.shapes, ids, height=image["height"], width=image["width"]
        )
        expected = [a for a in theirs["annotations"] if a["image_id"] == image["id"]]
        ours = [annotation_fields(i, segmentation=mode) for i in found]
        assert len(ours) == len(expected)
        for fields, their in zip(ours, expected, strict=True):
            assert fields is not None
            assert fields["category_id"] == their["category_id"]
            assert fields["area"] == their["area"]
            assert fields["bbox"] == their["bbox"]
            if mode == "auto":  # polygons only there: theirs, clipped to the image
                assert fields["segmentation"] == [
                    clip_polygon(part, image["width"], image["height"])
                    for part in their["segmentation"]
                ]
            compared += 1
    assert compared == len(theirs["annotations"]) == 12
