"""Restart on the same SQLite file: resources, RIDs, LSNs, ranges and tokens survive."""

from __future__ import annotations

import time

from azure.cosmos import PartitionKey

from cosmosdb_emulator import Emulator
from tests.emulator.conftest import drain


def test_restart_keeps_everything_and_tokens_stay_valid(tmp_path):
    path = str(tmp_path / "emu.sqlite")
    with Emulator(data=path, partitions=2) as emu:
        client = emu.client()
        db = client.create_database("persist")
        coll = db.create_container("c", PartitionKey("/pk"))
        for i in range(30):
            coll.upsert_item({"id": str(i), "pk": f"p{i % 5}"})
        emu.split("persist", "c", "1")
        items, token = drain(coll, start_time="Beginning")
        assert len(items) == 30
        rid = coll.read()["_rid"]
        endpoint = emu.endpoint
        emu.stop()
        emu.start()
        assert emu.endpoint == endpoint
        client = emu.client()
        coll = client.get_database_client("persist").get_container_client("c")
        assert coll.read()["_rid"] == rid
        assert coll.read_item("7", "p2")["id"] == "7"
        assert len(list(coll.read_feed_ranges())) == 3
        coll.upsert_item({"id": "new", "pk": "p1"})
        rest, token2 = drain(coll, continuation=token)
        assert [d["id"] for d in rest] == ["new"]
        # A crash (SIGKILL) keeps committed writes too.
        emu.kill()
        emu.start()
        coll = emu.client().get_database_client("persist").get_container_client("c")
        assert coll.read_item("new", "p1")["id"] == "new"
        again, _ = drain(coll, continuation=token2)
        assert again == []


def test_restart_keeps_provisioned_throughput(tmp_path):
    with Emulator(data=str(tmp_path / "tp.sqlite")) as emu:
        db = emu.client().create_database("tp")
        db.create_container("c", PartitionKey("/pk"), offer_throughput=400)
        emu.stop()
        emu.start()
        coll = emu.client().get_database_client("tp").get_container_client("c")
        assert coll.get_throughput().offer_throughput == 400
        start = time.monotonic()
        # One write of ~1,000 RU (about 5 RU per KB) overdraws the 400 RU bucket; the writes
        # after it are throttled (and retried by the SDK) until it refills, after the restart too.
        coll.upsert_item({"id": "big", "pk": "p", "pad": "x" * 200_000})
        for i in range(3):
            coll.upsert_item({"id": str(i), "pk": "p"})
        assert time.monotonic() - start >= 0.35
        assert emu.stats()["throttled"] > 0
