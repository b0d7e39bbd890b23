"""Writing a file so that it is never seen half-written.

The data goes to a temporary name in the same directory, then is renamed over the
target: a rename within one file system is atomic, so a reader, or a run killed
at any moment, sees the old file, the new file or no file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

# What a file is written from: bytes, or an array saved as .npy.
Content = bytes | npt.NDArray[np.generic]

TEMPORARY_SUFFIX = ".tmp"


def temporary_name(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place."""
    return path.with_name(f".{path.name}.{os.getpid()}{TEMPORARY_SUFFIX}")


def write_atomically(path: Path, data: Content) -> None:
    """Write ``data`` to ``path`` all at once, or not at all.

    An array is saved in .npy format straight from its memory, with no copy.
    """
    temporary = temporary_name(path)
    try:
        with open(temporary, "wb") as stream:
            if isinstance(data, np.ndarray):
                np.save(stream, data, allow_pickle=False)
            else:
                stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless the file holds it already, so
    that an unchanged file keeps its modification time (a Makefile rule that
    depends on it does not fire). Returns whether it wrote."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        pass  # missing, or a link: replaced by a file of our own
    else:
        with os.fdopen(fd, "rb") as stream:
            if stream.read(len(data) + 1) == data:
                return False
    write_atomically(path, data)
    return True
