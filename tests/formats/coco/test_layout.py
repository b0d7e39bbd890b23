"""The COCO layout: images/<split>/NAME.jpg, each split's folder the image root
of its instances file (file_name NAME.jpg); a dataset of the JPEGImages/
layout of earlier releases is converted again into it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from seg_convert.cli import cli
from seg_convert.core.labels import LabelTable
from seg_convert.core.options import COCO, Options
from seg_convert.formats.coco.writer import OUTPUT_FORMAT, CocoWriter

REPO = Path(__file__).resolve().parents[3]


def labelme2coco(source: Path, out: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        [
            "labelme2coco",
            str(source),
            str(out),
            "--labels",
            str(REPO / "labels.txt"),
            "--noviz",
            "-j",
            "1",
            "--val-fraction",
            "0.5",
            *args,
        ],
    )


def test_each_split_has_its_image_root(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert labelme2coco(REPO / "examples" / "street", out).exit_code == 0
    for split in ("train", "val"):
        data = json.loads((out / "annotations" / f"instances_{split}.json").read_text())
        names = sorted(image["file_name"] for image in data["images"])
        assert names, split
        assert names == sorted(p.name for p in (out / "images" / split).iterdir())
    assert not (out / "JPEGImages").exists()


def test_a_dataset_of_the_old_layout_is_converted_again(tmp_path: Path) -> None:
    source = tmp_path / "in"
    shutil.copytree(REPO / "examples" / "street", source)
    out = tmp_path / "out"
    assert labelme2coco(source, out).exit_code == 0
    # As a release before images/<split>/ left it: JPEGImages/NAME.jpg, and
    # a key without the layout.
    manifest_path = out / ".seg-convert" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    (out / "JPEGImages").mkdir()
    for entry in manifest["entries"].values():
        outputs = []
        for output in entry["outputs"]:
            if output.startswith("images/"):
                moved = f"JPEGImages/{Path(output).name}"
                (out / output).rename(out / moved)
                output = moved
            outputs.append(output)
        entry["outputs"] = outputs
    shutil.rmtree(out / "images")
    manifest["options_key"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    result = labelme2coco(source, out)
    assert result.exit_code == 0, result.stderr
    assert "converted 5 of 5" in result.stderr
    assert not (out / "JPEGImages").exists()
    assert len(list((out / "images").glob("*/*.jpg"))) == 5


def test_the_layout_is_in_the_rerun_key() -> None:
    options = Options(labels=LabelTable(names=("_background_", "cat")))
    key = options.sample_key(COCO, with_split=True)
    assert OUTPUT_FORMAT.layout
    assert options.sample_key(COCO, with_split=True, layout="") == key
    assert options.sample_key(COCO, with_split=True, layout=OUTPUT_FORMAT.layout) != key


def test_a_test_split_gets_its_own_instances_file(tmp_path: Path) -> None:
    """No labelme input fixes a split, but a source may (Roboflow's test/):
    instances_test.json then holds it, and goes when the split is empty."""
    out = tmp_path / "out"
    assert labelme2coco(REPO / "examples" / "street", out).exit_code == 0
    labels = LabelTable(
        names=tuple(REPO.joinpath("labels.txt").read_text().split()[1:])
    )
    writer = CocoWriter(Options(labels=labels))
    splits = {
        "train": ["street_01", "street_02"],
        "val": ["street_03"],
        "trainval": ["street_01", "street_02", "street_03"],
        "test": ["street_04", "street_05"],
    }
    writer.write_dataset(out, splits=splits, complete=True)
    test = json.loads((out / "annotations" / "instances_test.json").read_text())
    assert [image["file_name"] for image in test["images"]] == [
        "street_04.jpg",
        "street_05.jpg",
    ]
    train = json.loads((out / "annotations" / "instances_train.json").read_text())
    ids = {image["id"] for image in train["images"]}
    assert not ids & {image["id"] for image in test["images"]}
    writer.write_dataset(out, splits={**splits, "test": []}, complete=True)
    assert not (out / "annotations" / "instances_test.json").exists()
