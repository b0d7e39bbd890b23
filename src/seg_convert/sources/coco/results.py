"""COCO results lists (what detectors write, ``[{image_id, category_id,
segmentation, score}, ...]``) indexed as instance files are, their images and
categories taken from an instances file (``--categories``)."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import TypeGuard

from seg_convert.core.errors import InputError
from seg_convert.core.files import open_regular
from seg_convert.sources.coco.index import (
    DIGEST_BYTES,
    CocoIndex,
    FileScan,
    build_index,
    integer,
    scan_file,
)
from seg_convert.sources.coco.json_stream import JsonStream


def index_coco_results(
    results: Path,
    *,
    categories_file: Path,
    min_score: float,
    salt: bytes,
    flatten_names: bool = False,
) -> CocoIndex:
    """Index a COCO results list (``[{image_id, category_id, segmentation,
    score}, ...]``, as detectors write it) with the images and categories of
    ``categories_file`` (an instances file, whose own annotations are not
    read); results scored under ``min_score`` are left out."""
    categories: dict[int, str] = {}
    scan = scan_file(categories_file, categories, {}, annotations=False)
    scan.path = results
    try:
        with open_regular(results) as stream:
            _read_results(JsonStream(stream, results), scan, min_score)
    except OSError as error:
        raise InputError(results, f"cannot read: {error.strerror}") from None
    return build_index(
        (results, categories_file),
        [scan],
        categories,
        salt,
        flatten_names=flatten_names,
    )


def _read_results(reader: JsonStream, scan: FileScan, min_score: float) -> None:
    if not reader.starts_with("["):
        raise InputError(
            reader.path, "--categories is given: this must be a COCO results list"
        )
    for index, (start, end) in enumerate(reader.array_spans()):
        item = reader.last_value
        where = f"results[{index}]"
        if not isinstance(item, dict):
            raise InputError(reader.path, f"{where} is not an object")
        score = item.get("score")
        if not _is_number(score):
            raise InputError(reader.path, f"{where}: 'score' must be a number")
        image_id = integer(reader.path, where, item, "image_id")
        if score < min_score:
            continue
        scan.image_ids.append(image_id)
        scan.spans.extend((start, end))
        scan.digests += hashlib.blake2b(
            reader.bytes_between(start, end), digest_size=DIGEST_BYTES
        ).digest()


def _is_number(value: object) -> TypeGuard[float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )
