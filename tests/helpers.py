"""What several test modules share: a real seg-convert run in a subprocess,
signalled while it works, and comparing its output with a clean run's."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from seg_convert.cli import cli
from tests.conftest import WriteAnnotation, gradient_image, shape

SHAPES = [
    shape("cat", [[2, 2], [40, 5], [20, 30]], group_id=1),
    shape("dog", [[30, 20], [40, 30]], "circle"),
]


@contextlib.contextmanager
def hang_guard(seconds: int = 20) -> Iterator[None]:
    """Fail the test if the block runs for ``seconds``: a read that waits
    forever (on a named pipe) then fails instead of hanging the suite."""
    if not hasattr(signal, "SIGALRM"):  # Windows: CI's own time limit must do
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        pytest.fail(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def convert(
    source: Path, out: Path, labels: Path, *args: str, report: Path | None = None
) -> Result:
    extra = ["--report", str(report)] if report else []
    return CliRunner().invoke(
        cli,
        ["labelme2voc", str(source), str(out), "--labels", str(labels), *args, *extra],
    )


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def journal_lines(out: Path) -> int:
    try:
        return len((out / ".seg-convert" / "journal.jsonl").read_bytes().splitlines())
    except FileNotFoundError:
        return 0


# The command, held (in its runner process) once ``after`` samples are
# recorded, just before it records the next, until the test signals it: a
# poller that watched the journal could be outrun on a loaded machine (the run
# finished before the signal was sent, or got it while it was ending).
_HELD_RUN = """
import pathlib, sys, time
from seg_convert.cli import cli
from seg_convert.run import output_state

gate, after = pathlib.Path(sys.argv[1]), int(sys.argv[2])
record = output_state.OutputState.record
recorded = 0

def held_record(self, result, **kwargs):
    global recorded
    if recorded == after:
        gate.touch()
        while True:  # until the signal: SIGINT raises here, SIGKILL ends it
            time.sleep(0.01)
    recorded += 1
    return record(self, result, **kwargs)

output_state.OutputState.record = held_record
cli.main(sys.argv[3:], prog_name="seg-convert")
"""


def signal_a_run(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    labels_file: Path,
    jobs: str,
    *,
    after: int,
    send: Callable[[subprocess.Popen[str]], None],
) -> tuple[subprocess.Popen[str], str]:
    """Start a real run of 30 files with ``--jobs jobs --instances`` in its own
    process group, ``send`` it a signal once ``after`` samples are recorded (the
    run waits for it there), and return it ended, with its stderr, which is at
    its end only once the workers have ended too: none is left behind."""
    image = gradient_image(640, 480)
    for i in range(30):
        write_annotation(f"s{i:02d}", SHAPES, image=image)
    gate = tmp_path / "held"
    command = [sys.executable, "-c", _HELD_RUN, str(gate), str(after), "labelme2voc"]
    command += [str(tmp_path / "in"), str(tmp_path / "out"), "--labels"]
    command += [str(labels_file), "--jobs", jobs, "--instances"]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if gate.exists():
            assert journal_lines(tmp_path / "out") == after
            send(process)
            break
        time.sleep(0.002)
    else:
        process.kill()
    _, stderr = process.communicate(timeout=60)
    return process, stderr


def finish_and_compare(tmp_path: Path, labels_file: Path, jobs: str) -> None:
    """The next run finishes the job: output identical to a clean run's."""
    source, out = tmp_path / "in", tmp_path / "out"
    result = convert(source, out, labels_file, "--jobs", jobs, "--instances")
    assert result.exit_code == 0, result.output
    clean = tmp_path / "clean"
    assert convert(source, clean, labels_file, "--instances").exit_code == 0
    finished, expected = tree(out), tree(clean)
    differing = sorted(
        name
        for name in finished.keys() | expected.keys()
        if finished.get(name) != expected.get(name)
    )
    assert not differing, f"differ from a clean run: {differing}"
