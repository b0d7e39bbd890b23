"""The VOC color map: the published colors, and the same map labelme uses."""

from __future__ import annotations

import imgviz
import numpy as np
import pytest

from seg_convert.core.colormap import palette_indices, voc_colormap, voc_palette


@pytest.mark.parametrize(
    ("class_id", "rgb"),
    [
        (0, (0, 0, 0)),
        (1, (128, 0, 0)),
        (2, (0, 128, 0)),
        (3, (128, 128, 0)),
        (4, (0, 0, 128)),
        (8, (64, 0, 0)),
        (15, (192, 128, 128)),  # person in PASCAL VOC
        (20, (0, 64, 128)),  # tv/monitor
        (255, (224, 224, 192)),  # void
    ],
)
def test_published_voc_colors(class_id: int, rgb: tuple[int, int, int]) -> None:
    assert tuple(voc_colormap()[class_id]) == rgb


def test_equals_labelmes_colormap() -> None:
    np.testing.assert_array_equal(voc_colormap(), imgviz.label_colormap())


def test_prefix_palette_and_read_only() -> None:
    np.testing.assert_array_equal(voc_colormap(5), voc_colormap()[:5])
    assert voc_palette() == voc_colormap().tobytes() and len(voc_palette()) == 768
    with pytest.raises(ValueError, match="read-only"):
        voc_colormap()[0, 0] = 1
    with pytest.raises(ValueError, match="between 0 and 256"):
        voc_colormap(257)


def test_palette_indices_map_ignore_to_void() -> None:
    label = np.array([[-1, 0], [1, 254]], dtype=np.int32)
    indices = palette_indices(label)
    assert indices.dtype == np.uint8
    np.testing.assert_array_equal(indices, [[255, 0], [1, 254]])
    np.testing.assert_array_equal(label, [[-1, 0], [1, 254]])
