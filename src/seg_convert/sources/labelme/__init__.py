"""labelme JSON files: one sample per file (see ``source``)."""

from __future__ import annotations

from seg_convert.core.specs import ArgumentSpec, SourceSpec

SOURCE = SourceSpec(
    name="labelme",
    module="seg_convert.sources.labelme.source",
    describes="the labelme JSON files in INPUT_DIR",
    help="Each file becomes a sample named by its file name without .json.",
    arguments=(ArgumentSpec("input_dir", "INPUT_DIR"),),
    shared=("labels", "jobs", "reading"),
)
