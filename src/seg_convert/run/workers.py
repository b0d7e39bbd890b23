"""Running the per-file work in this process or in worker processes.

Results come back in input order whatever the number of workers, so the output
and the report are the same for any ``jobs``.

Each worker is handed files over its own pipe and converts them in the order
sent, so when one dies (the kernel's out-of-memory killer, a crash in a native
library) the runner knows which file it was converting: the oldest it has not
answered. That file alone fails, the file queued behind it goes to another
worker, a new worker takes its place and the other workers' files carry on. A
pool that hands out work in batches (``concurrent.futures``) can only say that
some worker died, and fails every pending file with it.

A worker holds the file it converts and, while enough are left for every
worker, the next one: it starts that as soon as it has sent a result, rather
than wait for the runner to be scheduled, read the result and send more (on a
busy machine that wait was 2-6 ms a file).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import ctypes
import functools
import multiprocessing
import signal
import sys
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from seg_convert.core.inputs import Input
from seg_convert.run.process_setup import keep_freed_memory

R = TypeVar("R")

_PR_SET_PDEATHSIG = 1  # prctl's option (linux/prctl.h)
_HELD = 2  # files a worker holds: the one it converts and the next


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
    """A worker's life: set up, then ``work`` on each item it is sent, in
    order, until it is sent None (then the items queued before it are left
    undone) or the runner is gone."""
    _start_worker()
    queued: collections.deque[tuple[int, Input]] = collections.deque()
    while True:
        try:
            messages = [] if queued else [connection.recv()]
            while connection.poll():
                messages.append(connection.recv())
        except EOFError:
            return
        if None in messages:
            return
        queued.extend(messages)
        index, item = queued.popleft()
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
    """A worker process, its end of the pipe, and the items it holds."""

    process: BaseProcess
    connection: Connection
    # The indices of the items it was sent and has not answered, in the order
    # sent: it is converting the first.
    busy: list[int] = field(default_factory=list)
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
    pending = collections.deque(range(len(inputs)))  # to hand out, in order
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
                _hand_out(workers, inputs, pending)
                _collect(workers, inputs, done, on_death, pending)
                lost = sum(not worker.alive for worker in workers)
                workers[:] = [worker for worker in workers if worker.alive]
                for _ in range(min(lost, len(pending))):
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


def _hand_out(
    workers: list[_Worker], inputs: Sequence[Input], pending: collections.deque[int]
) -> None:
    """Give each worker items from ``pending`` until it holds ``_HELD``; the
    second only while there are enough for every worker, so that no worker is
    idle at the end while another holds two."""
    for held in range(1, _HELD + 1):
        for worker in workers:
            if len(worker.busy) >= held or not pending:
                continue
            if held > 1 and len(pending) < len(workers):
                return
            index = pending.popleft()
            worker.busy.append(index)
            try:
                worker.connection.send((index, inputs[index]))
            except OSError:  # it just died; _collect reports its items
                pass


def _collect(
    workers: list[_Worker],
    inputs: Sequence[Input],
    done: dict[int, R | _Raised],
    on_death: Callable[[Input, str], R],
    pending: collections.deque[int],
) -> None:
    """Wait for results or deaths: a dead worker's first item gets
    ``on_death``, the items queued behind it go back to ``pending``."""
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
                # Ended, maybe in the middle of a reply; reset, when it died
                # with an item queued unread (what it sent before is read).
                except (EOFError, ConnectionResetError):
                    ended = True
                    break
                done[index] = value if ok else _Raised(value)
                worker.busy.remove(index)
        if ended:
            worker.process.join()
            worker.alive = False
            worker.connection.close()
            if worker.busy:
                converting, *queued = worker.busy
                why = death_message(worker.process.exitcode)
                done[converting] = on_death(inputs[converting], why)
                pending.extendleft(reversed(queued))


def _stop(workers: list[_Worker]) -> list[Any]:
    """Let each worker finish its file, then end; return the results they
    sent meanwhile."""
    for worker in workers:
        with contextlib.suppress(OSError):
            worker.connection.send(None)
    late = []
    for worker in workers:
        # Its reply for the file it is converting comes before it ends; the
        # files queued behind that one are dropped undone (its pipe then ends).
        with contextlib.suppress(EOFError, OSError):
            while worker.busy:
                index, ok, value = worker.connection.recv()
                late.append(value if ok else _Raised(value))
                worker.busy.remove(index)
        worker.process.join()
        worker.connection.close()
    workers.clear()
    return late
