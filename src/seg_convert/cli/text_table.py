"""Columns of a text table that line up on a terminal, CJK names included."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes: wide (CJK) characters two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal columns."""
    return text + " " * (width - display_width(text))
