"""Mask shapes as labelme reads them back: labelme 6.3.1's own decoding and
``shapes_to_label`` give the mask's pixels, wherever the box lies."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from labelme import utils
from labelme.utils import shapes_to_label

from seg_convert.formats.labelme.shapes import mask_shape


def loaded(shape: dict[str, Any]) -> dict[str, Any]:
    """The shape as labelme's LabelFile loads it (its mask decoded)."""
    mask = utils.img_b64_to_arr(shape["mask"]).astype(bool)
    return {**shape, "mask": mask}


@given(
    arrays(
        np.uint8,
        st.tuples(st.integers(1, 12), st.integers(1, 12)),
        elements=st.integers(0, 1),
    ),
    st.integers(0, 8),
    st.integers(0, 8),
)
def test_labelme_draws_a_mask_shape_pixel_for_pixel(
    pixels: np.ndarray[Any, Any], left: int, top: int
) -> None:
    height, width = top + pixels.shape[0] + 3, left + pixels.shape[1] + 2
    mask = np.zeros((height, width), dtype=np.uint8, order="F")
    mask[top : top + pixels.shape[0], left : left + pixels.shape[1]] = pixels
    rows, columns = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return
    box = (int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1)
    shape = mask_shape(mask, box, "cat")
    assert shape["shape_type"] == "mask" and shape["group_id"] is None
    classes, _ = shapes_to_label((height, width), [loaded(shape)], {"cat": 1})
    np.testing.assert_array_equal(classes, mask)
