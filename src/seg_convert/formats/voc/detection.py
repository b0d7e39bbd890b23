"""The detection half of PASCAL VOC 2012, made from the masks we already draw.

Per sample, ``Annotations/NAME.xml``: the image's size and one ``object`` per
instance (a (label, group_id) pair, as ``--instances`` numbers them) whose mask
has a pixel in the image, with the tight box of that mask in VOC's 1-based,
inclusive pixel coordinates. Once per dataset, ``ImageSets/Main/``: the split
lists, and per class ``CLASS_{train,val,trainval}.txt`` saying for each sample
whether the class is in it (``NAME  1``) or not (``NAME -1``), spaced as VOC and
Datumaro write them (a sign column: ``"% d"``).

The per-class lists need every sample's classes. Rather than keep the samples,
the dataset step reads the ``Annotations`` files back one at a time (they are
ours, but state is input: each is parsed with no DTD allowed and every name
checked against the class table), keeping one bit a class per sample.
"""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn
from xml.parsers import expat

from seg_convert.core.errors import OutputError
from seg_convert.core.files import reason as os_reason
from seg_convert.core.labels import BACKGROUND_NAME
from seg_convert.core.objects import SampleObject
from seg_convert.core.splits import TEST_SPLIT, all_samples
from seg_convert.io.confined import read_regular
from seg_convert.io.dataset_files import write_file_if_changed

ANNOTATIONS_DIR = "Annotations"
MAIN_DIR = "ImageSets/Main"
# What VOC 2012's own files say; readers take the folder from their arguments.
FOLDER = "VOC2012"
POSE = "Unspecified"
SPLIT_LISTS = ("train", "val", "trainval")
WARNING_EMPTY = "objects with no pixel inside the image left out of Annotations/"
# No file name holds these on Windows (":" is no class name's: labels refuse it).
_NOT_IN_FILE_NAMES = frozenset('/\\<>"|?*')
_MAX_FILE_NAME_BYTES = 255  # NAME_MAX of ext4, APFS, NTFS (in UTF-16 units there)
_MAX_ANNOTATION_BYTES = 64 * 2**20


def xml_text_problem(text: str) -> str | None:
    """Why ``text`` cannot be XML 1.0 character data, or None when it can.

    Control characters and lone surrogates never reach here (class and file
    names refuse them); U+FFFE and U+FFFF are what XML also excludes.
    """
    for ch in text:
        if ch in "\ufffe\uffff" or (ch < " " and ch not in "\t\n\r"):
            return f"has {ch!r}, which XML cannot hold"
        if unicodedata.category(ch) == "Cs":
            return "has bytes that are not UTF-8 text"
    return None


def annotation_xml(
    stem: str, *, width: int, height: int, instances: Iterable[SampleObject]
) -> bytes:
    """``Annotations/NAME.xml`` of one sample, UTF-8; instances with an empty
    mask get no object (VOC has no empty box)."""
    root = ElementTree.Element("annotation")
    _child(root, "folder", FOLDER)
    _child(root, "filename", f"{stem}.jpg")
    size = ElementTree.SubElement(root, "size")
    for tag, value in (("width", width), ("height", height), ("depth", 3)):
        _child(size, tag, str(value))
    _child(root, "segmented", "1")
    for instance in instances:
        if instance.box is None:
            continue
        item = ElementTree.SubElement(root, "object")
        _child(item, "name", instance.label)
        _child(item, "pose", POSE)
        _child(item, "truncated", "1" if instance.truncated else "0")
        _child(item, "difficult", "0")
        box = ElementTree.SubElement(item, "bndbox")
        # SampleObject.box ends one past the last pixel; VOC counts pixels from 1 and
        # names the last one: the minimum moves, the end stays.
        x0, y0, x1, y1 = instance.box
        for tag, value in (
            ("xmin", x0 + 1),
            ("ymin", y0 + 1),
            ("xmax", x1),
            ("ymax", y1),
        ):
            _child(box, tag, str(value))
    ElementTree.indent(root, space="\t")
    return (ElementTree.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _child(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = text


def class_list_problem(name: str) -> str | None:
    """Why ``NAME_trainval.txt`` cannot be a file of ``ImageSets/Main/``, or None.

    The name must stay one file name on Linux, macOS and Windows: no path
    separator or character Windows refuses, and short enough. (``.`` and ``..``
    are fine: the suffix makes them names like any other.)
    """
    if any(ch in _NOT_IN_FILE_NAMES for ch in name):
        return 'has a character file names cannot hold (one of / \\ < > " | ? *)'
    if len(f"{name}_trainval.txt".encode()) > _MAX_FILE_NAME_BYTES:
        return f"makes file names longer than {_MAX_FILE_NAME_BYTES} bytes"
    return None


def listed_classes(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """The classes that get per-class lists, and a warning for each that does
    not: a name ``class_list_problem`` refuses, or names equal but for case or
    Unicode normalization, which are one file on macOS and Windows."""
    folded: dict[str, list[str]] = {}
    for name in names:
        folded.setdefault(unicodedata.normalize("NFC", name).casefold(), []).append(
            name
        )
    listed, warnings = [], []
    for name in names:
        problem = class_list_problem(name)
        if problem is None and len(folded[_fold(name)]) > 1:
            others = ", ".join(repr(n) for n in folded[_fold(name)] if n != name)
            problem = (
                f"differs from {others} only in case (one file on macOS and Windows)"
            )
        if problem is None:
            listed.append(name)
        else:
            warnings.append(
                f"class {name!r} {problem}: it has no {MAIN_DIR}/ per-class lists "
                "(its objects are in Annotations/)"
            )
    return listed, warnings


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def write_detection_lists(
    root: Path,
    *,
    splits: Mapping[str, Sequence[str]],
    classes: Sequence[str],
    complete: bool,
) -> list[str]:
    """Write ``ImageSets/Main/``: the split lists and each class's lists; remove
    lists of classes no longer there. Returns the warnings of ``listed_classes``.

    A shard (not ``complete``) lists samples other shards write. It writes the
    class lists only when every listed sample's Annotations file is there and
    readable, so the last shard to finish writes them; until then, or if a
    sample failed, the run without --shard that follows writes them. In a
    complete dataset every listed sample was written here: a missing or bad
    file is an error.
    """
    folder = root / MAIN_DIR
    # test.txt and its class lists only when the inputs put samples there.
    split_lists = (*SPLIT_LISTS, *((TEST_SPLIT,) if splits.get(TEST_SPLIT) else ()))
    for name in split_lists:
        write_file_if_changed(
            folder / f"{name}.txt",
            "".join(f"{s}\n" for s in splits[name]).encode(),
            root=root,
        )
    classes = [name for name in classes if name != BACKGROUND_NAME]
    bits = {name: 1 << index for index, name in enumerate(classes)}
    try:
        present = {
            stem: sum(
                bits[name] for name in read_object_names(root, stem, classes=bits)
            )
            for stem in all_samples(splits)
        }
    except OutputError:
        if complete:
            raise
        return []  # another shard's samples are not (all) written yet
    listed, warnings = listed_classes(classes)
    wanted = {f"{name}.txt" for name in split_lists}
    for name in listed:
        bit = bits[name]
        for split in split_lists:
            lines = "".join(
                f"{stem} {1 if present[stem] & bit else -1: d}\n"
                for stem in splits[split]
            )
            write_file_if_changed(
                folder / f"{name}_{split}.txt", lines.encode(), root=root
            )
            wanted.add(f"{name}_{split}.txt")
    remove_lists(root, keep=wanted)
    return warnings


def remove_lists(root: Path, *, keep: Iterable[str] = ()) -> None:
    """Remove the ``.txt`` files of ``ImageSets/Main/`` not in ``keep`` (lists
    of classes gone from the table, or all of them in the labelme layout), and
    the folder once empty."""
    folder = root / MAIN_DIR
    if folder.is_symlink() or not folder.is_dir():
        return
    kept = set(keep)
    for path in folder.iterdir():
        if path.name.endswith(".txt") and path.name not in kept and not path.is_dir():
            path.unlink(missing_ok=True)
    if not kept and not any(folder.iterdir()):
        folder.rmdir()


def read_object_names(
    root: Path, stem: str, *, classes: Mapping[str, object]
) -> set[str]:
    """The class names of the objects in ``Annotations/STEM.xml``.

    The file is read as untrusted input: without following a link, size-capped,
    never waiting on a named pipe, with any DTD refused (so no entity can
    expand), its root checked, and every name one of ``classes``. Anything else
    raises OutputError.
    """
    path = root / ANNOTATIONS_DIR / f"{stem}.xml"
    try:
        data = read_regular(path, root=root, limit=_MAX_ANNOTATION_BYTES)
        names = _object_names(data)
    except (OSError, ValueError, expat.ExpatError) as error:
        reason = os_reason(error) if isinstance(error, OSError) else error
        raise OutputError(
            path,
            f"unreadable object annotations ({reason}); run again with --force",
        ) from None
    unknown = sorted(names - classes.keys())
    if unknown:
        raise OutputError(
            path,
            f"names an object {unknown[0]!r}, which is no class of the labels; run "
            "again with --force",
        )
    return names


def _object_names(data: bytes) -> set[str]:
    """The text of every ``annotation/object/name`` element of ``data``."""
    parser = expat.ParserCreate()
    path: list[str] = []
    names: set[str] = set()
    text: list[str] = []

    def refuse(*_: object) -> NoReturn:
        raise ValueError("has a DTD, which seg-convert never writes")

    def start(tag: str, _attributes: object) -> None:
        if not path and tag != "annotation":
            raise ValueError(f"its root is {tag!r}, not 'annotation'")
        path.append(tag)
        text.clear()

    def end(tag: str) -> None:
        if path == ["annotation", "object", "name"]:
            names.add("".join(text).strip())
        path.pop()

    def characters(data: str) -> None:
        if path == ["annotation", "object", "name"]:
            text.append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.Parse(data, True)
    return names
