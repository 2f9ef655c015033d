"""Records that do not share a partition key are written as concurrent point operations.

A ``/id`` container (the default) gives every record its own logical partition: a transactional
batch per record would cost a batch envelope each and, before the HTTP pool was sized to
``max_concurrency``, made urllib3 discard connections ("Connection pool is full").
"""

from __future__ import annotations

from tests.target.conftest import record, schema, state

PROPS = {"id": {"type": "string"}, "g": {"type": "string"}, "n": {"type": "integer"}}


def test_id_partitioned_records_are_point_operations_without_pool_warnings(target):
    messages = [schema("points", PROPS, ["id"])]
    messages += [record("points", {"id": f"p{i}", "g": f"g{i % 4}", "n": i}) for i in range(1000)]
    messages += [state({"pos": 1000})]
    result = target.run(messages, max_concurrency=32, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.states == [{"pos": 1000}]
    assert "Connection pool is full" not in result.stderr
    assert "discarding connection" not in result.stderr
    assert result.metric_total("cosmos_point_operation_count", "points") == 1000
    assert result.metric_total("cosmos_batch_count", "points") == 0
    assert result.metric_total("cosmos_records_written", "points") == 1000
    docs = target.documents("points")
    assert len(docs) == 1000
    assert docs["p777"] == {"id": "p777", "g": "g1", "n": 777}
    summary = next(x for x in result.stderr.splitlines() if "Summary for stream 'points'" in x)
    assert "0 batches, 1000 point operations" in summary


def test_shared_partition_keys_keep_transactional_batches(target):
    """Records sharing a key go in batches; the lone ones of the same drain go point-wise."""
    messages = [schema("mixed", PROPS, ["id"])]
    messages += [record("mixed", {"id": f"a{i}", "g": "shared", "n": i}) for i in range(250)]
    messages += [record("mixed", {"id": f"b{i}", "g": f"solo{i}", "n": i}) for i in range(30)]
    result = target.run([*messages, state({"pos": 1})], partition_key_path="/g", max_concurrency=8)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.metric_total("cosmos_batch_count", "mixed") == 3  # 250 = 100 + 100 + 50
    assert result.metric_total("cosmos_point_operation_count", "mixed") == 30
    assert len(target.documents("mixed")) == 280


def test_point_operations_delete_patch_and_append(target):
    """Every action takes the point path with the same outcome as in a batch."""
    seed = [schema("acts", PROPS, ["id"])]
    seed += [record("acts", {"id": f"x{i}", "g": "old", "n": i}) for i in range(6)]
    assert target.run(seed).returncode == 0

    deletes = [
        {
            "type": "SCHEMA",
            "stream": "acts",
            "key_properties": ["id"],
            "schema": {
                "type": "object",
                "properties": {**PROPS, "_sdc_deleted_at": {"type": ["string", "null"]}},
            },
        },
        record("acts", {"id": "x0", "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),
        record("acts", {"id": "gone", "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),
    ]
    result = target.run(deletes, hard_delete=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "x0" not in target.documents("acts")
    assert result.metric_total("cosmos_records_deleted", "acts") == 2

    patch = [
        schema("acts", PROPS, ["id"]),
        record("acts", {"id": "x1", "g": "new"}),
        record("acts", {"id": "fresh", "g": "new"}),
    ]
    result = target.run(patch, write_mode="patch")
    assert result.returncode == 0, result.stderr[-2000:]
    docs = target.documents("acts")
    assert docs["x1"] == {"id": "x1", "g": "new", "n": 1}  # patched: n kept
    assert docs["fresh"] == {"id": "fresh", "g": "new"}  # absent: created

    append = [
        schema("acts", PROPS, ["id"]),
        record("acts", {"id": "x2", "g": "dup"}),
        record("acts", {"id": "y", "g": "dup"}),
    ]
    result = target.run(append, write_mode="append")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.metric_total("cosmos_records_skipped", "acts") == 1
    assert target.documents("acts")["x2"]["g"] == "old"
    assert result.metric_total("cosmos_point_operation_count", "acts") == 1
