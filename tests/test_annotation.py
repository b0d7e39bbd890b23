"""Reading labelme files of every version, and the message for each bad one."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from seg_convert.annotation import Annotation, LoadedImage, load_image, read_annotation
from seg_convert.errors import AnnotationError, ImageError

from .conftest import WriteAnnotation, b64, gradient_image, png_bytes, shape

LIMIT = 1 << 24


def read(path: Path) -> Annotation:
    return read_annotation(path, max_image_pixels=LIMIT)


def test_reads_a_labelme_3_file(tmp_path: Path) -> None:
    """3.x: no shape_type, colors per shape, no imageHeight/imageWidth."""
    gradient_image().save(tmp_path / "img.jpg")
    path = tmp_path / "old.json"
    path.write_text(
        json.dumps(
            {
                "flags": {},
                "shapes": [
                    {
                        "label": "cat",
                        "line_color": None,
                        "fill_color": None,
                        "points": [[1, 2], [30, 4], [10, 20]],
                    }
                ],
                "lineColor": [0, 255, 0, 128],
                "fillColor": [255, 0, 0, 128],
                "imagePath": "img.jpg",
                "imageData": None,
            }
        )
    )
    annotation = read(path)
    (only,) = annotation.shapes
    assert (only.label, only.shape_type, only.group_id) == ("cat", "polygon", None)
    assert only.points == ((1.0, 2.0), (30.0, 4.0), (10.0, 20.0))
    assert annotation.image == tmp_path / "img.jpg"
    assert annotation.declared_size == (None, None)
    assert load_image(annotation, max_image_pixels=LIMIT).size == (64, 48)


def test_reads_embedded_image_data(write_annotation: WriteAnnotation) -> None:
    annotation = read(write_annotation(embed=True))
    assert isinstance(annotation.image, bytes)
    image = load_image(annotation, max_image_pixels=LIMIT).rgb
    np.testing.assert_array_equal(np.asarray(image), np.asarray(gradient_image()))


def test_windows_image_path(write_annotation: WriteAnnotation, tmp_path: Path) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    gradient_image().save(tmp_path / "in" / "sub" / "img.png")
    path = write_annotation(imagePath="sub\\img.png")
    assert read(path).image == tmp_path / "in" / "sub" / "img.png"


def test_foreign_absolute_path_falls_back_to_the_file_beside(
    write_annotation: WriteAnnotation, tmp_path: Path
) -> None:
    path = write_annotation(imagePath="C:\\Users\\ann\\data\\sample.jpg")
    assert read(path).image == tmp_path / "in" / "sample.jpg"


def test_mask_shape_decodes_to_a_read_only_box_sized_array(
    write_annotation: WriteAnnotation,
) -> None:
    stencil = np.eye(4, 6, dtype=np.uint8) * 255
    mask = b64(png_bytes(Image.fromarray(stencil)))
    path = write_annotation(
        shapes=[shape("cat", [[2.9, 3.5], [7.2, 6.0]], "mask", mask=mask)]
    )
    (only,) = read(path).shapes
    assert only.mask is not None and only.mask.dtype == bool
    np.testing.assert_array_equal(only.mask, stencil > 0)
    assert not only.mask.flags.writeable


def _gbk_file(path: Path) -> None:
    path.write_bytes(
        json.dumps({"shapes": [{"label": "行人"}]}, ensure_ascii=False).encode("gbk")
    )


def _one_shape(**fields: Any) -> dict[str, Any]:
    item = shape("cat", [[1, 1], [9, 1], [5, 8]])
    item.update(fields)
    return {"shapes": [item]}


NOT_AN_IMAGE = b64(b"hello, not an image")
RGB_MASK = b64(png_bytes(Image.new("RGB", (5, 5))))
MASK_5X5 = b64(png_bytes(Image.new("L", (5, 5), 255)))

# (id, top-level fields to write, expected message after "<path>: ")
BAD_FILES: list[tuple[str, dict[str, Any], str]] = [
    ("shapes-not-list", {"shapes": {}}, "'shapes' must be a list, got an object"),
    (
        "shape-not-object",
        {"shapes": [3]},
        "shapes[0] must be an object, got the number 3",
    ),
    (
        "label-not-string",
        _one_shape(label=7),
        "shapes[0]: 'label' must be a string, got the number 7",
    ),
    (
        "unknown-type",
        _one_shape(shape_type="star"),
        "shapes[0] (label 'cat'): unknown shape_type 'star' (known: polygon, "
        "rectangle, circle, line, linestrip, point, oriented_rectangle, mask)",
    ),
    (
        "polygon-2",
        _one_shape(points=[[1, 1], [2, 2]]),
        "shapes[0] (label 'cat'): polygon needs at least 3 points, got 2",
    ),
    (
        "rectangle-3",
        _one_shape(shape_type="rectangle"),
        "shapes[0] (label 'cat'): rectangle needs 2 points (two opposite corners), "
        "got 3",
    ),
    (
        "circle-3",
        _one_shape(shape_type="circle"),
        "shapes[0] (label 'cat'): circle needs 2 points (the centre and a point on "
        "the rim), got 3",
    ),
    (
        "line-3",
        _one_shape(shape_type="line"),
        "shapes[0] (label 'cat'): line needs 2 points (its two ends), got 3",
    ),
    (
        "point-3",
        _one_shape(shape_type="point"),
        "shapes[0] (label 'cat'): point needs 1 point, got 3",
    ),
    (
        "oriented-3",
        _one_shape(shape_type="oriented_rectangle"),
        "shapes[0] (label 'cat'): oriented_rectangle needs 4 points (its four "
        "corners), got 3",
    ),
    (
        "linestrip-1",
        _one_shape(shape_type="linestrip", points=[[1, 1]]),
        "shapes[0] (label 'cat'): linestrip needs at least 2 points, got 1",
    ),
    (
        "mask-3",
        _one_shape(shape_type="mask", mask=MASK_5X5),
        "shapes[0] (label 'cat'): mask needs 2 points (the two corners of the "
        "mask's box), got 3",
    ),
    (
        "points-not-list",
        _one_shape(points="1,2"),
        "shapes[0] (label 'cat'): 'points' must be a list, got a string",
    ),
    (
        "point-strings",
        _one_shape(points=[["1", "2"], [3, 4], [5, 6]]),
        "shapes[0] (label 'cat'): points[0] must be [x, y] with finite numbers, "
        'got ["1", "2"]',
    ),
    (
        "point-nan",
        _one_shape(points=[[1, 2], [float("nan"), 4], [5, 6]]),
        "shapes[0] (label 'cat'): points[1] must be [x, y] with finite numbers, "
        "got [NaN, 4]",
    ),
    (
        "point-infinity",
        _one_shape(points=[[1, 2], [3, 4], [5, float("inf")]]),
        "shapes[0] (label 'cat'): points[2] must be [x, y] with finite numbers, "
        "got [5, Infinity]",
    ),
    (
        "point-3-numbers",
        _one_shape(points=[[1, 2, 3], [3, 4], [5, 6]]),
        "shapes[0] (label 'cat'): points[0] must be [x, y] with finite numbers, "
        "got [1, 2, 3]",
    ),
    (
        "group-id-string",
        _one_shape(group_id="1"),
        "shapes[0] (label 'cat'): 'group_id' must be an integer or null, got a string",
    ),
    (
        "group-id-bool",
        _one_shape(group_id=True),
        "shapes[0] (label 'cat'): 'group_id' must be an integer or null, got a boolean",
    ),
    (
        "mask-missing",
        _one_shape(shape_type="mask", points=[[0, 0], [4, 4]]),
        "shapes[0] (label 'cat'): a mask shape needs 'mask', a base64 PNG, got null",
    ),
    (
        "mask-not-base64",
        _one_shape(shape_type="mask", points=[[0, 0], [4, 4]], mask="abc"),
        "shapes[0] (label 'cat'): 'mask' is not valid base64",
    ),
    (
        "mask-not-image",
        _one_shape(shape_type="mask", points=[[0, 0], [4, 4]], mask=NOT_AN_IMAGE),
        "cannot decode shapes[0] (label 'cat') mask: cannot identify image file ",
    ),
    (
        "mask-rgb",
        _one_shape(shape_type="mask", points=[[0, 0], [4, 4]], mask=RGB_MASK),
        "shapes[0] (label 'cat'): mask must be a one-channel PNG, got mode RGB",
    ),
    (
        "mask-wrong-size",
        _one_shape(shape_type="mask", points=[[0, 0], [6.5, 4]], mask=MASK_5X5),
        "shapes[0] (label 'cat'): mask is 5x5 but its points span a box of 7x5 "
        "(0,0 to 6,4)",
    ),
    ("image-data-not-base64", {"imageData": "***"}, "'imageData' is not valid base64"),
    (
        "image-data-number",
        {"imageData": 5},
        "'imageData' must be a base64 string or null, got the number 5",
    ),
    (
        "no-image",
        {"imagePath": None},
        "no image: 'imageData' is null and 'imagePath' is not a file name",
    ),
    (
        "height-not-int",
        {"imageHeight": "48"},
        "'imageHeight' must be a positive integer, got \"48\"",
    ),
    ("width-zero", {"imageWidth": 0}, "'imageWidth' must be a positive integer, got 0"),
]


@pytest.mark.parametrize(
    ("fields", "message"),
    [case[1:] for case in BAD_FILES],
    ids=[c[0] for c in BAD_FILES],
)
def test_bad_files_fail_with_one_clear_message(
    write_annotation: WriteAnnotation, fields: dict[str, Any], message: str
) -> None:
    path = write_annotation(**fields)
    with pytest.raises((AnnotationError, ImageError)) as caught:
        read(path)
    assert str(caught.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{",
            "not valid JSON: Expecting property name enclosed in double quotes at "
            "line 1 column 2",
        ),
        ("[1, 2]", "a labelme file is a JSON object, got a list"),
        ('{"imagePath": "x.jpg"}', "'shapes' must be a list, got null"),
        ('"x"', "a labelme file is a JSON object, got a string"),
        ('{"shapes": [' + "1" * 5000 + "]}", "not valid JSON: Exceeds the limit"),
    ],
    ids=["truncated", "list", "no-shapes", "string", "huge-number"],
)
def test_not_a_labelme_object(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(AnnotationError) as caught:
        read(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.json"
    _gbk_file(path)
    with pytest.raises(AnnotationError) as caught:
        read(path)
    assert (
        str(caught.value) == f"{path}: line 1 is not UTF-8 text; labelme writes UTF-8"
    )


def test_a_directory_named_json(tmp_path: Path) -> None:
    (tmp_path / "d.json").mkdir()
    with pytest.raises(AnnotationError, match="is a directory, not a JSON file"):
        read(tmp_path / "d.json")


def _load(path: Path) -> LoadedImage:
    return load_image(read(path), max_image_pixels=LIMIT)


def test_image_errors(write_annotation: WriteAnnotation, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    missing = write_annotation("missing")
    (folder / "missing.jpg").unlink()
    directory = write_annotation("dir", image_name="dir.png", embed=False)
    (folder / "dir.png").unlink()
    (folder / "dir.png").mkdir()
    data = io.BytesIO()
    gradient_image().save(data, format="JPEG")
    truncated = write_annotation("trunc")
    (folder / "trunc.jpg").write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    garbage = write_annotation("garbage", imageData=NOT_AN_IMAGE)
    wrong_size = write_annotation("size", imageHeight=47)
    cases = {
        missing: f"image {folder / 'missing.jpg'} not found",
        directory: f"image {folder / 'dir.png'} is a directory, not an image",
        truncated: "cannot decode image ",
        garbage: "cannot decode imageData: cannot identify image file",
        wrong_size: "imageHeight is 47 but image "
        f"{folder / 'size.jpg'} is 64x48; the annotation was made on a different image",
    }
    for path, message in cases.items():
        with pytest.raises(ImageError) as caught:
            _load(path)
        assert str(caught.value).startswith(f"{path}: {message}"), path
