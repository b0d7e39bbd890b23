"""Converting a directory of labelme files into a VOC-style dataset.

This is the Python API the CLI calls. Each input file is read, rasterized and
written on its own: a bad file is recorded as failed with its reason and the
others are still converted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .annotation import load_image, read_annotation
from .errors import AnnotationError, InputError, SegConvertError
from .fonts import choose_font
from .images import DEFAULT_MAX_PIXELS
from .labels import LabelTable
from .rasterize import Rasterized, class_ids, rasterize
from .splits import make_splits
from .visualize import draw_visualization
from .voc import (
    LAYOUTS,
    Layout,
    Sample,
    prepare_output,
    write_class_names,
    write_sample,
    write_splits,
)


@dataclass(frozen=True)
class FileResult:
    """How one input file went: its outputs, or the error that stopped it."""

    source: Path
    outputs: tuple[Path, ...] = ()
    error: SegConvertError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ConversionReport:
    """Every input file's result, in the order they were converted."""

    output_dir: Path
    results: tuple[FileResult, ...]

    @property
    def converted(self) -> int:
        return sum(result.ok for result in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.converted


MAX_INSTANCES = 254  # instance PNGs are palette images; 255 is void


@dataclass(frozen=True)
class _Settings:
    labels: LabelTable
    layout: Layout
    instances: bool
    font_source: str | None  # None: no visualizations
    max_image_pixels: int


def find_annotations(input_dir: Path) -> list[Path]:
    """The labelme JSON files directly in ``input_dir``, in a stable order."""
    try:
        found = sorted(
            path
            for path in input_dir.iterdir()
            if path.suffix.lower() == ".json" and not path.name.startswith(".")
        )
    except OSError as error:
        raise InputError(input_dir, f"cannot list: {error.strerror}") from None
    if not found:
        raise InputError(
            input_dir,
            "no labelme files (*.json) here; give the directory labelme saved to",
        )
    return found


def labelme2voc(
    input_dir: Path,
    output_dir: Path,
    *,
    labels: LabelTable,
    layout: str = "labelme",
    instances: bool = False,
    visualize: bool = True,
    val_fraction: float = 0.2,
    split_seed: int = 0,
    font: str | None = None,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    on_result: Callable[[FileResult], None] | None = None,
) -> ConversionReport:
    """Convert every labelme file in ``input_dir`` into a dataset in ``output_dir``.

    ``output_dir`` must be new or empty. ``layout`` is ``"labelme"`` or ``"voc"``
    (see ``seg_convert.voc``); ``instances`` adds SegmentationObject arrays.
    Converted samples are split into train and val by ``val_fraction`` and
    ``split_seed`` (see ``seg_convert.splits``). ``font`` is the legend's font file
    (chosen among installed fonts by default). ``on_result`` is called after each
    file. Raises SegConvertError only for problems with the whole job (inputs,
    output directory, options); per-file problems are in the returned report.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError(f"val_fraction must be in [0, 1], not {val_fraction}")
    sources = find_annotations(input_dir)
    settings = _Settings(
        labels=labels,
        layout=LAYOUTS[layout],
        instances=instances,
        font_source=(font or choose_font(labels.names)) if visualize else None,
        max_image_pixels=max_image_pixels,
    )
    prepare_output(
        output_dir, layout=settings.layout, visualize=visualize, instances=instances
    )
    write_class_names(output_dir, labels)
    results = []
    for source in sources:
        result = _convert_file(source, output_dir, settings)
        results.append(result)
        if on_result is not None:
            on_result(result)
    converted = [result.source.stem for result in results if result.ok]
    write_splits(
        output_dir, make_splits(converted, val_fraction=val_fraction, seed=split_seed)
    )
    return ConversionReport(output_dir=output_dir, results=tuple(results))


def _convert_file(source: Path, output_dir: Path, settings: _Settings) -> FileResult:
    """Convert one labelme file; never raises for a problem of the file."""
    try:
        outputs = _convert(source, output_dir, settings)
    except SegConvertError as error:
        return FileResult(source=source, error=error)
    except Exception as error:  # A bug must not stop the batch; it is reported.
        return FileResult(
            source=source,
            error=SegConvertError(
                source,
                f"unexpected error, please report it: {type(error).__name__}: {error}",
            ),
        )
    return FileResult(source=source, outputs=tuple(outputs))


def _convert(source: Path, output_dir: Path, settings: _Settings) -> Sequence[Path]:
    limit = settings.max_image_pixels
    annotation = read_annotation(source, max_image_pixels=limit)
    ids = class_ids(annotation.shapes, settings.labels, owner=source)
    loaded = load_image(annotation, max_image_pixels=limit)
    image = loaded.rgb
    arrays = rasterize(annotation.shapes, ids, height=image.height, width=image.width)
    if settings.instances and len(arrays.instance_labels) > MAX_INSTANCES:
        raise AnnotationError(
            source,
            f"{len(arrays.instance_labels)} instances, but an instance PNG holds at "
            f"most {MAX_INSTANCES}; give shapes of one object the same group_id, "
            "or convert without --instances",
        )
    class_visualization, object_visualization = _visualizations(image, arrays, settings)
    sample = Sample(
        stem=source.stem,
        image=image,
        jpeg=loaded.jpeg,
        classes=arrays.classes,
        instances=arrays.instances if settings.instances else None,
        class_visualization=class_visualization,
        object_visualization=object_visualization,
    )
    return write_sample(output_dir, settings.layout, sample)


def _visualizations(
    image: Image.Image, arrays: Rasterized, settings: _Settings
) -> tuple[Image.Image | None, Image.Image | None]:
    """The class and the instance visualization, as far as they are wanted."""
    font = settings.font_source
    if font is None:
        return None, None
    classes = draw_visualization(
        image, arrays.classes, class_names=settings.labels.names, font_source=font
    )
    if not settings.instances:
        return classes, None
    # Instance 0 is no instance: an empty name leaves it out of the legend.
    names = ("", *(f"{i} {n}" for i, n in enumerate(arrays.instance_labels, 1)))
    objects = draw_visualization(
        image, arrays.instances, class_names=names, font_source=font
    )
    return classes, objects
