"""Writing the dataset: palette PNGs round-trip, and files are whole or absent."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from seg_convert.core.inputs import Input
from seg_convert.core.labels import LabelTable
from seg_convert.core.options import LAYOUT_NAMES, Options
from seg_convert.formats.voc import writer as voc
from seg_convert.sources.labelme.source import check_file
from tests.conftest import WriteAnnotation, shape


@settings(max_examples=100, deadline=None)
@given(
    arrays(
        np.int32,
        st.tuples(st.integers(1, 40), st.integers(1, 40)),
        elements=st.integers(-1, 254),
    )
)
def test_label_png_round_trips(label: np.ndarray) -> None:
    with Image.open(io.BytesIO(voc.label_png(label))) as png:
        assert png.mode == "P"
        indices = np.asarray(png).astype(np.int32)
    np.testing.assert_array_equal(np.where(indices == 255, -1, indices), label)


@pytest.mark.parametrize(
    ("layout", "npy", "expected"),
    [
        ("labelme", True, ["JPEGImages", "SegmentationClass", "SegmentationClassPNG"]),
        (
            "voc",
            True,
            ["JPEGImages", "SegmentationClassNpy", "SegmentationClass", "Annotations"],
        ),
        ("voc", False, ["JPEGImages", "SegmentationClass", "Annotations"]),
    ],
)
def test_the_writer_writes_the_files_of_its_options(
    write_annotation: WriteAnnotation,
    tmp_path: Path,
    layout: str,
    npy: bool,
    expected: list[str],
) -> None:
    source = write_annotation("s", [shape("cat", [[2, 2], [40, 5], [20, 30]])])
    options = Options(labels=LabelTable(("_background_", "cat")), layout=layout)
    writer = voc.VocWriter(dataclasses.replace(options, npy=npy, visualize=False))
    out = tmp_path / "out"
    for folder in writer.dataset_dirs(("train", "val")):
        (out / folder).mkdir(parents=True)
    sample = check_file(Input(source, "s"), writer.options, instances=False)
    paths = writer.write_sample(out, sample).outputs
    assert [p.relative_to(out).parent.as_posix() for p in paths] == expected
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == sorted(
        p.relative_to(out) for p in paths
    )
    png = next(p for p in paths if p.suffix == ".png")
    with Image.open(png) as image:
        np.testing.assert_array_equal(np.asarray(image), sample.arrays.indices)
    if npy:
        np.testing.assert_array_equal(np.load(paths[1]), sample.arrays.classes)


def test_class_names_and_labelmap(tmp_path: Path) -> None:
    names, labelmap = voc.write_class_names(
        tmp_path, LabelTable(("_background_", "行人", "car"))
    )
    assert names.read_bytes() == "_background_\n行人\ncar\n".encode()
    assert labelmap.read_text("utf-8") == (
        "# label:color_rgb:parts:actions\n"
        "background:0,0,0::\n"
        "行人:128,0,0::\n"
        "car:0,128,0::\n"
        "ignored:224,224,192::\n"
    )


def test_the_options_name_every_layout() -> None:
    """The command line offers the layouts from the options' list."""
    assert sorted(voc.LAYOUTS) == sorted(LAYOUT_NAMES)
