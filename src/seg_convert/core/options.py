"""What a conversion run does: one frozen object for the CLI, the library call,
the per-file work, the report and the re-run key.

Each field's metadata says which output formats it applies to (``formats``:
every format unless it names some; the report and the key leave out the
options another format's writer ignores) and whether it shapes the files
written per sample (``shapes``: a change makes a re-run convert everything
again). The split shapes samples only in formats that write a folder per split
(``OutputFormat.split_in_samples``). Keeping that next to the field is what
stops a new option from being forgotten in the re-run key; a new format adds
its own fields and changes no other.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from seg_convert.core.labels import LabelTable
from seg_convert.core.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_PIXELS
from seg_convert.core.shards import Shard

VOC = "voc"
COCO = "coco"
YOLO = "yolo"
LABELME = "labelme"

# How labelme2coco writes an object's segmentation (see coco_annotations).
SegmentationMode = Literal["auto", "rle", "polygon"]
SEGMENTATION_MODES: tuple[SegmentationMode, ...] = ("auto", "rle", "polygon")
# The layouts of a VOC dataset, as ``voc.LAYOUTS`` defines them; named here too
# so that the command line lists them without loading the writers.
LAYOUT_NAMES = ("labelme", "voc")
# What a YOLO label line holds: an outline (segment) or a box (detect).
YoloTask = Literal["segment", "detect"]
YOLO_TASKS: tuple[YoloTask, ...] = ("segment", "detect")
# What a labelme file makes of an object given as pixels: a mask shape (exact)
# or polygons traced from it.
LabelmeShapes = Literal["mask", "polygon"]
LABELME_SHAPES: tuple[LabelmeShapes, ...] = ("mask", "polygon")


# The formats a field applies to when it names none: every one.
ALL_FORMATS = "*"


def _sample(*formats: str) -> dict[str, Any]:
    """Metadata of an option that shapes each sample's files (in ``formats``,
    or in every format)."""
    return {"shapes": True, "formats": formats or ALL_FORMATS}


# What a sample's files are, for the same options: raise it whenever a release
# writes other or different files per sample (e.g. VOC's Annotations/*.xml), so
# that a directory an older release wrote is converted again, not half-kept.
SAMPLE_FILES_VERSION = 2

# How the run goes, not what it writes: in the report, never in the key.
_RUN: dict[str, Any] = {"shapes": False, "formats": ALL_FORMATS}
# The split: in the key of formats whose samples go into a folder per split.
_SPLIT: dict[str, Any] = {"shapes": False, "split": True, "formats": ALL_FORMATS}


@dataclass(frozen=True)
class Options:
    """Everything a conversion is asked to do.

    ``font`` is the legend's font file; the runner fills in the installed font it
    chooses when visualizing without one, so the key records the font used.
    """

    labels: LabelTable = field(metadata=_sample())
    layout: str = field(default="labelme", metadata=_sample(VOC))
    instances: bool = field(default=False, metadata=_sample(VOC))
    npy: bool = field(default=True, metadata=_sample(VOC))
    visualize: bool = field(default=True, metadata=_sample())
    font: str | None = field(default=None, metadata=_sample())
    max_image_pixels: int = field(default=DEFAULT_MAX_PIXELS, metadata=_sample())
    max_image_bytes: int = field(default=DEFAULT_MAX_IMAGE_BYTES, metadata=_sample())
    json_encoding: str | None = field(default=None, metadata=_sample())
    segmentation: SegmentationMode = field(default="auto", metadata=_sample(COCO))
    crop_covered: bool = field(default=False, metadata=_sample(COCO))
    panoptic: bool = field(default=False, metadata=_sample(COCO))
    stuff: tuple[str, ...] = field(default=(), metadata=_sample(COCO))
    task: YoloTask = field(default="segment", metadata=_sample(YOLO))
    labelme_shapes: LabelmeShapes = field(default="mask", metadata=_sample(LABELME))
    val_fraction: float = field(default=0.2, metadata=_SPLIT)
    split_seed: int = field(default=0, metadata=_SPLIT)
    jobs: int = field(default=1, metadata=_RUN)
    fail_fast: bool = field(default=False, metadata=_RUN)
    force: bool = field(default=False, metadata=_RUN)
    # How labelme folders are read: the report has them from the source.
    recursive: bool = field(default=False, metadata={**_RUN, "report": False})
    flatten_names: bool = field(default=False, metadata={**_RUN, "report": False})
    shard: Shard | None = field(default=None, metadata=_RUN)
    # Unexpected errors carry their traceback: a matter of the terminal only.
    debug: bool = field(default=False, metadata={**_RUN, "report": False})

    def __post_init__(self) -> None:
        # The same stuff labels in any order or repetition are the same run.
        object.__setattr__(self, "stuff", tuple(sorted(set(self.stuff))))
        if not 0.0 <= self.val_fraction <= 1.0:
            raise ValueError(f"val_fraction must be in [0, 1], not {self.val_fraction}")
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")
        if self.segmentation not in SEGMENTATION_MODES:
            raise ValueError(
                f"segmentation must be one of {', '.join(SEGMENTATION_MODES)}, "
                f"not {self.segmentation!r}"
            )
        if self.task not in YOLO_TASKS:
            raise ValueError(
                f"task must be one of {', '.join(YOLO_TASKS)}, not {self.task!r}"
            )
        if self.labelme_shapes not in LABELME_SHAPES:
            raise ValueError(
                f"labelme_shapes must be one of {', '.join(LABELME_SHAPES)}, "
                f"not {self.labelme_shapes!r}"
            )
        if self.stuff and not self.panoptic:
            raise ValueError("--stuff names panoptic segments: give it with --panoptic")
        unknown = [name for name in self.stuff if name not in self.labels.ids]
        if unknown:
            raise ValueError(
                f"stuff label {unknown[0]!r} is not in the labels; give labels "
                "from the labels file"
            )

    def describe(self, output_format: str) -> dict[str, Any]:
        """The options that apply to ``output_format``, as JSON-ready values."""
        return {
            item.name: _plain(getattr(self, item.name))
            for item in dataclasses.fields(self)
            if _applies(item, output_format) and item.metadata.get("report", True)
        }

    def sample_key(
        self, output_format: str, *, with_split: bool = False, layout: str = ""
    ) -> str:
        """A digest of what shapes each sample's files in ``output_format``
        (``with_split``: the split too; ``layout``: the format's layout, when it
        names one): a sample written under another key is out of date."""
        shaping = {
            item.name: _plain(getattr(self, item.name))
            for item in dataclasses.fields(self)
            if _applies(item, output_format)
            and (item.metadata["shapes"] or (with_split and item.metadata.get("split")))
        }
        text = json.dumps(
            {
                "format": output_format,
                "files": SAMPLE_FILES_VERSION,
                **({"layout": layout} if layout else {}),
                **shaping,
            },
            sort_keys=True,
            ensure_ascii=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _applies(item: dataclasses.Field[Any], output_format: str) -> bool:
    formats = item.metadata["formats"]
    return formats == ALL_FORMATS or output_format in formats


def _plain(value: Any) -> Any:
    if isinstance(value, LabelTable):
        return list(value.names)
    if isinstance(value, Shard):
        return f"{value.index}/{value.count}"
    if isinstance(value, tuple):
        return list(value)
    return value
