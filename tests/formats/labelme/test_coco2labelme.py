"""labelme files as an output format: coco2labelme end to end, round trips
through COCO (labelme -> labelme2coco -> coco2labelme -> labelme2voc), and
labelme 6.3.1's own reader and drawing as the oracle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from labelme import LabelFile
from labelme.utils import shapes_to_label
from PIL import Image

from seg_convert.cli import cli
from seg_convert.formats.labelme.writer import VERSION
from tests.conftest import REPO, b64, gradient_image, png_bytes, shape

STREET = REPO / "examples" / "street"
STREET_LABELS = REPO / "labels.txt"
NAMES = ["__ignore__", "_background_", "cat", "dog", "行人"]


def run(command: str, *args: str | Path) -> Result:
    result = CliRunner().invoke(cli, [command, *map(str, args), "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    return result


def voc_arrays(
    folder: Path, labels: Path, out: Path
) -> dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """labelme2voc's class and instance arrays of every file of ``folder``."""
    run("labelme2voc", folder, out, "--labels", labels, "--instances", "--noviz")
    return {
        path.stem: (np.load(path), np.load(out / "SegmentationObject" / path.name))
        for path in sorted((out / "SegmentationClass").glob("*.npy"))
    }


def through_coco(folder: Path, labels: Path, tmp: Path, *coco_options: str) -> Path:
    """``folder`` converted by labelme2coco (``coco_options``) then
    coco2labelme: the folder of labelme files it gives."""
    run("labelme2coco", folder, tmp / "coco", "--labels", labels, *coco_options)
    annotations = sorted((tmp / "coco" / "annotations").glob("instances_*.json"))
    out = tmp / "labelme"
    run(
        "coco2labelme", *annotations, out, "--images", tmp / "coco" / "JPEGImages",
        "--labels", labels,
    )  # fmt: skip
    return out


def same_up_to_numbering(
    first: np.ndarray[Any, Any], second: np.ndarray[Any, Any]
) -> bool:
    """Whether two instance arrays hold the same regions, whatever their ids."""
    pairs = np.unique(np.stack([first.ravel(), second.ravel()]), axis=1)
    return len(set(pairs[0])) == len(set(pairs[1])) == pairs.shape[1]


def check_round_trip(folder: Path, labels: Path, tmp: Path) -> None:
    before = voc_arrays(folder, labels, tmp / "voc-before")
    out = through_coco(folder, labels, tmp, "--crop-covered")
    after = voc_arrays(out, labels, tmp / "voc-after")
    assert set(after) == set(before)
    for stem, (classes, instances) in before.items():
        kept = classes != -1  # __ignore__ pixels: COCO has no such objects
        np.testing.assert_array_equal(after[stem][0][kept], classes[kept], stem)
        assert same_up_to_numbering(instances[kept], after[stem][1][kept]), stem
    check_labelme_reads(out, labels, tmp / "voc-after")


def check_labelme_reads(out: Path, labels: Path, voc: Path) -> None:
    """labelme 6.3.1's LabelFile loads every file written, and its
    shapes_to_label paints the class array labelme2voc gives for it."""
    names = labels.read_text("utf-8").split()
    values = {name: index - 1 for index, name in enumerate(names)}
    for path in sorted(out.glob("*.json")):
        label_file = LabelFile(str(path))
        assert json.loads(path.read_text("utf-8"))["version"] == VERSION
        height, width = Image.open(out / label_file.image_path).size[::-1]
        classes, _ = shapes_to_label((height, width), label_file.shapes, values)
        expected = np.load(voc / "SegmentationClass" / f"{path.stem}.npy")
        np.testing.assert_array_equal(classes, expected, path.name)


def test_street_round_trips_through_coco(tmp_path: Path) -> None:
    check_round_trip(STREET, STREET_LABELS, tmp_path)


LABELS = ["cat", "dog", "行人", "__ignore__"]
KINDS = ["polygon", "rectangle", "circle", "line", "point", "mask"]


def random_shapes(rng: np.random.Generator, width: int, height: int) -> list[Any]:
    """Overlapping shapes of every type labelme has, some grouped, some
    __ignore__, some reaching outside the image."""
    shapes = []
    for _ in range(int(rng.integers(3, 9))):
        label = str(rng.choice(LABELS, p=[0.35, 0.3, 0.25, 0.1]))
        kind = str(rng.choice(KINDS))
        cx, cy = rng.uniform(-5, width + 5), rng.uniform(-5, height + 5)
        extra: dict[str, Any] = {}
        if rng.random() < 0.25:
            extra["group_id"] = int(rng.integers(1, 3))
        if kind == "polygon":
            count = int(rng.integers(3, 8))
            angles = np.sort(rng.uniform(0, 2 * np.pi, count))
            radii = rng.uniform(3, 20, count)
            xs, ys = cx + radii * np.cos(angles), cy + radii * np.sin(angles)
            points = np.round(np.stack([xs, ys], axis=1), 2).tolist()
        elif kind in ("rectangle", "circle", "line"):
            other = (cx + rng.uniform(-15, 15), cy + rng.uniform(-15, 15))
            points = np.round([[cx, cy], other], 2).tolist()
        elif kind == "point":
            points = np.round([[cx, cy]], 2).tolist()
        else:
            x0, y0 = int(rng.integers(0, width - 4)), int(rng.integers(0, height - 4))
            w, h = int(rng.integers(1, 12)), int(rng.integers(1, 12))
            pixels = (rng.random((h, w)) < 0.6).astype(np.uint8)
            points = [[x0, y0], [x0 + w - 1, y0 + h - 1]]
            extra["mask"] = b64(png_bytes(Image.fromarray(pixels)))
        shapes.append(shape(label, points, kind, **extra))
    return shapes


def write_generated(folder: Path, seed: int, count: int) -> None:
    rng = np.random.default_rng(seed)
    folder.mkdir()
    for index in range(count):
        image = gradient_image()
        name = f"gen_{index:02d}"
        image.save(folder / f"{name}.png")
        data = {
            "version": "5.8.0", "flags": {},
            "shapes": random_shapes(rng, image.width, image.height),
            "imagePath": f"{name}.png", "imageData": None,
            "imageHeight": image.height, "imageWidth": image.width,
        }  # fmt: skip
        (folder / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_files_round_trip_through_coco(
    tmp_path: Path, labels_file: Path, seed: int
) -> None:
    write_generated(tmp_path / "in", seed, count=6)
    check_round_trip(tmp_path / "in", labels_file, tmp_path)
