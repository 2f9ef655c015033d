"""The query result cache keeps the newest results and drops the oldest first."""

from __future__ import annotations

from cosmosdb_emulator.result_cache import ResultCache


def test_oldest_result_is_dropped_first():
    cache = ResultCache(size=2)
    first, second = cache.put([1]), cache.put([2])
    assert first != second
    assert (cache.get(first), cache.get(second)) == ([1], [2])
    third = cache.put([3])
    assert cache.get(first) is None
    assert (cache.get(second), cache.get(third)) == ([2], [3])
    assert cache.get("never stored") is None
