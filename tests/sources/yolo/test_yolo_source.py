"""YOLO datasets as a source: yolo2labelme, yolo2voc, yolo2coco end to end,
round trips through labelme2yolo, and bad lines by their line numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from labelme.utils import shape_to_mask

from seg_convert.cli import cli
from seg_convert.sources.yolo.discovery import label_path
from tests.conftest import REPO, gradient_image
from tests.formats.labelme.test_coco2labelme import (
    check_labelme_reads,
    voc_arrays,
    write_generated,
)

STREET = REPO / "examples" / "street"
STREET_LABELS = REPO / "labels.txt"


def invoke(command: str, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, [command, *map(str, args), "-j", "1", "-q"])


def run(command: str, *args: str | Path) -> Result:
    result = invoke(command, *args)
    assert result.exit_code == 0, result.output
    return result


def label_texts(out: Path) -> dict[str, str]:
    return {
        path.relative_to(out).as_posix(): path.read_text()
        for path in sorted((out / "labels").glob("*/*.txt"))
    }


def check_round_trip(folder: Path, labels: Path, tmp: Path) -> None:
    """labelme2yolo, yolo2labelme, labelme2yolo: the same label files."""
    common = ("--labels", labels, "--noviz", "--val-fraction", "0.4")
    run("labelme2yolo", folder, tmp / "yolo1", *common)
    run("yolo2labelme", tmp / "yolo1", tmp / "labelme")
    run("labelme2yolo", tmp / "labelme", tmp / "yolo2", *common)
    first = label_texts(tmp / "yolo1")
    assert first and any(first.values())
    assert label_texts(tmp / "yolo2") == first
    # labelme reads the files yolo2labelme wrote, and paints what labelme2voc does.
    voc_arrays(tmp / "labelme", labels, tmp / "voc")
    check_labelme_reads(tmp / "labelme", labels, tmp / "voc")


def test_street_round_trips_through_labelme(tmp_path: Path) -> None:
    check_round_trip(STREET, STREET_LABELS, tmp_path)


@pytest.mark.parametrize("seed", [0, 1])
def test_generated_files_round_trip_through_labelme(
    tmp_path: Path, labels_file: Path, seed: int
) -> None:
    write_generated(tmp_path / "in", seed, count=6)
    check_round_trip(tmp_path / "in", labels_file, tmp_path)


def write_dataset(
    root: Path, labels: dict[str, str], *, yaml: str | None = None
) -> Path:
    """A 64x48 image per name of ``labels`` (``split/name``) in images/, its
    text in labels/, and data.yaml."""
    for name, text in labels.items():
        image = root / "images" / f"{name}.jpg"
        image.parent.mkdir(parents=True, exist_ok=True)
        gradient_image().save(image)
        if text is not None:
            label = label_path(image)
            label.parent.mkdir(parents=True, exist_ok=True)
            label.write_text(text)
    default = "train: images/train\nval: images/val\nnames: [cat, dog]\n"
    (root / "data.yaml").write_text(default if yaml is None else yaml)
    return root


SEGMENT = "0 0.1 0.1 0.5 0.1 0.3 0.6\n"
BOX = "1 0.5 0.5 0.25 0.5\n"


def test_rows_become_shapes_in_pixels_and_splits_are_kept(tmp_path: Path) -> None:
    root = write_dataset(
        tmp_path / "yolo",
        {"train/a": SEGMENT + "\n" + BOX, "val/b": "", "val/c": None},  # type: ignore[dict-item]
    )
    out = tmp_path / "out"
    run("yolo2labelme", root, out)
    shapes = json.loads((out / "a.json").read_text("utf-8"))["shapes"]
    assert [(s["label"], s["shape_type"]) for s in shapes] == [
        ("cat", "polygon"),
        ("dog", "polygon"),
    ]
    np.testing.assert_allclose(
        shapes[0]["points"], [[6.4, 4.8], [32, 4.8], [19.2, 28.8]]
    )
    np.testing.assert_allclose(
        shapes[1]["points"], [[24, 12], [40, 12], [40, 36], [24, 36]]
    )
    # No labels (an empty file, none at all): a background image.
    for stem in ("b", "c"):
        assert json.loads((out / f"{stem}.json").read_text("utf-8"))["shapes"] == []
    run("yolo2coco", root, tmp_path / "coco", "--noviz")
    names = sorted(p.name for p in (tmp_path / "coco" / "annotations").iterdir())
    assert names == ["instances_train.json", "instances_val.json"]
    val = json.loads(
        (tmp_path / "coco" / "annotations" / "instances_val.json").read_text()
    )
    assert sorted(image["file_name"] for image in val["images"]) == ["b.jpg", "c.jpg"]


def test_yolo2voc_draws_polygons_as_labelme_does(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "yolo", {"train/a": SEGMENT + BOX, "val/b": ""})
    run("yolo2voc", root, tmp_path / "voc", "--noviz")
    classes = np.load(tmp_path / "voc" / "SegmentationClass" / "a.npy")
    expected = np.zeros((48, 64), dtype=np.int32)
    polygons = [
        ([[6.4, 4.8], [32, 4.8], [19.2, 28.8]], 1),
        ([[24, 12], [40, 12], [40, 36], [24, 36]], 2),
    ]
    for points, class_id in polygons:
        expected[shape_to_mask((48, 64), points, "polygon")] = class_id
    np.testing.assert_array_equal(classes, expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "0 0.1 0.1 0.5 0.1 0.3 0.6\n2 0.5 0.5 0.1 0.1\n",
            "line 2: class 2 is not one",
        ),
        ("0 0.1 0.1 0.5 0.1 0.3 0.6 0.2\n", "line 1: 7 coordinates, an odd number"),
        ("\n0 0.1 x 0.5 0.1 0.3 0.6\n", "line 2: 'x' is not a number"),
        ("0 0.1 0.1\n", "line 1: 1 points; a segment needs 3"),
        ("0.5 0.1 0.1 0.5 0.1 0.3 0.6\n", "line 1: class 0.5 is not one"),
        ("0 0.5 0.5 0.2 1.8\n", "line 1: -0.4 is outside [0, 1]"),
        ("0 0.5 0.5 -0.2 0.2\n", "line 1: a box of negative width"),
    ],
    ids=["class", "odd", "not-a-number", "two-points", "fraction", "far", "negative"],
)
def test_a_bad_line_fails_its_image_by_line_number(
    tmp_path: Path, text: str, message: str
) -> None:
    root = write_dataset(tmp_path / "yolo", {"train/a": text, "val/b": ""})
    result = invoke("yolo2labelme", root, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{root / 'labels' / 'train' / 'a.txt'}: {message}" in result.output
    assert (tmp_path / "out" / "b.json").is_file()  # the others are converted


def run_warned(root: Path, out: Path) -> tuple[str, list[Any]]:
    result = CliRunner().invoke(cli, ["yolo2labelme", str(root), str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    return result.output, json.loads((out / "a.json").read_text("utf-8"))["shapes"]


def test_slightly_outside_is_clipped_with_a_warning(tmp_path: Path) -> None:
    root = write_dataset(
        tmp_path / "yolo", {"train/a": "0 -0.005 0.1 1.005 0.1 0.3 0.6\n", "val/b": ""}
    )
    output, shapes = run_warned(root, tmp_path / "out")
    assert "coordinates slightly outside [0, 1] clipped to the image" in output
    np.testing.assert_allclose(shapes[0]["points"], [[0, 4.8], [64, 4.8], [19.2, 28.8]])


def test_a_file_mixing_boxes_and_segments_reads_both_with_a_warning(
    tmp_path: Path,
) -> None:
    root = write_dataset(tmp_path / "yolo", {"train/a": SEGMENT + BOX, "val/b": ""})
    output, shapes = run_warned(root, tmp_path / "out")
    assert "label files mixing box and segment rows" in output
    assert len(shapes) == 2 and len(shapes[1]["points"]) == 4


def test_a_test_split_is_kept(tmp_path: Path) -> None:
    yaml = (
        "train: images/train\nval: images/val\ntest: images/test\nnames: [cat, dog]\n"
    )
    root = write_dataset(
        tmp_path / "yolo",
        {"train/a": SEGMENT, "val/b": "", "test/t": BOX},
        yaml=yaml,
    )
    result = invoke("yolo2coco", root, tmp_path / "coco")
    assert result.exit_code == 0, result.output
    annotations = tmp_path / "coco" / "annotations"
    val = json.loads((annotations / "instances_val.json").read_text())
    assert [image["file_name"] for image in val["images"]] == ["b.jpg"]
    test = json.loads((annotations / "instances_test.json").read_text())
    assert [image["file_name"] for image in test["images"]] == ["t.jpg"]
    assert (tmp_path / "coco" / "images" / "test" / "t.jpg").is_file()


def test_a_folder_of_images_and_labels_needs_labels(tmp_path: Path) -> None:
    folder = tmp_path / "flat"
    folder.mkdir()
    gradient_image().save(folder / "a.png")
    (folder / "a.txt").write_text(SEGMENT)
    result = CliRunner().invoke(cli, ["yolo2labelme", str(folder), str(tmp_path / "o")])
    assert result.exit_code == 2 and "has no data.yaml: give --labels" in result.output
    run(
        "yolo2labelme",
        folder,
        tmp_path / "out",
        "--labels",
        "__ignore__,_background_,cat",
    )
    shapes = json.loads((tmp_path / "out" / "a.json").read_text("utf-8"))["shapes"]
    assert [s["label"] for s in shapes] == ["cat"]


def test_label_files_are_found_as_ultralytics_finds_them() -> None:
    assert label_path(Path("/d/images/train/x.jpg")) == Path("/d/labels/train/x.txt")
    assert label_path(Path("/images/d/images/x.y.png")) == Path(
        "/images/d/labels/x.y.txt"
    )
    assert label_path(Path("/d/imgs/x.jpg")) == Path("/d/imgs/x.txt")


def test_an_output_dir_in_a_split_folder_is_never_an_input(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "data", {"train/a": SEGMENT, "val/b": ""})
    holder = tmp_path / "holder"
    holder.mkdir()
    (holder / "data.yaml").write_text(
        f"path: {root}\ntrain: images/train\nval: images/val\nnames: [cat, dog]\n"
    )
    out = root / "images" / "train" / "out"
    for _ in range(2):  # the second run finds its own a.jpg, and leaves it
        run("yolo2labelme", holder, out)
        assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
            "a.jpg", "a.json", "b.jpg", "b.json",
        ]  # fmt: skip
    # data.yaml's root, elsewhere, is an input too: never an output directory.
    result = invoke("yolo2labelme", holder, tmp_path)
    assert result.exit_code != 0 and "holds the input" in result.output
