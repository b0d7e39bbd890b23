"""Where samples come from, so that an input format is one module.

A source lists its inputs, says how to check one (the check runs in worker
processes, so it is picklable and small), how an input looks now (the
fingerprint a re-run compares with the one recorded when it was converted),
and which samples' split the inputs fix. The batch runner, the output state and
the writers are the same for every source. Labelme folders are the first
source; COCO annotation files are another (``coco_source``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .discovery import Input, find_inputs
from .fingerprints import Fingerprint, fingerprint
from .sample import Check, check_file


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

    def describe(self) -> dict[str, Any]:
        """What the source reads and how, as JSON-ready values (the report's)."""
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


@dataclass(frozen=True)
class LabelmeSource:
    """The labelme JSON files of a folder (and its subfolders if
    ``recursive``); a sample's fingerprint is its JSON and its image file."""

    input_dir: Path
    recursive: bool = False
    flatten_names: bool = False

    @property
    def kind(self) -> str:
        return "labelme"

    @property
    def root(self) -> Path:
        return self.input_dir

    @property
    def reads(self) -> tuple[Path, ...]:
        return (self.input_dir,)

    def describe(self) -> dict[str, Any]:
        return {
            "input_dir": str(self.input_dir),
            "recursive": self.recursive,
            "flatten_names": self.flatten_names,
        }

    @property
    def check(self) -> Check:
        return check_file

    def inputs(self, *, exclude: Sequence[Path]) -> list[Input]:
        return find_inputs(
            self.input_dir,
            recursive=self.recursive,
            flatten_names=self.flatten_names,
            exclude=exclude,
        )

    def fingerprint(self, item: Input, image: Path | None, /) -> Fingerprint | None:
        return fingerprint(item.source, image)

    def fixed_splits(self, items: Sequence[Input]) -> Mapping[str, str]:
        return {}  # labelme files say nothing of splits
