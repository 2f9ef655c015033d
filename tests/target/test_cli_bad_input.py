"""Bad input, bad settings and refused records: one clear line, non-zero exit, no STATE."""

from __future__ import annotations

import json

import pytest

from tests.conftest import executable, run, write_config
from tests.target.conftest import record, schema, state

PROPS = {"id": {"type": "string"}, "n": {"type": "integer"}}


def _ok_prefix(stream="s"):
    return [
        schema(stream, PROPS, ["id"]),
        record(stream, {"id": "good", "n": 1}),
        state({"pos": 1}),
    ]


def test_malformed_json_names_the_line(target):
    result = target.run([*_ok_prefix(), '{"type": "RECORD", "stream": "s", "record": {"id": "x"'])
    assert result.returncode == 1
    assert "Input line 4 is not valid JSON" in result.last_error_line
    assert result.states == []
    assert "Traceback" not in result.stderr


def test_record_before_schema(target):
    result = target.run([record("s", {"id": "1"})])
    assert result.returncode == 1
    assert "Input line 1: RECORD for stream 's' arrived before its SCHEMA" in result.last_error_line


def test_missing_id_names_stream_line_keys_and_the_settings(target):
    messages = [
        schema("s", {"id": {"type": ["string", "null"]}, "k": {"type": "integer"}}, ["k"]),
        record("s", {"k": 1}),
        record("s", {"k": 2, "id": None}),
        state({"p": 1}),
    ]
    result = target.run(messages)
    assert result.returncode == 1
    line = result.last_error_line
    assert "Stream 's' line 2 (key properties k=1): record has no 'id' field" in line
    assert "id_strategy auto: the schema declares 'id'" in line
    assert "'id_strategy'" in line
    assert "'id_field'" in line
    assert result.states == []


def test_default_id_strategy_lands_streams_without_an_id_field(target):
    """`auto`: key properties when the schema has no `id`, a hash for a keyless stream."""
    keyed = {"order_id": {"type": "integer"}, "v": {"type": "string"}}
    keyless = {"v": {"type": "string"}}
    messages = [
        schema("keyed", keyed, ["order_id"]),
        *[record("keyed", {"order_id": i, "v": f"v{i}"}) for i in range(5)],
        schema("keyless", keyless, []),
        record("keyless", {"v": "a"}),
        record("keyless", {"v": "b"}),
        state({"p": 1}),
    ]
    result = target.run(messages)
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(target.documents("keyed")) == {"0", "1", "2", "3", "4"}
    assert len(target.documents("keyless")) == 2
    choices = [line for line in result.stderr.splitlines() if "document ids come from" in line]
    assert len(choices) == 2, choices
    assert any("key properties (order_id)" in line for line in choices)
    assert any("SHA-256 of the whole record" in line for line in choices)


def test_nan_names_the_field(target):
    line = '{"type": "RECORD", "stream": "s", "record": {"id": "x", "n": 1, "deep": {"v": [1, Infinity]}}}'
    result = target.run([*_ok_prefix(), line])
    assert result.returncode == 1
    assert "line 4" in result.last_error_line
    assert "field 'deep.v[1]' is inf" in result.last_error_line
    assert result.states == []


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"id": "a/b", "n": 1}, "forbids / \\ ? #"),
        ({"id": "q" * 1024, "n": 1}, "1024 bytes long"),
        (
            {"id": "big", "n": 1, "blob": "x" * (2 * 1024 * 1024)},
            "Cosmos DB stores at most 2097152",
        ),
        ({"id": "typed", "n": "one"}, "data.n must be integer"),
    ],
    ids=["slash", "long-id", "2MB", "schema"],
)
def test_refused_record_fails_without_dead_letter_path(target, bad, reason):
    result = target.run([*_ok_prefix(), record("s", bad), state({"pos": 2})])
    assert result.returncode == 1
    assert reason in result.last_error_line
    assert "line 4" in result.last_error_line
    assert "dead_letter_path" in result.last_error_line
    assert result.states == []


def test_refused_records_go_to_dead_letter_file(target, tmp_path):
    dead = tmp_path / "dead" / "letters.jsonl"
    near_limit = "x" * (
        2 * 1024 * 1024 - 60
    )  # passes the target's check, refused by the service (413)
    messages = [
        *_ok_prefix(),
        record("s", {"id": "a#b", "n": 1}),
        record("s", {"id": "typed", "n": "one"}),
        record("s", {"id": "huge", "n": 1, "blob": near_limit}),
        record("s", {"id": "fine", "n": 2}),
        state({"pos": 5}),
    ]
    result = target.run(messages, dead_letter_path=str(dead))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.states == [{"pos": 5}]
    assert set(target.documents("s")) == {"good", "fine"}
    letters = [json.loads(line) for line in dead.read_text().splitlines()]
    by_id = {entry["id"]: entry for entry in letters}
    assert set(by_id) == {"a#b", "typed", "huge"}
    assert all(entry["stream"] == "s" for entry in letters)
    assert "forbids" in by_id["a#b"]["reason"]
    assert by_id["a#b"]["line"] == 4
    assert "data.n must be integer" in by_id["typed"]["reason"]
    assert "413" in by_id["huge"]["reason"]
    assert by_id["typed"]["record"] == {"id": "typed", "n": "one"}
    assert result.metric_total("cosmos_records_dead_lettered", "s") == 3


def test_record_refused_by_cosmos_fails_like_one_refused_by_the_target(target):
    """The service's refusal (413) takes the same path as the target's: one line, no STATE."""
    near_limit = "x" * (2 * 1024 * 1024 - 60)
    messages = [*_ok_prefix(), record("s", {"id": "huge", "n": 1, "blob": near_limit}), state({"pos": 2})]  # fmt: skip
    result = target.run(messages)
    assert result.returncode == 1
    assert "413" in result.last_error_line
    assert "line 4" in result.last_error_line
    assert "'huge'" in result.last_error_line
    assert "(set 'dead_letter_path' to divert such records)" in result.last_error_line
    assert result.states == []
    assert "Traceback" not in result.stderr


def test_validate_records_false_writes_as_is(target):
    result = target.run(
        [schema("s", PROPS, ["id"]), record("s", {"id": "typed", "n": "one"})],
        validate_records=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert target.documents("s")["typed"]["n"] == "one"


def test_wrong_key_one_line_no_secret(cosmosdb_emulator, database_name, tmp_path):
    wrong = "B" * 86 + "=="
    cfg = write_config(
        tmp_path / "c.json",
        {
            "account_endpoint": cosmosdb_emulator.endpoint,
            "account_key": wrong,
            "database": database_name,
        },
    )
    result = run([executable("target-cosmosdb"), "--config", str(cfg)], stdin="", timeout=60)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1
    assert "401" in errors[0]
    assert wrong not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"partition_key_path": "tenant"}, "Setting 'partition_key_path' has invalid path"),
        ({"partition_key_path": ["/a", "/b", "/c", "/d"]}, "partition_key_path"),
        ({"container_throughput": 400, "autoscale_max_throughput": 4000}, "contradict"),
        ({"account_key": "not base64!"}, "Setting 'account_key' is not a valid base64"),
        ({"write_mode": "merge"}, "write_mode"),
    ],
)
def test_bad_settings(cosmosdb_emulator, database_name, tmp_path, extra, message):
    config = {
        "account_endpoint": cosmosdb_emulator.endpoint,
        "account_key": cosmosdb_emulator.key,
        "database": database_name,
        **extra,
    }
    cfg = write_config(tmp_path / "c.json", config)
    result = run([executable("target-cosmosdb"), "--config", str(cfg)], stdin="", timeout=60)
    assert result.returncode == 1
    assert message in result.stderr
    assert cosmosdb_emulator.key not in result.stderr


def test_debug_logging_never_shows_the_key(cosmosdb_emulator, database_name, tmp_path):
    config = {
        "account_endpoint": cosmosdb_emulator.endpoint,
        "account_key": cosmosdb_emulator.key,
        "database": database_name,
    }
    cfg = write_config(tmp_path / "c.json", config)
    stdin = "".join(
        json.dumps(m) + "\n" for m in [schema("s", PROPS, ["id"]), record("s", {"id": "1", "n": 1})]
    )
    result = run(
        [executable("target-cosmosdb"), "--config", str(cfg)],
        stdin=stdin,
        timeout=60,
        env={"LOGLEVEL": "DEBUG"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "DEBUG" in result.stderr
    assert cosmosdb_emulator.key not in result.stderr + result.stdout
    cosmosdb_emulator.client().delete_database(database_name)
