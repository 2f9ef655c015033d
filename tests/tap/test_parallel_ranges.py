"""LOG_BASED with ``max_parallel_ranges``: several feed ranges read at once, same output."""

from __future__ import annotations

import collections
import json

import pytest

from tests.tap.conftest import seed


def _by_partition_key(records: list[dict]) -> dict[str, list[str]]:
    """Ids in emitted order per partition key (the change feed orders each key's changes)."""
    out: dict[str, list[str]] = collections.defaultdict(list)
    for record in records:
        out[record["_sdc_partition_key"]].append(record["id"])
    return dict(out)


def _range_of(partition: dict) -> tuple[str, str]:
    return partition["context"]["range_min"], partition["context"]["range_max"]


def _emitted_before_each_state(run) -> list[tuple[dict, list[str]]]:
    """Each STATE message with the ids of the records written before it."""
    seen: list[str] = []
    out = []
    for message in run.messages:
        if message["type"] == "RECORD":
            seen.append(message["record"]["id"])
        elif message["type"] == "STATE":
            out.append((message["value"], list(seen)))
    return out


def test_parallel_run_equals_sequential_run(tap_env):
    items = tap_env.container("items")
    ids = seed(items, 260)
    sequential = tap_env.run(tap_env.config(page_size=9, max_parallel_ranges=1))
    parallel = tap_env.run(tap_env.config(page_size=9, max_parallel_ranges=4))
    assert sequential.returncode == 0, sequential.stderr[-2000:]
    assert parallel.returncode == 0, parallel.stderr[-2000:]

    seq_records = sequential.records("items")
    par_records = parallel.records("items")
    assert sorted(r["id"] for r in par_records) == sorted(ids)
    key = json.dumps
    assert sorted(map(key, par_records)) == sorted(map(key, seq_records))
    assert _by_partition_key(par_records) == _by_partition_key(seq_records)
    # The ranges really interleave (the sequential run emits them one after another).
    assert [r["id"] for r in par_records] != [r["id"] for r in seq_records]

    # The same final bookmarks: one per feed range, same positions (the partitions are listed
    # in the order their first page was emitted).
    seq_state = dict(sequential.last_state["bookmarks"]["items"])
    par_state = dict(parallel.last_state["bookmarks"]["items"])
    seq_partitions = sorted(seq_state.pop("partitions"), key=_range_of)
    par_partitions = sorted(par_state.pop("partitions"), key=_range_of)
    assert len(par_partitions) == 4
    assert par_partitions == seq_partitions
    assert par_state == seq_state

    # One STATE per page (plus the final one) in both runs.
    assert len(parallel.states()) == len(sequential.states())

    # Nothing is left behind and nothing is repeated after the final state.
    again = tap_env.run(tap_env.config(max_parallel_ranges=4), state=parallel.last_state)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.records() == []
    items.upsert_item({"id": "d5", "pk": "p5", "n": 5, "changed": True})
    new = seed(items, 20, start=1000)
    third = tap_env.run(tap_env.config(max_parallel_ranges=4), state=again.last_state)
    assert sorted(r["id"] for r in third.records()) == sorted([*new, "d5"])


def test_every_state_covers_only_emitted_records(tap_env):
    items = tap_env.container("items")
    ids = seed(items, 150)
    run = tap_env.run(tap_env.config(page_size=7, max_parallel_ranges=3))
    assert run.returncode == 0, run.stderr[-2000:]
    checkpoints = _emitted_before_each_state(run)
    assert len(checkpoints) > 10
    # Resuming from an intermediate STATE reads exactly what had not been emitted before it.
    for index in (3, len(checkpoints) // 2, len(checkpoints) - 3):
        state, emitted = checkpoints[index]
        resumed = tap_env.run(tap_env.config(max_parallel_ranges=3), state=state)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        rest = [r["id"] for r in resumed.records()]
        assert sorted(emitted + rest) == sorted(ids), f"STATE #{index}"


@pytest.mark.parametrize("parallel", [1, 4])
def test_ranges_are_read_concurrently_under_latency(tap_env, parallel):
    items = tap_env.container("items")
    ids = seed(items, 80)
    tap_env.emulator.inject_fault(
        action="delay",
        delay_ms=100,
        operation="change_feed",
        database=tap_env.name,
        container="items",
    )
    try:
        run = tap_env.run(tap_env.config(page_size=5, max_parallel_ranges=parallel))
    finally:
        tap_env.emulator.clear_faults()
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(r["id"] for r in run.records()) == sorted(ids)
    stats = tap_env.emulator.stats()["containers"][f"{tap_env.name}/items"]
    in_flight = stats["max_in_flight"]["change_feed"]
    if parallel == 1:
        assert in_flight == 1
    else:
        # Four ranges, four workers, every request delayed by 100 ms, about five pages per
        # range: the emulator serves several of the tap's change-feed requests at the same time
        # (one reader never has two requests in flight).
        assert in_flight >= 2
