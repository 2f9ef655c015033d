"""Hierarchical partition keys (MultiHash, up to 3 paths) in writes, reads, batches, queries and
the change feed, through the real SDK."""

from __future__ import annotations

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError

from tests.emulator.conftest import drain


@pytest.fixture
def tenants(database):
    coll = database.create_container(
        "h", PartitionKey(path=["/tenant", "/user", "/session"], kind="MultiHash")
    )
    for t in ("t1", "t2"):
        for u in ("u1", "u2", "u3"):
            for s in ("s1", "s2"):
                coll.create_item({"id": f"{t}-{u}-{s}", "tenant": t, "user": u, "session": s})
    return coll


def test_point_reads_and_writes_need_the_full_key(tenants):
    assert tenants.read_item("t1-u2-s1", ["t1", "u2", "s1"])["user"] == "u2"
    tenants.upsert_item({"id": "t1-u2-s1", "tenant": "t1", "user": "u2", "session": "s1", "v": 2})
    assert tenants.read_item("t1-u2-s1", ["t1", "u2", "s1"])["v"] == 2
    tenants.patch_item("t1-u2-s1", ["t1", "u2", "s1"], [{"op": "incr", "path": "/v", "value": 1}])
    assert tenants.read_item("t1-u2-s1", ["t1", "u2", "s1"])["v"] == 3
    tenants.delete_item("t1-u2-s1", ["t1", "u2", "s1"])
    with pytest.raises(CosmosHttpResponseError):
        tenants.read_item("t1-u2-s1", ["t1", "u2", "s1"])


def test_batch_on_one_full_key(tenants):
    key = ["t2", "u9", "s9"]
    doc = {"tenant": "t2", "user": "u9", "session": "s9"}
    results = tenants.execute_item_batch(
        [("create", ({"id": "a", **doc},)), ("upsert", ({"id": "b", **doc},)), ("read", ("a",))],
        partition_key=key,
    )
    assert [r["statusCode"] for r in results] == [201, 201, 200]
    ids = [d["id"] for d in tenants.query_items("SELECT * FROM c", partition_key=key)]
    assert sorted(ids) == ["a", "b"]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [(["t1"], 6), (["t1", "u3"], 2), (["t2", "u1", "s2"], 1)],
)
def test_queries_by_full_key_and_prefix(tenants, prefix, expected):
    rows = list(tenants.query_items("SELECT c.id, c.tenant, c.user FROM c", partition_key=prefix))
    assert len(rows) == expected
    assert all(r["tenant"] == prefix[0] for r in rows)
    if len(prefix) > 1:
        assert all(r["user"] == prefix[1] for r in rows)


def test_change_feed_by_prefix_and_full_key(tenants):
    by_tenant = list(tenants.query_items_change_feed(start_time="Beginning", partition_key=["t2"]))
    assert sorted(d["id"] for d in by_tenant) == sorted(
        f"t2-{u}-{s}" for u in ("u1", "u2", "u3") for s in ("s1", "s2")
    )
    one = list(
        tenants.query_items_change_feed(start_time="Beginning", partition_key=["t1", "u1", "s2"])
    )
    assert [d["id"] for d in one] == ["t1-u1-s2"]
    # The per-range drain sees every item exactly once.
    seen = []
    for fr in tenants.read_feed_ranges():
        seen += [d["id"] for d in drain(tenants, fr, start_time="Beginning")[0]]
    assert len(seen) == len(set(seen)) == 12


def test_more_than_three_paths_is_rejected(database):
    with pytest.raises(CosmosHttpResponseError) as info:
        database.create_container(
            "h4", PartitionKey(path=["/a", "/b", "/c", "/d"], kind="MultiHash")
        )
    assert info.value.status_code == 400
