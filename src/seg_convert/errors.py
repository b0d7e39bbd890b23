"""The errors seg-convert raises for things a user can get wrong.

Each message is meant to be printed as one line after the path it concerns:
``path: what is wrong (and what to do)``. The CLI does exactly that and maps the
type to an exit code, so no traceback ever reaches a user for these.
"""

from __future__ import annotations

from pathlib import Path


class SegConvertError(Exception):
    """Base of every error a user can cause; carries the path it is about."""

    def __init__(self, path: Path | str | None, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def __reduce__(self) -> tuple[type[SegConvertError], tuple[object, str]]:
        # Errors cross from worker processes to the runner.
        return type(self), (self.path, self.message)

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        return f"{self.path}: {self.message}"


class LabelsError(SegConvertError):
    """The label table (labels.txt or comma-separated names) is malformed."""


class AnnotationError(SegConvertError):
    """A labelme JSON file cannot be read or one of its shapes is invalid."""


class ImageError(SegConvertError):
    """The image of an annotation is missing, undecodable or the wrong size."""


class FontError(SegConvertError):
    """A font file given for the legend cannot be loaded."""


class InputError(SegConvertError):
    """The input directory holds nothing to convert."""


class OutputError(SegConvertError):
    """The output directory cannot be used or written."""


def undecodable_line(data: bytes, error: UnicodeDecodeError) -> int:
    """The 1-based line of ``data`` where decoding failed, for messages."""
    return data[: error.start].count(b"\n") + 1
