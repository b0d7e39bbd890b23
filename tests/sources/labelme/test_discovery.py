"""Which files a run takes, what their outputs are called, and shards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from seg_convert.cli import cli
from seg_convert.core.shards import Shard
from seg_convert.sources.labelme.discovery import find_inputs
from tests.conftest import REPO, WriteAnnotation, shape

SHAPES = [shape("cat", [[2, 2], [40, 5], [20, 30]])]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def nested(write_annotation: WriteAnnotation, tmp_path: Path) -> Path:
    """in/top.json, in/a/1.json, in/b/1.json, in/a/deep/2.json."""
    root = tmp_path / "in"
    for name in ("top", "a/1", "b/1", "a/deep/2"):
        path = write_annotation("tmp", SHAPES)
        target = root / f"{name}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(root / "tmp.jpg", target.with_suffix(".jpg"))
        path.rename(target)
        data = json.loads(target.read_text())
        data["imagePath"] = target.with_suffix(".jpg").name
        target.write_text(json.dumps(data))
    return root


def test_not_recursive_by_default(nested: Path) -> None:
    assert [i.stem for i in find_inputs(nested)] == ["top"]


def test_recursive_collision_names_both_files(nested: Path, tmp_path: Path) -> None:
    result = run(
        "labelme2voc",
        nested,
        tmp_path / "out",
        "--labels",
        "__ignore__,_background_,cat",
        "--recursive",
    )
    assert result.exit_code == 2
    assert (
        f"{nested}: a/1.json and b/1.json would both be written as '1' (rename one, "
        "or use --flatten-names)"
    ) in result.stderr


def test_flatten_names(nested: Path, tmp_path: Path) -> None:
    inputs = find_inputs(nested, recursive=True, flatten_names=True)
    assert [i.stem for i in inputs] == ["a__1", "a__deep__2", "b__1", "top"]
    out = tmp_path / "out"
    result = run(
        "labelme2voc",
        nested,
        out,
        "--labels",
        "__ignore__,_background_,cat",
        "--recursive",
        "--flatten-names",
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in (out / "SegmentationClass").iterdir()) == [
        "a__1",
        "a__deep__2",
        "b__1",
        "top",
    ]


def test_a_link_loop_is_not_followed(nested: Path) -> None:
    (nested / "a" / "loop").symlink_to(nested, target_is_directory=True)
    stems = [i.stem for i in find_inputs(nested, recursive=True, flatten_names=True)]
    assert stems == ["a__1", "a__deep__2", "b__1", "top"]


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_partition_the_inputs(count: int) -> None:
    stems = [f"img_{i}" for i in range(200)]
    held = [[s for s in stems if Shard(k, count).holds(s)] for k in range(count)]
    assert sorted(sum(held, [])) == sorted(stems)
    if count > 1:
        assert all(20 < len(h) for h in held)


@pytest.mark.parametrize("value", ["2/2", "-1/3", "a/b", "3"])
def test_bad_shard_is_a_usage_error(value: str, tmp_path: Path) -> None:
    result = run(
        "labelme2voc",
        REPO / "examples" / "street",
        tmp_path / "out",
        "--labels",
        REPO / "labels.txt",
        "--shard",
        value,
    )
    assert result.exit_code == 2
    assert "is not K/N with 0 <= K < N" in result.stderr


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".seg-convert" not in p.parts
    }


def test_all_shards_give_the_unsharded_output(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    for i in range(12):
        write_annotation(f"s{i:02d}", SHAPES)
    source = tmp_path / "in"
    common = ["--labels", labels_file, "--instances", "--layout", "voc"]
    whole = tmp_path / "whole"
    assert run("labelme2voc", source, whole, *common).exit_code == 0
    sharded = tmp_path / "sharded"
    converted = []
    for k in range(3):
        result = run("labelme2voc", source, sharded, *common, "--shard", f"{k}/3")
        assert result.exit_code == 0, result.output
        converted.append(int(result.stderr.split()[1]))
        # The dataset-wide files are complete after every shard.
        assert (sharded / "ImageSets/Segmentation/trainval.txt").read_text() == (
            "".join(f"s{i:02d}\n" for i in range(12))
        )
    assert sum(converted) == 12 and all(converted)
    assert _tree(sharded) == _tree(whole)
    # A second round of shards finds everything done.
    result = run("labelme2voc", source, sharded, *common, "--shard", "1/3")
    assert result.stderr.startswith("converted 0 of ")


def test_the_runs_own_report_and_output_are_not_inputs(
    write_annotation: WriteAnnotation, tmp_path: Path, labels_file: Path
) -> None:
    """--report and OUTPUT_DIR inside INPUT_DIR (with -r) never become inputs of
    the next run."""
    write_annotation("a", [shape("cat", [[2, 2], [40, 5], [20, 30]])])
    source = tmp_path / "in"
    args = ["labelme2voc", str(source), str(source / "out"), "-r"]
    args += ["--labels", str(labels_file), "--report", str(source / "report.json")]
    for _ in range(2):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
    assert result.stderr.startswith("converted 0 of 1 files")
