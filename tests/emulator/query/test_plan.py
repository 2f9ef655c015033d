"""query_info: the query plan's queryInfo, and that its rewritten queries run per range.

The rewritten queries are executed with the engine on a "range" of documents and folded the
way azure-cosmos 4.17.1 folds them (``endpoint_component.py``), against results computed with
plain Python.
"""

from __future__ import annotations

import pytest

from cosmosdb_emulator.query import QueryError, compile_query, run_query
from cosmosdb_emulator.query.plan import ORDER_BY_FILTER, needs_pipeline, query_info

RANGE_A = [{"id": "1", "pk": "a", "n": 5}, {"id": "2", "pk": "a", "n": 1}]
RANGE_B = [{"id": "3", "pk": "b", "n": 3}, {"id": "4", "pk": "b"}]


def _per_range(info: dict, params: list | None = None) -> list[list]:
    query = info["rewrittenQuery"].replace(ORDER_BY_FILTER, "true")
    return [run_query(query, params, docs) for docs in (RANGE_A, RANGE_B)]


def test_plain_query_needs_no_pipeline_nor_rewrite() -> None:
    assert not needs_pipeline(compile_query("SELECT * FROM c WHERE c.n > 1"))
    info = query_info("SELECT * FROM c WHERE c.n > 1", None)
    assert info["rewrittenQuery"] == ""
    assert (info["orderBy"], info["aggregates"], info["distinctType"]) == ([], [], "None")


def test_order_by_rows_carry_sort_keys_and_payload() -> None:
    info = query_info("SELECT c.id FROM c WHERE c.n >= 1 ORDER BY c.n DESC", None)
    assert info["orderBy"] == ["Descending"]
    assert info["orderByExpressions"] == ["c.n"]
    rows = [row for page in _per_range(info) for row in page]
    merged = sorted(rows, key=lambda r: -r["orderByItems"][0]["item"])
    assert [r["payload"] for r in merged] == [{"id": "1"}, {"id": "3"}, {"id": "2"}]


def test_offset_limit_becomes_a_per_range_limit() -> None:
    info = query_info("SELECT * FROM c OFFSET 1 LIMIT 2", None)
    assert (info["offset"], info["limit"]) == (1, 2)
    assert all(len(page) <= 3 for page in _per_range(info))
    assert "OFFSET 0 LIMIT 3" in info["rewrittenQuery"]


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [("COUNT(c.n)", 3), ("SUM(c.n)", 9), ("MAX(c.n)", 5), ("MIN(c.n)", 1)],
)
def test_value_aggregate_partials_fold_to_the_whole(aggregate: str, expected: int) -> None:
    info = query_info(f"SELECT VALUE {aggregate} FROM c", None)
    assert info["hasSelectValue"] is True
    partials = [item["item"] for page in _per_range(info) for item in page[0]]
    name = info["aggregates"][0]
    folded = {"Count": sum, "Sum": sum, "Max": max, "Min": min}[name](partials)
    assert folded == expected


def test_average_partials_are_sum_and_count() -> None:
    info = query_info("SELECT VALUE AVG(c.n) FROM c", None)
    assert info["aggregates"] == ["Average"]
    partials = [item["item"] for page in _per_range(info) for item in page[0]]
    total = sum(p["sum"] for p in partials)
    count = sum(p["count"] for p in partials)
    assert total / count == 3


def test_composed_value_aggregate_is_refused() -> None:
    with pytest.raises(QueryError, match="VALUE <AggregateFunc>"):
        query_info("SELECT VALUE COUNT(1) + 5 FROM c", None)


def test_top_and_distinct_are_reported() -> None:
    info = query_info("SELECT DISTINCT TOP @t VALUE c.pk FROM c", [{"name": "@t", "value": 4}])
    assert (info["top"], info["distinctType"]) == (4, "Unordered")
    ordered = query_info("SELECT DISTINCT VALUE c.pk FROM c ORDER BY c.pk", None)
    assert ordered["distinctType"] == "Ordered"
