"""Writing a file so that it is never seen half-written.

The data goes to a temporary name in the same directory, then is renamed over the
target: a rename within one file system is atomic, so a reader, or a run killed
at any moment, sees the old file, the new file or no file.

A temporary name says which run wrote it, ``.NAME.HOST-PID.tmp`` (HOST a short
digest of the host name, so the name's length is fixed and it parses whatever
the host is called), so that a run sweeping up after killed runs removes only
the files of runs that are gone, never those another live run is writing.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from seg_convert.io.confined import folder_of, open_regular, same_bytes

# What a file is written from: bytes, or an array saved as .npy.
Content = bytes | npt.NDArray[np.generic]

TEMPORARY_SUFFIX = ".tmp"
_NAME_MAX = 255  # bytes of a file name on Linux, macOS and Windows file systems
# .NAME.HOST-PID.tmp, as temporary_name makes it.
_TEMPORARY = re.compile(r"\..+\.(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]+)\.tmp", re.DOTALL)


@functools.cache
def host_tag() -> str:
    """This host, as temporary names hold it."""
    name = socket.gethostname().encode("utf-8", "surrogateescape")
    return hashlib.sha256(name).hexdigest()[:8]


def temporary_name(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place. A name too
    long to take the tag (a file system allows ``_NAME_MAX`` bytes) has its
    end replaced by a digest of it, so that a name that fits can be written."""
    tag = f"{host_tag()}-{os.getpid()}"
    name = f".{path.name}.{tag}{TEMPORARY_SUFFIX}"
    encoded = os.fsencode(path.name)
    excess = len(os.fsencode(name)) - _NAME_MAX
    if excess > 0:
        digest = hashlib.sha256(encoded).hexdigest()[:16]
        kept = os.fsdecode(encoded[: max(len(encoded) - excess - len(digest) - 1, 0)])
        name = f".{kept}~{digest}.{tag}{TEMPORARY_SUFFIX}"
    return path.with_name(name)


def sweep_temporary_files(root: Path, *, all_runs: bool) -> None:
    """Remove the temporary files that runs which are gone left under ``root``.

    A file is gone with its run when the run was on this host and its process
    no longer exists; files of runs on other hosts (a shared network folder)
    and of live runs are kept, unless ``all_runs``: then every temporary file
    goes, for a caller that knows nothing else writes here (it holds the
    output's exclusive lock). A reused process id keeps a dead run's file until
    such a sweep. Links are neither followed nor removed, so nothing outside
    ``root`` is touched.
    """
    for path in _temporary_files(root):
        if all_runs or _left_by_a_dead_run(path.name):
            with contextlib.suppress(FileNotFoundError):  # swept by another
                path.unlink()


def _temporary_files(folder: Path) -> list[Path]:
    """The regular files named like temporary ones in ``folder`` and the
    folders below it, without following links."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    for entry in entries:
        with contextlib.suppress(FileNotFoundError):
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                found += _temporary_files(Path(entry.path))
            elif (
                stat.S_ISREG(mode)
                and entry.name.startswith(".")
                and entry.name.endswith(TEMPORARY_SUFFIX)
            ):
                found.append(Path(entry.path))
    return found


def _left_by_a_dead_run(name: str) -> bool:
    """Whether the run that named a temporary file ``name`` is known to be gone."""
    match = _TEMPORARY.fullmatch(name)
    if match is None or match["host"] != host_tag():
        return False  # an older seg-convert's, or another host's: no way to tell
    if sys.platform == "win32":
        return False  # os.kill(pid, 0) would end the process there
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):  # another user's; not a pid
        return False
    return False


@contextlib.contextmanager
def replacing(
    path: Path, *, root: Path | None, unless_same: bool = False
) -> Iterator[BinaryIO]:
    """A new file, renamed over ``path`` when the block ends (removed if it
    raises). ``path`` is reached from ``root`` without following a link below it
    (see ``confined``; None: its parent folder as given). With ``unless_same``,
    a regular file at ``path`` holding the same bytes is kept as it is."""
    with folder_of(path, root=root) as (folder, name):
        temporary = temporary_name(Path(name)).name
        try:
            with create(temporary, dir_fd=folder) as stream:
                yield stream
            if unless_same and same_bytes(temporary, name, dir_fd=folder):
                os.unlink(temporary, dir_fd=folder)
            else:
                os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=folder)
            raise


def create(name: str, *, dir_fd: int) -> BinaryIO:
    """A new file ``name`` in the folder ``dir_fd`` for writing, never through a
    link: a stale file of that name (a killed run's, or a planted link) is
    removed first. Every temporary file is made here."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=dir_fd)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    return os.fdopen(os.open(name, flags, 0o666, dir_fd=dir_fd), "wb")


def write_atomically(path: Path, data: Content, *, root: Path | None = None) -> None:
    """Write ``data`` to ``path`` all at once, or not at all (``root`` as for
    ``replacing``).

    An array is saved in .npy format straight from its memory, with no copy.
    """
    with replacing(path, root=root) as stream:
        if isinstance(data, np.ndarray):
            np.save(stream, data, allow_pickle=False)
        else:
            stream.write(data)


def write_if_changed(path: Path, data: bytes, *, root: Path | None = None) -> bool:
    """Write ``data`` to ``path`` atomically unless the file holds it already, so
    that an unchanged file keeps its modification time (a Makefile rule that
    depends on it does not fire). Returns whether it wrote. Anything but a
    regular file there (a link, a named pipe) is replaced by a file of our own."""
    with folder_of(path, root=root) as (folder, name):
        try:
            stream = open_regular(name, dir_fd=folder)
        except OSError:
            pass  # missing, or not a file
        else:
            with stream:
                size = os.fstat(stream.fileno()).st_size
                if size == len(data) and stream.read(size + 1) == data:
                    return False
    write_atomically(path, data, root=root)
    return True
