"""Our output on labelme's own example data equals what the labelme library makes.

labelme (the oracle) reads each file and rasterizes it; our CLI converts the same
folder; every label array, palette PNG index array and palette must be equal.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import imgviz
import labelme
import labelme.utils
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from seg_convert.cli import cli
from seg_convert.core.labels import BACKGROUND_NAME, IGNORE_NAME
from tests.conftest import SHARED_EXAMPLES, requires_shared

pytestmark = requires_shared


def _labels_in(folder: Path) -> list[str]:
    names: set[str] = set()
    for path in folder.glob("*.json"):
        names.update(s["label"] for s in labelme.LabelFile(filename=str(path)).shapes)
    names -= {IGNORE_NAME, BACKGROUND_NAME}
    return [IGNORE_NAME, BACKGROUND_NAME, *sorted(names)]


def _case(name: str, tmp_path: Path) -> tuple[Path, Path]:
    """The input folder and labels file of one shared example."""
    root = SHARED_EXAMPLES / name
    if (root / "data_annotated").is_dir():
        return root / "data_annotated", root / "labels.txt"
    # primitives/ and tutorial/ hold one file and no labels.txt: make both.
    folder = tmp_path / name
    folder.mkdir()
    for path in root.iterdir():
        if path.is_file():
            shutil.copy(path, folder / path.name)
    labels = tmp_path / f"{name}-labels.txt"
    labels.write_text("\n".join(_labels_in(folder)) + "\n", "utf-8")
    return folder, labels


def _run(folder: Path, out: Path, labels: Path, *args: str) -> None:
    result = CliRunner().invoke(
        cli, ["labelme2voc", str(folder), str(out), "--labels", str(labels), *args]
    )
    assert result.exit_code == 0, result.output


def _labelme_arrays(source: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """labelme's class ids and, as its instance example, instance ids with the
    ignore pixels zeroed."""
    names = labels.read_text("utf-8").splitlines()
    label_file = labelme.LabelFile(filename=str(source))
    image = labelme.utils.img_data_to_arr(label_file.image_data)
    cls, ins = labelme.utils.shapes_to_label(
        img_shape=image.shape,
        shapes=label_file.shapes,
        label_name_to_value={n: i - 1 for i, n in enumerate(names)},
    )
    ins[cls == -1] = 0
    return cls, ins


@pytest.mark.parametrize(
    "name", ["semantic_segmentation", "video_annotation", "primitives", "tutorial"]
)
def test_shared_example_equals_labelme(name: str, tmp_path: Path) -> None:
    folder, labels = _case(name, tmp_path)
    out = tmp_path / "out"
    _run(folder, out, labels)
    names = labels.read_text("utf-8").splitlines()
    assert (out / "class_names.txt").read_text("utf-8").splitlines() == names[1:]
    sources = sorted(folder.glob("*.json"))
    assert sources
    for source in sources:
        expected, _ = _labelme_arrays(source, labels)
        stem = source.stem
        npy = np.load(out / "SegmentationClass" / f"{stem}.npy")
        assert npy.dtype == np.int32
        np.testing.assert_array_equal(npy, expected)
        with Image.open(out / "SegmentationClassPNG" / f"{stem}.png") as png:
            assert png.mode == "P"
            np.testing.assert_array_equal(
                np.asarray(png),
                expected.astype(np.uint8),  # -1 wraps to 255
            )
            np.testing.assert_array_equal(
                np.asarray(png.getpalette(), dtype=np.uint8).reshape(-1, 3),
                imgviz.label_colormap(),
            )
        with Image.open(out / "JPEGImages" / f"{stem}.jpg") as jpeg:
            assert jpeg.mode == "RGB" and jpeg.size == expected.shape[::-1]
        assert (out / "SegmentationClassVisualization" / f"{stem}.jpg").is_file()


@pytest.mark.parametrize(
    ("name", "npy_dir"),
    [
        ("semantic_segmentation", "SegmentationClassNpy"),
        ("video_annotation", "SegmentationClass"),
    ],
)
def test_shared_example_matches_labelmes_stored_output(
    name: str, npy_dir: str, tmp_path: Path
) -> None:
    """The arrays labelme's repository ships were made with older labelme and
    Pillow releases, whose polygon fill differed on a few edge pixels; apart
    from those they must match ours."""
    folder, labels = _case(name, tmp_path)
    out = tmp_path / "out"
    _run(folder, out, labels, "--noviz")
    stored = SHARED_EXAMPLES / name / "data_dataset_voc" / npy_dir
    stored_files = sorted(stored.glob("*.npy"))
    assert stored_files
    for path in stored_files:
        theirs = np.load(path)
        ours = np.load(out / "SegmentationClass" / path.name)
        assert ours.shape == theirs.shape
        assert np.count_nonzero(ours != theirs) <= ours.size // 10_000


def test_shared_instance_example_equals_labelme(tmp_path: Path) -> None:
    """--instances --layout voc against labelme's instance example: the library's
    instance array with ignore pixels zeroed, and the arrays labelme ships."""
    root = SHARED_EXAMPLES / "instance_segmentation"
    folder, labels = root / "data_annotated", root / "labels.txt"
    out = tmp_path / "out"
    _run(folder, out, labels, "--instances", "--layout", "voc")
    sources = sorted(folder.glob("*.json"))
    assert sources
    for source in sources:
        cls, ins = _labelme_arrays(source, labels)
        stem = source.stem
        np.testing.assert_array_equal(
            np.load(out / "SegmentationClassNpy" / f"{stem}.npy"), cls
        )
        ours = np.load(out / "SegmentationObjectNpy" / f"{stem}.npy")
        assert ours.dtype == np.int32
        np.testing.assert_array_equal(ours, ins)
        for folder_name, expected in (
            ("SegmentationClass", cls),
            ("SegmentationObject", ins),
        ):
            with Image.open(out / folder_name / f"{stem}.png") as png:
                assert png.mode == "P"
                np.testing.assert_array_equal(
                    np.asarray(png), expected.astype(np.uint8)
                )
        assert (out / "SegmentationObjectVisualization" / f"{stem}.jpg").is_file()
        stored = np.load(
            root / "data_dataset_voc" / "SegmentationObjectNpy" / f"{stem}.npy"
        )
        assert np.count_nonzero(stored != ours) <= ours.size // 10_000
