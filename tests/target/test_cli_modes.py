"""Write modes, hard deletes and isolation of failing operations inside a batch."""

from __future__ import annotations

from tests.target.conftest import record, schema, state

PROPS = {"id": {"type": "string"}, "g": {"type": "string"}}


def _seed(target, container, docs, pk_path="/g"):
    from azure.cosmos import PartitionKey

    db = target.client.create_database_if_not_exists(target.database)
    c = db.create_container_if_not_exists(container, partition_key=PartitionKey(path=pk_path))
    for doc in docs:
        c.upsert_item(doc)
    return c


def test_insert_conflict_fails_the_run_without_state(target):
    _seed(target, "ins", [{"id": "3", "g": "a", "v": "old"}])
    messages = [schema("ins", PROPS, ["id"])] + [
        record("ins", {"id": str(i), "g": "a", "v": "new"}) for i in range(6)
    ]
    messages.append(state({"pos": 6}))
    result = target.run(messages, write_mode="insert", partition_key_path="/g")
    assert result.returncode == 1
    assert "id '3'" in result.last_error_line
    assert "already exists" in result.last_error_line
    assert result.states == []
    assert target.container("ins").read_item("3", partition_key="a")["v"] == "old"


def test_insert_writes_new_documents(target):
    messages = [schema("ins2", PROPS, ["id"])] + [
        record("ins2", {"id": str(i), "g": "a"}) for i in range(3)
    ]
    result = target.run(messages, write_mode="insert", partition_key_path="/g")
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(target.documents("ins2")) == 3


def test_append_skips_and_counts_conflicts_isolating_them_in_the_batch(target):
    _seed(target, "app", [{"id": "3", "g": "a", "v": "old"}, {"id": "7", "g": "a", "v": "old"}])
    messages = [schema("app", PROPS, ["id"])] + [
        record("app", {"id": str(i), "g": "a", "v": "new"}) for i in range(10)
    ]
    messages.append(state({"pos": 10}))
    result = target.run(messages, write_mode="append", partition_key_path="/g")
    assert result.returncode == 0, result.stderr[-2000:]
    docs = target.documents("app")
    assert {k: v["v"] for k, v in docs.items()} == {
        str(i): ("old" if i in (3, 7) else "new") for i in range(10)
    }
    assert result.metric_total("cosmos_records_skipped", "app") == 2
    assert result.metric_total("cosmos_records_written", "app") == 8
    assert result.states == [{"pos": 10}]


def test_patch_sets_fields_and_creates_missing_documents(target):
    _seed(target, "pat", [{"id": "1", "g": "a", "keep": "me", "v": 0}])
    wide = {f"f{i}": i for i in range(23)}  # more than 10 fields -> several patch operations
    messages = [
        schema("pat", PROPS, ["id"]),
        record("pat", {"id": "1", "g": "a", "v": 5, **wide}),
        record("pat", {"id": "2", "g": "a", "v": 6}),
        record("pat", {"id": "3", "g": "b", "v": 7}),
    ]
    result = target.run(messages, write_mode="patch", partition_key_path="/g")
    assert result.returncode == 0, result.stderr[-2000:]
    docs = target.documents("pat")
    assert docs["1"] == {"id": "1", "g": "a", "keep": "me", "v": 5, **wide}
    assert docs["2"] == {"id": "2", "g": "a", "v": 6}
    assert docs["3"] == {"id": "3", "g": "b", "v": 7}
    assert result.metric_total("cosmos_records_written", "pat") == 3


def test_hard_delete(target):
    _seed(target, "del", [{"id": str(i), "g": "a", "v": i} for i in range(4)])
    messages = [
        schema("del", PROPS, ["id"]),
        record("del", {"id": "1", "g": "a", "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),
        record(
            "del", {"id": "99", "g": "a", "_sdc_deleted_at": "2024-01-01T00:00:00Z"}
        ),  # already gone
        record("del", {"id": "2", "g": "a", "v": 20}),
        record("del", {"id": "3", "g": "a", "v": 30}),
        record(
            "del", {"id": "3", "g": "a", "_sdc_deleted_at": "2024-01-02T00:00:00Z"}
        ),  # last wins
        state({"pos": 5}),
    ]
    result = target.run(messages, hard_delete=True, partition_key_path="/g")
    assert result.returncode == 0, result.stderr[-2000:]
    assert {k: v["v"] for k, v in target.documents("del").items()} == {"0": 0, "2": 20}
    assert result.metric_total("cosmos_records_deleted", "del") == 3
    assert result.states == [{"pos": 5}]


def test_soft_delete_keeps_the_field(target):
    messages = [
        schema("soft", PROPS, ["id"]),
        record("soft", {"id": "1", "g": "a", "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),
    ]
    result = target.run(messages, partition_key_path="/g")
    assert result.returncode == 0, result.stderr[-2000:]
    assert target.documents("soft")["1"]["_sdc_deleted_at"] == "2024-01-01T00:00:00Z"


def test_partial_drains_emit_no_state_before_a_later_failure(target):
    """Sinks fill and drain every 5 records (drain_one emits no STATE); a later failure leaves none."""
    _seed(target, "part", [{"id": "17", "g": "a", "v": "old"}])
    messages = [schema("part", PROPS, ["id"])]
    messages += [record("part", {"id": str(i), "g": "a"}) for i in range(10)]
    messages.append(state({"pos": 10}))
    messages += [record("part", {"id": str(i), "g": "a"}) for i in range(10, 20)]
    messages.append(state({"pos": 20}))
    result = target.run(messages, write_mode="insert", partition_key_path="/g", batch_size_rows=5)
    assert result.returncode == 1
    assert "id '17'" in result.last_error_line
    assert result.states == []
    assert {str(i) for i in range(15)} <= set(target.documents("part"))  # earlier drains landed


def test_schema_change_keeps_record_order(target):
    """singer-sdk archives the old sink on a schema change and drains it only at the next full
    drain, after the new sink may already have drained: older records would then win."""
    v1 = schema("sc", {"id": {"type": "string"}, "v": {"type": "string"}}, ["id"])
    v2 = schema(
        "sc", {"id": {"type": "string"}, "v": {"type": "string"}, "w": {"type": "integer"}}, ["id"]
    )
    messages = [
        v1,
        record("sc", {"id": "1", "v": "old"}),
        v2,
        record("sc", {"id": "1", "v": "new", "w": 1}),
        record("sc", {"id": "2", "v": "new", "w": 2}),  # fills the new sink (batch_size_rows 2)
        state({"pos": 3}),
    ]
    result = target.run(messages, batch_size_rows=2)
    assert result.returncode == 0, result.stderr[-2000:]
    assert target.documents("sc")["1"] == {"id": "1", "v": "new", "w": 1}
