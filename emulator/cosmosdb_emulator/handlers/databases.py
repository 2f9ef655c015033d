"""Databases and containers: create, read, list, delete (protocol notes §4)."""

from __future__ import annotations

from cosmosdb_emulator import catalog
from cosmosdb_emulator.app import App
from cosmosdb_emulator.errors import not_found
from cosmosdb_emulator.handlers import query
from cosmosdb_emulator.handlers.common import container
from cosmosdb_emulator.messages import Request, Response, text_response


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
    """``POST /dbs`` (201; 409 if it exists), or ``query_databases``."""
    if _is_query(request):
        with app.store.read() as conn:
            texts = [r[0] for r in conn.execute("SELECT body FROM databases ORDER BY rowid")]
        return query.query_resources(request, texts, "", "Databases")
    body = request.json_object()
    with app.store.write() as conn:
        text = catalog.create_database(conn, body)
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
        _, rid = catalog.database_rid(conn, request.route.database or "", request.route.rid_based)
        catalog.delete_database(conn, rid)
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
    """``POST /dbs/{db}/colls/`` (201; 400 for a malformed definition; 409 if it exists)."""
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
    with app.store.write() as conn:
        _, rid = catalog.database_rid(conn, request.route.database or "", request.route.rid_based)
        text = catalog.create_container(conn, rid, body, app.partitions)
    return text_response(201, text)


def read_container(app: App, request: Request) -> Response:
    """``GET /dbs/{db}/colls/{c}/``."""
    with app.store.read() as conn:
        info = container(conn, request)
        text = catalog.container_body(conn, info.rid)
    return text_response(200, text)


def delete_container(app: App, request: Request) -> Response:
    """``DELETE /dbs/{db}/colls/{c}/`` (204)."""
    with app.store.write() as conn:
        info = container(conn, request)
        catalog.delete_container(conn, info.rid)
    return Response(204)
