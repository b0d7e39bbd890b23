"""Choosing a font that can write every class name in a legend.

Class names are often not English (行人, Straße, пешеход). Pillow's built-in font
has Latin letters only, so we look for an installed font that has a glyph for
every character of the class names: DejaVu Sans first (it looks best for Latin,
Greek and Cyrillic), then the common CJK-capable fonts of Linux, macOS and
Windows. ``--font`` names one directly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from seg_convert.core.errors import FontError
from seg_convert.core.files import FileRefused, check_regular, reason

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
_NOT_DRAWN = frozenset(" \t")  # blank in any font: nothing to check
# Debian/Ubuntu package names; other systems name theirs alike.
# Noto CJK's collection is 20 MB; no real font comes near this.
MAX_FONT_BYTES = 1 << 28
FONT_PACKAGES = ("fonts-noto-cjk", "fonts-wqy-microhei")


def load_font(source: str, size: int) -> ImageFont.FreeTypeFont:
    """Load a font file, or the built-in font for ``BUILTIN_FONT``."""
    if source == BUILTIN_FONT:
        return ImageFont.load_default(size)  # type: ignore[return-value]
    return _load_file(source, size)


def check_font(path: Path) -> str:
    """Check that ``path`` is a font Pillow can use; return it as a source."""
    try:
        check_regular(path, max_bytes=MAX_FONT_BYTES)  # FreeType reads it whole
    except FileRefused as error:
        raise FontError(path, f"{error.strerror}, not a font file") from None
    except OSError as error:
        raise FontError(path, f"cannot read: {reason(error)}") from None
    try:
        _load_file(str(path), _PROBE_SIZE)
    except OSError as error:
        raise FontError(path, f"not a usable font file ({error})") from None
    return str(path)


def choose_font(names: Iterable[str]) -> str:
    """The first installed candidate that can write every name, else the best one.

    Returns a font file path or ``BUILTIN_FONT``.
    """
    characters = frozenset("".join(names)) - _NOT_DRAWN
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


def undrawable_names(font_source: str, names: Iterable[str]) -> tuple[str, ...]:
    """The names, in order and each once, with a character ``font_source`` (a
    font file or ``BUILTIN_FONT``) draws as its "missing glyph" box."""
    unique = tuple(dict.fromkeys(names))
    missing = missing_characters(font_source, frozenset("".join(unique)) - _NOT_DRAWN)
    return tuple(name for name in unique if missing.intersection(name))


def undrawable_names_warning(font_source: str, names: Sequence[str]) -> str | None:
    """One line saying which names the legend cannot write and how to fix it,
    or None when the font draws them all. Said once a run: every image's legend
    would show the same boxes."""
    undrawable = undrawable_names(font_source, names)
    if not undrawable:
        return None
    font = "Pillow's built-in font" if font_source == BUILTIN_FONT else font_source
    shown = ", ".join(repr(name) for name in undrawable)
    packages = " or ".join(FONT_PACKAGES)
    return (
        f"the legend's font ({font}) cannot write {shown}: they show as boxes "
        f"(give --font FILE with a font that has them, or install one, e.g. the "
        f"package {packages})"
    )


@functools.lru_cache(maxsize=64)
def _load_file(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _render(font: ImageFont.FreeTypeFont, character: str) -> bytes:
    canvas = Image.new("L", (2 * _PROBE_SIZE, 2 * _PROBE_SIZE))
    ImageDraw.Draw(canvas).text((0, 0), character, font=font, fill=255)
    return canvas.tobytes()
