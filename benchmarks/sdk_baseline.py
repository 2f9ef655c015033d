"""Hand-written azure-cosmos loops: the baselines every tap/target figure is divided by.

``drain``: every feed range of a container (``read_feed_ranges()``), one after the other, with
``query_items_change_feed(feed_range=..., start_time="Beginning", max_item_count=N)``; the items
are only counted. ``drain-threaded``: the same with one thread and one ``CosmosClient`` per feed
range, all at once. ``query``: ``query_items("SELECT * FROM c")`` across partitions, counted.

``load``: the RECORD messages of a Singer file (as tap-cosmosdb wrote them), stripped of the
tap's ``_sdc_partition_key`` and the system properties, grouped by partition key value over the
whole file (the best grouping possible), cut into transactional batches of at most 100 upserts
and run from ``--concurrency`` threads sharing one client, like target-cosmosdb's executor.
The container is created with the partition key the tap declared (``x-cosmosdb-partition-key``).

Prints one JSON line ``{"records": N, "seconds": S}``; S excludes interpreter start-up (the
runner times the whole process from outside, the same way it times the tap and the target).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.cosmos import CosmosClient, PartitionKey
from azure.cosmos.partition_key import NonePartitionKeyValue

DROPPED = frozenset({"_rid", "_self", "_etag", "_attachments", "_ts", "_lsn"})
BATCH = 100


def drain(args: argparse.Namespace) -> int:
    client = CosmosClient(args.endpoint, args.key)
    container = client.get_database_client(args.database).get_container_client(args.container)
    count = 0
    for feed_range in container.read_feed_ranges():
        for _item in container.query_items_change_feed(
            feed_range=feed_range, start_time="Beginning", max_item_count=args.page_size
        ):
            count += 1
    return count


def drain_threaded(args: argparse.Namespace) -> int:
    """``drain`` with one thread (and one client) per feed range, all ranges at once."""
    setup = CosmosClient(args.endpoint, args.key)
    ranges = list(
        setup.get_database_client(args.database)
        .get_container_client(args.container)
        .read_feed_ranges()
    )

    def one(feed_range: dict[str, Any]) -> int:
        # One client per thread: the SDK keeps a change-feed page's token in the client-wide
        # last_response_headers.
        client = CosmosClient(args.endpoint, args.key)
        container = client.get_database_client(args.database).get_container_client(args.container)
        count = 0
        for _item in container.query_items_change_feed(
            feed_range=feed_range, start_time="Beginning", max_item_count=args.page_size
        ):
            count += 1
        return count

    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        return sum(pool.map(one, ranges))


def query(args: argparse.Namespace) -> int:
    """``SELECT * FROM c`` over the whole container (cross-partition), items only counted."""
    client = CosmosClient(args.endpoint, args.key)
    container = client.get_database_client(args.database).get_container_client(args.container)
    count = 0
    for _item in container.query_items(
        "SELECT * FROM c", enable_cross_partition_query=True, max_item_count=args.page_size
    ):
        count += 1
    return count


def read_singer(path: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Partition key paths and documents of the RECORD messages in a Singer file."""
    paths = ["/id"]
    docs: list[dict[str, Any]] = []
    with open(path) as fh:
        for line in fh:
            message = json.loads(line)
            kind = message.get("type")
            if kind == "SCHEMA":
                declared = message["schema"].get("x-cosmosdb-partition-key")
                if declared:
                    paths = list(declared["paths"])
            elif kind == "RECORD":
                record = message["record"]
                docs.append(
                    {k: v for k, v in record.items() if k not in DROPPED and k[:5] != "_sdc_"}
                )
    return paths, docs


def load(args: argparse.Namespace) -> int:
    paths, docs = read_singer(args.input)
    if len(paths) != 1:
        raise SystemExit("sdk_baseline load supports single-path (Hash) partition keys only")
    field = paths[0].lstrip("/")
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for doc in docs:
        groups[doc.get(field, NonePartitionKeyValue)].append(doc)
    client = CosmosClient(args.endpoint, args.key)
    database = client.create_database_if_not_exists(args.database)
    container = database.create_container_if_not_exists(args.container, PartitionKey(paths[0]))
    with ThreadPoolExecutor(args.concurrency) as pool:
        return batch_loop(container, groups, pool)


def batch_loop(container: Any, groups: dict[Any, list[dict[str, Any]]], pool: Any) -> int:
    """Upsert each key's documents in transactional batches of at most 100, from ``pool``.

    Args:
        container: The azure-cosmos ``ContainerProxy``.
        groups: Documents by partition-key value.
        pool: A ``ThreadPoolExecutor`` (its size is the concurrency).

    Returns:
        The number of documents written.
    """
    chunks = [
        (pk, group[i : i + BATCH])
        for pk, group in groups.items()
        for i in range(0, len(group), BATCH)
    ]

    def write(chunk: tuple[Any, list[dict[str, Any]]]) -> int:
        pk, items = chunk
        container.execute_item_batch([("upsert", (d,)) for d in items], partition_key=pk)
        return len(items)

    return sum(pool.map(write, chunks))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["drain", "drain-threaded", "query", "load"])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--container", required=True)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--input", help="Singer messages file (load)")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    run = {"drain": drain, "drain-threaded": drain_threaded, "query": query, "load": load}
    records = run[args.mode](args)
    print(json.dumps({"records": records, "seconds": round(time.perf_counter() - start, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
