"""Request charges, provisioned throughput (429/3200), fault injection, stats and TLS."""

from __future__ import annotations

import time

import pytest
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.cosmos import PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError

from cosmosdb_emulator import Emulator
from tests.emulator.conftest import create_raw


def _charge(container):
    return float(container.client_connection.last_response_headers["x-ms-request-charge"])


def test_request_charge_model(container):
    container.upsert_item({"id": "small", "pk": "p"})
    assert _charge(container) == 5.0
    container.upsert_item({"id": "big", "pk": "p", "pad": "x" * 3000})
    assert _charge(container) == 20.0  # ~3 KB stored -> 4 KB * 5 RU
    container.read_item("small", "p")
    assert _charge(container) == 1.0
    container.read_item("big", "p")
    assert _charge(container) == 4.0  # ~3.2 KB with system properties
    results = container.execute_item_batch(
        [("create", ({"id": "b1", "pk": "p"},)), ("read", ("small",))], partition_key="p"
    )
    assert [r["requestCharge"] for r in results] == [5.0, 1.0]
    assert _charge(container) == 6.0


def test_throughput_limit_throttles_and_sdk_retries(cosmosdb_emulator, database):
    coll = database.create_container("tp", PartitionKey("/pk"))
    cosmosdb_emulator.set_throughput(database.id, "tp", 50)
    key = f"{database.id}/tp"
    start = time.monotonic()
    # ~150 RU (about 5 RU per KB) overdraw the 50 RU bucket by ~100 RU: the writes after it are
    # throttled for about 2 s (the SDK retries them), however slow the machine is.
    coll.upsert_item({"id": "big", "pk": "p", "pad": "x" * 30_000})
    for i in range(3):
        coll.upsert_item({"id": str(i), "pk": "p"})
    elapsed = time.monotonic() - start
    stats = cosmosdb_emulator.stats()["containers"][key]
    assert stats["throttled"] > 0
    assert elapsed >= 1.5
    cosmosdb_emulator.set_throughput(database.id, "tp", None)
    throttled = stats["throttled"]
    for i in range(30):
        coll.upsert_item({"id": str(i), "pk": "p"})
    assert cosmosdb_emulator.stats()["containers"][key]["throttled"] == throttled


def test_throttle_answer_shape(cosmosdb_emulator, database):
    # Raw HTTP: the SDK would retry the 429 itself (retry_total=0 still means "default 9").
    coll = database.create_container("tp2", PartitionKey("/pk"))
    cosmosdb_emulator.set_throughput(database.id, "tp2", 1)
    try:
        coll.upsert_item({"id": "1", "pk": "p"})  # overdraws the 1 RU bucket
        status, headers, body = create_raw(cosmosdb_emulator, coll, {"id": "2", "pk": "p"}, "p")
        assert status == 429
        assert headers["x-ms-substatus"] == "3200"
        assert int(headers["x-ms-retry-after-ms"]) > 0
        assert b"TooManyRequests" in body
    finally:
        cosmosdb_emulator.set_throughput(database.id, "tp2", None)
    assert create_raw(cosmosdb_emulator, coll, {"id": "2", "pk": "p"}, "p")[0] == 201


def test_fault_error_by_count_and_scope(cosmosdb_emulator, database):
    coll = database.create_container("f", PartitionKey("/pk"))
    other = database.create_container("g", PartitionKey("/pk"))
    try:
        cosmosdb_emulator.inject_fault(
            status=449, operation="write", database=database.id, container="f", count=2
        )
        other.upsert_item({"id": "1", "pk": "p"})  # other container unaffected
        for _ in range(2):
            with pytest.raises(CosmosHttpResponseError) as info:
                coll.upsert_item({"id": "1", "pk": "p"})
            assert info.value.status_code == 449
        coll.upsert_item({"id": "1", "pk": "p"})  # count exhausted
        # 503 on a write is retried once by the SDK: one injected 503 is invisible to the caller.
        cosmosdb_emulator.inject_fault(status=503, operation="upsert", container="f", count=1)
        coll.upsert_item({"id": "2", "pk": "p"})
        assert cosmosdb_emulator.stats()["containers"][f"{database.id}/f"]["faults"] == 3
    finally:
        cosmosdb_emulator.clear_faults()


def test_fault_drop_after_applies_the_write(cosmosdb_emulator, database):
    coll = database.create_container("d", PartitionKey("/pk"))
    client = cosmosdb_emulator.client(retry_total=0)
    c = client.get_database_client(database.id).get_container_client("d")
    c.read()
    try:
        cosmosdb_emulator.inject_fault(
            action="drop_after", operation="create", container="d", count=1
        )
        with pytest.raises((ServiceResponseError, ServiceRequestError)):
            c.create_item({"id": "x", "pk": "p"})
        assert coll.read_item("x", "p")["id"] == "x"
        cosmosdb_emulator.inject_fault(
            action="drop_before", operation="create", container="d", count=1
        )
        with pytest.raises((ServiceResponseError, ServiceRequestError)):
            c.create_item({"id": "y", "pk": "p"})
        assert [d["id"] for d in coll.read_all_items()] == ["x"]
    finally:
        cosmosdb_emulator.clear_faults()


def test_fault_probability_is_seeded_and_delay_adds_latency(cosmosdb_emulator, database):
    coll = database.create_container("p", PartitionKey("/pk"))
    coll.upsert_item({"id": "1", "pk": "p"})
    client = cosmosdb_emulator.client(retry_total=0)
    c = client.get_database_client(database.id).get_container_client("p")

    def pattern():
        cosmosdb_emulator.inject_fault(
            status=449, operation="read", container="p", probability=0.5, seed=7
        )
        out = []
        for _ in range(12):
            try:
                c.read_item("1", "p", retry_total=0)
                out.append(0)
            except CosmosHttpResponseError as exc:
                out.append(exc.status_code)
        cosmosdb_emulator.clear_faults()
        return out

    first = pattern()
    assert pattern() == first
    assert 0 < first.count(0) < 12
    assert set(first) == {0, 449}
    cosmosdb_emulator.inject_fault(
        action="delay", delay_ms=300, operation="read", container="p", count=1
    )
    start = time.monotonic()
    c.read_item("1", "p")
    assert time.monotonic() - start >= 0.3
    cosmosdb_emulator.clear_faults()


def test_bad_fault_rule_is_rejected(cosmosdb_emulator):
    from cosmosdb_emulator import EmulatorError

    with pytest.raises(EmulatorError):
        cosmosdb_emulator.inject_fault(status=418)


def test_stats_counts_documents_per_range(cosmosdb_emulator, database):
    coll = database.create_container("s", PartitionKey("/pk"))
    for i in range(40):
        coll.upsert_item({"id": str(i), "pk": f"k{i}"})
    stats = cosmosdb_emulator.stats()
    entry = stats["containers"][f"{database.id}/s"]
    assert sum(entry["documents_per_range"].values()) == 40
    assert entry["requests"] >= 40
    assert entry["request_charge"] >= 200
    assert stats["requests"] >= entry["requests"]


def test_tls_endpoint_works_with_sdk():
    with Emulator(tls=True) as emu:
        assert emu.endpoint.startswith("https://127.0.0.1:")
        client = emu.client()
        db = client.create_database("tls")
        coll = db.create_container("c", PartitionKey("/pk"))
        coll.upsert_item({"id": "1", "pk": "p"})
        assert coll.read_item("1", "p")["id"] == "1"
        assert emu.stats()["requests"] > 0


@pytest.mark.parametrize(
    ("status", "substatus", "retry_after"),
    [
        (408, None, None),
        (410, 1002, None),
        (429, 3200, 250),
        (449, None, 10),
        (500, None, None),
        (503, 21008, None),
    ],
)
def test_injected_error_answer_shape(cosmosdb_emulator, database, status, substatus, retry_after):
    coll = database.create_container("shape", PartitionKey("/pk"))
    rule = {"status": status, "operation": "create", "container": "shape", "count": 1}
    if substatus is not None:
        rule["substatus"] = substatus
    if retry_after is not None:
        rule["retry_after_ms"] = retry_after
    try:
        cosmosdb_emulator.inject_fault(**rule)
        got, headers, _ = create_raw(cosmosdb_emulator, coll, {"id": "1", "pk": "p"}, "p")
        assert got == status
        assert headers.get("x-ms-substatus") == (None if substatus is None else str(substatus))
        assert headers.get("x-ms-retry-after-ms") == (
            None if retry_after is None else str(retry_after)
        )
        assert "x-ms-request-charge" in headers
        # Count exhausted: the next identical request is applied.
        assert create_raw(cosmosdb_emulator, coll, {"id": "1", "pk": "p"}, "p")[0] == 201
    finally:
        cosmosdb_emulator.clear_faults()


def test_query_and_change_feed_charges_follow_items_and_bytes(cosmosdb_emulator, container):
    import json as _json

    from tests.emulator.conftest import raw_request

    for i in range(30):
        container.upsert_item({"id": str(i), "pk": "p", "pad": "y" * (i * 40)})
    link = container.container_link
    status, headers, body = raw_request(
        cosmosdb_emulator,
        "POST",
        link + "/docs/",
        {"query": "SELECT * FROM c WHERE c.pk = 'p'", "parameters": []},
        "docs",
        link,
        {
            "Content-Type": "application/query+json",
            "x-ms-documentdb-isquery": "True",
            "x-ms-documentdb-partitionkey": '["p"]',
        },
    )
    assert status == 200
    items = len(_json.loads(body)["Documents"])
    assert items == 30
    expected = round(2 + 0.1 * items + 0.5 * len(body) / 1024, 2)
    assert float(headers["x-ms-request-charge"]) == pytest.approx(expected, abs=0.011)
    status, headers, body = raw_request(
        cosmosdb_emulator,
        "GET",
        link + "/docs/",
        None,
        "docs",
        link,
        {
            "A-IM": "Incremental feed",
            "x-ms-documentdb-partitionkeyrangeid": "0",
            "If-None-Match": "*",
        },
    )
    assert status == 304
    assert float(headers["x-ms-request-charge"]) == 1.0


def test_every_response_carries_a_request_charge(cosmosdb_emulator, container):
    seen = []

    def hook(headers, _body):
        seen.append(headers.get("x-ms-request-charge"))

    container.upsert_item({"id": "1", "pk": "p"}, response_hook=hook)
    container.read_item("1", "p", response_hook=hook)
    container.read(response_hook=hook)
    list(container.query_items("SELECT * FROM c", partition_key="p", response_hook=hook))
    with pytest.raises(CosmosHttpResponseError) as info:
        container.read_item("missing", "p")
    assert float(info.value.response.headers["x-ms-request-charge"]) == 1.0
    status, headers, _ = create_raw(cosmosdb_emulator, container, {"id": "a/b", "pk": "p"}, "p")
    assert status == 400
    assert float(headers["x-ms-request-charge"]) == 1.0
    assert len(seen) == 4
    assert all(s is not None and float(s) > 0 for s in seen)
