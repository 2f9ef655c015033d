"""Issue 4 end to end: an emulator restart between runs, and deletes flowing to the target."""

from __future__ import annotations

import json

import pytest
from azure.cosmos import PartitionKey

from cosmosdb_emulator import Emulator
from tests.conftest import executable, run, write_config
from tests.e2e.compare import compare


def _config(emu, database, **extra):
    return {"account_endpoint": emu.endpoint, "account_key": emu.key, "database": database, **extra}


def _pipeline(tap_cfg, target_cfg, state=None, tmp=None):
    cmd = [executable("tap-cosmosdb"), "--config", str(tap_cfg)]
    if state is not None:
        state_file = tmp / "state.json"
        state_file.write_text(json.dumps(state))
        cmd += ["--state", str(state_file)]
    tapped = run(cmd)
    assert tapped.returncode == 0, tapped.stderr[-3000:]
    loaded = run([executable("target-cosmosdb"), "--config", str(target_cfg)], stdin=tapped.stdout)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    records = [
        json.loads(line)
        for line in tapped.stdout.splitlines()
        if line.strip() and json.loads(line)["type"] == "RECORD"
    ]
    states = [line for line in loaded.stdout.splitlines() if line.strip()]
    return records, json.loads(states[-1])


@pytest.fixture
def file_emulator(tmp_path):
    with Emulator(partitions=2, data=str(tmp_path / "cosmos.sqlite"), port=0) as emu:
        yield emu


def test_state_stays_valid_across_an_emulator_restart(file_emulator, tmp_path):
    emu = file_emulator
    source = emu.client().create_database("src").create_container("items", PartitionKey("/pk"))
    for n in range(40):
        source.upsert_item({"id": f"d{n}", "pk": f"p{n % 5}", "n": n})
    tap_cfg = write_config(tmp_path / "tap.json", _config(emu, "src", page_size=7))
    target_cfg = write_config(tmp_path / "target.json", _config(emu, "dst"))

    records, state = _pipeline(tap_cfg, target_cfg)
    assert len(records) == 40

    emu.stop()
    emu.start()  # same SQLite file: RIDs, LSNs and continuation tokens survive
    source = emu.client().get_database_client("src").get_container_client("items")
    for n in (3, 41):
        source.upsert_item({"id": f"d{n}", "pk": f"p{n % 5}", "n": n, "after_restart": True})

    records, _ = _pipeline(tap_cfg, target_cfg, state, tmp_path)
    assert sorted(r["record"]["id"] for r in records) == ["d3", "d41"]
    destination = emu.client().get_database_client("dst").get_container_client("items")
    result = compare(source, destination, ["/pk"])
    assert result.ok, str(result)
    assert result.compared == 41


def test_deletes_reach_the_target_as_hard_deletes(cosmosdb_emulator, database_name, tmp_path):
    emu = cosmosdb_emulator
    client = emu.client()
    source = client.create_database(database_name).create_container("items", PartitionKey("/pk"))
    for n in range(12):
        source.upsert_item({"id": f"d{n}", "pk": f"p{n % 3}", "n": n})
    tap_cfg = write_config(
        tmp_path / "tap.json",
        _config(emu, database_name, change_feed_mode="AllVersionsAndDeletes", page_size=5),
    )
    target_cfg = write_config(
        tmp_path / "target.json", _config(emu, f"{database_name}_dst", hard_delete=True)
    )
    records, state = _pipeline(tap_cfg, target_cfg)
    assert len(records) == 12
    destination = client.get_database_client(f"{database_name}_dst").get_container_client("items")
    assert len(list(destination.read_all_items())) == 12

    source.delete_item("d4", partition_key="p1")
    source.delete_item("d5", partition_key="p2")
    source.upsert_item({"id": "d6", "pk": "p0", "n": 60})
    records, _ = _pipeline(tap_cfg, target_cfg, state, tmp_path)
    deleted = {r["record"]["id"] for r in records if r["record"].get("_sdc_deleted_at")}
    assert deleted == {"d4", "d5"}
    result = compare(source, destination, ["/pk"])
    assert result.ok, str(result)
    assert result.compared == 10
    client.delete_database(database_name)
    client.delete_database(f"{database_name}_dst")
