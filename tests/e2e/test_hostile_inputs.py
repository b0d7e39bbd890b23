"""A corpus of malformed and hostile inputs, each with its exact behaviour.

Every bad file is put next to two good ones and the real CLI is run. For a bad
file the guarantees are: one ``path: cause`` line on stderr and no traceback;
exit code 1, counted as failed in the summary and in the JSON report; the good
files converted byte for byte as in a clean run of them alone; nothing of the bad
stem in OUTPUT_DIR and nothing written outside it; and ``seg-convert validate``
reports the very same problem, and only it, writing nothing.

All inputs are generated here, in tmp_path; no binary file is committed.
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import labelme.utils
import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from seg_convert.cli import cli
from seg_convert.io import atomic
from tests.conftest import REPO, b64, gradient_image, no_split_warning, png_bytes, shape

WIDTH, HEIGHT = 40, 30
LABELS_TEXT = "__ignore__\n_background_\ncat\ndog\n"
LABEL_VALUES = {"__ignore__": -1, "_background_": 0, "cat": 1, "dog": 2}
GOOD_STEMS = ("a_good", "z_good")
BAD = "m_bad"  # sorts between the good files: one before it, one after
CAT = shape("cat", [[2, 2], [30, 4], [15, 25]])
LIMIT = "268,435,456"  # the default --max-image-pixels, as messages print it
BOMB = "100000x100000 = 10,000,000,000 pixels"
# The files of a sample in the default layout, with visualizations.
SAMPLE_FILES = (
    ("JPEGImages", "jpg"),
    ("SegmentationClass", "npy"),
    ("SegmentationClassPNG", "png"),
    ("SegmentationClassVisualization", "jpg"),
)
STATE_DIR = ".seg-convert"

Files = dict[str, bytes]
Snapshot = dict[str, tuple[int, int, bool]]


# --- building inputs ---------------------------------------------------------


def photo(width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    return gradient_image(width, height)


def jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A well-formed PNG declaring ``width`` x ``height`` gray pixels, with
    (almost) no pixel data: what a decompression bomb's header looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def document(
    shapes: list[dict[str, Any]],
    *,
    image_path: str | None,
    image_data: str | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> dict[str, Any]:
    """A labelme file as labelme 5.x/6.x writes it."""
    return {
        "version": "5.8.0",
        "flags": {},
        "shapes": shapes,
        "imagePath": image_path,
        "imageData": image_data,
        "imageHeight": height,
        "imageWidth": width,
    }


def write_json(folder: Path, name: str, data: object) -> str:
    (folder / name).write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return name


def convert_with_report(
    in_dir: Path, out: Path, labels: Path, report: Path, *args: str
) -> Result:
    """labelme2voc in this process (so that patches apply), with a report."""
    return run(
        "labelme2voc",
        in_dir,
        out,
        "--labels",
        labels,
        "--jobs",
        "1",
        "--report",
        report,
        *args,
    )


def write_text(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, "utf-8")
    return name


def write_good(folder: Path) -> None:
    """a_good: shapes on a JPEG file; z_good: shapes on an embedded PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    photo().save(folder / "a_good.jpg", quality=90)
    write_json(
        folder,
        "a_good.json",
        document(
            [CAT, shape("dog", [[20, 10], [35, 28]], "rectangle")],
            image_path="a_good.jpg",
        ),
    )
    embedded = b64(png_bytes(photo().transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    write_json(
        folder,
        "z_good.json",
        document(
            [
                shape("dog", [[12, 12], [20, 12]], "circle", group_id=1),
                shape("cat", [[0, 29], [39, 0]], "line"),
            ],
            image_path="z_good.png",
            image_data=embedded,
        ),
    )


def annotated(
    folder: Path,
    name: str,
    shapes: list[dict[str, Any]] | None = None,
    *,
    drop: tuple[str, ...] = (),
    **top: Any,
) -> str:
    """NAME.json on its own JPEG NAME.jpg, with one cat polygon unless ``shapes``
    is given; ``top`` overrides top-level keys, ``drop`` removes them."""
    photo().save(folder / f"{name}.jpg", quality=90)
    data = document([CAT] if shapes is None else shapes, image_path=f"{name}.jpg")
    data.update(top)
    for key in drop:
        del data[key]
    return write_json(folder, f"{name}.json", data)


def bad(
    folder: Path,
    shapes: list[dict[str, Any]] | None = None,
    *,
    drop: tuple[str, ...] = (),
    **top: Any,
) -> str:
    """m_bad.json: ``annotated`` with the stem of the bad files."""
    return annotated(folder, BAD, shapes, drop=drop, **top)


def bad_points(points: str, shape_type: str = "polygon") -> Callable[[Path], str]:
    """m_bad.json with one ``shape_type`` cat shape whose points are the JSON
    text ``points``, spelled out as the file has it (NaN, 1e400, ...)."""

    def write(folder: Path) -> str:
        photo().save(folder / f"{BAD}.jpg", quality=90)
        text = json.dumps(
            document([shape("cat", [], shape_type)], image_path=f"{BAD}.jpg")
        )
        return write_text(
            folder, f"{BAD}.json", text.replace('"points": []', f'"points": {points}')
        )

    return write


def with_mask(mask: bytes, points: list[list[float]]) -> Callable[[Path], str]:
    def write(folder: Path) -> str:
        return bad(folder, [shape("cat", points, "mask", mask=b64(mask))])

    return write


def not_json(folder: Path) -> str:
    return write_text(folder, f"{BAD}.json", "this is not JSON\n")


def empty_file(folder: Path) -> str:
    (folder / f"{BAD}.json").write_bytes(b"")
    return f"{BAD}.json"


def truncated_json(folder: Path) -> str:
    text = '{\n  "version": "5.8.0",\n  "shapes": [\n    {"label": "ca'
    return write_text(folder, f"{BAD}.json", text)


def json_list(folder: Path) -> str:
    return write_json(folder, f"{BAD}.json", [document([CAT], image_path="x.jpg")])


def gbk_text(folder: Path) -> str:
    """A file saved as GBK, as Windows tools in a Chinese locale do; the label
    on line 5 is not UTF-8."""
    photo().save(folder / f"{BAD}.jpg", quality=90)
    text = (
        "{\n"
        '  "version": "5.8.0",\n'
        '  "shapes": [\n'
        "    {\n"
        '      "label": "行人", "points": [[2, 2], [30, 4], [15, 25]],\n'
        '      "shape_type": "polygon", "group_id": null\n'
        "    }\n"
        "  ],\n"
        f'  "imagePath": "{BAD}.jpg", "imageData": null,\n'
        '  "imageHeight": 30, "imageWidth": 40\n'
        "}\n"
    )
    (folder / f"{BAD}.json").write_bytes(text.encode("gbk"))
    return f"{BAD}.json"


def deeply_nested(folder: Path) -> str:
    depth = 100_000
    text = '{"shapes": ' + "[" * depth + "]" * depth + "}"
    return write_text(folder, f"{BAD}.json", text)


def huge_integer(folder: Path) -> str:
    return bad_points("[[1" + "0" * 5000 + ", 2], [30, 4], [15, 25]]")(folder)


def image_path_to_directory(folder: Path) -> str:
    (folder / "adir").mkdir()
    return bad(folder, imagePath="adir")


def truncated_jpeg(folder: Path) -> str:
    data = jpeg_bytes(photo())
    (folder / f"{BAD}.jpg").write_bytes(data[: len(data) // 2])
    return write_json(folder, f"{BAD}.json", document([CAT], image_path=f"{BAD}.jpg"))


def text_as_jpeg(folder: Path) -> str:
    (folder / f"{BAD}.jpg").write_text("not an image at all\n")
    return write_json(folder, f"{BAD}.json", document([CAT], image_path=f"{BAD}.jpg"))


def bomb_file(folder: Path) -> str:
    (folder / f"{BAD}.png").write_bytes(png_header_only(100_000, 100_000))
    return write_json(
        folder,
        f"{BAD}.json",
        document([CAT], image_path=f"{BAD}.png", width=100_000, height=100_000),
    )


def slightly_too_large(folder: Path) -> str:
    photo(WIDTH + 1, HEIGHT).save(folder / f"{BAD}.jpg", quality=90)
    return write_json(
        folder, f"{BAD}.json", document([CAT], image_path=f"{BAD}.jpg", width=41)
    )


def file_symlink_loop(folder: Path) -> str:
    (folder / "loop.json").symlink_to("loop.json")
    return "loop.json"


def dangling_symlink(folder: Path) -> str:
    (folder / "dangling.json").symlink_to("nowhere.json")
    return "dangling.json"


Patch = Callable[[pytest.MonkeyPatch, Path], None]


def unreadable(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Opening ``path`` fails as a file without read permission does for a
    non-root user (tests run as root, where chmod 000 does not stop reading)."""
    real_open = builtins.open

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike) and Path(file) == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    real_os_open = os.open

    def guarded_os_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike) and Path(file) == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_os_open(file, *args, **kwargs)

    # pathlib opens through io.open, everything else through builtins.open;
    # input files through os.open (core/files.py checks them first).
    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)


# --- the corpus of bad files -------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A bad input: ``write`` puts it into the input folder and returns the JSON
    file's name there. The expected line is ``JSON-PATH: CAUSE``, with ``{in}``
    in CAUSE standing for the input folder; ``args`` go to both commands and
    ``patch`` is applied around them (with the JSON file's path)."""

    id: str
    write: Callable[[Path], str]
    cause: str
    args: tuple[str, ...] = ()
    patch: Patch | None = None


JSON_CASES = [
    Case("not-json", not_json, "not valid JSON: Expecting value (line 1 column 1)"),
    Case("empty-file", empty_file, "not valid JSON: Expecting value (line 1 column 1)"),
    Case(
        "truncated-json",
        truncated_json,
        "not valid JSON: Unterminated string starting at (line 4 column 15)",
    ),
    Case("json-list", json_list, "a labelme file is a JSON object, got a list"),
    Case(
        "gbk-text",
        gbk_text,
        "line 5 is not UTF-8 text (old labelme on Windows wrote the system code "
        "page, e.g. GBK: try --json-encoding gbk)",
    ),
    Case(
        "deeply-nested",
        deeply_nested,
        "not valid JSON: nested too deeply",
    ),
    Case(
        "5000-digit-number",
        huge_integer,
        "not valid JSON: a number with thousands of digits",
    ),
    Case(
        "missing-shapes",
        lambda d: bad(d, drop=("shapes",)),
        "no 'shapes': not a labelme file?",
    ),
    Case(
        "shapes-not-a-list",
        lambda d: bad(d, shapes={"label": "cat"}),  # type: ignore[arg-type]
        "'shapes' must be a list, got an object",
    ),
    Case(
        "file-symlink-loop",
        file_symlink_loop,
        "cannot read: Too many levels of symbolic links",
    ),
    Case(
        "dangling-symlink",
        dangling_symlink,
        "cannot read: No such file or directory",
    ),
    Case(
        "unreadable",
        lambda d: bad(d),
        "cannot read: Permission denied",
        patch=unreadable,
    ),
]

IMAGE_CASES = [
    Case(
        "no-image-path-no-image-data",
        lambda d: bad(d, drop=("imagePath",)),
        "no image: no 'imageData' and no 'imagePath'",
    ),
    Case(
        "empty-image-path",
        lambda d: bad(d, imagePath=""),
        "no image: no 'imageData', and 'imagePath' \"\" is not a file name",
    ),
    Case(
        "image-path-missing-file",
        lambda d: bad(d, imagePath="nowhere.jpg"),
        "image {in}/nowhere.jpg not found",
    ),
    Case(
        "image-path-is-directory",
        image_path_to_directory,
        "image {in}/adir is a directory, not an image",
    ),
    Case(
        "image-data-not-base64",
        lambda d: bad(d, imageData="this is *not* base64!"),
        "'imageData' is not valid base64",
    ),
    Case(
        "image-data-not-a-string",
        lambda d: bad(d, imageData=5),
        "'imageData' must be a base64 string or null, got the number 5",
    ),
    Case(
        "image-data-not-an-image",
        lambda d: bad(d, imageData=b64(b"GIF? no, just some text bytes")),
        "cannot decode imageData: not an image, or a format Pillow cannot read",
    ),
    Case(
        "image-file-not-an-image",
        text_as_jpeg,
        "cannot decode image {in}/m_bad.jpg: not an image, or a format Pillow "
        "cannot read",
    ),
    Case(
        "truncated-jpeg",
        truncated_jpeg,
        "image {in}/m_bad.jpg is truncated: the file ends too early",
    ),
    Case(
        "size-disagrees-with-imageWidth",
        lambda d: bad(d, imageWidth=50),
        "imageWidth is 50 but image {in}/m_bad.jpg is 40x30; the annotation was "
        "made on a different image",
    ),
    Case(
        "size-disagrees-with-imageHeight",
        lambda d: bad(d, imageHeight=31),
        "imageHeight is 31 but image {in}/m_bad.jpg is 40x30; the annotation was "
        "made on a different image",
    ),
    Case(
        "declared-width-0",
        lambda d: bad(d, imageWidth=0),
        "'imageWidth' must be a positive integer, got 0",
    ),
    Case(
        "declared-height-string",
        lambda d: bad(d, imageHeight="30"),
        "'imageHeight' must be a positive integer, got \"30\"",
    ),
    Case(
        "zero-by-zero-png",
        lambda d: bad(d, imageData=b64(png_header_only(0, 0)), drop=("imagePath",)),
        "cannot decode imageData: not an image, or a format Pillow cannot read",
    ),
    Case(
        "bomb-in-image-data",
        lambda d: bad(d, imageData=b64(png_header_only(100_000, 100_000))),
        f"imageData is {BOMB}, more than the limit of {LIMIT} (raise it with "
        "--max-image-pixels if the image is genuine)",
    ),
    Case(
        "bomb-image-file",
        bomb_file,
        f"image {{in}}/m_bad.png is {BOMB}, more than the limit of {LIMIT} "
        "(raise it with --max-image-pixels if the image is genuine)",
    ),
    Case(
        "over-a-small-max-image-pixels",
        slightly_too_large,
        "image {in}/m_bad.jpg is 41x30 = 1,230 pixels, more than the limit of "
        "1,200 (raise it with --max-image-pixels if the image is genuine)",
        args=("--max-image-pixels", str(WIDTH * HEIGHT)),
    ),
]

KNOWN_TYPES = (
    "polygon, rectangle, circle, line, linestrip, point, oriented_rectangle, mask"
)
CAT_SHAPE = "shapes[0] (label 'cat')"
SHAPE_CASES = [
    Case(
        "shape-not-an-object",
        lambda d: bad(d, ["cat"]),  # type: ignore[list-item]
        "shapes[0] must be an object, got a string",
    ),
    Case(
        "label-not-a-string",
        lambda d: bad(d, [shape(5, [[1, 1], [9, 1], [5, 9]])]),  # type: ignore[arg-type]
        "shapes[0]: 'label' must be a string, got the number 5",
    ),
    Case(
        "unknown-shape-type",
        lambda d: bad(d, [shape("cat", [[1, 1], [9, 1], [5, 9]], "triangle")]),
        f"{CAT_SHAPE}: unknown shape_type 'triangle' (known: {KNOWN_TYPES})",
    ),
    Case(
        "polygon-of-2-points",
        lambda d: bad(d, [shape("cat", [[1, 1], [9, 9]])]),
        f"{CAT_SHAPE}: polygon needs at least 3 points, got 2",
    ),
    Case(
        "rectangle-of-3-points",
        lambda d: bad(d, [shape("cat", [[1, 1], [9, 9], [5, 5]], "rectangle")]),
        f"{CAT_SHAPE}: rectangle needs 2 points (two opposite corners), got 3",
    ),
    Case(
        "circle-of-1-point",
        lambda d: bad(d, [shape("cat", [[5, 5]], "circle")]),
        f"{CAT_SHAPE}: circle needs 2 points (the centre and a point on the rim), "
        "got 1",
    ),
    Case(
        "line-of-3-points",
        lambda d: bad(d, [shape("cat", [[1, 1], [9, 9], [20, 5]], "line")]),
        f"{CAT_SHAPE}: line needs 2 points (its two ends), got 3",
    ),
    Case(
        "points-are-strings",
        bad_points('[["1", "2"], ["30", "4"], ["15", "25"]]'),
        f'{CAT_SHAPE}: points[0] must be [x, y] with finite numbers, got ["1", "2"]',
    ),
    Case(
        "points-is-a-string",
        bad_points('"1,2 30,4 15,25"'),
        f"{CAT_SHAPE}: 'points' must be a list, got a string",
    ),
    Case(
        "nan-coordinate",
        bad_points("[[2, 2], [NaN, 4], [15, 25]]"),
        f"{CAT_SHAPE}: points[1] must be [x, y] with finite numbers, got [NaN, 4]",
    ),
    Case(
        "infinite-coordinate",
        bad_points("[[2, 2], [30, 4], [15, -Infinity]]"),
        f"{CAT_SHAPE}: points[2] must be [x, y] with finite numbers, "
        "got [15, -Infinity]",
    ),
    Case(
        "1e400-coordinate",
        bad_points("[[1e400, 2], [30, 4], [15, 25]]"),
        f"{CAT_SHAPE}: points[0] must be [x, y] with finite numbers, got [Infinity, 2]",
    ),
    Case(
        "empty-label",
        lambda d: bad(d, [shape("", [[1, 1], [9, 1], [5, 9]])]),
        "shapes[0]: the label is empty; give the shape a label in labelme",
    ),
    Case(
        "label-not-in-labels-file",
        lambda d: bad(d, [CAT, shape("cow", [[1, 1], [9, 1], [5, 9]])]),
        "shapes[1] (label 'cow'): label is not in the labels file (add it there, "
        "or fix the annotation)",
    ),
    Case(
        "group-id-string",
        lambda d: bad(d, [shape("cat", [[1, 1], [9, 1], [5, 9]], group_id="1")]),
        f"{CAT_SHAPE}: 'group_id' must be an integer or null, got a string",
    ),
    Case(
        "group-id-float",
        lambda d: bad(d, [shape("cat", [[1, 1], [9, 1], [5, 9]], group_id=1.5)]),
        f"{CAT_SHAPE}: 'group_id' must be an integer or null, got the number 1.5",
    ),
    Case(
        "group-id-bool",
        lambda d: bad(d, [shape("cat", [[1, 1], [9, 1], [5, 9]], group_id=True)]),
        f"{CAT_SHAPE}: 'group_id' must be an integer or null, got a boolean",
    ),
    Case(
        "mask-not-a-png",
        with_mask(b"these bytes are no PNG", [[2, 3], [6, 7]]),
        f"cannot decode {CAT_SHAPE} mask: not an image, or a format Pillow cannot read",
    ),
    Case(
        "mask-rgb-png",
        with_mask(png_bytes(photo(5, 5)), [[2, 3], [6, 7]]),
        f"{CAT_SHAPE}: mask must be a one-channel PNG, got mode RGB",
    ),
    Case(
        "mask-not-fitting-its-box",
        with_mask(png_bytes(Image.new("L", (5, 5), 255)), [[2, 3], [11, 12]]),
        f"{CAT_SHAPE}: mask is 5x5 but its points span a box of 10x10 (2,3 to 11,12)",
    ),
    Case(
        "mask-bomb",
        with_mask(png_header_only(100_000, 100_000), [[2, 3], [6, 7]]),
        f"{CAT_SHAPE} mask is {BOMB}, more than the limit of {LIMIT} (raise it "
        "with --max-image-pixels if the image is genuine)",
    ),
    Case(
        "mask-without-mask",
        lambda d: bad(d, [shape("cat", [[2, 3], [6, 7]], "mask")]),
        f"{CAT_SHAPE}: a mask shape needs 'mask', a base64 PNG, got null",
    ),
]

CASES = JSON_CASES + IMAGE_CASES + SHAPE_CASES


# --- running and checking ----------------------------------------------------


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exc_info
    )
    assert "Traceback" not in result.output


def read_tree(root: Path) -> Files:
    """Every file below ``root`` but the bookkeeping in .seg-convert/, by
    relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and STATE_DIR not in path.relative_to(root).parts
    }


def snapshot(root: Path, *, skip: Path | None = None) -> Snapshot:
    """Every entry below ``root`` (links not followed) but ``skip``'s subtree:
    size, modification time and whether it is a link."""
    found: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        if skip is not None:
            dirs[:] = [d for d in dirs if Path(folder, d) != skip]
        for name in dirs + files:
            path = Path(folder, name)
            if path == skip:
                continue
            info = path.lstat()
            found[path.relative_to(root).as_posix()] = (
                info.st_size,
                info.st_mtime_ns,
                path.is_symlink(),
            )
    return found


def stem_files(out: Path, stem: str) -> list[Path]:
    """Files of ``stem`` anywhere in ``out``: ``stem.*`` and ``.stem.*.tmp``."""
    return [
        path
        for path in out.rglob("*")
        if path.name.startswith(f"{stem}.")
        or (path.name.startswith(f".{stem}.") and path.name.endswith(".tmp"))
    ]


def without_splits(files: Files) -> Files:
    return {k: v for k, v in files.items() if not k.startswith("ImageSets/")}


def write_labels(folder: Path) -> Path:
    path = folder / "labels.txt"
    path.write_text(LABELS_TEXT, "utf-8")
    return path


@pytest.fixture(scope="module")
def clean_outputs(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """The dataset a clean run of the good files alone writes."""
    root = tmp_path_factory.mktemp("clean")
    write_good(root / "in")
    result = run(
        "labelme2voc",
        root / "in",
        root / "out",
        "--labels",
        write_labels(root),
        "--jobs",
        "1",
    )
    assert result.exit_code == 0, result.output
    files = read_tree(root / "out")
    assert {name.split("/")[-1] for name in files} >= {"a_good.npy", "z_good.npy"}
    return files


def expected_line(case: Case, in_dir: Path, name: str) -> tuple[str, str]:
    """The path the error names and its cause, as printed."""
    return str(in_dir / name), case.cause.replace("{in}", str(in_dir))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_labelme2voc_reports_and_skips_the_bad_file(
    case: Case,
    tmp_path: Path,
    clean_outputs: Files,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_dir, out, report = tmp_path / "in", tmp_path / "out", tmp_path / "report.json"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    name = case.write(in_dir)
    stem = Path(name).stem
    path, cause = expected_line(case, in_dir, name)
    if case.patch is not None:
        case.patch(monkeypatch, in_dir / name)
    outside = snapshot(tmp_path, skip=out)

    result = convert_with_report(in_dir, out, labels, report, *case.args)
    monkeypatch.undo()

    # 1. one line naming the file and the cause, no traceback
    assert_no_traceback(result)
    assert result.stdout == ""
    assert no_split_warning(result.stderr).splitlines() == [
        f"{path}: {cause}",
        f"converted 2 of 3 files into {out}, 1 failed",
    ]
    # 2. exit code 1, and the report says the same
    assert result.exit_code == 1
    document = json.loads(report.read_text("utf-8"))
    [entry] = [e for e in document["files"] if e["status"] == "failed"]
    assert (entry["source"], entry["stem"], entry["error"], entry["outputs"]) == (
        str(in_dir / name),
        stem,
        f"{path}: {cause}",
        [],
    )
    assert document["totals"]["failed"] == 1
    assert document["totals"]["converted"] == 2
    # 3. the good files converted as in a clean run of them alone
    assert read_tree(out) == clean_outputs
    # 4. nothing of the bad stem in OUTPUT_DIR, nothing written outside it
    assert stem_files(out, stem) == []
    after = snapshot(tmp_path, skip=out)
    assert after.pop("report.json", None) is not None
    assert after == outside


def validate(in_dir: Path, labels: Path, *args: str) -> Result:
    return run("validate", in_dir, "--labels", labels, "--jobs", "1", *args)


def validate_document(
    in_dir: Path, files: int, problems: list[dict[str, str]]
) -> dict[str, Any]:
    """What ``validate --format json`` prints."""
    return {
        "version": 1,
        "input_dir": str(in_dir),
        "files": files,
        "failed": len({problem["file"] for problem in problems}),
        "problems": problems,
        "warnings": [],
    }


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_validate_finds_the_same_problem(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_dir = tmp_path / "in"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    name = case.write(in_dir)
    path, cause = expected_line(case, in_dir, name)
    if case.patch is not None:
        case.patch(monkeypatch, in_dir / name)
    before = snapshot(tmp_path)

    text = validate(in_dir, labels, *case.args)
    as_json = validate(in_dir, labels, "--format", "json", *case.args)
    monkeypatch.undo()

    assert_no_traceback(text)
    assert (text.exit_code, text.stdout) == (1, f"{path}: {cause}\n")
    assert len(text.stderr.splitlines()) == 1  # the summary
    assert_no_traceback(as_json)
    assert as_json.exit_code == 1
    problem = {"file": str(in_dir / name), "path": path, "message": cause}
    assert json.loads(as_json.stdout) == validate_document(in_dir, 3, [problem])
    assert snapshot(tmp_path) == before  # validate writes nothing


def test_validate_finds_no_problem_in_the_good_files(tmp_path: Path) -> None:
    in_dir = tmp_path / "in"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    before = snapshot(tmp_path)
    text = validate(in_dir, labels)
    as_json = validate(in_dir, labels, "--format", "json")
    assert_no_traceback(text)
    assert (text.exit_code, text.stdout) == (0, "")
    assert len(text.stderr.splitlines()) == 1  # the summary
    assert_no_traceback(as_json)
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == validate_document(in_dir, 2, [])
    assert snapshot(tmp_path) == before


# --- hostile inputs that must convert ----------------------------------------


def labelme_label(shapes: list[dict[str, Any]]) -> np.ndarray[Any, Any]:
    """What labelme 6.3.1 makes of ``shapes`` on a WIDTH x HEIGHT image."""
    cls, _ = labelme.utils.shapes_to_label(
        img_shape=(HEIGHT, WIDTH, 3),
        shapes=shapes,
        label_name_to_value=LABEL_VALUES,
    )
    return np.asarray(cls)


def class_npy(out: Path, stem: str) -> np.ndarray[Any, Any]:
    return np.asarray(np.load(out / "SegmentationClass" / f"{stem}.npy"))


@dataclass(frozen=True)
class Accepted:
    """An odd input that is fine: ``write`` returns the stem it must convert to
    (None: a file that is not an input at all); ``check`` looks at its output."""

    id: str
    write: Callable[[Path], str | None]
    args: tuple[str, ...] = ()
    check: Callable[[Path], None] | None = None
    warning: str | None = None  # the warning line of a lenient read


HUGE = [shape("cat", [[1e308, 5], [5, 10], [20, 20]])]


def huge_coordinates(folder: Path) -> str:
    bad(folder, HUGE)
    return BAD


def check_huge_coordinates(out: Path) -> None:
    # Pillow, and so labelme, draws this nearly flat triangle with four extra
    # rows (6 to 9) that a smaller far vertex, 1e9, does not give; we promise
    # labelme's pixels, so these are right.
    label = class_npy(out, BAD)
    np.testing.assert_array_equal(label, labelme_label(HUGE))
    assert label[6:10].all()


def image_data_without_path(folder: Path) -> str:
    embedded = b64(png_bytes(photo()))
    bad(folder, drop=("imagePath",), imageData=embedded)
    (folder / f"{BAD}.jpg").unlink()
    return BAD


def check_image_data_without_path(out: Path) -> None:
    with Image.open(out / "JPEGImages" / f"{BAD}.jpg") as image:
        assert (image.format, image.size) == ("JPEG", (WIDTH, HEIGHT))
    np.testing.assert_array_equal(class_npy(out, BAD), labelme_label([CAT]))


MILLION = 1_000_000


def million_point_polygon(folder: Path) -> str:
    """A polygon of 1,000,000 points around the box (5, 4) to (30, 24)."""
    side = MILLION // 4
    steps = np.arange(side) / side
    xs, ys = 5 + 25 * steps, 4 + 20 * steps
    points = np.concatenate(
        [
            np.stack([xs, np.full(side, 4.0)], axis=1),
            np.stack([np.full(side, 30.0), ys], axis=1),
            np.stack([xs[::-1] + 25 / side, np.full(side, 24.0)], axis=1),
            np.stack([np.full(side, 5.0), ys[::-1] + 20 / side], axis=1),
        ]
    ).round(4)
    assert len(points) == MILLION
    bad(folder, [shape("cat", points.tolist())])
    return BAD


def check_million_point_polygon(out: Path) -> None:
    # labelme's own shapes_to_label gives the same box (checked once; too slow
    # to repeat here with a 16 MB file to parse again).
    expected = np.zeros((HEIGHT, WIDTH), np.int32)
    expected[4:25, 5:31] = LABEL_VALUES["cat"]
    np.testing.assert_array_equal(class_npy(out, BAD), expected)


def windows_illegal_name(folder: Path) -> str:
    write_json(
        folder,
        "a:b?.json",
        document([CAT], image_path="a:b?.png", image_data=b64(png_bytes(photo()))),
    )
    return "a:b?"


def dot_dot_name(folder: Path) -> None:
    """``..json``: a hidden file (its name starts with a dot), so not an input."""
    bad(folder)
    (folder / f"{BAD}.json").rename(folder / "..json")


def directory_symlink_loop(folder: Path) -> None:
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)
    (folder / "self").symlink_to(".", target_is_directory=True)


ACCEPTED = [
    Accepted(
        "image-data-without-image-path",
        image_data_without_path,
        check=check_image_data_without_path,
        warning="warning: 1 file: no imagePath key, image read from imageData",
    ),
    Accepted("1e308-coordinates", huge_coordinates, check=check_huge_coordinates),
    Accepted(
        "polygon-of-a-million-points",
        million_point_polygon,
        check=check_million_point_polygon,
    ),
    Accepted("windows-illegal-name", windows_illegal_name),
    Accepted("dot-dot-json", dot_dot_name),
    Accepted("directory-symlink-loop", directory_symlink_loop, args=("--recursive",)),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.id for case in ACCEPTED])
def test_odd_but_valid_inputs_convert(
    case: Accepted, tmp_path: Path, clean_outputs: Files
) -> None:
    in_dir, out, report = tmp_path / "in", tmp_path / "out", tmp_path / "report.json"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    stem = case.write(in_dir)
    count = 3 if stem is not None else 2
    outside = snapshot(tmp_path, skip=out)

    result = convert_with_report(in_dir, out, labels, report, *case.args)

    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    warning = "" if case.warning is None else f"{case.warning}\n"
    assert no_split_warning(result.stderr) == (
        f"converted {count} of {count} files into {out}\n{warning}"
    )
    totals = json.loads(report.read_text("utf-8"))["totals"]
    assert (totals["converted"], totals["failed"]) == (count, 0)
    written = read_tree(out)
    if stem is None:
        assert written == clean_outputs
    else:
        others = {k: v for k, v in written.items() if stem not in k}
        assert without_splits(others) == without_splits(clean_outputs)
        mine = sorted(k for k in written if stem in k and "ImageSets" not in k)
        assert mine == sorted(f"{d}/{stem}.{e}" for d, e in SAMPLE_FILES)
        trainval = written["ImageSets/Segmentation/trainval.txt"].decode()
        assert trainval.splitlines() == sorted([*GOOD_STEMS, stem])
        if case.check is not None:
            case.check(out)
    assert not list(out.rglob("*.tmp"))
    after = snapshot(tmp_path, skip=out)
    assert after.pop("report.json", None) is not None
    assert after == outside

    checked = validate(in_dir, labels, "--format", "json", *case.args)
    assert_no_traceback(checked)
    assert checked.exit_code == 0
    expected = validate_document(in_dir, count, [])
    if case.warning is not None:
        message = case.warning.split(": ", 2)[2]
        expected["warnings"] = [
            {"file": str(in_dir / f"{stem}.json"), "message": message}
        ]
    assert json.loads(checked.stdout) == expected


# --- inputs that need their own setup ------------------------------------------


def two_files_named_1(in_dir: Path) -> None:
    """in/a/1.json and in/b/1.json beside the good files."""
    for folder in ("a", "b"):
        (in_dir / folder).mkdir()
        annotated(in_dir / folder, "1")


def test_duplicate_stems_are_a_usage_error_naming_both(tmp_path: Path) -> None:
    in_dir, out = tmp_path / "in", tmp_path / "out"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    two_files_named_1(in_dir)
    message = (
        f"{in_dir}: a/1.json and b/1.json would both be written as '1' "
        "(rename one, or use --flatten-names)"
    )
    before = snapshot(tmp_path)

    result = run("labelme2voc", in_dir, out, "--labels", labels, "--recursive")
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == message
    checked = validate(in_dir, labels, "--recursive")
    assert_no_traceback(checked)
    assert checked.exit_code == 2
    assert checked.stderr.splitlines()[-1] == message
    assert snapshot(tmp_path) == before  # not even OUTPUT_DIR is made


def test_duplicate_stems_convert_with_flatten_names(tmp_path: Path) -> None:
    in_dir, out = tmp_path / "in", tmp_path / "out"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    two_files_named_1(in_dir)
    args = ("--recursive", "--flatten-names")

    result = run("labelme2voc", in_dir, out, "--labels", labels, "--jobs", "1", *args)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"converted 4 of 4 files into {out}\n"
    for stem in ("a__1", "b__1"):
        np.testing.assert_array_equal(class_npy(out, stem), labelme_label([CAT]))
    trainval = (out / "ImageSets" / "Segmentation" / "trainval.txt").read_text()
    assert trainval.splitlines() == ["a__1", "a_good", "b__1", "z_good"]
    checked = validate(in_dir, labels, "--format", "json", *args)
    assert_no_traceback(checked)
    assert checked.exit_code == 0
    assert json.loads(checked.stdout) == validate_document(in_dir, 4, [])


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root reads files whatever their mode; see the 'unreadable' case",
)
def test_unreadable_file_for_real(tmp_path: Path, clean_outputs: Files) -> None:
    in_dir, out = tmp_path / "in", tmp_path / "out"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    source = in_dir / bad(in_dir)
    source.chmod(0)
    try:
        result = run("labelme2voc", in_dir, out, "--labels", labels, "--jobs", "1")
        checked = validate(in_dir, labels)
    finally:
        source.chmod(0o644)
    line = f"{source}: cannot read: Permission denied"
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert no_split_warning(result.stderr).splitlines() == [
        line,
        f"converted 2 of 3 files into {out}, 1 failed",
    ]
    assert read_tree(out) == clean_outputs
    assert_no_traceback(checked)
    assert (checked.exit_code, checked.stdout) == (1, f"{line}\n")


class FullDisk:
    """A file opened for writing whose every write fails: the disk is full."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_full_disk_fails_the_file_and_leaves_nothing_of_it(
    tmp_path: Path, clean_outputs: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up while the bad stem's .npy is written, its second file
    (its JPEG is in place already): as write(2) reports it, with no file name."""
    in_dir, out, report = tmp_path / "in", tmp_path / "out", tmp_path / "report.json"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    source = in_dir / bad(in_dir)
    real_create = atomic.create
    failed: list[str] = []

    def create_on_a_full_disk(name: str, *, dir_fd: int) -> Any:
        stream = real_create(name, dir_fd=dir_fd)
        if name.startswith(f".{BAD}.npy."):
            failed.append(name)
            return FullDisk(stream)
        return stream

    monkeypatch.setattr(atomic, "create", create_on_a_full_disk)
    outside = snapshot(tmp_path, skip=out)
    result = convert_with_report(in_dir, out, labels, report)
    monkeypatch.undo()

    assert failed, "the .npy was not written through open()"
    # The message names the file that could not be written.
    line = f"{out}/SegmentationClass/{BAD}.npy: cannot write: No space left on device"
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert no_split_warning(result.stderr).splitlines() == [
        line,
        f"converted 2 of 3 files into {out}, 1 failed",
    ]
    [entry] = [
        e for e in json.loads(report.read_text())["files"] if e["status"] == "failed"
    ]
    assert (entry["source"], entry["error"]) == (str(source), line)
    assert read_tree(out) == clean_outputs
    assert stem_files(out, BAD) == []
    after = snapshot(tmp_path, skip=out)
    assert after.pop("report.json", None) is not None
    assert after == outside
    # validate writes nothing, so a full disk is no problem of the input.
    checked = validate(in_dir, labels, "--format", "json")
    assert_no_traceback(checked)
    assert checked.exit_code == 0
    assert json.loads(checked.stdout) == validate_document(in_dir, 3, [])


def test_file_name_with_a_newline_fails_alone_on_one_line(tmp_path: Path) -> None:
    """A Linux name can hold any byte but / and NUL. A line break in a stem
    would break the split lists, so that file fails, and its message is still
    one line, the break escaped."""
    in_dir, out = tmp_path / "in", tmp_path / "out"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    (in_dir / "new\nline.json").write_bytes((in_dir / "z_good.json").read_bytes())
    result = run("labelme2voc", in_dir, out, "--labels", labels, "--jobs", "1")
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert no_split_warning(result.stderr).splitlines() == [
        f"{in_dir}/new\\nline.json: the file name has a line break or another "
        "control character, which the dataset's lists cannot hold; rename the file",
        f"converted 2 of 3 files into {out}, 1 failed",
    ]
    trainval = (out / "ImageSets/Segmentation/trainval.txt").read_text()
    assert trainval.splitlines() == list(GOOD_STEMS)
    assert not [p for p in out.rglob("*") if "line" in p.name]
    checked = run("validate", in_dir, "--labels", labels)
    assert checked.stdout == result.stderr.splitlines()[0] + "\n"


CIRCLE_SECONDS = 10  # a fixed converter needs well under 1 s for this image


def test_circle_with_a_huge_radius_finishes(tmp_path: Path) -> None:
    """Pillow takes about 25 s to draw a circle of radius 700,000 whatever the
    image size; a 40x30 image must not. Run in a subprocess with a time limit
    so that a slow drawing cannot hang the suite."""
    in_dir, out = tmp_path / "in", tmp_path / "out"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    source = in_dir / bad(in_dir, [shape("cat", [[10, 10], [700_010, 10]], "circle")])
    command = [sys.executable, "-m", "seg_convert", "labelme2voc", str(in_dir)]
    command += [str(out), "--labels", str(labels), "--jobs", "1"]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=CIRCLE_SECONDS,
            check=False,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"a circle of radius 700,000 took over {CIRCLE_SECONDS} s")
    assert "Traceback" not in completed.stderr
    lines = no_split_warning(completed.stderr).splitlines()
    if completed.returncode == 0:
        # The circle covers the whole image.
        assert lines == [f"converted 3 of 3 files into {out}"]
        assert (class_npy(out, BAD) == LABEL_VALUES["cat"]).all()
    else:
        assert lines == [
            f"{source}: shapes[0] (label 'cat'): circle radius 700000 is larger "
            "than 262144 pixels; check the circle's second point",
            f"converted 2 of 3 files into {out}, 1 failed",
        ]
        assert completed.returncode == 1
        assert stem_files(out, BAD) == []


def convert_three(tmp_path: Path) -> Callable[[Path], Result]:
    """Write a_good, m_mid and z_good into tmp_path/in; return a function that
    converts them into a folder with --jobs 1."""
    in_dir = tmp_path / "in"
    labels = write_labels(tmp_path)
    write_good(in_dir)
    annotated(in_dir, "m_mid")

    def convert(output_dir: Path) -> Result:
        return run("labelme2voc", in_dir, output_dir, "--labels", labels, "--jobs", "1")

    return convert


def interrupt_m_mid(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ctrl-C while m_mid, the 2nd of 3 files, is written: its JPEG is in place,
    its .npy written under its temporary name but not renamed yet. The list
    returned gets an entry when that happens."""
    real_replace = os.replace
    interrupted: list[str] = []

    def ctrl_c_on_the_second_file(src: Any, dst: Any, **kw: Any) -> None:
        if Path(dst).name == "m_mid.npy":
            interrupted.append(str(dst))
            raise KeyboardInterrupt
        real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "replace", ctrl_c_on_the_second_file)
    return interrupted


def test_interrupted_run_finishes_on_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during the 2nd of 3 files, then the same command again."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    convert = convert_three(tmp_path)
    triggered = interrupt_m_mid(monkeypatch)
    interrupted = convert(out)
    monkeypatch.undo()
    assert triggered
    assert "Traceback" not in interrupted.output
    assert interrupted.exit_code == 130
    assert interrupted.stderr.splitlines()[-1] == (
        "seg-convert: interrupted; run the same command again to finish"
    )
    assert not list(out.rglob("*.tmp"))

    again = convert(out)
    assert_no_traceback(again)
    assert again.exit_code == 0, again.output
    reference = convert(clean)
    assert reference.exit_code == 0, reference.output
    assert read_tree(out) == read_tree(clean)
    # The bookkeeping names the same samples, sources and outputs: the inputs
    # are the same files, so even their sizes and times agree.
    state = sorted(p.name for p in (out / STATE_DIR).iterdir())
    assert state == sorted(p.name for p in (clean / STATE_DIR).iterdir())
    assert (out / STATE_DIR / "manifest.json").read_bytes() == (
        clean / STATE_DIR / "manifest.json"
    ).read_bytes()


def test_interrupted_sample_leaves_no_orphan_when_its_input_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sample is in the dataset whole or not at all: the JPEG an interrupted
    sample had in place must not outlive its input (here deleted before the
    next run, which removes the outputs of deleted inputs)."""
    out = tmp_path / "out"
    convert = convert_three(tmp_path)
    triggered = interrupt_m_mid(monkeypatch)
    assert convert(out).exit_code == 130
    monkeypatch.undo()
    assert triggered
    (tmp_path / "in" / "m_mid.json").unlink()
    again = convert(out)
    assert_no_traceback(again)
    assert again.exit_code == 0, again.output
    assert stem_files(out, "m_mid") == []
