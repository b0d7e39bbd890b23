"""The input set an output directory's dataset was made from, as its manifest
records it (``"inputs"``), so that a run over other inputs (another INPUT_DIR,
other annotation files) is refused instead of taken for a re-run, which would
remove every sample as gone.

The paths are recorded twice: relative to the parent of OUTPUT_DIR, which holds
when the whole tree is moved (a CI job checking out into another folder each
time, OUTPUT_DIR restored inside the checkout), and resolved, which holds when
OUTPUT_DIR alone is moved; either matching is the same input set. Identity by
names alone would hold in both cases but take two exports named alike (CVAT's
``annotations/instances_default.json`` and ``images/``) for one dataset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from seg_convert.core.errors import OutputError
from seg_convert.core.inputs import InputSet


@dataclass(frozen=True)
class InputsRecord:
    """A source's input set as the manifest records it: its paths relative to
    the parent of OUTPUT_DIR (the same when the whole tree is moved, as a CI
    checkout in another folder each time) and resolved (the same when only
    OUTPUT_DIR is moved); option words as they are."""

    relative: tuple[str, ...]
    absolute: tuple[str, ...]

    def matches(self, other: InputsRecord) -> bool:
        return self.relative == other.relative or self.absolute == other.absolute

    def describe(self) -> str:
        return " ".join(self.relative)

    def item(self) -> dict[str, list[str]]:
        return {"relative": list(self.relative), "absolute": list(self.absolute)}


def inputs_record(input_set: InputSet, output_dir: Path) -> InputsRecord:
    """How ``input_set`` is recorded in the manifest of ``output_dir``."""
    base = output_dir.resolve().parent
    relative, absolute = [], []
    for part in input_set:
        if isinstance(part, str):
            relative.append(part)
            absolute.append(part)
            continue
        resolved = part.resolve()
        relative.append(PurePosixPath(Path(os.path.relpath(resolved, base))).as_posix())
        absolute.append(PurePosixPath(resolved).as_posix())
    return InputsRecord(relative=tuple(relative), absolute=tuple(absolute))


def recorded_inputs(value: object) -> InputsRecord | None:
    """The input set a manifest records (None: a release before the record)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("'inputs' is not an object")
    forms: list[tuple[str, ...]] = []
    for form in (value.get("relative"), value.get("absolute")):
        if not isinstance(form, list) or not all(isinstance(p, str) for p in form):
            raise ValueError("'inputs' does not list paths")
        forms.append(tuple(form))
    return InputsRecord(relative=forms[0], absolute=forms[1])


def check_same_inputs(
    recorded: InputsRecord | None, inputs: InputsRecord | None, *, root: Path
) -> None:
    """Raise OutputError when the dataset of ``root`` was made from other
    inputs (None on either side: not recorded, which matches)."""
    if recorded is None or inputs is None or recorded.matches(inputs):
        return
    raise OutputError(
        root,
        f"holds the dataset of {recorded.describe()}; these inputs are "
        f"{inputs.describe()} (give --force to replace it, or choose another "
        "output directory)",
    )
