"""VOC-style datasets built in tmp_path: VOC 2012 as distributed (palette PNGs
with 255 borders, SegmentationObject, the 20 classes) and CVAT's Segmentation
mask 1.1 export (RGB masks and labelmap.txt)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from seg_convert.core.colormap import voc_colormap, voc_palette
from tests.conftest import gradient_image

WIDTH, HEIGHT = 64, 48
# (stem, [(class id, instance id, rows, columns)]): rectangles, drawn in order.
Box = tuple[int, int, slice, slice]
SCENES: dict[str, list[Box]] = {
    "2007_000001": [
        (15, 1, slice(4, 20), slice(4, 30)),
        (12, 2, slice(24, 44), slice(8, 60)),
    ],
    "2007_000002": [
        (8, 1, slice(2, 14), slice(2, 14)),
        (8, 2, slice(30, 46), slice(40, 62)),
    ],
    "2007_000003": [(1, 1, slice(10, 40), slice(10, 50))],
}
CVAT_CLASSES = {"cat": (255, 0, 0), "dog": (0, 255, 0), "tree": (0, 0, 255)}


def scene_arrays(
    boxes: Sequence[Box],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """The (H, W) class and instance indices of a scene: each box with a
    one-pixel void (255) border, as VOC 2012 draws object edges."""
    classes = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    instances = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    for class_id, instance, rows, columns in boxes:
        outer = (
            slice(rows.start - 1, rows.stop + 1),
            slice(columns.start - 1, columns.stop + 1),
        )
        classes[outer] = instances[outer] = 255
        classes[rows, columns] = class_id
        instances[rows, columns] = instance
    return classes, instances


def palette_png(indices: npt.NDArray[np.uint8], path: Path) -> None:
    image = Image.fromarray(indices, mode="P")
    image.putpalette(voc_palette())
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def write_image(path: Path, size: tuple[int, int] = (WIDTH, HEIGHT)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = gradient_image(*size)
    image.save(path)


def write_voc2012(root: Path) -> Path:
    """VOC_DIR holding VOCdevkit/VOC2012; 2007_000002 is in val."""
    dataset = root / "VOCdevkit" / "VOC2012"
    for stem, boxes in SCENES.items():
        classes, instances = scene_arrays(boxes)
        palette_png(classes, dataset / "SegmentationClass" / f"{stem}.png")
        palette_png(instances, dataset / "SegmentationObject" / f"{stem}.png")
        write_image(dataset / "JPEGImages" / f"{stem}.jpg")
    sets = dataset / "ImageSets" / "Segmentation"
    sets.mkdir(parents=True)
    (sets / "train.txt").write_text("2007_000001\n2007_000003\n")
    (sets / "val.txt").write_text("2007_000002\n")
    (sets / "trainval.txt").write_text("2007_000001\n2007_000002\n2007_000003\n")
    return root


def write_cvat(root: Path) -> Path:
    """CVAT's Segmentation mask 1.1: RGB class masks by labelmap.txt's colors,
    RGB instance masks by VOC's color map, a default.txt list."""
    lines = ["# label:color_rgb:parts:actions", "background:0,0,0::"]
    lines += [f"{name}:{r},{g},{b}::" for name, (r, g, b) in CVAT_CLASSES.items()]
    root.mkdir(parents=True, exist_ok=True)
    (root / "labelmap.txt").write_text("\n".join(lines) + "\n")
    colors = {0: (0, 0, 0), **{i + 1: c for i, c in enumerate(CVAT_CLASSES.values())}}
    instance_colors = voc_colormap()
    for stem, boxes in cvat_scenes().items():
        classes, instances = scene_arrays(boxes)
        classes[classes == 255] = 0  # CVAT draws no void
        instances[instances == 255] = 0
        rgb = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
        for class_id, color in colors.items():
            rgb[classes == class_id] = color
        for folder, array in (
            ("SegmentationClass", rgb),
            ("SegmentationObject", instance_colors[instances]),
        ):
            (root / folder).mkdir(exist_ok=True)
            Image.fromarray(array, mode="RGB").save(root / folder / f"{stem}.png")
        write_image(root / "JPEGImages" / f"{stem}.jpg")
    sets = root / "ImageSets" / "Segmentation"
    sets.mkdir(parents=True)
    (sets / "default.txt").write_text("".join(f"{s}\n" for s in cvat_scenes()))
    return root


def cvat_scenes() -> dict[str, list[Box]]:
    """The scenes with CVAT's class ids (1 cat, 2 dog, 3 tree)."""
    return {
        "frame_000000": [
            (1, 1, slice(4, 20), slice(4, 30)),
            (2, 2, slice(24, 44), slice(8, 60)),
        ],
        "frame_000001": [
            (3, 1, slice(2, 40), slice(2, 14)),
            (1, 2, slice(30, 46), slice(40, 62)),
        ],
    }
