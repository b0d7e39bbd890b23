"""Reading a dataset's label arrays (.npy) without trusting their headers.

A .npy header says a shape and a dtype; ``np.load`` allocates what it says
before reading, so 128 bytes claiming 100000 x 100000 would ask for 80 GB.
The header is read and checked against the pixel limit (and the file's size
against what the header says) first.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from seg_convert.core.errors import InputError, one_line
from seg_convert.core.files import FileRefused, open_regular, reason

_HEADER_BYTES = 1 << 16  # numpy writes 64-byte aligned headers; this is ample


def load_label_npy(path: Path, *, max_pixels: int) -> npt.NDArray[Any]:
    """The array of a .npy file of at most ``max_pixels`` elements, pickles
    refused; anything else is an InputError naming ``path``."""
    try:
        # 8 bytes an element is the widest integer dtype a label array has.
        with open_regular(path, max_bytes=max_pixels * 8 + _HEADER_BYTES) as stream:
            version = np.lib.format.read_magic(stream)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, _ = read_header(stream)
            count = math.prod(shape)
            if count > max_pixels:
                raise InputError(
                    path,
                    f"its header says {'x'.join(map(str, shape))} = {count:,} "
                    f"elements, more than the limit of {max_pixels:,}",
                )
            stream.seek(0)
            array: npt.NDArray[Any] = np.lib.format.read_array(
                stream, allow_pickle=False
            )
    except FileRefused as error:
        raise InputError(path, f"{error.strerror}, not a label array") from None
    except OSError as error:
        raise InputError(path, f"cannot read: {reason(error)}") from None
    except ValueError as error:
        raise InputError(path, f"cannot read: {one_line(str(error))}") from None
    return array
