"""The one metrics model of tap-cosmosdb and target-cosmosdb: names, points and how they add up.

Both plugins write their counters as singer-sdk ``METRIC: {...}`` lines with
``singer_sdk.metrics.log`` (a ``Point`` accepts any str enum as its metric), beside singer-sdk's
own (``record_count``, ``sync_duration``, ``batch_processing_time``), which they do not repeat:
records read or received are singer-sdk's ``record_count`` alone.

Every point is an *increment*, as singer-sdk's ``record_count`` points are: it holds what a
counter grew by since the previous point with the same tags (:class:`CounterReporter`), so the
points of one metric add up to its total for the run and each request unit, request, throttle or
retry is counted in exactly one point, however often a plugin reports during the run.

Names follow singer-sdk's: counters end in ``_count``, durations in ``_seconds``.
"""

from __future__ import annotations

import enum
import threading
import typing as t

from singer_sdk import metrics

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Mapping

    from cosmosdb_shared.request_charge import ChargeTotals


class CosmosMetric(str, enum.Enum):
    """Metric names; the comment says which plugin writes each."""

    # Both plugins; RU and throttles come from cosmosdb_shared.RequestChargeMeter.
    REQUEST_UNITS = "cosmos_request_units"  # RU, from x-ms-request-charge
    REQUEST_COUNT = "cosmos_request_count"  # HTTP responses received
    THROTTLE_COUNT = "cosmos_throttle_count"  # 429 responses
    THROTTLE_WAIT_SECONDS = "cosmos_throttle_wait_seconds"  # x-ms-retry-after-ms of those
    RETRY_COUNT = "cosmos_retry_count"  # retries made by the plugin itself
    RETRY_WAIT_SECONDS = "cosmos_retry_wait_seconds"
    # tap-cosmosdb (records read: singer-sdk's record_count)
    PAGE_COUNT = "cosmos_page_count"
    # target-cosmosdb
    RECORDS_WRITTEN = "cosmos_records_written"
    RECORDS_DELETED = "cosmos_records_deleted"
    RECORDS_SKIPPED = "cosmos_records_skipped"
    RECORDS_DEAD_LETTERED = "cosmos_records_dead_lettered"
    BATCH_COUNT = "cosmos_batch_count"  # transactional batches
    POINT_OPERATION_COUNT = "cosmos_point_operation_count"  # single-document writes


def counter_point(metric: CosmosMetric, value: float, tags: dict[str, t.Any]) -> metrics.Point:
    """Build a singer-sdk counter point for ``metric``.

    Args:
        metric: The metric name.
        value: The counter value (a count, RU or seconds).
        tags: Tags such as ``stream`` and ``scope``.

    Returns:
        A point for ``singer_sdk.metrics.log``.
    """
    return metrics.Point("counter", t.cast("metrics.Metric", metric), value, tags)


def charge_counters(charge: ChargeTotals) -> dict[CosmosMetric, float]:
    """Return the request counters of one meter scope, by metric.

    Args:
        charge: Totals of a ``cosmosdb_shared.RequestChargeMeter`` scope (from the
            ``x-ms-request-charge`` and ``x-ms-retry-after-ms`` response headers).

    Returns:
        RU, responses, 429 responses and the seconds those asked to wait.
    """
    return {
        CosmosMetric.REQUEST_UNITS: charge.request_units,
        CosmosMetric.REQUEST_COUNT: charge.requests,
        CosmosMetric.THROTTLE_COUNT: charge.throttles,
        CosmosMetric.THROTTLE_WAIT_SECONDS: charge.throttle_wait_seconds,
    }


class CounterReporter:
    """Writes counters as increments: each point holds the growth since the previous report.

    Keep one reporter per run (per plugin instance) and report the running totals of a tag set
    (e.g. one stream, or one feed range of a stream) as often as wanted, from any thread; a
    counter that did not grow gets no point, so no point is zero or negative. Floats are rounded
    to 3 decimals before the difference is taken, so the points of a metric add up to its
    rounded total.

    Args:
        logger: The metrics logger; default ``singer_sdk.metrics.get_metrics_logger()``.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger
        self._reported: dict[tuple[tuple[str, str], ...], dict[CosmosMetric, float]] = {}
        self._lock = threading.Lock()

    def report(self, totals: Mapping[CosmosMetric, float], tags: Mapping[str, t.Any]) -> None:
        """Log one point per counter of ``tags`` that grew since its previous report.

        Args:
            totals: Running totals (counts, RU or seconds) by metric.
            tags: Tags of the points, e.g. ``{"stream": "orders", "container": "orders"}``.
        """
        key = tuple(sorted((name, str(value)) for name, value in tags.items()))
        logger = self._logger or metrics.get_metrics_logger()
        with self._lock:
            reported = self._reported.setdefault(key, {})
            for metric, total in totals.items():
                value = round(total, 3) if isinstance(total, float) else total
                delta = value - reported.get(metric, 0)
                if delta <= 0:  # no growth, or totals read before a report already made
                    continue
                reported[metric] = value
                if isinstance(delta, float):
                    delta = round(delta, 3)
                metrics.log(logger, counter_point(metric, delta, dict(tags)))
