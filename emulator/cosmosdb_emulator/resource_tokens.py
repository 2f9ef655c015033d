"""Requests signed with a resource token (a permission's ``_token``) instead of the master key.

A client built with ``CosmosClient(url, {resource_link: token})`` sends the permission's token as
the ``authorization`` header (azure-cosmos 4.17.1 ``auth.py``,
``__get_authorization_token_using_resource_token``). The emulator accepts such a request when
the token is the ``_token`` of a stored permission and:

- the request addresses the permission's ``resource`` or something under it, and either the
  permission mode is ``All`` or the request only reads (``GET``, or a query ``POST``); or
- it reads (``GET``) a resource above it (the account, the database, the container and its
  partition key ranges), which clients need to route requests.

A permission with ``resourcePartitionKey`` covers only requests for that partition key. Anything
else is 403 (Cosmos DB REST docs "Access control": resource tokens and permission
modes). Resources are compared by their name-based links.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from cosmosdb_emulator import children, routing
from cosmosdb_emulator.app import App
from cosmosdb_emulator.messages import Headers

_PREFIX = "type=resource"


def _segments(link: str) -> list[str]:
    return [s for s in link.split("/") if s]


def _is_read(method: str, headers: Headers) -> bool:
    if method in ("GET", "HEAD"):
        return True
    return method == "POST" and (
        headers.flag("x-ms-documentdb-isquery")
        or headers.flag("x-ms-cosmos-is-query-plan-request")
        or (headers.get("Content-Type") or "").startswith("application/query+json")
    )


def _partition_allowed(permission: dict[str, object], headers: Headers) -> bool:
    """A permission with ``resourcePartitionKey`` covers only requests for that key."""
    allowed = permission.get("resourcePartitionKey")
    sent = headers.get("x-ms-documentdb-partitionkey")
    if allowed is None or sent is None:
        return True
    try:
        value = json.loads(sent)
    except ValueError:
        return False
    return bool(value == (allowed if isinstance(allowed, list) else [allowed]))


def authorize(app: App, method: str, path: str, headers: Headers) -> int | None:
    """Check a resource-token request.

    Args:
        app: Server state (the permissions are in its store).
        method: HTTP method.
        path: Raw request target.
        headers: Request headers.

    Returns:
        ``None`` when the token grants the request, 403 when it is a known token that does not,
        and 401 when the header is not a known resource token.
    """
    raw = unquote(headers.get("authorization") or "")
    if not raw.startswith(_PREFIX):
        return 401
    with app.store.read() as conn:
        text = children.permission_by_token(conn, raw)
    if text is None:
        return 401
    permission = json.loads(text)
    resource = _segments(str(permission.get("resource", "")))
    try:
        request = routing.split_path(path)
    except UnicodeDecodeError:
        return 403
    if request[: len(resource)] == resource:
        if not _partition_allowed(permission, headers):
            return 403
        if str(permission.get("permissionMode", "")).lower() == "all" or _is_read(method, headers):
            return None
        return 403
    if method == "GET":
        parent = request[:-1] if request and request[-1] == "pkranges" else request
        if resource[: len(parent)] == parent:
            return None
    return 403
