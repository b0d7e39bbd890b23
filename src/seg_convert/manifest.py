"""What an output directory holds, so that a re-run only does what changed.

``OUTPUT_DIR/.seg-convert/manifest.json`` records the options of the last run and,
per converted sample, its source, the size and modification time of its JSON and
image file (as make compares files) and its output files. A run appends each
converted sample to ``journal.jsonl`` as soon as its files are written and folds
the journal into the manifest at the end, so a killed run loses at most the
samples being written; the next run redoes just those.
"""

from __future__ import annotations

import hashlib
import json
import os.path
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import write_atomically
from .discovery import Shard
from .errors import OutputError

STATE_DIR = ".seg-convert"
MANIFEST_FILE = "manifest.json"
JOURNAL_FILE = "journal.jsonl"
MANIFEST_VERSION = 1

Fingerprint = tuple[tuple[int, int], tuple[int, int] | None]


@dataclass(frozen=True)
class Entry:
    """One converted sample: where it came from (relative to the input directory)
    and the files written for it (relative to the output directory)."""

    source: str
    image: str | None
    fingerprint: Fingerprint
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    options_key: str
    entries: Mapping[str, Entry]


def options_key(options: Mapping[str, Any]) -> str:
    """A digest of the options that shape the output files."""
    text = json.dumps(options, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(source: Path, image: Path | None) -> Fingerprint | None:
    """Size and modification time of the JSON and image file, None if gone."""
    try:
        json_stat = source.stat()
        image_stat = None if image is None else image.stat()
    except OSError:
        return None
    return (
        (json_stat.st_size, json_stat.st_mtime_ns),
        None if image_stat is None else (image_stat.st_size, image_stat.st_mtime_ns),
    )


def make_entry(
    source: Path,
    image: Path | None,
    outputs: Iterable[Path],
    *,
    input_dir: Path,
    output_dir: Path,
) -> Entry | None:
    """The entry of a sample just converted; None if its files vanished meanwhile."""
    current = fingerprint(source, image)
    if current is None:
        return None
    return Entry(
        source=os.path.relpath(source, input_dir),
        image=None if image is None else os.path.relpath(image, input_dir),
        fingerprint=current,
        outputs=tuple(os.path.relpath(path, output_dir) for path in outputs),
    )


def is_unchanged(entry: Entry, source: Path, *, input_dir: Path) -> bool:
    """Whether ``source`` and its image look as when ``entry`` was written."""
    image = None if entry.image is None else input_dir / entry.image
    return (
        os.path.relpath(source, input_dir) == entry.source
        and fingerprint(source, image) == entry.fingerprint
    )


def _names(shard: Shard | None) -> tuple[str, str]:
    # Each shard keeps its own manifest and journal: shards run at the same time.
    if shard is None:
        return MANIFEST_FILE, JOURNAL_FILE
    tag = f"-{shard.index}-of-{shard.count}"
    return f"manifest{tag}.json", f"journal{tag}.jsonl"


def is_ours(root: Path) -> bool:
    """Whether a seg-convert run (any shard) has written into ``root``."""
    return any((root / STATE_DIR).glob("manifest*.json"))


def load_manifest(root: Path, shard: Shard | None = None) -> Manifest | None:
    """The manifest of ``root`` with its journal folded in; None if there is none."""
    state = root / STATE_DIR
    manifest_name, journal_name = _names(shard)
    path = state / manifest_name
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("version") != MANIFEST_VERSION:
            raise ValueError(f"version {data.get('version')!r}")
        entries = {stem: _entry(item) for stem, item in data["entries"].items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise OutputError(
            path,
            f"unreadable seg-convert manifest ({error}); remove the output "
            "directory, or run with --force",
        ) from None
    entries.update(_journal_entries(state / journal_name))
    return Manifest(options_key=data["options_key"], entries=entries)


def save_manifest(root: Path, manifest: Manifest, shard: Shard | None = None) -> None:
    """Write the manifest and drop the journal it now contains."""
    state = root / STATE_DIR
    manifest_name, journal_name = _names(shard)
    state.mkdir(exist_ok=True)
    data = {
        "version": MANIFEST_VERSION,
        "options_key": manifest.options_key,
        "entries": {
            stem: _item(manifest.entries[stem]) for stem in sorted(manifest.entries)
        },
    }
    # ASCII escapes keep the undecodable bytes of non-UTF-8 names, round trip.
    text = json.dumps(data, ensure_ascii=True, indent=1, sort_keys=True) + "\n"
    write_atomically(state / manifest_name, text.encode())
    (state / journal_name).unlink(missing_ok=True)


def append_journal(
    root: Path, stem: str, entry: Entry, shard: Shard | None = None
) -> None:
    """Record one converted sample right away (a line is small: one write)."""
    line = json.dumps({"stem": stem, **_item(entry)}, ensure_ascii=True) + "\n"
    # Closing hands the line to the OS: a killed process cannot lose it.
    with open(root / STATE_DIR / _names(shard)[1], "a", encoding="utf-8") as journal:
        journal.write(line)


def _journal_entries(path: Path) -> Iterable[tuple[str, Entry]]:
    try:
        lines = path.read_text("utf-8").splitlines()
    except FileNotFoundError:
        return
    for line in lines:
        try:
            item = json.loads(line)
            yield item["stem"], _entry(item)
        except (ValueError, KeyError, TypeError):
            continue  # the line a killed run was writing


def _item(entry: Entry) -> dict[str, Any]:
    json_print, image_print = entry.fingerprint
    return {
        "source": entry.source,
        "image": entry.image,
        "json_file": list(json_print),
        "image_file": None if image_print is None else list(image_print),
        "outputs": list(entry.outputs),
    }


def _entry(item: Mapping[str, Any]) -> Entry:
    image_print = item["image_file"]
    return Entry(
        source=str(item["source"]),
        image=None if item["image"] is None else str(item["image"]),
        fingerprint=(
            (int(item["json_file"][0]), int(item["json_file"][1])),
            None if image_print is None else (int(image_print[0]), int(image_print[1])),
        ),
        outputs=tuple(str(path) for path in item["outputs"]),
    )
