"""The work on one input: check it as its source says, write it as its format
says, and turn whatever goes wrong into its result. Runs in worker processes."""

from __future__ import annotations

import dataclasses
import time
import traceback
from pathlib import Path

from seg_convert.core.errors import SegConvertError
from seg_convert.core.inputs import Input
from seg_convert.core.interfaces import Check, DatasetWriter
from seg_convert.core.sample import FileResult, WrittenSample
from seg_convert.sources.labelme.source import check_file


def convert_file(
    item: Input,
    *,
    writer: DatasetWriter,
    output_dir: Path | None,
    check: Check = check_file,
) -> FileResult:
    """Check one input with ``check`` (a labelme file's by default) and write it
    with ``writer``; never raises for a problem of the input. With no
    ``output_dir`` it is only checked: read, its image opened and its shapes
    rasterized, nothing drawn or written."""
    started = time.perf_counter()
    try:
        result = _convert(item, writer, output_dir, check)
    except SegConvertError as error:
        result = FileResult(source=item.source, stem=item.stem, error=error)
    except Exception as error:  # A bug must not stop the batch; it is reported.
        message = f"unexpected error, please report it: {type(error).__name__}: {error}"
        details = traceback.format_exc().rstrip() if writer.options.debug else None
        result = FileResult(
            source=item.source,
            stem=item.stem,
            error=SegConvertError(item.source, message, details),
        )
    return dataclasses.replace(result, seconds=time.perf_counter() - started)


def _convert(
    item: Input, writer: DatasetWriter, output_dir: Path | None, check: Check
) -> FileResult:
    writing = output_dir is not None
    sample = check(
        item,
        writer.options,
        instances=writer.instances,
        gray=writing and writer.options.visualize,
    )
    try:
        writer.check(sample)
    except SegConvertError as error:
        if sample.where is None:
            raise
        raise type(error)(error.path, f"{sample.where}: {error.message}") from None
    written = (
        WrittenSample(outputs=())
        if output_dir is None
        else writer.write_sample(output_dir, sample)
    )
    return FileResult(
        source=item.source,
        stem=item.stem,
        outputs=written.outputs,
        warnings=sample.warnings + written.warnings,
        tallies=sample.tallies,
        image=sample.image_file,
        fingerprint=sample.fingerprint,
        digests=sample.digests,
        shapes=sample.objects_read,
        instances=len(sample.objects()),
    )
