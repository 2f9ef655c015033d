"""Raw SDK drains against the emulator: ``query_items("SELECT * FROM c")`` vs the change feed.

Loads ``--items`` documents of about 1 KB (``--pk-values`` partition key values, transactional
batches of 100) into a container with ``--partitions`` physical ranges, then drains it
``--repeat`` times both ways with azure-cosmos 4.17.1, pages of ``--page-size``:

* query: ``query_items("SELECT * FROM c", enable_cross_partition_query=True)``;
* change feed: ``query_items_change_feed(feed_range=r, start_time="Beginning")`` for every
  ``read_feed_ranges()`` range, one after the other.

Prints one JSON line per repetition with the item counts and seconds (wall clock, client side).
Usage: ``python benchmarks/query_drain_bench.py [--items 50000] [--data PATH]`` (an existing
``--data`` file is reused without loading).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from azure.cosmos import PartitionKey

from cosmosdb_emulator.process import Emulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", default=":memory:", help="SQLite file (reused if it exists)")
    args = parser.parse_args()
    load = args.data == ":memory:" or not Path(args.data).exists()
    with Emulator(partitions=args.partitions, data=args.data, port=0) as emu:
        container = (
            emu.client()
            .create_database_if_not_exists("bench")
            .create_container_if_not_exists("docs", PartitionKey(path="/pk"))
        )
        if load:
            pad = "x" * 900
            for group in range(args.items // 100):
                pk = f"p{group}"
                ops = [
                    ("upsert", ({"id": f"d{group}-{i}", "pk": pk, "n": i, "pad": pad},))
                    for i in range(100)
                ]
                container.execute_item_batch(ops, partition_key=pk)
        for _ in range(args.repeat):
            started = time.perf_counter()
            queried = sum(
                1
                for _ in container.query_items(
                    "SELECT * FROM c",
                    enable_cross_partition_query=True,
                    max_item_count=args.page_size,
                )
            )
            query_s = time.perf_counter() - started
            started = time.perf_counter()
            fed = 0
            for feed_range in container.read_feed_ranges():
                fed += sum(
                    1
                    for _ in container.query_items_change_feed(
                        feed_range=feed_range, start_time="Beginning", max_item_count=args.page_size
                    )
                )
            feed_s = time.perf_counter() - started
            line = {
                "query_items": queried,
                "query_s": round(query_s, 2),
                "change_feed_items": fed,
                "change_feed_s": round(feed_s, 2),
            }
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
