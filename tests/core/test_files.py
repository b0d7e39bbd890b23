"""The one checked open: type and size before a byte is read."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from seg_convert.core.files import (
    FileRefused,
    check_regular,
    open_regular,
    read_regular,
    reason,
)
from seg_convert.core.fingerprints import content_digest


def test_a_regular_file_opens(tmp_path: Path) -> None:
    path = tmp_path / "a"
    path.write_bytes(b"abc")
    with open_regular(path, max_bytes=3) as stream:
        assert stream.read() == b"abc"
    assert check_regular(path) == 3
    assert read_regular(path, max_bytes=3) == b"abc"


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "directory"])
def test_what_is_not_a_regular_file_is_refused_unread(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "x"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer
    elif kind == "dev_zero":
        path.symlink_to("/dev/zero")  # reading it would never end
    else:
        path.mkdir()
    with pytest.raises(FileRefused) as caught:
        open_regular(path)
    expected = "directory" if kind == "directory" else "special"
    assert caught.value.kind == expected
    assert content_digest(path) is None  # never hashed


def test_size_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "sparse"
    with path.open("wb") as stream:
        stream.truncate(16 << 30)  # 16 GiB, no disk space
    with pytest.raises(FileRefused) as caught:
        open_regular(path, max_bytes=1 << 20)
    assert caught.value.kind == "size"
    assert str(caught.value.strerror) == (
        "is 17,179,869,184 bytes or more, over the limit of 1,048,576"
    )
    assert content_digest(path, max_bytes=1 << 20) is None


def test_a_symlink_loop_is_named(tmp_path: Path) -> None:
    path = tmp_path / "loop"
    path.symlink_to("loop")
    with pytest.raises(OSError) as caught:
        open_regular(path)
    assert reason(caught.value).startswith("Too many levels of symbolic links")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(errno.ENOSPC, None), "No space left on device"),
        (OSError(), "OSError (no detail given)"),
        (OSError("short write"), "short write"),
        (OSError(errno.EACCES, "Permission denied"), "Permission denied"),
    ],
    ids=["enospc_without_text", "nothing", "text_only", "strerror"],
)
def test_reason_is_never_none(error: OSError, expected: str) -> None:
    assert reason(error) == expected


def test_a_refusal_crosses_processes() -> None:
    import pickle

    refused = pickle.loads(pickle.dumps(FileRefused("size", "is big")))
    assert (refused.kind, refused.strerror) == ("size", "is big")
