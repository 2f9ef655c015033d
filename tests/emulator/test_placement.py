"""Property test: the emulator stores each item in the physical range the SDK computes for its key.

Two layers: (1) real writes - items with random keys are written through the SDK, found again by
draining each feed range, and must sit in the range ``feed_range_from_partition_key`` says owns
them, which is also what ``POST /_emulator/placement`` answers; (2) 10,000 random keys (strings,
numbers, booleans, null, unicode, hierarchical) checked against the SDK through the placement
endpoint, which runs the write path's EPK computation (writing 10,000 single items would take
~15 s here).
"""

from __future__ import annotations

import json
import random
import string
from concurrent.futures import ThreadPoolExecutor

from azure.cosmos import PartitionKey

from tests.emulator.conftest import drain, raw_request

ALPHABET = string.ascii_letters + string.digits + "é€😀ß中 /-_.\t\"'\\"


def _random_value(rng: random.Random):
    kind = rng.randrange(9)
    if kind == 0:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 20)))
    if kind == 1:
        return rng.randrange(-(10**12), 10**12)
    if kind == 2:
        return rng.uniform(-1e6, 1e6)
    if kind == 3:
        return rng.choice([True, False])
    if kind == 4:
        return None
    if kind == 5:  # long strings (past the 100-character mark) and big integers
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(90, 300)))
    if kind == 6:
        return rng.choice([0, -0.0, 2**53, -(2**53) + 1, 1e300, -1e-300, 0.1, 10**15])
    if kind == 7:
        return "".join(chr(rng.randrange(0x80, 0x2FFF)) for _ in range(rng.randrange(1, 8)))
    return str(rng.random())


def _range_mins(emulator, coll) -> dict[str, str]:
    """Physical range id -> minInclusive EPK, read from the pkranges feed."""
    link = coll.container_link
    status, _, body = raw_request(emulator, "GET", link + "/pkranges", None, "pkranges", link)
    assert status == 200
    return {r["id"]: r["minInclusive"] for r in json.loads(body)["PartitionKeyRanges"]}


def _sdk_owner_min(coll, feed_ranges, pk) -> str:
    """``minInclusive`` of the one feed range that the SDK says owns ``pk``."""
    target = coll.feed_range_from_partition_key(pk)
    owners = [fr for fr in feed_ranges if coll.is_feed_range_subset(fr, target)]
    assert len(owners) == 1, pk
    return owners[0]["Range"]["min"]


def _header_form(pk) -> list:
    return list(pk) if isinstance(pk, list) else [pk]


def _check_placement_endpoint(emulator, database, coll, keys) -> None:
    feed_ranges = list(coll.read_feed_ranges())
    mins = _range_mins(emulator, coll)
    placed = emulator.placement(database.id, coll.id, [_header_form(k) for k in keys])
    assert len(placed) == len(keys)
    for pk, range_id in zip(keys, placed, strict=True):
        assert mins[range_id] == _sdk_owner_min(coll, feed_ranges, pk), pk


def _check_stored(emulator, database, coll, keys: dict[str, object]) -> None:
    feed_ranges = list(coll.read_feed_ranges())
    stored_min = {}
    for fr in feed_ranges:
        items, _ = drain(coll, fr, start_time="Beginning")
        for d in items:
            stored_min[d["id"]] = fr["Range"]["min"]
    assert set(stored_min) == set(keys)
    ids = list(keys)
    mins = _range_mins(emulator, coll)
    placed = emulator.placement(database.id, coll.id, [_header_form(keys[i]) for i in ids])
    for doc_id, range_id in zip(ids, placed, strict=True):
        pk = keys[doc_id]
        assert stored_min[doc_id] == _sdk_owner_min(coll, feed_ranges, pk), (doc_id, pk)
        assert mins[range_id] == stored_min[doc_id], (doc_id, pk)


def test_hash_items_are_stored_where_the_sdk_routes_them(cosmosdb_emulator, database):
    rng = random.Random(1234)
    coll = database.create_container("place", PartitionKey("/pk"))
    cosmosdb_emulator.split(database.id, "place", "2")
    keys = {str(i): _random_value(rng) for i in range(300)}
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda kv: coll.create_item({"id": kv[0], "pk": kv[1]}), keys.items()))
    _check_stored(cosmosdb_emulator, database, coll, keys)
    # Every item is readable by its key (placement agrees with point reads).
    for doc_id, pk in list(keys.items())[:50]:
        assert coll.read_item(doc_id, pk)["id"] == doc_id


def test_multihash_items_are_stored_where_the_sdk_routes_them(cosmosdb_emulator, database):
    rng = random.Random(99)
    coll = database.create_container(
        "placeh", PartitionKey(path=["/a", "/b", "/c"], kind="MultiHash")
    )
    keys = {str(i): [_random_value(rng) for _ in range(3)] for i in range(150)}
    with ThreadPoolExecutor(6) as pool:
        list(
            pool.map(
                lambda kv: coll.create_item({"id": kv[0], **dict(zip("abc", kv[1], strict=True))}),
                keys.items(),
            )
        )
    _check_stored(cosmosdb_emulator, database, coll, keys)
    for doc_id, pk in list(keys.items())[:30]:
        assert coll.read_item(doc_id, pk)["id"] == doc_id


def test_10000_random_keys_are_placed_as_the_sdk_computes(cosmosdb_emulator, database):
    rng = random.Random(20240601)
    flat = database.create_container("p10k", PartitionKey("/pk"))
    cosmosdb_emulator.split(database.id, "p10k", "1")
    cosmosdb_emulator.split(database.id, "p10k", "4")
    hier = database.create_container(
        "p10kh", PartitionKey(path=["/a", "/b", "/c"], kind="MultiHash")
    )
    flat_keys = [_random_value(rng) for _ in range(7_000)]
    hier_keys = [[_random_value(rng) for _ in range(3)] for _ in range(3_000)]
    _check_placement_endpoint(cosmosdb_emulator, database, flat, flat_keys)
    _check_placement_endpoint(cosmosdb_emulator, database, hier, hier_keys)
