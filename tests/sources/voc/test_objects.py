"""The objects of a mask sample, the masks' kinds and the class tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seg_convert.core.errors import AnnotationError, LabelsError
from seg_convert.core.labels import LabelTable
from seg_convert.sources.voc.classes import read_class_names, read_labelmap
from seg_convert.sources.voc.masks import class_ids, instance_colors, read_mask
from seg_convert.sources.voc.objects import (
    WARNING_BACKGROUND,
    WARNING_MIXED,
    number_objects,
    sample_objects,
    void_regions,
)

LIMITS = {"max_pixels": 1 << 24, "max_bytes": 1 << 24}


def test_an_instance_takes_its_majority_class_and_ids_are_renumbered() -> None:
    classes = np.array([[1, 1, 2, 0], [-1, 3, 3, 0]], dtype=np.int32)
    values = np.array([[5, 5, 5, 9], [5, 2, 2, 0]], dtype=np.int64)
    numbered = number_objects(classes, values, "instances")
    # id 2 (class 3) is 1, id 5 (mostly class 1; its void pixel in none) is 2,
    # id 9 is background only: left out.
    np.testing.assert_array_equal(numbered.instances, [[2, 2, 2, 0], [0, 1, 1, 0]])
    assert numbered.classes == (3, 1)
    assert numbered.warnings == (WARNING_MIXED, WARNING_BACKGROUND)


def test_components_are_8_connected_per_class_and_classes_one_each() -> None:
    classes = np.array(
        [[1, 0, 0, 2], [0, 1, 0, 2], [0, 0, 0, 0], [1, 0, 2, -1]], dtype=np.int32
    )
    components = number_objects(classes, None, "components")
    assert components.classes == (1, 1, 2, 2)
    np.testing.assert_array_equal(
        components.instances, [[1, 0, 0, 3], [0, 1, 0, 3], [0, 0, 0, 0], [2, 0, 4, 0]]
    )
    per_class = number_objects(classes, None, "classes")
    assert per_class.classes == (1, 2)
    assert void_regions(classes) == 1


def test_objects_are_rle_of_their_pixels() -> None:
    classes = np.array([[1, 1, 0], [0, 2, 2]], dtype=np.int32)
    numbered = number_objects(classes, None, "classes")
    found = sample_objects(numbered, LabelTable(("_background_", "a", "b")))
    assert [(item.number, item.label) for item in found] == [(1, "a"), (2, "b")]
    np.testing.assert_array_equal(found[1].mask, [[0, 0, 0], [0, 1, 1]])
    assert found[1].box == (1, 1, 3, 2)
    assert found[1].geometry.rle["size"] == [2, 3]  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", ["L", "I;16"], ids=["gray8", "gray16"])
def test_gray_masks_are_read_by_value(tmp_path: Path, mode: str) -> None:
    values = np.array([[0, 2], [255, 1]], dtype=np.uint8 if mode == "L" else np.uint16)
    path = tmp_path / "m.png"
    image = Image.fromarray(values)
    assert image.mode == mode
    image.save(path)
    read = read_mask(path, owner=path, what="the mask", colors=None, **LIMITS)
    got = class_ids(read, class_count=3, owner=path, what="the mask")
    np.testing.assert_array_equal(got, [[0, 2], [-1, 1]])
    with pytest.raises(AnnotationError, match="holds 2"):
        class_ids(read, class_count=2, owner=path, what="the mask")


def test_palette_masks_are_read_by_index_not_color(tmp_path: Path) -> None:
    path = tmp_path / "m.png"
    image = Image.fromarray(np.array([[0, 1]], dtype=np.uint8), mode="P")
    image.putpalette([9, 9, 9] * 256)  # every index the same color
    image.save(path)
    read = read_mask(path, owner=path, what="the mask", colors=None, **LIMITS)
    np.testing.assert_array_equal(read, [[0, 1]])


def test_rgb_instance_masks_go_by_voc_colors(tmp_path: Path) -> None:
    colors = instance_colors()
    assert len(colors) == 256 and colors[(128, 0, 0)] == 1
    assert colors[(224, 224, 192)] == 255


def test_labelmap_as_datumaro_and_cvat_write_it(tmp_path: Path) -> None:
    path = tmp_path / "labelmap.txt"
    path.write_text(
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:1,2,3::\n"
        "  dog:4,5,6:head:\nignored:224,224,192::\n"
    )
    labelmap = read_labelmap(path)
    table = labelmap.table(str(path))
    assert table.names == ("_background_", "cat", "dog")
    assert labelmap.colors(table, str(path)) == {
        (0, 0, 0): 0,
        (1, 2, 3): 1,
        (4, 5, 6): 2,
        (224, 224, 192): 255,
    }
    path.write_text("cat:1,2::\n")
    with pytest.raises(LabelsError, match="not a color"):
        read_labelmap(path)


def test_class_names_start_at_background(tmp_path: Path) -> None:
    path = tmp_path / "class_names.txt"
    path.write_text("_background_\ncat\n")
    assert read_class_names(path).names == ("_background_", "cat")


def test_rgb_masks_go_by_their_colors_and_an_unknown_one_is_named(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.png"
    rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    rgb[0, 1] = (1, 2, 3)
    Image.fromarray(rgb).save(path)
    colors = {(0, 0, 0): 0, (1, 2, 3): 4}
    read = read_mask(path, owner=path, what="the mask", colors=colors, **LIMITS)
    np.testing.assert_array_equal(read, [[0, 4], [0, 0]])
    rgb[1, 1] = (9, 9, 9)
    Image.fromarray(rgb).save(path)
    with pytest.raises(AnnotationError, match=r"color \(9, 9, 9\)"):
        read_mask(path, owner=path, what="the mask", colors=colors, **LIMITS)


def test_labelmap_void_color_is_void_and_negative_values_are_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.png"
    rgb = np.zeros((1, 2, 3), dtype=np.uint8)
    rgb[0, 1] = (224, 224, 192)
    Image.fromarray(rgb).save(path)
    colors = {(0, 0, 0): 0, (224, 224, 192): 255}
    read = read_mask(path, owner=path, what="the mask", colors=colors, **LIMITS)
    got = class_ids(read, class_count=2, owner=path, what="the mask")
    np.testing.assert_array_equal(got, [[0, -1]])
    with pytest.raises(AnnotationError, match="holds -1"):
        class_ids(np.array([[-1]]), class_count=2, owner=path, what="the mask")
