"""Setting up a process of ours: the cores it may use, and keeping the memory
it frees for its next file.

Apart from ``workers`` so that the command line reads them without loading
multiprocessing or an image library (``seg-convert --help`` stays quick).
"""

from __future__ import annotations

import os
import sys

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Blocks are kept up to these sizes; bigger ones still go back to the system.
_MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit systems
_TRIM_THRESHOLD = 256 << 20
_PILLOW_BLOCKS = 16  # of Pillow's 16 MiB image blocks


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def keep_freed_memory() -> None:
    """Let the memory of one file's images and arrays serve the next file.

    By default glibc hands every block of a few MB back to the system when it is
    freed, and so does Pillow, so each file page-faults all its memory in again:
    on a 1600x1200 image that was 8,000 faults and a third of the run's time,
    spent in the kernel. Kept, they fault in once per process. Memory stays
    bounded by the largest file's needs.
    """
    import ctypes

    from PIL import _imaging  # the C core only: no Python module of Pillow

    _imaging.set_blocks_max(_PILLOW_BLOCKS)
    if _is_glibc():
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


def _is_glibc() -> bool:
    # platform.libc_ver() would read the whole Python executable to find out.
    if not sys.platform.startswith("linux"):
        return False
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # musl has no such name
        return False
