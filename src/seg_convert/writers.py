"""The interface every output format implements, so a format is one module.

A writer is made from the run's options and is picklable: worker processes call
``check`` and ``write_sample`` for each file; the runner calls ``write_dataset``
once, after every sample is in place. Whatever ``write_sample`` returns is what
the output state records as the sample's files, and removes when the sample goes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from .options import COCO, VOC, Options
from .sample import CheckedSample, WrittenSample


class DatasetWriter(Protocol):
    @property
    def format(self) -> str:
        """The format's name (``voc``, ``coco``): which options apply to it."""
        ...

    @property
    def options(self) -> Options: ...

    @property
    def instances(self) -> bool:
        """Whether samples must be rasterized with instance ids."""
        ...

    def dataset_dirs(self) -> list[str]:
        """The folders (relative to the output directory) samples go into."""
        ...

    def check(self, sample: CheckedSample) -> None:
        """Raise SegConvertError for what this format cannot hold."""
        ...

    def write_sample(self, root: Path, sample: CheckedSample) -> WrittenSample:
        """Write one sample's files, all or none."""
        ...

    def write_dataset(
        self, root: Path, *, splits: Mapping[str, Sequence[str]], complete: bool
    ) -> tuple[str, ...]:
        """Write the once-per-dataset files, each only if its content changed;
        return warnings about the whole dataset.

        ``splits`` names the samples of each split; ``complete`` is False for a
        shard, which holds only some of the samples.
        """
        ...


def known_folders() -> frozenset[str]:
    """Every folder a writer of any format puts files in, with the folders
    above them: the only places the state may name, and where a run cleans up
    empty folders and temporary files."""
    from . import coco, voc  # coco loads pycocotools: only when converting

    folders = voc.ALL_FOLDERS | coco.ALL_FOLDERS | {voc.SPLITS_DIR}
    return frozenset(
        "/".join(parts[:end])
        for parts in (folder.split("/") for folder in folders)
        for end in range(1, len(parts) + 1)
    )


def remove_other_formats(root: Path, output_format: str) -> None:
    """Remove the once-per-dataset files of the formats other than
    ``output_format``: a directory converted into another format before."""
    from . import coco, voc

    removers = {VOC: voc.remove_dataset_files, COCO: coco.remove_dataset_files}
    for name, remove in removers.items():
        if name != output_format:
            remove(root)
