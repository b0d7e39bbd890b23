"""What an input file looked like when it was read: size and modification time,
as make compares files, and the SHA-256 of its bytes.

A re-run compares size and time first, which costs a stat. When only the time
differs (a fresh checkout, a copy, files restored from a CI artifact: every time
new, every byte the same), the file is hashed and compared with the digest taken
when it was converted, so that a sharded job finished in a new checkout does not
convert everything again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from seg_convert.core.files import open_regular

FilePrint = tuple[int, int]  # (size, mtime in ns)
Fingerprint = tuple[FilePrint, FilePrint | None]  # the JSON and its image file
# The SHA-256 (hex) of the JSON and of its image file, where known.
Digests = tuple[str | None, str | None]
NO_DIGESTS: Digests = (None, None)
_BLOCK = 1 << 20


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


def content_digest(path: Path | None, *, max_bytes: int | None = None) -> str | None:
    """The SHA-256 of the file's bytes (hex), read a block at a time; None if
    it cannot be read, or is not a regular file of at most ``max_bytes`` (then
    the reader that comes next refuses it, and says why, without a byte read
    here). Take it after ``file_print`` and before the file is read for
    converting: an edit in between then shows in one or the other."""
    if path is None:
        return None
    digest = hashlib.sha256()
    try:
        with open_regular(path, max_bytes=max_bytes) as stream:
            while block := stream.read(_BLOCK):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()
