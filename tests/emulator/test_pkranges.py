"""Partition key ranges: tiling, 304 drain, splits and the incremental form.

Cosmos DB REST "Get partition key ranges".
"""

from __future__ import annotations

import itertools

import pytest

from tests.emulator.conftest import raw_request


def _ranges(emu, container, inm=None):
    link = container.container_link
    headers = {"A-IM": "Incremental Feed"}
    if inm:
        headers["If-None-Match"] = inm
    return raw_request(emu, "GET", link + "/pkranges/", None, "pkranges", link, headers)


def test_ranges_tile_and_drain_with_304(cosmosdb_emulator, container):
    import json

    status, headers, body = _ranges(cosmosdb_emulator, container)
    assert status == 200
    ranges = json.loads(body)["PartitionKeyRanges"]
    assert len(ranges) == 4
    assert ranges[0]["minInclusive"] == ""
    assert ranges[-1]["maxExclusive"] == "FF"
    for a, b in itertools.pairwise(ranges):
        assert a["maxExclusive"] == b["minInclusive"]
    etag = headers["etag"]
    status, headers304, body = _ranges(cosmosdb_emulator, container, etag)
    assert status == 304
    assert body == b""
    assert headers304["etag"] == etag
    assert headers304["Content-Length"] == "0"


def test_feed_ranges_via_sdk(container):
    ranges = list(container.read_feed_ranges())
    assert len(ranges) == 4


def test_split_incremental_form(cosmosdb_emulator, container, database):
    import json

    _, headers, _ = _ranges(cosmosdb_emulator, container)
    old = headers["etag"]
    children = cosmosdb_emulator.split(database.id, container.id, "1")
    assert len(children) == 2
    status, headers, body = _ranges(cosmosdb_emulator, container, old)
    assert status == 200
    assert headers["etag"] != old
    delta = json.loads(body)["PartitionKeyRanges"]
    assert sorted(r["id"] for r in delta) == sorted(children)
    assert all(r["parents"] == ["1"] for r in delta)
    assert _ranges(cosmosdb_emulator, container, headers["etag"])[0] == 304
    # The SDK merges it into its cached map: 5 feed ranges now.
    assert len(list(container.read_feed_ranges(force_refresh=True))) == 5
    # A request naming the split range gets 410/1002.
    link = container.container_link
    status, h, _ = raw_request(
        cosmosdb_emulator,
        "GET",
        link + "/docs/",
        None,
        "docs",
        link,
        {"A-IM": "Incremental Feed", "x-ms-documentdb-partitionkeyrangeid": "1"},
    )
    assert status == 410
    assert h["x-ms-substatus"] == "1002"


def test_point_operations_never_410_after_split(cosmosdb_emulator, container, database):
    for i in range(20):
        container.upsert_item({"id": str(i), "pk": f"k{i}"})
    list(container.read_feed_ranges())  # SDK caches the old map
    for rid in ("0", "1", "2", "3"):
        cosmosdb_emulator.split(database.id, container.id, rid)
    for i in range(20):
        assert container.read_item(str(i), f"k{i}")["id"] == str(i)
        container.upsert_item({"id": str(i), "pk": f"k{i}", "v": 1})
    results = container.execute_item_batch(
        [("create", ({"id": "z", "pk": "k1"},))], partition_key="k1"
    )
    assert results[0]["statusCode"] == 201


def test_split_unknown_range_fails(cosmosdb_emulator, container, database):
    from cosmosdb_emulator import EmulatorError

    with pytest.raises(EmulatorError):
        cosmosdb_emulator.split(database.id, container.id, "99")
