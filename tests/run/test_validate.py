"""``seg-convert validate``: the problems labelme2voc would fail on, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from seg_convert.cli import cli
from seg_convert.core.labels import LabelTable
from seg_convert.core.options import Options
from seg_convert.io import image_loading
from seg_convert.run.validate import validate
from tests.conftest import (
    WriteAnnotation,
    gradient_image,
    no_font_warning,
    no_split_warning,
    shape,
)

TRIANGLE = shape("cat", [[2, 2], [40, 5], [20, 30]])


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def mixed(write_annotation: WriteAnnotation, tmp_path: Path) -> Path:
    """Two good files and four that labelme2voc fails on, each differently."""
    write_annotation("good1", [TRIANGLE])
    write_annotation("good2", [TRIANGLE], embed=True)
    write_annotation("unknown", [shape("horse", [[1, 1], [9, 9]], "rectangle")])
    write_annotation("sized", [TRIANGLE], imageWidth=65)
    missing = write_annotation("missing", [TRIANGLE])
    (missing.parent / "missing.jpg").unlink()
    write_annotation("cut", [TRIANGLE], image=gradient_image(640, 480))
    jpeg = tmp_path / "in" / "cut.jpg"
    jpeg.write_bytes(jpeg.read_bytes()[:3000])
    return tmp_path / "in"


def test_finds_exactly_what_labelme2voc_fails_on(
    mixed: Path, labels_file: Path, tmp_path: Path
) -> None:
    before = tree(tmp_path)
    checked = run("validate", mixed, "--labels", labels_file, "--jobs", "1")
    assert tree(tmp_path) == before  # wrote nothing
    converted = run("labelme2voc", mixed, tmp_path / "out", "--labels", labels_file)
    assert (checked.exit_code, converted.exit_code) == (1, 1)
    problems = checked.stdout.splitlines()
    assert len(problems) == 4
    assert (
        problems
        == no_split_warning(no_font_warning(converted.stderr)).splitlines()[:-1]
    )  # all but the summary
    assert {line.split(":")[0] for line in problems} == {
        str(mixed / f"{stem}.json") for stem in ("cut", "missing", "sized", "unknown")
    }
    assert checked.stderr == f"checked 6 files in {mixed}: 4 with problems\n"


def test_clean_folder(write_annotation: WriteAnnotation, labels_file: Path) -> None:
    source = write_annotation("good", [TRIANGLE]).parent
    result = run("validate", source, "--labels", labels_file)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert (
        no_font_warning(result.stderr) == f"checked 1 files in {source}: no problems\n"
    )


def test_json_format_lists_every_problem(mixed: Path, labels_file: Path) -> None:
    text = run("validate", mixed, "--labels", labels_file)
    result = run("validate", mixed, "--labels", labels_file, "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["version"] == 1
    assert (document["files"], document["failed"]) == (6, 4)
    assert [f"{p['path']}: {p['message']}" for p in document["problems"]] == (
        text.stdout.splitlines()
    )
    assert {Path(p["file"]).stem for p in document["problems"]} == {
        "cut",
        "missing",
        "sized",
        "unknown",
    }


def test_same_result_with_worker_processes(mixed: Path, labels: LabelTable) -> None:
    one = validate(mixed, Options(labels=labels, jobs=1))
    two = validate(mixed, Options(labels=labels, jobs=2))
    assert [(r.stem, str(r.error)) for r in one.results] == [
        (r.stem, str(r.error)) for r in two.results
    ]


def test_instance_limit_only_with_instances(
    write_annotation: WriteAnnotation, labels_file: Path
) -> None:
    dots = [shape("cat", [[i % 60, i // 60]], "point") for i in range(255)]
    source = write_annotation("crowd", dots).parent
    assert run("validate", source, "--labels", labels_file).exit_code == 0
    result = run("validate", source, "--labels", labels_file, "--instances")
    assert result.exit_code == 1
    assert "255 instances, but an instance PNG holds at most 254" in result.stdout


def test_copyable_jpeg_is_not_decoded(
    write_annotation: WriteAnnotation,
    labels: LabelTable,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the header and the end marker of a JPEG that would be copied are read;
    other images are decoded, as the conversion must."""
    source = write_annotation("photo", [TRIANGLE]).parent
    write_annotation("drawing", [TRIANGLE], image_name="drawing.png")
    decoded = []

    def load_pixels(image: Image.Image, **where: object) -> Image.Image:
        decoded.append(image.format)
        image.load()
        return image

    monkeypatch.setattr(image_loading, "load_pixels", load_pixels)
    report = validate(source, Options(labels=labels))
    assert not report.problems
    assert decoded == ["PNG"]


def test_problems_of_the_whole_job_are_usage_errors(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    for folder in ("a", "b"):
        path = write_annotation("same", [TRIANGLE])
        (tmp_path / "in" / folder).mkdir()
        for name in ("same.json", "same.jpg"):
            (path.parent / name).rename(tmp_path / "in" / folder / name)
    source = tmp_path / "in"
    result = run("validate", source, "--labels", labels_file, "-r")
    assert result.exit_code == 2
    assert "a/same.json and b/same.json would both be written as 'same'" in (
        result.stderr
    )
    flattened = run(
        "validate", source, "--labels", labels_file, "-r", "--flatten-names"
    )
    assert flattened.exit_code == 0, flattened.output
    assert run("validate", source).exit_code == 2  # --labels is required


@pytest.mark.parametrize("layout", ["labelme", "voc"])
def test_a_layout_is_checked_as_labelme2voc_writes_it(
    write_annotation: WriteAnnotation, tmp_path: Path, layout: str
) -> None:
    """--layout voc writes detection XML, which cannot hold every class name."""
    source = write_annotation("odd", [shape("a\uffff", [[2, 2], [40, 5], [20, 30]])])
    labels = tmp_path / "odd-labels.txt"
    labels.write_text("__ignore__\n_background_\na\uffff\n", "utf-8")
    args = ("--labels", labels, "--layout", layout)
    checked = run("validate", source.parent, *args)
    converted = run("labelme2voc", source.parent, tmp_path / "out", *args, "--noviz")
    assert checked.exit_code == converted.exit_code == (1 if layout == "voc" else 0)
    if layout == "voc":
        assert checked.stdout == (
            f"{source}: 'a\\uffff' has '\\uffff', which XML cannot hold "
            "(Annotations/odd.xml); rename it, or convert with --layout labelme\n"
        )
        assert checked.stdout in converted.stderr
