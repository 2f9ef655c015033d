"""Transactional batch: atomicity, per-op answers and limits (Cosmos DB "Transactional batch")."""

from __future__ import annotations

import pytest
from azure.cosmos.exceptions import CosmosBatchOperationError, CosmosHttpResponseError


def test_batch_success_returns_every_operation(container):
    container.create_item({"id": "r", "pk": "b", "v": 0})
    container.create_item({"id": "d", "pk": "b"})
    results = container.execute_item_batch(
        [
            ("create", ({"id": "c1", "pk": "b"},)),
            ("upsert", ({"id": "c2", "pk": "b", "v": 2},)),
            ("replace", ("r", {"id": "r", "pk": "b", "v": 1})),
            ("read", ("c1",)),
            ("patch", ("r", [{"op": "incr", "path": "/v", "value": 1}])),
            ("delete", ("d",)),
        ],
        partition_key="b",
    )
    assert [r["statusCode"] for r in results] == [201, 201, 200, 200, 200, 204]
    assert results[2]["resourceBody"]["v"] == 1
    assert results[4]["resourceBody"]["v"] == 2
    assert results[3]["resourceBody"]["id"] == "c1"
    assert sorted(d["id"] for d in container.read_all_items()) == ["c1", "c2", "r"]


def test_failed_batch_is_rolled_back(container):
    container.create_item({"id": "exists", "pk": "b", "v": 0})
    with pytest.raises(CosmosBatchOperationError) as info:
        container.execute_item_batch(
            [
                ("create", ({"id": "new1", "pk": "b"},)),
                ("upsert", ({"id": "exists", "pk": "b", "v": 99},)),
                ("create", ({"id": "exists", "pk": "b"},)),
                ("create", ({"id": "new2", "pk": "b"},)),
            ],
            partition_key="b",
        )
    err = info.value
    assert err.error_index == 2
    assert err.status_code == 409
    assert [r["statusCode"] for r in err.operation_responses] == [424, 424, 409, 424]
    assert container.read_item("exists", "b")["v"] == 0
    assert sorted(d["id"] for d in container.read_all_items()) == ["exists"]
    # Nothing reached the change feed either.
    assert [d["id"] for d in container.query_items_change_feed(start_time="Beginning")] == [
        "exists"
    ]


def test_batch_missing_item_is_404(container):
    with pytest.raises(CosmosBatchOperationError) as info:
        container.execute_item_batch(
            [("create", ({"id": "a", "pk": "b"},)), ("delete", ("nope",))], partition_key="b"
        )
    assert info.value.status_code == 404
    assert list(container.read_all_items()) == []


def test_batch_limits(container):
    ops = [("create", ({"id": str(i), "pk": "b"},)) for i in range(101)]
    with pytest.raises(CosmosHttpResponseError) as info:
        container.execute_item_batch(ops, partition_key="b")
    assert info.value.status_code == 400
    assert "more operations" in info.value.message
    results = container.execute_item_batch(ops[:100], partition_key="b")
    assert len(results) == 100
    big = [("upsert", ({"id": f"x{i}", "pk": "b", "blob": "x" * 300_000},)) for i in range(8)]
    with pytest.raises(CosmosHttpResponseError) as info:
        container.execute_item_batch(big, partition_key="b")
    assert info.value.status_code == 413
    assert len(list(container.read_all_items())) == 100


def test_empty_batch_is_400(cosmosdb_emulator, container):
    from tests.emulator.conftest import raw_request

    link = container.container_link
    status, _, body = raw_request(
        cosmosdb_emulator,
        "POST",
        link + "/docs/",
        [],
        "docs",
        link,
        {"x-ms-cosmos-is-batch-request": "True", "x-ms-documentdb-partitionkey": '["b"]'},
    )
    assert status == 400
    assert b"no operations" in body


def test_batch_pk_mismatch_fails_whole_batch(container):
    with pytest.raises(CosmosBatchOperationError) as info:
        container.execute_item_batch(
            [("create", ({"id": "a", "pk": "b"},)), ("create", ({"id": "c", "pk": "other"},))],
            partition_key="b",
        )
    assert info.value.status_code == 400
    assert list(container.read_all_items()) == []
