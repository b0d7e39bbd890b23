"""labelme2coco end to end: the real command's output against the oracles.

The oracles: labelme 6.3.1 (each shape's mask, read from the same files with
its own ``LabelFile``), pycocotools (``annToMask``, RLE area and box, COCOeval),
our labelme2voc (class and instance arrays of the same files), labelme's own COCO
example output, and the rules Detectron2 and mmdetection apply when they load.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import labelme
import labelme.utils
import numpy as np
import pycocotools.mask
import pytest
from click.testing import CliRunner, Result
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from seg_convert.cli import cli
from seg_convert.core.splits import split_of
from tests.coco_checks import boundary_zone
from tests.conftest import (
    SHARED_EXAMPLES,
    WriteAnnotation,
    b64,
    gradient_image,
    png_bytes,
    requires_shared,
)
from tests.conftest import shape as labelme_shape

Array = np.ndarray[Any, Any]

LABELS = ("__ignore__", "_background_", "cat", "dog", "road")
CLASS_IDS = {name: number - 1 for number, name in enumerate(LABELS)}
WIDTH, HEIGHT = 96, 72
VAL_FRACTION = "0.5"  # both splits get files: shapes_a and shapes_b are val
POLYGON_TYPES = {"polygon", "rectangle", "circle", "oriented_rectangle"}
EMPTY_WARNING = "objects with no pixel inside the image left out"
COVERED_WARNING = "objects wholly covered by later shapes left out (--crop-covered)"


def stencil(rows: int, columns: int) -> str:
    """A mask shape's base64 PNG: a filled ellipse in its box."""
    y, x = np.mgrid[0:rows, 0:columns]
    inside = ((y - (rows - 1) / 2) / (rows / 2)) ** 2
    inside = inside + ((x - (columns - 1) / 2) / (columns / 2)) ** 2 <= 1
    return b64(png_bytes(Image.fromarray((inside * 255).astype(np.uint8))))


def mask(label: str, x: int, y: int, rows: int, columns: int, **extra: Any) -> Any:
    """A mask shape as labelme writes it: its box's corners and the PNG."""
    corners = [[x, y], [x + columns - 1, y + rows - 1]]
    return labelme_shape(label, corners, "mask", mask=stencil(rows, columns), **extra)


# Every shape type, objects of several shapes (group_id), the same group_id under
# two labels (two objects), __ignore__ and _background_ shapes, shapes partly and
# wholly outside the 96x72 image, overlaps, a zero-width rectangle, stuff (road).
SCENES: dict[str, list[dict[str, Any]]] = {
    "shapes_a": [
        labelme_shape("road", [[0, 58], [96, 58], [96, 72], [0, 72]]),
        labelme_shape("cat", [[5, 5], [30, 8], [20, 30]], group_id=1),
        labelme_shape("cat", [[35, 5], [50, 20]], "rectangle", group_id=1),
        labelme_shape("dog", [[40, 12], [46, 30]], "rectangle", group_id=1),
        labelme_shape("dog", [[70, 20], [70, 32]], "circle"),
        labelme_shape(
            "dog", [[10, 40], [30, 35], [34, 50], [14, 55]], "oriented_rectangle"
        ),
        labelme_shape("__ignore__", [[0, 0], [8, 8]], "rectangle"),
        labelme_shape("_background_", [[60, 45], [90, 45], [75, 66]]),
        labelme_shape("cat", [[80, 40], [110, 45], [85, 80]]),
        labelme_shape("dog", [[100, 80], [120, 80], [110, 100]]),
    ],
    "shapes_b": [
        labelme_shape("road", [[0, 0], [95, 3]], "rectangle"),
        labelme_shape("cat", [[5, 5], [60, 40]], "line"),
        labelme_shape("dog", [[10, 60], [40, 50], [70, 65]], "linestrip", group_id=2),
        labelme_shape("dog", [[80, 10]], "point", group_id=2),
        mask("cat", 40, 10, 12, 10),
        mask("dog", 88, 64, 12, 14),
        labelme_shape("cat", [[5, 70], [5, 58]], "circle"),
        labelme_shape("__ignore__", [[30, 20], [40, 30]], "rectangle"),
    ],
    "shapes_c": [
        labelme_shape("road", [[0, 60], [40, 60], [40, 72], [0, 72]]),
        labelme_shape("road", [[50, 60], [96, 60], [96, 72], [50, 72]]),
        labelme_shape("cat", [[20, 20], [24, 24]], "rectangle"),
        labelme_shape("dog", [[18, 18], [28, 28]], "rectangle"),
        labelme_shape("cat", [[40, 5], [60, 5], [50, 25]], group_id=3),
        labelme_shape("cat", [[70, 15], [70, 25]], "circle", group_id=3),
        labelme_shape("dog", [[60, 30], [60, 50]], "rectangle"),
        mask("dog", 120, 10, 6, 6),
        # Last, so the instance array's largest id is no object's.
        labelme_shape("_background_", [[45, 0], [55, 10]], "rectangle"),
    ],
    "shapes_d": [
        labelme_shape("cat", [[10.5, 10.25], [50.75, 12.5], [30.2, 40.9]]),
        labelme_shape("dog", [[-20, -20], [-5, -5]], "rectangle"),
    ],
}
# The objects left out for having no pixel in the image.
WHOLLY_OUTSIDE = {"shapes_a", "shapes_c", "shapes_d"}


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The labelme files of SCENES (with their JPEGs) and the labels file."""
    splits = {
        split_of(stem, val_fraction=float(VAL_FRACTION), seed=0) for stem in SCENES
    }
    assert splits == {"train", "val"}, "both annotation files need images"
    root = tmp_path_factory.mktemp("scenes")
    folder = root / "in"
    folder.mkdir()
    write_scenes(folder, SCENES)
    labels = root / "labels.txt"
    labels.write_text("\n".join(LABELS) + "\n", "utf-8")
    return folder, labels


def write_scenes(folder: Path, scenes: dict[str, list[dict[str, Any]]]) -> None:
    image = gradient_image(WIDTH, HEIGHT)
    for stem, shapes in scenes.items():
        image.save(folder / f"{stem}.jpg")
        document = {
            "version": "5.8.0",
            "flags": {},
            "shapes": shapes,
            "imagePath": f"{stem}.jpg",
            "imageData": None,
            "imageHeight": HEIGHT,
            "imageWidth": WIDTH,
        }
        (folder / f"{stem}.json").write_text(json.dumps(document), "utf-8")


def run(command: str, source: Path, out: Path, labels: Path, *args: str) -> Result:
    """The real command through click, asserting it succeeded."""
    result = CliRunner().invoke(
        cli,
        [command, str(source), str(out), "--labels", str(labels), *args],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result


def coco_run(source: Path, out: Path, labels: Path, *args: str) -> Result:
    return run(
        "labelme2coco", source, out, labels, "--val-fraction", VAL_FRACTION, *args
    )


def load(path: Path) -> COCO:
    """pycocotools' ``COCO`` of a file, as users load it (quietly: it prints)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def annotations_of(coco: COCO, image_id: int) -> list[dict[str, Any]]:
    return sorted(coco.imgToAnns[image_id], key=lambda ann: ann["id"])


def images(out: Path) -> Iterator[tuple[str, COCO, dict[str, Any]]]:
    """(stem, its split's COCO, its image entry) of every image of both files."""
    for split in ("train", "val"):
        coco = load(out / "annotations" / f"instances_{split}.json")
        for image in coco.dataset["images"]:
            yield Path(image["file_name"]).stem, coco, image


@dataclass(frozen=True)
class LabelmeObject:
    """An object as labelme's COCO example groups shapes: (label, group_id), a
    shape without group_id alone; numbered in order of first appearance, as
    labelme's ``shapes_to_label`` numbers instances."""

    number: int
    label: str
    shape_types: frozenset[str]
    flat: bool  # has a rectangle of zero width or height: no area as a polygon
    mask: Array  # (H, W) bool: the union of labelme's masks of its shapes


def labelme_shape_mask(item: dict[str, Any]) -> Array:
    """labelme's mask of one shape read by ``LabelFile``: ``shape_to_mask``, or
    for a mask shape the placement ``shapes_to_label`` makes, drawn on a canvas
    large enough to hold it (labelme fails on a mask reaching past the image; we
    clip it, as the README says) and cropped to the image."""
    if item["shape_type"] != "mask":
        return labelme.utils.shape_to_mask(
            (HEIGHT, WIDTH), item["points"], item["shape_type"]
        )
    _, (right, bottom) = np.asarray(item["points"]).astype(int)
    canvas = (max(HEIGHT, bottom + 1), max(WIDTH, right + 1))
    classes, _ = labelme.utils.shapes_to_label(canvas, [item], {item["label"]: 1})
    return classes[:HEIGHT, :WIDTH] == 1


def labelme_objects(path: Path) -> list[LabelmeObject]:
    """Every object of a labelme file, ``__ignore__`` and ``_background_`` too."""
    label_file = labelme.LabelFile(filename=str(path))
    keys: list[tuple[str, object]] = []
    masks: dict[tuple[str, object], Array] = {}
    types: dict[tuple[str, object], set[str]] = {}
    flat: set[tuple[str, object]] = set()
    for item in label_file.shapes:
        group = item["group_id"]
        key = (item["label"], uuid.uuid1() if group is None else group)
        drawn = labelme_shape_mask(item)
        if key in masks:
            masks[key] = masks[key] | drawn
            types[key].add(item["shape_type"])
        else:
            keys.append(key)
            masks[key], types[key] = drawn, {item["shape_type"]}
        if item["shape_type"] == "rectangle":
            (x0, y0), (x1, y1) = item["points"]
            if x0 == x1 or y0 == y1:
                flat.add(key)
    return [
        LabelmeObject(number, key[0], frozenset(types[key]), key in flat, masks[key])
        for number, key in enumerate(keys, 1)
    ]


def annotated(objects: list[LabelmeObject]) -> list[LabelmeObject]:
    """The objects COCO annotates: of a class, with a pixel in the image."""
    return [item for item in objects if CLASS_IDS[item.label] > 0 and item.mask.any()]


def rle_of(drawn: Array) -> dict[str, Any]:
    encoded: dict[str, Any] = pycocotools.mask.encode(
        np.asfortranarray(drawn.astype(np.uint8))
    )
    return encoded


# 1. Masks, areas and boxes against labelme's masks; objects left out.


@pytest.mark.parametrize("mode", ["auto", "rle"])
def test_annotations_are_labelme_masks(
    scenes: tuple[Path, Path], tmp_path: Path, mode: str
) -> None:
    """An RLE annotation's annToMask is the union of labelme's masks of the
    object's shapes, exactly; a polygon annotation's differs from it only along
    the boundary, that is on pixels within 1 px (8-neighbourhood) of an edge of
    the polygons as drawn or of the image's edge (``boundary_zone``). ``area``
    and ``bbox`` are pycocotools' of the exact mask in both modes. In auto
    mode, objects of polygon-like shapes only are polygons, except one whose
    polygon would have no area (a zero-width rectangle)."""
    source, labels = scenes
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = coco_run(
        source, out, labels, "--segmentation", mode, "--report", str(report)
    )
    seen, kinds = set(), set()
    for stem, coco, image in images(out):
        seen.add(stem)
        assert (image["height"], image["width"]) == (HEIGHT, WIDTH)
        expected = annotated(labelme_objects(source / f"{stem}.json"))
        ours = annotations_of(coco, image["id"])
        assert [ann["category_id"] for ann in ours] == [
            CLASS_IDS[item.label] for item in expected
        ]
        for ann, item in zip(ours, expected, strict=True):
            exact = rle_of(item.mask)
            assert ann["area"] == float(pycocotools.mask.area(exact))
            assert ann["bbox"] == pycocotools.mask.toBbox(exact).tolist()
            drawn = coco.annToMask(ann).astype(bool)
            segmentation = ann["segmentation"]
            if isinstance(segmentation, dict):
                np.testing.assert_array_equal(drawn, item.mask)
            else:
                zone = boundary_zone(segmentation, HEIGHT, WIDTH)
                assert not ((drawn != item.mask) & ~zone).any(), (stem, ann["id"])
            polygon_like = item.shape_types <= POLYGON_TYPES and not item.flat
            want_polygon = mode == "auto" and polygon_like
            assert isinstance(segmentation, list) is want_polygon, (stem, ann)
            kinds.add(type(segmentation).__name__)
    assert seen == set(SCENES)
    assert kinds == ({"list", "dict"} if mode == "auto" else {"dict"})
    files = {item["stem"]: item for item in json.loads(report.read_text())["files"]}
    for stem in SCENES:
        warned = EMPTY_WARNING in files[stem]["warnings"]
        assert warned is (stem in WHOLLY_OUTSIDE), stem
    assert f"warning: {len(WHOLLY_OUTSIDE)} files: {EMPTY_WARNING}\n" in result.stderr


# 2. The ground truth scores perfectly against itself.


def average_precision(coco: COCO, detections: list[dict[str, Any]], kind: str) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        evaluation = COCOeval(coco, coco.loadRes(detections), kind)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation.stats


@pytest.mark.parametrize("mode", ["auto", "rle"])
def test_cocoeval_of_the_ground_truth_against_itself_is_perfect(
    scenes: tuple[Path, Path], tmp_path: Path, mode: str
) -> None:
    """Every annotation as a detection of score 1.0 (its mask as RLE, as
    ``loadRes`` wants segmentations, and its box): AP, AP50 and AP75 are 1.0
    for segm and bbox in both files. Annotation id 0 or a duplicate id would
    make COCOeval miss objects."""
    source, labels = scenes
    coco_run(source, tmp_path / "out", labels, "--segmentation", mode)
    for split in ("train", "val"):
        coco = load(tmp_path / "out" / "annotations" / f"instances_{split}.json")
        anns = coco.dataset["annotations"]
        assert anns
        common = [
            {"image_id": a["image_id"], "category_id": a["category_id"], "score": 1.0}
            for a in anns
        ]
        masks = [
            {**c, "segmentation": coco.annToRLE(a)}
            for c, a in zip(common, anns, strict=True)
        ]
        boxes = [{**c, "bbox": a["bbox"]} for c, a in zip(common, anns, strict=True)]
        for kind, detections in (("segm", masks), ("bbox", boxes)):
            stats = average_precision(coco, detections, kind)
            assert list(stats[:3]) == [1.0, 1.0, 1.0], (split, kind)


# 3. --crop-covered against labelme2voc's class arrays.


def test_crop_covered_paints_labelme2voc_class_array(
    scenes: tuple[Path, Path], tmp_path: Path
) -> None:
    """Each image's annotations (annToMask), painted with their category ids in
    annotation order, equal labelme2voc's class array (SegmentationClass/*.npy
    of the same files) wherever it is not -1; ignore pixels are in no
    annotation. A wholly covered object is left out with a warning."""
    source, labels = scenes
    coco_out, voc_out = tmp_path / "coco", tmp_path / "voc"
    report = tmp_path / "report.json"
    result = coco_run(
        source, coco_out, labels, "--crop-covered", "--report", str(report)
    )
    run("labelme2voc", source, voc_out, labels, "--noviz")
    for stem, coco, image in images(coco_out):
        classes = np.load(voc_out / "SegmentationClass" / f"{stem}.npy")
        painted = np.zeros((HEIGHT, WIDTH), dtype=np.int32)
        covered = np.zeros((HEIGHT, WIDTH), dtype=bool)
        for ann in annotations_of(coco, image["id"]):
            assert isinstance(ann["segmentation"], dict)
            drawn = coco.annToMask(ann).astype(bool)
            assert not (drawn & covered).any(), "visible parts do not overlap"
            covered |= drawn
            painted[drawn] = ann["category_id"]
        kept = classes != -1
        np.testing.assert_array_equal(painted[kept], classes[kept], err_msg=stem)
        assert not covered[~kept].any(), stem
    files = {item["stem"]: item for item in json.loads(report.read_text())["files"]}
    assert COVERED_WARNING in files["shapes_c"]["warnings"]  # cat under the dog
    assert [stem for stem in SCENES if COVERED_WARNING in files[stem]["warnings"]] == [
        "shapes_c"
    ]
    assert f"warning: 1 file: {COVERED_WARNING}\n" in result.stderr


# 4. --panoptic against labelme2voc --instances.


def test_panoptic_pngs_decode_to_labelme2voc_instance_arrays(
    scenes: tuple[Path, Path], tmp_path: Path
) -> None:
    """Each panoptic PNG, decoded as id = R + 256 G + 256^2 B, is labelme2voc
    --instances' SegmentationObject array with background and ignore pixels 0
    and every pixel of the stuff class (road) one segment, whose id is the
    lowest number of the class's objects; ``segments_info`` areas and boxes are
    the PNG's; categories have ``isthing`` and a color; the panoptic files'
    images are the instances files' and their annotations line up with them."""
    source, labels = scenes
    coco_out, voc_out = tmp_path / "coco", tmp_path / "voc"
    coco_run(source, coco_out, labels, "--panoptic", "--stuff", "road")
    run("labelme2voc", source, voc_out, labels, "--noviz", "--instances")
    checked = set()
    for split in ("train", "val"):
        instances = json.loads(
            (coco_out / "annotations" / f"instances_{split}.json").read_text()
        )
        panoptic = json.loads(
            (coco_out / "annotations" / f"panoptic_{split}.json").read_text()
        )
        assert panoptic["images"] == instances["images"]
        assert [a["image_id"] for a in panoptic["annotations"]] == [
            image["id"] for image in instances["images"]
        ]
        categories = panoptic["categories"]
        assert [(c["id"], c["name"], c["isthing"]) for c in categories] == [
            (1, "cat", 1),
            (2, "dog", 1),
            (3, "road", 0),
        ]
        colors = [tuple(c["color"]) for c in categories]
        assert all(
            len(color) == 3 and all(0 <= v <= 255 for v in color) for color in colors
        )
        assert len(set(colors)) == len(colors)
        for entry, image in zip(
            panoptic["annotations"], panoptic["images"], strict=True
        ):
            stem = Path(image["file_name"]).stem
            assert entry["file_name"] == f"{stem}.png"
            png = coco_out / "annotations" / f"panoptic_{split}" / entry["file_name"]
            with Image.open(png) as picture:
                assert picture.mode == "RGB"
                rgb = np.asarray(picture).astype(np.int64)
            segments = rgb[..., 0] + 256 * rgb[..., 1] + 256**2 * rgb[..., 2]
            classes = np.load(voc_out / "SegmentationClass" / f"{stem}.npy")
            objects = np.load(voc_out / "SegmentationObject" / f"{stem}.npy")
            roads = [
                item.number
                for item in labelme_objects(source / f"{stem}.json")
                if item.label == "road"
            ]
            expected = np.where(classes > 0, objects, 0)
            if roads:
                expected[classes == CLASS_IDS["road"]] = min(roads)
            np.testing.assert_array_equal(segments, expected, err_msg=stem)
            info = entry["segments_info"]
            present = np.unique(segments[segments != 0]).tolist()
            assert [segment["id"] for segment in info] == present
            for segment in info:
                rows, columns = np.nonzero(segments == segment["id"])
                x0, y0 = int(columns.min()), int(rows.min())
                assert segment["area"] == rows.size
                assert segment["bbox"] == [
                    x0,
                    y0,
                    int(columns.max()) + 1 - x0,
                    int(rows.max()) + 1 - y0,
                ]
                assert np.unique(classes[rows, columns]).tolist() == [
                    segment["category_id"]
                ]
                assert segment["iscrowd"] == 0
            checked.add(stem)
    assert checked == set(SCENES)


# 5. labelme's own example: areas and boxes equal labelme's COCO output.


@requires_shared
def test_labelme_example_areas_and_boxes_equal_labelmes(tmp_path: Path) -> None:
    """On labelme's instance_segmentation example, every annotation's area and
    bbox equal those of labelme's data_dataset_coco/annotations.json (its ids
    start at 0 and its category 0 is _background_: images are matched by file
    name, annotations by order within the image and category name)."""
    example = SHARED_EXAMPLES / "instance_segmentation"
    out = tmp_path / "out"
    run(
        "labelme2coco",
        example / "data_annotated",
        out,
        example / "labels.txt",
        "--noviz",
    )
    theirs = json.loads(
        (example / "data_dataset_coco" / "annotations.json").read_text()
    )
    their_names = {c["id"]: c["name"] for c in theirs["categories"]}
    their_images = {i["id"]: Path(i["file_name"]).name for i in theirs["images"]}
    expected: dict[str, list[tuple[str, float, list[float]]]] = {}
    for ann in sorted(theirs["annotations"], key=lambda a: a["id"]):
        expected.setdefault(their_images[ann["image_id"]], []).append(
            (their_names[ann["category_id"]], ann["area"], ann["bbox"])
        )
    found: dict[str, list[tuple[str, float, list[float]]]] = {}
    for _, coco, image in images(out):
        found[image["file_name"]] = [
            (coco.cats[ann["category_id"]]["name"], ann["area"], ann["bbox"])
            for ann in annotations_of(coco, image["id"])
        ]
    assert found == expected
    assert sum(len(anns) for anns in found.values()) == len(theirs["annotations"])


# 6. What Detectron2's and mmdetection's loaders require, rule by rule.


@pytest.mark.parametrize("args", [(), ("--segmentation", "rle"), ("--crop-covered",)])
def test_loader_rules(
    scenes: tuple[Path, Path], tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Our JSON read as the loaders read it. Detectron2: detectron2/data/datasets/
    coco.py ``load_coco_json``; mmdetection: mmdet/datasets/coco.py ``CocoDataset``
    (``_parse_ann_info`` in 2.x, ``parse_data_info`` in 3.x)."""
    source, labels = scenes
    out = tmp_path / "out"
    coco_run(source, out, labels, *args)
    files = [
        json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        for split in ("train", "val")
    ]
    names = list(LABELS[2:])
    image_ids: list[int] = []
    annotation_ids: list[int] = []
    for split, dataset in zip(("train", "val"), files, strict=True):
        # Categories: load_coco_json maps ids to contiguous classes and warns
        # unless they are exactly 1..K; mmdetection looks the ids up by the
        # names of metainfo's classes (the labels file after _background_).
        categories = dataset["categories"]
        assert [c["id"] for c in categories] == list(range(1, len(names) + 1))
        assert [c["name"] for c in categories] == names
        category_ids = {c["id"] for c in categories}
        images = {image["id"]: image for image in dataset["images"]}
        for image in dataset["images"]:
            # Both join file_name to the image root (Detectron2:
            # os.path.join(image_root, file_name); mmdetection: data_prefix img).
            name = image["file_name"]
            assert not os.path.isabs(name) and "/" not in name and "\\" not in name
            # The image root of instances_SPLIT.json is images/SPLIT/.
            assert (out / "images" / split / name).is_file()
            image_ids.append(image["id"])
        for ann in dataset["annotations"]:
            annotation_ids.append(ann["id"])
            # load_coco_json asserts each annotation's image_id is its image's.
            image = images[ann["image_id"]]
            # load_coco_json raises on a category_id not in categories;
            # mmdetection skips the annotation.
            assert ann["category_id"] in category_ids
            # Crowd annotations are ignored regions to both (Detectron2's
            # DatasetMapper keeps iscrowd == 0 only; mmdetection makes them
            # ignore boxes): every object must be 0.
            assert ann["iscrowd"] == 0
            # mmdetection skips area <= 0 or w < 1 or h < 1, and a box with no
            # overlap with the image; load_coco_json raises on an empty bbox.
            x, y, w, h = ann["bbox"]
            assert ann["area"] > 0 and w >= 1 and h >= 1
            assert 0 <= x and x + w <= image["width"]
            assert 0 <= y and y + h <= image["height"]
            segmentation = ann["segmentation"]
            if isinstance(segmentation, list):
                # load_coco_json drops polygons with an odd count or fewer than
                # 6 numbers, and the object if none is left.
                assert segmentation
                for polygon in segmentation:
                    assert len(polygon) >= 6 and len(polygon) % 2 == 0
                    assert all(isinstance(value, float) for value in polygon)
            else:
                # Compressed RLE: counts a string, size [h, w] of the image
                # (load_coco_json converts only a list of counts itself).
                assert isinstance(segmentation["counts"], str)
                assert segmentation["size"] == [image["height"], image["width"]]
    # Ids >= 1: COCOeval treats annotation id 0 as no match. Unique: both
    # loaders assert unique annotation ids ("Annotation ids in ... are not
    # unique!"); unique across train and val so the files can be merged.
    for ids in (image_ids, annotation_ids):
        assert min(ids) >= 1 and len(set(ids)) == len(ids)
    assert sorted(image_ids) == list(range(1, len(SCENES) + 1))


# 6b. Visualizations.


@pytest.fixture
def one_cat(write_annotation: WriteAnnotation) -> Path:
    """A 160x120 plain gray image, a cat square at the top left: well apart from
    the legend, which the bottom right holds."""
    gray = Image.new("RGB", (160, 120), (128, 128, 128))
    path = write_annotation(
        "cat", [labelme_shape("cat", [[10, 10], [50, 50]], "rectangle")], image=gray
    )
    return path.parent


def test_visualization_is_a_jpeg_drawing_the_objects(
    one_cat: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    run("labelme2coco", one_cat, out, labels_file)
    with Image.open(out / "Visualization" / "cat.jpg") as drawn:
        assert (drawn.format, drawn.mode, drawn.size) == ("JPEG", "RGB", (160, 120))
        shown = np.asarray(drawn, dtype=np.int32)
    (jpeg,) = (out / "images").glob("*/cat.jpg")
    with Image.open(jpeg) as image:
        plain = np.asarray(image, dtype=np.int32)
    # Inside the square (its outline aside): the plain gray, blended with the
    # VOC color of class 1 (128, 0, 0), is red; outside it stays gray.
    inside = (slice(15, 46), slice(15, 46))
    red, green, blue = (shown[inside][..., c].mean() for c in range(3))
    assert red - green > 40 and red - blue > 40, (red, green, blue)
    assert np.abs(shown[inside] - plain[inside]).mean() > 30
    outside = shown[10:60, 90:150]
    assert np.abs(outside[..., 0] - outside[..., 1]).max() < 10


def test_noviz_writes_no_coco_visualization(
    one_cat: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    run("labelme2coco", one_cat, out, labels_file, "--noviz")
    assert len(list((out / "images").glob("*/cat.jpg"))) == 1
    assert not (out / "Visualization").exists()
    assert not list(out.rglob("*Visualization*"))


# 7. Determinism, re-runs and shards.


def annotation_bytes(out: Path) -> dict[str, bytes]:
    folder = out / "annotations"
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def mtimes(out: Path) -> dict[str, int]:
    """Every file's modification time, but the lock files' (a run records its
    process there)."""
    return {
        path.relative_to(out).as_posix(): path.stat().st_mtime_ns
        for path in sorted(out.rglob("*"))
        if path.is_file() and not path.name.startswith("lock")
    }


def statuses(report: Path) -> dict[str, str]:
    return {f["stem"]: f["status"] for f in json.loads(report.read_text())["files"]}


def test_same_inputs_give_the_same_bytes_with_any_jobs(
    scenes: tuple[Path, Path], tmp_path: Path
) -> None:
    source, labels = scenes
    outputs = []
    for name, jobs in (("one", "1"), ("again", "1"), ("two", "2")):
        out = tmp_path / name
        coco_run(source, out, labels, "--panoptic", "--stuff", "road", "-j", jobs)
        outputs.append(annotation_bytes(out))
    assert outputs[0] == outputs[1] == outputs[2]
    assert {"instances_train.json", "instances_val.json"} <= set(outputs[0])
    info = json.loads(outputs[0]["instances_train.json"])["info"]
    assert "date_created" not in info and "year" not in info


def test_rerun_writes_nothing_then_redoes_exactly_what_changed(
    tmp_path: Path,
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    write_scenes(source, SCENES)
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(LABELS) + "\n", "utf-8")
    out, report = tmp_path / "out", tmp_path / "report.json"
    coco_run(source, out, labels)
    before, written = mtimes(out), annotation_bytes(out)

    # A second run writes nothing at all.
    result = coco_run(source, out, labels, "--report", str(report))
    assert result.stderr.startswith(
        f"converted 0 of 4 files into {out}, 4 unchanged since the last run\n"
    )
    assert set(statuses(report).values()) == {"skipped"}
    assert mtimes(out) == before

    # Editing one file reconverts it alone; the files show its new object.
    edited = source / "shapes_c.json"
    document = json.loads(edited.read_text())
    document["shapes"].append(labelme_shape("cat", [[2, 30], [12, 30], [7, 40]]))
    edited.write_text(json.dumps(document))
    coco_run(source, out, labels, "--report", str(report))
    assert statuses(report) == {
        "shapes_a": "skipped",
        "shapes_b": "skipped",
        "shapes_c": "converted",
        "shapes_d": "skipped",
    }
    old = json.loads(written["instances_train.json"])
    new = json.loads(annotation_bytes(out)["instances_train.json"])
    assert new["images"] == old["images"]
    image_c = next(i["id"] for i in new["images"] if i["file_name"] == "shapes_c.jpg")
    added = [a for a in new["annotations"] if a not in old["annotations"]]
    # The new object, and shapes_d's, renumbered after it.
    assert [(a["image_id"], a["category_id"]) for a in added[:1]] == [(image_c, 1)]
    assert len(new["annotations"]) == len(old["annotations"]) + 1
    assert [a["id"] for a in new["annotations"]] == sorted(
        a["id"] for a in new["annotations"]
    )
    assert annotation_bytes(out)["instances_val.json"] == written["instances_val.json"]
    # And it is what a fresh run writes.
    fresh = tmp_path / "fresh"
    coco_run(source, fresh, labels)
    assert annotation_bytes(fresh) == annotation_bytes(out)

    # Options that shape the samples redo them all.
    for args in (("--segmentation", "rle"), ("--segmentation", "rle", "--panoptic")):
        coco_run(source, out, labels, *args, "--report", str(report))
        assert set(statuses(report).values()) == {"converted"}, args


def test_source_date_epoch_dates_the_files(
    scenes: tuple[Path, Path], tmp_path: Path
) -> None:
    source, labels = scenes
    result = CliRunner(env={"SOURCE_DATE_EPOCH": "1700000000"}).invoke(
        cli,
        ["labelme2coco", str(source), str(tmp_path / "out"), "--labels", str(labels)],
    )
    assert result.exit_code == 0, result.output
    for split in ("train", "val"):
        path = tmp_path / "out" / "annotations" / f"instances_{split}.json"
        info = json.loads(path.read_text())["info"]
        assert (info["year"], info["date_created"]) == (2023, "2023-11-14T22:13:20Z")


def test_shards_then_a_plain_run_give_the_unsharded_files(
    scenes: tuple[Path, Path], tmp_path: Path
) -> None:
    """Each shard writes its samples and no annotation file; the plain run after
    them converts nothing and assembles files byte-identical to one run's."""
    source, labels = scenes
    args = ("--panoptic", "--stuff", "road")
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    coco_run(source, whole, labels, *args)
    for shard in ("0/2", "1/2"):
        coco_run(source, sharded, labels, *args, "--shard", shard)
        assert not list((sharded / "annotations").glob("*.json"))
    result = coco_run(source, sharded, labels, *args)
    assert result.stderr.startswith(
        f"converted 0 of 4 files into {sharded}, 4 unchanged since the last run\n"
    )
    assert annotation_bytes(sharded) == annotation_bytes(whole)


def dataset_tree(out: Path) -> dict[str, bytes]:
    """Every file but seg-convert's own records."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and ".seg-convert" not in path.relative_to(out).parts
    }


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (("labelme2coco", "--panoptic"), ("labelme2coco",)),
        (("labelme2coco", "--panoptic"), ("labelme2voc", "--layout", "voc")),
        (("labelme2voc", "--layout", "voc", "--instances"), ("labelme2coco",)),
    ],
    ids=["panoptic-dropped", "coco-then-voc", "voc-then-coco"],
)
def test_a_changed_format_or_option_leaves_exactly_a_clean_runs_files(
    scenes: tuple[Path, Path],
    tmp_path: Path,
    first: tuple[str, ...],
    then: tuple[str, ...],
) -> None:
    """Another command into a directory is refused, never a silent swap of one
    dataset for another; with --force it replaces it, as an option change does."""
    source, labels = scenes
    out, clean = tmp_path / "out", tmp_path / "clean"
    run(first[0], source, out, labels, *first[1:])
    force: tuple[str, ...] = ()
    if then[0] != first[0]:
        before = dataset_tree(out)
        refused = CliRunner().invoke(
            cli, [then[0], str(source), str(out), "--labels", str(labels), *then[1:]]
        )
        assert refused.exit_code == 2
        assert (
            f"{out}: holds the dataset seg-convert {first[0]} made, which {then[0]} "
            "would replace (choose another output directory, or give --force to "
            "replace it)"
        ) in refused.stderr
        assert dataset_tree(out) == before
        force = ("--force",)
    run(then[0], source, out, labels, *then[1:], *force)
    run(then[0], source, clean, labels, *then[1:])
    assert sorted(dataset_tree(out)) == sorted(dataset_tree(clean))


def test_a_bad_source_date_epoch_fails_before_any_work(
    scenes: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, labels = scenes
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["labelme2coco", str(source), str(out), "--labels", str(labels)]
    )
    assert result.exit_code == 2
    assert "SOURCE_DATE_EPOCH" in result.stderr
    assert not out.exists()
