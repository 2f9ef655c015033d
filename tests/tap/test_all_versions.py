"""AllVersionsAndDeletes: snapshot first, then deletes as records with _sdc_deleted_at."""

from __future__ import annotations

import datetime
import json

import fastjsonschema

from tests.tap.conftest import seed


def test_snapshot_then_changes_with_deletes(tap_env):
    items = tap_env.container("items")
    seed(items, 8)
    config = tap_env.config(change_feed_mode="AllVersionsAndDeletes", page_size=3)
    first = tap_env.run(config)
    assert first.returncode == 0, first.stderr[-2000:]
    assert sorted(r["id"] for r in first.records()) == [f"d{i}" for i in range(8)]
    assert all(r.get("_sdc_deleted_at") is None for r in first.records())
    schema = first.schemas("items")[0]["schema"]
    assert "_sdc_deleted_at" in schema["properties"]
    for partition in first.last_state["bookmarks"]["items"]["partitions"]:
        assert partition["mode"] == "AllVersionsAndDeletes"
        assert partition["phase"] == "changes"
        assert partition["continuation"]
        assert "changes_continuation" not in partition

    before_delete = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    items.delete_item("d1", partition_key="p1")
    items.upsert_item({"id": "d2", "pk": "p2", "n": 2, "v": "replaced"})
    seed(items, 1, start=30)
    second = tap_env.run(config, state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    by_id = {r["id"]: r for r in second.records()}
    assert set(by_id) == {"d1", "d2", "d30"}
    deleted = by_id["d1"]
    assert deleted["pk"] == "p1"
    assert deleted["_sdc_partition_key"] == '["p1"]'
    deleted_at = datetime.datetime.fromisoformat(deleted["_sdc_deleted_at"])
    assert deleted_at.timestamp() >= before_delete - 1
    assert by_id["d2"]["v"] == "replaced"
    assert by_id["d2"].get("_sdc_deleted_at") is None
    validate = fastjsonschema.compile(second.schemas()[-1]["schema"])
    for record in second.records():
        validate(record)


def test_mode_switch_is_refused_with_one_line(tap_env):
    seed(tap_env.container("items"), 2)
    first = tap_env.run()
    run = tap_env.run(
        tap_env.config(change_feed_mode="AllVersionsAndDeletes"), state=first.last_state
    )
    assert run.returncode == 1
    assert "change_feed_mode" in run.stderr.splitlines()[-1]
    assert "Traceback" not in run.stderr


def test_changes_during_the_snapshot_are_not_lost(tap_env, monkeypatch, capsys):
    """In-process run: writes land after a range's "Now" is recorded, during the snapshot.

    The hook on `_checkpoint` fires when the first range's "Now" is checkpointed; the tap, SDK
    and emulator are all real. With feed ranges read in parallel (``max_parallel_ranges``) the
    range holding d0 may already have been read to its end by then (prefetch), so its delete
    arrives in the next run from the final STATE: the guarantee checked is that the delete
    reaches the destination exactly once over the two runs, never that it is in the first.
    """
    from tap_cosmosdb.streams import CosmosContainerStream
    from tap_cosmosdb.tap import TapCosmosDB

    items = tap_env.container("items")
    seed(items, 6)
    original = CosmosContainerStream._checkpoint
    fired = []

    def checkpoint(self, state, **values):
        original(self, state, **values)
        if values.get("phase") == "snapshot" and not fired:
            fired.append(True)
            items.delete_item("d0", partition_key="p0")
            items.upsert_item({"id": "mid", "pk": "p0", "n": -1})

    monkeypatch.setattr(CosmosContainerStream, "_checkpoint", checkpoint)
    config = tap_env.config(change_feed_mode="AllVersionsAndDeletes", page_size=2)
    records: list[dict] = []
    state = None
    for _ in range(2):  # the run, then one more from its final STATE
        TapCosmosDB(config=config, state=state).sync_all()
        messages = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
        records += [m["record"] for m in messages if m.get("type") == "RECORD"]
        state = [m["value"] for m in messages if m.get("type") == "STATE"][-1]
    assert fired
    deletes = [r for r in records if r.get("_sdc_deleted_at")]
    assert [r["id"] for r in deletes] == ["d0"]
    assert "mid" in {r["id"] for r in records}
    assert {f"d{i}" for i in range(1, 6)} <= {r["id"] for r in records}
