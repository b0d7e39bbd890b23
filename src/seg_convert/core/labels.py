"""The class table: which label name gets which id.

The table follows labelme's ``labels.txt`` convention: line 1 is ``__ignore__``
(id -1, pixels a loss should skip), line 2 ``_background_`` (id 0), and every
following line a class whose id is its position after that.

A class name becomes a line of ``class_names.txt`` and the first field of a
``labelmap.txt`` line (``name:r,g,b:parts:actions``), so names that would break
those files are refused (see ``class_name_problem``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from seg_convert.core.errors import (
    LabelsError,
    breaks_lines,
    is_undecodable,
    undecodable_line,
)
from seg_convert.core.files import FileRefused, read_regular, reason

IGNORE_NAME = "__ignore__"
BACKGROUND_NAME = "_background_"
IGNORE_ID = -1
# Where the ignore id is stored in palette PNGs: index 255, VOC's void.
VOID_INDEX = 255
PASCAL_VOC_CLASSES = 21  # background included
# Palette PNGs hold indices 0..255 and 255 is void (the ignore id), so class
# ids 0..254 are all a table can have.
MAX_CLASSES = 255
_FIXED_FIRST_NAMES = ((IGNORE_NAME, "the ignore id -1"), (BACKGROUND_NAME, "id 0"))
# labelmap.txt's field separator; Datumaro splits each line at every one of them
# and has no escape, so a name cannot hold it.
LABELMAP_SEPARATOR = ":"
LABELMAP_COMMENT = "#"
# labelmap.txt names id 0 and void (255) as Datumaro's VOC support does; a class
# of the same name would be declared twice there.
LABELMAP_BACKGROUND = "background"
LABELMAP_VOID = "ignored"


def class_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a class name, or None when it can.

    A line break or other control character would add lines to
    ``class_names.txt`` and shift every later id. In ``labelmap.txt``, which
    Datumaro and CVAT read, a ``:`` splits the name into fields (``a:1,2,3::``
    gives class ``a`` a color of its own choosing), a leading ``#`` or spaces
    at either end are lost, as Datumaro strips each line and skips comment
    lines, and ``background`` and ``ignored`` are taken by id 0 and void.
    """
    if any(breaks_lines(ch) for ch in name):
        return "has a line break or another control character"
    if any(is_undecodable(ch) for ch in name):
        return "has bytes that are not UTF-8 text"
    if LABELMAP_SEPARATOR in name:
        return (
            f"has {LABELMAP_SEPARATOR!r}, which separates the fields of "
            "labelmap.txt (Datumaro and CVAT have no escape for it)"
        )
    if name.startswith(LABELMAP_COMMENT):
        return "starts with '#', which makes its labelmap.txt line a comment"
    if name != name.strip():
        return "has spaces at the start or end, which labels files do not keep"
    if name in (LABELMAP_BACKGROUND, LABELMAP_VOID):
        meaning = BACKGROUND_NAME if name == LABELMAP_BACKGROUND else "void (255)"
        return f"is what labelmap.txt calls {meaning}"
    return None


@dataclass(frozen=True)
class LabelTable:
    """Class names in id order, from ``_background_`` (id 0) on."""

    names: tuple[str, ...]
    ids: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = {IGNORE_NAME: IGNORE_ID}
        ids.update((name, index) for index, name in enumerate(self.names))
        object.__setattr__(self, "ids", MappingProxyType(ids))

    def __reduce__(self) -> tuple[type[LabelTable], tuple[tuple[str, ...]]]:
        # The ids mapping is derived and cannot be pickled; the names are enough.
        return type(self), (self.names,)


def parse_labels(
    entries: list[str], *, where: str, unit: str, implied: int = 0
) -> LabelTable:
    """Check label entries and build the table.

    ``where`` names the source in messages (a path or ``--labels``) and ``unit``
    what one entry is called there (``line`` or ``item``); the first
    ``implied`` entries are not in the source, so messages count after them.
    """
    names = [entry.strip() for entry in entries]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise LabelsError(
            where,
            f"no labels; the first two {unit}s must be "
            f"{IGNORE_NAME} and {BACKGROUND_NAME}",
        )

    def at(number: int) -> str:
        return f"{where}:{number}" if unit == "line" else where

    for index, (expected, role) in enumerate(_FIXED_FIRST_NAMES):
        if index < implied:
            continue
        number = index + 1 - implied
        got = names[index] if index < len(names) else None
        if got != expected:
            shown = "missing" if got is None else repr(got)
            raise LabelsError(
                at(number), f"{unit} {number} is {shown}, must be {expected} ({role})"
            )
    first_seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1 - implied):
        if not name:
            raise LabelsError(at(number), f"{unit} {number} is an empty class name")
        problem = class_name_problem(name)
        if problem is not None:
            raise LabelsError(
                at(number),
                f"{unit} {number}: class name {name!r} {problem}; rename the class "
                "(in the annotations too)",
            )
        if name in first_seen:
            earlier = first_seen[name]
            said = f"from {unit} {earlier}" if earlier > 0 else "(implied first)"
            raise LabelsError(
                at(number),
                f"{unit} {number} repeats {name!r} {said}; each class must appear once",
            )
        first_seen[name] = number
    classes = tuple(names[1:])
    if len(classes) > MAX_CLASSES:
        raise LabelsError(
            where,
            f"{len(classes)} classes from {BACKGROUND_NAME} on, but a palette PNG "
            f"holds at most {MAX_CLASSES} (index 255 is void)",
        )
    return LabelTable(names=classes)


# A class table of 254 names, each a long line, is a few kB; more is not one.
MAX_LABELS_BYTES = 1 << 20


def read_labels_file(path: Path) -> LabelTable:
    """Read a labels file: UTF-8 (a BOM is fine), LF or CRLF, one name a line."""
    try:
        data = read_regular(path, max_bytes=MAX_LABELS_BYTES)
    except FileRefused as error:
        what = {"special": "is a pipe or a device", "directory": "is a directory"}
        raise LabelsError(
            path, f"{what.get(error.kind, error.strerror)}, not a labels file"
        ) from None
    except OSError as error:
        raise LabelsError(path, f"cannot read: {reason(error)}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = undecodable_line(data, error)
        raise LabelsError(
            f"{path}:{line}", f"line {line} is not UTF-8 text; save the file as UTF-8"
        ) from None
    # Lines end at \n, \r\n or \r only, as labelme reads them: not at the other
    # characters str.splitlines() also breaks at (form feed, U+2028, ...).
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].strip() == BACKGROUND_NAME:
        # A class_names.txt seg-convert wrote: the ignore id goes without saying.
        return parse_labels(
            [IGNORE_NAME, *lines], where=str(path), unit="line", implied=1
        )
    return parse_labels(lines, where=str(path), unit="line")


def load_labels(spec: str) -> LabelTable:
    """Take ``--labels`` as labelme does: a file path, or comma-separated names."""
    path = Path(spec)
    try:
        exists, is_dir = path.exists(), path.is_dir()
        looped = not exists and path.is_symlink()
    except OSError:  # e.g. a comma list longer than a file name may be
        exists = is_dir = looped = False
    if is_dir:
        raise LabelsError(spec, "is a directory; give the labels file in it")
    if exists or looped:  # a file, or a pipe or device: reading says which
        return read_labels_file(path)
    if "," in spec:
        return parse_labels(spec.split(","), where="--labels", unit="item")
    raise LabelsError(
        spec,
        "no such labels file (give a file with one class per line, or "
        f"comma-separated names such as {IGNORE_NAME},{BACKGROUND_NAME},cat)",
    )
