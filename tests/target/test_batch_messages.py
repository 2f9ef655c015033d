"""BATCH messages (singer-sdk's batch files) land exactly as the equivalent RECORD messages.

* the real ``tap-cosmosdb`` with ``batch_config`` (JSONL, gzip) into the real ``target-cosmosdb``;
* singer-sdk's own JSONL and Parquet batchers, driven by a small test tap (``batch_tap.py``),
  compared document by document with the same tap's RECORD messages;
* a BATCH whose file is missing or corrupt, or whose encoding is unknown, fails the run with one
  line and acknowledges no STATE.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
from azure.cosmos import PartitionKey

from tests.conftest import executable, run, singer_lines, write_config
from tests.e2e.compare import compare
from tests.target.conftest import record, schema, state

BATCH_TAP = Path(__file__).with_name("batch_tap.py")


def _batch_config(root: Path, fmt: str, size: int) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    return {
        "encoding": {"format": fmt, "compression": "gzip"},
        "storage": {"root": root.as_uri(), "prefix": "b-"},
        "batch_size": size,
    }


def _types(messages: list[dict]) -> set[str]:
    return {m["type"] for m in messages}


def test_tap_cosmosdb_batch_jsonl_gzip_lands_every_document(
    cosmosdb_emulator, database_name, target, tmp_path
):
    client = cosmosdb_emulator.client()
    source_db = client.create_database(f"{database_name}_src")
    try:
        source = source_db.create_container("orders", PartitionKey(path="/tenant"))
        for i in range(640):
            doc = {
                "id": f"o{i}",
                "tenant": f"t{i % 9}",
                "n": i,
                "amount": i * 1.25,
                "paid": i % 3 == 0,
                "items": [{"sku": f"s{j}", "qty": j} for j in range(i % 4)],
                "note": None if i % 5 else f"ünïcode {i}",
            }
            if i % 7 == 0:
                doc["late"] = {"x": [1, 2.5, "z"]}
            source.upsert_item(doc)
        tap_cfg = write_config(
            tmp_path / "tap.json",
            {
                "account_endpoint": cosmosdb_emulator.endpoint,
                "account_key": cosmosdb_emulator.key,
                "database": f"{database_name}_src",
                "batch_config": _batch_config(tmp_path / "files", "jsonl", 150),
            },
        )
        tap = run([executable("tap-cosmosdb"), "--config", str(tap_cfg)])
        assert tap.returncode == 0, tap.stderr[-3000:]
        messages = singer_lines(tap.stdout)
        assert "BATCH" in _types(messages)
        assert "RECORD" not in _types(messages)

        loaded = target.run(messages, partition_key_path="/tenant")
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        assert loaded.states, "the tap's STATE must be passed on once the documents are written"
        assert loaded.metric_total("cosmos_records_written", "orders") == 640
        destination = target.container("orders")
        result = compare(source, destination, ["/tenant"])
        assert result.ok, str(result)
        assert result.compared == 640
    finally:
        client.delete_database(f"{database_name}_src")


def _test_tap(tmp_path: Path, name: str, **config: object) -> list[dict]:
    cfg = write_config(tmp_path / f"{name}.json", config)
    proc = run([sys.executable, str(BATCH_TAP), "--config", str(cfg)], timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return singer_lines(proc.stdout)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_sdk_batch_files_land_the_documents_record_messages_would(fmt, target, tmp_path):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    as_records = _test_tap(tmp_path, "records", count=450)
    as_batches = _test_tap(
        tmp_path, "batches", count=450, batch_config=_batch_config(tmp_path / fmt, fmt, 100)
    )
    assert "RECORD" in _types(as_records)
    assert "BATCH" not in _types(as_records)
    assert "BATCH" in _types(as_batches)
    assert "RECORD" not in _types(as_batches)

    by_records = target.run(as_records, container="from_records", partition_key_path="/team")
    assert by_records.returncode == 0, by_records.stderr[-3000:]
    by_batches = target.run(as_batches, container="from_batches", partition_key_path="/team")
    assert by_batches.returncode == 0, by_batches.stderr[-3000:]
    assert by_batches.states, "STATE after the BATCH messages must be passed on"

    expected = target.documents("from_records")
    landed = target.documents("from_batches")
    assert len(expected) == 450
    assert landed == expected
    # spot-check the JSON types (not just equality of two possibly wrong copies)
    doc = landed["item-5"]
    assert doc["big"] == 2**53 + 5
    assert isinstance(doc["big"], int)
    assert doc["price"] == 5 * 0.25 + 0.1
    assert doc["ok"] is False
    assert doc["tags"] == ["a"]
    assert doc["meta"] == {"k": 35, "s": "s5"}
    assert doc["created_at"] == "2024-03-06T10:05:00+00:00"


def _batch(stream: str, urls: list[str], fmt: str = "jsonl") -> dict:
    return {
        "type": "BATCH",
        "stream": stream,
        "encoding": {"format": fmt, "compression": "gzip"},
        "manifest": urls,
    }


def test_missing_batch_file_fails_with_one_line_and_no_state(target, tmp_path):
    good = tmp_path / "good.json.gz"
    with gzip.open(good, "wt") as fh:
        fh.write(json.dumps({"id": "a"}) + "\n")
    missing = tmp_path / "nope.json.gz"
    messages = [
        schema("s"),
        _batch("s", [good.as_uri()]),
        state({"after": "good"}),
        _batch("s", [missing.as_uri()]),
        state({"after": "missing"}),
    ]
    result = target.run(messages)
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert result.returncode != 0
    assert len(errors) == 1, errors
    assert "Input line 4" in errors[0]
    assert "nope.json.gz" in errors[0]
    assert "does not exist" in errors[0]
    assert "Traceback" not in result.stderr
    # no STATE at all: the one before the bad BATCH waits for a drain that never ran
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x1f\x8b\x08\x00garbage-not-a-gzip-stream", "cannot be read"),
        (gzip.compress(b'{"id": "ok"}\n{"id": "b", broken\n'), "line 2 is not valid JSON"),
    ],
    ids=["corrupt-gzip", "broken-json-line"],
)
def test_corrupt_batch_file_fails_with_one_line_and_no_state(target, tmp_path, content, expected):
    path = tmp_path / "bad.json.gz"
    path.write_bytes(content)
    messages = [schema("s"), _batch("s", [path.as_uri()]), state({"after": "bad"})]
    result = target.run(messages)
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert result.returncode != 0
    assert len(errors) == 1, errors
    assert expected in errors[0], errors[0]
    assert "bad.json.gz" in errors[0], errors[0]
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == ""


def test_unknown_encoding_and_batch_before_schema_fail_with_one_line(target, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("id\na\n")
    result = target.run([schema("s"), _batch("s", [path.as_uri()], fmt="csv"), state({"x": 1})])
    assert result.returncode != 0
    assert result.stdout.strip() == ""
    assert "format 'csv' is not supported" in result.last_error_line
    result = target.run([_batch("s", [path.as_uri()]), state({"x": 1})])
    assert result.returncode != 0
    assert result.stdout.strip() == ""
    assert "before its SCHEMA" in result.last_error_line


def test_batch_records_get_the_record_path_checks_and_are_named(target, tmp_path):
    path = tmp_path / "rows.json.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps({"id": "fine"}) + "\n")
        fh.write(json.dumps({"id": "a/b"}) + "\n")
    result = target.run([schema("s"), _batch("s", [path.as_uri()]), state({"x": 1})])
    assert result.returncode != 0
    assert result.stdout.strip() == ""
    line = result.last_error_line
    assert "batch file 'rows.json.gz' record 2" in line, line
    assert "'a/b'" in line, line
    # with a dead-letter file the bad record is diverted, named, and the rest lands
    dead = tmp_path / "dead.jsonl"
    result = target.run(
        [schema("s"), _batch("s", [path.as_uri()]), state({"x": 2})], dead_letter_path=str(dead)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.states == [{"x": 2}]
    assert set(target.documents("s")) == {"fine"}
    (entry,) = [json.loads(x) for x in dead.read_text().splitlines()]
    assert entry["origin"] == "batch file 'rows.json.gz' record 2"
    assert entry["id"] == "a/b"


def test_records_then_batch_keep_input_order(target, tmp_path):
    """A RECORD before and after a BATCH with the same id: the last one in input order wins."""
    path = tmp_path / "mid.json.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps({"id": "k", "v": "batch"}) + "\n")
    props = {"id": {"type": "string"}, "v": {"type": "string"}}
    result = target.run(
        [
            schema("s", props),
            record("s", {"id": "k", "v": "first"}),
            record("s", {"id": "j", "v": "first"}),
            _batch("s", [path.as_uri()]),
            record("s", {"id": "j", "v": "last"}),
            state({"done": True}),
        ]
    )
    assert result.returncode == 0, result.stderr[-2000:]
    docs = target.documents("s")
    assert docs["k"]["v"] == "batch"
    assert docs["j"]["v"] == "last"


def test_uncompressed_jsonl_and_several_files_in_one_manifest(target, tmp_path):
    """compression none (or a plain file whatever it says), two files in one BATCH."""
    plain = tmp_path / "a.jsonl"
    plain.write_text("".join(json.dumps({"id": f"a{i}", "v": 1.5}) + "\n" for i in range(3)))
    zipped = tmp_path / "b.json.gz"
    with gzip.open(zipped, "wt") as fh:
        fh.write(json.dumps({"id": "b0", "v": 2}) + "\n\n")  # a blank line is skipped
    message = _batch("s", [plain.as_uri(), zipped.as_uri()])
    message["encoding"]["compression"] = "none"
    props = {"id": {"type": "string"}, "v": {"type": "number"}}
    result = target.run([schema("s", props), message, state({"x": 1})])
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.states == [{"x": 1}]
    docs = target.documents("s")
    assert {k: d["v"] for k, d in docs.items()} == {"a0": 1.5, "a1": 1.5, "a2": 1.5, "b0": 2}
