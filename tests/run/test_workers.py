"""Running work in worker processes: order, memory reuse, Ctrl-C and SIGTERM,
and a dead worker failing only its file.

The work functions are module-level so that they pickle by name for any start
method; with a dying worker they must never run in the test process itself
(jobs 1), or they would end the test run.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from seg_convert.cli import cli
from seg_convert.core.inputs import Input
from seg_convert.core.interfaces import Check, DatasetWriter
from seg_convert.core.sample import FileResult
from seg_convert.run import batch
from seg_convert.run.convert_file import convert_file
from seg_convert.run.workers import death_message, run_files
from tests.conftest import WriteAnnotation, no_font_warning, shape
from tests.helpers import tree

OOM = "the worker converting it died (killed by signal 9 — out of memory?)"


def _inputs(count: int) -> list[Input]:
    return [Input(Path(f"{i}.json"), str(i)) for i in range(count)]


def _died(item: Input, why: str) -> str:
    return f"{item.stem}: {why}"


def _worker_state(item: Input) -> FileResult:
    """What a worker process is set up with, told through a result."""
    sigint = signal.getsignal(signal.SIGINT)
    sigterm = signal.getsignal(signal.SIGTERM)
    blocks = Image.core.get_blocks_max()  # type: ignore[attr-defined]
    return FileResult(
        source=item.source, stem=f"{item.stem} {sigint} {sigterm} {blocks}"
    )


def _never_dies(item: Input, why: str) -> FileResult:
    raise AssertionError(f"{item.stem}: {why}")


def test_results_come_in_input_order_from_set_up_workers() -> None:
    inputs = _inputs(12)
    # The parent as a fresh process has it, so only the workers' set-up counts.
    blocks = Image.core.get_blocks_max()  # type: ignore[attr-defined]
    sigint = signal.signal(signal.SIGINT, signal.default_int_handler)
    sigterm = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    Image.core.set_blocks_max(0)  # type: ignore[attr-defined]
    try:
        results = list(run_files(_worker_state, inputs, jobs=2, on_death=_never_dies))
    finally:
        Image.core.set_blocks_max(blocks)  # type: ignore[attr-defined]
        signal.signal(signal.SIGINT, sigint)
        signal.signal(signal.SIGTERM, sigterm)
    assert [r.source for r in results] == [item.source for item in inputs]
    for item, result in zip(inputs, results, strict=True):
        # Workers leave Ctrl-C and SIGTERM to the runner and keep freed memory.
        assert result.stem == f"{item.stem} {signal.SIG_IGN} {signal.SIG_IGN} 16"


def _stem(item: Input) -> str:
    return item.stem


def _dies_on_multiples_of_three(item: Input) -> str:
    """SIGKILL, as the out-of-memory killer sends it, on items 0, 3, 6, ..."""
    if int(item.stem) % 3 == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return item.stem


def _dies_on_five(item: Input) -> str:
    if item.stem == "5":
        os.kill(os.getpid(), signal.SIGKILL)
    return item.stem


@pytest.mark.parametrize("jobs", [2, 3, 8])
@pytest.mark.parametrize("count", [2, 7, 20])
def test_a_dead_worker_fails_only_its_file(jobs: int, count: int) -> None:
    inputs = _inputs(count)
    results = list(
        run_files(_dies_on_multiples_of_three, inputs, jobs=jobs, on_death=_died)
    )
    expected = [f"{i}: {OOM}" if i % 3 == 0 else str(i) for i in range(count)]
    assert results == expected
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("jobs", [2, 4])
def test_one_death_among_many_files(jobs: int) -> None:
    results = list(run_files(_dies_on_five, _inputs(40), jobs=jobs, on_death=_died))
    assert results == [f"5: {OOM}" if i == 5 else str(i) for i in range(40)]


def _crashes_or_exits(item: Input) -> str:
    if item.stem == "1":
        faulthandler.disable()  # pytest's, inherited: no dump on stderr
        os.kill(os.getpid(), signal.SIGSEGV)
    if item.stem == "2":
        os._exit(3)
    return item.stem


def test_the_message_names_how_the_worker_ended() -> None:
    results = list(run_files(_crashes_or_exits, _inputs(4), jobs=2, on_death=_died))
    assert results == [
        "0",
        "1: the worker converting it died (killed by signal 11, SIGSEGV)",
        "2: the worker converting it died (exit code 3)",
        "3",
    ]


@pytest.mark.parametrize(
    ("exitcode", "how"),
    [
        (-9, "killed by signal 9 — out of memory?"),
        (-15, "killed by signal 15, SIGTERM"),
        (-200, "killed by signal 200"),
        (0, "exit code 0"),
        (None, "exit code None"),
    ],
    ids=["sigkill", "sigterm", "unknown-signal", "exit-0", "no-code"],
)
def test_death_message(exitcode: int | None, how: str) -> None:
    assert death_message(exitcode) == f"the worker converting it died ({how})"


def _raises_on_three(item: Input) -> str:
    if item.stem == "3":
        raise ValueError("a bug")
    return item.stem


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_exception_in_work_is_raised_at_its_turn(jobs: int) -> None:
    seen = []
    with pytest.raises(ValueError, match="a bug"):
        for result in run_files(
            _raises_on_three, _inputs(6), jobs=jobs, on_death=_died
        ):
            seen.append(result)
    assert seen == ["0", "1", "2"]
    assert not multiprocessing.active_children()


def _unpicklable(item: Input) -> object:
    return lambda: item


def test_a_result_that_cannot_be_sent_back_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="cannot send the result back"):
        list(run_files(_unpicklable, _inputs(3), jobs=2, on_death=_died))
    assert not multiprocessing.active_children()


def test_closing_early_ends_every_worker() -> None:
    """Fail-fast: the consumer stops after two results."""
    results = run_files(_stem, _inputs(50), jobs=3, on_death=_died)
    assert [next(results), next(results)] == ["0", "1"]
    results.close()
    assert not multiprocessing.active_children()


def _slow_mark(item: Input) -> str:
    """Marks its item done in the folder the stem names, slowly enough that
    the runner has queued more items by the time it finishes."""
    folder, number = item.stem.rsplit("|", 1)
    time.sleep(0.05)
    (Path(folder) / number).touch()
    return number


def test_closing_early_leaves_the_queued_items_undone(tmp_path: Path) -> None:
    """When the run stops, each worker finishes the item it is converting and
    drops the one it holds next; every item finished is either yielded or
    handed to on_unused, whatever the timing (a runner held up lets a worker
    start its held item before the stop: then that one is finished too)."""
    inputs = [Input(Path(f"{i}.json"), f"{tmp_path}|{i}") for i in range(20)]
    unused: list[str] = []
    results = run_files(
        _slow_mark, inputs, jobs=2, on_death=_died, on_unused=unused.append
    )
    assert next(results) == "0"
    results.close()
    marked = sorted(int(path.name) for path in tmp_path.iterdir())
    assert marked == sorted([0, *map(int, unused)])
    # At most two items a worker after the one taken: the one it was on and
    # the one it held, started if it finished the first before the stop.
    assert len(marked) <= 1 + 2 * 2


def test_a_dead_workers_queued_item_goes_to_another() -> None:
    """Item 0's worker also holds item 1 (there are enough for both workers)."""
    results = list(run_files(_dies_on_zero, _inputs(6), jobs=2, on_death=_died))
    assert results == [f"0: {OOM}", "1", "2", "3", "4", "5"]


def _dies_on_zero(item: Input) -> str:
    if item.stem == "0":
        os.kill(os.getpid(), signal.SIGKILL)
    return item.stem


@pytest.mark.parametrize("jobs", [1, 2, 5])
def test_same_results_for_any_jobs(jobs: int) -> None:
    results = list(run_files(_stem, _inputs(9), jobs=jobs, on_death=_died))
    assert results == [str(i) for i in range(9)]


def _convert_or_die_on_b(
    item: Input, *, writer: DatasetWriter, output_dir: Path | None, check: Check
) -> FileResult:
    """convert_file, but b's worker is killed as the out-of-memory killer would."""
    if item.stem == "b":
        os.kill(os.getpid(), signal.SIGKILL)
    return convert_file(item, writer=writer, output_dir=output_dir, check=check)


def test_a_killed_worker_fails_its_file_and_the_run_goes_on(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    labels_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end: exit 1, one line for b, the others converted, and a re-run
    converts b and leaves what a clean run writes."""
    for name in "abcdef":
        write_annotation(name, [shape("cat", [[2, 2], [40, 5], [20, 30]])])
    source, out = tmp_path / "in", tmp_path / "out"

    def run(target: Path) -> tuple[int, str]:
        args = ["labelme2voc", str(source), str(target), "--labels", str(labels_file)]
        result = CliRunner().invoke(cli, [*args, "--jobs", "2"])
        return result.exit_code, result.stderr

    with monkeypatch.context() as patch:
        patch.setattr(batch, "convert_file", _convert_or_die_on_b)
        code, stderr = run(out)
    assert code == 1
    assert no_font_warning(stderr).splitlines() == [
        f"{source / 'b.json'}: {OOM}",
        f"converted 5 of 6 files into {out}, 1 failed",
    ]
    assert not list(out.rglob("b.*"))
    assert len(list((out / "SegmentationClass").iterdir())) == 5
    code, stderr = run(out)
    assert (code, no_font_warning(stderr)) == (
        0,
        f"converted 1 of 6 files into {out}, 5 unchanged since the last run\n",
    )
    clean = tmp_path / "clean"
    assert run(clean)[0] == 0
    assert tree(out) == tree(clean)
