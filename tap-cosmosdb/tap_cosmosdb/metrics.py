"""Per-range METRIC points of each stream, and a one-line summary per stream.

The points follow :mod:`cosmosdb_shared.metrics`: increments that add up to the run's totals.
Each feed range of a stream (tag ``scope``: ``"[min,max)"``) and its queries (``scope``:
``"query"``) get ``cosmos_page_count``, ``cosmos_request_units`` (RU, from
``x-ms-request-charge`` via :class:`cosmosdb_shared.RequestChargeMeter`),
``cosmos_request_count``, ``cosmos_throttle_count`` (429 responses, including those the SDK
retried internally), ``cosmos_throttle_wait_seconds`` (``x-ms-retry-after-ms`` of those 429s),
``cosmos_retry_count`` and ``cosmos_retry_wait_seconds`` (outer retries by this tap). They are
reported every ``progress_interval_seconds`` (:mod:`tap_cosmosdb.progress`) and once more at the
end of the run, each point holding the increase since the previous point of its scope. Records
read are singer-sdk's own ``record_count`` points, not repeated here.
"""

from __future__ import annotations

import typing as t

from cosmosdb_shared.metrics import CosmosMetric, CounterReporter, charge_counters

if t.TYPE_CHECKING:
    from cosmosdb_shared import RequestChargeMeter
    from tap_cosmosdb.streams import CosmosContainerStream


class TapMetrics:
    """The METRIC points of one tap run.

    Args:
        meter: The tap's RU meter (one scope per feed range and one for a stream's queries).
        reporter: Writes the increments; a new one by default.
    """

    def __init__(self, meter: RequestChargeMeter, reporter: CounterReporter | None = None) -> None:
        self.meter = meter
        self.reporter = reporter or CounterReporter()

    def report(self, stream: CosmosContainerStream) -> None:
        """Write the increase of each counter of each of the stream's scopes since the last report.

        Args:
            stream: The stream (read on the main thread meanwhile: only counters are read).
        """
        scopes: dict[str, list[t.Any]] = {
            scope: [stats] for scope, stats in dict(stream.range_stats).items()
        }
        queries = list(stream.query_stats)
        if queries:
            # Every query of the stream is charged to the one meter scope "<stream>|query".
            scopes[f"{stream.name}|query"] = queries
        for scope, readers in scopes.items():
            totals: dict[CosmosMetric, float] = {
                CosmosMetric.PAGE_COUNT: sum(r.pages for r in readers),
                **charge_counters(self.meter.totals(scope)),
                CosmosMetric.RETRY_COUNT: sum(r.retries for r in readers),
                CosmosMetric.RETRY_WAIT_SECONDS: sum(r.retry_wait_seconds for r in readers),
            }
            tags = {"stream": stream.name, "scope": scope.split("|", 1)[-1]}
            self.reporter.report(totals, tags)

    def finish(self, stream: CosmosContainerStream) -> None:
        """Write the stream's last points, then log its one-line summary.

        Args:
            stream: The stream, after its sync.
        """
        self.report(stream)
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
