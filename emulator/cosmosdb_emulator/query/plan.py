"""The partitioned query plan of a query: what a client must do to run it across partitions.

A query that spans physical partitions and needs more than concatenating per-partition results
(ORDER BY, aggregates, DISTINCT, TOP, OFFSET/LIMIT) is answered by the service with
400 / sub-status 1004; the SDK then asks for the query plan (``x-ms-cosmos-is-query-plan-request``)
and runs the plan's ``rewrittenQuery`` on every overlapping partition key range, merging the
results itself (azure-cosmos 4.17.1 ``_execution_context/execution_dispatcher.py``,
``multi_execution_aggregator.py``, ``endpoint_component.py``).

The ``queryInfo`` fields are those the SDKs read (azure-cosmos 4.17.1
``_execution_context/query_execution_info.py``): ``distinctType`` (``None``/``Ordered``/
``Unordered``), ``top``, ``offset``, ``limit``, ``orderBy`` (``Ascending``/``Descending``),
``orderByExpressions``, ``groupByExpressions``, ``aggregates`` (``Count``, ``Sum``, ``Average``,
``Min``, ``Max``), ``hasSelectValue``, ``rewrittenQuery`` and ``hasNonStreamingOrderBy``.

The rewritten query has the shapes the SDKs consume per partition:

* ORDER BY: ``SELECT c._rid, [{"item": <key1>}, ...] AS orderByItems, <row> AS payload FROM ...
  WHERE (<filter>) AND ({documentdb-formattableorderbyquery-filter}) ORDER BY ...`` (the SDK
  merges the ranges by ``orderByItems`` and returns ``payload``; it replaces the placeholder
  with ``true``);
* ``SELECT VALUE <AGG>(x)``: ``SELECT VALUE [{"item": <AGG>(x)}] ...``, AVG as
  ``{"item": {"sum": SUM(x), "count": COUNT(x)}}`` (the SDK folds the partial results);
* OFFSET o LIMIT l: each range returns its first ``o + l`` rows (``OFFSET 0 LIMIT o+l``); the
  SDK skips and takes globally.

An empty ``rewrittenQuery`` means "send the query as it is".
"""

from __future__ import annotations

import json
from typing import Any

from lark import Token, Tree

from cosmosdb_emulator.query import compile_query
from cosmosdb_emulator.query.errors import QueryError
from cosmosdb_emulator.query.functions import AGGREGATES
from cosmosdb_emulator.query.parser import parse

ORDER_BY_FILTER = "{documentdb-formattableorderbyquery-filter}"
"""Placeholder the service puts in an ORDER BY rewritten query for the client's resume filter."""

_PLAN_AGGREGATES = {
    "COUNT": "Count",
    "SUM": "Sum",
    "AVG": "Average",
    "MIN": "Min",
    "MAX": "Max",
}


def _child(tree: Tree, data: str) -> Tree | None:
    for child in tree.children:
        if isinstance(child, Tree) and child.data == data:
            return child
    return None


def _span(text: str, node: Any) -> str:
    if isinstance(node, Token):
        return text[node.start_pos : node.end_pos]
    return text[node.meta.start_pos : node.meta.end_pos]


def needs_pipeline(compiled: Any) -> bool:
    """Whether a cross-partition query needs the client's pipeline (not plain concatenation).

    Args:
        compiled: A :class:`~cosmosdb_emulator.query.CompiledQuery`.

    Returns:
        True with ORDER BY, aggregates, DISTINCT, TOP or OFFSET/LIMIT.
    """
    return bool(
        compiled.has_order_by
        or compiled.has_aggregates
        or compiled.has_distinct
        or compiled.top is not None
        or compiled.offset is not None
        or compiled.limit is not None
    )


def query_info(query: str, parameters: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The ``queryInfo`` object of the query plan for a query.

    Args:
        query: Cosmos DB SQL text.
        parameters: ``[{"name": "@k", "value": 1}, ...]`` or None (TOP/OFFSET/LIMIT may be
            parameters; the plan carries their values).

    Returns:
        The ``queryInfo`` dict (see the module docstring).

    Raises:
        QueryError: The query does not compile, or it composes an aggregate with other
            expressions in ``SELECT VALUE`` (the service rejects it across partitions).
    """
    compiled = compile_query(query, parameters)
    tree = parse(query)
    distinct = "None"
    if compiled.has_distinct:
        distinct = "Ordered" if compiled.has_order_by else "Unordered"
    order_tree = _child(tree, "order_by_clause")
    order_items = [c for c in order_tree.children[2:] if isinstance(c, Tree)] if order_tree else []
    aggregates = [_PLAN_AGGREGATES[name] for name in compiled.aggregate_names]
    info: dict[str, Any] = {
        "distinctType": distinct,
        "top": compiled.top,
        "offset": compiled.offset,
        "limit": compiled.limit,
        "orderBy": []
        if aggregates
        else ["Descending" if d else "Ascending" for _, d in compiled.order_by],
        "orderByExpressions": []
        if aggregates
        else [_span(query, i.children[0]) for i in order_items],
        "groupByExpressions": [],
        "groupByAliases": [],
        "aggregates": aggregates,
        "groupByAliasToAggregateType": {},
        "rewrittenQuery": _rewrite(query, tree, compiled, order_items),
        "hasSelectValue": bool(compiled.is_value),
        "dCountInfo": None,
        "hasNonStreamingOrderBy": False,
    }
    return info


def _tail(query: str, tree: Tree, where_extra: str | None) -> str:
    """`` FROM ... WHERE ...`` of the query, with ``where_extra`` ANDed to the filter."""
    parts = []
    from_clause = _child(tree, "from_clause")
    if from_clause is not None:
        parts.append(_span(query, from_clause))
    where = _child(tree, "where_clause")
    condition = _span(query, where.children[1]) if where is not None else None
    if where_extra is not None:
        parts.append(f"WHERE ({condition or 'true'}) AND ({where_extra})")
    elif condition is not None:
        parts.append(f"WHERE {condition}")
    return " ".join(parts)


def _rewrite(query: str, tree: Tree, compiled: Any, order_items: list[Tree]) -> str:
    select = _child(tree, "select_clause")
    assert select is not None
    selection = select.children[-1]
    assert isinstance(selection, Tree)
    if compiled.has_aggregates:
        return _rewrite_aggregate(query, tree, compiled, selection)
    window = ""
    if compiled.offset is not None and compiled.limit is not None and not compiled.has_distinct:
        window = f" OFFSET 0 LIMIT {compiled.offset + compiled.limit}"
    if order_items:
        return _rewrite_order_by(query, tree, compiled, selection, order_items, window)
    offset_limit = _child(tree, "offset_limit_clause")
    if offset_limit is None:
        return ""
    start, end = offset_limit.meta.start_pos, offset_limit.meta.end_pos
    return (query[:start].rstrip() + window + " " + query[end:].lstrip()).strip()


def _rewrite_aggregate(query: str, tree: Tree, compiled: Any, selection: Tree) -> str:
    if not compiled.is_value:
        return ""  # the SDK refuses non-VALUE aggregates across partitions itself
    expr = selection.children[1]
    name = str(expr.children[0]).upper() if isinstance(expr, Tree) else ""
    if not (isinstance(expr, Tree) and expr.data == "func_call" and name in AGGREGATES):
        raise QueryError(
            "Cross partition query only supports 'VALUE <AggregateFunc>' for aggregates"
        )
    args = expr.children[1]
    arg_text = _span(query, args) if args is not None else ""
    if name == "AVG":
        item = f'{{"sum": SUM({arg_text}), "count": COUNT({arg_text})}}'
    else:
        item = f"{name}({arg_text})"
    return f'SELECT VALUE [{{"item": {item}}}] {_tail(query, tree, None)}'.rstrip()


def _rewrite_order_by(
    query: str,
    tree: Tree,
    compiled: Any,
    selection: Tree,
    order_items: list[Tree],
    window: str,
) -> str:
    alias = compiled.alias or "c"
    if selection.data == "select_star":
        payload = alias
    elif selection.data == "select_value":
        payload = _span(query, selection.children[1])
    else:
        fields = []
        items = [c for c in selection.children if isinstance(c, Tree)]
        for name, item in zip(compiled.item_names, items, strict=True):
            fields.append(f"{json.dumps(name)}: {_span(query, item.children[0])}")
        payload = "{" + ", ".join(fields) + "}"
    keys = ", ".join(f'{{"item": {_span(query, i.children[0])}}}' for i in order_items)
    head = "SELECT "
    if compiled.has_distinct:
        head += "DISTINCT "
    elif compiled.top is not None:
        head += f"TOP {compiled.top} "
    if not compiled.has_distinct:
        head += f"{alias}._rid, "
    order_text = ", ".join(_span(query, i) for i in order_items)
    return (
        f"{head}[{keys}] AS orderByItems, {payload} AS payload "
        f"{_tail(query, tree, ORDER_BY_FILTER)} ORDER BY {order_text}{window}"
    )


__all__ = ["ORDER_BY_FILTER", "needs_pipeline", "query_info"]
