"""voc2coco and voc2yolo end to end: VOC 2012 as distributed, CVAT's export,
the objects modes, bad inputs one line each, re-runs and --force."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from seg_convert.cli import cli
from seg_convert.sources.voc.classes import VOC2012_NAMES
from tests.sources.voc.builders import (
    CVAT_CLASSES,
    HEIGHT,
    SCENES,
    WIDTH,
    cvat_scenes,
    palette_png,
    scene_arrays,
    write_cvat,
    write_image,
    write_voc2012,
)


def run(command: str, voc_dir: Path, out: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [command, str(voc_dir), str(out), "-j", "1", *args])


def instances_json(out: Path) -> dict[str, Any]:
    """train and val merged: images by stem, annotations by stem."""
    merged: dict[str, Any] = {"annotations": {}}
    for split in ("train", "val"):
        path = out / "annotations" / f"instances_{split}.json"
        if not path.exists():
            continue
        document = json.loads(path.read_text())
        merged["categories"] = document["categories"]
        stems = {i["id"]: i["file_name"].rsplit(".", 1)[0] for i in document["images"]}
        for stem in stems.values():
            merged["annotations"].setdefault(stem, [])
            merged.setdefault("splits", {})[stem] = split
        for item in document["annotations"]:
            merged["annotations"][stems[item["image_id"]]].append(item)
    return merged


def decoded(item: dict[str, Any]) -> np.ndarray[Any, Any]:
    rle = {
        "size": item["segmentation"]["size"],
        "counts": item["segmentation"]["counts"],
    }
    return pycocotools.mask.decode(rle)


def test_voc2012_as_distributed_gives_its_classes_instances_and_splits(
    tmp_path: Path,
) -> None:
    voc_dir = write_voc2012(tmp_path / "voc")
    out = tmp_path / "out"
    result = run("voc2coco", voc_dir, out)
    assert result.exit_code == 0, result.output
    found = instances_json(out)
    assert [c["name"] for c in found["categories"]] == VOC2012_NAMES
    assert found["splits"] == {
        "2007_000001": "train",
        "2007_000002": "val",
        "2007_000003": "train",
    }
    for stem, boxes in SCENES.items():
        classes, instances = scene_arrays(boxes)
        items = found["annotations"][stem]
        assert [item["category_id"] for item in items] == [b[0] for b in boxes]
        for number, item in enumerate(items, start=1):
            # RLE, exact: the instance's pixels, never its void border.
            np.testing.assert_array_equal(decoded(item), instances == number)
            assert item["iscrowd"] == 0


def test_cvat_rgb_masks_are_read_by_labelmap_colors(tmp_path: Path) -> None:
    voc_dir = write_cvat(tmp_path / "cvat")
    out = tmp_path / "out"
    result = run("voc2coco", voc_dir, out)
    assert result.exit_code == 0, result.output
    found = instances_json(out)
    assert [c["name"] for c in found["categories"]] == list(CVAT_CLASSES)
    for stem, boxes in cvat_scenes().items():
        _, instances = scene_arrays(boxes)
        instances[instances == 255] = 0
        items = found["annotations"][stem]
        assert [item["category_id"] for item in items] == [b[0] for b in boxes]
        for number, item in enumerate(items, start=1):
            np.testing.assert_array_equal(decoded(item), instances == number)


def semantic_dataset(root: Path) -> Path:
    """One class mask (labelme layout, class_names.txt): class 1 in two
    regions touching at a corner, class 2 in two regions apart."""
    classes = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    classes[0:10, 0:10] = 1
    classes[10:20, 10:20] = 1  # 8-connected to the first at (9, 9)-(10, 10)
    classes[30:40, 0:10] = 2
    classes[30:40, 30:40] = 2
    classes[45:, :] = 255
    palette_png(classes, root / "SegmentationClassPNG" / "a.png")
    write_image(root / "JPEGImages" / "a.jpg")
    (root / "class_names.txt").write_text("_background_\ncat\ndog\n")
    return root


@pytest.mark.parametrize(
    ("mode", "categories"),
    [(None, [1, 2]), ("classes", [1, 2]), ("components", [1, 2, 2])],
    ids=["default", "classes", "components"],
)
def test_objects_without_instance_masks(
    tmp_path: Path, mode: str | None, categories: list[int]
) -> None:
    voc_dir = semantic_dataset(tmp_path / "sem")
    out = tmp_path / "out"
    args = [] if mode is None else ["--objects", mode]
    result = run("voc2coco", voc_dir, out, "--val-fraction", "0", *args)
    assert result.exit_code == 0, result.output
    items = instances_json(out)["annotations"]["a"]
    assert [item["category_id"] for item in items] == categories
    assert sum(int(item["area"]) for item in items) == 400


def test_objects_instances_needs_instance_masks(tmp_path: Path) -> None:
    result = run(
        "voc2coco",
        semantic_dataset(tmp_path / "s"),
        tmp_path / "o",
        "--objects",
        "instances",
    )
    assert result.exit_code == 2
    assert "needs the instance masks" in result.stderr


def test_bad_inputs_fail_one_line_each_and_the_rest_is_converted(
    tmp_path: Path,
) -> None:
    root = tmp_path / "bad"
    classes, _ = scene_arrays(SCENES["2007_000001"])
    classes[classes > 0] = 1
    classes[:1, :1] = 255
    for stem in ("good", "rgb", "past", "size", "cut"):
        palette_png(classes, root / "SegmentationClass" / f"{stem}.png")
        write_image(root / "JPEGImages" / f"{stem}.jpg")
    (root / "class_names.txt").write_text("_background_\nthing\n")
    rgb = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(root / "SegmentationClass" / "rgb.png")
    past = classes.copy()
    past[5, 5] = 7
    palette_png(past, root / "SegmentationClass" / "past.png")
    write_image(root / "JPEGImages" / "size.jpg", (WIDTH + 1, HEIGHT))
    cut = root / "SegmentationClass" / "cut.png"
    cut.write_bytes(cut.read_bytes()[:-40])
    out = tmp_path / "out"
    result = run("voc2coco", root, out)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if str(root) in line]
    assert len(lines) == 4, result.stderr
    said = dict(zip(["cut", "past", "rgb", "size"], sorted(lines), strict=True))
    assert "cut.png" in said["cut"] and "truncated" in said["cut"]
    assert "past.png" in said["past"] and "holds 7" in said["past"]
    assert "rgb.png" in said["rgb"] and "labelmap.txt" in said["rgb"]
    assert "size.png" in said["size"] and "65x48" in said["size"]
    assert "converted 1 of 5 files" in result.stderr
    assert [item["file_name"] for item in _images(out)] == ["good.jpg"]


def _images(out: Path) -> list[dict[str, Any]]:
    return [
        image
        for path in sorted((out / "annotations").glob("instances_*.json"))
        for image in json.loads(path.read_text())["images"]
    ]


def _mtimes(out: Path) -> dict[Path, int]:
    """The dataset's files (not the run's records) and their times."""
    return {
        path: path.stat().st_mtime_ns
        for path in out.rglob("*")
        if path.is_file() and ".seg-convert" not in path.parts
    }


@pytest.mark.parametrize("command", ["voc2coco", "voc2yolo"])
def test_rerun_is_a_no_op_and_force_converts_again(
    tmp_path: Path, command: str
) -> None:
    voc_dir = write_voc2012(tmp_path / "voc")
    out = tmp_path / "out"
    assert run(command, voc_dir, out).exit_code == 0
    before = _mtimes(out)
    again = run(command, voc_dir, out)
    assert again.exit_code == 0
    assert "converted 0 of 3 files" in again.stderr
    assert "3 unchanged since the last run" in again.stderr
    assert _mtimes(out) == before
    mask = voc_dir / "VOCdevkit/VOC2012/SegmentationObject/2007_000002.png"
    os.utime(mask, ns=(1, 1))
    edited = run(command, voc_dir, out)
    assert "converted 1 of 3 files" in edited.stderr, edited.stderr
    forced = run(command, voc_dir, out, "--force")
    assert forced.exit_code == 0, forced.output
    assert "converted 3 of 3 files" in forced.stderr


def test_voc2yolo_writes_outlines_and_says_void_is_left_out(tmp_path: Path) -> None:
    voc_dir = write_voc2012(tmp_path / "voc")
    out = tmp_path / "out"
    result = run("voc2yolo", voc_dir, out)
    assert result.exit_code == 0, result.output
    assert "ignore region" in result.stderr
    labels = sorted(out.rglob("2007_000001.txt"))
    assert len(labels) == 1
    lines = labels[0].read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["14", "11"]  # person, dog
    # A rectangle's outline: its 4 corners.
    assert all(len(line.split()) == 1 + 2 * 4 for line in lines)


def test_panoptic_takes_the_instances(tmp_path: Path) -> None:
    voc_dir = write_voc2012(tmp_path / "voc")
    out = tmp_path / "out"
    result = run("voc2coco", voc_dir, out, "--panoptic")
    assert result.exit_code == 0, result.output
    assert list((out / "annotations").glob("panoptic_*.json"))


def test_a_list_naming_a_path_fails_that_sample_only(tmp_path: Path) -> None:
    voc_dir = write_voc2012(tmp_path / "voc")
    sets = voc_dir / "VOCdevkit/VOC2012/ImageSets/Segmentation"
    (sets / "test.txt").write_text("../../x\n")
    result = run("voc2coco", voc_dir, tmp_path / "out")
    assert result.exit_code == 1
    assert "'../../x', which is not a file name" in result.stderr
    assert "converted 3 of 4 files" in result.stderr


def test_rgb_colors_of_classes_the_labels_lack_fail_their_masks(
    tmp_path: Path,
) -> None:
    voc_dir = write_cvat(tmp_path / "cvat")
    out = tmp_path / "out"
    result = run(
        "voc2coco", voc_dir, out, "--labels", "__ignore__,_background_,cat,dog"
    )
    assert result.exit_code == 1
    # frame_000001 has a tree (blue); frame_000000 only cats and dogs.
    assert "frame_000001.png: the mask has color (0, 0, 255)" in result.stderr
    assert "not in the labels" in result.stderr
    assert "converted 1 of 2 files" in result.stderr


def test_segmentation_polygon_traces_parts_and_keeps_holes(tmp_path: Path) -> None:
    root = tmp_path / "ring"
    classes = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    classes[4:40, 4:40] = 1
    classes[14:30, 14:30] = 0  # a hole
    classes[40:46, 50:60] = 1  # a second part, apart
    palette_png(classes, root / "SegmentationClassPNG" / "r.png")
    write_image(root / "JPEGImages" / "r.jpg")
    (root / "class_names.txt").write_text("_background_\nthing\n")
    out = tmp_path / "out"
    result = run("voc2coco", root, out, "--segmentation", "polygon")
    assert result.exit_code == 0, result.output
    (item,) = instances_json(out)["annotations"]["r"]
    polygons = item["segmentation"]
    assert isinstance(polygons, list) and len(polygons) == 2
    drawn = pycocotools.mask.decode(
        pycocotools.mask.merge(pycocotools.mask.frPyObjects(polygons, HEIGHT, WIDTH))
    )
    mask = classes == 1
    assert drawn[16:28, 16:28].sum() == 0  # the hole stays a hole
    # Traced through the boundary pixels' centres: about half of them lost.
    assert (drawn & mask).sum() / (drawn | mask).sum() > 0.85
    assert item["area"] == mask.sum()  # area and bbox from the mask, as ever


def test_voc2labelme_gives_labelme_files_that_draw_the_masks_again(
    tmp_path: Path,
) -> None:
    """voc2labelme then labelme2voc: the class and instance arrays again (off
    void, which becomes __ignore__ shapes), and labelme 6.3.1 reads the files."""
    labelme_files = pytest.importorskip("labelme._label_file")
    voc_dir = write_voc2012(tmp_path / "voc")
    result = run("voc2labelme", voc_dir, tmp_path / "labelme")
    assert result.exit_code == 0, result.output
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(["__ignore__", "_background_", *VOC2012_NAMES]))
    back = tmp_path / "back"
    again = CliRunner().invoke(
        cli,
        [
            "labelme2voc",
            str(tmp_path / "labelme"),
            str(back),
            "--labels",
            str(labels),
            "--instances",
            "--layout",
            "voc",
            "--noviz",
            "-j",
            "1",
        ],
    )
    assert again.exit_code == 0, again.output
    for stem, boxes in SCENES.items():
        classes, instances = scene_arrays(boxes)
        got = np.asarray(Image.open(back / "SegmentationClass" / f"{stem}.png"))
        got_instances = np.asarray(
            Image.open(back / "SegmentationObject" / f"{stem}.png")
        )
        off = classes != 255
        np.testing.assert_array_equal(got[off], classes[off])
        # The same instance regions, up to their numbering.
        pairs = set(
            zip(got_instances[off].tolist(), instances[off].tolist(), strict=True)
        )
        assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
        labelme_files.LabelFile(str(tmp_path / "labelme" / f"{stem}.json"))
