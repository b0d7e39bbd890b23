"""Finding a VOC-style dataset's folders, its samples and their splits.

The dataset is VOC_DIR itself, or VOC_DIR/VOC2012, or VOC_DIR/VOCdevkit/VOC2012
(VOC 2012 as distributed). ``SegmentationClassPNG/`` means the labelme layout
(instance masks in ``SegmentationObjectPNG/``); else ``SegmentationClass/*.png``
(instance masks in ``SegmentationObject/``). Samples are the stems of
``ImageSets/Segmentation/*.txt`` when there are any, else every class mask
with an image in ``JPEGImages/``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from seg_convert.core.errors import InputError
from seg_convert.core.fingerprints import FilePrint
from seg_convert.core.inputs import Input
from seg_convert.sources.voc.classes import read_text

IMAGES_DIR = "JPEGImages"
SETS_DIR = "ImageSets/Segmentation"
LAYOUTS = (  # class masks, instance masks
    ("SegmentationClassPNG", "SegmentationObjectPNG"),
    ("SegmentationClass", "SegmentationObject"),
)
FIXED_SPLITS = ("train", "val")  # trainval.txt is their union, not a split
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class VocItem(Input):
    """One sample: ``source`` is its class mask (which may be missing: a stem
    of a list without one fails), ``image`` its image (None: not found)."""

    image: Path | None
    object_mask: Path | None
    split: str | None


@dataclass(frozen=True)
class Dataset:
    root: Path
    class_dir: Path
    object_dir: Path | None  # None: no instance masks

    @property
    def layout(self) -> str:
        return "labelme" if self.class_dir.name == LAYOUTS[0][0] else "voc"


def find_dataset(voc_dir: Path) -> Dataset:
    for root in (voc_dir, voc_dir / "VOC2012", voc_dir / "VOCdevkit" / "VOC2012"):
        for class_name, object_name in LAYOUTS:
            if (root / class_name).is_dir():
                objects = root / object_name
                return Dataset(
                    root, root / class_name, objects if _has_png(objects) else None
                )
    raise InputError(
        voc_dir,
        "no SegmentationClassPNG/ or SegmentationClass/ here (nor in VOC2012/ or "
        "VOCdevkit/VOC2012/); give the folder that holds the masks",
    )


def find_samples(dataset: Dataset, *, exclude: Sequence[Path]) -> list[VocItem]:
    images = _images(dataset.root / IMAGES_DIR)
    listed = _listed(dataset.root / SETS_DIR)
    if listed is None:
        stems = sorted(
            name[: -len(".png")]
            for name in _names(dataset.class_dir)
            if name.lower().endswith(".png") and name[: -len(".png")] in images
        )
        splits: Mapping[str, str | None] = dict.fromkeys(stems)
    else:
        splits = listed
    excluded = {os.path.realpath(path) for path in exclude}
    items = []
    for stem in sorted(splits):
        mask = _png(dataset.class_dir, stem)
        if os.path.realpath(mask) in excluded:
            continue
        object_mask = (
            None if dataset.object_dir is None else _png(dataset.object_dir, stem)
        )
        if object_mask is not None and not object_mask.exists():
            object_mask = None
        items.append(VocItem(mask, stem, images.get(stem), object_mask, splits[stem]))
    if not items:
        raise InputError(
            dataset.class_dir, f"no masks with an image in {IMAGES_DIR}/ here"
        )
    return items


def _png(folder: Path, stem: str) -> Path:
    return folder / f"{stem}.png"


def _has_png(folder: Path) -> bool:
    return folder.is_dir() and any(
        name.lower().endswith(".png") for name in _names(folder)
    )


def _names(folder: Path) -> list[str]:
    try:
        return sorted(name for name in os.listdir(folder) if not name.startswith("."))
    except OSError as error:
        raise InputError(folder, f"cannot list: {error.strerror}") from None


def _images(folder: Path) -> dict[str, Path]:
    """Each stem's image; two images of one stem are an error naming both."""
    found: dict[str, Path] = {}
    if not folder.is_dir():
        raise InputError(folder, "no such folder: the images go in JPEGImages/")
    for name in _names(folder):
        stem, dot, suffix = name.rpartition(".")
        if not dot or f".{suffix.lower()}" not in IMAGE_SUFFIXES:
            continue
        if stem in found:
            raise InputError(
                folder, f"{found[stem].name} and {name} are both images of {stem!r}"
            )
        found[stem] = folder / name
    return found


def _listed(folder: Path) -> dict[str, str | None] | None:
    """The stems of the split lists and the split train.txt or val.txt fixes;
    None without lists."""
    if not folder.is_dir():
        return None
    lists = [name for name in _names(folder) if name.endswith(".txt")]
    if not lists:
        return None
    splits: dict[str, str | None] = {}
    for name in lists:
        split = name[: -len(".txt")]
        path = folder / name
        text = read_text(path, what="the split list")
        for stem in filter(None, (line.strip() for line in text.splitlines())):
            fixed = split if split in FIXED_SPLITS else None
            before = splits.get(stem)
            if fixed and before and before != fixed:
                raise InputError(path, f"{stem!r} is in both {before}.txt and {name}")
            splits[stem] = fixed or before
    return splits


def mask_print(
    item: VocItem, salt: bytes, prints: Sequence[FilePrint | None]
) -> FilePrint:
    """One print of a sample's masks and the reading options (``salt``)."""
    digest = hashlib.blake2b(repr((prints, salt)).encode(), digest_size=8).digest()
    first = prints[0]
    return (
        0 if first is None else first[0],
        int.from_bytes(digest, "big", signed=True),
    )
