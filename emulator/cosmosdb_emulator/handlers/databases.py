"""Databases and containers: create, read, replace, list, delete; the (empty) conflicts feed."""

from __future__ import annotations

import json

from cosmosdb_emulator import catalog, offers
from cosmosdb_emulator.app import App
from cosmosdb_emulator.errors import CosmosError, not_found
from cosmosdb_emulator.handlers import query
from cosmosdb_emulator.handlers.common import container
from cosmosdb_emulator.messages import Request, Response, text_response
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


def create_container(app: App, request: Request) -> Response:
    """``POST /dbs/{db}/colls/`` (201; 400 for a malformed definition; 409 if it exists).

    ``x-ms-offer-throughput`` / ``x-ms-cosmos-offer-autopilot-settings`` provision the new
    container's RU/s (an offer, enforced at once; see :mod:`cosmosdb_emulator.offers`).
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
        text = catalog.create_container(conn, rid, body, app.partitions)
        coll_id = str(body["id"])
        rate = None
        if content is not None:
            created = json.loads(text)
            rate = offers.set_offer(conn, created["_rid"], created["_self"], content)
    # Also clears a bucket left by an earlier container of the same name.
    apply_rate(app, "", rate, (db_id, coll_id))
    return text_response(201, text)


def read_container(app: App, request: Request) -> Response:
    """``GET /dbs/{db}/colls/{c}/``."""
    with app.store.read() as conn:
        info = container(conn, request)
        text = catalog.container_body(conn, info.rid)
    return text_response(200, text)


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
        return query.query_resources(request, [], info.rid, "Conflicts")
    return text_response(200, _feed(info.rid, "Conflicts", []))


def conflict_item(app: App, request: Request) -> Response:
    """``GET``/``DELETE`` ``.../conflicts/{id}``: 404, since the feed is always empty."""
    with app.store.read() as conn:
        container(conn, request)
    raise CosmosError(404, "Entity with the specified id does not exist in the system.")
