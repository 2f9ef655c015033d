"""Fixtures for emulator tests: one shared SDK client, a fresh database and container per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.cosmos import CosmosClient, PartitionKey


@pytest.fixture(scope="session")
def client(cosmosdb_emulator) -> CosmosClient:
    return cosmosdb_emulator.client()


@pytest.fixture
def database(client: CosmosClient) -> Iterator:
    db = client.create_database(f"emu_{uuid.uuid4().hex[:12]}")
    yield db
    client.delete_database(db.id)


@pytest.fixture
def container(database):
    return database.create_container("items", PartitionKey(path="/pk"))


def drain(container, feed_range=None, **kwargs):
    """Read a change feed to its end; returns (items, continuation token from the etag)."""
    if feed_range is not None:
        kwargs["feed_range"] = feed_range
    items = list(container.query_items_change_feed(**kwargs))
    token = container.client_connection.last_response_headers["etag"]
    return items, token


def raw_request(emulator, method, path, body=None, rtype="", link="", headers=None):
    """Send a signed HTTP request without the SDK; returns (status, headers, body bytes)."""
    import json as _json
    import urllib.error
    import urllib.request
    from email.utils import formatdate

    from cosmosdb_emulator.auth import authorization_header

    date = formatdate(usegmt=True)
    all_headers = {
        "x-ms-date": date,
        "authorization": authorization_header(emulator.key, method, rtype, link, date),
        "Content-Type": "application/json",
    }
    all_headers.update(headers or {})
    if body is not None and not isinstance(body, bytes):
        body = _json.dumps(body).encode()
    req = urllib.request.Request(
        emulator.endpoint + path, data=body, method=method, headers=all_headers
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def create_raw(emulator, container, doc, pk, extra=None):
    """POST a document to a container by raw HTTP; returns (status, headers, body)."""
    import json as _json

    link = container.container_link
    headers = {"x-ms-documentdb-partitionkey": _json.dumps([pk])}
    headers.update(extra or {})
    return raw_request(emulator, "POST", link + "/docs/", doc, "docs", link, headers)
