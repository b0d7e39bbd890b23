"""Running the per-file work in this process or in worker processes.

Results come back in input order whatever the number of workers, so the output
and the report are the same for any ``jobs``.

Each worker is handed one file at a time over its own pipe, so when one dies
(the kernel's out-of-memory killer, a crash in a native library) the runner
knows which file it was converting: that file alone fails, a new worker takes
its place and the other workers' files carry on. A pool that hands out work in
batches (``concurrent.futures``) can only say that some worker died, and fails
every pending file with it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import multiprocessing
import signal
import sys
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from .discovery import Input
from .process_setup import keep_freed_memory

R = TypeVar("R")

_PR_SET_PDEATHSIG = 1  # prctl's option (linux/prctl.h)


def _start_worker() -> None:
    # Ctrl-C reaches every process of the terminal's group, and a SIGTERM may
    # too (kill -- -PGID): the runner alone stops, after the workers finish the
    # files they are writing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if sys.platform == "linux":
        # A runner killed outright would leave its workers waiting for work
        # forever; the kernel ends them with it.
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    keep_freed_memory()


def death_message(exitcode: int | None) -> str:
    """Why a worker ended without a result, from its exit code (minus the
    signal number when a signal killed it)."""
    if exitcode is None or exitcode >= 0:
        how = f"exit code {exitcode}"
    elif -exitcode == signal.SIGKILL:  # what the out-of-memory killer sends
        how = f"killed by signal {-exitcode} — out of memory?"
    else:
        try:
            how = f"killed by signal {-exitcode}, {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
    return f"the worker converting it died ({how})"


def _serve(connection: Connection, work: Callable[[Input], Any]) -> None:
    """A worker's life: set up, then ``work`` on each item it is sent, until
    it is sent None or the runner is gone."""
    _start_worker()
    while True:
        try:
            task = connection.recv()
        except EOFError:
            return
        if task is None:
            return
        index, item = task
        try:
            reply: tuple[int, bool, object] = (index, True, work(item))
        except Exception as error:  # raised by the generator, in its turn
            reply = (index, False, error)
        try:
            connection.send(reply)
        except OSError:  # the runner is gone
            return
        except Exception as error:  # a result that cannot be pickled
            problem = RuntimeError(f"cannot send the result back: {error!r}")
            connection.send((index, False, problem))


@dataclass(frozen=True)
class _Raised:
    """An exception ``work`` raised in a worker, to be raised at its turn."""

    error: Exception


@dataclass
class _Worker:
    """A worker process, its end of the pipe, and the item it is converting."""

    process: BaseProcess
    connection: Connection
    busy: int | None = None  # the index of the item it is converting
    alive: bool = True


def run_files(
    work: Callable[[Input], R],
    inputs: Sequence[Input],
    *,
    jobs: int,
    on_death: Callable[[Input, str], R],
    on_unused: Callable[[R], object] | None = None,
) -> Generator[R, None, None]:
    """``work`` on each of ``inputs`` by ``jobs`` processes (1: this one),
    yielding the results in input order. ``work`` must be picklable.

    A file whose worker dies yields ``on_death(item, why)`` instead, ``why``
    naming the signal; the others are converted by the remaining and new
    workers. With one job ``work`` runs in this process, where a death cannot
    be survived: it ends the run (a re-run then finishes the job). An
    exception ``work`` raises is raised here, at its file's turn. Closing the
    generator early (fail-fast, Ctrl-C) lets the workers finish the file they
    are on, and ends them; the results finished but never yielded go to
    ``on_unused`` (whose files the caller must not leave unaccounted for).
    """
    if jobs == 1 or len(inputs) <= 1:
        yield from map(work, inputs)
        return
    context = multiprocessing.get_context()
    workers: list[_Worker] = []

    def start() -> None:
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, work), daemon=True)
        process.start()
        theirs.close()  # so a dead worker's pipe reads as ended
        workers.append(_Worker(process, ours))

    done: dict[int, R | _Raised] = {}
    following = 0  # the next item to hand out
    # A generator left unclosed (its consumer raised) is closed only when it is
    # collected, maybe after multiprocessing's own exit handler, which would
    # wait forever for workers that ignore its SIGTERM; this one comes first.
    stop = functools.partial(_stop, workers)
    atexit.register(stop)
    try:
        for _ in range(min(jobs, len(inputs))):
            start()
        for turn in range(len(inputs)):
            while turn not in done:
                following = _hand_out(workers, inputs, following)
                _collect(workers, inputs, done, on_death)
                lost = sum(not worker.alive for worker in workers)
                workers[:] = [worker for worker in workers if worker.alive]
                for _ in range(min(lost, len(inputs) - following)):
                    start()
            result = done.pop(turn)
            if isinstance(result, _Raised):
                raise result.error
            yield result
    finally:
        atexit.unregister(stop)
        late = _stop(workers)
        if on_unused is not None:
            for value in [*done.values(), *late]:
                if not isinstance(value, _Raised):
                    on_unused(value)


def _hand_out(workers: list[_Worker], inputs: Sequence[Input], following: int) -> int:
    """Give each idle worker the next item; return the next one left."""
    for worker in workers:
        if worker.busy is None and following < len(inputs):
            worker.busy = following
            try:
                worker.connection.send((following, inputs[following]))
            except OSError:  # it just died; _collect reports its item
                pass
            following += 1
    return following


def _collect(
    workers: list[_Worker],
    inputs: Sequence[Input],
    done: dict[int, R | _Raised],
    on_death: Callable[[Input, str], R],
) -> None:
    """Wait for results or deaths; a dead worker's item gets ``on_death``."""
    waiting: list[Any] = [w.connection for w in workers]
    waiting += [w.process.sentinel for w in workers]
    ready = set(wait(waiting))
    for worker in workers:
        ended = worker.process.sentinel in ready
        if worker.connection in ready or ended:
            # Read what it sent before it ended: a result is never lost.
            while worker.connection.poll():
                try:
                    index, ok, value = worker.connection.recv()
                except EOFError:  # ended, maybe in the middle of a reply
                    ended = True
                    break
                done[index] = value if ok else _Raised(value)
                worker.busy = None
        if ended:
            worker.process.join()
            worker.alive = False
            worker.connection.close()
            if worker.busy is not None:
                item = inputs[worker.busy]
                why = death_message(worker.process.exitcode)
                done[worker.busy] = on_death(item, why)


def _stop(workers: list[_Worker]) -> list[Any]:
    """Let each worker finish its file, then end; return the results they
    sent meanwhile."""
    for worker in workers:
        with contextlib.suppress(OSError):
            worker.connection.send(None)
    late = []
    for worker in workers:
        with contextlib.suppress(EOFError, OSError):
            while worker.busy is not None:  # its reply comes before it ends
                index, ok, value = worker.connection.recv()
                late.append(value if ok else _Raised(value))
                worker.busy = None
        worker.process.join()
        worker.connection.close()
    workers.clear()
    return late
