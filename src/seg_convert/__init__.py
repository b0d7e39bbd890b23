"""seg-convert: labelme annotations to segmentation datasets, pixel-identical to
labelme.

The Python API is what the ``seg-convert`` command uses::

    from seg_convert import Options, labelme2voc, load_labels
    options = Options(labels=load_labels("labels.txt"), layout="voc")
    report = labelme2voc(Path("in"), Path("out"), options)
"""

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

__version__ = "0.1.0"

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
