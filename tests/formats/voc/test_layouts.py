"""Train-ready output: the VOC layout as torchvision reads it, splits, instances,
the label map and JPEG passthrough."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from seg_convert.cli import cli
from tests.conftest import WriteAnnotation, b64, gradient_image, shape

SHAPES = [
    shape("cat", [[2, 2], [40, 5], [20, 30]], group_id=1),
    shape("cat", [[45, 30], [60, 44]], "rectangle", group_id=1),
    shape("dog", [[30, 20], [40, 30]], "circle"),
    shape("__ignore__", [[50, 2]], "point"),
]


def convert(source: Path, out: Path, labels: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["labelme2voc", str(source), str(out), "--labels", str(labels), *args]
    )


def _voc_items(voc_root: Path, image_set: str) -> list[tuple[Image.Image, Image.Image]]:
    """Exactly what torchvision.datasets.VOCSegmentation(root, year="2012",
    image_set=...) does: its paths, its split file reading, its two opens."""
    image_dir = os.path.join(voc_root, "JPEGImages")
    mask_dir = os.path.join(voc_root, "SegmentationClass")
    split_f = os.path.join(voc_root, "ImageSets/Segmentation", image_set + ".txt")
    with open(split_f) as f:
        file_names = [x.strip() for x in f.readlines()]
    items = []
    for name in file_names:
        image = Image.open(os.path.join(image_dir, name + ".jpg")).convert("RGB")
        target = Image.open(os.path.join(mask_dir, name + ".png"))
        items.append((image, target))
    return items


def test_voc_layout_loads_as_torchvision_reads_it(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    for i in range(10):
        write_annotation(f"img_{i}", SHAPES)
    voc_root = tmp_path / "data" / "VOCdevkit" / "VOC2012"
    result = convert(tmp_path / "in", voc_root, labels_file, "--layout", "voc")
    assert result.exit_code == 0, result.output
    sizes = {}
    for image_set in ("train", "val", "trainval"):
        text = (
            voc_root / "ImageSets" / "Segmentation" / f"{image_set}.txt"
        ).read_bytes()
        assert b"\r" not in text and b"\n\n" not in text
        names = text.decode().splitlines()
        assert names == sorted(names)
        items = _voc_items(voc_root, image_set)
        sizes[image_set] = len(items)
        for (image, target), name in zip(items, names, strict=True):
            assert image.mode == "RGB" and target.mode == "P"
            assert image.size == target.size == (64, 48)
            expected = np.load(voc_root / "SegmentationClassNpy" / f"{name}.npy")
            np.testing.assert_array_equal(
                np.asarray(target), np.where(expected == -1, 255, expected)
            )
            assert 255 in np.asarray(target)  # the ignore point, as mmseg's 255
    assert sizes["train"] + sizes["val"] == sizes["trainval"] == 10
    assert sizes["train"] and sizes["val"]


def test_adding_files_moves_no_sample_between_splits(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    for i in range(20):
        write_annotation(f"a{i}", SHAPES[:1])
    assert convert(tmp_path / "in", tmp_path / "one", labels_file).exit_code == 0
    for i in range(20):
        write_annotation(f"b{i}", SHAPES[:1])
    (tmp_path / "in" / "a3.json").unlink()
    assert convert(tmp_path / "in", tmp_path / "two", labels_file).exit_code == 0

    def split(out: str, name: str) -> set[str]:
        path = tmp_path / out / "ImageSets" / "Segmentation" / f"{name}.txt"
        return set(path.read_text().split())

    for name in ("train", "val"):
        assert split("one", name) - {"a3"} == split("two", name) - {
            f"b{i}" for i in range(20)
        }


def test_failed_files_are_in_no_split(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    write_annotation("good", SHAPES)
    write_annotation("bad", [shape("cow", [[1, 1]], "point")])
    result = convert(tmp_path / "in", tmp_path / "out", labels_file)
    assert result.exit_code == 1
    trainval = tmp_path / "out" / "ImageSets" / "Segmentation" / "trainval.txt"
    assert trainval.read_text() == "good\n"


def test_instances_in_the_labelme_layout(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    write_annotation("x", SHAPES)
    out = tmp_path / "out"
    result = convert(tmp_path / "in", out, labels_file, "--instances")
    assert result.exit_code == 0, result.output
    instances = np.load(out / "SegmentationObject" / "x.npy")
    classes = np.load(out / "SegmentationClass" / "x.npy")
    assert instances.dtype == np.int32
    # The two group_id 1 cats are one instance, the dog another; ignore is 0.
    assert set(np.unique(instances[classes == 1])) == {1}
    assert set(np.unique(instances[classes == 2])) == {2}
    assert set(np.unique(instances[classes == -1])) == {0}
    with Image.open(out / "SegmentationObjectPNG" / "x.png") as png:
        np.testing.assert_array_equal(np.asarray(png), instances)
    assert (out / "SegmentationObjectVisualization" / "x.jpg").is_file()


def test_without_instances_no_object_folders(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    write_annotation("x", SHAPES)
    assert convert(tmp_path / "in", tmp_path / "out", labels_file).exit_code == 0
    assert not list((tmp_path / "out").glob("SegmentationObject*"))


def test_more_than_254_instances_fail_that_file_only(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    many = write_annotation(
        "many", [shape("cat", [[i % 60, 3]], "point") for i in range(255)]
    )
    write_annotation("few", SHAPES)
    out = tmp_path / "out"
    result = convert(tmp_path / "in", out, labels_file, "--instances")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{many}: 255 instances, but an instance PNG holds at most 254; give shapes "
        "of one object the same group_id, or convert without --instances"
    )
    assert (out / "SegmentationObject" / "few.npy").is_file()
    assert convert(tmp_path / "in", tmp_path / "plain", labels_file).exit_code == 0


def _jpeg(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def test_baseline_jpeg_is_copied_byte_for_byte(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    write_annotation("file", SHAPES)
    source = (tmp_path / "in" / "file.jpg").read_bytes()
    embedded = _jpeg(gradient_image(), quality=80)
    write_annotation("embedded", SHAPES, image_name="gone.jpg", imageData=b64(embedded))
    (tmp_path / "in" / "gone.jpg").unlink()
    out = tmp_path / "out"
    assert convert(tmp_path / "in", out, labels_file).exit_code == 0
    assert (out / "JPEGImages" / "file.jpg").read_bytes() == source
    assert (out / "JPEGImages" / "embedded.jpg").read_bytes() == embedded


@pytest.mark.parametrize("kind", ["progressive", "rotated", "gray", "png"], ids=str)
def test_other_images_are_reencoded_correctly(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path, kind: str
) -> None:
    image = gradient_image()
    folder = tmp_path / "in"
    write_annotation("x", SHAPES)
    expected = image
    if kind == "progressive":
        data = _jpeg(image, progressive=True, quality=95)
    elif kind == "rotated":
        exif = Image.Exif()
        exif[0x0112] = 6  # stored sideways: turn 90 degrees clockwise
        data = _jpeg(image.transpose(Image.Transpose.ROTATE_90), exif=exif, quality=95)
    elif kind == "gray":
        data = _jpeg(image.convert("L"), quality=95)
        expected = image.convert("L").convert("RGB")
    else:
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        data = buffer.getvalue()
    (folder / "x.jpg").write_bytes(data)
    out = tmp_path / "out"
    result = convert(folder, out, labels_file)
    assert result.exit_code == 0, result.output
    written = (out / "JPEGImages" / "x.jpg").read_bytes()
    assert written != data
    with Image.open(io.BytesIO(written)) as copy:
        assert (copy.format, copy.mode, copy.size) == ("JPEG", "RGB", (64, 48))
        assert not copy.info.get("progressive")
        difference = np.abs(
            np.asarray(copy).astype(int) - np.asarray(expected).astype(int)
        )
        assert difference.mean() < 4


def test_labelmap_for_datumaro_and_cvat(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    write_annotation("x", SHAPES)
    assert convert(tmp_path / "in", tmp_path / "out", labels_file).exit_code == 0
    lines = (tmp_path / "out" / "labelmap.txt").read_text("utf-8").splitlines()
    assert lines == [
        "# label:color_rgb:parts:actions",
        "background:0,0,0::",
        "cat:128,0,0::",
        "dog:0,128,0::",
        "行人:128,128,0::",
        "ignored:224,224,192::",
    ]
