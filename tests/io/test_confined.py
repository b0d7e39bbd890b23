"""Files below the output directory are reached without following a link there,
and files read back never block: a dataset folder swapped for a link during a
run, or a named pipe planted in place of a file, fails that file with a clear
message instead of writing outside OUTPUT_DIR or waiting forever."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from seg_convert.cli import cli
from seg_convert.core.errors import OutputError
from seg_convert.formats.coco.json_writer import write_coco_json
from seg_convert.formats.coco.writer import CocoWriter
from seg_convert.io import atomic, dataset_files
from seg_convert.io.atomic import write_if_changed
from seg_convert.io.confined import read_regular, remove
from seg_convert.io.dataset_files import write_file_if_changed, write_files
from tests.conftest import WriteAnnotation, shape
from tests.helpers import hang_guard

PRECIOUS = b"precious, outside the output directory\n"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    for name in ("JPEGImages", "SegmentationClass", "annotations", "ImageSets/Main"):
        (folder / name).mkdir(parents=True)
    return folder


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder outside the output directory, holding a file the links aim at."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    for name in ("a.jpg", "a.png", "train.txt", "instances_train.json"):
        (folder / name).write_bytes(PRECIOUS)
    return folder


def swap_for_link(folder: Path, target: Path) -> None:
    """What an attacker who can write in OUTPUT_DIR does during a run."""
    folder.rename(folder.with_name(f"{folder.name}-moved"))
    folder.symlink_to(target, target_is_directory=True)


def untouched(folder: Path) -> bool:
    return all(path.read_bytes() == PRECIOUS for path in folder.iterdir()) and sorted(
        path.name for path in folder.iterdir()
    ) == ["a.jpg", "a.png", "instances_train.json", "train.txt"]


def write_coco(path: Path, root: Path) -> None:
    write_coco_json(
        path, root=root, info={}, licenses=[], images=[], annotations=[], categories=[]
    )


def sample_files(out: Path) -> list[tuple[Path, atomic.Content]]:
    return [
        (out / "JPEGImages/a.jpg", b"new"),
        (out / "SegmentationClass/a.png", b"new"),
    ]


def write_sample(path: Path, root: Path) -> None:
    write_files([(path, b"new")], root=root)


def write_dataset_file(path: Path, root: Path) -> None:
    write_file_if_changed(path, b"new", root=root)


@pytest.mark.parametrize(
    ("write", "name", "linked"),
    [
        (write_sample, "JPEGImages/a.jpg", "JPEGImages"),
        (write_dataset_file, "ImageSets/Main/train.txt", "ImageSets"),
        (write_dataset_file, "ImageSets/Main/train.txt", "ImageSets/Main"),
        (write_coco, "annotations/instances_train.json", "annotations"),
    ],
    ids=["sample", "dataset-file", "dataset-file-inner-folder", "coco-json"],
)
def test_a_folder_that_became_a_link_fails_the_file_and_writes_nothing_outside(
    out: Path,
    elsewhere: Path,
    write: Callable[[Path, Path], None],
    name: str,
    linked: str,
) -> None:
    """The folders were checked when the run started; this is what a writer
    finds when one was swapped for a link since."""
    swap_for_link(out / linked, elsewhere)
    with pytest.raises(OutputError) as raised:
        write(out / name, out)
    assert str(raised.value) == (
        f"{out / name}: cannot write: {linked} is a symbolic link "
        "(seg-convert follows no link inside the output directory; remove it)"
    )
    assert untouched(elsewhere)


def test_a_folder_swapped_for_a_link_mid_sample_leaves_no_file_anywhere(
    out: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = dataset_files.write_atomically

    def write_then_swap(path: Path, data: bytes, *, root: Path) -> None:
        real_write(path, data, root=root)
        if path.name == "a.jpg":  # the sample's first file is in place
            swap_for_link(out / "SegmentationClass", elsewhere)

    monkeypatch.setattr(dataset_files, "write_atomically", write_then_swap)
    files = [
        (out / "JPEGImages/a.jpg", b"new"),
        (out / "SegmentationClass/a.png", b"new"),
    ]
    with pytest.raises(OutputError, match="SegmentationClass is a symbolic link"):
        write_files(files, root=out)
    assert untouched(elsewhere)
    assert list((out / "JPEGImages").iterdir()) == []  # whole or not at all


def test_removing_a_half_written_sample_never_follows_a_swapped_folder(
    out: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = dataset_files.write_atomically

    def swap_then_fill_the_disk(path: Path, data: bytes, *, root: Path) -> None:
        if path.name == "a.png":
            swap_for_link(out / "JPEGImages", elsewhere)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(path, data, root=root)

    monkeypatch.setattr(dataset_files, "write_atomically", swap_then_fill_the_disk)
    files = [
        (out / "JPEGImages/a.jpg", b"new"),
        (out / "SegmentationClass/a.png", b"new"),
    ]
    with pytest.raises(OutputError, match="a.png: cannot write: No space left"):
        write_files(files, root=out)
    assert untouched(elsewhere)  # elsewhere/a.jpg is not the a.jpg written


def test_the_output_directory_itself_may_be_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "JPEGImages").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    write_files([(link / "JPEGImages/a.jpg", b"new")], root=link)
    assert (real / "JPEGImages/a.jpg").read_bytes() == b"new"
    remove(link / "JPEGImages/a.jpg", root=link)
    assert list((real / "JPEGImages").iterdir()) == []


@pytest.mark.parametrize("relative", ["../x", "a/../../x", "."])
def test_a_path_that_leaves_the_root_is_refused(tmp_path: Path, relative: str) -> None:
    with pytest.raises(ValueError, match="is not a file below"):
        write_if_changed(tmp_path / "out" / relative, b"x", root=tmp_path / "out")


def test_a_planted_link_at_the_coco_temporary_name_is_not_written_through(
    out: Path, elsewhere: Path
) -> None:
    path = out / "annotations/instances_train.json"
    atomic.temporary_name(path).symlink_to(elsewhere / "instances_train.json")
    write_coco(path, out)
    assert untouched(elsewhere)
    assert path.read_bytes().startswith(b'{"info":{}')
    assert [p.name for p in path.parent.iterdir()] == [path.name]


# --- named pipes and sizes -----------------------------------------------------


def test_a_pipe_in_place_of_a_compared_file_is_replaced_not_waited_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "class_names.txt"
    os.mkfifo(path)
    with hang_guard():
        assert write_if_changed(path, b"cat\n")
    assert path.read_bytes() == b"cat\n"
    assert not write_if_changed(path, b"cat\n")  # the same bytes: kept


def test_a_pipe_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "state.json")
    with hang_guard(), pytest.raises(OSError, match="not a regular file"):
        read_regular(tmp_path / "state.json")


@pytest.mark.parametrize(
    ("size", "refused"), [(10, False), (11, True), (1 << 40, True)]
)
def test_reads_are_capped(tmp_path: Path, size: int, refused: bool) -> None:
    """A sparse file of a terabyte is refused from its size, never read."""
    path = tmp_path / "f"
    with path.open("wb") as stream:
        stream.truncate(size)
    if refused:
        with pytest.raises(OSError, match="larger than 10 bytes"):
            read_regular(path, limit=10)
    else:
        assert read_regular(path, limit=10) == bytes(10)


# --- through the commands --------------------------------------------------------


def run(command: str, source: Path, out: Path, labels: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, [command, str(source), str(out), "--labels", str(labels), *args]
    )


@pytest.fixture
def source(write_annotation: WriteAnnotation, tmp_path: Path) -> Path:
    for name in "ab":
        write_annotation(name, [shape("cat", [[2, 2], [40, 5], [20, 30]])])
    return tmp_path / "in"


def test_labelme2voc_never_writes_through_a_folder_swapped_mid_run(
    source: Path,
    tmp_path: Path,
    labels_file: Path,
    elsewhere: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "voc"
    real_write = dataset_files.write_atomically

    def write_then_swap(path: Path, data: bytes, *, root: Path) -> None:
        real_write(path, data, root=root)
        if path == out / "JPEGImages/a.jpg":
            swap_for_link(out / "SegmentationClass", elsewhere)

    monkeypatch.setattr(dataset_files, "write_atomically", write_then_swap)
    result = run("labelme2voc", source, out, labels_file, "--jobs", "1", "--noviz")
    assert result.exit_code == 1
    assert (
        f"{out}/SegmentationClass/a.npy: cannot write: SegmentationClass is a "
        "symbolic link" in result.stderr
    )
    assert untouched(elsewhere)
    assert not (out / "JPEGImages/a.jpg").exists()


def test_labelme2coco_assembly_never_writes_through_a_swapped_folder(
    source: Path,
    tmp_path: Path,
    labels_file: Path,
    elsewhere: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "coco"
    real = CocoWriter.write_dataset

    def swap_then_assemble(self: CocoWriter, root: Path, **kw: object) -> object:
        swap_for_link(root / "annotations", elsewhere)
        return real(self, root, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(CocoWriter, "write_dataset", swap_then_assemble)
    result = run("labelme2coco", source, out, labels_file, "--jobs", "1")
    assert result.exit_code == 2
    assert (
        f"{out}/annotations/instances_train.json: cannot write: annotations is a "
        "symbolic link" in result.stderr
    )
    assert untouched(elsewhere)


def test_labelme2coco_on_a_full_disk_says_which_file(
    source: Path, tmp_path: Path, labels_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "coco"
    real_create = atomic.create

    def create(name: str, *, dir_fd: int) -> object:
        stream = real_create(name, dir_fd=dir_fd)
        if name.startswith(".instances_"):
            stream.close()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return stream

    monkeypatch.setattr(atomic, "create", create)
    result = run("labelme2coco", source, out, labels_file, "--jobs", "1")
    assert result.exit_code == 2, result.output
    assert result.stderr == (  # one line, as every job-level error is
        f"{out}/annotations/instances_train.json: cannot write: No space "
        "left on device\n"
    )
    assert not list((out / "annotations").glob(".*.tmp"))


def test_a_pipe_planted_as_a_coco_part_is_replaced_not_waited_on(
    source: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "coco"
    assert run("labelme2coco", source, out, labels_file).exit_code == 0
    part = out / ".seg-convert/coco/a.json"
    part.unlink()
    os.mkfifo(part)
    with hang_guard():
        # A sample whose recorded file is not a regular file is converted again.
        result = run("labelme2coco", source, out, labels_file)
        assert result.exit_code == 0, result.output
        assert "converted 1 of 2 files" in result.stderr
    assert part.is_file()


def test_a_pipe_planted_as_a_coco_part_at_assembly_is_an_error_not_a_hang(
    source: Path, tmp_path: Path, labels_file: Path
) -> None:
    from seg_convert.formats.coco import writer as coco

    out = tmp_path / "coco"
    assert run("labelme2coco", source, out, labels_file).exit_code == 0
    part = out / ".seg-convert/coco/a.json"
    part.unlink()
    os.mkfifo(part)
    with hang_guard(), pytest.raises(OutputError, match="unreadable part of the COCO"):
        coco._read_part(out, "a")


def test_a_pipe_planted_as_a_dataset_file_is_replaced(
    source: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "voc"
    assert run("labelme2voc", source, out, labels_file).exit_code == 0
    (out / "class_names.txt").unlink()
    os.mkfifo(out / "class_names.txt")
    with hang_guard():
        assert run("labelme2voc", source, out, labels_file).exit_code == 0
    assert (out / "class_names.txt").read_text().startswith("_background_\n")
