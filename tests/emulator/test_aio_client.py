"""The asynchronous SDK client (``azure.cosmos.aio``, aiohttp transport) against the emulator.

No pytest-asyncio here: each test runs its coroutine with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosHttpResponseError,
    CosmosResourceNotFoundError,
)


def _run(emulator, body):
    async def main():
        async with CosmosClient(emulator.endpoint, emulator.key) as client:
            db = await client.create_database(f"aio_{uuid.uuid4().hex[:10]}")
            try:
                return await body(client, db)
            finally:
                await client.delete_database(db.id)

    return asyncio.run(main())


def test_crud_patch_and_conditional_replace(cosmosdb_emulator):
    async def body(client, db):
        coll = await db.create_container("c", PartitionKey("/pk"))
        created = await coll.create_item({"id": "1", "pk": "a", "n": 1})
        assert created["_etag"]
        read = await coll.read_item("1", "a")
        assert read["n"] == 1
        patched = await coll.patch_item(
            "1",
            "a",
            [{"op": "incr", "path": "/n", "value": 4}, {"op": "add", "path": "/t", "value": "x"}],
        )
        assert (patched["n"], patched["t"]) == (5, "x")
        with pytest.raises(CosmosHttpResponseError) as info:
            await coll.replace_item(
                "1", {"id": "1", "pk": "a"}, etag=created["_etag"], match_condition=_if_match()
            )
        assert info.value.status_code == 412
        await coll.replace_item("1", {"id": "1", "pk": "a", "n": 9})
        await coll.upsert_item({"id": "2", "pk": "a"})
        await coll.delete_item("2", "a")
        with pytest.raises(CosmosResourceNotFoundError):
            await coll.read_item("2", "a")
        assert [d["n"] async for d in coll.read_all_items()] == [9]

    _run(cosmosdb_emulator, body)


def _if_match():
    from azure.core import MatchConditions

    return MatchConditions.IfNotModified


def test_transactional_batch_and_failed_batch_leaves_no_trace(cosmosdb_emulator):
    async def body(client, db):
        coll = await db.create_container("b", PartitionKey(path=["/t", "/u"], kind="MultiHash"))
        ops = [("create", ({"id": str(i), "t": "x", "u": "y"},)) for i in range(100)]
        results = await coll.execute_item_batch(ops, partition_key=["x", "y"])
        assert [r["statusCode"] for r in results] == [201] * 100
        with pytest.raises(CosmosBatchOperationError) as info:
            await coll.execute_item_batch(
                [
                    ("create", ({"id": "new", "t": "x", "u": "y"},)),
                    ("create", ({"id": "0", "t": "x", "u": "y"},)),
                ],
                partition_key=["x", "y"],
            )
        assert info.value.error_index == 1
        assert info.value.operation_responses[1]["statusCode"] == 409
        ids = [d async for d in coll.query_items("SELECT VALUE c.id FROM c", partition_key=["x"])]
        assert len(ids) == 100
        assert "new" not in ids

    _run(cosmosdb_emulator, body)


def test_queries_cross_partition_scoped_and_paged(cosmosdb_emulator):
    async def body(client, db):
        coll = await db.create_container("q", PartitionKey("/pk"))
        for i in range(60):
            await coll.upsert_item({"id": str(i), "pk": f"p{i % 6}", "n": i})
        rows = [
            d
            async for d in coll.query_items(
                "SELECT c.id, c.n FROM c WHERE c.n >= @lo ORDER BY c.n DESC",
                parameters=[{"name": "@lo", "value": 50}],
            )
        ]
        assert [r["n"] for r in rows] == list(range(59, 49, -1))
        scoped = [d["n"] async for d in coll.query_items("SELECT * FROM c", partition_key="p2")]
        assert sorted(scoped) == list(range(2, 60, 6))
        pages = coll.query_items("SELECT * FROM c", max_item_count=7).by_page()
        sizes = [len([d async for d in page]) async for page in pages]
        assert sum(sizes) == 60
        assert max(sizes) <= 7
        assert len(sizes) >= 9
        (count,) = [c async for c in coll.query_items("SELECT VALUE COUNT(1) FROM c")]
        assert count == 60

    _run(cosmosdb_emulator, body)


def test_change_feed_per_feed_range_with_resume_across_split(cosmosdb_emulator):
    async def body(client, db):
        coll = await db.create_container("cf", PartitionKey("/pk"))
        for i in range(40):
            await coll.upsert_item({"id": str(i), "pk": f"k{i}"})
        ranges = [r async for r in coll.read_feed_ranges()]
        assert len(ranges) == 4
        seen: list[str] = []
        tokens = []
        for fr in ranges:
            seen += [
                d["id"]
                async for d in coll.query_items_change_feed(feed_range=fr, start_time="Beginning")
            ]
            tokens.append(coll.client_connection.last_response_headers["etag"])
        assert sorted(seen, key=int) == [str(i) for i in range(40)]
        # Split every original range, write more, then resume each saved token.
        for range_id in ("0", "1", "2", "3"):
            cosmosdb_emulator.split(db.id, "cf", range_id)
        for i in range(40, 80):
            await coll.upsert_item({"id": str(i), "pk": f"k{i}"})
        await coll.upsert_item({"id": "0", "pk": "k0", "v": 2})
        resumed: list[str] = []
        for token in tokens:
            resumed += [d["id"] async for d in coll.query_items_change_feed(continuation=token)]
        assert sorted(resumed, key=int) == [str(i) for i in range(80) if i == 0 or i >= 40]
        assert len([r async for r in coll.read_feed_ranges()]) == 8

    _run(cosmosdb_emulator, body)


def test_429_from_provisioned_throughput_is_retried(cosmosdb_emulator):
    async def body(client, db):
        coll = await db.create_container("t", PartitionKey("/pk"))
        cosmosdb_emulator.set_throughput(db.id, "t", 100)
        start = time.monotonic()
        # ~200 RU (about 5 RU per KB) overdraw the 100 RU bucket by ~100 RU: the writes after it
        # get ~1 s of 429/3200 that the SDK retries, however slow the machine is.
        await coll.upsert_item({"id": "big", "pk": "p", "pad": "x" * 40_000})
        for i in range(7):
            await coll.upsert_item({"id": str(i), "pk": "p"})
        elapsed = time.monotonic() - start
        assert elapsed >= 0.6
        assert cosmosdb_emulator.stats()["containers"][f"{db.id}/t"]["throttled"] > 0
        assert len([d async for d in coll.read_all_items()]) == 8

    _run(cosmosdb_emulator, body)


def test_injected_faults_are_retried_by_the_aio_client(cosmosdb_emulator):
    async def body(client, db):
        coll = await db.create_container("f", PartitionKey("/pk"))
        await coll.upsert_item({"id": "1", "pk": "p"})
        cosmosdb_emulator.inject_fault(
            status=429, substatus=3200, retry_after_ms=20, operation="read", container="f", count=3
        )
        try:
            assert (await coll.read_item("1", "p"))["id"] == "1"
            entry = cosmosdb_emulator.stats()["containers"][f"{db.id}/f"]
            assert entry["faults"] == 3
        finally:
            cosmosdb_emulator.clear_faults()

    _run(cosmosdb_emulator, body)
