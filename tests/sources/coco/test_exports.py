"""COCO files as other tools export them: Label Studio on Windows (``\\`` in
file_name), COCO 2017 (an images folder per split)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seg_convert.sources.coco.exports import split_of_file
from tests.conftest import gradient_image
from tests.sources.coco.test_coco2voc import (
    CATEGORIES,
    HEIGHT,
    WIDTH,
    annotation,
    coco2voc,
)

SQUARE = [[5, 5, 50, 5, 50, 40, 5, 40]]


def write_coco(path: Path, file_names: list[str], first_id: int = 1) -> Path:
    """A COCO file of one 64x48 image per name, each with one car polygon."""
    images = [
        {"id": first_id + i, "file_name": name, "width": WIDTH, "height": HEIGHT}
        for i, name in enumerate(file_names)
    ]
    document: dict[str, Any] = {
        "images": images,
        "annotations": [
            annotation(image["id"], image["id"], 3, SQUARE) for image in images
        ],
        "categories": CATEGORIES,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def save_image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    gradient_image(WIDTH, HEIGHT).save(path)


def test_label_studio_windows_file_names(tmp_path: Path) -> None:
    """Label Studio's COCO export: result.json beside images/, file_name
    ``images\\NAME.jpg`` when made on Windows."""
    export = tmp_path / "project-1-at-2024"
    save_image(export / "images" / "a1b2c3-cat.jpg")
    result_json = write_coco(export / "result.json", ["images\\a1b2c3-cat.jpg"])
    out = tmp_path / "out"
    result = coco2voc([result_json], out, export, "--noviz")
    assert result.exit_code == 0, result.stderr
    assert (out / "JPEGImages" / "a1b2c3-cat.jpg").is_file()
    assert (out / "SegmentationClassPNG" / "a1b2c3-cat.png").is_file()


def test_a_literal_backslash_name_is_taken_first(tmp_path: Path) -> None:
    images = tmp_path / "images"
    save_image(images / "a\\b.jpg")  # one file of that name (POSIX)
    path = write_coco(tmp_path / "instances.json", ["a\\b.jpg"])
    result = coco2voc([path], tmp_path / "out", images, "--noviz")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "JPEGImages" / "b.jpg").is_file()


@pytest.mark.parametrize(
    ("file_name", "message"),
    [
        (
            "/data/images/x.png",
            "file_name is an absolute path; COCO names images relative to --images "
            "(make it relative to its images folder)",
        ),
        (
            "C:\\Users\\me\\x.png",
            "file_name is an absolute path; COCO names images relative to --images "
            "(make it relative to its images folder)",
        ),
        (
            "..\\x.png",
            "file_name leaves --images ('..'); give --images the folder the names "
            "are relative to",
        ),
        (
            "a\0b/x.png",
            "file_name has a NUL byte, which no file name holds (fix the name in "
            "the annotation file)",
        ),
    ],
    ids=["absolute", "windows-drive", "dot-dot-backslash", "nul"],
)
def test_each_refused_file_name_says_its_fix(
    tmp_path: Path, file_name: str, message: str
) -> None:
    images = tmp_path / "images"
    images.mkdir()
    path = write_coco(tmp_path / "instances.json", [file_name])
    result = coco2voc([path], tmp_path / "out", images, "--noviz")
    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"{path}: image 1 (") and line.endswith(f"): {message}")


def coco_2017(root: Path) -> tuple[Path, Path, Path, Path]:
    """COCO 2017's tree: annotations/instances_{train,val}2017.json beside
    train2017/ and val2017/."""
    for split, names in (
        ("train", ["000000000009.jpg"]),
        ("val", ["000000000139.jpg"]),
    ):
        for name in names:
            save_image(root / f"{split}2017" / name)
    train = write_coco(
        root / "annotations" / "instances_train2017.json", ["000000000009.jpg"]
    )
    val = write_coco(
        root / "annotations" / "instances_val2017.json", ["000000000139.jpg"], 100
    )
    return train, val, root / "train2017", root / "val2017"


def test_one_images_folder_per_annotation_file(tmp_path: Path) -> None:
    train, val, train_dir, val_dir = coco_2017(tmp_path / "coco")
    out = tmp_path / "out"
    result = coco2voc([train, val], out, train_dir, "--images", val_dir, "--noviz")
    assert result.exit_code == 0, result.stderr
    sets = out / "ImageSets" / "Segmentation"
    assert (sets / "train.txt").read_text() == "000000000009\n"
    assert (sets / "val.txt").read_text() == "000000000139\n"
    # The same two folders again: a re-run, not another input set.
    again = coco2voc([train, val], out, train_dir, "--images", val_dir, "--noviz")
    assert again.exit_code == 0, again.stderr
    assert "2 unchanged" in again.stderr


def test_an_ambiguous_count_of_images_folders_is_a_usage_error(
    tmp_path: Path,
) -> None:
    train, val, train_dir, val_dir = coco_2017(tmp_path / "coco")
    result = coco2voc([train], tmp_path / "out", train_dir, "--images", val_dir)
    assert result.exit_code == 2
    assert (
        "--images is given 2 times for 1 annotation files: give one images folder "
        "for all, or one per annotation file in their order"
    ) in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_single_images_folder_serves_every_file(tmp_path: Path) -> None:
    images = tmp_path / "images"
    save_image(images / "a.png")
    save_image(images / "b.png")
    train = write_coco(tmp_path / "train.json", ["a.png"])
    val = write_coco(tmp_path / "val.json", ["b.png"], 10)
    result = coco2voc([train, val], tmp_path / "out", images, "--noviz")
    assert result.exit_code == 0, result.stderr


ROBOFLOW_CATEGORIES = [
    {"id": 0, "name": "pets-abc12", "supercategory": "none"},
    {"id": 1, "name": "cat", "supercategory": "pets-abc12"},
    {"id": 2, "name": "dog", "supercategory": "pets-abc12"},
]


def roboflow_tree(root: Path, categories: list[dict[str, Any]]) -> list[Path]:
    """Roboflow's COCO export: train/, valid/, test/, each with its images
    and _annotations.coco.json (category 0 the project's placeholder)."""
    files = []
    for number, folder in enumerate(("train", "valid", "test")):
        name = f"{folder}_1_jpg.rf.{number}.jpg"
        save_image(root / folder / name)
        image = {"id": 0, "file_name": name, "width": WIDTH, "height": HEIGHT}
        document = {
            "images": [image],
            "annotations": [annotation(0, 0, 1 + number % 2, SQUARE)],
            "categories": categories,
        }
        path = root / folder / "_annotations.coco.json"
        path.write_text(json.dumps(document))
        files.append(path)
    return files


def roboflow_run(root: Path, out: Path, *args: str) -> Any:
    files = roboflow_tree(root, ROBOFLOW_CATEGORIES)
    folders = [str(path.parent) for path in files]
    return coco2voc(
        files, out, folders[0], "--images", folders[1], "--images", folders[2], *args
    )


def test_roboflow_splits_by_folder_and_its_placeholder_is_left_out(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    result = roboflow_run(tmp_path / "export", out, "--noviz")
    assert result.exit_code == 0, result.stderr
    sets = out / "ImageSets" / "Segmentation"
    assert (sets / "train.txt").read_text() == "train_1_jpg.rf.0\n"
    assert (sets / "val.txt").read_text() == "valid_1_jpg.rf.1\n"
    assert (sets / "test.txt").read_text() == "test_1_jpg.rf.2\n"
    assert (sets / "trainval.txt").read_text() == (
        "train_1_jpg.rf.0\nvalid_1_jpg.rf.1\n"
    )
    assert (out / "class_names.txt").read_text() == "_background_\ncat\ndog\n"
    assert (
        "warning: category 0 ('pets-abc12') left out: Roboflow's placeholder "
        "(supercategory 'none', the supercategory of every other category, and "
        "no annotation uses it)"
    ) in result.stderr
    assert "no sample is in" not in result.stderr  # every split is fixed


def test_the_voc_layout_lists_the_test_split(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = roboflow_run(tmp_path / "export", out, "--noviz", "--layout", "voc")
    assert result.exit_code == 0, result.stderr
    main = out / "ImageSets" / "Main"
    assert (main / "test.txt").read_text() == "test_1_jpg.rf.2\n"
    assert (main / "cat_test.txt").read_text() == "test_1_jpg.rf.2  1\n"
    assert (main / "dog_test.txt").read_text() == "test_1_jpg.rf.2 -1\n"
    assert (main / "trainval.txt").read_text() == (
        "train_1_jpg.rf.0\nvalid_1_jpg.rf.1\n"
    )


@pytest.mark.parametrize(
    "change",
    ["used", "other-supercategory", "not-none"],
)
def test_a_category_0_that_is_no_placeholder_is_a_class(
    tmp_path: Path, change: str
) -> None:
    categories = [dict(category) for category in ROBOFLOW_CATEGORIES]
    if change == "other-supercategory":
        categories[2]["supercategory"] = "animals"
    if change == "not-none":
        categories[0]["supercategory"] = "pets"
    files = roboflow_tree(tmp_path / "export", categories)
    if change == "used":
        document = json.loads(files[0].read_text())
        document["annotations"][0]["category_id"] = 0
        files[0].write_text(json.dumps(document))
    out = tmp_path / "out"
    result = coco2voc(files[:1], out, files[0].parent, "--noviz")
    assert result.exit_code == 0, result.stderr
    assert (out / "class_names.txt").read_text() == (
        "_background_\npets-abc12\ncat\ndog\n"
    )
    assert "placeholder" not in result.stderr


@pytest.mark.parametrize(
    ("relative", "split"),
    [
        ("train/_annotations.coco.json", "train"),
        ("valid/_annotations.coco.json", "val"),
        ("val/_annotations.coco.json", "val"),
        ("test/_annotations.coco.json", "test"),
        ("annotations/instances_test2017.json", "test"),
        ("train/instances_val.json", "val"),  # the file's name first
        ("export/_annotations.coco.json", None),
    ],
)
def test_the_split_of_a_file_by_its_name_then_its_folder(
    relative: str, split: str | None
) -> None:
    assert split_of_file(Path("/data") / relative) == split


def test_flatten_names_names_images_by_their_folders(tmp_path: Path) -> None:
    images = tmp_path / "images"
    save_image(images / "a" / "x.jpg")
    save_image(images / "b" / "x.jpg")
    path = write_coco(tmp_path / "instances.json", ["a/x.jpg", "b\\x.jpg"])
    out = tmp_path / "out"
    assert coco2voc([path], out, images, "--noviz").exit_code == 2
    result = coco2voc([path], out, images, "--noviz", "--flatten-names")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (out / "JPEGImages").iterdir()) == [
        "a__x.jpg",
        "b__x.jpg",
    ]
