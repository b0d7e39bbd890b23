"""Reading mask PNGs into ids: palette PNGs by index (never by their colors),
gray 8- and 16-bit PNGs by value, RGB PNGs by color (through labelmap.txt for
classes, through VOC's color map for instances, as Datumaro and CVAT paint
them). Every file is checked to be a regular file of bounded size first."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from seg_convert.core.colormap import voc_colormap
from seg_convert.core.errors import AnnotationError
from seg_convert.core.labels import IGNORE_ID, VOID_INDEX
from seg_convert.io.images import load_pixels, open_image
from seg_convert.sources.voc.classes import NOT_IN_LABELS, Color

_INDEXED = ("P", "L", "I;16", "I;16B", "I;16L", "I")
_COLORED = ("RGB", "RGBA")


def read_mask(
    path: Path,
    *,
    owner: Path,
    what: str,
    colors: Mapping[Color, int] | None,
    max_pixels: int,
    max_bytes: int,
) -> npt.NDArray[np.int64]:
    """The (H, W) int64 ids of a mask PNG: its indices or values, or for an
    RGB mask the id ``colors`` gives each color. Errors name ``owner``."""
    image = open_image(
        path, max_pixels=max_pixels, max_bytes=max_bytes, owner=owner, what=what
    )
    with image:
        load_pixels(image, owner=owner, what=what)
        if image.mode in _INDEXED:
            return np.asarray(image).astype(np.int64)
        if image.mode not in _COLORED:
            raise AnnotationError(
                owner, f"{what} is a {image.mode} image; masks are palette, gray or RGB"
            )
        rgb = np.asarray(image)[..., :3]
    if colors is None:
        raise AnnotationError(
            owner,
            f"{what} is an RGB mask, and RGB masks are read by color through "
            "labelmap.txt, which the dataset lacks (add it, or give palette masks)",
        )
    return _by_color(rgb, colors, owner=owner, what=what)


def _by_color(
    rgb: npt.NDArray[np.uint8], colors: Mapping[Color, int], *, owner: Path, what: str
) -> npt.NDArray[np.int64]:
    packed = (
        rgb[..., 0].astype(np.int64) << 16
        | rgb[..., 1].astype(np.int64) << 8
        | rgb[..., 2].astype(np.int64)
    )
    # Each pixel's color looked up among the known ones (a binary search: a
    # sort of the pixels, as np.unique does, costs many times more).
    known = sorted(
        ((r << 16 | g << 8 | b), class_id) for (r, g, b), class_id in colors.items()
    )
    keys = np.array([key for key, _ in known], dtype=np.int64)
    ids = np.array([class_id for _, class_id in known], dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, packed), len(keys) - 1)
    unknown = keys[at] != packed
    if unknown.any():
        value = int(packed[unknown].flat[0])
        color = (value >> 16, value >> 8 & 0xFF, value & 0xFF)
        raise AnnotationError(
            owner,
            f"{what} has color {color} (r, g, b), which labelmap.txt does not list",
        )
    result: npt.NDArray[np.int64] = ids[at]
    if (result == NOT_IN_LABELS).any():
        value = int(packed[result == NOT_IN_LABELS].flat[0])
        color = (value >> 16, value >> 8 & 0xFF, value & 0xFF)
        raise AnnotationError(
            owner,
            f"{what} has color {color} (r, g, b), whose class in labelmap.txt "
            "is not in the labels (add it to --labels)",
        )
    return result


def instance_colors() -> dict[Color, int]:
    """VOC's color of each instance id, as Datumaro and CVAT paint
    SegmentationObject (0 black, 255 void)."""
    return {
        (int(r), int(g), int(b)): index
        for index, (r, g, b) in enumerate(voc_colormap().tolist())
    }


def class_ids(
    values: npt.NDArray[np.int64], *, class_count: int, owner: Path, what: str
) -> npt.NDArray[np.int32]:
    """(H, W) int32 class ids: 255 is -1, a value the table lacks an error
    naming it."""
    classes = np.where(values == VOID_INDEX, IGNORE_ID, values)
    bad = (values < 0) | (classes >= class_count)
    if bad.any():
        value = int(values[bad].flat[0])
        raise AnnotationError(
            owner,
            f"{what} holds {value}, which is not a class id of the labels "
            f"(0..{class_count - 1}, and 255 for void); give --labels with "
            "that class",
        )
    return classes.astype(np.int32)
