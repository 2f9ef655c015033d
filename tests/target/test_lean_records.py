"""The lean RECORD path (``CompatTarget._process_record_message``) and singer-sdk's own path
write the same documents, dead letters, counters, errors and STATE.

Each input is loaded twice by the real CLI: as stream ``items`` (no stream map: the lean path)
and renamed to ``items`` by a stream-map alias of stream ``slow`` (a custom stream map: singer-sdk's
path), into two databases; everything the runs produce is compared.
"""

from __future__ import annotations

import contextlib
import json
import typing as t

import pytest

from target_cosmosdb.target import TargetCosmosDB
from tests.conftest import write_config
from tests.target.conftest import TargetRunner, record, schema, state

PROPS = {
    "id": {"type": "string"},
    "g": {"type": "string"},
    "n": {"type": "integer"},
    "price": {"type": "number"},
}


#: singer-sdk record metadata a tap may send (removed: add_record_metadata is off).
META = {"_sdc_extracted_at": "2024-01-01T00:00:00Z", "_sdc_sequence": 7}


def _messages(stream: str) -> list[dict]:
    out: list[dict] = [schema(stream, PROPS, ["id"])]
    for i in range(25):
        out.append(record(stream, {"id": f"r{i}", "g": f"g{i % 3}", "n": i, "price": i / 4}))
        if i % 10 == 9:
            out.append(state({"pos": i}))
    out += [
        record(stream, {"id": "r3", "g": "g0", "n": 33, "price": 1.5}),  # same id: last wins
        record(stream, {"id": "meta", "g": "g1", "n": 1, **META}),
        record(stream, {"id": "r5", "g": "g2", "_sdc_deleted_at": "2024-01-02T00:00:00Z"}),
        record(stream, {"id": "typed", "g": "g0", "n": "one"}),  # schema violation: dead letter
        record(stream, {"id": "a#b", "g": "g0", "n": 2}),  # refused id: dead letter
        {**record(stream, {"id": "v", "g": "g1", "n": 5}), "version": 9},
        state({"pos": "end"}),
    ]
    return out


def _run_both(
    cosmosdb_emulator: t.Any, tmp_path: t.Any, extra: dict[str, t.Any], tail: t.Sequence[dict] = ()
) -> tuple[t.Any, t.Any, TargetRunner, TargetRunner]:
    lean = TargetRunner(cosmosdb_emulator, "lean_db", tmp_path / "lean")
    slow = TargetRunner(cosmosdb_emulator, "slow_db", tmp_path / "slow")
    for runner in (lean, slow):
        runner.tmp_path.mkdir()
    lean_result = lean.run(
        [*_messages("items"), *(dict(m, stream="items") for m in tail)],
        dead_letter_path=str(tmp_path / "lean" / "dead.jsonl"),
        **extra,
    )
    slow_result = slow.run(
        [*_messages("slow"), *(dict(m, stream="slow") for m in tail)],
        dead_letter_path=str(tmp_path / "slow" / "dead.jsonl"),
        stream_maps={"slow": {"__alias__": "items"}},
        **extra,
    )
    return lean_result, slow_result, lean, slow


def _dead_letters(path: t.Any) -> list[dict]:
    if not path.exists():
        return []
    letters = [json.loads(line) for line in path.read_text().splitlines()]
    for letter in letters:
        letter.pop("at", None)
        letter.pop("time", None)
    return letters


@pytest.fixture
def cleanup(cosmosdb_emulator: t.Any) -> t.Iterator[None]:
    yield
    client = cosmosdb_emulator.client()
    for name in ("lean_db", "slow_db", "lean_choice"):
        with contextlib.suppress(Exception):  # absent after a failed run
            client.delete_database(name)


@pytest.mark.usefixtures("cleanup")
def test_lean_and_singer_sdk_paths_write_the_same(cosmosdb_emulator, tmp_path):
    extra = {"batch_size_rows": 7, "hard_delete": True, "partition_key_path": "/g"}
    lean, slow, lean_runner, slow_runner = _run_both(cosmosdb_emulator, tmp_path, extra)
    assert lean.returncode == 0, lean.stderr[-2000:]
    assert slow.returncode == 0, slow.stderr[-2000:]
    assert lean.states == slow.states
    assert lean.states[-1] == {"pos": "end"}
    documents = lean_runner.documents("items")
    assert documents == slow_runner.documents("items")
    assert documents["r3"]["n"] == 33
    assert "r5" not in documents  # hard-deleted through _sdc_deleted_at
    assert "_sdc_extracted_at" not in documents["meta"]
    assert documents["v"]["_sdc_table_version"] == 9
    lean_letters = _dead_letters(tmp_path / "lean" / "dead.jsonl")
    assert {letter["id"] for letter in lean_letters} == {"typed", "a#b"}
    assert lean_letters == _dead_letters(tmp_path / "slow" / "dead.jsonl")
    for name in ("record_count", "cosmos_records_written", "cosmos_records_deleted", "cosmos_records_dead_lettered"):  # fmt: skip
        assert lean.metric_total(name, "items") == slow.metric_total(name, "items"), name
    assert lean.metric_total("record_count", "items") == 31  # 25 + 6 records


@pytest.mark.usefixtures("cleanup")
@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"g": "g0", "n": 1}, "lacks a key property"),
        ({"id": "x", "g": "g0", "z": float("nan")}, "field 'z' is nan"),
    ],
)
def test_lean_and_singer_sdk_paths_fail_alike(cosmosdb_emulator, tmp_path, bad, expected):
    tail = [record("items", bad), state({"pos": "after"})]
    lean, slow, _, _ = _run_both(cosmosdb_emulator, tmp_path, {}, tail)
    assert lean.returncode == slow.returncode == 1
    assert expected in lean.last_error_line
    assert lean.last_error_line.replace("items", "slow") == slow.last_error_line.replace("items", "slow")  # fmt: skip
    assert lean.states == slow.states
    assert "Traceback" not in lean.stderr


def test_lean_path_is_taken_only_without_maps_and_metadata(cosmosdb_emulator, tmp_path):
    base = {"account_endpoint": cosmosdb_emulator.endpoint, "account_key": cosmosdb_emulator.key, "database": "lean_choice"}  # fmt: skip
    message = {"type": "RECORD", "stream": "s", "record": {"id": "1"}}
    cases: list[tuple[dict[str, t.Any], bool]] = [
        ({}, True),
        ({"add_record_metadata": True}, False),
        ({"stream_maps": {"s": {"extra": "1"}}}, False),
        ({"flattening_enabled": True, "flattening_max_depth": 1}, False),
    ]
    for number, (extra, lean) in enumerate(cases):
        config = write_config(tmp_path / f"c{number}.json", {**base, **extra})
        target = TargetCosmosDB(config=str(config))
        target._process_schema_message(schema("s"))
        assert (target.lean_sink(message) is not None) is lean, extra
        assert target.lean_sink({**message, "record": "text"}) is None
