"""The output directory's state as a policy: what a run converts, keeps and
removes, and that nothing a state file says can reach outside OUTPUT_DIR.

These call OutputState directly, with hand-made inputs and results; the CLI tests
at the end show the same through the command."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from seg_convert.cli import cli
from seg_convert.core.errors import OutputError, SegConvertError
from seg_convert.core.fingerprints import Fingerprint, fingerprint
from seg_convert.core.inputs import STATE_DIR, Input
from seg_convert.core.interfaces import named_by_stem
from seg_convert.core.sample import FileResult
from seg_convert.core.shards import Shard
from seg_convert.io.confined import MAX_READ_BYTES, remove
from seg_convert.run.output_dir import prepare_folders, prepare_state_dir
from seg_convert.run.output_state import OutputState
from seg_convert.run.state_records import check_relative
from seg_convert.sources.labelme.source import LabelmeSource
from tests.conftest import WriteAnnotation, shape
from tests.helpers import hang_guard

KEY = "k1"


def labelme_print(item: Input, image: Path | None) -> Fingerprint | None:
    """How a labelme file looks now, as the labelme source says."""
    return LabelmeSource(item.source.parent).fingerprint(item, image)


FOLDERS = frozenset({"a", "x", "y"})  # the test's "dataset folders"


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    return source, out


def make_input(source: Path, stem: str) -> Input:
    path = source / f"{stem}.json"
    path.write_text("{}")
    return Input(path, stem)


def converted(out: Path, item: Input, names: tuple[str, ...] = ("a",)) -> FileResult:
    """A result as a worker returns it, with its files written."""
    outputs = []
    for name in names:
        path = out / name / f"{item.stem}.out"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.stem)
        outputs.append(path)
    return FileResult(
        source=item.source,
        stem=item.stem,
        outputs=tuple(outputs),
        fingerprint=fingerprint(item.source, None),
    )


def open_state(
    out: Path, key: str = KEY, *, shard: Shard | None = None, force: bool = False
) -> OutputState:
    prepare_state_dir(out)
    return OutputState.open(
        out,
        key=key,
        shard=shard,
        force=force,
        folders=FOLDERS,
        owns=named_by_stem(FOLDERS),
    )


def run_once(
    source: Path,
    out: Path,
    stems: list[str],
    key: str = KEY,
    *,
    names: tuple[str, ...] = ("a",),
    **kw: Any,
) -> OutputState:
    """One whole run: plan, convert what the plan says, record, save."""
    state = open_state(out, key, **kw)
    inputs = [
        Input(source / f"{s}.json", s)
        if (source / f"{s}.json").exists()
        else make_input(source, s)
        for s in stems
    ]
    plan = state.plan(inputs, input_dir=source, current=labelme_print)
    for item in plan.todo:
        state.record(converted(out, item, names), input_dir=source)
    state.save()
    return state


def manifest(out: Path, name: str = "manifest.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / STATE_DIR / name).read_text())
    return data


def write_manifest(out: Path, data: object, name: str = "manifest.json") -> None:
    (out / STATE_DIR / name).write_text(json.dumps(data))


# --- the plan ------------------------------------------------------------


def test_unchanged_inputs_are_kept_and_changed_ones_redone(
    dirs: tuple[Path, Path],
) -> None:
    source, out = dirs
    run_once(source, out, ["a", "b"])
    (source / "b.json").write_text('{"changed": 1}')
    state = open_state(out)
    plan = state.plan(
        [Input(source / "a.json", "a"), Input(source / "b.json", "b")],
        input_dir=source,
        current=labelme_print,
    )
    assert [item.stem for item in plan.todo] == ["b"]
    assert [item.stem for item in plan.unchanged] == ["a"]


def test_a_sample_missing_an_output_file_is_converted_again(
    dirs: tuple[Path, Path],
) -> None:
    source, out = dirs
    run_once(source, out, ["a", "b"], names=("x", "y"))
    (out / "y" / "b.out").unlink()
    plan = open_state(out).plan(
        [Input(source / "a.json", "a"), Input(source / "b.json", "b")],
        input_dir=source,
        current=labelme_print,
    )
    assert [item.stem for item in plan.todo] == ["b"]


def test_outputs_of_deleted_inputs_are_removed(dirs: tuple[Path, Path]) -> None:
    source, out = dirs
    run_once(source, out, ["a", "b"])
    (source / "b.json").unlink()
    state = run_once(source, out, ["a"])
    assert sorted(state.entries) == ["a"]
    assert not (out / "a" / "b.out").exists()
    assert (out / "a" / "a.out").exists()


def test_another_key_removes_every_sample(dirs: tuple[Path, Path]) -> None:
    source, out = dirs
    run_once(source, out, ["a", "b"])
    state = open_state(out, "k2")
    assert state.entries == {}
    assert not (out / "a").exists()  # the empty folder went too


def test_a_failed_result_removes_the_old_outputs(dirs: tuple[Path, Path]) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    state = open_state(out)
    item = Input(source / "a.json", "a")
    failed = FileResult(source=item.source, stem="a", error=SegConvertError("a", "x"))
    assert state.record(failed, input_dir=source) is failed
    assert not (out / "a" / "a.out").exists() and state.entries == {}


def test_the_fingerprint_recorded_is_the_one_taken_before_reading(
    dirs: tuple[Path, Path],
) -> None:
    """A JSON edited while its sample was in flight is redone by the next run."""
    source, out = dirs
    state = open_state(out)
    item = make_input(source, "a")
    result = converted(out, item)  # fingerprint taken "before reading"
    item.source.write_text('{"edited": "meanwhile"}')
    state.record(result, input_dir=source)
    state.save()
    plan = open_state(out).plan([item], input_dir=source, current=labelme_print)
    assert plan.todo == (item,)


def test_an_input_deleted_in_flight_loses_its_outputs(
    dirs: tuple[Path, Path],
) -> None:
    source, out = dirs
    state = open_state(out)
    item = make_input(source, "a")
    result = converted(out, item)
    item.source.unlink()
    recorded = state.record(result, input_dir=source)
    assert not recorded.ok
    assert "deleted or moved while it was being converted" in str(recorded.error)
    assert not (out / "a" / "a.out").exists() and state.entries == {}


def test_force_removes_what_the_state_proves_ours_and_nothing_else(
    dirs: tuple[Path, Path],
) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    (out / "a" / "user-file.txt").write_text("mine")
    state = open_state(out, force=True)
    assert state.entries == {}
    assert not (out / "a" / "a.out").exists()
    assert (out / "a" / "user-file.txt").read_text() == "mine"


def test_a_second_identical_save_writes_nothing(dirs: tuple[Path, Path]) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    path = out / STATE_DIR / "manifest.json"
    os.utime(path, ns=(0, 0))
    run_once(source, out, ["a"])
    assert path.stat().st_mtime_ns == 0


# --- shards --------------------------------------------------------------


def stems_of(shard: Shard, count: int = 40) -> list[str]:
    return [f"s{i}" for i in range(count) if shard.holds(f"s{i}")]


def test_a_plain_run_after_shards_finds_every_sample_up_to_date(
    dirs: tuple[Path, Path],
) -> None:
    source, out = dirs
    shards = [Shard(0, 2), Shard(1, 2)]
    for shard in shards:
        run_once(source, out, stems_of(shard), shard=shard)
    everything = sorted(stems_of(shards[0]) + stems_of(shards[1]))
    state = open_state(out)
    inputs = [Input(source / f"{s}.json", s) for s in everything]
    assert state.plan(inputs, input_dir=source, current=labelme_print).todo == ()
    state.save()
    assert sorted(manifest(out)["entries"]) == everything
    assert sorted(p.name for p in (out / STATE_DIR).iterdir()) == ["manifest.json"]
    # ... and a shard after that takes its samples from the folded manifest.
    shard_state = open_state(out, shard=shards[1])
    assert sorted(shard_state.entries) == sorted(stems_of(shards[1]))


# --- confinement: nothing a state file says leaves OUTPUT_DIR -------------


OUTSIDE = ["../victim.txt", "/abs/victim.txt", "a/../../victim.txt", "", ".", "a//b"]


@pytest.mark.parametrize("path", OUTSIDE)
def test_paths_that_leave_the_root_are_refused(path: str) -> None:
    with pytest.raises(ValueError):
        check_relative(path)


@pytest.mark.parametrize("bad", [None, 3, ["a"], "a\0b"])
def test_paths_that_are_not_names_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        check_relative(bad)


def forge(out: Path, outputs: list[object], *, where: str = "manifest") -> None:
    """Make the state name ``outputs`` for sample a."""
    item = {
        "source": "a.json",
        "image": None,
        "json_file": [2, 0],
        "image_file": None,
        "outputs": outputs,
    }
    if where == "manifest":
        write_manifest(out, {"version": 1, "options_key": KEY, "entries": {"a": item}})
    else:
        with open(out / STATE_DIR / "journal.jsonl", "a") as journal:
            journal.write(json.dumps({"stem": "a", **item}) + "\n")


@pytest.mark.parametrize("where", ["manifest", "journal"])
@pytest.mark.parametrize("how", ["relative", "absolute"])
@pytest.mark.parametrize("force", [False, True], ids=["rerun", "force"])
def test_a_forged_state_never_deletes_outside(
    dirs: tuple[Path, Path], tmp_path: Path, where: str, how: str, force: bool
) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = "../victim.txt" if how == "relative" else str(victim)
    forge(out, [target], where=where)
    if not force:
        with pytest.raises(OutputError, match=f"unreadable seg-convert {where}"):
            open_state(out, "other-key")
    else:  # --force starts over, removing only what the state proves ours
        run_once(source, out, ["b"], "other-key", force=force)
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("force", [False, True], ids=["rerun", "force"])
def test_only_an_unfinished_last_journal_line_is_passed_over(
    dirs: tuple[Path, Path], force: bool
) -> None:
    """What a killed run was writing is no record; a bad line before it is."""
    source, out = dirs
    run_once(source, out, ["a"])
    journal = out / STATE_DIR / "journal.jsonl"
    with journal.open("a") as stream:
        stream.write('{"stem": "b", "outp')  # the run was killed here
    open_state(out)  # no error: the unfinished line is not a record
    with journal.open("a") as stream:
        stream.write("\n" + json.dumps({"stem": "c"}) + "\n")
    if force:
        assert sorted(run_once(source, out, ["a"], force=True).entries) == ["a"]
    else:
        with pytest.raises(OutputError, match="journal \\(line 1: "):
            open_state(out)


def test_removal_never_follows_a_folder_link(dirs: tuple[Path, Path]) -> None:
    source, out = dirs
    run_once(source, out, ["x"])
    elsewhere = out.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.out").write_text("precious")
    (out / "a" / "x.out").unlink()
    (out / "a").rmdir()
    (out / "a").symlink_to(elsewhere)
    remove(out / "a" / "x.out", root=out)
    open_state(out, "other-key")  # removes sample x's outputs
    assert (elsewhere / "x.out").read_text() == "precious"


def test_a_linked_dataset_folder_is_refused(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "JPEGImages").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="is a symbolic link"):
        prepare_folders(out, ["JPEGImages", "ImageSets/Segmentation"])


def test_a_linked_state_folder_is_refused(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / STATE_DIR).symlink_to(elsewhere)
    with pytest.raises(OutputError, match="is a symbolic link"):
        prepare_state_dir(out)


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"version": 1},
        {"version": 1, "options_key": KEY, "entries": []},
        {"version": 1, "options_key": KEY, "entries": {"a": {"source": "a.json"}}},
        {"version": 1, "options_key": KEY, "entries": {"a": 7}},
        {"version": 99, "options_key": KEY, "entries": {}},
    ],
    ids=["list", "no-key", "entries-list", "entry-missing", "entry-number", "version"],
)
def test_a_manifest_of_the_wrong_shape_is_a_clean_error_and_force_works(
    dirs: tuple[Path, Path], data: object
) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    write_manifest(out, data)
    with pytest.raises(OutputError, match="unreadable seg-convert manifest"):
        open_state(out)
    state = run_once(source, out, ["a"], force=True)
    assert sorted(state.entries) == ["a"]


@pytest.mark.parametrize("name", ["manifest.json", "journal.jsonl"])
def test_a_pipe_planted_as_a_state_file_is_an_error_and_force_gets_past(
    dirs: tuple[Path, Path], name: str
) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    path = out / STATE_DIR / name
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    what = name.partition(".")[0]
    with hang_guard():
        with pytest.raises(OutputError, match=f"unreadable seg-convert {what} \\(not"):
            open_state(out)
        state = run_once(source, out, ["a"], force=True)
    assert sorted(state.entries) == ["a"]
    assert sorted(p.name for p in (out / STATE_DIR).iterdir()) == ["manifest.json"]


def test_a_huge_state_file_is_refused_unread(dirs: tuple[Path, Path]) -> None:
    """A sparse manifest past the cap: an error from its size, no MemoryError."""
    source, out = dirs
    run_once(source, out, ["a"])
    with (out / STATE_DIR / "manifest.json").open("r+b") as stream:
        stream.truncate(MAX_READ_BYTES + 1)
    with pytest.raises(OutputError, match="larger than 1073741824 bytes"):
        open_state(out)


# --- through the command ---------------------------------------------------


def convert(source: Path, out: Path, labels: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["labelme2voc", str(source), str(out), "--labels", str(labels), *args]
    )


@pytest.fixture
def converted_dir(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> Path:
    for name in "ab":
        write_annotation(name, [shape("cat", [[2, 2], [40, 5], [20, 30]])])
    out = tmp_path / "out"
    assert convert(tmp_path / "in", out, labels_file).exit_code == 0
    return out


@pytest.mark.parametrize(
    "args", [[], ["--force"], ["--layout", "voc"]], ids=["rerun", "force", "options"]
)
def test_a_tampered_manifest_never_deletes_outside(
    converted_dir: Path, tmp_path: Path, labels_file: Path, args: list[str]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    data = manifest(converted_dir)
    data["entries"]["a"]["outputs"].append("../victim.txt")
    (tmp_path / "in" / "a.json").unlink()  # the run would remove a's outputs
    write_manifest(converted_dir, data)
    result = convert(tmp_path / "in", converted_dir, labels_file, *args)
    assert victim.read_text() == "precious"
    if args == ["--force"]:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2
        assert "unreadable seg-convert manifest" in result.stderr
        assert "leaves the output directory" in result.stderr


def test_a_linked_dataset_folder_is_refused_by_the_command(
    converted_dir: Path, tmp_path: Path, labels_file: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (converted_dir / "JPEGImages").rename(elsewhere)
    (converted_dir / "JPEGImages").symlink_to(elsewhere)
    before = sorted(p.name for p in elsewhere.iterdir())
    result = convert(tmp_path / "in", converted_dir, labels_file, "--force")
    assert result.exit_code == 2
    assert "JPEGImages: is a symbolic link" in result.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == before


def test_a_no_op_rerun_touches_no_file(
    converted_dir: Path, tmp_path: Path, labels_file: Path
) -> None:
    # Lock files record who holds them; every other file must stay untouched.
    files = [
        p for p in converted_dir.rglob("*") if p.is_file() and "lock" not in p.name
    ]
    for path in files:
        os.utime(path, ns=(0, 0))
    assert convert(tmp_path / "in", converted_dir, labels_file).exit_code == 0
    touched = [p for p in files if p.stat().st_mtime_ns != 0]
    assert touched == []
    after = [
        p for p in converted_dir.rglob("*") if p.is_file() and "lock" not in p.name
    ]
    assert sorted(after) == sorted(files)


def in_flight(monkeypatch: pytest.MonkeyPatch, stem: str, act: Any) -> None:
    """Do ``act(json_path)`` while sample ``stem`` is being converted (after
    its files were read, before its outputs are recorded)."""
    from seg_convert.sources.labelme import source

    real = source.rasterize

    def rasterize(shapes: Any, ids: Any, **kwargs: Any) -> Any:
        arrays = real(shapes, ids, **kwargs)
        if shapes and shapes[0].label == stem:
            act()
        return arrays

    monkeypatch.setattr(source, "rasterize", rasterize)


def bump_mtime(path: Path) -> None:
    """A second later, as an editor saving within the clock's resolution
    could not be told apart."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def relabel_as_dog(json_path: Path) -> None:
    """Relabel the cat as a dog, as an editor saving would."""
    data = json.loads(json_path.read_text())
    data["shapes"] = [shape("dog", [[2, 2], [40, 5], [20, 30]])]
    json_path.write_text(json.dumps(data))
    bump_mtime(json_path)


def repaint_image(json_path: Path) -> None:
    """Save other pixels over the image beside the JSON."""
    image = json_path.with_suffix(".jpg")
    Image.new("RGB", (64, 48), (200, 30, 90)).save(image)
    bump_mtime(image)


# Workers see the patched rasterize only when they are forked from this process.
needs_fork = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the in-flight edit is patched into this process; workers not forked "
    "from it (spawn, forkserver) would not make it",
)


@pytest.mark.parametrize(
    ("edit", "jobs"),
    [
        (relabel_as_dog, "1"),
        (repaint_image, "1"),
        pytest.param(relabel_as_dog, "2", marks=needs_fork),
        pytest.param(repaint_image, "2", marks=needs_fork),
    ],
    ids=["json-jobs-1", "image-jobs-1", "json-jobs-2", "image-jobs-2"],
)
def test_an_input_edited_in_flight_is_redone_by_the_next_run(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    labels_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: Callable[[Path], None],
    jobs: str,
) -> None:
    cat = write_annotation("a", [shape("cat", [[2, 2], [40, 5], [20, 30]])])
    write_annotation("b", [shape("dog", [[2, 2], [40, 5], [20, 30]])])
    in_flight(monkeypatch, "cat", lambda: edit(cat))
    out = tmp_path / "out"
    assert convert(tmp_path / "in", out, labels_file, "-j", jobs).exit_code == 0
    written = {p.name: p.read_bytes() for p in out.rglob("a.*")}
    monkeypatch.undo()
    report = tmp_path / "r.json"
    result = convert(tmp_path / "in", out, labels_file, "--report", str(report))
    assert result.exit_code == 0
    files = {f["stem"]: f["status"] for f in json.loads(report.read_text())["files"]}
    assert files == {"a": "converted", "b": "skipped"}
    assert {p.name: p.read_bytes() for p in out.rglob("a.*")} != written


def test_an_input_deleted_in_flight_leaves_no_orphan(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    labels_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cat = write_annotation("a", [shape("cat", [[2, 2], [40, 5], [20, 30]])])
    write_annotation("b", [shape("dog", [[2, 2], [40, 5], [20, 30]])])
    in_flight(monkeypatch, "cat", cat.unlink)
    out = tmp_path / "out"
    result = convert(tmp_path / "in", out, labels_file, "-j", "1")
    assert result.exit_code == 1
    assert f"{cat}: was deleted or moved while it was being converted" in result.stderr
    assert sorted(p.name for p in out.rglob("a.*")) == []
    assert "a" not in manifest(out)["entries"]
    trainval = (out / "ImageSets" / "Segmentation" / "trainval.txt").read_text()
    assert trainval == "b\n"


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    """A small file system of our own that the test can make read-only."""
    import shutil
    import subprocess

    mount = tmp_path / "mnt"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("making a read-only file system needs root and mount(8)")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)],
        capture_output=True,
    )
    if made.returncode != 0:
        pytest.skip(f"mount refused here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_an_output_on_a_read_only_file_system_is_a_usage_error(
    write_annotation: WriteAnnotation,
    read_only_mount: Path,
    tmp_path: Path,
    labels_file: Path,
) -> None:
    import subprocess

    write_annotation("a", [shape("cat", [[2, 2], [40, 5], [20, 30]])])
    out = read_only_mount / "out"
    assert convert(tmp_path / "in", out, labels_file).exit_code == 0
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_mount)], check=True)
    for target in (out, read_only_mount / "new"):
        result = convert(tmp_path / "in", target, labels_file)
        assert result.exit_code == 2, result.output
        last = result.stderr.splitlines()[-1]
        assert last.startswith(f"{target}") and "Read-only file system" in last


# --- what a hostile review found -----------------------------------------


@pytest.mark.parametrize(
    "forged",
    ["keep.txt", ".seg-convert/lock", "a/keep.txt", "elsewhere/a.out", "a/a"],
    ids=["root-file", "lock", "other-name", "other-folder", "no-suffix"],
)
def test_a_record_may_name_only_its_samples_files_in_dataset_folders(
    dirs: tuple[Path, Path], forged: str
) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    (out / "a" / "keep.txt").write_text("mine")
    (out / "keep.txt").write_text("mine")
    (out / "elsewhere").mkdir()
    (out / "elsewhere" / "a.out").write_text("mine")
    data = manifest(out)
    data["entries"]["a"]["outputs"].append(forged)
    write_manifest(out, data)
    with pytest.raises(OutputError, match="not a file of this sample"):
        open_state(out)
    run_once(source, out, ["a"], force=True)  # proves nothing of the forged file
    for kept in ("keep.txt", "a/keep.txt", "elsewhere/a.out"):
        assert (out / kept).read_text() == "mine"


def test_a_no_op_run_leaves_folders_of_its_own_alone(dirs: tuple[Path, Path]) -> None:
    """Only the writers' folders are removed when empty: not a user's empty
    folder, nor the empty folders of a git repository kept in OUTPUT_DIR."""
    source, out = dirs
    run_once(source, out, ["a"])
    for folder in ("userdir/empty", ".git/refs/tags"):
        (out / folder).mkdir(parents=True)
    run_once(source, out, ["a"])
    assert (out / "userdir" / "empty").is_dir()
    assert (out / ".git" / "refs" / "tags").is_dir()


@pytest.mark.parametrize(
    "content",
    ["[" * 100_000, '{"version": 1, "options_key": "k1", "entries": ' + "[" * 100_000],
    ids=["list", "entries"],
)
def test_a_deeply_nested_manifest_is_unreadable_and_force_starts_over(
    dirs: tuple[Path, Path], content: str
) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    (out / STATE_DIR / "manifest.json").write_text(content)
    with pytest.raises(OutputError, match="nested too deeply"):
        open_state(out)
    assert sorted(run_once(source, out, ["a"], force=True).entries) == ["a"]


def test_a_dangling_link_among_shard_manifests_is_a_clean_error(
    dirs: tuple[Path, Path],
) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    (out / STATE_DIR / "manifest-0-of-2.json").symlink_to(out / "nowhere")
    with pytest.raises(OutputError, match="unreadable seg-convert manifest"):
        open_state(out)
    assert sorted(run_once(source, out, ["a"], force=True).entries) == ["a"]


def test_a_journal_without_its_manifest_is_still_ours(dirs: tuple[Path, Path]) -> None:
    source, out = dirs
    run_once(source, out, ["a"])
    data = manifest(out)
    (out / STATE_DIR / "manifest.json").unlink()
    line = {"stem": "a", **data["entries"]["a"]}
    (out / STATE_DIR / "journal.jsonl").write_text(json.dumps(line) + "\n")
    prepare_state_dir(out)  # not refused as someone else's directory
    state = run_once(source, out, ["a"], force=True)
    assert sorted(state.entries) == ["a"] and sorted(manifest(out)["entries"]) == ["a"]


@pytest.mark.parametrize(
    "where",
    ["out/JPEGImages/a.jpg", "out/.seg-convert/lock", "out/report.json", "in/a.json"],
    ids=["sample-file", "lock", "in-output", "an-input"],
)
def test_a_report_path_that_would_destroy_something_is_refused(
    converted_dir: Path, tmp_path: Path, labels_file: Path, where: str
) -> None:
    report = tmp_path / where
    before = report.read_bytes() if report.exists() else None
    result = convert(
        tmp_path / "in", converted_dir, labels_file, "--report", str(report)
    )
    assert result.exit_code == 2
    assert "--report" in result.stderr
    assert (report.read_bytes() if report.exists() else None) == before


def test_a_report_may_replace_an_earlier_report(
    converted_dir: Path, tmp_path: Path, labels_file: Path
) -> None:
    report = tmp_path / "report.json"
    for _ in range(2):
        args = ("--report", str(report))
        assert (
            convert(tmp_path / "in", converted_dir, labels_file, *args).exit_code == 0
        )
    assert json.loads(report.read_text())["report_version"] == 1


def test_a_link_planted_in_place_of_an_output_is_replaced(
    converted_dir: Path, tmp_path: Path, labels_file: Path
) -> None:
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"not ours")
    planted = converted_dir / "JPEGImages" / "a.jpg"
    planted.unlink()
    planted.symlink_to(outside)
    assert convert(tmp_path / "in", converted_dir, labels_file).exit_code == 0
    assert not planted.is_symlink() and planted.read_bytes()[:2] == b"\xff\xd8"
    assert outside.read_bytes() == b"not ours"
