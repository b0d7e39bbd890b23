"""Re-runs into an existing output: only what changed is done, and a killed run
is finished by the next one with output identical to an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.conftest import WriteAnnotation, gradient_image, no_font_warning
from tests.helpers import SHAPES, convert, finish_and_compare, signal_a_run, tree


def statuses(report: Path) -> dict[str, str]:
    return {f["stem"]: f["status"] for f in json.loads(report.read_text())["files"]}


@pytest.fixture
def folder(write_annotation: WriteAnnotation, tmp_path: Path) -> Path:
    for name in "abcde":
        write_annotation(name, SHAPES)
    return tmp_path / "in"


def test_second_run_does_nothing_and_says_so(
    folder: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    assert convert(folder, out, labels_file).exit_code == 0
    before = tree(out)
    report = tmp_path / "r.json"
    result = convert(folder, out, labels_file, report=report)
    assert result.exit_code == 0
    assert no_font_warning(result.stderr) == (
        f"converted 0 of 5 files into {out}, 5 unchanged since the last run\n"
    )
    assert set(statuses(report).values()) == {"skipped"}
    assert tree(out) == before


def test_editing_one_json_reconverts_exactly_that_one(
    folder: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    assert convert(folder, out, labels_file).exit_code == 0
    before = tree(out)
    document = json.loads((folder / "c.json").read_text())
    document["flags"] = {"reviewed": True}  # new bytes, same labels
    (folder / "c.json").write_text(json.dumps(document))
    report = tmp_path / "r.json"
    assert convert(folder, out, labels_file, report=report).exit_code == 0
    assert statuses(report) == {
        "a": "skipped",
        "b": "skipped",
        "c": "converted",
        "d": "skipped",
        "e": "skipped",
    }
    after = tree(out)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {".seg-convert/manifest.json"}  # c's new print; same outputs


@pytest.mark.parametrize("what", ["json", "image", "a-fresh-copy"])
def test_the_same_bytes_at_another_time_are_unchanged(
    folder: Path, tmp_path: Path, labels_file: Path, what: str
) -> None:
    """A fresh checkout, a copy or a CI artifact gives every file a new time:
    the content decides, so a sharded job finished elsewhere converts nothing."""
    out = tmp_path / "out"
    assert convert(folder, out, labels_file).exit_code == 0
    if what == "a-fresh-copy":
        copy = tmp_path / "copy"
        copy.mkdir()
        for path in folder.iterdir():
            (copy / path.name).write_bytes(path.read_bytes())
        folder.rename(tmp_path / "original")
        copy.rename(folder)
        touched = sorted(folder.iterdir())
    else:
        touched = [folder / ("c.json" if what == "json" else "c.jpg")]
    for path in touched:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    report = tmp_path / "r.json"
    assert convert(folder, out, labels_file, report=report).exit_code == 0
    assert set(statuses(report).values()) == {"skipped"}
    manifest = json.loads((out / ".seg-convert" / "manifest.json").read_text())
    recorded = manifest["entries"]["c"]["json_file" if what == "json" else "image_file"]
    now = (folder / ("c.json" if what == "json" else "c.jpg")).stat()
    assert recorded == [now.st_size, now.st_mtime_ns]  # the record follows


def test_the_same_size_with_other_bytes_is_changed(
    folder: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    assert convert(folder, out, labels_file).exit_code == 0
    image = folder / "c.jpg"
    data = bytearray(image.read_bytes())
    data[-3] ^= 0x01  # one bit of the scan: same size, other pixels
    stat = image.stat()
    image.write_bytes(bytes(data))
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    report = tmp_path / "r.json"
    assert convert(folder, out, labels_file, report=report).exit_code == 0
    assert statuses(report)["c"] == "converted"


def test_changed_image_deleted_input_and_new_failure(
    folder: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    assert convert(folder, out, labels_file).exit_code == 0
    gradient_image().rotate(180).save(folder / "a.jpg")
    (folder / "b.json").unlink()
    (folder / "c.json").write_text("{")
    report = tmp_path / "r.json"
    result = convert(folder, out, labels_file, report=report)
    assert result.exit_code == 1
    assert statuses(report) == {
        "a": "converted",
        "c": "failed",
        "d": "skipped",
        "e": "skipped",
    }
    assert not list(out.rglob("b.*")) and not list(out.rglob("c.*"))
    trainval = (out / "ImageSets" / "Segmentation" / "trainval.txt").read_text()
    assert trainval == "a\nd\ne\n"


@pytest.mark.parametrize(
    "options",
    [["--layout", "voc"], ["--instances"], ["--noviz"], ["--force"]],
    ids=["layout", "instances", "noviz", "force"],
)
def test_changed_options_redo_everything_as_a_clean_run(
    folder: Path, tmp_path: Path, labels_file: Path, options: list[str]
) -> None:
    out = tmp_path / "out"
    assert convert(folder, out, labels_file).exit_code == 0
    report = tmp_path / "r.json"
    assert convert(folder, out, labels_file, *options, report=report).exit_code == 0
    assert set(statuses(report).values()) == {"converted"}
    clean = tmp_path / "clean"
    assert convert(folder, clean, labels_file, *options).exit_code == 0
    assert tree(out) == tree(clean)


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("kill_after", [0, 3, 12, 25])
def test_killed_run_is_finished_by_the_next(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    labels_file: Path,
    jobs: str,
    kill_after: int,
) -> None:
    """SIGKILL a real run once ``kill_after`` samples are recorded."""
    process, _ = signal_a_run(
        write_annotation,
        tmp_path,
        labels_file,
        jobs,
        after=kill_after,
        send=lambda process: process.send_signal(signal.SIGKILL),
    )
    assert process.returncode == -signal.SIGKILL, "the run ended before the kill"
    finish_and_compare(tmp_path, labels_file, jobs)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly_and_the_next_run_finishes(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path, jobs: str
) -> None:
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it."""
    process, stderr = signal_a_run(
        write_annotation,
        tmp_path,
        labels_file,
        jobs,
        after=3,
        send=lambda process: os.killpg(process.pid, signal.SIGINT),
    )
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == (
        "seg-convert: interrupted; run the same command again to finish"
    )
    assert "Traceback" not in stderr
    assert not list((tmp_path / "out").rglob("*.tmp"))
    finish_and_compare(tmp_path, labels_file, jobs)
