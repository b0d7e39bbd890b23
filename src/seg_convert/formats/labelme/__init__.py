"""labelme files: OUTPUT_DIR/NAME.json and the image beside it (see ``writer``)."""

from __future__ import annotations

from seg_convert.core.options import LABELME_SHAPES
from seg_convert.core.specs import FormatSpec, OptionSpec

FORMAT = FormatSpec(
    name="labelme",
    module="seg_convert.formats.labelme.writer",
    describes="labelme files",
    help="OUTPUT_DIR gets NAME.json (labelme's schema: one shape per polygon, "
    "the parts of one object sharing a group_id; ignore regions and crowds as "
    "__ignore__ shapes) and NAME.jpg beside it (imagePath, no imageData).",
    options=(
        OptionSpec(
            ("--shapes", "labelme_shapes"),
            "choice",
            "mask: objects given as pixels (RLE) become mask shapes, pixel for "
            "pixel. polygon: their outlines are traced into polygon shapes "
            "(holes are bridged; see the docs).",
            default="mask",
            choices=LABELME_SHAPES,
            show_default=True,
        ),
    ),
)
