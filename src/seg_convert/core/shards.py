"""Shards: N runs, each converting the samples a hash of their stems gives it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (from 0) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 0 <= K < N")

    def holds(self, stem: str) -> bool:
        """Whether this shard converts ``stem``: by a hash of the stem alone."""
        digest = hashlib.sha256(stem.encode("utf-8", "surrogateescape")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index


def parse_shard(text: str) -> Shard:
    """``K/N`` as on the command line."""
    index, _, count = text.partition("/")
    try:
        return Shard(int(index), int(count))
    except ValueError:
        raise ValueError(
            f"{text!r} is not K/N with 0 <= K < N, e.g. 0/4 for the first of four "
            "shards"
        ) from None
