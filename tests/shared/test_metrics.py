"""The one metrics model: increments that add up to the totals, in singer-sdk METRIC lines."""

from __future__ import annotations

import json
import logging
import threading

from cosmosdb_shared.metrics import CosmosMetric, CounterReporter, charge_counters
from cosmosdb_shared.request_charge import RequestChargeMeter


class Lines(logging.Handler):
    """Collects the METRIC points a logger writes."""

    def __init__(self) -> None:
        super().__init__()
        self.points: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        assert message.startswith("METRIC: "), message
        self.points.append(json.loads(message.removeprefix("METRIC: ")))


def reporter() -> tuple[CounterReporter, Lines]:
    logger = logging.getLogger(f"test-metrics-{id(object())}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    lines = Lines()
    logger.addHandler(lines)
    return CounterReporter(logger), lines


def test_points_are_increments_that_add_up_to_the_totals():
    counters, lines = reporter()
    tags = {"stream": "s", "scope": "a"}
    counters.report({CosmosMetric.REQUEST_UNITS: 1.25, CosmosMetric.PAGE_COUNT: 1}, tags)
    counters.report({CosmosMetric.REQUEST_UNITS: 1.25, CosmosMetric.PAGE_COUNT: 1}, tags)  # still
    counters.report({CosmosMetric.REQUEST_UNITS: 4.0004, CosmosMetric.PAGE_COUNT: 3}, tags)
    counters.report({CosmosMetric.PAGE_COUNT: 2}, {"stream": "s", "scope": "b"})
    assert [(p["metric"], p["value"], p["tags"]["scope"]) for p in lines.points] == [
        ("cosmos_request_units", 1.25, "a"),
        ("cosmos_page_count", 1, "a"),
        ("cosmos_request_units", 2.75, "a"),
        ("cosmos_page_count", 2, "a"),
        ("cosmos_page_count", 2, "b"),
    ]
    assert all(p["type"] == "counter" for p in lines.points)


def test_concurrent_reports_count_each_unit_once():
    counters, lines = reporter()
    meter = RequestChargeMeter()
    tags = {"stream": "s"}

    def work() -> None:
        for _ in range(200):
            meter.record({"x-ms-request-charge": "0.5"}, 200, scope="s")
            counters.report(charge_counters(meter.totals("s")), tags)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counters.report(charge_counters(meter.totals("s")), tags)
    by_metric: dict[str, float] = {}
    for point in lines.points:
        by_metric[point["metric"]] = by_metric.get(point["metric"], 0) + point["value"]
    assert by_metric == {"cosmos_request_units": 400.0, "cosmos_request_count": 800}
    assert all(point["value"] > 0 for point in lines.points)
