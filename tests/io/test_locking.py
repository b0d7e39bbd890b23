"""The output directory's lock, with real flock locks held by other processes
and threads, and the sweep of temporary files that spares live runs."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from seg_convert.core.errors import OutputError
from seg_convert.core.shards import Shard
from seg_convert.io.atomic import (
    sweep_temporary_files,
    temporary_name,
    write_atomically,
)
from seg_convert.io.locking import acquire_output_lock

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="flock locks and process ids are POSIX's"
)

# Holds the lock given by argv (shard "-" for none) until stdin closes, telling
# on stdout when it waits and when it holds.
HOLDER = """
import sys
from pathlib import Path
from seg_convert.core.shards import parse_shard
from seg_convert.io.locking import acquire_output_lock
state, shard, key = sys.argv[1:]
try:
    lock = acquire_output_lock(
        Path(state),
        shard=None if shard == "-" else parse_shard(shard),
        options_key=key,
        on_wait=lambda message: print("waiting:", message, flush=True),
    )
except Exception as error:
    print("refused:", error, flush=True)
    raise SystemExit(2)
print("locked", flush=True)
sys.stdin.read()
"""

TIMEOUT = 20  # seconds: a hang guard, never reached when things work


class Holder:
    """Another process taking a lock, and what it said."""

    def __init__(self, state: Path, shard: str, key: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(state), shard, key],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def line(self) -> str:
        """Its next line (waits for it)."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], TIMEOUT)
        assert ready, "the holder said nothing"
        return self.process.stdout.readline().rstrip("\n")

    def is_silent(self, seconds: float = 0.3) -> bool:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], seconds)
        return not ready

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(TIMEOUT)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    folder = tmp_path / "out" / ".seg-convert"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        if holder.process.returncode is None:
            holder.process.kill()
            holder.release()


def hold(
    holders: list[Holder], state: Path, shard: str = "-", key: str = "k"
) -> Holder:
    holder = Holder(state, shard, key)
    holders.append(holder)
    return holder


def waiting(state: Path, pid: int) -> str:
    into = f"into {state.parent} to finish"
    return f"waiting: waiting for another seg-convert run {into} (pid {pid})"


@pytest.mark.parametrize(
    ("first", "second"),
    [("-", "-"), ("-", "0/2"), ("0/2", "-"), ("1/3", "1/3")],
    ids=["run-run", "run-shard", "shard-run", "same-shard"],
)
def test_a_second_run_waits_for_the_first(
    state: Path, holders: list[Holder], first: str, second: str
) -> None:
    one = hold(holders, state, first)
    assert one.line() == "locked"
    two = hold(holders, state, second)
    assert two.line() == waiting(state, one.pid)
    assert two.is_silent()  # still waiting
    one.release()
    assert two.line() == "locked"
    two.release()


def test_an_unsharded_run_waits_for_every_running_shard(
    state: Path, holders: list[Holder]
) -> None:
    shards = [hold(holders, state, f"{k}/3") for k in range(3)]
    assert [shard.line() for shard in shards] == ["locked"] * 3  # all at once
    run = hold(holders, state)
    pids = ", ".join(f"pid {shard.pid}" for shard in shards)
    assert run.line() == (
        f"waiting: waiting for another seg-convert run into {state.parent} to "
        f"finish ({pids})"
    )
    for shard in shards[:2]:
        shard.release()
    assert run.is_silent()
    shards[2].release()
    assert run.line() == "locked"
    run.release()


def test_shards_with_the_same_options_run_together(
    state: Path, holders: list[Holder]
) -> None:
    one = hold(holders, state, "0/2")
    assert one.line() == "locked"
    waits: list[str] = []
    with acquire_output_lock(
        state, shard=Shard(1, 2), options_key="k", on_wait=waits.append
    ):
        assert waits == []
    one.release()


@pytest.mark.parametrize(
    ("shard", "key", "difference"),
    [
        (
            Shard(1, 2),
            "other",
            "with different options (run all shards with the same options)",
        ),
        (
            Shard(1, 4),
            "k",
            "as one of 2 shards, this one of 4 (run all shards with the same N)",
        ),
    ],
    ids=["options", "count"],
)
def test_a_shard_unlike_a_running_one_is_refused(
    state: Path, holders: list[Holder], shard: Shard, key: str, difference: str
) -> None:
    one = hold(holders, state, "0/2")
    assert one.line() == "locked"
    with pytest.raises(OutputError) as refused:
        acquire_output_lock(state, shard=shard, options_key=key, on_wait=None)
    assert str(refused.value) == (
        f"{state.parent}: another shard (shard 0/2, pid {one.pid}) is converting "
        f"into it {difference}"
    )
    one.release()
    # Refused, it holds nothing: the lock is free for all.
    with acquire_output_lock(state, shard=None, options_key="k", on_wait=None):
        pass


def test_a_killed_shards_record_is_not_trusted(
    state: Path, holders: list[Holder]
) -> None:
    """Its options stay in its lock file, but its lock went with it."""
    one = hold(holders, state, "0/2", key="old")
    assert one.line() == "locked"
    one.process.send_signal(signal.SIGKILL)
    one.release()
    assert "old" in (state / "lock-0-of-2").read_text()
    waits: list[str] = []
    with acquire_output_lock(
        state, shard=Shard(1, 2), options_key="new", on_wait=waits.append
    ):
        assert waits == []


def test_a_refused_shard_in_another_process_says_why(
    state: Path, holders: list[Holder]
) -> None:
    with acquire_output_lock(state, shard=Shard(0, 2), options_key="a", on_wait=None):
        other = hold(holders, state, "1/2", key="b")
        assert other.line().startswith(
            f"refused: {state.parent}: another shard (shard 0/2, pid {os.getpid()}) "
        )
        assert other.process.wait(TIMEOUT) == 2
    other.release()


def test_threads_of_one_process_wait_for_each_other(state: Path) -> None:
    """flock locks belong to open files, not processes: a second lock in the
    same process waits too (the tests above rely on no such thing)."""
    first = acquire_output_lock(state, shard=None, options_key="k", on_wait=None)
    told = threading.Event()
    locked = threading.Event()
    messages: list[str] = []

    def second() -> None:
        def on_wait(message: str) -> None:
            messages.append(message)
            told.set()

        with acquire_output_lock(state, shard=None, options_key="k", on_wait=on_wait):
            locked.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert told.wait(TIMEOUT)
    assert not locked.wait(0.2)
    first.release()
    thread.join(TIMEOUT)
    assert locked.is_set()
    assert messages == [waiting(state, os.getpid()).removeprefix("waiting: ")]


def test_the_lock_is_released_at_the_end_of_its_block(state: Path) -> None:
    for _ in range(3):
        with acquire_output_lock(state, shard=None, options_key="k", on_wait=None):
            pass


@pytest.mark.parametrize("name", ["lock", "lock-guard", "lock-0-of-2"])
def test_a_linked_lock_file_is_refused_and_its_target_untouched(
    state: Path, tmp_path: Path, name: str
) -> None:
    target = tmp_path / "precious"
    target.write_text("mine")
    (state / name).symlink_to(target)
    with pytest.raises(OutputError, match="is a symbolic link"):
        acquire_output_lock(state, shard=Shard(0, 2), options_key="k", on_wait=None)
    assert target.read_text() == "mine"


def test_a_linked_state_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".seg-convert").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="is a symbolic link"):
        acquire_output_lock(
            tmp_path / "out" / ".seg-convert", shard=None, options_key="k", on_wait=None
        )
    assert not any(elsewhere.iterdir())


def test_a_lock_that_is_not_a_file_is_refused(state: Path) -> None:
    os.mkfifo(state / "lock")
    with pytest.raises(OutputError, match="lock: is not a file of its own"):
        acquire_output_lock(state, shard=None, options_key="k", on_wait=None)


def test_a_hard_linked_lock_file_is_refused_and_left_alone(
    state: Path, tmp_path: Path
) -> None:
    target = tmp_path / "precious"
    target.write_text("mine")
    os.link(target, state / "lock")
    with pytest.raises(OutputError, match="lock: is not a file of its own"):
        acquire_output_lock(state, shard=None, options_key="k", on_wait=None)
    assert target.read_text() == "mine"


# The sweep of temporary files.


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid


def test_temporary_names_say_which_run_wrote_them(tmp_path: Path) -> None:
    name = temporary_name(tmp_path / "a.png").name
    assert name.startswith(".a.png.") and name.endswith(f"-{os.getpid()}.tmp")


def test_the_sweep_keeps_live_runs_files_and_removes_dead_ones(tmp_path: Path) -> None:
    root = tmp_path / "out"
    (root / "JPEGImages").mkdir(parents=True)
    live = temporary_name(root / "JPEGImages" / "a.jpg")
    dead = live.with_name(live.name.replace(f"-{os.getpid()}.", f"-{_dead_pid()}."))
    other_host = live.with_name(".b.jpg.0123abcd-1.tmp")  # not this host's tag
    old_style = live.with_name(f".c.jpg.{_dead_pid()}.tmp")  # older seg-convert's
    output = root / "JPEGImages" / "a.jpg"
    for path in (live, dead, other_host, old_style, output):
        path.write_bytes(b"x")
    sweep_temporary_files(root, all_runs=False)
    assert sorted(p.name for p in (root / "JPEGImages").iterdir()) == sorted(
        p.name for p in (live, other_host, old_style, output)
    )
    sweep_temporary_files(root, all_runs=True)
    assert [p.name for p in (root / "JPEGImages").iterdir()] == ["a.jpg"]


def test_the_sweep_follows_no_link(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    outside = elsewhere / f".x.png.{_dead_pid()}.tmp"
    outside.write_bytes(b"x")
    (root / "linked-folder").symlink_to(elsewhere)
    (root / ".y.png.00000000-1.tmp").symlink_to(outside)
    sweep_temporary_files(root, all_runs=True)
    assert outside.exists()
    assert (root / ".y.png.00000000-1.tmp").is_symlink()


def test_a_file_written_atomically_leaves_no_temporary_file(tmp_path: Path) -> None:
    write_atomically(tmp_path / "a.bin", b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]
