"""Reading labelme files of every version, loading their images, and the exact
message (and error type) for each bad file."""

from __future__ import annotations

import errno
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import labelme.utils
import numpy as np
import pytest
from PIL import Image

import seg_convert.io.image_loading
from seg_convert.core.errors import AnnotationError, ImageError, SegConvertError
from seg_convert.core.sample import LoadedImage
from seg_convert.sources.labelme.annotation import (
    Annotation,
    load_image,
    read_annotation,
)
from tests.conftest import WriteAnnotation, b64, gradient_image, png_bytes, shape

LIMIT = 1 << 24
ORIENTATION = 0x0112


def read(path: Path) -> Annotation:
    return read_annotation(path, max_image_pixels=LIMIT)


def load(annotation: Annotation) -> LoadedImage:
    return load_image(annotation, max_image_pixels=LIMIT)


def jpeg_bytes(image: Image.Image, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def rotated_jpeg(orientation: int) -> bytes:
    """The 64x48 gradient stored as it is, with an EXIF Orientation tag."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return jpeg_bytes(gradient_image(), exif=exif.tobytes())


# --- files that are read -----------------------------------------------------------

LABELME_3_FILE = """{
  "flags": {},
  "shapes": [
    {
      "label": "cat",
      "line_color": null,
      "fill_color": null,
      "points": [[1, 2], [30.5, 4], [10, 20]]
    }
  ],
  "lineColor": [0, 255, 0, 128],
  "fillColor": [255, 0, 0, 128],
  "imagePath": "img.jpg"
}"""


def test_reads_a_labelme_3_file(tmp_path: Path) -> None:
    """3.x: no shape_type (all polygons), no group_id, no imageData key at all,
    no imageHeight/imageWidth, and colors we do not use."""
    image_file = tmp_path / "img.jpg"
    image_file.write_bytes(jpeg_bytes(gradient_image()))
    path = tmp_path / "old.json"
    path.write_text(LABELME_3_FILE, "utf-8")
    annotation = read(path)
    (only,) = annotation.shapes
    assert (only.label, only.shape_type, only.group_id) == ("cat", "polygon", None)
    assert only.points == ((1.0, 2.0), (30.5, 4.0), (10.0, 20.0))
    assert annotation.image == image_file
    assert annotation.declared_size == (None, None)
    loaded = load(annotation)
    assert loaded.size == (64, 48)
    assert loaded.jpeg == image_file.read_bytes()  # copied as it is


def test_unknown_keys_are_ignored(write_annotation: WriteAnnotation) -> None:
    shapes = [shape("行人", [[1, 1], [20, 1], [9, 15]], group_id=3)]
    plain = read(write_annotation("plain", shapes))
    extra_shape = dict(shapes[0], attributes={"occluded": True}, kie_linking=[])
    extra = read(
        write_annotation(
            "extra",
            [extra_shape],
            otherData={"tool": "x"},
            version="9.9.9",
            flags={"reviewed": True},
        )
    )
    assert extra.shapes == plain.shapes
    assert extra.shapes[0].group_id == 3
    assert extra.declared_size == plain.declared_size == (64, 48)


# Valid point counts: the least and, where there is none, a larger one.
VALID_POINT_COUNTS = [
    ("polygon", 3),
    ("polygon", 12),
    ("rectangle", 2),
    ("circle", 2),
    ("line", 2),
    ("linestrip", 2),
    ("linestrip", 7),
    ("point", 1),
    ("oriented_rectangle", 4),
]


@pytest.mark.parametrize(
    ("shape_type", "count"),
    VALID_POINT_COUNTS,
    ids=[f"{kind}-{count}" for kind, count in VALID_POINT_COUNTS],
)
def test_shape_types_with_valid_point_counts(
    write_annotation: WriteAnnotation, shape_type: str, count: int
) -> None:
    points = [[float(i), 2.5 * i] for i in range(count)]
    path = write_annotation(shapes=[shape("cat", points, shape_type)])
    (only,) = read(path).shapes
    assert only.shape_type == shape_type
    assert only.points == tuple((x, y) for x, y in points)


def test_image_data_is_used_before_image_path(
    write_annotation: WriteAnnotation, tmp_path: Path
) -> None:
    """labelme reads the embedded image whenever there is one."""
    embedded = gradient_image(20, 10)
    path = write_annotation(image=embedded, embed=True, imagePath="other.png")
    Image.new("RGB", (7, 5), (255, 0, 0)).save(tmp_path / "in" / "other.png")
    annotation = read(path)
    assert annotation.image == png_bytes(embedded)
    loaded = load(annotation)
    assert loaded.rgb is not None
    np.testing.assert_array_equal(np.asarray(loaded.rgb), np.asarray(embedded))


def test_image_data_wrapped_in_lines(write_annotation: WriteAnnotation) -> None:
    data = png_bytes(gradient_image())
    text = b64(data)
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    assert "\n" in wrapped
    assert read(write_annotation(imageData=wrapped)).image == data


def test_embedded_jpeg_is_copied_as_it_is(write_annotation: WriteAnnotation) -> None:
    data = jpeg_bytes(gradient_image())
    loaded = load(read(write_annotation(imageData=b64(data))))
    assert (loaded.size, loaded.jpeg, loaded.rgb) == ((64, 48), data, None)


@pytest.mark.parametrize(
    ("image_path", "stored_at"),
    [
        ("sub\\img.jpg", "sub/img.jpg"),
        ("sub/img.jpg", "sub/img.jpg"),
        ("..\\photos\\img.jpg", "../photos/img.jpg"),
    ],
    ids=["windows-backslash", "posix-slash", "windows-parent"],
)
def test_image_path_is_relative_to_the_json(
    write_annotation: WriteAnnotation, tmp_path: Path, image_path: str, stored_at: str
) -> None:
    image_file = tmp_path / "in" / stored_at
    image_file.parent.mkdir(parents=True, exist_ok=True)
    image_file.write_bytes(jpeg_bytes(gradient_image()))
    path = write_annotation(imagePath=image_path)  # writes a decoy in/sample.jpg
    annotation = read(path)
    assert isinstance(annotation.image, Path)
    assert annotation.image.resolve() == image_file.resolve()
    assert load(annotation).jpeg == image_file.read_bytes()


@pytest.mark.parametrize(
    "image_path",
    [
        "C:\\Users\\ann\\data\\sample.jpg",
        "D:/data/sample.jpg",
        "\\\\server\\share\\sample.jpg",
        "/home/ann/data/sample.jpg",
        "elsewhere/sample.jpg",
    ],
    ids=["windows-drive", "windows-forward-slashes", "unc", "posix", "relative"],
)
def test_a_foreign_image_path_falls_back_to_the_file_beside(
    write_annotation: WriteAnnotation, tmp_path: Path, image_path: str
) -> None:
    path = write_annotation(imagePath=image_path)  # the image is in/sample.jpg
    annotation = read(path)
    assert annotation.image == tmp_path / "in" / "sample.jpg"
    assert load(annotation).size == (64, 48)


def mask_png(mode: str) -> bytes:
    """A 4x6 stencil, not symmetric, in the given PNG mode."""
    stencil = np.zeros((4, 6), np.uint8)
    stencil[0, 1:4] = 1
    stencil[1:, 5] = 1
    stencil[3, 0] = 1
    if mode == "1":
        return png_bytes(Image.fromarray(stencil.astype(bool)))
    return png_bytes(Image.fromarray(stencil * (255 if mode == "L-255" else 1)))


@pytest.mark.parametrize("mode", ["1", "L-255", "L-1"])
def test_mask_decodes_to_a_read_only_bool_array_of_its_box(
    write_annotation: WriteAnnotation, mode: str
) -> None:
    mask = b64(mask_png(mode))
    # Corners truncate to (2, 3) and (7, 6): a box 6 wide and 4 high.
    points = [[2.9, 3.5], [7.2, 6.0]]
    path = write_annotation(shapes=[shape("cat", points, "mask", mask=mask)])
    (only,) = read(path).shapes
    assert only.mask is not None
    assert only.mask.dtype == np.bool_
    assert only.mask.shape == (4, 6)
    np.testing.assert_array_equal(
        only.mask, labelme.utils.img_b64_to_arr(mask).astype(bool)
    )
    assert only.mask.any() and not only.mask.all()
    assert not only.mask.flags.writeable
    with pytest.raises(ValueError):
        only.mask[0, 0] = True


def test_exif_rotated_image_file_is_turned_upright(
    write_annotation: WriteAnnotation, tmp_path: Path
) -> None:
    """imageWidth/imageHeight are the upright size, as labelme shows the image."""
    image_file = tmp_path / "in" / "photo.jpg"
    path = write_annotation(imagePath="photo.jpg", imageWidth=48, imageHeight=64)
    image_file.write_bytes(rotated_jpeg(6))
    loaded = load(read(path))
    assert loaded.size == (48, 64)
    assert loaded.jpeg is None and loaded.rgb is not None
    with Image.open(image_file) as theirs:
        expected = labelme.utils.apply_exif_orientation(theirs).convert("RGB")
    np.testing.assert_array_equal(np.asarray(loaded.rgb), np.asarray(expected))


def test_image_data_is_not_rotated(write_annotation: WriteAnnotation) -> None:
    """labelme stores imageData upright already and ignores its EXIF tag."""
    data = rotated_jpeg(6)
    loaded = load(read(write_annotation(imageData=b64(data))))
    height, width = labelme.utils.img_data_to_arr(data).shape[:2]
    assert loaded.size == (width, height) == (64, 48)


# --- files that are refused --------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A labelme file that must be refused, and how.

    ``message`` is what follows ``"<json path>: "``; ``{dir}`` in it stands for the
    JSON's folder. With ``pattern`` it is a regular expression, for the part Pillow
    words.
    """

    id: str
    error: type[SegConvertError]
    message: str
    top: dict[str, Any] = field(default_factory=dict)
    pattern: bool = False
    setup: Callable[[Path], None] | None = None  # gets the JSON's folder


def assert_refusal(error: SegConvertError, path: Path, case: Refusal) -> None:
    assert type(error) is case.error
    assert error.path == path
    text = str(error)
    prefix = f"{path}: "
    assert text.startswith(prefix), text
    rest = text.removeprefix(prefix)
    if case.pattern:
        expected = case.message.replace("{dir}", re.escape(str(path.parent)))
        assert re.fullmatch(expected, rest), rest
    else:
        assert rest == case.message.replace("{dir}", str(path.parent))


def one_shape(**fields: Any) -> dict[str, Any]:
    """Top-level fields for a file with one shape 'cat', changed by ``fields``."""
    item = shape("cat", [[1, 1], [9, 1], [5, 8]])
    item.update(fields)
    return {"shapes": [item]}


def mask_shape(mask: Any, points: list[list[float]] | None = None) -> dict[str, Any]:
    return one_shape(shape_type="mask", points=points or [[0, 0], [4, 4]], mask=mask)


CAT = "shapes[0] (label 'cat')"
NOT_AN_IMAGE = b64(b"hello, not an image")
MASK_5X5 = b64(png_bytes(Image.new("L", (5, 5), 255)))

# What each shape type needs, as the message says it; "at least" types have no most.
NEEDS = {
    "polygon": ("at least 3 points", [2, 1]),
    "linestrip": ("at least 2 points", [1]),
    "rectangle": ("2 points (two opposite corners)", [1, 3]),
    "circle": ("2 points (the centre and a point on the rim)", [1, 3]),
    "line": ("2 points (its two ends)", [1, 3]),
    "point": ("1 point", [0, 2]),
    "oriented_rectangle": ("4 points (its four corners)", [3, 5]),
    "mask": ("2 points (the two corners of the mask's box)", [1, 3]),
}

POINT_COUNT_REFUSALS = [
    Refusal(
        f"{kind}-{count}-points",
        AnnotationError,
        f"{CAT}: {kind} needs {needs}, got {count}",
        one_shape(
            shape_type=kind,
            points=[[i, i + 1] for i in range(count)],
            mask=MASK_5X5 if kind == "mask" else None,
        ),
    )
    for kind, (needs, counts) in NEEDS.items()
    for count in counts
]

READ_REFUSALS = [
    Refusal(
        "shapes-not-a-list",
        AnnotationError,
        "'shapes' must be a list, got an object",
        {"shapes": {"0": {}}},
    ),
    Refusal(
        "shapes-a-string",
        AnnotationError,
        "'shapes' must be a list, got a string",
        {"shapes": "cat"},
    ),
    Refusal(
        "shape-a-number",
        AnnotationError,
        "shapes[0] must be an object, got the number 3",
        {"shapes": [3]},
    ),
    Refusal(
        "shape-a-list",
        AnnotationError,
        "shapes[1] must be an object, got a list",
        {"shapes": [shape("cat", [[1, 1], [9, 1], [5, 8]]), [[1, 1]]]},
    ),
    Refusal(
        "label-a-number",
        AnnotationError,
        "shapes[0]: 'label' must be a string, got the number 7",
        one_shape(label=7),
    ),
    Refusal(
        "label-null",
        AnnotationError,
        "shapes[0]: 'label' must be a string, got null",
        one_shape(label=None),
    ),
    Refusal(
        "unknown-shape-type",
        AnnotationError,
        f"{CAT}: unknown shape_type 'star' (known: polygon, rectangle, circle, line, "
        "linestrip, point, oriented_rectangle, mask)",
        one_shape(shape_type="star"),
    ),
    Refusal(
        "shape-type-a-number",
        AnnotationError,
        f"{CAT}: unknown shape_type 2 (known: polygon, rectangle, circle, line, "
        "linestrip, point, oriented_rectangle, mask)",
        one_shape(shape_type=2),
    ),
    *POINT_COUNT_REFUSALS,
    Refusal(
        "points-a-string",
        AnnotationError,
        f"{CAT}: 'points' must be a list, got a string",
        one_shape(points="1,2"),
    ),
    Refusal(
        "points-null",
        AnnotationError,
        f"{CAT}: 'points' must be a list, got null",
        one_shape(points=None),
    ),
    Refusal(
        "point-of-strings",
        AnnotationError,
        f'{CAT}: points[0] must be [x, y] with finite numbers, got ["1", "2"]',
        one_shape(points=[["1", "2"], [3, 4], [5, 6]]),
    ),
    Refusal(
        "point-of-booleans",
        AnnotationError,
        f"{CAT}: points[2] must be [x, y] with finite numbers, got [true, 6]",
        one_shape(points=[[1, 2], [3, 4], [True, 6]]),
    ),
    Refusal(
        "point-of-3-numbers",
        AnnotationError,
        f"{CAT}: points[1] must be [x, y] with finite numbers, got [3, 4, 5]",
        one_shape(points=[[1, 2], [3, 4, 5], [5, 6]]),
    ),
    Refusal(
        "point-an-object",
        AnnotationError,
        f'{CAT}: points[0] must be [x, y] with finite numbers, got {{"x": 1, "y": 2}}',
        one_shape(points=[{"x": 1, "y": 2}, [3, 4], [5, 6]]),
    ),
    Refusal(
        "group-id-a-string",
        AnnotationError,
        f"{CAT}: 'group_id' must be an integer or null, got a string",
        one_shape(group_id="1"),
    ),
    Refusal(
        "group-id-a-boolean",
        AnnotationError,
        f"{CAT}: 'group_id' must be an integer or null, got a boolean",
        one_shape(group_id=True),
    ),
    Refusal(
        "group-id-a-float",
        AnnotationError,
        f"{CAT}: 'group_id' must be an integer or null, got the number 1.5",
        one_shape(group_id=1.5),
    ),
    Refusal(
        "mask-missing",
        AnnotationError,
        f"{CAT}: a mask shape needs 'mask', a base64 PNG, got null",
        mask_shape(None),
    ),
    Refusal(
        "mask-not-base64",
        AnnotationError,
        f"{CAT}: 'mask' is not valid base64",
        mask_shape("iVBOR*w0KGgo="),
    ),
    Refusal(
        "mask-base64-without-padding",
        AnnotationError,
        f"{CAT}: 'mask' is not valid base64",
        mask_shape("abc"),
    ),
    Refusal(
        "mask-not-an-image",
        ImageError,
        re.escape(
            f"cannot decode {CAT} mask: not an image, or a format Pillow cannot read"
        ),
        mask_shape(NOT_AN_IMAGE),
        pattern=True,
    ),
    Refusal(
        "mask-rgb",
        AnnotationError,
        f"{CAT}: mask must be a one-channel PNG, got mode RGB",
        mask_shape(b64(png_bytes(Image.new("RGB", (5, 5))))),
    ),
    Refusal(
        "mask-gray-with-alpha",
        AnnotationError,
        f"{CAT}: mask must be a one-channel PNG, got mode LA",
        mask_shape(b64(png_bytes(Image.new("LA", (5, 5))))),
    ),
    Refusal(
        "mask-wider-than-its-box",
        AnnotationError,
        f"{CAT}: mask is 5x5 but its points span a box of 7x5 (0,0 to 6,4)",
        mask_shape(MASK_5X5, [[0, 0], [6.5, 4]]),
    ),
    Refusal(
        "mask-higher-than-its-box",
        AnnotationError,
        f"{CAT}: mask is 5x5 but its points span a box of 5x4 (10,20 to 14,23)",
        mask_shape(MASK_5X5, [[10, 20], [14, 23.9]]),
    ),
    Refusal(
        "circle-radius-beyond-any-image",
        AnnotationError,
        f"{CAT}: circle radius 262145 is larger than 262144 pixels; check the "
        "circle's second point",
        one_shape(shape_type="circle", points=[[10, 10], [262155, 10]]),
    ),
    Refusal(
        "circle-radius-overflowing-a-float",
        AnnotationError,
        f"{CAT}: circle radius inf is larger than 262144 pixels; check the "
        "circle's second point",
        one_shape(shape_type="circle", points=[[0, 0], [1e308, -1e308]]),
    ),
    Refusal(
        "image-data-not-base64",
        AnnotationError,
        "'imageData' is not valid base64",
        {"imageData": "iVBOR***"},
    ),
    Refusal(
        "image-data-a-number",
        AnnotationError,
        "'imageData' must be a base64 string or null, got the number 5",
        {"imageData": 5},
    ),
    Refusal(
        "no-image-path",
        AnnotationError,
        "no image: no 'imageData' and no 'imagePath'",
        {"imagePath": None},
    ),
    Refusal(
        "empty-image-path",
        AnnotationError,
        "no image: no 'imageData', and 'imagePath' \"\" is not a file name",
        {"imagePath": ""},
    ),
    Refusal(
        "height-a-string",
        AnnotationError,
        "'imageHeight' must be a positive integer, got \"48\"",
        {"imageHeight": "48"},
    ),
    Refusal(
        "height-zero",
        AnnotationError,
        "'imageHeight' must be a positive integer, got 0",
        {"imageHeight": 0},
    ),
    Refusal(
        "height-negative",
        AnnotationError,
        "'imageHeight' must be a positive integer, got -48",
        {"imageHeight": -48},
    ),
    Refusal(
        "height-a-fraction",
        AnnotationError,
        "'imageHeight' must be a positive integer, got 47.5",
        {"imageHeight": 47.5},
    ),
    Refusal(
        "height-a-boolean",
        AnnotationError,
        "'imageHeight' must be a positive integer, got true",
        {"imageHeight": True},
    ),
    Refusal(
        "width-a-string",
        AnnotationError,
        "'imageWidth' must be a positive integer, got \"64\"",
        {"imageWidth": "64"},
    ),
]


@pytest.mark.parametrize("case", READ_REFUSALS, ids=lambda case: case.id)
def test_refused_when_read(write_annotation: WriteAnnotation, case: Refusal) -> None:
    path = write_annotation(**case.top)
    with pytest.raises(SegConvertError) as caught:
        read(path)
    assert_refusal(caught.value, path, case)


def test_mask_over_the_pixel_limit(write_annotation: WriteAnnotation) -> None:
    path = write_annotation(**mask_shape(MASK_5X5))
    with pytest.raises(ImageError) as caught:
        read_annotation(path, max_image_pixels=24)
    assert str(caught.value) == (
        f"{path}: {CAT} mask is 5x5 = 25 pixels, more than the limit of 24 (raise it "
        "with --max-image-pixels if the image is genuine)"
    )


def gbk_file() -> tuple[bytes, int]:
    """A labelme file saved as GBK, and the line of its first non-UTF-8 byte."""
    text = json.dumps(
        {"shapes": [shape("行人", [[1, 1], [9, 1], [5, 8]])], "imagePath": "a.jpg"},
        ensure_ascii=False,
        indent=2,
    )
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "行人" in row)
    return text.encode("gbk"), line


def literal_point(token: str) -> bytes:
    """A file whose second point's x is the JSON text ``token``."""
    return (
        '{"shapes": [{"label": "cat", "shape_type": "polygon", '
        f'"points": [[1, 2], [{token}, 4], [5, 6]]}}], "imagePath": "a.jpg"}}'
    ).encode()


def bad_point(shown: str) -> str:
    return f"{CAT}: points[1] must be [x, y] with finite numbers, got {shown}"


BIG_INTEGER = "1" + "0" * 400

FILE_REFUSALS: list[tuple[str, bytes, str, bool]] = [
    (
        "not-json",
        b'{\n  "shapes": [\n}',
        "not valid JSON: Expecting value (line 3 column 1)",
        False,
    ),
    ("empty-file", b"", "not valid JSON: Expecting value (line 1 column 1)", False),
    ("json-list", b"[1, 2]", "a labelme file is a JSON object, got a list", False),
    ("json-string", b'"x"', "a labelme file is a JSON object, got a string", False),
    ("json-null", b"null", "a labelme file is a JSON object, got null", False),
    (
        "no-shapes-key",
        b'{"imagePath": "a.jpg"}',
        "no 'shapes': not a labelme file?",
        False,
    ),
    (
        "deeply-nested",
        b"[" * 100_000,
        "not valid JSON: nested too deeply",
        False,
    ),
    (
        "5000-digit-number",
        b'{"shapes": [' + b"1" * 5000 + b"]}",
        "not valid JSON: a number with thousands of digits",
        False,
    ),
    ("point-nan", literal_point("NaN"), bad_point("[NaN, 4]"), False),
    ("point-infinity", literal_point("Infinity"), bad_point("[Infinity, 4]"), False),
    (
        "point-minus-infinity",
        literal_point("-Infinity"),
        bad_point("[-Infinity, 4]"),
        False,
    ),
    ("point-float-overflow", literal_point("1e400"), bad_point("[Infinity, 4]"), False),
    (
        "point-400-digits",
        literal_point(BIG_INTEGER),
        bad_point(f"[{BIG_INTEGER}, 4]"[:37] + "..."),
        False,
    ),
]


@pytest.mark.parametrize(
    ("data", "message", "pattern"),
    [case[1:] for case in FILE_REFUSALS],
    ids=[case[0] for case in FILE_REFUSALS],
)
def test_refused_json(tmp_path: Path, data: bytes, message: str, pattern: bool) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(data)
    with pytest.raises(AnnotationError) as caught:
        read(path)
    case = Refusal("", AnnotationError, message, pattern=pattern)
    assert_refusal(caught.value, path, case)


def test_refused_gbk_file(tmp_path: Path) -> None:
    data, line = gbk_file()
    assert line > 1
    path = tmp_path / "gbk.json"
    path.write_bytes(data)
    with pytest.raises(AnnotationError) as caught:
        read(path)
    assert str(caught.value) == (
        f"{path}: line {line} is not UTF-8 text (old labelme on Windows wrote the "
        "system code page, e.g. GBK: try --json-encoding gbk)"
    )


def test_refused_missing_json(tmp_path: Path) -> None:
    path = tmp_path / "gone.json"
    with pytest.raises(AnnotationError) as caught:
        read(path)
    assert str(caught.value) == f"{path}: cannot read: {os.strerror(errno.ENOENT)}"


def test_refused_directory_named_json(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.mkdir()
    with pytest.raises(AnnotationError) as caught:
        read(path)
    assert str(caught.value) == f"{path}: is a directory, not a JSON file"


def remove(name: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / name).unlink()

    return setup


def make_directory(name: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / name).mkdir()

    return setup


def overwrite(name: str, data: bytes) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / name).write_bytes(data)

    return setup


GRADIENT_JPEG = jpeg_bytes(gradient_image())
TRUNCATED_JPEG = GRADIENT_JPEG[: len(GRADIENT_JPEG) // 2]

LOAD_REFUSALS = [
    Refusal(
        "image-file-missing",
        ImageError,
        "image {dir}/sample.jpg not found",
        setup=remove("sample.jpg"),
    ),
    Refusal(
        "image-path-a-directory",
        ImageError,
        "image {dir}/photos is a directory, not an image",
        {"imagePath": "photos"},
        setup=make_directory("photos"),
    ),
    Refusal(
        "image-file-not-an-image",
        ImageError,
        r"cannot decode image {dir}/sample\.jpg: not an image, or a format Pillow "
        "cannot read",
        pattern=True,
        setup=overwrite("sample.jpg", b"hello, not an image"),
    ),
    Refusal(
        "image-file-truncated-jpeg",
        ImageError,
        r"image {dir}/sample\.jpg is truncated: the file ends too early",
        pattern=True,
        setup=overwrite("sample.jpg", TRUNCATED_JPEG),
    ),
    Refusal(
        "image-data-not-an-image",
        ImageError,
        r"cannot decode imageData: not an image, or a format Pillow cannot read",
        {"imageData": NOT_AN_IMAGE},
        pattern=True,
    ),
    Refusal(
        "image-data-empty",
        ImageError,
        r"cannot decode imageData: not an image, or a format Pillow cannot read",
        {"imageData": ""},
        pattern=True,
    ),
    Refusal(
        "image-data-truncated-jpeg",
        ImageError,
        r"imageData is truncated: the file ends too early",
        {"imageData": b64(TRUNCATED_JPEG)},
        pattern=True,
    ),
    Refusal(
        "height-disagrees",
        ImageError,
        "imageHeight is 47 but image {dir}/sample.jpg is 64x48; the annotation was "
        "made on a different image",
        {"imageHeight": 47},
    ),
    Refusal(
        "width-disagrees-with-image-data",
        ImageError,
        "imageWidth is 65 but imageData is 64x48; the annotation was made on a "
        "different image",
        {"embed": True, "imageWidth": 65},
    ),
    Refusal(
        "size-before-exif-rotation",
        ImageError,
        "imageWidth is 64 but image {dir}/sample.jpg is 48x64; the annotation was "
        "made on a different image",
        setup=overwrite("sample.jpg", rotated_jpeg(6)),
    ),
]


@pytest.mark.parametrize("case", LOAD_REFUSALS, ids=lambda case: case.id)
def test_refused_when_loading_the_image(
    write_annotation: WriteAnnotation, case: Refusal
) -> None:
    path = write_annotation(**case.top)
    if case.setup is not None:
        case.setup(path.parent)
    annotation = read(path)  # the image is first opened by load_image
    with pytest.raises(SegConvertError) as caught:
        load(annotation)
    assert_refusal(caught.value, path, case)


def test_image_over_the_pixel_limit(write_annotation: WriteAnnotation) -> None:
    path = write_annotation()
    with pytest.raises(ImageError) as caught:
        load_image(read(path), max_image_pixels=64 * 48 - 1)
    assert str(caught.value) == (
        f"{path}: image {path.parent}/sample.jpg is 64x48 = 3,072 pixels, more than "
        "the limit of 3,071 (raise it with --max-image-pixels if the image is genuine)"
    )


@pytest.mark.parametrize("format", ["PNG", "WEBP"])
def test_malformed_exif_is_an_image_error(
    write_annotation: WriteAnnotation, format: str
) -> None:
    buffer = io.BytesIO()
    broken_exif = b"Exif\x00\x00XX\x00*\x00\x00\x00\x08\x00\x00"  # no byte order
    gradient_image().save(buffer, format=format, exif=broken_exif)
    name = f"photo.{format.lower()}"
    path = write_annotation(imagePath=name)
    (path.parent / name).write_bytes(buffer.getvalue())
    with pytest.raises(ImageError) as caught:
        load(read(path))
    assert str(caught.value).startswith(f"{path}: ")


def test_image_vanishing_after_its_header_is_read(
    write_annotation: WriteAnnotation, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_annotation()
    image_file = path.parent / "sample.jpg"
    open_image = seg_convert.io.image_loading.open_image

    def open_then_delete(*args: Any, **kwargs: Any) -> Image.Image:
        image = open_image(*args, **kwargs)
        image_file.unlink()
        return image

    monkeypatch.setattr(seg_convert.io.image_loading, "open_image", open_then_delete)
    annotation = read(path)
    with pytest.raises(ImageError) as caught:
        load(annotation)
    assert str(caught.value).startswith(f"{path}: ")
