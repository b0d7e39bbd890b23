"""Hostile inputs, round two (issue #23): files that are not files, sizes
declared or real beyond the limits, numbers beyond their ranges, values that
crash pycocotools.

Each case runs the real command in a subprocess with a timeout, so a hang
fails the test (not the suite) and a crash in native code (a segfault) fails
it too. For every bad input: one line on stderr naming the file (and the
image), no traceback, the good inputs converted, exit code 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.conftest import b64, gradient_image, png_bytes, shape

W, H = 64, 48
TIMEOUT = 60
LABELS = "__ignore__\n_background_\ncat\n"
CAT = shape("cat", [[2, 2], [30, 4], [15, 25]])
# Wraps the CLI to report its peak memory (ru_maxrss, kB) on the last line.
_MEASURED = (
    "import resource, sys\n"
    "from seg_convert.cli import cli\n"
    "try:\n"
    "    cli.main(sys.argv[1:], prog_name='seg-convert')\n"
    "except SystemExit as stop:\n"
    "    code = stop.code\n"
    "print('peak_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
    " file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def run(*args: object, measured: bool = False) -> subprocess.CompletedProcess[str]:
    command = (
        [sys.executable, "-c", _MEASURED]
        if measured
        else [
            sys.executable,
            "-m",
            "seg_convert",
        ]
    )
    return subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    text = result.stderr + result.stdout  # validate reports on stdout
    assert "Traceback" not in text, text
    return [line for line in text.splitlines() if ": " in line]


# --- labelme -----------------------------------------------------------------


def labelme_file(folder: Path, stem: str, **changes: Any) -> Path:
    document: dict[str, Any] = {
        "version": "5.4.1",
        "flags": {},
        "shapes": [CAT],
        "imagePath": f"{stem}.png",
        "imageData": None,
        "imageHeight": H,
        "imageWidth": W,
    }
    document.update(changes)
    if document["imagePath"] == f"{stem}.png" and document["imageData"] is None:
        gradient_image(W, H).save(folder / f"{stem}.png")
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def labelme_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    labelme_file(folder, "a_good")
    labelme_file(folder, "z_good")
    (tmp_path / "labels.txt").write_text(LABELS)
    return folder


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def to_dev_zero(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    with path.open("wb") as stream:  # no disk space, no time
        stream.write(head)
        stream.truncate(size)
    return path


def json_fifo(folder: Path) -> str:
    fifo(folder / "m_bad.json")
    return "m_bad.json: is a pipe or a device, not a JSON file"


def json_dev_zero(folder: Path) -> str:
    to_dev_zero(folder / "m_bad.json")
    return "m_bad.json: is a pipe or a device, not a JSON file"


def json_sparse_16_gib(folder: Path) -> str:
    sparse(folder / "m_bad.json", 16 << 30, b'{"shapes": [], "pad": "')
    return "m_bad.json: is larger than 268,435,456 bytes"


def image_fifo(folder: Path) -> str:
    labelme_file(folder, "m_bad", imagePath="m_bad.png")
    (folder / "m_bad.png").unlink()
    fifo(folder / "m_bad.png")
    return "m_bad.png is a pipe or a device, not an image"


def image_dev_zero(folder: Path) -> str:
    labelme_file(folder, "m_bad", imagePath="zero.png")
    to_dev_zero(folder / "zero.png")
    return "zero.png is a pipe or a device, not an image"


def image_sparse_40_gib(folder: Path) -> str:
    labelme_file(folder, "m_bad", imagePath="m_bad.png")
    sparse(folder / "m_bad.png", 40 << 30, png_bytes(gradient_image(W, H)))
    return "m_bad.png is 42,949,672,960 bytes or more, over the limit of 268,435,456"


LABELME_CASES = [json_fifo, json_dev_zero, json_sparse_16_gib, image_fifo]
LABELME_CASES += [image_dev_zero, image_sparse_40_gib]


@pytest.mark.parametrize("make_bad", LABELME_CASES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("command", ["labelme2voc", "validate", "stats"])
def test_labelme_bad_file_is_one_line_and_no_hang(
    labelme_dir: Path, tmp_path: Path, make_bad: Callable[[Path], str], command: str
) -> None:
    expected = make_bad(labelme_dir)
    labels = tmp_path / "labels.txt"
    started = time.monotonic()
    if command == "labelme2voc":
        out = tmp_path / "out"
        result = run("labelme2voc", labelme_dir, out, "--labels", labels, "-j", "1")
        assert sorted(p.name for p in (out / "JPEGImages").iterdir()) == [
            "a_good.jpg",
            "z_good.jpg",
        ]
    elif command == "validate":
        result = run("validate", labelme_dir, "--labels", labels)
    else:
        result = run("stats", labelme_dir, "--labels", labels)
    assert time.monotonic() - started < 30  # no hashing of GiB before refusing
    assert result.returncode == 1, result.stderr
    lines = [line for line in error_lines(result) if "m_bad" in line]
    assert lines and all(expected in line for line in lines), lines


def test_a_font_that_is_a_pipe_is_refused(labelme_dir: Path, tmp_path: Path) -> None:
    font = fifo(tmp_path / "font.ttf")
    result = run(
        "labelme2voc",
        labelme_dir,
        tmp_path / "out",
        "--labels",
        tmp_path / "labels.txt",
        "--font",
        font,
    )
    assert result.returncode == 2, result.stderr
    assert "font.ttf: is a pipe or a device, not a file, not a font file" in (
        result.stderr
    )


def test_labels_from_dev_zero_say_so(labelme_dir: Path, tmp_path: Path) -> None:
    result = run("labelme2voc", labelme_dir, tmp_path / "out", "--labels", "/dev/zero")
    assert result.returncode == 2
    assert "/dev/zero: is a pipe or a device, not a labels file" in result.stderr


def test_image_path_with_a_backslash_beside_the_json_is_taken_literally(
    labelme_dir: Path, tmp_path: Path
) -> None:
    gradient_image(W, H).save(labelme_dir / "back\\slash.png", format="PNG")
    labelme_file(labelme_dir, "m_slash", imagePath="back\\slash.png")
    result = run(
        "labelme2voc",
        labelme_dir,
        tmp_path / "out",
        "--labels",
        tmp_path / "labels.txt",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "JPEGImages" / "m_slash.jpg").is_file()


def converted(labelme_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    result = run("labelme2voc", labelme_dir, out, "--labels", tmp_path / "labels.txt")
    assert result.returncode == 0, result.stderr
    return out


def test_stats_refuses_a_forged_npy_header_and_counts_the_rest(
    labelme_dir: Path, tmp_path: Path
) -> None:
    out = converted(labelme_dir, tmp_path)
    header = "{'descr': '<i4', 'fortran_order': False, 'shape': (100000, 100000), }"
    header = header.ljust(118) + "\n"
    forged = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    (out / "SegmentationClass" / "m_forged.npy").write_bytes(forged)
    fifo(out / "SegmentationClass" / "m_pipe.npy")
    result = run("stats", out)
    lines = error_lines(result)
    assert any(
        "m_forged.npy: its header says 100000x100000 = 10,000,000,000 elements" in line
        for line in lines
    ), result.stderr
    assert any(
        "m_pipe.npy: is a pipe or a device, not a file, not a label array" in line
        for line in lines
    ), result.stderr
    assert "2" in result.stdout  # the two good arrays are counted


# --- COCO ----------------------------------------------------------------------


def coco_dir(tmp_path: Path, images: list[dict[str, Any]]) -> Path:
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    for image in images:
        target = folder / image["file_name"]
        if not target.exists() and not target.is_symlink():
            gradient_image(W, H).save(target)
    return folder


def image(image_id: int, name: str, **changes: Any) -> dict[str, Any]:
    return {"id": image_id, "file_name": name, "width": W, "height": H, **changes}


def annotation(number: int, image_id: int, segmentation: object) -> dict[str, Any]:
    return {
        "id": number,
        "image_id": image_id,
        "category_id": 1,
        "segmentation": segmentation,
        "iscrowd": 0,
        "area": 1.0,
        "bbox": [0, 0, 1, 1],
    }


TRIANGLE = [[2.0, 2.0, 30.0, 4.0, 15.0, 25.0]]


def coco_file(
    tmp_path: Path,
    images: list[dict[str, Any]],
    annotations: list[dict[str, Any]],
    *,
    text: str | None = None,
) -> tuple[Path, Path]:
    folder = coco_dir(tmp_path, images)
    document = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}],
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(document) if text is None else text)
    return path, folder


def coco2voc(
    path: Path, folder: Path, out: Path, *args: object, measured: bool = False
) -> subprocess.CompletedProcess[str]:
    return run(
        "coco2voc", path, out, "--images", folder, "-j", "1", *args, measured=measured
    )


def good_and(
    bad: dict[str, Any], *annotations: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    images = [image(1, "a.png"), bad, image(3, "z.png")]
    found = [annotation(1, 1, TRIANGLE), *annotations, annotation(3, 3, TRIANGLE)]
    return images, found


def written(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "JPEGImages").iterdir())


@pytest.mark.parametrize(
    ("coordinate", "shown"),
    [(1e308, "x = 1e+308"), (-1e9, "x = -1e+09"), (2e7, "x = 2e+07")],
)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_polygons_that_crash_pycocotools_are_refused_naming_the_image(
    tmp_path: Path, coordinate: float, shown: str, jobs: str
) -> None:
    polygon = [[coordinate, 2.0, 30.0, 4.0, 15.0, 25.0]]
    images, annotations = good_and(image(2, "m.png"), annotation(2, 2, polygon))
    path, folder = coco_file(tmp_path, images, annotations)
    result = coco2voc(path, folder, tmp_path / "out", "-j", jobs)
    assert result.returncode == 1, result.stderr  # not a crash (-11)
    assert written(tmp_path / "out") == ["a.jpg", "z.jpg"]
    (line,) = error_lines(result)[:1]
    assert f"image 2 (m.png): annotation 2: polygon 0 has {shown}, far outside" in (
        line
    )


@pytest.mark.parametrize(
    "counts",
    ["0\x00" + "1" * 40, "0P", "\x7f\x7f", "ooooooooooO"],
    ids=["nul", "unterminated", "outside", "too_long"],
)
def test_compressed_counts_pycocotools_would_overrun_are_refused(
    tmp_path: Path, counts: str
) -> None:
    rle = {"size": [H, W], "counts": counts}
    images, annotations = good_and(image(2, "m.png"), annotation(2, 2, rle))
    path, folder = coco_file(tmp_path, images, annotations)
    result = coco2voc(path, folder, tmp_path / "out")
    assert result.returncode == 1, result.stderr
    assert written(tmp_path / "out") == ["a.jpg", "z.jpg"]
    (line,) = error_lines(result)[:1]
    assert "image 2 (m.png): annotation 2: RLE counts" in line


def test_declared_size_is_checked_against_the_image_before_decoding(
    tmp_path: Path,
) -> None:
    huge = image(2, "m.png", width=10**9, height=10**9)
    rle = {"size": [10**9, 10**9], "counts": "0"}
    images, annotations = good_and(huge, annotation(2, 2, rle))
    path, folder = coco_file(tmp_path, images, annotations)
    result = coco2voc(path, folder, tmp_path / "out")
    assert result.returncode == 1, result.stderr
    assert written(tmp_path / "out") == ["a.jpg", "z.jpg"]
    (line,) = error_lines(result)[:1]
    assert "image 2 (m.png): width is 1000000000 but the image is 64x48" in line


@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_an_image_that_is_not_a_file_fails_alone(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    (fifo if kind == "fifo" else to_dev_zero)(folder / "m.png")
    images, annotations = good_and(image(2, "m.png"), annotation(2, 2, TRIANGLE))
    path, folder = coco_file(tmp_path, images, annotations)
    result = coco2voc(path, folder, tmp_path / "out")
    assert result.returncode == 1, result.stderr
    assert written(tmp_path / "out") == ["a.jpg", "z.jpg"]
    (line,) = error_lines(result)[:1]
    assert "image 2 (m.png): the image is a pipe or a device, not an image" in line


@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_an_annotation_file_that_is_not_a_file(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    path = (fifo if kind == "fifo" else to_dev_zero)(tmp_path / "instances.json")
    result = coco2voc(path, folder, tmp_path / "out")
    assert result.returncode != 0
    assert "instances.json: is a pipe or a device, not a file, not a COCO file" in (
        result.stderr
    ), result.stderr


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"id": 2**70},
            "image 1180591620717411303424 (m.png): 'id' is 1180591620717411303424, "
            "more than 9,223,372,036,854,775,807 (COCO's ids are 64-bit integers)",
        ),
        (
            {"width": 2**40},
            "image 2 (m.png): 'width' is 1099511627776, more than 2,147,483,647",
        ),
    ],
    ids=["id", "width"],
)
def test_a_record_beyond_its_range_fails_alone(
    tmp_path: Path, changes: dict[str, int], expected: str
) -> None:
    bad = image(2, "m.png", **changes)
    images, annotations = good_and(bad, annotation(2, bad["id"], TRIANGLE))
    path, folder = coco_file(tmp_path, images, annotations)
    result = coco2voc(path, folder, tmp_path / "out")
    assert result.returncode == 1, result.stderr
    assert written(tmp_path / "out") == ["a.jpg", "z.jpg"]
    (line,) = error_lines(result)[:1]
    assert line == f"{path}: {expected}"


def test_a_number_of_thousands_of_digits_names_the_file(tmp_path: Path) -> None:
    images, annotations = good_and(image(2, "m.png"), annotation(2, 2, TRIANGLE))
    text = json.dumps(
        {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": 1, "name": "cat"}],
        }
    ).replace('"id": 2,', '"id": ' + "7" * 5001 + ",", 1)
    path, folder = coco_file(tmp_path, images, annotations, text=text)
    result = coco2voc(path, folder, tmp_path / "out")
    assert result.returncode != 0
    assert "a number of thousands of digits" in result.stderr, result.stderr


def test_the_largest_image_id_keeps_its_annotation(tmp_path: Path) -> None:
    top = 2**63 - 1
    images, annotations = good_and(image(top, "m.png"), annotation(2, top, TRIANGLE))
    path, folder = coco_file(tmp_path, images, annotations)
    out = tmp_path / "out"
    result = coco2voc(path, folder, out)
    assert result.returncode == 0, result.stderr
    classes = np.load(out / "SegmentationClass" / "m.npy")
    assert (classes == 1).sum() > 0  # its triangle, not silently dropped


def test_two_annotations_keys_are_an_error_naming_the_key(tmp_path: Path) -> None:
    images, annotations = good_and(image(2, "m.png"))
    text = json.dumps(
        {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": 1, "name": "cat"}],
        }
    )
    text = text[:-1] + ', "annotations": []}'
    path, folder = coco_file(tmp_path, images, annotations, text=text)
    result = coco2voc(path, folder, tmp_path / "out")
    assert result.returncode != 0
    assert "instances.json: the top-level key 'annotations' appears twice" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8-sig", None), ("utf-16", "is UTF-16 text; a COCO file is UTF-8")],
)
def test_a_coco_file_with_a_bom(
    tmp_path: Path, encoding: str, expected: str | None
) -> None:
    images, annotations = good_and(image(2, "m.png"))
    folder = coco_dir(tmp_path, images)
    path = tmp_path / "instances.json"
    document = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}],
    }
    path.write_bytes(json.dumps(document).encode(encoding))
    result = coco2voc(path, folder, tmp_path / "out")
    if expected is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert expected in result.stderr, result.stderr


def test_a_category_name_the_table_refuses_names_the_category(
    tmp_path: Path,
) -> None:
    images, annotations = good_and(image(2, "m.png"))
    folder = coco_dir(tmp_path, images)
    path = tmp_path / "instances.json"
    document = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}, {"id": 7, "name": "a:b"}],
    }
    path.write_text(json.dumps(document))
    result = coco2voc(path, folder, tmp_path / "out")
    assert result.returncode != 0
    assert "category 7: name 'a:b'" in result.stderr, result.stderr


def test_a_long_unused_value_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    """The index skips ``info`` without holding it: a 128 MB string costs
    little more than a file without it (it peaked at 2.6 times the string)."""
    images, annotations = good_and(image(2, "m.png"), annotation(2, 2, TRIANGLE))
    folder = coco_dir(tmp_path, images)
    body = json.dumps(
        {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": 1, "name": "cat"}],
        }
    )
    path = tmp_path / "instances.json"
    size = 128 << 20
    with path.open("w") as stream:
        stream.write('{"info": "')
        chunk = 'ab\\"cd' * (1 << 18)
        for _ in range(size // len(chunk)):
            stream.write(chunk)
        stream.write('", ' + body[1:])
    result = coco2voc(path, folder, tmp_path / "out", measured=True)
    assert result.returncode == 0, result.stderr
    small = tmp_path / "small.json"
    small.write_text(body)
    baseline = coco2voc(small, folder, tmp_path / "out2", measured=True)
    peak, base = (int(r.stderr.split("peak_kb")[-1]) for r in (result, baseline))
    print(f"peak {peak} kB, without the string {base} kB")
    assert peak - base < 50_000, (peak, base)  # kB; the string is 131,072 kB


def test_labelme2coco_object_of_256_polygons(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    parts = [
        shape("cat", [[x, y], [x + 1.5, y], [x, y + 1.5]], group_id=1)
        for x in range(0, 60, 3)
        for y in range(0, 44, 3)
    ][:256]
    assert len(parts) == 256
    labelme_file(folder, "many", shapes=parts)
    (tmp_path / "labels.txt").write_text(LABELS)
    result = run(
        "labelme2coco", folder, tmp_path / "out", "--labels", tmp_path / "labels.txt"
    )
    assert result.returncode == 0, result.stderr


def test_a_worker_death_names_the_image(tmp_path: Path) -> None:
    from seg_convert.core.sample import FileResult
    from seg_convert.sources.coco.index import CocoImage

    item = CocoImage(
        source=tmp_path / "instances.json",
        stem="m",
        image_id=2,
        file_name="m.png",
        width=W,
        height=H,
        spans=b"",
        annotations_print=(0, 0),
        split=None,
    )
    result = FileResult.failure(item, "the worker converting it died (signal 11)")
    assert str(result.error) == (
        f"{tmp_path / 'instances.json'}: image 2 (m.png): the worker converting it "
        "died (signal 11)"
    )


def test_embedded_image_peak_is_bounded(tmp_path: Path) -> None:
    """An embedded 4000 x 4000 PNG (16 Mpx): the peak per pixel, measured,
    is what docs/guarantees.md#limits states."""
    folder = tmp_path / "in"
    folder.mkdir()
    side = 4000
    picture = Image.fromarray(
        np.random.default_rng(0).integers(0, 255, (side, side, 3), dtype=np.uint8)
    )
    labelme_file(
        folder,
        "big",
        imageData=b64(png_bytes(picture)),
        imagePath="big.png",
        imageWidth=side,
        imageHeight=side,
    )
    (tmp_path / "labels.txt").write_text(LABELS)
    result = run(
        "labelme2voc",
        folder,
        tmp_path / "out",
        "--labels",
        tmp_path / "labels.txt",
        measured=True,
    )
    assert result.returncode == 0, result.stderr
    peak_kb = int(result.stderr.split("peak_kb")[-1])
    per_pixel = peak_kb * 1024 / side**2
    print(f"peak {peak_kb} kB, {per_pixel:.1f} bytes a pixel")
    assert per_pixel < 40, per_pixel


# --- messages a user needs ------------------------------------------------------


def test_the_same_annotation_file_given_twice_says_so(tmp_path: Path) -> None:
    images, annotations = good_and(image(2, "m.png"))
    path, folder = coco_file(tmp_path, images, annotations)
    result = run("coco2voc", path, path, tmp_path / "out", "--images", folder)
    assert result.returncode != 0
    assert f"{path}: given twice" in result.stderr, result.stderr
    assert "would both be written" not in result.stderr


def test_an_image_that_is_a_symlink_loop_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "m.png").symlink_to("m.png")
    images, annotations = good_and(image(2, "m.png"), annotation(2, 2, TRIANGLE))
    path, folder = coco_file(tmp_path, images, annotations)
    result = coco2voc(path, folder, tmp_path / "out")
    assert result.returncode == 1
    (line,) = error_lines(result)[:1]
    assert "m.png: cannot read: Too many levels of symbolic links" in line, line
    assert "not found" not in line


def test_annotations_piped_to_stdin_say_what_to_do(tmp_path: Path) -> None:
    images, annotations = good_and(image(2, "m.png"))
    path, folder = coco_file(tmp_path, images, annotations)
    result = subprocess.run(  # a pipe, as `cat FILE | seg-convert ...` gives
        [
            sys.executable,
            "-m",
            "seg_convert",
            "coco2voc",
            "/dev/stdin",
            str(tmp_path / "out"),
            "--images",
            str(folder),
        ],
        input=path.read_text(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode != 0
    assert "None" not in result.stderr
    assert (
        "/dev/stdin: is a pipe or a device, not a file, not a COCO file (save it "
        "to a file and give that)"
    ) in result.stderr, result.stderr


# A run whose worker dies (SIGSEGV, as a crash in native code) converting the
# COCO image of id 2; set in the runner before the workers are forked.
_CRASHING_RUN = """
import os, signal, sys
from seg_convert.cli import cli
from seg_convert.sources.coco import source

check = source.CocoReader._check

def crashing_check(self, item, *args, **kwargs):
    if item.image_id == 2:
        os.kill(os.getpid(), signal.SIGSEGV)
    return check(self, item, *args, **kwargs)

source.CocoReader._check = crashing_check
cli.main(sys.argv[1:], prog_name="seg-convert")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the patch reaches workers by fork")
def test_a_worker_dying_on_an_image_names_it(tmp_path: Path) -> None:
    images, annotations = good_and(image(2, "m.png"), annotation(2, 2, TRIANGLE))
    path, folder = coco_file(tmp_path, images, annotations)
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _CRASHING_RUN,
            "coco2voc",
            str(path),
            str(out),
            "--images",
            str(folder),
            "-j",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 1, result.stderr
    assert written(out) == ["a.jpg", "z.jpg"]
    (line,) = error_lines(result)[:1]
    assert line == (
        f"{path}: image 2 (m.png): the worker converting it died (killed by "
        "signal 11, SIGSEGV)"
    )


# --- YOLO datasets --------------------------------------------------------


def yolo_dataset(root: Path) -> Path:
    """Images a and b in train, c in val, each with a segment row."""
    for split, stem in (("train", "a"), ("train", "b"), ("val", "c")):
        image = root / "images" / split / f"{stem}.jpg"
        image.parent.mkdir(parents=True, exist_ok=True)
        gradient_image().save(image)
        label = root / "labels" / split / f"{stem}.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("0 0.1 0.1 0.5 0.1 0.3 0.6\n")
    (root / "data.yaml").write_text(
        "train: images/train\nval: images/val\nnames: [cat]\n"
    )
    return root


@pytest.mark.parametrize("plant", [fifo, to_dev_zero], ids=["fifo", "dev-zero"])
def test_a_yolo_label_file_that_is_no_file_fails_its_image_at_once(
    tmp_path: Path, plant: Callable[[Path], Path]
) -> None:
    root = yolo_dataset(tmp_path / "yolo")
    label = root / "labels" / "train" / "a.txt"
    label.unlink()
    plant(label)
    result = run("yolo2coco", root, tmp_path / "out", "-j", "1")
    assert result.returncode == 1, result.stderr
    assert error_lines(result)[0] == f"{label}: is a pipe or a device, not a file"
    assert "converted 2 of 3 files" in result.stderr


@pytest.mark.parametrize("plant", [fifo, to_dev_zero], ids=["fifo", "dev-zero"])
def test_a_data_yaml_that_is_no_file_is_one_line(
    tmp_path: Path, plant: Callable[[Path], Path]
) -> None:
    root = yolo_dataset(tmp_path / "yolo")
    (root / "data.yaml").unlink()
    plant(root / "data.yaml")
    result = run("yolo2coco", root, tmp_path / "out", "-j", "1")
    assert result.returncode == 2, result.stderr
    assert "is a pipe or a device, not a file" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_voc_labelmap_that_is_a_pipe_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / "voc"
    (root / "SegmentationClass").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    gradient_image().save(root / "JPEGImages" / "a.jpg")
    Image.new("RGB", (64, 48), (255, 0, 0)).save(root / "SegmentationClass" / "a.png")
    fifo(root / "labelmap.txt")
    result = run("voc2coco", root, tmp_path / "out", "-j", "1")
    assert result.returncode == 2, result.stderr
    assert "labelmap.txt is not a regular file" in result.stderr


def test_a_yolo_image_that_is_a_pipe_fails_alone(tmp_path: Path) -> None:
    root = yolo_dataset(tmp_path / "yolo")
    image = root / "images" / "train" / "b.jpg"
    image.unlink()
    fifo(image)
    result = run("yolo2coco", root, tmp_path / "out", "-j", "1")
    assert result.returncode == 1, result.stderr
    assert any("is a pipe or a device" in line for line in error_lines(result))
    assert "converted 2 of 3 files" in result.stderr
