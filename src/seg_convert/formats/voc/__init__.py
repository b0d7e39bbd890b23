"""The VOC-style dataset: class and instance arrays, palette PNGs, the splits,
and with ``--layout voc`` VOC 2012's detection half (see ``writer``)."""

from __future__ import annotations

from seg_convert.core.options import LAYOUT_NAMES
from seg_convert.core.specs import FormatSpec, OptionSpec

INSTANCES = OptionSpec(
    ("--instances/--no-instances",),
    "switch",
    "With instance ids (SegmentationObject): from labelme, one instance per "
    "(label, group_id), or per shape without group_id; from COCO, one per "
    "annotation that is not a crowd.",
    default=False,
    show_default=True,
)
# validate checks for it too: the detection XML of --layout voc cannot hold
# every name.
LAYOUT = OptionSpec(
    ("--layout",),
    "choice",
    "labelme: SegmentationClass/*.npy and SegmentationClassPNG/*.png, as "
    "labelme's example. voc: PASCAL VOC 2012, SegmentationClass/*.png and "
    "SegmentationClassNpy/*.npy, as torchvision and mmsegmentation read it, with "
    "Annotations/*.xml and ImageSets/Main/ for detection.",
    default="labelme",
    choices=tuple(sorted(LAYOUT_NAMES)),
    show_default=True,
)

FORMAT = FormatSpec(
    name="voc",
    module="seg_convert.formats.voc.writer",
    describes="a VOC-style dataset",
    help="OUTPUT_DIR gets JPEGImages/ (the images), the label ids as int32 .npy "
    "arrays (-1 = ignore) and as palette PNGs (255 = ignore), visualizations, "
    "ImageSets/Segmentation/{train,val,trainval}.txt, class_names.txt and "
    "labelmap.txt. --layout says which folder holds what.",
    options=(
        INSTANCES,
        LAYOUT,
        OptionSpec(
            ("--npy/--no-npy",),
            "switch",
            "Also write the label ids as int32 .npy arrays (4 bytes a pixel). "
            "torchvision and mmsegmentation read only the PNGs.",
            default=True,
            show_default=True,
        ),
    ),
)
