"""Built-in scalar system functions of the Cosmos DB query language.

Each function takes already-evaluated argument values and returns a JSON value or
``UNDEFINED``. Following the service ("System functions" pages on learn.microsoft.com, e.g.
"STARTSWITH", "ARRAY_CONTAINS", "LENGTH"), a function given an argument of the wrong type
returns ``undefined`` rather than raising. A wrong *number* of arguments is a compile-time
:class:`~cosmosdb_emulator.query.errors.QueryError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cosmosdb_emulator.query.values import UNDEFINED, deep_equal, is_number


@dataclass(frozen=True)
class Function:
    """A scalar system function.

    Attributes:
        name: Upper-case function name.
        min_args: Minimum number of arguments.
        max_args: Maximum number of arguments.
        impl: The implementation, called with the evaluated arguments.
        undefined_ok: Whether ``impl`` must see undefined arguments (type checks); otherwise an
            undefined argument makes the result undefined without calling ``impl``.
    """

    name: str
    min_args: int
    max_args: int
    impl: Callable[..., Any]
    undefined_ok: bool = False


def _is_str(*values: Any) -> bool:
    return all(type(v) is str for v in values)


def _ignore_case(args: tuple[Any, ...]) -> Any:
    """Return the optional trailing ignoreCase flag: False, True, or UNDEFINED if not a bool."""
    if len(args) < 3:
        return False
    flag = args[2]
    return flag if type(flag) is bool else UNDEFINED


def _string_predicate(test: Callable[[str, str], bool]) -> Callable[..., Any]:
    def impl(*args: Any) -> Any:
        s, sub = args[0], args[1]
        ignore = _ignore_case(args)
        if not _is_str(s, sub) or ignore is UNDEFINED:
            return UNDEFINED
        if ignore:
            return test(s.casefold(), sub.casefold())
        return test(s, sub)

    return impl


def _array_contains(arr: Any, value: Any, partial: Any = False) -> Any:
    if type(arr) is not list or type(partial) is not bool:
        return UNDEFINED
    if value is UNDEFINED:
        return False
    if partial and type(value) is dict:
        return any(
            type(item) is dict
            and all(k in item and deep_equal(item[k], v) for k, v in value.items())
            for item in arr
        )
    return any(deep_equal(item, value) for item in arr)


def _substring(s: Any, start: Any, length: Any) -> Any:
    if type(s) is not str or not is_number(start) or not is_number(length):
        return UNDEFINED
    begin = max(int(start), 0)
    return s[begin : begin + max(int(length), 0)]


def _index_of(s: Any, sub: Any, start: Any = 0) -> Any:
    if not _is_str(s, sub) or not is_number(start):
        return UNDEFINED
    return s.find(sub, max(int(start), 0))


def _str_fn(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    return lambda s: fn(s) if type(s) is str else UNDEFINED


def _num_fn(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda x: fn(x) if is_number(x) else UNDEFINED


def _round(x: Any) -> Any:
    # The service rounds half away from zero ("ROUND" page: ROUND(-6.5) = -7).
    if type(x) is int:
        return x
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def _concat(*args: Any) -> Any:
    return "".join(args) if _is_str(*args) else UNDEFINED


def _replace(s: Any, old: Any, new: Any) -> Any:
    return s.replace(old, new) if _is_str(s, old, new) else UNDEFINED


def _whole(value: float) -> Any:
    """A float result as the service writes it: integral values as integers."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _math(fn: Callable[..., float]) -> Callable[..., Any]:
    """A numeric function; non-numbers and domain errors give undefined."""

    def call(*args: Any) -> Any:
        if not all(is_number(a) for a in args):
            return UNDEFINED
        try:
            result = fn(*(float(a) for a in args))
        except (ValueError, OverflowError, ZeroDivisionError):
            return UNDEFINED
        return _whole(result) if math.isfinite(result) else UNDEFINED

    return call


def _log(x: float, base: float = math.e) -> float:
    return math.log(x, base)


_EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius


def _point(value: Any) -> tuple[float, float] | None:
    """``(longitude, latitude)`` of a GeoJSON Point, or None."""
    if type(value) is not dict or value.get("type") != "Point":
        return None
    coords = value.get("coordinates")
    if type(coords) is not list or len(coords) < 2 or not all(is_number(c) for c in coords[:2]):
        return None
    return float(coords[0]), float(coords[1])


def _st_distance(a: Any, b: Any) -> Any:
    """Distance in meters between two GeoJSON Points (great circle on a spherical Earth).

    The service measures geography distances on the WGS-84 ellipsoid; a sphere differs from it
    by at most about 0.5 %. Other GeoJSON types give undefined here.
    """
    p, q = _point(a), _point(b)
    if p is None or q is None:
        return UNDEFINED
    lon1, lat1, lon2, lat2 = map(math.radians, (*p, *q))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _type_check(*types: type) -> Callable[[Any], bool]:
    return lambda v: type(v) in types


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("IS_DEFINED", 1, 1, lambda v: v is not UNDEFINED, undefined_ok=True),
        Function("IS_NULL", 1, 1, lambda v: v is None, undefined_ok=True),
        Function("IS_STRING", 1, 1, _type_check(str), undefined_ok=True),
        Function("IS_NUMBER", 1, 1, _type_check(int, float), undefined_ok=True),
        Function("IS_BOOL", 1, 1, _type_check(bool), undefined_ok=True),
        Function("IS_ARRAY", 1, 1, _type_check(list), undefined_ok=True),
        Function("IS_OBJECT", 1, 1, _type_check(dict), undefined_ok=True),
        Function(
            "IS_PRIMITIVE",
            1,
            1,
            _type_check(type(None), bool, int, float, str),
            undefined_ok=True,
        ),
        Function("STARTSWITH", 2, 3, _string_predicate(str.startswith)),
        Function("ENDSWITH", 2, 3, _string_predicate(str.endswith)),
        Function("CONTAINS", 2, 3, _string_predicate(str.__contains__)),
        Function("ARRAY_CONTAINS", 2, 3, _array_contains, undefined_ok=True),
        Function("ARRAY_LENGTH", 1, 1, lambda a: len(a) if type(a) is list else UNDEFINED),
        Function("LENGTH", 1, 1, _str_fn(len)),
        Function("LOWER", 1, 1, _str_fn(str.lower)),
        Function("UPPER", 1, 1, _str_fn(str.upper)),
        Function("TRIM", 1, 1, _str_fn(str.strip)),
        Function("LTRIM", 1, 1, _str_fn(str.lstrip)),
        Function("RTRIM", 1, 1, _str_fn(str.rstrip)),
        Function("CONCAT", 2, 64, _concat),
        Function("SUBSTRING", 3, 3, _substring),
        Function("INDEX_OF", 2, 3, _index_of),
        Function("REPLACE", 3, 3, _replace),
        Function("ABS", 1, 1, _num_fn(abs)),
        Function("FLOOR", 1, 1, _num_fn(math.floor)),
        Function("CEILING", 1, 1, _num_fn(math.ceil)),
        Function("ROUND", 1, 1, _num_fn(_round)),
        Function("POWER", 2, 2, _math(math.pow)),
        Function("SQRT", 1, 1, _math(math.sqrt)),
        Function("SQUARE", 1, 1, _math(lambda x: x * x)),
        Function("EXP", 1, 1, _math(math.exp)),
        Function("LOG", 1, 2, _math(_log)),
        Function("LOG10", 1, 1, _math(math.log10)),
        Function("SIGN", 1, 1, _math(lambda x: float((x > 0) - (x < 0)))),
        Function("TRUNC", 1, 1, _math(lambda x: float(math.trunc(x)))),
        Function("PI", 0, 0, lambda: math.pi),
        Function("ST_DISTANCE", 2, 2, _st_distance),
    )
}
"""Scalar functions by upper-case name. Anything else is ``Unsupported construct: function X``."""

AGGREGATES: frozenset[str] = frozenset({"COUNT", "SUM", "AVG", "MIN", "MAX"})
"""Aggregate system functions evaluated over the whole result set (no GROUP BY)."""
