"""Synthetic documents and a fast seeder (transactional batches of 100 from several SDK clients).

Documents ``i`` are deterministic: ``id = str(i)``, partition key ``pk = "p<i // 100>"`` (so one
batch of 100 creates shares a partition key value), a few typed fields, and padding so a stored
document (with ``_rid``/``_self``/``_etag``/``_ts``/``_lsn``) is about ``size`` bytes.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.cosmos import CosmosClient, PartitionKey

BATCH = 100
#: Bytes the system properties and the fixed fields add to a stored document (approximate).
OVERHEAD = 230


def document(i: int, size: int) -> dict[str, Any]:
    """The synthetic document number ``i``, about ``size`` bytes once stored."""
    return {
        "id": str(i),
        "pk": f"p{i // BATCH}",
        "n": i,
        "price": round(i * 0.37, 2),
        "active": i % 3 == 0,
        "tags": ["alpha", "beta"] if i % 2 else ["gamma"],
        "pad": "x" * max(0, size - OVERHEAD),
    }


def seed(
    endpoint: str,
    key: str,
    database: str,
    container: str,
    *,
    start: int,
    stop: int,
    size: int,
    clients: int = 8,
) -> int:
    """Create documents ``start`` .. ``stop - 1`` (container created with ``/pk`` if missing).

    Args:
        endpoint: Account endpoint.
        key: Account key.
        database: Database (created if missing).
        container: Container (created if missing, partition key ``/pk``).
        start: First document number (a multiple of 100).
        stop: One past the last document number.
        size: Approximate stored bytes per document.
        clients: Concurrent SDK clients, one thread each.

    Returns:
        Number of documents written.
    """
    setup = CosmosClient(endpoint, key)
    setup.create_database_if_not_exists(database).create_container_if_not_exists(
        container, PartitionKey("/pk")
    )
    local = threading.local()

    def proxy() -> Any:
        if not hasattr(local, "container"):
            client = CosmosClient(endpoint, key)
            local.container = client.get_database_client(database).get_container_client(container)
        return local.container

    def write(batch_start: int) -> int:
        docs = [document(i, size) for i in range(batch_start, min(batch_start + BATCH, stop))]
        proxy().execute_item_batch([("create", (d,)) for d in docs], partition_key=docs[0]["pk"])
        return len(docs)

    with ThreadPoolExecutor(clients) as pool:
        return sum(pool.map(write, range(start, stop, BATCH)))
