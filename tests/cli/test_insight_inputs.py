"""stats, labels and colormap on the converter's footing: the same error path,
the same ways of finding and reading files, and bad label arrays reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

import seg_convert.run.stats
from seg_convert.cli import cli
from tests.conftest import WriteAnnotation, shape

CAT = "__ignore__,_background_,cat"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def converted(write_annotation: WriteAnnotation, tmp_path: Path) -> Path:
    write_annotation("a", [shape("cat", [[1, 1], [9, 9]], "rectangle")])
    write_annotation("b", [shape("cat", [[3, 3], [20, 20]], "rectangle")])
    out = tmp_path / "out"
    result = run("labelme2voc", tmp_path / "in", out, "--labels", CAT, "--noviz")
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize(
    ("array", "cause"),
    [
        (
            np.full((48, 64), 0.5),
            "not a label array: 2-D float64 (the converter writes 2-D integer ids)",
        ),
        (
            np.zeros((2, 48, 64), np.int32),
            "not a label array: 3-D int32 (the converter writes 2-D integer ids)",
        ),
        (
            np.array([[0, 1, 7], [-1, 9, -3]], np.int32),
            "holds class ids -3, 7, 9 that class_names.txt does not have (it names "
            "ids 0 to 1; -1 is ignore)",
        ),
    ],
    ids=["float", "3-d", "unknown-ids"],
)
def test_stats_fails_a_bad_label_array(
    converted: Path, array: np.ndarray, cause: str
) -> None:
    bad = converted / "SegmentationClass" / "b.npy"
    np.save(bad, array)
    result = run("stats", converted, "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == f"{bad}: {cause}\n"
    stats = json.loads(result.stdout)
    assert stats["images"] == 1 and stats["failed"] == [f"{bad}: {cause}"]


def test_stats_fails_an_unreadable_label_array(converted: Path) -> None:
    bad = converted / "SegmentationClass" / "b.npy"
    bad.write_bytes(b"not numpy")
    result = run("stats", converted)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}: cannot read: ")
    assert len(result.stderr.splitlines()) == 1


@pytest.fixture
def nested(write_annotation: WriteAnnotation, tmp_path: Path) -> Path:
    """in/cat.json, in/x/a.json and in/y/a.json: two a.json in subfolders."""
    write_annotation("cat", [shape("cat", [[1, 1], [9, 9]], "rectangle")])
    folder = tmp_path / "in"
    for sub, label in (("x", "dog"), ("y", "cow")):
        (folder / sub).mkdir()
        for suffix in (".json", ".jpg"):
            (folder / f"cat{suffix}").rename(folder / sub / f"a{suffix}")
        write_annotation("cat", [shape("cat", [[1, 1], [9, 9]], "rectangle")])
        data = json.loads((folder / sub / "a.json").read_text("utf-8"))
        data["imagePath"] = "a.jpg"
        data["shapes"][0]["label"] = label
        (folder / sub / "a.json").write_text(json.dumps(data), "utf-8")
    return folder


@pytest.mark.parametrize("command", ["stats", "labels"])
def test_recursive_and_flatten_names_as_labelme2voc(nested: Path, command: str) -> None:
    top_only = run(command, nested)
    assert top_only.exit_code == 0, top_only.output
    colliding = run(command, nested, "-r")
    assert colliding.exit_code == 2
    assert "use --flatten-names" in colliding.stderr
    result = run(command, nested, "-r", "--flatten-names")
    assert result.exit_code == 0, result.output
    for label in ("cat", "dog", "cow"):
        assert any(line.split()[:1] == [label] for line in result.stdout.splitlines())
    assert not any(line.startswith("dog") for line in top_only.stdout.splitlines())


def gbk_folder(folder: Path, write_annotation: WriteAnnotation) -> Path:
    """A labelme 3.x file as Chinese Windows saved it (GBK, no shape_type)."""
    path = write_annotation(
        "gbk", [{"label": "行人", "points": [[1, 1], [9, 1], [5, 9]]}]
    )
    path.write_bytes(path.read_text("utf-8").encode("gbk"))
    return path


@pytest.mark.parametrize("command", ["stats", "labels"])
def test_json_encoding(
    write_annotation: WriteAnnotation, tmp_path: Path, command: str
) -> None:
    path = gbk_folder(tmp_path / "in", write_annotation)
    plain = run(command, tmp_path / "in")
    assert plain.exit_code == 1
    assert plain.stderr.startswith(f"{path}: line ")
    assert plain.stderr.endswith(
        "is not UTF-8 text (old labelme on Windows wrote the system code page, e.g. "
        "GBK: try --json-encoding gbk)\n"
    )
    result = run(command, tmp_path / "in", "--json-encoding", "GBK")
    assert result.exit_code == 0, result.output
    assert any(line.startswith("行人") for line in result.stdout.splitlines())


@pytest.mark.parametrize("command", ["stats", "labels"])
def test_unknown_json_encoding_is_a_usage_error(tmp_path: Path, command: str) -> None:
    result = run(command, tmp_path, "--json-encoding", "base64")
    assert result.exit_code == 2
    assert "'base64' is not a text encoding Python knows" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("labels", "{in}", "-o", "{tmp}/missing/dir/labels.txt"),
        ("colormap", "-o", "{tmp}/missing/dir/legend.png"),
    ],
    ids=["labels", "colormap"],
)
def test_output_in_a_missing_folder_fails_before_printing(
    write_annotation: WriteAnnotation, tmp_path: Path, args: tuple[str, ...]
) -> None:
    write_annotation("a", [shape("cat", [[1, 1], [9, 9]], "rectangle")])
    filled = [a.format(tmp=tmp_path, **{"in": tmp_path / "in"}) for a in args]
    result = run(*filled)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"the folder {tmp_path / 'missing' / 'dir'} does not exist" in result.stderr


def test_labels_output_refuses_names_a_labels_file_cannot_hold(
    write_annotation: WriteAnnotation, tmp_path: Path
) -> None:
    write_annotation("a", [shape("person:adult", [[1, 1], [9, 9]], "rectangle")])
    write_annotation("b", [shape("a\u2028b", [[1, 1], [9, 9]], "rectangle")])
    out = tmp_path / "labels.txt"
    result = run("labels", tmp_path / "in", "-o", out)
    assert result.exit_code == 1
    assert not out.exists()
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'in'}: label 'a\\u2028b' has a line break or another control "
        "character; rename it in the annotations (1 shapes in 1 files)",
        f"{tmp_path / 'in'}: label 'person:adult' has ':', which separates the "
        "fields of labelmap.txt (Datumaro and CVAT have no escape for it); rename "
        "it in the annotations (1 shapes in 1 files)",
        f"{out}: not written",
    ]


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_in_stats_is_one_line_or_a_traceback(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug: bool,
) -> None:
    write_annotation("a", [])

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(seg_convert.run.stats, "annotation_stats", broken)
    result = run(*(["--debug"] if debug else []), "stats", tmp_path / "in")
    assert result.exit_code == 1
    if debug:
        assert isinstance(result.exception, RuntimeError)
    else:
        assert result.stderr == (
            "seg-convert: unexpected error, please report it: RuntimeError: a bug "
            "(seg-convert --debug COMMAND ... shows where)\n"
        )


def test_a_problem_of_the_whole_job_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "class_names.txt").write_text("_background_\n", "utf-8")
    result = run("stats", tmp_path)
    assert result.exit_code == 2
    assert f"{tmp_path}: has class_names.txt but no label arrays (*.npy or *.png)" in (
        result.stderr
    )
