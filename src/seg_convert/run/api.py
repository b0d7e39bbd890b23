"""The named conversions of the Python API (``labelme2voc``, ...), one per
command of ``run.registry.COMMANDS``, each a thin wrapper of ``convert``."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from seg_convert.core.interfaces import SampleSource
from seg_convert.core.options import Options
from seg_convert.run.batch import NO_HOOKS, ConversionReport, Hooks, convert
from seg_convert.run.registry import format_spec
from seg_convert.sources.labelme.source import LabelmeSource


class FolderConversion(Protocol):
    def __call__(
        self,
        input_dir: Path,
        output_dir: Path,
        options: Options,
        *,
        hooks: Hooks = NO_HOOKS,
        report_path: Path | None = None,
    ) -> ConversionReport: ...


class SourceConversion(Protocol):
    def __call__(
        self,
        source: SampleSource,
        output_dir: Path,
        options: Options,
        *,
        hooks: Hooks = NO_HOOKS,
        report_path: Path | None = None,
    ) -> ConversionReport: ...


def from_source(source_name: str, to: str) -> SourceConversion:
    """``<source>2<to>``: a source already opened (e.g. by
    ``seg_convert.sources.coco.source.open_coco``) into format ``to``."""

    def conversion(
        source: SampleSource,
        output_dir: Path,
        options: Options,
        *,
        hooks: Hooks = NO_HOOKS,
        report_path: Path | None = None,
    ) -> ConversionReport:
        return convert(
            source,
            output_dir,
            to=to,
            options=options,
            hooks=hooks,
            report_path=report_path,
        )

    conversion.__name__ = conversion.__qualname__ = f"{source_name}2{to}"
    conversion.__doc__ = (
        f"Convert the samples of a {source_name} source into "
        f"{format_spec(to).describes} in ``output_dir``; see ``convert``."
    )
    return conversion


def from_labelme_folder(to: str) -> FolderConversion:
    """``labelme2<to>``: a folder of labelme files (read as ``options.recursive``
    and ``options.flatten_names`` say) into format ``to``."""
    from_folder = from_source("labelme", to)

    def conversion(
        input_dir: Path,
        output_dir: Path,
        options: Options,
        *,
        hooks: Hooks = NO_HOOKS,
        report_path: Path | None = None,
    ) -> ConversionReport:
        folder = LabelmeSource(
            input_dir, recursive=options.recursive, flatten_names=options.flatten_names
        )
        return from_folder(
            folder, output_dir, options, hooks=hooks, report_path=report_path
        )

    conversion.__name__ = conversion.__qualname__ = f"labelme2{to}"
    conversion.__doc__ = (
        f"Convert every labelme file in ``input_dir`` into "
        f"{format_spec(to).describes} in ``output_dir``; see ``convert``."
    )
    return conversion


labelme2voc = from_labelme_folder("voc")
labelme2coco = from_labelme_folder("coco")
coco2voc = from_source("coco", "voc")
labelme2yolo = from_labelme_folder("yolo")
coco2yolo = from_source("coco", "yolo")
coco2labelme = from_source("coco", "labelme")
yolo2coco = from_source("yolo", "coco")
yolo2labelme = from_source("yolo", "labelme")
yolo2voc = from_source("yolo", "voc")
voc2coco = from_source("voc", "coco")
voc2yolo = from_source("voc", "yolo")
voc2labelme = from_source("voc", "labelme")
