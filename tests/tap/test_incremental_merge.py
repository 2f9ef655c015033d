"""INCREMENTAL reads one ordered query per feed range and merges them on ``_ts``.

The documents are written in three waves a second apart, each wave spread over every physical
range, so a read that concatenated the ranges (or merged them wrongly) would go back in ``_ts``.
"""

from __future__ import annotations

import re
import time
import typing as t

import pytest

from tap_cosmosdb.feed_range import FeedRange
from tap_cosmosdb.query_reader import (
    IncrementalMerge,
    QueryReader,
    TsPage,
    build_incremental_query,
    physical_ranges,
    ts_pages,
)
from tests.tap.conftest import seed
from tests.tap.test_query_reader import set_method

WAVE = 26  # documents per wave: two per partition key value (seed uses 13)


def seed_waves(container: t.Any, waves: int = 3) -> list[int]:
    """Write ``waves`` waves of documents, each in a later ``_ts`` second; return their _ts."""
    stamps = []
    for wave in range(waves):
        if wave:
            time.sleep(1.05)
        seed(container, WAVE, start=wave * WAVE, pad=50)
        stamps.append(container.read_item(f"d{wave * WAVE}", partition_key=f"p{0}")["_ts"])
    return stamps


def ranges_per_wave(container: t.Any) -> list[set[int]]:
    """For each physical range, the _ts values of its documents (read with the SDK)."""
    out = []
    for fr in container.read_feed_ranges():
        items = container.query_items("SELECT c._ts FROM c", feed_range=fr)
        out.append({item["_ts"] for item in items})
    return out


def assert_ordered(records: list[dict[str, t.Any]]) -> None:
    stamps = [r["_ts"] for r in records]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize("parallel", [4, 1])
def test_incremental_merges_ranges_in_ts_order_and_resumes_with_ties(tap_env, parallel):
    items = tap_env.container("items")
    stamps = seed_waves(items)
    assert len(set(stamps)) == 3, stamps
    per_range = ranges_per_wave(items)
    # The test can fail: several ranges hold documents of the first and the last wave.
    assert sum(1 for s in per_range if min(s) < stamps[1] and max(s) >= stamps[2]) >= 2

    catalog = set_method(tap_env.discover(), "items", "INCREMENTAL")
    config = tap_env.config(page_size=4, max_parallel_ranges=parallel)
    first = tap_env.run(config, catalog=catalog)
    assert first.returncode == 0, first.stderr[-2000:]
    records = first.records("items")
    assert_ordered(records)
    assert sorted(r["id"] for r in records) == sorted(f"d{i}" for i in range(3 * WAVE))
    assert first.last_state["bookmarks"]["items"]["replication_key_value"] == records[-1]["_ts"]
    assert "4 feed range(s) merged on _ts" in first.stderr
    # Every STATE's bookmark is at or behind the records emitted before it.
    emitted_max = 0
    for message in first.messages:
        if message["type"] == "RECORD":
            emitted_max = max(emitted_max, message["record"]["_ts"])
        elif message["type"] == "STATE":
            value = message["value"]["bookmarks"].get("items", {}).get("replication_key_value")
            assert value is None or value <= emitted_max

    # Resume from the middle wave's second: every document of that second (ties with the
    # bookmark) and later ones, none earlier.
    state = {"bookmarks": {"items": {"replication_key": "_ts", "replication_key_value": stamps[1]}}}
    second = tap_env.run(config, catalog=catalog, state=state)
    assert second.returncode == 0, second.stderr[-2000:]
    resumed = second.records("items")
    assert_ordered(resumed)
    expected = sorted(r["id"] for r in records if r["_ts"] >= stamps[1])
    assert len(expected) < len(records)
    assert sorted(r["id"] for r in resumed) == expected


def test_incremental_test_limit_stops_cleanly(tap_env):
    items = tap_env.container("items")
    seed(items, 40)
    catalog = set_method(tap_env.discover(), "items", "INCREMENTAL")
    run = tap_env.run(tap_env.config(page_size=3), catalog=catalog, extra=["--test"])
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("items")) == 1


def test_split_during_the_read_keeps_order_and_loses_nothing(tap_env):
    """A range splits after its first page: its children are read, merged, from its last _ts."""
    items = tap_env.container("items")
    stamps = seed_waves(items)
    before = sorted(physical_ranges(items), key=lambda fr: fr.range_min)
    assert len(before) == 4
    query = build_incremental_query(None)
    split_done = []

    def open_pages(fr: FeedRange, ts: int) -> t.Iterator[TsPage]:
        reader = QueryReader(
            container=items,
            query=query,
            parameters=[{"name": "@ts", "value": ts}],
            page_size=4,
            feed_range=fr.to_sdk(),
        )
        for page in ts_pages(reader, fr, list):
            yield page
            if fr == before[0] and not split_done:
                # The lowest range is "0" in a new container (pkranges are numbered in order).
                split_done.append(tap_env.emulator.split(tap_env.name, "items", "0"))

    merge = IncrementalMerge(
        ranges=before,
        start_ts=0,
        open_pages=open_pages,
        physical=lambda: physical_ranges(items),
    )
    records = list(merge.records())
    assert split_done, "the split was not triggered"
    assert merge.splits == 1
    assert len(list(items.read_feed_ranges(force_refresh=True))) == 5
    assert_ordered(records)
    ids = [r["id"] for r in records]
    assert set(ids) == {f"d{i}" for i in range(3 * WAVE)}
    # Re-read after the split: only documents of the second the range had reached (>=).
    repeated = {i for i in ids if ids.count(i) > 1}
    by_id = {r["id"]: r["_ts"] for r in records}
    assert len({by_id[i] for i in repeated}) <= 1
    assert stamps[0] <= min(by_id.values())


@pytest.mark.parametrize("parallel", [4, 1])
def test_direct_and_sdk_record_paths_write_the_same_incremental_records(tap_env, parallel):
    items = tap_env.container("items")
    stamps = seed_waves(items, waves=2)
    config = tap_env.config(page_size=7, max_parallel_ranges=parallel)
    catalog = set_method(tap_env.discover(config), "items", "INCREMENTAL")
    direct = tap_env.run(config, catalog=catalog)
    # An empty stream map changes no record but turns singer-sdk's record path on.
    sdk = tap_env.run({**config, "stream_maps": {"items": {}}}, catalog=catalog)
    assert direct.returncode == 0, direct.stderr[-2000:]
    assert sdk.returncode == 0, sdk.stderr[-2000:]
    assert "direct record path" in direct.stderr
    assert "direct record path" not in sdk.stderr

    def records(run: t.Any) -> list[dict[str, t.Any]]:
        return [
            {k: v for k, v in m.items() if k != "time_extracted"}
            for m in run.messages
            if m["type"] in ("RECORD", "SCHEMA")
        ]

    assert len(direct.records()) == 2 * WAVE
    assert_ordered(direct.records())
    assert records(direct) == records(sdk)
    assert direct.last_state == sdk.last_state
    last = direct.last_state["bookmarks"]["items"]["replication_key_value"]
    assert last == direct.records()[-1]["_ts"] >= stamps[-1]
    # Every STATE's bookmark is at or behind the records written before it.
    emitted_max = 0
    for message in direct.messages:
        if message["type"] == "RECORD":
            emitted_max = max(emitted_max, message["record"]["_ts"])
        elif message["type"] == "STATE":
            value = message["value"]["bookmarks"].get("items", {}).get("replication_key_value")
            assert value is None or value <= emitted_max


@pytest.mark.parametrize("parallel", [4, 1])
def test_failed_query_pages_are_retried_in_order_without_duplicates(tap_env, parallel):
    items = tap_env.container("items")
    seed_waves(items, waves=2)
    catalog = set_method(tap_env.discover(), "items", "INCREMENTAL")
    for rule in (
        {"status": 503, "probability": 0.3, "seed": 5, "count": 12},
        {"action": "drop_before", "probability": 0.3, "seed": 9, "count": 6},
    ):
        tap_env.emulator.inject_fault(operation="query", database=tap_env.name, **rule)
    try:
        run = tap_env.run(
            tap_env.config(page_size=3, max_parallel_ranges=parallel), catalog=catalog
        )
    finally:
        tap_env.emulator.clear_faults()
    assert run.returncode == 0, run.stderr[-3000:]
    records = run.records("items")
    assert_ordered(records)
    assert sorted(r["id"] for r in records) == sorted(f"d{i}" for i in range(2 * WAVE))
    # The faults fired: more requests than pages (each failed attempt is one more request).
    summary = re.search(r"(\d+) pages, [\d.]+ RU in (\d+) requests", run.stderr)
    assert summary is not None
    assert int(summary[2]) > int(summary[1])
