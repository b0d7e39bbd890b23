"""A YOLO dataset's images and their label files, found as ultralytics finds
them: a split's entry in data.yaml is a folder (searched through) or a list
file of image paths; an image's labels are at its path with the last
``images`` folder as ``labels`` and ``.txt`` for its extension, or beside it
when no folder of its path is ``images``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from seg_convert.core.errors import InputError
from seg_convert.core.files import FileRefused, read_regular, reason
from seg_convert.core.inputs import STATE_DIR, Input
from seg_convert.core.splits import SAMPLE_SPLITS
from seg_convert.sources.yolo.data_yaml import DataYaml

# ultralytics' image extensions (IMG_FORMATS).
IMAGE_SUFFIXES = frozenset(
    ".avif .bmp .dng .heic .heif .jp2 .jpeg .jpg .mpo .png .tif .tiff .webp".split()
)
# A split this release has no folder for is written as this one.
FALLBACK_SPLIT = "val"


@dataclass(frozen=True)
class YoloImage(Input):
    """One image: ``source`` is its label file, or the image file itself when
    it has none (a background image); ``image`` the image file, ``split``
    data.yaml's."""

    image: Path
    split: str | None = None
    yaml_split: str | None = None  # as data.yaml names it (test)


def label_path(image: Path) -> Path:
    """Where ultralytics looks for ``image``'s labels."""
    parts = list(image.parts)
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == "images":
            parts[index] = "labels"
            break
    return Path(*parts).with_suffix(".txt")


def _labels_of(image: Path) -> Path:
    """The sample's first file: its label file, or its image when it has none.
    Anything at the label's path is its label file: one that is not a regular
    file (a pipe, a device, a folder) fails the image when it is read, rather
    than making it a background image without a word."""
    labels = label_path(image)
    return labels if os.path.lexists(labels) else image


def dataset_root(yaml: DataYaml, yaml_file: Path) -> Path:
    """The folder the splits are relative to: ``path`` (relative to the
    working directory, as ultralytics takes it, else to the yaml's folder),
    or the yaml's folder."""
    if yaml.path is None:
        return yaml_file.parent
    given = Path(yaml.path)
    if given.is_absolute() or given.exists():
        return given
    return yaml_file.parent / given


def yaml_images(yaml: DataYaml, yaml_file: Path) -> list[YoloImage]:
    """Every image of the splits data.yaml names, split by split."""
    root = dataset_root(yaml, yaml_file)
    found = []
    for split, entries in yaml.splits.items():
        kept = split if split in SAMPLE_SPLITS else FALLBACK_SPLIT
        for image in _entry_images(root, entries, yaml_file):
            found.append(YoloImage(_labels_of(image), image.stem, image, kept, split))
    return found


def folder_images(folder: Path) -> list[YoloImage]:
    """Every image under ``folder`` (not in a state folder), its labels found
    by the same rule: beside it, or under ``labels/`` for ``images/``."""
    return [
        YoloImage(_labels_of(image), image.stem, image) for image in _images_in(folder)
    ]


def _entry_images(root: Path, entries: list[str], yaml_file: Path) -> list[Path]:
    images = []
    for entry in entries:
        path = root / entry
        if path.is_dir():
            images += _images_in(path)
        elif os.path.lexists(path):  # a list file (read as such, or refused)
            images += _listed(path)
        else:
            raise InputError(yaml_file, f"{entry!r} is not a folder or a list file")
    return sorted(images)


def _images_in(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in IMAGE_SUFFIXES
        and STATE_DIR not in path.relative_to(folder).parts
        # Anything but a folder is an image: a pipe or a device named so is
        # refused when its image is read, not passed over without a word.
        and not path.is_dir()
    )


# A list file of image paths: a million images at 100 bytes a line.
MAX_LIST_BYTES = 1 << 27


def _listed(list_file: Path) -> list[Path]:
    """The images of a list file: ``./`` lines relative to its folder, others
    as written."""
    try:
        data = read_regular(list_file, max_bytes=MAX_LIST_BYTES)
        lines = data.decode("utf-8-sig").splitlines()
    except FileRefused as error:
        raise InputError(list_file, str(error.strerror)) from None
    except OSError as error:
        raise InputError(list_file, f"cannot read: {reason(error)}") from None
    except UnicodeDecodeError as error:
        raise InputError(list_file, f"cannot read: {error}") from None
    paths = [
        list_file.parent / line[2:] if line.startswith("./") else Path(line)
        for line in (line.strip() for line in lines)
        if line
    ]
    return [path for path in paths if path.suffix.lower() in IMAGE_SUFFIXES]


def unique_stems(images: list[YoloImage]) -> list[YoloImage]:
    """``images`` (each file once, as in several splits); two files of one
    name would write one sample's files."""
    seen: dict[str, YoloImage] = {}
    kept = []
    for image in images:
        other = seen.setdefault(image.stem, image)
        if other is image:
            kept.append(image)
        elif other.image.resolve() != image.image.resolve():
            raise InputError(
                image.image,
                f"and {other.image} would both be written as {image.stem!r} "
                "(rename one)",
            )
    return kept
