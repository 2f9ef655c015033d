"""A non-atomic batch shaped as the bulk executors send it: one physical range per request.

The .NET, Java and JavaScript bulk executors group operations by the physical partition key
range of each operation's partition key and send one ``x-ms-cosmos-batch-atomic: false``
request per range, naming it in ``x-ms-documentdb-partitionkeyrangeid``; every operation
carries its own ``partitionKey`` and gets its own status (``@azure/cosmos`` ``bulk``). Ranges
and effective partition keys here come from the pkranges feed and from azure-cosmos itself,
not from the emulator's own placement.
"""

from __future__ import annotations

import json

from azure.cosmos.partition_key import PartitionKey as SdkPartitionKey

from tests.emulator.conftest import raw_request


def _range_of(epk: str, ranges: list[dict]) -> str:
    for r in ranges:
        hi = r["maxExclusive"]
        if r["minInclusive"] <= epk and (hi == "FF" or epk < hi):
            return str(r["id"])
    raise AssertionError(f"no range holds {epk}")


def test_bulk_request_for_keys_of_one_physical_range(cosmosdb_emulator, container):
    link = container.container_link
    status, _, body = raw_request(
        cosmosdb_emulator, "GET", link + "/pkranges", None, "pkranges", link
    )
    assert status == 200
    ranges = json.loads(body)["PartitionKeyRanges"]
    assert len(ranges) > 1  # the suite asks for several ranges (pyproject.toml)
    sdk_pk = SdkPartitionKey(path="/pk", kind="Hash", version=2)
    by_range: dict[str, list[str]] = {}
    for i in range(64):
        key = f"k{i}"
        epk = sdk_pk._get_effective_partition_key_string([key])
        by_range.setdefault(_range_of(epk, ranges), []).append(key)
    range_id, keys = max(by_range.items(), key=lambda item: len(item[1]))
    keys = keys[:4]
    assert len(keys) == 4
    container.create_item({"id": "taken", "pk": keys[3]})
    ops = [
        {
            "operationType": "Create",
            "partitionKey": json.dumps([k]),
            "resourceBody": {"id": "d", "pk": k},
        }
        for k in keys[:3]
    ]
    ops.append(
        {
            "operationType": "Create",
            "partitionKey": json.dumps([keys[3]]),
            "resourceBody": {"id": "taken", "pk": keys[3]},
        }
    )
    headers = {
        "x-ms-cosmos-is-batch-request": "True",
        "x-ms-cosmos-batch-atomic": "False",
        "x-ms-cosmos-batch-continue-on-error": "True",
        "x-ms-documentdb-partitionkeyrangeid": range_id,
    }
    status, _, body = raw_request(
        cosmosdb_emulator, "POST", link + "/docs/", ops, "docs", link, headers
    )
    results = json.loads(body)
    # Partial success: each operation answers for itself, the conflict does not undo the rest.
    assert status == 207
    assert [r["statusCode"] for r in results] == [201, 201, 201, 409]
    for key in keys[:3]:
        assert container.read_item("d", key)["pk"] == key
    # The documents are in the named physical range (its change feed, read through the SDK).
    feed_range = next(
        fr
        for fr in container.read_feed_ranges()
        if all(
            container.is_feed_range_subset(fr, container.feed_range_from_partition_key(k))
            for k in keys[:3]
        )
    )
    in_range = {
        d["pk"]
        for d in container.query_items_change_feed(feed_range=feed_range, start_time="Beginning")
        if d["id"] == "d"
    }
    assert in_range == set(keys[:3])
