"""Requests where the emulator once differed from the service (found by ``make conformance``).

Each test drives the emulator through azure-cosmos (or signed raw HTTP for requests only other
SDKs send) and checks what the Cosmos DB REST docs describe.
"""

from __future__ import annotations

import json
import time

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError, CosmosResourceNotFoundError

from tests.emulator.conftest import create_raw, raw_request


def test_all_versions_delete_record_has_empty_current(container):
    list(container.query_items_change_feed(mode="AllVersionsAndDeletes"))
    token = container.client_connection.last_response_headers["etag"]
    container.create_item({"id": "a", "pk": "x"})
    container.delete_item("a", "x")
    items = list(
        container.query_items_change_feed(mode="AllVersionsAndDeletes", continuation=token)
    )
    create, delete = items
    assert delete["metadata"]["operationType"] == "delete"
    assert delete["current"] == {}
    assert create["current"]["id"] == "a"


def test_point_read_carries_lsn_headers(container):
    container.create_item({"id": "a", "pk": "x"})
    container.create_item({"id": "b", "pk": "y"})
    container.upsert_item({"id": "b", "pk": "y", "v": 2})
    response = container.read_item("a", "x")
    headers = response.get_response_headers()
    assert int(headers["lsn"]) == 3  # the container's LSN the read saw
    assert int(headers["x-ms-item-lsn"]) == 1  # the item's own
    batch = container.execute_item_batch([("create", ({"id": "c", "pk": "x"},))], "x")
    assert int(batch.get_response_headers()["lsn"]) == 4


def test_replace_with_a_new_id_renames_the_item(container):
    created = container.create_item({"id": "old", "pk": "x", "v": 1})
    renamed = container.replace_item("old", {"id": "new", "pk": "x", "v": 2})
    assert (renamed["id"], renamed["v"], renamed["_rid"]) == ("new", 2, created["_rid"])
    with pytest.raises(CosmosResourceNotFoundError):
        container.read_item("old", "x")
    assert container.read_item("new", "x")["v"] == 2
    container.create_item({"id": "other", "pk": "x"})
    with pytest.raises(CosmosHttpResponseError) as err:
        container.replace_item("other", {"id": "new", "pk": "x"})
    assert err.value.status_code == 409
    assert sorted(d["id"] for d in container.read_all_items()) == ["new", "other"]


def test_quoted_partition_key_path_with_a_slash(database):
    coll = database.create_container("q", PartitionKey(path=['/"level\' 1*()"/"le/vel2"']))
    coll.create_item({"id": "a", "level' 1*()": {"le/vel2": "v1"}})
    coll.create_item({"id": "b", "level' 1*()": {"le/vel2": "v2"}})
    assert coll.read_item("a", "v1")["id"] == "a"
    with pytest.raises(CosmosResourceNotFoundError):
        coll.read_item("a", "v2")
    assert [d["id"] for d in coll.query_items("SELECT * FROM c", partition_key="v2")] == ["b"]


def test_replace_container_changes_policy_and_ttl_but_not_the_key(database):
    coll = database.create_container("r", PartitionKey(path="/pk"))
    policy = {
        "indexingMode": "consistent",
        "includedPaths": [{"path": "/name/?"}],
        "excludedPaths": [{"path": "/*"}],
    }
    replaced = database.replace_container(
        coll, PartitionKey(path="/pk"), indexing_policy=policy, default_ttl=60
    )
    props = replaced.read()
    assert props["defaultTtl"] == 60
    assert props["indexingPolicy"]["includedPaths"] == [{"path": "/name/?"}]
    assert props["_rid"] == coll.read()["_rid"]
    with pytest.raises(CosmosHttpResponseError) as err:
        database.replace_container(coll, PartitionKey(path="/other"))
    assert err.value.status_code == 400
    assert database.get_container_client("r").read()["partitionKey"]["paths"] == ["/pk"]


def test_partition_key_mismatch_has_substatus_1001(cosmosdb_emulator, container):
    status, headers, _ = create_raw(cosmosdb_emulator, container, {"id": "a", "pk": "x"}, "y")
    assert status == 400
    assert headers["x-ms-substatus"] == "1001"


def test_too_many_partition_key_paths_message(database):
    with pytest.raises(CosmosHttpResponseError) as err:
        database.create_container(
            "m", PartitionKey(path=["/a", "/b", "/c", "/d"], kind="MultiHash")
        )
    assert err.value.status_code == 400
    assert "Too many partition key paths" in err.value.message


def _doc_link(container, doc_id):
    return f"{container.container_link}/docs/{doc_id}"


def test_patch_with_a_bare_array_body(cosmosdb_emulator, container):
    container.create_item({"id": "a", "pk": "x", "n": 1})
    link = _doc_link(container, "a")
    ops = [{"op": "incr", "path": "/n", "value": 2}, {"op": "add", "path": "/t", "value": "y"}]
    status, _, body = raw_request(
        cosmosdb_emulator,
        "PATCH",
        link,
        ops,
        "docs",
        link,
        {"x-ms-documentdb-partitionkey": '["x"]', "Content-Type": "application/json_patch+json"},
    )
    assert status == 200, body
    assert (json.loads(body)["n"], json.loads(body)["t"]) == (3, "y")
    assert container.read_item("a", "x")["n"] == 3


def test_change_feed_scoped_by_partition_key_header(cosmosdb_emulator, container):
    for i in range(12):
        container.create_item({"id": f"d{i}", "pk": f"p{i % 3}"})
    link = container.container_link
    status, headers, body = raw_request(
        cosmosdb_emulator,
        "GET",
        link + "/docs/",
        None,
        "docs",
        link,
        {"A-IM": "Incremental feed", "x-ms-documentdb-partitionkey": '["p1"]'},
    )
    assert status == 200
    docs = json.loads(body)["Documents"]
    assert sorted(d["id"] for d in docs) == ["d1", "d10", "d4", "d7"]
    # Resuming from the returned etag sees only that partition's new changes.
    container.create_item({"id": "n0", "pk": "p0"})
    container.create_item({"id": "n1", "pk": "p1"})
    status, _, body = raw_request(
        cosmosdb_emulator,
        "GET",
        link + "/docs/",
        None,
        "docs",
        link,
        {
            "A-IM": "Incremental feed",
            "x-ms-documentdb-partitionkey": '["p1"]',
            "If-None-Match": headers["etag"],
        },
    )
    assert status == 200
    assert [d["id"] for d in json.loads(body)["Documents"]] == ["n1"]


def _bulk(emulator, container, ops, continue_on_error=True):
    link = container.container_link
    headers = {
        "x-ms-cosmos-is-batch-request": "True",
        "x-ms-cosmos-batch-atomic": "False",
        "x-ms-cosmos-batch-continue-on-error": str(continue_on_error),
        "x-ms-documentdb-partitionkeyrangeid": "0",
    }
    status, _, body = raw_request(emulator, "POST", link + "/docs/", ops, "docs", link, headers)
    return status, json.loads(body)


def test_non_atomic_batch_partial_success(cosmosdb_emulator, container):
    container.create_item({"id": "exists", "pk": "b"})
    ops = [
        {
            "operationType": "Create",
            "partitionKey": '["a"]',
            "resourceBody": {"id": "1", "pk": "a"},
        },
        {
            "operationType": "Create",
            "partitionKey": '["b"]',
            "resourceBody": {"id": "exists", "pk": "b"},
        },
        {"operationType": "Upsert", "partitionKey": ["c"], "resourceBody": {"id": "2", "pk": "c"}},
        {"operationType": "Read", "partitionKey": '["b"]', "id": "exists"},
        {"operationType": "Delete", "partitionKey": '["b"]', "id": "missing"},
    ]
    status, results = _bulk(cosmosdb_emulator, container, ops)
    assert status == 207
    assert [r["statusCode"] for r in results] == [201, 409, 201, 200, 404]
    assert results[0]["resourceBody"]["id"] == "1"
    assert results[3]["resourceBody"]["id"] == "exists"
    # The successes are kept although other operations of the same request failed.
    assert container.read_item("1", "a")["pk"] == "a"
    assert container.read_item("2", "c")["pk"] == "c"


def test_non_atomic_batch_all_ok_and_stop_on_error(cosmosdb_emulator, container):
    ops = [
        {
            "operationType": "Create",
            "partitionKey": f'["k{i}"]',
            "resourceBody": {"id": "x", "pk": f"k{i}"},
        }
        for i in range(3)
    ]
    status, results = _bulk(cosmosdb_emulator, container, ops)
    assert (status, [r["statusCode"] for r in results]) == (200, [201, 201, 201])
    ops = [
        {
            "operationType": "Create",
            "partitionKey": '["k0"]',
            "resourceBody": {"id": "x", "pk": "k0"},
        },
        {
            "operationType": "Create",
            "partitionKey": '["k9"]',
            "resourceBody": {"id": "x", "pk": "k9"},
        },
    ]
    status, results = _bulk(cosmosdb_emulator, container, ops, continue_on_error=False)
    assert (status, [r["statusCode"] for r in results]) == (207, [409, 424])
    with pytest.raises(CosmosResourceNotFoundError):
        container.read_item("x", "k9")


def test_indexing_policy_is_normalized(database):
    etag_path = {"path": '/"_etag"/?'}
    default = database.create_container("d", PartitionKey(path="/pk")).read()["indexingPolicy"]
    assert default["includedPaths"] == [{"path": "/*"}]
    assert default["excludedPaths"] == [etag_path]
    partial = database.create_container(
        "p", PartitionKey(path="/pk"), indexing_policy={"indexingMode": "Consistent"}
    ).read()["indexingPolicy"]
    assert (partial["indexingMode"], partial["automatic"]) == ("consistent", True)
    assert (partial["includedPaths"], partial["excludedPaths"]) == ([{"path": "/*"}], [etag_path])
    legacy = {
        "includedPaths": [{"path": "/*", "indexes": [{"kind": "Hash", "dataType": "String"}]}],
        "excludedPaths": [{"path": "/secret/*"}],
    }
    custom = database.create_container(
        "c", PartitionKey(path="/pk"), indexing_policy=legacy
    ).read()["indexingPolicy"]
    assert custom["includedPaths"] == [{"path": "/*"}]
    assert custom["excludedPaths"] == [{"path": "/secret/*"}, etag_path]


@pytest.mark.parametrize("ttl", [-10, 0])
def test_invalid_default_ttl_is_rejected(database, ttl):
    with pytest.raises(CosmosHttpResponseError) as err:
        database.create_container("t", PartitionKey(path="/pk"), default_ttl=ttl)
    assert err.value.status_code == 400


def test_id_length_limits(client, database, container):
    with pytest.raises(CosmosHttpResponseError) as err:
        client.create_database("d" * 256)
    assert err.value.status_code == 400
    assert "less than '255' characters" in err.value.message
    with pytest.raises(CosmosHttpResponseError) as err:
        database.create_container("c" * 256, PartitionKey(path="/pk"))
    assert err.value.status_code == 400
    assert database.create_container("c" * 255, PartitionKey(path="/pk")).id == "c" * 255
    assert container.create_item({"id": "x" * 1023, "pk": "p"})["id"] == "x" * 1023
    with pytest.raises(CosmosHttpResponseError) as err:
        container.create_item({"id": "x" * 1024, "pk": "p"})
    assert "less than '1024' characters" in err.value.message


def test_conflicts_feed_is_empty(container):
    container.create_item({"id": "a", "pk": "x"})
    assert list(container.list_conflicts()) == []
    assert (
        list(container.query_conflicts("SELECT * FROM c", enable_cross_partition_query=True)) == []
    )
    with pytest.raises(CosmosResourceNotFoundError):
        container.get_conflict("nope", partition_key="x")


def test_query_and_index_metrics_headers(container):
    for i in range(6):
        container.create_item({"id": f"d{i}", "pk": "a" if i < 4 else "b", "n": i})
    items = container.query_items(
        "SELECT * FROM c WHERE c.n >= 2", partition_key="a", populate_query_metrics=True
    )
    assert sorted(d["id"] for d in items) == ["d2", "d3"]
    raw = items.get_response_headers()["x-ms-documentdb-query-metrics"]
    metrics = dict(entry.split("=", 1) for entry in raw.split(";"))
    assert (metrics["retrievedDocumentCount"], metrics["outputDocumentCount"]) == ("4", "2")
    assert float(metrics["totalExecutionTimeInMs"]) >= 0
    list(container.query_items("SELECT * FROM c", partition_key="a", populate_index_metrics=True))
    index = container.client_connection.last_response_headers["x-ms-cosmos-index-utilization"]
    assert index["UtilizedSingleIndexes"][0]["IndexSpec"] == "/pk/?"  # decoded by the SDK
    assert index["PotentialCompositeIndexes"] == []
    plain = container.query_items("SELECT * FROM c", partition_key="a")
    list(plain)
    assert "x-ms-documentdb-query-metrics" not in plain.get_response_headers()


def test_batch_with_a_prefix_of_a_hierarchical_key_fails_as_a_request(database):
    coll = database.create_container("h", PartitionKey(path=["/t", "/u"], kind="MultiHash"))
    ops = [("create", ({"id": "a", "t": "x", "u": "y"},))]
    with pytest.raises(CosmosHttpResponseError) as err:
        coll.execute_item_batch(ops, partition_key=["x"])
    assert err.value.status_code == 400
    assert "doesn't correspond to definition in the collection" in err.value.message
    assert len(coll.execute_item_batch(ops, partition_key=["x", "y"])) == 1


def test_database_shared_throughput_offer(client):
    db = client.create_database("shared_tp_db", offer_throughput=1000)
    try:
        assert db.get_throughput().offer_throughput == 1000
        assert db.replace_throughput(2000).offer_throughput == 2000
        assert db.get_throughput().offer_throughput == 2000
        resource = db.read()["_self"]
        mine = [o for o in client.client_connection.ReadOffers() if o["resource"] == resource]
        assert [o["content"]["offerThroughput"] for o in mine] == [2000]
    finally:
        client.delete_database(db.id)
    assert not [o for o in client.client_connection.ReadOffers() if o["resource"] == resource]


def test_container_read_quota_headers_and_statistics(container):
    for i in range(10):
        container.create_item({"id": f"d{i}", "pk": f"p{i}", "pad": "x" * 300})
    props = container.read(populate_quota_info=True, populate_partition_key_range_statistics=True)
    headers = container.client_connection.last_response_headers
    assert headers["x-ms-documentdb-collection-index-transformation-progress"] == "100"
    usage = dict(kv.split("=") for kv in headers["x-ms-resource-usage"].strip(";").split(";"))
    assert usage["documentsCount"] == "10"
    assert int(usage["documentsSize"]) >= 3  # 10 documents of > 300 bytes
    stats = props["statistics"]
    assert len(stats) == len(list(container.read_feed_ranges()))
    assert sum(s["documentCount"] for s in stats) == 10
    assert "statistics" not in container.read()


def test_users_and_permissions_crud(database, container):
    user = database.create_user({"id": "alice"})
    assert [u["id"] for u in database.list_users()] == ["alice"]
    found = list(
        database.query_users(
            "SELECT * FROM root r WHERE r.id=@id", parameters=[{"name": "@id", "value": "alice"}]
        )
    )
    assert [u["id"] for u in found] == ["alice"]
    link = f"dbs/{database.id}/colls/{container.id}"
    perm = user.create_permission({"id": "p1", "permissionMode": "Read", "resource": link})
    assert perm.properties["_token"]
    assert perm.properties["resource"] == link
    with pytest.raises(CosmosHttpResponseError) as err:
        user.create_permission({"id": "p1", "permissionMode": "Read", "resource": link})
    assert err.value.status_code == 409
    upserted = user.upsert_permission({"id": "p1", "permissionMode": "All", "resource": link})
    assert upserted.properties["permissionMode"] == "All"
    renamed = user.replace_permission("p1", {**upserted.properties, "id": "p2"})
    assert [p["id"] for p in user.list_permissions()] == [renamed.id] == ["p2"]
    database.replace_user("alice", {"id": "bob"})
    with pytest.raises(CosmosResourceNotFoundError):
        database.get_user_client("alice").read()
    bob = database.get_user_client("bob")
    assert [p["id"] for p in bob.list_permissions()] == ["p2"]
    database.delete_user("bob")
    assert list(database.list_users()) == []
    with pytest.raises(CosmosResourceNotFoundError):
        bob.get_permission("p2")


def test_scripts_are_stored(container):
    scripts = container.scripts
    sproc = scripts.create_stored_procedure({"id": "sp", "body": "function () {}"})
    assert sproc["body"] == "function () {}"
    scripts.create_trigger(
        {"id": "t", "body": "function () {}", "triggerType": "Pre", "triggerOperation": "All"}
    )
    scripts.create_user_defined_function({"id": "f", "body": "function (x) { return x; }"})
    assert [s["id"] for s in scripts.list_stored_procedures()] == ["sp"]
    assert [s["id"] for s in scripts.list_triggers()] == ["t"]
    assert [s["id"] for s in scripts.list_user_defined_functions()] == ["f"]
    replaced = scripts.replace_user_defined_function("f", {"id": "f", "body": "function () {}"})
    assert replaced["body"] == "function () {}"
    scripts.delete_trigger("t")
    with pytest.raises(CosmosResourceNotFoundError):
        scripts.get_trigger("t")


def test_point_read_with_a_prefix_of_a_hierarchical_key_is_a_mismatch(database):
    coll = database.create_container("h", PartitionKey(path=["/t", "/u"], kind="MultiHash"))
    coll.create_item({"id": "a", "t": "x", "u": "y"})
    with pytest.raises(CosmosHttpResponseError) as err:
        coll.read_item("a", partition_key=["x"])
    assert (err.value.status_code, err.value.sub_status) == (400, 1001)
    assert coll.read_item("a", partition_key=["x", "y"])["id"] == "a"


def test_computed_properties_in_queries_and_replace(database):
    cps = [
        {"name": "cp_lower", "query": "SELECT VALUE LOWER(c.group) FROM c"},
        {"name": "cp_len", "query": "SELECT VALUE LENGTH(c.word) FROM c"},
    ]
    coll = database.create_container("cp", PartitionKey(path="/pk"), computed_properties=cps)
    for i, (group, word) in enumerate([("GroUp1", "abc"), ("group1", "abcdef"), ("G2", "x")]):
        coll.create_item({"id": str(i), "pk": "p", "group": group, "word": word})
    assert coll.read()["computedProperties"] == cps
    rows = list(coll.query_items("SELECT * FROM c WHERE c.cp_lower = 'group1'", partition_key="p"))
    assert sorted(r["id"] for r in rows) == ["0", "1"]
    assert all("cp_lower" not in r for r in rows)  # SELECT * leaves them out
    lens = coll.query_items("SELECT VALUE c.cp_len FROM c ORDER BY c.cp_len", partition_key="p")
    assert list(lens) == [1, 3, 6]
    # Across partitions the SDK runs the query plan's ORDER BY form; SELECT * still leaves
    # computed properties out of the documents.
    ordered = list(
        coll.query_items("SELECT * FROM c ORDER BY c.cp_len", enable_cross_partition_query=True)
    )
    assert [r["id"] for r in ordered] == ["2", "0", "1"]
    assert all("cp_len" not in r and "cp_lower" not in r for r in ordered)
    by_ts = list(
        coll.query_items("SELECT * FROM c ORDER BY c._ts", enable_cross_partition_query=True)
    )
    assert sorted(r["id"] for r in by_ts) == ["0", "1", "2"]
    assert all("cp_len" not in r and "cp_lower" not in r for r in by_ts)
    database.replace_container(coll, PartitionKey(path="/pk"))  # removes them
    assert list(coll.query_items("SELECT * FROM c WHERE c.cp_len = 1", partition_key="p")) == []
    with pytest.raises(CosmosHttpResponseError) as err:
        database.replace_container(coll, PartitionKey(path="/pk"), computed_properties=cps[0])
    assert err.value.status_code == 400
    assert "One of the specified inputs is invalid" in err.value.message


def test_hash_v1_partition_key_container(database):
    coll = database.create_container("v1", PartitionKey(path="/pk", kind="Hash", version=1))
    assert coll.read()["partitionKey"]["version"] == 1
    values = ["a", "b" * 150, 7, 2.5, True, None]
    for i, value in enumerate(values):
        coll.create_item({"id": f"d{i}", "pk": value})
    for i, value in enumerate(values):
        assert coll.read_item(f"d{i}", value)["id"] == f"d{i}"
    assert [d["id"] for d in coll.query_items("SELECT * FROM c", partition_key=7)] == ["d2"]
    # The SDK hashes the key with v1 to build the feed range it sends (x-ms-start/end-epk).
    feed = coll.query_items_change_feed(partition_key="a", start_time="Beginning")
    assert [d["id"] for d in feed] == ["d0"]
    fr = coll.feed_range_from_partition_key("b" * 150)
    assert [d["id"] for d in coll.query_items("SELECT * FROM c", feed_range=fr)] == ["d1"]
    coll.delete_item("d4", True)
    assert sorted(d["id"] for d in coll.read_all_items()) == ["d0", "d1", "d2", "d3", "d5"]
    with pytest.raises(CosmosHttpResponseError) as err:
        database.create_container(
            "v1m", PartitionKey(path=["/a", "/b"], kind="MultiHash", version=1)
        )
    assert err.value.status_code == 400


@pytest.mark.parametrize("ttl", [0, None, -10, "5"])
def test_invalid_item_ttl_is_rejected_when_ttl_is_on(database, ttl):
    on = database.create_container("on", PartitionKey(path="/pk"), default_ttl=100)
    with pytest.raises(CosmosHttpResponseError) as err:
        on.create_item({"id": "a", "pk": "x", "ttl": ttl})
    assert err.value.status_code == 400
    assert on.create_item({"id": "b", "pk": "x", "ttl": -1})["ttl"] == -1
    off = database.create_container("off", PartitionKey(path="/pk"))
    assert off.create_item({"id": "a", "pk": "x", "ttl": ttl})["ttl"] == ttl  # just a field


def test_time_to_live_deletes_expired_items(database):
    coll = database.create_container("ttl", PartitionKey(path="/pk"), default_ttl=1)
    forever = database.create_container("ttl_off", PartitionKey(path="/pk"), default_ttl=-1)
    list(coll.query_items_change_feed(mode="AllVersionsAndDeletes"))
    token = coll.client_connection.last_response_headers["etag"]
    coll.create_item({"id": "gone", "pk": "x"})
    coll.create_item({"id": "kept", "pk": "x", "ttl": -1})
    coll.create_item({"id": "later", "pk": "x", "ttl": 60})
    forever.create_item({"id": "stays", "pk": "x"})
    forever.create_item({"id": "short", "pk": "x", "ttl": 1})
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        ids = sorted(d["id"] for d in coll.read_all_items())
        if ids == ["kept", "later"]:
            break
        time.sleep(0.5)
    assert sorted(d["id"] for d in coll.read_all_items()) == ["kept", "later"]
    with pytest.raises(CosmosResourceNotFoundError):
        coll.read_item("gone", "x")
    while time.monotonic() < deadline and len(list(forever.read_all_items())) > 1:
        time.sleep(0.5)
    assert [d["id"] for d in forever.read_all_items()] == ["stays"]
    changes = list(coll.query_items_change_feed(mode="AllVersionsAndDeletes", continuation=token))
    deletes = [c for c in changes if c["metadata"]["operationType"] == "delete"]
    assert [(d["metadata"]["id"], d["metadata"]["timeToLiveExpired"]) for d in deletes] == [
        ("gone", True)
    ]


def test_aggregate_with_order_by_is_accepted(container):
    for i in range(5):
        container.create_item({"id": str(i), "pk": f"p{i % 2}", "x": i})
    rows = container.query_items(
        "SELECT VALUE SUM(c.x) FROM c WHERE c.x > 0 ORDER BY c.pk", partition_key="p0"
    )
    assert list(rows) == [6]  # 2 + 4


def test_resource_tokens_grant_what_the_permission_allows(cosmosdb_emulator, database, container):
    from azure.cosmos import CosmosClient

    container.create_item({"id": "d1", "pk": "d1"})
    container.create_item({"id": "d2", "pk": "d2"})
    user = database.create_user({"id": "reader"})
    coll_link = f"dbs/{database.id}/colls/{container.id}"
    read_coll = user.create_permission(
        {"id": "coll", "permissionMode": "Read", "resource": coll_link}
    ).properties["_token"]
    all_doc = user.create_permission(
        {"id": "doc", "permissionMode": "All", "resource": f"{coll_link}/docs/d1"}
    ).properties["_token"]

    reader = CosmosClient(cosmosdb_emulator.endpoint, {coll_link: read_coll})
    coll = reader.get_database_client(database.id).get_container_client(container.id)
    assert sorted(d["id"] for d in coll.read_all_items()) == ["d1", "d2"]
    assert coll.read_item("d2", "d2")["id"] == "d2"
    assert [d["id"] for d in coll.query_items("SELECT * FROM c", partition_key="d1")] == ["d1"]
    with pytest.raises(CosmosHttpResponseError) as err:
        coll.delete_item("d2", "d2")
    assert err.value.status_code == 403
    with pytest.raises(CosmosHttpResponseError) as err:
        reader.get_database_client(database.id).delete_container(container.id)
    assert err.value.status_code == 403

    writer = CosmosClient(cosmosdb_emulator.endpoint, {f"{coll_link}/docs/d1": all_doc})
    wcoll = writer.get_database_client(database.id).get_container_client(container.id)
    assert wcoll.read_item("d1", "d1")["id"] == "d1"
    wcoll.delete_item("d1", "d1")
    assert [d["id"] for d in container.read_all_items()] == ["d2"]

    with pytest.raises(CosmosHttpResponseError) as err:
        CosmosClient(cosmosdb_emulator.endpoint, {coll_link: "type=resource&ver=1.0&sig=nope"})
    assert err.value.status_code == 401


def _plan(emulator, container, query):
    link = container.container_link
    headers = {
        "x-ms-cosmos-is-query-plan-request": "True",
        "x-ms-documentdb-isquery": "True",
        "Content-Type": "application/query+json",
        "x-ms-cosmos-supported-query-features": "Aggregate,Distinct,MultipleOrderBy,OffsetAndLimit,OrderBy,Top",
    }
    body = {"query": query, "parameters": []}
    status, _, raw = raw_request(emulator, "POST", link + "/docs/", body, "docs", link, headers)
    assert status == 200, raw
    return json.loads(raw)["queryInfo"]


def test_query_plan_describes_the_query(cosmosdb_emulator, container):
    info = _plan(cosmosdb_emulator, container, "Select top 10 value count(c.id) from c")
    assert (info["top"], info["aggregates"], info["hasSelectValue"]) == (10, ["Count"], True)
    assert (info["orderBy"], info["distinctType"], info["offset"]) == ([], "None", None)
    info = _plan(
        cosmosdb_emulator, container, "SELECT * FROM r ORDER BY r._ts DESC OFFSET 5 LIMIT 10"
    )
    assert (info["orderBy"], info["orderByExpressions"]) == (["Descending"], ["r._ts"])
    assert (info["offset"], info["limit"], info["top"], info["aggregates"]) == (5, 10, None, [])
    info = _plan(cosmosdb_emulator, container, "SELECT DISTINCT VALUE c.id FROM c ORDER BY c.id")
    assert info["distinctType"] == "Ordered"
    assert info["rewrittenQuery"]
    assert _plan(cosmosdb_emulator, container, "SELECT DISTINCT c.a FROM c")["distinctType"] == (
        "Unordered"
    )
    info = _plan(cosmosdb_emulator, container, "SELECT VALUE AVG(c.n) FROM c")
    assert info["aggregates"] == ["Average"]


SPROC_WRITE = """function (prefix, n) {
    var coll = getContext().getCollection();
    for (var i = 0; i < n; i++) {
        var ok = coll.createDocument(coll.getSelfLink(), {id: prefix + i, pk: "p"}, {},
            function (err, doc) { if (err) throw err; console.log("created %s", doc.id); });
        if (!ok) throw new Error("not accepted");
    }
    coll.queryDocuments(coll.getSelfLink(), "SELECT VALUE COUNT(1) FROM c", {},
        function (err, rows) { getContext().getResponse().setBody({count: rows[0]}); });
}"""


def test_stored_procedures_run_in_one_transaction(container):
    scripts = container.scripts
    scripts.create_stored_procedure({"id": "write", "body": SPROC_WRITE})
    result = scripts.execute_stored_procedure(
        "write", partition_key="p", params=["a", 3], enable_script_logging=True
    )
    assert result == {"count": 3}
    logs = container.scripts.client_connection.last_response_headers[
        "x-ms-documentdb-script-log-results"
    ]
    assert logs == "created%20a0%0Acreated%20a1%0Acreated%20a2"
    # "a1" exists: the create fails, the script throws, and "b0"..."b2" are rolled back.
    scripts.create_stored_procedure(
        {"id": "clash", "body": SPROC_WRITE.replace("prefix + i", '(i == 2 ? "a1" : prefix + i)')}
    )
    with pytest.raises(CosmosHttpResponseError) as err:
        scripts.execute_stored_procedure("clash", partition_key="p", params=["b", 3])
    assert err.value.status_code == 400
    assert sorted(d["id"] for d in container.read_all_items()) == ["a0", "a1", "a2"]
    # Documents of another partition key are refused.
    scripts.create_stored_procedure(
        {
            "id": "other",
            "body": "function () { getContext().getCollection().createDocument("
            "__.getSelfLink(), {id: 'z', pk: 'q'}); }",
        }
    )
    with pytest.raises(CosmosHttpResponseError) as err:
        scripts.execute_stored_procedure("other", partition_key="p")
    assert err.value.status_code == 400
    scripts.create_stored_procedure(
        {
            "id": "append",
            "body": "function () { for (var i = 0; i < 4; i++) "
            "getContext().getResponse().appendValue('Body', i); }",
        }
    )
    assert scripts.execute_stored_procedure("append", partition_key="p") == "0123"
    scripts.create_stored_procedure({"id": "spin", "body": "function () { while (true) {} }"})
    with pytest.raises(CosmosHttpResponseError) as err:
        scripts.execute_stored_procedure("spin", partition_key="p")
    assert err.value.status_code == 408
    assert len(list(container.read_all_items())) == 3


def test_count_of_a_partition_is_index_only(container):
    for i in range(7):
        container.create_item({"id": str(i), "pk": "a" if i < 5 else "b"})
    rows = container.query_items(
        "SELECT VALUE COUNT(1) FROM c", partition_key="a", populate_query_metrics=True
    )
    assert list(rows) == [5]
    raw = rows.get_response_headers()["x-ms-documentdb-query-metrics"]
    assert dict(kv.split("=", 1) for kv in raw.split(";"))["retrievedDocumentCount"] == "0"
    everything = container.query_items(
        "select value count(1) from c", enable_cross_partition_query=True
    )
    assert list(everything) == [7]


def test_math_functions_in_queries(container):
    container.create_item({"id": "a", "pk": "x", "v": 5})
    query = "SELECT VALUE [POWER(c.v, 2), SQRT(16), SQUARE(c.v), LOG10(1000), SIGN(-c.v)] FROM c"
    assert list(container.query_items(query, partition_key="x")) == [[25, 4, 25, 3, -1]]


def test_pre_and_post_triggers(container):
    scripts = container.scripts
    scripts.create_trigger(
        {
            "id": "upper",
            "triggerType": "Pre",
            "triggerOperation": "All",
            "body": "function () { var item = getContext().getRequest().getBody();"
            " item.id = item.id.toUpperCase(); item.stamped = true;"
            " getContext().getRequest().setBody(item); }",
        }
    )
    scripts.create_trigger(
        {
            "id": "audit",
            "triggerType": "Post",
            "triggerOperation": "Create",
            "body": "function () { var doc = getContext().getResponse().getBody();"
            " if (doc.id === 'BAD') throw new Error('refused');"
            " getContext().getCollection().createDocument(__.getSelfLink(),"
            " {id: 'log-' + doc.id, pk: doc.pk}); }",
        }
    )
    created = container.create_item(
        {"id": "abc", "pk": "x"}, pre_trigger_include="upper", post_trigger_include="audit"
    )
    assert (created["id"], created["stamped"]) == ("ABC", True)
    assert container.read_item("log-ABC", "x")["pk"] == "x"
    # A post-trigger that throws undoes the write (and its own writes).
    with pytest.raises(CosmosHttpResponseError) as err:
        container.create_item(
            {"id": "bad", "pk": "x"}, pre_trigger_include="upper", post_trigger_include="audit"
        )
    assert err.value.status_code == 400
    assert sorted(d["id"] for d in container.read_all_items()) == ["ABC", "log-ABC"]
    # A trigger for another operation, or of the wrong type, is refused.
    with pytest.raises(CosmosHttpResponseError) as err:
        container.upsert_item({"id": "u", "pk": "x"}, post_trigger_include="audit")
    assert err.value.status_code == 400
    with pytest.raises(CosmosHttpResponseError) as err:
        container.create_item({"id": "u", "pk": "x"}, pre_trigger_include="audit")
    assert err.value.status_code == 400


def test_st_distance_between_points(container):
    container.create_item(
        {"id": "near", "pk": "x", "loc": {"type": "Point", "coordinates": [20, 20]}}
    )
    container.create_item(
        {"id": "far", "pk": "x", "loc": {"type": "Point", "coordinates": [100, 60]}}
    )
    query = (
        "SELECT VALUE c.id FROM c WHERE"
        " ST_DISTANCE(c.loc, {type: 'Point', coordinates: [20.1, 20]}) < 20000"
    )
    assert list(container.query_items(query, partition_key="x")) == ["near"]
    one_degree = container.query_items(
        "SELECT VALUE ST_DISTANCE({type: 'Point', coordinates: [0, 0]},"
        " {type: 'Point', coordinates: [0, 1]}) FROM c WHERE c.id = 'near'",
        partition_key="x",
    )
    (distance,) = list(one_degree)
    assert abs(distance - 111_195) < 100  # 1 degree of latitude, in meters


def test_resource_token_limited_to_a_partition_key(cosmosdb_emulator, database, container):
    from azure.cosmos import CosmosClient

    user = database.create_user({"id": "one-key"})
    link = f"dbs/{database.id}/colls/{container.id}"
    token = user.create_permission(
        {"id": "p", "permissionMode": "All", "resource": link, "resourcePartitionKey": ["a"]}
    ).properties["_token"]
    coll = (
        CosmosClient(cosmosdb_emulator.endpoint, {link: token})
        .get_database_client(database.id)
        .get_container_client(container.id)
    )
    assert coll.create_item({"id": "1", "pk": "a"})["pk"] == "a"
    with pytest.raises(CosmosHttpResponseError) as err:
        coll.create_item({"id": "2", "pk": "b"})
    assert err.value.status_code == 403
    assert [d["id"] for d in container.read_all_items()] == ["1"]
