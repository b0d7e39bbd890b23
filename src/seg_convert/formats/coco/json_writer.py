"""Writing a COCO JSON file item by item, so a big dataset need not fit in memory.

A COCO file is one JSON object whose ``images`` and ``annotations`` lists hold
the whole split. They are written as they come from two iterables (the caller
reads its per-image parts back from disk, once for each list), one item a line,
into a temporary file renamed into place at the end: readers see the old file or
the whole new one; when the old file holds the same bytes it is kept as it is, so
that a re-run that changes nothing leaves every modification time alone (as
labelme2voc's once-per-dataset files do). Same items, same bytes: no timestamps unless
``SOURCE_DATE_EPOCH`` asks for one, keys in the order given, ASCII only (names
that are not UTF-8 survive as escapes).
"""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from seg_convert.core.errors import OutputError, SegConvertError
from seg_convert.core.files import reason as os_reason
from seg_convert.io.atomic import replacing

Item = Mapping[str, object]


def write_coco_json(
    path: Path,
    *,
    root: Path,
    info: Item,
    licenses: Sequence[Item],
    images: Iterable[Item],
    annotations: Iterable[Item],
    categories: Sequence[Item],
) -> None:
    """Write a COCO file (instances or panoptic: the same five keys) at ``path``,
    reached from the output directory ``root`` without following a link below
    it.

    ``images`` is consumed before ``annotations`` is started. Nothing is left
    at ``path`` or beside it if writing fails; an OSError is an OutputError.
    """
    try:
        with (
            replacing(path, root=root, unless_same=True) as binary,
            io.TextIOWrapper(binary, encoding="ascii", newline="\n") as stream,
        ):
            stream.write(f'{{"info":{_dumps(info)},\n"licenses":')
            _write_list(stream, licenses)
            stream.write(',\n"images":')
            _write_list(stream, images)
            stream.write(',\n"annotations":')
            _write_list(stream, annotations)
            stream.write(',\n"categories":')
            _write_list(stream, categories)
            stream.write("}\n")
    except OSError as error:
        reason = os_reason(error) or error
        raise OutputError(path, f"cannot write: {reason}") from None


def dataset_info(
    *, description: str, version: str, source_date_epoch: str | None
) -> dict[str, object]:
    """COCO's ``info``: what made the file, and when only if asked.

    ``source_date_epoch`` is the ``SOURCE_DATE_EPOCH`` variable (seconds since
    1970, the reproducible-builds convention): when set, ``year`` and
    ``date_created`` are that moment in UTC; when not, there are none, so that
    the same inputs give the same file.
    """
    info: dict[str, object] = {"description": description, "version": version}
    if source_date_epoch is None:
        return info
    try:
        seconds = int(source_date_epoch)
        moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise SegConvertError(
            None,
            f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got "
            f"{source_date_epoch!r} (fix or unset it)",
        ) from None
    info["year"] = moment.year
    info["date_created"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return info


def _write_list(stream: TextIO, items: Iterable[Item]) -> None:
    separator = "[\n"
    for item in items:
        stream.write(separator)
        stream.write(_dumps(item))
        separator = ",\n"
    stream.write("[]" if separator == "[\n" else "\n]")


def _dumps(item: object) -> str:
    # allow_nan=False: NaN and Infinity are not JSON, and loaders reject them.
    return json.dumps(item, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
