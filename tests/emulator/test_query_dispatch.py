"""Query dispatch (Direct strategy): the server answers and pages every query itself."""

from __future__ import annotations

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError


@pytest.fixture
def filled(container):
    for i in range(30):
        container.upsert_item({"id": f"{i:02d}", "pk": f"p{i % 5}", "n": i})
    return container


def test_cross_partition_order_by_and_paging(filled):
    pages = list(
        filled.query_items(
            "SELECT c.id, c.n FROM c WHERE c.n >= @lo ORDER BY c.n DESC",
            parameters=[{"name": "@lo", "value": 5}],
            enable_cross_partition_query=True,
            max_item_count=4,
        ).by_page()
    )
    rows = [r for p in pages for r in p]
    assert [r["n"] for r in rows] == list(range(29, 4, -1))
    assert len(pages) == 7


def test_aggregate_and_partition_scope(filled):
    total = list(
        filled.query_items("SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True)
    )
    assert total == [30]
    scoped = list(filled.query_items("SELECT VALUE c.n FROM c", partition_key="p2"))
    assert sorted(scoped) == [2, 7, 12, 17, 22, 27]


def test_feed_range_scoped_queries_cover_everything_once(filled):
    seen = []
    for fr in filled.read_feed_ranges():
        seen += [d["id"] for d in filled.query_items("SELECT * FROM c", feed_range=fr)]
    assert sorted(seen) == [f"{i:02d}" for i in range(30)]


def test_query_error_is_400(filled):
    with pytest.raises(CosmosHttpResponseError) as info:
        list(filled.query_items("SELEC * FROM c", enable_cross_partition_query=True))
    assert info.value.status_code == 400


def test_hierarchical_prefix_query(database):
    coll = database.create_container("hq", PartitionKey(path=["/t", "/u"], kind="MultiHash"))
    for t in ("a", "b"):
        for u in range(3):
            coll.upsert_item({"id": f"{t}{u}", "t": t, "u": u})
    rows = list(coll.query_items("SELECT VALUE c.id FROM c", partition_key=["a"]))
    assert sorted(rows) == ["a0", "a1", "a2"]
    rows = list(coll.query_items("SELECT VALUE c.id FROM c", partition_key=["b", 1]))
    assert rows == ["b1"]


def test_streamed_paging_with_several_rows_per_document(container):
    for i in range(10):
        container.upsert_item(
            {"id": str(i), "pk": f"p{i % 3}", "arr": [i * 10 + k for k in range(3)]}
        )
    pages = list(
        container.query_items(
            "SELECT VALUE x FROM x IN c.arr",
            enable_cross_partition_query=True,
            max_item_count=4,
        ).by_page()
    )
    rows = [r for p in pages for r in p]
    assert sorted(rows) == sorted(i * 10 + k for i in range(10) for k in range(3))
    assert len(pages) >= 8


def test_top_and_offset_limit_across_pages(filled):
    rows = list(
        filled.query_items(
            "SELECT VALUE c.n FROM c ORDER BY c.n OFFSET 3 LIMIT 10",
            enable_cross_partition_query=True,
            max_item_count=3,
        )
    )
    assert rows == list(range(3, 13))
    rows = list(
        filled.query_items(
            "SELECT TOP 5 VALUE c.n FROM c", enable_cross_partition_query=True, max_item_count=2
        )
    )
    assert len(rows) == 5


def test_patch_with_filter_predicate(container):
    from azure.cosmos.exceptions import CosmosAccessConditionFailedError

    container.create_item({"id": "f", "pk": "p", "n": 1})
    out = container.patch_item(
        "f", "p", [{"op": "set", "path": "/n", "value": 2}], filter_predicate="from c where c.n = 1"
    )
    assert out["n"] == 2
    with pytest.raises(CosmosAccessConditionFailedError):
        container.patch_item(
            "f",
            "p",
            [{"op": "set", "path": "/n", "value": 3}],
            filter_predicate="from c where c.n = 1",
        )
    assert container.read_item("f", "p")["n"] == 2


def test_query_databases_and_containers(client, database):
    database.create_container("qc", PartitionKey("/pk"))
    found = list(
        client.query_databases(
            "SELECT * FROM d WHERE d.id = @id", parameters=[{"name": "@id", "value": database.id}]
        )
    )
    assert [d["id"] for d in found] == [database.id]
    assert [c["id"] for c in database.query_containers("SELECT * FROM c")] == ["qc"]


def test_order_by_ts_is_streamed_in_pages(container):
    import time as _time

    for i in range(6):
        container.upsert_item({"id": f"a{i}", "pk": f"p{i}"})
    _time.sleep(1.1)  # second-resolution _ts: make two distinct timestamps
    for i in range(6):
        container.upsert_item({"id": f"b{i}", "pk": f"p{i}"})
    asc = list(
        container.query_items(
            "SELECT c.id, c._ts FROM c WHERE c._ts >= @t ORDER BY c._ts",
            parameters=[{"name": "@t", "value": 0}],
            enable_cross_partition_query=True,
            max_item_count=5,
        )
    )
    assert len(asc) == 12
    assert len({r["id"] for r in asc}) == 12
    assert [r["_ts"] for r in asc] == sorted(r["_ts"] for r in asc)
    assert {r["id"] for r in asc[:6]} == {f"a{i}" for i in range(6)}
    desc = list(
        container.query_items(
            "SELECT VALUE c.id FROM c ORDER BY c._ts DESC",
            enable_cross_partition_query=True,
            max_item_count=5,
        )
    )
    assert set(desc[:6]) == {f"b{i}" for i in range(6)}
    assert len(desc) == 12


def test_equality_on_partition_key_narrows_but_stays_correct(container):
    for i in range(12):
        container.upsert_item({"id": str(i), "pk": f"p{i % 3}", "n": i})
    rows = list(
        container.query_items(
            "SELECT VALUE c.n FROM c WHERE c.pk = 'p1' AND c.n > 3",
            enable_cross_partition_query=True,
        )
    )
    assert sorted(rows) == [4, 7, 10]
    # A feed range that does not own p1 sees nothing; the owner sees all of it.
    per_range = [
        list(container.query_items("SELECT VALUE c.n FROM c WHERE c.pk = 'p1'", feed_range=fr))
        for fr in container.read_feed_ranges()
    ]
    assert sorted(len(r) for r in per_range)[-1] == 4
    assert sum(len(r) for r in per_range) == 4


@pytest.mark.parametrize(
    ("query", "construct"),
    [
        ("SELECT * FROM c JOIN t IN c.tags", "JOIN"),
        ("SELECT * FROM c WHERE ST_WITHIN(c.p, c.q)", "ST_WITHIN"),
    ],
)
def test_unsupported_construct_is_400_naming_it(filled, query, construct):
    with pytest.raises(CosmosHttpResponseError) as info:
        list(filled.query_items(query, enable_cross_partition_query=True))
    assert info.value.status_code == 400
    assert construct in info.value.message
