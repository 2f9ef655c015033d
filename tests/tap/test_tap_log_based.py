"""End-to-end LOG_BASED behaviour of the real `tap-cosmosdb` CLI against the emulator."""

from __future__ import annotations

import collections
import gzip
import json
import signal
import subprocess
import time
from pathlib import Path

import fastjsonschema

from tests.tap.conftest import seed


def test_first_run_reads_everything_and_second_run_only_changes(tap_env):
    items = tap_env.container("items")
    ids = seed(items, 40)
    config = tap_env.config(page_size=7)

    first = tap_env.run(config)
    assert first.returncode == 0, first.stderr[-2000:]
    got = [r["id"] for r in first.records("items")]
    assert sorted(got) == sorted(ids)
    assert len(got) == len(set(got))
    partitions = first.last_state["bookmarks"]["items"]["partitions"]
    assert len(partitions) == 4  # one per feed range of the emulator's 4 physical ranges
    for partition in partitions:
        assert set(partition["context"]) == {"range_min", "range_max"}
        assert partition["continuation"]
        assert partition["mode"] == "LatestVersion"
    # Several STATE messages: one per page, not only at the end.
    assert len(first.states()) > 4
    # Context keys never leak into records; account internals are dropped.
    for record in first.records():
        assert not {"range_min", "range_max", "_rid", "_self", "_attachments"} & set(record)
        assert json.loads(record["_sdc_partition_key"]) == [f"p{record['n'] % 13}"]
        assert isinstance(record["_lsn"], int)

    second = tap_env.run(config, state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.records() == []

    items.upsert_item({"id": "d3", "pk": "p3", "n": 3, "changed": True})
    seed(items, 2, start=100)
    third = tap_env.run(config, state=second.last_state)
    assert sorted(r["id"] for r in third.records()) == ["d100", "d101", "d3"]
    changed = next(r for r in third.records() if r["id"] == "d3")
    assert changed["changed"] is True
    last_lsns = {
        p["context"]["range_min"]: p.get("last_lsn")
        for p in third.last_state["bookmarks"]["items"]["partitions"]
    }
    assert max(v for v in last_lsns.values() if v is not None) == max(
        r["_lsn"] for r in third.records()
    )


def test_missing_and_hierarchical_partition_keys(tap_env):
    flat = tap_env.container("flat")
    flat.upsert_item({"id": "a", "pk": "AA"})
    flat.upsert_item({"id": "b", "pk": 5})
    flat.upsert_item({"id": "c", "pk": None})
    flat.upsert_item({"id": "d"})  # lacks the partition key path: undefined
    flat.upsert_item({"id": "a", "pk": "BB"})  # same id, another logical partition
    hpk = tap_env.container("hpk", ["/t", "/u"], kind="MultiHash")
    hpk.upsert_item({"id": "x", "t": "t1", "u": "u1"})

    run = tap_env.run()
    assert run.returncode == 0, run.stderr[-2000:]
    keys = {(r["_sdc_partition_key"], r["id"]) for r in run.records("flat")}
    assert keys == {('["AA"]', "a"), ('["BB"]', "a"), ("[5]", "b"), ("[null]", "c"), ("[{}]", "d")}
    assert [r["_sdc_partition_key"] for r in run.records("hpk")] == ['["t1","u1"]']
    schema = run.schemas("flat")[0]
    assert schema["key_properties"] == ["_sdc_partition_key", "id"]
    # The source partition key definition travels in the schema, for target-cosmosdb.
    assert schema["schema"]["x-cosmosdb-partition-key"]["paths"] == ["/pk"]
    hpk_schema = run.schemas("hpk")[0]["schema"]["x-cosmosdb-partition-key"]
    assert hpk_schema["paths"] == ["/t", "/u"]
    assert hpk_schema["kind"] == "MultiHash"


def test_partition_key_definition_survives_an_input_catalog(tap_env):
    tap_env.container("flat").upsert_item({"id": "a", "pk": "AA"})
    catalog = tap_env.discover()
    run = tap_env.run(catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.schemas("flat")[0]["schema"]["x-cosmosdb-partition-key"]["paths"] == ["/pk"]


def test_new_nested_field_and_changed_type_arrive_intact(tap_env):
    items = tap_env.container("items")
    seed(items, 5)
    catalog = tap_env.discover()
    props = catalog["streams"][0]["schema"]["properties"]
    assert "extra" not in props
    assert props["n"]["type"] == ["number", "null"]
    assert catalog["streams"][0]["replication_method"] == "LOG_BASED"
    assert "log-based" not in json.dumps(catalog)  # sanity: capabilities are not in the catalog

    extra = {"deep": {"list": [1, {"y": "z", "nums": [1.5, 2]}], "flag": False}, "empty": []}
    items.upsert_item({"id": "new", "pk": "p0", "n": "not a number", "extra": extra})
    run = tap_env.run(catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]

    # Replay the stream as a target would: validate each record against the latest schema.
    schema = None
    seen = None
    for message in run.messages:
        if message["type"] == "SCHEMA":
            schema = message["schema"]
        elif message["type"] == "RECORD":
            fastjsonschema.compile(schema)(message["record"])
            if message["record"]["id"] == "new":
                seen = message["record"]
    assert seen is not None
    assert seen["extra"] == extra
    # `n` stays a number column: the string is kept, as read, in _sdc_rescued_data.
    assert seen["n"] is None
    assert seen["_sdc_rescued_data"] == {"n": "not a number"}
    assert len(run.schemas()) == 2
    last = run.schemas()[-1]["schema"]["properties"]
    assert "extra" in last
    assert last["n"]["type"] == ["number", "null"]


def test_sigkill_resumes_from_last_state_repeating_only_the_last_page(tap_env):
    items = tap_env.container("items")
    ids = seed(items, 120, pad=4000)  # large records so the pipe applies backpressure
    args = tap_env.args(tap_env.config(page_size=5))
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    states = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(json.loads(line))
        if lines[-1]["type"] == "STATE":
            states += 1
        if states >= 3 and lines[-1]["type"] == "RECORD":
            break
    proc.send_signal(signal.SIGKILL)
    rest = proc.stdout.read()
    proc.wait()
    lines += [json.loads(x) for x in rest.splitlines() if x.strip()]
    last_state_index = max(i for i, m in enumerate(lines) if m["type"] == "STATE")
    before = {m["record"]["id"] for m in lines[:last_state_index] if m["type"] == "RECORD"}
    after = [m["record"]["id"] for m in lines[last_state_index:] if m["type"] == "RECORD"]
    assert before
    assert len(before) < len(ids)
    assert len(after) <= 5  # at most the page being emitted when killed

    resumed = tap_env.run(tap_env.config(page_size=5), state=lines[last_state_index]["value"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    again = [r["id"] for r in resumed.records()]
    assert not before & set(again), "records acknowledged by STATE were read again"
    assert before | set(again) == set(ids), "records were lost"
    assert len(again) == len(set(again))


def test_split_between_runs_loses_and_repeats_nothing(tap_env):
    items = tap_env.container("items")
    seed(items, 30)
    config = tap_env.config(page_size=4)
    first = tap_env.run(config)
    assert first.returncode == 0, first.stderr[-2000:]
    contexts = [p["context"] for p in first.last_state["bookmarks"]["items"]["partitions"]]

    tap_env.emulator.split(tap_env.name, "items", "1")
    new_ids = seed(items, 30, start=1000)
    second = tap_env.run(config, state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    got = [r["id"] for r in second.records()]
    assert sorted(got) == sorted(new_ids)
    # The recorded (parent) ranges remain the partitions; their tokens now carry the children.
    assert [p["context"] for p in second.last_state["bookmarks"]["items"]["partitions"]] == contexts

    third = tap_env.run(config, state=second.last_state)
    assert third.records() == []


def test_split_during_a_run_loses_and_repeats_nothing(tap_env):
    items = tap_env.container("items")
    ids = seed(items, 120, pad=4000)
    args = tap_env.args(tap_env.config(page_size=5))
    err_path = tap_env.tmp / "tap.err"
    with err_path.open("w") as err_file:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err_file, text=True)
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(json.loads(line))
            if lines[-1]["type"] == "STATE" and lines[-1]["value"].get("bookmarks", {}).get(
                "items"
            ):
                break
        # The tap is blocked on the pipe inside the first range: split every range under it.
        for range_id in ("0", "1", "2", "3"):
            tap_env.emulator.split(tap_env.name, "items", range_id)
        # Read the rest through the same text wrapper: communicate() would read the raw pipe
        # and lose what the wrapper has already buffered.
        rest = proc.stdout.read()
        proc.wait(timeout=120)
    assert proc.returncode == 0, err_path.read_text()[-2000:]
    lines += [json.loads(x) for x in rest.splitlines() if x.strip()]
    got = [m["record"]["id"] for m in lines if m["type"] == "RECORD"]
    counts = collections.Counter(got)
    assert set(got) == set(ids)
    assert [i for i, c in counts.items() if c > 1] == []


def test_point_in_time_start_resumes_on_second_run(tap_env):
    items = tap_env.container("items")
    seed(items, 6)
    time.sleep(1.1)
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time()))
    time.sleep(1.1)
    later = seed(items, 4, start=50)
    config = tap_env.config(start_from=start, page_size=3)
    first = tap_env.run(config)
    assert first.returncode == 0, first.stderr[-2000:]
    assert sorted(r["id"] for r in first.records()) == sorted(later)
    for partition in first.last_state["bookmarks"]["items"]["partitions"]:
        assert partition["continuation"]

    second = tap_env.run(config, state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]  # the SDK's PIT-token bug would fail here
    assert second.records() == []
    seed(items, 1, start=70)
    third = tap_env.run(config, state=second.last_state)
    assert [r["id"] for r in third.records()] == ["d70"]


def test_start_from_now_records_position_without_records(tap_env):
    items = tap_env.container("items")
    seed(items, 5)
    config = tap_env.config(start_from="Now")
    first = tap_env.run(config)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.records() == []
    assert all(p.get("continuation") for p in first.last_state["bookmarks"]["items"]["partitions"])
    seed(items, 2, start=10)
    second = tap_env.run(config, state=first.last_state)
    assert sorted(r["id"] for r in second.records()) == ["d10", "d11"]


def test_containers_glob_selects_streams(tap_env):
    for name in ("orders_a", "orders_b", "other"):
        seed(tap_env.container(name), 1)
    run = tap_env.run(tap_env.config(containers=["orders_*"]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert {m["stream"] for m in run.schemas()} == {"orders_a", "orders_b"}


def test_batch_messages_never_acknowledged_before_their_files(tap_env, tmp_path):
    items = tap_env.container("items")
    ids = seed(items, 23)
    batch_config = {
        "encoding": {"format": "jsonl", "compression": "none"},
        "storage": {"root": f"file://{tmp_path}", "prefix": "b-"},
        "batch_size": 5,
    }
    run = tap_env.run(tap_env.config(page_size=3, batch_config=batch_config))
    assert run.returncode == 0, run.stderr[-2000:]
    kinds = [m["type"] for m in run.messages if m["type"] in ("BATCH", "STATE")]
    assert kinds[0] == "BATCH"  # no STATE before the first batch file exists
    written = []
    for message in run.messages:
        if message["type"] == "BATCH":
            for url in message["manifest"]:
                raw = Path(url.removeprefix("file://")).read_bytes()
                if raw[:2] == b"\x1f\x8b":  # singer-sdk gzips jsonl batches
                    raw = gzip.decompress(raw)
                written += [json.loads(line)["id"] for line in raw.splitlines() if line.strip()]
    assert sorted(written) == sorted(ids)
    again = tap_env.run(tap_env.config(page_size=3), state=run.last_state)
    assert again.records() == []
