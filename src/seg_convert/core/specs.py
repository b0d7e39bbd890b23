"""What a source or a format says of itself before it is loaded: its name, where
its code is, and the command-line options it takes.

Each ``sources/<name>/__init__.py`` and ``formats/<name>/__init__.py`` holds one
spec; ``run.registry`` lists them. A spec is plain data, so ``seg-convert
--help`` builds every command from the specs without loading numpy, Pillow or
pycocotools, and without the sources and formats knowing click: the CLI makes
a click option of each ``OptionSpec``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How an option takes its value: a flag (``--panoptic``), an on/off pair
# (``--npy/--no-npy``), one of ``choices``, an existing folder, a labels table
# (a file or comma-separated names), comma-separated names, an existing file,
# or a number in [0, 1].
OptionKind = Literal[
    "flag", "switch", "choice", "folder", "labels", "names", "file", "fraction"
]


@dataclass(frozen=True)
class OptionSpec:
    """One option: ``flags`` as click takes them (``("--npy/--no-npy",)``,
    ``("--images", "images_dir")``), and its parameter's name is the field of
    ``Options`` it sets, when there is one. ``multiple``: it may be given
    several times, and its value is the tuple of them."""

    flags: tuple[str, ...]
    kind: OptionKind
    help: str
    default: object = None
    choices: tuple[str, ...] = ()
    required: bool = False
    show_default: bool = False
    metavar: str | None = None
    multiple: bool = False


@dataclass(frozen=True)
class ArgumentSpec:
    """One positional argument: ``many`` takes one or more existing files,
    else it is one existing folder."""

    name: str
    metavar: str
    many: bool = False


# The option groups the CLI shares between commands, which a source asks for
# by name: --labels (required), -j, the labelme reading options, and the
# image-size guards.
SharedGroup = Literal["labels", "jobs", "reading", "image_limits"]


@dataclass(frozen=True)
class SourceSpec:
    """A source: ``module`` has ``open_source(params) -> OpenedSource``, which
    makes the source from a command's parameters. ``describes`` completes
    "Convert ..." in a command's help; ``help`` says how inputs become samples.
    The command takes ``arguments``, then ``options``, then ``shared``."""

    name: str
    module: str
    describes: str
    help: str
    arguments: tuple[ArgumentSpec, ...]
    options: tuple[OptionSpec, ...] = ()
    shared: tuple[SharedGroup, ...] = ()


@dataclass(frozen=True)
class FormatSpec:
    """A format: ``module`` has ``OUTPUT_FORMAT`` (an ``OutputFormat``).
    ``describes`` completes "Convert ... into ..." in a command's help, and
    ``help`` says what OUTPUT_DIR gets."""

    name: str
    module: str
    describes: str
    help: str
    options: tuple[OptionSpec, ...] = ()


def option_named(options: tuple[OptionSpec, ...], flag: str) -> OptionSpec:
    """The option of ``options`` whose first flag starts with ``flag``."""
    for option in options:
        if option.flags[0].split("/")[0] == flag:
            return option
    raise KeyError(flag)
