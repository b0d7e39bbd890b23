"""VOC-style mask datasets: one sample per class mask (see ``source``)."""

from __future__ import annotations

from typing import Literal

from seg_convert.core.specs import ArgumentSpec, OptionSpec, SourceSpec

ObjectsMode = Literal["instances", "components", "classes"]
OBJECTS_MODES: tuple[ObjectsMode, ...] = ("instances", "components", "classes")

SOURCE = SourceSpec(
    name="voc",
    module="seg_convert.sources.voc.source",
    describes="the VOC-style mask dataset in VOC_DIR",
    help="VOC_DIR holds SegmentationClassPNG/ (labelme layout) or "
    "SegmentationClass/*.png (VOC layout, VOCdevkit/VOC2012 too, CVAT's "
    "Segmentation mask 1.1), optionally the instance masks beside it, and the "
    "images in JPEGImages/. Each listed in ImageSets/Segmentation/*.txt (else "
    "each mask with an image) becomes a sample named by its file name; train.txt "
    "and val.txt keep their split. Palette PNGs are read by index, gray PNGs by "
    "value, RGB PNGs by color through labelmap.txt; 255 is void.",
    arguments=(ArgumentSpec("voc_dir", "VOC_DIR"),),
    options=(
        OptionSpec(
            ("--labels",),
            "labels",
            "Labels file (or comma-separated names) whose ids the masks hold "
            "[default: labelmap.txt, else class_names.txt, else VOC 2012's 20 "
            "classes when the masks have its palette].",
        ),
        OptionSpec(
            ("--objects",),
            "choice",
            "instances: each id of the instance masks (SegmentationObject) is an "
            "object. components: each 8-connected region of a class. classes: all "
            "pixels of a class in an image are one object. [default: instances "
            "when the instance masks exist, else classes]",
            choices=OBJECTS_MODES,
        ),
    ),
    shared=("jobs", "image_limits"),
)
