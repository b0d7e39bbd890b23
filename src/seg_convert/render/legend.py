"""Which color is which class: the color table and a legend chart.

The chart is drawn like the PASCAL VOC color map chart: one band per class in its
color, with its id and name, and the void color last.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from seg_convert.core.colormap import VOID_INDEX, voc_colormap
from seg_convert.core.labels import (
    IGNORE_ID,
    IGNORE_NAME,
    PASCAL_VOC_CLASSES,
    LabelTable,
)
from seg_convert.render.fonts import load_font

DEFAULT_COUNT = PASCAL_VOC_CLASSES
_BAND_HEIGHT = 28
_BAND_WIDTH = 360
_FONT_SIZE = 16


@dataclass(frozen=True)
class ColorEntry:
    """One class: its id in label arrays, its palette index, name and color."""

    class_id: int
    index: int
    name: str
    rgb: tuple[int, int, int]


def color_table(
    labels: LabelTable | None, *, count: int = DEFAULT_COUNT
) -> list[ColorEntry]:
    """The classes of ``labels`` (or ids ``0 .. count-1``, unnamed), then void.

    Void is the ignore id -1, stored as palette index 255.
    """
    names = labels.names if labels is not None else ("",) * count
    if len(names) > VOID_INDEX:
        raise ValueError(f"at most {VOID_INDEX} classes, got {len(names)}")
    entries = [
        ColorEntry(index, index, name, _rgb(index)) for index, name in enumerate(names)
    ]
    entries.append(ColorEntry(IGNORE_ID, VOID_INDEX, IGNORE_NAME, _rgb(VOID_INDEX)))
    return entries


def _rgb(index: int) -> tuple[int, int, int]:
    red, green, blue = voc_colormap()[index].tolist()
    return red, green, blue


def draw_legend(entries: list[ColorEntry], *, font_source: str) -> Image.Image:
    """A chart with one band per entry: its color, ``id name`` written on it."""
    font = load_font(font_source, _FONT_SIZE)
    chart = Image.new("RGB", (_BAND_WIDTH, _BAND_HEIGHT * len(entries)), "white")
    draw = ImageDraw.Draw(chart)
    for number, entry in enumerate(entries):
        top = number * _BAND_HEIGHT
        draw.rectangle(
            (0, top, _BAND_WIDTH - 1, top + _BAND_HEIGHT - 1), fill=entry.rgb
        )
        # Dark text on light colors, light text on dark ones.
        luma = 0.299 * entry.rgb[0] + 0.587 * entry.rgb[1] + 0.114 * entry.rgb[2]
        ink = (0, 0, 0) if luma > 128 else (255, 255, 255)
        label = f"{entry.class_id}  {entry.name}".rstrip()
        draw.text(
            (8, top + (_BAND_HEIGHT - _FONT_SIZE) // 2 - 1), label, font=font, fill=ink
        )
    return chart
