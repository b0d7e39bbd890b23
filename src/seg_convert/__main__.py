"""``python -m seg_convert``, the same as the ``seg-convert`` command."""

from .cli import main

main()
