"""examples/dagster/cosmosdb_shards.py on Dagster's multiprocess executor against the emulator.

The example's job, reconstructed from the example file itself (``build_shards_job``, 4 shards),
runs four ``tap-cosmosdb | target-cosmosdb`` shard pipelines in parallel, each writing into its
own destination database. The union of the four destinations must equal one unsharded run of
the same source: the same ids and documents, no document in two shards, none lost. A second
launch after changes resumes every shard from the state the first one kept.
"""

from __future__ import annotations

import os
import typing as t

import pytest

from cosmosdb_emulator.samples.nycflights13 import seed_table
from tests.conftest import REPO, executable, run, write_config
from tests.e2e.compare import snapshot

dagster = pytest.importorskip("dagster")

EXAMPLE_DIR = REPO / "examples" / "dagster"
SHARDS = 4
FLIGHTS_PK = ["/tailnum"]
ROWS = 800


@pytest.fixture
def source(cosmosdb_emulator, database_name):
    client = cosmosdb_emulator.client()
    seed_table(client, database_name, "flights", limit=ROWS)
    yield client.get_database_client(database_name).get_container_client("flights")
    for db in list(client.list_databases()):
        if db["id"].startswith(database_name):
            client.delete_database(db["id"])


@pytest.fixture
def example_on_path(monkeypatch):
    """The example module importable by name here and in the executor's step processes."""
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(EXAMPLE_DIR), os.environ.get("PYTHONPATH")])),
    )


def destination(emu: t.Any, database: str) -> t.Any:
    return emu.client().get_database_client(database).get_container_client("flights")


def unsharded_copy(emu: t.Any, database: str, tmp_path: t.Any) -> dict[t.Any, t.Any]:
    """One tap | target run without shards, into ``<database>_whole``; its documents."""
    account = {"account_endpoint": emu.endpoint, "account_key": emu.key}
    tap_cfg = write_config(tmp_path / "tap-whole.json", {**account, "database": database})
    target_cfg = write_config(
        tmp_path / "target-whole.json", {**account, "database": f"{database}_whole"}
    )
    tap = run([executable("tap-cosmosdb"), "--config", str(tap_cfg)], timeout=180)
    assert tap.returncode == 0, tap.stderr[-3000:]
    target = run(
        [executable("target-cosmosdb"), "--config", str(target_cfg)], stdin=tap.stdout, timeout=180
    )
    assert target.returncode == 0, target.stderr[-3000:]
    return snapshot(destination(emu, f"{database}_whole"), FLIGHTS_PK)


def launch(tmp_path: t.Any, run_config: dict[str, t.Any]) -> t.Any:
    """Launch the example's job through Dagster's own machinery; the finished run's events."""
    home = tmp_path / "dagster"
    home.mkdir(exist_ok=True)
    instance = dagster.DagsterInstance.local_temp(
        tempdir=str(home), overrides={"telemetry": {"enabled": False}}
    )
    job = dagster.build_reconstructable_job(
        "cosmosdb_shards",
        "build_shards_job",
        reconstructable_kwargs={"shard_count": SHARDS},
        reconstructor_working_directory=str(EXAMPLE_DIR),
    )
    with dagster.execute_job(job, instance=instance, run_config=run_config) as result:
        failures = [e.message for e in result.all_events if e.is_failure]
        assert result.success, failures
        kinds = [e.event_type_value for e in result.all_events]
        # Side by side: every shard started before the first one finished.
        last_start = max(i for i, kind in enumerate(kinds) if kind == "STEP_START")
        assert last_start < kinds.index("STEP_SUCCESS"), kinds
        starts = [e for e in result.all_events if e.event_type_value == "STEP_START"]
        outputs = {f"shard_{i}": result.output_for_node(f"shard_{i}") for i in range(SHARDS)}
    return starts, outputs


def union_of_shards(emu: t.Any, database: str) -> dict[t.Any, t.Any]:
    union: dict[t.Any, t.Any] = {}
    for index in range(SHARDS):
        docs = snapshot(destination(emu, f"{database}_shard_{index}"), FLIGHTS_PK)
        assert docs, f"shard {index} wrote nothing"
        duplicated = union.keys() & docs.keys()
        assert not duplicated, f"shard {index} repeats {sorted(duplicated)[:3]}"
        union.update(docs)
    return union


def test_four_shards_in_parallel_equal_one_unsharded_run(
    cosmosdb_emulator, source, database_name, tmp_path, example_on_path
):
    emu = cosmosdb_emulator
    account = {"account_endpoint": emu.endpoint, "account_key": emu.key}
    tap_cfg = write_config(
        tmp_path / "tap.json", {**account, "database": database_name, "page_size": 100}
    )
    for index in range(SHARDS):
        write_config(
            tmp_path / f"target-{index}.json",
            {**account, "database": f"{database_name}_shard_{index}"},
        )
    run_config = {
        "resources": {
            "pipeline": {
                "config": {
                    "tap_config": [str(tap_cfg)],
                    "target_config": [str(tmp_path / "target-{shard_index}.json")],
                    "state_dir": str(tmp_path / "states"),
                    "tap_executable": executable("tap-cosmosdb"),
                    "target_executable": executable("target-cosmosdb"),
                }
            }
        }
    }

    starts, states = launch(tmp_path, run_config)
    # The multiprocess executor ran each shard in a process of its own.
    step_pids = {event.step_key: event.pid for event in starts}
    assert sorted(step_pids) == [f"shard_{i}" for i in range(SHARDS)]
    assert len(set(step_pids.values())) == SHARDS
    assert os.getpid() not in step_pids.values()
    for index in range(SHARDS):
        state = states[f"shard_{index}"]
        assert state["bookmarks"]["flights"]["shard"] == {"index": index, "count": SHARDS}
        assert (tmp_path / "states" / f"state-shard-{index}-of-{SHARDS}.json").exists()

    whole = unsharded_copy(emu, database_name, tmp_path)
    assert len(whole) == ROWS
    assert union_of_shards(emu, database_name) == whole

    # Second launch after changes: each shard resumes from its kept state and reads only the
    # changes of its own slice, so the union again equals an unsharded copy.
    for doc in list(source.read_all_items(max_item_count=200))[:60]:
        doc["dep_delay"] = (doc.get("dep_delay") or 0) + 7
        source.upsert_item(doc)
    for n in range(15):
        source.create_item({"id": f"new-{n}", "tailnum": f"N{n:03d}Z", "year": 2013})
    _, states_after = launch(tmp_path, run_config)
    for index in range(SHARDS):  # every slice had changes (the data is fixed): positions moved
        assert states_after[f"shard_{index}"] != states[f"shard_{index}"], index
    whole = unsharded_copy(emu, database_name, tmp_path)
    assert len(whole) == ROWS + 15
    assert union_of_shards(emu, database_name) == whole
