"""Benchmark: seg-convert coco2voc against a pycocotools annToMask loop.

    python benchmarks/bench_coco2voc.py                 # 200 images, 640x480
    python benchmarks/bench_coco2voc.py --images 1000 --repeat 3

On a generated COCO file (photo-like JPEGs, 6-10 annotations each: polygons of
one or two parts, an uncompressed and a compressed RLE, a crowd region), it
times, on the same files:

- pycocotools: what people write by hand: ``COCO(file)``, then per image
  ``annToMask`` per annotation painted in file order with dense class ids
  (crowds 255), the class PNG saved with the VOC palette and the JPEG copied;
- seg-convert coco2voc with --jobs 1 and --jobs 2, --noviz --no-npy (the same
  files: JPEGImages/ and the class PNGs).

It checks that both wrote the same class pixels and prints images per second,
the ratios and each one's peak memory. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask
from bench import best_time, peak_memory_kib  # benchmarks/bench.py, beside this file
from PIL import Image

WIDTH, HEIGHT = 640, 480
CATEGORY_IDS = (1, 3, 17, 18, 44, 62, 90)


def make_dataset(folder: Path, images: int) -> Path:
    """``images`` JPEGs in ``folder/images`` and ``folder/instances_val.json``."""
    rng = np.random.default_rng(0)
    (folder / "images").mkdir(parents=True)
    records: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    for index in range(1, images + 1):
        noise = rng.integers(0, 40, (HEIGHT, WIDTH, 3))
        base = np.stack([x * 255 // WIDTH, y * 255 // HEIGHT, (x + y) % 256], -1)
        photo = Image.fromarray(((base + noise) % 256).astype(np.uint8))
        name = f"{index:012d}.jpg"
        photo.save(folder / "images" / name, quality=90)
        records.append(
            {"id": index, "file_name": name, "width": WIDTH, "height": HEIGHT}
        )
        for number in range(int(rng.integers(6, 11))):
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": index,
                    "category_id": int(rng.choice(CATEGORY_IDS)),
                    "segmentation": _segmentation(rng, number),
                    "iscrowd": int(number == 5),
                    "area": 0.0,
                    "bbox": [0, 0, 0, 0],
                }
            )
    categories = [{"id": c, "name": f"class{c}"} for c in CATEGORY_IDS]
    path = folder / "instances_val.json"
    document = {"images": records, "annotations": annotations}
    path.write_text(json.dumps({**document, "categories": categories}))
    return path


def _segmentation(rng: np.random.Generator, number: int) -> Any:
    cx, cy = rng.uniform(50, WIDTH - 50), rng.uniform(50, HEIGHT - 50)
    if number in (4, 5):  # RLE: uncompressed, then compressed (a crowd)
        mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8, order="F")
        mask[int(cy) - 40 : int(cy) + 40, int(cx) - 50 : int(cx) + 50] = 1
        rle = pycocotools.mask.encode(mask)
        if number == 5:
            return {"size": [HEIGHT, WIDTH], "counts": rle["counts"].decode()}
        flat = mask.flatten(order="F")
        bounds = [0, *(np.flatnonzero(np.diff(flat)) + 1).tolist(), flat.size]
        return {"size": [HEIGHT, WIDTH], "counts": np.diff(bounds).tolist()}
    parts = 2 if number % 3 == 0 else 1
    polygons = []
    for part in range(parts):
        angles = np.sort(rng.uniform(0, 2 * np.pi, 24))
        radius = rng.uniform(20, 70, 24)
        px = cx + part * 60 + radius * np.cos(angles)
        py = cy + radius * np.sin(angles)
        polygons.append(np.round(np.stack([px, py], 1).ravel(), 2).tolist())
    return polygons


def pycocotools_loop(annotations: Path, images: Path, out: Path) -> None:
    """The hand-written conversion, with the VOC palette."""
    from pycocotools.coco import COCO

    from seg_convert.colormap import voc_palette

    with contextlib.redirect_stdout(io.StringIO()):  # COCO() prints its progress
        coco = COCO(str(annotations))
    dense = {c: i for i, c in enumerate(sorted(coco.cats), 1)}
    (out / "JPEGImages").mkdir(parents=True)
    (out / "SegmentationClass").mkdir()
    for image_id, image in coco.imgs.items():
        label = np.zeros((image["height"], image["width"]), dtype=np.uint8)
        for ann in coco.imgToAnns[image_id]:
            mask = coco.annToMask(ann).astype(bool)
            label[mask] = 255 if ann["iscrowd"] else dense[ann["category_id"]]
        stem = Path(image["file_name"]).stem
        png = Image.fromarray(label, "P")
        png.putpalette(voc_palette())
        png.save(out / "SegmentationClass" / f"{stem}.png")
        shutil.copyfile(
            images / image["file_name"], out / "JPEGImages" / image["file_name"]
        )


def coco2voc_command(
    annotations: Path, images: Path, out: Path, *, jobs: str
) -> list[str]:
    command = [sys.executable, "-m", "seg_convert", "coco2voc", str(annotations)]
    command += [str(out), "--images", str(images), "--layout", "voc"]
    return command + ["--noviz", "--no-npy", "--quiet", "--jobs", jobs]


def main() -> None:
    if sys.argv[1:2] == ["--pycocotools-loop"]:  # for its peak memory, alone
        pycocotools_loop(*(Path(arg) for arg in sys.argv[2:5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each; the fastest counts"
    )
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="seg-convert-bench-coco2voc-"))
    try:
        annotations = make_dataset(work, arguments.images)
        images = work / "images"
        count = arguments.images
        print(f"{count} images of {WIDTH}x{HEIGHT}, 6-10 annotations each, in {work}")
        _check_same_pixels(annotations, images, work)

        def loop(out: Path) -> list[str]:
            command = [sys.executable, __file__, "--pycocotools-loop"]
            return command + [str(annotations), str(images), str(out)]

        commands: dict[str, Callable[[Path], list[str]]] = {
            "pycocotools annToMask loop": loop
        }
        for jobs in ("1", "2"):
            commands[f"seg-convert coco2voc --jobs {jobs}"] = functools.partial(
                coco2voc_command, annotations, images, jobs=jobs
            )
        rows = []
        for name, command in commands.items():
            seconds = best_time(
                lambda out, command=command: subprocess.run(command(out), check=True),
                work / "out",
                repeat=arguments.repeat,
            )
            peak = peak_memory_kib(command(work / "peak"))
            shutil.rmtree(work / "peak")
            rows.append((name, seconds, peak))
        baseline = rows[0][1]
        print(f"\n{'':<32} {'images/s':>9} {'vs loop':>8} {'peak MiB':>9}")
        for name, seconds, peak in rows:
            ratio = baseline / seconds
            print(
                f"{name:<32} {count / seconds:>9.1f} {ratio:>7.1f}x {peak / 1024:>9.0f}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_same_pixels(annotations: Path, images: Path, work: Path) -> None:
    ours, theirs = work / "ours", work / "theirs"
    subprocess.run(coco2voc_command(annotations, images, ours, jobs="2"), check=True)
    pycocotools_loop(annotations, images, theirs)
    for png in sorted((theirs / "SegmentationClass").iterdir()):
        expected = np.asarray(Image.open(png))
        got = np.asarray(Image.open(ours / "SegmentationClass" / png.name))
        if not np.array_equal(expected, got):
            raise SystemExit(f"{png.name}: the two differ")
    print("same class pixels in both")


if __name__ == "__main__":
    main()
