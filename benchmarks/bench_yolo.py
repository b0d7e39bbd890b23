"""labelme2yolo: how faithful its label lines are, and how fast it runs, beside
the ``labelme2yolo`` package (PyPI 0.4.0, written in Rust).

    python benchmarks/bench_yolo.py fidelity [--l2y PATH/labelme2yolo]
    python benchmarks/bench_yolo.py speed --l2y PATH/labelme2yolo [--photos 1000]

``fidelity`` converts labelme folders (examples/street, labelme's own instance and
semantic examples from ../shared, and generated files of every shape type, parts
and shapes reaching outside the image) and, for every object (a (label,
group_id) pair), fills its line as ultralytics fills a segment (``cv2.fillPoly``
on int32 pixel coordinates, at the image's size) and as labelme fills a polygon
(Pillow), and compares each with the object's own mask as labelme 6.3.1 draws it
(``labelme.utils.shapes_to_label`` of the object's shapes alone). It prints the
mean and worst IoU by the object's shape types and by its size (COCO's: small
under 32x32 pixels, medium under 96x96, large), for seg-convert and, with
``--l2y``, for the package (one line per shape; an object's lines are filled
together, which is kinder to it than a trainer that sees separate instances; a
line of fewer than 3 points fills nothing, and an image with one is an image
ultralytics rejects whole when training segmentation).

``speed`` times both, whole processes at 2 workers, best of ``--repeat`` after a
warm-up, on ``--photos`` real labelme files scaled to 3.8 MP (bench.py's photos)
and ``--tiny`` files of 64x48 with one triangle. seg-convert runs with
``--noviz``, as the package writes no visualizations.

Not a test: needs the test extra (labelme) and OpenCV (``pip install
opencv-python-headless``); numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import SHARED_PHOTOS, scale_photos  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "labelme-examples"
NOT_OBJECTS = ("__ignore__", "_background_")
SIZES = (("small", 32**2), ("medium", 96**2), ("large", math.inf))


def fidelity_inputs(work: Path) -> list[tuple[str, Path, Path]]:
    """(name, labelme folder, labels file) of every data set measured."""
    inputs = [("examples/street", REPO / "examples" / "street", REPO / "labels.txt")]
    for name in ("instance_segmentation", "semantic_segmentation"):
        folder = SHARED / name / "data_annotated"
        if folder.is_dir():
            inputs.append((name, folder, SHARED / name / "labels.txt"))
    generated = work / "generated"
    inputs.append(("generated", generated, make_every_shape(generated, 60)))
    return inputs


def make_every_shape(folder: Path, count: int) -> Path:
    """``count`` labelme files on 160x120 images, each with random shapes of
    every type, some sharing a group_id, some reaching outside the image."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    width, height = 160, 120
    for index in range(count):
        Image.new("RGB", (width, height), (90, 120, 60)).save(
            folder / f"g{index:03d}.jpg"
        )
        shapes = [_random_shape(rng, width, height, k) for k in range(7)]
        document = {
            "version": "5.8.0",
            "flags": {},
            "shapes": shapes,
            "imagePath": f"g{index:03d}.jpg",
            "imageData": None,
            "imageHeight": height,
            "imageWidth": width,
        }
        (folder / f"g{index:03d}.json").write_text(json.dumps(document))
    labels = folder.parent / "generated-labels.txt"
    labels.write_text("__ignore__\n_background_\na\nb\nc\n")
    return labels


def _random_shape(
    rng: np.random.Generator, width: int, height: int, k: int
) -> dict[str, Any]:
    kinds = [
        "polygon",
        "rectangle",
        "circle",
        "oriented_rectangle",
        "line",
        "linestrip",
        "point",
        "polygon",
    ]
    kind = kinds[int(rng.integers(len(kinds)))]
    cx, cy = rng.uniform(-10, width + 10), rng.uniform(-10, height + 10)
    size = rng.uniform(3, 60)
    if kind == "polygon":
        count = int(rng.integers(3, 9))
        angles = np.sort(rng.uniform(0, 2 * math.pi, count))
        radii = rng.uniform(0.4, 1.0, count) * size
        points = [
            [cx + r * math.cos(a), cy + r * math.sin(a)]
            for a, r in zip(angles, radii, strict=True)
        ]
    elif kind == "oriented_rectangle":
        a, w, h = rng.uniform(0, math.pi), size, rng.uniform(3, 40)
        c, s = math.cos(a), math.sin(a)
        points = [
            [cx + x * c - y * s, cy + x * s + y * c]
            for x, y in ((-w, -h), (w, -h), (w, h), (-w, h))
        ]
    elif kind in ("rectangle", "line"):
        points = [
            [cx, cy],
            [cx + rng.uniform(-size, size), cy + rng.uniform(-size, size)],
        ]
    elif kind == "circle":
        points = [[cx, cy], [cx + size / 2, cy]]
    elif kind == "linestrip":
        points = [
            [cx + rng.uniform(-size, size), cy + rng.uniform(-size, size)]
            for _ in range(int(rng.integers(2, 5)))
        ]
    else:
        points = [[cx, cy]]
    return {
        "label": "abc"[k % 3],
        "points": points,
        "group_id": int(rng.integers(1, 3)) if rng.random() < 0.3 else None,
        "description": "",
        "shape_type": kind,
        "flags": {},
        "mask": None,
    }


@dataclass(frozen=True)
class Truth:
    """One object of a labelme file: its label, shape types and own mask."""

    label: str
    kinds: str
    mask: np.ndarray
    shapes: tuple[int, ...]  # indices in the file's shapes


def truths(json_path: Path) -> tuple[list[Truth], tuple[int, int]]:
    """The objects of a labelme file, each drawn by labelme on its own."""
    import labelme.utils  # the oracle

    document = json.loads(json_path.read_text())
    size = (document["imageHeight"], document["imageWidth"])
    groups: dict[tuple[str, object], list[int]] = {}
    for index, shape in enumerate(document["shapes"]):
        key = (shape["label"], shape.get("group_id"))
        if shape.get("group_id") is None:
            key = (shape["label"], ("alone", index))
        groups.setdefault(key, []).append(index)
    found = []
    for (label, _), indices in groups.items():
        if label in NOT_OBJECTS:
            continue
        shapes = [
            dict(document["shapes"][i], label="x", group_id=None) for i in indices
        ]
        for shape in shapes:
            if shape["shape_type"] == "mask" and shape.get("mask"):
                shape["mask"] = labelme.utils.img_b64_to_arr(shape["mask"]).astype(bool)
        classes, _ = labelme.utils.shapes_to_label(size, shapes, {"x": 1})
        if not (classes == 1).any():
            continue  # wholly outside the image: no object of it to label
        kinds = "+".join(sorted({document["shapes"][i]["shape_type"] for i in indices}))
        if len(indices) > 1:
            kinds = f"parts: {kinds}"
        found.append(Truth(label, kinds, classes == 1, tuple(indices)))
    return found, size


def read_lines(path: Path) -> list[tuple[int, np.ndarray]]:
    """(class, (N, 2) normalized points) of each line of a YOLO label file."""
    lines = []
    for text in path.read_text().splitlines():
        values = text.split()
        if values:
            points = np.asarray(values[1:], dtype=np.float32).reshape(-1, 2)
            lines.append((int(values[0]), points))
    return lines


def fill_ultralytics(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    height, width = size
    mask = np.zeros(size, dtype=np.uint8)
    if len(points) >= 3:
        pixels = (points * np.asarray([width, height], dtype=np.float32)).astype(
            np.int32
        )
        cv2.fillPoly(mask, [pixels.reshape(-1, 1, 2)], 1)
    return mask.astype(bool)


def fill_pillow(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    canvas = Image.new("L", (width, height), 0)
    if len(points) >= 3:
        xy = [(float(x) * width, float(y) * height) for x, y in points]
        ImageDraw.Draw(canvas).polygon(xy, fill=1, outline=1)
    return np.asarray(canvas).astype(bool)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def ours_scores(
    objects: list[Truth],
    lines: list[tuple[int, np.ndarray]],
    names: list[str],
    size: tuple[int, int],
) -> Iterator[tuple[Truth, float, float]]:
    """Each object against the line of its class that overlaps it most (one line
    an object, in object order, is what seg-convert writes)."""
    unused = list(range(len(lines)))
    for truth in objects:
        best: tuple[float, float, int | None] = (0.0, 0.0, None)
        for index in unused:
            cls, points = lines[index]
            if names[cls] != truth.label:
                continue
            scores = (
                iou(fill_ultralytics(points, size), truth.mask),
                iou(fill_pillow(points, size), truth.mask),
                index,
            )
            if scores[0] > best[0]:
                best = scores
        if best[2] is not None:
            unused.remove(best[2])
        yield truth, best[0], best[1]


def package_scores(
    objects: list[Truth], lines: list[tuple[int, np.ndarray]], size: tuple[int, int]
) -> Iterator[tuple[Truth, float, float]]:
    """Each object against the package's lines of its shapes, filled together
    (it writes one line per shape, in file order)."""
    for truth in objects:
        parts = [lines[i][1] for i in truth.shapes if i < len(lines)]
        ours = np.zeros(size, dtype=bool)
        pillow = np.zeros(size, dtype=bool)
        for points in parts:
            ours |= fill_ultralytics(points, size)
            pillow |= fill_pillow(points, size)
        yield truth, iou(ours, truth.mask), iou(pillow, truth.mask)


def yaml_names(path: Path) -> list[str]:
    """The ``names`` of a data.yaml as both tools write it (``  K: name``)."""
    found = dict(
        (int(m.group(1)), m.group(2).strip().strip("'\""))
        for m in re.finditer(r"^\s+(\d+):\s*(.+)$", path.read_text(), re.M)
    )
    return [found[k] for k in sorted(found)]


def run_ours(folder: Path, labels: Path, out: Path, *extra: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "seg_convert",
            "labelme2yolo",
            str(folder),
            str(out),
            "--labels",
            str(labels),
            "-j",
            "2",
            "-q",
            *extra,
        ],
        check=False,
    )


def run_package(l2y: Path, folder: Path, work: Path) -> Path:
    """The package's dataset of a copy of ``folder`` (it writes beside its input)."""
    copy = work / "l2y-input"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    subprocess.run(
        [
            str(l2y),
            "--json_dir",
            str(copy),
            "--output_format",
            "polygon",
            "--workers",
            "2",
        ],
        check=True,
        capture_output=True,
    )
    return copy / "YOLODataset"


def label_file(root: Path, stem: str, *, renamed: bool) -> Path | None:
    pattern = f"{stem}_????????.txt" if renamed else f"{stem}.txt"
    found = sorted((root / "labels").glob(f"*/{pattern}"))
    return found[0] if found else None


def fidelity(arguments: argparse.Namespace) -> None:
    rows: dict[str, dict[tuple[str, str], list[tuple[float, float]]]] = {
        "seg-convert": defaultdict(list),
        "labelme2yolo 0.4.0": defaultdict(list),
    }
    rejected = {"seg-convert": 0, "labelme2yolo 0.4.0": 0}
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        for name, folder, labels in fidelity_inputs(work):
            out = work / f"ours-{name.replace('/', '_')}"
            run_ours(folder, labels, out, "--noviz")
            names = yaml_names(out / "data.yaml")
            package = None
            if arguments.l2y is not None:
                package = run_package(arguments.l2y, folder, work)
            for json_path in sorted(folder.glob("*.json")):
                objects, size = truths(json_path)
                ours = label_file(out, json_path.stem, renamed=False)
                if ours is None:
                    continue
                ours_lines = read_lines(ours)
                rejected["seg-convert"] += any(len(p) < 3 for _, p in ours_lines)
                for truth, a, b in ours_scores(objects, ours_lines, names, size):
                    rows["seg-convert"][_bucket(truth)].append((a, b))
                if package is None:
                    continue
                theirs = label_file(package, json_path.stem, renamed=True)
                if theirs is None:
                    continue
                their_lines = read_lines(theirs)
                rejected["labelme2yolo 0.4.0"] += any(
                    len(p) < 3 for _, p in their_lines
                )
                for truth, a, b in package_scores(objects, their_lines, size):
                    rows["labelme2yolo 0.4.0"][_bucket(truth)].append((a, b))
    print_fidelity(rows, rejected)


def _bucket(truth: Truth) -> tuple[str, str]:
    area = int(truth.mask.sum())
    size = next(name for name, limit in SIZES if area < limit)
    return truth.kinds, size


def print_fidelity(
    rows: dict[str, dict[tuple[str, str], list[tuple[float, float]]]],
    rejected: dict[str, int],
) -> None:
    print(
        "| tool | shape types | size | objects | IoU ultralytics fill: mean / worst "
        "| IoU Pillow fill: mean / worst |"
    )
    print("|---|---|---|---:|---:|---:|")
    for tool, buckets in rows.items():
        for (kinds, size), scores in sorted(buckets.items()):
            a = [s[0] for s in scores]
            b = [s[1] for s in scores]
            print(
                f"| {tool} | {kinds} | {size} | {len(scores)} | "
                f"{np.mean(a):.4f} / {min(a):.4f} | {np.mean(b):.4f} / {min(b):.4f} |"
            )
    for tool, count in rejected.items():
        print(
            f"{tool}: {count} label files with a line of fewer than 3 points "
            "(ultralytics rejects such images when training segmentation)"
        )


def make_tiny(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    Image.new("RGB", (64, 48), (120, 80, 40)).save(folder / "t.jpg")
    image = (folder / "t.jpg").read_bytes()
    for index in range(count):
        (folder / f"t{index:05d}.jpg").write_bytes(image)
        document = {
            "version": "5.8.0",
            "flags": {},
            "imagePath": f"t{index:05d}.jpg",
            "imageData": None,
            "imageHeight": 48,
            "imageWidth": 64,
            "shapes": [
                {
                    "label": "a",
                    "points": [[5, 5], [50, 10], [20, 40]],
                    "group_id": None,
                    "description": "",
                    "shape_type": "polygon",
                    "flags": {},
                    "mask": None,
                }
            ],
        }
        (folder / f"t{index:05d}.json").write_text(json.dumps(document))
    (folder / "t.jpg").unlink()
    labels = folder.parent / "tiny-labels.txt"
    labels.write_text("__ignore__\n_background_\na\n")
    return labels


def timed(command: Sequence[str], cleanup: Path, repeat: int) -> tuple[float, float]:
    """Best wall and CPU seconds (this process's children) of ``repeat`` runs
    after a warm-up, ``cleanup`` removed before each."""
    best_wall, best_cpu = math.inf, math.inf
    for attempt in range(repeat + 1):
        shutil.rmtree(cleanup, ignore_errors=True)
        before = os.times()
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        wall = time.perf_counter() - started
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        if attempt:
            best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def speed(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        sets = []
        if arguments.photos:
            folder = work / "photos"
            labels = scale_photos(SHARED_PHOTOS, folder, arguments.photos, 3.8)
            sets.append((f"{arguments.photos} photos, 3.8 MP", folder, labels))
        if arguments.tiny:
            folder = work / "tiny"
            sets.append(
                (
                    f"{arguments.tiny} tiny files, 64x48",
                    folder,
                    make_tiny(folder, arguments.tiny),
                )
            )
        print(
            "| files | seg-convert wall / CPU s | labelme2yolo 0.4.0 wall / CPU s "
            "| labelme2yolo / seg-convert (wall) |"
        )
        print("|---|---:|---:|---:|")
        for title, folder, labels in sets:
            out = work / "out"
            ours = timed(
                [
                    sys.executable,
                    "-m",
                    "seg_convert",
                    "labelme2yolo",
                    str(folder),
                    str(out),
                    "--labels",
                    str(labels),
                    "-j",
                    "2",
                    "--noviz",
                    "-q",
                ],
                out,
                arguments.repeat,
            )
            theirs = timed(
                [
                    str(arguments.l2y),
                    "--json_dir",
                    str(folder),
                    "--output_format",
                    "polygon",
                    "--workers",
                    "2",
                ],
                folder / "YOLODataset",
                arguments.repeat,
            )
            print(
                f"| {title} | {ours[0]:.2f} / {ours[1]:.2f} | "
                f"{theirs[0]:.2f} / {theirs[1]:.2f} | {theirs[0] / ours[0]:.2f}x |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("fidelity", help="IoU of every object's line")
    one.add_argument("--l2y", type=Path, help="the labelme2yolo package's command")
    two = commands.add_parser("speed", help="whole runs against the package")
    two.add_argument("--l2y", type=Path, required=True)
    two.add_argument("--photos", type=int, default=1000)
    two.add_argument("--tiny", type=int, default=10000)
    two.add_argument("--repeat", type=int, default=2)
    arguments = parser.parse_args()
    fidelity(arguments) if arguments.command == "fidelity" else speed(arguments)


if __name__ == "__main__":
    main()
