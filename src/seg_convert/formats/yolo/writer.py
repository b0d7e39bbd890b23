"""Writing a YOLO dataset, as ultralytics reads it.

Layout::

    images/<split>/NAME.jpg      the image (a baseline RGB JPEG copied as is)
    labels/<split>/NAME.txt      one line per object; empty for none
    data.yaml                    train, val (the image folders) and names
    Visualization/NAME.jpg       unless --noviz

ultralytics finds an image's labels by putting ``labels`` for the last
``images`` in its path, so a sample's two files sit in the folder of its split:
the split shapes each sample's files (``split_in_samples``), and a sample whose
split changes is written again there and its old files removed. data.yaml has
no ``path:`` key: ultralytics then resolves the folders against the yaml's own
folder (a relative ``path:`` would be taken from the working directory). Its
classes are the labels' classes after ``_background_``: class id - 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seg_convert.core.errors import LabelsError, SegConvertError
from seg_convert.core.interfaces import OutputFormat
from seg_convert.core.options import YOLO, Options
from seg_convert.core.outlines import TracingUnavailable
from seg_convert.core.sample import CheckedSample, WrittenSample
from seg_convert.core.splits import SAMPLE_SPLITS, splits_with_samples
from seg_convert.formats.yolo.lines import detect_line, segment_line
from seg_convert.io.atomic import Content
from seg_convert.io.confined import remove
from seg_convert.io.dataset_files import (
    SPLIT_IMAGES_DIR,
    VISUALIZATION_QUALITY,
    dataset_jpeg,
    encode,
    split_image_folders,
    split_image_path,
    write_file_if_changed,
    write_files,
)
from seg_convert.render.visualize import draw_outlines, draw_visualization

LABELS_DIR = "labels"
VISUALIZATION_DIR = "Visualization"
DATA_YAML = "data.yaml"


def _sample_folders(splits: Sequence[str]) -> list[str]:
    """The image and label folders of ``splits``."""
    return [
        *split_image_folders(splits),
        *(f"{LABELS_DIR}/{split}" for split in splits),
    ]


ALL_FOLDERS = frozenset({*_sample_folders(SAMPLE_SPLITS), VISUALIZATION_DIR})
_SUFFIXES = {SPLIT_IMAGES_DIR: ".jpg", LABELS_DIR: ".txt"}

WARNING_DUPLICATE = "objects of one class with the same outline written once"
# ultralytics drops an image under 10 px a side as corrupt (with its labels).
MIN_SIDE = 10
WARNING_SMALL = f"images under {MIN_SIDE} px a side, which ultralytics drops as corrupt"


def owns(path: str, stem: str) -> bool:
    """Whether ``path`` (relative, POSIX) is a file of sample ``stem``:
    ``images/<split>/STEM.jpg``, ``labels/<split>/STEM.txt`` or
    ``Visualization/STEM.jpg``."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] in _SUFFIXES and parts[1] in SAMPLE_SPLITS:
        return parts[2] == stem + _SUFFIXES[parts[0]]
    return parts == [VISUALIZATION_DIR, f"{stem}.jpg"]


def remove_dataset_files(root: Path) -> None:
    """Remove what a YOLO run writes once per dataset (a run in another format
    into this directory does)."""
    remove(root / DATA_YAML, root=root)


@dataclass(frozen=True)
class YoloWriter:
    """YOLO label files of the run's options (``options.task``)."""

    options: Options
    format: str = field(default=YOLO, init=False)

    def __post_init__(self) -> None:
        if len(self.options.labels.names) < 2:
            raise LabelsError(
                None,
                "YOLO needs at least one class after _background_ in the labels",
            )

    @property
    def instances(self) -> bool:
        return self.options.visualize  # only the visualization's outlines

    def dataset_dirs(self, splits: Sequence[str]) -> list[str]:
        dirs = _sample_folders(splits)
        if self.options.visualize:
            dirs.append(VISUALIZATION_DIR)
        return dirs

    def check(self, sample: CheckedSample) -> None:
        """A YOLO label file holds any number of objects of any class."""

    def write_sample(self, root: Path, sample: CheckedSample) -> WrittenSample:
        options, stem = self.options, sample.stem
        split = sample.split_of(
            val_fraction=options.val_fraction, seed=options.split_seed
        )
        text, warnings = self._labels(sample)
        files: list[tuple[Path, Content]] = [
            (
                split_image_path(root, split, stem),
                dataset_jpeg(sample.image.rgb, sample.image.jpeg),
            ),
            (root / LABELS_DIR / split / f"{stem}.txt", text.encode()),
        ]
        font, gray, arrays = options.font, sample.image.gray, sample.arrays
        if options.visualize and font is not None and gray is not None:
            drawn = draw_visualization(
                gray, arrays.indices, class_names=options.labels.names, font_source=font
            )
            if arrays.instances is not None:
                drawn = draw_outlines(drawn, arrays.instances)
            files.append(
                (
                    root / VISUALIZATION_DIR / f"{stem}.jpg",
                    encode(drawn, "JPEG", quality=VISUALIZATION_QUALITY),
                )
            )
        write_files(files, root=root)
        return WrittenSample(
            outputs=tuple(path for path, _ in files), warnings=warnings
        )

    def _labels(self, sample: CheckedSample) -> tuple[str, tuple[str, ...]]:
        """The label file's text (a line per object, in object order, each
        once) and the warnings about what was left out."""
        width, height = sample.image.size
        make = segment_line if self.options.task == "segment" else detect_line
        lines: dict[str, None] = {}
        warnings = set()
        objects = sample.objects()
        for item in objects:
            try:
                line, warning = make(item, width=width, height=height)
            except TracingUnavailable as error:
                where = "" if sample.where is None else f"{sample.where}: "
                raise SegConvertError(sample.source, f"{where}{error}") from None
            if warning is not None:
                warnings.add(warning)
            if line is not None:
                if line in lines:
                    warnings.add(WARNING_DUPLICATE)
                lines[line] = None
        if min(width, height) < MIN_SIDE:
            warnings.add(WARNING_SMALL)
        if sample.ignored:
            count = sample.ignored
            warnings.add(
                f"{count} ignore region{'s' * (count != 1)} (__ignore__ shapes, "
                "crowds) left out: YOLO labels have no ignore"
            )
        return "".join(f"{line}\n" for line in lines), tuple(sorted(warnings))

    def write_dataset(
        self, root: Path, *, splits: Mapping[str, Sequence[str]], complete: bool
    ) -> tuple[str, ...]:
        """data.yaml: the same from every shard, which all see every sample's
        split and the same classes."""
        write_file_if_changed(
            root / DATA_YAML, data_yaml(self.options.labels.names, splits), root=root
        )
        return ()


def data_yaml(names: Sequence[str], splits: Mapping[str, Sequence[str]]) -> bytes:
    """data.yaml for the class ``names`` (``_background_`` first, left out)
    and the splits that have samples (train and val always)."""
    lines = [
        "# Written by seg-convert. With no path key, ultralytics takes the",
        "# folders below as relative to this file's folder.",
    ]
    for split in splits_with_samples(splits):
        lines.append(f"{split}: {SPLIT_IMAGES_DIR}/{split}")
    lines.append("names:")
    lines += [f"  {index}: {yaml_string(name)}" for index, name in enumerate(names[1:])]
    return ("\n".join(lines) + "\n").encode()


def yaml_string(text: str) -> str:
    """``text`` as a YAML double-quoted scalar: ``"`` and ``\\`` escaped, and
    every character YAML does not allow as it is (controls, lone surrogates)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif _printable(code):
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _printable(code: int) -> bool:
    """YAML's printable characters (``c-printable``) but tab, the line breaks
    (NEL, U+2028, U+2029, which a quoted scalar folds) and the BOM."""
    return (
        0x20 <= code <= 0x7E
        or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029))
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    )


OUTPUT_FORMAT = OutputFormat(
    name=YOLO,
    writer=YoloWriter,
    folders=ALL_FOLDERS,
    owns=owns,
    remove_dataset_files=remove_dataset_files,
    split_in_samples=True,  # images/<split>/ and labels/<split>/
)
