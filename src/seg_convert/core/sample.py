"""One input sample: checked into a ``CheckedSample``, then handed to a writer.

Checking (read -> class ids -> image -> rasterize) is apart from writing, so
``validate`` and ``stats`` run exactly the checks a conversion runs. A sample
source (see ``sources``) supplies the check: ``check_file`` for labelme files,
others for other inputs; writers see only what every source provides. Everything
here runs in a worker process when the batch runs in parallel, so what goes in
and out (the check, the writer, results, errors) is small and picklable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from PIL import Image

from seg_convert.core.errors import SegConvertError
from seg_convert.core.fingerprints import (
    NO_DIGESTS,
    Digests,
    Fingerprint,
)
from seg_convert.core.inputs import Input
from seg_convert.core.labels import BACKGROUND_NAME, IGNORE_NAME
from seg_convert.core.objects import SampleObject
from seg_convert.core.splits import split_of
from seg_convert.core.tallies import Tally, tallied

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class LoadedImage:
    """An annotation's image, decoded only as far as it is needed.

    ``jpeg`` holds the file's bytes when they can be copied into the dataset as
    they are; otherwise ``rgb`` is the image to encode. ``gray`` is there when
    asked for.
    """

    size: tuple[int, int]
    rgb: Image.Image | None = None
    gray: Image.Image | None = None
    jpeg: bytes | None = None


@dataclass(frozen=True)
class Rasterized:
    """The (H, W) int32 class ids and instance ids of one annotation.

    Instance ids are 1, 2, ... in order of first appearance of (label, group_id);
    a shape without group_id is an instance of its own. Pixels no shape covers
    are 0 in both, and ``__ignore__`` pixels are instance 0, as labelme's
    instance example writes them.
    """

    classes: npt.NDArray[np.int32]
    indices: npt.NDArray[np.uint8]  # the classes as palette indices: -1 is 255
    instances: npt.NDArray[np.int32] | None
    instance_labels: tuple[str, ...]  # the label of instance id i + 1

    @property
    def object_count(self) -> int:
        """Instances of real classes: not ``__ignore__`` or ``_background_`` ones."""
        return sum(
            label not in (IGNORE_NAME, BACKGROUND_NAME)
            for label in self.instance_labels
        )


@dataclass(frozen=True)
class CheckedSample:
    """A sample that passed every check, ready to be written.

    ``fingerprint`` was taken before the
    inputs were read, so an edit made while the sample is in flight makes the
    next run convert it again.
    """

    stem: str
    source: Path
    image: LoadedImage
    image_file: Path | None  # None when the image is embedded (imageData)
    fingerprint: Fingerprint | None
    warnings: tuple[str, ...]  # what was read leniently
    objects_read: int  # shapes or annotations, for the report
    tallies: tuple[Tally, ...] = ()  # what the warnings count
    digests: Digests = NO_DIGESTS  # of the input files, taken with the fingerprint
    # Which part of ``source`` the sample is, for messages (COCO: "image 139
    # (000000000139.jpg)"); None when it is the whole file.
    where: str | None = None
    # The class (and instance) arrays, drawn when a writer first asks: a format
    # that writes outlines (YOLO, COCO polygons) decodes no pixel for them.
    rasterized: Callable[[], Rasterized] | None = field(
        default=None, repr=False, compare=False
    )
    # The type of each shape read (labelme's shape_type), for stats.
    shape_types: tuple[str, ...] = ()
    # The split the inputs fix (COCO's instances_val2017.json), as the source's
    # ``fixed_splits`` says; None: the hash rule (``splits.split_of``).
    split: str | None = None
    # Regions painted but not objects (labelme ``__ignore__`` objects, COCO
    # crowds), which formats of objects only leave out.
    ignored: int = 0
    # The sample's objects, made only when a writer asks: VOC's boxes and
    # COCO's annotations need them.
    object_list: Callable[[], Sequence[SampleObject]] | None = field(
        default=None, repr=False, compare=False
    )

    @functools.cached_property
    def arrays(self) -> Rasterized:
        """The class and instance arrays (see ``Rasterized``), drawn once."""
        if self.rasterized is None:
            raise ValueError(f"{self.stem}: its source gives no arrays")
        return self.rasterized()

    def objects(self) -> Sequence[SampleObject]:
        """The sample's objects (not ``__ignore__``, ``_background_`` or
        crowds), by id."""
        if self.object_list is None:
            raise ValueError(f"{self.stem}: its source gives no objects")
        return self.object_list()

    def split_of(self, *, val_fraction: float, seed: int) -> str:
        """The split this sample is in: the one its inputs fix, else the hash
        rule's (as ``splits.make_splits`` puts it)."""
        return self.split or split_of(self.stem, val_fraction=val_fraction, seed=seed)


@dataclass(frozen=True)
class WrittenSample:
    """What a writer wrote for a sample, and what it was lenient about."""

    outputs: tuple[Path, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileResult:
    """How one input file went: its outputs, or the error that stopped it."""

    source: Path
    stem: str
    outputs: tuple[Path, ...] = ()
    error: SegConvertError | None = None
    skipped: bool = False  # unchanged since the last run: nothing was done
    image: Path | None = None  # the image file, when not embedded
    fingerprint: Fingerprint | None = None  # of the inputs, before they were read
    digests: Digests = NO_DIGESTS
    warnings: tuple[str, ...] = ()  # what was read leniently
    tallies: tuple[Tally, ...] = ()  # what the warnings count
    shapes: int = 0
    instances: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def warning_lines(self) -> tuple[str, ...]:
        """The warnings with what they count (the report's)."""
        return tuple(tallied(warning, self.tallies) for warning in self.warnings)

    @classmethod
    def failure(cls, item: Input, message: str) -> FileResult:
        """The result of a file whose conversion failed outside our code (its
        worker process died)."""
        where = item.where
        return cls(
            source=item.source,
            stem=item.stem,
            error=SegConvertError(
                item.source, message if where is None else f"{where}: {message}"
            ),
        )
