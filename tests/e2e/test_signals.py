"""SIGTERM (what CI timeouts and ``kill`` send) stops a run as Ctrl-C does: one
line, exit 143, nothing half-written, and the next run finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from seg_convert.cli.exits import TERMINATED_EXIT, reporting_errors
from tests.conftest import WriteAnnotation
from tests.helpers import finish_and_compare, signal_a_run

TERMINATED = "seg-convert: terminated; run the same command again to finish"


def _wait_for_a_signal() -> None:
    for _ in range(500):  # a handler's exception ends this at once
        time.sleep(0.01)
    raise AssertionError("no signal arrived")


def test_sigterm_becomes_one_line_and_exit_143(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as stopped, click.Context(click.Command("x")):
        with reporting_errors():
            os.kill(os.getpid(), signal.SIGTERM)
            _wait_for_a_signal()
    assert stopped.value.code == TERMINATED_EXIT == 143
    assert capsys.readouterr().err == f"{TERMINATED}\n"
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_handler_is_put_back_after_a_normal_end() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with reporting_errors():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_outside_the_main_thread_signals_are_left_alone() -> None:
    """Only the main thread may set handlers: the CLI called from a thread
    still reports errors, and SIGTERM keeps its default there."""
    seen: list[object] = []

    def call() -> None:
        with reporting_errors():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=call)
    thread.start()
    thread.join()
    assert seen == [before]


def _to_the_runner(process: subprocess.Popen[str]) -> None:
    """As ``kill PID`` or ``timeout`` sends it."""
    process.send_signal(signal.SIGTERM)


def _to_the_group(process: subprocess.Popen[str]) -> None:
    """As a CI runner ending a job's process group sends it."""
    os.killpg(process.pid, signal.SIGTERM)


@pytest.mark.parametrize("send", [_to_the_runner, _to_the_group], ids=["pid", "group"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigterm_stops_cleanly_and_the_next_run_finishes(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    labels_file: Path,
    jobs: str,
    send: Callable[[subprocess.Popen[str]], None],
) -> None:
    process, stderr = signal_a_run(
        write_annotation, tmp_path, labels_file, jobs, after=3, send=send
    )
    assert process.returncode == TERMINATED_EXIT, stderr
    assert stderr == f"{TERMINATED}\n"  # no traceback, from no process
    assert not list((tmp_path / "out").rglob(".*.tmp"))
    finish_and_compare(tmp_path, labels_file, jobs)
