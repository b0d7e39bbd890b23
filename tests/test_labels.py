"""The label table: what labels files are accepted, and the messages for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from seg_convert.errors import LabelsError
from seg_convert.labels import LabelTable, load_labels, read_labels_file


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "labels.txt"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data",
    [
        b"__ignore__\n_background_\ncat\npotted plant\n\xe8\xa1\x8c\xe4\xba\xba\n",
        b"\xef\xbb\xbf__ignore__\r\n_background_\r\ncat\r\npotted plant\r\n"
        b"\xe8\xa1\x8c\xe4\xba\xba\r\n",
        b"  __ignore__ \n_background_\n cat\npotted plant  \n\xe8\xa1\x8c\xe4\xba\xba"
        b"\n\n\n",
    ],
    ids=["plain", "bom-crlf", "spaces-trailing-blank-lines"],
)
def test_accepted_files(tmp_path: Path, data: bytes) -> None:
    table = read_labels_file(write(tmp_path, data))
    assert table.names == ("_background_", "cat", "potted plant", "行人")
    assert dict(table.ids) == {
        "__ignore__": -1,
        "_background_": 0,
        "cat": 1,
        "potted plant": 2,
        "行人": 3,
    }


def test_comma_separated_text_like_labelme() -> None:
    table = load_labels("__ignore__, _background_,cat,dog")
    assert table == LabelTable(("_background_", "cat", "dog"))
    assert table.ids["dog"] == 2


def test_load_labels_reads_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"__ignore__\n_background_\nx\n")
    assert load_labels(str(path)).names == ("_background_", "x")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"",
            "{p}: no labels; the first two lines must be __ignore__ and _background_",
        ),
        (
            b"_background_\ncat\n",
            "{p}:1: line 1 is '_background_', must be __ignore__ (the ignore id -1)",
        ),
        (b"__ignore__\n", "{p}:2: line 2 is missing, must be _background_ (id 0)"),
        (
            b"__ignore__\ncat\n",
            "{p}:2: line 2 is 'cat', must be _background_ (id 0)",
        ),
        (
            b"__ignore__\n_background_\n\ncat\n",
            "{p}:3: line 3 is an empty class name",
        ),
        (
            b"__ignore__\n_background_\ncat\ndog\ncat\n",
            "{p}:5: line 5 repeats 'cat' from line 3; each class must appear once",
        ),
        (
            "__ignore__\n_background_\n行人\n".encode("gbk"),
            "{p}:3: line 3 is not UTF-8 text; save the file as UTF-8",
        ),
    ],
    ids=[
        "empty",
        "no-ignore",
        "no-background",
        "wrong-background",
        "blank-middle",
        "duplicate",
        "gbk",
    ],
)
def test_refused_files(tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(LabelsError) as caught:
        read_labels_file(path)
    assert str(caught.value) == message.format(p=path)


def test_comma_text_errors_name_the_item() -> None:
    with pytest.raises(LabelsError) as caught:
        load_labels("__ignore__,_background_,cat,cat")
    assert str(caught.value) == (
        "--labels: item 4 repeats 'cat' from item 3; each class must appear once"
    )


def test_neither_file_nor_list() -> None:
    with pytest.raises(LabelsError) as caught:
        load_labels("labels.txt-typo")
    assert str(caught.value) == (
        "labels.txt-typo: no such labels file (give a file with one class per line, "
        "or comma-separated names such as __ignore__,_background_,cat)"
    )


@pytest.mark.parametrize(("classes", "accepted"), [(255, True), (256, False)])
def test_at_most_255_classes(tmp_path: Path, classes: int, accepted: bool) -> None:
    names = ["_background_", *(f"c{i}" for i in range(1, classes))]
    path = write(tmp_path, "\n".join(["__ignore__", *names]).encode())
    if accepted:
        assert max(read_labels_file(path).ids.values()) == 254
    else:
        with pytest.raises(LabelsError) as caught:
            read_labels_file(path)
        assert str(caught.value) == (
            f"{path}: 256 classes from _background_ on, but a palette PNG holds at "
            "most 255 (index 255 is void)"
        )
