"""COCO instance files as a sample source: one sample per image.

An image's ``file_name`` is relative to the images folder (``--images``) and
must stay inside it. Its annotations are decoded by pycocotools as
``COCO.annToMask`` decodes them and painted in file order, later over earlier
(``order="area"``: larger first, so small objects stay on top); crowd regions
(``iscrowd: 1``) are void unless ``crowd="class"``. Non-crowd annotations are
instances 1, 2, ... in file order. Classes: the categories sorted by id are
1..K (``category_labels``), or a labels table maps categories by name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seg_convert.core.errors import (
    ImageError,
    InputError,
    UsageProblem,
)
from seg_convert.core.fingerprints import Fingerprint, file_print
from seg_convert.core.inputs import Input, InputSet
from seg_convert.core.interfaces import OpenedSource
from seg_convert.core.labels import (
    LabelTable,
)
from seg_convert.sources.coco import CrowdMode, PaintOrder
from seg_convert.sources.coco.categories import category_labels
from seg_convert.sources.coco.index import CocoImage, CocoIndex, index_coco_files
from seg_convert.sources.coco.reader import CocoReader
from seg_convert.sources.coco.results import index_coco_results


@dataclass(frozen=True)
class CocoSource:
    """Some COCO instance files and the folder their images are in."""

    reader: CocoReader
    index: CocoIndex = field(repr=False, compare=False)
    min_score: float | None = None  # a results list's (None: instance files)

    @property
    def kind(self) -> str:
        return "coco"

    @property
    def root(self) -> Path:
        return self._folders[0]

    @property
    def reads(self) -> tuple[Path, ...]:
        return (*self.index.files, *self._folders)

    @property
    def input_set(self) -> InputSet:
        folders = [("--images", folder) for folder in self._folders]
        words = ("--flatten-names",) * self.index.flatten_names
        return (
            *self.index.files,
            *(part for pair in folders for part in pair),
            *words,
        )

    @property
    def _folders(self) -> list[Path]:
        """The images folders, once each, in the order of the files."""
        return list(dict.fromkeys(self.reader.images_dirs.values()))

    def describe(self) -> dict[str, Any]:
        folders = self._folders
        return {
            "annotation_files": [str(path) for path in self.index.files],
            **({"images_dir": str(folders[0])} if len(folders) == 1 else {}),
            # Per annotation file (a results list's instances file has none).
            "images_dirs": [str(folder) for folder in self.reader.images_dirs.values()],
            "skip_unknown": self.reader.skip_unknown,
            "order": self.reader.order,
            "crowd": self.reader.crowd,
            "flatten_names": self.index.flatten_names,
            "placeholder_category": None
            if self.index.placeholder is None
            else self.index.placeholder[0],
            "min_score": self.min_score,
        }

    @property
    def notes(self) -> tuple[str, ...]:
        if self.index.placeholder is None:
            return ()
        category_id, name = self.index.placeholder
        return (
            f"category {category_id} ({name!r}) left out: Roboflow's placeholder "
            "(supercategory 'none', the supercategory of every other category, "
            "and no annotation uses it)",
        )

    @property
    def check(self) -> CocoReader:
        return self.reader

    def inputs(self, *, exclude: Sequence[Path]) -> list[Input]:
        return list(self.index.images)

    def fingerprint(self, item: Input, image: Path | None, /) -> Fingerprint | None:
        if not isinstance(item, CocoImage):
            raise TypeError(f"not a COCO image: {item!r}")
        try:
            image_print = file_print(self.reader.image_path(item))
        except ImageError:
            return None
        return None if image_print is None else (item.annotations_print, image_print)

    def fixed_splits(self, items: Sequence[Input]) -> Mapping[str, str]:
        return {
            item.stem: item.split
            for item in items
            if isinstance(item, CocoImage) and item.split is not None
        }

    def category_labels(self) -> LabelTable:
        """The categories sorted by id as classes 1..K, named by their names."""
        files = ", ".join(str(path) for path in self.index.files)
        return category_labels(self.index.categories, where=files)


def _images_dirs(
    files: Sequence[Path], images_dir: Path | Sequence[Path]
) -> dict[Path, Path]:
    """The images folder of each annotation file."""
    folders = [images_dir] if isinstance(images_dir, Path) else list(images_dir)
    if len(folders) == 1:
        return {path: folders[0] for path in files}
    if len(folders) != len(files):
        raise UsageProblem(
            f"--images is given {len(folders)} times for {len(files)} annotation "
            "files: give one images folder for all, or one per annotation file in "
            "their order"
        )
    if len(set(files)) != len(files):
        raise UsageProblem(
            "an annotation file is given twice, so which --images is its own is "
            "ambiguous"
        )
    return dict(zip(files, folders, strict=True))


def open_coco(
    annotation_files: Sequence[Path],
    *,
    images_dir: Path | Sequence[Path],
    skip_unknown: bool = False,
    order: PaintOrder = "file",
    crowd: CrowdMode = "void",
    flatten_names: bool = False,
    categories_file: Path | None = None,
    min_score: float = 0.0,
) -> CocoSource:
    """Index ``annotation_files`` (see ``coco_index``) into a source of their
    images, which are in ``images_dir``: one folder for all, or one per file in
    their order (COCO 2017's train2017/ and val2017/); with ``categories_file``,
    the one file is a results list (see ``results``). The reading options are
    part of every image's fingerprint, so a change of them converts every image
    again. ``flatten_names`` names images by their file_name's folders too
    (``a/x.jpg`` -> ``a__x``)."""
    if not annotation_files:
        raise InputError(None, "no COCO annotation files given")
    _check_given_once(annotation_files)
    images_dirs = _images_dirs(annotation_files, images_dir)
    salt = json.dumps([skip_unknown, order, crowd]).encode()
    if categories_file is None:
        index = index_coco_files(
            annotation_files, salt=salt, flatten_names=flatten_names
        )
    elif len(annotation_files) != 1:
        raise UsageProblem("--categories takes one COCO results file")
    else:
        salt += json.dumps(["results", min_score]).encode()
        index = index_coco_results(
            annotation_files[0],
            categories_file=categories_file,
            min_score=min_score,
            salt=salt,
            flatten_names=flatten_names,
        )
    reader = CocoReader(
        images_dirs=images_dirs,
        categories=dict(index.categories),
        skip_unknown=skip_unknown,
        order=order,
        crowd=crowd,
    )
    results = categories_file is not None
    return CocoSource(
        reader=reader, index=index, min_score=min_score if results else None
    )


def _check_given_once(paths: Sequence[Path]) -> None:
    seen: dict[Path, Path] = {}
    for path in paths:
        try:
            key = path.resolve()
        except (OSError, RuntimeError):  # a loop: reading it says so
            continue
        if key in seen:
            raise InputError(
                path,
                f"given twice (as {seen[key]} and {path}); give each annotation "
                "file once",
            )
        seen[key] = path


def open_source(params: Mapping[str, Any]) -> OpenedSource:
    """The source a ``coco2...`` command's parameters name; without --labels,
    its categories are the classes."""
    labels = params["labels"]
    if params["min_score"] and params["categories_file"] is None:
        raise UsageProblem("--min-score is for results lists: give --categories")
    if params["skip_unknown"] and labels is None:
        raise UsageProblem(
            "--skip-unknown needs --labels: without them every category is a class"
        )
    source = open_coco(
        params["annotation_files"],
        images_dir=params["images_dir"],
        skip_unknown=params["skip_unknown"],
        order="area" if params["order"] == "area" else "file",
        crowd="class" if params["crowd"] == "class" else "void",
        flatten_names=params["flatten_names"],
        categories_file=params["categories_file"],
        min_score=params["min_score"],
    )
    return OpenedSource(source, source.category_labels() if labels is None else labels)
