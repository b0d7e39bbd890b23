"""COCO instance files: one sample per image (see ``source``)."""

from __future__ import annotations

from typing import Literal

from seg_convert.core.specs import ArgumentSpec, OptionSpec, SourceSpec

PaintOrder = Literal["file", "area"]
PAINT_ORDERS: tuple[PaintOrder, ...] = ("file", "area")
CrowdMode = Literal["void", "class"]
CROWD_MODES: tuple[CrowdMode, ...] = ("void", "class")

SOURCE = SourceSpec(
    name="coco",
    module="seg_convert.sources.coco.source",
    describes="COCO instance annotations (ANNOTATIONS_JSON...)",
    help="Each image becomes a sample named by its file name without extension. "
    "Segmentations (polygons, RLE) are decoded as pycocotools' annToMask decodes "
    'them and painted in file order. Images of a file whose name has "train" go '
    'to train.txt, "val" to val.txt; others by the hash rule (--val-fraction).',
    arguments=(ArgumentSpec("annotation_files", "ANNOTATIONS_JSON...", many=True),),
    options=(
        OptionSpec(
            ("--images", "images_dir"),
            "folder",
            "The folder each image's file_name is relative to; repeated, one per "
            "annotation file in their order (train2017/ for instances_train2017."
            "json, val2017/ for instances_val2017.json).",
            required=True,
            multiple=True,
        ),
        OptionSpec(
            ("--labels",),
            "labels",
            "Labels file (or comma-separated names) mapping categories to classes "
            "by name [default: the categories sorted by id are classes 1..K].",
        ),
        OptionSpec(
            ("--flatten-names",),
            "flag",
            "Name samples by their file_name's folders too, joined by __ "
            "(a/x.jpg -> a__x), so equal names in different folders do not "
            "collide.",
        ),
        OptionSpec(
            ("--skip-unknown",),
            "flag",
            "Leave out annotations of categories --labels lacks (reported), "
            "instead of failing their images.",
        ),
        OptionSpec(
            ("--order",),
            "choice",
            "file: later annotations paint over earlier ones. area: larger "
            "annotations first, so small objects stay on top.",
            default="file",
            choices=PAINT_ORDERS,
            show_default=True,
        ),
        OptionSpec(
            ("--crowd",),
            "choice",
            "void: crowd regions (iscrowd 1) are ignored pixels (255 in PNGs, -1 "
            "in .npy). class: painted with their category (never an instance).",
            default="void",
            choices=CROWD_MODES,
            show_default=True,
        ),
        OptionSpec(
            ("--categories", "categories_file"),
            "file",
            "ANNOTATIONS_JSON is one COCO results list ([{image_id, category_id, "
            "segmentation, score}, ...], as detectors write it): this instances "
            "file gives its images and categories (its own annotations are not "
            "read).",
        ),
        OptionSpec(
            ("--min-score",),
            "fraction",
            "With --categories: leave out results scored under this.",
            default=0.0,
            show_default=True,
        ),
    ),
    shared=("jobs", "image_limits"),
)
