"""seg-convert: labelme annotations to segmentation datasets, pixel-identical to
labelme.

The Python API is what the ``seg-convert`` command uses::

    from seg_convert import Options, labelme2voc, load_labels
    options = Options(labels=load_labels("labels.txt"), layout="voc")
    report = labelme2voc(Path("in"), Path("out"), options)

The names below are loaded when first used, so that importing the package (as
``seg-convert --help`` does) does not load numpy and Pillow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from seg_convert.core.version import __version__

# Each public name, and the module that defines it.
_HOMES = {
    "AnnotationError": "core.errors",
    "ConversionReport": "run.batch",
    "FileResult": "core.sample",
    "ImageError": "core.errors",
    "LabelTable": "core.labels",
    "LabelsError": "core.errors",
    "Options": "core.options",
    "OutputError": "core.errors",
    "SegConvertError": "core.errors",
    "ValidationReport": "run.validate",
    "coco2labelme": "run.api",
    "coco2voc": "run.api",
    "coco2yolo": "run.api",
    "convert": "run.batch",
    "labelme2coco": "run.api",
    "labelme2voc": "run.api",
    "labelme2yolo": "run.api",
    "load_labels": "core.labels",
    "validate": "run.validate",
    "voc2coco": "run.api",
    "voc2labelme": "run.api",
    "voc2yolo": "run.api",
    "voc_colormap": "core.colormap",
    "yolo2coco": "run.api",
    "yolo2labelme": "run.api",
    "yolo2voc": "run.api",
}

__all__ = [
    "AnnotationError",
    "ConversionReport",
    "FileResult",
    "ImageError",
    "LabelTable",
    "LabelsError",
    "Options",
    "OutputError",
    "SegConvertError",
    "ValidationReport",
    "__version__",
    "coco2labelme",
    "coco2voc",
    "coco2yolo",
    "convert",
    "labelme2coco",
    "labelme2voc",
    "labelme2yolo",
    "load_labels",
    "validate",
    "voc2coco",
    "voc2labelme",
    "voc2yolo",
    "voc_colormap",
    "yolo2coco",
    "yolo2labelme",
    "yolo2voc",
]

if TYPE_CHECKING:
    from seg_convert.core.colormap import voc_colormap
    from seg_convert.core.errors import (
        AnnotationError,
        ImageError,
        LabelsError,
        OutputError,
        SegConvertError,
    )
    from seg_convert.core.labels import LabelTable, load_labels
    from seg_convert.core.options import Options
    from seg_convert.core.sample import FileResult
    from seg_convert.run.api import (
        coco2labelme,
        coco2voc,
        coco2yolo,
        labelme2coco,
        labelme2voc,
        labelme2yolo,
        voc2coco,
        voc2labelme,
        voc2yolo,
        yolo2coco,
        yolo2labelme,
        yolo2voc,
    )
    from seg_convert.run.batch import ConversionReport, convert
    from seg_convert.run.validate import ValidationReport, validate


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
