"""examples/shell/cosmosdb_shards.sh: 4 background shard pipelines into one container.

The script runs as a user would run it (tap-cosmosdb and target-cosmosdb found on PATH); the
destination must equal the source document by document, each shard's state must record its own
layout, and a failing shard must make the script exit non-zero and keep that shard's state.
"""

from __future__ import annotations

import json
import os

import pytest

from cosmosdb_emulator.samples.nycflights13 import seed_table
from tests.conftest import BIN, REPO, run, write_config
from tests.e2e.compare import compare

SCRIPT = REPO / "examples" / "shell" / "cosmosdb_shards.sh"
SHARDS = 4
FLIGHTS_PK = ["/tailnum"]


@pytest.fixture
def source(cosmosdb_emulator, database_name):
    client = cosmosdb_emulator.client()
    seed_table(client, database_name, "flights", limit=400)
    yield client.get_database_client(database_name).get_container_client("flights")
    for db in list(client.list_databases()):
        if db["id"].startswith(database_name):
            client.delete_database(db["id"])


def test_shell_example_copies_every_document_once_per_shard(
    cosmosdb_emulator, source, database_name, tmp_path
):
    emu = cosmosdb_emulator
    account = {"account_endpoint": emu.endpoint, "account_key": emu.key}
    tap_cfg = write_config(tmp_path / "tap.json", {**account, "database": database_name})
    target_cfg = write_config(
        tmp_path / "target.json", {**account, "database": f"{database_name}_copy"}
    )
    states = tmp_path / "states"
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = run(["bash", str(SCRIPT), str(tap_cfg), str(target_cfg), str(states)], env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    destination = (
        emu.client().get_database_client(f"{database_name}_copy").get_container_client("flights")
    )
    result = compare(source, destination, FLIGHTS_PK)
    assert result.ok, str(result)
    assert result.compared == 400
    for index in range(SHARDS):
        state = json.loads((states / f"state-shard-{index}-of-{SHARDS}.json").read_text())
        assert state["bookmarks"]["flights"]["shard"] == {"index": index, "count": SHARDS}

    # A shard whose target fails (an unreachable endpoint) fails the script; its state is kept.
    kept = (states / "state-shard-0-of-4.json").read_text()
    bad_target = write_config(
        tmp_path / "bad-target.json",
        {**account, "account_endpoint": "http://127.0.0.1:9/", "database": "x"},
    )
    failed = run(
        ["bash", str(SCRIPT), str(tap_cfg), str(bad_target), str(states)], env=env, timeout=300
    )
    assert failed.returncode != 0
    assert "shard-0-of-4 failed; state kept" in failed.stderr
    assert (states / "state-shard-0-of-4.json").read_text() == kept
