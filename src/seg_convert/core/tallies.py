"""Warnings that count something by name (the annotations ``--skip-unknown``
left out, per category), so that a summary adds them up over files. Plain
data: the CLI's summary uses it without loading numpy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# What a warning counts, by name: (the warning, a name, how many), e.g. the
# annotations --skip-unknown left out of category 'bus'. Summaries add them up.
Tally = tuple[str, str, int]


def tallied(warning: str, tallies: Iterable[Tally]) -> str:
    """``warning`` with what it counts: ``...: 5 left out ('bus': 3, 'tree': 2)``
    (the tallies of other warnings are passed over)."""
    counts: dict[str, int] = {}
    for of, name, count in tallies:
        if of == warning:
            counts[name] = counts.get(name, 0) + count
    if not counts:
        return warning
    names = ", ".join(f"{name!r}: {counts[name]}" for name in sorted(counts))
    return f"{warning}: {sum(counts.values())} left out ({names})"


def tally_of(warning: str, counts: Mapping[str, int]) -> tuple[Tally, ...]:
    return tuple((warning, name, counts[name]) for name in sorted(counts))
