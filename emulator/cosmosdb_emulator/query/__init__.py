"""Cosmos DB for NoSQL SQL query engine for the local emulator (pure Python, lark-parsed).

Public interface used by the emulator's HTTP layer::

    from cosmosdb_emulator.query import run_query, compile_query, QueryError

    rows = run_query("SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts",
                     [{"name": "@ts", "value": 1700000000}], documents)

    compiled = compile_query(query, parameters)   # cached on (text, parameters)
    compiled.has_order_by, compiled.has_aggregates, compiled.streamable, compiled.top, ...
    compiled.filter(doc) -> bool                  # FROM + WHERE only
    compiled.execute(documents) -> list           # full result list; the server pages it

Supported: SELECT * / VALUE / projection lists (aliases, object and array literals), DISTINCT,
TOP, FROM with any alias (``FROM root r``, ``FROM c.sub``, ``FROM x IN c.arr``), WHERE with
comparisons, AND/OR/NOT, arithmetic, ``||``, IN, BETWEEN, LIKE, ``?:``, ``??``, the scalar
functions in :mod:`cosmosdb_emulator.query.functions`, ORDER BY (multiple keys, ASC/DESC),
OFFSET/LIMIT, and COUNT/SUM/AVG/MIN/MAX without GROUP BY. JOIN, GROUP BY, subqueries, UDFs,
bitwise operators and other functions raise :class:`QueryError` ("Unsupported construct: X").
Semantics follow learn.microsoft.com "Azure Cosmos DB for NoSQL query"; see the module
docstrings of :mod:`.values`, :mod:`.expressions`, :mod:`.aggregates` and :mod:`.compiler`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from cosmosdb_emulator.query.compiler import CompiledQuery
from cosmosdb_emulator.query.errors import QueryError
from cosmosdb_emulator.query.parser import parse
from cosmosdb_emulator.query.values import UNDEFINED

__all__ = ["UNDEFINED", "CompiledQuery", "QueryError", "compile_query", "run_query"]


def _parameter_map(parameters: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Validate Cosmos-style parameters and map names to values.

    Args:
        parameters: ``[{"name": "@k", "value": 1}, ...]`` as sent in the query body
            (Cosmos REST "Query Documents": ``parameters`` array), or None.

    Returns:
        ``{"@k": 1, ...}``; an entry without ``"value"`` maps to ``UNDEFINED``.

    Raises:
        QueryError: When the list or an entry is malformed.
    """
    result: dict[str, Any] = {}
    if not parameters:
        return result
    if not isinstance(parameters, list):
        raise QueryError("Query parameters must be a list of {name, value} objects")
    for i, param in enumerate(parameters):
        name = param.get("name") if isinstance(param, dict) else None
        if not isinstance(name, str) or not name.startswith("@") or len(name) < 2:
            raise QueryError(
                f"Query parameter at index {i} needs a 'name' starting with '@', got {name!r}"
            )
        result[name] = param.get("value", UNDEFINED)
    return result


@functools.lru_cache(maxsize=256)
def _compile_cached(query: str, frozen_parameters: str) -> CompiledQuery:
    return CompiledQuery(query, parse(query), _parameter_map(json.loads(frozen_parameters)))


def compile_query(query: str, parameters: list[dict[str, Any]] | None = None) -> CompiledQuery:
    """Parse and compile a query once; repeated calls with the same text and values hit a cache.

    Args:
        query: Cosmos DB SQL text.
        parameters: ``[{"name": "@k", "value": <JSON value>}, ...]`` or None.

    Returns:
        A thread-safe, reusable :class:`CompiledQuery`.

    Raises:
        QueryError: Syntax error, unsupported construct (named in the message), undefined
            parameter, or malformed parameters.
    """
    if not isinstance(query, str):
        raise QueryError("The query text must be a string")
    try:
        frozen = json.dumps(parameters or [], sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        # Not JSON (only possible for in-process callers): compile without caching.
        return CompiledQuery(query, parse(query), _parameter_map(parameters))
    return _compile_cached(query, frozen)


def run_query(
    query: str,
    parameters: list[dict[str, Any]] | None,
    documents: Iterable[dict[str, Any]],
) -> list[Any]:
    """Run a query over documents: :func:`compile_query` then :meth:`CompiledQuery.execute`.

    Args:
        query: Cosmos DB SQL text, e.g. ``"SELECT VALUE COUNT(1) FROM c"``.
        parameters: ``[{"name": "@k", "value": 1}, ...]`` or None.
        documents: Stored documents (dicts with system properties such as ``_ts``, ``_rid``)
            in a stable order.

    Returns:
        The full list of result rows (JSON values). ``SELECT *`` rows are the input dicts.

    Raises:
        QueryError: As for :func:`compile_query`; the HTTP layer answers 400 BadRequest.
    """
    return compile_query(query, parameters).execute(documents)
