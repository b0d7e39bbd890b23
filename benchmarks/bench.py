"""Benchmark: seg-convert against labelme's own conversion, on the same data.

    python benchmarks/bench.py            # 120 images, 1600x1200, ~10 polygons each
    python benchmarks/bench.py --images 40 --memory-files 200   # a quicker look

It generates a dataset of photo-like JPEGs (smooth shading, texture and noise,
as a camera gives; labelme's example photos, upscaled, when ../shared is there)
with about ten polygons each, then times, in one run on the same files:

- labelme: what labelme's labelme2voc example does for each file (LabelFile,
  shapes_to_label, the palette PNG, np.save, label2rgb of the gray image and
  imsave), with and without the visualization;
- seg-convert with --jobs 1 and --jobs 2, with and without visualizations.

It prints images per second and the ratios to labelme, and the peak memory of a
seg-convert run on a few files against one on many. Needs the test extra
(labelme) installed. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

SHARED_PHOTOS = (
    Path(__file__).resolve().parents[2]
    / "shared/labelme-examples/semantic_segmentation/data_annotated"
)
CLASSES = ["person", "car", "tree", "road", "sign"]
WIDTH, HEIGHT = 1600, 1200


def make_photo(rng: np.random.Generator, index: int) -> Image.Image:
    """A photo-like image: an upscaled example photo or shaded texture, plus noise."""
    photos = sorted(SHARED_PHOTOS.glob("*.jpg")) if SHARED_PHOTOS.is_dir() else []
    if photos:
        with Image.open(photos[index % len(photos)]) as photo:
            base = photo.convert("RGB").resize(
                (WIDTH, HEIGHT), Image.Resampling.BICUBIC
            )
        pixels = np.asarray(base).astype(np.int16)
    else:
        y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
        phase = rng.uniform(0, 6.28, 3)
        pixels = np.stack(
            [
                128 + 60 * np.sin(x / (90 + 40 * c) + y / (130 + 30 * c) + phase[c])
                for c in range(3)
            ],
            axis=-1,
        ).astype(np.int16)
    pixels += rng.integers(-14, 15, pixels.shape, dtype=np.int16)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def make_polygon(rng: np.random.Generator) -> list[list[float]]:
    """A star-shaped polygon of 8 to 24 points, like a traced object."""
    cx, cy = rng.uniform(100, WIDTH - 100), rng.uniform(100, HEIGHT - 100)
    radius = rng.uniform(40, 260)
    count = int(rng.integers(8, 25))
    angles = np.sort(rng.uniform(0, 2 * math.pi, count))
    radii = radius * rng.uniform(0.6, 1.0, count)
    return [
        [round(float(cx + r * math.cos(a)), 2), round(float(cy + r * math.sin(a)), 2)]
        for a, r in zip(angles, radii, strict=True)
    ]


def make_dataset(folder: Path, images: int, annotations: int) -> Path:
    """``images`` JPEGs and ``annotations`` labelme files using them in turn."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for index in range(images):
        make_photo(rng, index).save(folder / f"photo_{index:04d}.jpg", quality=90)
    for index in range(annotations):
        shapes = [
            {
                "label": str(rng.choice(CLASSES)),
                "points": make_polygon(rng),
                "group_id": None,
                "description": "",
                "shape_type": "polygon",
                "flags": {},
                "mask": None,
            }
            for _ in range(int(rng.integers(8, 13)))
        ]
        document = {
            "version": "5.8.0",
            "flags": {},
            "shapes": shapes,
            "imagePath": f"photo_{index % images:04d}.jpg",
            "imageData": None,
            "imageHeight": HEIGHT,
            "imageWidth": WIDTH,
        }
        (folder / f"ann_{index:05d}.json").write_text(json.dumps(document))
    labels = folder.parent / "labels.txt"
    labels.write_text("\n".join(["__ignore__", "_background_", *CLASSES]) + "\n")
    return labels


def labelme_convert(source: Path, labels: Path, out: Path, *, viz: bool) -> None:
    """What labelme's examples/semantic_segmentation/labelme2voc.py does per file."""
    import imgviz
    import labelme
    import labelme.utils

    names = labels.read_text().splitlines()
    name_to_id = {name: i - 1 for i, name in enumerate(names)}
    class_names = names[1:]
    for folder in ("JPEGImages", "SegmentationClass", "SegmentationClassPNG", "Viz"):
        (out / folder).mkdir(parents=True)
    for path in sorted(source.glob("*.json")):
        label_file = labelme.LabelFile(filename=str(path))
        stem = path.stem
        (out / "JPEGImages" / f"{stem}.jpg").write_bytes(label_file.image_data)
        image = labelme.utils.img_data_to_arr(label_file.image_data)
        label, _ = labelme.utils.shapes_to_label(
            img_shape=image.shape,
            shapes=label_file.shapes,
            label_name_to_value=name_to_id,
        )
        imgviz.io.lblsave(
            out / "SegmentationClassPNG" / f"{stem}.png",
            np.where(label < 0, 255, label).astype(np.uint8),
        )
        np.save(out / "SegmentationClass" / f"{stem}.npy", label)
        if viz:
            picture = imgviz.label2rgb(
                label,
                imgviz.rgb2gray(image),
                font_size=15,
                label_names=class_names,
                loc="rb",
            )
            imgviz.io.imsave(out / "Viz" / f"{stem}.jpg", picture)


def seg_convert_command(source: Path, labels: Path, out: Path, *args: str) -> list[str]:
    command = [sys.executable, "-m", "seg_convert", "labelme2voc", str(source)]
    return command + [str(out), "--labels", str(labels), "--quiet", *args]


def peak_memory_kib(command: list[str]) -> int:
    """Peak resident memory of ``command`` and its workers, measured by a fresh
    parent process so that earlier runs do not count."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe, *command], check=True, capture_output=True
    )
    return int(output.stdout)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=120)
    parser.add_argument("--memory-files", type=int, default=1000)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="seg-convert-bench-"))
    try:
        source = work / "in"
        labels = make_dataset(source, arguments.images, arguments.images)
        count = arguments.images
        print(f"{count} images of {WIDTH}x{HEIGHT}, 8-12 polygons each, in {work}")
        rows = []
        for viz in (True, False):
            flag = () if viz else ("--noviz",)
            seconds = timed(
                lambda viz=viz: labelme_convert(
                    source, labels, work / f"labelme-{viz}", viz=viz
                )
            )
            rows.append((f"labelme library{'' if viz else ', no viz'}", seconds, None))
            baseline = seconds
            for jobs in ("1", "2"):
                out = work / f"ours-{viz}-{jobs}"
                command = seg_convert_command(
                    source, labels, out, "--jobs", jobs, *flag
                )
                seconds = timed(
                    lambda command=command: subprocess.run(command, check=True)
                )
                name = f"seg-convert --jobs {jobs}{'' if viz else ' --noviz'}"
                rows.append((name, seconds, baseline / seconds))
        print(f"\n{'':<34} {'images/s':>9} {'vs labelme':>11}")
        for name, seconds, ratio in rows:
            shown = "" if ratio is None else f"{ratio:.1f}x"
            print(f"{name:<34} {count / seconds:>9.1f} {shown:>11}")

        print("\npeak memory of one seg-convert run (--jobs 1, in-process):")
        for files in (10, arguments.memory_files):
            folder = work / f"mem-{files}"
            make_dataset(folder / "in", min(files, 10), files)
            command = seg_convert_command(
                folder / "in", folder / "labels.txt", folder / "out", "--jobs", "1"
            )
            peak = peak_memory_kib(command)
            print(f"  {files:>5} files: {peak / 1024:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
