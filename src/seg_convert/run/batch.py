"""Converting a source of samples: discover -> plan -> run -> finish.

This is the Python API the CLI calls. Each sample is checked and written on its
own: a bad one is recorded as failed with its reason and the others are still
converted. Where samples come from belongs to a ``SampleSource`` (a labelme
folder, COCO files); the output directory's state (what is there, what is
stale) to ``OutputState``; the format to a ``DatasetWriter``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seg_convert.core.errors import OutputError
from seg_convert.core.inputs import Input, stem_problem
from seg_convert.core.interfaces import (
    DatasetWriter,
    SampleSource,
)
from seg_convert.core.options import Options
from seg_convert.core.sample import FileResult
from seg_convert.core.shards import Shard
from seg_convert.core.splits import empty_split_warning, make_splits, splits_in_use
from seg_convert.io.atomic import sweep_temporary_files
from seg_convert.io.locking import acquire_output_lock
from seg_convert.render.fonts import choose_font, undrawable_names_warning
from seg_convert.run import registry
from seg_convert.run.convert_file import convert_file
from seg_convert.run.input_sets import inputs_record
from seg_convert.run.output_dir import prepare_folders, prepare_state_dir
from seg_convert.run.output_state import OutputState, Plan
from seg_convert.run.workers import run_files


@dataclass(frozen=True)
class ConversionReport:
    """Every input file's result, in input order; with fail-fast, up to the
    first failure, so ``results`` may be fewer than ``inputs``. ``options`` are
    the run's, with the font it chose; ``format`` the writer's; ``source``
    what was read, as the source describes it."""

    input_dir: Path
    source: Mapping[str, Any]
    output_dir: Path
    format: str
    options: Options
    inputs: int
    results: tuple[FileResult, ...]
    warnings: tuple[str, ...] = ()  # about the whole run, said once

    @property
    def converted(self) -> int:
        return sum(result.ok and not result.skipped for result in self.results)

    @property
    def skipped(self) -> int:
        return sum(result.skipped for result in self.results)

    @property
    def failed(self) -> int:
        return sum(not result.ok for result in self.results)


OnStart = Callable[[int], None]
OnResult = Callable[[FileResult], None]
OnWait = Callable[[str], None]


@dataclass(frozen=True)
class Hooks:
    """What a caller hears during a run: ``on_start`` the number of inputs
    before work starts, ``on_result`` each result in input order, ``on_wait`` a
    line to show when another run holds the output directory and this one waits
    for it (see ``seg_convert.io.locking``)."""

    on_start: OnStart | None = None
    on_result: OnResult | None = None
    on_wait: OnWait | None = None


NO_HOOKS = Hooks()


def convert(
    source: SampleSource,
    output_dir: Path,
    *,
    to: str,
    options: Options,
    hooks: Hooks = NO_HOOKS,
    report_path: Path | None = None,
) -> ConversionReport:
    """Convert the samples of ``source`` into format ``to`` (a name of
    ``run.registry.FORMATS``) in ``output_dir``.

    ``output_dir`` must be new, empty, or written by an earlier run of the same
    command: then samples whose inputs are unchanged (same size and
    modification time, or the same bytes) are skipped unless ``options.force``,
    outputs of deleted inputs are removed, and a change of the options that
    shape samples redoes everything. ``report_path``, where the caller will
    write its report, is never taken as an input. Raises SegConvertError only
    for problems with the whole job (inputs, output directory); per-file
    problems are in the report.
    """
    output_format = registry.output_format(to)
    writer = output_format.writer(_with_font(options))
    options = writer.options
    _check_apart(source.reads, output_dir)
    all_inputs, inputs = _inputs(source, output_dir, report_path, options.shard)
    shard = options.shard
    key = options.sample_key(
        output_format.name,
        with_split=output_format.split_in_samples,
        layout=output_format.layout,
    )
    state_dir = prepare_state_dir(output_dir)
    with acquire_output_lock(
        state_dir, shard=shard, options_key=key, on_wait=hooks.on_wait
    ):
        # Holding the directory alone, a run may sweep every temporary file;
        # a shard only those of runs that are gone.
        sweep_temporary_files(output_dir, all_runs=shard is None)
        state = OutputState.open(
            output_dir,
            key=key,
            made_by=f"{source.kind}2{writer.format}",
            inputs=inputs_record(source.input_set, output_dir),
            shard=shard,
            force=options.force,
            folders=registry.dataset_folders(),
            owns=registry.owned_by_a_format,
        )
        state.save()  # the directory is ours from now on, even if this run is killed
        in_use = splits_in_use(source.fixed_splits(inputs))
        prepare_folders(output_dir, writer.dataset_dirs(in_use))
        results = _convert_planned(
            inputs,
            state.plan(inputs, input_dir=source.root, current=source.fingerprint),
            state,
            source=source,
            writer=writer,
            output_dir=output_dir,
            hooks=hooks,
        )
        state.save()
        warnings = _write_dataset(
            source, all_inputs, state, writer=writer, output_dir=output_dir
        )
    return ConversionReport(
        input_dir=source.root,
        source=source.describe(),
        output_dir=output_dir,
        format=writer.format,
        options=options,
        inputs=len(inputs),
        results=tuple(results),
        warnings=source.notes + warnings + _font_warning(options),
    )


def _inputs(
    source: SampleSource,
    output_dir: Path,
    report_path: Path | None,
    shard: Shard | None,
) -> tuple[list[Input], list[Input]]:
    """Every input whose name can name outputs, which every shard lists (see
    ``_write_dataset``), and the inputs this run converts (its shard's)."""
    inputs = source.inputs(
        exclude=[output_dir] if report_path is None else [output_dir, report_path]
    )
    listable = [item for item in inputs if stem_problem(item.stem) is None]
    if shard is not None:
        inputs = [item for item in inputs if shard.holds(item.stem)]
    return listable, inputs


def _write_dataset(
    source: SampleSource,
    all_inputs: Sequence[Input],
    state: OutputState,
    *,
    writer: DatasetWriter,
    output_dir: Path,
) -> tuple[str, ...]:
    """Write the once-per-dataset files (the splits of the samples there) and
    remove other formats'; return the warnings about the whole dataset."""
    options = writer.options
    shard = options.shard
    # A shard cannot know which files other shards fail, so every shard lists
    # all inputs: the same lists from each, and from one unsharded run that
    # succeeds.
    listed = (
        [item for item in all_inputs if item.stem in state.entries]
        if shard is None
        else list(all_inputs)
    )
    fixed = source.fixed_splits(listed)
    splits = make_splits(
        [item.stem for item in listed],
        val_fraction=options.val_fraction,
        seed=options.split_seed,
        fixed=fixed,
    )
    warnings = writer.write_dataset(output_dir, splits=splits, complete=shard is None)
    registry.remove_other_formats(output_dir, writer.format)
    # A shard holds some of the samples: only a whole run can tell.
    if shard is None and registry.output_format(writer.format).writes_splits:
        split_warning = empty_split_warning(
            splits, val_fraction=options.val_fraction, fixed=fixed
        )
        if split_warning is not None:
            warnings += (split_warning,)
    return warnings


def _font_warning(options: Options) -> tuple[str, ...]:
    """The legend font's warning, if it cannot draw some class names."""
    if not options.visualize or options.font is None:
        return ()
    warning = undrawable_names_warning(options.font, options.labels.names)
    return () if warning is None else (warning,)


def _convert_planned(
    inputs: Sequence[Input],
    plan: Plan,
    state: OutputState,
    *,
    source: SampleSource,
    writer: DatasetWriter,
    output_dir: Path,
    hooks: Hooks,
) -> list[FileResult]:
    """Convert what ``plan`` says, recording each result as it comes, in input
    order; stop at the first failure with fail-fast."""
    if hooks.on_start is not None:
        hooks.on_start(len(inputs))
    work = run_files(
        functools.partial(
            convert_file, writer=writer, output_dir=output_dir, check=source.check
        ),
        plan.todo,
        jobs=writer.options.jobs,
        on_death=FileResult.failure,
        on_unused=state.discard,  # finished after fail-fast or Ctrl-C stopped
    )
    results = []
    # Closing stops the workers, whether fail-fast or an error ends the loop.
    with contextlib.closing(work) as todo:
        for item in inputs:
            entry = plan.unchanged.get(item)
            if entry is not None:
                result = FileResult(
                    source=item.source,
                    stem=item.stem,
                    skipped=True,
                    outputs=tuple(output_dir / path for path in entry.outputs),
                )
            else:
                result = state.record(next(todo), input_dir=source.root)
            results.append(result)
            if hooks.on_result is not None:
                hooks.on_result(result)
            if writer.options.fail_fast and not result.ok:
                break
    return results


def _check_apart(inputs: Sequence[Path], output_dir: Path) -> None:
    """Refuse an output directory that holds an input: a run writes and removes
    files there (OUTPUT_DIR inside INPUT_DIR is fine: it is never an input)."""
    root = output_dir.resolve()
    for path in inputs:
        if path.resolve().is_relative_to(root):
            raise OutputError(
                output_dir,
                f"holds the input {path}, and seg-convert writes and removes files "
                "in the output directory (choose an output directory outside it)",
            )


def _with_font(options: Options) -> Options:
    """The options with the legend font chosen (None without visualizations), so
    that the re-run key records the font the legends were drawn with."""
    if not options.visualize:
        return dataclasses.replace(options, font=None)
    return dataclasses.replace(
        options, font=options.font or choose_font(options.labels.names)
    )
