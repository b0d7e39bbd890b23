"""What COCO consumers require of a dataset, and pycocotools set-up, for the tests."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from pycocotools.coco import COCO


def load_coco(dataset: dict[str, Any]) -> COCO:
    """A pycocotools ``COCO`` over ``dataset`` (quietly: it prints as it indexes)."""
    coco = COCO()
    coco.dataset = dataset
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def check_loader_rules(dataset: dict[str, Any]) -> None:
    """The rules Detectron2's ``load_coco_json`` and mmdetection's ``CocoDataset``
    apply: ids >= 1 and unique, every polygon >= 6 numbers and an even count
    (Detectron2 drops others), area > 0 and a box at least a pixel wide and high
    (mmdetection drops others), RLE ``counts`` a string with the image's size."""
    for key in ("images", "annotations", "categories"):
        ids = [item["id"] for item in dataset[key]]
        assert all(isinstance(i, int) and i >= 1 for i in ids), key
        assert len(set(ids)) == len(ids), key
    images = {image["id"]: image for image in dataset["images"]}
    categories = {category["id"] for category in dataset["categories"]}
    for ann in dataset["annotations"]:
        image = images[ann["image_id"]]
        assert ann["category_id"] in categories
        assert ann["iscrowd"] == 0
        assert ann["area"] > 0
        x, y, w, h = ann["bbox"]
        assert w >= 1 and h >= 1 and x >= 0 and y >= 0
        assert x + w <= image["width"] and y + h <= image["height"]
        segmentation = ann["segmentation"]
        if isinstance(segmentation, dict):
            assert segmentation["size"] == [image["height"], image["width"]]
            assert isinstance(segmentation["counts"], str)
        else:
            assert segmentation
            for polygon in segmentation:
                assert len(polygon) >= 6 and len(polygon) % 2 == 0
                assert all(isinstance(value, float) for value in polygon)


def boundary_zone(
    polygons: list[list[float]], height: int, width: int
) -> np.ndarray[Any, Any]:
    """Pixels "along the boundary" of COCO polygons: within 1 px (the 8
    neighbours) of their edges as Pillow draws them, 1 px wide, or of the image's
    edge (what lies beyond the image is unknown: a shape may go on there).

    The edges, not only where the mask changes: where a polygon crosses itself
    labelme's outline fills the sliver between the crossing edges, which
    pycocotools' even-odd fill leaves open.
    """
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for polygon in polygons:
        vertices = list(zip(polygon[::2], polygon[1::2], strict=True))
        draw.polygon(vertices, outline=1)
    edges = np.asarray(canvas) != 0
    edges[[0, -1], :] = True
    edges[:, [0, -1]] = True
    grown = np.pad(edges, 1)
    zone = np.zeros((height, width), dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            zone |= grown[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
    return zone
