"""Aggregates without GROUP BY: COUNT, SUM, AVG, MIN, MAX.

Reference: learn.microsoft.com "COUNT", "SUM", "AVG", "MIN", "MAX" (NoSQL query) pages:
undefined arguments are skipped; SUM/AVG of any string, boolean or null make the result
undefined; MIN/MAX compare across types null < boolean < number < string. A non-VALUE
aggregate query returns one object (``$1`` when unaliased) with undefined results omitted;
``SELECT VALUE`` of an undefined aggregate returns no row.
"""

from __future__ import annotations

import pytest

from cosmosdb_emulator.query import QueryError, run_query

NUMS = [{"id": "1", "x": 1}, {"id": "2", "x": 2}, {"id": "3", "x": 3.5}, {"id": "4"}]
INTS = [{"x": 1}, {"x": 3}, {"y": 100}]
MIXED = [{"x": 1}, {"x": "a"}, {"x": None}, {"x": True}, {}]
NON_NUMERIC = [{"x": 1}, {"x": "2"}]


@pytest.mark.parametrize(
    ("query", "docs", "expected"),
    [
        ("SELECT VALUE COUNT(1) FROM c", NUMS, [4]),
        ("SELECT VALUE COUNT(c.x) FROM c", NUMS, [3]),  # undefined not counted
        ("SELECT VALUE COUNT(c.x) FROM c", MIXED, [4]),  # null/bool/str are defined
        ("SELECT VALUE SUM(c.x) FROM c", NUMS, [6.5]),
        ("SELECT VALUE AVG(c.x) FROM c", NUMS, [6.5 / 3]),
        ("SELECT VALUE AVG(c.x) FROM c", INTS, [2]),
        ("SELECT VALUE MIN(c.x) FROM c", NUMS, [1]),
        ("SELECT VALUE MAX(c.x) FROM c", NUMS, [3.5]),
        ("SELECT VALUE SUM(c.x) FROM c", NON_NUMERIC, []),  # undefined -> row omitted
        ("SELECT VALUE AVG(c.x) FROM c", NON_NUMERIC, []),
        ("SELECT VALUE SUM(c.x) FROM c", MIXED, []),
        ("SELECT VALUE MIN(c.x) FROM c", MIXED, [None]),
        ("SELECT VALUE MAX(c.x) FROM c", MIXED, ["a"]),
        ("SELECT VALUE MAX(c.x) FROM c WHERE IS_BOOL(c.x) OR IS_NUMBER(c.x)", MIXED, [1]),
        ("SELECT VALUE MIN(c.x) FROM c WHERE IS_BOOL(c.x) OR IS_NUMBER(c.x)", MIXED, [True]),
        ("SELECT VALUE MAX(c.x) FROM c", [{"x": [1]}, {"x": 2}], []),  # arrays: undefined
        ("SELECT VALUE COUNT(1) FROM c", [], [0]),
        ("SELECT VALUE SUM(c.x) FROM c", [], [0]),
        ("SELECT VALUE AVG(c.x) FROM c", [], []),
        ("SELECT VALUE MIN(c.x) FROM c", [], []),
        ("SELECT VALUE MAX(c.missing) FROM c", NUMS, []),
        ("SELECT VALUE COUNT(1) FROM c WHERE c.x > 1", NUMS, [2]),
        ("SELECT VALUE COUNT(1) FROM c WHERE c.x = 'nothing'", NUMS, [0]),
        ("SELECT COUNT(1) AS n FROM c", NUMS, [{"n": 4}]),
        ("SELECT COUNT(1) FROM c", NUMS, [{"$1": 4}]),
        ("SELECT COUNT(1) FROM c", [], [{"$1": 0}]),
        (
            "SELECT COUNT(1) AS n, SUM(c.x) AS s, MIN(c.x), MAX(c.x) FROM c",
            NUMS,
            [{"n": 4, "s": 6.5, "$1": 1, "$2": 3.5}],
        ),
        ("SELECT SUM(c.x) AS s, COUNT(c.x) AS n FROM c", NON_NUMERIC, [{"n": 2}]),
        ("SELECT MAX(c.x) AS m FROM c", [], [{}]),
        ("select value count(1) from c", NUMS, [4]),
        ("SELECT VALUE COUNT(1) + 1 FROM c", NUMS, [5]),
        ("SELECT VALUE {n: COUNT(1), s: SUM(c.x)} FROM c", NUMS, [{"n": 4, "s": 6.5}]),
        ("SELECT VALUE SUM(c.x * 2) FROM c", NUMS, [13.0]),
        ("SELECT VALUE COUNT(t) FROM t IN c.tags", [{"tags": [1, 2]}, {"tags": [3]}, {}], [3]),
        ("SELECT VALUE COUNT(1) FROM c WHERE c.x >= @lo", NUMS, [2]),
        ("SELECT TOP 0 VALUE COUNT(1) FROM c", NUMS, []),
    ],
)
def test_aggregates(query: str, docs: list, expected: list) -> None:
    assert run_query(query, [{"name": "@lo", "value": 2}], docs) == expected


def test_integer_average_stays_int_and_sum_of_ints_is_int() -> None:
    assert type(run_query("SELECT VALUE AVG(c.x) FROM c", None, INTS)[0]) is int
    assert type(run_query("SELECT VALUE SUM(c.x) FROM c", None, INTS)[0]) is int


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT c.id, COUNT(1) FROM c", "GROUP BY"),
        ("SELECT VALUE COUNT(1) + c.x FROM c", "inside an aggregate"),
        ("SELECT VALUE COUNT(MAX(c.x)) FROM c", "nested"),
        ("SELECT VALUE COUNT(c.a, c.b) FROM c", "COUNT"),
        ("SELECT * FROM c ORDER BY COUNT(1)", "COUNT"),
    ],
)
def test_aggregate_errors(query: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        run_query(query, None, NUMS)
    assert message in str(info.value)


def test_order_by_next_to_an_aggregate_orders_nothing() -> None:
    # Accepted by the service (azure-cosmos 4.17.1 tests/test_aggregate.py runs such queries).
    assert run_query("SELECT VALUE COUNT(1) FROM c ORDER BY c.x", None, NUMS) == [4]
    assert run_query("SELECT VALUE SUM(c.x) FROM c ORDER BY c.id DESC", None, NUMS) == [6.5]
