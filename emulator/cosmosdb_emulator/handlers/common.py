"""Helpers shared by the handlers: container lookup, partition key header, EPK scope."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from cosmosdb_emulator import catalog, routing
from cosmosdb_emulator.catalog import ContainerInfo
from cosmosdb_emulator.documents import PartitionKey, Writer, writer
from cosmosdb_emulator.epk import MAX_EPK, MIN_EPK, decode_header_value
from cosmosdb_emulator.errors import bad_request
from cosmosdb_emulator.messages import Request
from cosmosdb_emulator.storage import Connection

if TYPE_CHECKING:
    from cosmosdb_emulator.app import App

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 10_000


SUBSTATUS_COLLECTION_RID_MISMATCH = 1024


def container(conn: Connection, request: Request) -> ContainerInfo:
    """The container the request path names (404 if it or its database is missing).

    A request under the container (documents, pkranges, queries, change feed) that carries
    ``x-ms-cosmos-intended-collection-rid`` naming another RID - the container was deleted and
    recreated under the same name since the client cached it - gets 400 with sub-status 1024, as
    from the service; the SDK then re-reads the container and retries (azure-cosmos 4.17.1
    ``_retry_utility.py`` / ``_container_recreate_retry_policy.py``).
    """
    route = request.route
    info = catalog.container_info(
        conn, route.database or "", route.container or "", route.rid_based
    )
    intended = request.headers.get("x-ms-cosmos-intended-collection-rid")
    if intended and route.kind != routing.CONTAINER and intended != info.rid:
        raise bad_request(
            f"The container '{info.id}' was recreated: its RID is {info.rid}, not {intended}.",
            substatus=SUBSTATUS_COLLECTION_RID_MISMATCH,
        )
    return info


def writing(app: App, request: Request) -> AbstractContextManager[Writer]:
    """A write transaction on the container the request path names (see :func:`container`).

    ``with writing(app, request) as w:`` commits the block's writes with the container's LSN
    counter, or rolls all of them back if the block raises
    (:func:`cosmosdb_emulator.documents.writer`).
    """
    return writer(app.store, lambda conn: container(conn, request))


def partition_key(request: Request, required: bool) -> PartitionKey | None:
    """Decode ``x-ms-documentdb-partitionkey`` (JSON array; ``[{}]`` undefined, ``[]`` _Empty).

    Raises:
        CosmosError: 400 if the header is malformed, or missing while ``required``.
    """
    raw = request.headers.get("x-ms-documentdb-partitionkey")
    if raw is None:
        if required:
            raise bad_request(
                "The partition key supplied in x-ms-partitionkey header is missing or invalid."
            )
        return None
    try:
        comps = decode_header_value(json.loads(raw))
    except ValueError as exc:
        raise bad_request(f"Invalid x-ms-documentdb-partitionkey header {raw!r}: {exc}") from exc
    return PartitionKey.of(comps)


def page_size(request: Request, default: int = DEFAULT_PAGE_SIZE) -> int:
    """``x-ms-max-item-count`` (absent, 0 or -1 -> ``default``), capped at 10,000."""
    raw = request.headers.get("x-ms-max-item-count")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad_request(f"Invalid x-ms-max-item-count header {raw!r}.") from exc
    if value <= 0:
        return default
    return min(value, MAX_PAGE_SIZE)


def scope(
    conn: Connection,
    request: Request,
    coll: ContainerInfo,
    use_partition_key: bool = True,
) -> tuple[str, str, bool]:
    """The EPK interval ``[lo, hi)`` a feed request is limited to.

    Combines the partition key header (point or MultiHash prefix), the pkrangeid header
    (410/1002 if that range was split) and ``x-ms-start-epk`` / ``x-ms-end-epk``.

    Returns:
        ``(lo, hi, point)`` where ``point`` is True for a single full partition key.
    """
    lo, hi, point = MIN_EPK, MAX_EPK, False
    if use_partition_key:
        pk = partition_key(request, required=False)
        if pk is not None:
            pk = pk.for_version(coll.version)
            if not pk.components:
                lo, hi = MIN_EPK, "00"
            elif len(pk.components) < len(coll.paths):
                lo, hi = pk.epk, pk.epk + "FF"
            else:
                lo, hi, point = pk.epk, pk.epk + "0", True
    range_id = request.headers.get("x-ms-documentdb-partitionkeyrangeid")
    if range_id:
        rng = catalog.require_online_range(conn, coll.rid, range_id.strip())
        lo, hi = max(lo, rng.min_epk), min(hi, rng.max_epk)
    start = request.headers.get("x-ms-start-epk")
    end = request.headers.get("x-ms-end-epk")
    if start is not None:
        lo = max(lo, start.upper())
    if end is not None:
        hi = min(hi, end.upper() or MAX_EPK)
    return lo, hi, point
