"""colormap, stats and labels: the numbers they print, checked independently."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from seg_convert.cli import cli
from seg_convert.core.colormap import voc_colormap
from tests.conftest import REPO, WriteAnnotation, shape

EXAMPLES = REPO / "examples" / "street"
LABELS = REPO / "labels.txt"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("converted") / "out"
    result = run(
        "labelme2voc", EXAMPLES, out, "--labels", LABELS, "--instances", "--noviz"
    )
    assert result.exit_code == 0, result.output
    return out


def _counts_from_arrays(out: Path) -> tuple[Counter[str], Counter[str], int]:
    """Pixels and images per class, and instances, straight from the .npy files."""
    names = [
        "__ignore__",
        *(out / "class_names.txt").read_text("utf-8").split("\n")[:-1],
    ]
    pixels: Counter[str] = Counter()
    images: Counter[str] = Counter()
    instances = 0
    for path in sorted((out / "SegmentationClass").glob("*.npy")):
        values, counts = np.unique(np.load(path), return_counts=True)
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            pixels[names[value + 1]] += count
            images[names[value + 1]] += 1
        objects = np.load(out / "SegmentationObject" / path.name)
        instances += len(set(objects.ravel().tolist()) - {0})
    return pixels, images, instances


@pytest.mark.parametrize("which", ["labelme", "converted"])
def test_stats_json_equals_the_converted_arrays(which: str, converted: Path) -> None:
    target = EXAMPLES if which == "labelme" else converted
    result = run("stats", target, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    pixels, images, instances = _counts_from_arrays(converted)
    assert data["source"] == which
    assert data["images"] == 5
    assert data["instances"] == instances
    assert {c["name"]: c["pixels"] for c in data["classes"]} == dict(pixels)
    assert {c["name"]: c["images"] for c in data["classes"]} == dict(images)
    assert data["total_pixels"] == 5 * 400 * 300
    assert data["ignore_share"] == round(pixels["__ignore__"] / (5 * 400 * 300), 6)
    if which == "labelme":
        types = Counter(
            s["shape_type"]
            for p in EXAMPLES.glob("*.json")
            for s in json.loads(p.read_text("utf-8"))["shapes"]
        )
        assert data["shapes_per_type"] == dict(types)


def test_stats_text_table(converted: Path) -> None:
    result = run("stats", EXAMPLES)
    assert result.exit_code == 0, result.output
    pixels, _, _ = _counts_from_arrays(converted)
    lines = result.stdout.splitlines()
    assert "images     5" in lines
    row = next(line for line in lines if line.startswith("road "))
    assert f"{pixels['road']:,}" in row.split()


def test_stats_with_labels_counts_unknown_labels_as_failed(
    write_annotation: WriteAnnotation, tmp_path: Path
) -> None:
    write_annotation("a", [shape("cat", [[1, 1], [9, 9]], "rectangle")])
    bad = write_annotation("b", [shape("cow", [[1, 1]], "point")])
    result = run("stats", tmp_path / "in", "--labels", "__ignore__,_background_,cat")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}: shapes[0] (label 'cow')")
    assert "images     1" in result.stdout.splitlines()


def test_labels_writes_a_ready_labels_file(tmp_path: Path) -> None:
    out = tmp_path / "labels.txt"
    result = run("labels", EXAMPLES, "-o", out)
    assert result.exit_code == 0, result.output
    used = {
        s["label"]
        for p in EXAMPLES.glob("*.json")
        for s in json.loads(p.read_text("utf-8"))["shapes"]
    }
    lines = out.read_text("utf-8").splitlines()
    assert lines[:2] == ["__ignore__", "_background_"]
    assert lines[2:] == sorted(used - {"__ignore__", "_background_"})
    assert run("labelme2voc", EXAMPLES, tmp_path / "ds", "--labels", out).exit_code == 0
    row = next(line for line in result.stdout.splitlines() if line.startswith("road"))
    assert row.split() == ["road", "5", "5"]


def test_labels_check_reports_missing_and_unused(tmp_path: Path) -> None:
    result = run("labels", EXAMPLES, "--check", "__ignore__,_background_,road,car,bus")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (
        f"{EXAMPLES}: label 'tree' is used in 2 shapes in 2 files but is not in the "
        "labels file"
    ) in lines
    assert f"{EXAMPLES}: label 'bus' is in the labels file but no shape uses it" in (
        lines
    )
    assert run("labels", EXAMPLES, "--check", LABELS).exit_code == 0


@pytest.mark.parametrize("output_format", ["text", "json", "csv"])
def test_colormap_table(output_format: str) -> None:
    result = run("colormap", "--labels", LABELS, "--format", output_format)
    assert result.exit_code == 0, result.output
    names = LABELS.read_text("utf-8").splitlines()[1:]
    expected = [
        (i, name, tuple(voc_colormap()[i].tolist())) for i, name in enumerate(names)
    ] + [(-1, "__ignore__", (224, 224, 192))]
    if output_format == "json":
        rows = [
            (r["id"], r["name"], tuple(r["rgb"])) for r in json.loads(result.stdout)
        ]
    elif output_format == "csv":
        rows = [
            (int(r["id"]), r["name"], (int(r["r"]), int(r["g"]), int(r["b"])))
            for r in csv.DictReader(io.StringIO(result.stdout))
        ]
    else:
        rows = []
        for line in result.stdout.splitlines()[1:]:
            class_id, _, r, g, b, name = line.split(maxsplit=5)
            rows.append((int(class_id), name, (int(r), int(g), int(b))))
    assert rows == expected


def test_colormap_without_labels_lists_n_ids_and_void() -> None:
    result = run("colormap", "--n", "4", "--format", "json")
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [0, 1, 2, 3, -1]
    assert rows[-1]["index"] == 255


def test_colormap_legend_image_has_a_band_per_class(tmp_path: Path) -> None:
    out = tmp_path / "legend.png"
    result = run("colormap", "--labels", LABELS, "-o", out)
    assert result.exit_code == 0, result.output
    names = LABELS.read_text("utf-8").splitlines()[1:]
    with Image.open(out) as chart:
        pixels = np.asarray(chart.convert("RGB"))
    bands = np.array_split(pixels, len(names) + 1, axis=0)
    colors = [*voc_colormap(len(names)).tolist(), [224, 224, 192]]
    for band, color in zip(bands, colors, strict=True):
        # The band's right edge, past any text, is the class color.
        assert band[:, -3].tolist() == [color] * band.shape[0]


def test_stats_read_the_voc_layout_too(converted: Path, tmp_path: Path) -> None:
    out = tmp_path / "voc"
    args = ["--labels", LABELS, "--instances", "--noviz", "--layout", "voc"]
    assert run("labelme2voc", EXAMPLES, out, *args).exit_code == 0
    voc = json.loads(run("stats", out, "--format", "json").stdout)
    labelme_layout = json.loads(run("stats", converted, "--format", "json").stdout)
    assert voc == labelme_layout


@pytest.mark.parametrize("command", ["labels", "colormap"])
def test_an_existing_output_file_is_never_replaced(
    tmp_path: Path, command: str
) -> None:
    """A labels file rewritten in another order would change every class id."""
    target = tmp_path / "labels.txt"
    target.write_text("__ignore__\n_background_\nzebra\ncat\n", "utf-8")
    args = [command, EXAMPLES] if command == "labels" else [command]
    result = run(*args, "-o", target)
    assert result.exit_code == 2
    assert f"{target} exists; seg-convert does not replace it" in result.stderr
    assert result.stdout == ""  # refused before printing anything
    assert target.read_text("utf-8") == "__ignore__\n_background_\nzebra\ncat\n"
