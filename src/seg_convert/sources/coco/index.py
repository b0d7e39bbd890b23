"""Indexing COCO instance files without loading them.

COCO files reach hundreds of MB (COCO 2017 train: 448 MB, 860k annotations);
``json.load`` would hold all of it as Python objects, several GB. Instead the
top-level object is scanned element by element (``images``, ``annotations``,
``categories``; other keys are decoded and dropped), each element decoded with
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
import re
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, NoReturn

import numpy as np

from seg_convert.core.errors import InputError
from seg_convert.core.fingerprints import FilePrint
from seg_convert.core.inputs import Input

_CHUNK = 1 << 20
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
DIGEST_BYTES = 8
# Longer than any token an error can point into the start of: a \uXXXX escape.
_LONGEST_TOKEN = 8
# Words in a file name that fix its images' split (COCO's instances_val2017.json).
SPLIT_WORDS = ("train", "val")


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
    split: str | None  # train or val when the file's name says it

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


@dataclass
class FileScan:
    """What one file's scan keeps until every file is scanned."""

    path: Path
    images: list[tuple[int, str, int, int, bytes]] = field(default_factory=list)
    image_ids: array[int] = field(default_factory=lambda: array("q"))
    spans: array[int] = field(default_factory=lambda: array("q"))
    digests: bytearray = field(default_factory=bytearray)


def index_coco_files(paths: Sequence[Path], *, salt: bytes) -> CocoIndex:
    """Index ``paths``; ``salt`` (the reading options) goes into every print.

    Raises InputError for what makes a file unusable as a whole: invalid JSON,
    an image record without id, file name or size, an annotation of an image
    the file does not have, two images of one name, categories that disagree.
    """
    categories: dict[int, str] = {}
    scans = [scan_file(path, categories) for path in paths]
    return build_index(tuple(paths), scans, categories, salt)


def build_index(
    files: tuple[Path, ...],
    scans: Sequence[FileScan],
    categories: Mapping[int, str],
    salt: bytes,
) -> CocoIndex:
    """The images of ``scans`` (their annotations' spans and prints, made
    with ``salt``), refusing two images that would have one name."""
    names = json.dumps(sorted(categories.items()), ensure_ascii=True).encode()
    salt = hashlib.blake2b(salt + b"\0" + names).digest()
    images: list[CocoImage] = []
    first: dict[str, CocoImage] = {}
    for scan in scans:
        for image in _file_images(scan, salt):
            other = first.setdefault(image.stem, image)
            if other is not image:
                raise InputError(
                    image.source,
                    f"image {image.image_id} ({image.file_name}) and image "
                    f"{other.image_id} ({other.file_name}) of {other.source.name} "
                    f"would both be written as {image.stem!r} (rename one)",
                )
            images.append(image)
    return CocoIndex(files=files, images=tuple(images), categories=categories)


def split_of_file(path: Path) -> str | None:
    """``train`` or ``val`` when the file's name holds one of them only."""
    found = [word for word in SPLIT_WORDS if word in path.name.lower()]
    return found[0] if len(found) == 1 else None


def _file_images(scan: FileScan, salt: bytes) -> Iterator[CocoImage]:
    ids = np.frombuffer(scan.image_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")  # file order within an image
    sorted_ids = ids[order]
    spans = np.frombuffer(scan.spans, dtype=np.int64).reshape(-1, 2)
    digests = np.frombuffer(bytes(scan.digests), dtype=np.uint8).reshape(
        -1, DIGEST_BYTES
    )
    known = np.array([record[0] for record in scan.images], dtype=np.int64)
    strays = np.flatnonzero(~np.isin(ids, known))
    if strays.size:
        raise InputError(
            scan.path,
            f"annotations[{strays[0]}] is of image_id {ids[strays[0]]}, which "
            "'images' does not have",
        )
    split = split_of_file(scan.path)
    for image_id, file_name, width, height, record in scan.images:
        low, high = np.searchsorted(sorted_ids, [image_id, image_id + 1])
        mine = order[low:high]
        mine_spans = spans[mine]
        digest = hashlib.blake2b(
            salt + record + digests[mine].tobytes(), digest_size=DIGEST_BYTES
        ).digest()
        yield CocoImage(
            source=scan.path,
            stem=PurePosixPath(file_name).stem,
            image_id=image_id,
            file_name=file_name,
            width=width,
            height=height,
            spans=mine_spans.tobytes(),
            annotations_print=(
                int((mine_spans[:, 1] - mine_spans[:, 0]).sum()),
                int.from_bytes(digest, "big", signed=True),
            ),
            split=split,
        )


def scan_file(
    path: Path, categories: dict[int, str], *, annotations: bool = True
) -> FileScan:
    scan = FileScan(path)
    try:
        with path.open("rb") as stream:
            reader = Reader(stream, path)
            if reader.starts_with("["):
                raise InputError(
                    path,
                    "is a list, as COCO results are: give the instances file "
                    "of its images and categories with --categories",
                )
            seen = set()
            for key in reader.object_keys():
                seen.add(key)
                if key == "images":
                    _read_images(reader, scan)
                elif key == "annotations" and annotations:
                    _read_annotations(reader, scan)
                elif key == "annotations":
                    for _ in reader.array_spans():  # one by one: files are large
                        pass
                elif key == "categories":
                    _read_categories(reader, categories)
                else:
                    reader.value()
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror}") from None
    for key in ("images", "categories"):
        if key not in seen:
            raise InputError(path, f"no {key!r}: not a COCO instances file?")
    return scan


def _read_images(reader: Reader, scan: FileScan) -> None:
    ids: set[int] = set()
    for index, (start, end) in enumerate(reader.array_spans()):
        record = reader.bytes_between(start, end)
        item = _record(reader.path, f"images[{index}]", record)
        image_id = integer(reader.path, f"images[{index}]", item, "id")
        where = f"images[{index}] (id {image_id})"
        file_name = item.get("file_name")
        if not isinstance(file_name, str) or not PurePosixPath(file_name).stem:
            raise InputError(reader.path, f"{where}: 'file_name' is not a file name")
        width = integer(reader.path, where, item, "width", least=1)
        height = integer(reader.path, where, item, "height", least=1)
        if image_id in ids:
            raise InputError(reader.path, f"{where}: another image has this id")
        ids.add(image_id)
        scan.images.append((image_id, file_name, width, height, record))


def _read_annotations(reader: Reader, scan: FileScan) -> None:
    for index, (start, end) in enumerate(reader.array_spans()):
        item = reader.last_value
        where = f"annotations[{index}]"
        if not isinstance(item, dict):
            raise InputError(reader.path, f"{where} is not an object")
        scan.image_ids.append(integer(reader.path, where, item, "image_id"))
        scan.spans.extend((start, end))
        scan.digests += hashlib.blake2b(
            reader.bytes_between(start, end), digest_size=DIGEST_BYTES
        ).digest()


def _read_categories(reader: Reader, categories: dict[int, str]) -> None:
    for index, (start, end) in enumerate(reader.array_spans()):
        where = f"categories[{index}]"
        item = _record(reader.path, where, reader.bytes_between(start, end))
        category_id = integer(reader.path, where, item, "id")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(reader.path, f"{where}: 'name' is not a name")
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
    path: Path, where: str, item: Mapping[str, Any], key: str, *, least: int = 0
) -> int:
    value = item.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise InputError(
            path, f"{where}: {key!r} must be an integer of at least {least}"
        )
    return value


class Reader:
    """A JSON document read value by value from a binary stream."""

    def __init__(self, stream: IO[bytes], path: Path) -> None:
        self.path = path
        self.last_value: Any = None
        self._stream = stream
        self._text = ""
        self._base = 0  # the byte offset of _text[0]
        self._pos = 0
        self._eof = False

    def object_keys(self) -> Iterator[str]:
        """The keys of the top-level object; the caller reads each value."""
        self._take("{")
        if self._peek() == "}":
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                self._fail("expected a key")
            self._take(":")
            yield key
            if self._peek() == "}":
                self._pos += 1
                return
            self._take(",")

    def starts_with(self, character: str) -> bool:
        """Whether the next value starts with ``character``."""
        return self._peek() == character

    def array_spans(self) -> Iterator[tuple[int, int]]:
        """The byte spans of an array's elements (each decoded into
        ``last_value``, and so checked, as it goes)."""
        self._take("[")
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            self._peek()
            start = self._base + self._pos
            self.last_value = self.value()
            yield start, self._base + self._pos
            if self._peek() == "]":
                self._pos += 1
                return
            self._take(",")

    def bytes_between(self, start: int, end: int) -> bytes:
        """The bytes of a span that lies in the buffer (the last value's)."""
        return self._text[start - self._base : end - self._base].encode("latin-1")

    def value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as error:
                if self._cut_short(error) and self._fill():
                    continue
                self._fail(error.msg, at=error.pos)
            except RecursionError:
                self._fail("nested too deeply")
            if end == len(self._text) and self._fill():
                continue  # a number may go on in the next chunk
            self._pos = end
            return value

    def _cut_short(self, error: json.JSONDecodeError) -> bool:
        """Whether the error may be the buffer's end cutting a value short (a
        string's error is at its start); any other is in the file, and is
        reported without reading the rest of it."""
        near_end = error.pos >= len(self._text) - _LONGEST_TOKEN
        return near_end or error.msg.startswith("Unterminated string")

    def _peek(self) -> str:
        while True:
            match = _WHITESPACE.match(self._text, self._pos)
            self._pos = match.end() if match else self._pos
            if self._pos < len(self._text):
                return self._text[self._pos]
            if not self._fill():
                return ""

    def _take(self, expected: str) -> None:
        if self._peek() != expected:
            self._fail(f"expected {expected!r}")
        self._pos += 1

    def _fill(self) -> bool:
        """Read more (as much again as is buffered, so a long value is decoded
        a few times at most), dropping what was consumed."""
        if self._eof:
            return False
        kept = len(self._text) - self._pos
        chunk = self._stream.read(max(_CHUNK, kept))
        if not chunk:
            self._eof = True
            return False
        self._base += self._pos
        self._text = self._text[self._pos :] + chunk.decode("latin-1")
        self._pos = 0
        return True

    def _fail(self, message: str, *, at: int | None = None) -> NoReturn:
        offset = self._base + (self._pos if at is None else at)
        raise InputError(self.path, f"not valid JSON at byte {offset}: {message}")
