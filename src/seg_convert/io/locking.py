"""One run at a time into an output directory; shards of one job together.

Two make targets, or a re-triggered CI job, converting into one OUTPUT_DIR
would remove each other's temporary files and outputs and mix their options.
So a run takes a lock in ``OUTPUT_DIR/.seg-convert`` first:

- a run without ``--shard`` holds ``lock`` exclusively;
- shard K of N holds ``lock`` shared and ``lock-K-of-N`` exclusively, so the
  shards of one job run at the same time, but never beside an unsharded run,
  and never two copies of one shard;
- a run that cannot have its lock waits for it, saying so once (naming the
  process it waits for): runs queue up rather than fail, as a re-run after a
  CI retry should simply finish the job;
- a shard whose options (or N) differ from those of a shard running at that
  moment is refused (OutputError): together they would write a dataset that
  mixes both. Each lock file holds its holder's process id, host and options;
  what a file holds is trusted only while its lock is held (a killed run's
  stays behind), and it is written and read under ``lock-guard``, so a new
  holder's record is never half-seen or mistaken for an old one.

The locks are ``flock`` locks: the kernel releases them when their process
ends, however it ends, so a killed run never leaves a stale lock. They work on
local file systems and on NFS (which emulates them with byte-range locks).
Worker processes forked by the run share its lock and end with it. Lock files
stay in place: removing a lock file while another run waits on it would let a
third run lock a new file beside it. They are opened without following links
and must have no other name (a link there is refused) so that a planted link
cannot make a run create, lock or write a file elsewhere. Where ``fcntl`` does
not exist (Windows) nothing is locked.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import socket
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from seg_convert.core.errors import OutputError
from seg_convert.core.shards import Shard

if sys.platform != "win32":
    import fcntl

LOCK = "lock"
GUARD = "lock-guard"
_SHARD_LOCK = re.compile(r"lock-([0-9]+)-of-([0-9]+)")
_RECORD_BYTES = 4096  # more than a record ever holds


def shard_lock_name(shard: Shard) -> str:
    return f"lock-{shard.index}-of-{shard.count}"


class OutputLock:
    """The locks a run holds on its output directory, until released (at the
    end of a ``with`` block, or when the process ends)."""

    def __init__(self, descriptors: tuple[int, ...]) -> None:
        self._descriptors = descriptors

    def release(self) -> None:
        # Closing a lock's last descriptor releases it; the shard's goes first.
        for descriptor in reversed(self._descriptors):
            os.close(descriptor)
        self._descriptors = ()

    def __enter__(self) -> OutputLock:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


@dataclass(frozen=True)
class _Holder:
    """Who holds a lock file, as its record says."""

    pid: int
    host: str
    options_key: str
    shard: Shard | None

    def describe(self) -> str:
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"pid {self.pid}{where}"


def acquire_output_lock(
    state_dir: Path,
    *,
    shard: Shard | None,
    options_key: str,
    on_wait: Callable[[str], None] | None,
) -> OutputLock:
    """Lock the output directory whose state folder is ``state_dir`` (it must
    exist) for a run with ``options_key``, waiting as long as another run holds
    it; ``on_wait`` gets the line to tell the user, once, before waiting.
    Raises OutputError if a shard with other options is running, or the lock
    files cannot be used."""
    if sys.platform == "win32":
        return OutputLock(())
    directory = _open_folder(state_dir)
    try:
        record = _Holder(os.getpid(), socket.gethostname(), options_key, shard)
        if shard is None:
            return OutputLock(_lock_alone(directory, state_dir, record, on_wait))
        return OutputLock(_lock_shard(directory, state_dir, record, shard, on_wait))
    finally:
        os.close(directory)


def _lock_alone(
    directory: int,
    state_dir: Path,
    record: _Holder,
    on_wait: Callable[[str], None] | None,
) -> tuple[int, ...]:
    main = _open(directory, state_dir, LOCK)
    try:
        _wait_for(directory, state_dir, main, fcntl.LOCK_EX, on_wait)
        with _guard(directory, state_dir):
            _write(main, record)
    except BaseException:
        os.close(main)
        raise
    return (main,)


def _lock_shard(
    directory: int,
    state_dir: Path,
    record: _Holder,
    shard: Shard,
    on_wait: Callable[[str], None] | None,
) -> tuple[int, ...]:
    main = _open(directory, state_dir, LOCK)
    own = None
    try:
        waited = _wait_for(directory, state_dir, main, fcntl.LOCK_SH, on_wait)
        own = _open(directory, state_dir, shard_lock_name(shard))
        while True:
            with _guard(directory, state_dir):
                if _try_lock(own, fcntl.LOCK_EX):
                    _refuse_other_options(directory, state_dir, record, shard)
                    _write(own, record)
                    return (main, own)
                message = _waiting_message(directory, state_dir)
            if on_wait is not None and not waited:
                on_wait(message)
                waited = True
            # Wait for the same shard's run to end without taking its lock: a
            # lock is taken for good only under the guard, beside its record.
            fcntl.flock(own, fcntl.LOCK_SH)
            fcntl.flock(own, fcntl.LOCK_UN)
    except BaseException:
        if own is not None:
            os.close(own)
        os.close(main)
        raise


def _wait_for(
    directory: int,
    state_dir: Path,
    descriptor: int,
    operation: int,
    on_wait: Callable[[str], None] | None,
) -> bool:
    """Lock ``descriptor``, waiting if need be; whether it waited."""
    if _try_lock(descriptor, operation):
        return False
    if on_wait is not None:
        with _guard(directory, state_dir):
            message = _waiting_message(directory, state_dir)
        on_wait(message)
    fcntl.flock(descriptor, operation)
    return True


def _refuse_other_options(
    directory: int, state_dir: Path, record: _Holder, shard: Shard
) -> None:
    """Raise OutputError if a running shard has other options or another N."""
    output = state_dir.parent
    for other in _running_shards(directory, state_dir):
        if other.shard is None or other.shard == shard:
            continue
        name = f"shard {other.shard.index}/{other.shard.count}, {other.describe()}"
        if other.shard.count != shard.count:
            raise OutputError(
                output,
                f"another shard ({name}) is converting into it as one of "
                f"{other.shard.count} shards, this one of {shard.count} (run all "
                "shards with the same N)",
            )
        if other.options_key != record.options_key:
            raise OutputError(
                output,
                f"another shard ({name}) is converting into it with different "
                "options (run all shards with the same options)",
            )


def _waiting_message(directory: int, state_dir: Path) -> str:
    """What to tell the user who waits: which runs hold the output. Called
    under the guard."""
    holders = _running_shards(directory, state_dir)
    if not holders:
        main = _open(directory, state_dir, LOCK)
        try:
            alone = _read(main)
        finally:
            os.close(main)
        holders = [] if alone is None else [alone]
    who = ", ".join(holder.describe() for holder in holders)
    return f"waiting for another seg-convert run into {state_dir.parent} to finish" + (
        f" ({who})" if who else ""
    )


def _running_shards(directory: int, state_dir: Path) -> list[_Holder]:
    """The records of the shard lock files that are locked now. Called under
    the guard, so a record is complete and its lock's."""
    running = []
    for name in sorted(os.listdir(directory)):
        if _SHARD_LOCK.fullmatch(name) is None:
            continue
        try:
            descriptor = _open(directory, state_dir, name, create=False)
        except FileNotFoundError:
            continue
        try:
            if _try_lock(descriptor, fcntl.LOCK_SH):
                continue  # nobody's: what it holds is a finished run's
            holder = _read(descriptor)
            if holder is not None:
                running.append(holder)
        finally:
            os.close(descriptor)  # and with it the probe's lock
    return running


@contextlib.contextmanager
def _guard(directory: int, state_dir: Path) -> Iterator[None]:
    """The short lock under which records are written and read and shard
    locks taken."""
    descriptor = _open(directory, state_dir, GUARD)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _try_lock(descriptor: int, operation: int) -> bool:
    try:
        fcntl.flock(descriptor, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _open_folder(state_dir: Path) -> int:
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(state_dir, flags)
    except OSError as error:
        raise _lock_error(state_dir, error) from None


def _open(directory: int, state_dir: Path, name: str, *, create: bool = True) -> int:
    """A lock file in the state folder, never through a link."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_CREAT if create else 0)
    path = state_dir / name
    try:
        descriptor = os.open(name, flags, 0o644, dir_fd=directory)
    except OSError as error:
        if not create and isinstance(error, FileNotFoundError):
            raise
        raise _lock_error(path, error) from None
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1:
        # A hard link would have its record written over another file.
        os.close(descriptor)
        raise OutputError(path, "is not a file of its own (remove it)")
    return descriptor


def _lock_error(path: Path, error: OSError) -> OutputError:
    # O_NOFOLLOW gives ELOOP for a link, or ENOTDIR with O_DIRECTORY.
    if error.errno == errno.ELOOP or (
        error.errno == errno.ENOTDIR and path.is_symlink()
    ):
        return OutputError(
            path, "is a symbolic link; seg-convert does not follow it (remove it)"
        )
    if error.errno == errno.ENOTDIR:
        return OutputError(path, "is not a folder (remove it)")
    return OutputError(path, f"cannot lock: {os.strerror(error.errno or 0)}")


def _write(descriptor: int, holder: _Holder) -> None:
    shard = holder.shard
    record = {
        "pid": holder.pid,
        "host": holder.host,
        "options_key": holder.options_key,
        "shard": None if shard is None else [shard.index, shard.count],
    }
    data = (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, data, 0)


def _read(descriptor: int) -> _Holder | None:
    """A lock file's record; None if it holds none, or not one of ours."""
    try:
        record = json.loads(os.pread(descriptor, _RECORD_BYTES, 0))
        shard = record["shard"]
        holder = _Holder(
            pid=int(record["pid"]),
            host=str(record["host"]),
            options_key=str(record["options_key"]),
            shard=None if shard is None else Shard(int(shard[0]), int(shard[1])),
        )
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return holder
