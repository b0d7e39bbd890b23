"""ultralytics reads what labelme2yolo writes: its own dataset checks (data.yaml
resolved, every image and label file verified, none rejected) and one epoch of
training on the CPU. Skipped where ultralytics (and torch) is not installed, as
in CI; /work/envs/ultra or ``pip install ultralytics`` has it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from seg_convert.cli import cli
from tests.conftest import REPO


@pytest.fixture(scope="module", autouse=True)
def offline(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Settings in a folder of the test's own, nothing downloaded."""
    config = tmp_path_factory.mktemp("ultralytics-config")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(config))


def converted(tmp_path: Path, task: str) -> Path:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "labelme2yolo", str(REPO / "examples" / "street"), str(out),
            "--labels", str(REPO / "labels.txt"), "--val-fraction", "0.5",
            "--task", task, "--noviz",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out / "data.yaml"


@pytest.mark.filterwarnings("ignore")  # ultralytics' and torch's own warnings
@pytest.mark.parametrize("task", ["segment", "detect"])
def test_ultralytics_verifies_and_trains_on_the_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task: str
) -> None:
    pytest.importorskip(
        "ultralytics", reason="ultralytics (with torch) is not installed"
    )
    from ultralytics import YOLO
    from ultralytics.data.dataset import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    data_yaml = converted(tmp_path, task)
    monkeypatch.chdir(tmp_path)  # a relative path: key would go by this
    data = check_det_dataset(str(data_yaml), autodownload=False)
    assert Path(data["path"]) == data_yaml.parent
    for split in ("train", "val"):
        images = sorted((data_yaml.parent / "images" / split).iterdir())
        lines = [
            (data_yaml.parent / "labels" / split / f"{image.stem}.txt").read_text()
            for image in images
        ]
        dataset = YOLODataset(
            img_path=data[split], data=data, task=task, imgsz=64, augment=False
        )
        # A rejected ("corrupt") image would be missing from its labels.
        assert len(dataset.labels) == len(images)
        instances = sum(len(label["cls"]) for label in dataset.labels)
        assert instances == sum(len(text.splitlines()) for text in lines)
        if task == "segment":
            assert all(
                len(label["segments"]) == len(label["cls"]) for label in dataset.labels
            )
    model = "yolov8n-seg.yaml" if task == "segment" else "yolov8n.yaml"
    YOLO(model).train(
        data=str(data_yaml), epochs=1, imgsz=64, device="cpu", workers=0,
        plots=False, amp=False, project=str(tmp_path / "runs"), name="check",
        exist_ok=True, verbose=False,
    )  # fmt: skip
    assert (tmp_path / "runs" / "check" / "weights" / "last.pt").is_file()
