"""End-to-end writes through the real CLI, read back with the SDK."""

from __future__ import annotations

from azure.cosmos.partition_key import NonePartitionKeyValue

from tests.target.conftest import record, schema, state

OPEN_SCHEMA = {"id": {"type": "string"}}


def test_copy_reproduces_documents_field_by_field(target):
    """tap-cosmosdb output (system properties, _sdc_partition_key, missing pk) round-trips."""
    source = [
        {
            "id": "a",
            "pk": "p1",
            "n": 1,
            "f": 2.5,
            "neg": -0.125,
            "big": 12345678901234,
            "t": True,
            "none": None,
            "nested": {"x": [1, {"y": "z"}], "e": {}},
            "arr": [],
            "s": "ünï 😀",
            "when": "2024-01-02T03:04:05.123456Z",
        },
        {"id": "b", "pk": None, "v": 1},  # null partition key
        {"id": "c", "v": 2},  # no partition key at all -> undefined logical partition
        {"id": "d", "pk": 7, "v": 3},
    ]
    messages = [schema("docs", OPEN_SCHEMA, ["id"])]
    for doc in source:
        tap_record = {
            **doc,
            "_rid": "xx",
            "_self": "dbs/x/",
            "_etag": '"e"',
            "_attachments": "attachments/",
            "_ts": 1700000000,
            "_lsn": 42,
            "_sdc_partition_key": '["p1"]',
        }
        messages.append(record("docs", tap_record))
    messages.append(state({"bookmarks": {"docs": {"lsn": 42}}}))
    result = target.run(messages, partition_key_path="/pk")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.states == [{"bookmarks": {"docs": {"lsn": 42}}}]

    container = target.container("docs")
    assert container.read()["partitionKey"]["paths"] == ["/pk"]
    assert container.read()["partitionKey"]["version"] == 2
    got = target.documents("docs")
    assert got == {doc["id"]: doc for doc in source}
    # the document without /pk lives in the undefined partition, not the null one
    assert container.read_item("c", partition_key=NonePartitionKeyValue)["v"] == 2
    assert container.read_item("b", partition_key=None)["v"] == 1
    raw = container.read_item("a", partition_key="p1")
    assert raw["_ts"] != 1700000000
    assert "_lsn" not in raw
    assert "_sdc_partition_key" not in raw


def test_duplicates_collapse_last_wins_and_metrics(target):
    messages = [schema("s", OPEN_SCHEMA, ["id"])]
    messages += [record("s", {"id": f"r{i % 5}", "v": i}) for i in range(12)]
    result = target.run(messages)
    assert result.returncode == 0, result.stderr[-2000:]
    assert {k: v["v"] for k, v in target.documents("s").items()} == {
        "r0": 10,
        "r1": 11,
        "r2": 7,
        "r3": 8,
        "r4": 9,
    }
    assert result.metric_total("cosmos_records_written", "s") == 5
    # pk /id: every document is alone in its logical partition, so a point operation each
    assert result.metric_total("cosmos_point_operation_count", "s") == 5
    assert result.metric_total("cosmos_batch_count", "s") == 0
    assert result.metric_total("cosmos_request_units", "s") > 0
    summary = [line for line in result.stderr.splitlines() if "Summary for stream" in line]
    assert len(summary) == 1
    assert "Summary for stream 's': 5 written" in summary[0]
    assert "lowered" not in summary[0], "nothing throttled, so the limit was never lowered"


def test_batches_group_by_partition_and_respect_100_operations(target, cosmosdb_emulator):
    messages = [schema("s", {"id": {"type": "string"}, "g": {"type": "string"}}, ["id"])]
    messages += [
        record("s", {"id": str(i), "g": "big" if i < 250 else f"g{i % 3}"}) for i in range(280)
    ]
    result = target.run(messages, partition_key_path="/g")
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(target.documents("s")) == 280
    # 250 records of one partition -> 3 batches; 30 records in 3 partitions -> 3 batches
    assert result.metric_total("cosmos_batch_count", "s") == 6


def test_hierarchical_partition_key(target):
    messages = [schema("h", {"id": {"type": "string"}}, ["id"])]
    rows = [
        {"id": "1", "tenant": "t1", "user": {"id": "u1"}, "v": 1},
        {"id": "2", "tenant": "t1", "user": {"id": "u2"}, "v": 2},
        {"id": "3", "tenant": "t1", "user": {"id": "u1"}, "v": 3},
        {"id": "4", "tenant": "t2", "v": 4},  # second level missing
        {"id": "1", "tenant": "t2", "user": {"id": "u1"}, "v": 5},  # same id, other partition
    ]
    messages += [record("h", r) for r in rows]
    result = target.run(messages, partition_key_path=["/tenant", "/user/id"])
    assert result.returncode == 0, result.stderr[-2000:]
    container = target.container("h")
    definition = container.read()["partitionKey"]
    assert definition["kind"] == "MultiHash"
    assert definition["paths"] == ["/tenant", "/user/id"]
    assert container.read_item("1", partition_key=["t1", "u1"])["v"] == 1
    assert container.read_item("1", partition_key=["t2", "u1"])["v"] == 5
    assert container.read_item("3", partition_key=["t1", "u1"])["v"] == 3
    assert len(list(container.read_all_items())) == 5
    # (t1,u1) holds two documents: a batch; (t2, undefined) keeps its explicit key: a batch;
    # (t1,u2) and (t2,u1) hold one each: point operations
    assert result.metric_total("cosmos_batch_count", "h") == 2
    assert result.metric_total("cosmos_point_operation_count", "h") == 2


def test_single_container_setting_and_stream_alias(target):
    messages = [
        schema("one", OPEN_SCHEMA, ["id"]),
        schema("two", OPEN_SCHEMA, ["id"]),
        record("one", {"id": "a", "src": 1}),
        record("two", {"id": "b", "src": 2}),
    ]
    result = target.run(messages, container="all")
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(target.documents("all")) == {"a", "b"}

    result = target.run(messages, stream_maps={"one": {"__alias__": "renamed"}})
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(target.documents("renamed")) == {"a"}
    assert set(target.documents("two")) == {"b"}


def test_existing_container_keeps_its_partition_key(target):
    from azure.cosmos import PartitionKey

    db = target.client.create_database_if_not_exists(target.database)
    db.create_container("pre", partition_key=PartitionKey(path="/region"))
    result = target.run(
        [schema("pre", OPEN_SCHEMA, ["id"]), record("pre", {"id": "x", "region": "eu"})],
        partition_key_path="/id",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert target.container("pre").read_item("x", partition_key="eu")["region"] == "eu"


def test_missing_container_without_create_fails(target):
    target.client.create_database_if_not_exists(target.database)
    result = target.run(
        [schema("nope", OPEN_SCHEMA), record("nope", {"id": "1"}), state({"s": 1})],
        create_container=False,
    )
    assert result.returncode == 1
    assert "container 'nope' does not exist" in result.last_error_line
    assert result.states == []


def test_id_strategies_and_non_string_ids(target):
    props = {"a": {"type": "integer"}, "b": {"type": "string"}}
    rows = [{"a": 1, "b": "x", "v": 1}, {"a": 2, "b": "y", "v": 2}]
    messages = [schema("k", props, ["a", "b"])] + [record("k", r) for r in rows]
    assert target.run(messages, id_strategy="key_properties").returncode == 0
    assert set(target.documents("k")) == {"1|x", "2|y"}

    keyless = [schema("nk", {}, []), record("nk", {"v": 1}), record("nk", {"v": 2})]
    both = [*messages, *keyless]
    first = target.run(both, id_strategy="hash", stream_maps={"k": {"__alias__": "hashed"}})
    replay = target.run(both, id_strategy="hash", stream_maps={"k": {"__alias__": "hashed"}})
    assert first.returncode == replay.returncode == 0
    docs = target.documents("hashed")
    assert len(docs) == 2
    assert all(len(i) == 64 for i in docs)
    assert len(target.documents("nk")) == 2  # a replay of a keyless stream overwrites

    numeric = [
        schema("num", {"id": {"type": "integer"}}, ["id"]),
        record("num", {"id": 42, "v": True}),
    ]
    assert target.run(numeric).returncode == 0
    assert target.container("num").read_item("42", partition_key="42")["v"] is True

    field = [schema("f", {}, []), record("f", {"order_no": "o-1"})]
    assert target.run(field, id_strategy="field", id_field="order_no").returncode == 0
    assert target.documents("f") == {"o-1": {"id": "o-1", "order_no": "o-1"}}
    # auto reads id_field too, once the schema declares it
    declared = [schema("g", {"order_no": {"type": "string"}}, []), record("g", {"order_no": "o-2"})]
    assert target.run(declared, id_field="order_no").returncode == 0
    assert target.documents("g") == {"o-2": {"id": "o-2", "order_no": "o-2"}}


def test_created_container_throughput(target):
    messages = [schema("manual", OPEN_SCHEMA, ["id"]), record("manual", {"id": "1"})]
    assert target.run(messages, container_throughput=700).returncode == 0
    assert target.container("manual").get_throughput().offer_throughput == 700

    messages = [schema("auto", OPEN_SCHEMA, ["id"]), record("auto", {"id": "1"})]
    assert target.run(messages, autoscale_max_throughput=4000).returncode == 0
    assert target.container("auto").get_throughput().auto_scale_max_throughput == 4000


def test_partition_key_follows_schema_annotation_unless_set(target):
    annotated = schema("ann", OPEN_SCHEMA, ["id"])
    annotated["schema"]["x-cosmosdb-partition-key"] = {
        "paths": ["/tailnum"],
        "kind": "Hash",
        "version": 2,
    }
    messages = [annotated, record("ann", {"id": "1", "tailnum": "N1"})]
    assert target.run(messages).returncode == 0
    assert target.container("ann").read()["partitionKey"]["paths"] == ["/tailnum"]
    assert target.container("ann").read_item("1", partition_key="N1")["tailnum"] == "N1"

    explicit = target.run(messages, container="forced", partition_key_path="/id")
    assert explicit.returncode == 0
    assert target.container("forced").read()["partitionKey"]["paths"] == ["/id"]


def test_summary_counts_every_sink_of_a_stream_after_schema_changes(target):
    """Each SCHEMA change creates a new sink; the closing line and METRICs count all of them."""
    v1 = {"id": {"type": "string"}, "a": {"type": "integer"}}
    v2 = {**v1, "b": {"type": "string"}}
    v3 = {**v2, "c": {"type": "boolean"}}
    messages = [schema("s", v1, ["id"])]
    messages += [record("s", {"id": f"x{i}", "a": i}) for i in range(30)]
    messages += [schema("s", v2, ["id"])]
    messages += [record("s", {"id": f"y{i}", "a": i, "b": "v2"}) for i in range(40)]
    messages += [schema("s", v3, ["id"])]
    messages += [record("s", {"id": f"z{i}", "a": i, "b": "v3", "c": True}) for i in range(25)]
    messages += [schema("t", v1, ["id"]), record("t", {"id": "only", "a": 1}), state({"n": 1})]
    result = target.run(messages)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(target.documents("s")) == 95
    lines = [line for line in result.stderr.splitlines() if "Summary" in line]
    per_stream = [line for line in lines if "Summary for stream" in line]
    assert len(per_stream) == 2, lines
    s_line = next(line for line in per_stream if "stream 's'" in line)
    assert "Summary for stream 's': 95 written, 0 deleted" in s_line, s_line
    assert "Summary for stream 't': 1 written" in next(x for x in per_stream if "'t'" in x)
    assert result.metric_total("cosmos_records_written", "s") == 95
    operations = int(s_line.split(" point operations")[0].rsplit(" ", 1)[1])
    assert operations == result.metric_total("cosmos_point_operation_count", "s") == 95
    assert any("Summary: 2 streams" in line for line in lines), lines
