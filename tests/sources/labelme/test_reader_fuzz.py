"""Fuzzing the labelme reader and what follows it with random files.

Whatever a JSON file holds, ``read_annotation`` either returns an Annotation that
every later step can rely on (the invariants are checked against the file's own
JSON) or raises one of our errors; so do ``class_ids``, ``rasterize`` and
``load_image`` on what it returns. Anything else (TypeError, KeyError,
OverflowError, RecursionError, OSError, ...) would reach a user as a crash.

SEG_CONVERT_FUZZ_SCALE multiplies every example count, to hunt harder:
``SEG_CONVERT_FUZZ_SCALE=10 pytest tests/sources/labelme/test_reader_fuzz.py``.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import math
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from seg_convert.core.errors import AnnotationError, ImageError, SegConvertError
from seg_convert.core.labels import LabelTable
from seg_convert.core.sample import LoadedImage
from seg_convert.core.shapes import Shape, circle_radius
from seg_convert.sources.labelme.annotation import (
    Annotation,
    load_image,
    read_annotation,
)
from seg_convert.sources.labelme.rasterize import class_ids, rasterize
from seg_convert.sources.labelme.shape_parsing import MAX_CIRCLE_RADIUS, POINT_COUNTS
from tests.conftest import b64, gradient_image, png_bytes
from tests.helpers import hang_guard

SCALE = float(os.environ.get("SEG_CONVERT_FUZZ_SCALE", "1"))
CANVAS_HEIGHT, CANVAS_WIDTH = 32, 40
IMAGE_WIDTH, IMAGE_HEIGHT = 8, 6  # every prepared image, so declared sizes fit
# Far above what one tiny file needs (milliseconds): only a hang gets there.
HANG_SECONDS = 60
TABLE = LabelTable(names=("_background_", "cat", "dog"))
SHAPE_TYPES = sorted(POINT_COUNTS)  # what the reader knows
TOP_KEYS = (
    "version",
    "flags",
    "shapes",
    "imagePath",
    "imageData",
    "imageHeight",
    "imageWidth",
)
SHAPE_KEYS = (
    "label",
    "points",
    "group_id",
    "shape_type",
    "flags",
    "description",
    "mask",
)
MISSING = object()  # a replacement that removes the key


def fuzz_settings(examples: int) -> settings:
    # Each example writes and reads files, which hypothesis may find slow to
    # generate; no timing is asserted (a slow machine is no bug), but a hang is
    # interrupted after HANG_SECONDS (see hang_guard).
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


# --- images ------------------------------------------------------------------


def encode(image: Image.Image, image_format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def prepared_images() -> dict[str, bytes]:
    """Small images, all 8x6, in the modes and formats labelme files carry."""
    rgb = gradient_image(IMAGE_WIDTH, IMAGE_HEIGHT)
    sixteen = np.arange(IMAGE_WIDTH * IMAGE_HEIGHT, dtype=np.uint16) * 1000
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: upright it is 6x8
    return {
        "png-rgb": png_bytes(rgb),
        "png-rgba": png_bytes(rgb.convert("RGBA")),
        "png-gray": png_bytes(rgb.convert("L")),
        "png-1bit": png_bytes(rgb.convert("1")),
        "png-palette": encode(rgb.convert("P"), "PNG", transparency=3),
        "png-16bit": png_bytes(
            Image.fromarray(sixteen.reshape(IMAGE_HEIGHT, IMAGE_WIDTH))
        ),
        "jpeg": encode(rgb, "JPEG"),
        "jpeg-gray": encode(rgb.convert("L"), "JPEG"),
        "jpeg-progressive": encode(rgb, "JPEG", progressive=True),
        "jpeg-rotated": encode(rgb, "JPEG", exif=exif.tobytes()),
        "gif": encode(rgb.convert("P"), "GIF"),
        "bmp": encode(rgb, "BMP"),
        "webp": encode(rgb, "WEBP"),
        "tiff-float": encode(Image.new("F", (IMAGE_WIDTH, IMAGE_HEIGHT)), "TIFF"),
        "tiff-cmyk": encode(rgb.convert("CMYK"), "TIFF"),
    }


IMAGES = prepared_images()
PNG = IMAGES["png-rgb"]


@st.composite
def image_bytes(draw: st.DrawFn) -> bytes:
    """A prepared image, or one damaged: cut short, a byte changed, or noise."""
    data = draw(st.sampled_from(sorted(IMAGES.values())))
    damage = draw(st.sampled_from(["none", "none", "none", "cut", "byte", "noise"]))
    if damage == "cut":
        return data[: draw(st.integers(0, len(data) - 1))]
    if damage == "byte":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if damage == "noise":
        return draw(st.binary(max_size=64))
    return data


def mask_png(width: int, height: int, mode: str) -> bytes:
    checker = (np.indices((height, width)).sum(axis=0) % 2).astype(np.uint8)
    if mode == "1":
        return png_bytes(Image.fromarray(checker.astype(bool)))
    if mode == "RGB":  # not one channel: refused
        return png_bytes(Image.fromarray(np.dstack([checker * 255] * 3)))
    return png_bytes(Image.fromarray(checker * 255))


# --- random JSON ---------------------------------------------------------------

HUGE_INTEGERS = [
    2**31,
    -(2**31) - 1,
    2**63,
    10**308,
    2 * 10**308,  # an integer no float can hold
    -(10**400),
    10**4000,
]
ODD_FLOATS = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1.7976931348623157e308,
    5e-324,
    -0.0,
    1e20,
    3e9,
    -3e9,
]
ODD_TEXTS = [
    "",
    "\ud800",  # a lone surrogate, as JSON's "\ud800" escape gives
    "a\nb",
    "\x00",
    "/",
    ".",
    "..",
    "img.png",
    "sub\\img.png",
    "C:\\data\\img.png",
    "a" * 300,  # longer than a file name may be
    "é" * 130,  # as long, in UTF-8 bytes
    "cat",
    "__ignore__",
    "_background_",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(HUGE_INTEGERS),
    st.floats(),
    st.sampled_from(ODD_FLOATS),
    st.text(max_size=12),
    st.sampled_from(ODD_TEXTS),
)
keys = st.sampled_from(TOP_KEYS + SHAPE_KEYS) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=16,
)
coordinates = st.one_of(
    st.integers(-10, 50),
    st.floats(-10, 50),
    st.floats(),
    st.sampled_from(ODD_FLOATS),
    st.sampled_from(HUGE_INTEGERS),
    st.integers(),
    st.booleans(),
    st.text(max_size=4),
    st.none(),
)
FAR_AWAY = [
    2**31 - 1,
    2**31,
    -(2**31),
    2**32 + 0.5,
    -(2**63),
    1e10,
    -1e10,
    1e20,
    -1e300,
    1e308,
]
finite_numbers = st.one_of(
    st.integers(-10, 50),
    st.sampled_from(FAR_AWAY),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([n for n in ODD_FLOATS if math.isfinite(n)]),
)
random_point = st.one_of(
    st.lists(coordinates, min_size=2, max_size=2),
    st.lists(coordinates, min_size=2, max_size=2),
    st.lists(coordinates, max_size=3),
    json_values,
)
random_points = st.lists(random_point, max_size=6)


# --- valid documents, and documents with one field replaced ----------------------


@st.composite
def valid_shapes(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(SHAPE_TYPES))
    coordinate = st.integers(-8, 48) | st.floats(-8, 48)
    mask = None
    if kind == "mask":
        x1, y1 = draw(st.integers(-4, 40)), draw(st.integers(-4, 30))
        width, height = draw(st.integers(1, 6)), draw(st.integers(1, 6))
        fraction = draw(st.sampled_from([0, 0.25, 0.9]))
        if x1 < 0 or y1 < 0:
            fraction = 0  # int() truncates toward zero
        points: list[list[Any]] = [
            [x1 + fraction, y1 + fraction],
            [x1 + width - 1 + fraction, y1 + height - 1 + fraction],
        ]
        mask = b64(mask_png(width, height, draw(st.sampled_from(["1", "L"]))))
    elif kind == "circle":
        centre = [draw(coordinate), draw(coordinate)]
        rim = [centre[0] + draw(st.integers(-20, 20)), centre[1]]
        points = [centre, rim]
    else:
        least, most = POINT_COUNTS[kind]
        count = draw(st.integers(least, least + 4 if most is None else most))
        points = [[draw(coordinate), draw(coordinate)] for _ in range(count)]
    item: dict[str, Any] = {
        "label": draw(st.sampled_from(["cat", "dog", "_background_", "__ignore__"])),
        "points": points,
        "group_id": draw(st.none() | st.integers(0, 3)),
        "description": "",
        "shape_type": kind,
        "flags": {},
        "mask": mask,
    }
    if kind == "polygon" and draw(st.booleans()):
        del item["shape_type"]  # labelme 3.x
    return item


@st.composite
def valid_documents(draw: st.DrawFn, min_shapes: int = 0) -> dict[str, Any]:
    embed = draw(st.booleans())
    return {
        "version": "5.8.0",
        "flags": {},
        "shapes": draw(st.lists(valid_shapes(), min_size=min_shapes, max_size=3)),
        "imagePath": "img.png",
        "imageData": b64(draw(image_bytes())) if embed else None,
        "imageHeight": IMAGE_HEIGHT,
        "imageWidth": IMAGE_WIDTH,
    }


def base64_texts() -> st.SearchStrategy[str]:
    return st.one_of(
        image_bytes().map(b64),
        image_bytes().map(lambda data: base64.encodebytes(data).decode("ascii")),
        st.sampled_from(["", "====", "not base64!", "aGVsbG8", "\u00e9\u00e9"]),
    )


def field_values(key: str) -> st.SearchStrategy[Any]:
    """Replacements for one key: values meant for it, and anything at all."""
    meant: dict[str, st.SearchStrategy[Any]] = {
        "shapes": st.lists(valid_shapes() | json_values, max_size=3),
        "imagePath": st.sampled_from(ODD_TEXTS) | st.text(max_size=20),
        "imageData": base64_texts() | st.none(),
        "imageHeight": st.integers(-2, 10) | st.sampled_from(HUGE_INTEGERS),
        "imageWidth": st.integers(-2, 10) | st.sampled_from(HUGE_INTEGERS),
        "label": st.sampled_from(ODD_TEXTS) | st.text(max_size=8),
        "points": random_points,
        "group_id": st.integers() | st.sampled_from(HUGE_INTEGERS),
        "shape_type": st.sampled_from([*SHAPE_TYPES, "points", "POLYGON", ""]),
        "mask": base64_texts()
        | st.builds(
            lambda w, h, mode: b64(mask_png(w, h, mode)),
            st.integers(1, 7),
            st.integers(1, 7),
            st.sampled_from(["1", "L", "RGB"]),
        ),
    }
    return st.one_of(meant.get(key, st.nothing()), json_values, st.just(MISSING))


@st.composite
def one_field_replaced(draw: st.DrawFn) -> dict[str, Any]:
    document = draw(valid_documents())
    shapes = document["shapes"]
    if shapes and draw(st.integers(0, 2)) > 0:
        target = shapes[draw(st.integers(0, len(shapes) - 1))]
        key = draw(st.sampled_from(SHAPE_KEYS))
    else:
        target, key = document, draw(st.sampled_from(TOP_KEYS))
    value = draw(field_values(key))
    if value is MISSING:
        target.pop(key, None)
    else:
        target[key] = value
    return document


@st.composite
def random_shapes(draw: st.DrawFn) -> dict[str, Any]:
    """A shape of any type with any points; a mask fits its box when it can."""
    kind = draw(st.sampled_from([*SHAPE_TYPES, "mask", "points"]))
    points = draw(random_points)
    if draw(st.booleans()):  # two points a few pixels apart, anywhere
        x, y = draw(finite_numbers), draw(finite_numbers)
        dx, dy = draw(st.integers(-1, 6)), draw(st.integers(-1, 6))
        points = [[x, y], [x + dx, y + dy]]
    mask: object = None
    if kind == "mask":
        mask = draw(field_values("mask"))
        box = mask_box(points)
        if box is not None and draw(st.integers(0, 3)) > 0:
            mask = b64(mask_png(*box, draw(st.sampled_from(["1", "L"]))))
    item = {
        "label": draw(st.sampled_from(["cat", "dog", "bird", "__ignore__"])),
        "points": points,
        "group_id": draw(st.none() | st.integers(-1, 2)),
        "shape_type": kind,
        "mask": mask,
    }
    if mask is MISSING:
        del item["mask"]
    return item


def mask_box(points: list[Any]) -> tuple[int, int] | None:
    """The (width, height) a mask needs for these points, if small and valid."""
    try:
        (x1, y1), (x2, y2) = ((int(x), int(y)) for x, y in points)
    except (TypeError, ValueError, OverflowError):
        return None
    width, height = x2 - x1 + 1, y2 - y1 + 1
    return (width, height) if 1 <= width <= 8 and 1 <= height <= 8 else None


@st.composite
def random_shape_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Valid shapes with one or two random ones among them (a single bad shape
    is enough to refuse the file, so more would rarely reach the rasterizer)."""
    document = draw(valid_documents())
    shapes = document["shapes"]
    for _ in range(draw(st.integers(1, 2))):
        shapes.insert(draw(st.integers(0, len(shapes))), draw(random_shapes()))
    return document


# --- what every file must give -------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Module-scoped: hypothesis refuses function-scoped fixtures in @given
    tests, as they are not reset between examples; each example gets its own
    folder in here from ``new_folder`` instead."""
    return tmp_path_factory.mktemp("fuzz")


_numbers = itertools.count()


NewFolder = Callable[..., Path]


@pytest.fixture(scope="module")
def new_folder(fuzz_dir: Path) -> NewFolder:
    """Make a fresh folder holding img.png for each example (check_file
    removes it)."""

    def make(image: bytes = PNG) -> Path:
        folder = fuzz_dir / f"example{next(_numbers)}"
        folder.mkdir()
        (folder / "img.png").write_bytes(image)
        return folder

    return make


def document_bytes(document: object, *, ascii_only: bool) -> bytes:
    """JSON as Python writes it (NaN and Infinity included); lone surrogates
    come out as they are, which is not UTF-8."""
    text = json.dumps(document, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


def check_file(
    folder: Path, data: bytes, *, max_pixels: int = 1 << 20, gray: bool = False
) -> None:
    """Read ``data`` as a labelme file and carry on as a conversion does; our
    errors are fine, anything else fails, and so does a hang."""
    path = folder / "sample.json"
    path.write_bytes(data)
    try:
        with hang_guard(HANG_SECONDS):
            run_pipeline(path, max_pixels=max_pixels, gray=gray)
    finally:
        shutil.rmtree(folder)


def run_pipeline(path: Path, *, max_pixels: int, gray: bool) -> None:
    try:
        annotation = read_annotation(path, max_image_pixels=max_pixels)
    except (AnnotationError, ImageError) as error:
        assert_clean_error(error, path)
        return
    raw = json.loads(path.read_bytes())  # the document the reader saw
    assert_valid_annotation(annotation, path, raw, max_pixels)
    try:
        ids = class_ids(annotation.shapes, TABLE, owner=path)
    except AnnotationError as error:
        assert_clean_error(error, path)
        assert any(shape.label not in TABLE.ids for shape in annotation.shapes)
    else:
        assert_rasterizes(annotation.shapes, ids)
    try:
        loaded = load_image(annotation, max_image_pixels=max_pixels, gray=gray)
    except ImageError as error:
        assert_clean_error(error, path)
    else:
        assert_valid_image(loaded, annotation, max_pixels, gray)


def assert_clean_error(error: SegConvertError, path: Path) -> None:
    """About the JSON file, and printable as one UTF-8 line."""
    assert error.path == path
    text = str(error)
    assert len(text.splitlines()) == 1, text
    text.encode("utf-8")  # a lone surrogate here breaks the report and stdout


def assert_valid_annotation(
    annotation: Annotation, path: Path, raw: Any, max_pixels: int
) -> None:
    assert isinstance(annotation, Annotation)
    assert annotation.path == path
    assert isinstance(raw, dict) and isinstance(raw["shapes"], list)
    assert isinstance(annotation.shapes, tuple)
    assert len(annotation.shapes) == len(raw["shapes"])
    for shape, item in zip(annotation.shapes, raw["shapes"], strict=True):
        assert_valid_shape(shape, item, max_pixels)
    if raw.get("imageData") is not None:
        text = "".join(raw["imageData"].split())
        assert annotation.image == base64.b64decode(text, validate=True)
    else:
        assert isinstance(annotation.image, Path)
        assert isinstance(raw["imagePath"], str) and raw["imagePath"]
    assert isinstance(annotation.declared_size, tuple)
    assert annotation.declared_size == (raw.get("imageWidth"), raw.get("imageHeight"))
    for size in annotation.declared_size:
        assert size is None or (type(size) is int and size >= 1)


def assert_valid_shape(shape: Shape, item: Any, max_pixels: int) -> None:
    assert isinstance(shape, Shape)
    assert isinstance(item, dict)
    assert type(shape.label) is str and shape.label == item["label"]
    expected_type = item.get("shape_type")
    assert shape.shape_type == ("polygon" if expected_type is None else expected_type)
    assert shape.shape_type in POINT_COUNTS
    assert isinstance(shape.points, tuple)
    least, most = POINT_COUNTS[shape.shape_type]
    assert least <= len(shape.points) and (most is None or len(shape.points) <= most)
    for point, given_point in zip(shape.points, item["points"], strict=True):
        assert isinstance(point, tuple) and len(point) == 2
        assert all(type(xy) is float and math.isfinite(xy) for xy in point)
        assert all(type(xy) is not bool for xy in given_point)
        assert point == (float(given_point[0]), float(given_point[1]))
    if shape.shape_type == "circle":
        assert circle_radius(*shape.points) <= MAX_CIRCLE_RADIUS
    assert shape.group_id == item.get("group_id")
    assert shape.group_id is None or type(shape.group_id) is int
    if shape.shape_type == "mask":
        assert isinstance(shape.mask, np.ndarray)
        assert shape.mask.dtype == np.bool_ and not shape.mask.flags.writeable
        (x1, y1), (x2, y2) = ((int(x), int(y)) for x, y in shape.points)
        assert shape.mask.shape == (y2 - y1 + 1, x2 - x1 + 1)
        assert shape.mask.size <= max_pixels
    else:
        assert shape.mask is None


def assert_rasterizes(shapes: tuple[Shape, ...], ids: list[int]) -> None:
    assert ids == [TABLE.ids[shape.label] for shape in shapes]
    for instances in (True, False):
        try:
            result = rasterize(
                shapes,
                ids,
                height=CANVAS_HEIGHT,
                width=CANVAS_WIDTH,
                instances=instances,
            )
        except SegConvertError:  # the reader should have refused it, but clean
            continue
        assert result.classes.shape == (CANVAS_HEIGHT, CANVAS_WIDTH)
        assert result.classes.dtype == np.int32
        assert set(np.unique(result.classes).tolist()) <= {0, *ids}
        if instances:
            assert result.instances is not None
            assert result.instances.shape == (CANVAS_HEIGHT, CANVAS_WIDTH)
            assert int(result.instances.max()) <= len(result.instance_labels)
        else:
            assert result.instances is None


def assert_valid_image(
    loaded: LoadedImage, annotation: Annotation, max_pixels: int, gray: bool
) -> None:
    assert isinstance(loaded, LoadedImage)
    width, height = loaded.size
    assert type(width) is int and type(height) is int
    assert 1 <= width * height <= max_pixels
    for declared, actual in zip(annotation.declared_size, loaded.size, strict=True):
        assert declared is None or declared == actual
    assert (loaded.jpeg is None) != (loaded.rgb is None)
    if loaded.rgb is not None:
        assert (loaded.rgb.mode, loaded.rgb.size) == ("RGB", loaded.size)
    if gray:
        assert loaded.gray is not None
        assert (loaded.gray.mode, loaded.gray.size) == ("L", loaded.size)


# --- the properties ------------------------------------------------------------

MAX_PIXELS = st.sampled_from([1 << 20, 1 << 20, 1 << 20, 48, 47, 1])


@fuzz_settings(examples=400)
@given(
    document=one_field_replaced(),
    image=image_bytes(),
    ascii_only=st.booleans(),
    max_pixels=MAX_PIXELS,
    gray=st.booleans(),
)
def test_valid_file_with_one_field_replaced(
    new_folder: NewFolder,
    document: dict[str, Any],
    image: bytes,
    ascii_only: bool,
    max_pixels: int,
    gray: bool,
) -> None:
    data = document_bytes(document, ascii_only=ascii_only)
    check_file(new_folder(image), data, max_pixels=max_pixels, gray=gray)


@fuzz_settings(examples=250)
@given(
    document=random_shape_documents(),
    max_pixels=MAX_PIXELS,
    gray=st.booleans(),
)
def test_shapes_of_any_type_with_any_points(
    new_folder: NewFolder, document: dict[str, Any], max_pixels: int, gray: bool
) -> None:
    data = document_bytes(document, ascii_only=True)
    check_file(new_folder(), data, max_pixels=max_pixels, gray=gray)


@fuzz_settings(examples=150)
@given(
    document=json_values | st.dictionaries(keys, json_values, max_size=8),
    ascii_only=st.booleans(),
)
def test_any_json_value(new_folder: NewFolder, document: Any, ascii_only: bool) -> None:
    check_file(new_folder(), document_bytes(document, ascii_only=ascii_only))


@st.composite
def raw_files(draw: st.DrawFn) -> bytes:
    """Bytes that are not quite a JSON file: noise, other encodings, a BOM,
    a valid file cut short or with a byte changed."""
    valid = document_bytes(draw(valid_documents(min_shapes=1)), ascii_only=False)
    kind = draw(st.sampled_from(["noise", "encoded", "bom", "cut", "byte"]))
    if kind == "noise":
        return draw(st.binary(max_size=200))
    if kind == "encoded":
        text = draw(st.text(max_size=40) | st.just(valid.decode("utf-8")))
        codec = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1"]))
        return text.encode(codec, "replace")
    if kind == "bom":
        return (
            draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + valid
        )
    at = draw(st.integers(0, len(valid) - 1))
    if kind == "cut":
        return valid[:at]
    return valid[:at] + bytes([draw(st.integers(0, 255))]) + valid[at + 1 :]


@fuzz_settings(examples=150)
@given(data=raw_files())
def test_bytes_that_are_not_quite_json(new_folder: NewFolder, data: bytes) -> None:
    check_file(new_folder(), data)


# --- nesting near the JSON parser's recursion limit ----------------------------


def test_nesting_just_below_the_parsers_limit(new_folder: NewFolder) -> None:
    """The deepest JSON ``json.loads`` accepts here, in every place the reader
    quotes a value in a message (json.dumps nests again, deeper in the stack)."""
    templates = {
        "point": {"shapes": [{"label": "cat", "points": ["@"]}], "imagePath": "x"},
        "imageWidth": {"shapes": [], "imagePath": "img.png", "imageWidth": "@"},
        "imagePath": {"shapes": [], "imagePath": "@"},
    }
    for template in templates.values():
        text = json.dumps(template).replace('"@"', "{}")

        def nested(depth: int, text: str = text) -> str:
            return text.replace("{}", "[" * depth + "]" * depth)

        low, high = 1, 100_000  # the deepest nesting json.loads accepts
        while low < high:
            middle = (low + high + 1) // 2
            try:
                json.loads(nested(middle))
                low = middle
            except RecursionError:
                high = middle - 1
        for depth in range(max(1, low - 8), low + 3):
            check_file(new_folder(), nested(depth).encode())


# --- the bugs this fuzzing found, as their smallest files ----------------------

REPRODUCERS = {
    # _parse_shape: `shape_type not in POINT_COUNTS` hashes the value.
    "unhashable-shape-type": {
        "shapes": [{"label": "cat", "points": [], "shape_type": []}],
        "imageData": b64(PNG),
    },
    # _image_source: Path.exists() raises OSError ENAMETOOLONG.
    "image-path-too-long": {"shapes": [], "imagePath": "a" * 300},
    # rasterize._paint_mask: canvas.paste() needs C ints for the box.
    "mask-far-outside": {
        "shapes": [
            {
                "label": "cat",
                "points": [[3e9, 0], [3e9, 0]],
                "shape_type": "mask",
                "mask": b64(mask_png(1, 1, "L")),
            }
        ],
        "imageData": b64(PNG),
    },
    # _short() quotes the value with ensure_ascii=False: a lone surrogate stays.
    "surrogate-in-message": {
        "shapes": [],
        "imageData": b64(PNG),
        "imageWidth": "\ud800",
    },
}


@pytest.mark.parametrize("name", list(REPRODUCERS))
def test_reproducer(new_folder: NewFolder, name: str) -> None:
    check_file(new_folder(), document_bytes(REPRODUCERS[name], ascii_only=True))


def test_hang_guard_interrupts_a_hang() -> None:
    if not hasattr(signal, "SIGALRM"):
        pytest.skip("no SIGALRM on this system: the guard does nothing here")
    with pytest.raises(pytest.fail.Exception, match="a hang"), hang_guard(1):
        while True:
            pass
