"""Item CRUD and the service's error answers, through the real SDK over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.utils import formatdate

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from cosmosdb_emulator.auth import authorization_header
from tests.emulator.conftest import create_raw

SYSTEM = {"_rid", "_self", "_etag", "_attachments", "_ts"}


def test_create_read_upsert_replace_delete(container):
    created = container.create_item({"id": "a", "pk": "p", "v": 1})
    assert set(created) >= SYSTEM
    assert created["_self"].endswith(f"docs/{created['_rid']}/")
    with pytest.raises(CosmosResourceExistsError):
        container.create_item({"id": "a", "pk": "p"})
    # Same id in another logical partition is a different item.
    container.create_item({"id": "a", "pk": "q", "v": 9})
    up = container.upsert_item({"id": "a", "pk": "p", "v": 2, "_etag": "ignored"})
    assert up["v"] == 2
    assert up["_etag"] != created["_etag"]
    assert up["_rid"] == created["_rid"]
    assert container.client_connection.last_response_headers is not None
    assert container.read_item("a", "p")["v"] == 2
    assert container.read_item("a", "q")["v"] == 9
    replaced = container.replace_item("a", {"id": "a", "pk": "p", "v": 3})
    assert replaced["v"] == 3
    with pytest.raises(CosmosAccessConditionFailedError):
        container.replace_item(
            "a", {"id": "a", "pk": "p", "v": 4}, etag=up["_etag"], match_condition=_if_match()
        )
    container.delete_item("a", "p")
    with pytest.raises(CosmosResourceNotFoundError):
        container.read_item("a", "p")
    with pytest.raises(CosmosResourceNotFoundError):
        container.delete_item("a", "p")
    with pytest.raises(CosmosResourceNotFoundError):
        container.replace_item("a", {"id": "a", "pk": "p"})


def _if_match():
    from azure.core import MatchConditions

    return MatchConditions.IfNotModified


def test_upsert_status_codes(cosmosdb_emulator, container):
    doc = {"id": "u2", "pk": "p"}
    assert (
        create_raw(cosmosdb_emulator, container, doc, "p", {"x-ms-documentdb-is-upsert": "True"})[0]
        == 201
    )
    assert (
        create_raw(cosmosdb_emulator, container, doc, "p", {"x-ms-documentdb-is-upsert": "True"})[0]
        == 200
    )
    assert create_raw(cosmosdb_emulator, container, doc, "p")[0] == 409


def test_patch_operations_and_condition(container):
    container.create_item({"id": "p", "pk": "k", "n": 1, "arr": [1, 2], "old": "x", "o": {"a": 1}})
    out = container.patch_item(
        "p",
        "k",
        [
            {"op": "add", "path": "/new", "value": 5},
            {"op": "set", "path": "/o/b", "value": 2},
            {"op": "replace", "path": "/n", "value": 10},
            {"op": "incr", "path": "/n", "value": 5},
            {"op": "remove", "path": "/arr/0"},
            {"op": "move", "from": "/old", "path": "/moved"},
            {"op": "add", "path": "/arr/-", "value": 3},
        ],
    )
    assert out["new"] == 5
    assert out["o"] == {"a": 1, "b": 2}
    assert out["n"] == 15
    assert out["arr"] == [2, 3]
    assert out["moved"] == "x"
    assert "old" not in out
    with pytest.raises(CosmosHttpResponseError) as info:
        container.patch_item("p", "k", [{"op": "replace", "path": "/missing", "value": 1}])
    assert info.value.status_code == 400
    with pytest.raises(CosmosResourceNotFoundError):
        container.patch_item("nope", "k", [{"op": "add", "path": "/a", "value": 1}])


def test_bad_input_answers(cosmosdb_emulator, container):
    # The SDK refuses some of these ids itself, so send them by raw HTTP.
    for bad_id in ["a/b", "a\\b", "a?b", "a#b", "x" * 1024, 5, None, ""]:
        doc = {"pk": "p"} if bad_id is None else {"id": bad_id, "pk": "p"}
        status, _, body = create_raw(cosmosdb_emulator, container, doc, "p")
        assert status == 400, bad_id
        assert json.loads(body)["code"] == "BadRequest"
    status, _, _ = create_raw(cosmosdb_emulator, container, [1, 2], "p")
    assert status == 400
    with pytest.raises(CosmosHttpResponseError) as info:
        container.create_item({"id": "big", "pk": "p", "blob": "x" * (2 * 1024 * 1024 + 10)})
    assert info.value.status_code == 413
    # Nothing half-written.
    assert list(container.read_all_items()) == []


def test_partition_key_header_must_match_body(cosmosdb_emulator, container):
    # The SDK always derives the header from the body, so send a mismatching one by raw HTTP.
    status, _, body = create_raw(cosmosdb_emulator, container, {"id": "m", "pk": "a"}, "b")
    assert status == 400
    assert "PartitionKey" in json.loads(body)["message"]
    with pytest.raises(CosmosResourceNotFoundError):
        container.read_item("m", "a")


def test_undefined_and_typed_partition_keys(database):
    coll = database.create_container("typed", PartitionKey("/pk"))
    values = ["s", 1, 1.5, True, None]
    for i, v in enumerate(values):
        coll.create_item({"id": str(i), "pk": v})
    coll.create_item({"id": "nopk"})
    for i, v in enumerate(values):
        assert coll.read_item(str(i), v)["pk"] == v
    from azure.cosmos.partition_key import NonePartitionKeyValue

    assert coll.read_item("nopk", NonePartitionKeyValue)["id"] == "nopk"


def test_read_all_items_paging(container):
    for i in range(25):
        container.create_item({"id": f"i{i:02d}", "pk": f"p{i % 4}"})
    pages = list(container.read_all_items(max_item_count=7).by_page())
    ids = [d["id"] for page in pages for d in page]
    assert len(pages) >= 4
    assert sorted(ids) == [f"i{i:02d}" for i in range(25)]


def test_delete_all_items_by_partition_key(container):
    for i in range(5):
        container.create_item({"id": str(i), "pk": "gone"})
    container.create_item({"id": "keep", "pk": "stay"})
    container.delete_all_items_by_partition_key("gone")
    assert [d["id"] for d in container.read_all_items()] == ["keep"]


def test_delete_by_self_link(container):
    item = container.create_item({"id": "s", "pk": "p"})
    container.delete_item(item, "p")
    with pytest.raises(CosmosResourceNotFoundError):
        container.read_item("s", "p")


def test_databases_and_containers(client, database):
    with pytest.raises(CosmosResourceExistsError):
        client.create_database(database.id)
    c = database.create_container("c", PartitionKey("/pk"))
    props = c.read()
    assert props["partitionKey"] == {"paths": ["/pk"], "kind": "Hash", "version": 2}
    assert props["_rid"]
    assert props["_self"]
    with pytest.raises(CosmosResourceExistsError):
        database.create_container("c", PartitionKey("/pk"))
    assert [x["id"] for x in database.list_containers()] == ["c"]
    assert database.id in [d["id"] for d in client.list_databases()]
    database.delete_container("c")
    with pytest.raises(CosmosResourceNotFoundError):
        database.get_container_client("c").read()
    with pytest.raises(CosmosResourceNotFoundError):
        client.get_database_client("no-such-db").read()


def test_malformed_container_definition(database):
    with pytest.raises(CosmosHttpResponseError) as info:
        database.create_container("bad", PartitionKey(path="pk"))
    assert info.value.status_code == 400
    with pytest.raises(CosmosHttpResponseError) as info:
        database.create_container(
            "bad2", PartitionKey(path=["/a", "/b", "/c", "/d"], kind="MultiHash")
        )
    assert info.value.status_code == 400


def test_unknown_route_and_malformed_json(cosmosdb_emulator, container):
    def call(method, path, body, rtype, link):
        date = formatdate(usegmt=True)
        req = urllib.request.Request(
            cosmosdb_emulator.endpoint + path,
            data=body,
            method=method,
            headers={
                "x-ms-date": date,
                "authorization": authorization_header(
                    cosmosdb_emulator.key, method, rtype, link, date
                ),
                "x-ms-documentdb-partitionkey": '["p"]',
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    status, body = call("GET", "nothing/here", None, "", "")
    assert status == 404
    link = container.container_link
    status, body = call("POST", link + "/docs/", b'{"id": "a", ', "docs", link)
    assert status == 400
    assert "JSON" in json.loads(body)["message"]
