"""The PASCAL VOC color map, the palette of every label PNG we write.

VOC colors are made by dealing the bits of a label id out to the three color
channels, starting at each channel's most significant bit: id bit 0 sets red bit 7,
bit 1 green bit 7, bit 2 blue bit 7, bit 3 red bit 6, and so on. Neighbouring ids
thus get very different colors, and the map is the same in every tool that
reads VOC data. Id 0 is black; index 255, which VOC uses for void (our ignore id
-1), is (224, 224, 192).
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

from seg_convert.core.labels import VOID_INDEX as VOID_INDEX  # its index in our palette

PALETTE_SIZE = 256


@functools.cache
def _voc_colormap_256() -> npt.NDArray[np.uint8]:
    ids = np.arange(PALETTE_SIZE)
    colormap = np.zeros((PALETTE_SIZE, 3), dtype=np.uint8)
    for level in range(8):
        for channel in range(3):
            bit = (ids >> (3 * level + channel)) & 1
            colormap[:, channel] |= (bit << (7 - level)).astype(np.uint8)
    colormap.setflags(write=False)
    return colormap


def voc_colormap(n: int = PALETTE_SIZE) -> npt.NDArray[np.uint8]:
    """Return the colors of ids ``0 .. n-1`` as an (n, 3) uint8 array (read-only).

    ``n`` may be at most 256, the ids a palette PNG can index.
    """
    if not 0 <= n <= PALETTE_SIZE:
        raise ValueError(f"n must be between 0 and {PALETTE_SIZE}, got {n}")
    return _voc_colormap_256()[:n]


def voc_palette() -> bytes:
    """The 768-byte R, G, B palette for a mode "P" PNG."""
    return voc_colormap().tobytes()


def palette_indices(label: npt.NDArray[np.int32]) -> npt.NDArray[np.uint8]:
    """Map an (H, W) int32 label array to palette indices: -1 (ignore) becomes 255.

    Class ids are 0..254 by construction of the label table.
    """
    return np.where(label < 0, VOID_INDEX, label).astype(np.uint8)
