"""Raw SDK ORDER BY c._ts drains against the emulator, at growing container sizes.

For each ``--sizes`` value, loads that many documents of about 1 KB (transactional batches of
100 per partition key value, so many documents share one ``_ts``) into a fresh emulator with
``--partitions`` physical ranges, then drains them with azure-cosmos 4.17.1 as the tap's
INCREMENTAL mode queries (``tap_cosmosdb.query_reader``)::

    query_items("SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts", parameters=[@ts=0],
                enable_cross_partition_query=True, max_item_count=--page-size)

and, beside it, the same drain without ORDER BY. Prints one JSON line per size and repetition
(item counts and client-side wall-clock seconds); linear paging shows as seconds per 1,000
documents that stay flat as the size doubles. With ``--per-range`` each query is sent to one
feed range at a time (``query_items(..., feed_range=...)`` over ``read_feed_ranges()``, as the
tap's INCREMENTAL mode reads), and ``SELECT * FROM c`` is drained the same way beside them.
Usage: ``python benchmarks/orderby_drain_bench.py [--sizes 10000 20000 40000] [--per-range]``.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from azure.cosmos import PartitionKey

from cosmosdb_emulator.process import Emulator

ORDERED = "SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts"
UNORDERED = "SELECT * FROM c WHERE c._ts >= @ts"


def _drain(
    container: Any, query: str, page_size: int, per_range: bool = False
) -> tuple[int, float]:
    started = time.perf_counter()
    if per_range:
        count = 0
        for fr in container.read_feed_ranges():
            pages = container.query_items(
                query,
                parameters=[{"name": "@ts", "value": 0}],
                feed_range=fr,
                max_item_count=page_size,
            ).by_page()
            count += sum(len(list(page)) for page in pages)
        return count, time.perf_counter() - started
    count = sum(
        1
        for _ in container.query_items(
            query,
            parameters=[{"name": "@ts", "value": 0}],
            enable_cross_partition_query=True,
            max_item_count=page_size,
        )
    )
    return count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--per-range", action="store_true", help="one query per feed range")
    args = parser.parse_args()
    pad = "x" * 900
    for size in args.sizes:
        with Emulator(partitions=args.partitions, port=0) as emu:
            container = (
                emu.client()
                .create_database_if_not_exists("bench")
                .create_container_if_not_exists("docs", PartitionKey(path="/pk"))
            )
            for group in range(size // 100):
                pk = f"p{group}"
                ops = [
                    ("upsert", ({"id": f"d{group}-{i}", "pk": pk, "n": i, "pad": pad},))
                    for i in range(100)
                ]
                container.execute_item_batch(ops, partition_key=pk)
            for _ in range(args.repeat):
                ordered, ordered_s = _drain(container, ORDERED, args.page_size, args.per_range)
                unordered, unordered_s = _drain(
                    container, UNORDERED, args.page_size, args.per_range
                )
                line = {
                    "documents": size,
                    "order_by_items": ordered,
                    "order_by_s": round(ordered_s, 2),
                    "order_by_s_per_1k": round(ordered_s * 1000 / max(ordered, 1), 3),
                    "no_order_items": unordered,
                    "no_order_s": round(unordered_s, 2),
                }
                if args.per_range:
                    everything, everything_s = _drain(
                        container, "SELECT * FROM c", args.page_size, True
                    )
                    line["select_star_items"] = everything
                    line["select_star_s"] = round(everything_s, 2)
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
