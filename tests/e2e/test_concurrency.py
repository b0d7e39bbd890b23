"""Real runs at the same time into one output directory: they queue up on the
directory's lock instead of removing each other's files, and what is left is
exactly one clean run's dataset, never a mix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WriteAnnotation, gradient_image
from tests.helpers import SHAPES, convert, tree

REPEATS = 3


def start(source: Path, out: Path, labels: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "seg_convert", "labelme2voc", str(source)]
    command += [str(out), "--labels", str(labels), "--jobs", "2", *args]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def source(write_annotation: WriteAnnotation, tmp_path: Path) -> Path:
    image = gradient_image(320, 240)
    for i in range(24):
        write_annotation(f"s{i:02d}", SHAPES, image=image)
    return tmp_path / "in"


def without_state(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if not k.startswith(".seg-convert/")}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (["--force"], ["--force"]),
        (["--layout", "voc"], ["--layout", "labelme", "--instances"]),
    ],
    ids=["same-options", "different-options"],
)
def test_concurrent_runs_queue_up_and_leave_one_clean_dataset(
    source: Path, tmp_path: Path, labels_file: Path, first: list[str], second: list[str]
) -> None:
    clean = {}
    for name, args in (("a", first), ("b", second)):
        out = tmp_path / f"clean-{name}"
        assert convert(source, out, labels_file, *args).exit_code == 0
        clean[name] = without_state(tree(out))
    out = tmp_path / "out"
    assert convert(source, out, labels_file).exit_code == 0
    for _ in range(REPEATS):
        runs = [start(source, out, labels_file, *args) for args in (first, second)]
        errors = [run.communicate(timeout=120)[1] for run in runs]
        for run, stderr in zip(runs, errors, strict=True):
            assert run.returncode == 0, stderr
            # The error form, not the legend's font warning ("cannot write '行人'").
            assert ": cannot write:" not in stderr and "Traceback" not in stderr
        result = without_state(tree(out))
        assert result in (clean["a"], clean["b"]), "a mix of both runs' outputs"
        assert not [name for name in tree(out) if name.endswith(".tmp")]


def test_a_waiting_run_says_so(source: Path, tmp_path: Path, labels_file: Path) -> None:
    out = tmp_path / "out"
    assert convert(source, out, labels_file).exit_code == 0
    from seg_convert.io.locking import acquire_output_lock

    with acquire_output_lock(
        out / ".seg-convert", shard=None, options_key="x", on_wait=None
    ):
        waiting = start(source, out, labels_file)
        try:
            waiting.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
        assert waiting.returncode is None, "it did not wait for the lock"
    _, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, stderr
    assert stderr.splitlines()[0].startswith(
        "seg-convert: waiting for another seg-convert run into"
    )
