"""Running the per-file work in this process or in worker processes.

Results come back in input order whatever the number of workers, so the output
and the report are the same for any ``jobs``.
"""

from __future__ import annotations

import ctypes
import os
import platform
import signal
import sys
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from PIL import _imaging

from .discovery import Input

R = TypeVar("R")

_PR_SET_PDEATHSIG = 1  # prctl's option (linux/prctl.h)
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
    _imaging.set_blocks_max(_PILLOW_BLOCKS)
    if platform.libc_ver()[0] == "glibc":
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


def _start_worker() -> None:
    # Ctrl-C reaches every process of the terminal's group: the runner alone
    # stops, after the workers finish the files they are writing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        # A runner killed outright would leave its workers waiting for work
        # forever; the kernel ends them with it.
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    keep_freed_memory()


def run_files(
    work: Callable[[Input], R],
    inputs: Sequence[Input],
    *,
    jobs: int,
    on_death: Callable[[Input, str], R],
) -> Generator[R, None, None]:
    """``work`` on each of ``inputs`` by ``jobs`` processes (1: this one),
    yielding the results in input order. ``work`` must be picklable."""
    if jobs == 1 or len(inputs) <= 1:
        yield from map(work, inputs)
        return
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(inputs)), initializer=_start_worker
    ) as pool:
        try:
            yield from pool.map(work, inputs)
        finally:  # A consumer that stops early (fail-fast) drops the rest.
            pool.shutdown(wait=True, cancel_futures=True)
