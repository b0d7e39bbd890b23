"""The one way an input file is opened: its type and size checked first.

A pipe, a socket or a device (a link to /dev/zero) would be read forever, and a
sparse file of many GiB would be hashed or read for minutes before a size limit
refused it. ``open_regular`` opens without blocking (a FIFO with no writer
opens at once), checks on the open descriptor that it is a regular file within
``max_bytes``, and only then hands it back; every reader of input files
(annotations, images, labels, fonts, label arrays, the content digests) goes
through it. In ``core`` so that the fingerprints, below ``io``, use it too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class FileRefused(OSError):
    """A file that is not read: not a regular file, or too large. Its
    ``strerror`` says why in words that follow the file's name; ``kind`` is
    ``directory``, ``special`` (a pipe, socket or device) or ``size``."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(None, reason)
        self.kind = kind

    def __reduce__(self) -> tuple[type[FileRefused], tuple[str, str]]:
        return type(self), (self.kind, str(self.strerror))


def open_regular(path: Path | str, *, max_bytes: int | None = None) -> BinaryIO:
    """``path`` opened for reading in binary, once it is known to be a regular
    file of at most ``max_bytes`` (None: any size).

    Raises FileRefused for a directory, a pipe or device, or a file too large,
    and the system's OSError (not found, permission denied, a symbolic link
    loop) otherwise; ``reason`` turns either into words.
    """
    fd = os.open(path, _FLAGS)
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise FileRefused("directory", "is a directory")
        if not stat.S_ISREG(status.st_mode):
            raise FileRefused("special", "is a pipe or a device, not a file")
        if max_bytes is not None and status.st_size > max_bytes:
            raise FileRefused(
                "size",
                f"is {status.st_size:,} bytes or more, over the limit of {max_bytes:,}",
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: Path | str, *, max_bytes: int | None = None) -> int:
    """The size of ``path`` once ``open_regular`` accepts it, for a library
    that opens the file by its name itself (Pillow, FreeType, NumPy)."""
    with open_regular(path, max_bytes=max_bytes) as stream:
        return os.fstat(stream.fileno()).st_size


def read_regular(path: Path | str, *, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (one byte more is
    read: it may have grown since it was checked)."""
    with open_regular(path, max_bytes=max_bytes) as stream:
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileRefused(
            "size",
            f"is {len(data):,} bytes or more, over the limit of {max_bytes:,}",
        )
    return data


def reason(error: OSError) -> str:
    """What went wrong, in words, for any OSError (never ``None``: some are
    raised without a message, e.g. by a stream whose device reports no error
    number)."""
    if error.strerror:
        return str(error.strerror)
    if error.errno:
        return os.strerror(error.errno)
    text = str(error)
    if text and text != "None":
        return text
    return f"{type(error).__name__} (no detail given)"
