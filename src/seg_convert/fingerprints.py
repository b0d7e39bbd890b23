"""What an input file looked like when it was read: size and modification time,
as make compares files. A re-run converts a sample again when they differ."""

from __future__ import annotations

from pathlib import Path

FilePrint = tuple[int, int]  # (size, mtime in ns)
Fingerprint = tuple[FilePrint, FilePrint | None]  # the JSON and its image file


def file_print(path: Path) -> FilePrint | None:
    """Size and modification time of ``path``, None if it cannot be seen."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_size, found.st_mtime_ns)


def fingerprint(source: Path, image: Path | None) -> Fingerprint | None:
    """The prints of a JSON file and its image file; None if either is gone."""
    json_print = file_print(source)
    image_print = None if image is None else file_print(image)
    if json_print is None or (image is not None and image_print is None):
        return None
    return (json_print, image_print)
