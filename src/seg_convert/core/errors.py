"""The errors seg-convert raises for things a user can get wrong.

Each message is meant to be printed as one line after the path it concerns:
``path: what is wrong (and what to do)``. The CLI does exactly that and maps the
type to an exit code, so no traceback ever reaches a user for these.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path


class SegConvertError(Exception):
    """Base of every error a user can cause; carries the path it is about.

    ``details`` is more for the curious (a bug's traceback under --debug),
    shown after the line.
    """

    def __init__(
        self, path: Path | str | None, message: str, details: str | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.details = details

    def __reduce__(
        self,
    ) -> tuple[type[SegConvertError], tuple[object, str, str | None]]:
        # Errors cross from worker processes to the runner.
        return type(self), (self.path, self.message, self.details)

    def __str__(self) -> str:
        """``path: message`` on one line, whatever characters a name holds."""
        text = self.message if self.path is None else f"{self.path}: {self.message}"
        return one_line(text)


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped, and the
    undecodable bytes of a non-UTF-8 file name, so that it prints as one line
    on any terminal."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if breaks_lines(ch) or is_undecodable(ch)
        else ch
        for ch in text
    )


def breaks_lines(ch: str) -> bool:
    """Control characters and line or paragraph separators."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def is_undecodable(ch: str) -> bool:
    """A byte of a file name that is not UTF-8, as Python holds it (a lone
    surrogate); it can be printed or written as text only escaped."""
    return unicodedata.category(ch) == "Cs"


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


class UsageProblem(ValueError):
    """Options that do not go together: a usage error of the command (exit 2),
    said before any work."""


class Terminated(BaseException):
    """SIGTERM arrived (a CI timeout, ``kill``): the run stops as Ctrl-C stops
    it. A BaseException, like KeyboardInterrupt, so that the handlers that catch
    a file's errors let it through and the ones that remove half-written files
    run."""


def undecodable_line(data: bytes, error: UnicodeDecodeError) -> int:
    """The 1-based line of ``data`` where decoding failed, for messages."""
    return data[: error.start].count(b"\n") + 1
