"""SQL queries: "Direct" strategy (protocol notes §9).

The server answers every query itself, cross-partition included, with full SQL semantics from
``cosmosdb_emulator.query.run_query`` (never 400/1004), and pages the full result with an opaque
``x-ms-continuation``. Documents are streamed from SQLite, filtered by container and EPK scope
(partition key header, pkrangeid, start/end EPK).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from cosmosdb_emulator.app import App
from cosmosdb_emulator.errors import bad_request
from cosmosdb_emulator.handlers.common import container, page_size, scope
from cosmosdb_emulator.messages import Request, Response, dumps, text_response

_CACHE_SIZE = 32
_cache: OrderedDict[str, list[Any]] = OrderedDict()
_cache_lock = threading.Lock()


def _engine() -> Any:
    try:
        from cosmosdb_emulator import query as engine
    except ImportError as exc:
        raise bad_request("The SQL query engine is not available in this build.") from exc
    return engine


def _parse_body(request: Request) -> tuple[str, list[dict[str, Any]]]:
    body = request.json()
    if isinstance(body, str):
        return body, []
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise bad_request("Query body must be an object with a 'query' string.")
    params = body.get("parameters") or []
    if not isinstance(params, list):
        raise bad_request("Query 'parameters' must be a list.")
    return body["query"], params


def _stream(app: App, coll_rid: str, lo: str, hi: str, point: bool) -> Iterator[dict[str, Any]]:
    with app.store.read() as conn:
        if point:
            cur = conn.execute("SELECT body FROM docs WHERE coll_rid=? AND epk=?", (coll_rid, lo))
        else:
            cur = conn.execute(
                "SELECT body FROM docs WHERE coll_rid=? AND epk>=? AND epk<?", (coll_rid, lo, hi)
            )
        for (text,) in cur:
            yield json.loads(text)


def _cache_put(results: list[Any]) -> str:
    key = uuid.uuid4().hex
    with _cache_lock:
        _cache[key] = results
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return key


def _cache_get(key: str) -> list[Any] | None:
    with _cache_lock:
        return _cache.get(key)


def run(app: App, request: Request) -> Response:
    """Run a query and return one page.

    Raises:
        CosmosError: 400 for a malformed body, an invalid continuation or a ``QueryError``.
    """
    engine = _engine()
    text, params = _parse_body(request)
    limit = page_size(request)
    with app.store.read() as conn:
        info = container(conn, request)
        lo, hi, point = scope(conn, request, info)
    offset, key = 0, None
    token = request.headers.get("x-ms-continuation")
    results: list[Any] | None = None
    if token:
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset, key = int(state["o"]), str(state["k"])
        except (ValueError, KeyError, TypeError) as exc:
            raise bad_request("Invalid query continuation token.") from exc
        results = _cache_get(key)
    if results is None:
        try:
            results = list(engine.run_query(text, params, _stream(app, info.rid, lo, hi, point)))
        except engine.QueryError as exc:
            raise bad_request(str(exc)) from exc
        if len(results) > offset + limit:
            key = _cache_put(results)
    page = results[offset : offset + limit]
    headers = {"x-ms-item-count": str(len(page))}
    if offset + limit < len(results):
        state = {"o": offset + limit, "k": key}
        headers["x-ms-continuation"] = base64.urlsafe_b64encode(dumps(state).encode()).decode()
    body = f'{{"_rid":"{info.rid}","Documents":{dumps(page)},"_count":{len(page)}}}'
    return text_response(200, body, headers)


def query_plan(app: App, request: Request) -> Response:
    """A minimal query plan (only requested if a client insists on plan mode).

    The plan has no rewrite and ``distinctType: None``; the server answers each per-range
    request with full semantics itself.
    """
    text, _ = _parse_body(request)
    plan = {
        "partitionedQueryExecutionInfoVersion": 2,
        "queryInfo": {"distinctType": "None", "rewrittenQuery": "", "hasSelectValue": False},
        "queryRanges": [{"min": "", "max": "FF", "isMinInclusive": True, "isMaxInclusive": False}],
    }
    _ = text
    return text_response(200, dumps(plan))
