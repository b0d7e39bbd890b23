"""The class table: which labels files and comma lists are accepted, with which ids,
and the exact message for each one that is refused."""

from __future__ import annotations

import errno
import os
import pickle
from pathlib import Path
from typing import Protocol

import pytest

from seg_convert.core.errors import LabelsError
from seg_convert.core.labels import LabelTable, load_labels, read_labels_file

# The ids labelme's labels.txt convention gives: line 1 is -1, line 2 is 0, then 1, 2...
EXPECTED_IDS = {
    "__ignore__": -1,
    "_background_": 0,
    "cat": 1,
    "potted plant": 2,
    "行人": 3,
    "café": 4,
}


class WriteLabels(Protocol):
    def __call__(self, data: bytes, name: str = ...) -> Path: ...


@pytest.fixture
def write_labels(tmp_path: Path) -> WriteLabels:
    """Write ``data`` as the file ``name`` in tmp_path; return its path."""

    def write(data: bytes, name: str = "labels.txt") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def lines(*names: str, end: str = "\n") -> bytes:
    return "".join(name + end for name in names).encode("utf-8")


@pytest.mark.parametrize(
    "data",
    [
        lines(*EXPECTED_IDS),
        b"\xef\xbb\xbf" + lines(*EXPECTED_IDS),
        lines(*EXPECTED_IDS, end="\r\n"),
        b"\xef\xbb\xbf" + lines(*EXPECTED_IDS, end="\r\n") + b"\r\n\r\n",
        lines(*EXPECTED_IDS) + b"\n\n   \n\t\n",
        lines(*EXPECTED_IDS).rstrip(b"\n"),
        lines(*(f"  {name}\t " for name in EXPECTED_IDS)),
    ],
    ids=[
        "lf",
        "bom",
        "crlf",
        "bom-crlf-trailing-blank-lines",
        "trailing-blank-and-space-lines",
        "no-final-newline",
        "spaces-around-names",
    ],
)
def test_labels_file_gives_the_ids(write_labels: WriteLabels, data: bytes) -> None:
    table = read_labels_file(write_labels(data))
    assert dict(table.ids) == EXPECTED_IDS
    assert table.names == ("_background_", "cat", "potted plant", "行人", "café")


def test_load_labels_reads_a_file(write_labels: WriteLabels) -> None:
    path = write_labels(lines(*EXPECTED_IDS, end="\r\n"))
    assert dict(load_labels(str(path)).ids) == EXPECTED_IDS


def test_a_file_whose_name_has_a_comma_is_read_as_a_file(
    write_labels: WriteLabels,
) -> None:
    path = write_labels(lines("__ignore__", "_background_", "dog"), name="a,b.txt")
    assert dict(load_labels(str(path)).ids) == {
        "__ignore__": -1,
        "_background_": 0,
        "dog": 1,
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("__ignore__,_background_,cat", {"cat": 1}),
        (
            " __ignore__, _background_ ,cat,potted plant ,行人,café",
            {"cat": 1, "potted plant": 2, "行人": 3, "café": 4},
        ),
        ("__ignore__,_background_,cat,dog,", {"cat": 1, "dog": 2}),
        ("__ignore__,_background_", {}),
    ],
    ids=["labelme-example", "spaces-and-non-ascii", "trailing-comma", "no-classes"],
)
def test_comma_separated_names_like_labelmes_labels_option(
    spec: str, expected: dict[str, int]
) -> None:
    table = load_labels(spec)
    assert dict(table.ids) == {"__ignore__": -1, "_background_": 0, **expected}


FILE_ERRORS = [
    (
        "empty-file",
        b"",
        "{p}: no labels; the first two lines must be __ignore__ and _background_",
    ),
    (
        "only-blank-lines",
        b"\n  \r\n\n",
        "{p}: no labels; the first two lines must be __ignore__ and _background_",
    ),
    (
        "class-names-txt-repeats-ignore",
        lines("_background_", "cat", "__ignore__"),
        "{p}:3: line 3 repeats '__ignore__' (implied first); each class must "
        "appear once",
    ),
    (
        "class-names-txt-repeats-a-class",
        lines("_background_", "cat", "cat"),
        "{p}:3: line 3 repeats 'cat' from line 2; each class must appear once",
    ),
    (
        "first-line-blank",
        lines("", "__ignore__", "_background_"),
        "{p}:1: line 1 is '', must be __ignore__ (the ignore id -1)",
    ),
    (
        "bom-then-wrong-first-line",
        b"\xef\xbb\xbf" + lines("ignore", "_background_"),
        "{p}:1: line 1 is 'ignore', must be __ignore__ (the ignore id -1)",
    ),
    (
        "second-line-not-background",
        lines("__ignore__", "cat", "_background_"),
        "{p}:2: line 2 is 'cat', must be _background_ (id 0)",
    ),
    (
        "second-line-missing",
        lines("__ignore__"),
        "{p}:2: line 2 is missing, must be _background_ (id 0)",
    ),
    (
        "blank-line-in-the-middle",
        lines("__ignore__", "_background_", "cat", "", "dog"),
        "{p}:4: line 4 is an empty class name",
    ),
    (
        "spaces-only-line-in-the-middle",
        lines("__ignore__", "_background_", "   ", "dog", end="\r\n"),
        "{p}:3: line 3 is an empty class name",
    ),
    (
        "duplicate",
        lines("__ignore__", "_background_", "cat", "dog", "cat"),
        "{p}:5: line 5 repeats 'cat' from line 3; each class must appear once",
    ),
    (
        "duplicate-after-stripping-spaces",
        lines("__ignore__", "_background_", "cat", " cat "),
        "{p}:4: line 4 repeats 'cat' from line 3; each class must appear once",
    ),
    (
        "duplicate-background",
        lines("__ignore__", "_background_", "cat", "_background_"),
        "{p}:4: line 4 repeats '_background_' from line 2; each class must appear once",
    ),
    (
        "duplicate-ignore",
        lines("__ignore__", "_background_", "__ignore__"),
        "{p}:3: line 3 repeats '__ignore__' from line 1; each class must appear once",
    ),
    (
        "gbk",
        "__ignore__\n_background_\n行人\n".encode("gbk"),
        "{p}:3: line 3 is not UTF-8 text; save the file as UTF-8",
    ),
    (
        "gbk-on-a-later-crlf-line",
        "__ignore__\r\n_background_\r\ncat\r\n狗\r\n".encode("gbk"),
        "{p}:4: line 4 is not UTF-8 text; save the file as UTF-8",
    ),
    (
        "utf-16",
        "__ignore__\n_background_\n".encode("utf-16"),
        "{p}:1: line 1 is not UTF-8 text; save the file as UTF-8",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"),
    [case[1:] for case in FILE_ERRORS],
    ids=[case[0] for case in FILE_ERRORS],
)
def test_refused_files(write_labels: WriteLabels, data: bytes, message: str) -> None:
    path = write_labels(data)
    for read in (read_labels_file, lambda p: load_labels(str(p))):
        with pytest.raises(LabelsError) as caught:
            read(path)
        assert str(caught.value) == message.format(p=path)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.txt"
    with pytest.raises(LabelsError) as caught:
        read_labels_file(path)
    assert str(caught.value) == f"{path}: cannot read: {os.strerror(errno.ENOENT)}"


COMMA_ERRORS = [
    (
        "first-not-ignore",
        "_background_,cat",
        "--labels: item 1 is '_background_', must be __ignore__ (the ignore id -1)",
    ),
    (
        "second-not-background",
        "__ignore__,cat",
        "--labels: item 2 is 'cat', must be _background_ (id 0)",
    ),
    (
        "second-missing",
        "__ignore__,",
        "--labels: item 2 is missing, must be _background_ (id 0)",
    ),
    (
        "only-commas",
        ",,",
        "--labels: no labels; the first two items must be __ignore__ and _background_",
    ),
    (
        "empty-item-in-the-middle",
        "__ignore__,_background_,,cat",
        "--labels: item 3 is an empty class name",
    ),
    (
        "duplicate",
        "__ignore__,_background_,cat, cat",
        "--labels: item 4 repeats 'cat' from item 3; each class must appear once",
    ),
]


@pytest.mark.parametrize(
    ("spec", "message"),
    [case[1:] for case in COMMA_ERRORS],
    ids=[case[0] for case in COMMA_ERRORS],
)
def test_refused_comma_lists(spec: str, message: str) -> None:
    with pytest.raises(LabelsError) as caught:
        load_labels(spec)
    assert str(caught.value) == message


NOT_A_FILE_NOR_LIST = (
    "no such labels file (give a file with one class per line, or comma-separated "
    "names such as __ignore__,_background_,cat)"
)


@pytest.mark.parametrize(
    "spec",
    ["labels.txt-typo", "{tmp}/no/labels.txt"],
    ids=["typo", "missing-path"],
)
def test_neither_a_file_nor_comma_text(tmp_path: Path, spec: str) -> None:
    spec = spec.format(tmp=tmp_path)
    with pytest.raises(LabelsError) as caught:
        load_labels(spec)
    assert str(caught.value) == f"{spec}: {NOT_A_FILE_NOR_LIST}"


def test_a_directory_is_not_a_labels_file(tmp_path: Path) -> None:
    with pytest.raises(LabelsError) as caught:
        load_labels(str(tmp_path))
    assert (
        str(caught.value) == f"{tmp_path}: is a directory; give the labels file in it"
    )


def class_names(count: int) -> list[str]:
    """``count`` names from _background_ on: the table's ids then run 0..count-1."""
    return ["_background_", *(f"class{number}" for number in range(1, count))]


def test_255_classes_from_background_on_are_accepted(
    write_labels: WriteLabels,
) -> None:
    names = class_names(255)
    table = read_labels_file(write_labels(lines("__ignore__", *names)))
    assert len(table.names) == 255
    assert sorted(table.ids.values()) == [-1, *range(255)]
    assert table.ids[names[-1]] == 254


MESSAGE_256 = (
    "256 classes from _background_ on, but a palette PNG holds at most 255 "
    "(index 255 is void)"
)


def test_256_classes_are_refused(write_labels: WriteLabels) -> None:
    path = write_labels(lines("__ignore__", *class_names(256)))
    with pytest.raises(LabelsError) as caught:
        read_labels_file(path)
    assert str(caught.value) == f"{path}: {MESSAGE_256}"


def test_a_comma_list_longer_than_a_file_name() -> None:
    names = class_names(40)
    spec = ",".join(["__ignore__", *names])
    assert len(spec.encode()) > 255
    assert load_labels(spec).names == tuple(names)


def test_table_ids_cannot_be_changed() -> None:
    table = LabelTable(names=("_background_", "cat"))
    with pytest.raises(TypeError):
        table.ids["cat"] = 5  # type: ignore[index]
    assert table.ids["cat"] == 1


def test_table_survives_pickling() -> None:
    """Tables travel to worker processes; the derived ids must come along."""
    table = LabelTable(names=("_background_", "cat", "行人"))
    copy = pickle.loads(pickle.dumps(table))
    assert copy == table
    assert dict(copy.ids) == {"__ignore__": -1, "_background_": 0, "cat": 1, "行人": 2}


@pytest.mark.parametrize(
    "separator", ["\x0c", "\x85", "\u2028"], ids=["form-feed", "nel", "u2028"]
)
def test_unicode_line_separators_inside_a_line_as_labelme(
    write_labels: WriteLabels, separator: str
) -> None:
    path = write_labels(f"__ignore__\n_background_\ncat{separator}\ndog\n".encode())
    # labelme's reading: text-mode lines, each stripped.
    with path.open(encoding="utf-8") as file:
        labelme_names = [line.strip() for line in file]
    assert labelme_names == ["__ignore__", "_background_", "cat", "dog"]
    assert read_labels_file(path).names == tuple(labelme_names[1:])


def test_a_class_names_txt_we_wrote_is_a_labels_file(tmp_path: Path) -> None:
    """class_names.txt starts at _background_: the ignore id is implied."""
    path = tmp_path / "class_names.txt"
    path.write_bytes(lines("_background_", "cat", "dog"))
    table = read_labels_file(path)
    assert dict(table.ids) == {"__ignore__": -1, "_background_": 0, "cat": 1, "dog": 2}
