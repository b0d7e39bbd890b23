"""What labelme refuses but we read: each kind recorded as a warning; files in a
legacy encoding; and the size guards on JSON and image files."""

from __future__ import annotations

import codecs
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import labelme
import labelme.utils
import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from seg_convert.cli import cli
from seg_convert.core.errors import AnnotationError, ImageError
from seg_convert.core.limits import DEFAULT_MAX_IMAGE_BYTES
from seg_convert.sources.labelme import json_text
from seg_convert.sources.labelme.annotation import (
    READ_WARNINGS,
    WARNING_IMAGE_BESIDE,
    WARNING_MASK_CLIPPED,
    WARNING_NO_IMAGE_DATA_KEY,
    WARNING_NO_IMAGE_PATH_KEY,
    WARNING_NO_SHAPE_TYPE,
    image_warnings,
    load_image,
    read_annotation,
)
from seg_convert.sources.labelme.json_text import (
    MAX_JSON_BYTES,
    WARNING_LEGACY_ENCODING,
    WARNING_NOT_PLAIN_UTF8,
    check_encoding,
)
from tests.conftest import REPO, b64, gradient_image, png_bytes, shape

LIMIT = 1 << 24


def jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def labelme_document(**overrides: Any) -> dict[str, Any]:
    """A labelme 5.x file for ``sample.jpg`` beside it."""
    document: dict[str, Any] = {
        "version": "5.4.1",
        "flags": {},
        "shapes": [shape("行人", [[1, 1], [30, 2], [12, 20]])],
        "imagePath": "sample.jpg",
        "imageData": None,
        "imageHeight": 48,
        "imageWidth": 64,
    }
    document.update(overrides)
    return document


def write_folder(folder: Path, document: dict[str, Any], *, encoding: str) -> Path:
    folder.mkdir()
    (folder / "sample.jpg").write_bytes(jpeg_bytes(gradient_image()))
    path = folder / "sample.json"
    text = json.dumps(document, ensure_ascii=False, indent=2)
    path.write_bytes(text.encode(encoding))
    return path


def labelme_3_shapes(document: dict[str, Any]) -> None:
    for item in document["shapes"]:
        del item["shape_type"]


def windows_image_path(document: dict[str, Any]) -> None:
    # As labelme on Windows writes it for an image in a sibling folder.
    document["imagePath"] = "..\\im\\sample.jpg"


def no_image_data_key(document: dict[str, Any]) -> None:
    del document["imageData"]


def no_image_path_key(document: dict[str, Any]) -> None:
    document["imageData"] = b64(png_bytes(gradient_image()))
    del document["imagePath"]


LENIENT_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("labelme-3-no-shape-type", labelme_3_shapes, "utf-8", WARNING_NO_SHAPE_TYPE),
    ("windows-image-path", windows_image_path, "utf-8", WARNING_IMAGE_BESIDE),
    ("no-image-data-key", no_image_data_key, "utf-8", WARNING_NO_IMAGE_DATA_KEY),
    ("no-image-path-key", no_image_path_key, "utf-8", WARNING_NO_IMAGE_PATH_KEY),
    ("utf-8-bom", lambda document: None, "utf-8-sig", WARNING_NOT_PLAIN_UTF8),
    ("utf-16", lambda document: None, "utf-16", WARNING_NOT_PLAIN_UTF8),
]


@pytest.mark.parametrize(
    ("change", "encoding", "warning"),
    [case[1:] for case in LENIENT_CASES],
    ids=[case[0] for case in LENIENT_CASES],
)
def test_what_labelme_refuses_is_read_with_a_warning(
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None],
    encoding: str,
    warning: str,
) -> None:
    document = labelme_document()
    change(document)
    path = write_folder(tmp_path / "in", document, encoding=encoding)
    # The oracle: labelme itself refuses the file.
    with pytest.raises(Exception, match="failed to load"):
        labelme.LabelFile(filename=str(path))
    annotation = read_annotation(path, max_image_pixels=LIMIT)
    assert annotation.warnings == (warning,)
    assert annotation.shapes[0].shape_type == "polygon"
    assert load_image(annotation, max_image_pixels=LIMIT).size == (64, 48)


def test_a_file_labelme_reads_has_no_warnings(tmp_path: Path) -> None:
    path = write_folder(tmp_path / "in", labelme_document(), encoding="utf-8")
    labelme.LabelFile(filename=str(path))
    assert read_annotation(path, max_image_pixels=LIMIT).warnings == ()


def test_each_kind_is_one_warning_however_often_it_occurs(tmp_path: Path) -> None:
    document = labelme_document(
        shapes=[{"label": "a", "points": [[1, 1], [9, 1], [5, 8]]}] * 3,
        imagePath="C:\\Users\\ann\\Desktop\\data\\sample.jpg",
    )
    path = write_folder(tmp_path / "in", document, encoding="utf-8")
    annotation = read_annotation(path, max_image_pixels=LIMIT)
    assert annotation.warnings == (WARNING_NO_SHAPE_TYPE, WARNING_IMAGE_BESIDE)


def test_warning_phrases_read_well_in_a_summary() -> None:
    assert len(set(READ_WARNINGS)) == len(READ_WARNINGS)
    for phrase in READ_WARNINGS:
        assert phrase == phrase.strip() and "\n" not in phrase
        assert phrase[0].islower() or phrase[0] in "J", phrase  # "JSON ..." is a name
        assert not phrase.endswith(".")


@pytest.mark.parametrize(
    ("corner", "warnings"),
    [
        ((10, 10), ()),
        ((54, 38), ()),  # its last row and column are the image's
        ((60, 40), (WARNING_MASK_CLIPPED,)),
        ((-3, 5), (WARNING_MASK_CLIPPED,)),
    ],
    ids=["inside", "touching-the-corner", "past-the-corner", "left-of-the-edge"],
)
def test_a_mask_reaching_outside_the_image_is_a_warning(
    tmp_path: Path, corner: tuple[int, int], warnings: tuple[str, ...]
) -> None:
    x, y = corner
    mask = b64(png_bytes(Image.new("L", (10, 10), 255)))
    item = shape("cat", [[x, y], [x + 9, y + 9]], "mask", mask=mask)
    path = write_folder(
        tmp_path / "in", labelme_document(shapes=[item]), encoding="utf-8"
    )
    annotation = read_annotation(path, max_image_pixels=LIMIT)
    assert image_warnings(annotation, (64, 48)) == warnings
    # The oracle: labelme pastes the mask into its box, which must fit.
    labelme_shape = dict(item, mask=np.ones((10, 10), bool))
    if warnings:
        with pytest.raises(ValueError):
            labelme.utils.shapes_to_label((48, 64), [labelme_shape], {"cat": 1})
    else:
        labelme.utils.shapes_to_label((48, 64), [labelme_shape], {"cat": 1})


# --- legacy encodings ------------------------------------------------------------


def gbk_labelme_3_file(folder: Path) -> tuple[Path, int]:
    """A labelme 3.x file as Chinese Windows saved it: GBK, backslashes, no
    shape_type; and the line of its first non-UTF-8 byte."""
    document = labelme_document(imagePath="..\\图片\\sample.jpg")
    labelme_3_shapes(document)
    document["shapes"].append({"label": "铝型材", "points": [[2, 2], [9, 2], [5, 9]]})
    path = write_folder(folder, document, encoding="gbk")
    text = path.read_bytes().decode("gbk")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if not row.isascii())
    return path, line


def test_gbk_file_without_json_encoding_names_the_fix(tmp_path: Path) -> None:
    path, line = gbk_labelme_3_file(tmp_path / "in")
    with pytest.raises(AnnotationError) as caught:
        read_annotation(path, max_image_pixels=LIMIT)
    assert str(caught.value) == (
        f"{path}: line {line} is not UTF-8 text (old labelme on Windows wrote the "
        "system code page, e.g. GBK: try --json-encoding gbk)"
    )


def test_gbk_file_is_read_with_json_encoding(tmp_path: Path) -> None:
    path, _ = gbk_labelme_3_file(tmp_path / "in")
    annotation = read_annotation(path, max_image_pixels=LIMIT, json_encoding="gbk")
    assert [s.label for s in annotation.shapes] == ["行人", "铝型材"]
    assert annotation.warnings == (
        WARNING_LEGACY_ENCODING,
        WARNING_NO_SHAPE_TYPE,
        WARNING_IMAGE_BESIDE,
    )


def test_utf_8_comes_first_even_with_json_encoding(tmp_path: Path) -> None:
    # UTF-8 bytes of 行人 are valid cp1252-ish text too; UTF-8 must win.
    path = write_folder(tmp_path / "in", labelme_document(), encoding="utf-8")
    annotation = read_annotation(path, max_image_pixels=LIMIT, json_encoding="latin-1")
    assert annotation.shapes[0].label == "行人"
    assert annotation.warnings == ()


@pytest.mark.parametrize(
    ("command", "writes", "problems_on"),
    [
        ("labelme2voc", True, "stderr"),
        ("labelme2coco", True, "stderr"),
        ("validate", False, "stdout"),
    ],
    ids=["labelme2voc", "labelme2coco", "validate"],
)
def test_gbk_file_at_the_command_line(
    tmp_path: Path, command: str, writes: bool, problems_on: str
) -> None:
    source = tmp_path / "in"
    path, line = gbk_labelme_3_file(source)

    def run(out: str, *args: str) -> Result:
        folder = [str(tmp_path / out)] if writes else []
        labels = "__ignore__,_background_,行人,铝型材"
        return CliRunner().invoke(
            cli, [command, str(source), *folder, "--labels", labels, *args]
        )

    refused = run("refused")
    assert refused.exit_code == 1
    problem = (
        f"{path}: line {line} is not UTF-8 text (old labelme on Windows wrote the "
        "system code page, e.g. GBK: try --json-encoding gbk)"
    )
    assert getattr(refused, problems_on).splitlines()[0] == problem

    read = run("out", "--json-encoding", "gbk")
    assert read.exit_code == 0, read.output
    assert f"warning: 1 file: {WARNING_LEGACY_ENCODING}" in read.stderr.splitlines()
    if writes:
        assert f"converted 1 of 1 files into {tmp_path / 'out'}" in read.stderr
        # VOC's JPEGImages/, or COCO's images/<split>/.
        (jpeg,) = [
            *(tmp_path / "out").glob("JPEGImages/sample.jpg"),
            *(tmp_path / "out").glob("images/*/sample.jpg"),
        ]
        with Image.open(jpeg) as image:
            assert image.size == (64, 48)
    else:
        assert f"checked 1 files in {source}: no problems" in read.stderr


def test_a_file_in_neither_encoding_says_so(tmp_path: Path) -> None:
    path, line = gbk_labelme_3_file(tmp_path / "in")
    with pytest.raises(AnnotationError) as caught:
        read_annotation(path, max_image_pixels=LIMIT, json_encoding="ascii")
    assert str(caught.value) == (
        f"{path}: line {line} is neither UTF-8 nor ascii text (check --json-encoding)"
    )


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("GBK", "gbk"), ("cp936", "gbk"), ("Shift-JIS", "shift_jis"), ("utf8", "utf-8")],
)
def test_check_encoding_gives_the_canonical_name(name: str, canonical: str) -> None:
    assert check_encoding(name) == canonical
    assert codecs.lookup(canonical).name == canonical


@pytest.mark.parametrize("name", ["klingon", "base64", "rot13", ""])
def test_check_encoding_refuses_what_does_not_decode_text(name: str) -> None:
    with pytest.raises(ValueError, match="is not a text encoding Python knows"):
        check_encoding(name)


# --- size guards -----------------------------------------------------------------


def test_a_json_over_the_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as stream:  # sparse: no disk space, no time
        stream.write(b'{"shapes": [], "imagePath": "a.jpg", "pad": "')
        stream.truncate(500_000_000)
    limit = 1 << 20  # as the real one, but cheap to read up to
    monkeypatch.setattr(json_text, "MAX_JSON_BYTES", limit)
    read_sizes: list[int] = []
    real_open = Path.open

    def recording_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        stream = real_open(self, *args, **kwargs)
        real_read = stream.read

        def read(size: int = -1) -> Any:
            read_sizes.append(size)
            return real_read(size)

        stream.read = read
        return stream

    monkeypatch.setattr(Path, "open", recording_open)
    with pytest.raises(AnnotationError) as caught:
        read_annotation(path, max_image_pixels=LIMIT)
    assert str(caught.value) == (
        f"{path}: is larger than {limit:,} bytes, too large for a labelme "
        "file (embedded images make a few MB; keep the image beside the JSON and "
        "set imageData to null)"
    )
    assert read_sizes == []  # refused on its size, before a byte is read


def test_json_limit_is_documented() -> None:
    readme = (REPO / "docs" / "guarantees.md").read_text("utf-8")
    assert f"{MAX_JSON_BYTES >> 20} MiB" in readme
    assert f"{DEFAULT_MAX_IMAGE_BYTES >> 20} MiB" in readme


def jpeg_with_tail(folder: Path, tail: int) -> tuple[Path, bytes]:
    """A 640x480 JPEG followed by ``tail`` zero bytes (a sparse file), and the
    JPEG's own bytes; with a labelme file beside it."""
    folder.mkdir()
    jpeg = jpeg_bytes(gradient_image(640, 480))
    image_path = folder / "sample.jpg"
    with image_path.open("wb") as stream:
        stream.write(jpeg)
        stream.truncate(len(jpeg) + tail)
    document = labelme_document(imageHeight=480, imageWidth=640)
    path = folder / "sample.json"
    path.write_text(json.dumps(document), "utf-8")
    return path, jpeg


def test_a_jpeg_with_a_gigabyte_of_zeros_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = jpeg_with_tail(tmp_path / "in", 1 << 30)

    def no_whole_reads(self: Path) -> bytes:
        raise AssertionError(f"{self} read whole")

    monkeypatch.setattr(Path, "read_bytes", no_whole_reads)
    annotation = read_annotation(path, max_image_pixels=LIMIT)
    with pytest.raises(ImageError) as caught:
        load_image(annotation, max_image_pixels=LIMIT)
    size = (tmp_path / "in" / "sample.jpg").stat().st_size
    assert str(caught.value) == (
        f"{path}: image {tmp_path / 'in' / 'sample.jpg'} is {size:,} bytes or more, "
        f"over the limit of {DEFAULT_MAX_IMAGE_BYTES:,} (raise it with "
        "--max-image-bytes if the image is genuine)"
    )


def test_zeros_after_a_jpeg_are_not_copied(tmp_path: Path) -> None:
    path, jpeg = jpeg_with_tail(tmp_path / "in", 1 << 20)
    annotation = read_annotation(path, max_image_pixels=LIMIT)
    loaded = load_image(annotation, max_image_pixels=LIMIT)
    assert loaded.jpeg == jpeg  # the image itself, not its megabyte of padding


@pytest.mark.parametrize(
    "tail",
    [
        b"hidden data\xff\xd9",  # ends in an end-of-image marker, as a JPEG does
        "the-image-again",
        b"\x00\x00\x00\x18ftypmp42" + bytes(64),  # a phone's appended video
        b"\x00" * 16 + b"x",  # zeros, then something
    ],
    ids=["data-ending-in-ffd9", "a-second-jpeg", "appended-video", "zeros-then-data"],
)
def test_data_after_a_jpeg_is_never_copied(tmp_path: Path, tail: bytes | str) -> None:
    path, jpeg = jpeg_with_tail(tmp_path / "in", 0)
    extra = jpeg if tail == "the-image-again" else tail
    assert isinstance(extra, bytes)
    with (tmp_path / "in" / "sample.jpg").open("ab") as stream:
        stream.write(extra)
    annotation = read_annotation(path, max_image_pixels=LIMIT)
    loaded = load_image(annotation, max_image_pixels=LIMIT)
    assert loaded.jpeg is None  # re-encoded from its pixels, not copied


def test_a_jpeg_with_restart_markers_is_copied_whole(tmp_path: Path) -> None:
    """Restart markers inside the scan are part of the image, not its end."""
    path, _ = jpeg_with_tail(tmp_path / "in", 0)
    buffer = io.BytesIO()
    gradient_image(640, 480).save(buffer, "JPEG", restart_marker_blocks=1)
    jpeg = buffer.getvalue()
    assert b"\xff\xd0" in jpeg
    (tmp_path / "in" / "sample.jpg").write_bytes(jpeg)
    annotation = read_annotation(path, max_image_pixels=LIMIT)
    assert load_image(annotation, max_image_pixels=LIMIT).jpeg == jpeg


def test_the_image_byte_limit_can_be_raised(tmp_path: Path) -> None:
    path, jpeg = jpeg_with_tail(tmp_path / "in", 4096)
    annotation = read_annotation(path, max_image_pixels=LIMIT)
    with pytest.raises(ImageError, match="over the limit of 4,096"):
        load_image(annotation, max_image_pixels=LIMIT, max_image_bytes=4096)
    loaded = load_image(
        annotation, max_image_pixels=LIMIT, max_image_bytes=len(jpeg) + 4096
    )
    assert loaded.jpeg == jpeg


def test_a_jpeg_growing_after_stat_is_still_read_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, jpeg = jpeg_with_tail(tmp_path / "in", 0)
    annotation = read_annotation(path, max_image_pixels=LIMIT)
    image_file = tmp_path / "in" / "sample.jpg"
    real_set_blocking = os.set_blocking
    calls: list[int] = []

    def grow_after_the_second_check(fd: int, blocking: bool) -> None:
        # Called by open_regular once the file passed its checks: the first
        # time when the header is read, the second when the bytes are.
        calls.append(fd)
        if len(calls) == 2:
            with image_file.open("r+b") as stream:
                stream.truncate(len(jpeg) + 10_000)
        real_set_blocking(fd, blocking)

    monkeypatch.setattr(os, "set_blocking", grow_after_the_second_check)
    limit = len(jpeg) + 5000
    with pytest.raises(ImageError, match=f"bytes or more, over the limit of {limit:,}"):
        load_image(annotation, max_image_pixels=LIMIT, max_image_bytes=limit)
