"""Datumaro (which CVAT uses) imports our COCO output as coco_instances and
coco_panoptic, images and all: it looks for images/<subset>/ beside
annotations/. Skipped where datumaro is not installed; to run it by hand, with
the datumaro environment of /work/envs/README.md:

    PYTHONPATH=src:.:.venv/lib/python3.11/site-packages \\
        /work/envs/datumaro/bin/python -m pytest tests/formats/coco/test_datumaro.py
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from seg_convert.cli import cli

datumaro = pytest.importorskip("datumaro")

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("datumaro") / "out"
    result = CliRunner().invoke(
        cli,
        [
            "labelme2coco",
            str(REPO / "examples" / "street"),
            str(out),
            "--labels",
            str(REPO / "labels.txt"),
            "--panoptic",
            "--stuff",
            "road",
            "--val-fraction",
            "0.5",
            "--noviz",
            "-j",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("importer", ["coco_instances", "coco_panoptic"])
def test_datumaro_imports_every_image_with_its_media(
    street: Path, importer: str
) -> None:
    from datumaro.components.dataset import Dataset

    dataset = Dataset.import_from(str(street), importer)
    items = {
        subset: sorted(item.id for item in dataset.get_subset(subset))
        for subset in dataset.subsets()
    }
    on_disk = {
        folder.name: sorted(path.stem for path in folder.glob("*.jpg"))
        for folder in (street / "images").iterdir()
    }
    assert items == on_disk
    for item in dataset:
        assert item.media is not None and item.media.has_data, item.id
        assert item.media.data.shape[:2] == item.media.size
        assert item.annotations, item.id
