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

from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from seg_convert.core.errors import (
    AnnotationError,
)
from seg_convert.core.limits import DEFAULT_MAX_IMAGE_BYTES
from seg_convert.core.sample import LoadedImage
from seg_convert.core.shapes import Shape
from seg_convert.io.image_loading import load_image_from
from seg_convert.sources.labelme.json_text import (
    WARNING_LEGACY_ENCODING,
    WARNING_NOT_PLAIN_UTF8,
    load_json,
)
from seg_convert.sources.labelme.json_values import b64decode, json_type, short
from seg_convert.sources.labelme.shape_parsing import parse_shape

# Read leniencies, each a phrase that reads well after "3 files: " in a summary.
WARNING_IMAGE_BESIDE = "image found beside the JSON instead of at imagePath"
WARNING_NO_SHAPE_TYPE = "shapes without shape_type read as polygons (labelme 3.x)"
WARNING_NO_IMAGE_DATA_KEY = "no imageData key, image read from imagePath (old labelme)"
WARNING_NO_IMAGE_PATH_KEY = "no imagePath key, image read from imageData"
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


def read_annotation(
    path: Path, *, max_image_pixels: int, json_encoding: str | None = None
) -> Annotation:
    """Parse and check a labelme JSON file (masks decoded, the image not yet).

    The file is read as UTF-8, as labelme writes it; only when that fails is it
    decoded with ``json_encoding`` (old labelme on Windows wrote the system code
    page, e.g. GBK), if given.
    """
    raw, warnings = load_json(path, json_encoding)
    if "shapes" not in raw:
        raise AnnotationError(path, "no 'shapes': not a labelme file?")
    shapes_raw = raw["shapes"]
    if not isinstance(shapes_raw, list):
        raise AnnotationError(
            path, f"'shapes' must be a list, got {json_type(shapes_raw)}"
        )
    shapes = tuple(
        parse_shape(path, index, item, max_image_pixels)
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


def _image_source(path: Path, raw: dict[str, Any], warnings: list[str]) -> bytes | Path:
    image_data = raw.get("imageData")
    if image_data is not None:
        if not isinstance(image_data, str):
            raise AnnotationError(
                path,
                f"'imageData' must be a base64 string or null, "
                f"got {json_type(image_data)}",
            )
        if "imagePath" not in raw:
            warnings.append(WARNING_NO_IMAGE_PATH_KEY)
        return b64decode(path, "'imageData'", image_data)
    if "imageData" not in raw:
        warnings.append(WARNING_NO_IMAGE_DATA_KEY)
    image_path = raw.get("imagePath")
    if image_path is None:
        raise AnnotationError(path, "no image: no 'imageData' and no 'imagePath'")
    if not isinstance(image_path, str) or not image_path:
        raise AnnotationError(
            path,
            f"no image: no 'imageData', and 'imagePath' {short(image_path)} is "
            "not a file name",
        )
    literal = path.parent / image_path
    if "\\" in image_path and _is_file(literal):
        return literal  # a backslash in a POSIX name, not a Windows separator
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


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name too long: opening the image says so
        return False


def _declared_dimension(path: Path, raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AnnotationError(
            path, f"'{key}' must be a positive integer, got {short(value)}"
        )
    return value
