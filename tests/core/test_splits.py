"""Stable train/val splits."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seg_convert.core.splits import empty_split_warning, make_splits, split_position


def test_position_is_the_documented_sha256() -> None:
    hexdigest = hashlib.sha256(b"7/street_01").hexdigest()
    assert split_position("street_01", seed=7) == int(hexdigest[:16], 16) / 2**64


def test_fraction_is_roughly_kept_and_lists_are_sorted() -> None:
    stems = [f"img_{i:04d}" for i in range(2000)]
    splits = make_splits(reversed(stems), val_fraction=0.2, seed=0)
    assert 0.17 < len(splits["val"]) / 2000 < 0.23
    assert splits["trainval"] == stems
    assert sorted(splits["train"] + splits["val"]) == stems
    assert splits["train"] == sorted(splits["train"])
    assert splits["val"] == sorted(splits["val"])


@pytest.mark.parametrize(("fraction", "val_count"), [(0.0, 0), (1.0, 50)])
def test_extreme_fractions(fraction: float, val_count: int) -> None:
    splits = make_splits([f"s{i}" for i in range(50)], val_fraction=fraction, seed=3)
    assert len(splits["val"]) == val_count


def test_seed_changes_the_split() -> None:
    stems = [f"s{i}" for i in range(200)]
    first = make_splits(stems, val_fraction=0.5, seed=1)["val"]
    assert make_splits(stems, val_fraction=0.5, seed=2)["val"] != first
    assert make_splits(stems, val_fraction=0.5, seed=1)["val"] == first


@given(
    st.sets(st.text(min_size=1, max_size=8), max_size=40),
    st.sets(st.text(min_size=1, max_size=8), max_size=40),
)
def test_other_files_never_move_a_sample(old: set[str], added: set[str]) -> None:
    before = make_splits(old, val_fraction=0.3, seed=0)
    after = make_splits(old | added, val_fraction=0.3, seed=0)
    assert set(before["val"]) == set(after["val"]) & old
    assert set(before["train"]) == set(after["train"]) & old


@pytest.mark.parametrize(
    ("stems", "fraction", "fixed", "empty"),
    [
        (["a", "b"], 0.2, {}, "val"),  # two names, both hash into train
        (["a", "b"], 0.0, {}, None),  # asked for no val
        (["a", "b"], 1.0, {}, None),  # all val, as asked
        ([f"s{i}" for i in range(200)], 0.2, {}, None),
        (["a", "b"], 0.2, {"a": "train", "b": "train"}, None),  # the files say so
        ([], 0.2, {}, None),
    ],
    ids=["few", "no-val-asked", "all-val-asked", "many", "fixed", "none"],
)
def test_an_empty_split_is_warned_about_only_when_unasked(
    stems: list[str], fraction: float, fixed: dict[str, str], empty: str | None
) -> None:
    splits = make_splits(stems, val_fraction=fraction, seed=0, fixed=fixed)
    warning = empty_split_warning(splits, val_fraction=fraction, fixed=fixed)
    if empty is None:
        assert warning is None
    else:
        assert not splits[empty]
        assert warning is not None
        assert warning.startswith(f"no sample is in {empty} ({len(stems)} samples")
