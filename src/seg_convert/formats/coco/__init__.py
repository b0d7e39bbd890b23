"""The COCO dataset: instances and, optionally, panoptic annotations (see
``writer``)."""

from __future__ import annotations

from seg_convert.core.options import SEGMENTATION_MODES
from seg_convert.core.specs import FormatSpec, OptionSpec

FORMAT = FormatSpec(
    name="coco",
    module="seg_convert.formats.coco.writer",
    describes="a COCO dataset",
    help="OUTPUT_DIR gets images/{train,val}/ (the images of each split; "
    "file_name is relative to its split's folder), "
    "annotations/instances_{train,val}.json (one annotation per object: a "
    "(label, group_id) pair, or a shape without group_id; ids from 1; categories "
    "are the labels file's classes with their class ids) and Visualization/.",
    options=(
        OptionSpec(
            ("--segmentation",),
            "choice",
            "auto: polygons for polygon, rectangle, oriented_rectangle and circle "
            "objects, compressed RLE for objects with a line, linestrip, point or "
            "mask shape. rle: compressed RLE for every object. polygon: as auto, "
            "but objects without polygons of their own (lines, masks, RLE) are "
            "traced from their pixels (one polygon per part, holes joined in; "
            "needs OpenCV), RLE only when nothing with an area can be traced.",
            default="auto",
            choices=SEGMENTATION_MODES,
            show_default=True,
        ),
        OptionSpec(
            ("--crop-covered",),
            "flag",
            "Each object is only what stays visible after later shapes are "
            "painted (as in SegmentationObject), written as RLE.",
        ),
        OptionSpec(
            ("--panoptic",),
            "flag",
            "Also write COCO panoptic annotations: "
            "annotations/panoptic_{train,val}.json and their PNGs.",
        ),
        OptionSpec(
            ("--stuff",),
            "names",
            "Comma-separated labels that are stuff, not things (--panoptic): all "
            "their pixels in an image are one segment.",
            default="",
            metavar="NAMES",
        ),
    ),
)
