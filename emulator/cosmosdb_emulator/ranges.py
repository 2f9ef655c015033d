"""Physical partition key ranges: the initial tiling and splitting.

Ranges tile ``""`` to ``"FF"`` with 32-character uppercase hex boundaries (azure-cosmos
``_routing/collection_routing_map.py:_build_routing_map_from_ranges`` refuses gaps and overlaps).
Every Hash v2 EPK is below ``"40"`` (top two bits cleared, ``partition_key.py``
``_get_effective_partition_key_for_hash_partitioning_v2``), so the initial boundaries
divide ``00..`` - ``40..`` evenly.
"""

from __future__ import annotations

import math

from cosmosdb_emulator.epk import MAX_EPK, MIN_EPK

_HASH_SPACE_END = 0x40 << 120
_FULL = 1 << 128


def _to_int(boundary: str, is_max: bool) -> int:
    if boundary == MIN_EPK:
        return 0
    if boundary == MAX_EPK and is_max:
        return _FULL
    return int(boundary[:32].ljust(32, "0"), 16)


def _to_hex(value: int) -> str:
    return f"{value:032X}"


def initial_boundaries(count: int) -> list[tuple[str, str]]:
    """Split ``["", "FF")`` into ``count`` ranges of equal share of the v2 hash space.

    Args:
        count: Number of physical ranges, >= 1.

    Returns:
        ``count`` ``(min_inclusive, max_exclusive)`` pairs tiling ``""`` to ``"FF"``.

    Raises:
        ValueError: If ``count`` < 1.
    """
    if count < 1:
        raise ValueError("partitions must be >= 1")
    cuts = [_to_hex(_HASH_SPACE_END * i // count) for i in range(1, count)]
    mins = [MIN_EPK, *cuts]
    maxs = [*cuts, MAX_EPK]
    return list(zip(mins, maxs, strict=True))


def midpoint(min_epk: str, max_epk: str) -> str:
    """The split point of a range: the middle of its share of the hash space.

    Args:
        min_epk: Inclusive lower boundary.
        max_epk: Exclusive upper boundary (``"FF"`` = end).

    Returns:
        A 32-character boundary strictly inside the range.

    Raises:
        ValueError: If the range is too narrow to split.
    """
    lo = _to_int(min_epk, False)
    hi = _to_int(max_epk, True)
    if max_epk == MAX_EPK and lo < _HASH_SPACE_END:
        hi = _HASH_SPACE_END
    mid = (lo + hi) // 2
    if mid <= lo:
        raise ValueError("range too narrow to split")
    return _to_hex(mid)


RU_PER_PHYSICAL_RANGE = 10_000
DEFAULT_RU = 400


def count_for_throughput(ru_per_second: float | None) -> int:
    """Physical ranges the service gives a new container of ``ru_per_second`` RU/s.

    One physical partition serves at most 10,000 RU/s, so a container starts with
    ``ceil(RU/s / 10,000)`` ranges, at least 1 (Cosmos DB docs "Partitioning and horizontal
    scaling in Azure Cosmos DB": "each physical partition can provide a throughput of up to
    10,000 request units per second").

    Args:
        ru_per_second: Manual RU/s or autoscale maximum RU/s of the container, or of its
            database when the throughput is shared; ``None`` means the service default
            (400 RU/s).

    Returns:
        The number of physical ranges, >= 1.
    """
    ru = DEFAULT_RU if ru_per_second is None else ru_per_second
    return max(1, math.ceil(ru / RU_PER_PHYSICAL_RANGE))
