"""The per-image check of a COCO source: the image found and checked first,
then its annotations read back from their spans in the file, each checked and
made a region to paint (in file order, or larger first with ``order="area"``);
small and picklable, it runs in worker processes."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from seg_convert.core.errors import AnnotationError, ImageError, SegConvertError
from seg_convert.core.files import open_regular, reason
from seg_convert.core.fingerprints import content_digest, file_print
from seg_convert.core.inputs import Input, stem_problem
from seg_convert.core.labels import IGNORE_ID, IGNORE_NAME, LabelTable
from seg_convert.core.options import Options
from seg_convert.core.sample import CheckedSample
from seg_convert.core.tallies import tally_of
from seg_convert.io.image_loading import load_image_from
from seg_convert.sources.coco import CrowdMode, PaintOrder
from seg_convert.sources.coco.index import CocoImage
from seg_convert.sources.coco.masks import (
    Region,
    SegmentationError,
    area,
    objects,
    paint,
    segmentation_rle,
)

WARNING_UNKNOWN_SKIPPED = "annotations of categories not in the labels (--skip-unknown)"


@dataclass(frozen=True)
class CocoReader:
    """The per-image check: small and picklable, it runs in worker processes.
    ``images_dirs`` is the images folder of each annotation file."""

    images_dirs: Mapping[Path, Path]
    categories: Mapping[int, str]
    skip_unknown: bool = False
    order: PaintOrder = "file"
    crowd: CrowdMode = "void"

    def __call__(
        self, item: Input, options: Options, *, instances: bool, gray: bool = False
    ) -> CheckedSample:
        if not isinstance(item, CocoImage):
            raise TypeError(f"not a COCO image: {item!r}")
        try:
            return self._check(item, options, instances=instances, gray=gray)
        except SegConvertError as error:
            if error.path != item.source:
                raise
            # Said of the file: say which image.
            message = f"{_where(item)}: {error.message}"
            raise type(error)(item.source, message) from None

    def image_path(self, item: CocoImage) -> Path:
        """Where ``item``'s image is, in its file's images folder; a name that
        leaves the folder is an error. ``\\`` is a separator too (Label Studio
        on Windows writes ``images\\x.jpg``), unless a file of that very name
        is there."""
        folder = self.images_dirs[item.source]
        name = item.file_name
        if "\0" in name:
            raise ImageError(
                item.source,
                "file_name has a NUL byte, which no file name holds (fix the "
                "name in the annotation file)",
            )
        relative = PurePosixPath(name.replace("\\", "/"))
        if relative.is_absolute() or PureWindowsPath(name).drive:
            raise ImageError(
                item.source,
                "file_name is an absolute path; COCO names images relative to "
                "--images (make it relative to its images folder)",
            )
        if ".." in relative.parts:
            raise ImageError(
                item.source,
                "file_name leaves --images ('..'); give --images the folder the "
                "names are relative to",
            )
        if "\\" in name and (folder / name).is_file():
            return folder / name
        return folder / relative

    def _check(
        self, item: CocoImage, options: Options, *, instances: bool, gray: bool
    ) -> CheckedSample:
        problem = item.problem or stem_problem(item.stem)
        if problem is not None:
            raise AnnotationError(item.source, problem)
        image_file = self.image_path(item)
        image_print = file_print(image_file)
        if image_print is None:
            raise ImageError(item.source, _unseen(image_file))
        image_digest = content_digest(image_file, max_bytes=options.max_image_bytes)
        # The image first: the sizes the record declares are checked against
        # it (and the pixel limit) before anything is decoded at those sizes.
        loaded = load_image_from(
            image_file,
            owner=item.source,
            what="the image",
            declared_size=(item.width, item.height),
            declared_names=("width", "height"),
            max_image_pixels=options.max_image_pixels,
            max_image_bytes=options.max_image_bytes,
            gray=gray,
        )
        annotations = list(_read_annotations(item))
        regions, left_out = self._regions(item, annotations, options.labels)
        if self.order == "area":
            regions = sorted(regions, key=lambda region: -area(region.rle))
        return CheckedSample(
            stem=item.stem,
            source=item.source,
            image=loaded,
            image_file=image_file,
            rasterized=functools.partial(
                paint,
                regions,
                height=item.height,
                width=item.width,
                instances=instances,
            ),
            fingerprint=(item.annotations_print, image_print),
            # The annotations' print is their content already.
            digests=(None, image_digest),
            warnings=(WARNING_UNKNOWN_SKIPPED,) if left_out else (),
            tallies=tally_of(WARNING_UNKNOWN_SKIPPED, left_out),
            objects_read=len(annotations),
            where=_where(item),
            split=item.split,
            ignored=sum(r.number == 0 or r.class_id < 0 for r in regions),
            object_list=functools.partial(objects, regions),
        )

    def _regions(
        self, item: CocoImage, annotations: list[dict[str, Any]], labels: LabelTable
    ) -> tuple[list[Region], Counter[str]]:
        """The regions to paint, in file order, and how many annotations of
        each category --skip-unknown left out."""
        regions, number = [], 0
        left_out: Counter[str] = Counter()
        for index, annotation in enumerate(annotations):
            where = f"annotation {annotation.get('id', f'[{index}]')}"
            category_id = annotation.get("category_id")
            name = (
                self.categories.get(category_id)
                if isinstance(category_id, int) and not isinstance(category_id, bool)
                else None
            )
            if name is None:
                raise AnnotationError(
                    item.source,
                    f"{where}: category_id {category_id!r} is not in 'categories'",
                )
            class_id = labels.ids.get(name)
            if class_id is None:
                if self.skip_unknown:
                    left_out[name] += 1
                    continue
                raise AnnotationError(
                    item.source,
                    f"{where}: category {name!r} (id {category_id}) is not in the "
                    "labels (add it there, or use --skip-unknown)",
                )
            crowd = annotation.get("iscrowd", 0)
            if crowd not in (0, 1) or isinstance(crowd, bool):
                raise AnnotationError(
                    item.source, f"{where}: 'iscrowd' must be 0 or 1, not {crowd!r}"
                )
            if "segmentation" not in annotation:
                raise AnnotationError(
                    item.source,
                    f"{where}: no 'segmentation' (a box alone is no mask; "
                    "coco2voc needs polygons or RLE)",
                )
            try:
                rle = segmentation_rle(
                    annotation["segmentation"],
                    height=item.height,
                    width=item.width,
                )
            except SegmentationError as error:
                raise AnnotationError(item.source, f"{where}: {error}") from None
            if crowd:
                void = self.crowd == "void"
                regions.append(
                    Region(rle, IGNORE_ID if void else class_id, 0, IGNORE_NAME)
                )
            else:
                number += 1
                regions.append(
                    Region(rle, class_id, number, name, _polygons(annotation))
                )
        return regions, left_out


def _polygons(annotation: dict[str, Any]) -> tuple[tuple[float, ...], ...] | None:
    """The polygons of an annotation whose segmentation is polygons (checked
    by ``segmentation_rle`` already), else None."""
    segmentation = annotation["segmentation"]
    if not isinstance(segmentation, list):
        return None
    return tuple(tuple(float(value) for value in part) for part in segmentation)


def _unseen(image_file: Path) -> str:
    """Why an image file cannot be seen; where it was looked for, if it is not
    there (--images may be off)."""
    try:
        image_file.stat()
    except FileNotFoundError:
        pass
    except OSError as error:
        return f"image {image_file}: cannot read: {reason(error)}"
    return f"image {image_file} not found (file_name is relative to --images)"


def _where(item: CocoImage) -> str:
    return item.where


def _read_annotations(item: CocoImage) -> Iterator[dict[str, Any]]:
    """The image's annotations, read back from their spans in the file."""
    try:
        with open_regular(item.source) as stream:
            for start, end in item.annotation_spans():
                stream.seek(start)
                data = stream.read(end - start)
                try:
                    annotation = json.loads(data)
                except ValueError:
                    annotation = None
                if not isinstance(annotation, dict):
                    raise AnnotationError(
                        item.source,
                        f"the annotation at byte {start} changed since the file "
                        "was indexed (run again)",
                    )
                yield annotation
    except OSError as error:
        raise AnnotationError(item.source, f"cannot read: {reason(error)}") from None
