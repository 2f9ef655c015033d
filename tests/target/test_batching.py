"""Unit tests for dedupe, grouping by full partition key and chunking."""

from __future__ import annotations

from cosmosdb_shared.partition_key import UNDEFINED, group_key
from target_cosmosdb.batching import (
    MAX_BATCH_BYTES,
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
