"""Writing a file all at once: a reader sees the old file or the new one, never a
part, even when the write is interrupted in the middle."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seg_convert.io import atomic
from seg_convert.io.atomic import write_atomically

OLD = b"old content, complete\n"


class Interrupted(Exception):
    """Stands for Ctrl-C or a full disk halfway through a write."""


def interrupting_open(
    monkeypatch: pytest.MonkeyPatch, target: Path, seen: list[bytes], *, stop: bool
) -> None:
    """Make every write in seg_convert.io.atomic go half-way, let a reader look at
    ``target`` then, and either stop there (``stop``) or finish."""

    class HalfWay(io.FileIO):
        def write(self, data: Any) -> int:
            data = bytes(data)
            half = len(data) // 2
            super().write(data[:half])
            self.flush()
            seen.append(target.read_bytes() if target.exists() else b"<absent>")
            if stop:
                raise Interrupted
            return half + super().write(data[half:])

    def create(name: str, *, dir_fd: int) -> HalfWay:
        return HalfWay(os.open(name, os.O_WRONLY | os.O_CREAT, dir_fd=dir_fd), "w")

    monkeypatch.setattr(atomic, "create", create)


@pytest.mark.parametrize(
    "data",
    [b"new content, longer than the old one\n" * 100, np.arange(1000, dtype=np.int32)],
    ids=["bytes", "array"],
)
def test_a_reader_sees_the_old_file_while_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: Any
) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(OLD)
    seen: list[bytes] = []
    interrupting_open(monkeypatch, target, seen, stop=False)
    write_atomically(target, data)
    assert seen and all(view == OLD for view in seen)  # mid-write: the old file
    if isinstance(data, np.ndarray):
        np.testing.assert_array_equal(np.load(target), data)
    else:
        assert target.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


@pytest.mark.parametrize("exists", [True, False], ids=["replacing", "new"])
def test_an_interrupted_write_leaves_the_old_file_or_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exists: bool
) -> None:
    target = tmp_path / "f.bin"
    if exists:
        target.write_bytes(OLD)
    seen: list[bytes] = []
    interrupting_open(monkeypatch, target, seen, stop=True)
    with pytest.raises(Interrupted):
        write_atomically(target, b"new " * 1000)
    assert seen == [OLD if exists else b"<absent>"]
    if exists:
        assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == (["f.bin"] if exists else [])


def test_a_planted_link_at_the_temporary_name_is_not_written_through(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(OLD)
    target = tmp_path / "out" / "f.bin"
    target.parent.mkdir()
    atomic.temporary_name(target).symlink_to(victim)
    write_atomically(target, b"new")
    assert victim.read_bytes() == OLD
    assert target.read_bytes() == b"new"


@pytest.mark.parametrize("name", ["x" * 250 + ".npy", "é" * 125 + ".png"])
def test_a_temporary_name_fits_where_the_name_fits(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    atomic.write_atomically(target, b"data")
    assert target.read_bytes() == b"data"
    assert len(os.fsencode(atomic.temporary_name(target).name)) <= 255
