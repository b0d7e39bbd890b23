"""What exporters' conventions say of COCO files: the stem an image's
``file_name`` gives (``\\`` separates folders too, as Label Studio writes on
Windows), the split a file's name or folder fixes (COCO 2017's
``instances_val2017.json``, Roboflow's ``valid/_annotations.coco.json``), and
Roboflow's placeholder category."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from seg_convert.core.inputs import FLATTEN_SEPARATOR

# Words in a file name that fix its images' split (COCO's instances_val2017.json).
SPLIT_WORDS = ("train", "val", "test")
# Folder names that do, when the file's name says none (Roboflow's
# train/_annotations.coco.json, valid/..., test/...).
SPLIT_FOLDERS = {"train": "train", "valid": "val", "val": "val", "test": "test"}
# Roboflow's category 0 names the project and no annotation uses it.
PLACEHOLDER_ID = 0
PLACEHOLDER_SUPERCATEGORY = "none"


def file_stem(file_name: str, *, flatten: bool = False) -> str:
    """The name a ``file_name`` gives its outputs: its last part's, without the
    extension (``\\`` separates parts too, as Label Studio writes them on
    Windows); with ``flatten``, its folders too, joined by ``__`` (``a/x.jpg``
    -> ``a__x``), as labelme2voc's --flatten-names names files."""
    path = PurePosixPath(file_name.replace("\\", "/"))
    if not flatten:
        return path.stem
    return FLATTEN_SEPARATOR.join((*path.parent.parts, path.stem)).lstrip("/")


def split_of_file(path: Path) -> str | None:
    """``train``, ``val`` or ``test`` when the file's name holds one of them
    only; when it holds none, what its folder's name says (``valid`` is val)."""
    found = [word for word in SPLIT_WORDS if word in path.name.lower()]
    if found:
        return found[0] if len(found) == 1 else None
    return SPLIT_FOLDERS.get(path.absolute().parent.name.lower())


def roboflow_placeholder(
    categories: Mapping[int, str],
    supercategories: Mapping[int, object],
    used: set[int],
) -> tuple[int, str] | None:
    """Roboflow's placeholder category, if these are Roboflow's: id 0 of
    supercategory "none", which no annotation of any file uses and which is the
    supercategory of every other category (Roboflow names both the project)."""
    name = categories.get(PLACEHOLDER_ID)
    others = [key for key in categories if key != PLACEHOLDER_ID]
    if (
        name is None
        or not others
        or PLACEHOLDER_ID in used
        or supercategories.get(PLACEHOLDER_ID) != PLACEHOLDER_SUPERCATEGORY
        or any(supercategories.get(key) != name for key in others)
    ):
        return None
    return PLACEHOLDER_ID, name
