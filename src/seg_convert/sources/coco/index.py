"""Indexing COCO instance files without loading them.

COCO files reach hundreds of MB (COCO 2017 train: 448 MB, 860k annotations);
``json.load`` would hold all of it as Python objects, several GB. Instead the
top-level object is scanned element by element (``images``, ``annotations``,
``categories``; other keys are skipped, a long value scanned without being
held), each element decoded with
``json.JSONDecoder.raw_decode`` from a buffer of about a megabyte and then
dropped. What is kept is per image its record, the byte spans of its
annotations in the file, and a digest of those bytes: 16 bytes a span, 8 a
digest. A worker re-reads and decodes only the annotations of its image.

The file is scanned as Latin-1 text, where a character is a byte, so positions
are byte offsets; the structure of JSON is ASCII, and the records whose text
is used (images, categories) are decoded again from their bytes as UTF-8.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seg_convert.core.errors import InputError
from seg_convert.core.files import FileRefused, open_regular, reason
from seg_convert.core.fingerprints import FilePrint
from seg_convert.core.inputs import Input
from seg_convert.sources.coco.exports import (
    file_stem,
    roboflow_placeholder,
    split_of_file,
)
from seg_convert.sources.coco.json_stream import JsonStream

# Ids are int64 in COCO's own tools (and in our index's arrays).
MAX_ID = (1 << 63) - 1
# A side of an image: pycocotools and the label arrays index with int32.
MAX_SIDE = (1 << 31) - 1
DIGEST_BYTES = 8
# The id kept for an image id beyond MAX_ID (ids are never negative): its
# image is refused on its own, with the annotations that name such an id.
OUT_OF_RANGE = -1


@dataclass(frozen=True)
class CocoImage(Input):
    """One image of a COCO file: ``source`` is the annotation file, ``stem`` the
    file name's name without its extension.

    ``spans`` holds the (start, end) byte offsets of its annotations in file
    order (``array('q')`` bytes); ``annotations_print`` is (their total bytes, a
    digest of them, of the image's record, the categories and the reading
    options), so editing one image's annotations changes its print alone.
    """

    image_id: int
    file_name: str
    width: int
    height: int
    spans: bytes = field(repr=False)
    annotations_print: FilePrint
    split: str | None  # train, val or test when the file's name or folder says it
    # Why the image is refused on its own (an id or size beyond its range),
    # and its id as the file gives it (image_id is OUT_OF_RANGE then).
    problem: str | None = None
    shown_id: str | None = None

    @property
    def where(self) -> str:
        shown = self.image_id if self.shown_id is None else self.shown_id
        return f"image {shown} ({self.file_name})"

    def annotation_spans(self) -> list[tuple[int, int]]:
        offsets = array("q")
        offsets.frombytes(self.spans)
        return list(zip(offsets[::2], offsets[1::2], strict=True))


@dataclass(frozen=True)
class CocoIndex:
    """The images of some COCO ``files``, in file then image order, and the
    categories they share (id -> name)."""

    files: tuple[Path, ...]
    images: tuple[CocoImage, ...]
    categories: Mapping[int, str]
    # Roboflow's placeholder (id, name), left out of ``categories``.
    placeholder: tuple[int, str] | None = None
    flatten_names: bool = False  # images named by their folders too


@dataclass(frozen=True)
class _ImageRecord:
    image_id: int
    file_name: str
    width: int
    height: int
    record: bytes
    problem: str | None = None
    shown_id: str | None = None


@dataclass
class FileScan:
    """What one file's scan keeps until every file is scanned."""

    path: Path
    images: list[_ImageRecord] = field(default_factory=list)
    image_ids: array[int] = field(default_factory=lambda: array("q"))
    spans: array[int] = field(default_factory=lambda: array("q"))
    digests: bytearray = field(default_factory=bytearray)
    used_categories: set[int] = field(default_factory=set)


def index_coco_files(
    paths: Sequence[Path], *, salt: bytes, flatten_names: bool = False
) -> CocoIndex:
    """Index ``paths``; ``salt`` (the reading options) goes into every print;
    ``flatten_names`` names images by their file_name's folders too.

    Raises InputError for what makes a file unusable as a whole: invalid JSON,
    an image record without id, file name or size, an annotation of an image
    the file does not have, two images of one name, categories that disagree.
    """
    categories: dict[int, str] = {}
    supercategories: dict[int, object] = {}
    scans = [scan_file(path, categories, supercategories) for path in paths]
    used = set().union(*(scan.used_categories for scan in scans))
    placeholder = roboflow_placeholder(categories, supercategories, used)
    if placeholder is not None:
        del categories[placeholder[0]]
    return build_index(
        tuple(paths),
        scans,
        categories,
        salt,
        placeholder=placeholder,
        flatten_names=flatten_names,
    )


def build_index(
    files: tuple[Path, ...],
    scans: Sequence[FileScan],
    categories: Mapping[int, str],
    salt: bytes,
    *,
    placeholder: tuple[int, str] | None = None,
    flatten_names: bool = False,
) -> CocoIndex:
    """The images of ``scans`` (their annotations' spans and prints, made
    with ``salt``), refusing two images that would have one name."""
    names = json.dumps(sorted(categories.items()), ensure_ascii=True).encode()
    salt = hashlib.blake2b(salt + b"\0" + names).digest()
    images: list[CocoImage] = []
    first: dict[str, CocoImage] = {}
    for scan in scans:
        for image in _file_images(scan, salt, flatten=flatten_names):
            other = first.setdefault(image.stem, image)
            if other is not image:
                raise InputError(
                    image.source,
                    f"image {image.image_id} ({image.file_name}) and image "
                    f"{other.image_id} ({other.file_name}) of {other.source.name} "
                    f"would both be written as {image.stem!r} (rename one, or use "
                    "--flatten-names)",
                )
            images.append(image)
    return CocoIndex(
        files=files,
        images=tuple(images),
        categories=categories,
        placeholder=placeholder,
        flatten_names=flatten_names,
    )


def _file_images(scan: FileScan, salt: bytes, *, flatten: bool) -> Iterator[CocoImage]:
    ids = np.frombuffer(scan.image_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")  # file order within an image
    sorted_ids = ids[order]
    spans = np.frombuffer(scan.spans, dtype=np.int64).reshape(-1, 2)
    digests = np.frombuffer(bytes(scan.digests), dtype=np.uint8).reshape(
        -1, DIGEST_BYTES
    )
    known = np.array([image.image_id for image in scan.images], dtype=np.int64)
    strays = np.flatnonzero(~np.isin(ids, known))
    if strays.size:
        stray = ids[strays[0]]
        shown = "beyond 64 bits" if stray == OUT_OF_RANGE else stray
        raise InputError(
            scan.path,
            f"annotations[{strays[0]}] is of image_id {shown}, which 'images' "
            "does not have",
        )
    split = split_of_file(scan.path)
    for image in scan.images:
        image_id, file_name, record = image.image_id, image.file_name, image.record
        low = np.searchsorted(sorted_ids, image_id, side="left")
        high = np.searchsorted(sorted_ids, image_id, side="right")
        mine = order[low:high]
        mine_spans = spans[mine]
        digest = hashlib.blake2b(
            salt + record + digests[mine].tobytes(), digest_size=DIGEST_BYTES
        ).digest()
        yield CocoImage(
            source=scan.path,
            stem=file_stem(file_name, flatten=flatten),
            image_id=image_id,
            file_name=file_name,
            width=image.width,
            height=image.height,
            spans=mine_spans.tobytes(),
            annotations_print=(
                int((mine_spans[:, 1] - mine_spans[:, 0]).sum()),
                int.from_bytes(digest, "big", signed=True),
            ),
            split=split,
            problem=image.problem,
            shown_id=image.shown_id,
        )


def scan_file(
    path: Path,
    categories: dict[int, str],
    supercategories: dict[int, object],
    *,
    annotations: bool = True,
) -> FileScan:
    """What ``path`` holds, its categories added to ``categories``; with
    ``annotations=False`` (an instances file giving the images and categories
    of a results list) its annotations are passed over, one by one."""
    scan = FileScan(path)
    try:
        with open_regular(path) as stream:
            reader = JsonStream(stream, path)
            if reader.starts_with("["):
                raise InputError(
                    path,
                    "is a list, as COCO results are: give the instances file "
                    "of its images and categories with --categories",
                )
            seen = set()
            for key in reader.object_keys():
                if key in seen:  # json.load would keep the last, we read both
                    raise InputError(path, f"the top-level key {key!r} appears twice")
                seen.add(key)
                if key == "images":
                    _read_images(reader, scan)
                elif key == "annotations" and annotations:
                    _read_annotations(reader, scan)
                elif key == "categories":
                    _read_categories(reader, categories, supercategories)
                else:
                    reader.skip_value()
    except FileRefused as error:
        hint = " (save it to a file and give that)" if error.kind == "special" else ""
        raise InputError(path, f"{error.strerror}, not a COCO file{hint}") from None
    except OSError as error:
        raise InputError(path, f"cannot read: {reason(error)}") from None
    for key in ("images", "categories"):
        if key not in seen:
            raise InputError(path, f"no {key!r}: not a COCO instances file?")
    return scan


def _read_images(reader: JsonStream, scan: FileScan) -> None:
    ids: set[int] = set()
    for index, (start, end) in enumerate(reader.array_spans()):
        record = reader.bytes_between(start, end)
        item = _record(reader.path, f"images[{index}]", record)
        image_id = integer(reader.path, f"images[{index}]", item, "id", most=None)
        where = f"images[{index}] (id {_short_number(image_id)})"
        file_name = item.get("file_name")
        if not isinstance(file_name, str) or not file_stem(file_name):
            raise InputError(reader.path, f"{where}: 'file_name' is not a file name")
        width = integer(reader.path, where, item, "width", least=1, most=None)
        height = integer(reader.path, where, item, "height", least=1, most=None)
        # Beyond their ranges, the image alone is refused (its annotations
        # are not drawn); the others are converted.
        problem = (
            _beyond("id", image_id, MAX_ID)
            or _beyond("width", width, MAX_SIDE)
            or _beyond("height", height, MAX_SIDE)
        )
        if problem is not None:
            scan.images.append(
                _ImageRecord(
                    image_id if image_id <= MAX_ID else OUT_OF_RANGE,
                    file_name,
                    1,
                    1,
                    record,
                    problem,
                    _short_number(image_id),
                )
            )
            continue
        if image_id in ids:
            raise InputError(reader.path, f"{where}: another image has this id")
        ids.add(image_id)
        scan.images.append(_ImageRecord(image_id, file_name, width, height, record))


def _read_annotations(reader: JsonStream, scan: FileScan) -> None:
    for index, (start, end) in enumerate(reader.array_spans()):
        item = reader.last_value
        where = f"annotations[{index}]"
        if not isinstance(item, dict):
            raise InputError(reader.path, f"{where} is not an object")
        image_id = integer(reader.path, where, item, "image_id", most=None)
        scan.image_ids.append(image_id if image_id <= MAX_ID else OUT_OF_RANGE)
        category_id = item.get("category_id")
        if isinstance(category_id, int):
            scan.used_categories.add(category_id)
        scan.spans.extend((start, end))
        scan.digests += hashlib.blake2b(
            reader.bytes_between(start, end), digest_size=DIGEST_BYTES
        ).digest()


def _read_categories(
    reader: JsonStream, categories: dict[int, str], supercategories: dict[int, object]
) -> None:
    for index, (start, end) in enumerate(reader.array_spans()):
        where = f"categories[{index}]"
        item = _record(reader.path, where, reader.bytes_between(start, end))
        category_id = integer(reader.path, where, item, "id")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(reader.path, f"{where}: 'name' is not a name")
        supercategories.setdefault(category_id, item.get("supercategory"))
        known = categories.setdefault(category_id, name)
        if known != name:
            raise InputError(
                reader.path,
                f"{where}: category {category_id} is named {name!r} here but "
                f"{known!r} before; give files that share their categories",
            )


def _record(path: Path, where: str, data: bytes) -> dict[str, Any]:
    try:
        item = json.loads(data)
    except ValueError:  # not UTF-8: the scan read it as Latin-1
        raise InputError(path, f"{where} is not UTF-8 text") from None
    if not isinstance(item, dict):
        raise InputError(path, f"{where} is not an object")
    return item


def integer(
    path: Path,
    where: str,
    item: Mapping[str, Any],
    key: str,
    *,
    least: int = 0,
    most: int | None = MAX_ID,
) -> int:
    """An integer of at least ``least``; beyond ``most`` (None: unchecked
    here, the caller refuses the record alone) it fails the file."""
    value = item.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise InputError(
            path, f"{where}: {key!r} must be an integer of at least {least}"
        )
    problem = None if most is None else _beyond(key, value, most)
    if problem is not None:
        raise InputError(path, f"{where}: {problem}")
    return value


def _beyond(key: str, value: int, most: int) -> str | None:
    if value <= most:
        return None
    why = " (COCO's ids are 64-bit integers)" if most == MAX_ID else ""
    return f"{key!r} is {_short_number(value)}, more than {most:,}{why}"


def _short_number(value: int) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"a number of {len(text):,} digits"
