"""An output directory holds the dataset of one input set: a run over other
inputs (another INPUT_DIR, other annotation files) is refused rather than
taken for a re-run that removes every sample as gone; --force replaces it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import gradient_image
from tests.helpers import convert, tree
from tests.sources.coco.test_coco2voc import coco2voc, write_scene


def labelme_dir(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        gradient_image().save(folder / f"{name}.jpg")
        data = {
            "version": "5.8.0",
            "flags": {},
            "shapes": [
                {
                    "label": "cat",
                    "points": [[2, 2], [30, 4], [20, 30]],
                    "group_id": None,
                    "shape_type": "polygon",
                    "flags": {},
                }
            ],
            "imagePath": f"{name}.jpg",
            "imageData": None,
            "imageHeight": 48,
            "imageWidth": 64,
        }
        (folder / f"{name}.json").write_text(json.dumps(data))
    return folder


def manifest(out: Path) -> dict[str, object]:
    data = json.loads((out / ".seg-convert" / "manifest.json").read_text())
    assert isinstance(data, dict)
    return data


def test_labelme_run_over_another_dir_is_refused(
    tmp_path: Path, labels_file: Path
) -> None:
    dir_a = labelme_dir(tmp_path / "dirA", "a1", "a2")
    dir_b = labelme_dir(tmp_path / "dirB", "b1")
    out = tmp_path / "out"
    assert convert(dir_a, out, labels_file).exit_code == 0
    before = tree(out)
    result = convert(dir_b, out, labels_file)
    assert result.exit_code == 2
    assert result.stderr == (
        f"{out}: holds the dataset of dirA; these inputs are dirB (give --force "
        "to replace it, or choose another output directory)\n"
    )
    assert tree(out) == before
    # Option words that choose the inputs are part of the set.
    result = convert(dir_a, out, labels_file, "--recursive")
    assert "holds the dataset of dirA; these inputs are dirA --recursive" in (
        result.stderr
    )
    assert convert(dir_b, out, labels_file, "--force").exit_code == 0
    assert [p.stem for p in (out / "SegmentationClass").iterdir()] == ["b1"]
    assert manifest(out)["inputs"] == {
        "relative": ["dirB"],
        "absolute": [(tmp_path / "dirB").resolve().as_posix()],
    }


def test_coco_run_over_other_annotation_files_is_refused(tmp_path: Path) -> None:
    file_a, images = write_scene(tmp_path, name="a.json")
    file_b, _ = write_scene(tmp_path, name="b.json")
    out = tmp_path / "out"
    assert coco2voc([file_a], out, images).exit_code == 0
    before = tree(out)
    result = coco2voc([file_b], out, images)
    assert result.exit_code == 2
    assert result.stderr == (
        f"{out}: holds the dataset of a.json --images images; these inputs are "
        "b.json --images images (give --force to replace it, or choose another "
        "output directory)\n"
    )
    assert tree(out) == before
    assert coco2voc([file_a, file_b], out, images).exit_code == 2
    assert coco2voc([file_a], out, images).exit_code == 0  # the same set


def test_deleted_inputs_of_the_same_set_still_lose_their_outputs(
    tmp_path: Path, labels_file: Path
) -> None:
    folder = labelme_dir(tmp_path / "data", "a1", "a2")
    out = tmp_path / "out"
    assert convert(folder, out, labels_file).exit_code == 0
    (folder / "a2.json").unlink()
    assert convert(folder, out, labels_file).exit_code == 0
    assert [p.stem for p in (out / "SegmentationClass").iterdir()] == ["a1"]


def test_a_moved_tree_is_the_same_input_set(tmp_path: Path, labels_file: Path) -> None:
    """A CI job that checks out into another folder each time and restores
    OUTPUT_DIR inside it: the paths relative to OUTPUT_DIR's parent hold."""
    first = tmp_path / "run-1"
    labelme_dir(first / "data", "a1", "a2")
    assert convert(first / "data", first / "dataset", labels_file).exit_code == 0
    second = tmp_path / "run-2"
    shutil.copytree(first, second)
    result = convert(second / "data", second / "dataset", labels_file)
    assert result.exit_code == 0, result.stderr
    assert "converted 0" in result.stderr or "2 unchanged" in result.stderr


def test_a_moved_output_dir_keeps_its_absolute_inputs(
    tmp_path: Path, labels_file: Path
) -> None:
    folder = labelme_dir(tmp_path / "data", "a1")
    assert convert(folder, tmp_path / "out", labels_file).exit_code == 0
    (tmp_path / "elsewhere").mkdir()
    moved = tmp_path / "elsewhere" / "out"
    shutil.move(tmp_path / "out", moved)
    result = convert(folder, moved, labels_file)
    assert result.exit_code == 0, result.stderr


def test_a_manifest_without_the_record_matches_and_gets_one(
    tmp_path: Path, labels_file: Path
) -> None:
    folder = labelme_dir(tmp_path / "data", "a1")
    out = tmp_path / "out"
    assert convert(folder, out, labels_file).exit_code == 0
    path = out / ".seg-convert" / "manifest.json"
    data = manifest(out)
    del data["inputs"]
    path.write_text(json.dumps(data))
    other = labelme_dir(tmp_path / "other", "a1")
    assert convert(other, out, labels_file).exit_code == 0
    assert manifest(out)["inputs"]["relative"] == ["other"]  # type: ignore[index]


def test_shards_share_the_input_set(tmp_path: Path, labels_file: Path) -> None:
    folder = labelme_dir(tmp_path / "data", *(f"s{i}" for i in range(6)))
    out = tmp_path / "out"
    for index in range(2):
        result = convert(folder, out, labels_file, "--shard", f"{index}/2")
        assert result.exit_code == 0, result.stderr
    other = labelme_dir(tmp_path / "other", "s0")
    result = convert(other, out, labels_file, "--shard", "0/2")
    assert result.exit_code == 2
    assert "holds the dataset of data; these inputs are other" in result.stderr
    assert convert(folder, out, labels_file).exit_code == 0
    assert len(list((out / "SegmentationClass").iterdir())) == 6


def test_a_run_that_wrote_no_sample_does_not_hold_the_directory(
    tmp_path: Path, labels_file: Path
) -> None:
    empty = tmp_path / "wrong"
    empty.mkdir()
    (empty / "bad.json").write_text("{")
    assert convert(empty, tmp_path / "out", labels_file).exit_code == 1
    folder = labelme_dir(tmp_path / "data", "a1")
    result = convert(folder, tmp_path / "out", labels_file)
    assert result.exit_code == 0, result.stderr


def test_a_forged_record_makes_the_manifest_unreadable(
    tmp_path: Path, labels_file: Path
) -> None:
    folder = labelme_dir(tmp_path / "data", "a1")
    out = tmp_path / "out"
    assert convert(folder, out, labels_file).exit_code == 0
    path = out / ".seg-convert" / "manifest.json"
    data = manifest(out)
    data["inputs"] = {"relative": "data", "absolute": ["/x"]}
    path.write_text(json.dumps(data))
    result = convert(folder, out, labels_file)
    assert result.exit_code == 2
    assert "unreadable seg-convert manifest ('inputs' does not list paths)" in (
        result.stderr
    )
    assert convert(folder, out, labels_file, "--force").exit_code == 0
