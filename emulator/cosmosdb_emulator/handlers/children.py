"""Users and permissions, and stored procedures, triggers and UDFs: stored resources.

``dbs/{db}/users[/{id}]``, ``dbs/{db}/users/{user}/permissions[/{id}]`` and
``dbs/{db}/colls/{c}/sprocs|triggers|udfs[/{id}]`` support create (``POST``, 201; 409 if the id
exists), upsert (``POST`` + ``x-ms-documentdb-is-upsert``), read (``GET``), replace (``PUT``,
which may rename), delete (``DELETE``, 204; a user's permissions go with it), list (``GET`` on
the feed) and query (``POST`` on the feed with a query body), as in the Cosmos DB REST docs
("Users", "Permissions", "Stored procedures", "Triggers", "User-defined functions").

Stored procedures run (:mod:`cosmosdb_emulator.scripts`); triggers and UDFs are stored but not
applied. A permission carries a ``_token`` that clients can sign requests with (see
:mod:`cosmosdb_emulator.resource_tokens`).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import quote

from cosmosdb_emulator import catalog, children, rids, scripts
from cosmosdb_emulator.app import App
from cosmosdb_emulator.catalog import new_etag, validate_id
from cosmosdb_emulator.errors import CosmosError, bad_request
from cosmosdb_emulator.handlers import query
from cosmosdb_emulator.handlers.common import container, partition_key, writing
from cosmosdb_emulator.messages import Request, Response, dumps, text_response
from cosmosdb_emulator.storage import Connection

FEED_KEYS = {
    "users": "Users",
    "permissions": "Permissions",
    "sprocs": "StoredProcedures",
    "triggers": "Triggers",
    "udfs": "UserDefinedFunctions",
}
_WHAT = {
    "users": "user",
    "permissions": "permission",
    "sprocs": "stored procedure",
    "triggers": "trigger",
    "udfs": "user defined function",
}
_PERMISSION_MODES = {"read": "Read", "all": "All"}
_TRIGGER_TYPES = {"pre": "Pre", "post": "Post"}
_TRIGGER_OPERATIONS = {
    o.lower(): o for o in ("All", "Create", "Update", "Delete", "Replace", "Upsert")
}


def _not_found(ctype: str) -> CosmosError:
    return CosmosError(
        404, f"Entity with the specified id does not exist in the system. ({_WHAT[ctype]})"
    )


def _find(
    conn: Connection, parent_rid: str, ctype: str, key: str, rid_based: bool
) -> dict[str, Any]:
    text = children.find(conn, parent_rid, ctype, key, rid_based)
    if text is None:
        raise _not_found(ctype)
    result: dict[str, Any] = json.loads(text)
    return result


def _parent(conn: Connection, request: Request) -> tuple[str, str]:
    """``(parent RID, parent _self)`` of the addressed child resource (404 if missing)."""
    route = request.route
    ctype = route.child_type or ""
    if ctype in ("users", "permissions"):
        _, db_rid = catalog.database_rid(conn, route.database or "", route.rid_based)
        if ctype == "users":
            return db_rid, f"dbs/{db_rid}/"
        user = _find(conn, db_rid, "users", route.user or "", route.rid_based)
        return str(user["_rid"]), str(user["_self"])
    info = container(conn, request)
    return info.rid, info.self_link


def _validate(ctype: str, body: dict[str, Any]) -> dict[str, Any]:
    validate_id(body.get("id"), _WHAT[ctype])
    out = {k: v for k, v in body.items() if not k.startswith("_")}
    if ctype in ("sprocs", "triggers", "udfs") and not isinstance(out.get("body"), str):
        raise bad_request(f"The {_WHAT[ctype]} needs a 'body' string (its JavaScript).")
    if ctype == "permissions":
        mode = _PERMISSION_MODES.get(str(out.get("permissionMode", "")).lower())
        if mode is None:
            raise bad_request("permissionMode must be 'Read' or 'All'.")
        if not isinstance(out.get("resource"), str) or not out["resource"]:
            raise bad_request("A permission needs a 'resource' link.")
    if ctype == "triggers":
        ttype = _TRIGGER_TYPES.get(str(out.get("triggerType", "")).lower())
        op = _TRIGGER_OPERATIONS.get(str(out.get("triggerOperation", "")).lower())
        if ttype is None or op is None:
            raise bad_request("A trigger needs triggerType (Pre/Post) and triggerOperation.")
    # Values are checked without regard to case and stored as sent, as the service does.
    return out


def _store(
    conn: Connection,
    parent: tuple[str, str],
    ctype: str,
    body: dict[str, Any],
    existing: dict[str, Any] | None,
) -> str:
    """Insert (``existing`` None) or overwrite a child; returns its JSON text (409 on clash)."""
    doc = _validate(ctype, body)
    parent_rid, parent_self = parent
    if existing is None:
        rid = rids.encode(os.urandom(8))
        while children.rid_taken(conn, rid):
            rid = rids.encode(os.urandom(8))
    else:
        rid = str(existing["_rid"])
    doc["_rid"] = rid
    doc["_self"] = f"{parent_self}{ctype}/{rid}/"
    doc["_etag"] = new_etag()
    doc["_ts"] = int(time.time())
    if ctype == "users":
        doc["_permissions"] = "permissions/"
    if ctype == "permissions":
        doc["_token"] = f"type=resource&ver=1.0&sig={rids.encode(os.urandom(24))}"
    text = dumps(doc)
    if existing is None:
        children.insert(conn, parent_rid, ctype, doc["id"], rid, text)
    else:
        children.update(conn, rid, doc["id"], text)
    return text


def feed(app: App, request: Request) -> Response:
    """``GET`` on a feed: every child of that type, oldest first."""
    ctype = request.route.child_type or ""
    with app.store.read() as conn:
        parent_rid, _ = _parent(conn, request)
        texts = children.texts(conn, parent_rid, ctype)
    body = (
        f'{{"_rid":"{parent_rid}","{FEED_KEYS[ctype]}":[{",".join(texts)}],"_count":{len(texts)}}}'
    )
    return text_response(200, body, {"x-ms-item-count": str(len(texts))})


def post(app: App, request: Request) -> Response:
    """``POST`` on a feed: a query, an upsert or a create."""
    ctype = request.route.child_type or ""
    h = request.headers
    if h.flag("x-ms-documentdb-isquery") or (h.get("Content-Type") or "").startswith(
        "application/query+json"
    ):
        with app.store.read() as conn:
            parent_rid, _ = _parent(conn, request)
            texts = children.texts(conn, parent_rid, ctype)
        return query.query_resources(request, texts, parent_rid, FEED_KEYS[ctype])
    body = request.json_object()
    upsert = h.flag("x-ms-documentdb-is-upsert")
    with app.store.write() as conn:
        parent = _parent(conn, request)
        existing = None
        if upsert and isinstance(body.get("id"), str):
            try:
                existing = _find(conn, parent[0], ctype, body["id"], False)
            except CosmosError:
                existing = None
        text = _store(conn, parent, ctype, body, existing)
    return text_response(200 if existing is not None else 201, text)


def read(app: App, request: Request) -> Response:
    """``GET`` one child."""
    route = request.route
    with app.store.read() as conn:
        parent_rid, _ = _parent(conn, request)
        doc = _find(conn, parent_rid, route.child_type or "", route.document or "", route.rid_based)
    return text_response(200, dumps(doc), {"etag": str(doc.get("_etag", ""))})


def replace(app: App, request: Request) -> Response:
    """``PUT`` one child (the body's id may differ: the resource is renamed)."""
    route = request.route
    body = request.json_object()
    with app.store.write() as conn:
        parent = _parent(conn, request)
        ctype = route.child_type or ""
        existing = _find(conn, parent[0], ctype, route.document or "", route.rid_based)
        if_match = request.headers.get("If-Match")
        if if_match and if_match != "*" and if_match != existing.get("_etag"):
            raise CosmosError(
                412,
                "Operation cannot be performed because one of the specified precondition is not met.",
            )
        text = _store(conn, parent, ctype, body, existing)
    return text_response(200, text)


def delete(app: App, request: Request) -> Response:
    """``DELETE`` one child (204); a user's permissions are deleted with it."""
    route = request.route
    with app.store.write() as conn:
        parent_rid, _ = _parent(conn, request)
        doc = _find(conn, parent_rid, route.child_type or "", route.document or "", route.rid_based)
        catalog.delete_children(conn, str(doc["_rid"]))
        children.delete(conn, str(doc["_rid"]))
    return Response(204)


def execute(app: App, request: Request) -> Response:
    """``POST`` on a stored procedure: run it in the request's logical partition.

    The body is the JSON array of arguments; the response body is what the script set with
    ``setBody``/``appendValue``. See :mod:`cosmosdb_emulator.scripts`.
    """
    if request.route.child_type != "sprocs":
        raise CosmosError(405, f"Method POST is not allowed on {request.route.child_type}.")
    params = request.json() if request.body else []
    pk = partition_key(request, required=True)
    assert pk is not None
    with writing(app, request) as writer:
        info = writer.container
        sproc = _find(
            writer.conn, info.rid, "sprocs", request.route.document or "", request.route.rid_based
        )
        alt_link = f"dbs/{info.db_id}/colls/{info.id}"
        outcome = scripts.run_stored_procedure(
            writer, str(sproc["body"]), params, pk.for_version(info.version), alt_link
        )
    headers: dict[str, str] = {}
    if request.headers.flag("x-ms-documentdb-script-enable-logging"):
        headers["x-ms-documentdb-script-log-results"] = quote("\n".join(outcome.logs))
    return text_response(200, outcome.body, headers)
