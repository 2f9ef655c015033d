"""Per-stream and per-range metrics as singer-sdk METRIC lines, and a one-line summary.

Each range scope (``"<stream>|[min,max)"``) and the query scope (``"<stream>|query"``) gets counter
points: ``cosmos_pages``, ``cosmos_items``, ``cosmos_request_units`` (RU, from
``x-ms-request-charge`` via :class:`cosmosdb_shared.RequestChargeMeter`), ``cosmos_throttles``
(429 responses, including those the SDK retried internally), ``cosmos_throttle_wait_seconds``
(``x-ms-retry-after-ms`` of those 429s), ``cosmos_retries`` and ``cosmos_retry_wait_seconds``
(outer retries by this tap). They are written with ``singer_sdk.metrics.log`` so they look like
singer-sdk's own ``METRIC: {...}`` lines and obey the same log configuration.
"""

from __future__ import annotations

import enum
import typing as t

from singer_sdk import metrics

if t.TYPE_CHECKING:
    from cosmosdb_shared import RequestChargeMeter
    from tap_cosmosdb.streams import CosmosContainerStream


class CosmosMetric(str, enum.Enum):
    """Metric names written by this tap (duck-typed like ``singer_sdk.metrics.Metric``)."""

    PAGES = "cosmos_pages"
    ITEMS = "cosmos_items"
    REQUEST_UNITS = "cosmos_request_units"
    REQUESTS = "cosmos_requests"
    THROTTLES = "cosmos_throttles"
    THROTTLE_WAIT_SECONDS = "cosmos_throttle_wait_seconds"
    RETRIES = "cosmos_retries"
    RETRY_WAIT_SECONDS = "cosmos_retry_wait_seconds"


def _point(metric: CosmosMetric, value: float | int, tags: dict[str, t.Any]) -> metrics.Point:
    return metrics.Point("counter", t.cast("metrics.Metric", metric), value, tags)


def emit_stream_metrics(stream: CosmosContainerStream, meter: RequestChargeMeter) -> None:
    """Write METRIC lines per range (and query) of a stream, then log its one-line summary.

    Args:
        stream: The stream, after its sync.
        meter: The tap's RU meter.
    """
    scopes: dict[str, t.Any] = dict(stream.range_stats)
    for index, stats in enumerate(stream.query_stats):
        scopes[f"{stream.name}|query" + (f"#{index}" if index else "")] = stats
    for scope, stats in scopes.items():
        charge = meter.totals(scope.split("#")[0])
        tags = {
            "stream": stream.name,
            "scope": scope.split("|", 1)[1] if "|" in scope else scope,
        }
        values: list[tuple[CosmosMetric, float | int]] = [
            (CosmosMetric.PAGES, stats.pages),
            (CosmosMetric.ITEMS, stats.items),
            (CosmosMetric.REQUEST_UNITS, round(charge.request_units, 2)),
            (CosmosMetric.REQUESTS, charge.requests),
            (CosmosMetric.THROTTLES, charge.throttles),
            (CosmosMetric.THROTTLE_WAIT_SECONDS, round(charge.throttle_wait_seconds, 3)),
            (CosmosMetric.RETRIES, stats.retries),
            (CosmosMetric.RETRY_WAIT_SECONDS, round(stats.retry_wait_seconds, 3)),
        ]
        for metric, value in values:
            metrics.log(stream.metrics_logger, _point(metric, value, tags))
    totals = stream.stream_totals()
    stream.logger.info(
        "Summary for stream '%s' (%s): %d records, %d pages, %.2f RU in %d requests, "
        "%d throttled (%.2f s waited), %d retries (%.2f s waited)",
        stream.name,
        stream.replication_method,
        totals["records"],
        totals["pages"],
        totals["request_units"],
        totals["requests"],
        totals["throttles"],
        totals["throttle_wait_seconds"],
        totals["retries"],
        totals["retry_wait_seconds"],
    )
