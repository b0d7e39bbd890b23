"""Segmentations pycocotools would crash on are refused before it sees them.
pycocotools itself is never called with them here (a crash would end the
suite); tests/e2e/test_hostile_round_two.py runs them in a subprocess."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from seg_convert.sources.coco.masks import SegmentationError, segmentation_rle

H, W = 48, 64


@pytest.mark.parametrize("value", [1e308, -1e9, 2e7, 2 * W + 0.5, -W - 0.5])
def test_a_vertex_far_outside_the_image_is_refused(value: float) -> None:
    with pytest.raises(SegmentationError, match="far outside the 64x48 image"):
        segmentation_rle([[value, 2, 30, 4, 15, 25]], height=H, width=W)


def test_a_vertex_within_the_image_size_of_an_edge_is_drawn() -> None:
    rle = segmentation_rle([[-W, -H, 2 * W, 0, 0, 2 * H]], height=H, width=W)
    assert coco_mask.area(rle) > 0


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ("0\x00" + "1" * 40, "characters that COCO's compressed encoding"),
        ("\x7f", "characters that COCO's compressed encoding"),
        ("é", "characters that COCO's compressed encoding"),
        ("0P", "end in the middle of a count"),
        ("o" * 7 + "0", "too large for 32 bits"),
        ("", "stop short"),
    ],
    ids=["nul", "del", "non_ascii", "unterminated", "too_long", "empty"],
)
def test_counts_pycocotools_would_overrun_are_refused(
    counts: str, message: str
) -> None:
    with pytest.raises(SegmentationError, match=message):
        segmentation_rle({"size": [H, W], "counts": counts}, height=H, width=W)


def test_counts_pycocotools_wrote_are_taken() -> None:
    mask = np.zeros((H, W), dtype=np.uint8, order="F")
    mask[5:40, 3:60] = 1
    counts = coco_mask.encode(mask)["counts"]
    for given in (counts, counts.decode()):
        rle = segmentation_rle({"size": [H, W], "counts": given}, height=H, width=W)
        np.testing.assert_array_equal(coco_mask.decode(rle), mask)
