"""What a source and a format are to the run: the protocols they implement.

A source lists its inputs and checks each into a ``CheckedSample`` (the check
runs in worker processes, so it is picklable and small). A format is an
``OutputFormat``: its writer, made from the run's options and picklable
(workers call ``check`` and ``write_sample`` for each file; the runner calls
``write_dataset`` once, after every sample is in place), the folders it writes
into, and which of their files belong to a sample. Whatever ``write_sample``
returns is what the output state records as the sample's files, and removes
when the sample goes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from seg_convert.core.fingerprints import Fingerprint
from seg_convert.core.inputs import Input, InputSet
from seg_convert.core.labels import LabelTable
from seg_convert.core.options import Options
from seg_convert.core.sample import CheckedSample, WrittenSample


class Check(Protocol):
    """Read, check and rasterize one input as ``options`` say (with
    ``instances`` ids if asked); ``gray`` also decodes the image in gray (for
    visualizations). Picklable: it runs in worker processes."""

    def __call__(
        self, item: Input, options: Options, *, instances: bool, gray: bool = False
    ) -> CheckedSample: ...


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

    def dataset_dirs(self, splits: Sequence[str]) -> list[str]:
        """The folders (relative to the output directory) samples go into,
        when they are in ``splits`` (``core.splits.splits_in_use``)."""
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


class SampleSource(Protocol):
    @property
    def kind(self) -> str:
        """What the source reads ("labelme", "coco"): with the writer's format,
        the command that made an output directory (labelme2voc, ...)."""
        ...

    @property
    def root(self) -> Path:
        """The folder the output state records input paths relative to."""
        ...

    @property
    def reads(self) -> tuple[Path, ...]:
        """Every file and folder the source reads: none may be in the output
        directory, where a run writes and removes files."""
        ...

    @property
    def input_set(self) -> InputSet:
        """Which inputs these are, as paths and option words: another input set
        is another dataset, which a run never takes for this one's re-run."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the source reads and how, as JSON-ready values (the report's)."""
        ...

    @property
    def notes(self) -> tuple[str, ...]:
        """What the run should say once about the inputs as a whole (COCO:
        Roboflow's placeholder category, left out)."""
        ...

    @property
    def check(self) -> Check:
        """The per-sample check (read, classes, image, rasterize)."""
        ...

    def inputs(self, *, exclude: Sequence[Path]) -> list[Input]:
        """Every sample, in a stable order, with unique stems; ``exclude`` names
        the run's own outputs, which are never inputs."""
        ...

    def fingerprint(self, item: Input, image: Path | None, /) -> Fingerprint | None:
        """How ``item`` looks now (None: gone); ``image`` is the image file
        recorded when it was last converted."""
        ...

    def fixed_splits(self, items: Sequence[Input]) -> Mapping[str, str]:
        """The split (``train`` or ``val``) of each stem of ``items`` whose
        split the inputs say; the others go by the hash rule (``splits``)."""
        ...


def named_by_stem(folders: frozenset[str]) -> Callable[[str, str], bool]:
    """The rule of formats whose sample files are ``FOLDER/STEM.EXT`` in one of
    ``folders``: whether ``path`` (relative, POSIX) is a file of sample ``stem``."""

    def owns(path: str, stem: str) -> bool:
        folder, _, file_name = path.rpartition("/")
        name, dot, suffix = file_name.rpartition(".")
        return folder in folders and name == stem and bool(dot) and bool(suffix)

    return owns


@dataclass(frozen=True)
class OutputFormat:
    """What a format is to the run (``formats/<name>/``; see ``run.registry``).

    ``writer`` makes the run's writer from its options. ``folders`` is every
    folder any options put files in: the only places the output state may name
    a file, and where a run cleans up empty folders and temporary files.
    ``owns(path, stem)`` says whether a file recorded for sample ``stem`` is one
    this format writes for it: a record naming anything else is refused.
    ``remove_dataset_files`` removes its once-per-dataset files (a run in
    another format does). ``split_in_samples``: the split shapes each sample's
    files (a folder per split), so a change of split converts samples again.
    ``layout`` names the layout of the files, when a format changed it: it is
    in the re-run key, so samples of the older layout are converted again.
    ``writes_splits``: the format writes splits at all (labelme files do not:
    no warning about an empty split).
    """

    name: str
    writer: Callable[[Options], DatasetWriter]
    folders: frozenset[str]
    owns: Callable[[str, str], bool]
    remove_dataset_files: Callable[[Path], None]
    split_in_samples: bool = False
    layout: str = ""
    writes_splits: bool = True


@dataclass(frozen=True)
class OpenedSource:
    """A source made from a command's parameters, and the class table it
    gives when the command was given none (COCO's categories)."""

    source: SampleSource
    labels: LabelTable | None = None
