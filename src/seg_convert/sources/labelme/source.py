"""Where samples come from, so that an input format is one module.

A source lists its inputs, says how to check one (the check runs in worker
processes, so it is picklable and small), how an input looks now (the
fingerprint a re-run compares with the one recorded when it was converted),
and which samples' split the inputs fix. The batch runner, the output state and
the writers are the same for every source. Labelme folders are the first
source; COCO annotation files are another (``coco_source``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seg_convert.core.errors import AnnotationError
from seg_convert.core.fingerprints import (
    Fingerprint,
    content_digest,
    file_print,
    fingerprint,
)
from seg_convert.core.inputs import Input, InputSet, stem_problem
from seg_convert.core.interfaces import Check, OpenedSource
from seg_convert.core.labels import IGNORE_NAME
from seg_convert.core.options import Options
from seg_convert.core.sample import CheckedSample
from seg_convert.sources.labelme.annotation import (
    image_warnings,
    load_image,
    read_annotation,
)
from seg_convert.sources.labelme.discovery import find_inputs
from seg_convert.sources.labelme.json_text import MAX_JSON_BYTES
from seg_convert.sources.labelme.objects import sample_objects
from seg_convert.sources.labelme.rasterize import class_ids, instance_numbers, rasterize


@dataclass(frozen=True)
class LabelmeSource:
    """The labelme JSON files of a folder (and its subfolders if
    ``recursive``); a sample's fingerprint is its JSON and its image file."""

    input_dir: Path
    recursive: bool = False
    flatten_names: bool = False

    @property
    def kind(self) -> str:
        return "labelme"

    @property
    def root(self) -> Path:
        return self.input_dir

    @property
    def reads(self) -> tuple[Path, ...]:
        return (self.input_dir,)

    @property
    def input_set(self) -> InputSet:
        # The options that choose which files are inputs and what they are named.
        words = ("--recursive",) * self.recursive + ("--flatten-names",) * (
            self.flatten_names
        )
        return (self.input_dir, *words)

    def describe(self) -> dict[str, Any]:
        return {
            "input_dir": str(self.input_dir),
            "recursive": self.recursive,
            "flatten_names": self.flatten_names,
        }

    @property
    def notes(self) -> tuple[str, ...]:
        return ()

    @property
    def check(self) -> Check:
        return check_file

    def inputs(self, *, exclude: Sequence[Path]) -> list[Input]:
        return find_inputs(
            self.input_dir,
            recursive=self.recursive,
            flatten_names=self.flatten_names,
            exclude=exclude,
        )

    def fingerprint(self, item: Input, image: Path | None, /) -> Fingerprint | None:
        return fingerprint(item.source, image)

    def fixed_splits(self, items: Sequence[Input]) -> Mapping[str, str]:
        return {}  # labelme files say nothing of splits


def check_file(
    item: Input, options: Options, *, instances: bool, gray: bool = False
) -> CheckedSample:
    """Read, check and rasterize one labelme file as ``options`` say (with
    ``instances`` ids if asked); ``gray`` also decodes the image in gray (for
    visualizations)."""
    source = item.source
    problem = stem_problem(item.stem)
    if problem is not None:
        raise AnnotationError(source, problem)
    json_print = file_print(source)
    json_digest = content_digest(source, max_bytes=MAX_JSON_BYTES)
    annotation = read_annotation(
        source,
        max_image_pixels=options.max_image_pixels,
        json_encoding=options.json_encoding,
    )
    ids = class_ids(annotation.shapes, options.labels, owner=source)
    image_file = None if isinstance(annotation.image, bytes) else annotation.image
    image_print = None if image_file is None else file_print(image_file)
    image_digest = content_digest(image_file, max_bytes=options.max_image_bytes)
    loaded = load_image(
        annotation,
        max_image_pixels=options.max_image_pixels,
        max_image_bytes=options.max_image_bytes,
        gray=gray,
    )
    width, height = loaded.size
    numbers = instance_numbers(annotation.shapes)
    ignored = {
        n
        for n, s in zip(numbers, annotation.shapes, strict=True)
        if s.label == IGNORE_NAME
    }
    return CheckedSample(
        stem=item.stem,
        source=source,
        image=loaded,
        image_file=image_file,
        rasterized=functools.partial(
            rasterize,
            annotation.shapes,
            ids,
            height=height,
            width=width,
            instances=instances,
        ),
        fingerprint=None if json_print is None else (json_print, image_print),
        digests=(json_digest, image_digest),
        warnings=annotation.warnings + image_warnings(annotation, loaded.size),
        objects_read=len(annotation.shapes),
        shape_types=tuple(shape.shape_type for shape in annotation.shapes),
        ignored=len(ignored),
        object_list=functools.partial(
            sample_objects, annotation.shapes, ids, height=height, width=width
        ),
    )


def open_source(params: Mapping[str, Any]) -> OpenedSource:
    """The source a ``labelme2...`` command's parameters name."""
    return OpenedSource(
        LabelmeSource(
            params["input_dir"],
            recursive=params["recursive"],
            flatten_names=params["flatten_names"],
        )
    )
