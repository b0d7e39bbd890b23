"""Reading a labelme file's bytes into JSON: bounded in size, a regular file,
UTF-8 first, then what a byte order mark says or ``--json-encoding``."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

from seg_convert.core.errors import AnnotationError, undecodable_line
from seg_convert.core.files import FileRefused, open_regular, reason
from seg_convert.sources.labelme.json_values import json_type

WARNING_NOT_PLAIN_UTF8 = (
    "JSON with a byte order mark or in UTF-16/32, which labelme does not read"
)


WARNING_LEGACY_ENCODING = "JSON read with --json-encoding, not as UTF-8"


# 256 MiB: labelme files with the image embedded are a few MB, rarely tens; a
# larger one would take many times its size in memory as parsed JSON.
MAX_JSON_BYTES = 1 << 28


def check_encoding(name: str) -> str:
    """The canonical name of the text codec ``name`` (for ``--json-encoding``).

    Raises ValueError for a name Python does not know or a codec that does not
    decode bytes to text (base64, rot13, ...).
    """
    try:
        canonical = codecs.lookup(name).name
        b"a".decode(canonical)  # bytes-to-bytes codecs (base64) refuse here
    except UnicodeDecodeError:  # text, just not "a" alone (UTF-16)
        pass
    except LookupError:
        raise ValueError(
            f"{name!r} is not a text encoding Python knows (e.g. gbk, cp1252, "
            "shift_jis)"
        ) from None
    return canonical


def load_json(
    path: Path, json_encoding: str | None
) -> tuple[dict[str, Any], list[str]]:
    data = _read_json_bytes(path)
    text, warnings = _decode_json(path, data, json_encoding)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise AnnotationError(
            path,
            f"not valid JSON: {error.msg} (line {error.lineno} column {error.colno})",
        ) from None
    except RecursionError:
        raise AnnotationError(path, "not valid JSON: nested too deeply") from None
    except ValueError:  # Python's limit on the digits of an integer
        raise AnnotationError(
            path, "not valid JSON: a number with thousands of digits"
        ) from None
    if not isinstance(raw, dict):
        raise AnnotationError(
            path, f"a labelme file is a JSON object, got {json_type(raw)}"
        )
    return raw, warnings


def _read_json_bytes(path: Path) -> bytes:
    try:
        # Type and size checked before a byte is read: a pipe or a device
        # would be read forever, a sparse file of GiB for minutes.
        with open_regular(path, max_bytes=MAX_JSON_BYTES) as stream:
            # One byte past the limit: the size may change after the check.
            data = stream.read(MAX_JSON_BYTES + 1)
    except FileRefused as error:
        if error.kind != "size":
            kind = "a directory" if error.kind == "directory" else "a pipe or a device"
            raise AnnotationError(path, f"is {kind}, not a JSON file") from None
        data, too_large = b"", True
    except OSError as error:
        raise AnnotationError(path, f"cannot read: {reason(error)}") from None
    else:
        too_large = len(data) > MAX_JSON_BYTES
    if too_large:
        raise AnnotationError(
            path,
            f"is larger than {MAX_JSON_BYTES:,} bytes, too large for a labelme file "
            "(embedded images make a few MB; keep the image beside the JSON and "
            "set imageData to null)",
        )
    return data


def _decode_json(
    path: Path, data: bytes, json_encoding: str | None
) -> tuple[str, list[str]]:
    """The file's text: UTF-8 as labelme writes it, else ``json_encoding``."""
    # As json.loads(bytes) does: a BOM or UTF-16/32 is recognised (labelme
    # reads neither), and lone surrogates pass to be refused with the label.
    detected = json.detect_encoding(data)
    warnings = [] if detected == "utf-8" else [WARNING_NOT_PLAIN_UTF8]
    try:
        return data.decode(detected, "surrogatepass"), warnings
    except UnicodeDecodeError as error:
        line = undecodable_line(data, error)
        if json_encoding is None or detected != "utf-8":
            raise AnnotationError(
                path,
                f"line {line} is not UTF-8 text (old labelme on Windows wrote the "
                "system code page, e.g. GBK: try --json-encoding gbk)",
            ) from None
    try:
        text = data.decode(json_encoding)
    except UnicodeDecodeError as error:
        raise AnnotationError(
            path,
            f"line {undecodable_line(data, error)} is neither UTF-8 nor "
            f"{json_encoding} text (check --json-encoding)",
        ) from None
    return text, [WARNING_LEGACY_ENCODING]
