"""The seg-convert command as a user runs it: exit codes, messages, output files."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from seg_convert import __version__
from seg_convert.cli import cli
from seg_convert.io import dataset_files
from seg_convert.sources.labelme.annotation import (
    WARNING_IMAGE_BESIDE,
    WARNING_NO_SHAPE_TYPE,
)
from tests.conftest import (
    REPO,
    WriteAnnotation,
    b64,
    no_font_warning,
    no_split_warning,
    png_bytes,
    shape,
)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def convert(tmp_path: Path, *args: str | Path) -> Result:
    """``seg-convert labelme2voc tmp_path/in tmp_path/out ARGS``."""
    return run("labelme2voc", tmp_path / "in", tmp_path / "out", *args)


@pytest.fixture
def three_files(write_annotation: WriteAnnotation, tmp_path: Path) -> Path:
    """Three good files: polygons on a JPEG, a circle on an embedded PNG, a gray PNG."""
    write_annotation(
        "a",
        [
            shape("cat", [[2, 2], [40, 5], [20, 30]]),
            shape("行人", [[5, 5], [9, 9]], "rectangle"),
        ],
    )
    write_annotation("b", [shape("dog", [[30, 20], [40, 30]], "circle")], embed=True)
    gray = Image.fromarray(
        np.arange(48 * 64, dtype=np.uint32).reshape(48, 64).astype(np.uint8)
    )
    write_annotation(
        "c",
        [shape("__ignore__", [[1, 1], [60, 40]], "rectangle")],
        image=gray,
        image_name="c.png",
    )
    return tmp_path / "in"


def test_converts_a_folder(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    result = convert(tmp_path, "--labels", labels_file)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert no_font_warning(result.stderr) == f"converted 3 of 3 files into {out}\n"
    for stem in "abc":
        with Image.open(out / "JPEGImages" / f"{stem}.jpg") as image:
            assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (64, 48))
        label = np.load(out / "SegmentationClass" / f"{stem}.npy")
        assert label.dtype == np.int32 and label.shape == (48, 64)
        with Image.open(out / "SegmentationClassPNG" / f"{stem}.png") as png:
            assert png.mode == "P"
            np.testing.assert_array_equal(
                np.asarray(png), np.where(label < 0, 255, label)
            )
        assert (out / "SegmentationClassVisualization" / f"{stem}.jpg").is_file()
    assert set(np.unique(np.load(out / "SegmentationClass" / "a.npy"))) == {0, 1, 3}
    assert set(np.unique(np.load(out / "SegmentationClass" / "b.npy"))) == {0, 2}
    assert set(np.unique(np.load(out / "SegmentationClass" / "c.npy"))) == {0, -1}
    assert (out / "class_names.txt").read_text(
        "utf-8"
    ) == "_background_\ncat\ndog\n行人\n"


def test_noviz_writes_no_visualizations(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    result = convert(tmp_path, "--labels", labels_file, "--noviz")
    assert result.exit_code == 0, result.output
    assert not (out / "SegmentationClassVisualization").exists()
    assert len(list((out / "SegmentationClass").iterdir())) == 3


def test_labels_as_comma_separated_text(three_files: Path, tmp_path: Path) -> None:
    result = convert(
        tmp_path,
        "--labels",
        "__ignore__,_background_,cat,dog,行人",
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "not valid JSON: Expecting value (line 1 column 1)"),
        ("[]", "a labelme file is a JSON object, got a list"),
    ],
    ids=["not-json", "list"],
)
def test_a_bad_file_fails_alone(
    three_files: Path, tmp_path: Path, labels_file: Path, content: str, expected: str
) -> None:
    bad = tmp_path / "in" / "bad.json"
    bad.write_text(content)
    out = tmp_path / "out"
    result = convert(tmp_path, "--labels", labels_file)
    assert result.exit_code == 1
    assert no_font_warning(result.stderr) == (
        f"{bad}: {expected}\nconverted 3 of 4 files into {out}, 1 failed\n"
    )
    assert "Traceback" not in result.output
    assert not list(out.rglob("bad.*"))
    assert len(list((out / "SegmentationClass").iterdir())) == 3


def test_unknown_label_names_file_shape_and_label(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    path = write_annotation(
        "x", [shape("cat", [[1, 1], [5, 5]], "line"), shape("cow", [[3, 3]], "point")]
    )
    result = convert(tmp_path, "--labels", labels_file)
    assert result.exit_code == 1
    assert no_font_warning(result.stderr).splitlines()[0] == (
        f"{path}: shapes[1] (label 'cow'): label is not in the labels file "
        "(add it there, or fix the annotation)"
    )


def test_missing_image_is_one_line(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    path = write_annotation("x", [])
    (tmp_path / "in" / "x.jpg").unlink()
    result = convert(tmp_path, "--labels", labels_file)
    assert result.exit_code == 1
    assert no_font_warning(result.stderr).splitlines()[0] == (
        f"{path}: image {tmp_path / 'in' / 'x.jpg'} not found"
    )


def test_write_failure_leaves_no_partial_sample(
    three_files: Path,
    tmp_path: Path,
    labels_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_write = dataset_files.write_atomically

    def disk_full_for_b(path: Path, data: bytes, *, root: Path) -> None:
        if path.stem == "b" and path.suffix == ".png":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_write(path, data, root=root)

    monkeypatch.setattr(dataset_files, "write_atomically", disk_full_for_b)
    out = tmp_path / "out"
    result = convert(tmp_path, "--labels", labels_file, "--jobs", "1")
    assert result.exit_code == 1
    png = out / "SegmentationClassPNG" / "b.png"
    assert (
        no_font_warning(result.stderr).splitlines()[0]
        == f"{png}: cannot write: No space left on device"
    )
    assert not list(out.rglob("b.*"))
    assert not list(out.rglob(".*.tmp"))
    assert (out / "SegmentationClass" / "c.npy").is_file()


@pytest.mark.parametrize(
    ("labels_text", "message"),
    [
        (
            "cat\n_background_\n",
            "line 1 is 'cat', must be __ignore__ (the ignore id -1)",
        ),
        (
            "__ignore__\n_background_\ncat\ncat\n",
            "line 4 repeats 'cat' from line 3; each class must appear once",
        ),
    ],
    ids=["no-ignore", "duplicate"],
)
def test_bad_labels_file_is_a_usage_error(
    three_files: Path, tmp_path: Path, labels_text: str, message: str
) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text(labels_text)
    result = convert(tmp_path, "--labels", labels)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_class_names_txt_a_run_wrote_is_its_labels(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    assert convert(tmp_path, "--labels", labels_file).exit_code == 0
    class_names = tmp_path / "class_names.txt"
    shutil.copy(tmp_path / "out" / "class_names.txt", class_names)
    assert class_names.read_text().startswith("_background_\n")
    result = run(
        "labelme2voc", tmp_path / "in", tmp_path / "again", "--labels", class_names
    )
    assert result.exit_code == 0, result.stderr
    classes = "SegmentationClass/a.npy"
    assert (tmp_path / "again" / classes).read_bytes() == (
        tmp_path / "out" / classes
    ).read_bytes()


def test_missing_labels_option_is_a_usage_error(
    three_files: Path, tmp_path: Path
) -> None:
    result = convert(tmp_path)
    assert result.exit_code == 2
    assert "Missing option '--labels'" in result.stderr


def test_non_empty_output_is_refused_and_left_alone(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = convert(tmp_path, "--labels", labels_file)
    assert result.exit_code == 2
    assert (
        f"{out}: is not empty and was not written by seg-convert (choose a new "
        "output directory, or remove this one)"
    ) in result.stderr
    assert [p.name for p in out.iterdir()] == ["precious.txt"]


def test_empty_output_directory_is_used(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    (tmp_path / "out").mkdir()
    result = convert(tmp_path, "--labels", labels_file)
    assert result.exit_code == 0, result.output


def test_input_without_json_is_a_usage_error(tmp_path: Path, labels_file: Path) -> None:
    (tmp_path / "in").mkdir()
    result = convert(tmp_path, "--labels", labels_file)
    assert result.exit_code == 2
    assert "no labelme files (*.json) here" in result.stderr


def test_missing_input_dir_is_a_usage_error(tmp_path: Path, labels_file: Path) -> None:
    result = run(
        "labelme2voc", tmp_path / "nope", tmp_path / "out", "--labels", labels_file
    )
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_bad_font_is_a_usage_error(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    font = tmp_path / "font.ttf"
    font.write_bytes(b"not a font")
    result = convert(
        tmp_path,
        "--labels",
        labels_file,
        "--font",
        font,
    )
    assert result.exit_code == 2
    assert f"{font}: not a usable font file" in result.stderr


def test_version_and_help() -> None:
    assert run("--version").stdout == f"seg-convert, version {__version__}\n"
    help_text = run("labelme2voc", "--help").stdout
    for option in ("--labels", "--noviz", "--font", "--max-image-pixels"):
        assert option in help_text


def test_python_dash_m_runs_without_leaking_files(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    """-W error turns any unclosed file of ours into a failure."""
    out = tmp_path / "out"
    completed = subprocess.run(
        [
            sys.executable,
            "-X",
            "dev",
            "-W",
            "error",
            "-m",
            "seg_convert",
            "labelme2voc",
            str(tmp_path / "in"),
            str(out),
            "--labels",
            str(labels_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, no_font_warning(completed.stderr)
    assert no_font_warning(completed.stderr) == f"converted 3 of 3 files into {out}\n"


def test_embedded_mask_shape_end_to_end(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    stencil = np.zeros((5, 4), dtype=np.uint8)
    stencil[1:4, 1:3] = 255
    mask = b64(png_bytes(Image.fromarray(stencil)))
    write_annotation(
        "m", [shape("dog", [[10.7, 20.2], [13.9, 24.5]], "mask", mask=mask)]
    )
    out = tmp_path / "out"
    result = convert(tmp_path, "--labels", labels_file)
    assert result.exit_code == 0, result.output
    label = np.load(out / "SegmentationClass" / "m.npy")
    expected = np.zeros((48, 64), np.int32)
    expected[20:25, 10:14] = np.where(stencil > 0, 2, 0)
    np.testing.assert_array_equal(label, expected)


def test_readme_example_command_converts_examples(tmp_path: Path) -> None:
    examples = REPO / "examples" / "street"
    result = run(
        "labelme2voc", examples, tmp_path / "out", "--labels", REPO / "labels.txt"
    )
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out" / "SegmentationClass").glob("*.npy"))) == len(
        list(examples.glob("*.json"))
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_output_is_byte_identical_for_any_number_of_jobs(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    (three_files / "bad.json").write_text("{")
    trees = []
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"out{jobs}"
        result = run(
            "labelme2voc",
            three_files,
            out,
            "--labels",
            labels_file,
            "--instances",
            "--jobs",
            jobs,
        )
        assert result.exit_code == 1
        assert (
            no_font_warning(result.stderr)
            .splitlines()[0]
            .startswith(f"{three_files / 'bad.json'}:")
        )
        trees.append(_tree(out))
    assert len(trees[0]) > 10
    assert trees[0] == trees[1] == trees[2]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_fail_fast_stops_at_the_first_failure(
    three_files: Path, tmp_path: Path, labels_file: Path, jobs: str
) -> None:
    (three_files / "0_bad.json").write_text("{")
    result = convert(tmp_path, "--labels", labels_file, "--fail-fast", "--jobs", jobs)
    assert result.exit_code == 1
    assert no_font_warning(result.stderr).splitlines()[-1] == (
        f"converted 0 of 4 files into {tmp_path / 'out'}, 1 failed, "
        "3 not tried (--fail-fast)"
    )


def test_report_json(three_files: Path, tmp_path: Path, labels_file: Path) -> None:
    (three_files / "bad.json").write_text("[]")
    report = tmp_path / "report.json"
    result = convert(tmp_path, "--labels", labels_file, "--report", report, "-j", "2")
    assert result.exit_code == 1
    document = json.loads(report.read_text("utf-8"))
    assert document["report_version"] == 1
    assert document["seg_convert_version"] == __version__
    assert document["options"]["labels"] == ["_background_", "cat", "dog", "行人"]
    assert document["options"]["jobs"] == 2
    files = {f["stem"]: f for f in document["files"]}
    assert [f["stem"] for f in document["files"]] == ["a", "b", "bad", "c"]
    assert files["bad"]["status"] == "failed"
    assert files["bad"]["error"] == (
        f"{three_files / 'bad.json'}: a labelme file is a JSON object, got a list"
    )
    assert files["bad"]["outputs"] == []
    assert files["a"]["status"] == "converted" and files["a"]["error"] is None
    assert files["a"]["shapes"] == 2 and files["a"]["instances"] == 2
    assert files["c"]["instances"] == 0  # its one shape is __ignore__
    assert all(Path(p).is_file() for p in files["a"]["outputs"])
    assert len(files["a"]["outputs"]) == 4
    assert document["totals"] == {
        **document["totals"],
        "inputs": 4,
        "converted": 3,
        "failed": 1,
        "not_tried": 0,
    }


def test_quiet_prints_errors_only(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    (three_files / "bad.json").write_text("[]")
    result = convert(tmp_path, "--labels", labels_file, "--quiet")
    assert result.exit_code == 1
    assert no_font_warning(result.stderr) == (
        f"{three_files / 'bad.json'}: a labelme file is a JSON object, got a list\n"
    )
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["labelme2voc", "labelme2coco"])
@pytest.mark.parametrize(
    ("top", "warning"),
    [
        (
            {"shapes": [{"label": "cat", "points": [[2, 2], [40, 5], [20, 30]]}]},
            WARNING_NO_SHAPE_TYPE,
        ),
        ({"imagePath": "..\\photos\\lenient.jpg"}, WARNING_IMAGE_BESIDE),
    ],
    ids=["labelme-3-no-shape-type", "image-path-elsewhere"],
)
def test_quiet_hides_read_warnings_but_not_errors(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    command: str,
    top: dict[str, object],
    warning: str,
) -> None:
    write_annotation("lenient", **top)
    bad = tmp_path / "in" / "bad.json"
    bad.write_text("[]")
    error = f"{bad}: a labelme file is a JSON object, got a list\n"
    # Latin class names only: every font writes them, so no legend-font warning
    # can join the lines (no_font_warning would hide one under -q as well).
    labels = "__ignore__,_background_,cat"
    loud, quiet = (
        run(command, tmp_path / "in", tmp_path / out, "--labels", labels, *flag)
        for out, flag in (("loud", ()), ("quiet", ("-q",)))
    )
    assert (loud.exit_code, quiet.exit_code) == (1, 1)
    assert no_split_warning(loud.stderr) == (
        f"{error}converted 1 of 2 files into {tmp_path / 'loud'}, 1 failed\n"
        f"warning: 1 file: {warning}\n"
    )
    assert quiet.stderr == error
    assert loud.stdout == quiet.stdout == ""


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_in_one_file_is_one_line_unless_debugging(
    three_files: Path,
    tmp_path: Path,
    labels_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug: bool,
) -> None:
    from seg_convert.sources.labelme import source

    real = source.rasterize

    def rasterize(shapes: list[object], *args: object, **kwargs: object) -> object:
        if len(shapes) == 2:  # a.json's
            _boom()
        return real(shapes, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(source, "rasterize", rasterize)
    flag = ["--debug"] if debug else []
    result = run(
        *flag,
        "labelme2voc",
        tmp_path / "in",
        tmp_path / "out",
        "-j",
        "1",
        "--labels",
        labels_file,
    )
    assert result.exit_code == 1
    first, *rest = no_font_warning(result.stderr).splitlines()
    assert first == (
        f"{tmp_path / 'in' / 'a.json'}: unexpected error, please report it: "
        "RuntimeError: boom"
    )
    assert ("Traceback (most recent call last):" in rest) is debug
    assert rest[-1].startswith("converted 2 of 3 files")


def test_a_bug_in_the_run_is_one_line_unless_debugging(
    three_files: Path,
    tmp_path: Path,
    labels_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from seg_convert.run import batch

    monkeypatch.setattr(batch, "make_splits", _boom)
    result = convert(tmp_path, "--labels", labels_file, "-j", "1")
    assert result.exit_code == 1
    assert no_font_warning(result.stderr) == (
        "seg-convert: unexpected error, please report it: RuntimeError: boom "
        "(seg-convert --debug COMMAND ... shows where)\n"
    )
    debugged = run(
        "--debug",
        "labelme2voc",
        tmp_path / "in",
        tmp_path / "other",
        "--labels",
        labels_file,
        "-j",
        "1",
    )
    assert isinstance(debugged.exception, RuntimeError)


def test_report_in_a_missing_folder_is_refused_before_converting(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    report = tmp_path / "nowhere" / "report.json"
    result = convert(tmp_path, "--labels", labels_file, "--report", report)
    assert result.exit_code == 2
    assert f"{report.parent} does not exist (create it first)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_report_inside_an_output_directory_not_made_yet_says_so(
    three_files: Path, tmp_path: Path, labels_file: Path
) -> None:
    out = tmp_path / "out"
    report = out / "report.json"
    result = convert(tmp_path, "--labels", labels_file, "--report", report)
    assert result.exit_code == 2
    assert f"{report} is inside OUTPUT_DIR {out}; write the report elsewhere" in (
        result.stderr
    )
    assert not out.exists()


def test_a_reader_that_stops_early_is_no_error() -> None:
    """`seg-convert colormap | head -1`: the closed pipe ends it quietly."""
    process = subprocess.Popen(
        [sys.executable, "-m", "seg_convert", "colormap", "--n", "255"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(1)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "unexpected error" not in stderr and "Traceback" not in stderr, stderr


@pytest.mark.parametrize("where", ["the-same", "inside"])
def test_an_output_directory_holding_the_input_is_refused(
    write_annotation: WriteAnnotation, labels_file: Path, tmp_path: Path, where: str
) -> None:
    source = write_annotation("a", [shape("cat", [[2, 2], [40, 5], [20, 30]])]).parent
    out = source if where == "the-same" else source.parent
    result = CliRunner().invoke(
        cli, ["labelme2voc", str(source), str(out), "--labels", str(labels_file)]
    )
    assert result.exit_code == 2
    assert f"{out}: holds the input {source}, and seg-convert writes" in result.stderr
    assert sorted(p.name for p in source.iterdir()) == ["a.jpg", "a.json"]


def test_a_val_split_left_empty_is_warned_about(
    write_annotation: WriteAnnotation, labels_file: Path, tmp_path: Path
) -> None:
    """Two names that both hash into train at the default 0.2: say so."""
    for name in ("a", "b"):
        write_annotation(name, [shape("cat", [[2, 2], [40, 5], [20, 30]])])
    source, report = tmp_path / "in", tmp_path / "report.json"
    result = convert(tmp_path, "--labels", labels_file, "--report", report)
    assert result.exit_code == 0, result.output
    warning = (
        "no sample is in val (2 samples, --val-fraction 0.2; the split goes by a "
        "hash of each name): give another --val-fraction or --split-seed"
    )
    assert f"warning: {warning}\n" in result.stderr
    assert warning in json.loads(report.read_text())["warnings"]
    val = tmp_path / "out" / "ImageSets" / "Segmentation" / "val.txt"
    assert val.read_text() == "" and source.is_dir()
