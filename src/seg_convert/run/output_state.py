"""What an output directory holds, so that a re-run does only what changed and
never touches anything that is not its own.

The records (``state_records``) say, per sample, where it came from, how its
inputs looked when read and its output files; the key of the options that
shaped the samples (``Options.sample_key``) and the command that made the
directory. A run appends each sample to the journal as soon as its files are
written and folds the journal into the manifest at the end, so a killed run
loses at most the samples being written; the next run redoes just those. A
shard keeps records of its own; a run without ``--shard`` folds every shard's
records into the main manifest. ``OutputState`` is the one owner of all this:
open, plan, record, save.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from seg_convert.core.errors import OutputError, SegConvertError
from seg_convert.core.files import reason as os_reason
from seg_convert.core.fingerprints import (
    Fingerprint,
    content_digest,
    fingerprint,
)
from seg_convert.core.inputs import STATE_DIR, Input
from seg_convert.core.sample import FileResult
from seg_convert.core.shards import Shard
from seg_convert.io.atomic import write_if_changed
from seg_convert.io.confined import folder_of, remove, remove_empty_folder
from seg_convert.run.input_sets import InputsRecord
from seg_convert.run.output_dir import is_plain_file
from seg_convert.run.state_records import (
    MANIFEST_VERSION,
    Entry,
    Owns,
    check_relative,
    entry_item,
    load_records,
    shard_state_files,
    state_file_names,
)

# How an input looks now, given the image file its entry records.
CurrentPrint = Callable[[Input, Path | None], Fingerprint | None]


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
    inputs: InputsRecord | None = None
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
        inputs: InputsRecord | None = None,
    ) -> OutputState:
        """Load the state of ``root`` (checked by ``check_output_dir``; the
        caller holds its lock), refusing an unreadable state unless ``force``.
        Samples written under another key, and all of them with ``force``, are
        removed.

        ``made_by`` names the command the run is (labelme2voc, ...): a directory
        another command made is refused unless ``force``, which replaces it, so
        that one dataset is never silently swapped for another; so is one
        holding the samples of other ``inputs`` (a source's input set)."""
        state = cls(
            root=root,
            key=key,
            shard=shard,
            folders=folders,
            owns=owns,
            made_by=made_by,
            inputs=inputs,
        )
        for record_key, stem, entry in load_records(
            root / STATE_DIR,
            shard,
            force=force,
            owns=owns,
            made_by=made_by,
            inputs=inputs,
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
        current: CurrentPrint,
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
        line = json.dumps({"stem": result.stem, **entry_item(entry)}, ensure_ascii=True)
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
            **({} if self.inputs is None else {"inputs": self.inputs.item()}),
            "entries": {
                stem: entry_item(self.entries[stem]) for stem in sorted(self.entries)
            },
        }
        # ASCII escapes keep the undecodable bytes of non-UTF-8 names, round trip.
        text = json.dumps(data, ensure_ascii=True, indent=1, sort_keys=True) + "\n"
        manifest, journal = state_file_names(self.shard)
        try:
            write_if_changed(state_dir / manifest, text.encode(), root=self.root)
            remove(state_dir / journal, root=self.root)
            if self.shard is None:
                for path in shard_state_files(state_dir):
                    remove(path, root=self.root)
        except OSError as error:
            raise OutputError(state_dir, f"cannot write: {os_reason(error)}") from None

    def _has_outputs(self, entry: Entry) -> bool:
        """Whether the sample's files are all still there (someone may have
        deleted some): if not, it is converted again rather than left short."""
        return all(is_plain_file(self.root / path) for path in entry.outputs)

    def _relative(self, outputs: Iterable[Path]) -> tuple[str, ...]:
        return tuple(
            PurePosixPath(Path(os.path.relpath(path, self.root))).as_posix()
            for path in outputs
        )

    def _append_journal(self, line: str) -> None:
        path = self.root / STATE_DIR / state_file_names(self.shard)[1]
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
            raise OutputError(path, f"cannot write: {os_reason(error)}") from None

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
