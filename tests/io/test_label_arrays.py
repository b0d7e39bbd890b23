"""A .npy label array's header is checked before the array is allocated."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from seg_convert.core.errors import InputError
from seg_convert.io.label_arrays import load_label_npy


def forged(path: Path, shape: tuple[int, ...]) -> Path:
    header = f"{{'descr': '<i4', 'fortran_order': False, 'shape': {shape}, }}"
    header = header.ljust(118) + "\n"
    path.write_bytes(
        b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    )
    return path


def test_a_header_claiming_too_many_elements_is_refused(tmp_path: Path) -> None:
    path = forged(tmp_path / "a.npy", (100000, 100000))
    with pytest.raises(InputError, match="100000x100000 = 10,000,000,000 elements"):
        load_label_npy(path, max_pixels=1 << 28)


def test_a_header_longer_than_its_data_is_an_error(tmp_path: Path) -> None:
    path = forged(tmp_path / "a.npy", (100, 100))
    with pytest.raises(InputError, match="cannot read"):
        load_label_npy(path, max_pixels=1 << 28)


def test_a_real_array_round_trips(tmp_path: Path) -> None:
    array = np.arange(12, dtype=np.int32).reshape(3, 4)
    np.save(tmp_path / "a.npy", array)
    np.testing.assert_array_equal(
        load_label_npy(tmp_path / "a.npy", max_pixels=12), array
    )


def test_a_pipe_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "a.npy")
    with pytest.raises(InputError, match="is a pipe or a device"):
        load_label_npy(tmp_path / "a.npy", max_pixels=12)
