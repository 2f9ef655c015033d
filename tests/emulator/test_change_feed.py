"""Change feed per feed range: LatestVersion, resume tokens, 304, splits, AllVersionsAndDeletes."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone

from azure.cosmos import PartitionKey

from tests.emulator.conftest import drain, raw_request


def _fill(container, n, prefix="d"):
    for i in range(n):
        container.upsert_item({"id": f"{prefix}{i}", "pk": f"p{i % 17}", "i": i})


def test_per_range_drain_covers_every_item_once(container):
    _fill(container, 60)
    seen = []
    for fr in container.read_feed_ranges():
        items, _ = drain(container, fr, start_time="Beginning", max_item_count=7)
        seen += [d["id"] for d in items]
    assert sorted(seen) == sorted(f"d{i}" for i in range(60))


def test_items_carry_lsn_and_are_latest_version(container):
    container.upsert_item({"id": "a", "pk": "x", "v": 1})
    container.upsert_item({"id": "a", "pk": "x", "v": 2})
    container.upsert_item({"id": "b", "pk": "x"})
    container.delete_item("b", "x")
    items, _ = drain(container, start_time="Beginning")
    assert [(d["id"], d["v"]) for d in items] == [("a", 2)]
    assert isinstance(items[0]["_lsn"], int)


def test_resume_from_saved_token_by_page(container):
    _fill(container, 30)
    fr = next(iter(container.read_feed_ranges()))
    pager = container.query_items_change_feed(
        feed_range=fr, start_time="Beginning", max_item_count=5
    ).by_page()
    first = list(next(pager))
    token = pager.continuation_token
    assert token
    assert len(first) <= 5
    rest, etag_token = drain(container, continuation=token)
    all_ids, _ = drain(container, fr, start_time="Beginning")
    assert [d["id"] for d in first + rest] == [d["id"] for d in all_ids]
    # Nothing new: the saved etag token yields nothing (and must be parseable: a 304 without an
    # etag would leave a null token, which the SDK refuses to parse).
    again, _ = drain(container, continuation=etag_token)
    assert again == []
    decoded = json.loads(base64.b64decode(etag_token))
    assert all(c["token"] is not None for c in decoded["continuation"]["continuation"])
    container.upsert_item({"id": "late", "pk": "p0"})
    later, _ = drain(container, continuation=etag_token)
    assert [d["id"] for d in later] in ([], ["late"])  # only if p0 lands in this range


def test_now_and_point_in_time(container):
    container.upsert_item({"id": "old", "pk": "x"})
    pager = container.query_items_change_feed(start_time="Now")
    assert list(pager) == []
    token = container.client_connection.last_response_headers["etag"]
    container.upsert_item({"id": "new", "pk": "x"})
    items, _ = drain(container, continuation=token)
    assert [d["id"] for d in items] == ["new"]
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert list(container.query_items_change_feed(start_time=future)) == []
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    assert {d["id"] for d in container.query_items_change_feed(start_time=past)} == {"old", "new"}


def test_304_carries_etag_and_drain_finishes(cosmosdb_emulator, container):
    container.upsert_item({"id": "a", "pk": "x"})
    link = container.container_link
    status, headers, body = raw_request(
        cosmosdb_emulator,
        "GET",
        link + "/docs/",
        None,
        "docs",
        link,
        {"A-IM": "Incremental Feed", "If-None-Match": '"1000"'},
    )
    assert status == 304
    assert headers["etag"] == '"1"'
    assert body == b""
    status, headers, _ = raw_request(
        cosmosdb_emulator,
        "GET",
        link + "/docs/",
        None,
        "docs",
        link,
        {"A-IM": "Incremental Feed", "If-None-Match": "*"},
    )
    assert status == 304
    assert headers["etag"] == '"1"'
    start = time.monotonic()
    for _ in range(3):
        drain(container, start_time="Beginning")
    assert time.monotonic() - start < 10


def test_partition_key_scoped_feed(database):
    coll = database.create_container("h", PartitionKey(path=["/t", "/u"], kind="MultiHash"))
    for t in ("t1", "t2"):
        for u in ("u1", "u2", "u3"):
            coll.upsert_item({"id": f"{t}{u}", "t": t, "u": u})
    items = list(coll.query_items_change_feed(partition_key=["t1"], start_time="Beginning"))
    assert sorted(d["id"] for d in items) == ["t1u1", "t1u2", "t1u3"]
    items = list(coll.query_items_change_feed(partition_key=["t2", "u2"], start_time="Beginning"))
    assert [d["id"] for d in items] == ["t2u2"]


def test_split_during_drain_loses_and_repeats_nothing(cosmosdb_emulator, container, database):
    _fill(container, 120)
    # Drain physical range 0 page by page; split it (and a child) half way through.
    fr = next(iter(container.read_feed_ranges()))
    expected, _ = drain(container, fr, start_time="Beginning")
    pager = container.query_items_change_feed(
        feed_range=fr, start_time="Beginning", max_item_count=5
    ).by_page()
    seen = [d["id"] for d in next(pager)]
    token = pager.continuation_token
    children = cosmosdb_emulator.split(database.id, container.id, "0")
    cosmosdb_emulator.split(database.id, container.id, children[0])
    _fill(container, 30, prefix="after")
    rest, _ = drain(container, continuation=token, max_item_count=5)
    seen += [d["id"] for d in rest]
    assert len(seen) == len(set(seen)), "an item was repeated"
    assert set(seen) >= {d["id"] for d in expected}, "an item was lost"
    after_in_range = [d for d in seen if d.startswith("after")]
    # Everything new that landed in the old range's EPK span shows up exactly once.
    full_after, _ = drain(container, fr, start_time="Beginning")
    assert sorted(after_in_range) == sorted(
        d["id"] for d in full_after if d["id"].startswith("after")
    )
    assert len(list(container.read_feed_ranges())) == 6


def test_full_range_resume_across_split(cosmosdb_emulator, container, database):
    _fill(container, 50)
    items, token = drain(container, start_time="Beginning", max_item_count=7)
    assert len(items) == 50
    cosmosdb_emulator.split(database.id, container.id, "3")
    _fill(container, 25, prefix="n")
    rest, _ = drain(container, continuation=token, max_item_count=7)
    assert sorted(d["id"] for d in rest) == sorted(f"n{i}" for i in range(25))


def test_split_with_per_range_tokens(cosmosdb_emulator, container, database):
    _fill(container, 40)
    tokens = {}
    seen = []
    for fr in container.read_feed_ranges():
        items, tok = drain(container, fr, start_time="Beginning")
        seen += [d["id"] for d in items]
        tokens[json.dumps(fr, sort_keys=True)] = tok
    cosmosdb_emulator.split(database.id, container.id, "1")
    _fill(container, 20, prefix="n")
    for tok in tokens.values():
        items, _ = drain(container, continuation=tok)
        seen += [d["id"] for d in items]
    assert sorted(seen) == sorted([f"d{i}" for i in range(40)] + [f"n{i}" for i in range(20)])


def test_all_versions_and_deletes(container):
    container.query_items_change_feed(mode="AllVersionsAndDeletes")  # Now
    list(container.query_items_change_feed(mode="AllVersionsAndDeletes"))
    token = container.client_connection.last_response_headers["etag"]
    container.create_item({"id": "a", "pk": "x", "v": 1})
    container.replace_item("a", {"id": "a", "pk": "x", "v": 2})
    container.delete_item("a", "x")
    items = list(
        container.query_items_change_feed(mode="AllVersionsAndDeletes", continuation=token)
    )
    ops = [d["metadata"]["operationType"] for d in items]
    assert ops == ["create", "replace", "delete"]
    create, replace, delete = items
    assert create["current"]["v"] == 1
    assert replace["current"]["v"] == 2
    assert replace["previous"]["v"] == 1
    assert replace["metadata"]["previousImageLSN"] == create["metadata"]["lsn"]
    assert delete["metadata"]["id"] == "a"
    assert delete["metadata"]["partitionKey"] == {"pk": "x"}
    assert delete["previous"]["v"] == 2
    lsns = [d["metadata"]["lsn"] for d in items]
    assert lsns == sorted(lsns)
    assert len(set(lsns)) == 3


def test_avad_metadata_crts_and_partition_key_scope(container):
    # Start at Now, scoped to one logical partition; the token keeps that scope.
    list(container.query_items_change_feed(mode="AllVersionsAndDeletes", partition_key="x"))
    token = container.client_connection.last_response_headers["etag"]
    before = int(time.time())
    container.create_item({"id": "a", "pk": "x"})
    container.create_item({"id": "b", "pk": "y"})
    container.delete_item("a", "x")
    after = int(time.time())
    items = list(
        container.query_items_change_feed(mode="AllVersionsAndDeletes", continuation=token)
    )
    assert [d["metadata"]["operationType"] for d in items] == ["create", "delete"]
    for d in items:
        assert before <= d["metadata"]["crts"] <= after
    assert items[1]["metadata"]["previousImageLSN"] == items[0]["metadata"]["lsn"]
    assert (items[1]["metadata"]["id"], items[1]["metadata"]["partitionKey"]) == ("a", {"pk": "x"})


def test_epk_sub_ranges_split_a_physical_range_exactly(container):
    _fill(container, 80)
    whole = next(iter(container.read_feed_ranges()))["Range"]  # ["", "10000...")
    mid = "08"
    halves = [
        {
            "Range": {
                "min": whole["min"],
                "max": mid,
                "isMinInclusive": True,
                "isMaxInclusive": False,
            }
        },
        {
            "Range": {
                "min": mid,
                "max": whole["max"],
                "isMinInclusive": True,
                "isMaxInclusive": False,
            }
        },
    ]
    all_items, _ = drain(container, {"Range": whole}, start_time="Beginning")
    parts = [drain(container, h, start_time="Beginning")[0] for h in halves]
    assert all(parts)  # 80 items over 17 keys: both halves hold some
    assert sorted(d["id"] for p in parts for d in p) == sorted(d["id"] for d in all_items)
    # Each half's items are exactly those whose key the SDK maps into that half.
    for half, items in zip(halves, parts, strict=True):
        for d in items:
            target = container.feed_range_from_partition_key(d["pk"])
            assert container.is_feed_range_subset(half, target)


def test_beginning_now_and_point_in_time_with_feed_range(container):
    fr = list(container.read_feed_ranges())[1]
    _fill(container, 40)
    from_start, _ = drain(container, fr, start_time="Beginning")
    assert from_start
    now_items, token = drain(container, fr, start_time="Now")
    assert now_items == []
    time.sleep(1.1)  # _ts / crts have one-second resolution
    cut = datetime.now(timezone.utc)
    _fill(container, 40, prefix="late")
    later, _ = drain(container, fr, start_time=cut)
    resumed, _ = drain(container, fr, continuation=token)
    assert {d["id"] for d in later} == {d["id"] for d in resumed}
    assert all(d["id"].startswith("late") for d in later)
    assert later
