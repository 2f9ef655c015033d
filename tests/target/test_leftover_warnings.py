"""Configurations where a source update leaves a stale document are named once at stream start."""

from __future__ import annotations

from tests.target.conftest import record, schema, state

PROPS = {"order_id": {"type": "integer"}, "region": {"type": "string"}, "v": {"type": "integer"}}
MOVE_WARNING = "is partitioned by /region, which is not made of the stream's key properties"


def _warnings(stderr: str, needle: str) -> list[str]:
    return [line for line in stderr.splitlines() if needle in line]


def test_partition_key_outside_the_key_warns_once_and_a_move_leaves_the_old_document(target):
    wider = {**PROPS, "extra": {"type": "string"}}
    messages = [
        schema("orders", PROPS, ["order_id"]),
        record("orders", {"order_id": 41, "region": "apac", "v": 1}),
        schema("orders", wider, ["order_id"]),  # a new sink: still one warning
        record("orders", {"order_id": 42, "region": "eu", "v": 1, "extra": "x"}),
        state({"p": 1}),
    ]
    first = target.run(messages, partition_key_path="/region")
    assert first.returncode == 0, first.stderr[-2000:]
    found = _warnings(first.stderr, MOVE_WARNING)
    assert len(found) == 1, found
    assert "WARNING" in found[0]
    assert "'partition_key_path'" in found[0]
    moved = [
        schema("orders", PROPS, ["order_id"]),
        record("orders", {"order_id": 41, "region": "eu", "v": 2}),
    ]
    assert target.run(moved, partition_key_path="/region").returncode == 0
    # what the warning says: both documents with id 41 exist
    docs = list(
        target.container("orders").query_items(
            "SELECT * FROM c WHERE c.id = '41'", enable_cross_partition_query=True
        )
    )
    assert sorted(d["region"] for d in docs) == ["apac", "eu"]


def test_safe_partition_keys_do_not_warn(target):
    keyed = [schema("a", PROPS, ["order_id"]), record("a", {"order_id": 1, "region": "x", "v": 1})]
    for extra in ({}, {"partition_key_path": "/order_id"}):
        result = target.run(keyed, **extra)
        assert result.returncode == 0, result.stderr[-2000:]
        assert not _warnings(result.stderr, "which is not made of"), extra
    composite = [
        schema("b", PROPS, ["region", "order_id"]),
        record("b", {"order_id": 1, "region": "x", "v": 1}),
    ]
    result = target.run(composite, partition_key_path="/region")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not _warnings(result.stderr, "which is not made of")


def test_keyless_hash_stream_warns_that_updates_add_documents(target):
    messages = [
        schema("events", {"v": {"type": "string"}}, []),
        record("events", {"v": "a"}),
        record("events", {"v": "a"}),  # identical rows merge
        record("events", {"v": "b"}),
        state({"p": 1}),
    ]
    result = target.run(messages)
    assert result.returncode == 0, result.stderr[-2000:]
    found = _warnings(result.stderr, "Stream 'events' has no key properties")
    assert len(found) == 1, result.stderr[-2000:]
    assert "identical records become one document" in found[0]
    assert len(target.documents("events")) == 2
