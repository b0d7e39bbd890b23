"""A YOLO label file read as ultralytics reads it, stricter where it would
misread.

Rows are split on whitespace, blank ones skipped; the file is of segments when
any row has more than 6 values (as ultralytics decides, once per file), else
of boxes. A box row is ``CLASS cx cy w h``, a segment row ``CLASS x1 y1 ...``
(3 points or more), normalized to the image. A segment file's box rows are
read as boxes, with a warning: ultralytics 8.4 drops such a file as corrupt
(older releases read those rows as 2-point segments). A row that cannot be
read (a class that is not a whole number below the names' count, values that
are not numbers, an odd number of coordinates, under 3 points, values far
outside [0, 1]) fails the image with its line number; values slightly outside
(by up to ``TOLERANCE``, ultralytics' own) are clipped, with a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TOLERANCE = 0.01
_MAX_BOX_TOKENS = 6

WARNING_MIXED = (
    "label files mixing box and segment rows: box rows read as boxes "
    "(ultralytics 8.4 drops such files as corrupt)"
)
WARNING_CLIPPED = "coordinates slightly outside [0, 1] clipped to the image"


class LabelLineError(ValueError):
    """A row that cannot be read; the message names its line."""


@dataclass(frozen=True)
class Row:
    """One object: its YOLO class and its polygon, normalized, flat
    ``[x0, y0, x1, y1, ...]`` (a box as its 4 corners)."""

    line: int
    yolo_class: int
    polygon: tuple[float, ...]
    box: bool


def read_rows(text: str, *, classes: int) -> tuple[list[Row], set[str]]:
    """The rows of a label file's ``text`` for ``classes`` names, and warnings."""
    rows = [
        (number, line.split())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]
    segments = any(len(tokens) > _MAX_BOX_TOKENS for _, tokens in rows)
    warnings: set[str] = set()
    found = []
    for number, tokens in rows:
        values = [_number(token, number) for token in tokens]
        yolo_class = _class(values[0], number, classes)
        coordinates = values[1:]
        box = len(tokens) == 5
        if box and segments:
            warnings.add(WARNING_MIXED)
        if len(coordinates) % 2:
            raise LabelLineError(
                f"line {number}: {len(coordinates)} coordinates, an odd number"
            )
        if not box and len(coordinates) < 6:
            raise LabelLineError(
                f"line {number}: {len(coordinates) // 2} points; a segment needs 3 "
                "or more (a box has 4 values: cx cy w h)"
            )
        polygon = _box_corners(coordinates, number) if box else coordinates
        clipped = [_clip(value, number) for value in polygon]
        if clipped != polygon:
            warnings.add(WARNING_CLIPPED)
        found.append(Row(number, yolo_class, tuple(clipped), box))
    return found, warnings


def _number(token: str, number: int) -> float:
    try:
        value = float(token)
    except ValueError:
        raise LabelLineError(f"line {number}: {token[:20]!r} is not a number") from None
    if not math.isfinite(value):
        raise LabelLineError(f"line {number}: {token[:20]!r} is not a finite number")
    return value


def _class(value: float, number: int, classes: int) -> int:
    if value != int(value) or not 0 <= value < classes:
        raise LabelLineError(
            f"line {number}: class {value:g} is not one of the {classes} names "
            f"(0 to {classes - 1})"
        )
    return int(value)


def _box_corners(values: list[float], number: int) -> list[float]:
    cx, cy, w, h = values
    if w < 0 or h < 0:
        raise LabelLineError(f"line {number}: a box of negative width or height")
    x0, y0, x1, y1 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def _clip(value: float, number: int) -> float:
    if -TOLERANCE <= value <= 1 + TOLERANCE:
        return min(max(value, 0.0), 1.0)
    raise LabelLineError(
        f"line {number}: {value:g} is outside [0, 1] (are the coordinates "
        "normalized to the image?)"
    )
