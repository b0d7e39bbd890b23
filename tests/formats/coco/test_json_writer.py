"""The streaming COCO JSON writer."""

from __future__ import annotations

import contextlib
import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycocotools.coco import COCO

from seg_convert.core.errors import OutputError, SegConvertError
from seg_convert.formats.coco.json_writer import dataset_info, write_coco_json

INFO = {"description": "test", "version": "1"}
CATEGORIES = [{"id": 1, "name": "cat", "supercategory": "cat"}]


def images(count: int) -> Iterator[dict[str, Any]]:
    for i in range(1, count + 1):
        yield {"id": i, "file_name": f"{i:06d}.jpg", "height": 4, "width": 5}


def annotations(count: int) -> Iterator[dict[str, Any]]:
    for i in range(1, count + 1):
        yield {
            "id": i,
            "image_id": i,
            "category_id": 1,
            "segmentation": [[0.0, 0.0, 4.0, 0.0, 4.0, 3.0]],
            "area": 6.0,
            "bbox": [0.0, 0.0, 4.0, 3.0],
            "iscrowd": 0,
        }


def write(path: Path, count: int = 3) -> None:
    write_coco_json(
        path,
        root=path.parent,
        info=INFO,
        licenses=[],
        images=images(count),
        annotations=annotations(count),
        categories=CATEGORIES,
    )


def test_output_is_the_dataset_and_pycocotools_loads_it(tmp_path: Path) -> None:
    path = tmp_path / "instances_train.json"
    write(path)
    assert json.loads(path.read_text("ascii")) == {
        "info": INFO,
        "licenses": [],
        "images": list(images(3)),
        "annotations": list(annotations(3)),
        "categories": CATEGORIES,
    }
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(path))
    assert coco.getAnnIds(imgIds=[2]) == [2]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_same_items_same_bytes_one_item_a_line(tmp_path: Path) -> None:
    write(tmp_path / "a.json")
    write(tmp_path / "b.json")
    data = (tmp_path / "a.json").read_bytes()
    assert data == (tmp_path / "b.json").read_bytes()
    lines = data.decode("ascii").splitlines()
    assert lines[0] == '{"info":{"description":"test","version":"1"},'
    assert lines[1:3] == ['"licenses":[],', '"images":[']
    assert lines[3] == '{"id":1,"file_name":"000001.jpg","height":4,"width":5},'
    assert len(lines) == 1 + 1 + (1 + 3 + 1) * 2 + 3


def test_empty_lists(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    write(path, count=0)
    data = json.loads(path.read_text("ascii"))
    assert data["images"] == [] and data["annotations"] == []


def test_images_are_written_before_annotations_are_read(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    events = []

    def logged_images() -> Iterator[dict[str, Any]]:
        for image in images(2):
            events.append(f"image {image['id']}")
            yield image
        events.append("images done")

    def logged_annotations() -> Iterator[dict[str, Any]]:
        for annotation in annotations(2):
            events.append(f"annotation {annotation['id']}")
            yield annotation

    write_coco_json(
        path,
        root=path.parent,
        info=INFO,
        licenses=[],
        images=logged_images(),
        annotations=logged_annotations(),
        categories=CATEGORIES,
    )
    assert events == [
        "image 1",
        "image 2",
        "images done",
        "annotation 1",
        "annotation 2",
    ]


def test_memory_stays_bounded_while_streaming(tmp_path: Path) -> None:
    """20,000 annotations take ~11 MB as a list; streamed, ~50 KB is held."""
    tracemalloc.start()
    try:
        write(tmp_path / "big.json", count=20_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert (tmp_path / "big.json").stat().st_size > 3_000_000


def test_non_ascii_and_undecodable_names_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    names = ["行人.jpg", "caf\udce9.jpg"]  # the second: a Latin-1 byte in a name
    write_coco_json(
        path,
        root=path.parent,
        info=INFO,
        licenses=[],
        images=[{"id": i, "file_name": n} for i, n in enumerate(names, start=1)],
        annotations=[],
        categories=CATEGORIES,
    )
    text = path.read_bytes().decode("ascii")
    assert [image["file_name"] for image in json.loads(text)["images"]] == names


@pytest.mark.parametrize("existing", [False, True])
def test_failure_leaves_nothing_new(tmp_path: Path, existing: bool) -> None:
    path = tmp_path / "x.json"
    if existing:
        path.write_text("old")

    def failing() -> Iterator[dict[str, Any]]:
        yield from annotations(1)
        raise OSError("disk full")

    with pytest.raises(OutputError, match="x.json: cannot write: disk full"):
        write_coco_json(
            path,
            root=path.parent,
            info=INFO,
            licenses=[],
            images=images(1),
            annotations=failing(),
            categories=CATEGORIES,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["x.json"] if existing else []
    )
    if existing:
        assert path.read_text() == "old"


def test_nan_is_refused_not_written(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    bad = [{"id": 1, "image_id": 1, "area": float("nan")}]
    with pytest.raises(ValueError):
        write_coco_json(
            path,
            root=path.parent,
            info=INFO,
            licenses=[],
            images=images(1),
            annotations=bad,
            categories=CATEGORIES,
        )
    assert list(tmp_path.iterdir()) == []


def test_info_has_no_date_unless_source_date_epoch() -> None:
    plain = dataset_info(description="d", version="1.0", source_date_epoch=None)
    assert plain == {"description": "d", "version": "1.0"}
    dated = dataset_info(description="d", version="1.0", source_date_epoch="86400")
    assert dated == {
        "description": "d",
        "version": "1.0",
        "year": 1970,
        "date_created": "1970-01-02T00:00:00Z",
    }


@pytest.mark.parametrize("bad", ["yesterday", "1.5", "99999999999999999999"])
def test_bad_source_date_epoch_is_one_line(bad: str) -> None:
    with pytest.raises(SegConvertError) as caught:
        dataset_info(description="d", version="1", source_date_epoch=bad)
    assert str(caught.value) == (
        f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {bad!r} "
        "(fix or unset it)"
    )
