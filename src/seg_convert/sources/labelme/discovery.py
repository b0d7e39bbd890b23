"""Finding the labelme files to convert and naming their outputs.

Files are taken in a stable order (sorted by their path relative to the input
directory), so every run, every machine and every shard sees the same list.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from seg_convert.core.errors import InputError
from seg_convert.core.files import reason as os_reason
from seg_convert.core.inputs import FLATTEN_SEPARATOR, Input


def find_inputs(
    input_dir: Path,
    *,
    recursive: bool = False,
    flatten_names: bool = False,
    exclude: Sequence[Path] = (),
) -> list[Input]:
    """The labelme JSON files in ``input_dir`` (and below, if ``recursive``).

    Output stems are the file names without ``.json``; with ``flatten_names``,
    the path below ``input_dir`` joined by ``__`` (``a/b/1.json`` -> ``a__b__1``).
    Two files that would get the same stem are an error naming both. Files and
    folders in ``exclude`` (the run's own report and output directory, which may
    lie inside ``input_dir``) are not taken.
    """
    excluded = {os.path.realpath(path) for path in exclude}
    sources = sorted(
        source
        for source in _json_files(input_dir, recursive=recursive)
        if not _is_excluded(source, excluded)
    )
    if not sources:
        raise InputError(
            input_dir,
            "no labelme files (*.json) here; give the directory labelme saved to"
            + ("" if recursive else " (or use --recursive for subfolders)"),
        )
    inputs = [
        Input(source, _stem(source, input_dir, flatten=flatten_names))
        for source in sources
    ]
    _check_unique(inputs, input_dir)
    return inputs


def _json_files(input_dir: Path, *, recursive: bool) -> list[Path]:
    found = []
    try:
        # os.walk does not follow links to directories, so no link loops.
        for folder, dirs, files in os.walk(input_dir, onerror=_raise):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [
                Path(folder) / name
                for name in files
                if name.lower().endswith(".json") and not name.startswith(".")
            ]
            if not recursive:
                break
    except OSError as error:
        raise InputError(
            error.filename or input_dir, f"cannot list: {os_reason(error)}"
        ) from None
    return found


def _is_excluded(source: Path, excluded: set[str]) -> bool:
    if not excluded:
        return False
    real = Path(os.path.realpath(source))
    return any(str(place) in excluded for place in (real, *real.parents))


def _raise(error: OSError) -> None:
    raise error


def _stem(source: Path, input_dir: Path, *, flatten: bool) -> str:
    relative = source.relative_to(input_dir).with_suffix("")
    return FLATTEN_SEPARATOR.join(relative.parts) if flatten else relative.name


def _check_unique(inputs: Sequence[Input], input_dir: Path) -> None:
    first: dict[str, Path] = {}
    for item in inputs:
        other = first.setdefault(item.stem, item.source)
        if other != item.source:
            raise InputError(
                input_dir,
                f"{other.relative_to(input_dir)} and "
                f"{item.source.relative_to(input_dir)} would both be written as "
                f"{item.stem!r} (rename one, or use --flatten-names)",
            )
