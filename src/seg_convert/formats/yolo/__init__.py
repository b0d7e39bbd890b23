"""The YOLO dataset (ultralytics' layout): images and label files in a folder
per split, and data.yaml (see ``writer``)."""

from __future__ import annotations

from seg_convert.core.options import YOLO_TASKS
from seg_convert.core.specs import FormatSpec, OptionSpec

FORMAT = FormatSpec(
    name="yolo",
    module="seg_convert.formats.yolo.writer",
    describes="a YOLO dataset",
    help="OUTPUT_DIR gets images/{train,val}/ (the images), "
    "labels/{train,val}/*.txt (one line per object: its class, 0 for the first "
    "class after _background_, then its outline or its box, normalized to the "
    "image), data.yaml (train, val and names, as ultralytics reads it) and "
    "Visualization/.",
    options=(
        OptionSpec(
            ("--task",),
            "choice",
            "segment: each object's outline, clipped to the image (polygons as "
            "drawn; lines, points, masks and RLE traced from their pixels). "
            "detect: each object's box (the box of its pixels).",
            default="segment",
            choices=YOLO_TASKS,
            show_default=True,
        ),
    ),
)
