"""Admin API under ``/_emulator/``.

Requests are signed like any other (see :mod:`cosmosdb_emulator.auth`) with resource type ``""``
and link = the
path without its leading slash, e.g. ``_emulator/split``.

- ``POST /_emulator/split`` ``{"database","container","range_id"}`` -> ``{"children":[id,id]}``
- ``PUT /_emulator/throughput`` ``{"database","container","ru_per_second": float|null}``
- ``POST /_emulator/faults`` (a fault rule), ``DELETE /_emulator/faults``
- ``GET /_emulator/stats``
- ``POST /_emulator/placement`` ``{"database","container","partition_keys":[[...],...]}`` ->
  ``{"ranges":[id,...]}``
"""

from __future__ import annotations

import bisect
from typing import Any

from cosmosdb_emulator import catalog, offers
from cosmosdb_emulator.app import App
from cosmosdb_emulator.documents import PartitionKey
from cosmosdb_emulator.epk import decode_header_value
from cosmosdb_emulator.errors import CosmosError, bad_request
from cosmosdb_emulator.messages import Request, Response, json_response
from cosmosdb_emulator.throughput import apply_rate


def _container_of(app: App, body: dict[str, Any]) -> catalog.ContainerInfo:
    db, coll = body.get("database"), body.get("container")
    if not isinstance(db, str) or not isinstance(coll, str):
        raise bad_request("'database' and 'container' are required strings.")
    with app.store.read() as conn:
        return catalog.container_info(conn, db, coll, False)


def split(app: App, request: Request) -> Response:
    """Split a physical range at its midpoint; answers ``{"children": [...]}``."""
    body = request.json_object()
    info = _container_of(app, body)
    range_id = body.get("range_id")
    if not isinstance(range_id, (str, int)):
        raise bad_request("'range_id' is required.")
    with app.store.write() as conn:
        children = catalog.split_range(conn, info.rid, str(range_id))
    return json_response(200, {"children": children})


def throughput(app: App, request: Request) -> Response:
    """Set (or clear with ``null``) a container's provisioned RU/s.

    Any value > 0 is accepted (unlike the SDK path, which follows the service's 400 RU/s floor);
    the container's offer becomes a manual offer of that many RU/s (``null`` removes it).
    """
    body = request.json_object()
    info = _container_of(app, body)
    ru = body.get("ru_per_second")
    if ru is not None and (isinstance(ru, bool) or not isinstance(ru, (int, float)) or ru <= 0):
        raise bad_request("'ru_per_second' must be a positive number or null.")
    with app.store.write() as conn:
        content = None if ru is None else offers.manual_content(ru)
        offers.set_offer(conn, info.rid, info.self_link, content)
    apply_rate(app, info.rid, ru, (info.db_id, info.id))
    return json_response(200, {"ru_per_second": ru})


def placement(app: App, request: Request) -> Response:
    """Where documents with these partition keys are stored: ``{"ranges": [id, ...]}``.

    Body: ``{"database","container","partition_keys": [key, ...]}`` where each key is the
    ``x-ms-documentdb-partitionkey`` header array the SDK would send (``["a"]``, ``["a", 1]``,
    ``[{}]`` for undefined). Uses the write path's EPK computation and the online ranges, so a
    document written with that key is stored in (and served from) the answered range.
    """
    body = request.json_object()
    info = _container_of(app, body)
    keys = body.get("partition_keys")
    if not isinstance(keys, list):
        raise bad_request("'partition_keys' must be a list of partition key arrays.")
    with app.store.read() as conn:
        online = catalog.ranges(conn, info.rid)
    lows = [r.min_epk for r in online]
    answer = []
    for index, key in enumerate(keys):
        try:
            epk = PartitionKey.of(decode_header_value(key)).epk
        except ValueError as exc:
            raise bad_request(f"partition_keys[{index}]: {exc}") from exc
        answer.append(online[bisect.bisect_right(lows, epk) - 1].id)
    return json_response(200, {"ranges": answer})


def faults(app: App, request: Request) -> Response:
    """Add (POST) or clear (DELETE) fault rules."""
    manager = app.faults
    if manager is None:
        raise CosmosError(501, "Fault injection is not available in this build.")
    if request.method == "DELETE":
        manager.clear()
        return json_response(200, {"cleared": True})
    rule = manager.add(request.json_object())
    return json_response(200, rule)


def stats(app: App, request: Request) -> Response:
    """Counters: requests, RU and throttles per container."""
    provider = app.stats
    return json_response(200, provider.snapshot() if provider is not None else {})


_ACTIONS = {
    ("split", "POST"): split,
    ("throughput", "PUT"): throughput,
    ("throughput", "POST"): throughput,
    ("faults", "POST"): faults,
    ("faults", "DELETE"): faults,
    ("stats", "GET"): stats,
    ("placement", "POST"): placement,
}


def handle(app: App, request: Request) -> Response:
    """Dispatch an admin request by action and method (404 for unknown actions)."""
    action = _ACTIONS.get((request.route.admin_action or "", request.method))
    if action is None:
        raise CosmosError(404, f"Unknown admin endpoint {request.method} {request.path}.")
    return action(app, request)
