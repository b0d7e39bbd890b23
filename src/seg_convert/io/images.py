"""Decoding annotation images safely and making them RGB the way labelme sees them.

Images come from untrusted files, so decoding has our own pixel limit (checked on
the header, before any pixel is decoded) instead of relying on Pillow's global
``MAX_IMAGE_PIXELS``, which other libraries in the same process change (labelme
sets it to ``None`` on import). Image files are also limited in bytes, checked
before they are read: a small image followed by a gigabyte of zeros is refused
rather than read into memory.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from seg_convert.core.errors import ImageError
from seg_convert.core.files import FileRefused, check_regular, read_regular, reason
from seg_convert.core.limits import DEFAULT_MAX_IMAGE_BYTES

_EXIF_ORIENTATION_TAG = 0x0112
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# labelme applies EXIF orientation only to formats whose Pillow reader has EXIF
# support of its own; we follow it so image sizes, and so label arrays, match.
_FORMATS_WITH_ORIENTATION = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
# In a JPEG's entropy-coded data a 0xFF byte is followed by 0x00 (a stuffed
# byte) or a restart marker; any other byte after it starts the next marker.
_MARKER_AFTER_SCAN = re.compile(rb"\xff(?![\x00\xd0-\xd7])")
_JPEG_START_OF_SCAN = 0xDA
_JPEG_END_OF_IMAGE = 0xD9
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


@contextlib.contextmanager
def _pillow_limit_disabled() -> Iterator[None]:
    # Our own limit is checked instead; Pillow's would either refuse images our
    # limit allows or, when another library disabled it, check nothing.
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


@contextlib.contextmanager
def _decoding(owner: Path, what: str) -> Iterator[None]:
    """Turn whatever opening or decoding raises into one ImageError line."""
    try:
        yield
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(owner, f"{what} not found") from None
    except IsADirectoryError:
        raise ImageError(owner, f"{what} is a directory, not an image") from None
    except PermissionError:
        raise ImageError(owner, f"{what} is not readable (permission denied)") from None
    except UnidentifiedImageError:  # its message shows a memory address
        raise ImageError(
            owner, f"cannot decode {what}: not an image, or a format Pillow cannot read"
        ) from None
    except Exception as error:  # Pillow's decoders raise many types on bad data.
        if isinstance(error, OSError) and error.errno is not None:  # the system's
            raise ImageError(owner, f"cannot read {what}: {reason(error)}") from None
        if "truncated" in str(error).lower():  # Pillow's words vary by format
            raise ImageError(
                owner, f"{what} is truncated: the file ends too early"
            ) from None
        raise ImageError(owner, f"cannot decode {what}: {error}") from None


def open_image(
    source: bytes | Path,
    *,
    max_pixels: int,
    owner: Path,
    what: str = "image",
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> Image.Image:
    """Read an image's header, refusing more than ``max_pixels`` pixels or a
    file of more than ``max_bytes``.

    No pixel is decoded yet (see ``load_pixels``). Anything unreadable raises
    ImageError about ``owner``, the annotation file the image belongs to, with
    ``what`` naming the image in the message.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    with _decoding(owner, what):
        if isinstance(source, Path):
            _check_file(source, max_bytes, owner=owner, what=what)
        with _pillow_limit_disabled():
            image = Image.open(stream)
        width, height = image.size
        if width * height > max_pixels:
            raise ImageError(
                owner,
                f"{what} is {width}x{height} = {width * height:,} pixels, more than "
                f"the limit of {max_pixels:,} (raise it with --max-image-pixels "
                "if the image is genuine)",
            )
        if width == 0 or height == 0:
            raise ImageError(owner, f"{what} is empty ({width}x{height} pixels)")
    return image


def load_pixels(image: Image.Image, *, owner: Path, what: str = "image") -> Image.Image:
    """Decode the pixels of an opened image (truncated data is an ImageError)."""
    # Some readers (TIFF) check Pillow's global limit again while loading.
    with _decoding(owner, what), _pillow_limit_disabled():
        image.load()
    return image


def decode_image(
    source: bytes | Path, *, max_pixels: int, owner: Path, what: str = "image"
) -> Image.Image:
    """``open_image`` and ``load_pixels`` in one."""
    image = open_image(source, max_pixels=max_pixels, owner=owner, what=what)
    return load_pixels(image, owner=owner, what=what)


def apply_exif_orientation(
    image: Image.Image, *, owner: Path, what: str = "image"
) -> Image.Image:
    """Turn the image upright as its EXIF orientation says, as labelme does."""
    if image.format not in _FORMATS_WITH_ORIENTATION:
        return image
    if "exif" not in image.info and "Raw profile type exif" not in image.info:
        return image
    orientation = _orientation(image, owner=owner, what=what)
    method = _TRANSPOSE_FOR_ORIENTATION.get(orientation) if orientation else None
    return image if method is None else image.transpose(method)


def _orientation(image: Image.Image, *, owner: Path, what: str) -> int | None:
    with _decoding(owner, f"the EXIF data of {what}"):
        value = image.getexif().get(_EXIF_ORIENTATION_TAG)
    return value if isinstance(value, int) else None


def read_image_file(path: Path, *, max_bytes: int, owner: Path, what: str) -> bytes:
    """The bytes of an image file, refused (not read) past ``max_bytes``."""
    with _decoding(owner, what), _refusals(max_bytes, owner=owner, what=what):
        return read_regular(path, max_bytes=max_bytes)


def _check_file(path: Path, max_bytes: int, *, owner: Path, what: str) -> None:
    """Refuse a directory, a pipe or device (read forever) or a file over
    ``max_bytes``, before a byte of it is read."""
    with _refusals(max_bytes, owner=owner, what=what):
        check_regular(path, max_bytes=max_bytes)


@contextlib.contextmanager
def _refusals(max_bytes: int, *, owner: Path, what: str) -> Iterator[None]:
    try:
        yield
    except FileRefused as error:
        if error.kind == "size":
            raise ImageError(
                owner,
                f"{what} {error.strerror} (raise it with --max-image-bytes if "
                "the image is genuine)",
            ) from None
        kind = "a directory" if error.kind == "directory" else "a pipe or a device"
        raise ImageError(owner, f"{what} is {kind}, not an image") from None


def copyable_jpeg(
    image: Image.Image, data: bytes, *, owner: Path, what: str = "image"
) -> bytes | None:
    """The bytes of the file ``data`` to copy as the dataset's JPEG, or None when
    it must be re-encoded.

    Copied is a whole baseline JPEG, already RGB and upright (no EXIF
    rotation), so copying loses nothing that re-encoding would keep and gains
    no generation loss. Its end is found by walking its segments, not by
    looking for an end marker at the end of the file: zero bytes after it
    (padding some tools add) are left out, and anything else after it (a
    second image, a phone's appended video, data hidden there) is unknown, so
    the image is re-encoded.
    """
    if not (
        image.format == "JPEG"
        and image.mode == "RGB"
        and not image.info.get("progressive")
        and not image.info.get("progression")
        and _orientation(image, owner=owner, what=what) in (None, 1)
    ):
        return None
    end = jpeg_length(data)
    if end is None or data[end:].rstrip(b"\0"):
        return None
    return data[:end]


def jpeg_length(data: bytes) -> int | None:
    """How many bytes of ``data`` its first JPEG image takes, through its end
    marker; None when the segments do not lead to one."""
    if not data.startswith(b"\xff\xd8"):
        return None
    position = 2
    while True:
        if data[position : position + 1] != b"\xff":
            return None
        while data[position : position + 1] == b"\xff":  # fill bytes
            position += 1
        if position >= len(data):
            return None
        code = data[position]
        position += 1
        if code == _JPEG_END_OF_IMAGE:
            return position
        if code == 0x01 or 0xD0 <= code <= 0xD7:
            continue  # markers without a length
        if code == 0x00 or position + 2 > len(data):
            return None
        length = int.from_bytes(data[position : position + 2], "big")
        if length < 2:
            return None
        position += length
        if code == _JPEG_START_OF_SCAN:
            found = _MARKER_AFTER_SCAN.search(data, position)
            if found is None:
                return None
            position = found.start()


def to_rgb(image: Image.Image, *, owner: Path) -> Image.Image:
    """Return an RGB version: gray is repeated, alpha dropped, 16-bit scaled."""
    if image.mode == "RGB":
        return image
    if image.mode in _SIXTEEN_BIT_MODES:
        values = np.asarray(image, dtype=np.int64).clip(0, 0xFFFF)
        gray = ((values * 255 + 0x7FFF) // 0xFFFF).astype(np.uint8)
        return Image.fromarray(gray).convert("RGB")
    if image.mode == "F":
        raise ImageError(
            owner, "32-bit float images are not supported; save it as 8 or 16 bit"
        )
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    return image.convert("RGB")
