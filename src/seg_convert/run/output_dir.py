"""Making an output directory ready: refused unless new, empty or ours, its
state folder and dataset folders created, never through a link."""

from __future__ import annotations

import stat
from collections.abc import Iterable
from pathlib import Path

from seg_convert.core.errors import OutputError
from seg_convert.core.files import reason as os_reason
from seg_convert.core.inputs import STATE_DIR
from seg_convert.run.state_records import check_relative


def prepare_state_dir(root: Path) -> Path:
    """Make sure ``root`` is new, empty or ours, and create its state folder
    (where the lock lives); return that folder."""
    if root.exists() and not root.is_dir():
        raise OutputError(root, "exists and is not a directory")
    state_dir = root / STATE_DIR
    if state_dir.is_symlink():
        raise OutputError(
            state_dir,
            "is a symbolic link; seg-convert keeps its records in the output "
            "directory itself (remove the link)",
        )
    ours = state_dir.is_dir() and any(
        any(state_dir.glob(pattern)) for pattern in ("manifest*.json", "journal*.jsonl")
    )
    if root.is_dir() and not ours and any(p.name != STATE_DIR for p in root.iterdir()):
        raise OutputError(
            root,
            "is not empty and was not written by seg-convert (choose a new output "
            "directory, or remove this one)",
        )
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(root, f"cannot create: {os_reason(error)}") from None
    return state_dir


def is_plain_file(path: Path) -> bool:
    """A regular file itself, not a link to one (a link planted in place of an
    output is replaced by converting the sample again)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def prepare_folders(root: Path, names: Iterable[str]) -> None:
    """Create the dataset folders ``names`` (relative) in ``root``; a folder on
    the way that is a link is refused, never written through."""
    for name in names:
        folder = root
        for part in check_relative(name):
            folder = folder / part
            if folder.is_symlink():
                raise OutputError(
                    folder,
                    "is a symbolic link; seg-convert writes only into real folders "
                    "inside the output directory (remove the link)",
                )
            try:
                folder.mkdir(exist_ok=True)
            except FileExistsError:
                raise OutputError(folder, "exists and is not a directory") from None
            except OSError as error:
                raise OutputError(
                    folder, f"cannot create: {os_reason(error)}"
                ) from None
