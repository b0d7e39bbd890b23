"""data.yaml's subset, read without a YAML library."""

from __future__ import annotations

from pathlib import Path

import pytest

from seg_convert.sources.yolo.data_yaml import YamlError, parse_mapping, read_data_yaml


def test_the_forms_ultralytics_datasets_use() -> None:
    text = """\ufeff# Ultralytics-style dataset
path: ../datasets/coco8  # dataset root
train: images/train
val: [images/val, 'more images']
test:   # none
names:
  0: person
  1: "bi cycle"  # quoted
  2: 'it''s'
nc: 3
"""
    assert parse_mapping(text.lstrip("\ufeff")) == {
        "path": "../datasets/coco8",
        "train": "images/train",
        "val": ["images/val", "more images"],
        "test": "",
        "names": {"0": "person", "1": "bi cycle", "2": "it's"},
        "nc": "3",
    }
    assert parse_mapping("names:\n  - a\n  - b # c\n") == {"names": ["a", "b"]}
    assert parse_mapping("names: ['a#b', \"c\"]\n") == {"names": ["a#b", "c"]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train: t\nval: v\nnames:\n  0: a\n  2: c\n", "0, 1, ... with no gap"),
        ("train: t\nnames: [a]\n", "no 'val'"),
        ("train: t\nval: v\nnc: 2\n", "no 'names'"),
        ("train: t\nval: v\nnames: []\n", "'names' is empty"),
        ("train: t\nval: v\nnames: {0: a}\n", "line 3: flow maps are not read"),
        ("train: &x t\nval: v\nnames: [a]\n", "line 1: '&' values are not read"),
        ("train: t\n  nested: 1\nval: v\nnames: [a]\n", "line 2"),
        ("just text\n", "line 1: not a 'key: value' line"),
        ("train: t\nval: [a, b\nnames: [a]\n", "line 2: a flow list must end"),
    ],
    ids=[
        "gap",
        "no-val",
        "nc-only",
        "empty",
        "flow-map",
        "anchor",
        "nested",
        "text",
        "open-list",
    ],  # fmt: skip
)
def test_what_is_not_read_is_refused_by_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(text)
    with pytest.raises(YamlError, match=message):
        read_data_yaml(path)


def test_names_as_a_list_or_a_map_are_the_same(tmp_path: Path) -> None:
    listed, mapped = tmp_path / "a.yaml", tmp_path / "b.yaml"
    listed.write_text("train: t\nval: v\nnames: [cat, dog]\n")
    mapped.write_text("train: t\nval: v\nnames:\n  '1': dog\n  0: cat\n")
    assert (
        read_data_yaml(listed).names == read_data_yaml(mapped).names == ("cat", "dog")
    )
