"""The visualization: blended colors and a legend a person can read."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from seg_convert.core.colormap import voc_colormap
from seg_convert.render.fonts import (
    BUILTIN_FONT,
    choose_font,
    missing_characters,
)
from seg_convert.render.visualize import draw_visualization


def _scene(names: tuple[str, ...], font: str) -> np.ndarray:
    indices = np.zeros((120, 160), np.uint8)
    indices[10:60, 10:60] = 1
    indices[70:110, 20:40] = 255
    image = Image.new("RGB", (160, 120), (200, 100, 50))
    return np.asarray(
        draw_visualization(
            image.convert("L"), indices, class_names=names, font_source=font
        )
    )


def test_blends_gray_image_with_class_colors() -> None:
    viz = _scene(("_background_", "cat"), BUILTIN_FONT)
    gray = round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)
    for (y, x), class_id in (((30, 30), 1), ((5, 150), 0), ((80, 30), 255)):
        expected = (gray + voc_colormap()[class_id].astype(int)) / 2
        np.testing.assert_allclose(viz[y, x], expected, atol=1)


def test_inputs_are_not_modified() -> None:
    gray = Image.new("L", (8, 8), 9)
    indices = np.ones((8, 8), np.uint8)
    draw_visualization(
        gray, indices, class_names=("_background_", "a"), font_source=BUILTIN_FONT
    )
    assert gray.getpixel((0, 0)) == 9 and (indices == 1).all()


def test_legend_writes_the_names() -> None:
    """Different names must give different legend pixels."""
    font = choose_font(["cat", "dog"])
    assert not np.array_equal(
        _scene(("_background_", "cat"), font), _scene(("_background_", "dog"), font)
    )


def test_legend_writes_chinese_names_with_a_cjk_font() -> None:
    font = choose_font(["行人"])
    if missing_characters(font, "行人"):
        pytest.skip(
            "no installed font has 行人 (seg_convert.render.fonts.FONT_CANDIDATES "
            "lists where we look; e.g. apt-get install fonts-wqy-microhei)"
        )
    # With the "missing glyph" box both orders would draw the same pixels.
    assert not np.array_equal(
        _scene(("_background_", "行人"), font), _scene(("_background_", "人行"), font)
    )
