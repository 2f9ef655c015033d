"""``GET .../pkranges/``: partition key ranges with etag, 304 drain and incremental form.

Source relied on: azure-cosmos 4.17.1 ``_routing/_routing_map_provider_common.py:evaluate_drain_page``
and ``collection_routing_map.py:try_combine``; Cosmos DB REST "Get partition key ranges"
(https://learn.microsoft.com/rest/api/cosmos-db/get-partition-key-ranges).
The SDK drains pkranges until a 304, so
``If-None-Match`` with the current etag must answer 304; ranges must tile ``""`` to ``"FF"``
(``collection_routing_map.py:_build_routing_map_from_ranges``).
"""

from __future__ import annotations

from cosmosdb_emulator import catalog
from cosmosdb_emulator.app import App
from cosmosdb_emulator.handlers.common import container
from cosmosdb_emulator.messages import Request, Response, dumps, text_response


def read_feed(app: App, request: Request) -> Response:
    """Answer the pkranges feed.

    No ``If-None-Match``: every online range. ``If-None-Match`` equal to the current version:
    304 (ends the SDK's drain loop). An older version: only the ranges created since (children
    with ``parents``), so the SDK merges them into its cached map.
    """
    with app.store.read() as conn:
        info = container(conn, request)
        etag = catalog.range_etag(conn, info.rid)
        online = catalog.ranges(conn, info.rid)
    etag_header = f'"{etag}"'
    inm = request.headers.get("If-None-Match")
    since: int | None = None
    if inm:
        try:
            since = int(inm.strip().strip('"'))
        except ValueError:
            since = None
    if since is not None and since >= etag:
        return Response(304, b"", {"etag": etag_header})
    selected = online if since is None else [r for r in online if r.etag > since]
    items = [r.to_json(info.rid) for r in selected]
    body = {"_rid": info.rid, "PartitionKeyRanges": items, "_count": len(items)}
    return text_response(
        200, dumps(body), {"etag": etag_header, "x-ms-item-count": str(len(items))}
    )
