"""Continuation tokens on the wire: what each feed sends, and 400 for one it did not send.

The query, read-feed and change-feed paths share one codec (``cosmosdb_emulator.tokens``); the
SDK sends back exactly what it received, so the formats it sees must stay as they are.
"""

from __future__ import annotations

import base64
import json

from tests.emulator.conftest import raw_request


def _docs_request(emulator, container, method, headers, body=None):
    link = container.container_link
    return raw_request(emulator, method, link + "/docs/", body, "docs", link, headers)


def _fill(container, n=5):
    for i in range(n):
        container.create_item({"id": f"d{i}", "pk": "p"})


def test_read_feed_token_is_the_last_document_position(cosmosdb_emulator, container):
    _fill(container)
    status, headers, body = _docs_request(
        cosmosdb_emulator, container, "GET", {"x-ms-max-item-count": "2"}
    )
    assert status == 200
    page = json.loads(body)["Documents"]
    position = json.loads(base64.urlsafe_b64decode(headers["x-ms-continuation"]))
    assert position[1] == page[-1]["id"]
    assert len(position) == 2
    assert all(isinstance(v, str) for v in position)
    resumed = _docs_request(
        cosmosdb_emulator,
        container,
        "GET",
        {"x-ms-max-item-count": "10", "x-ms-continuation": headers["x-ms-continuation"]},
    )
    ids = [d["id"] for d in page + json.loads(resumed[2])["Documents"]]
    assert sorted(ids) == [f"d{i}" for i in range(5)]


def test_query_token_is_a_position(cosmosdb_emulator, container):
    _fill(container)
    headers = {
        "x-ms-documentdb-isquery": "true",
        "Content-Type": "application/query+json",
        "x-ms-documentdb-partitionkey": '["p"]',
        "x-ms-max-item-count": "2",
    }
    status, answer, _ = _docs_request(
        cosmosdb_emulator, container, "POST", headers, {"query": "SELECT c.id FROM c"}
    )
    assert status == 200
    state = json.loads(base64.urlsafe_b64decode(answer["x-ms-continuation"]))
    assert list(state) == ["p"]
    assert len(state["p"]) == 3


def test_change_feed_etag_is_the_quoted_lsn(cosmosdb_emulator, container):
    _fill(container, 3)
    status, headers, body = _docs_request(
        cosmosdb_emulator, container, "GET", {"A-IM": "Incremental feed"}
    )
    assert status == 200
    last = json.loads(body)["Documents"][-1]["_lsn"]
    assert headers["etag"] == f'"{last}"'


def test_tokens_not_sent_by_the_emulator_are_400(cosmosdb_emulator, container):
    _fill(container, 1)
    query = {
        "x-ms-documentdb-isquery": "true",
        "Content-Type": "application/query+json",
        "x-ms-documentdb-partitionkey": '["p"]',
    }
    cases = [
        ("GET", {"x-ms-continuation": "not base64 json"}, None, "Invalid x-ms-continuation"),
        ("GET", {"x-ms-continuation": base64.urlsafe_b64encode(b'{"a":1}').decode()}, None,
         "Invalid x-ms-continuation"),
        ("POST", {**query, "x-ms-continuation": "%%%"}, {"query": "SELECT * FROM c"},
         "Invalid query continuation"),
        ("POST", {**query, "x-ms-continuation": base64.urlsafe_b64encode(b'{"p":[1]}').decode()},
         {"query": "SELECT * FROM c"}, "Invalid query continuation"),
        ("POST", {**query, "x-ms-continuation": base64.urlsafe_b64encode(b"[1]").decode()},
         {"query": "SELECT * FROM c ORDER BY c.id"}, "Invalid query continuation"),
        ("GET", {"A-IM": "Incremental feed", "If-None-Match": '"x"'}, None,
         "Invalid change feed continuation"),
    ]  # fmt: skip
    for method, headers, body, message in cases:
        status, _, answer = _docs_request(cosmosdb_emulator, container, method, headers, body)
        assert status == 400, headers
        assert message in answer.decode(), headers
