"""Shared fixtures: small labelme files built in tmp_path, and the shared examples."""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from PIL import Image

from seg_convert.core.labels import LabelTable

# CI (CI=true) runs the property tests on a fixed sequence of examples, so a
# submission is judged on what it changed, not on a new random draw; a
# developer's runs draw anew each time and keep finding cases (found ones are
# pinned with @example).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
# ../shared from the repo root, or where SEG_CONVERT_SHARED says (a clone
# elsewhere).
SHARED = Path(os.environ.get("SEG_CONVERT_SHARED", REPO.parent / "shared"))
SHARED_EXAMPLES = SHARED / "labelme-examples"

requires_shared = pytest.mark.skipif(
    not SHARED_EXAMPLES.is_dir(),
    reason=f"labelme's example data is not at {SHARED_EXAMPLES} (../shared from "
    "the repo root, or SEG_CONVERT_SHARED=DIR); these comparisons need it",
)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def shape(
    label: str, points: list[list[float]], shape_type: str = "polygon", **extra: Any
) -> dict[str, Any]:
    """A shape as labelme 5.x/6.x writes it."""
    item: dict[str, Any] = {
        "label": label,
        "points": points,
        "group_id": None,
        "description": "",
        "shape_type": shape_type,
        "flags": {},
        "mask": None,
    }
    item.update(extra)
    return item


def gradient_image(width: int = 64, height: int = 48) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // width, y * 255 // height, (x + y) % 256], axis=-1)
    return Image.fromarray(rgb.astype(np.uint8))


WriteAnnotation = Callable[..., Path]


@pytest.fixture
def write_annotation(tmp_path: Path) -> WriteAnnotation:
    """Write ``<name>.json`` (and its image) into ``tmp_path/in``; return the JSON path.

    ``image`` defaults to a 64x48 RGB gradient saved as ``<name>.jpg`` beside the
    JSON; ``embed=True`` puts it into imageData as PNG instead. ``**top`` overrides
    top-level keys (e.g. ``imageHeight=1``).
    """
    folder = tmp_path / "in"

    def write(
        name: str = "sample",
        shapes: list[dict[str, Any]] | None = None,
        *,
        image: Image.Image | None = None,
        embed: bool = False,
        image_name: str | None = None,
        **top: Any,
    ) -> Path:
        folder.mkdir(exist_ok=True)
        image = gradient_image() if image is None else image
        image_name = image_name or f"{name}.{'png' if embed else 'jpg'}"
        if embed:
            image_data: str | None = b64(png_bytes(image))
        else:
            image_data = None
            image.save(folder / image_name)
        data: dict[str, Any] = {
            "version": "5.8.0",
            "flags": {},
            "shapes": shapes if shapes is not None else [],
            "imagePath": image_name,
            "imageData": image_data,
            "imageHeight": image.height,
            "imageWidth": image.width,
        }
        data.update(top)
        path = folder / f"{name}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
        return path

    return write


@pytest.fixture
def labels() -> LabelTable:
    return LabelTable(names=("_background_", "cat", "dog", "行人"))


@pytest.fixture
def labels_file(tmp_path: Path) -> Path:
    path = tmp_path / "labels.txt"
    path.write_text("__ignore__\n_background_\ncat\ndog\n行人\n", "utf-8")
    return path


FONT_WARNING = "warning: the legend's font"


SPLIT_WARNING = "warning: no sample is in "


def no_split_warning(stderr: str) -> str:
    """``stderr`` without the warning that the few samples of a test all hash
    into one split (tested in test_splits and test_cli), for tests of other
    things that compare stderr exactly."""
    return "".join(
        line
        for line in stderr.splitlines(keepends=True)
        if not line.startswith(SPLIT_WARNING)
    )


def no_font_warning(stderr: str) -> str:
    """``stderr`` without the warning a machine lacking a CJK font gives for the
    fixtures' class 行人, so that exact expectations hold on any machine (the
    warning itself is tested in test_fonts)."""
    return "".join(
        line
        for line in stderr.splitlines(keepends=True)
        if not line.startswith(FONT_WARNING)
    )
