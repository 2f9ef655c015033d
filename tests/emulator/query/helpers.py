"""Shared helpers for the query-engine tests."""

from __future__ import annotations

from typing import Any

from cosmosdb_emulator.query import run_query

UNDEF = object()
"""Expected-value marker: the expression is ``undefined`` (SELECT VALUE omits the row)."""

DOC: dict[str, Any] = {
    "id": "d1",
    "pk": "p1",
    "n": 5,
    "f": 2.5,
    "neg": -7,
    "s": "Hello",
    "t": True,
    "z": None,
    "arr": [1, "two", {"k": 3}],
    "obj": {"a": {"b": 7}, "x": "y"},
    "value": 42,
    "_ts": 1700000000,
    "_rid": "rid1",
}


def value_of(expr: str, doc: dict[str, Any] | None = None, params: list[dict] | None = None) -> Any:
    """Evaluate ``SELECT VALUE <expr> FROM c`` over one document; UNDEF if the row is omitted."""
    rows = run_query(f"SELECT VALUE {expr} FROM c", params, [DOC if doc is None else doc])
    assert len(rows) <= 1
    return rows[0] if rows else UNDEF


def ids(query: str, docs: list[dict[str, Any]], params: list[dict] | None = None) -> list[Any]:
    """Run a query and return the ``id`` of each result row (rows must be objects)."""
    return [row["id"] for row in run_query(query, params, docs)]


def same(actual: Any, expected: Any) -> bool:
    """Type-strict equality (``True`` is not ``1``; ``2`` and ``2.0`` are both numbers)."""
    if expected is UNDEF or actual is UNDEF:
        return actual is expected
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(same(actual[k], v) for k, v in expected.items())
        )
    return actual == expected
