"""Reading labelme JSON files into frozen value objects.

Files from every labelme version are accepted: 3.x files have no ``shape_type``
(their shapes are polygons) and older ones may lack ``imageData``, ``imageHeight``
or ``imageWidth``; keys we do not use are ignored. Everything a later step relies
on is checked here, so a bad file fails with a message naming the shape before any
output is written.

What labelme itself would refuse but we read anyway is recorded in
``Annotation.warnings``, one ``WARNING_*`` phrase per kind, so a user learns that
the file needs a lenient reader (and another tool may fail on it).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import math
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import numpy.typing as npt

from seg_convert.core.errors import (
    AnnotationError,
    ImageError,
    one_line,
    undecodable_line,
)
from seg_convert.core.limits import DEFAULT_MAX_IMAGE_BYTES
from seg_convert.core.sample import LoadedImage
from seg_convert.core.shapes import Point, Shape, circle_radius
from seg_convert.io.images import (
    apply_exif_orientation,
    copyable_jpeg,
    decode_image,
    load_pixels,
    open_image,
    read_image_file,
    to_rgb,
)

# Read leniencies, each a phrase that reads well after "3 files: " in a summary.
WARNING_IMAGE_BESIDE = "image found beside the JSON instead of at imagePath"
WARNING_NO_SHAPE_TYPE = "shapes without shape_type read as polygons (labelme 3.x)"
WARNING_NO_IMAGE_DATA_KEY = "no imageData key, image read from imagePath (old labelme)"
WARNING_NO_IMAGE_PATH_KEY = "no imagePath key, image read from imageData"
WARNING_NOT_PLAIN_UTF8 = (
    "JSON with a byte order mark or in UTF-16/32, which labelme does not read"
)
WARNING_LEGACY_ENCODING = "JSON read with --json-encoding, not as UTF-8"
WARNING_MASK_CLIPPED = "mask shapes reaching outside the image, cut at its edge"
READ_WARNINGS: tuple[str, ...] = (
    WARNING_IMAGE_BESIDE,
    WARNING_NO_SHAPE_TYPE,
    WARNING_NO_IMAGE_DATA_KEY,
    WARNING_NO_IMAGE_PATH_KEY,
    WARNING_NOT_PLAIN_UTF8,
    WARNING_LEGACY_ENCODING,
    WARNING_MASK_CLIPPED,
)

# 256 MiB: labelme files with the image embedded are a few MB, rarely tens; a
# larger one would take many times its size in memory as parsed JSON.
MAX_JSON_BYTES = 1 << 28

# How many points each shape type takes: (at least, at most or None).
POINT_COUNTS: Mapping[str, tuple[int, int | None]] = {
    "polygon": (3, None),
    "rectangle": (2, 2),
    "circle": (2, 2),
    "line": (2, 2),
    "linestrip": (2, None),
    "point": (1, 1),
    "oriented_rectangle": (4, 4),
    "mask": (2, 2),
}
_POINT_COUNT_MEANING = {
    "rectangle": "2 points (two opposite corners)",
    "circle": "2 points (the centre and a point on the rim)",
    "line": "2 points (its two ends)",
    "point": "1 point",
    "oriented_rectangle": "4 points (its four corners)",
    "mask": "2 points (the two corners of the mask's box)",
}

_LARGEST_COORDINATE = float(np.finfo(np.float64).max)
# Pillow's ellipse drawing slows down as the radius grows and, past about
# 700,000 pixels, takes minutes: far beyond any image's size, so refused.
MAX_CIRCLE_RADIUS = 1 << 18


@dataclass(frozen=True)
class Annotation:
    """A labelme file: its shapes and where its image is.

    ``image`` is the decoded ``imageData`` bytes, or the path of the image file.
    ``warnings`` holds a ``WARNING_*`` phrase for each way the file was read that
    labelme would refuse (each at most once).
    """

    path: Path
    shapes: tuple[Shape, ...]
    image: bytes | Path
    declared_size: tuple[int | None, int | None]  # (imageWidth, imageHeight)
    warnings: tuple[str, ...] = ()


def image_warnings(annotation: Annotation, size: tuple[int, int]) -> tuple[str, ...]:
    """The warnings that need the image's (width, height): a mask shape whose
    box reaches outside the image, which labelme cannot paste, is cut at the
    image's edge (then drawn as labelme draws the rest)."""
    width, height = size
    for shape in annotation.shapes:
        if shape.mask is None:
            continue
        (x1, y1), _ = ((int(x), int(y)) for x, y in shape.points)
        mask_height, mask_width = shape.mask.shape
        if x1 < 0 or y1 < 0 or x1 + mask_width > width or y1 + mask_height > height:
            return (WARNING_MASK_CLIPPED,)
    return ()


def check_encoding(name: str) -> str:
    """The canonical name of the text codec ``name`` (for ``--json-encoding``).

    Raises ValueError for a name Python does not know or a codec that does not
    decode bytes to text (base64, rot13, ...).
    """
    try:
        canonical = codecs.lookup(name).name
        b"a".decode(canonical)  # bytes-to-bytes codecs (base64) refuse here
    except UnicodeDecodeError:  # text, just not "a" alone (UTF-16)
        pass
    except LookupError:
        raise ValueError(
            f"{name!r} is not a text encoding Python knows (e.g. gbk, cp1252, "
            "shift_jis)"
        ) from None
    return canonical


def read_annotation(
    path: Path, *, max_image_pixels: int, json_encoding: str | None = None
) -> Annotation:
    """Parse and check a labelme JSON file (masks decoded, the image not yet).

    The file is read as UTF-8, as labelme writes it; only when that fails is it
    decoded with ``json_encoding`` (old labelme on Windows wrote the system code
    page, e.g. GBK), if given.
    """
    raw, warnings = _load_json(path, json_encoding)
    if "shapes" not in raw:
        raise AnnotationError(path, "no 'shapes': not a labelme file?")
    shapes_raw = raw["shapes"]
    if not isinstance(shapes_raw, list):
        raise AnnotationError(
            path, f"'shapes' must be a list, got {_json_type(shapes_raw)}"
        )
    shapes = tuple(
        _parse_shape(path, index, item, max_image_pixels)
        for index, item in enumerate(shapes_raw)
    )
    if any(
        isinstance(item, dict) and item.get("shape_type") is None for item in shapes_raw
    ):
        warnings.append(WARNING_NO_SHAPE_TYPE)
    image = _image_source(path, raw, warnings)
    return Annotation(
        path=path,
        shapes=shapes,
        image=image,
        declared_size=(
            _declared_dimension(path, raw, "imageWidth"),
            _declared_dimension(path, raw, "imageHeight"),
        ),
        warnings=tuple(warnings),
    )


def load_image(
    annotation: Annotation,
    *,
    max_image_pixels: int,
    gray: bool = False,
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> LoadedImage:
    """Decode the annotation's image as labelme sees it (see ``load_image_from``;
    ``imageWidth`` and ``imageHeight`` are the size it must have)."""
    source = annotation.image
    return load_image_from(
        source,
        owner=annotation.path,
        what="imageData" if isinstance(source, bytes) else f"image {source}",
        declared_size=annotation.declared_size,
        declared_names=("imageWidth", "imageHeight"),
        max_image_pixels=max_image_pixels,
        gray=gray,
        max_image_bytes=max_image_bytes,
    )


def load_image_from(
    source: bytes | Path,
    *,
    owner: Path,
    what: str,
    declared_size: tuple[int | None, int | None],
    declared_names: tuple[str, str],
    max_image_pixels: int,
    gray: bool = False,
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> LoadedImage:
    """Decode an annotation's image (embedded bytes or a file) as labelme sees it.

    EXIF orientation is applied to image files but not to embedded bytes, which
    labelme stores already upright. A size that disagrees with the declared
    (width, height) means the annotation was drawn on another image: an error
    naming ``declared_names``. A JPEG that can be copied as it is is not decoded
    at all, unless ``gray`` asks for its pixels (then decoded straight to gray,
    which is faster). An image file of more than ``max_image_bytes`` is refused
    before it is read. Errors are about ``owner``, ``what`` naming the image.
    """
    opened = open_image(
        source,
        max_pixels=max_image_pixels,
        max_bytes=max_image_bytes,
        owner=owner,
        what=what,
    )

    def check_size(size: tuple[int, int]) -> None:
        _check_declared_size(owner, declared_size, declared_names, size, what)

    jpeg = None
    if opened.format == "JPEG":
        data = (
            source
            if isinstance(source, bytes)
            else read_image_file(
                source, max_bytes=max_image_bytes, owner=owner, what=what
            )
        )
        jpeg = copyable_jpeg(opened, data, owner=owner, what=what)
    if jpeg is not None:  # upright already: its size is final
        check_size(opened.size)
        if gray:
            opened.draft("L", opened.size)
            load_pixels(opened, owner=owner, what=what)
        return LoadedImage(size=opened.size, gray=opened if gray else None, jpeg=jpeg)
    image = load_pixels(opened, owner=owner, what=what)
    if not isinstance(source, bytes):
        image = apply_exif_orientation(image, owner=owner, what=what)
    check_size(image.size)
    rgb = to_rgb(image, owner=owner)
    return LoadedImage(size=rgb.size, rgb=rgb, gray=rgb.convert("L") if gray else None)


def _check_declared_size(
    owner: Path,
    declared_size: tuple[int | None, int | None],
    names: tuple[str, str],
    size: tuple[int, int],
    what: str,
) -> None:
    for name, declared, actual in zip(names, declared_size, size, strict=True):
        if declared is not None and declared != actual:
            raise ImageError(
                owner,
                f"{name} is {declared} but {what} is {size[0]}x{size[1]}; "
                "the annotation was made on a different image",
            )


def _load_json(
    path: Path, json_encoding: str | None
) -> tuple[dict[str, Any], list[str]]:
    data = _read_json_bytes(path)
    text, warnings = _decode_json(path, data, json_encoding)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise AnnotationError(
            path,
            f"not valid JSON: {error.msg} (line {error.lineno} column {error.colno})",
        ) from None
    except RecursionError:
        raise AnnotationError(path, "not valid JSON: nested too deeply") from None
    except ValueError:  # Python's limit on the digits of an integer
        raise AnnotationError(
            path, "not valid JSON: a number with thousands of digits"
        ) from None
    if not isinstance(raw, dict):
        raise AnnotationError(
            path, f"a labelme file is a JSON object, got {_json_type(raw)}"
        )
    return raw, warnings


def _read_json_bytes(path: Path) -> bytes:
    try:
        if not path.is_dir() and not stat.S_ISREG(path.stat().st_mode):
            # A pipe or a device would be read forever.
            raise AnnotationError(path, "is a pipe or a device, not a JSON file")
        with path.open("rb") as stream:
            # Read one byte past the limit: the size may change after stat.
            data = stream.read(MAX_JSON_BYTES + 1)
    except IsADirectoryError:
        raise AnnotationError(path, "is a directory, not a JSON file") from None
    except OSError as error:
        raise AnnotationError(path, f"cannot read: {error.strerror}") from None
    if len(data) > MAX_JSON_BYTES:
        raise AnnotationError(
            path,
            f"is larger than {MAX_JSON_BYTES:,} bytes, too large for a labelme file "
            "(embedded images make a few MB; keep the image beside the JSON and "
            "set imageData to null)",
        )
    return data


def _decode_json(
    path: Path, data: bytes, json_encoding: str | None
) -> tuple[str, list[str]]:
    """The file's text: UTF-8 as labelme writes it, else ``json_encoding``."""
    # As json.loads(bytes) does: a BOM or UTF-16/32 is recognised (labelme
    # reads neither), and lone surrogates pass to be refused with the label.
    detected = json.detect_encoding(data)
    warnings = [] if detected == "utf-8" else [WARNING_NOT_PLAIN_UTF8]
    try:
        return data.decode(detected, "surrogatepass"), warnings
    except UnicodeDecodeError as error:
        line = undecodable_line(data, error)
        if json_encoding is None or detected != "utf-8":
            raise AnnotationError(
                path,
                f"line {line} is not UTF-8 text (old labelme on Windows wrote the "
                "system code page, e.g. GBK: try --json-encoding gbk)",
            ) from None
    try:
        text = data.decode(json_encoding)
    except UnicodeDecodeError as error:
        raise AnnotationError(
            path,
            f"line {undecodable_line(data, error)} is neither UTF-8 nor "
            f"{json_encoding} text (check --json-encoding)",
        ) from None
    return text, [WARNING_LEGACY_ENCODING]


def _parse_shape(path: Path, index: int, item: object, max_image_pixels: int) -> Shape:
    where = f"shapes[{index}]"
    if not isinstance(item, dict):
        raise AnnotationError(
            path, f"{where} must be an object, got {_json_type(item)}"
        )
    label = item.get("label")
    if not isinstance(label, str):
        raise AnnotationError(
            path, f"{where}: 'label' must be a string, got {_json_type(label)}"
        )
    if not label:
        raise AnnotationError(
            path, f"{where}: the label is empty; give the shape a label in labelme"
        )
    where = f"{where} (label {label!r})"
    shape_type = item.get("shape_type")
    if shape_type is None:  # labelme 3.x wrote no shape_type: all were polygons.
        shape_type = "polygon"
    if not isinstance(shape_type, str) or shape_type not in POINT_COUNTS:
        known = ", ".join(POINT_COUNTS)
        raise AnnotationError(
            path, f"{where}: unknown shape_type {shape_type!r} (known: {known})"
        )
    points = _parse_points(path, where, item.get("points"))
    least, most = POINT_COUNTS[shape_type]
    if len(points) < least or (most is not None and len(points) > most):
        wanted = _POINT_COUNT_MEANING.get(shape_type, f"at least {least} points")
        raise AnnotationError(
            path, f"{where}: {shape_type} needs {wanted}, got {len(points)}"
        )
    if shape_type == "circle" and circle_radius(*points) > MAX_CIRCLE_RADIUS:
        raise AnnotationError(
            path,
            f"{where}: circle radius {circle_radius(*points):.6g} is larger than "
            f"{MAX_CIRCLE_RADIUS} pixels; check the circle's second point",
        )
    group_id = item.get("group_id")
    if group_id is not None and (
        not isinstance(group_id, int) or isinstance(group_id, bool)
    ):
        raise AnnotationError(
            path,
            f"{where}: 'group_id' must be an integer or null, "
            f"got {_json_type(group_id)}",
        )
    mask = None
    if shape_type == "mask":
        mask = _parse_mask(path, where, item.get("mask"), points, max_image_pixels)
    return Shape(
        label=label,
        shape_type=shape_type,
        points=points,
        group_id=group_id,
        mask=mask,
    )


def _parse_points(path: Path, where: str, value: object) -> tuple[Point, ...]:
    if not isinstance(value, list):
        raise AnnotationError(
            path, f"{where}: 'points' must be a list, got {_json_type(value)}"
        )
    points = []
    for number, point in enumerate(value):
        if not (
            isinstance(point, list)
            and len(point) == 2
            and all(_is_finite_number(xy) for xy in point)
        ):
            raise AnnotationError(
                path,
                f"{where}: points[{number}] must be [x, y] with finite numbers, "
                f"got {_short(point)}",
            )
        points.append((float(point[0]), float(point[1])))
    return tuple(points)


def _parse_mask(
    path: Path,
    where: str,
    value: object,
    points: tuple[Point, ...],
    max_image_pixels: int,
) -> npt.NDArray[np.bool_]:
    if not isinstance(value, str):
        raise AnnotationError(
            path,
            f"{where}: a mask shape needs 'mask', a base64 PNG, "
            f"got {_json_type(value)}",
        )
    image = decode_image(
        _b64decode(path, f"{where}: 'mask'", value),
        max_pixels=max_image_pixels,
        owner=path,
        what=f"{where} mask",
    )
    mask = np.asarray(image)
    if mask.ndim != 2:
        raise AnnotationError(
            path, f"{where}: mask must be a one-channel PNG, got mode {image.mode}"
        )
    (x1, y1), (x2, y2) = ((int(x), int(y)) for x, y in points)
    box = (y2 - y1 + 1, x2 - x1 + 1)
    if mask.shape != box:
        raise AnnotationError(
            path,
            f"{where}: mask is {mask.shape[1]}x{mask.shape[0]} but its points "
            f"span a box of {box[1]}x{box[0]} ({x1},{y1} to {x2},{y2})",
        )
    result = mask.astype(bool)
    result.setflags(write=False)
    return result


def _image_source(path: Path, raw: dict[str, Any], warnings: list[str]) -> bytes | Path:
    image_data = raw.get("imageData")
    if image_data is not None:
        if not isinstance(image_data, str):
            raise AnnotationError(
                path,
                f"'imageData' must be a base64 string or null, "
                f"got {_json_type(image_data)}",
            )
        if "imagePath" not in raw:
            warnings.append(WARNING_NO_IMAGE_PATH_KEY)
        return _b64decode(path, "'imageData'", image_data)
    if "imageData" not in raw:
        warnings.append(WARNING_NO_IMAGE_DATA_KEY)
    image_path = raw.get("imagePath")
    if image_path is None:
        raise AnnotationError(path, "no image: no 'imageData' and no 'imagePath'")
    if not isinstance(image_path, str) or not image_path:
        raise AnnotationError(
            path,
            f"no image: no 'imageData', and 'imagePath' {_short(image_path)} is "
            "not a file name",
        )
    # labelme on Windows writes backslashes; the path is relative to the JSON.
    relative = PureWindowsPath(image_path).as_posix()
    candidate = path.parent / relative
    # A dataset moved from another machine: the image lies beside the JSON.
    beside = path.parent / PurePosixPath(relative).name
    try:
        if not candidate.exists() and beside.is_file():
            warnings.append(WARNING_IMAGE_BESIDE)
            return beside
    except OSError:  # e.g. a name too long: opening the image says so
        pass
    return candidate


def _declared_dimension(path: Path, raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AnnotationError(
            path, f"'{key}' must be a positive integer, got {_short(value)}"
        )
    return value


def _b64decode(path: Path, what: str, text: str) -> bytes:
    try:
        # Some tools wrap base64 text in lines; anything else is not base64.
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise AnnotationError(path, f"{what} is not valid base64") from None


def _is_finite_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):  # JSON integers are unbounded; floats are not.
        return abs(value) <= _LARGEST_COORDINATE
    return isinstance(value, float) and math.isfinite(value)


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"the number {_short(value)}"
    return names.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    text = one_line(json.dumps(value, ensure_ascii=False, default=str))
    return text if len(text) <= 40 else text[:37] + "..."
