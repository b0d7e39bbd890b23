"""Stable train/val splits.

A sample's split depends only on its own name and the seed: the SHA-256 of
``"<seed>/<stem>"``, read as a number in [0, 1), puts it in val when it is below
the val fraction. So the split is the same on every machine and Python version,
and adding or removing other files never moves a sample between train and val.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

SPLIT_NAMES = ("train", "val", "trainval")
# A split only the inputs can fix (Roboflow's test/ folder): never by the hash
# rule, and not in trainval. Its list is written only when it has samples.
TEST_SPLIT = "test"
_NONE_FIXED: Mapping[str, str] = MappingProxyType({})
# The splits a sample can be in, in order: those that are folders of a format
# with a folder per split (YOLO's and COCO's images/<split>/).
SAMPLE_SPLITS = ("train", "val", TEST_SPLIT)


def splits_in_use(fixed: Mapping[str, str]) -> tuple[str, ...]:
    """The splits samples go into: train and val always, and any other split
    the inputs fix (``fixed``: stem -> split), in ``SAMPLE_SPLITS`` order."""
    return _with_train_and_val(fixed.values())


def splits_with_samples(splits: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The splits of ``make_splits`` a dataset lists: train and val always,
    and any other only when it has samples, in ``SAMPLE_SPLITS`` order."""
    return _with_train_and_val(name for name, stems in splits.items() if stems)


def _with_train_and_val(names: Iterable[str]) -> tuple[str, ...]:
    used = {"train", "val", *names}
    return tuple(split for split in SAMPLE_SPLITS if split in used)


def split_position(stem: str, *, seed: int) -> float:
    """Where ``stem`` falls in [0, 1) for this ``seed``."""
    digest = hashlib.sha256(f"{seed}/{stem}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(stem: str, *, val_fraction: float, seed: int) -> str:
    """``val`` or ``train``: the split ``stem`` is in."""
    return "val" if split_position(stem, seed=seed) < val_fraction else "train"


def make_splits(
    stems: Iterable[str],
    *,
    val_fraction: float,
    seed: int,
    fixed: Mapping[str, str] = _NONE_FIXED,
) -> Mapping[str, list[str]]:
    """The sorted stems of ``train``, ``val``, ``trainval`` (the two) and
    ``test``; a stem in ``fixed`` goes to the split named there (its inputs say
    it, as COCO's ``instances_val2017.json`` does), the others by the rule
    above."""
    every = sorted(set(stems))
    where = {
        s: fixed.get(s) or split_of(s, val_fraction=val_fraction, seed=seed)
        for s in every
    }
    return {
        "train": [s for s in every if where[s] == "train"],
        "val": [s for s in every if where[s] == "val"],
        "trainval": [s for s in every if where[s] != TEST_SPLIT],
        TEST_SPLIT: [s for s in every if where[s] == TEST_SPLIT],
    }


def all_samples(splits: Mapping[str, Sequence[str]]) -> list[str]:
    """Every stem of ``splits``, sorted: trainval and test."""
    return sorted([*splits["trainval"], *splits.get(TEST_SPLIT, ())])


def empty_split_warning(
    splits: Mapping[str, list[str]], *, val_fraction: float, fixed: Mapping[str, str]
) -> str | None:
    """A warning when the hash rule left a split empty that the fraction asks
    to fill (a few samples can all fall on one side); None when the inputs fix
    every split, as COCO's train and val files do."""
    count = len(splits["trainval"])
    if not count or sum(fixed.get(s) is not None for s in splits["trainval"]) == count:
        return None
    for name, wanted in (("val", val_fraction > 0), ("train", val_fraction < 1)):
        if wanted and not splits[name]:
            return (
                f"no sample is in {name} ({count} sample{'s' * (count != 1)}, "
                f"--val-fraction {val_fraction:g}; the split goes by a hash of "
                "each name): give another --val-fraction or --split-seed"
            )
    return None
