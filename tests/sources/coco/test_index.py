"""The COCO index streams: indexing a file holds a small part of what the file
takes once parsed, so a return to ``json.load`` fails here."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from seg_convert.formats.coco.json_writer import write_coco_json
from seg_convert.sources.coco.index import index_coco_files

# Annotations many enough that holding them (~37 MB parsed) dwarfs the scan's
# buffer of a few MB, few enough for tracemalloc (6x slower) to take ~4 s here.
IMAGES, ANNOTATIONS = 500, 60_000


def _annotations() -> Iterator[dict[str, Any]]:
    for number in range(ANNOTATIONS):
        x, y = number % 50, number % 37
        yield {
            "id": number + 1,
            "image_id": number * IMAGES // ANNOTATIONS + 1,
            "category_id": 1 + number % 3,
            "segmentation": [[x, y, x + 9, y, x + 9, y + 7, x, y + 7]],
            "area": 63,
            "bbox": [x, y, 9, 7],
            "iscrowd": 0,
        }


def _write_large_file(path: Path) -> None:
    write_coco_json(
        path,
        root=path.parent,
        info={"description": "test"},
        licenses=[],
        images=(
            {"id": i, "file_name": f"{i:06d}.jpg", "width": 64, "height": 48}
            for i in range(1, IMAGES + 1)
        ),
        annotations=_annotations(),
        categories=[{"id": c, "name": f"class{c}"} for c in (1, 2, 3)],
    )


def _traced_peak(action: Callable[[], Any]) -> tuple[Any, int]:
    """``action()`` and the peak of the Python memory it allocated (NumPy's
    arrays count: NumPy reports them to tracemalloc)."""
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_indexing_holds_a_fraction_of_the_parsed_annotations(tmp_path: Path) -> None:
    """Indexing peaks at ~1/6 of what the parsed document takes (6 MB: the
    1 MB buffer and its copies, then 16 + 8 + 8 bytes an annotation, against
    37 MB). A third leaves twice that as headroom (Python versions size their
    objects differently; the buffer may grow) and still fails three times over
    for a scan that keeps each decoded annotation or a return to ``json.load``
    (which holds at least the parsed document: the text was read before)."""
    path = tmp_path / "instances_val.json"
    _write_large_file(path)
    text = path.read_text("ascii")
    index, indexing = _traced_peak(lambda: index_coco_files([path], salt=b""))
    _, parsed = _traced_peak(lambda: json.loads(text))
    assert len(index.images) == IMAGES
    assert sum(len(image.annotation_spans()) for image in index.images) == ANNOTATIONS
    assert indexing < parsed / 3, f"{indexing:,} bytes indexing, {parsed:,} parsed"
