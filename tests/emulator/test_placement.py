"""Property test: the emulator stores each item in the physical range the SDK computes for its key."""

from __future__ import annotations

import random
import string

from azure.cosmos import PartitionKey

from tests.emulator.conftest import drain


def _random_value(rng: random.Random):
    kind = rng.randrange(6)
    if kind == 0:
        return "".join(
            rng.choice(string.ascii_letters + "é€😀 /") for _ in range(rng.randrange(0, 20))
        )
    if kind == 1:
        return rng.randrange(-(10**12), 10**12)
    if kind == 2:
        return rng.uniform(-1e6, 1e6)
    if kind == 3:
        return rng.choice([True, False])
    if kind == 4:
        return None
    return str(rng.random())


def _range_of(container, feed_ranges, pk):
    target = container.feed_range_from_partition_key(pk)
    owners = [fr for fr in feed_ranges if container.is_feed_range_subset(fr, target)]
    assert len(owners) == 1
    return owners[0]


def test_hash_placement_matches_sdk(database):
    rng = random.Random(1234)
    coll = database.create_container("place", PartitionKey("/pk"))
    values = [_random_value(rng) for _ in range(60)]
    for i, v in enumerate(values):
        coll.create_item({"id": str(i), "pk": v})
    _check(coll, {str(i): v for i, v in enumerate(values)})


def test_multihash_placement_matches_sdk(database):
    rng = random.Random(99)
    coll = database.create_container(
        "placeh", PartitionKey(path=["/a", "/b", "/c"], kind="MultiHash")
    )
    keys = {}
    for i in range(40):
        key = [_random_value(rng), _random_value(rng), _random_value(rng)]
        keys[str(i)] = key
        coll.create_item({"id": str(i), "a": key[0], "b": key[1], "c": key[2]})
    _check(coll, keys)


def _check(coll, keys):
    feed_ranges = list(coll.read_feed_ranges())
    stored_in = {}
    for index, fr in enumerate(feed_ranges):
        items, _ = drain(coll, fr, start_time="Beginning")
        for d in items:
            stored_in[d["id"]] = index
    assert set(stored_in) == set(keys)
    for doc_id, pk in keys.items():
        expected = _range_of(coll, feed_ranges, pk)
        assert stored_in[doc_id] == feed_ranges.index(expected), (doc_id, pk)
        # And the item is readable by its key (placement is consistent with point reads).
        assert coll.read_item(doc_id, pk)["id"] == doc_id
