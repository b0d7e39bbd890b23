"""Running a conversion from the command line: progress, the report file, the
summary and warnings, and exit code 1 when some inputs failed."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from seg_convert.cli.exits import reporting_errors
from seg_convert.core.tallies import tallied
from seg_convert.core.version import __version__

if TYPE_CHECKING:
    from seg_convert.core.sample import FileResult
    from seg_convert.run.batch import ConversionReport, Hooks


def run_conversion(
    convert: Callable[[Hooks], ConversionReport],
    *,
    output_dir: Path,
    report_path: Path | None,
    quiet: bool,
) -> None:
    """Run a conversion with progress, write its report, print its summary and
    exit 1 if any file failed."""
    from seg_convert.run.batch import Hooks
    from seg_convert.run.report import (
        report_document,
        report_path_problem,
        write_report,
    )

    if report_path is not None:
        problem = report_path_problem(report_path, output_dir=output_dir)
        if problem is not None:
            raise click.BadParameter(problem, param_hint="--report")
    progress = Progress("converting", show_bar=not quiet and sys.stderr.isatty())
    started = time.perf_counter()
    with reporting_errors():
        with progress:
            hooks = Hooks(
                on_start=progress.start,
                on_result=progress.result,
                on_wait=progress.wait,
            )
            report = convert(hooks)
        if report_path is not None:
            document = report_document(
                report, version=__version__, seconds=time.perf_counter() - started
            )
            write_report(report_path, document)
    if not quiet:
        click.echo(_summary(report), err=True)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        echo_warnings(report.results)
    if report.failed:
        raise SystemExit(1)


def echo_warnings(results: Iterable[FileResult]) -> None:
    """One stderr line per kind of leniency, with the number of files and
    what it counts in all of them."""
    results = list(results)
    counts = Counter(warning for result in results for warning in result.warnings)
    tallies = [tally for result in results for tally in result.tallies]
    for warning, count in sorted(counts.items()):
        files = "1 file" if count == 1 else f"{count} files"
        click.echo(f"warning: {files}: {tallied(warning, tallies)}", err=True)


def _summary(report: ConversionReport) -> str:
    summary = (
        f"converted {report.converted} of {report.inputs} files "
        f"into {report.output_dir}"
    )
    if report.skipped:
        summary += f", {report.skipped} unchanged since the last run"
    if report.failed:
        summary += f", {report.failed} failed"
    untried = report.inputs - len(report.results)
    if untried:
        summary += f", {untried} not tried (--fail-fast)"
    return summary


class Progress:
    """A progress bar on stderr (on a terminal only), and each failure's line
    on stderr, or on stdout when the failures are the command's output."""

    def __init__(
        self, label: str, *, show_bar: bool, failures_on_stdout: bool = False
    ) -> None:
        self._label = label
        self._show_bar = show_bar
        self._failures_on_stdout = failures_on_stdout
        self._bar: Any = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.render_finish()

    def wait(self, message: str) -> None:
        """Another run holds the output directory: say why nothing happens."""
        click.echo(f"seg-convert: {message}", err=True)

    def start(self, total: int) -> None:
        if self._show_bar:
            self._bar = click.progressbar(
                length=total, label=self._label, file=sys.stderr
            )

    def result(self, result: FileResult) -> None:
        if result.error is not None:
            if self._bar is not None:
                click.echo("", err=True)  # leave the bar's line
            err = not self._failures_on_stdout
            click.echo(str(result.error), err=err)
            if result.error.details:  # never on stdout: one line a problem there
                click.echo(result.error.details, err=True)
        if self._bar is not None:
            self._bar.update(1)
