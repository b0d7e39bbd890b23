"""The records of an output directory, as files: ``manifest.json`` (the key of
the options that shaped the samples, and per sample its source, how its input
files looked when read and its output files) and ``journal.jsonl`` (a line per
sample as soon as its files are written), each per shard too.

The records are input like any other: every path read back must be a plain
relative path inside the output directory, a file a format writes for that
sample, before it is acted on. Records that say anything else are unreadable,
never obeyed; with ``--force``, only what a journal proves ours is taken.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from seg_convert.core.errors import OutputError
from seg_convert.core.files import reason as os_reason
from seg_convert.core.fingerprints import NO_DIGESTS, Digests, FilePrint, Fingerprint
from seg_convert.core.shards import Shard
from seg_convert.io.confined import read_regular, remove
from seg_convert.run.input_sets import (
    InputsRecord,
    check_same_inputs,
    recorded_inputs,
)

MANIFEST_VERSION = 1


_MANIFEST = "manifest{tag}.json"


_JOURNAL = "journal{tag}.jsonl"


# Whether a record of sample STEM may name PATH (see ``OutputFormat.owns``).
Owns = Callable[[str, str], bool]


class CorruptState(ValueError):
    """A manifest or journal that cannot be trusted."""


@dataclass(frozen=True)
class Entry:
    """One converted sample: where it came from (relative to the input directory),
    how its inputs looked when read, and its files (relative to the output
    directory, POSIX separators)."""

    source: str
    image: str | None
    fingerprint: Fingerprint
    outputs: tuple[str, ...]
    digests: Digests = NO_DIGESTS


def check_relative(text: object) -> tuple[str, ...]:
    """The parts of a relative POSIX path that stays inside its root; raises
    CorruptState for anything else (absolute, ``..``, empty, not a string)."""
    if not isinstance(text, str) or not text or "\0" in text:
        raise CorruptState(f"output path {text!r} is not a file name")
    path = PurePosixPath(text)
    if path.is_absolute() or text.startswith("/"):
        raise CorruptState(f"output path {text!r} is absolute")
    parts = tuple(part for part in text.split("/"))
    if any(part in ("", ".", "..") for part in parts):
        raise CorruptState(f"output path {text!r} leaves the output directory")
    return parts


def state_file_names(shard: Shard | None) -> tuple[str, str]:
    # Each shard keeps its own manifest and journal: shards run at the same time.
    tag = "" if shard is None else f"-{shard.index}-of-{shard.count}"
    return _MANIFEST.format(tag=tag), _JOURNAL.format(tag=tag)


def shard_state_files(state_dir: Path) -> list[Path]:
    return sorted(
        path
        for pattern in ("manifest-*-of-*.json", "journal-*-of-*.jsonl")
        for path in state_dir.glob(pattern)
    )


Record = tuple[str, str, Entry]  # (options key, stem, entry)


def load_records(
    state_dir: Path,
    shard: Shard | None,
    *,
    force: bool,
    owns: Owns,
    made_by: str,
    inputs: InputsRecord | None = None,
) -> list[Record]:
    """Every sample the state of this run's part of the directory records, in
    the order later records win."""
    main = _manifest_path(state_dir, None)
    shards = sorted(
        (
            (path, found)
            for path in state_dir.glob("manifest-*-of-*.json")
            if (found := _shard_of(path)) is not None
        ),
        key=lambda pair: _modified(pair[0]),
    )
    sources: list[tuple[Path, Shard | None]]
    if shard is None:
        sources = [(main, None), *shards]
    else:
        own = _manifest_path(state_dir, shard)
        # Until this shard has records of its own, its samples are in the main
        # manifest (a run without --shard folded them in).
        sources = [(own, shard)] if own.exists() else [(main, None)]
    records: list[Record] = []
    for path, owner in sources:
        loaded = _load_file(
            path, owner, force=force, owns=owns, made_by=made_by, inputs=inputs
        )
        if owner is not None and shard is None:
            # A shard's records replace what the main manifest says of its stems.
            records = [r for r in records if not owner.holds(r[1])]
        records += loaded
    if shard is not None:
        records = [r for r in records if shard.holds(r[1])]
    return records


def _modified(path: Path) -> int:
    """When a state file was written (a dangling link counts as oldest)."""
    try:
        return path.lstat().st_mtime_ns
    except OSError:
        return 0


def _shard_of(path: Path) -> Shard | None:
    """The shard a manifest file's name says it belongs to, if it says one."""
    tag = path.name.removeprefix("manifest-").removesuffix(".json")
    index, _, count = tag.partition("-of-")
    try:
        return Shard(int(index), int(count))
    except ValueError:
        return None


def _manifest_path(state_dir: Path, shard: Shard | None) -> Path:
    return state_dir / state_file_names(shard)[0]


def _load_file(
    path: Path,
    shard: Shard | None,
    *,
    force: bool,
    owns: Owns,
    made_by: str,
    inputs: InputsRecord | None,
) -> list[Record]:
    """The records of one manifest and its journal. Unreadable ones raise
    OutputError, or with ``force`` yield what can be proven ours; so does a
    manifest another command wrote (``made_by``: which one), or one holding
    samples of other ``inputs``."""
    journal = path.with_name(state_file_names(shard)[1])
    if not os.path.lexists(path):
        return [] if not force else _proven(journal, owns, force=force)
    try:
        data = json.loads(read_regular(path))
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
            version = data.get("version") if isinstance(data, dict) else None
            raise CorruptState(
                f"not a version {MANIFEST_VERSION} manifest ({version!r})"
            )
        key = data.get("options_key")
        entries = data.get("entries")
        if not isinstance(key, str) or not isinstance(entries, dict):
            raise CorruptState("no options_key or entries")
        maker = data.get("made_by") or made_by  # releases before it: none
        if maker != made_by and not force:
            root = path.parent.parent
            raise OutputError(
                root,
                f"holds the dataset seg-convert {maker} made, which {made_by} "
                "would replace (choose another output directory, or give --force "
                "to replace it)",
            )
        recorded = recorded_inputs(data.get("inputs"))
        records = [
            (key, stem, _checked(stem, item, owns)) for stem, item in entries.items()
        ]
    except (OSError, ValueError, RecursionError) as error:
        if not force:
            reason = _reason(error)
            raise OutputError(
                path,
                f"unreadable seg-convert manifest ({reason}); remove the output "
                "directory, or run with --force",
            ) from None
        # --force starts over; what the journal proves ours is removed.
        return _proven(journal, owns, force=force)
    records += [
        (key, stem, entry)
        for stem, entry in _journal_entries(journal, owns, force=force)
    ]
    if records and not force:
        check_same_inputs(recorded, inputs, root=path.parent.parent)
    return records


def _proven(journal: Path, owns: Owns, *, force: bool) -> list[Record]:
    """What a journal proves ours, for --force over an unreadable manifest."""
    return [
        ("", stem, entry)
        for stem, entry in _journal_entries(journal, owns, force=force)
    ]


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError):
        return os_reason(error) or str(error)
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error)


def _journal_entries(
    path: Path, owns: Owns, *, force: bool
) -> Iterator[tuple[str, Entry]]:
    """The records of a journal. State files are read as ``read_regular`` does,
    so a named pipe planted there is an error, not a wait; with ``force``, an
    unreadable journal proves nothing ours and is removed (the run appends to
    a journal of its own).

    Only a last line without its line break is passed over: the one a killed
    run was writing. Any other line that is not a valid record (a forged one)
    makes the journal unreadable, as a bad manifest is; with ``force``, only
    the valid lines are taken as proof."""
    try:
        lines = read_regular(path).split(b"\n")
    except FileNotFoundError:
        return
    except OSError as error:
        if force:
            remove(path, root=path.parent)
            return
        raise _unreadable_journal(path, _reason(error)) from None
    for number, line in enumerate(lines[:-1], start=1):  # [-1]: after the last \n
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise CorruptState("not an object")
            stem = _stem(item.get("stem"))
            entry = _checked(stem, item, owns)
        except (ValueError, RecursionError) as error:
            if force:
                continue
            raise _unreadable_journal(
                path, f"line {number}: {_reason(error)}"
            ) from None
        yield stem, entry


def _unreadable_journal(path: Path, reason: str) -> OutputError:
    return OutputError(
        path,
        f"unreadable seg-convert journal ({reason}); remove the output directory, "
        "or run with --force",
    )


def _checked(stem: object, item: object, owns: Owns) -> Entry:
    """An entry read back, checked: each output is a file a format writes for
    the sample, nothing else of OUTPUT_DIR."""
    name = _stem(stem)
    if not isinstance(item, dict):
        raise CorruptState(f"the entry of {name!r} is not an object")
    entry = _entry(item)
    for output in entry.outputs:
        if not owns(output, name):
            raise CorruptState(
                f"output path {output!r} of {name!r} is not a file of this sample "
                "in a dataset folder"
            )
    return entry


def _stem(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise CorruptState(f"sample name {value!r} is not a name")
    return value


def entry_item(entry: Entry) -> dict[str, Any]:
    json_print, image_print = entry.fingerprint
    item = {
        "source": entry.source,
        "image": entry.image,
        "json_file": list(json_print),
        "image_file": None if image_print is None else list(image_print),
        "outputs": list(entry.outputs),
    }
    for key, digest in zip(_DIGEST_KEYS, entry.digests, strict=True):
        if digest is not None:
            item[key] = digest
    return item


_DIGEST_KEYS = ("json_sha256", "image_sha256")


def _entry(item: Mapping[str, Any]) -> Entry:
    try:
        source, image = item["source"], item["image"]
        outputs = item["outputs"]
        json_print = _file_print(item["json_file"])
        image_print = (
            None if item["image_file"] is None else _file_print(item["image_file"])
        )
    except (KeyError, TypeError) as error:
        raise CorruptState(f"an entry without {error}") from None
    if not isinstance(source, str) or not (image is None or isinstance(image, str)):
        raise CorruptState("an entry's source is not a path")
    if not isinstance(outputs, list):
        raise CorruptState("an entry's outputs are not a list")
    for output in outputs:
        check_relative(output)
    json_digest, image_digest = (_digest(item.get(key)) for key in _DIGEST_KEYS)
    return Entry(
        source=source,
        image=image,
        fingerprint=(json_print, image_print),
        outputs=tuple(outputs),
        digests=(json_digest, image_digest),
    )


def _digest(value: object) -> str | None:
    if value is None:
        return None  # not recorded (by releases before digests, or COCO's JSON)
    if not isinstance(value, str) or len(value) != 64 or value.strip(_HEX):
        raise CorruptState(f"a digest {value!r} is not a SHA-256")
    return value


_HEX = "0123456789abcdef"


def _file_print(value: object) -> FilePrint:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in value)
    ):
        raise CorruptState(f"a file print {value!r} is not [size, mtime]")
    return (value[0], value[1])
