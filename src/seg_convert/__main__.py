"""``python -m seg_convert``, the same as the ``seg-convert`` command."""

from seg_convert.cli import main

main()
