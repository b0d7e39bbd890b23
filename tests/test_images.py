"""Image decoding: RGB from every mode, labelme's EXIF rule, our own pixel limit."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import labelme.utils
import numpy as np
import pytest
from labelme._label_file import read_image_file
from PIL import Image

from seg_convert.errors import ImageError
from seg_convert.images import apply_exif_orientation, decode_image, to_rgb

OWNER = Path("in/x.json")


def encoded(image: Image.Image, format: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def decoded(data: bytes, max_pixels: int = 1 << 20) -> Image.Image:
    return decode_image(data, max_pixels=max_pixels, owner=OWNER)


def rgb_of(data: bytes) -> np.ndarray:
    return np.asarray(to_rgb(decoded(data), owner=OWNER))


GRAY = np.array([[0, 50, 100], [150, 200, 255]], dtype=np.uint8)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (Image.fromarray(GRAY), np.stack([GRAY] * 3, axis=-1)),
        (Image.fromarray(GRAY > 120), np.stack([np.where(GRAY > 120, 255, 0)] * 3, -1)),
        (
            Image.fromarray(np.stack([GRAY, 255 - GRAY], -1), "LA"),
            np.stack([GRAY] * 3, axis=-1),
        ),
        (
            Image.fromarray(np.stack([GRAY, GRAY // 2, 255 - GRAY, GRAY], -1), "RGBA"),
            np.stack([GRAY, GRAY // 2, 255 - GRAY], -1),
        ),
    ],
    ids=["L", "1", "LA", "RGBA"],
)
def test_modes_become_rgb(image: Image.Image, expected: np.ndarray) -> None:
    np.testing.assert_array_equal(rgb_of(encoded(image)), expected)


def test_palette_with_transparency_becomes_its_colors() -> None:
    image = Image.new("P", (3, 1))
    image.putpalette([10, 20, 30, 40, 50, 60, 70, 80, 90])
    image.putdata([0, 1, 2])
    data = encoded(image, transparency=1)
    np.testing.assert_array_equal(
        rgb_of(data), [[[10, 20, 30], [40, 50, 60], [70, 80, 90]]]
    )


def test_cmyk_becomes_rgb() -> None:
    image = Image.new("CMYK", (2, 2), (0, 255, 255, 0))
    assert rgb_of(encoded(image, "JPEG", quality=100))[0, 0].tolist() == [255, 0, 0]


@pytest.mark.parametrize(("mode", "format"), [("I;16", "PNG"), ("I", "TIFF")])
def test_16_bit_values_are_scaled(mode: str, format: str) -> None:
    values = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)
    image = Image.fromarray(values).convert(mode)
    assert image.mode == mode
    expected = np.round(values.astype(float) * 255 / 65535).astype(np.uint8)
    np.testing.assert_array_equal(rgb_of(encoded(image, format))[..., 0], expected)
    assert expected.tolist() == [[0, 1, 128, 255]]


def test_float_images_are_refused() -> None:
    image = Image.fromarray(np.zeros((2, 2), np.float32))
    with pytest.raises(ImageError) as caught:
        rgb_of(encoded(image, "TIFF"))
    assert str(caught.value) == (
        "in/x.json: 32-bit float images are not supported; save it as 8 or 16 bit"
    )


def _oriented(orientation: int, format: str) -> bytes:
    # Not symmetric in any direction, so every transpose gives other pixels.
    pixels = np.zeros((4, 6, 3), np.uint8)
    pixels[0, 0] = (255, 0, 0)
    pixels[0, 1:3] = (0, 255, 0)
    pixels[3, 5] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encoded(Image.fromarray(pixels), format, exif=exif.tobytes(), quality=100)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("format", ["JPEG", "PNG"])
def test_exif_orientation_as_labelme(orientation: int, format: str) -> None:
    data = _oriented(orientation, format)
    ours = np.asarray(apply_exif_orientation(decoded(data)))
    with Image.open(io.BytesIO(data)) as image:
        theirs = np.asarray(labelme.utils.apply_exif_orientation(image))
    np.testing.assert_array_equal(ours, theirs)
    if orientation >= 5:
        assert ours.shape[:2] == (6, 4)


def test_tiff_orientation_size_as_labelme(tmp_path: Path) -> None:
    """labelme does not orient TIFFs itself; Pillow's TIFF reader does, for both."""
    path = tmp_path / "img.tif"
    path.write_bytes(_oriented(6, "TIFF"))
    ours = apply_exif_orientation(decoded(path.read_bytes()))
    theirs = labelme.utils.img_data_to_arr(read_image_file(str(path)))
    assert ours.size == (theirs.shape[1], theirs.shape[0])


@pytest.mark.parametrize("pillow_limit", [None, 10, 10**9], ids=str)
def test_pixel_limit_is_ours_whatever_pillows(
    monkeypatch: pytest.MonkeyPatch, pillow_limit: int | None
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    data = encoded(Image.new("RGB", (20, 10)))
    assert decoded(data, max_pixels=200).size == (20, 10)
    with pytest.raises(ImageError) as caught:
        decoded(data, max_pixels=199)
    assert str(caught.value) == (
        "in/x.json: image is 20x10 = 200 pixels, more than the limit of 199 "
        "(raise it with --max-image-pixels if the image is genuine)"
    )
    assert Image.MAX_IMAGE_PIXELS == pillow_limit


def test_a_bomb_header_is_refused_before_decoding() -> None:
    """A PNG header claiming 100000 x 100000 pixels, with no pixel data."""
    data = encoded(Image.new("L", (1, 1)))
    header = data[12:16] + (100_000).to_bytes(4, "big") * 2 + data[24:29]
    crc = zlib.crc32(header).to_bytes(4, "big")
    bomb = data[:12] + header + crc + data[33:]
    with pytest.raises(ImageError, match="100000x100000 = 10,000,000,000 pixels"):
        decoded(bomb)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 30,
        encoded(Image.new("RGB", (9, 9)), "JPEG")[:60],
    ],
    ids=["empty", "gif-header", "png-garbage", "jpeg-cut"],
)
def test_garbage_raises_our_error(data: bytes) -> None:
    with pytest.raises(ImageError, match=r"^in/x\.json: cannot decode image"):
        decoded(data)
