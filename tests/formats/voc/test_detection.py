"""VOC's detection half: Annotations/*.xml boxes against labelme 6.3.1's own shape
masks, read as torchvision and Datumaro read them, and ImageSets/Main/."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import labelme
import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from PIL import Image

from seg_convert.cli import cli
from seg_convert.core.errors import OutputError
from seg_convert.core.shapes import Shape
from seg_convert.formats.voc.detection import (
    annotation_xml,
    class_list_problem,
    listed_classes,
    read_object_names,
    xml_text_problem,
)
from seg_convert.sources.labelme.objects import sample_objects
from tests.conftest import WriteAnnotation, b64, png_bytes, requires_shared, shape
from tests.run.test_shared_examples import _case
from tests.sources.labelme.test_objects import ids_of, labelme_instances
from tests.sources.labelme.test_rasterize import scenes

Scene = tuple[int, int, list[Shape]]

# One shape of every type labelme draws, two of them one instance (group_id 1),
# one reaching outside the 64x48 image and one wholly outside it.
EVERY_TYPE = [
    shape("cat", [[2, 2], [40, 5], [20, 30]], group_id=1),
    shape("cat", [[45, 30], [60, 44]], "rectangle", group_id=1),
    shape("dog", [[30, 20], [40, 30]], "circle"),
    shape("dog", [[3, 40], [20, 46]], "line"),
    shape("行人", [[50, 2], [62, 9], [55, 16]], "linestrip"),
    shape("cat", [[10, 35]], "point"),
    shape("dog", [[20, 10], [30, 12], [28, 20], [18, 18]], "oriented_rectangle"),
    shape(
        "cat",
        [[33.5, 36.5], [35.5, 39.5]],
        "mask",
        mask=b64(png_bytes(Image.fromarray(np.eye(4, 3, dtype=np.uint8) * 255))),
    ),
    shape("dog", [[58, 40], [70, 52]], "rectangle"),
    shape("cat", [[80, 60], [90, 70]], "rectangle"),
    shape("__ignore__", [[0, 0], [5, 5]], "rectangle"),
]


def convert(source: Path, out: Path, labels: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        [
            "labelme2voc",
            str(source),
            str(out),
            "--labels",
            str(labels),
            "--noviz",
            *args,
        ],
    )


def torchvision_target(node: ElementTree.Element) -> dict[str, Any]:
    """The target torchvision.datasets.VOCDetection returns for an XML tree: each
    element a dict of its children (a repeated tag a list, ``object`` always a
    list under ``annotation``), a leaf its stripped text, an empty leaf nothing."""
    children = list(node)
    if not children:
        return {} if node.text is None else {node.tag: node.text.strip()}
    grouped: dict[str, list[Any]] = {}
    for child in children:
        for tag, value in torchvision_target(child).items():
            grouped.setdefault(tag, []).append(value)
    if node.tag == "annotation":
        grouped["object"] = [grouped.get("object", [])]
    return {node.tag: {t: v[0] if len(v) == 1 else v for t, v in grouped.items()}}


def voc_object(
    name: str, mask: np.ndarray[Any, Any], truncated: bool
) -> dict[str, Any]:
    """The object torchvision reads for a mask: its tight box, 1-based inclusive."""
    rows, columns = np.nonzero(mask)
    return {
        "name": name,
        "pose": "Unspecified",
        "truncated": "1" if truncated else "0",
        "difficult": "0",
        "bndbox": {
            "xmin": str(columns.min() + 1),
            "ymin": str(rows.min() + 1),
            "xmax": str(columns.max() + 1),
            "ymax": str(rows.max() + 1),
        },
    }


def read_target(path: Path) -> dict[str, Any]:
    return torchvision_target(ElementTree.parse(path).getroot())


def expected_target(
    stem: str, shapes: list[Shape], height: int, width: int
) -> dict[str, Any]:
    """The whole target, objects from labelme's shape masks (the oracle)."""
    truncated = {
        i.number: i.truncated
        for i in sample_objects(shapes, [0] * len(shapes), height=height, width=width)
    }
    return {
        "annotation": {
            "folder": "VOC2012",
            "filename": f"{stem}.jpg",
            "size": {"width": str(width), "height": str(height), "depth": "3"},
            "segmented": "1",
            "object": [
                voc_object(label, mask, truncated[number])
                for number, label, mask in labelme_instances(shapes, height, width)
                if mask.any()
            ],
        }
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_boxes_are_labelme_masks_tight_boxes(scene: Scene) -> None:
    width, height, shapes = scene
    objects = sample_objects(shapes, ids_of(shapes), height=height, width=width)
    xml = annotation_xml("x", width=width, height=height, instances=objects)
    target = torchvision_target(ElementTree.fromstring(xml))
    assert target == expected_target("x", shapes, height, width)


def labelme_shapes(source: Path) -> tuple[list[Shape], int, int]:
    """A file's shapes as labelme 6.3.1 reads them, and its image size."""
    label_file = labelme.LabelFile(filename=str(source))
    image = labelme.utils.img_data_to_arr(label_file.image_data)
    shapes = [
        Shape(
            s["label"],
            s["shape_type"],
            tuple(tuple(p) for p in s["points"]),
            s["group_id"],
            mask=s.get("mask"),
        )
        for s in label_file.shapes
    ]
    return shapes, image.shape[0], image.shape[1]


def check_against_labelme(folder: Path, out: Path) -> None:
    sources = sorted(folder.glob("*.json"))
    assert sources
    for source in sources:
        shapes, height, width = labelme_shapes(source)
        target = read_target(out / "Annotations" / f"{source.stem}.xml")
        assert target == expected_target(source.stem, shapes, height, width)


def test_every_shape_type_through_the_cli(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    write_annotation("every", EVERY_TYPE)
    out = tmp_path / "out"
    result = convert(tmp_path / "in", out, labels_file, "--layout", "voc")
    assert result.exit_code == 0, result.output
    assert "warning: 1 file: objects with no pixel inside the image left out" in (
        result.stderr
    )
    check_against_labelme(tmp_path / "in", out)
    objects = read_target(out / "Annotations" / "every.xml")["annotation"]["object"]
    # Grouped, ignore and the shape wholly outside left out, one truncated.
    assert [(o["name"], o["truncated"]) for o in objects] == [
        ("cat", "0"),
        ("dog", "0"),
        ("dog", "0"),
        ("行人", "0"),
        ("cat", "0"),
        ("dog", "0"),
        ("cat", "0"),
        ("dog", "1"),
    ]


FULL_10X10 = b64(png_bytes(Image.new("L", (10, 10), 255)))


# On the 64x48 image: (truncated, xmin, ymin, xmax, ymax), worked out by hand.
# Pillow fills a circle's or a rectangle's box with both end pixels; a mask's
# top-left pixel is its first corner. The drawn pixels are cut at column 63 and
# row 47. A shape is truncated when a point, a circle's rim or a mask's far
# edge lies outside [0, 64] x [0, 48] (where labelme keeps points). VOC boxes
# count from 1 and name the last pixel: xmin = first column + 1, xmax = last
# column + 1.
HAND_CASES: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    # Radius 5 about (30, 20): columns 25..35, rows 15..25.
    (shape("cat", [[30, 20], [30, 25]], "circle"), ("0", "26", "16", "36", "26")),
    # Radius 8 about (58, 20), its rim point (58, 12) inside, yet the rim
    # reaches x = 66: columns 50..66 cut to 50..63, rows 12..28.
    (shape("cat", [[58, 20], [58, 12]], "circle"), ("1", "51", "13", "64", "29")),
    # Radius 5 about (3, 20), its rim point (0, 24) on the edge, the rim
    # reaching x = -2: columns -2..8 cut to 0..8, rows 15..25.
    (shape("cat", [[3, 20], [0, 24]], "circle"), ("1", "1", "16", "9", "26")),
    # A 10x10 mask from (20, -4): columns 20..29, rows -4..5 cut to 0..5.
    (
        shape("cat", [[20, -4], [29, 5]], "mask", mask=FULL_10X10),
        ("1", "21", "1", "30", "6"),
    ),
    # A 10x10 mask from (60, 40): columns 60..69 cut to 60..63, rows 40..49 to
    # 40..47.
    (
        shape("cat", [[60, 40], [69, 49]], "mask", mask=FULL_10X10),
        ("1", "61", "41", "64", "48"),
    ),
    # A 10x10 mask from (54, 38): columns 54..63, rows 38..47, the image's last.
    (
        shape("cat", [[54, 38], [63, 47]], "mask", mask=FULL_10X10),
        ("0", "55", "39", "64", "48"),
    ),
    # From the first pixel (0, 0) to (10, 10).
    (shape("cat", [[0, 0], [10, 10]], "rectangle"), ("0", "1", "1", "11", "11")),
    # To the last pixel, (63, 47): columns 50..63, rows 40..47.
    (shape("cat", [[50, 40], [63, 47]], "rectangle"), ("0", "51", "41", "64", "48")),
    # To the image's edge (64, 48), where labelme lets one draw: the same pixels
    # (Pillow's column 64 and row 48 are cut), not truncated.
    (shape("cat", [[50, 40], [64, 48]], "rectangle"), ("0", "51", "41", "64", "48")),
    # Half a pixel past the edge: the same pixels, truncated.
    (
        shape("cat", [[50, 40], [64.5, 48]], "rectangle"),
        ("1", "51", "41", "64", "48"),
    ),
]


@pytest.mark.parametrize(
    ("item", "expected"),
    HAND_CASES,
    ids=[
        "circle-inside",
        "circle-rim-outside",
        "circle-past-the-left-edge",
        "mask-above-the-image",
        "mask-past-the-corner",
        "mask-to-the-corner",
        "rectangle-from-the-first-pixel",
        "rectangle-to-the-last-pixel",
        "rectangle-to-the-edge",
        "rectangle-past-the-edge",
    ],
)
def test_truncated_and_box_worked_out_by_hand(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    labels_file: Path,
    item: dict[str, Any],
    expected: tuple[str, ...],
) -> None:
    write_annotation("one", [item])
    out = tmp_path / "out"
    result = convert(tmp_path / "in", out, labels_file, "--layout", "voc")
    assert result.exit_code == 0, result.output
    (found,) = read_target(out / "Annotations" / "one.xml")["annotation"]["object"]
    box = found["bndbox"]
    corners = ("xmin", "ymin", "xmax", "ymax")
    assert (found["truncated"], *(box[k] for k in corners)) == expected


@requires_shared
@pytest.mark.parametrize(
    "name",
    [
        "instance_segmentation",
        "semantic_segmentation",
        "video_annotation",
        "primitives",
    ],
)
def test_shared_examples_against_labelme(name: str, tmp_path: Path) -> None:
    folder, labels = _case(name, tmp_path)
    out = tmp_path / "out"
    result = convert(folder, out, labels, "--layout", "voc")
    assert result.exit_code == 0, result.output
    check_against_labelme(folder, out)


def test_xml_is_escaped_and_deterministic(
    write_annotation: WriteAnnotation, tmp_path: Path
) -> None:
    labels = tmp_path / "labels.txt"
    name = "a<&>'\"]]>b"
    labels.write_text(f"__ignore__\n_background_\n{name}\n", "utf-8")
    write_annotation("x&y", [shape(name, [[1, 1], [9, 9]], "rectangle")])
    outs = [tmp_path / "one", tmp_path / "two"]
    for out in outs:
        assert convert(tmp_path / "in", out, labels, "--layout", "voc").exit_code == 0
    data = (outs[0] / "Annotations" / "x&y.xml").read_bytes()
    assert data == (outs[1] / "Annotations" / "x&y.xml").read_bytes()
    target = torchvision_target(ElementTree.fromstring(data))["annotation"]
    assert target["filename"] == "x&y.jpg"
    assert target["object"][0]["name"] == name
    assert read_object_names(outs[0], "x&y", classes={name: 1}) == {name}


def main_lists(out: Path) -> dict[str, str]:
    folder = out / "ImageSets" / "Main"
    return {path.name: path.read_text("utf-8") for path in sorted(folder.iterdir())}


@pytest.fixture
def dataset(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> Path:
    for i in range(12):
        shapes = [shape("cat", [[2, 2], [20, 20]], "rectangle")]
        if i % 3 == 0:
            shapes.append(shape("dog", [[30, 20], [40, 30]], "circle"))
        if i % 4 == 0:
            shapes = [shape("__ignore__", [[2, 2], [20, 20]], "rectangle")]
        write_annotation(f"img {i}", shapes)
    out = tmp_path / "out"
    result = convert(tmp_path / "in", out, labels_file, "--layout", "voc")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr.replace("warning: the legend", "")
    return out


def test_main_lists_agree_with_segmentation_and_annotations(dataset: Path) -> None:
    lists = main_lists(dataset)
    assert set(lists) == {
        f"{name}{split}.txt"
        for name in ("", "cat_", "dog_", "行人_")
        for split in ("train", "val", "trainval")
    }
    for split in ("train", "val", "trainval"):
        segmentation = dataset / "ImageSets" / "Segmentation" / f"{split}.txt"
        assert lists[f"{split}.txt"] == segmentation.read_text("utf-8")
        stems = lists[f"{split}.txt"].splitlines()
        for name in ("cat", "dog", "行人"):
            expected = "".join(
                f"{stem}  1\n"
                if any(
                    o["name"] == name
                    for o in read_target(dataset / "Annotations" / f"{stem}.xml")[
                        "annotation"
                    ]["object"]
                )
                else f"{stem} -1\n"
                for stem in stems
            )
            assert lists[f"{name}_{split}.txt"] == expected
    assert "img 3  1\n" in lists["dog_trainval.txt"]
    assert "img 4 -1\n" in lists["cat_trainval.txt"]  # only ignore: no object


def test_rerun_writes_nothing(dataset: Path, tmp_path: Path, labels_file: Path) -> None:
    files = [
        p for p in dataset.rglob("*") if p.is_file() and ".seg-convert" not in p.parts
    ]
    before = {p: p.stat().st_mtime_ns for p in files}
    assert (
        convert(tmp_path / "in", dataset, labels_file, "--layout", "voc").exit_code == 0
    )
    assert {p: p.stat().st_mtime_ns for p in files} == before


def test_option_change_removes_the_detection_half(
    dataset: Path, tmp_path: Path, labels_file: Path
) -> None:
    assert convert(tmp_path / "in", dataset, labels_file).exit_code == 0
    assert not (dataset / "Annotations").exists()
    assert not (dataset / "ImageSets" / "Main").exists()
    clean = tmp_path / "clean"
    assert convert(tmp_path / "in", clean, labels_file).exit_code == 0

    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and ".seg-convert" not in p.parts
        }

    assert tree(dataset) == tree(clean)


def test_lists_of_a_removed_class_go(
    dataset: Path, tmp_path: Path, labels_file: Path
) -> None:
    labels_file.write_text("__ignore__\n_background_\ncat\ndog\n", "utf-8")
    assert (
        convert(tmp_path / "in", dataset, labels_file, "--layout", "voc").exit_code == 0
    )
    assert not any("行人" in name for name in main_lists(dataset))


def test_the_last_shard_writes_the_class_lists(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    for i in range(6):
        write_annotation(f"s{i}", [shape("cat", [[2, 2], [20, 20]], "rectangle")])
    source, out, clean = tmp_path / "in", tmp_path / "out", tmp_path / "clean"
    args = ("--layout", "voc")
    assert convert(source, clean, labels_file, *args).exit_code == 0
    assert convert(source, out, labels_file, *args, "--shard", "0/2").exit_code == 0
    # The other shard's samples are not there yet: only the split lists.
    assert set(main_lists(out)) == {"train.txt", "val.txt", "trainval.txt"}
    assert convert(source, out, labels_file, *args, "--shard", "1/2").exit_code == 0
    assert main_lists(out) == main_lists(clean)


def test_class_that_cannot_name_a_file_gets_no_lists(
    write_annotation: WriteAnnotation, tmp_path: Path
) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("__ignore__\n_background_\ntv/monitor\nCar\ncar\n..\n", "utf-8")
    write_annotation(
        "x",
        [shape(n, [[1, 1], [9, 9]], "rectangle") for n in ("tv/monitor", "Car", "..")],
    )
    out = tmp_path / "out"
    result = convert(tmp_path / "in", out, labels, "--layout", "voc")
    assert result.exit_code == 0, result.output
    assert set(main_lists(out)) == {
        f"{name}{split}.txt"
        for name in ("", ".._")
        for split in ("train", "val", "trainval")
    }
    warnings = [line for line in result.stderr.splitlines() if "per-class" in line]
    assert warnings == [
        "warning: class 'tv/monitor' has a character file names cannot hold "
        '(one of / \\ < > " | ? *): it has no ImageSets/Main/ per-class lists '
        "(its objects are in Annotations/)",
        "warning: class 'Car' differs from 'car' only in case (one file on macOS "
        "and Windows): it has no ImageSets/Main/ per-class lists (its objects are "
        "in Annotations/)",
        "warning: class 'car' differs from 'Car' only in case (one file on macOS "
        "and Windows): it has no ImageSets/Main/ per-class lists (its objects are "
        "in Annotations/)",
    ]
    objects = read_target(out / "Annotations" / "x.xml")["annotation"]["object"]
    assert [o["name"] for o in objects] == ["tv/monitor", "Car", ".."]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("cat", None),
        ("..", None),
        ("a\\b", "character"),
        ("a?", "character"),
        ("x" * 242, None),
        ("x" * 243, "longer"),
        ("é" * 122, "longer"),
    ],
    ids=["plain", "dots", "backslash", "question", "longest", "too-long", "utf8"],
)
def test_class_list_problem(name: str, problem: str | None) -> None:
    found = class_list_problem(name)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_names_equal_after_normalization_collide() -> None:
    listed, warnings = listed_classes(["caf\u00e9", "cafe\u0301", "tea"])
    assert listed == ["tea"] and len(warnings) == 2


@pytest.mark.parametrize(
    ("text", "ok"), [("cat", True), ("行人 &<>", True), ("a\uffff", False)]
)
def test_xml_text_problem(text: str, ok: bool) -> None:
    assert (xml_text_problem(text) is None) is ok


def test_name_xml_cannot_hold_fails_that_file(
    write_annotation: WriteAnnotation, tmp_path: Path
) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("__ignore__\n_background_\na\uffff\n", "utf-8")
    source = write_annotation("x", [shape("a\uffff", [[1, 1], [9, 9]], "rectangle")])
    result = convert(tmp_path / "in", tmp_path / "out", labels, "--layout", "voc")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{source}: 'a\\uffff' has '\\uffff', which XML cannot hold "
        "(Annotations/x.xml); rename it, or convert with --layout labelme"
    )
    labelme_layout = convert(tmp_path / "in", tmp_path / "plain", labels)
    assert labelme_layout.exit_code == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file"),
        (b"<annotation><object><name>", "unreadable"),
        (b"<voc/>", "root is 'voc'"),
        (
            b'<!DOCTYPE a [<!ENTITY e "cat">]><annotation><object><name>&e;</name>'
            b"</object></annotation>",
            "has a DTD",
        ),
        (
            b"<annotation><object><name>cow</name></object></annotation>",
            "names an object 'cow'",
        ),
        (
            b"<annotation><object><name>_background_</name></object></annotation>",
            "names an object '_background_'",
        ),
    ],
    ids=["missing", "truncated", "root", "dtd", "unknown", "background"],
)
def test_annotations_read_back_are_checked(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    folder = tmp_path / "Annotations"
    folder.mkdir()
    if content is not None:
        (folder / "x.xml").write_bytes(content)
    with pytest.raises(OutputError) as error:
        read_object_names(tmp_path, "x", classes={"cat": 1})
    assert reason in str(error.value) and "run again with --force" in str(error.value)


def test_a_link_is_not_read_back(tmp_path: Path) -> None:
    (tmp_path / "Annotations").mkdir()
    target = tmp_path / "elsewhere.xml"
    target.write_bytes(b"<annotation/>")
    os.symlink(target, tmp_path / "Annotations" / "x.xml")
    with pytest.raises(OutputError):
        read_object_names(tmp_path, "x", classes={})


def test_tampered_annotation_fails_the_run(
    dataset: Path, tmp_path: Path, labels_file: Path
) -> None:
    (dataset / "Annotations" / "img 1.xml").write_text("<annotation>")
    result = convert(tmp_path / "in", dataset, labels_file, "--layout", "voc")
    assert result.exit_code != 0
    assert "img 1.xml: unreadable object annotations" in result.stderr


def test_labelme_layout_has_no_detection_half(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain"
    assert convert(tmp_path / "in", out, tmp_path / "labels.txt").exit_code == 0
    assert not (out / "Annotations").exists()
    assert not (out / "ImageSets" / "Main").exists()


def test_datumaro_voc_imports_labels_and_boxes(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    """Datumaro's ``voc`` format (the name users try first) reads the dataset:
    every object's label and box, and each image's classes from the lists."""
    datumaro = pytest.importorskip("datumaro")
    for i in range(5):
        write_annotation(f"d{i}", EVERY_TYPE[: 3 + i])
    out = tmp_path / "out"
    result = convert(
        tmp_path / "in", out, labels_file, "--layout", "voc", "--instances"
    )
    assert result.exit_code == 0, result.output
    imported = datumaro.Dataset.import_from(
        str(out), "voc", coordinate_mode="voc-one-based"
    )
    names = [item.name for item in imported.categories()[datumaro.AnnotationType.label]]
    found = {}
    for item in imported:
        boxes = sorted(
            (names[a.label], tuple(round(v) for v in a.get_bbox()))
            for a in item.annotations
            if a.type == datumaro.AnnotationType.bbox
        )
        labels = {
            names[a.label]
            for a in item.annotations
            if a.type == datumaro.AnnotationType.label
        }
        found[(item.subset, item.id)] = (boxes, labels)
    expected = {}
    for split in ("train", "val", "trainval"):
        for stem in (out / "ImageSets" / "Main" / f"{split}.txt").read_text().split():
            shapes, height, width = labelme_shapes(tmp_path / "in" / f"{stem}.json")
            boxes = []
            for _, label, mask in labelme_instances(shapes, height, width):
                if not mask.any():
                    continue
                rows, columns = np.nonzero(mask)
                x0, y0 = columns.min(), rows.min()
                w, h = columns.max() + 1 - x0, rows.max() + 1 - y0
                boxes.append((label, (int(x0), int(y0), int(w), int(h))))
            expected[(split, stem)] = (sorted(boxes), {b[0] for b in boxes})
    assert len(expected) == 10  # 5 in train or val, 5 in trainval
    assert sum(len(boxes) for boxes, _ in expected.values()) == 2 * (2 + 3 + 4 + 5 + 6)
    assert found == expected
