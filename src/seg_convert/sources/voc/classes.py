"""The class table of a VOC-style dataset, and the colors of its RGB masks.

The table is, first found: ``--labels``; ``labelmap.txt`` (Datumaro's and
CVAT's ``name:r,g,b:parts:actions`` lines, ``background`` being id 0 and
``ignored`` void, the other names ids 1, 2, ... in line order); ``class_names.txt``
(one name a line from ``_background_`` on, as labelme and we write it); VOC
2012's 20 classes, when the masks are palette PNGs with VOC's palette.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from seg_convert.core.colormap import voc_colormap
from seg_convert.core.errors import LabelsError
from seg_convert.core.files import FileRefused, read_regular, reason
from seg_convert.core.labels import (
    BACKGROUND_NAME,
    IGNORE_NAME,
    LABELMAP_BACKGROUND,
    LABELMAP_COMMENT,
    LABELMAP_SEPARATOR,
    LABELMAP_VOID,
    PASCAL_VOC_CLASSES,
    VOID_INDEX,
    LabelTable,
    parse_labels,
)

LABELMAP_FILE = "labelmap.txt"
CLASS_NAMES_FILE = "class_names.txt"
MAX_TEXT_BYTES = 1 << 20  # a class table, a split list: far less than this
VOC2012_NAMES = (
    "aeroplane bicycle bird boat bottle bus car cat chair cow diningtable dog "
    "horse motorbike person pottedplant sheep sofa train tvmonitor"
).split()

Color = tuple[int, int, int]
NOT_IN_LABELS = -2  # the id of a labelmap color whose class --labels lacks


@dataclass(frozen=True)
class Labelmap:
    """The lines of a labelmap.txt: each name (``background`` and ``ignored``
    as the file has them) and its color, in file order."""

    entries: tuple[tuple[str, Color], ...]

    def table(self, where: str) -> LabelTable:
        names = [
            name
            for name, _ in self.entries
            if name not in (LABELMAP_BACKGROUND, LABELMAP_VOID)
        ]
        return parse_labels(
            [IGNORE_NAME, BACKGROUND_NAME, *names], where=where, unit="item"
        )

    def colors(self, labels: LabelTable, where: str) -> Mapping[Color, int]:
        """Each color's value in a mask: its class id in ``labels``, 255 for
        void, as palette masks hold them (``NOT_IN_LABELS`` for a class the
        labels lack, which fails a mask that has it); black is the background
        unless the file gives it to another class."""
        found: dict[Color, int] = {(0, 0, 0): 0}
        for name, color in self.entries:
            if name == LABELMAP_VOID:
                found[color] = VOID_INDEX
                continue
            own = BACKGROUND_NAME if name == LABELMAP_BACKGROUND else name
            found[color] = labels.ids.get(own, NOT_IN_LABELS)
        return found


def read_text(path: Path, *, what: str) -> str:
    """A small UTF-8 text file (a BOM is fine), checked to be a regular file
    of at most ``MAX_TEXT_BYTES`` before it is read (``core.files``)."""
    try:
        data = read_regular(path, max_bytes=MAX_TEXT_BYTES)
    except FileRefused as error:
        if error.kind == "size":
            raise LabelsError(
                path, f"{what} is over {MAX_TEXT_BYTES:,} bytes"
            ) from None
        raise LabelsError(path, f"{what} is not a regular file") from None
    except OSError as error:
        raise LabelsError(path, f"cannot read: {reason(error)}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelsError(path, f"{what} is not UTF-8 text") from None


def read_labelmap(path: Path) -> Labelmap:
    """Read labelmap.txt as Datumaro does: lines stripped, ``#`` lines and
    empty ones skipped, fields split at every ``:``."""
    entries: list[tuple[str, Color]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(read_text(path, what=LABELMAP_FILE).splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(LABELMAP_COMMENT):
            continue
        name, _, rest = line.partition(LABELMAP_SEPARATOR)
        color_text = rest.split(LABELMAP_SEPARATOR)[0]
        try:
            color = tuple(int(part) for part in color_text.split(","))
        except ValueError:
            color = ()
        if len(color) != 3 or not all(0 <= part <= 255 for part in color):
            raise LabelsError(
                f"{path}:{number}",
                f"line {number}: {color_text!r} is not a color r,g,b of 0..255",
            )
        if name in seen:
            raise LabelsError(
                f"{path}:{number}",
                f"line {number} repeats {name!r} (line {seen[name]})",
            )
        seen[name] = number
        entries.append((name, (color[0], color[1], color[2])))
    return Labelmap(tuple(entries))


def read_class_names(path: Path) -> LabelTable:
    """class_names.txt: ``_background_`` (or ``background``) then a class a line."""
    lines = [
        line.strip() for line in read_text(path, what=CLASS_NAMES_FILE).splitlines()
    ]
    if lines and lines[0] == LABELMAP_BACKGROUND:
        lines[0] = BACKGROUND_NAME
    return parse_labels([IGNORE_NAME, *lines], where=str(path), unit="line")


def voc2012_labels() -> LabelTable:
    return LabelTable(names=(BACKGROUND_NAME, *VOC2012_NAMES))


def has_voc_palette(palette: list[int] | None) -> bool:
    """Whether a palette PNG's first 21 colors are VOC's (as VOC 2012's are)."""
    wanted = voc_colormap(PASCAL_VOC_CLASSES).ravel().tolist()
    return palette is not None and palette[: len(wanted)] == wanted
