"""The COCO index against hostile files: number ranges, duplicate keys,
encodings, long values skipped unheld."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from seg_convert.core.errors import InputError
from seg_convert.sources.coco import json_stream
from seg_convert.sources.coco.index import MAX_ID, index_coco_files

CATEGORIES = [{"id": 1, "name": "cat"}]


def document(image_id: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "images": [{"id": image_id, "file_name": "a.png", "width": 4, "height": 3}],
        "annotations": [{"id": 1, "image_id": image_id, "category_id": 1}],
        "categories": [dict(category) for category in CATEGORIES],
    }


def index(tmp_path: Path, data: bytes | dict[str, Any]) -> Any:
    path = tmp_path / "instances.json"
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return index_coco_files([path], salt=b"")


def test_the_largest_id_keeps_its_annotations(tmp_path: Path) -> None:
    (image,) = index(tmp_path, document(MAX_ID)).images
    assert len(image.annotation_spans()) == 1


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (MAX_ID + 1, str(MAX_ID + 1)),
        (2**70, str(2**70)),
        (10**30, "a number of 31 digits"),
    ],
)
def test_an_id_beyond_int64_refuses_its_image_alone(
    tmp_path: Path, value: int, shown: str
) -> None:
    data = document(value)
    data["images"].append({"id": 5, "file_name": "b.png", "width": 4, "height": 3})
    refused, kept = index(tmp_path, data).images
    assert refused.problem is not None
    assert refused.problem.startswith(f"'id' is {shown}")
    assert refused.where == f"image {shown} (a.png)"
    assert len(refused.annotation_spans()) == 1  # its annotation, refused with it
    assert (kept.problem, kept.image_id) == (None, 5)


def test_an_annotation_of_an_id_beyond_int64_without_its_image(tmp_path: Path) -> None:
    data = document()
    data["annotations"][0]["image_id"] = 2**64
    with pytest.raises(InputError, match="image_id beyond 64 bits, which 'images'"):
        index(tmp_path, data)


def test_a_category_id_beyond_int64_fails_the_file(tmp_path: Path) -> None:
    data = document()
    data["categories"][0]["id"] = 2**63
    with pytest.raises(
        InputError, match=r"categories\[0\]: 'id' is 9223372036854775808"
    ):
        index(tmp_path, data)


def test_a_side_beyond_int32_refuses_its_image(tmp_path: Path) -> None:
    data = document()
    data["images"][0]["width"] = 2**31
    (image,) = index(tmp_path, data).images
    assert image.problem == "'width' is 2147483648, more than 2,147,483,647"


def test_thousands_of_digits(tmp_path: Path) -> None:
    text = json.dumps(document()).replace('"id": 1,', '"id": ' + "9" * 5001 + ",", 1)
    with pytest.raises(InputError, match="a number of thousands of digits"):
        index(tmp_path, text.encode())


def test_a_key_given_twice(tmp_path: Path) -> None:
    text = json.dumps(document())[:-1] + ', "annotations": []}'
    with pytest.raises(InputError, match="'annotations' appears twice"):
        index(tmp_path, text.encode())


def test_a_utf8_bom_is_read_past_and_utf16_named(tmp_path: Path) -> None:
    text = json.dumps(document())
    assert len(index(tmp_path, b"\xef\xbb\xbf" + text.encode()).images) == 1
    with pytest.raises(InputError, match="is UTF-16-LE text; a COCO file is UTF-8"):
        index(tmp_path, text.encode("utf-16-le"))


@pytest.mark.parametrize("chunk", [1, 3, 64, 1 << 20])
@pytest.mark.parametrize(
    "value",
    ['"a\\"b\\\\"', '{"x": ["]", "}", {"y": "\\\\\\""}]}', "[1, [2, [3]], {}]", "12"],
    ids=["string", "object", "array", "number"],
)
def test_skipped_values_end_where_json_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, value: str
) -> None:
    monkeypatch.setattr(json_stream, "_CHUNK", chunk)
    text = '{"info": ' + value + ", " + json.dumps(document())[1:]
    assert len(index(tmp_path, text.encode()).images) == 1


def test_invalid_json_in_a_skipped_value_is_still_an_error(tmp_path: Path) -> None:
    text = '{"info": {"a": }, ' + json.dumps(document())[1:]
    with pytest.raises(InputError, match="not valid JSON at byte 15"):
        index(tmp_path, text.encode())


def test_a_long_skipped_string_is_not_held(tmp_path: Path) -> None:
    size = 64 << 20
    path = tmp_path / "instances.json"
    with path.open("w") as stream:
        stream.write('{"info": "')
        stream.write("x" * size)
        stream.write('", ' + json.dumps(document())[1:])
    tracemalloc.start()
    try:
        index_coco_files([path], salt=b"")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak  # the buffer, not the 64 MB string
