"""Draw the synthetic street scenes in examples/street and their labelme files.

The example data is ours: each scene is painted with Pillow from the same shapes
its annotation lists, and the JSON is written the way labelme 5.x/6.x writes it.
Between them the files use every shape type, a group_id, an ``__ignore__`` shape,
overlapping shapes, one image embedded as imageData and one gray image. Running
the script again reproduces the files byte for byte.

    python examples/make_examples.py
"""

from __future__ import annotations

import base64
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent / "street"
WIDTH, HEIGHT = 400, 300
Points = list[list[float]]

COLORS = {
    "road": (90, 90, 95),
    "car": (200, 40, 40),
    "行人": (240, 200, 60),
    "tree": (40, 140, 60),
    "lamp": (30, 30, 30),
    "cable": (20, 20, 20),
    "sign": (30, 90, 220),
    "plate": (250, 250, 250),
    "puddle": (120, 150, 200),
    "__ignore__": (255, 0, 255),
}


def shape(
    label: str,
    points: Points,
    shape_type: str,
    *,
    group_id: int | None = None,
    mask: str | None = None,
) -> dict[str, Any]:
    return {
        "label": label,
        "points": points,
        "group_id": group_id,
        "description": "",
        "shape_type": shape_type,
        "flags": {},
        "mask": mask,
    }


def puddle_mask(x1: float, y1: float, x2: float, y2: float) -> str:
    """A blob filling its box, as the base64 PNG labelme stores for a mask."""
    width, height = int(x2) - int(x1) + 1, int(y2) - int(y1) + 1
    y, x = np.mgrid[0:height, 0:width]
    wobble = 0.15 * np.sin(x / 3.0)
    inside = ((x - width / 2) / (width / 2)) ** 2 + (
        (y - height / 2) / (height / 2)
    ) ** 2 < 0.9 + wobble
    buffer = io.BytesIO()
    Image.fromarray(inside).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def background(seed: int) -> Image.Image:
    """Sky, houses and noise so that the JPEGs look like photographs."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, HEIGHT)[:, None, None]
    sky = np.array([110, 160, 230]) * (1 - y) + np.array([220, 230, 240]) * y
    pixels = np.broadcast_to(sky, (HEIGHT, WIDTH, 3)).copy()
    image = Image.fromarray(pixels.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for left in range(0, WIDTH, 70):
        top = 60 + int(rng.integers(0, 60))
        tone = int(rng.integers(120, 200))
        draw.rectangle((left, top, left + 60, 200), fill=(tone, tone - 30, tone - 50))
    noisy = np.asarray(image).astype(np.int16) + rng.integers(
        -12, 13, (HEIGHT, WIDTH, 3)
    )
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def paint(image: Image.Image, shapes: list[dict[str, Any]]) -> None:
    """Paint each shape in its class color, in order, as an annotator would see it."""
    draw = ImageDraw.Draw(image)
    for item in shapes:
        color = COLORS[item["label"]]
        points = [tuple(p) for p in item["points"]]
        kind = item["shape_type"]
        if kind in ("polygon", "oriented_rectangle"):
            draw.polygon(points, fill=color)
        elif kind == "rectangle":
            draw.rectangle(points, fill=color)
        elif kind == "circle":
            (cx, cy), (px, py) = points
            r = math.hypot(cx - px, cy - py)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=color)
        elif kind == "point":
            ((cx, cy),) = points
            draw.ellipse((cx - 5, cy - 5, cx + 5, cy + 5), fill=color)
        elif kind in ("line", "linestrip"):
            draw.line(points, fill=color, width=4)
        elif kind == "mask":
            stencil = Image.open(io.BytesIO(base64.b64decode(item["mask"])))
            x1, y1 = (int(v) for v in points[0])
            image.paste(color, (x1, y1), stencil.convert("L"))


ROAD = shape(
    "road", [[-10.0, 310.0], [150.0, 190.0], [250.0, 190.0], [410.0, 310.0]], "polygon"
)


def scenes() -> list[tuple[str, list[dict[str, Any]], str]]:
    """(name, shapes, how the image is stored: jpg, embedded or gray)."""
    return [
        (
            "street_01",
            [
                ROAD,
                shape("car", [[160.5, 200.0], [235.5, 245.0]], "rectangle"),
                shape(
                    "行人",
                    [
                        [60.0, 150.0],
                        [72.0, 150.0],
                        [76.0, 205.0],
                        [70.0, 240.0],
                        [58.0, 240.0],
                        [54.0, 205.0],
                    ],
                    "polygon",
                ),
                shape("tree", [[330.0, 120.0], [330.0, 82.5]], "circle"),
                shape("sign", [[290.0, 170.0]], "point"),
            ],
            "jpg",
        ),
        (
            "street_02",
            [
                ROAD,
                shape("lamp", [[100.0, 60.0], [100.0, 200.0]], "line"),
                shape(
                    "cable",
                    [[0.0, 40.0], [100.0, 62.0], [220.0, 45.0], [399.0, 70.0]],
                    "linestrip",
                ),
                shape("car", [[190.0, 210.0], [290.0, 270.0]], "rectangle", group_id=1),
                shape(
                    "plate",
                    [[225.0, 250.0], [255.0, 245.0], [257.0, 255.0], [227.0, 260.0]],
                    "oriented_rectangle",
                    group_id=1,
                ),
            ],
            "jpg",
        ),
        (
            "street_03",
            [
                ROAD,
                shape(
                    "puddle",
                    [[120.4, 240.7], [199.2, 279.9]],
                    "mask",
                    mask=puddle_mask(120.4, 240.7, 199.2, 279.9),
                ),
                shape("car", [[230.0, 195.0], [330.0, 250.0]], "rectangle"),
            ],
            "embedded",
        ),
        (
            "street_04",
            [
                ROAD,
                shape(
                    "行人",
                    [[180.0, 160.0], [194.0, 160.0], [198.0, 250.0], [176.0, 250.0]],
                    "polygon",
                    group_id=2,
                ),
                shape(
                    "行人",
                    [[177.0, 140.0], [197.0, 140.0], [197.0, 160.0], [177.0, 160.0]],
                    "polygon",
                    group_id=2,
                ),
                shape("__ignore__", [[300.0, 100.0], [380.0, 180.0]], "rectangle"),
            ],
            "gray",
        ),
        (
            "street_05",
            [
                ROAD,
                shape("car", [[60.0, 215.0], [170.0, 275.0]], "rectangle"),
                shape("tree", [[150.0, 200.0], [150.0, 170.0]], "circle"),
                shape("sign", [[320.0, 150.5]], "point"),
                shape("lamp", [[300.0, 80.0], [340.0, 200.0]], "line"),
            ],
            "jpg",
        ),
    ]


def write_scene(name: str, shapes: list[dict[str, Any]], storage: str) -> None:
    image = background(seed=sum(name.encode()))
    paint(image, shapes)
    image_data = None
    image_name = f"{name}.jpg"
    if storage == "embedded":
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        image_data = base64.b64encode(buffer.getvalue()).decode("ascii")
        # labelme keeps the name of the file it opened; here it was not kept.
    elif storage == "gray":
        image_name = f"{name}.png"
        image.convert("L").save(OUT / image_name)
    else:
        image.save(OUT / image_name, quality=85)
    document = {
        "version": "5.8.0",
        "flags": {},
        "shapes": shapes,
        "imagePath": image_name,
        "imageData": image_data,
        "imageHeight": HEIGHT,
        "imageWidth": WIDTH,
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    (OUT / f"{name}.json").write_text(text, encoding="utf-8")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, shapes, storage in scenes():
        write_scene(name, shapes, storage)


if __name__ == "__main__":
    main()
