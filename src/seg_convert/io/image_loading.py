"""Loading an annotation's image as labelme sees it: opened, checked against
the size the annotation declares, and decoded only as far as a dataset needs
(a JPEG that can be copied as it is is not decoded at all). Every source's
images go through here."""

from __future__ import annotations

from pathlib import Path

from seg_convert.core.errors import ImageError
from seg_convert.core.limits import DEFAULT_MAX_IMAGE_BYTES
from seg_convert.core.sample import LoadedImage
from seg_convert.io.images import (
    apply_exif_orientation,
    copyable_jpeg,
    load_pixels,
    open_image,
    read_image_file,
    to_rgb,
)


def load_image_from(
    source: bytes | Path,
    *,
    owner: Path,
    what: str,
    declared_size: tuple[int | None, int | None],
    declared_names: tuple[str, str],
    max_image_pixels: int,
    gray: bool = False,
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> LoadedImage:
    """Decode an annotation's image (embedded bytes or a file) as labelme sees it.

    EXIF orientation is applied to image files but not to embedded bytes, which
    labelme stores already upright. A size that disagrees with the declared
    (width, height) means the annotation was drawn on another image: an error
    naming ``declared_names``. A JPEG that can be copied as it is is not decoded
    at all, unless ``gray`` asks for its pixels (then decoded straight to gray,
    which is faster). An image file of more than ``max_image_bytes`` is refused
    before it is read. Errors are about ``owner``, ``what`` naming the image.
    """
    opened = open_image(
        source,
        max_pixels=max_image_pixels,
        max_bytes=max_image_bytes,
        owner=owner,
        what=what,
    )

    def check_size(size: tuple[int, int]) -> None:
        _check_declared_size(owner, declared_size, declared_names, size, what)

    jpeg = None
    if opened.format == "JPEG":
        data = (
            source
            if isinstance(source, bytes)
            else read_image_file(
                source, max_bytes=max_image_bytes, owner=owner, what=what
            )
        )
        jpeg = copyable_jpeg(opened, data, owner=owner, what=what)
    if jpeg is not None:  # upright already: its size is final
        check_size(opened.size)
        if gray:
            opened.draft("L", opened.size)
            load_pixels(opened, owner=owner, what=what)
        return LoadedImage(size=opened.size, gray=opened if gray else None, jpeg=jpeg)
    image = load_pixels(opened, owner=owner, what=what)
    if not isinstance(source, bytes):
        image = apply_exif_orientation(image, owner=owner, what=what)
    check_size(image.size)
    rgb = to_rgb(image, owner=owner)
    return LoadedImage(size=rgb.size, rgb=rgb, gray=rgb.convert("L") if gray else None)


def _check_declared_size(
    owner: Path,
    declared_size: tuple[int | None, int | None],
    names: tuple[str, str],
    size: tuple[int, int],
    what: str,
) -> None:
    for name, declared, actual in zip(names, declared_size, size, strict=True):
        if declared is not None and declared != actual:
            raise ImageError(
                owner,
                f"{name} is {declared} but {what} is {size[0]}x{size[1]}; "
                "the annotation was made on a different image",
            )
