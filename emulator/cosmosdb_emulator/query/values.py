"""JSON value model of the Cosmos DB query language: ``undefined``, type ranks and comparisons.

Semantics follow learn.microsoft.com "Azure Cosmos DB for NoSQL query" pages:

* "Equality and comparison operators": comparing values of different types, or anything with
  ``undefined``, yields ``undefined``; ``null = null`` is ``true``; objects and arrays compare
  equal by deep structural equality.
* "ORDER BY": items whose sort property is missing are returned (service change of 2022) and
  sort lowest; the type order is undefined < null < boolean < number < string < array < object,
  the same ranks the SDK merges cross-partition results with
  (``azure/cosmos/_execution_context/document_producer.py:_OrderByHelper``). The service orders
  two arrays or two objects by a hash (azure-cosmos-dotnet-v3 PR #853); the emulator uses a
  canonical JSON text instead, which is deterministic.

Python's ``bool`` is a subclass of ``int``; every type test here uses ``type(v) is ...`` so
``true`` is never treated as the number 1.
"""

from __future__ import annotations

import json
from typing import Any, Final


class _Undefined:
    """Singleton for the query language's ``undefined`` (a missing property)."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final[Any] = _Undefined()
"""The ``undefined`` value. Never appears in results: undefined keys and rows are omitted."""

# Type ranks used by ORDER BY, MIN/MAX and comparisons.
RANK_UNDEFINED: Final = 0
RANK_NULL: Final = 1
RANK_BOOL: Final = 2
RANK_NUMBER: Final = 3
RANK_STRING: Final = 4
RANK_ARRAY: Final = 5
RANK_OBJECT: Final = 6

_RANKS: Final[dict[type, int]] = {
    type(None): RANK_NULL,
    bool: RANK_BOOL,
    int: RANK_NUMBER,
    float: RANK_NUMBER,
    str: RANK_STRING,
    list: RANK_ARRAY,
    tuple: RANK_ARRAY,
    dict: RANK_OBJECT,
    _Undefined: RANK_UNDEFINED,
}

NUMBER_TYPES: Final = (int, float)


def rank(value: Any) -> int:
    """Return the type rank of a JSON value (see module docstring for the order).

    Args:
        value: A JSON value (``None``, bool, int, float, str, list, dict) or ``UNDEFINED``.

    Returns:
        0 (undefined) .. 6 (object). Unknown Python types rank as objects.
    """
    return _RANKS.get(type(value), RANK_OBJECT)


def is_number(value: Any) -> bool:
    """Return whether ``value`` is a JSON number (``bool`` excluded)."""
    t = type(value)
    return t is int or t is float


def deep_equal(a: Any, b: Any) -> bool:
    """Type-strict structural equality (``1 = 1.0`` but ``1 != true``, ``[1] != [true]``).

    Args:
        a: A defined JSON value.
        b: A defined JSON value.

    Returns:
        Whether both values have the same type rank and equal contents.
    """
    ra = rank(a)
    if ra != rank(b):
        return False
    if ra == RANK_ARRAY:
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if ra == RANK_OBJECT:
        return a.keys() == b.keys() and all(deep_equal(v, b[k]) for k, v in a.items())
    return bool(a == b)


def equals(a: Any, b: Any) -> Any:
    """The ``=`` operator: ``true``/``false``, or ``UNDEFINED`` for undefined or mixed types.

    Args:
        a: Left operand.
        b: Right operand.

    Returns:
        ``True``, ``False`` or ``UNDEFINED``.
    """
    ra = rank(a)
    if ra == RANK_UNDEFINED or ra != rank(b):
        return UNDEFINED
    return deep_equal(a, b)


def order_compare(a: Any, b: Any) -> Any:
    """Three-way comparison for ``<``, ``<=``, ``>``, ``>=`` on values of one scalar type.

    Args:
        a: Left operand.
        b: Right operand.

    Returns:
        -1, 0 or 1, or ``UNDEFINED`` when either side is undefined, the types differ, or the
        type is array/object (the service does not range-compare those).
    """
    ra = rank(a)
    if ra == RANK_UNDEFINED or ra != rank(b) or ra >= RANK_ARRAY:
        return UNDEFINED
    if ra == RANK_NULL:
        return 0
    return (a > b) - (a < b)


def canonical(value: Any) -> str:
    """Canonical JSON text of a value (sorted keys), used for DISTINCT and array/object order.

    Args:
        value: A defined JSON value.

    Returns:
        A string that is equal for deep-equal values; ``1`` and ``1.0`` both map to ``1``.
    """
    return json.dumps(_normalize(value), sort_keys=True, separators=(",", ":"))


def _normalize(value: Any) -> Any:
    t = type(value)
    if t is float and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if t is list or t is tuple:
        return [_normalize(v) for v in value]
    if t is dict:
        return {k: _normalize(v) for k, v in value.items()}
    return value


def sort_key(value: Any) -> tuple[int, Any]:
    """Key for Python's sort implementing the Cosmos ORDER BY type order.

    Args:
        value: Any JSON value or ``UNDEFINED``.

    Returns:
        ``(rank, comparable)``; values of one rank compare by their natural order (numbers
        numerically, strings by code point, false < true), arrays/objects by canonical text.
    """
    r = rank(value)
    if r in (RANK_NUMBER, RANK_STRING):
        return (r, value)
    if r == RANK_BOOL:
        return (r, 1 if value else 0)
    if r >= RANK_ARRAY:
        return (r, canonical(value))
    return (r, 0)


def distinct_key(value: Any) -> Any:
    """Hashable key under which deep-equal values (with type strictness) collide.

    Args:
        value: A JSON value.

    Returns:
        A hashable key; scalars map to ``(rank, value)``, containers to their canonical text.
    """
    r = rank(value)
    if r >= RANK_ARRAY:
        return (r, canonical(value))
    return (r, value)
