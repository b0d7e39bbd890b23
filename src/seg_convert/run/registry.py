"""Every source and format by name, and the commands that pair them.

Adding a format is its folder under ``formats/`` and one entry in ``FORMATS``
(and the pairs it is offered in, in ``COMMANDS``); a source likewise. Specs are
light (``--help`` reads them); a format's code, with numpy, Pillow or
pycocotools, is loaded only when a run needs it.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seg_convert.core.specs import FormatSpec, SourceSpec

if TYPE_CHECKING:  # numpy and Pillow: for runs, not for --help
    from seg_convert.core.interfaces import OpenedSource, OutputFormat

# name -> the package whose __init__ declares it
SOURCES: Mapping[str, str] = {
    "labelme": "seg_convert.sources.labelme",
    "coco": "seg_convert.sources.coco",
    "yolo": "seg_convert.sources.yolo",
    "voc": "seg_convert.sources.voc",
}
FORMATS: Mapping[str, str] = {
    "voc": "seg_convert.formats.voc",
    "coco": "seg_convert.formats.coco",
    "yolo": "seg_convert.formats.yolo",
    "labelme": "seg_convert.formats.labelme",
}
# The (source, format) pairs offered as commands, SOURCE2FORMAT.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("labelme", "voc"),
    ("labelme", "coco"),
    ("coco", "voc"),
    ("labelme", "yolo"),
    ("coco", "yolo"),
    ("coco", "labelme"),
    ("yolo", "coco"),
    ("yolo", "labelme"),
    ("yolo", "voc"),
    ("voc", "coco"),
    ("voc", "yolo"),
    ("voc", "labelme"),
)


def command_name(source: str, output_format: str) -> str:
    return f"{source}2{output_format}"


def source_spec(name: str) -> SourceSpec:
    spec: SourceSpec = importlib.import_module(SOURCES[name]).SOURCE
    return spec


def format_spec(name: str) -> FormatSpec:
    spec: FormatSpec = importlib.import_module(FORMATS[name]).FORMAT
    return spec


def open_source(name: str, params: Mapping[str, Any]) -> OpenedSource:
    """The source ``name`` made from a command's parameters."""
    opened: OpenedSource = importlib.import_module(
        source_spec(name).module
    ).open_source(params)
    return opened


@functools.cache
def output_format(name: str) -> OutputFormat:
    """Format ``name``, loaded (with what its writer imports)."""
    if name not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"no output format {name!r} (the formats: {known})")
    found: OutputFormat = importlib.import_module(
        format_spec(name).module
    ).OUTPUT_FORMAT
    return found


def all_formats() -> list[OutputFormat]:
    return [output_format(name) for name in FORMATS]


def dataset_folders() -> frozenset[str]:
    """Every folder a format puts files in, with the folders above them: where
    a run cleans up empty folders and temporary files."""
    return _with_parents(folder for found in all_formats() for folder in found.folders)


def owned_by_a_format(path: str, stem: str) -> bool:
    """Whether ``path`` (relative to OUTPUT_DIR) is a file some format writes
    for sample ``stem``: the only files the output state may name."""
    return any(found.owns(path, stem) for found in all_formats())


def remove_other_formats(root: Path, name: str) -> None:
    """Remove the once-per-dataset files of every format but ``name``: a
    directory converted into another format before."""
    for found in all_formats():
        if found.name != name:
            found.remove_dataset_files(root)


def _with_parents(folders: Iterable[str]) -> frozenset[str]:
    return frozenset(
        "/".join(parts[:end])
        for parts in (folder.split("/") for folder in folders)
        for end in range(1, len(parts) + 1)
    )
