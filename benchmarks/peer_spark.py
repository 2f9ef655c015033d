"""The peer reader: cosmosdb-spark-datasource 1.0.0 reading one container in a local Spark.

Runs in its own virtualenv (``make bench-peer`` builds ``.venv-bench-peer`` with PySpark 4 and
the data source from PyPI; Java 17 or later), not in ``.venv``: nothing of this repository is
imported. ``peer_bench.py`` starts it as a process and times it from outside, like the tap.

Modes (the data source's public options, see its PyPI page):

- ``batch``: ``spark.read.format("cosmosdb")`` with no change-feed option, a query read
  (``SELECT * FROM c``, one Spark task per feed range).
- ``change-feed``: the same with ``change_feed_mode=LatestVersion`` and
  ``start_from=Beginning``, the change feed from the beginning as one batch read.

Every row is materialised by a ``noop`` write (Spark's sink that consumes rows and stores
nothing), counted by an ``Observation`` in the same pass. The account key is read from the
``COSMOS_KEY`` environment variable, so it never appears in a process listing.

Prints one JSON line: ``{"records": N, "seconds": S, "session_start_s": T}``, where ``S`` is the
read alone (from ``load()`` to the end of the write) and ``T`` the Spark session's start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    began = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["batch", "change-feed"])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--container", required=True)
    parser.add_argument("--cores", type=int, default=2, help="Spark master local[N]")
    args = parser.parse_args(argv)
    key = os.environ.get("COSMOS_KEY")
    if not key:
        print("peer_spark: error: COSMOS_KEY is not set", file=sys.stderr)
        return 2

    from cosmosdb_datasource import CosmosDBDataSource
    from pyspark.sql import Observation, SparkSession
    from pyspark.sql import functions as F

    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .appName(f"peer-{args.mode}")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.dataSource.register(CosmosDBDataSource)
    started = time.perf_counter()
    reader = (
        spark.read.format("cosmosdb")
        .option("endpoint", args.endpoint)
        .option("account_key", key)
        .option("database", args.database)
        .option("container", args.container)
    )
    if args.mode == "change-feed":
        reader = reader.option("change_feed_mode", "LatestVersion").option(
            "start_from", "Beginning"
        )
    observation = Observation("peer")
    frame = reader.load().observe(observation, F.count(F.lit(1)).alias("rows"))
    frame.write.format("noop").mode("overwrite").save()
    records = int(observation.get["rows"])
    seconds = time.perf_counter() - started
    spark.stop()
    print(
        json.dumps(
            {
                "records": records,
                "seconds": round(seconds, 3),
                "session_start_s": round(started - began, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
