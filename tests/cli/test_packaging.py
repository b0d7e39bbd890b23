"""What an installed seg-convert holds beyond its modules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def test_py_typed_is_installed_with_the_package(tmp_path: Path) -> None:
    """PEP 561: without py.typed, mypy ignores our annotations in user code."""
    pytest.importorskip("setuptools")
    project = tmp_path / "project"
    shutil.copytree(REPO / "src", project / "src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    built = tmp_path / "built"
    # setuptools' own build step, as a wheel build runs it (with no network).
    subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q"]
        + ["build_py", "--build-lib", str(built)],
        cwd=project,
        check=True,
        capture_output=True,
    )
    assert (built / "seg_convert" / "py.typed").is_file()
    assert (built / "seg_convert" / "cli" / "stats.py").is_file()
