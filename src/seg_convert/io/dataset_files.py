"""Writing a sample's files, the same way for every format.

Every file is encoded in memory first and then written under a temporary name in
its own directory and renamed into place, so a file in the dataset is always
complete. When one of a sample's files cannot be written, the sample's other
files are removed again: a sample is in the dataset whole or not at all. Files
are reached from the output directory without following a link below it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from seg_convert.core.errors import OutputError
from seg_convert.core.files import reason as os_reason
from seg_convert.io.atomic import Content, write_atomically, write_if_changed
from seg_convert.io.confined import remove

IMAGES_DIR = "JPEGImages"
# The image layout of the formats with a folder per split (COCO, YOLO): each
# sample's image in images/<split>/NAME.jpg, where Datumaro, CVAT and
# ultralytics look for it.
SPLIT_IMAGES_DIR = "images"
JPEG_QUALITY = 95
VISUALIZATION_QUALITY = 90


def dataset_jpeg(image: Image.Image | None, jpeg: bytes | None) -> bytes:
    """The dataset's JPEG of a sample: the source file's own bytes when they can
    be copied unchanged (``jpeg``), else ``image`` encoded."""
    if jpeg is not None:
        return jpeg
    if image is None:
        raise ValueError("a sample needs its image or its JPEG bytes")
    return encode(image, "JPEG", quality=JPEG_QUALITY)


def split_image_path(root: Path, split: str, stem: str) -> Path:
    """Where a sample's image goes in a layout with a folder per split."""
    return root / SPLIT_IMAGES_DIR / split / f"{stem}.jpg"


def split_image_folders(splits: Sequence[str]) -> list[str]:
    """The image folders of ``splits`` in that layout."""
    return [f"{SPLIT_IMAGES_DIR}/{split}" for split in splits]


def encode(image: Image.Image, format: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def write_files(files: Sequence[tuple[Path, Content]], *, root: Path) -> None:
    """Write all of ``files`` (each below ``root``) or, if one fails or the run
    is interrupted, none. Each is reached from ``root`` without following a
    link below it, so a folder swapped for a link during the run fails the file
    rather than sending it outside ``root``."""
    written: list[Path] = []
    try:
        for path, data in files:
            write_atomically(path, data, root=root)
            written.append(path)
    except BaseException as error:
        for path in written:
            remove(path, root=root)
        if isinstance(error, OSError):
            where = files[len(written)][0]
            raise OutputError(where, f"cannot write: {os_reason(error)}") from None
        raise


def write_file_if_changed(path: Path, data: bytes, *, root: Path) -> None:
    """A once-per-dataset file below ``root``, rewritten only when its content
    changes."""
    try:
        write_if_changed(path, data, root=root)
    except OSError as error:
        raise OutputError(path, f"cannot write: {os_reason(error)}") from None
