"""Converting a directory of labelme files into a VOC-style dataset.

This is the Python API the CLI calls. Each input file is read, rasterized and
written on its own: a bad file is recorded as failed with its reason and the
others are still converted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .annotation import load_image, read_annotation
from .errors import InputError, SegConvertError
from .fonts import choose_font
from .images import DEFAULT_MAX_PIXELS
from .labels import LabelTable
from .rasterize import class_ids, rasterize
from .visualize import draw_visualization
from .voc import Sample, prepare_output, write_class_names, write_sample


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


@dataclass(frozen=True)
class _Settings:
    labels: LabelTable
    font_source: str | None
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
    visualize: bool = True,
    font: str | None = None,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    on_result: Callable[[FileResult], None] | None = None,
) -> ConversionReport:
    """Convert every labelme file in ``input_dir`` into a dataset in ``output_dir``.

    ``output_dir`` must be new or empty. ``font`` is the legend's font file (chosen
    among installed fonts by default). ``on_result`` is called after each file.
    Raises SegConvertError only for problems with the whole job (inputs, output
    directory); per-file problems are in the returned report.
    """
    sources = find_annotations(input_dir)
    prepare_output(output_dir, visualize=visualize)
    write_class_names(output_dir, labels)
    settings = _Settings(
        labels=labels,
        font_source=(font or choose_font(labels.names)) if visualize else None,
        max_image_pixels=max_image_pixels,
    )
    results = []
    for source in sources:
        result = _convert_file(source, output_dir, settings)
        results.append(result)
        if on_result is not None:
            on_result(result)
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
    image = load_image(annotation, max_image_pixels=limit)
    label = rasterize(annotation.shapes, ids, height=image.height, width=image.width)
    sample = Sample(
        stem=source.stem,
        image=image,
        label=label,
        visualization=(
            None
            if settings.font_source is None
            else draw_visualization(
                image,
                label,
                class_names=settings.labels.names,
                font_source=settings.font_source,
            )
        ),
    )
    return write_sample(output_dir, sample)
