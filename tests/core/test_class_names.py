"""Class names that would break class_names.txt or labelmap.txt are refused; every
other name comes back from both files as it went in."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seg_convert.core.errors import LabelsError
from seg_convert.core.labels import (
    LabelTable,
    class_name_problem,
    load_labels,
    read_labels_file,
)
from seg_convert.formats.voc.writer import write_class_names

FIXED = "__ignore__,_background_,"


def datumaro_labelmap(text: str) -> dict[str, tuple[int, int, int] | None]:
    """labelmap.txt read the way Datumaro's VOC importer reads it: each line
    stripped, blank and '#' lines skipped, then split at every ':' into exactly
    four fields (name, r,g,b, parts, actions); a repeated name is an error."""
    labels: dict[str, tuple[int, int, int] | None] = {}
    for raw_line in text.splitlines():  # text-mode iteration: \n, \r, \r\n
        line = raw_line.strip()
        if not line or line[0] == "#":
            continue
        fields = line.split(":")
        if len(fields) != 4:
            raise ValueError(f"{len(fields)} fields in {line!r}")
        name, color = fields[0], fields[1]
        if name in labels:
            raise ValueError(f"{name!r} twice")
        r, g, b = (int(c) for c in color.split(",")) if color else (None,) * 3
        labels[name] = None if r is None else (r, g, b)  # type: ignore[assignment]
    return labels


def test_the_datumaro_like_parser_is_fooled_by_a_colon() -> None:
    """Why ':' is refused: Datumaro has no escape, and the name's own fields win."""
    assert datumaro_labelmap("a:128,0,0::\n") == {"a": (128, 0, 0)}
    with pytest.raises(ValueError, match="7 fields"):  # name "a:1,2,3::" unescaped
        datumaro_labelmap("a:1,2,3:::128,0,0::\n")
    assert datumaro_labelmap("#7:128,0,0::\n") == {}  # the class is gone


REFUSED = [
    ("line-feed", "a\nb", "has a line break or another control character"),
    ("vertical-tab", "a\x0bb", "has a line break or another control character"),
    ("nel", "a\x85b", "has a line break or another control character"),
    ("u2028", "a\u2028b", "has a line break or another control character"),
    ("escape", "a\x1b[31mb", "has a line break or another control character"),
    ("colon", "a:1,2,3::", "has ':', which separates the fields of labelmap.txt"),
    ("hash", "#7", "starts with '#', which makes its labelmap.txt line a comment"),
    ("spaces", " cat", "has spaces at the start or end"),
    ("surrogate", "caf\udce9", "has bytes that are not UTF-8 text"),
    ("background", "background", "is what labelmap.txt calls _background_"),
    ("ignored", "ignored", "is what labelmap.txt calls void (255)"),
]


@pytest.mark.parametrize(
    ("name", "problem"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_class_name_problem(name: str, problem: str) -> None:
    found = class_name_problem(name)
    assert found is not None and found.startswith(problem)


@pytest.mark.parametrize(
    "name", ["行人", "traffic light", "a,b", "C#", "x-ray_2", "Straße", "50%"]
)
def test_ordinary_names_have_no_problem(name: str) -> None:
    assert class_name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    ["a\x0bb", "a\u2028b", "a:1", "#7", "caf\udce9"],
    ids=["vertical-tab", "u2028", "colon", "hash", "surrogate"],
)
def test_refused_in_a_comma_list(name: str) -> None:
    with pytest.raises(LabelsError) as caught:
        load_labels(f"{FIXED}cat,{name}")
    message = str(caught.value)
    assert message.startswith(f"--labels: item 4: class name {name!r} ")
    assert "\n" not in message and "\u2028" not in message


@pytest.mark.parametrize(
    "name", ["a\x0bb", "a:b", "#7"], ids=["vertical-tab", "colon", "hash"]
)
def test_refused_in_a_labels_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / "labels.txt"
    path.write_text(f"__ignore__\n_background_\ncat\n{name}\n", "utf-8")
    with pytest.raises(LabelsError) as caught:
        read_labels_file(path)
    assert str(caught.value).startswith(f"{path}:4: line 4: class name {name!r} ")


def test_write_class_names_refuses_a_table_made_in_python(tmp_path: Path) -> None:
    with pytest.raises(LabelsError, match="class name 'a:1,2,3::' has ':'"):
        write_class_names(tmp_path, LabelTable(("_background_", "a:1,2,3::")))
    assert not list(tmp_path.iterdir())


allowed_names = st.text(min_size=1, max_size=12).filter(
    lambda name: class_name_problem(name) is None
)


names_lists = st.lists(allowed_names, min_size=1, max_size=6, unique=True).map(
    lambda names: [n for n in names if n != "_background_"]
)


def written(names: list[str], folder: str) -> tuple[LabelTable, Path, Path]:
    """The table of ``names`` and its class_names.txt and labelmap.txt."""
    table = LabelTable(("_background_", *names))
    class_names, labelmap = write_class_names(Path(folder), table)
    return table, class_names, labelmap


@given(names=names_lists)
def test_allowed_names_come_back_from_both_files(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        table, class_names, labelmap = written(names, folder)
        # class_names.txt as stats and most training code read it
        assert tuple(class_names.read_text("utf-8").splitlines()) == table.names
        parsed = datumaro_labelmap(labelmap.read_text("utf-8"))
    assert list(parsed) == ["background", *names, "ignored"]


def _datumaro_label_map_parser() -> object:
    try:  # the oracle for the parser above; heavy, so only where installed
        from datumaro.plugins.data_formats.voc.format import parse_label_map
    except ImportError:
        return None
    return parse_label_map


datumaro_parse_label_map = _datumaro_label_map_parser()


@pytest.mark.skipif(
    datumaro_parse_label_map is None,
    reason="Datumaro is not installed (pip install datumaro)",
)
@given(names=names_lists)
def test_datumaro_itself_reads_allowed_names_back(names: list[str]) -> None:
    """Datumaro's own labelmap parser agrees with the one above on our files."""
    with tempfile.TemporaryDirectory() as folder:
        _, _, labelmap = written(names, folder)
        parsed = datumaro_parse_label_map(str(labelmap))  # type: ignore[operator]
        expected = datumaro_labelmap(labelmap.read_text("utf-8"))
    assert {name: color for name, (color, _, _) in parsed.items()} == expected
    assert list(parsed) == ["background", *names, "ignored"]
