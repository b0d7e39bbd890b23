"""voc2coco and voc2yolo on generated VOC-sized mask datasets: time and peak
memory of whole runs, and how close ``--segmentation polygon`` draws back to
the masks.

    python benchmarks/bench_voc.py [--samples 500] [--jobs 1] [--rgb]

Each sample is 500x375 (VOC 2012's usual size) with 1-6 ellipses of random VOC
classes, each with a 2-pixel void (255) border, as palette class and instance
masks (``--rgb``: CVAT-style RGB masks and labelmap.txt instead) and a JPEG.
Runs are ``seg-convert`` processes with ``--noviz``; the peak is the largest
process's maximum RSS (``/usr/bin/time``). Not a test; numbers depend on the
machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pycocotools.mask as coco_mask
from PIL import Image

from seg_convert.core.colormap import voc_colormap, voc_palette
from seg_convert.sources.voc.classes import VOC2012_NAMES

WIDTH, HEIGHT = 500, 375


def generate(root: Path, count: int, *, rgb: bool) -> None:
    rng = np.random.default_rng(0)
    for folder in ("JPEGImages", "SegmentationClass", "SegmentationObject"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    photo = np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8)
    colors = voc_colormap()
    for index in range(count):
        classes = np.zeros((HEIGHT, WIDTH), np.uint8)
        instances = np.zeros((HEIGHT, WIDTH), np.uint8)
        for number in range(1, int(rng.integers(2, 8))):
            cx, cy = rng.integers(0, WIDTH), rng.integers(0, HEIGHT)
            rx, ry = rng.integers(10, 120, 2)
            inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
            border = ((xx - cx) / (rx + 2)) ** 2 + ((yy - cy) / (ry + 2)) ** 2 <= 1
            classes[border] = instances[border] = 255
            classes[inside] = rng.integers(1, 21)
            instances[inside] = number
        stem = f"{index:06d}"
        for array, folder in (
            (classes, "SegmentationClass"),
            (instances, "SegmentationObject"),
        ):
            path = root / folder / f"{stem}.png"
            if rgb:
                Image.fromarray(colors[array]).save(path)
            else:
                image = Image.fromarray(array, mode="P")
                image.putpalette(voc_palette())
                image.save(path)
        Image.fromarray(photo).save(root / "JPEGImages" / f"{stem}.jpg", quality=90)
    if rgb:
        lines = ["background:0,0,0::"]
        lines += [
            "{}:{},{},{}::".format(name, *colors[i + 1])
            for i, name in enumerate(VOC2012_NAMES)
        ]
        lines.append("ignored:224,224,192::")
        (root / "labelmap.txt").write_text("\n".join(lines) + "\n")


def timed(*args: str) -> tuple[float, int]:
    """Seconds and the peak RSS (KB) of a seg-convert run."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "seg_convert", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, int(done.stderr.strip().splitlines()[-1])


def polygon_iou(rle_dir: Path, polygon_dir: Path) -> list[float]:
    found = []
    for split in ("train", "val"):
        rles = json.loads((rle_dir / f"annotations/instances_{split}.json").read_text())
        polygons = json.loads(
            (polygon_dir / f"annotations/instances_{split}.json").read_text()
        )
        for exact, traced in zip(
            rles["annotations"], polygons["annotations"], strict=True
        ):
            height, width = exact["segmentation"]["size"]
            mask = coco_mask.decode(exact["segmentation"])
            parts = traced["segmentation"]
            if isinstance(parts, dict):
                found.append(1.0)
                continue
            drawn = coco_mask.decode(
                coco_mask.merge(coco_mask.frPyObjects(parts, height, width))
            )
            found.append(float((drawn & mask).sum() / (drawn | mask).sum()))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--jobs", default="1")
    parser.add_argument("--rgb", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        generate(root / "in", args.samples, rgb=args.rgb)
        common = ["-j", args.jobs, "--noviz", "-q"]
        for name, command, extra in (
            ("coco", "voc2coco", []),
            ("polygon", "voc2coco", ["--segmentation", "polygon"]),
            ("yolo", "voc2yolo", []),
        ):
            seconds, peak = timed(
                command, str(root / "in"), str(root / name), *common, *extra
            )
            print(
                f"{command} {' '.join(extra)}: {seconds:.1f} s, "
                f"{peak / 1024:.0f} MB peak"
            )
        ious = np.array(polygon_iou(root / "coco", root / "polygon"))
        print(
            f"--segmentation polygon against the masks: {len(ious)} objects, mean IoU "
            f"{ious.mean():.3f}, 5th percentile {np.percentile(ious, 5):.3f}"
        )


if __name__ == "__main__":
    main()
