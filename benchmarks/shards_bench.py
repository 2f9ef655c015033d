"""Benchmark: tap-cosmosdb drain throughput with 1 shard and with 2 shards side by side (not a test).

Seeds ``--docs`` documents of ~1 KB into a container with 8 physical ranges on its own emulator,
then times the real CLI, ``tap-cosmosdb --config ... > /dev/null`` (LOG_BASED, from Beginning,
pages of 1,000):

1. one process with ``shard_count`` 1;
2. two processes with ``shard_count`` 2 (``shard_index`` 0 and 1) started together; the time is
   until both have exited.

Records/s = documents / wall seconds, process start-up included (a tap run costs about a
second of imports before its first request). On a 2-core machine the emulator and both taps
share the CPU, so the 2-shard figure shows the parallelism left over, not the scaling on
separate machines against the real service.

Usage::

    python benchmarks/shards_bench.py [--docs N] [--json out.json]

``--json`` writes ``{"tap_drain_1_shard_records_per_s": ..., "tap_drain_2_shards_records_per_s": ...}``.
Defaults are sized to finish in well under 90 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from azure.cosmos import PartitionKey

from cosmosdb_emulator import Emulator

PAD = "x" * 900  # with id, pk and system properties: ~1 KB stored
BATCH = 100


def _tap_executable() -> str:
    candidate = Path(sys.executable).parent / "tap-cosmosdb"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("tap-cosmosdb")
    if not found:
        sys.exit("shards_bench: tap-cosmosdb is not installed (make install)")
    return found


def seed(emu: Emulator, docs: int) -> None:
    """Create database ``bench``, container ``items`` (/pk) and ``docs`` ~1 KB documents."""
    client = emu.client()
    container = client.create_database("bench").create_container("items", PartitionKey("/pk"))
    for b in range(docs // BATCH):
        ops = [
            ("create", ({"id": f"{b}-{j}", "pk": f"p{b}", "n": j, "pad": PAD},))
            for j in range(BATCH)
        ]
        container.execute_item_batch(ops, partition_key=f"p{b}")


def time_shards(emu: Emulator, count: int, workdir: Path) -> float:
    """Run ``count`` shard processes side by side; return the wall seconds until all exited."""
    tap = _tap_executable()
    commands = []
    for index in range(count):
        config = {
            "account_endpoint": emu.endpoint,
            "account_key": emu.key,
            "database": "bench",
            "page_size": 1000,
            "shard_count": count,
            "shard_index": index,
        }
        path = workdir / f"tap-{count}-{index}.json"
        path.write_text(json.dumps(config))
        commands.append([tap, "--config", str(path)])
    with open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        procs = [subprocess.Popen(cmd, stdout=devnull, stderr=subprocess.PIPE) for cmd in commands]
        errors = [proc.communicate()[1] for proc in procs]
        elapsed = time.perf_counter() - start
    for proc, err in zip(procs, errors, strict=True):
        if proc.returncode != 0:
            sys.exit(f"shards_bench: tap-cosmosdb failed: {err.decode()[-2000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print records/s for 1 and 2 shards."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=40_000, help="documents to seed (~1 KB each)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    docs = args.docs // BATCH * BATCH
    results: dict[str, Any] = {}
    with Emulator(partitions=8) as emu, tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        seed(emu, docs)
        print(f"seeded {docs} docs in {time.perf_counter() - start:.1f} s", flush=True)
        one = time_shards(emu, 1, Path(tmp))
        two = time_shards(emu, 2, Path(tmp))
    results["tap_drain_1_shard_records_per_s"] = round(docs / one)
    results["tap_drain_2_shards_records_per_s"] = round(docs / two)
    print(f"{'run':<28}{'seconds':>10}{'records/s':>12}")
    print(f"{'1 shard':<28}{one:>10.2f}{results['tap_drain_1_shard_records_per_s']:>12,}")
    print(
        f"{'2 shards side by side':<28}{two:>10.2f}{results['tap_drain_2_shards_records_per_s']:>12,}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
