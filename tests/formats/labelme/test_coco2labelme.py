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
from pycocotools import mask as coco_mask

from seg_convert.cli import cli
from seg_convert.formats.labelme.writer import VERSION, owns
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
    # Each instances_<split>.json's images are in images/<split>/.
    images = [
        word
        for path in annotations
        for word in ("--images", tmp / "coco" / "images" / path.stem.split("_")[1])
    ]
    run("coco2labelme", *annotations, out, *images, "--labels", labels)
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


def rle(mask: np.ndarray[Any, Any]) -> dict[str, Any]:
    encoded = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": encoded["size"], "counts": encoded["counts"].decode("ascii")}


def blob(
    x0: int, y0: int, x1: int, y1: int, hole: bool = False
) -> np.ndarray[Any, Any]:
    mask = np.zeros((48, 64), dtype=np.uint8)
    mask[y0:y1, x0:x1] = 1
    if hole:
        mask[y0 + 3 : y1 - 3, x0 + 3 : x1 - 3] = 0
    return mask


def write_coco(tmp: Path, annotations: list[dict[str, Any]]) -> tuple[Path, Path]:
    """A COCO file of one 64x48 image (and one with no annotations) and its
    images folder."""
    images = tmp / "images"
    images.mkdir()
    for name in ("a.jpg", "empty.jpg"):
        gradient_image().save(images / name)
    for index, annotation in enumerate(annotations, start=1):
        annotation.update(id=index, image_id=1)
        annotation.setdefault("iscrowd", 0)
    dataset = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 64, "height": 48},
            {"id": 2, "file_name": "empty.jpg", "width": 64, "height": 48},
        ],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}, {"id": 7, "name": "dog"}],
    }
    path = tmp / "instances.json"
    path.write_text(json.dumps(dataset))
    return path, images


CROWDED = [
    {"category_id": 1, "segmentation": rle(blob(2, 2, 30, 30, hole=True))},
    {"category_id": 7, "segmentation": rle(blob(20, 10, 50, 40)), "iscrowd": 1},
    {"category_id": 7, "segmentation": rle(blob(40, 5, 60, 20))},
    {
        "category_id": 1,
        "segmentation": rle(blob(10, 35, 30, 45) | blob(40, 42, 60, 47)),
    },
]


@pytest.mark.parametrize("crowd", ["void", "class"])
def test_coco_rle_and_crowds_paint_what_coco2voc_paints(
    tmp_path: Path, crowd: str
) -> None:
    annotations, images = write_coco(tmp_path, json.loads(json.dumps(CROWDED)))
    common = ("--images", images, "--crowd", crowd)
    run("coco2voc", annotations, tmp_path / "voc", *common, "--instances", "--noviz")
    out = tmp_path / "labelme"
    run("coco2labelme", annotations, out, *common)
    assert sorted(path.name for path in out.iterdir()) == [
        ".seg-convert", "a.jpg", "a.json", "empty.jpg", "empty.json",
    ]  # fmt: skip
    data = json.loads((out / "a.json").read_text("utf-8"))
    assert [(s["label"], s["shape_type"], s["group_id"]) for s in data["shapes"]] == [
        ("cat", "mask", None),
        ("dog", "mask", None),
        ("cat", "mask", None),  # its two parts are one mask
        ("__ignore__" if crowd == "void" else "dog", "mask", None),
    ]
    assert json.loads((out / "empty.json").read_text("utf-8"))["shapes"] == []
    labels = tmp_path / "labels.txt"
    labels.write_text("__ignore__\n_background_\ncat\ndog\n")
    after = voc_arrays(out, labels, tmp_path / "voc-after")
    for stem in ("a", "empty"):
        classes = np.load(tmp_path / "voc" / "SegmentationClass" / f"{stem}.npy")
        np.testing.assert_array_equal(after[stem][0], classes)
        if crowd == "void":  # a crowd painted with its class is an instance here
            instances = np.load(tmp_path / "voc" / "SegmentationObject" / f"{stem}.npy")
            np.testing.assert_array_equal(after[stem][1], instances)
    check_labelme_reads(out, labels, tmp_path / "voc-after")


def test_coco_polygons_pass_through_vertex_for_vertex(tmp_path: Path) -> None:
    out = through_coco(STREET, STREET_LABELS, tmp_path)  # polygons where it can
    for path in sorted((tmp_path / "coco" / "annotations").glob("*.json")):
        dataset = json.loads(path.read_text("utf-8"))
        stems = {
            image["id"]: Path(image["file_name"]).stem for image in dataset["images"]
        }
        written: dict[str, list[Any]] = {}
        for annotation in dataset["annotations"]:
            segmentation = annotation["segmentation"]
            if isinstance(segmentation, list):
                written.setdefault(stems[annotation["image_id"]], []).append(
                    segmentation
                )
        for stem, objects in written.items():
            shapes = json.loads((out / f"{stem}.json").read_text("utf-8"))["shapes"]
            polygons = [s for s in shapes if s["shape_type"] == "polygon"]
            flat = [[v for point in s["points"] for v in point] for s in polygons]
            assert flat == [part for parts in objects for part in parts], stem
            # The parts of an object share one group_id; a lone part has none.
            groups = [s["group_id"] for s in polygons]
            sizes = [len(parts) for parts in objects]
            assert groups.count(None) == sizes.count(1)


def test_traced_polygons_keep_solid_regions_and_their_holes(tmp_path: Path) -> None:
    annotations, images = write_coco(tmp_path, json.loads(json.dumps(CROWDED)))
    run("coco2voc", annotations, tmp_path / "voc", "--images", images, "--noviz")
    out = tmp_path / "labelme"
    run("coco2labelme", annotations, out, "--images", images, "--shapes", "polygon")
    data = json.loads((out / "a.json").read_text("utf-8"))
    assert {s["shape_type"] for s in data["shapes"]} == {"polygon"}
    # The two-part cat is two polygons of one group.
    groups = [s["group_id"] for s in data["shapes"] if s["group_id"] is not None]
    assert len(groups) == 2 and len(set(groups)) == 1
    labels = tmp_path / "labels.txt"
    labels.write_text("__ignore__\n_background_\ncat\ndog\n")
    after = voc_arrays(out, labels, tmp_path / "voc-after")
    classes = np.load(tmp_path / "voc" / "SegmentationClass" / "a.npy")
    np.testing.assert_array_equal(after["a"][0], classes)  # the hole stays a hole
    check_labelme_reads(out, labels, tmp_path / "voc-after")


def test_owns_only_its_two_files_at_the_top(tmp_path: Path) -> None:
    assert owns("a.json", "a") and owns("a.jpg", "a")
    assert not owns("x/a.json", "a") and not owns("a.png", "a")
    assert not owns("ab.json", "a") and not owns(".seg-convert/a.json", "a")


def test_a_second_run_converts_nothing_and_a_removed_image_goes(
    tmp_path: Path,
) -> None:
    annotations, images = write_coco(tmp_path, json.loads(json.dumps(CROWDED)))
    out = tmp_path / "labelme"
    run("coco2labelme", annotations, out, "--images", images)
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    result = CliRunner().invoke(
        cli,
        ["coco2labelme", str(annotations), str(out), "--images", str(images), "-j1"],
    )
    assert result.exit_code == 0
    # labelme files have no splits: no warning about an empty one.
    assert result.output == (
        f"converted 0 of 2 files into {out}, 2 unchanged since the last run\n"
    )
    dataset = json.loads(annotations.read_text())
    dataset["images"] = dataset["images"][:1]
    annotations.write_text(json.dumps(dataset))
    run("coco2labelme", annotations, out, "--images", images)
    after = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    assert after == {name: before[name] for name in ("a.json", "a.jpg")}


def write_results(tmp: Path, results: list[dict[str, Any]]) -> Path:
    path = tmp / "results_val.json"
    path.write_text(json.dumps(results))
    return path


PREDICTIONS = [
    {"image_id": 1, "category_id": c, "segmentation": segmentation, "score": score}
    for c, segmentation, score in (
        (1, rle(blob(2, 2, 30, 30)), 0.9),
        (7, rle(blob(20, 10, 50, 40)), 0.3),
        (7, [[40, 5, 60, 5, 60, 20]], 0.6),
    )
]


def test_coco_results_with_their_categories_and_min_score(tmp_path: Path) -> None:
    instances, images = write_coco(tmp_path, json.loads(json.dumps(CROWDED)))
    results = write_results(tmp_path, PREDICTIONS)
    out = tmp_path / "labelme"
    run(
        "coco2labelme", results, out, "--categories", instances, "--images", images,
        "--min-score", "0.5",
    )  # fmt: skip
    shapes = json.loads((out / "a.json").read_text("utf-8"))["shapes"]
    # The instances file's own annotations are not read; 0.3 is under 0.5.
    assert [(s["label"], s["shape_type"]) for s in shapes] == [
        ("cat", "mask"),
        ("dog", "polygon"),
    ]
    assert shapes[1]["points"] == [[40, 5], [60, 5], [60, 20]]
    assert json.loads((out / "empty.json").read_text("utf-8"))["shapes"] == []
    # Another --min-score converts the images again.
    run(
        "coco2labelme", results, out, "--categories", instances, "--images", images,
    )  # fmt: skip
    shapes = json.loads((out / "a.json").read_text("utf-8"))["shapes"]
    assert [s["label"] for s in shapes] == ["cat", "dog", "dog"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["RESULTS"], "is a list, as COCO results are: give the instances file"),
        (["INSTANCES", "--categories", "INSTANCES"], "must be a COCO results list"),
        (["RESULTS", "--min-score", "0.5"], "--min-score is for results lists"),
        (["RESULTS", "RESULTS2", "--categories", "INSTANCES"], "one COCO results file"),
    ],
    ids=["list-without-categories", "not-a-list", "score-alone", "two-results"],
)
def test_results_lists_are_asked_for_plainly(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    instances, images = write_coco(tmp_path, [])
    results = write_results(tmp_path, PREDICTIONS)
    second = results.with_name(f"second_{results.name}")
    second.write_bytes(results.read_bytes())
    paths = {
        "RESULTS": str(results),
        "RESULTS2": str(second),
        "INSTANCES": str(instances),
    }
    argv = [paths.get(argument, argument) for argument in arguments]
    result = CliRunner().invoke(
        cli, ["coco2labelme", *argv, str(tmp_path / "out"), "--images", str(images)]
    )
    assert result.exit_code != 0
    assert message in result.output


def test_a_results_score_must_be_a_number(tmp_path: Path) -> None:
    instances, images = write_coco(tmp_path, [])
    results = write_results(tmp_path, [{**PREDICTIONS[0], "score": "high"}])
    result = CliRunner().invoke(
        cli,
        ["coco2labelme", str(results), str(tmp_path / "out"), "--categories",
         str(instances), "--images", str(images)],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "results[0]: 'score' must be a number" in result.output


def test_objects_are_written_in_the_order_the_source_painted_them(
    tmp_path: Path,
) -> None:
    """With --order area a small object of the file's start is painted over a
    large later one: it is written after it."""
    small_first = [
        {"category_id": 1, "segmentation": rle(blob(10, 10, 20, 20))},
        {"category_id": 7, "segmentation": rle(blob(2, 2, 40, 40))},
        {"category_id": 1, "segmentation": rle(blob(30, 30, 60, 46))},
    ]
    annotations, images = write_coco(tmp_path, small_first)
    common = ("--images", images, "--order", "area")
    run("coco2voc", annotations, tmp_path / "voc", *common, "--instances", "--noviz")
    out = tmp_path / "labelme"
    run("coco2labelme", annotations, out, *common)
    shapes = json.loads((out / "a.json").read_text("utf-8"))["shapes"]
    assert [s["points"][0] for s in shapes] == [[2, 2], [10, 10], [30, 30]]
    labels = tmp_path / "labels.txt"
    labels.write_text("__ignore__\n_background_\ncat\ndog\n")
    after = voc_arrays(out, labels, tmp_path / "voc-after")
    classes = np.load(tmp_path / "voc" / "SegmentationClass" / "a.npy")
    np.testing.assert_array_equal(after["a"][0], classes)
    instances = np.load(tmp_path / "voc" / "SegmentationObject" / "a.npy")
    assert same_up_to_numbering(after["a"][1], instances)
