"""An object's label line: its own polygons clipped, never its mask; outlines
traced from masks for the rest (filled back, they give the mask's pixels);
boxes for detect; the numbers' precision."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from seg_convert.core.objects import Box, DrawnMask, Polygons, Rle, SampleObject, Shapes
from seg_convert.core.outlines import TracingUnavailable, traced_rings
from seg_convert.core.shapes import Shape
from seg_convert.formats.yolo.lines import (
    DECIMALS,
    WARNING_EMPTY,
    detect_line,
    segment_line,
)

WIDTH, HEIGHT = 64, 48


def undrawable() -> DrawnMask:
    raise AssertionError("the mask was drawn")


def drawn(mask: np.ndarray) -> DrawnMask:
    rows, columns = np.nonzero(mask)
    box: Box | None = (
        None
        if rows.size == 0
        else (
            int(columns.min()),
            int(rows.min()),
            int(columns.max()) + 1,
            int(rows.max()) + 1,
        )
    )
    frozen = np.asfortranarray(mask.astype(np.uint8))
    frozen.setflags(write=False)
    return frozen, box


def polygon_object(
    *parts: tuple[float, ...], mask: np.ndarray | None = None
) -> SampleObject:
    return SampleObject(
        number=1,
        label="cat",
        class_id=2,
        geometry=Polygons(parts),
        truncated=False,
        draw=undrawable if mask is None else (lambda: drawn(mask)),
    )


def mask_object(mask: np.ndarray) -> SampleObject:
    return SampleObject(
        number=1, label="cat", class_id=2, geometry=Rle({}), truncated=False,
        draw=lambda: drawn(mask),
    )  # fmt: skip


def numbers(line: str | None) -> tuple[int, np.ndarray]:
    assert line is not None
    fields = line.split()
    assert all(len(value.split(".")[1]) == DECIMALS for value in fields[1:])
    return int(fields[0]), np.array(fields[1:], dtype=np.float64).reshape(-1, 2)


def fill(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``points`` (pixels) filled as ultralytics fills a segment: the numbers
    read as float32, times the image's size, truncated to int32."""
    cv2 = pytest.importorskip("cv2")
    size = np.array([WIDTH, HEIGHT], dtype=np.float32)
    read = (points / (WIDTH, HEIGHT)).astype(np.float32) * size
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(mask, [read.astype(np.int32)], 1)
    return mask


def test_a_polygon_is_written_vertex_for_vertex_without_drawing_its_mask() -> None:
    line, warning = segment_line(
        polygon_object((2, 2, 40, 5, 20, 30)), width=WIDTH, height=HEIGHT
    )
    assert warning is None
    class_id, points = numbers(line)
    assert class_id == 1  # class id 2, the second after _background_
    np.testing.assert_allclose(
        points * (WIDTH, HEIGHT), [[2, 2], [40, 5], [20, 30]], atol=1e-4
    )


def test_a_polygon_reaching_outside_is_clipped_not_clamped() -> None:
    line, _ = segment_line(
        polygon_object((-32, 10, 32, 10, 32, 40)), width=WIDTH, height=HEIGHT
    )
    _, points = numbers(line)
    assert points.min() >= 0 and points.max() <= 1
    # The edge from (32, 40) to (-32, 10) meets x = 0 at y = 25: clamping
    # (-32, 10) to (0, 10) would have added area that is not the object's.
    pixels = {tuple(p) for p in np.round(points * (WIDTH, HEIGHT), 3)}
    assert pixels == {(0.0, 10.0), (32.0, 10.0), (32.0, 40.0), (0.0, 25.0)}


def test_a_polygon_wholly_outside_is_left_out_with_a_warning() -> None:
    empty = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    item = polygon_object((70, 10, 90, 10, 80, 30), mask=empty)
    assert segment_line(item, width=WIDTH, height=HEIGHT) == (None, WARNING_EMPTY)
    assert detect_line(item, width=WIDTH, height=HEIGHT) == (None, WARNING_EMPTY)


def test_labelme_shapes_pass_through_and_circles_are_polygons() -> None:
    rectangle = Shape("cat", "rectangle", ((40, 30), (5.5, 4)))
    item = SampleObject(1, "cat", 2, Shapes((rectangle,)), False, undrawable)
    _, points = numbers(segment_line(item, width=WIDTH, height=HEIGHT)[0])
    np.testing.assert_allclose(
        points * (WIDTH, HEIGHT), [[5.5, 4], [40, 4], [40, 30], [5.5, 30]], atol=1e-4
    )
    circle = Shape("cat", "circle", ((30, 20), (30, 30)))
    item = SampleObject(1, "cat", 2, Shapes((circle,)), False, undrawable)
    _, points = numbers(segment_line(item, width=WIDTH, height=HEIGHT)[0])
    radii = np.hypot(*(points * (WIDTH, HEIGHT) - (30, 20)).T)
    # Inscribed in the radius itself (see lines.CIRCLE_RIM), not labelme2coco's
    # r + 0.5.
    np.testing.assert_allclose(radii, 10, atol=1e-4)


def test_parts_apart_are_one_line_and_overlapping_parts_are_traced() -> None:
    apart = polygon_object((2, 2, 10, 2, 10, 10), (30, 30, 40, 30, 40, 40))
    _, points = numbers(segment_line(apart, width=WIDTH, height=HEIGHT)[0])
    assert len(points) == 3 + 3 + 2
    pytest.importorskip("cv2")
    union = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    union[2:12, 2:12] = union[6:16, 6:16] = 1
    overlapping = polygon_object(
        (2, 2, 11, 2, 11, 11, 2, 11), (6, 6, 15, 6, 15, 15, 6, 15), mask=union
    )
    _, points = numbers(segment_line(overlapping, width=WIDTH, height=HEIGHT)[0])
    # Filled even-odd, joined squares would lose their overlap; the union's
    # outline fills the union.
    np.testing.assert_array_equal(fill(points * (WIDTH, HEIGHT), union.shape), union)


def test_a_polygon_without_area_is_traced_from_what_labelme_draws() -> None:
    pytest.importorskip("cv2")
    line = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    line[5:9, 10:30] = 1
    flat = polygon_object((10, 5, 30, 5, 20, 5), mask=line)
    _, points = numbers(segment_line(flat, width=WIDTH, height=HEIGHT)[0])
    np.testing.assert_array_equal(fill(points * (WIDTH, HEIGHT), line.shape), line)


def shapes_with_holes() -> list[np.ndarray]:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    disc = ((x - 30) ** 2 + (y - 24) ** 2 <= 15**2).astype(np.uint8)
    ring = disc.copy()
    ring[(x - 30) ** 2 + (y - 24) ** 2 <= 6**2] = 0
    frame = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    frame[4:40, 4:50] = 1
    frame[10:20, 10:20] = frame[10:30, 30:44] = 0
    ell = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    ell[0:HEIGHT, 0:8] = ell[40:HEIGHT, 0:WIDTH] = 1  # touches the edges
    return [disc, ring, frame, ell]


@pytest.mark.parametrize(
    "mask", shapes_with_holes(), ids=["disc", "ring", "two holes", "at the edges"]
)
def test_a_traced_outline_filled_back_is_the_mask(mask: np.ndarray) -> None:
    pytest.importorskip("cv2")
    line, warning = segment_line(mask_object(mask), width=WIDTH, height=HEIGHT)
    assert warning is None
    _, points = numbers(line)
    np.testing.assert_array_equal(fill(points * (WIDTH, HEIGHT), mask.shape), mask)


def test_components_are_joined_into_one_line() -> None:
    pytest.importorskip("cv2")
    mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    mask[2:10, 2:10] = mask[30:40, 40:60] = 1
    rings = traced_rings(mask, drawn(mask)[1] or (0, 0, 0, 0))
    assert len(rings) == 2
    _, points = numbers(segment_line(mask_object(mask), width=WIDTH, height=HEIGHT)[0])
    filled = fill(points * (WIDTH, HEIGHT), mask.shape)
    assert (filled >= mask).all()  # both, and the bridge's pixels between them
    assert filled.sum() - mask.sum() < 45


@pytest.mark.parametrize(
    "pixels",
    [
        (slice(5, 6), slice(5, 20)),
        (slice(3, 30), slice(7, 8)),
        (slice(9, 10), slice(4, 5)),
    ],
    ids=["row", "column", "pixel"],
)
def test_an_object_too_thin_to_enclose_an_area_keeps_its_pixels(
    pixels: tuple[slice, slice],
) -> None:
    """A one-pixel line or a pixel (labelme draws a zero-width rectangle or a
    point at the image's edge so) is a line of 3 vertices or more that fills
    exactly its pixels, as ultralytics fills it."""
    pytest.importorskip("cv2")
    mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    mask[pixels] = 1
    line, warning = segment_line(mask_object(mask), width=WIDTH, height=HEIGHT)
    assert line is not None and warning is None
    _, points = numbers(line)
    assert len(points) >= 3
    assert (fill(points * (WIDTH, HEIGHT), mask.shape) == mask.astype(bool)).all()


def test_without_opencv_tracing_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 raises
    mask = np.ones((HEIGHT, WIDTH), dtype=np.uint8)
    with pytest.raises(TracingUnavailable, match=r"seg-convert\[yolo\]"):
        segment_line(mask_object(mask), width=WIDTH, height=HEIGHT)
    # Polygons and boxes need no OpenCV.
    assert segment_line(polygon_object((2, 2, 40, 5, 20, 30)), width=64, height=48)[0]
    assert detect_line(mask_object(mask), width=WIDTH, height=HEIGHT)[0]


def test_detect_lines_are_the_mask_box() -> None:
    mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    mask[10:20, 16:48] = 1
    line, warning = detect_line(mask_object(mask), width=WIDTH, height=HEIGHT)
    assert warning is None
    assert line == "1 0.500000 0.312500 0.500000 0.208333"


@pytest.mark.parametrize("side", [400, 4096, 16384])
def test_six_decimals_are_within_a_hundredth_of_a_pixel(side: int) -> None:
    """Read back as ultralytics reads them (float32, times the image size)."""
    rng = np.random.default_rng(side)
    edges = np.arange(side + 1, dtype=np.float64)
    xs = np.concatenate([rng.uniform(0, side, 20000), edges])
    ys = np.concatenate([rng.uniform(0, side, 20000), edges[::-1]])
    vertices = np.stack([xs, ys], axis=1).ravel()
    line, _ = segment_line(polygon_object(tuple(vertices)), width=side, height=side)
    assert line is not None
    read = np.array(line.split()[1:], dtype=np.float32) * np.float32(side)
    assert np.abs(read.astype(np.float64) - vertices).max() < 0.01
