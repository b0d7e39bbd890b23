"""Choosing the legend's font, and saying which class names it cannot write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seg_convert.render import fonts
from seg_convert.render.fonts import (
    BUILTIN_FONT,
    choose_font,
    missing_characters,
    undrawable_names,
    undrawable_names_warning,
)
from tests.conftest import WriteAnnotation, shape
from tests.helpers import convert

DEJAVU = next(
    (path for path in fonts.FONT_CANDIDATES[:3] if Path(path).is_file()), None
)
requires_dejavu = pytest.mark.skipif(
    DEJAVU is None,
    reason="DejaVu Sans is not installed (e.g. apt-get install fonts-dejavu-core); "
    "these tests need a real font with Latin and Cyrillic but no CJK",
)


def test_builtin_font_has_latin_only() -> None:
    assert missing_characters(BUILTIN_FONT, "cat") == set()
    assert missing_characters(BUILTIN_FONT, "行ш") == {"行", "ш"}


def test_without_installed_fonts_the_builtin_font_is_chosen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(fonts, "FONT_CANDIDATES", (str(tmp_path / "none.ttf"),))
    assert choose_font(["cat", "行人"]) == BUILTIN_FONT


@requires_dejavu
def test_choose_font_takes_an_installed_font_over_the_builtin_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert DEJAVU is not None
    candidates = (str(tmp_path / "absent.ttf"), DEJAVU)
    monkeypatch.setattr(fonts, "FONT_CANDIDATES", candidates)
    # Pillow's built-in font has no ß or Cyrillic: only a font file can win.
    assert choose_font(["Straße", "пешеход"]) == DEJAVU
    # No candidate has 行: the one missing fewest characters still wins.
    assert choose_font(["行人", "пешеход"]) == DEJAVU


def test_undrawable_names_with_the_builtin_font() -> None:
    names = ["cat", "行人", "traffic light", "行人", "пешеход"]
    assert undrawable_names(BUILTIN_FONT, names) == ("行人", "пешеход")
    assert undrawable_names(BUILTIN_FONT, ["cat", "traffic light"]) == ()


@requires_dejavu
def test_undrawable_names_with_a_real_font() -> None:
    assert DEJAVU is not None
    names = ["_background_", "行人", "Straße", "пешеход", "自行车"]
    assert undrawable_names(DEJAVU, names) == ("行人", "自行车")


def test_the_warning_names_the_names_and_the_fix() -> None:
    warning = undrawable_names_warning(BUILTIN_FONT, ["_background_", "行人", "car"])
    assert warning == (
        "the legend's font (Pillow's built-in font) cannot write '行人': they show "
        "as boxes (give --font FILE with a font that has them, or install one, e.g. "
        "the package fonts-noto-cjk or fonts-wqy-microhei)"
    )
    assert undrawable_names_warning(BUILTIN_FONT, ["_background_", "car"]) is None


@requires_dejavu
def test_a_font_without_cjk_is_warned_about_once_a_run(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    assert DEJAVU is not None
    for stem in ("a", "b", "c"):
        write_annotation(stem, [shape("行人", [[2, 2], [40, 5], [20, 30]])])
    report = tmp_path / "report.json"
    result = convert(
        tmp_path / "in",
        tmp_path / "out",
        labels_file,
        "--font",
        DEJAVU,
        "-j",
        "2",
        report=report,
    )
    assert result.exit_code == 0, result.output
    warning = (
        f"the legend's font ({DEJAVU}) cannot write '行人': they show as boxes (give "
        "--font FILE with a font that has them, or install one, e.g. the package "
        "fonts-noto-cjk or fonts-wqy-microhei)"
    )
    assert result.stderr.splitlines() == [
        f"converted 3 of 3 files into {tmp_path / 'out'}",
        f"warning: {warning}",
    ]
    document = json.loads(report.read_text("utf-8"))
    assert document["warnings"] == [warning]
    assert all(item["warnings"] == [] for item in document["files"])
