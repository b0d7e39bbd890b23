"""Writing the dataset: palette PNGs round-trip, and files are whole or absent."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from seg_convert import voc
from seg_convert.labels import LabelTable


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


def test_write_sample_writes_each_file_atomically(tmp_path: Path) -> None:
    layout = voc.LAYOUTS["labelme"]
    for folder in voc.dataset_dirs(layout, visualize=False, instances=False):
        (tmp_path / folder).mkdir(parents=True)
    label = np.zeros((3, 4), np.int32)
    image = Image.new("RGB", (4, 3))
    indices = label.astype(np.uint8)
    sample = voc.Sample("s", label, indices, image=image)
    paths = voc.write_sample(tmp_path, layout, sample)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "JPEGImages/s.jpg",
        "SegmentationClass/s.npy",
        "SegmentationClassPNG/s.png",
    ]
    assert not list(tmp_path.rglob("*.tmp"))
    np.testing.assert_array_equal(np.load(paths[1]), label)


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
