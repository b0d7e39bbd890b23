"""data.yaml as ultralytics datasets write it, read without a YAML library.

The subset: ``key: value`` lines at the top; values plain, single- or
double-quoted scalars, flow lists (``[a, 'b c']``), or on the lines below a
key a block list (``- a``) or a block map (``0: a``); ``#`` comments; blank
lines. Anything else (anchors, multi-line scalars, nested blocks) is refused
with its line number, never guessed at. Only the keys a dataset's reading
needs are looked at: ``path``, ``train``, ``val``, ``test`` and ``names``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from seg_convert.core.files import FileRefused, read_regular, reason

Value = str | list[str] | dict[str, str]

_KEY = re.compile(r"^([A-Za-z_][\w-]*|\d+|'[^']*'|\"[^\"]*\")\s*:(?:\s+|$)(.*)$")
_SPLITS = ("train", "val", "test")


# data.yaml: a few lines of folders and names (COCO's 80 names: 2 KB).
MAX_YAML_BYTES = 1 << 20


class YamlError(ValueError):
    """data.yaml is outside the subset, or its values are not a dataset's."""


@dataclass(frozen=True)
class DataYaml:
    """What a dataset's data.yaml says: its root (``path``; None: absent),
    each split's entries (folders or list files) and the class names."""

    path: str | None
    splits: dict[str, list[str]]
    names: tuple[str, ...]


def read_data_yaml(path: Path) -> DataYaml:
    """``path`` parsed and checked as ultralytics checks it (train and val
    given, names a list or a map of 0..n-1)."""
    try:
        text = read_regular(path, max_bytes=MAX_YAML_BYTES).decode("utf-8-sig")
    except FileRefused as error:
        raise YamlError(str(error.strerror)) from None
    except OSError as error:
        raise YamlError(f"cannot read: {reason(error)}") from None
    except UnicodeDecodeError as error:
        raise YamlError(f"cannot read: {error}") from None
    values = parse_mapping(text)
    root = values.get("path")
    if root is not None and not isinstance(root, str):
        raise YamlError("'path' must be a string")
    splits = {}
    for split in _SPLITS:
        entry = values.get(split)
        if entry is None or entry in ("", "null", "~"):
            continue
        if isinstance(entry, dict):
            raise YamlError(f"{split!r} must be a folder, a list file or a list")
        splits[split] = [entry] if isinstance(entry, str) else entry
    for split in ("train", "val"):
        if split not in splits:
            raise YamlError(f"no {split!r} (ultralytics needs train and val)")
    return DataYaml(root or None, splits, _names(values.get("names")))


def _names(value: Value | None) -> tuple[str, ...]:
    if isinstance(value, list):
        names = value
    elif isinstance(value, dict):
        try:
            numbered = {int(key): name for key, name in value.items()}
        except ValueError:
            raise YamlError("the keys of 'names' must be class numbers") from None
        if sorted(numbered) != list(range(len(numbered))):
            raise YamlError("the keys of 'names' must be 0, 1, ... with no gap")
        names = [numbered[index] for index in range(len(numbered))]
    else:
        raise YamlError("no 'names' list or map (nc alone names no class)")
    if not names:
        raise YamlError("'names' is empty")
    return tuple(names)


def parse_mapping(text: str) -> dict[str, Value]:
    """The top-level mapping of ``text`` (the subset above)."""
    found: dict[str, Value] = {}
    lines = [
        (number, _uncommented(line))
        for number, line in enumerate(text.splitlines(), start=1)
    ]
    lines = [(number, line) for number, line in lines if line.strip()]
    index = 0
    while index < len(lines):
        number, line = lines[index]
        match = _KEY.match(line)
        if match is None or line[0].isspace():
            raise YamlError(
                f"line {number}: not a 'key: value' line of the subset read"
            )
        key, rest = _scalar(match.group(1), number), match.group(2).strip()
        index += 1
        if rest:
            found[key] = _inline(rest, number)
            continue
        block = []
        while index < len(lines) and lines[index][1][0].isspace():
            block.append(lines[index])
            index += 1
        found[key] = _block(block) if block else ""
    return found


def _block(lines: list[tuple[int, str]]) -> list[str] | dict[str, str]:
    """A block list (``- a``) or block map (``0: a``), one level deep."""
    if all(line.strip().startswith("- ") or line.strip() == "-" for _, line in lines):
        return [_text(line.strip()[1:].strip(), number) for number, line in lines]
    mapping = {}
    for number, line in lines:
        match = _KEY.match(line.strip())
        if match is None:
            raise YamlError(f"line {number}: neither '- item' nor 'key: value'")
        mapping[_scalar(match.group(1), number)] = _text(match.group(2).strip(), number)
    return mapping


def _inline(text: str, number: int) -> str | list[str]:
    if text.startswith("["):
        if not text.endswith("]"):
            raise YamlError(f"line {number}: a flow list must end on its line")
        inner = text[1:-1].strip()
        return (
            [_text(item.strip(), number) for item in _split(inner, number)]
            if inner
            else []
        )
    if text.startswith("{"):
        raise YamlError(f"line {number}: flow maps are not read; write names as a list")
    return _text(text, number)


def _split(text: str, number: int) -> list[str]:
    """Items of a flow list, split at commas outside quotes."""
    items, current, quote = [], "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            items.append(current)
            current = ""
            continue
        current += ch
    if quote:
        raise YamlError(f"line {number}: an unclosed quote")
    return [*items, current]


def _text(text: str, number: int) -> str:
    if text.startswith(("&", "*", "|", ">", "!", "[", "{")):
        raise YamlError(f"line {number}: {text[:1]!r} values are not read")
    return _scalar(text, number)


def _scalar(text: str, number: int) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            value: str = json.loads(text)  # YAML's double quotes, as far as read
        except ValueError:
            raise YamlError(f"line {number}: an escape not read in {text}") from None
        return value
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if text[:1] in "'\"":
        raise YamlError(f"line {number}: an unclosed quote")
    return text


def _uncommented(line: str) -> str:
    """``line`` without its comment: a ``#`` outside quotes that starts the
    line or follows a space."""
    quote = ""
    for index, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"" and (index == 0 or line[index - 1] in " :[,-"):
            quote = ch
        elif ch == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()
