"""Benchmark: target-cosmosdb's per-record CPU on the main thread, without the writes.

Builds ``--docs`` small records the way ``target_keys_bench.py`` does (~250 bytes, ``id`` unique,
``g`` one of 20 values), parses them with singer-sdk's msgspec decoder, then times
``TargetCosmosDB``'s RECORD handler over all of them in one process (CPU time of the process,
``time.process_time``): stream map, metadata, validation, id, document, partition key, size
estimate and batch bookkeeping. ``batch_size_rows`` is larger than the input, so no batch is
written and the figure is the record path alone (the part a faster SDK loop does not pay). The
target talks to its own emulator only to create the container.

Usage::

    python benchmarks/target_record_path_bench.py [--docs N] [--rounds R]

Prints microseconds per record for each round and their median. Run it with an older tree first
on ``PYTHONPATH`` (``git worktree add``) to compare code versions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from target_keys_bench import write_records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    from singer_sdk.contrib.msgspec import decoder

    from cosmosdb_emulator import Emulator
    from target_cosmosdb.target import TargetCosmosDB

    with tempfile.TemporaryDirectory(prefix="target-record-path-") as tmp_name:
        path = Path(tmp_name) / "records.singer"
        write_records(path, args.docs)
        lines = path.read_text().splitlines()
        with Emulator(partitions=4, port=0) as emu:
            results = []
            for round_ in range(args.rounds):
                config = {
                    "account_endpoint": emu.endpoint,
                    "account_key": emu.key,
                    "database": f"record_path_{round_}",
                    "partition_key_path": "/g",
                    "batch_size_rows": args.docs + 1,
                }
                target = TargetCosmosDB(config=config)
                messages = [decoder.decode(line) for line in lines]
                handlers = {
                    "SCHEMA": target._process_schema_message,
                    "RECORD": target._process_record_message,
                    "STATE": lambda _message: None,
                }
                handlers["SCHEMA"](messages[0])
                started = time.process_time()
                for message in messages[1:]:
                    handlers[message["type"]](message)
                per_record = (time.process_time() - started) / args.docs * 1e6
                results.append(per_record)
                print(f"round {round_ + 1}: {per_record:.1f} us per record")
                target.resources.shutdown()
    print(
        json.dumps(
            {"docs": args.docs, "us_per_record": [round(r, 1) for r in results],
             "median_us": round(statistics.median(results), 1)}
        )
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
