"""Per-stream and per-range metrics as singer-sdk METRIC lines, and a one-line summary.

Each range scope (``"<stream>|[min,max)"``) and the query scope (``"<stream>|query"``) gets counter
points (names in :class:`cosmosdb_shared.metrics.CosmosMetric`): ``cosmos_page_count``,
``cosmos_item_count``, ``cosmos_request_units`` (RU, from ``x-ms-request-charge`` via
:class:`cosmosdb_shared.RequestChargeMeter`), ``cosmos_request_count``,
``cosmos_throttle_count`` (429 responses, including those the SDK retried internally),
``cosmos_throttle_wait_seconds`` (``x-ms-retry-after-ms`` of those 429s), ``cosmos_retry_count``
and ``cosmos_retry_wait_seconds`` (outer retries by this tap), written at the end of the run.

During the run, every ``progress_interval_seconds`` (:mod:`tap_cosmosdb.progress`), each active
stream gets points tagged ``{"stream": <name>, "scope": "interval"}`` holding the *increase* since
its previous interval point (like singer-sdk's ``record_count``): ``cosmos_item_count``,
``cosmos_request_units``, ``cosmos_request_count``, ``cosmos_throttle_count``,
``cosmos_throttle_wait_seconds`` and ``cosmos_retry_count``.

They are written with ``singer_sdk.metrics.log`` so they look like singer-sdk's own
``METRIC: {...}`` lines and obey the same log configuration.
"""

from __future__ import annotations

import typing as t

from singer_sdk import metrics

from cosmosdb_shared.metrics import CosmosMetric, counter_point

if t.TYPE_CHECKING:
    from cosmosdb_shared import RequestChargeMeter
    from tap_cosmosdb.streams import CosmosContainerStream


#: Keys of ``CosmosContainerStream.stream_totals()`` written as interval points, and their names.
INTERVAL_METRICS: tuple[tuple[str, CosmosMetric], ...] = (
    ("records", CosmosMetric.ITEM_COUNT),
    ("request_units", CosmosMetric.REQUEST_UNITS),
    ("requests", CosmosMetric.REQUEST_COUNT),
    ("throttles", CosmosMetric.THROTTLE_COUNT),
    ("throttle_wait_seconds", CosmosMetric.THROTTLE_WAIT_SECONDS),
    ("retries", CosmosMetric.RETRY_COUNT),
)


def emit_interval_metrics(
    stream: CosmosContainerStream,
    totals: t.Mapping[str, float | int],
    previous: t.Mapping[str, float | int] | None,
) -> None:
    """Write one progress interval's METRIC points of a stream (increase since ``previous``).

    Args:
        stream: The stream.
        totals: ``stream.stream_totals()`` now (records, RU, requests, throttles, seconds).
        previous: The totals at the stream's previous interval point, or None for the first.
    """
    tags = {"stream": stream.name, "scope": "interval"}
    for key, metric in INTERVAL_METRICS:
        delta = totals[key] - (previous or {}).get(key, 0)
        if isinstance(delta, float):
            delta = round(delta, 3)
        metrics.log(stream.metrics_logger, counter_point(metric, delta, tags))


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
            (CosmosMetric.PAGE_COUNT, stats.pages),
            (CosmosMetric.ITEM_COUNT, stats.items),
            (CosmosMetric.REQUEST_UNITS, round(charge.request_units, 2)),
            (CosmosMetric.REQUEST_COUNT, charge.requests),
            (CosmosMetric.THROTTLE_COUNT, charge.throttles),
            (CosmosMetric.THROTTLE_WAIT_SECONDS, round(charge.throttle_wait_seconds, 3)),
            (CosmosMetric.RETRY_COUNT, stats.retries),
            (CosmosMetric.RETRY_WAIT_SECONDS, round(stats.retry_wait_seconds, 3)),
        ]
        for metric, value in values:
            metrics.log(stream.metrics_logger, counter_point(metric, value, tags))
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
