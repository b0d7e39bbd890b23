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

__version__ = "0.1.0"

# Each public name, and the module that defines it.
_HOMES = {
    "AnnotationError": "errors",
    "ConversionReport": "batch",
    "FileResult": "sample",
    "ImageError": "errors",
    "LabelTable": "labels",
    "LabelsError": "errors",
    "Options": "options",
    "OutputError": "errors",
    "SegConvertError": "errors",
    "ValidationReport": "validate",
    "labelme2voc": "batch",
    "load_labels": "labels",
    "validate": "validate",
    "voc_colormap": "colormap",
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
    "labelme2voc",
    "load_labels",
    "validate",
    "voc_colormap",
]

if TYPE_CHECKING:
    from .batch import ConversionReport, labelme2voc
    from .colormap import voc_colormap
    from .errors import (
        AnnotationError,
        ImageError,
        LabelsError,
        OutputError,
        SegConvertError,
    )
    from .labels import LabelTable, load_labels
    from .options import Options
    from .sample import FileResult
    from .validate import ValidationReport, validate


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
