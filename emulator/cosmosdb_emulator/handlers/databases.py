"""Databases and containers: create, read, replace, list, delete; the (empty) conflicts feed."""

from __future__ import annotations

import json
from typing import Any

from cosmosdb_emulator import catalog, feeds, offers, ranges
from cosmosdb_emulator.app import App
from cosmosdb_emulator.errors import CosmosError
from cosmosdb_emulator.handlers import query
from cosmosdb_emulator.handlers.common import container
from cosmosdb_emulator.messages import Request, Response, dumps, text_response
from cosmosdb_emulator.storage import Connection
from cosmosdb_emulator.throughput import apply_rate, forget_database


def _feed(rid: str, key: str, texts: list[str]) -> str:
    return f'{{"_rid":"{rid}","{key}":[{",".join(texts)}],"_count":{len(texts)}}}'


def list_databases(app: App, request: Request) -> Response:
    """``GET /dbs``."""
    with app.store.read() as conn:
        texts = catalog.database_texts(conn)
    return text_response(200, _feed("", "Databases", texts))


def _is_query(request: Request) -> bool:
    return request.headers.flag("x-ms-documentdb-isquery") or (
        request.headers.get("Content-Type") or ""
    ).startswith("application/query+json")


def create_database(app: App, request: Request) -> Response:
    """``POST /dbs`` (201; 409 if it exists), or ``query_databases``.

    ``x-ms-offer-throughput`` / ``x-ms-cosmos-offer-autopilot-settings`` give the database a
    shared-throughput offer (readable and replaceable through ``/offers`` like a container's;
    its RU/s are recorded, not enforced).
    """
    if _is_query(request):
        with app.store.read() as conn:
            texts = catalog.database_texts(conn)
        return query.query_resources(request, texts, "", "Databases")
    body = request.json_object()
    content = offers.content_from_headers(
        request.headers.get("x-ms-offer-throughput"),
        request.headers.get("x-ms-cosmos-offer-autopilot-settings"),
    )
    with app.store.write() as conn:
        text = catalog.create_database(conn, body)
        if content is not None:
            created = json.loads(text)
            offers.set_offer(conn, created["_rid"], created["_self"], content)
    return text_response(201, text)


def read_database(app: App, request: Request) -> Response:
    """``GET /dbs/{db}/``."""
    with app.store.read() as conn:
        _, rid = catalog.database_rid(conn, request.route.database or "", request.route.rid_based)
        text = catalog.database_text(conn, rid)
    return text_response(200, text)


def delete_database(app: App, request: Request) -> Response:
    """``DELETE /dbs/{db}/`` (204)."""
    with app.store.write() as conn:
        db_id, rid = catalog.database_rid(
            conn, request.route.database or "", request.route.rid_based
        )
        catalog.delete_database(conn, rid)
    forget_database(app, db_id)
    return Response(204)


def list_containers(app: App, request: Request) -> Response:
    """``GET /dbs/{db}/colls/``."""
    with app.store.read() as conn:
        _, rid = catalog.database_rid(conn, request.route.database or "", request.route.rid_based)
        texts = catalog.container_texts(conn, rid)
    return text_response(200, _feed(rid, "DocumentCollections", texts))


def _provisioned_ru(conn: Connection, db_rid: str, content: dict[str, Any] | None) -> float | None:
    """RU/s that size a new container: its own offer's, else its database's shared offer's."""
    if content is not None:
        return offers.enforced_rate(content)
    shared = offers.offer_content(conn, db_rid)
    return None if shared is None else offers.enforced_rate(shared)


def create_container(app: App, request: Request) -> Response:
    """``POST /dbs/{db}/colls/`` (201; 400 for a malformed definition; 409 if it exists).

    ``x-ms-offer-throughput`` / ``x-ms-cosmos-offer-autopilot-settings`` provision the new
    container's RU/s (an offer, enforced at once; see :mod:`cosmosdb_emulator.offers`).
    Unless the emulator was started with a fixed ``--partitions``, the container gets one
    physical range per 10,000 RU/s (manual RU/s or autoscale maximum) of its own offer, or of
    its database's shared offer, at least 1 (see
    :func:`cosmosdb_emulator.ranges.count_for_throughput`).
    """
    if _is_query(request):
        with app.store.read() as conn:
            _, rid = catalog.database_rid(
                conn, request.route.database or "", request.route.rid_based
            )
            texts = catalog.container_texts(conn, rid)
        return query.query_resources(request, texts, rid, "DocumentCollections")
    body = request.json_object()
    content = offers.content_from_headers(
        request.headers.get("x-ms-offer-throughput"),
        request.headers.get("x-ms-cosmos-offer-autopilot-settings"),
    )
    with app.store.write() as conn:
        db_id, rid = catalog.database_rid(
            conn, request.route.database or "", request.route.rid_based
        )
        count = app.partitions
        if count is None:
            count = ranges.count_for_throughput(_provisioned_ru(conn, rid, content))
        text = catalog.create_container(conn, rid, body, count)
        coll_id = str(body["id"])
        rate = None
        if content is not None:
            created = json.loads(text)
            rate = offers.set_offer(conn, created["_rid"], created["_self"], content)
    # Also clears a bucket left by an earlier container of the same name.
    apply_rate(app, "", rate, (db_id, coll_id))
    return text_response(201, text)


def read_container(app: App, request: Request) -> Response:
    """``GET /dbs/{db}/colls/{c}/``, with quota headers and range statistics when asked for.

    ``x-ms-documentdb-populatequotainfo: true`` adds ``x-ms-resource-quota``,
    ``x-ms-resource-usage`` (documents and their size in KB, counted now) and
    ``x-ms-documentdb-collection-index-transformation-progress: 100`` (the emulator never has an
    index transformation under way); ``x-ms-documentdb-populatepartitionstatistics: true`` adds
    ``statistics`` (per physical range: ``id``, ``sizeInKB``, ``documentCount``) to the body.
    Header names as in azure-cosmos 4.17.1 ``http_constants.py``.
    """
    headers: dict[str, str] = {}
    with app.store.read() as conn:
        info = container(conn, request)
        text = catalog.container_body(conn, info.rid)
        quota = request.headers.flag("x-ms-documentdb-populatequotainfo")
        stats = request.headers.flag("x-ms-documentdb-populatepartitionstatistics")
        if quota:
            count, size = feeds.usage(conn, info.rid)
            kb = -(-size // 1024)
            headers["x-ms-resource-quota"] = (
                "documentSize=10240;documentsSize=10485760;documentsCount=-1;"
                "collectionSize=10485760;"
            )
            headers["x-ms-resource-usage"] = (
                f"documentSize={kb};documentsSize={kb};documentsCount={count};collectionSize={kb};"
            )
            headers["x-ms-documentdb-collection-index-transformation-progress"] = "100"
        if stats:
            statistics = []
            for rng in catalog.ranges(conn, info.rid):
                count, size = feeds.usage(conn, info.rid, rng.min_epk, rng.max_epk)
                statistics.append(
                    {
                        "id": rng.id,
                        "sizeInKB": -(-size // 1024),
                        "documentCount": count,
                        "partitionKeys": [],
                    }
                )
            body = json.loads(text)
            body["statistics"] = statistics
            text = dumps(body)
    return text_response(200, text, headers)


def replace_container(app: App, request: Request) -> Response:
    """``PUT /dbs/{db}/colls/{c}/`` (200): new indexing policy, TTL, computed properties, ..."""
    body = request.json_object()
    with app.store.write() as conn:
        info = container(conn, request)
        text = catalog.replace_container(conn, info.rid, body)
    return text_response(200, text)


def delete_container(app: App, request: Request) -> Response:
    """``DELETE /dbs/{db}/colls/{c}/`` (204)."""
    with app.store.write() as conn:
        info = container(conn, request)
        catalog.delete_container(conn, info.rid)
    apply_rate(app, info.rid, None, (info.db_id, info.id))
    return Response(204)


def list_conflicts(app: App, request: Request) -> Response:
    """``GET`` (or query) ``/dbs/{db}/colls/{c}/conflicts/``: always empty.

    The emulator is a single-region, single-writer account, so no write ever conflicts; the
    service answers the same feed with an empty list (Cosmos DB REST docs "Conflicts").
    """
    with app.store.read() as conn:
        info = container(conn, request)
    if _is_query(request):
        return query.query_resources(request, [], info.rid, "Conflicts", partitioned=True)
    return text_response(200, _feed(info.rid, "Conflicts", []))


def conflict_item(app: App, request: Request) -> Response:
    """``GET``/``DELETE`` ``.../conflicts/{id}``: 404, since the feed is always empty."""
    with app.store.read() as conn:
        container(conn, request)
    raise CosmosError(404, "Entity with the specified id does not exist in the system.")
