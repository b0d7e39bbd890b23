"""COCO panoptic segmentation: the segment PNG and its ``segments_info``.

A panoptic PNG stores a segment id per pixel as its color, id = R + 256 G +
256^2 B; id 0 is void. Segments are what is visible: each object ("thing") is the
pixels it keeps in the instance array, all pixels of a "stuff" class in an image
form one segment, and background and ``__ignore__`` pixels are void.

Ids are the instance ids of SegmentationObject: an object keeps its own, a stuff
segment takes the lowest of its class's objects. So ids are deterministic, unique
in an image, and can be looked up in the VOC instance arrays. A category's color
is its class's VOC color, as in labelme2voc's class PNGs.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pycocotools.mask
from PIL import Image

from seg_convert.core.colormap import voc_colormap

# Largest id an RGB color can hold.
MAX_SEGMENT_ID = 256**3 - 1


def panoptic_categories(
    names: Sequence[str], *, stuff_ids: Collection[int]
) -> list[dict[str, object]]:
    """The ``categories`` of a panoptic file from the class names in id order
    (``LabelTable.names``): every class after ``_background_`` (id 0), with
    ``isthing`` and its ``color``."""
    return [
        {
            "id": class_id,
            "name": name,
            "supercategory": name,
            "isthing": 0 if class_id in stuff_ids else 1,
            "color": category_color(class_id),
        }
        for class_id, name in enumerate(names)
        if class_id > 0
    ]


def category_color(class_id: int) -> list[int]:
    """The ``color`` of a panoptic category: its class's VOC color, [R, G, B]."""
    return [int(channel) for channel in voc_colormap()[class_id]]


def panoptic_segments(
    *,
    classes: npt.NDArray[np.int32],
    instances: npt.NDArray[np.int32],
    instance_classes: Mapping[int, int],
    stuff_ids: Collection[int],
) -> tuple[npt.NDArray[np.int32], list[dict[str, object]]]:
    """The (H, W) int32 segment ids of one image and its ``segments_info``.

    ``classes`` and ``instances`` are the (H, W) int32 arrays of ``rasterize``
    (ignore pixels are -1 and 0); ``instance_classes`` maps instance ids to class
    ids (those of ``sample_objects`` are enough: an id it lacks is void, like the
    ``_background_`` and ``__ignore__`` objects it leaves out); ``stuff_ids`` are
    the class ids that are stuff. Segments are listed by id, each with ``id``,
    ``category_id``, ``area``, ``bbox`` ([x, y, w, h], whole pixels) and
    ``iscrowd`` 0.
    """
    stuff_segment: dict[int, int] = {}
    for number, class_id in sorted(instance_classes.items()):
        if class_id in stuff_ids:
            stuff_segment.setdefault(class_id, number)
    largest = max(int(instances.max(initial=0)), max(instance_classes, default=0))
    lookup = np.zeros(largest + 1, dtype=np.int32)
    for number, class_id in instance_classes.items():
        lookup[number] = stuff_segment.get(class_id, number)
    segments = lookup[instances]
    segments[classes <= 0] = 0  # background and ignore are void
    # Fortran order, so that each segment's mask is in the order pycocotools
    # encodes, one mask at a time.
    column_major = np.asfortranarray(segments)
    info: list[dict[str, object]] = []
    # Ids are instance ids, small: counting is much faster than np.unique.
    present = np.flatnonzero(np.bincount(segments.ravel()))
    for segment_id in present[present != 0].tolist():
        rle = pycocotools.mask.encode((column_major == segment_id).view(np.uint8))
        info.append(
            {
                "id": segment_id,
                "category_id": instance_classes[segment_id],
                "area": int(pycocotools.mask.area(rle)),
                "bbox": [int(value) for value in pycocotools.mask.toBbox(rle)],
                "iscrowd": 0,
            }
        )
    return segments, info


def segment_ids_to_rgb(segments: npt.NDArray[np.int32]) -> npt.NDArray[np.uint8]:
    """(H, W) segment ids as the (H, W, 3) uint8 colors of a panoptic PNG."""
    if segments.size and (segments.min() < 0 or segments.max() > MAX_SEGMENT_ID):
        raise ValueError(f"segment ids must be 0..{MAX_SEGMENT_ID}")
    # The low three bytes of each little-endian id are R, G and B.
    as_bytes = segments.astype("<i4", copy=False).view(np.uint8)
    return np.ascontiguousarray(as_bytes.reshape(*segments.shape, 4)[:, :, :3])


def rgb_to_segment_ids(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.int32]:
    """(H, W, 3) panoptic colors back to (H, W) int32 segment ids."""
    channels = rgb.astype(np.int32)
    return channels[:, :, 0] + 256 * channels[:, :, 1] + 256 * 256 * channels[:, :, 2]


def panoptic_png(segments: npt.NDArray[np.int32]) -> bytes:
    """The panoptic PNG (RGB) of (H, W) segment ids, as bytes to write."""
    buffer = io.BytesIO()
    Image.fromarray(segment_ids_to_rgb(segments)).save(buffer, "PNG")
    return buffer.getvalue()
