"""coco2voc end to end: arrays against pycocotools' annToMask painted in the
documented order, malformed annotations, classes, splits, re-runs, the round
trip through labelme2coco, and the VOC layout as torchvision reads it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask
import pytest
from click.testing import CliRunner, Result
from pycocotools.coco import COCO

from seg_convert.cli import cli
from seg_convert.core.splits import split_of
from seg_convert.sources.coco import json_stream
from seg_convert.sources.coco.index import index_coco_files
from seg_convert.sources.coco.masks import SegmentationError, decode, segmentation_rle
from tests.conftest import WriteAnnotation, gradient_image, shape
from tests.formats.voc.test_layouts import _voc_items

WIDTH, HEIGHT = 64, 48
# Non-contiguous ids, not sorted in the file: classes 1..3 go by id.
CATEGORIES = [
    {"id": 90, "name": "toothbrush"},
    {"id": 3, "name": "car"},
    {"id": 17, "name": "cat"},
]
CLASS_OF = {3: 1, 17: 2, 90: 3}


def compressed(rows: slice, columns: slice) -> dict[str, Any]:
    mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8, order="F")
    mask[rows, columns] = 1
    rle = pycocotools.mask.encode(mask)
    return {"size": [HEIGHT, WIDTH], "counts": rle["counts"].decode()}


def uncompressed(rows: slice, columns: slice) -> dict[str, Any]:
    mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    mask[rows, columns] = 1
    flat = mask.flatten(order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = [0, *changes.tolist(), flat.size]
    counts = np.diff(bounds).tolist()
    if flat[0]:
        counts = [0, *counts]
    return {"size": [HEIGHT, WIDTH], "counts": counts}


def annotation(
    ann_id: int, image_id: int, category_id: int, segmentation: Any, **extra: Any
) -> dict[str, Any]:
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": category_id,
        "segmentation": segmentation,
        "iscrowd": 0,
        "area": 1.0,
        "bbox": [0, 0, 1, 1],
        **extra,
    }


def scene_annotations() -> list[dict[str, Any]]:
    """Image 1: a two-part polygon, a compressed and an uncompressed RLE
    overlapping it, a crowd region over all, a small late polygon; image 2 one
    annotation; image 3 none. Annotations of images interleave in the file."""
    return [
        annotation(11, 1, 17, [[2, 2, 30, 3, 20, 30], [40, 2, 60, 4, 50, 20, 42, 15]]),
        annotation(21, 2, 3, [[5, 5, 50, 5, 50, 40, 5, 40]]),
        annotation(12, 1, 3, compressed(slice(10, 30), slice(10, 50))),
        annotation(13, 1, 90, uncompressed(slice(0, 20), slice(25, 35))),
        annotation(14, 1, 17, compressed(slice(35, 45), slice(0, 64)), iscrowd=1),
        annotation(15, 1, 90, [[12, 12, 16, 12, 16, 16, 12, 16]]),
    ]


def write_scene(
    tmp_path: Path,
    annotations: list[dict[str, Any]] | None = None,
    *,
    name: str = "instances_val2017.json",
    images: list[dict[str, Any]] | None = None,
) -> tuple[Path, Path]:
    """The COCO file and its images folder."""
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    images = images or [
        {"id": i, "file_name": f"{i:012d}.png", "width": WIDTH, "height": HEIGHT}
        for i in (1, 2, 3)
    ]
    for image in images:
        picture = gradient_image(image["width"], image["height"])
        picture.save(folder / Path(image["file_name"]).name)
    path = tmp_path / name
    document = {
        "info": {"description": "generated"},
        "images": images,
        "annotations": scene_annotations() if annotations is None else annotations,
        "categories": CATEGORIES,
    }
    path.write_text(json.dumps(document, indent=1))
    return path, folder


def coco2voc(files: list[Path], out: Path, images: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(
        cli,
        [
            "coco2voc",
            *map(str, files),
            str(out),
            "--images",
            str(images),
            "-j",
            "1",
            *map(str, args),
        ],
    )


def oracle(
    path: Path, image_id: int, *, order: str, crowd: str
) -> tuple[np.ndarray, np.ndarray]:
    """Classes and instances painted from pycocotools' own annToMask."""
    coco = COCO(str(path))
    anns = [a for a in coco.dataset["annotations"] if a["image_id"] == image_id]
    numbers, count = [], 0
    for ann in anns:
        count += not ann["iscrowd"]
        numbers.append(0 if ann["iscrowd"] else count)
    masks = [coco.annToMask(ann).astype(bool) for ann in anns]
    painting = list(range(len(anns)))
    if order == "area":
        painting.sort(key=lambda i: -int(masks[i].sum()))
    image = coco.imgs[image_id]
    classes = np.zeros((image["height"], image["width"]), dtype=np.int32)
    objects = np.zeros_like(classes)
    for i in painting:
        ann = anns[i]
        void = ann["iscrowd"] and crowd == "void"
        classes[masks[i]] = -1 if void else CLASS_OF[ann["category_id"]]
        objects[masks[i]] = numbers[i]
    objects[classes == -1] = 0
    return classes, objects


@pytest.mark.parametrize("order", ["file", "area"])
@pytest.mark.parametrize("crowd", ["void", "class"])
def test_arrays_are_pycocotools_masks_painted_in_order(
    tmp_path: Path, order: str, crowd: str
) -> None:
    path, images = write_scene(tmp_path)
    out = tmp_path / "out"
    result = coco2voc(
        [path], out, images, "--instances", "--order", order, "--crowd", crowd
    )
    assert result.exit_code == 0, result.output
    for image_id in (1, 2, 3):
        stem = f"{image_id:012d}"
        classes, objects = oracle(path, image_id, order=order, crowd=crowd)
        np.testing.assert_array_equal(
            np.load(out / "SegmentationClass" / f"{stem}.npy"), classes
        )
        np.testing.assert_array_equal(
            np.load(out / "SegmentationObject" / f"{stem}.npy"), objects
        )
    assert not np.load(out / "SegmentationClass" / "000000000003.npy").any()
    image_1 = np.load(out / "SegmentationClass" / "000000000001.npy")
    assert (-1 in image_1) is (crowd == "void")
    assert len(np.unique(image_1)) >= 4


def test_class_names_are_categories_by_id_and_val_file_is_val(
    tmp_path: Path,
) -> None:
    path, images = write_scene(tmp_path)
    out = tmp_path / "out"
    assert coco2voc([path], out, images).exit_code == 0
    names = (out / "class_names.txt").read_text().splitlines()
    assert names == ["_background_", "car", "cat", "toothbrush"]
    splits = out / "ImageSets" / "Segmentation"
    stems = [f"{i:012d}" for i in (1, 2, 3)]
    assert (splits / "val.txt").read_text().splitlines() == stems
    assert (splits / "train.txt").read_text() == ""
    assert (splits / "trainval.txt").read_text().splitlines() == stems


def test_train_file_is_train_and_other_files_split_by_hash(tmp_path: Path) -> None:
    train, images = write_scene(tmp_path, name="instances_train2017.json")
    other_images = [
        {"id": 1, "file_name": f"x{i}.png", "width": WIDTH, "height": HEIGHT}
        for i in range(1)
    ] + [
        {"id": i, "file_name": f"x{i}.png", "width": WIDTH, "height": HEIGHT}
        for i in range(2, 12)
    ]
    other, _ = write_scene(tmp_path, [], name="extra.json", images=other_images)
    out = tmp_path / "out"
    assert coco2voc([train, other], out, images).exit_code == 0
    splits = out / "ImageSets" / "Segmentation"
    train_list = (splits / "train.txt").read_text().splitlines()
    val_list = (splits / "val.txt").read_text().splitlines()
    for stem in (f"{i:012d}" for i in (1, 2, 3)):
        assert stem in train_list
    for image in other_images:
        stem = Path(image["file_name"]).stem
        expected = split_of(stem, val_fraction=0.2, seed=0)
        assert stem in (train_list if expected == "train" else val_list)
    assert val_list  # the hash rule put some there


@pytest.mark.parametrize(
    ("segmentation", "reason"),
    [
        ([[1, 1, 10, 1]], "polygon 0 has 4 numbers"),
        ([[1, 1, 10, 1, 10, 10, 3]], "polygon 0 has 7 numbers"),
        ([], "'segmentation' is an empty list (a box only?)"),
        (None, "'segmentation' must be polygons"),
        ({"size": [10, 10], "counts": [100]}, "RLE size [10, 10] is not"),
        ({"size": [HEIGHT, WIDTH], "counts": [5, 10]}, "RLE counts add up to 15"),
        (
            {"size": [HEIGHT, WIDTH], "counts": "3"},
            "RLE counts stop short of the image's pixels",
        ),
        ({"size": [HEIGHT, WIDTH], "counts": "zz"}, "RLE counts"),
        ("no such key", "no 'segmentation' (a box alone is no mask"),
    ],
    ids=[
        "box-as-polygon",
        "odd",
        "empty",
        "null",
        "rle-size",
        "short-list",
        "short-string",
        "long-string",
        "bbox-only",
    ],
)
def test_a_malformed_annotation_fails_its_image_only(
    tmp_path: Path, segmentation: Any, reason: str
) -> None:
    annotations = scene_annotations()
    annotations.append(annotation(99, 2, 3, segmentation))
    if segmentation == "no such key":
        del annotations[-1]["segmentation"]
    path, images = write_scene(tmp_path, annotations)
    out = tmp_path / "out"
    result = coco2voc([path], out, images, "--noviz")
    assert result.exit_code == 1, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith(
        f"{path}: image 2 (000000000002.png): annotation 99: {reason}"
    ), first
    assert sorted(p.name for p in (out / "SegmentationClass").iterdir()) == [
        "000000000001.npy",
        "000000000003.npy",
    ]


def scene_failing_image_2(tmp_path: Path) -> tuple[Path, Path, str]:
    """The scene with a bad polygon in image 2; and the start of its message."""
    annotations = [*scene_annotations(), annotation(99, 2, 3, [[1, 1, 10, 1]])]
    path, images = write_scene(tmp_path, annotations)
    return path, images, f"{path}: image 2 (000000000002.png): annotation 99: "


def test_report_lists_each_image_and_a_failure_with_its_line(tmp_path: Path) -> None:
    path, images, failure = scene_failing_image_2(tmp_path)
    report = tmp_path / "report.json"
    result = coco2voc([path], tmp_path / "out", images, "--report", report)
    assert result.exit_code == 1
    document = json.loads(report.read_text("utf-8"))
    assert [(f["stem"], f["status"]) for f in document["files"]] == [
        ("000000000001", "converted"),
        ("000000000002", "failed"),
        ("000000000003", "converted"),
    ]
    first, failed, third = document["files"]
    line = result.stderr.splitlines()[0]
    assert line.startswith(failure + "polygon 0 has 4 numbers"), line
    assert failed["error"] == line
    assert failed["outputs"] == []
    for converted in (first, third):
        assert converted["error"] is None and converted["outputs"]
        assert all(Path(output).is_file() for output in converted["outputs"])
    assert document["totals"] == {
        **document["totals"],
        "inputs": 3,
        "converted": 2,
        "failed": 1,
        "not_tried": 0,
    }


def slow_first_image(tmp_path: Path) -> tuple[Path, Path]:
    """Image 1 a large one (slow to convert), image 2 failing at once, image 3
    small: with two workers, image 3 is handed out while image 1 converts."""
    images = [
        {"id": 1, "file_name": "000000000001.png", "width": 1000, "height": 750},
        {"id": 2, "file_name": "000000000002.png", "width": WIDTH, "height": HEIGHT},
        {"id": 3, "file_name": "000000000003.png", "width": WIDTH, "height": HEIGHT},
    ]
    bad = annotation(99, 2, 3, [[1, 1, 10, 1]])
    return write_scene(tmp_path, [bad], images=images)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_fail_fast_stops_after_the_first_failed_image(
    tmp_path: Path, jobs: str
) -> None:
    path, images = slow_first_image(tmp_path)
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = coco2voc(
        [path], out, images, "--fail-fast", "-j", jobs, "--report", report
    )
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}: image 2 (000000000002.png): annotation 99")
    assert lines[1:] == [
        f"converted 1 of 3 files into {out}, 1 failed, 1 not tried (--fail-fast)"
    ]
    document = json.loads(report.read_text("utf-8"))
    assert [(f["stem"], f["status"]) for f in document["files"]] == [
        ("000000000001", "converted"),
        ("000000000002", "failed"),
    ]
    assert document["totals"]["not_tried"] == 1
    trainval = out / "ImageSets" / "Segmentation" / "trainval.txt"
    assert trainval.read_text() == "000000000001\n"


def test_fail_fast_with_workers_leaves_no_unrecorded_outputs(tmp_path: Path) -> None:
    """A worker finishes the image it had started when fail-fast stops the run;
    reported not tried, its files must not stay behind unrecorded."""
    path, images = slow_first_image(tmp_path)
    out = tmp_path / "out"
    assert coco2voc([path], out, images, "--fail-fast", "-j", "2").exit_code == 1
    assert sorted(p.name for p in out.rglob("000000000003.*")) == []
    # Image 3 leaves the dataset, image 2 is fixed: the README's promise is that
    # the outputs of deleted inputs are removed.
    document = json.loads(path.read_text())
    document["images"] = document["images"][:2]
    document["annotations"] = []
    path.write_text(json.dumps(document))
    assert coco2voc([path], out, images).exit_code == 0
    assert sorted(p.name for p in out.rglob("000000000003.*")) == []


def test_force_converts_every_image_again(tmp_path: Path) -> None:
    path, images = write_scene(tmp_path)
    out = tmp_path / "out"
    assert coco2voc([path], out, images).exit_code == 0
    before = _dataset(out)
    stems = {f"{i:012d}" for i in (1, 2, 3)}
    samples = [file for file in _mtimes(out) if file.stem in stems]
    assert len(samples) == 3 * 4  # image, .npy, .png, visualization
    for file in _mtimes(out):
        os.utime(file, ns=(0, 0))
    again = coco2voc([path], out, images)
    assert again.stderr == (
        f"converted 0 of 3 files into {out}, 3 unchanged since the last run\n"
    )
    forced = coco2voc([path], out, images, "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stderr == f"converted 3 of 3 files into {out}\n"
    assert [file for file in samples if file.stat().st_mtime_ns == 0] == []
    assert _dataset(out) == before


def test_labels_map_categories_by_name(tmp_path: Path) -> None:
    path, images = write_scene(tmp_path)
    out = tmp_path / "out"
    labels = "__ignore__,_background_,toothbrush,cat,car,bus"
    result = coco2voc([path], out, images, "--labels", labels)
    assert result.exit_code == 0, result.output
    classes = np.load(out / "SegmentationClass" / "000000000002.npy")
    assert set(np.unique(classes)) == {0, 3}  # car is class 3 here

    partial = "__ignore__,_background_,cat"
    failed = coco2voc([path], tmp_path / "o2", images, "--labels", partial)
    assert failed.exit_code == 1
    assert (
        f"{path}: image 1 (000000000001.png): annotation 12: category 'car' (id 3) "
        "is not in the labels (add it there, or use --skip-unknown)"
    ) in failed.stderr

    skipped = coco2voc(
        [path], tmp_path / "o3", images, "--labels", partial, "--skip-unknown"
    )
    assert skipped.exit_code == 0, skipped.output
    assert (
        "warning: 2 files: annotations of categories not in the labels "
        "(--skip-unknown): 4 left out ('car': 2, 'toothbrush': 2)"
    ) in skipped.stderr
    report = tmp_path / "report.json"
    again = coco2voc(
        [path],
        tmp_path / "o4",
        images,
        "--labels",
        partial,
        "--skip-unknown",
        "--report",
        report,
    )
    assert again.exit_code == 0, again.output
    files = json.loads(report.read_text())["files"]
    assert [file["warnings"] for file in files] == [
        [
            "annotations of categories not in the labels (--skip-unknown): 3 left "
            "out ('car': 1, 'toothbrush': 2)"
        ],
        [
            "annotations of categories not in the labels (--skip-unknown): 1 left "
            "out ('car': 1)"
        ],
        [],
    ]
    assert not np.load(tmp_path / "o3" / "SegmentationClass" / "000000000002.npy").any()


def test_missing_mismatched_and_escaping_images_fail_that_image(
    tmp_path: Path,
) -> None:
    images_list = [
        {"id": 1, "file_name": "a.png", "width": WIDTH, "height": HEIGHT},
        {"id": 2, "file_name": "b.png", "width": WIDTH, "height": HEIGHT},
        {"id": 3, "file_name": "c.png", "width": WIDTH, "height": HEIGHT},
        {"id": 4, "file_name": "../d.png", "width": WIDTH, "height": HEIGHT},
    ]
    path, images = write_scene(tmp_path, [], images=images_list)
    (images / "b.png").unlink()
    gradient_image(10, 10).save(images / "c.png")
    result = coco2voc([path], tmp_path / "out", images, "--noviz")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        f"{path}: image 2 (b.png): image {images / 'b.png'} not found (file_name "
        "is relative to --images)",
        f"{path}: image 3 (c.png): width is {WIDTH} but the image is 10x10; the "
        "annotation was made on a different image",
        f"{path}: image 4 (../d.png): file_name leaves --images ('..'); give "
        "--images the folder the names are relative to",
    ]


def test_two_images_of_one_stem_are_a_usage_error(tmp_path: Path) -> None:
    images_list = [
        {"id": 1, "file_name": "a/x.png", "width": WIDTH, "height": HEIGHT},
        {"id": 2, "file_name": "b/x.jpg", "width": WIDTH, "height": HEIGHT},
    ]
    path, images = write_scene(tmp_path, [], images=images_list)
    result = coco2voc([path], tmp_path / "out", images)
    assert result.exit_code == 2
    assert (
        f"{path}: image 2 (b/x.jpg) and image 1 (a/x.png) of {path.name} would "
        "both be written as 'x' (rename one, or use --flatten-names)"
    ) in result.stderr


def test_invalid_json_is_a_usage_error_naming_the_byte(tmp_path: Path) -> None:
    path, images = write_scene(tmp_path)
    text = path.read_text()
    path.write_text(text[:200] + "}" + text[200:])
    result = coco2voc([path], tmp_path / "out", images)
    assert result.exit_code == 2
    assert f"{path}: not valid JSON at byte" in result.stderr


def test_rerun_writes_nothing_and_an_edit_redoes_its_image_only(
    tmp_path: Path,
) -> None:
    path, images = write_scene(tmp_path)
    out = tmp_path / "out"
    assert coco2voc([path], out, images, "--instances").exit_code == 0
    before = _mtimes(out)
    again = coco2voc([path], out, images, "--instances")
    assert again.exit_code == 0
    assert "converted 0 of 3 files" in again.stderr
    assert "3 unchanged since the last run" in again.stderr
    assert _mtimes(out) == before

    document = json.loads(path.read_text())
    document["annotations"][1]["segmentation"] = [[1, 1, 30, 1, 30, 30]]  # image 2
    document["info"]["description"] = "edited"  # not an annotation: no change
    # As written before: the bytes of the other annotations are the same,
    # their offsets not.
    path.write_text(json.dumps(document, indent=1))
    edited = coco2voc([path], out, images, "--instances")
    assert "converted 1 of 3 files" in edited.stderr, edited.stderr
    assert "2 unchanged since the last run" in edited.stderr
    changed = {p for p, mtime in _mtimes(out).items() if before[p] != mtime}
    assert {p.stem for p in changed} == {"000000000002"}
    classes, _ = oracle(path, 2, order="file", crowd="void")
    np.testing.assert_array_equal(
        np.load(out / "SegmentationClass" / "000000000002.npy"), classes
    )


def _mtimes(out: Path) -> dict[Path, int]:
    """The dataset's files (not the state folder, whose lock a run takes)."""
    return {
        p: p.stat().st_mtime_ns
        for p in out.rglob("*")
        if p.is_file() and ".seg-convert" not in p.parts
    }


def test_more_than_254_instances_fail_with_instances(tmp_path: Path) -> None:
    many = [annotation(i, 1, 3, [[0, 0, 1, 0, 1, 1]]) for i in range(1, 256)]
    path, images = write_scene(tmp_path, many)
    result = coco2voc([path], tmp_path / "out", images, "--instances", "--noviz")
    assert result.exit_code == 1
    assert f"{path}: image 1 (000000000001.png): 255 instances" in result.stderr
    assert coco2voc([path], tmp_path / "o2", images, "--noviz").exit_code == 0


def test_voc_layout_loads_as_torchvision_reads_it(tmp_path: Path) -> None:
    path, images = write_scene(tmp_path)
    voc_root = tmp_path / "VOCdevkit" / "VOC2012"
    assert coco2voc([path], voc_root, images, "--layout", "voc").exit_code == 0
    items = _voc_items(voc_root, "val")
    names = (voc_root / "ImageSets/Segmentation/val.txt").read_text().splitlines()
    assert len(items) == 3
    for (image, target), name in zip(items, names, strict=True):
        assert image.mode == "RGB" and target.mode == "P"
        assert image.size == target.size == (WIDTH, HEIGHT)
        expected = np.load(voc_root / "SegmentationClassNpy" / f"{name}.npy")
        np.testing.assert_array_equal(
            np.asarray(target), np.where(expected == -1, 255, expected)
        )


def test_round_trip_through_labelme2coco_crop_covered(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    """labelme2coco --crop-covered, then coco2voc with the same labels, gives
    labelme2voc's class arrays wherever they are not ignore pixels, and its
    splits."""
    shapes = [
        shape("cat", [[2, 2], [40, 5], [20, 30]], group_id=1),
        shape("cat", [[45, 30], [60, 44]], "rectangle", group_id=1),
        shape("dog", [[30, 20], [40, 30]], "circle"),
        shape("行人", [[5, 30], [25, 45]], "rectangle"),
        shape("__ignore__", [[50, 2]], "point"),
        shape("dog", [[10, 10], [20, 12]], "line"),
    ]
    for i in range(8):
        write_annotation(f"img_{i}", shapes[i % 3 :])
    source = tmp_path / "in"
    runner = CliRunner()
    common = ["--labels", str(labels_file), "--noviz", "-j", "1"]
    coco_out, voc_out, back = tmp_path / "coco", tmp_path / "voc", tmp_path / "back"
    result = runner.invoke(
        cli, ["labelme2coco", str(source), str(coco_out), "--crop-covered", *common]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["labelme2voc", str(source), str(voc_out), *common])
    assert result.exit_code == 0, result.output
    files = sorted((coco_out / "annotations").glob("instances_*.json"))
    # Each file's image root: images/train/ and images/val/.
    folders = [coco_out / "images" / path.stem.split("_")[-1] for path in files]
    result = coco2voc(
        files,
        back,
        folders[0],
        "--images",
        folders[1],
        "--labels",
        labels_file,
        "--noviz",
    )
    assert result.exit_code == 0, result.output
    for i in range(8):
        expected = np.load(voc_out / "SegmentationClass" / f"img_{i}.npy")
        got = np.load(back / "SegmentationClass" / f"img_{i}.npy")
        kept = expected != -1
        np.testing.assert_array_equal(got[kept], expected[kept])
        assert not got[~kept].any()
    for split in ("train", "val", "trainval"):
        listed = f"ImageSets/Segmentation/{split}.txt"
        assert (back / listed).read_text() == (voc_out / listed).read_text()
    assert (back / "class_names.txt").read_text() == (
        voc_out / "class_names.txt"
    ).read_text()


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_the_index_reads_any_chunking_as_json_load(
    tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spans read back are the file's annotations of each image, in file order,
    however the file is cut into chunks; prints are the same."""
    path, _ = write_scene(tmp_path)
    whole = index_coco_files([path], salt=b"")
    monkeypatch.setattr(json_stream, "_CHUNK", chunk)
    cut = index_coco_files([path], salt=b"")
    assert cut == whole
    document = json.loads(path.read_bytes())
    data = path.read_bytes()
    for image in cut.images:
        spans = image.annotation_spans()
        read = [json.loads(data[start:end]) for start, end in spans]
        assert read == [
            a for a in document["annotations"] if a["image_id"] == image.image_id
        ]
    assert dict(cut.categories) == {c["id"]: c["name"] for c in CATEGORIES}


@pytest.mark.parametrize("size", [(1, 1), (1, 2), (3, 1), (5, 7)])
def test_compressed_rle_covering_the_image_is_taken_and_a_short_one_refused(
    size: tuple[int, int],
) -> None:
    height, width = size
    for value in (0, 1):
        mask = np.full((height, width), value, dtype=np.uint8, order="F")
        counts = pycocotools.mask.encode(mask)["counts"].decode()
        segmentation = {"size": [height, width], "counts": counts}
        rle = segmentation_rle(segmentation, height=height, width=width)
        np.testing.assert_array_equal(decode(rle), mask.astype(bool))
    with pytest.raises(SegmentationError, match="stop short"):
        segmentation_rle(
            {"size": [height, width], "counts": ""}, height=height, width=width
        )


def _dataset(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".seg-convert" not in p.parts
    }


def test_workers_and_shards_write_what_one_run_writes(tmp_path: Path) -> None:
    path, images = write_scene(tmp_path)
    one, two, shards = tmp_path / "one", tmp_path / "two", tmp_path / "shards"
    assert coco2voc([path], one, images, "--instances").exit_code == 0
    result = CliRunner().invoke(
        cli,
        ["coco2voc", str(path), str(two), "--images", str(images), "--instances"]
        + ["-j", "2"],
    )
    assert result.exit_code == 0, result.output
    for shard in ("0/2", "1/2"):
        sharded = coco2voc([path], shards, images, "--instances", "--shard", shard)
        assert sharded.exit_code == 0, sharded.output
    assert _dataset(two) == _dataset(one)
    assert _dataset(shards) == _dataset(one)


def test_a_reading_option_change_converts_every_image_again(tmp_path: Path) -> None:
    path, images = write_scene(tmp_path)
    out = tmp_path / "out"
    assert coco2voc([path], out, images).exit_code == 0
    again = coco2voc([path], out, images, "--order", "area")
    assert "converted 3 of 3 files" in again.stderr
    classes, _ = oracle(path, 1, order="area", crowd="void")
    np.testing.assert_array_equal(
        np.load(out / "SegmentationClass" / "000000000001.npy"), classes
    )


def test_voc_layout_boxes_are_the_annotations_masks(tmp_path: Path) -> None:
    """Annotations/*.xml: one object per non-crowd annotation, its box the tight
    box of pycocotools' mask in VOC's 1-based inclusive pixels."""
    import xml.etree.ElementTree as ElementTree

    path, images = write_scene(tmp_path)
    out = tmp_path / "out"
    assert coco2voc([path], out, images, "--layout", "voc").exit_code == 0
    coco = COCO(str(path))
    for image_id, image in coco.imgs.items():
        stem = Path(image["file_name"]).stem
        root = ElementTree.parse(out / "Annotations" / f"{stem}.xml").getroot()
        found = [
            (
                obj.findtext("name"),
                *(int(obj.findtext(f"bndbox/{k}") or 0) for k in BOX_KEYS),
            )
            for obj in root.iter("object")
        ]
        expected = []
        for ann in coco.imgToAnns[image_id]:
            if ann["iscrowd"]:
                continue
            rows, columns = np.nonzero(coco.annToMask(ann))
            name = coco.cats[ann["category_id"]]["name"]
            box = (columns.min() + 1, rows.min() + 1, columns.max() + 1, rows.max() + 1)
            expected.append((name, *map(int, box)))
        assert found == expected


BOX_KEYS = ("xmin", "ymin", "xmax", "ymax")


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("inside", ["images", "annotations", "both-are-the-output"])
def test_an_output_directory_holding_an_input_is_refused(
    tmp_path: Path, inside: str
) -> None:
    """A dataset converted into its own folder would have its inputs removed."""
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    path, images = write_scene(dataset, name="instances_train.json")
    out = {"images": images, "annotations": dataset, "both-are-the-output": dataset}
    before = files_under(tmp_path)
    result = coco2voc([path], out[inside], images)
    assert result.exit_code == 2
    held = images if inside == "images" else path
    assert (
        f"{out[inside]}: holds the input {held}, and seg-convert writes and "
        "removes files in the output directory (choose an output directory "
        "outside it)"
    ) in result.stderr
    assert files_under(tmp_path) == before


def test_a_labelme2voc_dataset_is_not_replaced_by_coco2voc(
    tmp_path: Path, write_annotation: WriteAnnotation, labels_file: Path
) -> None:
    source = write_annotation("a", [shape("cat", [[2, 2], [40, 5], [20, 30]])]).parent
    out = tmp_path / "out"
    made = CliRunner().invoke(
        cli, ["labelme2voc", str(source), str(out), "--labels", str(labels_file)]
    )
    assert made.exit_code == 0, made.output
    path, images = write_scene(tmp_path)
    result = coco2voc([path], out, images)
    assert result.exit_code == 2
    assert "holds the dataset seg-convert labelme2voc made, which coco2voc" in (
        result.stderr
    )
    assert (out / "SegmentationClassPNG" / "a.png").is_file()
    assert coco2voc([path], out, images, "--force").exit_code == 0
    assert not (out / "SegmentationClassPNG" / "a.png").exists()


def test_the_report_says_what_was_read(tmp_path: Path) -> None:
    path, images = write_scene(tmp_path)
    report = tmp_path / "report.json"
    result = coco2voc(
        [path], tmp_path / "out", images, "--order", "area", "--report", report
    )
    assert result.exit_code == 0, result.output
    options = json.loads(report.read_text())["options"]
    assert {k: options[k] for k in ("annotation_files", "images_dir", "order")} == {
        "annotation_files": [str(path)],
        "images_dir": str(images),
        "order": "area",
    }
    assert (options["crowd"], options["skip_unknown"]) == ("void", False)
    assert "recursive" not in options and "input_dir" not in options
