"""Feed ranges: ranges of the effective-partition-key (EPK) space, and their arithmetic.

A container's documents are placed by the EPK of their partition key; a feed range is a
half-open EPK interval ``[min, max)`` (REST API "Get partition key ranges": ``minInclusive`` /
``maxExclusive``; azure-cosmos ``ContainerProxy.read_feed_ranges``). EPKs are upper-case hex
strings compared as strings, ``""`` is the lowest and ``"FF"`` the highest. This module is the
one home of that arithmetic for the change-feed reader, continuation tokens, shards and
resharding.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

#: Lowest EPK (inclusive) and highest EPK (exclusive) of a container.
MIN_EPK = ""
MAX_EPK = "FF"


def epk_upper(value: str) -> str:
    """Return a sort key for an exclusive EPK upper bound.

    ``"FF"`` is the maximum EPK and must sort above every longer hex string starting with
    ``"FF"``; every other bound sorts as itself.

    Args:
        value: An EPK bound (upper-case or lower-case hex, ``""`` allowed).

    Returns:
        U+FFFF for ``"FF"``, else ``value``.
    """
    return "\uffff" if value.upper() == MAX_EPK else value


@dataclass(frozen=True)
class FeedRange:
    """An EPK range ``[range_min, range_max)`` of a container, as returned by ``read_feed_ranges``.

    Attributes:
        range_min: Inclusive lower bound, an upper-case EPK hex string (``""`` is the minimum).
        range_max: Exclusive upper bound (``"FF"`` is the maximum).
    """

    range_min: str
    range_max: str

    @classmethod
    def from_sdk(cls, feed_range: t.Mapping[str, t.Any]) -> FeedRange:
        """Build from an SDK feed-range dict ``{"Range": {"min", "max", ...}}``.

        Args:
            feed_range: One element of ``ContainerProxy.read_feed_ranges()``.

        Returns:
            The feed range.

        Raises:
            ValueError: If the dict has no ``Range`` (e.g. a partition-key feed range).
        """
        rng = feed_range.get("Range")
        if not isinstance(rng, t.Mapping):
            raise ValueError(f"feed range {feed_range!r} is not an EPK range")
        return cls(str(rng["min"]).upper(), str(rng["max"]).upper())

    @classmethod
    def from_context(cls, context: t.Mapping[str, t.Any]) -> FeedRange:
        """Build from a stream partition context ``{"range_min": ..., "range_max": ...}``.

        Args:
            context: The singer-sdk partition context.

        Returns:
            The feed range.
        """
        return cls(str(context["range_min"]), str(context["range_max"]))

    def to_context(self) -> dict[str, str]:
        """Return the singer-sdk partition context (small and stable: two strings)."""
        return {"range_min": self.range_min, "range_max": self.range_max}

    def to_sdk(self) -> dict[str, t.Any]:
        """Return the dict ``query_items_change_feed(feed_range=...)`` accepts."""
        return {
            "Range": {
                "min": self.range_min,
                "max": self.range_max,
                "isMinInclusive": True,
                "isMaxInclusive": False,
            }
        }

    def contains(self, other: FeedRange) -> bool:
        """Tell whether ``other`` lies inside this range (EPKs compare as strings)."""
        return self.range_min <= other.range_min and epk_upper(other.range_max) <= epk_upper(
            self.range_max
        )

    def overlaps(self, other: FeedRange) -> bool:
        """Tell whether the two ranges share any EPK."""
        return self.range_min < epk_upper(other.range_max) and other.range_min < epk_upper(
            self.range_max
        )

    def intersection(self, other: FeedRange) -> FeedRange | None:
        """Return the EPKs both ranges share, or None if they share none.

        Args:
            other: Another range.

        Returns:
            ``[max(mins), min(maxes))`` when non-empty, else None.
        """
        low = max(self.range_min, other.range_min)
        high = min(self.range_max, other.range_max, key=epk_upper)
        if low >= epk_upper(high):
            return None
        return FeedRange(low, high)

    def __contains__(self, epk: object) -> bool:
        """Tell whether an EPK string lies in ``[range_min, range_max)``."""
        return isinstance(epk, str) and self.range_min <= epk < epk_upper(self.range_max)

    def __str__(self) -> str:
        low = self.range_min or '""'
        return f"[{low},{self.range_max})"
