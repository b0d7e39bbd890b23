"""The layers' import rules (``[tool.importlinter]`` in pyproject.toml, see
docs/architecture.md) hold, no module imports itself round a cycle, and the
checker fails when a rule is broken."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

from tests.conftest import REPO

# import-linter's command, installed beside this Python by the test extra.
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    """import-linter on the package found first in ``src``."""
    return subprocess.run(
        [LINT_IMPORTS, "--config", REPO / "pyproject.toml", "--no-cache"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_the_import_contracts_are_kept() -> None:
    result = _lint(REPO / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_is_in_an_import_cycle() -> None:
    graph = grimp.build_graph("seg_convert")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.find_shortest_chain(importer=imported, imported=module):
                cycles.append(f"{module} -> {imported} -> ... -> {module}")
    assert cycles == []


def test_an_upward_import_breaks_a_contract(tmp_path: Path) -> None:
    """A copy of the package whose core imports a format, and whose COCO
    source imports the labelme source: the checker names both."""
    shutil.copytree(REPO / "src" / "seg_convert", tmp_path / "seg_convert")
    core = tmp_path / "seg_convert" / "core" / "splits.py"
    core.write_text(core.read_text() + "\nimport seg_convert.formats.voc  # noqa\n")
    coco = tmp_path / "seg_convert" / "sources" / "coco" / "index.py"
    coco.write_text(coco.read_text() + "\nimport seg_convert.sources.labelme.source\n")
    result = _lint(tmp_path)
    assert result.returncode == 1
    assert "seg_convert.core.splits -> seg_convert.formats.voc" in result.stdout
    assert "Sources are independent of each other BROKEN" in result.stdout
