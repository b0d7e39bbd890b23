"""The default guards against decompression bombs and oversized image files.

Apart from ``images`` so that the options and the command line can show them
without loading an image library (``seg-convert --help`` stays quick).
"""

from __future__ import annotations

# 2**28 pixels, e.g. 16384 x 16384: as large as a label array (1 GiB of int32)
# should get on an ordinary machine. Raise it with --max-image-pixels.
DEFAULT_MAX_PIXELS = 1 << 28
# 256 MiB: more than a 2**28-pixel JPEG at high quality or PNG of a photo needs;
# a file larger still is mostly something other than its image.
DEFAULT_MAX_IMAGE_BYTES = 1 << 28
