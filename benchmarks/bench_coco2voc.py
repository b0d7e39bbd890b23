"""Benchmark: seg-convert coco2voc against a pycocotools annToMask loop.

    python benchmarks/bench_coco2voc.py                 # 200 images, 640x480
    python benchmarks/bench_coco2voc.py --images 1000 --repeat 3
    python benchmarks/bench_coco2voc.py --index-only --annotations 560000 --images 80000

On a generated COCO file (photo-like JPEGs, 6-10 annotations each: polygons of
one or two parts, an uncompressed and a compressed RLE, a crowd region), it
times, on the same files:

- pycocotools: what people write by hand: ``COCO(file)``, then per image
  ``annToMask`` per annotation painted in file order with dense class ids
  (crowds 255), the class PNG saved with the VOC palette and the JPEG copied;
- seg-convert coco2voc with --jobs 1 and --jobs 2, --noviz --no-npy (the same
  files: JPEGImages/ and the class PNGs).

It checks that both wrote the same class pixels and prints images per second,
the ratios and each one's peak memory.

``--index-only`` measures what the Streaming bullet of docs/coco2voc.md says: on a
generated file of small polygons (500,000 annotations, 7 an image, unless told;
no image files), each in a fresh process, the peak memory of a process that only
imports seg_convert, NumPy, Pillow and pycocotools, of ``index_coco_files`` and
of ``json.load``, and how long each of the two takes.

Not a test: numbers depend on the machine.
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
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask
from bench import (  # benchmarks/bench.py, beside this file
    best_time,
    measured_run,
    peak_memory_kib,
)
from PIL import Image

from seg_convert.formats.coco.json_writer import write_coco_json

WIDTH, HEIGHT = 640, 480
CATEGORY_IDS = (1, 3, 17, 18, 44, 62, 90)
CATEGORIES = [{"id": c, "name": f"class{c}"} for c in CATEGORY_IDS]
# --index-only: polygons of this many points, generated this many at a time.
POLYGON_POINTS, BATCH = 12, 10_000


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
        records.append(_image_record(index))
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
    path = folder / "instances_val.json"
    document = {"images": records, "annotations": annotations}
    path.write_text(json.dumps({**document, "categories": CATEGORIES}))
    return path


def _image_record(index: int) -> dict[str, Any]:
    return {
        "id": index,
        "file_name": f"{index:012d}.jpg",
        "width": WIDTH,
        "height": HEIGHT,
    }


def make_large_file(path: Path, *, images: int, annotations: int) -> None:
    """A COCO file of ``annotations`` small polygons spread evenly over
    ``images``, written as it is generated so that a file of GBs once parsed
    takes the generator a batch's memory."""
    write_coco_json(
        path,
        root=path.parent,
        info={"description": "bench_coco2voc --index-only"},
        licenses=[],
        images=(_image_record(index) for index in range(1, images + 1)),
        annotations=_small_polygons(images=images, annotations=annotations),
        categories=CATEGORIES,
    )


def _small_polygons(*, images: int, annotations: int) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(0)
    for first in range(0, annotations, BATCH):
        count = min(BATCH, annotations - first)
        centres = rng.uniform((40, 40), (WIDTH - 40, HEIGHT - 40), (count, 1, 2))
        angles = np.sort(rng.uniform(0, 2 * np.pi, (count, POLYGON_POINTS)), axis=1)
        radii = rng.uniform(5, 35, (count, POLYGON_POINTS, 1))
        around = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
        points = np.round(centres + radii * around, 2)
        low, high = points.min(axis=1), points.max(axis=1)
        boxes = np.round(np.concatenate([low, high - low], axis=1), 2).tolist()
        polygons = points.reshape(count, -1).tolist()
        for offset, (polygon, box) in enumerate(zip(polygons, boxes, strict=True)):
            number = first + offset
            yield {
                "id": number + 1,
                "image_id": number * images // annotations + 1,
                "category_id": CATEGORY_IDS[number % len(CATEGORY_IDS)],
                "segmentation": [polygon],
                "area": round(box[2] * box[3] * 0.6, 2),
                "bbox": box,
                "iscrowd": 0,
            }


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

    from seg_convert.core.colormap import voc_palette

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
    if sys.argv[1:2] == ["--index-step"]:  # for its peak memory, alone
        index_step(sys.argv[2], Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, help="default: 200, or annotations/7")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each; the fastest counts"
    )
    parser.add_argument(
        "--index-only",
        action="store_true",
        help="measure indexing a large file against json.load instead",
    )
    parser.add_argument(
        "--annotations", type=int, default=500_000, help="with --index-only"
    )
    arguments = parser.parse_args()
    if arguments.index_only:
        images = arguments.images or max(1, arguments.annotations // 7)
        bench_index(images=images, annotations=arguments.annotations)
        return
    if arguments.images is None:
        arguments.images = 200
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
            ).wall
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


def bench_index(*, images: int, annotations: int) -> None:
    """Generate the large file, then print the --index-only table."""
    work = Path(tempfile.mkdtemp(prefix="seg-convert-bench-index-"))
    try:
        path = work / "instances_val.json"
        started = time.perf_counter()
        make_large_file(path, images=images, annotations=annotations)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
        print(
            f"{annotations:,} annotations of {images:,} images: {size / 1e6:.0f} MB "
            f"({size / annotations:.0f} bytes an annotation), made in {seconds:.0f} s"
        )
        command = [sys.executable, __file__, "--index-step"]
        rows = [(step, *measured_run([*command, step, str(path)])) for step in STEPS]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    baseline = rows[0][1]
    header = f"{'peak MiB':>9} {'above imports':>14} {'s':>6} {'B/annotation':>13}"
    print(f"\n{'':<18} {header}")
    for step, peak, printed in rows:
        above = peak - baseline
        per_annotation = f"{above * 1024 / annotations:.0f}" if above else "-"
        seconds_text = f"{float(printed):.1f}" if printed.strip() else "-"
        print(
            f"{step:<18} {peak / 1024:>9.0f} {above / 1024:>14.0f} "
            f"{seconds_text:>6} {per_annotation:>13}"
        )


# --index-only's steps, each in a fresh process; the first is the baseline.
STEPS = ("imports only", "index_coco_files", "json.load")


def index_step(step: str, path: Path) -> None:
    """One of STEPS, after importing what a coco2voc run has loaded; prints
    the step's seconds."""
    # NumPy, Pillow and pycocotools.mask are imported by this module already.
    import seg_convert.cli  # noqa: F401
    from seg_convert.sources.coco.index import index_coco_files

    started = time.perf_counter()
    if step == "index_coco_files":
        index_coco_files([path], salt=b"")
    elif step == "json.load":
        with path.open(encoding="utf-8") as stream:
            json.load(stream)
    elif step != STEPS[0]:
        raise SystemExit(f"no step {step!r}")
    if step != STEPS[0]:
        print(time.perf_counter() - started)


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
