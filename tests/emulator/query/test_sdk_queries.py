"""Queries through the unmodified azure-cosmos SDK against the running emulator (HTTP).

Covers cross-partition queries (ORDER BY, aggregates, DISTINCT, TOP, OFFSET/LIMIT run by the
SDK's own pipeline from the emulator's query plan; plain ones paged a range at a time), the
service's refusals (no cross-partition header, non-VALUE aggregates), ``partition_key=``-scoped
queries, parameters, paging with ``max_item_count`` and the 400 answer to an unsupported
construct. The container has 4
physical partitions (the session ``cosmosdb_emulator`` fixture, ``Emulator(partitions=4)``).
Expected results are computed from the inserted items with plain Python, not from the engine.
"""

from __future__ import annotations

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError

try:
    from cosmosdb_emulator import Emulator  # noqa: F401 - presence check only
except ImportError:  # pragma: no cover - only while the server package is missing
    pytest.skip("cosmosdb_emulator.Emulator is not importable yet", allow_module_level=True)

PKS = [f"p{i}" for i in range(8)]
ITEMS = [
    {
        "id": f"item{i:02d}",
        "pk": PKS[i % len(PKS)],
        "n": (i * 7) % 23,
        "kind": "even" if i % 2 == 0 else "odd",
        **({"opt": i} if i % 5 == 0 else {}),
    }
    for i in range(40)
]


@pytest.fixture(scope="module")
def items_container(cosmosdb_emulator):
    client = cosmosdb_emulator.client()
    db = client.create_database("query_sdk_tests")
    container = db.create_container("items", PartitionKey(path="/pk"))
    for item in ITEMS:
        container.create_item(item)
    yield container
    client.delete_database(db.id)


def _ids(items) -> list[str]:
    return [item["id"] for item in items]


def test_cross_partition_query_with_order_by_and_parameters(items_container) -> None:
    assert len(list(items_container.read_feed_ranges())) == 4
    rows = list(
        items_container.query_items(
            "SELECT * FROM c WHERE c.n >= @n ORDER BY c.n DESC, c.id",
            parameters=[{"name": "@n", "value": 10}],
            enable_cross_partition_query=True,
        )
    )
    expected = sorted((i for i in ITEMS if i["n"] >= 10), key=lambda i: (-i["n"], i["id"]))
    assert _ids(rows) == _ids(expected)
    assert {"_ts", "_rid", "_etag"} <= rows[0].keys()  # SELECT * returns stored documents


def test_partition_key_scoped_query(items_container) -> None:
    rows = list(
        items_container.query_items(
            "SELECT VALUE c.id FROM c WHERE c.kind = @kind",
            parameters=[{"name": "@kind", "value": "even"}],
            partition_key="p2",
        )
    )
    expected = [i["id"] for i in ITEMS if i["pk"] == "p2" and i["kind"] == "even"]
    assert sorted(rows) == sorted(expected)
    assert rows  # p2 holds items 2, 10, 18, 26, 34: all even


def test_paging_with_max_item_count(items_container) -> None:
    pager = items_container.query_items(
        "SELECT c.id, c.opt FROM c ORDER BY c.id",
        enable_cross_partition_query=True,
        max_item_count=7,
    ).by_page()
    pages = [list(page) for page in pager]
    assert all(len(page) <= 7 for page in pages)
    assert len(pages) == 6  # 40 rows in pages of 7
    flat = [row for page in pages for row in page]
    assert _ids(flat) == sorted(i["id"] for i in ITEMS)
    # undefined projections are omitted: only every 5th item has "opt"
    assert [r for r in flat if "opt" in r] == [
        {"id": i["id"], "opt": i["opt"]} for i in ITEMS if "opt" in i
    ]


def test_paged_filter_without_order_has_no_duplicates(items_container) -> None:
    rows = list(
        items_container.query_items(
            "SELECT VALUE c.id FROM c WHERE c.kind = 'odd'",
            enable_cross_partition_query=True,
            max_item_count=3,
        )
    )
    assert sorted(rows) == sorted(i["id"] for i in ITEMS if i["kind"] == "odd")
    assert len(rows) == len(set(rows))


def test_aggregates_top_and_distinct_cross_partition(items_container) -> None:
    count = list(
        items_container.query_items(
            "SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True
        )
    )
    assert count == [40]
    total = list(
        items_container.query_items(
            "SELECT VALUE SUM(c.n) FROM c", enable_cross_partition_query=True
        )
    )
    assert total == [sum(i["n"] for i in ITEMS)]
    average = list(
        items_container.query_items(
            "SELECT VALUE AVG(c.opt) FROM c", enable_cross_partition_query=True
        )
    )
    opts = [i["opt"] for i in ITEMS if "opt" in i]
    assert average == [sum(opts) / len(opts)]
    # Like the service: only 'VALUE <aggregate>' runs across partitions.
    with pytest.raises(CosmosHttpResponseError) as err:
        list(
            items_container.query_items(
                "SELECT SUM(c.n) AS s FROM c", enable_cross_partition_query=True
            )
        )
    assert err.value.status_code == 400
    top = list(
        items_container.query_items(
            "SELECT TOP 3 VALUE c.n FROM c ORDER BY c.n", enable_cross_partition_query=True
        )
    )
    assert top == sorted(i["n"] for i in ITEMS)[:3]
    kinds = list(
        items_container.query_items(
            "SELECT DISTINCT VALUE c.kind FROM c ORDER BY c.kind", enable_cross_partition_query=True
        )
    )
    assert kinds == ["even", "odd"]


def test_incremental_style_query_on_ts(items_container) -> None:
    rows = list(
        items_container.query_items(
            "SELECT * FROM c WHERE c._ts >= @ts ORDER BY c._ts",
            parameters=[{"name": "@ts", "value": 0}],
            enable_cross_partition_query=True,
            max_item_count=9,
        )
    )
    assert sorted(_ids(rows)) == sorted(_ids(ITEMS))
    stamps = [r["_ts"] for r in rows]
    assert stamps == sorted(stamps)


def test_unsupported_construct_is_a_400_naming_it(items_container) -> None:
    with pytest.raises(CosmosHttpResponseError) as info:
        list(
            items_container.query_items(
                "SELECT c.id FROM c JOIN t IN c.tags", enable_cross_partition_query=True
            )
        )
    assert info.value.status_code == 400
    assert "Unsupported construct: JOIN" in str(info.value)


def test_value_aggregates_over_no_rows_are_merged_by_the_sdk(items_container) -> None:
    # Each range answers [{"item": <partial>}] (an empty object for an undefined MAX); the SDK
    # folds the partials: MAX of nothing is None, COUNT of nothing is 0.
    where = "FROM c WHERE c.n > @big"
    params = [{"name": "@big", "value": 1000}]
    for query, expected in (
        (f"SELECT VALUE MAX(c.n) {where}", [None]),
        (f"SELECT VALUE COUNT(1) {where}", [0]),
    ):
        rows = items_container.query_items(
            query, parameters=params, enable_cross_partition_query=True
        )
        assert list(rows) == expected
    evens = [i["n"] for i in ITEMS if i["kind"] == "even"]
    rows = items_container.query_items(
        "SELECT VALUE MIN(c.n) FROM c WHERE c.kind = 'even'", enable_cross_partition_query=True
    )
    assert list(rows) == [min(evens)]


def test_offset_limit_across_partitions(items_container) -> None:
    rows = items_container.query_items(
        "SELECT VALUE c.id FROM c ORDER BY c.id OFFSET 5 LIMIT 7",
        enable_cross_partition_query=True,
        max_item_count=3,
    )
    assert list(rows) == sorted(i["id"] for i in ITEMS)[5:12]


def test_query_plan_describes_the_query(items_container) -> None:
    # The SDK's own call (execution_dispatcher._create_execution_context_with_query_plan).
    plan = items_container.client_connection._GetQueryPlanThroughGateway(
        "SELECT TOP 5 c.n FROM c WHERE c.kind = 'odd' ORDER BY c.n DESC",
        items_container.container_link,
    )
    info = plan["queryInfo"]
    assert (info["top"], info["orderBy"], info["orderByExpressions"]) == (
        5,
        ["Descending"],
        ["c.n"],
    )
    assert info["distinctType"] == "None"
    assert info["aggregates"] == []
    assert "orderByItems" in info["rewrittenQuery"]
    assert "{documentdb-formattableorderbyquery-filter}" in info["rewrittenQuery"]
    assert plan["queryRanges"] == [
        {"min": "", "max": "FF", "isMinInclusive": True, "isMaxInclusive": False}
    ]
    pinned = items_container.client_connection._GetQueryPlanThroughGateway(
        "SELECT VALUE AVG(c.n) FROM c WHERE c.pk = 'p3'", items_container.container_link
    )
    (query_range,) = pinned["queryRanges"]
    assert query_range["min"] == query_range["max"] != ""
    assert pinned["queryInfo"]["aggregates"] == ["Average"]


def test_cross_partition_query_needs_the_flag_unless_where_pins_the_key(items_container) -> None:
    with pytest.raises(CosmosHttpResponseError) as err:
        list(items_container.query_items("SELECT * FROM c"))
    assert err.value.status_code == 400
    assert "Cross partition query is required but disabled" in str(err.value)
    rows = items_container.query_items("SELECT VALUE c.id FROM c WHERE c.pk = 'p3'")
    assert sorted(rows) == sorted(i["id"] for i in ITEMS if i["pk"] == "p3")


def test_plain_cross_partition_query_is_paged_a_range_at_a_time(items_container) -> None:
    ranges = len(list(items_container.read_feed_ranges()))
    pages: list[int] = []
    rows = list(
        items_container.query_items(
            "SELECT VALUE c.id FROM c",
            enable_cross_partition_query=True,
            response_hook=lambda headers, _body: pages.append(1),
        )
    )
    assert sorted(rows) == sorted(i["id"] for i in ITEMS)
    assert len(pages) == ranges  # one page per physical range, however few items each holds
    pager = items_container.query_items(
        "SELECT VALUE c.id FROM c", enable_cross_partition_query=True, max_item_count=4
    ).by_page()
    first = list(next(pager))
    token = pager.continuation_token
    second = list(next(pager))
    resumed = items_container.query_items(
        "SELECT VALUE c.id FROM c", enable_cross_partition_query=True, max_item_count=4
    ).by_page(token)
    assert list(next(resumed)) == second
    assert not set(first) & set(second)


def test_select_star_pass_through_equals_the_evaluated_rows(items_container) -> None:
    # SELECT * FROM c is served from the stored JSON text; WHERE true takes the evaluating path.
    fast = list(
        items_container.query_items(
            "SELECT * FROM c", enable_cross_partition_query=True, max_item_count=7
        )
    )
    slow = list(
        items_container.query_items(
            "SELECT * FROM c WHERE true", enable_cross_partition_query=True, max_item_count=7
        )
    )
    assert len(fast) == len(ITEMS)
    assert fast == slow
    by_id = {i["id"]: i for i in ITEMS}
    assert all(row.items() >= by_id[row["id"]].items() for row in fast)
