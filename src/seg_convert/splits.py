"""Stable train/val splits.

A sample's split depends only on its own name and the seed: the SHA-256 of
``"<seed>/<stem>"``, read as a number in [0, 1), puts it in val when it is below
the val fraction. So the split is the same on every machine and Python version,
and adding or removing other files never moves a sample between train and val.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

SPLIT_NAMES = ("train", "val", "trainval")


def split_position(stem: str, *, seed: int) -> float:
    """Where ``stem`` falls in [0, 1) for this ``seed``."""
    digest = hashlib.sha256(f"{seed}/{stem}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def make_splits(
    stems: Iterable[str], *, val_fraction: float, seed: int
) -> Mapping[str, list[str]]:
    """The sorted stems of ``train``, ``val`` and ``trainval``."""
    trainval = sorted(set(stems))
    val = [s for s in trainval if split_position(s, seed=seed) < val_fraction]
    val_set = set(val)
    train = [s for s in trainval if s not in val_set]
    return {"train": train, "val": val, "trainval": trainval}
