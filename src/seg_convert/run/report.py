"""The machine-readable report of a conversion (``--report PATH``).

Schema (version 1)::

    {"report_version": 1, "seg_convert_version": "0.1.0",
     "options": {...the options of the run...},
     "warnings": ["...about the whole run, e.g. the legend's font..."],
     "files": [{"source": "in/a.json", "stem": "a", "status": "converted",
                "error": null, "warnings": [], "outputs": ["out/JPEGImages/a.jpg", ...],
                "shapes": 7, "instances": 5, "seconds": 0.031}, ...],
     "totals": {"inputs": 10, "converted": 9, "skipped": 0, "failed": 1,
                "not_tried": 0,
                "seconds": 1.2}}

``status`` is ``converted``, ``skipped`` (unchanged since the last run) or
``failed``; files a ``--fail-fast`` run did not
reach are counted in ``not_tried`` and not listed.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seg_convert.core.errors import OutputError
from seg_convert.core.files import reason as os_reason
from seg_convert.core.sample import FileResult
from seg_convert.io.atomic import write_atomically
from seg_convert.run.batch import ConversionReport

REPORT_VERSION = 1
_LARGEST_REPORT = 1 << 30  # a report of a million files is a few hundred MB


def report_document(
    report: ConversionReport, *, version: str, seconds: float
) -> dict[str, Any]:
    """The report as JSON-ready values."""
    files = [
        {
            "source": str(result.source),
            "stem": result.stem,
            "status": _status(result),
            "error": None if result.error is None else str(result.error),
            "warnings": list(result.warning_lines()),
            "outputs": [str(path) for path in result.outputs],
            "shapes": result.shapes,
            "instances": result.instances,
            "seconds": round(result.seconds, 4),
        }
        for result in report.results
    ]
    return {
        "report_version": REPORT_VERSION,
        "seg_convert_version": version,
        "options": {
            **report.source,
            "output_dir": str(report.output_dir),
            **report.options.describe(report.format),
        },
        "warnings": list(report.warnings),
        "files": files,
        "totals": {
            "inputs": report.inputs,
            "converted": report.converted,
            "skipped": report.skipped,
            "failed": report.failed,
            "not_tried": report.inputs - len(report.results),
            "seconds": round(seconds, 3),
        },
    }


def json_text(document: Mapping[str, Any]) -> str:
    """``document`` as JSON text that any UTF-8 file or terminal can hold: the
    undecodable bytes of a non-UTF-8 file name become JSON escapes."""
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def report_path_problem(path: Path, *, output_dir: Path) -> str | None:
    """Why the report must not be written at ``path`` (None: it may): not in a
    folder, inside OUTPUT_DIR (it would become part of the dataset, or replace
    a record or lock), or over a file that is not an earlier report (an input,
    a labels file: the report would destroy it)."""
    real, out = os.path.realpath(path), os.path.realpath(output_dir)
    if real == out or real.startswith(out.rstrip(os.sep) + os.sep):
        return f"{path} is inside OUTPUT_DIR {output_dir}; write the report elsewhere"
    if not path.parent.is_dir():
        problem = "is not a directory" if path.parent.exists() else "does not exist"
        return f"{path.parent} {problem} (create it first)"
    if os.path.lexists(path) and not _is_report(path):
        return f"{path} exists and is not a seg-convert report; give a new file name"
    return None


def _is_report(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return False
            data = json.loads(stream.read(_LARGEST_REPORT))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "report_version" in data


def write_report(path: Path, document: Mapping[str, Any]) -> None:
    """Write the report as UTF-8 JSON, atomically."""
    data = json_text(document) + "\n"
    try:
        write_atomically(path, data.encode())
    except OSError as error:
        raise OutputError(
            path, f"cannot write the report: {os_reason(error)}"
        ) from None


def _status(result: FileResult) -> str:
    if result.skipped:
        return "skipped"
    return "converted" if result.ok else "failed"
