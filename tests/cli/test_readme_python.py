"""The documented Python example runs as written, on the shipped example folder."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

# The README and the docs/ pages, where the Python examples live.
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def python_snippet(heading: str) -> tuple[str, Path]:
    """The first ```python block after the heading ``heading`` (e.g. "# From
    Python"), in whichever of the README and docs/*.md has it, and that file."""
    found = []
    for path in DOCUMENTS:
        text = "\n" + path.read_text("utf-8")
        if f"\n{heading}\n" in text:
            found.append((text.split(f"\n{heading}\n", 1)[1], path))
    assert len(found) == 1, f"{heading!r} is a heading of {len(found)} pages, not 1"
    after, path = found[0]
    match = re.search(r"^```python\n(.*?)^```$", after, re.S | re.M)
    assert match, f"no python block under {heading!r} in {path}"
    return match.group(1), path


def test_from_python_snippet_converts_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The snippet's own names: Path("in"), Path("out") and "labels.txt".
    shutil.copytree(REPO / "examples" / "street", tmp_path / "in")
    shutil.copy(REPO / "labels.txt", tmp_path / "labels.txt")
    monkeypatch.chdir(tmp_path)
    snippet, path = python_snippet("# From Python")
    printed = io.StringIO()
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, str(path), "exec"), namespace)
    inputs = len(list((tmp_path / "in").glob("*.json")))
    assert printed.getvalue() == f"{inputs} 0\n"  # print(report.converted, .failed)
    assert len(list((tmp_path / "out" / "JPEGImages").glob("*.jpg"))) == inputs
    assert (tmp_path / "out" / "SegmentationObject").is_dir()  # instances=True
    assert (tmp_path / "out" / "ImageSets" / "Segmentation" / "val.txt").is_file()
