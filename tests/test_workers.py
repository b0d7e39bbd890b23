"""Running work in worker processes: order, memory reuse, Ctrl-C."""

from __future__ import annotations

import signal
from pathlib import Path

from PIL import Image

from seg_convert.discovery import Input
from seg_convert.sample import FileResult
from seg_convert.workers import run_files


def _worker_state(item: Input) -> FileResult:
    """What a worker process is set up with, told through a result."""
    sigint = signal.getsignal(signal.SIGINT)
    blocks = Image.core.get_blocks_max()  # type: ignore[attr-defined]
    return FileResult(source=item.source, stem=f"{item.stem} {sigint} {blocks}")


def test_results_come_in_input_order_from_set_up_workers() -> None:
    inputs = [Input(Path(f"{i}.json"), str(i)) for i in range(12)]
    # The parent as a fresh process has it, so only the workers' set-up counts.
    blocks = Image.core.get_blocks_max()  # type: ignore[attr-defined]
    sigint = signal.signal(signal.SIGINT, signal.default_int_handler)
    Image.core.set_blocks_max(0)  # type: ignore[attr-defined]
    try:
        results = list(
            run_files(_worker_state, inputs, jobs=2, on_death=FileResult.failure)
        )
    finally:
        Image.core.set_blocks_max(blocks)  # type: ignore[attr-defined]
        signal.signal(signal.SIGINT, sigint)
    assert [r.source for r in results] == [item.source for item in inputs]
    for item, result in zip(inputs, results, strict=True):
        # Workers leave Ctrl-C to the runner and keep freed image memory.
        assert result.stem == f"{item.stem} {signal.SIG_IGN} 16"
