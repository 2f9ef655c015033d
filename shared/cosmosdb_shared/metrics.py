"""METRIC names written by tap-cosmosdb and target-cosmosdb, one vocabulary for both.

Names follow singer-sdk's own (``record_count``, ``batch_count``): counters end in ``_count``,
durations in ``_seconds``. They are written as singer-sdk ``METRIC: {...}`` lines with
``singer_sdk.metrics.log`` (a ``Point`` accepts any str enum as its metric).
"""

from __future__ import annotations

import enum
import typing as t

from singer_sdk import metrics


class CosmosMetric(str, enum.Enum):
    """Metric names; the comment says which plugin writes each."""

    # Both plugins; RU and throttles come from cosmosdb_shared.RequestChargeMeter.
    REQUEST_UNITS = "cosmos_request_units"  # RU, from x-ms-request-charge
    REQUEST_COUNT = "cosmos_request_count"  # HTTP responses received
    THROTTLE_COUNT = "cosmos_throttle_count"  # 429 responses
    THROTTLE_WAIT_SECONDS = "cosmos_throttle_wait_seconds"  # x-ms-retry-after-ms of those
    RETRY_COUNT = "cosmos_retry_count"  # retries made by the plugin itself
    RETRY_WAIT_SECONDS = "cosmos_retry_wait_seconds"
    # tap-cosmosdb
    PAGE_COUNT = "cosmos_page_count"
    ITEM_COUNT = "cosmos_item_count"
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
