"""YOLO datasets (ultralytics' layout): one sample per image (see ``source``)."""

from __future__ import annotations

from seg_convert.core.specs import ArgumentSpec, OptionSpec, SourceSpec

SOURCE = SourceSpec(
    name="yolo",
    module="seg_convert.sources.yolo.source",
    describes="the YOLO dataset in YOLO_DIR",
    help="YOLO_DIR holds data.yaml (train, val, test and names, as ultralytics "
    "reads it; its splits are kept) or is a folder of images with their .txt "
    "labels beside them (then --labels names the classes). Each image becomes a "
    "sample named by its file name without extension; its labels are found as "
    "ultralytics finds them (images/ -> labels/, .txt). Segment rows are "
    "polygons, box rows rectangles, drawn as labelme draws polygons.",
    arguments=(ArgumentSpec("yolo_dir", "YOLO_DIR"),),
    options=(
        OptionSpec(
            ("--labels",),
            "labels",
            "Labels file (or comma-separated names): YOLO class k is the k-th "
            "class after _background_ [default: data.yaml's names].",
        ),
    ),
    shared=("jobs", "image_limits"),
)
