"""Progress lines and interval METRIC points during a run slowed by the emulator's `delay` fault."""

from __future__ import annotations

import json
import re
from collections import Counter

from tests.tap.conftest import seed
from tests.tap.test_query_reader import set_method

PROGRESS = re.compile(
    r"Progress of stream 'items' \((?P<method>\w+)\): (?P<records>\d+) records, "
    r"(?P<rate>[\d.]+) records/s, (?:(?P<done>\d+) of (?P<total>\d+) feed ranges caught up, )?"
    r"(?P<ru>[\d.]+) RU in (?P<requests>\d+) requests, (?P<throttles>\d+) throttled, "
    r"(?P<elapsed>[\d.]+) s"
)


def metric_points(stderr: str) -> list[dict]:
    return [
        json.loads(line.split("METRIC: ", 1)[1])
        for line in stderr.splitlines()
        if "METRIC: " in line
    ]


def progress_before_summary(stderr: str) -> list[re.Match]:
    lines = stderr.splitlines()
    end = next(i for i, line in enumerate(lines) if "Summary for stream 'items'" in line)
    return [m for line in lines[:end] if (m := PROGRESS.search(line))]


def slow_down(tap_env, operation: str) -> None:
    tap_env.emulator.inject_fault(
        action="delay",
        delay_ms=120,
        operation=operation,
        database=tap_env.name,
        container="items",
    )


def test_log_based_run_reports_progress_at_the_interval(tap_env):
    seed(tap_env.container("items"), 60)
    slow_down(tap_env, "change_feed")
    try:
        run = tap_env.run(tap_env.config(page_size=4, progress_interval_seconds=0.2))
    finally:
        tap_env.emulator.clear_faults()
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.records("items")) == 60

    reports = progress_before_summary(run.stderr)
    assert len(reports) >= 2, run.stderr[-3000:]
    records = [int(m["records"]) for m in reports]
    ru = [float(m["ru"]) for m in reports]
    assert records == sorted(records)
    assert records[-1] > records[0]
    assert ru == sorted(ru)
    assert ru[-1] > ru[0]
    assert all(m["method"] == "LOG_BASED" for m in reports)
    done = [int(m["done"]) for m in reports]
    assert done == sorted(done)
    assert {int(m["total"]) for m in reports} == {4}  # the emulator's 4 feed ranges

    points = metric_points(run.stderr)
    assert_each_metric_once(points, run.stderr, records=60)
    # Reported during the run too: some range has several points of a counter.
    ru_scopes = Counter(
        p["tags"]["scope"]
        for p in points
        if p["metric"] == "cosmos_request_units" and p["tags"]["stream"] == "items"
    )
    assert max(ru_scopes.values()) >= 2, ru_scopes
    # singer-sdk's own record_count follows the same interval (its default is 60 s).
    record_counts = [
        p for p in points if p["metric"] == "record_count" and p["tags"]["stream"] == "items"
    ]
    assert len(record_counts) >= 2


SUMMARY = re.compile(
    r"Summary for stream 'items' \(\w+\): (?P<records>\d+) records, (?P<pages>\d+) pages, "
    r"(?P<ru>[\d.]+) RU in (?P<requests>\d+) requests, (?P<throttles>\d+) throttled"
)


def assert_each_metric_once(points: list[dict], stderr: str, *, records: int) -> None:
    """Each quantity is carried by one metric, and each unit of it by one point.

    The points of a counter are increments: over the run they add up to the stream's totals in
    its summary line, however many progress reports were written. Records read are singer-sdk's
    ``record_count`` alone.
    """
    summary = SUMMARY.search(stderr)
    assert summary, stderr[-3000:]
    items = [p for p in points if p["tags"].get("stream") == "items"]

    def total(name: str) -> float:
        return sum(p["value"] for p in items if p["metric"] == name)

    assert total("record_count") == int(summary["records"]) == records
    assert total("cosmos_page_count") == int(summary["pages"])
    assert total("cosmos_request_count") == int(summary["requests"])
    assert total("cosmos_throttle_count") == int(summary["throttles"])
    assert abs(total("cosmos_request_units") - float(summary["ru"])) < 0.01
    names = {p["metric"] for p in items}
    assert not {n for n in names if "item" in n or "record" in n} - {"record_count"}, names


def test_full_table_reports_progress_without_ranges(tap_env):
    seed(tap_env.container("items"), 40)
    catalog = set_method(tap_env.discover(), "items", "FULL_TABLE")
    slow_down(tap_env, "query")
    try:
        run = tap_env.run(
            tap_env.config(page_size=4, progress_interval_seconds=0.2), catalog=catalog
        )
    finally:
        tap_env.emulator.clear_faults()
    assert run.returncode == 0, run.stderr[-3000:]
    reports = progress_before_summary(run.stderr)
    assert len(reports) >= 2, run.stderr[-3000:]
    assert all(m["method"] == "FULL_TABLE" and m["total"] is None for m in reports)
    assert int(reports[-1]["records"]) > int(reports[0]["records"])


def test_zero_interval_turns_progress_off(tap_env):
    seed(tap_env.container("items"), 20)
    slow_down(tap_env, "change_feed")
    try:
        run = tap_env.run(tap_env.config(page_size=4, progress_interval_seconds=0))
    finally:
        tap_env.emulator.clear_faults()
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.records("items")) == 20
    assert "Progress of stream" not in run.stderr
    points = metric_points(run.stderr)
    assert_each_metric_once(points, run.stderr, records=20)
    # Only the end of the run reports: one point per counter and range.
    keys = [(p["metric"], p["tags"]["scope"]) for p in points if p["metric"].startswith("cosmos_")]
    assert keys
    assert len(keys) == len(set(keys))
