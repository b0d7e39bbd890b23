"""Writing a COCO dataset: instances and, optionally, panoptic annotations.

Layout (an image root per split, ``file_name`` relative to it, as Datumaro,
CVAT and the YOLO format lay images out)::

    images/{train,val}/NAME.jpg
    annotations/instances_{train,val}.json
    annotations/panoptic_{train,val}.json        with --panoptic
    annotations/panoptic_{train,val}/NAME.png    with --panoptic
    Visualization/NAME.jpg                       unless --noviz

An annotation file holds every image of its split, so no worker can write it.
Each sample's part (its image entry and annotations, without ids) is written to
``.seg-convert/coco/NAME.json`` with its other files; once every sample is in
place, the annotation files are assembled from the parts, streamed one image at
a time. A shard writes only its parts: the run without --shard that follows
finds every sample up to date and assembles the files.

Ids start at 1: images are numbered in the sorted order of their names over
train and val together, annotations in image order, so both are unique across
the two files and the same for the same inputs.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from seg_convert.core.errors import OutputError
from seg_convert.core.files import reason as os_reason
from seg_convert.core.inputs import STATE_DIR
from seg_convert.core.interfaces import OutputFormat, named_by_stem
from seg_convert.core.options import COCO, Options
from seg_convert.core.sample import CheckedSample, WrittenSample
from seg_convert.core.splits import (
    SAMPLE_SPLITS,
    TEST_SPLIT,
    all_samples,
    splits_with_samples,
)
from seg_convert.core.version import __version__
from seg_convert.formats.coco.annotations import (
    annotation_fields,
    categories,
    covered_annotation_fields,
)
from seg_convert.formats.coco.json_writer import dataset_info, write_coco_json
from seg_convert.formats.coco.panoptic import (
    panoptic_categories,
    panoptic_png,
    panoptic_segments,
)
from seg_convert.io.atomic import Content
from seg_convert.io.confined import read_regular, remove
from seg_convert.io.dataset_files import (
    IMAGES_DIR,
    SPLIT_IMAGES_DIR,
    VISUALIZATION_QUALITY,
    dataset_jpeg,
    encode,
    split_image_folders,
    split_image_path,
    write_files,
)
from seg_convert.render.visualize import draw_outlines, draw_visualization

ANNOTATIONS_DIR = "annotations"
# The layout's name in the re-run key: samples of the JPEGImages/ layout of
# releases before it are converted again.
LAYOUT = "images/<split>"
VISUALIZATION_DIR = "Visualization"
PARTS_DIR = f"{STATE_DIR}/coco"
PANOPTIC_FOLDERS = tuple(
    f"{ANNOTATIONS_DIR}/panoptic_{split}" for split in SAMPLE_SPLITS
)
IMAGE_FOLDERS = tuple(split_image_folders(SAMPLE_SPLITS))
# Every folder any options put into a COCO dataset, and the once-per-dataset
# files: what a run in another format may have to clean up.
ALL_FOLDERS = frozenset(
    {
        IMAGES_DIR,  # the layout of releases before images/<split>/
        SPLIT_IMAGES_DIR,
        *IMAGE_FOLDERS,
        ANNOTATIONS_DIR,
        PARTS_DIR,
        VISUALIZATION_DIR,
        *PANOPTIC_FOLDERS,
    }
)
PANOPTIC_FILES = tuple(
    f"{ANNOTATIONS_DIR}/panoptic_{split}.json" for split in SAMPLE_SPLITS
)
DATASET_FILES = (
    *(f"{ANNOTATIONS_DIR}/instances_{split}.json" for split in SAMPLE_SPLITS),
    *PANOPTIC_FILES,
)


def remove_dataset_files(root: Path) -> None:
    """Remove what a COCO run writes once per dataset (a run in another format
    into this directory does)."""
    for relative in DATASET_FILES:
        remove(root / relative, root=root)


WARNING_EMPTY = "objects with no pixel inside the image left out"
WARNING_COVERED = "objects wholly covered by later shapes left out (--crop-covered)"


@dataclass(frozen=True)
class CocoWriter:
    """COCO instances (and panoptic) annotations of the run's options."""

    options: Options
    format: str = field(default=COCO, init=False)

    def __post_init__(self) -> None:
        _info()  # a bad SOURCE_DATE_EPOCH fails the run before any work

    @property
    def instances(self) -> bool:
        return True  # objects are what COCO annotates

    def dataset_dirs(self, splits: Sequence[str]) -> list[str]:
        dirs = [*split_image_folders(splits), ANNOTATIONS_DIR, PARTS_DIR]
        if self.options.visualize:
            dirs.append(VISUALIZATION_DIR)
        if self.options.panoptic:
            dirs += [f"{ANNOTATIONS_DIR}/panoptic_{split}" for split in splits]
        return dirs

    def check(self, sample: CheckedSample) -> None:
        """COCO holds any number of objects of any class."""

    def write_sample(self, root: Path, sample: CheckedSample) -> WrittenSample:
        options, stem = self.options, sample.stem
        width, height = sample.image.size
        objects = sample.objects()
        annotations, warnings = [], []
        for item in objects:
            fields = (
                covered_annotation_fields(item, instances=_instances(sample))
                if options.crop_covered
                else annotation_fields(item, segmentation=options.segmentation)
            )
            if fields is None:
                warnings.append(WARNING_EMPTY if item.box is None else WARNING_COVERED)
            else:
                annotations.append(fields)
        part: dict[str, Any] = {
            "image": {"file_name": f"{stem}.jpg", "height": height, "width": width},
            "annotations": annotations,
        }
        split = sample.split_of(
            val_fraction=options.val_fraction, seed=options.split_seed
        )
        files: list[tuple[Path, Content]] = [
            (
                split_image_path(root, split, stem),
                dataset_jpeg(sample.image.rgb, sample.image.jpeg),
            )
        ]
        if options.panoptic:
            segments, segments_info = panoptic_segments(
                classes=sample.arrays.classes,
                instances=_instances(sample),
                instance_classes={item.number: item.class_id for item in objects},
                stuff_ids=self._stuff_ids(),
            )
            folder = root / ANNOTATIONS_DIR / f"panoptic_{split}"
            files.append((folder / f"{stem}.png", panoptic_png(segments)))
            part["panoptic"] = {
                "file_name": f"{stem}.png",
                "segments_info": segments_info,
            }
        font, gray = options.font, sample.image.gray
        if options.visualize and font is not None and gray is not None:
            drawn = draw_visualization(
                gray,
                sample.arrays.indices,
                class_names=options.labels.names,
                font_source=font,
            )
            drawn = draw_outlines(drawn, _instances(sample))
            files.append(
                (
                    root / VISUALIZATION_DIR / f"{stem}.jpg",
                    encode(drawn, "JPEG", quality=VISUALIZATION_QUALITY),
                )
            )
        files.append((root / PARTS_DIR / f"{stem}.json", _dumps(part).encode()))
        write_files(files, root=root)
        return WrittenSample(
            outputs=tuple(path for path, _ in files),
            warnings=tuple(sorted(set(warnings))),
        )

    def write_dataset(
        self, root: Path, *, splits: Mapping[str, Sequence[str]], complete: bool
    ) -> tuple[str, ...]:
        if not self.options.panoptic:
            for relative in PANOPTIC_FILES:  # of an earlier run with --panoptic
                remove(root / relative, root=root)
        if not complete:
            return ()  # a shard: the run without --shard assembles the files
        stems = all_samples(splits)
        image_ids = {stem: number for number, stem in enumerate(stems, 1)}
        first_annotation = {}
        count = 1
        for stem in stems:
            first_annotation[stem] = count
            count += len(_read_part(root, stem)["annotations"])
        info = _info()
        names = self.options.labels.names
        if not splits.get(TEST_SPLIT):  # written only when it has samples
            for kind in ("instances", "panoptic"):
                remove(root / ANNOTATIONS_DIR / f"{kind}_{TEST_SPLIT}.json", root=root)
        for split in splits_with_samples(splits):
            members = splits[split]
            write_coco_json(
                root / ANNOTATIONS_DIR / f"instances_{split}.json",
                root=root,
                info=info,
                licenses=[],
                images=(_image(root, stem, image_ids[stem]) for stem in members),
                annotations=(
                    annotation
                    for stem in members
                    for annotation in _annotations(
                        root, stem, image_ids[stem], first_annotation[stem]
                    )
                ),
                categories=categories(names),
            )
            if self.options.panoptic:
                write_coco_json(
                    root / ANNOTATIONS_DIR / f"panoptic_{split}.json",
                    root=root,
                    info=info,
                    licenses=[],
                    images=(_image(root, stem, image_ids[stem]) for stem in members),
                    annotations=(
                        _panoptic(root, stem, image_ids[stem]) for stem in members
                    ),
                    categories=panoptic_categories(names, stuff_ids=self._stuff_ids()),
                )
        return ()

    def _stuff_ids(self) -> frozenset[int]:
        return frozenset(self.options.labels.ids[name] for name in self.options.stuff)


def _instances(sample: CheckedSample) -> npt.NDArray[np.int32]:
    """The sample's instance ids (drawn on first use: plain polygons and RLE
    need none)."""
    instances = sample.arrays.instances
    if instances is None:
        raise ValueError("a COCO sample needs its instance ids")
    return instances


def _info() -> dict[str, object]:
    return dataset_info(
        description="seg-convert labelme2coco",
        version=__version__,
        source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH"),
    )


def _dumps(item: object) -> str:
    return json.dumps(item, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _read_part(root: Path, stem: str) -> dict[str, Any]:
    """A sample's part, checked: parts are state, and state is input too (a
    named pipe planted in its place is refused, never waited on)."""
    path = root / PARTS_DIR / f"{stem}.json"
    try:
        part: dict[str, Any] = json.loads(read_regular(path, root=root))
        _check_part(part)
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as error:
        reason = os_reason(error) if isinstance(error, OSError) else error
        raise OutputError(
            path,
            f"unreadable part of the COCO files ({reason}); run again with --force",
        ) from None
    return part


_ANNOTATION_KEYS = ("category_id", "segmentation", "area", "bbox", "iscrowd")


def _check_part(part: object) -> None:
    """Raise ValueError unless ``part`` holds what ``write_sample`` writes:
    positive sizes, annotations of our keys with finite numbers (a forged
    part must not reach the annotation files)."""
    if not isinstance(part, dict):
        raise ValueError("not an object")
    image, annotations = part["image"], part["annotations"]
    if not all(
        _is_count(image[side]) and image[side] > 0 for side in ("height", "width")
    ):
        raise ValueError("image size is not two positive whole numbers")
    if not isinstance(annotations, list):
        raise ValueError("annotations is not a list")
    for fields in annotations:
        if not isinstance(fields, dict) or tuple(fields) != _ANNOTATION_KEYS:
            raise ValueError("an annotation with other keys")
        numbers = (
            [fields["area"], *fields["bbox"]]
            if isinstance(fields["bbox"], list)
            else []
        )
        if (
            not _is_count(fields["category_id"])
            or fields["iscrowd"] != 0
            or len(numbers) != 5
            or not all(_is_number(n) for n in numbers)
            or not isinstance(fields["segmentation"], list | dict)
        ):
            raise ValueError("an annotation of the wrong form")
    if "panoptic" in part and not isinstance(part["panoptic"]["segments_info"], list):
        raise ValueError("panoptic segments are not a list")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _image(root: Path, stem: str, image_id: int) -> dict[str, Any]:
    image = _read_part(root, stem)["image"]
    return {
        "id": image_id,
        "file_name": f"{stem}.jpg",
        "height": image["height"],
        "width": image["width"],
    }


def _annotations(
    root: Path, stem: str, image_id: int, first: int
) -> Iterator[dict[str, Any]]:
    for number, fields in enumerate(_read_part(root, stem)["annotations"], first):
        yield {"id": number, "image_id": image_id, **fields}  # fields: checked keys


def _panoptic(root: Path, stem: str, image_id: int) -> dict[str, Any]:
    part = _read_part(root, stem)
    if "panoptic" not in part:
        raise OutputError(
            root / PARTS_DIR / f"{stem}.json",
            "has no panoptic segments; run again with --force",
        )
    return {
        "image_id": image_id,
        "file_name": f"{stem}.png",
        "segments_info": part["panoptic"]["segments_info"],
    }


OUTPUT_FORMAT = OutputFormat(
    name=COCO,
    writer=CocoWriter,
    folders=ALL_FOLDERS,
    owns=named_by_stem(ALL_FOLDERS),
    remove_dataset_files=remove_dataset_files,
    split_in_samples=True,  # images (and panoptic PNGs) go into a folder per split
    layout=LAYOUT,
)
