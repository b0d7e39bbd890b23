"""Writing the VOC-style dataset layout.

Two layouts: ``labelme``, the layout of labelme's semantic example
(``SegmentationClass/*.npy`` with ``SegmentationClassPNG/*.png``), and ``voc``, the
PASCAL VOC 2012 layout current labelme writes too (``SegmentationClass/*.png``
with ``SegmentationClassNpy/*.npy``), which torchvision and mmsegmentation read,
with VOC's detection half too (``Annotations/``, ``ImageSets/Main/``; see
``voc_detection``).

Every file is encoded in memory first and written as ``dataset_files`` writes
them: a sample is in the dataset whole or not at all.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from seg_convert.core.colormap import (
    VOID_INDEX,
    palette_indices,
    voc_colormap,
    voc_palette,
)
from seg_convert.core.errors import AnnotationError, LabelsError
from seg_convert.core.interfaces import OutputFormat, named_by_stem
from seg_convert.core.labels import (
    BACKGROUND_NAME,
    LABELMAP_BACKGROUND,
    LABELMAP_VOID,
    LabelTable,
    class_name_problem,
)
from seg_convert.core.options import VOC, Options
from seg_convert.core.sample import CheckedSample, Rasterized, WrittenSample
from seg_convert.core.splits import TEST_SPLIT
from seg_convert.formats.voc.detection import (
    ANNOTATIONS_DIR,
    MAIN_DIR,
    SPLIT_LISTS,
    WARNING_EMPTY,
    annotation_xml,
    remove_lists,
    write_detection_lists,
    xml_text_problem,
)
from seg_convert.io.atomic import Content
from seg_convert.io.confined import remove
from seg_convert.io.dataset_files import (
    IMAGES_DIR,
    VISUALIZATION_QUALITY,
    dataset_jpeg,
    encode,
    write_file_if_changed,
    write_files,
)
from seg_convert.render.visualize import draw_visualization

CLASS_VISUALIZATION_DIR = "SegmentationClassVisualization"
OBJECT_VISUALIZATION_DIR = "SegmentationObjectVisualization"
SPLITS_DIR = "ImageSets/Segmentation"
CLASS_NAMES_FILE = "class_names.txt"
LABELMAP_FILE = "labelmap.txt"
MAX_INSTANCES = 254  # instance PNGs are palette images; 255 is void


@dataclass(frozen=True)
class Layout:
    """Where the label arrays (.npy) and palette PNGs of each kind go."""

    class_npy: str
    class_png: str
    object_npy: str
    object_png: str
    detection: bool  # Annotations/ and ImageSets/Main/ too


LAYOUTS: Mapping[str, Layout] = {
    "labelme": Layout(
        class_npy="SegmentationClass",
        class_png="SegmentationClassPNG",
        object_npy="SegmentationObject",
        object_png="SegmentationObjectPNG",
        detection=False,
    ),
    "voc": Layout(
        class_npy="SegmentationClassNpy",
        class_png="SegmentationClass",
        object_npy="SegmentationObjectNpy",
        object_png="SegmentationObject",
        detection=True,
    ),
}


def dataset_dirs(
    layout: Layout, *, visualize: bool, instances: bool, npy: bool = True
) -> list[str]:
    """The directories a dataset with these options has."""
    dirs = [IMAGES_DIR, layout.class_png, SPLITS_DIR]
    if layout.detection:
        dirs += [ANNOTATIONS_DIR, MAIN_DIR]
    if npy:
        dirs.append(layout.class_npy)
    if visualize:
        dirs.append(CLASS_VISUALIZATION_DIR)
    if instances:
        dirs.append(layout.object_png)
        if npy:
            dirs.append(layout.object_npy)
        if visualize:
            dirs.append(OBJECT_VISUALIZATION_DIR)
    return dirs


# Every folder any options put into a VOC dataset, and the once-per-dataset
# files: what a run in another format or layout may have to clean up.
ALL_FOLDERS = frozenset(
    name
    for layout in LAYOUTS.values()
    for name in dataset_dirs(layout, visualize=True, instances=True)
)
DATASET_FILES = (
    CLASS_NAMES_FILE,
    LABELMAP_FILE,
    *(f"{SPLITS_DIR}/{name}.txt" for name in (*SPLIT_LISTS, TEST_SPLIT)),
)


def remove_dataset_files(root: Path) -> None:
    """Remove what a VOC run writes once per dataset (a run in another format
    into this directory does)."""
    for relative in DATASET_FILES:
        remove(root / relative, root=root)
    remove_lists(root)


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
    for path, data in files:
        write_file_if_changed(path, data, root=root)
    return [path for path, _ in files]


def write_splits(root: Path, splits: Mapping[str, Sequence[str]]) -> list[Path]:
    """Write ``ImageSets/Segmentation/<split>.txt``: stems, one a line; a
    ``test.txt`` only when the inputs put samples there."""
    files = [
        (root / SPLITS_DIR / f"{name}.txt", "".join(f"{s}\n" for s in stems).encode())
        for name, stems in splits.items()
        if stems or name != TEST_SPLIT
    ]
    if not splits.get(TEST_SPLIT):
        remove(root / SPLITS_DIR / f"{TEST_SPLIT}.txt", root=root)
    for path, data in files:
        write_file_if_changed(path, data, root=root)
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
    return encode(image, "PNG", compress_level=1, compress_type=zlib.Z_RLE)


@dataclass(frozen=True)
class VocWriter:
    """The VOC-style dataset: label arrays and palette PNGs per sample, in the
    ``options.layout`` layout, with visualizations unless turned off."""

    options: Options
    layout: Layout = field(init=False)
    format: str = field(default=VOC, init=False)

    def __post_init__(self) -> None:
        if self.options.layout not in LAYOUTS:
            raise ValueError(
                f"layout must be one of {', '.join(LAYOUTS)}, "
                f"not {self.options.layout!r}"
            )
        object.__setattr__(self, "layout", LAYOUTS[self.options.layout])

    @property
    def instances(self) -> bool:
        return self.options.instances

    def dataset_dirs(self, splits: Sequence[str]) -> list[str]:
        # The splits are lists (ImageSets/), not folders.
        return dataset_dirs(
            self.layout,
            visualize=self.options.visualize,
            instances=self.instances,
            npy=self.options.npy,
        )

    def check(self, sample: CheckedSample) -> None:
        count = len(sample.arrays.instance_labels)
        if self.instances and count > MAX_INSTANCES:
            raise AnnotationError(
                sample.source,
                f"{count} instances, but an instance PNG holds at most "
                f"{MAX_INSTANCES}; give shapes of one object the same group_id, "
                "or convert without --instances",
            )
        if self.layout.detection:
            for text in (sample.stem, *sample.arrays.instance_labels):
                problem = xml_text_problem(text)
                if problem is not None:
                    raise AnnotationError(
                        sample.source,
                        f"{text!r} {problem} (Annotations/{sample.stem}.xml); rename "
                        "it, or convert with --layout labelme",
                    )

    def write_sample(self, root: Path, sample: CheckedSample) -> WrittenSample:
        stem, arrays, layout = sample.stem, sample.arrays, self.layout
        npy = self.options.npy
        image = dataset_jpeg(sample.image.rgb, sample.image.jpeg)
        files: list[tuple[Path, Content]] = [(root / IMAGES_DIR / f"{stem}.jpg", image)]
        if npy:
            files.append((root / layout.class_npy / f"{stem}.npy", arrays.classes))
        files.append(
            (root / layout.class_png / f"{stem}.png", _palette_png(arrays.indices))
        )
        if arrays.instances is not None:
            if npy:
                files.append(
                    (root / layout.object_npy / f"{stem}.npy", arrays.instances)
                )
            files.append(
                (root / layout.object_png / f"{stem}.png", label_png(arrays.instances))
            )
        font, gray = self.options.font, sample.image.gray
        if self.options.visualize and font is not None and gray is not None:
            visualizations = zip(
                (CLASS_VISUALIZATION_DIR, OBJECT_VISUALIZATION_DIR),
                _visualizations(gray, arrays, self.options.labels, font),
                strict=True,
            )
            files += [
                (
                    root / folder / f"{stem}.jpg",
                    encode(image, "JPEG", quality=VISUALIZATION_QUALITY),
                )
                for folder, image in visualizations
                if image is not None
            ]
        warnings: tuple[str, ...] = ()
        if layout.detection:
            height, width = arrays.classes.shape
            objects = sample.objects()
            xml = annotation_xml(stem, width=width, height=height, instances=objects)
            files.append((root / ANNOTATIONS_DIR / f"{stem}.xml", xml))
            if any(item.box is None for item in objects):
                warnings = (WARNING_EMPTY,)
        write_files(files, root=root)
        return WrittenSample(
            outputs=tuple(path for path, _ in files), warnings=warnings
        )

    def write_dataset(
        self, root: Path, *, splits: Mapping[str, Sequence[str]], complete: bool
    ) -> tuple[str, ...]:
        write_class_names(root, self.options.labels)
        write_splits(root, splits)
        if not self.layout.detection:
            remove_lists(root)  # of an earlier run in the voc layout
            return ()
        return tuple(
            write_detection_lists(
                root,
                splits=splits,
                classes=self.options.labels.names,
                complete=complete,
            )
        )


def _visualizations(
    gray: Image.Image, arrays: Rasterized, labels: LabelTable, font: str
) -> tuple[Image.Image | None, Image.Image | None]:
    """The class and, with instances, the instance visualization."""
    classes = draw_visualization(
        gray, arrays.indices, class_names=labels.names, font_source=font
    )
    if arrays.instances is None:
        return classes, None
    # Instance 0 is no instance: an empty name leaves it out of the legend.
    names = ("", *(f"{i} {n}" for i, n in enumerate(arrays.instance_labels, 1)))
    objects = draw_visualization(
        gray,
        arrays.instances.astype(np.uint8),
        class_names=names,
        font_source=font,
    )
    return classes, objects


OUTPUT_FORMAT = OutputFormat(
    name=VOC,
    writer=VocWriter,
    folders=ALL_FOLDERS,
    owns=named_by_stem(ALL_FOLDERS),
    remove_dataset_files=remove_dataset_files,
)
