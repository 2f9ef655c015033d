"""End to end scale-out: several `tap-cosmosdb (shard i) | target-cosmosdb` pipelines at once.

Three shards over the session emulator's 4 physical ranges (so two shard boundaries cut
physical ranges into sub-ranges) write into one destination container concurrently; the
destination is compared with the source field by field by (partition key, id). A second round,
after changes and a split, resumes each shard from the state its own target acknowledged.
"""

from __future__ import annotations

import subprocess
import typing as t

import pytest

from cosmosdb_emulator.samples.nycflights13 import seed_table
from tests.conftest import executable, singer_lines, write_config
from tests.e2e.compare import compare

FLIGHTS_PK = ["/tailnum"]
SHARDS = 3


@pytest.fixture
def source(cosmosdb_emulator, database_name):
    client = cosmosdb_emulator.client()
    seed_table(client, database_name, "flights", limit=600)
    yield client.get_database_client(database_name).get_container_client("flights")
    client.delete_database(database_name)
    for db in client.list_databases():
        if db["id"] == f"{database_name}_copy":
            client.delete_database(db["id"])


def run_shard_pipelines(
    emu: t.Any, database: str, tmp_path: t.Any, states: list[dict[str, t.Any] | None], tag: str
) -> list[dict[str, t.Any]]:
    """Start every shard pipeline at once; return each target's last acknowledged state."""
    tap, target = executable("tap-cosmosdb"), executable("target-cosmosdb")
    account = {"account_endpoint": emu.endpoint, "account_key": emu.key}
    target_cfg = write_config(tmp_path / "target.json", {**account, "database": f"{database}_copy"})
    pipelines = []
    for index, state in enumerate(states):
        tap_cfg = write_config(
            tmp_path / f"tap-{tag}-{index}.json",
            {
                **account,
                "database": database,
                "page_size": 100,
                "shard_count": SHARDS,
                "shard_index": index,
            },
        )
        cmd = [tap, "--config", str(tap_cfg)]
        if state is not None:
            cmd += ["--state", str(write_config(tmp_path / f"state-{tag}-{index}.json", state))]
        tap_proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        target_proc = subprocess.Popen(
            [target, "--config", str(target_cfg)],
            stdin=tap_proc.stdout,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert tap_proc.stdout is not None
        tap_proc.stdout.close()  # the target owns the pipe now
        pipelines.append((tap_proc, target_proc))
    acknowledged = []
    for tap_proc, target_proc in pipelines:
        out, err = target_proc.communicate(timeout=180)
        _, tap_err = tap_proc.communicate(timeout=60)
        # The target first: when it fails, the tap fails too (broken pipe), and the target's
        # message is the one that explains it.
        assert target_proc.returncode == 0, err[-3000:]
        assert tap_proc.returncode == 0, tap_err.decode()[-3000:]
        lines = singer_lines(out)
        assert lines, "the target acknowledged no state"
        last = lines[-1]
        acknowledged.append(last["value"] if last.get("type") == "STATE" else last)
    return acknowledged


def test_shard_pipelines_write_one_container_concurrently(
    cosmosdb_emulator, source, database_name, tmp_path
):
    emu = cosmosdb_emulator
    states = run_shard_pipelines(emu, database_name, tmp_path, [None] * SHARDS, "first")
    for index, state in enumerate(states):
        assert state["bookmarks"]["flights"]["shard"] == {"index": index, "count": SHARDS}
    destination = (
        emu.client().get_database_client(f"{database_name}_copy").get_container_client("flights")
    )
    result = compare(source, destination, FLIGHTS_PK)
    assert result.ok, str(result)
    assert result.compared == 600

    # Change documents everywhere, add some, and split a range cut by a shard boundary.
    for doc in list(source.read_all_items(max_item_count=200))[:80]:
        doc["dep_delay"] = (doc.get("dep_delay") or 0) + 11
        doc["note"] = {"round": 2}
        source.upsert_item(doc)
    for n in range(20):
        source.create_item({"id": f"new-{n}", "tailnum": f"N{n:03d}X", "year": 2013})
    emu.split(database_name, "flights", "1")
    run_shard_pipelines(emu, database_name, tmp_path, states, "second")
    result = compare(source, destination, FLIGHTS_PK)
    assert result.ok, str(result)
    assert result.compared == 620
