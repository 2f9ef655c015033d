"""Databases and containers: create, read, replace, list, delete; the (empty) conflicts feed."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from cosmosdb_emulator import catalog, offers, ranges
from cosmosdb_emulator.app import App
from cosmosdb_emulator.errors import CosmosError, not_found
from cosmosdb_emulator.handlers import query
from cosmosdb_emulator.handlers.common import container
from cosmosdb_emulator.messages import Request, Response, dumps, text_response
from cosmosdb_emulator.throughput import apply_rate, forget_database


def _feed(rid: str, key: str, texts: list[str]) -> str:
    return f'{{"_rid":"{rid}","{key}":[{",".join(texts)}],"_count":{len(texts)}}}'


def list_databases(app: App, request: Request) -> Response:
    """``GET /dbs``."""
    with app.store.read() as conn:
        texts = [r[0] for r in conn.execute("SELECT body FROM databases ORDER BY rowid")]
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
            texts = [r[0] for r in conn.execute("SELECT body FROM databases ORDER BY rowid")]
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
        row = conn.execute("SELECT body FROM databases WHERE rid=?", (rid,)).fetchone()
    if row is None:
        raise not_found("Database")
    return text_response(200, row[0])


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
        texts = [
            r[0]
            for r in conn.execute(
                "SELECT body FROM containers WHERE db_rid=? ORDER BY rowid", (rid,)
            )
        ]
    return text_response(200, _feed(rid, "DocumentCollections", texts))


def _provisioned_ru(
    conn: sqlite3.Connection, db_rid: str, content: dict[str, Any] | None
) -> float | None:
    """RU/s that size a new container: its own offer's, else its database's shared offer's."""
    if content is not None:
        return offers.enforced_rate(content)
    row = conn.execute("SELECT body FROM offers WHERE coll_rid=?", (db_rid,)).fetchone()
    if row is None:
        return None
    return offers.enforced_rate(json.loads(row[0])["content"])


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
            texts = [
                r[0]
                for r in conn.execute(
                    "SELECT body FROM containers WHERE db_rid=? ORDER BY rowid", (rid,)
                )
            ]
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
            count, size = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM docs WHERE coll_rid=?",
                (info.rid,),
            ).fetchone()
            kb = -(-int(size) // 1024)
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
            ranges = conn.execute(
                "SELECT id, min_epk, max_epk FROM pkranges WHERE coll_rid=? AND gone=0"
                " ORDER BY min_epk",
                (info.rid,),
            ).fetchall()
            for range_id, lo, hi in ranges:
                count, size = conn.execute(
                    "SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM docs"
                    " WHERE coll_rid=? AND epk>=? AND epk<?",
                    (info.rid, lo, hi),
                ).fetchone()
                statistics.append(
                    {
                        "id": str(range_id),
                        "sizeInKB": -(-int(size) // 1024),
                        "documentCount": int(count),
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
