"""Shards: disjoint slices of the effective-partition-key (EPK) space, one per tap process.

Shard ``i`` of ``N`` (settings ``shard_index`` / ``shard_count``) reads the EPK slice
``[i/N, (i+1)/N)`` of every selected container, as feed ranges: the intersections of its slice
with the container's physical ranges (``ContainerProxy.read_feed_ranges()``).

Why the slices divide ``["", "40000000000000000000000000000000")``: a hash-partitioned (v2)
container places a document by the EPK of its partition key, MurmurHash3-x64-128 of the
serialised value with the top two bits of the first byte cleared
(``azure/cosmos/partition_key.py:_get_effective_partition_key_for_hash_partitioning_v2``:
``hash_bytes[0] &= 0x3F``), so every EPK is a 32-hex-digit string below ``"40"``. A MultiHash
(hierarchical) EPK is the concatenation of one such 32-digit hash per level
(``_get_effective_partition_key_for_multi_hash_partitioning_v2``), so its first 32 digits are also
below ``"40"`` and it falls in the slice its first level's hash falls in. Dividing
``00…`` to ``40…`` therefore gives shards of equal expected share of the documents. The whole EPK
space of a container is ``["", "FF")`` (``_routing/collection_routing_map.py``), so shard 0 starts
at ``""`` and the last shard ends at ``"FF"``: together the shards cover the container exactly,
including any EPK a future hash version might place at or above ``"40"``. Inner boundaries are
32-digit upper-case hex strings, the form physical range boundaries take (REST "Get partition
key ranges", https://learn.microsoft.com/rest/api/cosmos-db/get-partition-key-ranges).

Slices are fixed by ``(shard_index, shard_count)`` alone, not by the physical layout: when a
physical range splits, its children still intersect each shard in the same EPK set, so a shard
never gains or loses documents.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tap_cosmosdb.feed_range import MAX_EPK, MIN_EPK, FeedRange

#: End (exclusive) of the Hash v2 EPK space: every v2 EPK is below it.
HASH_V2_SPACE_END = 0x40 << 120


class ShardSettingError(ValueError):
    """``shard_count`` / ``shard_index`` are invalid, or the state belongs to another layout.

    The settings themselves are parsed by :class:`tap_cosmosdb.settings.TapSettings`.
    """


@dataclass(frozen=True)
class ShardLayout:
    """This process's place among the shards.

    Attributes:
        index: 0-based shard number, ``0 <= index < count``.
        count: Number of shards, ``>= 1``.
    """

    index: int = 0
    count: int = 1

    @classmethod
    def from_state(cls, value: t.Any) -> ShardLayout | None:
        """Parse the ``shard`` entry of a stream's state.

        Args:
            value: ``{"index": i, "count": n}`` or None.

        Returns:
            The layout, or None if the entry is absent or malformed.
        """
        if not isinstance(value, t.Mapping):
            return None
        try:
            return cls(index=int(value["index"]), count=int(value["count"]))
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def sharded(self) -> bool:
        """True when there is more than one shard."""
        return self.count > 1

    def to_state(self) -> dict[str, int]:
        """Return the ``shard`` entry written to each stream's state: ``{"index", "count"}``."""
        return {"index": self.index, "count": self.count}

    @property
    def feed_range(self) -> FeedRange:
        """This shard's EPK slice (``["", "FF")`` for a single shard); see :func:`shard_range`."""
        return shard_range(self.index, self.count)

    def __str__(self) -> str:
        return f"shard {self.index} of {self.count}"


def boundary(index: int, count: int) -> str:
    """Return the lower EPK bound of shard ``index`` of ``count`` (the upper bound of the one before).

    Args:
        index: ``0 <= index <= count``.
        count: Number of shards, ``>= 1``.

    Returns:
        ``""`` for 0, ``"FF"`` for ``count``, else the 32-digit upper-case hex of
        ``0x40… * index // count`` (e.g. ``"20000000000000000000000000000000"`` for 1 of 2).
    """
    if index <= 0:
        return MIN_EPK
    if index >= count:
        return MAX_EPK
    return f"{HASH_V2_SPACE_END * index // count:032X}"


def shard_range(index: int, count: int) -> FeedRange:
    """Return the EPK slice ``[boundary(index), boundary(index + 1))`` of one shard.

    Args:
        index: 0-based shard number.
        count: Number of shards.

    Returns:
        The slice as a feed range.
    """
    return FeedRange(boundary(index, count), boundary(index + 1, count))


def shard_feed_ranges(shard: FeedRange, physical: t.Iterable[FeedRange]) -> list[FeedRange]:
    """Intersect a shard's slice with the physical ranges of a container.

    Args:
        shard: The shard's slice.
        physical: The container's feed ranges (one per physical range, tiling ``["", "FF")``).

    Returns:
        The non-empty intersections, sorted by lower bound: the shard's feed ranges. Each lies
        inside one physical range, so the change feed reads it with one request per page
        (``x-ms-start-epk``/``x-ms-end-epk`` when it is a sub-range, as
        ``azure/cosmos/_change_feed/change_feed_state.py:populate_request_headers`` sends them).
    """
    pieces = [piece for fr in physical if (piece := fr.intersection(shard)) is not None]
    return sorted(pieces, key=lambda fr: fr.range_min)
