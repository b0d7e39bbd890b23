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

from seg_convert.core.colormap import VOID_INDEX, voc_colormap, voc_palette
from seg_convert.core.labels import IGNORE_NAME
from seg_convert.render.fonts import load_font

_ALPHA = 0.5
_LEGEND_BACKGROUND = (255, 255, 255)
_LEGEND_TEXT = (0, 0, 0)
_OUTLINE = (255, 255, 255)
Color = tuple[int, int, int]


def draw_visualization(
    gray: Image.Image,
    indices: npt.NDArray[np.uint8],
    *,
    class_names: Sequence[str],
    font_source: str,
) -> Image.Image:
    """Blend the (H, W) palette ``indices`` (255: ignore) over the gray image
    (mode "L") in their VOC colors, and add a legend.

    ``class_names[i]`` names index ``i`` in the legend; an empty name is left out.
    """
    colors = Image.frombuffer("P", gray.size, indices, "raw", "P", 0, 1)
    colors.putpalette(voc_palette())
    # Three planes of gray: the same pixels as gray.convert("RGB"), in less time.
    blended = Image.blend(
        Image.merge("RGB", (gray,) * 3), colors.convert("RGB"), _ALPHA
    )
    entries = []
    for index, count in enumerate(colors.histogram()):
        if not count or (index >= len(class_names) and index != VOID_INDEX):
            continue
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


def draw_outlines(
    image: Image.Image, instances: npt.NDArray[np.int32], *, color: Color = _OUTLINE
) -> Image.Image:
    """Mark in ``color`` the edge pixels of each object in the (H, W) instance
    ids (0: none), where it meets another object or the background, so that
    touching objects of one class can be told apart."""
    edges = np.zeros(instances.shape, dtype=bool)
    across = instances[:, 1:] != instances[:, :-1]
    edges[:, 1:] |= across
    edges[:, :-1] |= across
    down = instances[1:, :] != instances[:-1, :]
    edges[1:, :] |= down
    edges[:-1, :] |= down
    edges &= instances > 0
    outlined = image.copy()
    outlined.paste(color, mask=Image.fromarray(edges.astype(np.uint8) * 255))
    return outlined
