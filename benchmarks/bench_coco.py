"""Benchmark: seg-convert labelme2coco against labelme's COCO conversion.

    python benchmarks/bench_coco.py                # 40 images, 1600x1200
    python benchmarks/bench_coco.py --images 120 --repeat 3

On the data bench.py generates (photo-like JPEGs with 8-12 polygons each), it
times, in one run on the same files:

- labelme: the work labelme 6.3.1's examples/instance_segmentation/
  labelme2coco.py does, done with the labelme library: per file, LabelFile,
  the image decoded and saved as JPEG, shape_to_mask per shape and the masks of
  an object joined, pycocotools encode/area/toBbox per object, the outline
  polygons, imgviz's instances2rgb visualization saved as JPEG; one JSON at the
  end;
- seg-convert labelme2coco with --jobs 1 and --jobs 2, with visualizations.

It prints images per second and the ratios to labelme. Needs the test extra
(labelme, imgviz) installed. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask
from bench import ASPECT, best_time, make_dataset, size_of  # bench.py, beside this


def labelme_coco(source: Path, labels: Path, out: Path) -> None:
    """labelme's COCO example's work on ``source``, with the labelme library."""
    import imgviz
    import labelme
    import labelme.utils
    from loguru import logger  # labelme's logger: a line per image otherwise

    logger.remove()
    names = labels.read_text().splitlines()[1:]  # from _background_, id 0
    class_ids = {name: number for number, name in enumerate(names)}
    (out / "JPEGImages").mkdir(parents=True)
    (out / "Visualization").mkdir()
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, path in enumerate(sorted(source.glob("*.json"))):
        label_file = labelme.LabelFile(filename=str(path))
        if label_file.image_data is None:
            raise ValueError(f"{path}: no image")
        image = labelme.utils.img_data_to_arr(label_file.image_data)
        imgviz.io.imsave(out / "JPEGImages" / f"{path.stem}.jpg", image)
        height, width = image.shape[:2]
        image_entry = {"id": image_id, "file_name": f"{path.stem}.jpg"}
        images.append({**image_entry, "height": height, "width": width})
        masks: dict[tuple[str, object], np.ndarray[Any, Any]] = {}
        outlines: dict[tuple[str, object], list[list[float]]] = {}
        for shape in label_file.shapes:
            group = shape["group_id"]
            key = (shape["label"], uuid.uuid1() if group is None else group)
            drawn = labelme.utils.shape_to_mask(
                (height, width), shape["points"], shape["shape_type"]
            )
            masks[key] = masks[key] | drawn if key in masks else drawn
            flat = np.asarray(shape["points"], dtype=float).ravel().tolist()
            outlines.setdefault(key, []).append(flat)
        for key, drawn in masks.items():
            rle = pycocotools.mask.encode(np.asfortranarray(drawn.astype(np.uint8)))
            annotations.append(
                {
                    "id": len(annotations),
                    "image_id": image_id,
                    "category_id": class_ids[key[0]],
                    "segmentation": outlines[key],
                    "area": float(pycocotools.mask.area(rle)),
                    "bbox": pycocotools.mask.toBbox(rle).tolist(),
                    "iscrowd": 0,
                }
            )
        picture = imgviz.instances2rgb(
            image=image,
            labels=[class_ids[label] for label, _ in masks],
            masks=list(masks.values()),
            captions=[label for label, _ in masks],
            font_size=15,
            line_width=2,
        )
        imgviz.io.imsave(out / "Visualization" / f"{path.stem}.jpg", picture)
    categories = [{"id": i, "name": name} for name, i in class_ids.items()]
    document = {"images": images, "annotations": annotations, "categories": categories}
    (out / "annotations.json").write_text(json.dumps(document))


def seg_convert_coco(source: Path, labels: Path, out: Path, jobs: str) -> None:
    command = [sys.executable, "-m", "seg_convert", "labelme2coco", str(source)]
    command += [str(out), "--labels", str(labels), "--quiet", "--jobs", jobs]
    subprocess.run(command, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each; the fastest counts"
    )
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="seg-convert-bench-coco-"))
    try:
        source = work / "in"
        megapixels = 1600 * 1200 / 1e6
        labels = make_dataset(source, arguments.images, arguments.images, megapixels)
        count = arguments.images
        width, height = size_of(megapixels, ASPECT)
        print(f"{count} images of {width}x{height}, 8-12 polygons each, in {work}")
        # Other work on the machine slows --jobs 2 first: say how busy it was.
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"load average before: {load} on {os.cpu_count()} cores")
        baseline = best_time(
            lambda out: labelme_coco(source, labels, out),
            work / "labelme",
            repeat=arguments.repeat,
        ).wall
        rows = [("labelme library", baseline)]
        for jobs in ("1", "2"):
            seconds = best_time(
                lambda out, jobs=jobs: seg_convert_coco(source, labels, out, jobs),
                work / "ours",
                repeat=arguments.repeat,
            ).wall
            rows.append((f"seg-convert labelme2coco --jobs {jobs}", seconds))
        print(f"\n{'':<36} {'images/s':>9} {'vs labelme':>11}")
        for name, seconds in rows:
            print(f"{name:<36} {count / seconds:>9.1f} {baseline / seconds:>10.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
