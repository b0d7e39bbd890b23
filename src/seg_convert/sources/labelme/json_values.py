"""A labelme file's JSON values: how one is named in messages (its type, or a
short excerpt), and base64 text decoded."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from seg_convert.core.errors import AnnotationError, one_line


def json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"the number {short(value)}"
    return names.get(type(value), type(value).__name__)


def short(value: object) -> str:
    text = one_line(json.dumps(value, ensure_ascii=False, default=str))
    return text if len(text) <= 40 else text[:37] + "..."


def b64decode(path: Path, what: str, text: str) -> bytes:
    try:
        # Some tools wrap base64 text in lines; anything else is not base64.
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise AnnotationError(path, f"{what} is not valid base64") from None
