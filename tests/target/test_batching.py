"""Unit tests for dedupe, grouping by full partition key and chunking."""

from __future__ import annotations

import datetime
import decimal
import json
import random
import string

import pytest

from cosmosdb_shared.partition_key import UNDEFINED, group_key
from target_cosmosdb.batching import (
    MAX_BATCH_BYTES,
    OPERATION_OVERHEAD_BYTES,
    SMALL_BODY_BYTES,
    WriteItem,
    chunk,
    dedupe,
    estimate_operation_bytes,
    group_by_partition,
)


def item(doc_id, pk=("p",), *, size=100, action="upsert", line=None, v=None):
    doc = {"id": doc_id, "v": v}
    return WriteItem("s", line, doc_id, pk, action, doc, size)


def test_dedupe_last_wins_and_counts():
    items = [item("a", v=1, line=1), item("b", v=1, line=2), item("a", v=2, line=3)]
    unique, dropped = dedupe(items)
    assert dropped == 1
    assert [(i.doc_id, i.doc["v"]) for i in unique] == [("b", 1), ("a", 2)]


def test_dedupe_same_id_in_different_partitions_is_kept():
    unique, dropped = dedupe([item("a", ("p1",)), item("a", ("p2",)), item("a", (UNDEFINED,))])
    assert dropped == 0
    assert len(unique) == 3


def test_dedupe_delete_after_upsert_wins():
    unique, _ = dedupe([item("a"), item("a", action="delete")])
    assert [i.action for i in unique] == ["delete"]


def test_group_by_full_hierarchical_key():
    items = [
        item("1", ("t1", "u1")),
        item("2", ("t1", "u2")),
        item("3", ("t1", "u1")),
        item("4", ("t1", UNDEFINED)),
    ]
    groups = group_by_partition(items)
    assert sorted(len(g) for g in groups.values()) == [1, 1, 2]
    assert [i.doc_id for i in groups[group_key(("t1", "u1"))]] == ["1", "3"]


def test_chunk_by_operation_count():
    chunks = chunk([item(str(i)) for i in range(250)])
    assert [len(c) for c in chunks] == [100, 100, 50]


def test_chunk_by_bytes():
    big = MAX_BATCH_BYTES // 3 + 1  # three of them (plus "[]") no longer fit
    chunks = chunk([item(str(i), size=big) for i in range(7)])
    assert [len(c) for c in chunks] == [2, 2, 2, 1]
    assert all(sum(i.size for i in c) <= MAX_BATCH_BYTES for c in chunks)


def test_chunk_oversized_item_alone():
    chunks = chunk([item("a"), item("huge", size=MAX_BATCH_BYTES + 1), item("b")])
    assert [[i.doc_id for i in c] for c in chunks] == [["a"], ["huge"], ["b"]]


def test_chunk_counts_multi_operation_items():
    chunks = chunk([item(str(i)) for i in range(30)], operations_of=lambda _i: 7)
    assert [len(c) for c in chunks] == [14, 14, 2]


def test_estimate_operation_bytes_not_below_utf8_size():
    doc = {"id": "é" * 1000}
    assert estimate_operation_bytes(doc) >= len(b'{"id":"' + ("é" * 1000).encode() + b'"}')


def _json_bytes(doc):
    return len(json.dumps(doc, separators=(",", ":"), default=str)) + OPERATION_OVERHEAD_BYTES


ESTIMATE_CASES = [
    {"id": "1", "n": 3, "ok": True, "none": None, "tags": ["a", "b"], "nested": {"x": [1, {}]}},
    {"id": "plain", "price": 12.25, "ratio": 0.1, "neg": -0.0, "big": 2**70},
    {"id": "exp", "huge": 1e300, "tiny": 1e-7, "mid": 1.1805916207174113e21, "x": [1e16, 5e-324]},
    {"id": "ctrl", "s": 'a\x01b\n\t\r\x08\x0c"\\/'},
    {"id": "del", "s": "x\x7fy"},
    {"id": "utf8", "s": "é ü \u2028 😀"},
    {"id": "text with e1 and 2e in it", "k1e": "3e5"},
    {},
]


@pytest.mark.parametrize("doc", ESTIMATE_CASES, ids=range(len(ESTIMATE_CASES)))
def test_estimate_operation_bytes_never_below_json_dumps(doc):
    expected = _json_bytes(doc)
    estimate = estimate_operation_bytes(doc)
    assert estimate >= expected
    # The upper bound adds at most two bytes per "e" of the JSON text.
    assert estimate <= expected + 2 * json.dumps(doc).count("e")


def test_estimate_operation_bytes_bounds_random_records():
    rng = random.Random(7)
    for i in range(300):
        doc = {
            "id": f"item-{i}",
            "n": rng.randint(-(10**12), 10**12),
            "price": round(rng.uniform(-1e6, 1e6), rng.randint(0, 6)) * 10 ** rng.randint(-9, 20),
            "s": "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40))),
            "flags": [rng.random() < 0.5 for _ in range(3)],
        }
        expected = _json_bytes(doc)
        assert expected <= estimate_operation_bytes(doc) <= expected + 2 * str(doc).count("e")


def test_estimate_operation_bytes_of_large_bodies_is_exact():
    doc = {"id": "big", "text": "e" * SMALL_BODY_BYTES, "x": 1e300}
    assert estimate_operation_bytes(doc) == _json_bytes(doc)


def test_bounded_estimates_never_cut_a_batch_by_size():
    # The largest body estimated by a bound, a hundred times: one batch, within 2 MB.
    doc = {"id": "x", "s": "a" * (SMALL_BODY_BYTES - len('{"id":"x","s":""}'))}
    size = estimate_operation_bytes(doc)
    assert size == SMALL_BODY_BYTES + OPERATION_OVERHEAD_BYTES
    items = [WriteItem("s", None, str(i), ("p",), "upsert", doc, size) for i in range(100)]
    assert [len(c) for c in chunk(items)] == [100]


def test_estimate_operation_bytes_of_a_delete():
    assert estimate_operation_bytes(None) == OPERATION_OVERHEAD_BYTES


def test_estimate_operation_bytes_of_values_json_cannot_encode():
    # to_document leaves no such value; the SDK could not send one either (json.dumps without
    # a default), so only an estimate of the right order is asked for.
    doc = {"id": "odd", "when": datetime.datetime(2024, 1, 2), "d": decimal.Decimal("1.5")}
    assert abs(estimate_operation_bytes(doc) - _json_bytes(doc)) <= 8
    assert estimate_operation_bytes({"id": "set", "s": {1, 2}}) > OPERATION_OVERHEAD_BYTES
