"""seg-convert: labelme annotations to segmentation datasets, pixel-identical to
labelme.

The Python API is what the ``seg-convert`` command uses::

    from seg_convert import labelme2voc, load_labels
    report = labelme2voc(Path("in"), Path("out"), labels=load_labels("labels.txt"))
"""

from .colormap import voc_colormap
from .convert import ConversionReport, labelme2voc
from .errors import (
    AnnotationError,
    ImageError,
    LabelsError,
    OutputError,
    SegConvertError,
)
from .file_conversion import FileResult
from .labels import LabelTable, load_labels
from .validate import ValidationReport, validate

__version__ = "0.1.0"

__all__ = [
    "AnnotationError",
    "ConversionReport",
    "FileResult",
    "ImageError",
    "LabelTable",
    "LabelsError",
    "OutputError",
    "SegConvertError",
    "ValidationReport",
    "__version__",
    "labelme2voc",
    "load_labels",
    "validate",
    "voc_colormap",
]
