"""Provisioned throughput through the SDK: offer_throughput at creation, get/replace_throughput,
autoscale, enforcement (429/3200) and the offers resource; container recreate (400/1024)."""

from __future__ import annotations

import json
import time

import pytest
from azure.cosmos import PartitionKey, ThroughputProperties
from azure.cosmos.exceptions import CosmosHttpResponseError, CosmosResourceNotFoundError

from tests.emulator.conftest import create_raw, raw_request


def _writes_take(container, count: int = 3, big_ru: int = 1000) -> float:
    """Seconds taken by one write of about ``big_ru`` RU followed by ``count`` small upserts.

    The emulator charges about 5 RU per KB written. A bucket holds at most one second of RU and
    admits a request while its balance is positive, so the big write overdraws it by
    ``big_ru - rate``, and the small writes after it are throttled (the SDK retries them by
    itself) until the bucket refills. A sequence of many small writes would only be throttled
    if they arrived faster than the bucket refills, which a busy machine does not guarantee.
    """
    start = time.monotonic()
    container.upsert_item({"id": "big", "pk": "p", "pad": "x" * (big_ru * 200)})
    for i in range(count):
        container.upsert_item({"id": f"w{i}", "pk": "p"})
    return time.monotonic() - start


def test_offer_throughput_at_creation_is_reported_and_enforced(cosmosdb_emulator, database):
    coll = database.create_container("manual", PartitionKey("/pk"), offer_throughput=400)
    props = coll.get_throughput()
    assert props.offer_throughput == 400
    offer = props.properties
    rid, self_link = coll.read()["_rid"], coll.read()["_self"]
    assert offer["offerVersion"] == "V2"
    assert offer["offerResourceId"] == rid
    assert offer["resource"] == self_link
    assert offer["_self"] == f"offers/{offer['_rid']}/"
    assert offer["id"] == offer["_rid"]
    # ~1,000 RU against a 400 RU bucket refilled at 400 RU/s: the next writes wait ~1.5 s in
    # 429s that the SDK retries by itself.
    elapsed = _writes_take(coll)
    assert elapsed >= 0.35
    assert cosmosdb_emulator.stats()["containers"][f"{database.id}/manual"]["throttled"] > 0
    assert len(list(coll.read_all_items())) == 4


def test_throttle_answer_for_sdk_provisioned_container(cosmosdb_emulator, database):
    coll = database.create_container("shape", PartitionKey("/pk"), offer_throughput=400)
    big = {"id": "big", "pk": "p", "pad": "x" * 90_000}  # ~88 KB -> 445 RU: overdraws 400 RU
    coll.upsert_item(big)
    status, headers, body = create_raw(cosmosdb_emulator, coll, {"id": "n", "pk": "p"}, "p")
    assert status == 429
    assert headers["x-ms-substatus"] == "3200"
    assert 0 < int(headers["x-ms-retry-after-ms"]) <= 1000
    assert json.loads(body)["code"] == "TooManyRequests"


def test_replace_throughput_changes_the_enforced_rate(cosmosdb_emulator, database):
    coll = database.create_container_if_not_exists(
        "repl", PartitionKey("/pk"), offer_throughput=400
    )
    old = coll.get_throughput().properties
    new = coll.replace_throughput(10_000)
    assert new.offer_throughput == 10_000
    again = coll.get_throughput()
    assert again.offer_throughput == 10_000
    assert again.properties["_rid"] == old["_rid"]
    # ~1,000 RU well under 10,000 RU/s: no throttling at all.
    before = cosmosdb_emulator.stats()["containers"][f"{database.id}/repl"]["throttled"]
    _writes_take(coll)
    after = cosmosdb_emulator.stats()["containers"][f"{database.id}/repl"]["throttled"]
    assert after == before
    # Back down to 400: throttling again.
    assert coll.replace_throughput(400).offer_throughput == 400
    assert _writes_take(coll) >= 0.35


def test_autoscale_max_throughput_is_reported_and_enforced(cosmosdb_emulator, database):
    coll = database.create_container_if_not_exists(
        "auto",
        PartitionKey("/pk"),
        offer_throughput=ThroughputProperties(auto_scale_max_throughput=1000),
    )
    props = coll.get_throughput()
    assert props.auto_scale_max_throughput == 1000
    assert props.properties["content"]["offerAutopilotSettings"]["maxThroughput"] == 1000
    # ~2,000 RU against 1,000 RU/s max: ~1 s of throttling.
    assert _writes_take(coll, big_ru=2000) >= 0.35
    assert cosmosdb_emulator.stats()["containers"][f"{database.id}/auto"]["throttled"] > 0
    changed = coll.replace_throughput(ThroughputProperties(auto_scale_max_throughput=4000))
    assert changed.properties["content"]["offerAutopilotSettings"]["maxThroughput"] == 4000
    assert coll.get_throughput().auto_scale_max_throughput == 4000


@pytest.mark.parametrize(
    "throughput",
    [100, 450, 2_000_000, ThroughputProperties(auto_scale_max_throughput=1500)],
    ids=["below-400", "not-step-100", "too-high", "autoscale-not-step-1000"],
)
def test_invalid_throughput_is_400(database, throughput):
    with pytest.raises(CosmosHttpResponseError) as info:
        database.create_container("bad", PartitionKey("/pk"), offer_throughput=throughput)
    assert info.value.status_code == 400
    assert "throughput" in info.value.message.lower()
    names = [c["id"] for c in database.list_containers()]
    assert "bad" not in names


def test_replace_with_invalid_value_is_400_and_keeps_the_offer(database):
    coll = database.create_container("keep", PartitionKey("/pk"), offer_throughput=500)
    with pytest.raises(CosmosHttpResponseError) as info:
        coll.replace_throughput(250)
    assert info.value.status_code == 400
    assert coll.get_throughput().offer_throughput == 500


def test_container_without_throughput_has_no_offer(client, database):
    coll = database.create_container("free", PartitionKey("/pk"))
    rid = coll.read()["_rid"]
    offers = list(client.client_connection.ReadOffers())
    assert rid not in {o["offerResourceId"] for o in offers}
    # azure-cosmos 4.17.1 turns the empty offers answer into 404/1013 and then fails inside its
    # own container-recreate retry path; against the service it does exactly the same.
    with pytest.raises((AttributeError, CosmosResourceNotFoundError)):
        coll.get_throughput()


def test_offers_feed_read_and_admin_call_share_one_offer(cosmosdb_emulator, client, database):
    coll = database.create_container("feed", PartitionKey("/pk"), offer_throughput=600)
    rid = coll.read()["_rid"]
    mine = [o for o in client.client_connection.ReadOffers() if o["offerResourceId"] == rid]
    assert len(mine) == 1
    read = client.client_connection.ReadOffer(mine[0]["_self"])
    assert read["content"]["offerThroughput"] == 600
    # The admin call provisions the same offer (any positive rate; None removes it).
    cosmosdb_emulator.set_throughput(database.id, "feed", 50)
    assert coll.get_throughput().offer_throughput == 50
    cosmosdb_emulator.set_throughput(database.id, "feed", None)
    assert [o for o in client.client_connection.ReadOffers() if o["offerResourceId"] == rid] == []


def test_deleting_a_throttled_container_forgets_its_rate(cosmosdb_emulator, database):
    coll = database.create_container("gone", PartitionKey("/pk"))
    cosmosdb_emulator.set_throughput(database.id, "gone", 1)
    coll.upsert_item({"id": "1", "pk": "p"})  # overdraws the 1 RU/s bucket for ~4 s
    database.delete_container("gone")
    again = database.create_container("gone", PartitionKey("/pk"))
    for i in range(20):
        again.upsert_item({"id": f"w{i}", "pk": "p"})
    assert cosmosdb_emulator.stats()["containers"][f"{database.id}/gone"]["throttled"] == 0


def test_recreated_container_answers_1024_and_sdk_recovers(cosmosdb_emulator, client, database):
    coll = database.create_container("re", PartitionKey("/pk"))
    coll.upsert_item({"id": "old", "pk": "p"})
    old_rid = coll.read()["_rid"]
    # A second client caches the first container's RID.
    stale = client.get_database_client(database.id).get_container_client("re")
    other = cosmosdb_emulator.client().get_database_client(database.id).get_container_client("re")
    assert other.read_item("old", "p")["id"] == "old"
    database.delete_container("re")
    database.create_container("re", PartitionKey("/pk"))
    link = stale.container_link
    status, headers, _ = raw_request(
        cosmosdb_emulator,
        "POST",
        link + "/docs/",
        {"id": "x", "pk": "p"},
        "docs",
        link,
        {
            "x-ms-documentdb-partitionkey": '["p"]',
            "x-ms-cosmos-intended-collection-rid": old_rid,
        },
    )
    assert (status, headers.get("x-ms-substatus")) == (400, "1024")
    # The SDK client with the stale cache re-reads the container and retries.
    other.upsert_item({"id": "new", "pk": "p"})
    assert [d["id"] for d in other.read_all_items()] == ["new"]
