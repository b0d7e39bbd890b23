"""voc2coco (RLE) then coco2voc gives back the class and instance arrays off
void: on the shared labelme examples converted by labelme2voc --instances in
both layouts, and on labelme's own VOC outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from click.testing import CliRunner
from PIL import Image

from seg_convert.cli import cli
from tests.conftest import SHARED_EXAMPLES, requires_shared

pytestmark = requires_shared
EXAMPLES = ("instance_segmentation", "semantic_segmentation", "video_annotation")
VOID = 255


def invoke(*args: str | Path) -> None:
    result = CliRunner().invoke(cli, [*map(str, args), "-j", "1", "--noviz"])
    assert result.exit_code == 0, result.output


def dense(instances: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Instance ids renumbered 1..N in order (an instance wholly covered by
    others has no pixels, and COCO numbers the ones left from 1)."""
    found, inverse = np.unique(instances, return_inverse=True)
    ranks = np.arange(len(found)) + (0 if found[0] == 0 else 1)
    return ranks[inverse].reshape(instances.shape)


def png(path: Path) -> np.ndarray[Any, Any]:
    with Image.open(path) as image:
        return np.asarray(image).astype(np.int64)


def voc_datasets(tmp_path: Path) -> list[tuple[Path, str, str]]:
    """(dataset, class folder, instance folder or "") of each dataset to try."""
    made = []
    for example in EXAMPLES:
        own = SHARED_EXAMPLES / example / "data_dataset_voc"
        objects = "SegmentationObject" if (own / "SegmentationObject").is_dir() else ""
        class_dir = "SegmentationClass"
        if (own / "SegmentationClassPNG").is_dir():
            class_dir = "SegmentationClassPNG"
        made.append((own, class_dir, objects))
        labels = SHARED_EXAMPLES / example / "labels.txt"
        for layout, folders in {
            "labelme": ("SegmentationClassPNG", "SegmentationObjectPNG"),
            "voc": ("SegmentationClass", "SegmentationObject"),
        }.items():
            out = tmp_path / f"{example}-{layout}"
            data = SHARED_EXAMPLES / example / "data_annotated"
            invoke(
                "labelme2voc",
                data,
                out,
                "--labels",
                labels,
                "--instances",
                "--layout",
                layout,
            )
            made.append((out, *folders))
    return made


def test_voc2coco_then_coco2voc_gives_the_arrays_back(tmp_path: Path) -> None:
    checked = 0
    for index, (dataset, class_dir, object_dir) in enumerate(voc_datasets(tmp_path)):
        coco = tmp_path / f"coco{index}"
        invoke("voc2coco", dataset, coco, "--val-fraction", "0")
        back = tmp_path / f"back{index}"
        # The datasets' own split lists keep their samples' split.
        files = sorted((coco / "annotations").glob("instances_*.json"))
        # Each instances_<split>.json's images are in images/<split>/.
        images = [
            word
            for path in files
            for word in ("--images", coco / "images" / path.stem.split("_")[1])
        ]
        invoke(
            "coco2voc",
            *files,
            back,
            *images,
            "--instances",
            "--no-npy",
            "--layout",
            "voc",
        )
        for mask in sorted((dataset / class_dir).glob("*.png")):
            classes = png(mask)
            got_classes = png(back / "SegmentationClass" / mask.name)
            got_instances = png(back / "SegmentationObject" / mask.name)
            off = classes != VOID
            np.testing.assert_array_equal(got_classes[off], classes[off], mask.name)
            if object_dir:
                instances = png(dataset / object_dir / mask.name)
                instances[~off | (instances == VOID)] = 0
                want = dense(instances)
            else:  # one object per class, in class order
                want = dense(np.where(off, classes, 0))
            np.testing.assert_array_equal(got_instances[off], want[off], mask.name)
            checked += 1
    assert checked == 3 * (3 + 3 + 5)  # every mask of the three sets of each example
