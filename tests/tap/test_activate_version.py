"""FULL_TABLE streams emit ACTIVATE_VERSION (singer-sdk's), so loaders can drop deleted rows."""

from __future__ import annotations

import json
import subprocess
import time

from tests.conftest import executable
from tests.tap.conftest import seed
from tests.tap.test_query_reader import set_method


def stream_messages(run, stream: str) -> list[dict]:
    return [m for m in run.messages if m.get("stream") == stream]


def test_full_table_emits_activate_version_and_a_newer_one_on_rerun(tap_env):
    items = tap_env.container("items")
    seed(items, 9)
    catalog = set_method(tap_env.discover(), "items", "FULL_TABLE")
    before = int(time.time())
    first = tap_env.run(tap_env.config(page_size=4), catalog=catalog)
    assert first.returncode == 0, first.stderr[-2000:]

    messages = stream_messages(first, "items")
    kinds = [m["type"] for m in messages]
    assert kinds.count("ACTIVATE_VERSION") == 1
    activate = kinds.index("ACTIVATE_VERSION")
    # SCHEMA first, then every RECORD, then ACTIVATE_VERSION: a loader that deletes older
    # versions on ACTIVATE_VERSION must not do it before the refreshed rows have arrived.
    assert kinds[0] == "SCHEMA"
    assert activate > max(i for i, kind in enumerate(kinds) if kind == "RECORD")
    version = messages[activate]["version"]
    assert isinstance(version, int)
    assert before - 5 <= version <= int(time.time())  # epoch seconds of the run
    records = [m for m in messages if m["type"] == "RECORD"]
    assert len(records) == 9
    assert {m.get("version") for m in records} == {version}

    items.delete_item("d3", partition_key="p3")
    time.sleep(max(0.0, version + 1.05 - time.time()))  # a later second: a later version
    second = tap_env.run(tap_env.config(page_size=4), catalog=catalog)
    assert second.returncode == 0, second.stderr[-2000:]
    messages = stream_messages(second, "items")
    versions = [m["version"] for m in messages if m["type"] == "ACTIVATE_VERSION"]
    assert len(versions) == 1
    assert versions[0] > version
    records = [m for m in messages if m["type"] == "RECORD"]
    assert sorted(m["record"]["id"] for m in records) == sorted(f"d{i}" for i in range(9) if i != 3)
    assert {m.get("version") for m in records} == {versions[0]}


def test_activate_version_can_be_turned_off_and_log_based_never_emits_it(tap_env):
    seed(tap_env.container("items"), 4)
    catalog = set_method(tap_env.discover(), "items", "FULL_TABLE")
    off = tap_env.run(tap_env.config(emit_activate_version_messages=False), catalog=catalog)
    assert off.returncode == 0, off.stderr[-2000:]
    assert len(off.records("items")) == 4
    assert not [m for m in off.messages if m["type"] == "ACTIVATE_VERSION"]
    assert all("version" not in m for m in off.messages if m["type"] == "RECORD")

    # A shard reads one slice of the container: a loader must not retire the other slices.
    shard = tap_env.run(tap_env.config(shard_count=2, shard_index=0), catalog=catalog)
    assert shard.returncode == 0, shard.stderr[-2000:]
    assert not [m for m in shard.messages if m["type"] == "ACTIVATE_VERSION"]

    log_based = tap_env.run()
    assert log_based.returncode == 0, log_based.stderr[-2000:]
    assert len(log_based.records("items")) == 4
    assert not [m for m in log_based.messages if m["type"] == "ACTIVATE_VERSION"]


def test_about_advertises_activate_version():
    proc = subprocess.run(
        [executable("tap-cosmosdb"), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    about = json.loads(proc.stdout)
    assert "activate-version" in about["capabilities"]
    setting = about["settings"]["properties"]["emit_activate_version_messages"]
    assert setting["default"] is True


def test_a_failed_full_table_sync_emits_no_activate_version(tap_env):
    """A loader deletes rows of older versions on ACTIVATE_VERSION: an incomplete refresh must
    never send it (singer-sdk alone sends it before the first record)."""
    seed(tap_env.container("items"), 6)
    catalog = set_method(tap_env.discover(), "items", "FULL_TABLE")
    # The service (and the emulator) answer 400 to a malformed query: the sync fails at once.
    config = tap_env.config(queries={"items": "SELECT * FROM c WHERE"})
    run = tap_env.run(config, catalog=catalog)
    assert run.returncode != 0
    assert not [m for m in run.messages if m["type"] == "ACTIVATE_VERSION"]
    assert run.stderr.strip().splitlines()[-1].startswith("tap-cosmosdb: error:")


def test_with_batch_config_activate_version_precedes_the_batch_files(tap_env, tmp_path):
    """BATCH messages carry no version: the loader must learn it before the files arrive."""
    seed(tap_env.container("items"), 5)
    catalog = set_method(tap_env.discover(), "items", "FULL_TABLE")
    batch_config = {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": f"file://{tmp_path}", "prefix": "b-"},
    }
    run = tap_env.run(tap_env.config(batch_config=batch_config), catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    kinds = [m["type"] for m in stream_messages(run, "items")]
    assert "BATCH" in kinds
    assert kinds.count("ACTIVATE_VERSION") == 1
    assert kinds.index("ACTIVATE_VERSION") < kinds.index("BATCH")
