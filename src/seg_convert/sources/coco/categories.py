"""COCO categories as classes when no labels table is given."""

from __future__ import annotations

from collections.abc import Mapping

from seg_convert.core.errors import LabelsError
from seg_convert.core.labels import (
    BACKGROUND_NAME,
    IGNORE_NAME,
    LabelTable,
    class_name_problem,
    parse_labels,
)


def category_labels(categories: Mapping[int, str], *, where: str) -> LabelTable:
    """``_background_`` then the category names in id order: dense class ids
    1..K whatever the COCO ids. ``where`` names the files in messages."""
    seen: dict[str, int] = {}
    for category_id in sorted(categories):
        name = categories[category_id]
        if name in (BACKGROUND_NAME, IGNORE_NAME):
            raise LabelsError(
                where,
                f"category {category_id} is named {name!r}, which the class table "
                "keeps for id 0 or void (give --labels)",
            )
        problem = class_name_problem(name.strip())  # the table strips names
        if problem is not None:
            raise LabelsError(
                where,
                f"category {category_id}: name {name!r} {problem} (give --labels "
                "that name the categories you convert, with --skip-unknown)",
            )
        if name in seen:
            raise LabelsError(
                where,
                f"categories {seen[name]} and {category_id} are both named "
                f"{name!r} (give --labels, which maps categories by name)",
            )
        seen[name] = category_id
    names = [categories[category_id] for category_id in sorted(categories)]
    return parse_labels(
        [IGNORE_NAME, BACKGROUND_NAME, *names], where=where, unit="item"
    )
