"""The visualization a person checks a conversion with.

The image is shown in gray so the class colors stand out, each pixel blended half
and half with the VOC color of its class, and a legend in the bottom-right corner
names every class present, with its color.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from .colormap import VOID_INDEX, palette_indices, voc_colormap, voc_palette
from .fonts import load_font
from .labels import IGNORE_NAME

_ALPHA = 0.5
_LEGEND_BACKGROUND = (255, 255, 255)
_LEGEND_TEXT = (0, 0, 0)


def draw_visualization(
    image: Image.Image,
    label: npt.NDArray[np.int32],
    *,
    class_names: Sequence[str],
    font_source: str,
) -> Image.Image:
    """Blend the (H, W) int32 ``label`` over the RGB ``image`` and add a legend.

    ``class_names[i]`` names id ``i`` in the legend; an empty name is left out.
    """
    indices = palette_indices(label)
    colors = Image.frombytes("P", image.size, indices.tobytes())
    colors.putpalette(voc_palette())
    gray = image.convert("L").convert("RGB")
    blended = Image.blend(gray, colors.convert("RGB"), _ALPHA)
    present = np.flatnonzero(np.bincount(indices.ravel(), minlength=VOID_INDEX + 1))
    entries = []
    for index in present.tolist():
        name = IGNORE_NAME if index == VOID_INDEX else class_names[index]
        if name:
            entries.append((name, index))
    if entries:
        _draw_legend(blended, entries, font_source)
    return blended


def _draw_legend(
    canvas: Image.Image, entries: list[tuple[str, int]], font_source: str
) -> None:
    # Sized to the image so the legend is legible on phone photos and thumbnails
    # alike, shrunk if all the rows would not fit.
    margin = max(2, min(canvas.size) // 100)
    size = max(12, min(40, min(canvas.size) // 22))
    size = max(6, min(size, (canvas.height - 2 * margin) * 10 // (13 * len(entries))))
    font = load_font(font_source, size)
    row = size * 13 // 10
    swatch = size
    text_width = max(int(font.getbbox(name)[2]) for name, _ in entries)
    width = margin + swatch + margin + text_width + margin
    height = margin + row * len(entries) + margin
    left = max(0, canvas.width - width - margin)
    top = max(0, canvas.height - height - margin)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((left, top, left + width, top + height), fill=_LEGEND_BACKGROUND)
    colormap = voc_colormap()
    for number, (name, index) in enumerate(entries):
        y = top + margin + number * row
        color = tuple(int(c) for c in colormap[index])
        x = left + margin
        draw.rectangle((x, y, x + swatch - 1, y + swatch - 1), fill=color)
        draw.text((x + swatch + margin, y), name, font=font, fill=_LEGEND_TEXT)
