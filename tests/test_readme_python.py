"""The README's Python example runs as written, on the shipped example folder."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

from .conftest import REPO

README = (REPO / "README.md").read_text("utf-8")


def python_snippet(section: str) -> str:
    """The first ```python block after the heading ``section``."""
    after = README.split(f"\n{section}\n", 1)[1]
    match = re.search(r"^```python\n(.*?)^```$", after, re.S | re.M)
    assert match, f"no python block under {section!r}"
    return match.group(1)


def test_from_python_snippet_converts_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The snippet's own names: Path("in"), Path("out") and "labels.txt".
    shutil.copytree(REPO / "examples" / "street", tmp_path / "in")
    shutil.copy(REPO / "labels.txt", tmp_path / "labels.txt")
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(python_snippet("## From Python"), "README.md", "exec"), namespace)
    inputs = len(list((tmp_path / "in").glob("*.json")))
    assert printed.getvalue() == f"{inputs} 0\n"  # print(report.converted, .failed)
    assert len(list((tmp_path / "out" / "JPEGImages").glob("*.jpg"))) == inputs
    assert (tmp_path / "out" / "SegmentationObject").is_dir()  # instances=True
    assert (tmp_path / "out" / "ImageSets" / "Segmentation" / "val.txt").is_file()
