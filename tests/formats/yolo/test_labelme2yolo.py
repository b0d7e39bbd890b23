"""labelme2yolo and coco2yolo end to end: the layout ultralytics reads, one
line per object, detect boxes, empty images, ignored regions, re-runs, split
moves, shards, jobs, other formats, and OpenCV missing."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from seg_convert.cli import cli
from seg_convert.core.splits import split_of
from seg_convert.formats.yolo.writer import data_yaml, owns, yaml_string
from tests.conftest import REPO, WriteAnnotation, gradient_image, shape

STREET = REPO / "examples" / "street"
STREET_LABELS = REPO / "labels.txt"
# Objects per street file: its shapes less __ignore__, grouped by (label, group_id).
STREET_OBJECTS = {
    "street_01": 5,
    "street_02": 5,
    "street_03": 3,
    "street_04": 2,
    "street_05": 5,
}


def run(command: str, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, [command, *map(str, args)])


def tree(out: Path) -> dict[str, bytes]:
    """Every file but seg-convert's own records."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and ".seg-convert" not in path.relative_to(out).parts
    }


def label_files(out: Path) -> dict[str, list[list[str]]]:
    return {
        path.relative_to(out / "labels").as_posix(): [
            line.split() for line in path.read_text().splitlines()
        ]
        for path in sorted((out / "labels").glob("*/*.txt"))
    }


def check_rows(rows: list[list[str]], *, classes: int, detect: bool) -> None:
    """What ultralytics' verify_image_label asks of every row, stricter: no
    row of the other kind, whole classes in range, values in [0, 1]."""
    for row in rows:
        assert 0 <= int(row[0]) < classes
        values = [float(value) for value in row[1:]]
        assert all(0 <= value <= 1 for value in values)
        if detect:
            assert len(values) == 4
        else:
            assert len(values) >= 6 and len(values) % 2 == 0


@pytest.mark.parametrize("task", ["segment", "detect"])
def test_street_is_a_yolo_dataset(tmp_path: Path, task: str) -> None:
    out = tmp_path / "out"
    result = run(
        "labelme2yolo", STREET, out, "--labels", STREET_LABELS,
        "--val-fraction", "0.5", "--task", task,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "warning: 1 file: 1 ignore region (__ignore__ shapes, crowds) left out: "
        "YOLO labels have no ignore"
    ) in result.stderr
    files = label_files(out)
    for stem, count in STREET_OBJECTS.items():
        split = split_of(stem, val_fraction=0.5, seed=0)
        rows = files[f"{split}/{stem}.txt"]
        assert len(rows) == count
        check_rows(rows, classes=9, detect=task == "detect")
        assert (out / "images" / split / f"{stem}.jpg").is_file()
        assert (out / "Visualization" / f"{stem}.jpg").is_file()
    text = (out / "data.yaml").read_text("utf-8")
    assert not re.search(r"^path:", text, re.M)
    assert "train: images/train\nval: images/val\n" in text
    assert '  0: "road"\n' in text and '  2: "行人"\n' in text


def test_a_baseline_jpeg_is_copied_as_it_is(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run("labelme2yolo", STREET, out, "--labels", STREET_LABELS, "--noviz")
    split = split_of("street_01", val_fraction=0.2, seed=0)
    copied = out / "images" / split / "street_01.jpg"
    assert copied.read_bytes() == (STREET / "street_01.jpg").read_bytes()
    assert not (out / "Visualization").exists()


def test_data_yaml_reads_back_as_written() -> None:
    yaml = pytest.importorskip("yaml")
    names = (
        "_background_",
        "cat",
        'a "b" \\ c',
        "yes",
        "1",
        "x: y",
        "#c",
        "\x85\x7f\u2028\ufeff\t",
        "😀",
    )
    text = data_yaml(names, {"train": ["a"], "val": [], "trainval": ["a"]})
    document = yaml.safe_load(text)
    assert document == {
        "train": "images/train",
        "val": "images/val",
        "names": dict(enumerate(names[1:])),
    }
    assert yaml_string("行人") == '"行人"'


def test_owns_the_nested_layout_only() -> None:
    assert owns("images/train/a.jpg", "a") and owns("labels/val/a.txt", "a")
    assert owns("Visualization/a.jpg", "a")
    assert not owns("images/train/a.txt", "a")
    assert not owns("images/a.jpg", "a")
    assert not owns("labels/train/b.txt", "a")
    assert not owns("images/other/a.jpg", "a")
    assert not owns("data.yaml", "data")


@pytest.fixture
def scenes(write_annotation: WriteAnnotation, labels_file: Path) -> Path:
    write_annotation("empty", [])
    write_annotation(
        "cats",
        [
            shape("cat", [[2, 2], [40, 5], [20, 30]]),
            shape("dog", [[50, 10], [90, 10], [70, 40]]),  # beyond the right side
            shape("__ignore__", [[0, 40], [10, 47]], "rectangle"),
            shape("cat", [[100, 10], [120, 10], [110, 30]]),  # wholly outside
            shape("行人", [[5, 40], [60, 44]], "line"),
        ],
    )
    return labels_file.parent / "in"


def test_lines_empty_images_and_what_is_left_out(
    scenes: Path, labels_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run("labelme2yolo", scenes, out, "--labels", labels_file)
    assert result.exit_code == 0, result.output
    stderr = result.stderr
    assert "warning: 1 file: objects with no pixel inside the image left out" in stderr
    assert "1 ignore region (__ignore__ shapes, crowds) left out" in stderr
    files = {name.split("/")[1]: rows for name, rows in label_files(out).items()}
    assert files["empty.txt"] == []
    cat, dog, person = files["cats.txt"]
    assert cat == "0 0.031250 0.041667 0.625000 0.104167 0.312500 0.625000".split()
    assert dog[0] == "1" and max(float(v) for v in dog[1::2]) == 1.0
    assert person[0] == "2" and len(person) > 7  # the line, traced
    check_rows(files["cats.txt"], classes=3, detect=False)


def test_an_image_ultralytics_would_drop_is_warned_of(
    write_annotation: WriteAnnotation, labels_file: Path, tmp_path: Path
) -> None:
    source = write_annotation("tiny", [], image=gradient_image(12, 9)).parent
    result = run("labelme2yolo", source, tmp_path / "out", "--labels", labels_file)
    assert result.exit_code == 0, result.output
    assert (
        "warning: 1 file: images under 10 px a side, which ultralytics drops as corrupt"
    ) in result.stderr


def test_detect_writes_boxes_only(
    scenes: Path, labels_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run("labelme2yolo", scenes, out, "--labels", labels_file, "--task", "detect")
    files = {name.split("/")[1]: rows for name, rows in label_files(out).items()}
    assert files["empty.txt"] == []
    cat, dog, person = files["cats.txt"]
    # The box of the triangle's pixels as labelme draws them: columns 2..40, rows 2..30.
    assert cat == ["0", "0.335938", "0.343750", "0.609375", "0.604167"]
    check_rows(files["cats.txt"], classes=3, detect=True)


def mtimes(out: Path) -> dict[str, int]:
    return {name: (out / name).stat().st_mtime_ns for name in tree(out)}


def test_rerun_is_a_no_op_and_redoes_what_changed(
    scenes: Path, labels_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run("labelme2yolo", scenes, out, "--labels", labels_file)
    before = mtimes(out)
    again = run("labelme2yolo", scenes, out, "--labels", labels_file)
    assert again.stderr.startswith(
        f"converted 0 of 2 files into {out}, 2 unchanged since the last run"
    )
    assert mtimes(out) == before
    edited = scenes / "empty.json"
    document = json.loads(edited.read_text())
    document["shapes"] = [shape("dog", [[2, 2], [30, 2], [30, 30]])]
    edited.write_text(json.dumps(document))
    result = run("labelme2yolo", scenes, out, "--labels", labels_file)
    assert result.stderr.startswith(f"converted 1 of 2 files into {out}, 1 unchanged")
    fresh = tmp_path / "fresh"
    run("labelme2yolo", scenes, fresh, "--labels", labels_file)
    assert tree(fresh) == tree(out)
    # --task shapes every sample: all are converted again.
    detect = run(
        "labelme2yolo", scenes, out, "--labels", labels_file, "--task", "detect"
    )
    assert detect.stderr.startswith(f"converted 2 of 2 files into {out}\n")


def test_a_sample_whose_split_changes_moves(
    scenes: Path, labels_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run("labelme2yolo", scenes, out, "--labels", labels_file, "--val-fraction", "0")
    assert sorted(tree(out)) == [
        "Visualization/cats.jpg", "Visualization/empty.jpg", "data.yaml",
        "images/train/cats.jpg", "images/train/empty.jpg",
        "labels/train/cats.txt", "labels/train/empty.txt",
    ]  # fmt: skip
    moved = run(
        "labelme2yolo", scenes, out, "--labels", labels_file, "--val-fraction", "1"
    )
    assert moved.exit_code == 0, moved.output
    fresh = tmp_path / "fresh"
    run("labelme2yolo", scenes, fresh, "--labels", labels_file, "--val-fraction", "1")
    assert tree(out) == tree(fresh)
    assert not any((out / "images" / "train").iterdir())  # moved out
    assert (out / "labels" / "val" / "cats.txt").is_file()


def test_shards_write_the_same_data_yaml_and_a_plain_run_completes(
    tmp_path: Path,
) -> None:
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    args = ("--labels", STREET_LABELS, "--val-fraction", "0.5")
    run("labelme2yolo", STREET, whole, *args)
    yamls = []
    for shard in ("0/2", "1/2"):
        result = run("labelme2yolo", STREET, sharded, *args, "--shard", shard)
        assert result.exit_code == 0, result.output
        yamls.append((sharded / "data.yaml").read_bytes())
    assert yamls[0] == yamls[1] == (whole / "data.yaml").read_bytes()
    plain = run("labelme2yolo", STREET, sharded, *args)
    assert "converted 0 of 5 files" in plain.stderr
    assert tree(sharded) == tree(whole)


def test_jobs_give_the_same_bytes(tmp_path: Path) -> None:
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        run("labelme2yolo", STREET, out, "--labels", STREET_LABELS, "-j", jobs)
        outputs.append(tree(out))
    assert outputs[0] == outputs[1]


def test_another_format_is_refused_then_replaced_with_force(
    scenes: Path, labels_file: Path, tmp_path: Path
) -> None:
    out, clean = tmp_path / "out", tmp_path / "clean"
    run("labelme2voc", scenes, out, "--labels", labels_file)
    refused = run("labelme2yolo", scenes, out, "--labels", labels_file)
    assert refused.exit_code == 2
    assert "holds the dataset seg-convert labelme2voc made" in refused.stderr
    run("labelme2yolo", scenes, out, "--labels", labels_file, "--force")
    run("labelme2yolo", scenes, clean, "--labels", labels_file)
    assert tree(out) == tree(clean)


def test_without_opencv_a_traced_object_fails_its_sample_in_one_line(
    scenes: Path, labels_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 raises
    out = tmp_path / "out"
    result = run("labelme2yolo", scenes, out, "--labels", labels_file)
    assert result.exit_code == 1
    failure = [line for line in result.stderr.splitlines() if "OpenCV" in line]
    assert failure == [
        f"{scenes / 'cats.json'}: outlines of line, linestrip, point and mask shapes "
        "and of RLE objects are traced with OpenCV, which is not installed: pip "
        "install 'seg-convert[yolo]' (or convert with --task detect)"
    ]
    detect = run(
        "labelme2yolo", scenes, out, "--labels", labels_file, "--task", "detect"
    )
    assert detect.exit_code == 0, detect.output


def coco_file(path: Path, images: list[dict[str, Any]], annotations: list[Any]) -> None:
    document = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    }
    path.write_text(json.dumps(document))


@pytest.fixture
def coco(tmp_path: Path) -> tuple[Path, Path, Path]:
    """instances_train.json (a.jpg: a two-part polygon, an RLE, a crowd) and
    instances_val.json (b.jpg, no annotation)."""
    images = tmp_path / "images"
    images.mkdir()
    for name in ("a", "b"):
        gradient_image().save(images / f"{name}.jpg")
    square = np.zeros((48, 64), dtype=np.uint8, order="F")
    square[20:30, 40:60] = 1
    import pycocotools.mask

    rle = pycocotools.mask.encode(square)
    train, val = tmp_path / "instances_train.json", tmp_path / "instances_val.json"
    record = {"file_name": "a.jpg", "width": 64, "height": 48}
    coco_file(
        train,
        [{"id": 1, **record}],
        [
            {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
             "segmentation": [[2, 2, 10, 2, 10, 10], [20, 2, 30, 2, 30, 12]]},
            {"id": 2, "image_id": 1, "category_id": 2, "iscrowd": 0,
             "segmentation": {"size": [48, 64], "counts": rle["counts"].decode()}},
            {"id": 3, "image_id": 1, "category_id": 2, "iscrowd": 1,
             "segmentation": [[0, 40, 10, 40, 10, 47]]},
        ],
    )  # fmt: skip
    coco_file(val, [{"id": 7, "file_name": "b.jpg", "width": 64, "height": 48}], [])
    return train, val, images


def test_coco2yolo_keeps_the_files_splits_and_moves_an_image(
    coco: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    train, val, images = coco
    out = tmp_path / "out"
    result = run("coco2yolo", train, val, out, "--images", images)
    assert result.exit_code == 0, result.output
    assert "1 ignore region (__ignore__ shapes, crowds) left out" in result.stderr
    files = label_files(out)
    assert sorted(files) == ["train/a.txt", "val/b.txt"]
    two_parts, square = files["train/a.txt"]
    assert two_parts[0] == "0" and len(two_parts) == 1 + 2 * (3 + 3 + 2)
    assert square[0] == "1"
    check_rows(files["train/a.txt"], classes=2, detect=False)
    assert files["val/b.txt"] == []
    assert 'names:\n  0: "cat"\n  1: "dog"\n' in (out / "data.yaml").read_text()
    # a.jpg moves from the train file to the val file: its files follow.
    document = json.loads(train.read_text())
    document["images"] += json.loads(val.read_text())["images"]
    val.write_text(json.dumps(document))
    coco_file(train, [], [])
    moved = run("coco2yolo", train, val, out, "--images", images)
    assert moved.exit_code == 0, moved.output
    assert sorted(label_files(out)) == ["val/a.txt", "val/b.txt"]
    fresh = tmp_path / "fresh"
    run("coco2yolo", train, val, fresh, "--images", images)
    assert tree(out) == tree(fresh)


def test_without_opencv_coco_rle_fails_its_image_naming_it(
    coco: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 raises
    train, val, images = coco
    result = run("coco2yolo", train, val, tmp_path / "out", "--images", images)
    assert result.exit_code == 1
    assert f"{train}: image 1 (a.jpg): outlines of line" in result.stderr
    assert "converted 1 of 2 files" in result.stderr


def test_python_api_names() -> None:
    import seg_convert

    assert seg_convert.labelme2yolo.__name__ == "labelme2yolo"
    assert seg_convert.coco2yolo.__name__ == "coco2yolo"
    assert os.fspath(STREET)
