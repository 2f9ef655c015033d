"""Memory stays flat as a container grows: the server's RSS after 4N documents (written, drained
by change feed and by a cross-partition query) stays within a fixed bound of its RSS after N.
Documents live in SQLite (4 MB page cache per connection); feeds and streamed queries are paged
from SQLite, never loaded whole."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.cosmos import PartitionKey

N = 5_000
PAD = "x" * 900  # ~1 KB documents
BOUND_MB = 12  # 15,000 more documents are ~16 MB of data


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _fill(coll, first_batch: int, docs: int) -> None:
    def batch(b: int) -> None:
        ops = [("create", ({"id": f"{b}-{j}", "pk": f"p{b}", "pad": PAD},)) for j in range(100)]
        coll.execute_item_batch(ops, partition_key=f"p{b}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(batch, range(first_batch, first_batch + docs // 100)))


def _drain_everything(coll) -> int:
    seen = 0
    for fr in coll.read_feed_ranges():
        seen += sum(
            1
            for _ in coll.query_items_change_feed(
                feed_range=fr, start_time="Beginning", max_item_count=1000
            )
        )
    rows = sum(
        1
        for _ in coll.query_items(
            "SELECT * FROM c", enable_cross_partition_query=True, max_item_count=1000
        )
    )
    assert rows == seen
    return seen


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_server_memory_is_flat_as_the_container_grows(cosmosdb_emulator, database):
    coll = database.create_container("grow", PartitionKey("/pk"))
    pid = cosmosdb_emulator._proc.pid  # the server subprocess
    _fill(coll, 0, N)
    assert _drain_everything(coll) == N
    small = _rss_mb(pid)
    _fill(coll, N // 100, 3 * N)
    assert _drain_everything(coll) == 4 * N
    large = _rss_mb(pid)
    assert large - small < BOUND_MB, (small, large)
