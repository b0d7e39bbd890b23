"""What a run converts: one input sample and the stem its outputs are named by."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seg_convert.core.errors import breaks_lines, is_undecodable

# The folder of OUTPUT_DIR where seg-convert keeps its records (and a format its
# per-sample parts): never an input, never a sample's name.
STATE_DIR = ".seg-convert"

# What --flatten-names joins the folders of an input's path with (a/b/1 -> a__b__1).
FLATTEN_SEPARATOR = "__"

# What a source's inputs are, as a command line names them: its paths (folders,
# files) and the words of its options that choose inputs (``--recursive``), in a
# stable order. The output state records it, so that a run over other inputs is
# never taken for a re-run of the same ones (see ``state_records.InputsRecord``).
InputSet = tuple[Path | str, ...]


@dataclass(frozen=True)
class Input:
    """A labelme file and the stem its outputs are named by."""

    source: Path
    stem: str

    @property
    def where(self) -> str | None:
        """What in ``source`` the sample is, when the file holds several
        (a COCO file's image); None when the file is the sample."""
        return None


def stem_problem(stem: str) -> str | None:
    """Why ``stem`` cannot name outputs (None: it can), for the split lists
    hold one stem a line, as UTF-8 text."""
    if any(is_undecodable(ch) for ch in stem):
        return "the file name is not valid UTF-8 text; rename the file"
    if any(breaks_lines(ch) for ch in stem):
        return (
            "the file name has a line break or another control character, which "
            "the dataset's lists cannot hold; rename the file"
        )
    return None
