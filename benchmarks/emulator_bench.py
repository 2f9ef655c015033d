"""Benchmarks for the local emulator alone (not a test).

1. Change-feed drain: ``--docs`` documents of ~1 KB, drained per feed range in pages of 1,000
   with the sync SDK (goal: >= 30,000 docs/s).
2. Batch writes: transactional batches of 100 creates from 8 concurrent clients
   (goal: >= 10,000 docs/s).

Usage::

    python benchmarks/emulator_bench.py [--docs N] [--json out.json]

Prints a small table; ``--json`` also writes
``{"emulator_change_feed_docs_per_s": ..., "emulator_batch_write_docs_per_s": ...}``.
Defaults are sized to finish in well under 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.cosmos import PartitionKey

from cosmosdb_emulator import Emulator

PAD = "x" * 900  # with id, pk and system properties: ~1 KB stored
BATCH = 100
CLIENTS = 8
GOALS = {"emulator_change_feed_docs_per_s": 30_000, "emulator_batch_write_docs_per_s": 10_000}


def _batch_ops(batch_no: int) -> list[tuple[str, tuple[dict[str, Any]]]]:
    return [
        ("create", ({"id": f"{batch_no}-{j}", "pk": f"p{batch_no}", "pad": PAD},))
        for j in range(BATCH)
    ]


def bench_batch_writes(emu: Emulator, docs: int) -> float:
    """Docs/s written as batches of 100 from ``CLIENTS`` concurrent SDK clients."""
    clients = [emu.client() for _ in range(CLIENTS)]
    containers = [c.get_database_client("bench").get_container_client("w") for c in clients]
    for c in containers:
        c.read()  # warm each client's caches (container properties, pkranges)
    batches = docs // BATCH

    def run(worker: int) -> None:
        coll = containers[worker]
        for b in range(worker, batches, CLIENTS):
            coll.execute_item_batch(_batch_ops(b), partition_key=f"p{b}")

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(run, range(CLIENTS)))
    return batches * BATCH / (time.perf_counter() - start)


def bench_change_feed(emu: Emulator, docs: int) -> float:
    """Docs/s of a full per-feed-range change-feed drain in pages of 1,000 (one client)."""
    coll = emu.client().get_database_client("bench").get_container_client("w")
    ranges = list(coll.read_feed_ranges())
    start = time.perf_counter()
    seen = 0
    for fr in ranges:
        for _ in coll.query_items_change_feed(
            feed_range=fr, start_time="Beginning", max_item_count=1000
        ):
            seen += 1
    elapsed = time.perf_counter() - start
    if seen != docs:
        raise SystemExit(f"change feed returned {seen} documents, expected {docs}")
    return seen / elapsed


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=40_000, help="documents (multiple of 100)")
    parser.add_argument("--json", dest="json_path", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    docs = max(BATCH, args.docs // BATCH * BATCH)
    with Emulator(partitions=4) as emu:
        emu.client().create_database("bench").create_container("w", PartitionKey("/pk"))
        results = {
            "emulator_batch_write_docs_per_s": round(bench_batch_writes(emu, docs)),
            "emulator_change_feed_docs_per_s": round(bench_change_feed(emu, docs)),
        }
    print(f"{'benchmark':34} {'docs':>8} {'docs/s':>10} {'goal':>8}")
    for name, value in results.items():
        print(f"{name:34} {docs:>8} {value:>10,} {GOALS[name]:>8,}")
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
