"""What an output directory holds, so that a re-run does only what changed and
never touches anything that is not its own.

``OUTPUT_DIR/.seg-convert/manifest.json`` records the key of the options that
shaped the samples (see ``Options.sample_key``) and, per sample, its source, the
size and modification time of its JSON and image file when they were read, and
its output files. A run appends each sample to ``journal.jsonl`` as soon as its
files are written and folds the journal into the manifest at the end, so a killed
run loses at most the samples being written; the next run redoes just those.
A shard keeps ``manifest-K-of-N.json`` and ``journal-K-of-N.jsonl`` of its own;
a run without ``--shard`` folds every shard's records into ``manifest.json``.

The state is input like any other: every path read back from it must be a plain
relative path inside the output directory, reached without following a link,
before it is acted on. A state that names anything else is unreadable, never
obeyed. ``OutputState`` is the one owner of all this: open, plan, record, finish.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from seg_convert.core.errors import OutputError, SegConvertError
from seg_convert.core.fingerprints import (
    NO_DIGESTS,
    Digests,
    FilePrint,
    Fingerprint,
    content_digest,
    fingerprint,
)
from seg_convert.core.inputs import STATE_DIR, Input
from seg_convert.core.sample import FileResult
from seg_convert.core.shards import Shard
from seg_convert.io.atomic import write_if_changed
from seg_convert.io.confined import folder_of, read_regular, remove, remove_empty_folder

MANIFEST_VERSION = 1
_MANIFEST = "manifest{tag}.json"
_JOURNAL = "journal{tag}.jsonl"

# Whether a record of sample STEM may name PATH (see ``OutputFormat.owns``).
Owns = Callable[[str, str], bool]
# How an input looks now, given the image file its entry records.
CurrentPrint = Callable[[Input, Path | None], Fingerprint | None]


def labelme_print(item: Input, image: Path | None) -> Fingerprint | None:
    """A labelme file's fingerprint: its JSON and its image file."""
    return fingerprint(item.source, image)


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


@dataclass(frozen=True)
class Plan:
    """What a run does with its inputs: convert ``todo``, keep ``unchanged``."""

    todo: tuple[Input, ...]
    unchanged: Mapping[Input, Entry]


@dataclass
class OutputState:
    """The records of one output directory (or one shard of it) during a run.

    Made by ``open``; ``plan`` says what to convert, ``record`` takes each result,
    ``save`` writes the manifest. Outputs that a plan or a result makes stale
    are removed as soon as that is known. ``folders`` are the only folders
    (relative to ``root``) the writers put files in, which a run may clean up;
    ``owns(path, stem)`` says whether a record of ``stem`` may name ``path``.
    """

    root: Path
    key: str
    shard: Shard | None
    folders: frozenset[str]
    owns: Owns
    made_by: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        key: str,
        shard: Shard | None,
        force: bool,
        folders: frozenset[str],
        owns: Owns,
        made_by: str = "",
    ) -> OutputState:
        """Load the state of ``root`` (checked by ``check_output_dir``; the
        caller holds its lock), refusing an unreadable state unless ``force``.
        Samples written under another key, and all of them with ``force``, are
        removed.

        ``made_by`` names the command the run is (labelme2voc, ...): a directory
        another command made is refused unless ``force``, which replaces it, so
        that one dataset is never silently swapped for another."""
        state = cls(
            root=root, key=key, shard=shard, folders=folders, owns=owns, made_by=made_by
        )
        for record_key, stem, entry in _load_records(
            root / STATE_DIR, shard, force=force, owns=owns, made_by=made_by
        ):
            if force or record_key != key:
                state._remove(entry.outputs)
                state.entries.pop(stem, None)
            else:
                state.entries[stem] = entry
        state._remove_empty_folders()
        return state

    def plan(
        self,
        inputs: Sequence[Input],
        *,
        input_dir: Path,
        current: CurrentPrint = labelme_print,
    ) -> Plan:
        """Which inputs to convert; outputs of inputs gone since the last run are
        removed now. ``current`` says how an input looks now (its source's
        fingerprint), given the image file its entry records."""
        stems = {item.stem for item in inputs}
        for stem in [stem for stem in self.entries if stem not in stems]:
            self._remove(self.entries.pop(stem).outputs)
        unchanged = {}
        for item in inputs:
            entry = self.entries.get(item.stem)
            if entry is None or not self._has_outputs(entry):
                continue
            now = _print_if_unchanged(entry, item, input_dir, current)
            if now is None:
                continue
            if now != entry.fingerprint:  # the same bytes at other times: keep
                entry = dataclasses.replace(entry, fingerprint=now)
                self.entries[item.stem] = entry
            unchanged[item] = entry
        todo = tuple(item for item in inputs if item not in unchanged)
        return Plan(todo=todo, unchanged=unchanged)

    def record(self, result: FileResult, *, input_dir: Path) -> FileResult:
        """Take one file's result: a converted sample is recorded at once (with
        the fingerprint taken before it was read); a failed one, or one whose
        input vanished meanwhile, loses its outputs. Returns the result as it
        stands after that."""
        old = self.entries.pop(result.stem, None)
        if result.ok and fingerprint(result.source, result.image) is None:
            self._remove(self._relative(result.outputs))
            result = _vanished(result)
        if not result.ok or result.fingerprint is None:
            if old is not None:
                self._remove(old.outputs)
            return result
        entry = Entry(
            source=os.path.relpath(result.source, input_dir),
            image=None
            if result.image is None
            else os.path.relpath(result.image, input_dir),
            fingerprint=result.fingerprint,
            outputs=self._relative(result.outputs),
            digests=result.digests,
        )
        if old is not None:
            self._remove(tuple(set(old.outputs) - set(entry.outputs)))
        self.entries[result.stem] = entry
        line = json.dumps({"stem": result.stem, **_item(entry)}, ensure_ascii=True)
        self._append_journal(line + "\n")
        return result

    def discard(self, result: FileResult) -> None:
        """Remove the files of a result the run will not record (a worker
        finished it after the run stopped): unrecorded files would outlive
        their input."""
        self._remove(self._relative(result.outputs))

    def save(self) -> None:
        """Write the manifest if it changed and drop the journal it now holds;
        a run without --shard also drops the shards' records it folded in."""
        state_dir = self.root / STATE_DIR
        data = {
            "version": MANIFEST_VERSION,
            "made_by": self.made_by,
            "options_key": self.key,
            "entries": {
                stem: _item(self.entries[stem]) for stem in sorted(self.entries)
            },
        }
        # ASCII escapes keep the undecodable bytes of non-UTF-8 names, round trip.
        text = json.dumps(data, ensure_ascii=True, indent=1, sort_keys=True) + "\n"
        manifest, journal = _names(self.shard)
        try:
            write_if_changed(state_dir / manifest, text.encode(), root=self.root)
            remove(state_dir / journal, root=self.root)
            if self.shard is None:
                for path in _shard_files(state_dir):
                    remove(path, root=self.root)
        except OSError as error:
            raise OutputError(state_dir, f"cannot write: {error.strerror}") from None

    def _has_outputs(self, entry: Entry) -> bool:
        """Whether the sample's files are all still there (someone may have
        deleted some): if not, it is converted again rather than left short."""
        return all(_is_file(self.root / path) for path in entry.outputs)

    def _relative(self, outputs: Iterable[Path]) -> tuple[str, ...]:
        return tuple(
            PurePosixPath(Path(os.path.relpath(path, self.root))).as_posix()
            for path in outputs
        )

    def _append_journal(self, line: str) -> None:
        path = self.root / STATE_DIR / _names(self.shard)[1]
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            with folder_of(path, root=self.root) as (folder, name):
                fd = os.open(name, flags, 0o644, dir_fd=folder)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise OSError(errno.EINVAL, "not a regular file")
                # One write of a short line: a killed process cannot leave half.
                os.write(fd, line.encode("ascii"))
            finally:
                os.close(fd)
        except OSError as error:
            raise OutputError(path, f"cannot write: {error.strerror}") from None

    def _remove(self, outputs: Iterable[str]) -> None:
        for relative in outputs:
            remove(self.root.joinpath(*check_relative(relative)), root=self.root)

    def _remove_empty_folders(self) -> None:
        """The writers' folders a change of options left empty (e.g. another
        layout's), deepest first; nothing else in OUTPUT_DIR is touched."""
        for folder in sorted(self.folders, key=lambda name: -name.count("/")):
            remove_empty_folder(
                self.root.joinpath(*check_relative(folder)), root=self.root
            )


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


def _names(shard: Shard | None) -> tuple[str, str]:
    # Each shard keeps its own manifest and journal: shards run at the same time.
    tag = "" if shard is None else f"-{shard.index}-of-{shard.count}"
    return _MANIFEST.format(tag=tag), _JOURNAL.format(tag=tag)


def _shard_files(state_dir: Path) -> list[Path]:
    return sorted(
        path
        for pattern in ("manifest-*-of-*.json", "journal-*-of-*.jsonl")
        for path in state_dir.glob(pattern)
    )


def prepare_state_dir(root: Path) -> Path:
    """Make sure ``root`` is new, empty or ours, and create its state folder
    (where the lock lives); return that folder."""
    if root.exists() and not root.is_dir():
        raise OutputError(root, "exists and is not a directory")
    state_dir = root / STATE_DIR
    if state_dir.is_symlink():
        raise OutputError(
            state_dir,
            "is a symbolic link; seg-convert keeps its records in the output "
            "directory itself (remove the link)",
        )
    ours = state_dir.is_dir() and any(
        any(state_dir.glob(pattern)) for pattern in ("manifest*.json", "journal*.jsonl")
    )
    if root.is_dir() and not ours and any(p.name != STATE_DIR for p in root.iterdir()):
        raise OutputError(
            root,
            "is not empty and was not written by seg-convert (choose a new output "
            "directory, or remove this one)",
        )
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(root, f"cannot create: {error.strerror}") from None
    return state_dir


Record = tuple[str, str, Entry]  # (options key, stem, entry)


def _load_records(
    state_dir: Path,
    shard: Shard | None,
    *,
    force: bool,
    owns: Owns,
    made_by: str,
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
        loaded = _load_file(path, owner, force=force, owns=owns, made_by=made_by)
        if owner is not None and shard is None:
            # A shard's records replace what the main manifest says of its stems.
            records = [r for r in records if not owner.holds(r[1])]
        records += loaded
    if shard is not None:
        records = [r for r in records if shard.holds(r[1])]
    return records


def _is_file(path: Path) -> bool:
    """A regular file itself, not a link to one (a link planted in place of an
    output is replaced by converting the sample again)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


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
    return state_dir / _names(shard)[0]


def _load_file(
    path: Path,
    shard: Shard | None,
    *,
    force: bool,
    owns: Owns,
    made_by: str,
) -> list[Record]:
    """The records of one manifest and its journal. Unreadable ones raise
    OutputError, or with ``force`` yield what can be proven ours; so does a
    manifest another command wrote (``made_by``: which one)."""
    journal = path.with_name(_names(shard)[1])
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
    return records


def _proven(journal: Path, owns: Owns, *, force: bool) -> list[Record]:
    """What a journal proves ours, for --force over an unreadable manifest."""
    return [
        ("", stem, entry)
        for stem, entry in _journal_entries(journal, owns, force=force)
    ]


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
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


def _item(entry: Entry) -> dict[str, Any]:
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


def _print_if_unchanged(
    entry: Entry, item: Input, input_dir: Path, current: CurrentPrint
) -> Fingerprint | None:
    """How ``item`` and its image look now if they hold what ``entry`` was made
    from, else None: the same size and time, or (a fresh checkout, a copy) the
    same size and bytes at another time."""
    image = None if entry.image is None else input_dir / entry.image
    now = current(item, image)
    if now is None or os.path.relpath(item.source, input_dir) != entry.source:
        return None
    files = zip(
        (item.source, image), now, entry.fingerprint, entry.digests, strict=True
    )
    for path, now_print, then_print, digest in files:
        if now_print == then_print:
            continue
        if (
            now_print is None
            or then_print is None
            or digest is None
            or now_print[0] != then_print[0]
            or content_digest(path) != digest
        ):
            return None
    return now


def _vanished(result: FileResult) -> FileResult:
    return FileResult(
        source=result.source,
        stem=result.stem,
        error=SegConvertError(
            result.source,
            "was deleted or moved while it was being converted; its outputs were "
            "removed (run again once it is back)",
        ),
        shapes=result.shapes,
        instances=result.instances,
        seconds=result.seconds,
    )


def prepare_folders(root: Path, names: Iterable[str]) -> None:
    """Create the dataset folders ``names`` (relative) in ``root``; a folder on
    the way that is a link is refused, never written through."""
    for name in names:
        folder = root
        for part in check_relative(name):
            folder = folder / part
            if folder.is_symlink():
                raise OutputError(
                    folder,
                    "is a symbolic link; seg-convert writes only into real folders "
                    "inside the output directory (remove the link)",
                )
            try:
                folder.mkdir(exist_ok=True)
            except FileExistsError:
                raise OutputError(folder, "exists and is not a directory") from None
            except OSError as error:
                raise OutputError(folder, f"cannot create: {error.strerror}") from None
