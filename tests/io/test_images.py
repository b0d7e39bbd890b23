"""Image decoding: RGB from every mode, labelme's EXIF rule, our own pixel limit,
and ImageError (never another exception) for anything undecodable."""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import labelme.utils
import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from labelme._label_file import read_image_file
from PIL import Image, PngImagePlugin, features

from seg_convert.core.errors import ImageError
from seg_convert.io.images import apply_exif_orientation, decode_image, to_rgb

OWNER = Path("in/x.json")
ORIENTATION = 0x0112
Array = npt.NDArray[Any]


def encoded(image: Image.Image, format: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def decoded(source: bytes | Path, max_pixels: int = 1 << 20) -> Image.Image:
    return decode_image(source, max_pixels=max_pixels, owner=OWNER)


def stack3(gray: Array) -> Array:
    return np.stack([gray] * 3, axis=-1)


GRAY = np.array([[0, 50, 100], [150, 200, 255]], dtype=np.uint8)
INDICES = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
PALETTE = np.array([[10, 20, 30], [40, 50, 60], [70, 80, 90]], dtype=np.uint8)
RGB = np.stack([GRAY, GRAY // 2, 255 - GRAY], axis=-1)


def palette_image(mode: str = "P") -> Image.Image:
    image = Image.fromarray(INDICES, "L").convert("P")
    image.putpalette(PALETTE.flatten().tolist())
    if mode == "PA":
        image = image.convert("PA")
        image.putalpha(Image.fromarray(GRAY))
    return image


# (id, image, format, save options, mode after decoding, expected RGB pixels)
MODE_CASES: list[tuple[str, Image.Image, str, dict[str, Any], str, Array]] = [
    ("L", Image.fromarray(GRAY), "PNG", {}, "L", stack3(GRAY)),
    (
        "L-with-transparency",
        Image.fromarray(GRAY),
        "PNG",
        {"transparency": 50},
        "L",
        stack3(GRAY),
    ),
    (
        "1-bit",
        Image.fromarray(GRAY > 120),
        "PNG",
        {},
        "1",
        stack3(np.where(GRAY > 120, 255, 0)),
    ),
    (
        "LA",
        Image.fromarray(np.stack([GRAY, 255 - GRAY], axis=-1), "LA"),
        "PNG",
        {},
        "LA",
        stack3(GRAY),
    ),
    (
        "RGBA",
        Image.fromarray(np.dstack([RGB, GRAY]), "RGBA"),
        "PNG",
        {},
        "RGBA",
        RGB,
    ),
    ("P", palette_image(), "PNG", {}, "P", PALETTE[INDICES]),
    (
        "P-with-transparency",
        palette_image(),
        "PNG",
        {"transparency": bytes([255, 0, 128])},  # per-index alpha, as bytes
        "P",
        PALETTE[INDICES],
    ),
    ("PA", palette_image("PA"), "TIFF", {}, "PA", PALETTE[INDICES]),
    ("RGB-bmp", Image.fromarray(RGB), "BMP", {}, "RGB", RGB),
]


@pytest.mark.parametrize(
    ("image", "format", "options", "mode", "expected"),
    [case[1:] for case in MODE_CASES],
    ids=[case[0] for case in MODE_CASES],
)
def test_modes_become_rgb(
    image: Image.Image,
    format: str,
    options: dict[str, Any],
    mode: str,
    expected: Array,
) -> None:
    source = decoded(encoded(image, format, **options))
    assert source.mode == mode  # the case covers the mode it is named for
    rgb = to_rgb(source, owner=OWNER)
    assert rgb.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(rgb), expected)


def test_rgb_is_returned_as_it_is() -> None:
    image = decoded(encoded(Image.fromarray(RGB)))
    assert to_rgb(image, owner=OWNER) is image


def test_cmyk_becomes_rgb() -> None:
    cmyk = np.array(
        [
            [[0, 0, 0, 0], [255, 0, 0, 0], [0, 128, 255, 0]],
            [[0, 0, 0, 255], [10, 60, 200, 51], [255, 255, 255, 255]],
        ],
        dtype=np.uint8,
    )
    source = decoded(encoded(Image.fromarray(cmyk, "CMYK"), "TIFF"))
    assert source.mode == "CMYK"
    # Each channel is (255 - ink) scaled by (255 - black), as in naive CMYK.
    ink = cmyk[..., :3].astype(float)
    black = cmyk[..., 3:].astype(float)
    expected = (255 - ink) * (255 - black) / 255
    rgb = np.asarray(to_rgb(source, owner=OWNER)).astype(float)
    np.testing.assert_allclose(rgb, expected, atol=1)


def scaled_to_8_bit(values: Array) -> Array:
    return np.round(values.astype(float) * 255 / 65535).astype(np.uint8)


ALL_16_BIT = np.arange(1 << 16, dtype=np.uint16).reshape(256, 256)


@pytest.mark.parametrize(
    ("image", "format"),
    [
        (Image.fromarray(ALL_16_BIT), "PNG"),
        (Image.fromarray(ALL_16_BIT), "TIFF"),
        (
            Image.frombytes("I;16B", (256, 256), ALL_16_BIT.astype(">u2").tobytes()),
            "TIFF",
        ),
        (Image.fromarray(ALL_16_BIT.astype(np.int32)), "TIFF"),
        (Image.fromarray(ALL_16_BIT.astype(np.int32)), None),
    ],
    ids=["I;16-png", "I;16-tiff", "I;16B-tiff", "I-tiff", "I-in-memory"],
)
def test_16_bit_values_are_scaled_to_8_bit(
    image: Image.Image, format: str | None
) -> None:
    source = image if format is None else decoded(encoded(image, format))
    assert source.mode == image.mode
    rgb = np.asarray(to_rgb(source, owner=OWNER))
    assert rgb.shape == (256, 256, 3)
    expected = scaled_to_8_bit(ALL_16_BIT)
    for channel in range(3):
        np.testing.assert_array_equal(rgb[..., channel], expected)
    flat = rgb[..., 0].ravel()
    for value in (0, 32896, 65535):
        assert flat[value] == round(value * 255 / 65535)


FLOAT_MESSAGE = (
    f"{OWNER}: 32-bit float images are not supported; save it as 8 or 16 bit"
)


@pytest.mark.parametrize("from_tiff", [True, False], ids=["tiff", "in-memory"])
def test_float_images_are_refused(from_tiff: bool) -> None:
    image = Image.fromarray(np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3))
    source = decoded(encoded(image, "TIFF")) if from_tiff else image
    assert source.mode == "F"
    with pytest.raises(ImageError) as caught:
        to_rgb(source, owner=OWNER)
    assert str(caught.value) == FLOAT_MESSAGE


# --- EXIF orientation -------------------------------------------------------------

# What each EXIF orientation asks a viewer to do with the stored pixels, by the
# standard (TIFF 6.0 / EXIF 2.3): 6 means "rotate 90 degrees clockwise" etc.
UPRIGHT: dict[int, Callable[[Array], Array]] = {
    1: lambda a: a,
    2: np.fliplr,
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


def asymmetric_image() -> Image.Image:
    """5x7 with a different color in every pixel: every transpose changes it."""
    rows, columns = np.mgrid[0:5, 0:7]
    pixels = np.stack([rows * 60, columns * 40, 255 - rows * columns * 10], axis=-1)
    return Image.fromarray(pixels.astype(np.uint8))


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes()


def labelme_oriented(data: bytes) -> Array:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(labelme.utils.apply_exif_orientation(image))


def stored_pixels(data: bytes) -> Array:
    """The pixels as stored, before any orientation is applied."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


@pytest.mark.parametrize("orientation", range(1, 9), ids=lambda n: f"orientation-{n}")
@pytest.mark.parametrize(
    ("format", "options"),
    [("JPEG", {"quality": 95}), ("PNG", {}), ("WEBP", {"lossless": True})],
    ids=["jpeg", "png", "webp"],
)
def test_exif_orientation_as_labelme(
    format: str, options: dict[str, Any], orientation: int
) -> None:
    data = encoded(asymmetric_image(), format, exif=exif_bytes(orientation), **options)
    with Image.open(io.BytesIO(data)) as image:
        assert image.getexif()[ORIENTATION] == orientation  # the tag was written
    ours = np.asarray(apply_exif_orientation(decoded(data), owner=OWNER))
    theirs = labelme_oriented(data)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    stored = stored_pixels(data)
    np.testing.assert_array_equal(ours, UPRIGHT[orientation](stored))
    if orientation != 1:
        assert ours.shape != stored.shape or not np.array_equal(ours, stored)


@pytest.mark.parametrize("orientation", [0, 9], ids=["zero", "nine"])
def test_invalid_orientation_leaves_the_image(orientation: int) -> None:
    data = encoded(asymmetric_image(), exif=exif_bytes(orientation))
    image = decoded(data)
    assert apply_exif_orientation(image, owner=OWNER) is image
    np.testing.assert_array_equal(np.asarray(image), labelme_oriented(data))


def test_no_exif_leaves_the_image() -> None:
    image = decoded(encoded(asymmetric_image(), "JPEG"))
    assert apply_exif_orientation(image, owner=OWNER) is image


def test_png_raw_profile_exif_as_labelme() -> None:
    """Older tools (ImageMagick) put EXIF into a hex text chunk instead of eXIf."""
    raw = exif_bytes(6)
    info = PngImagePlugin.PngInfo()
    info.add_text("Raw profile type exif", f"\nexif\n{len(raw):8d}\n{raw.hex()}\n")
    data = encoded(asymmetric_image(), pnginfo=info)
    ours = np.asarray(apply_exif_orientation(decoded(data), owner=OWNER))
    np.testing.assert_array_equal(ours, labelme_oriented(data))
    np.testing.assert_array_equal(ours, UPRIGHT[6](stored_pixels(data)))


def test_tiff_orientation_is_not_applied_again(tmp_path: Path) -> None:
    """labelme does not rotate TIFFs (its EXIF step skips them); Pillow's TIFF reader
    applies the tag itself while loading, for labelme and for us alike."""
    path = tmp_path / "img.tif"
    path.write_bytes(encoded(asymmetric_image(), "TIFF", exif=exif_bytes(6)))
    image = decoded(path)
    assert apply_exif_orientation(image, owner=OWNER) is image
    with Image.open(path) as theirs:
        np.testing.assert_array_equal(
            np.asarray(image), np.asarray(labelme.utils.apply_exif_orientation(theirs))
        )
    labelme_read = labelme.utils.img_data_to_arr(read_image_file(str(path)))
    assert image.size == (labelme_read.shape[1], labelme_read.shape[0])


@pytest.mark.skipif(not features.check("avif"), reason="Pillow without AVIF")
def test_avif_orientation_is_not_applied() -> None:
    """AVIF keeps its EXIF tag after loading, but labelme only orients formats whose
    Pillow reader has ``_getexif``; neither do we."""
    data = encoded(asymmetric_image(), "AVIF", exif=exif_bytes(6))
    image = decoded(data)
    assert image.getexif()[ORIENTATION] == 6
    assert apply_exif_orientation(image, owner=OWNER) is image
    np.testing.assert_array_equal(np.asarray(image), labelme_oriented(data))


# --- our pixel limit, whatever Pillow's global says ---------------------------------


def over_limit_message(width: int, height: int, limit: int) -> str:
    return (
        f"{OWNER}: image is {width}x{height} = {width * height:,} pixels, more than "
        f"the limit of {limit:,} (raise it with --max-image-pixels if the image is "
        "genuine)"
    )


@pytest.mark.parametrize("pillow_limit", [None, 10], ids=["pillow-none", "pillow-10"])
@pytest.mark.parametrize(
    ("size", "limit"),
    [((11, 10), 100), ((10, 11), 100), ((40, 30), 1199)],
    ids=["wide", "tall", "thousands"],
)
def test_over_the_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    pillow_limit: int | None,
    size: tuple[int, int],
    limit: int,
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    data = encoded(Image.new("RGB", size))
    with pytest.raises(ImageError) as caught:
        decoded(data, max_pixels=limit)
    assert str(caught.value) == over_limit_message(*size, limit)
    assert Image.MAX_IMAGE_PIXELS == pillow_limit


@pytest.mark.parametrize(
    ("format", "pillow_limit"),
    [
        pytest.param(
            format,
            pillow_limit,
            id=f"{format}-pillow-{pillow_limit}",
        )
        for format in ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]
        for pillow_limit in [None, 10]
    ],
)
def test_up_to_the_limit_decodes_whatever_pillows_limit(
    monkeypatch: pytest.MonkeyPatch, pillow_limit: int | None, format: str
) -> None:
    """Pillow refuses more than twice its limit; ours must decide alone."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    image = Image.fromarray(np.full((10, 10, 3), 77, np.uint8))
    result = decoded(encoded(image, format), max_pixels=100)
    assert result.size == (10, 10)
    assert np.asarray(result.convert("RGB"))[5, 5].tolist() == [77, 77, 77]
    assert Image.MAX_IMAGE_PIXELS == pillow_limit


def test_a_bomb_header_is_refused_before_decoding() -> None:
    """A PNG header claiming 100000 x 100000 pixels, with no pixel data behind it."""
    data = encoded(Image.new("L", (1, 1)))
    header = data[12:16] + (100_000).to_bytes(4, "big") * 2 + data[24:29]
    bomb = data[:12] + header + zlib.crc32(header).to_bytes(4, "big") + data[33:]
    with pytest.raises(ImageError) as caught:
        decoded(bomb, max_pixels=1 << 28)
    assert str(caught.value) == over_limit_message(100_000, 100_000, 1 << 28)


# --- anything undecodable is an ImageError ----------------------------------------

JPEG = encoded(asymmetric_image(), "JPEG")
PNG = encoded(asymmetric_image())


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, not an image",
        b"GIF89a",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 30,
        b"II*\x00" + b"\xff" * 12,
        JPEG[:60],
        JPEG[: len(JPEG) // 2],
        PNG[: len(PNG) // 2],
    ],
    ids=[
        "empty",
        "text",
        "gif-signature-only",
        "png-signature-then-zeros",
        "tiff-header-garbage",
        "jpeg-headers-only",
        "jpeg-half",
        "png-half",
    ],
)
def test_garbage_raises_image_error(data: bytes) -> None:
    with pytest.raises(ImageError) as caught:
        decoded(data)
    assert re.fullmatch(
        rf"{re.escape(str(OWNER))}: (cannot decode image: .+|image is truncated: "
        "the file ends too early)",
        str(caught.value),
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.png", "image not found"),
        ("folder", "image is a directory, not an image"),
    ],
    ids=["missing", "directory"],
)
def test_unopenable_path(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(ImageError) as caught:
        decoded(tmp_path / name)
    assert str(caught.value) == f"{OWNER}: {message}"


SEEDS = {
    f"{format}-{mode}": encoded(asymmetric_image().convert(mode), format)
    for format, mode in [
        ("PNG", "RGB"),
        ("PNG", "P"),
        ("JPEG", "RGB"),
        ("GIF", "P"),
        ("BMP", "RGB"),
        ("TIFF", "RGB"),
        ("WEBP", "RGB"),
    ]
}


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.sampled_from(sorted(SEEDS)),
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=4
    ),
    keep=st.floats(0, 1),
)
def test_corrupted_images_decode_or_raise_image_error(
    seed: str, edits: list[tuple[float, int]], keep: float
) -> None:
    data = bytearray(SEEDS[seed])
    for where, byte in edits:
        data[int(where * len(data))] = byte
    if keep < 1:
        data = data[: int(keep * len(data))]
    try:
        image = to_rgb(decoded(bytes(data)), owner=OWNER)
    except ImageError as error:
        assert str(error).startswith(f"{OWNER}: ")
    else:
        assert image.mode == "RGB" and image.width > 0 and image.height > 0
