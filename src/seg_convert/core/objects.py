"""A sample's objects: what each is, the geometry its source gave, its mask.

An object keeps the geometry its source had — labelme shapes, COCO polygons in
image coordinates, or an RLE — so that a format that writes geometry (COCO
polygons, later YOLO outlines) takes it as drawn, vertex for vertex. Its mask is
drawn only when a format asks for pixels (COCO's RLE, area and box; VOC's
boxes), once, by the source's own rules (labelme's drawing for shapes,
pycocotools' decoding for COCO).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from seg_convert.core.shapes import Shape

# (x0, y0, x1, y1): the first column and row in the box and the ones after it.
Box = tuple[int, int, int, int]
# (H, W) uint8, 1 inside, Fortran order (what ``pycocotools.mask.encode`` takes
# without a copy), read-only; and the box of its 1s (None: empty).
DrawnMask = tuple[npt.NDArray[np.uint8], Box | None]


@dataclass(frozen=True)
class Shapes:
    """Labelme shapes, as the file has them (the parts of one object)."""

    shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class Polygons:
    """Polygons in image coordinates, each flat ``[x0, y0, x1, y1, ...]`` as
    COCO stores them (the parts of one object)."""

    polygons: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Rle:
    """A mask given as pixels: a COCO run-length encoding (pycocotools' form,
    ``{"size": [h, w], "counts": ...}``)."""

    rle: dict[str, Any] = field(compare=False, repr=False)


Geometry = Shapes | Polygons | Rle


@dataclass(frozen=True)
class SampleObject:
    """One object of a sample: not ``__ignore__``, ``_background_`` or a crowd.

    ``number`` is its id in the instance array (SegmentationObject).
    ``truncated``: its geometry reaches outside the image. ``draw`` makes its
    whole mask (the union of its parts, not cut by objects over it).
    """

    number: int
    label: str
    class_id: int
    geometry: Geometry
    truncated: bool
    draw: Callable[[], DrawnMask] = field(compare=False, repr=False)

    @functools.cached_property
    def _drawn(self) -> DrawnMask:
        return self.draw()

    @property
    def mask(self) -> npt.NDArray[np.uint8]:
        """(H, W) uint8, 1 inside, Fortran order, read-only."""
        return self._drawn[0]

    @property
    def box(self) -> Box | None:
        """The box of the mask's 1s; None when it is empty (the object lies
        wholly outside the image)."""
        return self._drawn[1]

    @property
    def shapes(self) -> tuple[Shape, ...]:
        """The labelme shapes of the object; () for geometry of another kind."""
        return self.geometry.shapes if isinstance(self.geometry, Shapes) else ()
