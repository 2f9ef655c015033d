"""Classify a request into an operation kind, for request charges, throttling and faults.

Kinds: ``account``, ``metadata`` (databases/containers/offers), ``pkranges``, ``read``, ``write``,
``batch``, ``query``, ``query_plan``, ``change_feed``, ``read_feed``, ``admin``. Writes also have a
detail: ``create``, ``upsert``, ``replace``, ``patch``, ``delete``, ``partitionkeydelete``.
"""

from __future__ import annotations

from cosmosdb_emulator import routing
from cosmosdb_emulator.messages import Request

DATA_PLANE = frozenset(
    {"read", "write", "batch", "query", "query_plan", "change_feed", "read_feed", "pkranges"}
)


def classify(request: Request) -> tuple[str, str]:
    """Return ``(kind, detail)`` for a request (detail equals kind unless it is a write)."""
    route, method, h = request.route, request.method, request.headers
    kind = route.kind
    if kind == routing.ADMIN:
        return "admin", "admin"
    if kind == routing.ACCOUNT:
        return "account", "account"
    if kind == routing.PKRANGES:
        return "pkranges", "pkranges"
    if kind in (
        routing.DATABASES,
        routing.DATABASE,
        routing.CONTAINERS,
        routing.CONTAINER,
        routing.OFFERS,
        routing.OFFER,
    ):
        return "metadata", "metadata"
    if kind == routing.PK_DELETE:
        return "write", "partitionkeydelete"
    if kind == routing.DOCUMENTS:
        if method == "GET":
            return ("change_feed", "change_feed") if h.get("A-IM") else ("read_feed", "read_feed")
        if h.flag("x-ms-cosmos-is-query-plan-request"):
            return "query_plan", "query_plan"
        if h.flag("x-ms-documentdb-isquery") or (h.get("Content-Type") or "").startswith(
            "application/query+json"
        ):
            return "query", "query"
        if h.flag("x-ms-cosmos-is-batch-request"):
            return "batch", "batch"
        return "write", "upsert" if h.flag("x-ms-documentdb-is-upsert") else "create"
    if kind == routing.DOCUMENT:
        if method == "GET":
            return "read", "read"
        return "write", {"PUT": "replace", "PATCH": "patch", "DELETE": "delete"}.get(
            method, "write"
        )
    return "other", "other"


def container_key(request: Request) -> str | None:
    """``"<database>/<container>"`` for name-based container-scoped requests, else ``None``."""
    route = request.route
    if route.container is None or route.database is None:
        return None
    return f"{route.database}/{route.container}"
