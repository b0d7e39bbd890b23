"""Writing the VOC-style dataset layout.

Every file is encoded in memory first and then written under a temporary name in
its own directory and renamed into place, so a file in the dataset is always
complete. When one of a sample's files cannot be written, the sample's other
files are removed again: a sample is in the dataset whole or not at all.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from .colormap import palette_indices, voc_palette
from .errors import OutputError
from .labels import LabelTable

IMAGES_DIR = "JPEGImages"
LABELS_NPY_DIR = "SegmentationClass"
LABELS_PNG_DIR = "SegmentationClassPNG"
VISUALIZATION_DIR = "SegmentationClassVisualization"
CLASS_NAMES_FILE = "class_names.txt"
JPEG_QUALITY = 95
VISUALIZATION_QUALITY = 90


@dataclass(frozen=True)
class Sample:
    """What is written for one annotation: image, labels, maybe a visualization."""

    stem: str
    image: Image.Image
    label: npt.NDArray[np.int32]
    visualization: Image.Image | None = None


def prepare_output(root: Path, *, visualize: bool) -> None:
    """Create the dataset directories in ``root``, which must be new or empty."""
    if root.exists() and not root.is_dir():
        raise OutputError(root, "exists and is not a directory")
    if root.is_dir() and any(root.iterdir()):
        raise OutputError(
            root,
            "already exists and is not empty (choose a new output directory, "
            "or remove this one)",
        )
    dirs = [IMAGES_DIR, LABELS_NPY_DIR, LABELS_PNG_DIR]
    if visualize:
        dirs.append(VISUALIZATION_DIR)
    try:
        for name in dirs:
            (root / name).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(root, f"cannot create: {error.strerror}") from None


def write_class_names(root: Path, labels: LabelTable) -> Path:
    """Write the class names from ``_background_`` on, one a line."""
    path = root / CLASS_NAMES_FILE
    _write_files([(path, "".join(f"{name}\n" for name in labels.names).encode())])
    return path


def write_sample(root: Path, sample: Sample) -> list[Path]:
    """Write one sample's files; return their paths."""
    files = [
        (root / IMAGES_DIR / f"{sample.stem}.jpg", _jpeg(sample.image, JPEG_QUALITY)),
        (root / LABELS_NPY_DIR / f"{sample.stem}.npy", _npy(sample.label)),
        (root / LABELS_PNG_DIR / f"{sample.stem}.png", label_png(sample.label)),
    ]
    if sample.visualization is not None:
        files.append(
            (
                root / VISUALIZATION_DIR / f"{sample.stem}.jpg",
                _jpeg(sample.visualization, VISUALIZATION_QUALITY),
            )
        )
    _write_files(files)
    return [path for path, _ in files]


def label_png(label: npt.NDArray[np.int32]) -> bytes:
    """Encode an (H, W) int32 label array as a VOC palette PNG (-1 as 255)."""
    height, width = label.shape
    image = Image.frombytes("P", (width, height), palette_indices(label).tobytes())
    image.putpalette(voc_palette())
    return _encode(image, "PNG")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    return _encode(image, "JPEG", quality=quality)


def _npy(array: npt.NDArray[np.int32]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _encode(image: Image.Image, format: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def _write_files(files: Sequence[tuple[Path, bytes]]) -> None:
    written: list[Path] = []
    try:
        for path, data in files:
            _write_atomically(path, data)
            written.append(path)
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        raise OutputError(
            error.filename or files[0][0], f"cannot write: {error.strerror}"
        ) from None


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
