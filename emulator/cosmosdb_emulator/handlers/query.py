"""SQL queries over documents, answered by the server.

Cosmos DB REST "Querying resources",
https://learn.microsoft.com/rest/api/cosmos-db/querying-cosmosdb-resources-using-the-rest-api.
Queries run with the :mod:`cosmosdb_emulator.query` engine and are paged with an opaque
``x-ms-continuation`` (:mod:`cosmosdb_emulator.tokens`); a container-wide query that needs the
client's pipeline is answered 400/1004 (see :func:`_cross_partition_ranges`). Documents are
read through :mod:`cosmosdb_emulator.feeds`, limited to the request's EPK scope (partition key
header, pkrangeid, start/end EPK).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Generator
from typing import Any

from cosmosdb_emulator import catalog, feeds, tokens
from cosmosdb_emulator.app import App
from cosmosdb_emulator.catalog import ContainerInfo
from cosmosdb_emulator.epk import MAX_EPK, MIN_EPK, effective_partition_key, path_segments
from cosmosdb_emulator.errors import bad_request
from cosmosdb_emulator.handlers.common import container, page_size, scope
from cosmosdb_emulator.messages import Request, Response, dumps, text_response
from cosmosdb_emulator.operations import container_key
from cosmosdb_emulator.stats import QUERY_STEP


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


class _Scan:
    """What a query read: documents and bytes (for ``x-ms-documentdb-query-metrics``)."""

    def __init__(self) -> None:
        self.count = 0
        self.size = 0

    def add(self, text: str) -> None:
        self.count += 1
        self.size += len(text)


Augment = Callable[[dict[str, Any]], dict[str, Any]]


def _computed(conn: Any, info: ContainerInfo) -> tuple[Augment | None, list[str]]:
    """The container's computed properties as a document-augmenting function, and their names.

    Each ``{"name", "query": "SELECT VALUE <expr> FROM c"}`` is evaluated on a document and
    stored under ``name`` before the query runs (Cosmos DB docs "Computed properties").
    """
    body = json.loads(catalog.container_body(conn, info.rid))
    cps = body.get("computedProperties") or []
    if not cps:
        return None, []
    engine = _engine()
    compiled = [(cp["name"], engine.compile_query(cp["query"], [])) for cp in cps]

    def augment(doc: dict[str, Any]) -> dict[str, Any]:
        for name, query in compiled:
            values = query.execute([doc])
            if values and values[0] is not engine.UNDEFINED:
                doc[name] = values[0]
        return doc

    return augment, [name for name, _ in compiled]


def _stream(
    app: App,
    coll_rid: str,
    lo: str,
    hi: str,
    point: bool,
    scan: _Scan | None = None,
    augment: Augment | None = None,
) -> Generator[dict[str, Any], None, None]:
    """Documents in (EPK, id) order, parsed one at a time (memory stays flat)."""
    with app.store.read() as conn:
        for text in feeds.scan(conn, coll_rid, lo, hi, point):
            if scan is not None:
                scan.add(text)
            doc = json.loads(text)
            yield augment(doc) if augment is not None else doc


def _no_window(compiled: Any) -> bool:
    return bool(
        not getattr(compiled, "offset", None)
        and getattr(compiled, "limit", None) is None
        and getattr(compiled, "top", None) is None
    )


def stream_order(compiled: Any) -> str | None:
    """How a query can be paged by document position, or ``None`` to evaluate it whole.

    Returns:
        ``"key"`` for queries without ORDER BY/aggregates/DISTINCT/TOP/OFFSET (scan in
        (EPK, id) order); ``"ts"`` / ``"ts_desc"`` for ``FROM c ... ORDER BY c._ts [DESC]``
        without aggregates/DISTINCT/TOP/OFFSET (scan the ``(coll_rid, ts, epk, id)`` index).
    """
    if not _no_window(compiled):
        return None
    if getattr(compiled, "streamable", False):
        return "key"
    order = getattr(compiled, "order_by", None)
    if (
        getattr(compiled, "source", None) == "container"
        and not getattr(compiled, "has_aggregates", True)
        and not getattr(compiled, "has_distinct", True)
        and order is not None
        and len(order) == 1
        and tuple(order[0][0] or ()) == ("_ts",)
    ):
        return "ts_desc" if order[0][1] else "ts"
    return None


def _stream_page(
    app: App,
    coll_rid: str,
    scope_: tuple[str, str, bool],
    compiled: Any,
    order: str,
    start: list[Any] | None,
    limit: int,
    scan: _Scan | None = None,
    augment: Augment | None = None,
    raw: bool = False,
) -> tuple[list[Any], list[Any] | None]:
    """One page of a position-pageable query.

    Args:
        app: Server state.
        coll_rid: Container RID.
        scope_: ``(lo, hi, point)`` EPK scope.
        compiled: The compiled query.
        order: ``"key"``, ``"ts"`` or ``"ts_desc"`` (see :func:`stream_order`).
        start: Resume position ``[sort key..., rows_already_sent_from_that_document]`` or None.
        limit: Page size (rows).
        scan: Counts the documents read, if given.
        augment: Adds computed properties to each document, if given.
        raw: The query is a pass-through (:func:`_passthrough`): rows are the stored JSON texts,
            neither parsed nor re-serialised.

    Returns:
        ``(rows, next_start)``; ``next_start`` is ``None`` when the scan is finished.
    """
    lo, hi, point = scope_
    width = feeds.key_width(order)
    evaluate = compiled.iter_results if order == "key" else compiled.execute
    out: list[Any] = []
    full: list[Any] | None = None  # the resume position once the page is full
    with app.store.read() as conn:
        for key, text in feeds.scan_from(conn, coll_rid, lo, hi, order, start, point):
            if scan is not None:
                scan.add(text)
            if raw:
                rows = [text]
            else:
                doc = json.loads(text)
                rows = list(evaluate([augment(doc) if augment is not None else doc]))
            if full is not None:
                if rows:  # more results follow: the page gets a continuation
                    return out, full
                continue
            skip = int(start[width]) if start is not None and key == start[:width] else 0
            rows = rows[skip:]
            room = limit - len(out)
            if len(rows) > room:
                out += rows[:room]
                return out, [*key, skip + room]
            out += rows
            if len(rows) == room:
                # Full: a continuation only if another result follows (none after the last).
                full = [*key, skip + room]
    return out, None


def run(app: App, request: Request) -> Response:
    """Run a query and return one page, with query/index metrics headers when asked for.

    ``x-ms-documentdb-populatequerymetrics: true`` adds ``x-ms-documentdb-query-metrics``
    (``key=value;...``: times, retrieved and output document counts and sizes);
    ``x-ms-cosmos-populateindexmetrics: true`` adds ``x-ms-cosmos-index-utilization`` (base64
    JSON; the partition key paths are the utilized indexes of a query scoped to one logical
    partition). Names as in azure-cosmos 4.17.1 ``http_constants.py`` and ``_utils.py``.

    Raises:
        CosmosError: 400 for a malformed body, an invalid continuation or a ``QueryError``.
    """
    started = time.perf_counter()
    scan = _Scan()
    key = container_key(request)
    if app.stats is None or key is None:
        response, info, point = _run(app, request, scan)
    else:
        with app.store.counting_steps(QUERY_STEP) as steps:
            try:
                response, info, point = _run(app, request, scan)
            finally:
                app.stats.add_query_steps(key, steps.count * QUERY_STEP)
    h = request.headers
    if h.flag("x-ms-documentdb-populatequerymetrics"):
        response.headers["x-ms-documentdb-query-metrics"] = _query_metrics(
            response, scan, time.perf_counter() - started
        )
    if h.flag("x-ms-cosmos-populateindexmetrics"):
        response.headers["x-ms-cosmos-index-utilization"] = _index_metrics(info, point)
    return response


def _query_metrics(response: Response, scan: _Scan, seconds: float) -> str:
    output = int(response.headers.get("x-ms-item-count", "0"))
    total_ms = seconds * 1000.0
    values = {
        "totalExecutionTimeInMs": f"{total_ms:.2f}",
        "queryCompileTimeInMs": "0.00",
        "queryLogicalPlanBuildTimeInMs": "0.00",
        "queryPhysicalPlanBuildTimeInMs": "0.00",
        "queryOptimizationTimeInMs": "0.00",
        "VMExecutionTimeInMs": f"{total_ms:.2f}",
        "indexLookupTimeInMs": "0.00",
        "documentLoadTimeInMs": "0.00",
        "systemFunctionExecuteTimeInMs": "0.00",
        "userFunctionExecuteTimeInMs": "0.00",
        "retrievedDocumentCount": str(scan.count),
        "retrievedDocumentSize": str(scan.size),
        "outputDocumentCount": str(output),
        "outputDocumentSize": str(len(response.body)),
        "writeOutputTimeInMs": "0.00",
        "indexUtilizationRatio": f"{(output / scan.count) if scan.count else 1.0:.2f}",
    }
    return ";".join(f"{k}={v}" for k, v in values.items())


def _index_metrics(info: ContainerInfo, point: bool) -> str:
    utilized = [
        {
            "FilterExpression": "",
            "IndexSpec": "/" + "/".join(path_segments(path)) + "/?",
            "FilterPreciseSet": True,
            "IndexPreciseSet": True,
            "IndexImpactScore": "High",
        }
        for path in (info.paths if point else [])
    ]
    value = {
        "UtilizedSingleIndexes": utilized,
        "PotentialSingleIndexes": [],
        "UtilizedCompositeIndexes": [],
        "PotentialCompositeIndexes": [],
    }
    return base64.b64encode(dumps(value).encode()).decode()


def _run(app: App, request: Request, scan: _Scan) -> tuple[Response, ContainerInfo, bool]:
    engine = _engine()
    text, params = _parse_body(request)
    limit = page_size(request)
    with app.store.read() as conn:
        info = container(conn, request)
        lo, hi, point = scope(conn, request, info)
        augment, computed_names = _computed(conn, info)
    token = request.headers.get("x-ms-continuation")
    if token and token.startswith("-RID:"):
        # The service backend's own token format (``-RID:...#RT:...``), e.g. handed over from
        # a real account: it names no state here, so the query starts from the beginning.
        token = None
    try:
        compiled = engine.compile_query(text, params)
    except engine.QueryError as exc:
        raise bad_request(str(exc)) from exc
    cross_ranges: list[tuple[str, str]] | None = None
    cross = not point and _is_cross_partition(request)
    if not point:
        lo, hi, point = _narrow_by_equality(info, compiled, lo, hi)
    if cross:
        cross_ranges = _cross_partition_ranges(app, request, info, compiled, pinned=point)
    if not token and not params and (_COUNT_ALL.match(text) or _COUNT_ALL_ITEM.match(text)):
        # Index-only: counted by SQLite without reading a document (retrievedDocumentCount 0).
        with app.store.read() as conn:
            count = feeds.count(conn, info.rid, lo, hi)
        value = str(int(count)) if _COUNT_ALL.match(text) else f'[{{"item":{int(count)}}}]'
        body = f'{{"_rid":"{info.rid}","Documents":[{value}],"_count":1}}'
        return text_response(200, body, {"x-ms-item-count": "1"}), info, point
    order = stream_order(compiled)
    if order is not None:
        response = _run_streaming(
            app,
            info.rid,
            (lo, hi, point),
            compiled,
            order,
            token,
            limit,
            scan,
            augment,
            cross_ranges,
        )
        if computed_names and compiled.is_select_star:
            response = _strip_computed(response, computed_names)
        elif computed_names and _is_star_payload(text, compiled):
            response = _strip_computed(response, computed_names, payload=True)
        return response, info, point
    offset, key = 0, None
    results: list[Any] | None = None
    if token:
        offset, key = tokens.query_cursor(token)
        results = app.query_results.get(key)
    if results is None:
        try:
            docs = _stream(app, info.rid, lo, hi, point, scan, augment)
            try:
                results = list(compiled.execute(docs))
            finally:
                docs.close()  # ends the read transaction even if TOP stopped the scan early
        except engine.QueryError as exc:
            raise bad_request(str(exc)) from exc
        if len(results) > offset + limit:
            key = app.query_results.put(results)
    page = results[offset : offset + limit]
    if computed_names and compiled.is_select_star:
        # SELECT * returns the stored document, without computed properties.
        page = [{k: v for k, v in row.items() if k not in computed_names} for row in page]
    elif computed_names and _is_star_payload(text, compiled):
        # The query plan's ORDER BY form of SELECT *: its payload is the stored document too.
        page = [_without(row, computed_names, payload=True) for row in page]
    headers = {"x-ms-item-count": str(len(page))}
    if offset + limit < len(results):
        headers["x-ms-continuation"] = tokens.query_cursor_token(offset + limit, key)
    body = f'{{"_rid":"{info.rid}","Documents":{dumps(page)},"_count":{len(page)}}}'
    return text_response(200, body, headers), info, point


_STAR_PAYLOAD = re.compile(r"\]\s+AS\s+orderByItems\s*,\s*(\w+)\s+AS\s+payload\s", re.I)


def _is_star_payload(text: str, compiled: Any) -> bool:
    """Whether a query is the ORDER BY rewrite of ``SELECT *`` (``<alias> AS payload``)."""
    match = _STAR_PAYLOAD.search(text)
    return bool(match and match.group(1) == compiled.alias)


def _narrow_by_equality(
    info: ContainerInfo, compiled: Any, lo: str, hi: str
) -> tuple[str, str, bool]:
    """Limit a query to one logical partition when WHERE pins every partition key path.

    ``c.pk = 'x'`` (top-level AND conjuncts, reported by the engine as ``equality_filters``)
    can only match documents whose EPK is that key's EPK; they are still re-checked.
    """
    filters = getattr(compiled, "equality_filters", None) or {}
    if getattr(compiled, "source", None) != "container" or not filters:
        return lo, hi, False
    comps = []
    for path in info.paths:
        value = filters.get(tuple(path_segments(path)), _MISSING)
        if value is _MISSING or isinstance(value, (dict, list)):
            return lo, hi, False
        comps.append(value)
    epk = effective_partition_key(comps, info.version)
    if lo <= epk < hi:
        return epk, epk + "0", True
    return epk, epk, False  # outside the requested scope: empty


_MISSING = object()
_COUNT_ALL = re.compile(r"^\s*SELECT\s+VALUE\s+COUNT\s*\(\s*1\s*\)\s+FROM\s+\w+\s*$", re.I)
# The query plan's per-range form of ``SELECT VALUE COUNT(1) FROM c`` (see ``query.plan``).
_COUNT_ALL_ITEM = re.compile(
    r'^\s*SELECT\s+VALUE\s+\[\s*\{\s*"item"\s*:\s*COUNT\s*\(\s*1\s*\)\s*\}\s*\]'
    r"\s+FROM\s+\w+\s*$",
    re.I,
)
_CROSS_PARTITION_DISABLED = (
    "Cross partition query is required but disabled. Please set "
    "x-ms-documentdb-query-enablecrosspartition to true, specify "
    "x-ms-documentdb-partitionkey, or revise your query to avoid this exception."
)
_NOT_SERVABLE = 1004
"""``x-ms-substatus`` of "cross partition query not servable" (azure-cosmos 4.17.1
``http_constants.SubStatusCodes.CROSS_PARTITION_QUERY_NOT_SERVABLE``): the SDK then fetches the
query plan and runs the query per partition key range itself."""


def _is_cross_partition(request: Request) -> bool:
    """A query sent to the whole container: no partition key, range id or EPK bounds."""
    h = request.headers
    return not (
        h.get("x-ms-documentdb-partitionkey") is not None
        or h.get("x-ms-documentdb-partitionkeyrangeid")
        or h.get("x-ms-start-epk") is not None
        or h.get("x-ms-end-epk") is not None
    )


def _cross_partition_ranges(
    app: App, request: Request, info: ContainerInfo, compiled: Any, pinned: bool
) -> list[tuple[str, str]] | None:
    """Check a container-wide query the way the service does; its ranges if served here.

    A container-wide query without ``x-ms-documentdb-query-enablecrosspartition: true`` is
    refused whatever the number of physical partitions (400, "Cross partition query is required
    but disabled"; Cosmos DB REST "Common request headers": the header must be true for a query
    of a partitioned container that names no partition key), unless its WHERE clause pins the
    whole partition key (``pinned``: then it reads one logical partition). A query that needs the
    client's pipeline (ORDER BY, aggregates, DISTINCT, TOP, OFFSET/LIMIT;
    :func:`cosmosdb_emulator.query.plan.needs_pipeline`) is answered 400 with sub-status 1004;
    the SDK then asks for the query plan and queries each partition key range itself
    (azure-cosmos 4.17.1 ``_execution_context/execution_dispatcher.py``
    ``_is_partitioned_execution_info``). Other queries are served here, one physical partition
    per page, an empty page for an empty partition included (Cosmos DB REST "Query Documents":
    the client follows ``x-ms-continuation`` across partitions).

    Args:
        app: Server state.
        request: The query request (headers).
        info: The container.
        compiled: The compiled query.
        pinned: Whether WHERE equalities pin the whole partition key.

    Returns:
        ``[(min_epk, max_epk), ...]`` of the physical ranges when there are several and the
        query is not pinned, else None.

    Raises:
        CosmosError: 400/1004 as described above.
    """
    from cosmosdb_emulator.query.plan import needs_pipeline

    with app.store.read() as conn:
        rngs = [(r.min_epk, r.max_epk) for r in catalog.ranges(conn, info.rid)]
    if not pinned and not request.headers.flag("x-ms-documentdb-query-enablecrosspartition"):
        raise bad_request(_CROSS_PARTITION_DISABLED)
    if needs_pipeline(compiled):
        raise bad_request(
            "The provided cross partition query can not be directly served by the gateway. "
            "The client must fetch the query plan and run it per partition key range.",
            _NOT_SERVABLE,
        )
    return rngs if len(rngs) > 1 and not pinned else None


def _range_page(
    app: App,
    coll_rid: str,
    ranges: list[tuple[str, str]],
    scope_: tuple[str, str, bool],
    compiled: Any,
    start: list[Any] | None,
    limit: int,
    scan: _Scan | None,
    augment: Augment | None,
    raw: bool = False,
) -> tuple[list[Any], list[Any] | None]:
    """A page of a container-wide ``"key"``-ordered query, taken from one physical range.

    Only documents inside ``scope_`` (narrowed by WHERE equalities) are read. The continuation
    position is the next document's ``(epk, id)``, or the next range's start once a range is
    drained, so a page never mixes two ranges.
    """
    epk = start[0] if start is not None else ranges[0][0]
    index = next((k for k, (lo, hi) in enumerate(ranges) if lo <= epk < hi), len(ranges) - 1)
    lo, hi = ranges[index]
    page: list[Any] = []
    next_start: list[Any] | None = None
    if max(lo, scope_[0]) < min(hi, scope_[1]):
        clipped = (max(lo, scope_[0]), min(hi, scope_[1]), False)
        page, next_start = _stream_page(
            app, coll_rid, clipped, compiled, "key", start, limit, scan, augment, raw
        )
    if next_start is None and index + 1 < len(ranges):
        next_start = [hi, "", 0]
    return page, next_start


def _run_streaming(
    app: App,
    coll_rid: str,
    scope_: tuple[str, str, bool],
    compiled: Any,
    order: str,
    token: str | None,
    limit: int,
    scan: _Scan | None = None,
    augment: Augment | None = None,
    cross_ranges: list[tuple[str, str]] | None = None,
) -> Response:
    """One page of a position-pageable query; with ``cross_ranges``, from one range only."""
    start: list[Any] | None = None
    if token:
        start = tokens.query_position(token, feeds.key_width(order))
    elif order == "ts" and cross_ranges is None and compiled.ts_floor is not None:
        # WHERE c._ts >= n: documents before n fail it, so the scan seeks to n.
        start = [compiled.ts_floor, "", "", 0]
    raw = augment is None and (
        (order == "key" and _passthrough(compiled))
        or (order == "ts" and cross_ranges is None and _ts_passthrough(compiled))
    )
    if cross_ranges is None:
        page, next_start = _stream_page(
            app, coll_rid, scope_, compiled, order, start, limit, scan, augment, raw
        )
    else:
        page, next_start = _range_page(
            app, coll_rid, cross_ranges, scope_, compiled, start, limit, scan, augment, raw
        )
    headers = {"x-ms-item-count": str(len(page))}
    if next_start is not None:
        headers["x-ms-continuation"] = tokens.query_position_token(next_start)
    documents = "[" + ",".join(page) + "]" if raw else dumps(page)
    body = f'{{"_rid":"{coll_rid}","Documents":{documents},"_count":{len(page)}}}'
    return text_response(200, body, headers)


def _passthrough(compiled: Any) -> bool:
    """``SELECT * FROM c`` without WHERE: each row is a stored document exactly as stored.

    Such a page is the stored JSON texts joined, as the change feed serves them, without
    parsing and re-serialising every document (SQLite holds the same compact JSON that
    ``SELECT *`` returns).
    """
    return bool(
        compiled.is_select_star
        and compiled.source == "container"
        and not compiled.has_where
        and compiled.streamable
        and _no_window(compiled)
    )


def _ts_passthrough(compiled: Any) -> bool:
    """``SELECT * FROM c WHERE c._ts >= n ORDER BY c._ts`` (the tap's INCREMENTAL query).

    Scanned in ``_ts`` order from ``n`` (:func:`_run_streaming`), every document passes the
    WHERE, so the rows are the stored JSON texts, as for :func:`_passthrough`.
    """
    return bool(
        compiled.is_select_star
        and compiled.source == "container"
        and compiled.where_is_ts_floor
        and _no_window(compiled)
    )


def query_resources(
    request: Request, texts: list[str], rid: str, key: str, partitioned: bool = False
) -> Response:
    """Run a query over metadata resources (``query_databases``, ``query_containers``), unpaged.

    With ``partitioned`` (a container's conflicts feed), a query naming no partition key needs
    ``x-ms-documentdb-query-enablecrosspartition: true`` as a document query does.

    Raises:
        CosmosError: 400 for a malformed body, a ``QueryError`` or a refused cross-partition
            query.
    """
    if (
        partitioned
        and _is_cross_partition(request)
        and not request.headers.flag("x-ms-documentdb-query-enablecrosspartition")
    ):
        raise bad_request(_CROSS_PARTITION_DISABLED)
    engine = _engine()
    text, params = _parse_body(request)
    try:
        rows = engine.run_query(text, params, [json.loads(t) for t in texts])
    except engine.QueryError as exc:
        raise bad_request(str(exc)) from exc
    return text_response(200, f'{{"_rid":"{rid}","{key}":{dumps(rows)},"_count":{len(rows)}}}')


def query_plan(app: App, request: Request) -> Response:
    """The query plan (``x-ms-cosmos-is-query-plan-request``) of a query.

    ``queryInfo`` comes from :func:`cosmosdb_emulator.query.plan.query_info` (ORDER BY, TOP,
    OFFSET/LIMIT, aggregates, DISTINCT and the per-range ``rewrittenQuery``). ``queryRanges`` is
    the whole EPK space, or the single EPK of a partition key pinned by top-level equalities
    in WHERE (``c.pk = 'x'``), as the service narrows it (field names as read by azure-cosmos
    4.17.1 ``_execution_context/query_execution_info.py``).

    Raises:
        CosmosError: 400 if the query does not compile or cannot run across partitions.
    """
    from cosmosdb_emulator.query.plan import query_info

    engine = _engine()
    text, params = _parse_body(request)
    try:
        info_ = query_info(text, params)
        compiled = engine.compile_query(text, params)
    except engine.QueryError as exc:
        raise bad_request(str(exc)) from exc
    query_range = {"min": "", "max": "FF", "isMinInclusive": True, "isMaxInclusive": False}
    with app.store.read() as conn:
        info = container(conn, request)
    lo, _, point = _narrow_by_equality(info, compiled, MIN_EPK, MAX_EPK)
    if point:
        query_range = {"min": lo, "max": lo, "isMinInclusive": True, "isMaxInclusive": True}
    plan = {
        "partitionedQueryExecutionInfoVersion": 2,
        "queryInfo": info_,
        "queryRanges": [query_range],
    }
    return text_response(200, dumps(plan))


def _strip_computed(response: Response, names: list[str], payload: bool = False) -> Response:
    """Drop computed properties from the documents of a ``SELECT *`` page.

    With ``payload``, from each row's ``payload`` (the query plan's ORDER BY form).
    """
    body = json.loads(response.body)
    body["Documents"] = [_without(row, names, payload) for row in body["Documents"]]
    response.body = dumps(body).encode("utf-8")
    return response


def _without(row: Any, names: list[str], payload: bool = False) -> Any:
    if payload:
        if isinstance(row, dict) and isinstance(row.get("payload"), dict):
            return {**row, "payload": _without(row["payload"], names)}
        return row
    if isinstance(row, dict):
        return {k: v for k, v in row.items() if k not in names}
    return row
