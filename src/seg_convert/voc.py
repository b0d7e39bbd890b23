"""Writing the VOC-style dataset layout.

Two layouts: ``labelme``, the layout of labelme's semantic example
(``SegmentationClass/*.npy`` with ``SegmentationClassPNG/*.png``), and ``voc``, the
PASCAL VOC 2012 layout current labelme writes too (``SegmentationClass/*.png``
with ``SegmentationClassNpy/*.npy``), which torchvision and mmsegmentation read.

Every file is encoded in memory first and then written under a temporary name in
its own directory and renamed into place, so a file in the dataset is always
complete. When one of a sample's files cannot be written, the sample's other
files are removed again: a sample is in the dataset whole or not at all.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from .atomic import Content, write_atomically
from .colormap import VOID_INDEX, palette_indices, voc_colormap, voc_palette
from .errors import LabelsError, OutputError
from .labels import (
    BACKGROUND_NAME,
    LABELMAP_BACKGROUND,
    LABELMAP_VOID,
    LabelTable,
    class_name_problem,
)

IMAGES_DIR = "JPEGImages"
CLASS_VISUALIZATION_DIR = "SegmentationClassVisualization"
OBJECT_VISUALIZATION_DIR = "SegmentationObjectVisualization"
SPLITS_DIR = "ImageSets/Segmentation"
CLASS_NAMES_FILE = "class_names.txt"
LABELMAP_FILE = "labelmap.txt"
JPEG_QUALITY = 95
VISUALIZATION_QUALITY = 90


@dataclass(frozen=True)
class Layout:
    """Where the label arrays (.npy) and palette PNGs of each kind go."""

    class_npy: str
    class_png: str
    object_npy: str
    object_png: str


LAYOUTS: Mapping[str, Layout] = {
    "labelme": Layout(
        class_npy="SegmentationClass",
        class_png="SegmentationClassPNG",
        object_npy="SegmentationObject",
        object_png="SegmentationObjectPNG",
    ),
    "voc": Layout(
        class_npy="SegmentationClassNpy",
        class_png="SegmentationClass",
        object_npy="SegmentationObjectNpy",
        object_png="SegmentationObject",
    ),
}


@dataclass(frozen=True)
class Sample:
    """What is written for one annotation.

    ``jpeg`` is the image file's own bytes when they can be copied unchanged;
    otherwise ``image`` is encoded. ``indices`` are ``classes`` as palette
    indices (-1 as 255). ``instances`` and the visualizations are written when
    present.
    """

    stem: str
    classes: npt.NDArray[np.int32]
    indices: npt.NDArray[np.uint8]
    image: Image.Image | None = None
    jpeg: bytes | None = None
    instances: npt.NDArray[np.int32] | None = None
    class_visualization: Image.Image | None = None
    object_visualization: Image.Image | None = None


def dataset_dirs(layout: Layout, *, visualize: bool, instances: bool) -> list[str]:
    """The directories a dataset with these options has."""
    dirs = [IMAGES_DIR, layout.class_npy, layout.class_png, SPLITS_DIR]
    if visualize:
        dirs.append(CLASS_VISUALIZATION_DIR)
    if instances:
        dirs += [layout.object_npy, layout.object_png]
        if visualize:
            dirs.append(OBJECT_VISUALIZATION_DIR)
    return dirs


# Every directory any options put into a dataset.
ALL_DATASET_DIRS = frozenset(
    name
    for layout in LAYOUTS.values()
    for name in dataset_dirs(layout, visualize=True, instances=True)
)


def prepare_output(
    root: Path, *, layout: Layout, visualize: bool, instances: bool
) -> None:
    """Create the dataset directories in ``root``."""
    if root.exists() and not root.is_dir():
        raise OutputError(root, "exists and is not a directory")
    try:
        for name in dataset_dirs(layout, visualize=visualize, instances=instances):
            (root / name).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(root, f"cannot create: {error.strerror}") from None


def write_class_names(root: Path, labels: LabelTable) -> list[Path]:
    """Write ``class_names.txt`` (one name a line, from ``_background_`` on) and
    ``labelmap.txt``, the label map Datumaro and CVAT read with VOC data.

    A table made in Python rather than by ``parse_labels`` may hold a name that
    would break these files: refused here, before anything is written.
    """
    for name in labels.names:
        problem = class_name_problem(name)
        if problem is not None:
            raise LabelsError(None, f"class name {name!r} {problem}; rename the class")
    class_names = "".join(f"{name}\n" for name in labels.names)
    # Datumaro's own VOC names: "background" for id 0 and "ignored" for void, which
    # it must find declared to read the PNGs that contain it.
    entries = [
        (LABELMAP_BACKGROUND if name == BACKGROUND_NAME else name, index)
        for index, name in enumerate(labels.names)
    ] + [(LABELMAP_VOID, VOID_INDEX)]
    colors = voc_colormap().tolist()
    labelmap = "# label:color_rgb:parts:actions\n" + "".join(
        "{}:{},{},{}::\n".format(name, *colors[index]) for name, index in entries
    )
    files = [
        (root / CLASS_NAMES_FILE, class_names.encode()),
        (root / LABELMAP_FILE, labelmap.encode()),
    ]
    _write_files(files)
    return [path for path, _ in files]


def write_splits(root: Path, splits: Mapping[str, Sequence[str]]) -> list[Path]:
    """Write ``ImageSets/Segmentation/<split>.txt``: stems, one a line."""
    files = [
        (root / SPLITS_DIR / f"{name}.txt", "".join(f"{s}\n" for s in stems).encode())
        for name, stems in splits.items()
    ]
    _write_files(files)
    return [path for path, _ in files]


def write_sample(root: Path, layout: Layout, sample: Sample) -> list[Path]:
    """Write one sample's files; return their paths."""
    stem = sample.stem
    if sample.jpeg is not None:
        image = sample.jpeg
    elif sample.image is not None:
        image = _encode(sample.image, "JPEG", quality=JPEG_QUALITY)
    else:
        raise ValueError("a sample needs its image or its JPEG bytes")
    files: list[tuple[Path, Content]] = [
        (root / IMAGES_DIR / f"{stem}.jpg", image),
        (root / layout.class_npy / f"{stem}.npy", sample.classes),
        (root / layout.class_png / f"{stem}.png", _palette_png(sample.indices)),
    ]
    if sample.instances is not None:
        files += [
            (root / layout.object_npy / f"{stem}.npy", sample.instances),
            (root / layout.object_png / f"{stem}.png", label_png(sample.instances)),
        ]
    for folder, visualization in (
        (CLASS_VISUALIZATION_DIR, sample.class_visualization),
        (OBJECT_VISUALIZATION_DIR, sample.object_visualization),
    ):
        if visualization is not None:
            files.append(
                (
                    root / folder / f"{stem}.jpg",
                    _encode(visualization, "JPEG", quality=VISUALIZATION_QUALITY),
                )
            )
    _write_files(files)
    return [path for path, _ in files]


def label_png(label: npt.NDArray[np.int32]) -> bytes:
    """Encode an (H, W) int32 label array as a VOC palette PNG (-1 as 255)."""
    return _palette_png(palette_indices(label))


def _palette_png(indices: npt.NDArray[np.uint8]) -> bytes:
    height, width = indices.shape
    # Shares the array's memory instead of copying it.
    image = Image.frombuffer("P", (width, height), indices, "raw", "P", 0, 1)
    image.putpalette(voc_palette())
    # Label maps are long runs of one index: zlib's run-length strategy makes
    # smaller files than the default in a third of the time (Pillow's
    # compress_type is zlib's strategy).
    return _encode(image, "PNG", compress_level=1, compress_type=zlib.Z_RLE)


def _encode(image: Image.Image, format: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def _write_files(files: Sequence[tuple[Path, Content]]) -> None:
    """Write all of ``files`` or, if one fails or the run is interrupted, none."""
    written: list[Path] = []
    try:
        for path, data in files:
            write_atomically(path, data)
            written.append(path)
    except BaseException as error:
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(error, OSError):
            where = files[len(written)][0]
            raise OutputError(where, f"cannot write: {error.strerror}") from None
        raise
