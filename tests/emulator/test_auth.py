"""Master-key signature: worked examples and 401 through the real SDK.

The signature scheme: Cosmos DB REST "Access control on Cosmos DB resources".
"""

from __future__ import annotations

import base64
import urllib.request
import uuid

import pytest
from azure.cosmos import CosmosClient, PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError

from cosmosdb_emulator import DEFAULT_KEY
from cosmosdb_emulator.auth import authorization_header, sign, verify

DATE = "Thu, 27 Apr 2017 00:51:12 GMT"


@pytest.mark.parametrize(
    ("verb", "rtype", "link", "sig"),
    [
        ("GET", "docs", "dbs/db1/colls/c1/docs/a", "JW+XQk/SzMq3XzjOqOzDc7coxidn+f5wHkzfSW+NXAg="),
        ("POST", "docs", "dbs/db1/colls/c1", "pTGQzKdYvdxaLYLD3NjExGL/mezZdIeS3Mak7aIS7VA="),
        ("GET", "", "", "gFB1bRB/PLJTG3bCgMuoVgNzOyFvZAamzEtLuSITjRc="),
    ],
)
def test_worked_examples(verb, rtype, link, sig):
    assert sign(DEFAULT_KEY, verb, rtype, link, DATE) == sig
    header = authorization_header(DEFAULT_KEY, verb, rtype, link, DATE)
    assert verify(DEFAULT_KEY, verb, rtype, link, DATE, header)
    assert not verify(DEFAULT_KEY, verb, rtype, link + "x", DATE, header)
    assert not verify(DEFAULT_KEY, verb, rtype, link, None, header)


def test_wrong_key_is_rejected_by_sdk_with_401(cosmosdb_emulator):
    wrong = base64.b64encode(b"not the right key at all 1234567").decode()
    with pytest.raises(CosmosHttpResponseError) as info:
        CosmosClient(cosmosdb_emulator.endpoint, wrong)  # the constructor reads the account
    assert info.value.status_code == 401


def test_unsigned_request_gets_401(cosmosdb_emulator):
    req = urllib.request.Request(cosmosdb_emulator.endpoint + "dbs")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 401
    assert b"Unauthorized" in info.value.read()


def test_names_with_special_characters_are_signed_unencoded(client):
    name = f"my db+é {uuid.uuid4().hex[:6]}"
    db = client.create_database(name)
    try:
        coll = db.create_container("my coll+é", partition_key=PartitionKey("/pk"))
        coll.upsert_item({"id": "a b+é%", "pk": "x"})
        assert coll.read_item("a b+é%", "x")["id"] == "a b+é%"
    finally:
        client.delete_database(name)


@pytest.mark.parametrize("key", [None, "wrong"])
def test_admin_api_requires_the_signature(cosmosdb_emulator, key):
    from tests.emulator.conftest import raw_request

    headers = {}
    if key == "wrong":
        other = base64.b64encode(b"x" * 64).decode()
        date = "Mon, 01 Jan 2024 00:00:00 GMT"
        headers = {"authorization": authorization_header(other, "GET", "", "_emulator/stats", date)}
    else:
        headers = {"authorization": ""}
    status, _, body = raw_request(cosmosdb_emulator, "GET", "_emulator/stats", headers=headers)
    assert status == 401
    assert b"Unauthorized" in body
    # Correctly signed, the same call answers.
    assert "requests" in cosmosdb_emulator.stats()
