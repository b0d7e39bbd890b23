"""Start-up: ``--help``, ``--version`` and the package import load no numpy or
Pillow; the public names are still all there."""

from __future__ import annotations

import subprocess
import sys

import pytest

import seg_convert

HEAVY = ("numpy", "PIL", "multiprocessing", "click.testing")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sys.modules))"
    output = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    return {name.split(".")[0] for name in output} | set(output)


HELP = """
import contextlib, sys
from seg_convert.cli import main
sys.argv[1:] = [{flag!r}]
with contextlib.suppress(SystemExit):
    main()
"""


@pytest.mark.parametrize(
    "code",
    [
        "import seg_convert",
        "import seg_convert.cli",
        HELP.format(flag="--help"),
        HELP.format(flag="--version"),
    ],
    ids=["package", "cli", "--help", "--version"],
)
def test_nothing_heavy_is_loaded_before_it_is_needed(code: str) -> None:
    assert not _loaded_after(code) & set(HEAVY)


def test_every_public_name_is_found() -> None:
    for name in seg_convert.__all__:
        assert getattr(seg_convert, name) is not None
    assert set(seg_convert.__all__) <= set(dir(seg_convert))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        getattr(seg_convert, "no_such_name")  # noqa: B009
