"""`meltano run` with the project's meltano.yml against the emulator (plugins from `make meltano`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from azure.cosmos import PartitionKey

from cosmosdb_emulator.samples.nycflights13 import seed_table
from tests.conftest import run
from tests.e2e.compare import compare

pytestmark = pytest.mark.skipif(
    shutil.which("meltano") is None, reason="meltano is not on PATH; run through `make test`"
)


@pytest.fixture
def meltano_env(cosmosdb_emulator, database_name):
    client = cosmosdb_emulator.client()
    seed_table(client, database_name, "flights", limit=800)
    seed_table(client, database_name, "airlines")
    env = {
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_COSMOSDB_ACCOUNT_ENDPOINT": cosmosdb_emulator.endpoint,
        "TAP_COSMOSDB_ACCOUNT_KEY": cosmosdb_emulator.key,
        "TAP_COSMOSDB_DATABASE": database_name,
        "TARGET_COSMOSDB_ACCOUNT_ENDPOINT": cosmosdb_emulator.endpoint,
        "TARGET_COSMOSDB_ACCOUNT_KEY": cosmosdb_emulator.key,
        "TARGET_COSMOSDB_DATABASE": f"{database_name}_copy",
    }
    yield client, env
    client.delete_database(database_name)


def meltano(*args: str, env: dict[str, str]):
    result = run(["meltano", *args], env=env, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result


def test_meltano_run_copies_containers_into_another_database(
    cosmosdb_emulator, meltano_env, database_name
):
    client, env = meltano_env
    meltano(
        "run", "--state-id-suffix", uuid.uuid4().hex, "tap-cosmosdb", "target-cosmosdb", env=env
    )
    source_db = client.get_database_client(database_name)
    copy_db = client.get_database_client(f"{database_name}_copy")
    for name, paths in (("flights", ["/tailnum"]), ("airlines", ["/carrier"])):
        source, copy = source_db.get_container_client(name), copy_db.get_container_client(name)
        assert copy.read()["partitionKey"]["paths"] == paths, "partition key path must carry over"
        result = compare(source, copy, paths)
        assert result.ok, f"{name}: {result}"
        assert result.compared > 0, f"{name}: {result}"


def test_meltano_run_to_jsonl_twice_extracts_only_changes(meltano_env, tmp_path):
    client, env = meltano_env
    env = {**env, "TARGET_JSONL_DESTINATION_PATH": str(tmp_path)}
    suffix = uuid.uuid4().hex

    def lines_per_stream(before: set[Path]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for path in set(tmp_path.glob("*.jsonl")) - before:
            stream = path.name.split("-2")[0]
            counts[stream] = counts.get(stream, 0) + len(path.read_text().splitlines())
        return counts

    meltano("run", "--state-id-suffix", suffix, "tap-cosmosdb", "target-jsonl", env=env)
    first = lines_per_stream(set())
    assert first == {"flights": 800, "airlines": 16}

    flights = client.get_database_client(env["TAP_COSMOSDB_DATABASE"]).get_container_client(
        "flights"
    )
    for doc in list(flights.read_all_items(max_item_count=50))[:12]:
        doc["changed_by_test"] = True
        flights.upsert_item(doc)

    before = set(tmp_path.glob("*.jsonl"))
    meltano("run", "--state-id-suffix", suffix, "tap-cosmosdb", "target-jsonl", env=env)
    assert lines_per_stream(before).get("flights") == 12
    assert lines_per_stream(before).get("airlines", 0) == 0


@pytest.fixture
def readme_database(cosmosdb_emulator):
    """A container in `nycflights13`, the database meltano.yml names, removed afterwards."""
    client = cosmosdb_emulator.client()
    database = client.create_database_if_not_exists("nycflights13")
    name = f"readme_{uuid.uuid4().hex[:8]}"
    container = database.create_container(name, PartitionKey(path="/carrier"))
    for i in range(5):
        container.upsert_item({"id": f"x{i}", "carrier": f"C{i % 2}", "seats": i, "model": f"m{i}"})
    env = {
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        # Only the endpoint (the test emulator's port) and key come from the environment, as
        # in the README; the database is meltano.yml's own.
        "TAP_COSMOSDB_ACCOUNT_ENDPOINT": cosmosdb_emulator.endpoint,
        "TAP_COSMOSDB_ACCOUNT_KEY": cosmosdb_emulator.key,
    }
    env_without = {k: v for k, v in os.environ.items() if not k.startswith("TAP_COSMOSDB_")}
    yield name, {**env_without, **env}
    database.delete_container(name)


def meltano_clean_env(*args: str, env: dict[str, str]):
    """Run meltano with exactly `env` (no TAP_COSMOSDB_* inherited from the test runner)."""
    result = subprocess.run(
        ["meltano", *args], capture_output=True, text=True, timeout=600, env=env, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result


def test_meltano_select_config_and_state_work_without_environment(readme_database):
    name, env = readme_database
    listed = meltano_clean_env("select", "tap-cosmosdb", "--list", "--all", env=env)
    for prop in ("seats", "model", "carrier", "id", "_ts"):
        assert f"{name}.{prop}" in listed.stdout, listed.stdout[-3000:]

    config = meltano_clean_env("config", "list", "tap-cosmosdb", env=env)
    database_line = next(
        line for line in config.stdout.splitlines() if line.startswith("database ")
    )
    assert "current value: 'nycflights13'" in database_line, config.stdout

    meltano_clean_env("state", "list", env=env)
