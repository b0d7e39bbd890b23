"""Reaching files below the output directory without following a link there.

Checking once that no dataset folder is a link, then writing by path, leaves a
window: a folder swapped for a link meanwhile sends the files elsewhere. So a
file below ``root`` is reached from a descriptor of ``root``, opening each folder
on the way by name relative to the one before with O_NOFOLLOW: whatever is
swapped in meanwhile, what is written, read or removed is below ``root``, or the
call fails. ``root`` itself is opened as given: a link there is the user's
choice.

Files read back (state, a file to compare with) are opened without blocking and
refused unless they are regular files, so a named pipe planted in their place
cannot make a run wait forever.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

# The largest file read back whole. The biggest one seg-convert writes is the
# manifest, ~400 bytes a sample (40 MB for 100,000 images): 1 GiB holds millions
# of samples, so no real dataset is refused, while a planted sparse file of
# terabytes is an error rather than a MemoryError.
MAX_READ_BYTES = 1 << 30
_BLOCK = 1 << 20  # bytes read at a time
_FOLDER = os.O_RDONLY | os.O_DIRECTORY


def open_folder(root: Path, names: Sequence[str]) -> int:
    """A descriptor of the folder ``root/NAME/...`` (the caller closes it); a
    folder of ``names`` that is a link raises OSError saying so."""
    fd = os.open(root, _FOLDER)
    try:
        for depth, name in enumerate(names):
            try:
                child = os.open(name, _FOLDER | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(name, fd):
                    where = "/".join(names[: depth + 1])
                    raise OSError(
                        errno.ELOOP,
                        f"{where} is a symbolic link (seg-convert follows no link "
                        "inside the output directory; remove it)",
                    ) from None
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def folder_of(path: Path, *, root: Path | None) -> Iterator[tuple[int, str]]:
    """The open folder that holds ``path``, reached from ``root`` (None: the
    folder is ``path``'s parent as given), and ``path``'s name in it."""
    start, names = _walk(path, root)
    fd = open_folder(start, names[:-1])
    try:
        yield fd, names[-1]
    finally:
        os.close(fd)


def open_regular(name: str, *, dir_fd: int) -> BinaryIO:
    """The regular file ``name`` in the folder ``dir_fd``, for reading; a link,
    a named pipe or a device raises OSError."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", name)
    return os.fdopen(fd, "rb")


def read_regular(
    path: Path, *, root: Path | None = None, limit: int = MAX_READ_BYTES
) -> bytes:
    """The bytes of the regular file ``path`` (reached as ``folder_of`` does),
    at most ``limit`` of them: a larger file raises OSError."""
    with folder_of(path, root=root) as (folder, name):
        with open_regular(name, dir_fd=folder) as stream:
            # The size first: a sparse file is refused without reading it; then
            # a block at a time, in case it grows meanwhile.
            too_large = os.fstat(stream.fileno()).st_size > limit
            blocks, left = [], 0 if too_large else limit + 1
            while left > 0 and (block := stream.read(min(left, _BLOCK))):
                blocks.append(block)
                left -= len(block)
    if left <= 0:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return b"".join(blocks)


def same_bytes(first: str, second: str, *, dir_fd: int) -> bool:
    """Whether the files ``first`` and ``second`` of a folder are regular files
    that hold the same bytes, compared a block at a time."""
    with contextlib.ExitStack() as opened:
        try:
            one, other = (
                opened.enter_context(open_regular(name, dir_fd=dir_fd))
                for name in (first, second)
            )
        except OSError:
            return False
        if os.fstat(one.fileno()).st_size != os.fstat(other.fileno()).st_size:
            return False
        while block := one.read(_BLOCK):
            if other.read(_BLOCK) != block:
                return False
    return True


def remove(path: Path, *, root: Path) -> None:
    """Remove the file ``path`` below ``root``. A folder on the way that is
    gone, or is a link, ends the removal quietly: what it leads to is not ours.
    A link at ``path`` is removed itself; a folder there is left alone."""
    with _parent_if_reachable(path, root) as (fd, name):
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                found = os.stat(name, dir_fd=fd, follow_symlinks=False)
                if not stat.S_ISDIR(found.st_mode):
                    os.unlink(name, dir_fd=fd)


def remove_empty_folder(path: Path, *, root: Path) -> None:
    """Remove the folder ``path`` below ``root`` if it is empty; a link there or
    on the way is left alone."""
    with _parent_if_reachable(path, root) as (fd, name):
        if fd is not None:
            with contextlib.suppress(OSError):  # not empty, not a folder, or gone
                os.rmdir(name, dir_fd=fd)


@contextlib.contextmanager
def _parent_if_reachable(path: Path, root: Path) -> Iterator[tuple[int | None, str]]:
    """As ``folder_of``, but None for a folder on the way that is gone or a
    link: removals end there quietly."""
    start, names = _walk(path, root)
    try:
        fd = open_folder(start, names[:-1])
    except OSError:
        yield None, names[-1]
        return
    try:
        yield fd, names[-1]
    finally:
        os.close(fd)


def _walk(path: Path, root: Path | None) -> tuple[Path, tuple[str, ...]]:
    """Where to start from, and the names that lead from there to ``path``."""
    names: tuple[str, ...]
    if root is None:
        start, names = path.parent, (path.name,)
    else:
        start, names = root, path.relative_to(root).parts
    if not names or any(name in ("", ".", "..") for name in names):
        raise ValueError(f"{path} is not a file below {start}")
    return start, names


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False
