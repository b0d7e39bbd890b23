"""Converting a directory of labelme files into a VOC-style dataset.

This is the Python API the CLI calls. Each input file is read, rasterized and
written on its own: a bad file is recorded as failed with its reason and the
others are still converted.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .atomic import TEMPORARY_SUFFIX
from .discovery import Shard, find_inputs, stem_problem
from .errors import OutputError
from .file_conversion import FileResult, FileSettings, convert_file, worker_died
from .fonts import choose_font
from .images import DEFAULT_MAX_PIXELS
from .labels import LabelTable
from .manifest import (
    Entry,
    Manifest,
    append_journal,
    is_ours,
    is_unchanged,
    load_manifest,
    make_entry,
    options_key,
    save_manifest,
)
from .splits import make_splits
from .voc import (
    ALL_DATASET_DIRS,
    LAYOUTS,
    prepare_output,
    write_class_names,
    write_splits,
)
from .workers import run_files


@dataclass(frozen=True)
class ConversionReport:
    """Every input file's result, in input order; with fail-fast, up to the
    first failure, so ``results`` may be fewer than ``inputs``."""

    output_dir: Path
    inputs: int
    results: tuple[FileResult, ...]

    @property
    def converted(self) -> int:
        return sum(result.ok and not result.skipped for result in self.results)

    @property
    def skipped(self) -> int:
        return sum(result.skipped for result in self.results)

    @property
    def failed(self) -> int:
        return sum(not result.ok for result in self.results)


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
    jobs: int = 1,
    fail_fast: bool = False,
    force: bool = False,
    recursive: bool = False,
    flatten_names: bool = False,
    shard: Shard | None = None,
    debug: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> ConversionReport:
    """Convert every labelme file in ``input_dir`` into a dataset in ``output_dir``.

    ``output_dir`` must be new, empty, or written by an earlier run: then files
    whose JSON and image are unchanged (same size and modification time) are
    skipped unless ``force``, outputs of deleted inputs are removed, and a change
    of options redoes everything. ``layout`` is ``"labelme"`` or ``"voc"`` (see
    ``seg_convert.voc``); ``instances`` adds SegmentationObject arrays. Samples
    are split into train and val by ``val_fraction`` and ``split_seed`` (see
    ``seg_convert.splits``). ``font`` is the legend's font file (chosen among
    installed fonts by default). ``jobs`` worker processes convert files in
    parallel (1: in this process); the output is the same for any number.
    ``fail_fast`` stops at the first file that fails; with ``debug`` an
    unexpected error's message has its traceback. ``on_start`` gets the number
    of input files before work starts, ``on_result`` each file's result, in input
    order. Raises SegConvertError only for problems with the whole job (inputs,
    output directory); per-file problems are in the report.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError(f"val_fraction must be in [0, 1], not {val_fraction}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    inputs = find_inputs(input_dir, recursive=recursive, flatten_names=flatten_names)
    # Every shard lists every input it can (see below), not names that fail.
    all_stems = [item.stem for item in inputs if stem_problem(item.stem) is None]
    if shard is not None:
        inputs = [item for item in inputs if shard.holds(item.stem)]
    settings = FileSettings(
        labels=labels,
        layout=LAYOUTS[layout],
        instances=instances,
        font_source=(font or choose_font(labels.names)) if visualize else None,
        max_image_pixels=max_image_pixels,
        debug=debug,
    )
    key = options_key(
        {
            "labels": labels.names,
            "layout": layout,
            "instances": instances,
            "font": settings.font_source,
            "max_image_pixels": max_image_pixels,
        }
    )
    entries = _previous_entries(output_dir, key, force=force, shard=shard)
    prepare_output(
        output_dir, layout=settings.layout, visualize=visualize, instances=instances
    )
    save_manifest(output_dir, Manifest(options_key=key, entries=entries), shard)
    write_class_names(output_dir, labels)

    stems = {item.stem for item in inputs}
    owned = (
        set(entries)
        if shard is None
        else {stem for stem in entries if shard.holds(stem)}
    )
    for stem in owned - stems:  # inputs deleted since the last run
        _remove_outputs(output_dir, entries.pop(stem))
    unchanged = {
        item
        for item in inputs
        if item.stem in entries
        and is_unchanged(entries[item.stem], item.source, input_dir=input_dir)
    }
    if on_start is not None:
        on_start(len(inputs))
    todo = run_files(
        functools.partial(convert_file, output_dir=output_dir, settings=settings),
        [item for item in inputs if item not in unchanged],
        jobs=jobs,
        on_death=worker_died,
    )
    results = []
    for item in inputs:
        if item in unchanged:
            entry = entries[item.stem]
            result = FileResult(
                source=item.source,
                stem=item.stem,
                skipped=True,
                outputs=tuple(output_dir / path for path in entry.outputs),
            )
        else:
            result = next(todo)
            _record(result, entries, input_dir, output_dir, shard)
        results.append(result)
        if on_result is not None:
            on_result(result)
        if fail_fast and not result.ok:
            break
    todo.close()  # stops the workers when fail-fast ended the loop early
    save_manifest(output_dir, Manifest(options_key=key, entries=entries), shard)
    # A shard cannot know which files other shards fail, so every shard lists all
    # inputs: the same lists from each, and from one unsharded run that succeeds.
    listed = entries if shard is None else all_stems
    write_splits(
        output_dir, make_splits(listed, val_fraction=val_fraction, seed=split_seed)
    )
    return ConversionReport(
        output_dir=output_dir, inputs=len(inputs), results=tuple(results)
    )


def _previous_entries(
    output_dir: Path, key: str, *, force: bool, shard: Shard | None
) -> dict[str, Entry]:
    """The samples an earlier run left that this run may keep; refuse a folder
    that is not empty and not ours."""
    if not output_dir.is_dir():
        return {}
    manifest = load_manifest(output_dir, shard)
    if manifest is None:
        if any(output_dir.iterdir()) and not is_ours(output_dir):
            raise OutputError(
                output_dir,
                "is not empty and was not written by seg-convert (choose a new "
                "output directory, or remove this one)",
            )
        return {}
    _remove_temporary_files(output_dir)
    if force or manifest.options_key != key:
        for entry in manifest.entries.values():
            _remove_outputs(output_dir, entry)
        for name in ALL_DATASET_DIRS:  # e.g. the folders of another layout
            with contextlib.suppress(OSError):
                (output_dir / name).rmdir()  # only if empty
        return {}
    return dict(manifest.entries)


def _record(
    result: FileResult,
    entries: dict[str, Entry],
    input_dir: Path,
    output_dir: Path,
    shard: Shard | None,
) -> None:
    """Put a converted sample into the journal, or forget a failed one."""
    stem = result.stem
    entry = None
    if result.ok:
        entry = make_entry(
            result.source,
            result.image,
            result.outputs,
            input_dir=input_dir,
            output_dir=output_dir,
        )
    if entry is None:
        old = entries.pop(stem, None)
        if old is not None and not result.ok:
            _remove_outputs(output_dir, old)
        return
    entries[stem] = entry
    append_journal(output_dir, stem, entry, shard)


def _remove_outputs(output_dir: Path, entry: Entry) -> None:
    for path in entry.outputs:
        (output_dir / path).unlink(missing_ok=True)


def _remove_temporary_files(output_dir: Path) -> None:
    """What a killed run left under temporary names."""
    for path in output_dir.rglob(f".*{TEMPORARY_SUFFIX}"):
        path.unlink(missing_ok=True)
