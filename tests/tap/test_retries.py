"""Throttling and transient faults during change-feed reads: nothing lost, nothing repeated."""

from __future__ import annotations

import collections
import json

import pytest

from tests.tap.conftest import seed


def metrics(stderr: str) -> list[dict]:
    out = []
    for line in stderr.splitlines():
        if "METRIC: " in line:
            out.append(json.loads(line.split("METRIC: ", 1)[1]))
    return out


def metric_total(points, name: str) -> float:
    return sum(p["value"] for p in points if p["metric"] == name)


@pytest.mark.parametrize(("parallel", "throttles"), [(1, 200), (4, 800)])
def test_throttling_beyond_sdk_retries_is_retried_from_the_page_token(tap_env, parallel, throttles):
    items = tap_env.container("items")
    ids = seed(items, 30)
    # 200 consecutive 429s: more than the SDK absorbs (9 retries in each of its two nested retry
    # loops), so the tap's outer retry must re-read the page from its own token. Ranges read in
    # parallel share the 429s between their clients, so more are needed.
    tap_env.emulator.inject_fault(
        status=429,
        retry_after_ms=1,
        operation="change_feed",
        database=tap_env.name,
        count=throttles,
    )
    try:
        run = tap_env.run(tap_env.config(page_size=4, max_parallel_ranges=parallel))
    finally:
        tap_env.emulator.clear_faults()
    assert run.returncode == 0, run.stderr[-3000:]
    got = collections.Counter(r["id"] for r in run.records())
    assert set(got) == set(ids)
    assert max(got.values()) == 1
    points = metrics(run.stderr)
    assert metric_total(points, "cosmos_throttle_count") >= throttles
    assert metric_total(points, "cosmos_throttle_wait_seconds") > 0
    assert metric_total(points, "cosmos_retry_count") >= 1
    assert metric_total(points, "cosmos_request_units") > 0
    summary = [line for line in run.stderr.splitlines() if "Summary for stream 'items'" in line]
    assert len(summary) == 1
    assert "30 records" in summary[0]


def test_timeouts_unavailable_and_dropped_connections(tap_env):
    items = tap_env.container("items")
    ids = seed(items, 30)
    for rule in (
        {"status": 503, "probability": 0.25, "seed": 1},
        {"status": 408, "probability": 0.15, "seed": 2},
        {"action": "drop_before", "probability": 0.15, "seed": 3},
    ):
        tap_env.emulator.inject_fault(
            operation="change_feed", database=tap_env.name, count=6, **rule
        )
    try:
        run = tap_env.run(tap_env.config(page_size=4))
    finally:
        tap_env.emulator.clear_faults()
    assert run.returncode == 0, run.stderr[-3000:]
    got = collections.Counter(r["id"] for r in run.records())
    assert set(got) == set(ids)
    assert max(got.values()) == 1
