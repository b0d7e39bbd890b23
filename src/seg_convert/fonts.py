"""Choosing a font that can write every class name in a legend.

Class names are often not English (行人, Straße, пешеход). Pillow's built-in font
has Latin letters only, so we look for an installed font that has a glyph for
every character of the class names: DejaVu Sans first (it looks best for Latin,
Greek and Cyrillic), then the common CJK-capable fonts of Linux, macOS and
Windows. ``--font`` names one directly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .errors import FontError

FONT_CANDIDATES: tuple[str, ...] = (
    # Linux (Debian/Ubuntu, Fedora, Arch)
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/unifont/unifont.otf",
    # macOS
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    # Windows
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/arialuni.ttf",
    "C:/Windows/Fonts/segoeui.ttf",
)
# Pillow's built-in font stands last, for when no file above is installed.
BUILTIN_FONT = "Pillow's built-in font (Latin only)"
_PROBE_SIZE = 24
_NEVER_A_GLYPH = "\uffff"  # a Unicode noncharacter: every font draws its "missing" box


def load_font(source: str, size: int) -> ImageFont.FreeTypeFont:
    """Load a font file, or the built-in font for ``BUILTIN_FONT``."""
    if source == BUILTIN_FONT:
        return ImageFont.load_default(size)  # type: ignore[return-value]
    return _load_file(source, size)


def check_font(path: Path) -> str:
    """Check that ``path`` is a font Pillow can use; return it as a source."""
    try:
        _load_file(str(path), _PROBE_SIZE)
    except OSError as error:
        raise FontError(path, f"not a usable font file ({error})") from None
    return str(path)


def choose_font(names: Iterable[str]) -> str:
    """The first installed candidate that can write every name, else the best one.

    Returns a font file path or ``BUILTIN_FONT``.
    """
    characters = frozenset("".join(names)) - frozenset(" \t")
    best, best_missing = BUILTIN_FONT, len(characters) + 1
    for source in (*FONT_CANDIDATES, BUILTIN_FONT):
        if source != BUILTIN_FONT and not Path(source).is_file():
            continue
        missing = len(missing_characters(source, characters))
        if missing == 0:
            return source
        if missing < best_missing:
            best, best_missing = source, missing
    return best


def missing_characters(source: str, characters: Iterable[str]) -> set[str]:
    """The characters the font draws as its "missing glyph" box."""
    try:
        font = load_font(source, _PROBE_SIZE)
    except OSError:
        return set(characters)
    missing_box = _render(font, _NEVER_A_GLYPH)
    return {ch for ch in characters if _render(font, ch) == missing_box}


@functools.lru_cache(maxsize=64)
def _load_file(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _render(font: ImageFont.FreeTypeFont, character: str) -> bytes:
    canvas = Image.new("L", (2 * _PROBE_SIZE, 2 * _PROBE_SIZE))
    ImageDraw.Draw(canvas).text((0, 0), character, font=font, fill=255)
    return canvas.tobytes()
